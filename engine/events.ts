/**
 * The one vocabulary for a probe's outcome. The engine fills in these objects and callers receive them as they are.
 *
 * @module
 */

/**
 * Which clocks made an RTT: `"kernel"` — the kernel's transmit and receive stamps of the probe (the default where the
 * kernel gives both); `"rx"` — the kernel's receive stamp and a user-space send stamp (no plausible transmit stamp);
 * `"user"` — user space at both ends (`kernelTimestamps: false`, or no plausible receive stamp).
 */
export type RttClock = "kernel" | "rx" | "user";

/** Fields every probe event carries. */
export interface ProbeEventBase {
  /** Probe number within its target's run, 1 for the first probe. */
  seq: number;
  /** The host as the caller gave it. */
  host: string;
  /** The probed address. */
  address: string;
  /** Position of the target in `pingMany()`'s input; 0 for `ping()`. */
  index: number;
  /** ICMP identifier on the wire (on datagram sockets, the one the kernel chose). */
  icmpId: number;
  /** ICMP sequence number on the wire. */
  icmpSeq: number;
  /** When the outcome was known, ms since the UNIX epoch (`Date.now()` scale). */
  time: number;
}

/** A matching echo reply arrived in time. */
export interface ReplyEvent extends ProbeEventBase {
  /** Discriminant. */
  type: "reply";
  /** Round-trip time in ms. */
  rtt: number;
  /** Reply TTL or hop limit, `null` when the kernel did not report it. */
  ttl: number | null;
  /** ICMP bytes received (header and payload). */
  bytes: number;
  /** The address that replied. */
  from: string;
  /** Which clocks made the RTT (see {@linkcode RttClock}). */
  clock: RttClock;
}

/** Another copy of a reply that was already counted. */
export interface DuplicateEvent extends Omit<ReplyEvent, "type"> {
  /** Discriminant. */
  type: "duplicate";
}

/** No reply within `timeout`. */
export interface TimeoutEvent extends ProbeEventBase {
  /** Discriminant. */
  type: "timeout";
}

/** An ICMP error came back for the probe, or the local stack refused to send it. */
export interface ErrorEvent extends ProbeEventBase {
  /** Discriminant. */
  type: "error";
  /**
   * `"unreachable"` and `"time-exceeded"` are the ICMP errors that decide which error `ping()` throws; `"other"` is
   * any other ICMP error (packet too big, parameter problem) or a send failure.
   */
  kind: "unreachable" | "time-exceeded" | "other";
  /** ICMP type; for a local refusal, the type the router would have sent. `null` for other send failures. */
  icmpType: number | null;
  /** ICMP code, as for `icmpType`. */
  code: number | null;
  /** The router that reported it; `null` when the local stack refused the send. */
  from: string | null;
  /** Human text: the RFC description, or the system error for a failed send. */
  message: string;
}

/** What `onProbe` receives. */
export type ProbeEvent = ReplyEvent | DuplicateEvent | TimeoutEvent | ErrorEvent;

/** The part of a reply the engine measures; the run adds the rest. */
export type ReplyDetails = Pick<ReplyEvent, "rtt" | "clock" | "ttl" | "bytes">;

/** The part of an error the engine decodes; the run adds the rest. */
export type ErrorDetails = Pick<ErrorEvent, "kind" | "icmpType" | "code" | "from" | "message">;
