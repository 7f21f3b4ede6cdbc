/**
 * Packet matching: which outstanding probe, if any, a received packet or error-queue entry is about. Pure functions
 * of the bytes and a probe lookup, so tests reach them with fabricated packets and no socket.
 *
 * A reply counts only when it comes from the probed address, carries a known identifier and sequence, and holds
 * exactly the payload that was sent (which begins with a per-probe random token). An ICMP error counts only when it
 * quotes one of our probes to its destination and, when the quote is long enough to carry payload, that payload.
 *
 * @module
 */
import { SO_EE_ORIGIN_ICMP, SO_EE_ORIGIN_ICMP6, SO_EE_ORIGIN_LOCAL } from "../ffi/constants.ts";
import {
  decodeIcmp,
  decodeIpv4Packet,
  describeIcmpError,
  formatAddress,
  ICMP4,
  ICMP6,
  type IcmpMessage,
  sameAddress,
} from "../icmp/mod.ts";
import type { ErrorDetails } from "./events.ts";
import { payloadMatches, payloadMatchesAt, prefixMatches } from "./payload.ts";
import { finishChecksum, sumWords } from "../icmp/checksum.ts";

/** What the matcher needs to know of an outstanding probe. */
export interface MatchableProbe {
  /** The probed address bytes (4 or 16). */
  readonly destination: Uint8Array;
  /** The random token the payload starts with (see payload.ts), from {@linkcode MatchableProbe.tokenAt}. */
  readonly token: Uint8Array;
  /** Where in `token` the probe's token starts; 0 when absent (a token of its own). */
  readonly tokenAt?: number;
  /** Payload bytes sent. */
  readonly size: number;
}

/** Finds the outstanding probe with an echo identifier and sequence, if any. */
export type ProbeLookup<P> = (id: number, seq: number) => P | undefined;

/** What a packet turned out to be. */
export type PacketMatch<P> =
  | { type: "reply"; probe: P; ttl: number | null; bytes: number }
  | { type: "corrupted"; probe: P }
  | { type: "error"; probe: P; error: ErrorDetails };

/** The reply case of {@linkcode PacketMatch}: an object of this shape may be handed to {@linkcode matchPacket} to refill. */
export type ReplyMatch<P> = Extract<PacketMatch<P>, { type: "reply" }>;

/** A received datagram as the socket handed it over. */
export interface ReceivedPacket {
  /** 4 or 6. */
  family: 4 | 6;
  /** Raw sockets see every ICMP message and deliver IPv4 headers; datagram sockets see their own replies only. */
  kind: "raw" | "datagram";
  /** The data (IPv4 header first on raw IPv4). */
  data: Uint8Array;
  /** The sender's address bytes from `msg_name` (ignored on raw IPv4, where the IP header says it). */
  from: Uint8Array;
  /** TTL or hop limit from ancillary data, -1 when absent. */
  ttl: number;
}

/**
 * Matches a packet from the normal receive queue. A reply comes back in `reuse` when it is given (the engine's hot
 * path: one object for every reply), else in a new object.
 */
export function matchPacket<P extends MatchableProbe>(
  packet: ReceivedPacket,
  lookup: ProbeLookup<P>,
  reuse?: ReplyMatch<P>,
): PacketMatch<P> | null {
  const fast = matchReply(packet, lookup, reuse);
  if (fast !== undefined) return fast;
  const { family, kind } = packet;
  let message: IcmpMessage;
  let from = packet.from;
  let ttl = packet.ttl;
  let bytes: number;
  let icmp: Uint8Array;
  try {
    if (family === 4 && kind === "raw") {
      const decoded = decodeIpv4Packet(packet.data);
      message = decoded.icmp;
      from = decoded.ip.source;
      if (ttl < 0) ttl = decoded.ip.ttl;
      icmp = packet.data.subarray(decoded.ip.headerLength);
      bytes = icmp.length;
    } else {
      icmp = packet.data;
      message = decodeIcmp(family, icmp);
      bytes = icmp.length;
    }
  } catch {
    // Too mangled to tell whose it is.
    return null;
  }
  const replyType = family === 4 ? ICMP4.ECHO_REPLY : ICMP6.ECHO_REPLY;
  if (message.kind === "echo-reply" && message.type === replyType) {
    const probe = lookup(message.id, message.seq);
    if (probe === undefined || !sameAddress(from, probe.destination)) return null;
    if (message.checksumValid === false || !payloadMatches(message.payload, probe.token, probe.size, probe.tokenAt)) {
      return { type: "corrupted", probe };
    }
    return replyMatch(reuse, probe, ttl < 0 ? null : ttl, bytes);
  }
  // Datagram sockets get errors through the error queue only (see matchQueuedError).
  if (message.kind !== "error" || message.quoted === null || kind !== "raw") return null;
  const quoted = message.quoted;
  const requestType = family === 4 ? ICMP4.ECHO_REQUEST : ICMP6.ECHO_REQUEST;
  if (quoted.type !== requestType) return null;
  const probe = lookup(quoted.id, quoted.seq);
  if (probe === undefined || !sameAddress(quoted.destination, probe.destination)) return null;
  if (!prefixMatches(quotedEchoPayload(family, icmp), probe.token, probe.size, probe.tokenAt)) return null;
  return { type: "error", probe, error: icmpError(family, message.type, message.code, formatAddress(from)) };
}

const IPV4_SOURCE = 12;

/**
 * The hot path, without allocating views or decoded objects: a well-formed echo reply, judged in place. Returns
 * `undefined` for anything else (errors, odd headers), which the general decoder then handles.
 */
function matchReply<P extends MatchableProbe>(
  packet: ReceivedPacket,
  lookup: ProbeLookup<P>,
  reuse: ReplyMatch<P> | undefined,
): PacketMatch<P> | null | undefined {
  const { family, data } = packet;
  let start = 0;
  let end = data.length;
  let ttl = packet.ttl;
  const raw4 = family === 4 && packet.kind === "raw";
  if (raw4) {
    if (end < 20 || data[0] >> 4 !== 4 || data[9] !== 1) return undefined;
    start = (data[0] & 0x0f) * 4;
    if (start < 20 || start > end) return undefined;
    const total = (data[2] << 8) | data[3];
    if (total >= start && total <= end) end = total;
    if (ttl < 0) ttl = data[8];
  }
  if (end - start < 8) return undefined;
  if (data[start] !== (family === 4 ? ICMP4.ECHO_REPLY : ICMP6.ECHO_REPLY)) return undefined;
  const probe = lookup((data[start + 4] << 8) | data[start + 5], (data[start + 6] << 8) | data[start + 7]);
  if (probe === undefined) return null;
  const destination = probe.destination;
  if (raw4) {
    if (destination.length !== 4) return null;
    for (let i = 0; i < 4; i++) if (data[IPV4_SOURCE + i] !== destination[i]) return null;
  } else if (!sameAddress(packet.from, destination)) {
    return null;
  }
  // ICMPv6 checksums are the kernel's to check (it drops bad ones before any socket sees them), and so are ICMPv4 ones
  // before a datagram socket sees a reply (icmp_rcv validates before ping_rcv); only raw IPv4 sockets get them as
  // they came, since raw delivery comes first.
  const checksumValid = family === 6 || !raw4 || finishChecksum(sumWords(data, start, end, 0)) === 0;
  if (!checksumValid || !payloadMatchesAt(data, start + 8, end, probe.token, probe.size, probe.tokenAt)) {
    return { type: "corrupted", probe };
  }
  return replyMatch(reuse, probe, ttl < 0 ? null : ttl, end - start);
}

function replyMatch<P>(reuse: ReplyMatch<P> | undefined, probe: P, ttl: number | null, bytes: number): ReplyMatch<P> {
  if (reuse === undefined) return { type: "reply", probe, ttl, bytes };
  reuse.probe = probe;
  reuse.ttl = ttl;
  reuse.bytes = bytes;
  return reuse;
}

/** An error-queue entry (IP_RECVERR / IPV6_RECVERR) as the socket handed it over. */
export interface QueuedError {
  /** 4 or 6. */
  family: 4 | 6;
  /** The quoted echo request (the kernel's copy of what the router quoted, identifier as sent). */
  data: Uint8Array;
  /** The original destination's address bytes (`msg_name` of an error-queue entry). */
  destination: Uint8Array;
  /** `ee_origin`. */
  origin: number;
  /** `ee_errno`. */
  errno: number;
  /** `ee_type`. */
  type: number;
  /** `ee_code`. */
  code: number;
  /** The reporting router's address text, `null` when absent. */
  offender: string | null;
}

/** Matches an ICMP error (origin ICMP / ICMP6) or a local refusal (origin LOCAL) from the error queue. */
export function matchQueuedError<P extends MatchableProbe>(
  entry: QueuedError,
  lookup: ProbeLookup<P>,
  describeErrno: (errno: number) => string = (errno) => `errno ${errno}`,
): PacketMatch<P> | null {
  let message: IcmpMessage;
  try {
    message = decodeIcmp(entry.family, entry.data);
  } catch {
    return null;
  }
  if (message.kind !== "echo-request") return null;
  const probe = lookup(message.id, message.seq);
  if (probe === undefined || !sameAddress(entry.destination, probe.destination)) return null;
  if (!prefixMatches(message.payload, probe.token, probe.size, probe.tokenAt)) return null;
  if (entry.origin === SO_EE_ORIGIN_ICMP || entry.origin === SO_EE_ORIGIN_ICMP6) {
    return { type: "error", probe, error: icmpError(entry.family, entry.type, entry.code, entry.offender) };
  }
  if (entry.origin === SO_EE_ORIGIN_LOCAL) {
    return { type: "error", probe, error: localRefusal(entry.family, entry.errno, describeErrno(entry.errno)) };
  }
  return null;
}

/** The payload bytes quoted after the inner echo header of an ICMP error message (starting at its ICMP type). */
export function quotedEchoPayload(family: 4 | 6, error: Uint8Array): Uint8Array {
  const ERROR_HEADER = 8;
  const ECHO_HEADER = 8;
  if (family === 4) {
    if (error.length < ERROR_HEADER + 20) return error.subarray(0, 0);
    const ihl = (error[ERROR_HEADER] & 0x0f) * 4;
    return error.subarray(Math.min(error.length, ERROR_HEADER + ihl + ECHO_HEADER));
  }
  const IPV6_HEADER = 40;
  const NEXT_HEADER = 6;
  // Our probes carry no extension headers; a quote with any is matched on identifier and sequence alone.
  if (error.length < ERROR_HEADER + IPV6_HEADER || error[ERROR_HEADER + NEXT_HEADER] !== 58) {
    return error.subarray(0, 0);
  }
  return error.subarray(Math.min(error.length, ERROR_HEADER + IPV6_HEADER + ECHO_HEADER));
}

/** The details of an ICMP error of `type` and `code` reported by `from`. */
export function icmpError(family: 4 | 6, type: number, code: number, from: string | null): ErrorDetails {
  const unreachable = family === 4 ? ICMP4.DEST_UNREACH : ICMP6.DEST_UNREACH;
  const exceeded = family === 4 ? ICMP4.TIME_EXCEEDED : ICMP6.TIME_EXCEEDED;
  return {
    kind: type === unreachable ? "unreachable" : type === exceeded ? "time-exceeded" : "other",
    icmpType: type,
    code,
    from,
    message: describeIcmpError(family, type, code),
  };
}

/** The ICMP code a router would have sent for a route that refuses locally with an errno. */
const LOCAL_CODES: Record<number, { 4: number; 6: number }> = {
  113: { 4: 1, 6: 3 }, // EHOSTUNREACH
  101: { 4: 0, 6: 0 }, // ENETUNREACH
  13: { 4: 13, 6: 1 }, // EACCES
  1: { 4: 13, 6: 1 }, // EPERM
};

/** The details of a send the local stack refused with `errno` (`text` is the system's wording of it). */
export function localRefusal(family: 4 | 6, errno: number, text: string): ErrorDetails {
  const codes = LOCAL_CODES[errno];
  if (codes === undefined) {
    return { kind: "other", icmpType: null, code: null, from: null, message: `send failed: ${text}` };
  }
  const type = family === 4 ? ICMP4.DEST_UNREACH : ICMP6.DEST_UNREACH;
  const code = codes[family];
  return { kind: "unreachable", icmpType: type, code, from: null, message: describeIcmpError(family, type, code) };
}
