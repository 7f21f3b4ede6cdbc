/**
 * Probe payloads without a buffer per probe: a random token (a view into a shared pool filled 64 KiB at a time, so
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

/** A fresh random token for a payload of `size` bytes (at most {@linkcode TOKEN_BYTES} long). */
export function nextToken(size: number): Uint8Array {
  const length = Math.min(TOKEN_BYTES, size);
  if (offset + length > pool.length) {
    // A new pool rather than a refill: tokens handed out earlier stay valid views of the old one.
    pool = crypto.getRandomValues(new Uint8Array(POOL_BYTES));
    offset = 0;
  }
  const token = pool.subarray(offset, offset + length);
  offset += length;
  return token;
}

/** The payload byte at `i` of a probe whose token is `token`. */
function expected(token: Uint8Array, i: number): number {
  return i < token.length ? token[i] : i & 0xff;
}

/** Whether `received` is exactly the payload of a probe with `token` and `size` bytes. */
export function payloadMatches(received: Uint8Array, token: Uint8Array, size: number): boolean {
  if (received.length !== size) return false;
  return prefixMatches(received, token, size);
}

/** {@linkcode payloadMatches} on `data[start, end)`, without a subarray. */
export function payloadMatchesAt(
  data: Uint8Array,
  start: number,
  end: number,
  token: Uint8Array,
  size: number,
): boolean {
  if (end - start !== size) return false;
  for (let i = 0; i < size; i++) {
    if (data[start + i] !== expected(token, i)) return false;
  }
  return true;
}

/** Whether whatever part of a payload `quoted` carries (a router's quote may be cut short) is the probe's. */
export function prefixMatches(quoted: Uint8Array, token: Uint8Array, size: number): boolean {
  const length = Math.min(quoted.length, size);
  for (let i = 0; i < length; i++) {
    if (quoted[i] !== expected(token, i)) return false;
  }
  return true;
}

/** The whole payload of a probe, for tests and tools. */
export function payloadOf(token: Uint8Array, size: number): Uint8Array {
  const payload = new Uint8Array(size);
  for (let i = 0; i < size; i++) payload[i] = expected(token, i);
  return payload;
}

/**
 * Writes an echo request with the probe's payload into `out` and returns its length. The checksum is computed for
 * IPv4 and left 0 for IPv6, where the kernel fills it in.
 */
export function writeProbe(
  out: Uint8Array,
  family: 4 | 6,
  id: number,
  seq: number,
  token: Uint8Array,
  size: number,
): number {
  // The payload is laid down in place, then framed: no view of it (~100 B of garbage per probe).
  if (size > out.length - ECHO_HEADER_LENGTH) {
    throw new RangeError(`Cannot encode echo request: buffer must hold ${ECHO_HEADER_LENGTH + size} bytes`);
  }
  out.set(token, ECHO_HEADER_LENGTH);
  for (let i = token.length; i < size; i++) out[ECHO_HEADER_LENGTH + i] = i & 0xff;
  return frameEchoRequest(out, family, id, seq, size);
}
