/**
 * Numeric constants of the ICMP wire formats (RFC 792, RFC 4443) used by the codec and the engine.
 *
 * @module
 */

/**
 * ICMPv4 message types the codec understands (RFC 792).
 *
 * @example
 * ```ts
 * import { ICMP4 } from "./constants.ts";
 * import { equal } from "node:assert/strict";
 *
 * equal(ICMP4.ECHO_REQUEST, 8);
 * ```
 */
export const ICMP4 = {
  ECHO_REPLY: 0,
  DEST_UNREACH: 3,
  SOURCE_QUENCH: 4,
  REDIRECT: 5,
  ECHO_REQUEST: 8,
  TIME_EXCEEDED: 11,
  PARAM_PROBLEM: 12,
} as const;

/**
 * ICMPv6 message types the codec understands (RFC 4443).
 *
 * @example
 * ```ts
 * import { ICMP6 } from "./constants.ts";
 * import { equal } from "node:assert/strict";
 *
 * equal(ICMP6.ECHO_REQUEST, 128);
 * ```
 */
export const ICMP6 = {
  DEST_UNREACH: 1,
  PACKET_TOO_BIG: 2,
  TIME_EXCEEDED: 3,
  PARAM_PROBLEM: 4,
  ECHO_REQUEST: 128,
  ECHO_REPLY: 129,
} as const;

/**
 * Length in bytes of an echo header (type, code, checksum, identifier, sequence); every ICMP message is at least
 * this long, because error messages share the same 8-byte prefix.
 *
 * @example
 * ```ts
 * import { ECHO_HEADER_LENGTH } from "./constants.ts";
 * import { equal } from "node:assert/strict";
 *
 * equal(ECHO_HEADER_LENGTH, 8);
 * ```
 */
export const ECHO_HEADER_LENGTH = 8;

/**
 * Length in bytes of an IPv4 header without options (IHL 5).
 *
 * @example
 * ```ts
 * import { IPV4_MIN_HEADER_LENGTH } from "./constants.ts";
 * import { equal } from "node:assert/strict";
 *
 * equal(IPV4_MIN_HEADER_LENGTH, 20);
 * ```
 */
export const IPV4_MIN_HEADER_LENGTH = 20;

/**
 * Length in bytes of the fixed IPv6 header (RFC 8200).
 *
 * @example
 * ```ts
 * import { IPV6_HEADER_LENGTH } from "./constants.ts";
 * import { equal } from "node:assert/strict";
 *
 * equal(IPV6_HEADER_LENGTH, 40);
 * ```
 */
export const IPV6_HEADER_LENGTH = 40;

/**
 * Largest echo payload per address family: for IPv4 the 16-bit total length (65535) minus a 20-byte IPv4 header
 * and the 8-byte ICMP header; for IPv6 the 16-bit payload length (65535, which excludes the IPv6 header) minus the
 * 8-byte ICMPv6 header.
 *
 * @example
 * ```ts
 * import { MAX_PAYLOAD } from "./constants.ts";
 * import { equal } from "node:assert/strict";
 *
 * equal(MAX_PAYLOAD[4], 65507);
 * equal(MAX_PAYLOAD[6], 65527);
 * ```
 */
export const MAX_PAYLOAD = { 4: 65507, 6: 65527 } as const;

/** IP protocol number of ICMP (IPv4 header `protocol` field). */
export const IPPROTO_ICMP = 1;

/** IPv6 next-header value of ICMPv6. */
export const IPPROTO_ICMPV6 = 58;

/** Length in bytes of an IPv4 or IPv6 address. */
export const ADDRESS_LENGTH = { 4: 4, 6: 16 } as const;

/** Largest value of a 16-bit header field such as the echo identifier or sequence number. */
export const MAX_UINT16 = 0xffff;
