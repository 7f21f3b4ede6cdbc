/**
 * Conversion between IP address bytes and their text forms: dotted quad for IPv4, RFC 5952 canonical text for
 * IPv6.
 *
 * @module
 */

import { ADDRESS_LENGTH } from "./constants.ts";

const IPV6_GROUPS = 8;
const IPV4_PARTS = 4;
const MAX_OCTET = 255;
const HEX_RADIX = 16;
/** Bytes 10–11 of an IPv4-mapped IPv6 address (RFC 4291 §2.5.5.2). */
const MAPPED_MARKER = 0xffff;
const MAPPED_MARKER_OFFSET = 10;
const MAPPED_IPV4_OFFSET = 12;
const DECIMAL_OCTET = /^(?:0|[1-9][0-9]{0,2})$/;
const HEX_GROUP = /^[0-9a-fA-F]{1,4}$/;

/**
 * Formats 4 bytes as dotted quad, 16 bytes as RFC 5952 IPv6 text (lower case, longest run of ≥2 zero groups as
 * ::, first on ties; IPv4-mapped ::ffff:a.b.c.d). Throws TypeError for other lengths.
 *
 * @param bytes The address in network order.
 * @returns The canonical text.
 * @throws {TypeError} If `bytes` is neither 4 nor 16 bytes long.
 *
 * @example
 * ```ts
 * import { formatAddress } from "./address.ts";
 * import { equal } from "node:assert/strict";
 *
 * equal(formatAddress(new Uint8Array([192, 0, 2, 1])), "192.0.2.1");
 * const v6 = new Uint8Array(16);
 * v6[0] = 0x20;
 * v6[1] = 0x01;
 * v6[2] = 0x0d;
 * v6[3] = 0xb8;
 * v6[15] = 1;
 * equal(formatAddress(v6), "2001:db8::1");
 * ```
 */
export function formatAddress(bytes: Uint8Array): string {
  if (bytes.length === ADDRESS_LENGTH[4]) return formatIpv4(bytes, 0);
  if (bytes.length !== ADDRESS_LENGTH[6]) {
    throw new TypeError(
      `Cannot format address: expected 4 or 16 bytes, got ${bytes.length}`,
    );
  }
  if (isIpv4Mapped(bytes)) {
    return `::ffff:${formatIpv4(bytes, MAPPED_IPV4_OFFSET)}`;
  }
  const groups: number[] = [];
  for (let i = 0; i < IPV6_GROUPS; i++) {
    groups.push((bytes[2 * i] << 8) | bytes[2 * i + 1]);
  }
  // RFC 5952 §4.2: compress the longest run of zero groups (the first one on a tie), never a lone zero group.
  let bestStart = -1;
  let bestLength = 1;
  for (let i = 0; i < IPV6_GROUPS;) {
    if (groups[i] !== 0) {
      i++;
      continue;
    }
    let end = i;
    while (end < IPV6_GROUPS && groups[end] === 0) end++;
    if (end - i > bestLength) {
      bestStart = i;
      bestLength = end - i;
    }
    i = end;
  }
  const hex = (group: number) => group.toString(HEX_RADIX);
  if (bestStart < 0) return groups.map(hex).join(":");
  const head = groups.slice(0, bestStart).map(hex).join(":");
  const tail = groups.slice(bestStart + bestLength).map(hex).join(":");
  return `${head}::${tail}`;
}

/**
 * Parses an IPv4 dotted quad (exactly 4 decimal parts 0–255, no leading-zero octal tricks) or IPv6 text (with ::,
 * embedded IPv4 tail, optional %zone which is dropped) into 4 or 16 bytes; null when it is not a literal address.
 *
 * @param text The candidate address, without brackets or surrounding spaces.
 * @returns A new array of 4 or 16 bytes, or null.
 *
 * @example
 * ```ts
 * import { parseAddress } from "./address.ts";
 * import { deepEqual, equal } from "node:assert/strict";
 *
 * deepEqual(parseAddress("10.0.0.1"), new Uint8Array([10, 0, 0, 1]));
 * equal(parseAddress("fe80::1%eth0")?.length, 16);
 * equal(parseAddress("010.0.0.1"), null);
 * equal(parseAddress("example.com"), null);
 * ```
 */
export function parseAddress(text: string): Uint8Array | null {
  if (typeof text !== "string") return null;
  if (text.includes(":")) return parseIpv6(text);
  const out = new Uint8Array(ADDRESS_LENGTH[4]);
  return parseIpv4Into(text, out, 0) ? out : null;
}

/**
 * Byte-wise equality of two addresses.
 *
 * An IPv4 address and its IPv4-mapped IPv6 form are different byte strings and so not the same here.
 *
 * @param a One address.
 * @param b The other address.
 * @returns Whether both have the same length and bytes.
 *
 * @example
 * ```ts
 * import { sameAddress } from "./address.ts";
 * import { equal } from "node:assert/strict";
 *
 * equal(sameAddress(new Uint8Array([127, 0, 0, 1]), new Uint8Array([127, 0, 0, 1])), true);
 * equal(sameAddress(new Uint8Array([127, 0, 0, 1]), new Uint8Array(16)), false);
 * ```
 */
export function sameAddress(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) {
    if (a[i] !== b[i]) return false;
  }
  return true;
}

function formatIpv4(bytes: Uint8Array, offset: number): string {
  return `${bytes[offset]}.${bytes[offset + 1]}.${bytes[offset + 2]}.${bytes[offset + 3]}`;
}

function isIpv4Mapped(bytes: Uint8Array): boolean {
  for (let i = 0; i < MAPPED_MARKER_OFFSET; i++) {
    if (bytes[i] !== 0) return false;
  }
  return ((bytes[MAPPED_MARKER_OFFSET] << 8) |
    bytes[MAPPED_MARKER_OFFSET + 1]) === MAPPED_MARKER;
}

/** Writes the dotted quad `text` into `out` at `offset`; false (with `out` partly written) when it is not one. */
function parseIpv4Into(text: string, out: Uint8Array, offset: number): boolean {
  const parts = text.split(".");
  if (parts.length !== IPV4_PARTS) return false;
  for (let i = 0; i < IPV4_PARTS; i++) {
    if (!DECIMAL_OCTET.test(parts[i])) return false;
    const value = Number(parts[i]);
    if (value > MAX_OCTET) return false;
    out[offset + i] = value;
  }
  return true;
}

function parseIpv6(text: string): Uint8Array | null {
  const percent = text.indexOf("%");
  if (percent >= 0) {
    // An empty zone is as malformed as an empty address.
    if (percent === text.length - 1) return null;
    text = text.slice(0, percent);
  }
  const out = new Uint8Array(ADDRESS_LENGTH[6]);
  const gap = text.indexOf("::");
  if (gap < 0) {
    const groups = parseGroups(text, true);
    if (groups === null || groups.length !== IPV6_GROUPS) return null;
    writeGroups(out, 0, groups);
    return out;
  }
  // A second "::" (or ":::") makes the position of the zeros ambiguous.
  if (
    text.indexOf(":", gap + 2) === gap + 2 || text.indexOf("::", gap + 1) >= 0
  ) {
    return null;
  }
  const head = gap === 0 ? [] : parseGroups(text.slice(0, gap), false);
  const tailText = text.slice(gap + 2);
  const tail = tailText === "" ? [] : parseGroups(tailText, true);
  if (head === null || tail === null) return null;
  // "::" stands for at least one zero group.
  if (head.length + tail.length >= IPV6_GROUPS) return null;
  writeGroups(out, 0, head);
  writeGroups(out, IPV6_GROUPS - tail.length, tail);
  return out;
}

/**
 * Parses colon-separated hex groups; with `allowIpv4Tail`, a last part in dotted-quad form counts as two groups.
 * Null when any part is empty or malformed.
 */
function parseGroups(text: string, allowIpv4Tail: boolean): number[] | null {
  const parts = text.split(":");
  const groups: number[] = [];
  for (let i = 0; i < parts.length; i++) {
    const part = parts[i];
    if (allowIpv4Tail && i === parts.length - 1 && part.includes(".")) {
      const quad = new Uint8Array(ADDRESS_LENGTH[4]);
      if (!parseIpv4Into(part, quad, 0)) return null;
      groups.push((quad[0] << 8) | quad[1], (quad[2] << 8) | quad[3]);
    } else if (HEX_GROUP.test(part)) {
      groups.push(parseInt(part, HEX_RADIX));
    } else {
      return null;
    }
  }
  return groups;
}

function writeGroups(out: Uint8Array, startGroup: number, groups: number[]) {
  for (let i = 0; i < groups.length; i++) {
    out[2 * (startGroup + i)] = groups[i] >> 8;
    out[2 * (startGroup + i) + 1] = groups[i] & 0xff;
  }
}
