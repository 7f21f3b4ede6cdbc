/**
 * Where fping mode's targets come from: the command line, a file or standard input (one target a line, `#` starts a
 * comment), or `-g` (a CIDR block or a START END range, IPv4 or IPv6). Every source is an async iterable, so a
 * million targets stream through without being held in memory.
 *
 * @module
 */
import { UsageError } from "./argv.ts";

/** Most addresses `-g` expands to: a /12 of IPv4, a /108 of IPv6. */
export const GENERATE_LIMIT = 2 ** 20;

/** A parsed `-g` request. */
export interface AddressRange {
  /** 4 or 6. */
  family: 4 | 6;
  /** First address, as a number. */
  first: bigint;
  /** How many addresses. */
  count: bigint;
}

const IPV4 = /^(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})$/;
const HEXTET = /^[0-9a-fA-F]{1,4}$/;
const IPV4_BITS = 32;
const IPV6_BITS = 128;
const BYTE = 255;

/** Parses a dotted-quad IPv4 address to its 32-bit value, `null` if it is not one. */
export function parseIpv4(text: string): bigint | null {
  const match = IPV4.exec(text);
  if (match === null) return null;
  let value = 0n;
  for (const part of match.slice(1)) {
    const octet = Number(part);
    if (octet > BYTE || (part.length > 1 && part.startsWith("0"))) return null;
    value = (value << 8n) | BigInt(octet);
  }
  return value;
}

/** Parses an IPv6 address (with `::` and an embedded IPv4 tail) to its 128-bit value, `null` if it is not one. */
export function parseIpv6(text: string): bigint | null {
  const halves = text.split("::");
  if (halves.length > 2) return null;
  const head = hextets(halves[0]);
  const tail = halves.length === 2 ? hextets(halves[1]) : [];
  if (head === null || tail === null) return null;
  const missing = 8 - head.length - tail.length;
  if (halves.length === 2 ? missing < 1 : missing !== 0) return null;
  let value = 0n;
  for (const group of [...head, ...new Array<number>(Math.max(missing, 0)).fill(0), ...tail]) {
    value = (value << 16n) | BigInt(group);
  }
  return value;
}

function hextets(text: string): number[] | null {
  if (text === "") return [];
  const parts = text.split(":");
  const groups: number[] = [];
  for (const [i, part] of parts.entries()) {
    if (i === parts.length - 1 && part.includes(".")) {
      const v4 = parseIpv4(part);
      if (v4 === null) return null;
      groups.push(Number(v4 >> 16n), Number(v4 & 0xffffn));
    } else if (HEXTET.test(part)) {
      groups.push(parseInt(part, 16));
    } else {
      return null;
    }
  }
  return groups;
}

/** Formats a 32-bit value as a dotted quad. */
export function formatIpv4(value: bigint): string {
  return [24n, 16n, 8n, 0n].map((shift) => String((value >> shift) & 0xffn)).join(".");
}

/** Formats a 128-bit value in RFC 5952's canonical form (lower case, the longest run of ≥ 2 zero groups as `::`). */
export function formatIpv6(value: bigint): string {
  const groups: number[] = [];
  for (let shift = 112n; shift >= 0n; shift -= 16n) groups.push(Number((value >> shift) & 0xffffn));
  let best = { at: -1, length: 1 };
  for (let at = 0; at < 8;) {
    let end = at;
    while (end < 8 && groups[end] === 0) end++;
    if (end - at > best.length) best = { at, length: end - at };
    at = end === at ? at + 1 : end;
  }
  const hex = groups.map((group) => group.toString(16));
  if (best.at < 0) return hex.join(":");
  return `${hex.slice(0, best.at).join(":")}::${hex.slice(best.at + best.length).join(":")}`;
}

function parseAddress(text: string): { family: 4 | 6; value: bigint } | null {
  const v4 = parseIpv4(text);
  if (v4 !== null) return { family: 4, value: v4 };
  const v6 = parseIpv6(text);
  return v6 === null ? null : { family: 6, value: v6 };
}

/** Whether `text` is an IPv4 or IPv6 literal (a `%scope` suffix allowed). */
export function isAddressLiteral(text: string): boolean {
  return parseAddress(text.replace(/%[^%]+$/, "")) !== null;
}

/**
 * Parses `-g`'s operands: one CIDR block, or a START and an END address of the same family. As fping, an IPv4
 * block shorter than /31 leaves out its network and broadcast addresses.
 *
 * @param operands The positionals after `-g`.
 * @returns The range.
 * @throws {UsageError} Malformed, mixed families, END before START, or more than {@linkcode GENERATE_LIMIT}.
 */
export function parseGenerate(operands: readonly string[]): AddressRange {
  const range = operands.length === 1
    ? parseCidr(operands[0])
    : operands.length === 2
    ? parseStartEnd(operands[0], operands[1])
    : (() => {
      throw new UsageError(`-g needs a CIDR block or START END, got ${operands.length} targets`);
    })();
  if (range.count > BigInt(GENERATE_LIMIT)) {
    throw new UsageError(
      `-g ${operands.join(" ")} is too large: ${range.count} addresses (at most ${GENERATE_LIMIT}, ` +
        "a /12 of IPv4 or a /108 of IPv6)",
    );
  }
  return range;
}

function parseCidr(text: string): AddressRange {
  const slash = text.indexOf("/");
  const address = parseAddress(slash < 0 ? text : text.slice(0, slash));
  if (slash < 0 || address === null) {
    throw new UsageError(`-g needs a CIDR block such as 192.0.2.0/24 or START END, got "${text}"`);
  }
  const bits = address.family === 4 ? IPV4_BITS : IPV6_BITS;
  const lengthText = text.slice(slash + 1);
  const length = Number(lengthText);
  if (!/^\d{1,3}$/.test(lengthText) || length > bits) {
    throw new UsageError(`-g prefix length must be 0–${bits} for IPv${address.family}, got "${lengthText}"`);
  }
  const hostBits = BigInt(bits - length);
  const first = (address.value >> hostBits) << hostBits;
  const count = 1n << hostBits;
  if (address.family === 4 && hostBits > 1n) return { family: 4, first: first + 1n, count: count - 2n };
  return { family: address.family, first, count };
}

function parseStartEnd(startText: string, endText: string): AddressRange {
  const start = parseAddress(startText);
  const end = parseAddress(endText);
  if (start === null || end === null) {
    throw new UsageError(`-g START END must be two addresses, got "${start === null ? startText : endText}"`);
  }
  if (start.family !== end.family) {
    throw new UsageError(`-g START and END must be of one family, got ${startText} and ${endText}`);
  }
  if (end.value < start.value) throw new UsageError(`-g END must not be before START, got ${startText} ${endText}`);
  return { family: start.family, first: start.value, count: end.value - start.value + 1n };
}

/** The addresses of a range, in order. */
export function* rangeAddresses(range: AddressRange): Generator<string> {
  const format = range.family === 4 ? formatIpv4 : formatIpv6;
  for (let i = 0n; i < range.count; i++) yield format(range.first + i);
}

/**
 * The targets of a text: one a line, blank lines skipped, `#` to the end of a line a comment, surrounding space
 * trimmed; several targets on one line (separated by spaces) are each taken, as fping does.
 *
 * @param chunks The text, in pieces of any size.
 * @returns The targets, in order.
 */
export async function* targetLines(chunks: AsyncIterable<string>): AsyncGenerator<string> {
  let pending = "";
  for await (const chunk of chunks) {
    pending += chunk;
    let newline;
    while ((newline = pending.indexOf("\n")) >= 0) {
      yield* lineTargets(pending.slice(0, newline));
      pending = pending.slice(newline + 1);
    }
  }
  yield* lineTargets(pending);
}

function lineTargets(line: string): string[] {
  const hash = line.indexOf("#");
  const text = (hash < 0 ? line : line.slice(0, hash)).trim();
  return text === "" ? [] : text.split(/\s+/);
}

/** Reads a file (or standard input for `-`) as text chunks. */
export async function* readChunks(path: string): AsyncGenerator<string> {
  const file = path === "-" ? Deno.stdin : await Deno.open(path);
  const decoder = new TextDecoder();
  try {
    for await (const bytes of file.readable) yield decoder.decode(bytes, { stream: true });
    yield decoder.decode();
  } finally {
    if (path !== "-") {
      try {
        file.close();
      } catch {
        // The readable stream closed it already.
      }
    }
  }
}
