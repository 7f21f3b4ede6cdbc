import { pingWith } from "./engine/api.ts";
import { engine } from "./engine/engine.ts";
import type { ProbeEvent } from "./engine/events.ts";
import type { SocketKind } from "./engine/options.ts";
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
export { PING_DEFAULTS, PING_LIMITS, SOCKET_KINDS, type SocketKind } from "./engine/options.ts";

/** Options of {@linkcode ping}. Times are milliseconds. */
export interface PingOptions {
  /**
   * Echo requests to send.
   * @default {4}
   */
  count?: number;
  /**
   * How long each probe waits for its reply, counted from that probe's send, in ms.
   * @default {1000}
   */
  timeout?: number;
  /**
   * Time between sends in ms. The schedule is fixed: a send never waits for an earlier reply.
   * @default {100}
   */
  interval?: number;
  /**
   * Payload bytes after the 8-byte ICMP header, 0 up to 65507 (IPv4) or 65527 (IPv6).
   * @default {56}
   */
  size?: number;
  /** Outgoing TTL (IPv4) or hop limit (IPv6), 1–255. The system default when unset. */
  ttl?: number;
  /** DSCP code point, 0–63, written into the TOS byte or IPv6 traffic class. Unset leaves it 0. */
  dscp?: number;
  /** Address family for names that resolve to both. IPv4 first when unset. */
  family?: 4 | 6;
  /** Local address to send from. */
  source?: string;
  /**
   * Network interface to send from and receive on (`SO_BINDTODEVICE`, iputils' `-I IFACE`). Sockets are shared per
   * interface.
   */
  interface?: string;
  /**
   * Allow a broadcast destination (`SO_BROADCAST`, iputils' `-b`). Without it, a broadcast target fails with a
   * RangeError that says so.
   * @default {false}
   */
  broadcast?: boolean;
  /**
   * `"raw"` (needs CAP_NET_RAW), `"datagram"` (unprivileged ICMP, needs `net.ipv4.ping_group_range` to include the
   * caller's group) or `"auto"`: datagram where the kernel allows it, else raw.
   * @default {"auto"}
   */
  socket?: SocketKind;
  /**
   * Take each RTT from the kernel's transmit and receive stamps of the probe (`SO_TIMESTAMPING`; `clock: "kernel"`),
   * or, without a plausible transmit stamp, from its receive stamp and a user-space send stamp (`"rx"`). `false`:
   * user space at both ends (`"user"`).
   * @default {true}
   */
  kernelTimestamps?: boolean;
  /**
   * Throw {@linkcode PingTimeoutError} when nothing at all came back.
   * @default {false}
   */
  throwOnTimeout?: boolean;
  /** Stops sending; `ping()` then settles at once with what was gathered. */
  signal?: AbortSignal;
  /**
   * Called once per probe when its outcome is known, and once per duplicate reply. A throw, or a rejected promise
   * from an async callback, stops the run and rejects the call.
   */
  onProbe?: (event: ProbeEvent) => unknown;
}

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
