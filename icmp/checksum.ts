/**
 * The RFC 1071 internet checksum used by ICMPv4 and, with the RFC 8200 pseudo-header, by ICMPv6.
 *
 * @module
 */

import { ADDRESS_LENGTH, IPPROTO_ICMPV6 } from "./constants.ts";

const UINT16_MASK = 0xffff;
const UINT16_RANGE = 0x10000;

/**
 * Adds the big-endian 16-bit words of `data[start..end)` to `sum`, treating a trailing odd byte as the high half
 * of a word padded with zero. The sum is not folded: a double holds it exactly far beyond any IP packet size, so
 * folding once at the end is enough and keeps the loop tight.
 *
 * Takes a range instead of a subarray so that callers on the send path allocate nothing.
 */
export function sumWords(
  data: Uint8Array,
  start: number,
  end: number,
  initial: number,
): number {
  let sum = initial;
  const evenEnd = end - ((end - start) & 1);
  let i = start;
  for (; i < evenEnd; i += 2) sum += (data[i] << 8) | data[i + 1];
  if (i < end) sum += data[i] << 8;
  return sum;
}

/**
 * Folds carries of an unfolded sum back into 16 bits and returns its one's complement, the value to store in a
 * checksum field.
 */
export function finishChecksum(sum: number): number {
  // Division instead of `>>> 16` because an unfolded sum may exceed 32 bits when `initial` is large.
  while (sum > UINT16_MASK) {
    sum = (sum % UINT16_RANGE) + Math.floor(sum / UINT16_RANGE);
  }
  return ~sum & UINT16_MASK;
}

/**
 * RFC 1071 internet checksum of `data` (odd length padded with a zero byte), as the 16-bit value to store
 * big-endian. Optional `initial` is a partial 32-bit sum to continue from (for pseudo-headers).
 *
 * Computed over a message whose checksum field is already filled in, the result is 0 when the message is intact.
 *
 * @param data The bytes to sum; a subarray is summed from its own `byteOffset`.
 * @param initial A non-negative integer partial sum, typically of a pseudo-header; defaults to 0.
 * @returns The checksum, 0..65535.
 * @throws {RangeError} If `initial` is not a non-negative safe integer.
 *
 * @example Checksum of an ICMPv4 echo request header
 * ```ts
 * import { internetChecksum } from "./checksum.ts";
 * import { equal } from "node:assert/strict";
 *
 * const header = new Uint8Array([8, 0, 0, 0, 0x12, 0x34, 0x00, 0x01]);
 * equal(internetChecksum(header), 0xe5ca);
 * header[2] = 0xe5;
 * header[3] = 0xca;
 * equal(internetChecksum(header), 0);
 * ```
 */
export function internetChecksum(data: Uint8Array, initial = 0): number {
  if (!Number.isSafeInteger(initial) || initial < 0) {
    throw new RangeError(
      `Cannot compute checksum: initial must be a non-negative integer, got ${initial}`,
    );
  }
  return finishChecksum(sumWords(data, 0, data.length, initial));
}

/**
 * Unfolded sum of the RFC 8200 pseudo-header for an upper-layer packet of `length` bytes carrying ICMPv6.
 */
export function icmpv6PseudoHeaderSum(
  source: Uint8Array,
  destination: Uint8Array,
  length: number,
): number {
  let sum = sumWords(source, 0, source.length, 0);
  sum = sumWords(destination, 0, destination.length, sum);
  // The 32-bit upper-layer length as two words, then three zero bytes and the next-header byte.
  sum += Math.floor(length / UINT16_RANGE) + (length % UINT16_RANGE);
  return sum + IPPROTO_ICMPV6;
}

/**
 * ICMPv6 checksum including the RFC 8200 pseudo-header (source, destination, upper-layer length, next header 58).
 *
 * @param source The 16-byte source address of the IPv6 packet.
 * @param destination The 16-byte destination address of the IPv6 packet.
 * @param icmp The whole ICMPv6 message; its checksum field is summed as it is, so a filled-in intact message
 * gives 0.
 * @returns The checksum, 0..65535.
 * @throws {TypeError} If an address is not 16 bytes long.
 *
 * @example Verify a message against its addresses
 * ```ts
 * import { icmpv6Checksum } from "./checksum.ts";
 * import { equal } from "node:assert/strict";
 *
 * const loopback = new Uint8Array(16);
 * loopback[15] = 1;
 * const message = new Uint8Array([128, 0, 0, 0, 0, 1, 0, 1]);
 * const checksum = icmpv6Checksum(loopback, loopback, message);
 * message[2] = checksum >> 8;
 * message[3] = checksum & 0xff;
 * equal(icmpv6Checksum(loopback, loopback, message), 0);
 * ```
 */
export function icmpv6Checksum(
  source: Uint8Array,
  destination: Uint8Array,
  icmp: Uint8Array,
): number {
  checkIpv6Address("source", source);
  checkIpv6Address("destination", destination);
  const pseudo = icmpv6PseudoHeaderSum(source, destination, icmp.length);
  return finishChecksum(sumWords(icmp, 0, icmp.length, pseudo));
}

function checkIpv6Address(name: string, address: Uint8Array): void {
  if (address.length !== ADDRESS_LENGTH[6]) {
    throw new TypeError(
      `Cannot compute ICMPv6 checksum: ${name} must be a 16-byte IPv6 address, got ${address.length} bytes`,
    );
  }
}
