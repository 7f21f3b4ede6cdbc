import { pingWith } from "./engine/api.ts";
import { engine } from "./engine/engine.ts";
import type { PingOptions } from "./engine/options.ts";
import type { PingResult } from "./ping_result.ts";

export type {
  DuplicateEvent,
  ErrorEvent,
  ProbeEvent,
  ProbeEventBase,
  ReplyEvent,
  RttClock,
  TimeoutEvent,
} from "./engine/events.ts";
export { PING_DEFAULTS, PING_LIMITS, type PingOptions, SOCKET_KINDS, type SocketKind } from "./engine/options.ts";

/**
 * Sends ICMP echo requests to `host` and resolves with the statistics of the replies.
 *
 * Every concurrent call shares one socket pool per address family and socket kind, and one send scheduler; a reply
 * counts only when it comes from the probed address and carries the exact payload of an outstanding probe.
 *
 * @param host A name or a literal IPv4 / IPv6 address (literals never reach the resolver).
 * @param options Count, timing, size and socket options; see {@linkcode PingOptions}.
 * @returns The run's statistics, also when some or all probes got no reply.
 * @throws {TypeError | RangeError} An option has the wrong type or is out of range (before anything is sent);
 * RangeError also for a broadcast target without `broadcast`.
 * @throws {Deno.errors.NotFound} `host` does not resolve.
 * @throws {Deno.errors.PermissionDenied} Neither a raw nor a datagram ICMP socket may be opened.
 * @throws {SystemCallError} The kernel refused a socket for another reason (e.g. `interface` does not exist).
 * @throws {DestinationUnreachableError | TimeExceededError} No reply, and at least one such ICMP error.
 * @throws {PingTimeoutError} Nothing came back, with `throwOnTimeout`.
 *
 * @example Ping loopback
 * ```ts ignore
 * import { ping } from "@miniping/miniping";
 *
 * const result = await ping("127.0.0.1", { count: 3, interval: 20 });
 * console.log(`${result.received}/${result.sent} replies, median ${result.median} ms`);
 * ```
 *
 * @example Watch each probe as it ends
 * ```ts ignore
 * import { ping } from "@miniping/miniping";
 *
 * await ping("::1", {
 *   count: 2,
 *   onProbe: (event) => console.log(event.type, event.seq, event.type === "reply" ? event.rtt : ""),
 * });
 * ```
 */
export function ping(
  host: string,
  options: PingOptions = {},
): Promise<PingResult> {
  return pingWith(engine(), host, options);
}
