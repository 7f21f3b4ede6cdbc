/**
 * Decoding of received ICMP messages and the IPv4 header a raw socket puts in front of them. Every decoder only
 * ever throws {@linkcode IcmpDecodeError} for bad bytes, so the engine can drop a malformed packet with one catch.
 *
 * @module
 */

import { finishChecksum, icmpv6PseudoHeaderSum, sumWords } from "./checksum.ts";
import {
  ADDRESS_LENGTH,
  ECHO_HEADER_LENGTH,
  ICMP4,
  ICMP6,
  IPPROTO_ICMP,
  IPPROTO_ICMPV6,
  IPV4_MIN_HEADER_LENGTH,
  IPV6_HEADER_LENGTH,
} from "./constants.ts";

const IPV4_VERSION = 4;
const IPV6_VERSION = 6;
const IPV4_MIN_IHL = 5;
const IHL_UNIT = 4;
const IPV4_SOURCE_OFFSET = 12;
const IPV4_DESTINATION_OFFSET = 16;
const IPV4_TTL_OFFSET = 8;
const IPV4_PROTOCOL_OFFSET = 9;
const IPV4_TOTAL_LENGTH_OFFSET = 2;
const IPV6_NEXT_HEADER_OFFSET = 6;
const IPV6_SOURCE_OFFSET = 8;
const IPV6_DESTINATION_OFFSET = 24;
const ICMP4_FRAGMENTATION_NEEDED = 4;

/** IPv6 extension headers that may sit between a quoted IPv6 header and its ICMPv6 message (RFC 8200 §4). */
const IPV6_HOP_BY_HOP = 0;
const IPV6_ROUTING = 43;
const IPV6_FRAGMENT = 44;
const IPV6_DESTINATION_OPTIONS = 60;
const IPV6_FRAGMENT_HEADER_LENGTH = 8;
const IPV6_EXTENSION_LENGTH_UNIT = 8;
const IPV6_FRAGMENT_OFFSET_MASK = 0xfff8;

/**
 * Thrown by the decoders, and only by them, when the bytes are not a well-formed packet of the expected kind
 * (too short, wrong IP version, header length out of range, not ICMP).
 *
 * @example
 * ```ts
 * import { decodeIcmp, IcmpDecodeError } from "./decode.ts";
 * import { throws } from "node:assert/strict";
 *
 * throws(() => decodeIcmp(4, new Uint8Array(3)), IcmpDecodeError);
 * ```
 */
export class IcmpDecodeError extends Error {
  /** Builds the error; `message` says what was wrong with the bytes. */
  constructor(message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = "IcmpDecodeError";
  }
}

/** The fields of an IPv4 header that the engine needs. */
export interface Ipv4Header {
  /** Header length in bytes (IHL × 4), 20..60, options included. */
  headerLength: number;
  /** The total-length field as it was received. */
  totalLength: number;
  /** Type-of-service / DSCP+ECN byte. */
  tos: number;
  /** Time to live. */
  ttl: number;
  /** IP protocol number (1 for ICMP). */
  protocol: number;
  /** Source address: a 4-byte view into the decoded bytes. */
  source: Uint8Array;
  /** Destination address: a 4-byte view into the decoded bytes. */
  destination: Uint8Array;
}

/**
 * Decodes an IPv4 header that starts at `bytes[0]`, honouring IHL (5..15 words); options are skipped, not parsed.
 *
 * @param bytes The packet, or at least its header.
 * @returns The header fields; the addresses are views into `bytes`.
 * @throws {IcmpDecodeError} If the bytes are shorter than the header, the version is not 4 or IHL is below 5.
 *
 * @example
 * ```ts
 * import { decodeIpv4Header } from "./decode.ts";
 * import { deepEqual, equal } from "node:assert/strict";
 *
 * const packet = new Uint8Array([
 *   0x45, 0, 0, 28, 0, 0, 0, 0, 64, 1, 0, 0, 127, 0, 0, 1, 127, 0, 0, 2,
 *   0, 0, 0xff, 0xff, 0, 0, 0, 0,
 * ]);
 * const ip = decodeIpv4Header(packet);
 * equal(ip.headerLength, 20);
 * equal(ip.ttl, 64);
 * deepEqual(ip.destination, new Uint8Array([127, 0, 0, 2]));
 * ```
 */
export function decodeIpv4Header(bytes: Uint8Array): Ipv4Header {
  const headerLength = ipv4HeaderLength(bytes);
  if (headerLength < 0) throw new IcmpDecodeError(ipv4Problem(bytes));
  return {
    headerLength,
    totalLength: readUint16(bytes, IPV4_TOTAL_LENGTH_OFFSET),
    tos: bytes[1],
    ttl: bytes[IPV4_TTL_OFFSET],
    protocol: bytes[IPV4_PROTOCOL_OFFSET],
    source: bytes.subarray(IPV4_SOURCE_OFFSET, IPV4_DESTINATION_OFFSET),
    destination: bytes.subarray(
      IPV4_DESTINATION_OFFSET,
      IPV4_DESTINATION_OFFSET + ADDRESS_LENGTH[4],
    ),
  };
}

/**
 * The echo request quoted inside an ICMP error: addresses of the inner IP header (4 or 16 bytes, views), inner
 * ICMP type, id, seq.
 */
export interface QuotedProbe {
  /** Source address of the quoted IP header (our own address for one of our probes). */
  source: Uint8Array;
  /** Destination address of the quoted IP header (the probe's target). */
  destination: Uint8Array;
  /** Type of the quoted ICMP message (8 or 128 for an echo request). */
  type: number;
  /** Identifier of the quoted message. */
  id: number;
  /** Sequence number of the quoted message. */
  seq: number;
}

/** The kinds of ICMP error message the decoder distinguishes. */
export type IcmpErrorKind =
  | "unreachable"
  | "time-exceeded"
  | "packet-too-big"
  | "parameter-problem"
  | "source-quench"
  | "redirect";

/**
 * A decoded ICMP message: an echo, an error (with the quoted probe when it could be parsed), or anything else.
 * `checksumValid` is `null` when it could not be computed (ICMPv6 without the pseudo-header addresses).
 */
export type IcmpMessage =
  | {
    kind: "echo-reply" | "echo-request";
    type: number;
    code: number;
    checksumValid: boolean | null;
    id: number;
    seq: number;
    /** The echo data: a view into the decoded bytes. */
    payload: Uint8Array;
  }
  | {
    kind: "error";
    errorKind: IcmpErrorKind;
    type: number;
    code: number;
    checksumValid: boolean | null;
    /** Next-hop MTU of ICMPv4 "fragmentation needed" (0 from routers predating RFC 1191) or ICMPv6 Packet Too Big. */
    mtu: number | null;
    quoted: QuotedProbe | null;
  }
  | {
    kind: "other";
    type: number;
    code: number;
    checksumValid: boolean | null;
  };

/**
 * Decodes an ICMP message that starts at `bytes[0]` (no IP header in front).
 *
 * `checksumValid`: for family 4 computed over the message; for family 6 computed only when `pseudo` (source,
 * destination addresses of the outer IPv6 header) is given, else null. `quoted` is parsed for error messages: v4
 * inner IPv4 header honouring its IHL then ≥ 8 bytes of inner ICMP; v6 inner 40-byte IPv6 header (next header 58,
 * after skipping hop-by-hop, routing, destination-options and first-fragment headers) then ≥ 8 bytes of inner
 * ICMPv6; `quoted` is null when the quote is too short or not ICMP. `mtu`: v4 type 3 code 4 next-hop MTU (bytes
 * 6–7), v6 type 2 (bytes 4–7), else null.
 *
 * A v4 "fragmentation needed" (type 3 code 4) keeps `errorKind: "unreachable"`, as its type says, and carries the
 * MTU.
 *
 * @param family 4 for ICMPv4, 6 for ICMPv6.
 * @param bytes The ICMP message; views in the result point into it.
 * @param pseudo The outer IPv6 addresses, to verify an ICMPv6 checksum.
 * @returns The decoded message.
 * @throws {IcmpDecodeError} If the message is shorter than the 8-byte ICMP header.
 * @throws {TypeError} If `family` is neither 4 nor 6 or a `pseudo` address is not 16 bytes (caller bugs, not bad
 * input).
 *
 * @example Match a reply to its probe
 * ```ts
 * import { decodeIcmp } from "./decode.ts";
 * import { encodeEcho } from "./echo.ts";
 * import { equal } from "node:assert/strict";
 *
 * const message = decodeIcmp(4, encodeEcho(4, 42, 7, new Uint8Array(16), { reply: true }));
 * equal(message.kind, "echo-reply");
 * if (message.kind === "echo-reply") {
 *   equal(message.id, 42);
 *   equal(message.seq, 7);
 *   equal(message.checksumValid, true);
 * }
 * ```
 */
export function decodeIcmp(
  family: 4 | 6,
  bytes: Uint8Array,
  pseudo?: { source: Uint8Array; destination: Uint8Array },
): IcmpMessage {
  if (family !== 4 && family !== 6) {
    throw new TypeError(
      `Cannot decode ICMP: family must be 4 or 6, got ${family}`,
    );
  }
  if (pseudo !== undefined) {
    for (const name of ["source", "destination"] as const) {
      if (pseudo[name].length !== ADDRESS_LENGTH[6]) {
        throw new TypeError(
          `Cannot decode ICMP: pseudo.${name} must be a 16-byte IPv6 address, got ${pseudo[name].length} bytes`,
        );
      }
    }
  }
  if (bytes.length < ECHO_HEADER_LENGTH) {
    throw new IcmpDecodeError(
      `Cannot decode ICMP: message must be at least ${ECHO_HEADER_LENGTH} bytes, got ${bytes.length}`,
    );
  }
  const type = bytes[0];
  const code = bytes[1];
  const checksumValid = verifyChecksum(family, bytes, pseudo);
  return decodeByType(family, bytes, type, code, checksumValid);
}

/**
 * A raw IPv4 socket delivers the IPv4 header first: decode it (honour IHL, tolerate options), then the ICMP
 * message after it. The message ends at the header's total length when that lies within the bytes (dropping any
 * link-layer padding), else at the end of the bytes.
 *
 * @param bytes The datagram as read from the socket.
 * @returns The IPv4 header and the ICMP message.
 * @throws {IcmpDecodeError} If the header is malformed, the protocol is not ICMP or the message is truncated.
 *
 * @example
 * ```ts
 * import { decodeIpv4Packet } from "./decode.ts";
 * import { encodeEcho } from "./echo.ts";
 * import { equal } from "node:assert/strict";
 *
 * const header = [0x45, 0, 0, 28, 0, 0, 0, 0, 64, 1, 0, 0, 127, 0, 0, 1, 127, 0, 0, 1];
 * const packet = new Uint8Array([...header, ...encodeEcho(4, 1, 2, new Uint8Array(0), { reply: true })]);
 * const { ip, icmp } = decodeIpv4Packet(packet);
 * equal(ip.ttl, 64);
 * equal(icmp.kind, "echo-reply");
 * ```
 */
export function decodeIpv4Packet(
  bytes: Uint8Array,
): { ip: Ipv4Header; icmp: IcmpMessage } {
  const ip = decodeIpv4Header(bytes);
  if (ip.protocol !== IPPROTO_ICMP) {
    throw new IcmpDecodeError(
      `Cannot decode IPv4 packet: protocol must be ${IPPROTO_ICMP} (ICMP), got ${ip.protocol}`,
    );
  }
  const end = ip.totalLength >= ip.headerLength && ip.totalLength <= bytes.length ? ip.totalLength : bytes.length;
  return { ip, icmp: decodeIcmp(4, bytes.subarray(ip.headerLength, end)) };
}

/** Error types by family, with the kind the decoder reports. */
const ERROR_KINDS: Readonly<Record<4 | 6, Readonly<Record<number, IcmpErrorKind>>>> = {
  4: {
    [ICMP4.DEST_UNREACH]: "unreachable",
    [ICMP4.TIME_EXCEEDED]: "time-exceeded",
    [ICMP4.PARAM_PROBLEM]: "parameter-problem",
    [ICMP4.SOURCE_QUENCH]: "source-quench",
    [ICMP4.REDIRECT]: "redirect",
  },
  6: {
    [ICMP6.DEST_UNREACH]: "unreachable",
    [ICMP6.PACKET_TOO_BIG]: "packet-too-big",
    [ICMP6.TIME_EXCEEDED]: "time-exceeded",
    [ICMP6.PARAM_PROBLEM]: "parameter-problem",
  },
};

function decodeByType(
  family: 4 | 6,
  bytes: Uint8Array,
  type: number,
  code: number,
  checksumValid: boolean | null,
): IcmpMessage {
  const echoTypes = family === 4 ? ICMP4 : ICMP6;
  if (type === echoTypes.ECHO_REPLY || type === echoTypes.ECHO_REQUEST) {
    return {
      kind: type === echoTypes.ECHO_REPLY ? "echo-reply" : "echo-request",
      type,
      code,
      checksumValid,
      id: readUint16(bytes, 4),
      seq: readUint16(bytes, 6),
      payload: bytes.subarray(ECHO_HEADER_LENGTH),
    };
  }
  const errorKind = ERROR_KINDS[family][type];
  if (errorKind === undefined) return { kind: "other", type, code, checksumValid };
  let mtu: number | null = null;
  if (family === 4 && type === ICMP4.DEST_UNREACH && code === ICMP4_FRAGMENTATION_NEEDED) mtu = readUint16(bytes, 6);
  if (family === 6 && type === ICMP6.PACKET_TOO_BIG) mtu = readUint32(bytes, 4);
  const quote = bytes.subarray(ECHO_HEADER_LENGTH);
  const quoted = family === 4 ? quotedProbe4(quote) : quotedProbe6(quote);
  return { kind: "error", errorKind, type, code, checksumValid, mtu, quoted };
}

/** The probe inside an ICMPv4 error's quote (inner IPv4 header, then at least 8 bytes of ICMP), or null. */
function quotedProbe4(quote: Uint8Array): QuotedProbe | null {
  const headerLength = ipv4HeaderLength(quote);
  if (headerLength < 0) return null;
  if (quote[IPV4_PROTOCOL_OFFSET] !== IPPROTO_ICMP) return null;
  if (quote.length < headerLength + ECHO_HEADER_LENGTH) return null;
  return quotedAt(quote, IPV4_SOURCE_OFFSET, IPV4_DESTINATION_OFFSET, ADDRESS_LENGTH[4], headerLength);
}

/** The quoted probe: the inner header's addresses at the given offsets, the inner ICMP header at `icmp`. */
function quotedAt(quote: Uint8Array, source: number, destination: number, length: number, icmp: number): QuotedProbe {
  return {
    source: quote.subarray(source, source + length),
    destination: quote.subarray(destination, destination + length),
    type: quote[icmp],
    id: readUint16(quote, icmp + 4),
    seq: readUint16(quote, icmp + 6),
  };
}

/** The probe inside an ICMPv6 error's quote (inner IPv6 header, extension headers, ICMPv6), or null. */
function quotedProbe6(quote: Uint8Array): QuotedProbe | null {
  if (quote.length < IPV6_HEADER_LENGTH) return null;
  if (quote[0] >> 4 !== IPV6_VERSION) return null;
  let next = quote[IPV6_NEXT_HEADER_OFFSET];
  let offset = IPV6_HEADER_LENGTH;
  // Each pass consumes at least 8 bytes, so the loop ends within the quote length.
  while (next !== IPPROTO_ICMPV6) {
    if (offset + 2 > quote.length) return null;
    if (
      next === IPV6_HOP_BY_HOP || next === IPV6_ROUTING ||
      next === IPV6_DESTINATION_OPTIONS
    ) {
      next = quote[offset];
      offset += (quote[offset + 1] + 1) * IPV6_EXTENSION_LENGTH_UNIT;
    } else if (next === IPV6_FRAGMENT) {
      if (offset + IPV6_FRAGMENT_HEADER_LENGTH > quote.length) return null;
      // Only a first fragment carries the ICMPv6 header.
      if ((readUint16(quote, offset + 2) & IPV6_FRAGMENT_OFFSET_MASK) !== 0) {
        return null;
      }
      next = quote[offset];
      offset += IPV6_FRAGMENT_HEADER_LENGTH;
    } else {
      return null;
    }
  }
  if (quote.length < offset + ECHO_HEADER_LENGTH) return null;
  return quotedAt(quote, IPV6_SOURCE_OFFSET, IPV6_DESTINATION_OFFSET, ADDRESS_LENGTH[6], offset);
}

function verifyChecksum(
  family: 4 | 6,
  bytes: Uint8Array,
  pseudo: { source: Uint8Array; destination: Uint8Array } | undefined,
): boolean | null {
  if (family === 4) {
    return finishChecksum(sumWords(bytes, 0, bytes.length, 0)) === 0;
  }
  if (pseudo === undefined) return null;
  const initial = icmpv6PseudoHeaderSum(
    pseudo.source,
    pseudo.destination,
    bytes.length,
  );
  return finishChecksum(sumWords(bytes, 0, bytes.length, initial)) === 0;
}

/** Header length in bytes of the IPv4 header at the start of `bytes`, or -1 when there is no valid one. */
function ipv4HeaderLength(bytes: Uint8Array): number {
  if (bytes.length < IPV4_MIN_HEADER_LENGTH) return -1;
  if (bytes[0] >> 4 !== IPV4_VERSION) return -1;
  const headerLength = (bytes[0] & 0x0f) * IHL_UNIT;
  if (headerLength < IPV4_MIN_IHL * IHL_UNIT || headerLength > bytes.length) {
    return -1;
  }
  return headerLength;
}

/** Explains why {@linkcode ipv4HeaderLength} rejected `bytes`; only called on the error path. */
function ipv4Problem(bytes: Uint8Array): string {
  const prefix = "Cannot decode IPv4 header";
  if (bytes.length < IPV4_MIN_HEADER_LENGTH) {
    return `${prefix}: need at least ${IPV4_MIN_HEADER_LENGTH} bytes, got ${bytes.length}`;
  }
  const version = bytes[0] >> 4;
  if (version !== IPV4_VERSION) {
    return `${prefix}: version must be ${IPV4_VERSION}, got ${version}`;
  }
  const ihl = bytes[0] & 0x0f;
  if (ihl < IPV4_MIN_IHL) {
    return `${prefix}: IHL must be at least ${IPV4_MIN_IHL}, got ${ihl}`;
  }
  return `${prefix}: IHL ${ihl} means ${ihl * IHL_UNIT} header bytes, got only ${bytes.length}`;
}

function readUint16(bytes: Uint8Array, offset: number): number {
  return (bytes[offset] << 8) | bytes[offset + 1];
}

function readUint32(bytes: Uint8Array, offset: number): number {
  // Multiplication instead of `<< 24`, which would turn values of 2^31 and above negative.
  return bytes[offset] * 0x1000000 +
    ((bytes[offset + 1] << 16) | (bytes[offset + 2] << 8) | bytes[offset + 3]);
}
