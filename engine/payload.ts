/**
 * Probe payloads without a buffer per probe: a random token (a place in a shared pool filled 64 KiB at a time, so
 * one `getRandomValues` call serves 4,096 probes), then a counting pattern (byte i = i & 0xff) that makes damage
 * anywhere visible. The packet is written straight into the socket's send buffer, and replies are checked against
 * the token and the pattern.
 *
 * @module
 */
import { frameEchoRequest } from "../icmp/echo.ts";
import { ECHO_HEADER_LENGTH } from "../icmp/constants.ts";

/** Leading payload bytes that are random per probe, so no other packet can pass for a reply. */
export const TOKEN_BYTES = 16;

const POOL_BYTES = 64 * 1024;
let pool = new Uint8Array(0);
let offset = 0;

/**
 * Where the token {@linkcode drawToken} drew last lies: `tokenLength(size)` bytes of `bytes` (a shared pool) from
 * `at`. Read it before the next draw. A probe keeps the pair, not a view: a view per probe was ~100 B of garbage.
 */
export const drawn: { bytes: Uint8Array; at: number } = { bytes: pool, at: 0 };

/** The token length of a payload of `size` bytes: {@linkcode TOKEN_BYTES}, or the whole payload when shorter. */
export function tokenLength(size: number): number {
  return Math.min(TOKEN_BYTES, size);
}

/** Draws a fresh random token for a payload of `size` bytes into {@linkcode drawn}. */
export function drawToken(size: number): void {
  const length = tokenLength(size);
  if (offset + length > pool.length) {
    // A new pool rather than a refill: tokens handed out earlier stay valid in the old one.
    pool = crypto.getRandomValues(new Uint8Array(POOL_BYTES));
    offset = 0;
  }
  drawn.bytes = pool;
  drawn.at = offset;
  offset += length;
}

/** A fresh random token for a payload of `size` bytes, as a view of its own ({@linkcode drawToken} without one). */
export function nextToken(size: number): Uint8Array {
  drawToken(size);
  return drawn.bytes.subarray(drawn.at, drawn.at + tokenLength(size));
}

/** The payload byte at `i` of a probe of `size` bytes whose token starts at `token[at]`. */
function expected(token: Uint8Array, at: number, size: number, i: number): number {
  return i < TOKEN_BYTES && i < size ? token[at + i] : i & 0xff;
}

/**
 * Whether `received` is exactly the payload of a probe with `size` bytes whose token starts at `token[at]` (`at` 0:
 * a token of its own).
 */
export function payloadMatches(received: Uint8Array, token: Uint8Array, size: number, at = 0): boolean {
  if (received.length !== size) return false;
  return prefixMatches(received, token, size, at);
}

/** {@linkcode payloadMatches} on `data[start, end)`, without a subarray. */
export function payloadMatchesAt(
  data: Uint8Array,
  start: number,
  end: number,
  token: Uint8Array,
  size: number,
  at = 0,
): boolean {
  if (end - start !== size) return false;
  for (let i = 0; i < size; i++) {
    if (data[start + i] !== expected(token, at, size, i)) return false;
  }
  return true;
}

/** Whether whatever part of a payload `quoted` carries (a router's quote may be cut short) is the probe's. */
export function prefixMatches(quoted: Uint8Array, token: Uint8Array, size: number, at = 0): boolean {
  const length = Math.min(quoted.length, size);
  for (let i = 0; i < length; i++) {
    if (quoted[i] !== expected(token, at, size, i)) return false;
  }
  return true;
}

/** The whole payload of a probe, for tests and tools. */
export function payloadOf(token: Uint8Array, size: number, at = 0): Uint8Array {
  const payload = new Uint8Array(size);
  for (let i = 0; i < size; i++) payload[i] = expected(token, at, size, i);
  return payload;
}

/**
 * Writes an echo request with the probe's payload (its token from `token[at]`, then the pattern) into `out` and
 * returns its length. The checksum is computed for IPv4 and left 0 for IPv6, where the kernel fills it in.
 */
export function writeProbe(
  out: Uint8Array,
  family: 4 | 6,
  id: number,
  seq: number,
  token: Uint8Array,
  size: number,
  at = 0,
): number {
  // The payload is laid down in place, then framed: no view of it or of the token (~100 B of garbage each).
  if (size > out.length - ECHO_HEADER_LENGTH) {
    throw new RangeError(`Cannot encode echo request: buffer must hold ${ECHO_HEADER_LENGTH + size} bytes`);
  }
  for (let i = 0; i < size; i++) out[ECHO_HEADER_LENGTH + i] = expected(token, at, size, i);
  return frameEchoRequest(out, family, id, seq, size);
}
