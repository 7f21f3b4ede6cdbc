import { pingManyWith } from "./engine/api.ts";
import { engine } from "./engine/engine.ts";
import type { PingFailure } from "./engine/failure.ts";
import type { ProbeEvent } from "./engine/events.ts";
import type { PingOptions } from "./ping.ts";
import type { PingResult } from "./ping_result.ts";

export { PingFailure } from "./engine/failure.ts";

/** One target's entry in {@linkcode pingMany}'s result: its statistics, or why it could not be probed. */
export type PingManyEntry = PingResult | PingFailure;

/**
 * Options of {@linkcode pingMany}. Every {@linkcode PingOptions} field applies to each target; times are ms.
 */
export interface PingManyOptions extends Omit<PingOptions, "onProbe" | "throwOnTimeout"> {
  /**
   * Probes per second over all targets together (a global pace, as scanners name it), on top of each target's
   * `interval`. Unlimited by default, so the window alone bounds a sweep.
   * @default {Infinity}
   */
  rate?: number;
  /**
   * Probes outstanding at once over all targets, and targets in progress at once. It also sizes the sockets'
   * receive buffer (~830 B per queued reply), so that a burst of replies is never dropped by the kernel.
   * @default {4096}
   */
  window?: number;
  /** Called with every probe's outcome; events carry `host` and `index`. A throw or rejection rejects the call. */
  onProbe?: (event: ProbeEvent) => unknown;
  /** Called as each target finishes, in completion order. A throw or rejection rejects the call. */
  onResult?: (entry: PingManyEntry) => unknown;
  /**
   * Keep every entry for the returned array. `false` resolves with `[]`, so that any number of targets streams
   * through `onResult` in bounded memory.
   * @default {true}
   */
  collect?: boolean;
}

/**
 * Pings many hosts at once from one send scheduler: round-robin across targets, each on its own fixed `interval`,
 * all within `rate` and `window`. Targets are pulled from `hosts` as room frees up, so an async iterable of any
 * length streams through in bounded memory.
 *
 * A name that does not resolve is that target's {@linkcode PingFailure}, not a rejection; ICMP errors are counted
 * in the target's result. An aborted `signal` stops everything at once and resolves with what was gathered (targets
 * not started by then get a failure carrying the abort reason).
 *
 * @param hosts Names or literal addresses (literals never reach the resolver); names resolve at most 16 at a time,
 * each once per call.
 * @param options Per-target options, plus `rate`, `window`, `onResult` and `collect`.
 * @returns One entry per target, in input order (`[]` with `collect: false`).
 * @throws {TypeError | RangeError} An option has the wrong type or is out of range (before anything is sent).
 * @throws {Deno.errors.PermissionDenied} Neither a raw nor a datagram ICMP socket may be opened.
 * @throws The error an `onProbe` or `onResult` callback threw, or that the iterable threw.
 *
 * @example Sweep a few loopback addresses
 * ```ts ignore
 * import { pingMany } from "@miniping/miniping";
 *
 * const entries = await pingMany(["127.0.0.1", "127.0.0.2", "::1"], { count: 2, interval: 10 });
 * for (const entry of entries) console.log(entry.host, entry.ok ? entry.received : entry.error.message);
 * ```
 *
 * @example Stream a large sweep without keeping the results
 * ```ts ignore
 * import { pingMany } from "@miniping/miniping";
 *
 * async function* addresses() {
 *   for (let i = 1; i < 255; i++) yield `127.0.1.${i}`;
 * }
 * let alive = 0;
 * await pingMany(addresses(), { count: 1, collect: false, onResult: (entry) => void (entry.ok && entry.received && alive++) });
 * console.log(`${alive} alive`);
 * ```
 */
export function pingMany(
  hosts: Iterable<string> | AsyncIterable<string>,
  options: PingManyOptions = {},
): Promise<PingManyEntry[]> {
  return pingManyWith(engine(), hosts, options);
}
