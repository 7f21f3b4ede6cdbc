/**
 * Turning the caller's host and source strings into socket addresses.
 *
 * @module
 */
import { AF_INET } from "../ffi/constants.ts";
import { isLocalAddress } from "../ffi/local_address.ts";
import { resolve, ResolveError } from "../ffi/resolve.ts";
import { type SocketAddress, toSocketAddress } from "../ffi/sockaddr.ts";
import { SOCKADDR_IN, SOCKADDR_IN6 } from "../ffi/structs.ts";
import { formatAddress, parseAddress } from "../icmp/mod.ts";

export type { SocketAddress } from "../ffi/sockaddr.ts";

/** Names resolved at once by one {@linkcode Resolver} unless told otherwise: each lookup holds a worker thread. */
export const DEFAULT_RESOLVE_CONCURRENCY = 16;

/**
 * The socket address of a literal IPv4 or IPv6 address, parsed here without `getaddrinfo` (a lookup costs a worker
 * thread hop of ~20 µs even for a literal); `null` for a name, or for a literal this parser leaves to the resolver
 * (an IPv6 zone such as `fe80::1%eth0` needs `if_nametoindex`, and short IPv4 forms such as `127.1` need `inet_aton`).
 */
export function parseLiteral(host: string): SocketAddress | null {
  const quad = dottedQuad(host);
  if (quad >= 0) return quadAddress(quad);
  if (host.includes("%")) return null;
  const bytes = parseAddress(host);
  return bytes === null ? null : toSocketAddress(bytes);
}

/** A literal target as a sweep needs it: its socket address and its text. */
export interface LiteralTarget {
  /** The socket address; shared between calls, so never written to. */
  destination: SocketAddress;
  /** {@linkcode describeTarget} of `destination`. */
  address: string;
}

/** Most literals {@linkcode cachedLiteral} keeps; past it the cache starts over, so its memory stays bounded. */
const LITERAL_CACHE_LIMIT = 65_536;
const literals = new Map<string, LiteralTarget | null>();
/**
 * Literals met once so far, dotted quads as their 32-bit value and other literals as text: a literal enters
 * {@linkcode literals} at its second use. An entry there holds a socket address and a string (~490 B); a sweep, which
 * meets each literal once, kept 32 MB of them after a /16 (and its peak RSS with them) for nothing.
 */
const seenOnce = new Set<number | string>();

/**
 * {@linkcode parseLiteral} and {@linkcode describeTarget} of `host`, kept across calls from its second use:
 * `miniping serve` passes the same literals every period, and parsing one afresh cost a buffer, a view, an object and
 * a string per probe. `null` as for `parseLiteral`, and also for the unspecified address (which the resolver maps to
 * loopback).
 */
export function cachedLiteral(host: string): LiteralTarget | null {
  let entry = literals.get(host);
  if (entry !== undefined) return entry;
  const quad = dottedQuad(host);
  if (quad >= 0) {
    // dottedQuad() takes canonical quads only, which are their own text.
    entry = quad === 0 ? null : { destination: quadAddress(quad), address: host };
  } else {
    const destination = parseLiteral(host);
    entry = destination === null || destination.address.every((byte) => byte === 0)
      ? null
      : { destination, address: describeTarget(destination) };
  }
  const key = quad >= 0 ? quad | 0 : host;
  if (seenOnce.delete(key)) {
    if (literals.size >= LITERAL_CACHE_LIMIT) literals.clear();
    literals.set(host, entry);
  } else {
    if (seenOnce.size >= LITERAL_CACHE_LIMIT) seenOnce.clear();
    seenOnce.add(key);
  }
  return entry;
}

const CHAR_0 = 48;
const CHAR_9 = 57;
const CHAR_DOT = 46;

/**
 * The common case of {@linkcode parseLiteral} (a sweep parses one literal per target): a canonical dotted quad as its
 * 32-bit value, read in one pass without allocating. Accepts exactly what `parseAddress` accepts for IPv4 (four
 * decimal octets ≤ 255 without leading zeros); -1 for anything else, which then takes the general path.
 */
function dottedQuad(host: string): number {
  const length = host.length;
  if (length < 7 || length > 15) return -1;
  let part = 0;
  let value = 0;
  let digits = 0;
  let quad = 0;
  for (let i = 0; i <= length; i++) {
    const c = i === length ? CHAR_DOT : host.charCodeAt(i);
    if (c >= CHAR_0 && c <= CHAR_9) {
      // A leading zero is only allowed as the whole octet.
      if (digits === 1 && value === 0) return -1;
      value = value * 10 + (c - CHAR_0);
      if (++digits > 3 || value > 255) return -1;
    } else if (c === CHAR_DOT && digits > 0 && part < 4) {
      quad = quad * 256 + value;
      part++;
      value = 0;
      digits = 0;
    } else {
      return -1;
    }
  }
  return part === 4 ? quad : -1;
}

/** Room for this many `sockaddr_in` per shared buffer. */
const SOCKADDRS_PER_SLAB = 1024;
let slab = new Uint8Array(0);
let slabOffset = 0;

/**
 * The socket address of the IPv4 address `quad`. Its `sockaddr_in` is a view into a buffer shared with the next
 * thousand: a buffer of its own (and the `address` view of it, which makes V8 move such a small buffer off its
 * heap) cost 380 B and 0.3 µs per target of a sweep, two views into a shared one 240 B and 0.07 µs.
 */
function quadAddress(quad: number): SocketAddress {
  if (slabOffset + SOCKADDR_IN.size > slab.length) {
    slab = new Uint8Array(SOCKADDRS_PER_SLAB * SOCKADDR_IN.size);
    slabOffset = 0;
  }
  const at = slabOffset;
  slabOffset += SOCKADDR_IN.size;
  const sockaddr = slab.subarray(at, at + SOCKADDR_IN.size);
  // sin_family is little-endian and AF_INET < 256; the address is in network order.
  sockaddr[SOCKADDR_IN.family] = AF_INET;
  const addr = SOCKADDR_IN.addr;
  sockaddr[addr] = quad >>> 24;
  sockaddr[addr + 1] = (quad >>> 16) & 0xff;
  sockaddr[addr + 2] = (quad >>> 8) & 0xff;
  sockaddr[addr + 3] = quad & 0xff;
  return { family: 4, address: sockaddr.subarray(addr, addr + 4), sockaddr };
}

/** Throws TypeError for a host that C would read differently from JavaScript. */
function checkHost(host: string): void {
  // C strings end at the first NUL: "127.0.0.1\0.allowed.example" would ping 127.0.0.1 while the caller (and an
  // allow-list) saw the whole string.
  if (host.includes("\0")) {
    throw new TypeError(`Cannot ping: host must not contain a NUL character, got ${JSON.stringify(host)}`);
  }
}

/** Characters that would make a URL parser read something other than a host name. */
const NOT_IN_HOST = /[/?#@:[\]\\%\s]/;

/**
 * The ASCII (punycode) form of an internationalised name, as iputils gets from `AI_IDN`: `пример.рф` becomes
 * `xn--e1afmkfd.xn--p1ai`. Done here with the platform's UTS #46 mapping because glibc's `AI_IDN` converts from the
 * process locale, which is "C" in a Deno process. ASCII names are returned unchanged.
 */
export function asciiHostname(host: string): string {
  // deno-lint-ignore no-control-regex
  if (/^[\x00-\x7f]*$/.test(host) || NOT_IN_HOST.test(host)) return host;
  try {
    return new URL(`http://${host}/`).hostname;
  } catch {
    return host;
  }
}

/**
 * The address to send to: the unspecified address (`0.0.0.0`, `0`, `::`) means this host to the kernel, which
 * answers from loopback, so probe loopback itself as iputils effectively does.
 */
function sendable(address: SocketAddress): SocketAddress {
  if (address.address.some((byte) => byte !== 0)) return address;
  const loopback = new Uint8Array(address.family === 4 ? 4 : 16);
  if (address.family === 4) loopback.set([127, 0, 0, 1]);
  else loopback[15] = 1;
  return toSocketAddress(loopback);
}

/**
 * Resolves `host` and picks one address: of `family` when given, else the first IPv4 address, else the first IPv6
 * one. Literal addresses are parsed without `getaddrinfo`; names go through it (hosts file, DNS, `AI_IDN`).
 * Throws `Deno.errors.NotFound` naming the host and the reason, TypeError for a host containing NUL.
 */
export async function resolveTarget(
  host: string,
  family?: 4 | 6,
): Promise<SocketAddress> {
  checkHost(host);
  const literal = parseLiteral(host);
  if (literal !== null) {
    if (family !== undefined && literal.family !== family) {
      throw new Deno.errors.NotFound(`Cannot resolve "${host}": no IPv${family} address`);
    }
    return sendable(literal);
  }
  let found;
  try {
    found = await resolve(asciiHostname(host), family);
  } catch (error) {
    if (error instanceof ResolveError) {
      throw new Deno.errors.NotFound(error.message, { cause: error });
    }
    throw error;
  }
  const address = family === 6 ? found.v6[0] : family === 4 ? found.v4[0] : found.v4[0] ?? found.v6[0];
  if (address === undefined) {
    throw new Deno.errors.NotFound(
      `Cannot resolve "${host}": no IPv${family ?? 4} address`,
    );
  }
  return sendable(address);
}

/** Options of {@linkcode Resolver}. */
export interface ResolverOptions {
  /**
   * Lookups in flight at once; the rest wait their turn.
   * @default {16}
   */
  concurrency?: number;
}

/**
 * Resolves many hosts for one run: each distinct (host, family) is looked up once, literals at once and without a
 * worker thread, names with at most `concurrency` lookups in flight.
 */
export class Resolver {
  readonly #concurrency: number;
  readonly #lookup: typeof resolveTarget;
  readonly #known = new Map<string, Promise<SocketAddress>>();
  readonly #queue: (() => void)[] = [];
  #active = 0;

  /**
   * @param options How many lookups may run at once.
   * @param lookup The lookup for names (tests pass a fake).
   */
  constructor(options: ResolverOptions = {}, lookup: typeof resolveTarget = resolveTarget) {
    this.#lookup = lookup;
    const concurrency = options.concurrency ?? DEFAULT_RESOLVE_CONCURRENCY;
    if (!Number.isInteger(concurrency) || concurrency < 1) {
      throw new RangeError(`Cannot resolve: concurrency must be an integer ≥ 1, got ${concurrency}`);
    }
    this.#concurrency = concurrency;
  }

  /**
   * Resolves like {@linkcode resolveTarget}, sharing the answer with every other request for the same host. Never
   * throws synchronously: a bad host is a rejected promise, so a sweep records it as that target's failure.
   */
  resolve(host: string, family?: 4 | 6): Promise<SocketAddress> {
    try {
      checkHost(host);
    } catch (error) {
      return Promise.reject(error);
    }
    const literal = parseLiteral(host);
    if (literal !== null && (family === undefined || literal.family === family)) {
      return Promise.resolve(sendable(literal));
    }
    const key = `${family ?? 0} ${host}`;
    let answer = this.#known.get(key);
    if (answer === undefined) {
      answer = this.#limited(() => this.#lookup(host, family));
      this.#known.set(key, answer);
    }
    return answer;
  }

  async #limited<T>(lookup: () => Promise<T>): Promise<T> {
    if (this.#active >= this.#concurrency) {
      await new Promise<void>((resolve) => this.#queue.push(resolve));
    }
    this.#active++;
    try {
      return await lookup();
    } finally {
      this.#active--;
      this.#queue.shift()?.();
    }
  }
}

/**
 * Parses a literal source address and checks that it belongs to this host and matches the target's family.
 * Throws `RangeError` otherwise.
 */
export function sourceAddress(text: string, family: 4 | 6): SocketAddress {
  const bytes = parseAddress(text);
  if (bytes === null) {
    throw new RangeError(
      `Cannot ping: source must be an IP address, got "${text}"`,
    );
  }
  const address = toSocketAddress(bytes);
  if (address.family !== family) {
    throw new RangeError(
      `Cannot ping: source ${text} is IPv${address.family} but the target is IPv${family}`,
    );
  }
  if (!isLocalAddress(address)) {
    throw new RangeError(
      `Cannot ping: source ${formatAddress(bytes)} is not an address of this host`,
    );
  }
  return address;
}

/** The address as text, with `%scope` for a scoped (link-local) IPv6 address, which means nothing without it. */
export function describeTarget(target: SocketAddress): string {
  const text = formatAddress(target.address);
  if (target.family === 4) return text;
  const sockaddr = target.sockaddr;
  const scope = new DataView(sockaddr.buffer, sockaddr.byteOffset, sockaddr.byteLength).getUint32(
    SOCKADDR_IN6.scopeId,
    true,
  );
  return scope === 0 ? text : `${text}%${scope}`;
}
