/**
 * A {@linkcode ProbeEngine} built from one `ping()` call per probe, for as
 * long as the library has no long-lived `Pinger`: every call shares the
 * library's per-family socket, so this is still one engine for the process.
 *
 * @module
 */
import { ping } from "../ping.ts";
import { resolveHost } from "../resolve_host.ts";
import type { EngineStats } from "./metrics.ts";
import type { ProbeEngine, RoundOptions } from "./prober.ts";

/** Probes with `ping()`, one call per probe, sends paced by `rate`. */
export class PingCallEngine implements ProbeEngine {
  #outstanding = 0;
  #closed = false;
  readonly #socket: "raw" | "datagram" | "auto";

  /** Uses `socket` for every probe. */
  constructor(socket: "raw" | "datagram" | "auto" = "auto") {
    this.#socket = socket;
  }

  /** Probes each host once, the i-th send at start + i / rate. */
  async pingMany(hosts: readonly string[], o: RoundOptions): Promise<unknown> {
    const started = performance.now();
    const probes: Promise<void>[] = [];
    for (let index = 0; index < hosts.length; index++) {
      if (o.signal.aborted || this.#closed) break;
      const due = started + index * 1000 / o.rate;
      const wait = due - performance.now();
      if (wait > 1) await new Promise((r) => setTimeout(r, wait));
      probes.push(this.#probe(hosts[index]!, index, o));
    }
    await Promise.all(probes);
    return [];
  }

  async #probe(host: string, index: number, o: RoundOptions): Promise<void> {
    let address: string;
    try {
      address = (await resolveHost(host)).address;
    } catch (error) {
      o.onResult({ ok: false, index, error: error instanceof Error ? error : new Error(String(error)) });
      return;
    }
    this.#outstanding++;
    const base = { index, address };
    try {
      const result = await ping(address, {
        count: 1,
        timeout: o.timeout,
        size: o.size,
        socket: this.#socket,
        signal: o.signal,
        ...(o.ttl !== undefined && { ttl: o.ttl }),
        ...(o.dscp !== undefined && { dscp: o.dscp }),
        ...(o.source !== undefined && { source: o.source }),
        onProbe: (event) => o.onProbe({ ...event, ...base, time: Date.now() }),
      });
      o.onResult({ ok: true, index, address, corrupted: result.corrupted });
    } catch (error) {
      // ICMP errors reject ping() after their event was delivered; only other failures are the target's.
      const result = (error as { result?: { corrupted: number } }).result;
      if (result !== undefined) o.onResult({ ok: true, index, address, corrupted: result.corrupted });
      else if (!o.signal.aborted) {
        o.onResult({ ok: false, index, error: error instanceof Error ? error : new Error(String(error)) });
      }
    } finally {
      this.#outstanding--;
    }
  }

  /** Outstanding probes; socket count and backoffs are not visible through `ping()`. */
  stats(): EngineStats {
    return { outstanding: this.#outstanding, sockets: 0, sendBackoffs: 0 };
  }

  /** Stops starting probes. */
  close(): Promise<void> {
    this.#closed = true;
    return Promise.resolve();
  }
}
