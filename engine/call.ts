/**
 * One `ping()` or `pingMany()` call inside the engine: its pace group, the per-family send options it turns into
 * control bytes once, and the runs it opens for its targets.
 *
 * @module
 */
import { encodeSendControl } from "../ffi/cmsg.ts";
import { type Engine, SocketPermissionError, type SocketPool } from "./engine.ts";
import type { Checked, PingOptions } from "./options.ts";
import { PING_LIMITS } from "./options.ts";
import { type RunContext, type RunSettings, TargetRun } from "./run.ts";
import { PaceGroup } from "./scheduler.ts";
import { describeTarget, type SocketAddress, sourceAddress } from "./target.ts";

/** The bytes of an echo request with `size` payload bytes, as the kernel counts them on a raw IPv4 socket. */
function packetBytes(size: number): number {
  return 28 + size;
}

/** A call's shared state. */
export class Call {
  readonly group: PaceGroup;
  readonly #controls = new Map<4 | 6, Uint8Array | null>();
  readonly #pools = new Map<4 | 6, SocketPool>();
  /** One settings object for every run of the call. */
  #settings: RunSettings | undefined;
  readonly #contexts = new Map<4 | 6, RunContext>();

  /**
   * @param engine The engine to send through.
   * @param options The call's checked options; they apply to every target.
   * @param rate Probes per second over all targets.
   * @param window Probes outstanding at once.
   */
  constructor(
    readonly engine: Engine,
    readonly options: Checked<PingOptions>,
    rate: number,
    window: number,
  ) {
    this.group = new PaceGroup(rate, window);
  }

  /**
   * Opens the run for one resolved target. Throws RangeError (size or source wrong for its family),
   * `Deno.errors.PermissionDenied` (no ICMP socket allowed) or a system error from opening a socket.
   * `address` is the destination as text, when the caller already has it.
   */
  open(
    host: string,
    index: number,
    destination: SocketAddress,
    address: string = describeTarget(destination),
  ): TargetRun {
    const o = this.options;
    const family = destination.family;
    if (o.size > PING_LIMITS.size.max[family]) {
      throw new RangeError(
        `Cannot ping: size must be ≤ ${PING_LIMITS.size.max[family]} for IPv${family}, got ${o.size}`,
      );
    }
    return new TargetRun(this.#context(family), host, address, index, destination);
  }

  /** What the call's runs share for `family`, made at its first target. */
  #context(family: 4 | 6): RunContext {
    let context = this.#contexts.get(family);
    if (context !== undefined) return context;
    const o = this.options;
    this.#settings ??= {
      count: o.count,
      timeout: o.timeout,
      interval: o.interval,
      size: o.size,
      kernelTimestamps: o.kernelTimestamps,
      onProbe: o.onProbe,
    };
    // The control first: a source address that is wrong for the family throws before any socket is opened.
    const control = this.#control(family);
    context = { engine: this.engine, group: this.group, pool: this.#pool(family), control, settings: this.#settings };
    this.#contexts.set(family, context);
    return context;
  }

  /** The per-packet control bytes (TTL, TOS, source) for `family`, built once per call. */
  #control(family: 4 | 6): Uint8Array | null {
    if (this.#controls.has(family)) return this.#controls.get(family)!;
    const o = this.options;
    const source = o.source === undefined ? undefined : sourceAddress(o.source, family).address;
    const control = encodeSendControl(family, {
      ttl: o.ttl,
      tos: o.dscp === undefined ? undefined : o.dscp << 2,
      source,
    });
    this.#controls.set(family, control);
    return control;
  }

  /** The call's socket pool for `family`, acquired on first use and held until {@linkcode Call.close}. */
  #pool(family: 4 | 6): SocketPool {
    let pool = this.#pools.get(family);
    if (pool !== undefined) return pool;
    const o = this.options;
    try {
      pool = this.engine.acquirePool(family, o.socket, { device: o.interface, broadcast: o.broadcast });
    } catch (error) {
      if (error instanceof SocketPermissionError) {
        throw new Deno.errors.PermissionDenied(error.message, { cause: error.cause });
      }
      throw error;
    }
    pool.reserve(this.group.window, packetBytes(o.size));
    this.#pools.set(family, pool);
    return pool;
  }

  /**
   * Ends the call: its queued sends are dropped and its sockets released. Runs must have ended. Idempotent. Resolves
   * once the descriptors the call was last to use are closed (a batch in flight keeps one open until it lands).
   */
  async close(): Promise<void> {
    this.engine.closeGroup(this.group);
    const released = [...this.#pools.values()].map((pool) => this.engine.releasePool(pool));
    this.#pools.clear();
    await Promise.all(released);
  }
}
