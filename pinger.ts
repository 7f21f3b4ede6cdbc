import { pingManyWith, pingWith } from "./engine/api.ts";
import { Engine, type EngineStats } from "./engine/engine.ts";
import { checkNumber, PING_DEFAULTS, type SocketKind } from "./engine/options.ts";
import type { PingOptions } from "./ping.ts";
import type { PingManyEntry, PingManyOptions } from "./ping_many.ts";
import type { PingResult } from "./ping_result.ts";

/** Options of {@linkcode Pinger}: defaults for every call it makes (a call's own options win). */
export interface PingerOptions {
  /**
   * Socket kind for its calls.
   * @default {"auto"}
   */
  socket?: SocketKind;
  /**
   * Take RTTs from the kernel's transmit and receive stamps (see `PingOptions.kernelTimestamps`).
   * @default {true}
   */
  kernelTimestamps?: boolean;
  /**
   * Probes outstanding at once per `pingMany()` call.
   * @default {4096}
   */
  window?: number;
}

/** What {@linkcode Pinger.stats} reports. */
export type PingerStats = EngineStats;

/**
 * A long-lived owner of ICMP sockets and a send scheduler, for programs that ping round after round (an exporter, a
 * monitor): its sockets stay open between calls instead of being opened and closed with each, and its calls never
 * share sockets with the process-wide `ping()` / `pingMany()`. Close it (or use `await using`) when done: an open
 * Pinger holds its sockets, but keeps the process alive only while one of its calls runs.
 *
 * @example Ping every 10 seconds until disposed
 * ```ts ignore
 * import { Pinger } from "@miniping/miniping";
 *
 * await using pinger = new Pinger({ socket: "datagram" });
 * for (let round = 0; round < 3; round++) {
 *   const entries = await pinger.pingMany(["127.0.0.1", "::1"], { count: 1, timeout: 500 });
 *   console.log(entries.map((entry) => entry.ok && entry.received));
 *   await new Promise((resolve) => setTimeout(resolve, 10_000));
 * }
 * ```
 */
export class Pinger implements AsyncDisposable {
  readonly #engine = new Engine();
  readonly #defaults: PingerOptions;
  readonly #controller = new AbortController();
  readonly #calls = new Set<Promise<unknown>>();
  #closed = false;

  /**
   * Creates a Pinger; sockets open with its first call.
   *
   * @param options Defaults for its calls.
   * @throws {TypeError | RangeError} An option has the wrong type or is out of range.
   */
  constructor(options: PingerOptions = {}) {
    if (options.window !== undefined) {
      checkNumber("window", options.window, { integer: true, min: 1, max: Number.MAX_SAFE_INTEGER });
    }
    this.#defaults = options;
    this.#engine.keepSockets = true;
  }

  /**
   * `ping()` through this Pinger's sockets.
   *
   * @param host A name or a literal address.
   * @param options As for `ping()`.
   * @returns The run's statistics.
   * @throws As `ping()` does, and an Error once the Pinger is closed.
   */
  ping(host: string, options: PingOptions = {}): Promise<PingResult> {
    return this.#track(() => pingWith(this.#engine, host, this.#options(options)));
  }

  /**
   * `pingMany()` through this Pinger's sockets.
   *
   * @param hosts Names or literal addresses.
   * @param options As for `pingMany()`.
   * @returns One entry per target, in input order.
   * @throws As `pingMany()` does, and an Error once the Pinger is closed.
   */
  pingMany(hosts: Iterable<string> | AsyncIterable<string>, options: PingManyOptions = {}): Promise<PingManyEntry[]> {
    const window = options.window ?? this.#defaults.window ?? PING_DEFAULTS.window;
    return this.#track(() => pingManyWith(this.#engine, hosts, { ...this.#options(options), window }));
  }

  /**
   * Counters: probes outstanding now, open sockets, send back-offs (full socket), probes sent and replies accepted.
   *
   * @returns A snapshot.
   */
  stats(): PingerStats {
    return this.#engine.stats();
  }

  /**
   * Stops every call (each settles with what it gathered) and closes the sockets. Idempotent.
   *
   * @returns When every call has settled and the sockets are closed.
   */
  async close(): Promise<void> {
    if (!this.#closed) {
      this.#closed = true;
      this.#controller.abort(new Error("Cannot ping: the Pinger was closed"));
    }
    await Promise.allSettled([...this.#calls]);
    await this.#engine.closeAll();
  }

  /** Same as {@linkcode Pinger.close}, for `await using`. */
  [Symbol.asyncDispose](): Promise<void> {
    return this.close();
  }

  #options<T extends PingOptions>(options: T): T {
    const signal = options.signal === undefined
      ? this.#controller.signal
      : AbortSignal.any([options.signal, this.#controller.signal]);
    return {
      socket: this.#defaults.socket,
      kernelTimestamps: this.#defaults.kernelTimestamps,
      ...options,
      signal,
    };
  }

  #track<T>(start: () => Promise<T>): Promise<T> {
    if (this.#closed) return Promise.reject(new Error("Cannot ping: the Pinger is closed"));
    const promise = start();
    this.#calls.add(promise);
    const forget = () => this.#calls.delete(promise);
    promise.then(forget, forget);
    return promise;
  }
}
