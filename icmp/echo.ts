/**
 * Encoding of ICMP echo requests and replies (RFC 792 types 8/0, RFC 4443 types 128/129).
 *
 * @module
 */

import { finishChecksum, sumWords } from "./checksum.ts";
import { ECHO_HEADER_LENGTH, ICMP4, ICMP6, MAX_PAYLOAD, MAX_UINT16 } from "./constants.ts";

const ECHO_CODE = 0;

/**
 * Writes an echo request (type 8 for family 4, 128 for 6; code 0) into `out` starting at offset 0: id and seq
 * big-endian, then `payload`. For IPv4 the checksum is computed; for IPv6 it is left 0 because the kernel fills it
 * for ICMPv6 sockets. Returns the number of bytes written (8 + payload.length). Throws RangeError if `out` is too
 * small or id/seq are not integers in 0..65535. Must not allocate (hot path).
 *
 * @param out Destination buffer; bytes past the returned length are left untouched.
 * @param family 4 for ICMPv4, 6 for ICMPv6.
 * @param id Echo identifier, 0..65535.
 * @param seq Echo sequence number, 0..65535.
 * @param payload Echo data, at most {@linkcode MAX_PAYLOAD} bytes for the family. It may be a view into `out`.
 * @returns The number of bytes written.
 * @throws {TypeError} If `family` is neither 4 nor 6.
 * @throws {RangeError} If id or seq is out of range, the payload is too large for the family or `out` is too small.
 *
 * @example Reuse one buffer for every probe
 * ```ts
 * import { writeEchoRequest } from "./echo.ts";
 * import { deepEqual, equal } from "node:assert/strict";
 *
 * const buffer = new Uint8Array(64);
 * const length = writeEchoRequest(buffer, 4, 0x1234, 1, new Uint8Array(0));
 * equal(length, 8);
 * deepEqual(buffer.subarray(0, length), new Uint8Array([8, 0, 0xe5, 0xca, 0x12, 0x34, 0, 1]));
 * ```
 */
export function writeEchoRequest(
  out: Uint8Array,
  family: 4 | 6,
  id: number,
  seq: number,
  payload: Uint8Array,
): number {
  const type = family === 4 ? ICMP4.ECHO_REQUEST : ICMP6.ECHO_REQUEST;
  return writeEcho(out, family, type, id, seq, payload, "echo request");
}

/** Options of {@linkcode encodeEcho}. */
export interface EncodeEchoOptions {
  /** Build an echo reply (type 0 / 129) instead of a request. Defaults to `false`. */
  reply?: boolean;
}

/**
 * Allocating convenience for tests and tools: an echo request, or with `reply: true` an echo reply (type 0 / 129).
 * Same checksum rule as {@linkcode writeEchoRequest}: computed for IPv4, left 0 for IPv6.
 *
 * @param family 4 for ICMPv4, 6 for ICMPv6.
 * @param id Echo identifier, 0..65535.
 * @param seq Echo sequence number, 0..65535.
 * @param payload Echo data.
 * @param options Whether to build a reply.
 * @returns A new array holding exactly the message.
 * @throws {TypeError} If `family` is neither 4 nor 6.
 * @throws {RangeError} If id or seq is out of range or the payload is too large for the family.
 *
 * @example An ICMPv6 echo reply
 * ```ts
 * import { encodeEcho } from "./echo.ts";
 * import { deepEqual } from "node:assert/strict";
 *
 * const reply = encodeEcho(6, 7, 2, new Uint8Array([0xab]), { reply: true });
 * deepEqual(reply, new Uint8Array([129, 0, 0, 0, 0, 7, 0, 2, 0xab]));
 * ```
 */
export function encodeEcho(
  family: 4 | 6,
  id: number,
  seq: number,
  payload: Uint8Array,
  options?: EncodeEchoOptions,
): Uint8Array {
  const reply = options?.reply ?? false;
  const what = reply ? "echo reply" : "echo request";
  // Checked before allocating so that an oversized payload reports the real cause instead of a buffer-size error.
  checkFamily(family, what);
  checkPayload(family, payload, what);
  let type: number;
  if (family === 4) type = reply ? ICMP4.ECHO_REPLY : ICMP4.ECHO_REQUEST;
  else type = reply ? ICMP6.ECHO_REPLY : ICMP6.ECHO_REQUEST;
  const out = new Uint8Array(ECHO_HEADER_LENGTH + payload.length);
  writeEcho(out, family, type, id, seq, payload, what);
  return out;
}

function writeEcho(
  out: Uint8Array,
  family: 4 | 6,
  type: number,
  id: number,
  seq: number,
  payload: Uint8Array,
  what: string,
): number {
  checkFamily(family, what);
  checkField("id", id, what);
  checkField("seq", seq, what);
  checkPayload(family, payload, what);
  const length = ECHO_HEADER_LENGTH + payload.length;
  if (out.length < length) {
    throw new RangeError(
      `Cannot encode ${what}: buffer must hold ${length} bytes, got ${out.length}`,
    );
  }
  // The payload goes first: it may be a view into `out` that the header bytes would otherwise overwrite.
  out.set(payload, ECHO_HEADER_LENGTH);
  return frameEcho(out, family, type, id, seq, length);
}

/**
 * Writes an echo request's header in front of the `payloadLength` payload bytes already at
 * `out[ECHO_HEADER_LENGTH…]`, and for IPv4 its checksum: {@linkcode writeEchoRequest} for a payload laid down in
 * place (the probe engine's hot path, without a view of the payload). Returns the packet's length.
 *
 * @param out The packet buffer, payload in place.
 * @param family 4 or 6.
 * @param id Identifier, 0..65535.
 * @param seq Sequence number, 0..65535.
 * @param payloadLength Payload bytes, at most {@linkcode MAX_PAYLOAD} for the family.
 * @returns 8 + `payloadLength`.
 * @throws {RangeError} As {@linkcode writeEchoRequest}.
 *
 * @example Frame a payload written in place
 * ```ts
 * import { frameEchoRequest } from "./echo.ts";
 * import { equal } from "node:assert/strict";
 *
 * const out = new Uint8Array(64);
 * out.set([1, 2, 3, 4], 8);
 * equal(frameEchoRequest(out, 4, 0x1234, 1, 4), 12);
 * equal(out[0], 8);
 * ```
 */
export function frameEchoRequest(
  out: Uint8Array,
  family: 4 | 6,
  id: number,
  seq: number,
  payloadLength: number,
): number {
  const what = "echo request";
  checkFamily(family, what);
  checkField("id", id, what);
  checkField("seq", seq, what);
  const max = MAX_PAYLOAD[family];
  if (payloadLength > max) {
    throw new RangeError(
      `Cannot encode ${what}: payload must be at most ${max} bytes for IPv${family}, got ${payloadLength}`,
    );
  }
  const length = ECHO_HEADER_LENGTH + payloadLength;
  if (out.length < length) {
    throw new RangeError(`Cannot encode ${what}: buffer must hold ${length} bytes, got ${out.length}`);
  }
  return frameEcho(out, family, family === 4 ? ICMP4.ECHO_REQUEST : ICMP6.ECHO_REQUEST, id, seq, length);
}

/** The header and (IPv4) checksum of an echo message of `length` bytes whose payload is in place. */
function frameEcho(out: Uint8Array, family: 4 | 6, type: number, id: number, seq: number, length: number): number {
  out[0] = type;
  out[1] = ECHO_CODE;
  out[2] = 0;
  out[3] = 0;
  out[4] = id >> 8;
  out[5] = id & 0xff;
  out[6] = seq >> 8;
  out[7] = seq & 0xff;
  if (family === 4) {
    const checksum = finishChecksum(sumWords(out, 0, length, 0));
    out[2] = checksum >> 8;
    out[3] = checksum & 0xff;
  }
  return length;
}

function checkFamily(family: number, what: string): void {
  if (family !== 4 && family !== 6) {
    throw new TypeError(
      `Cannot encode ${what}: family must be 4 or 6, got ${family}`,
    );
  }
}

function checkField(name: string, value: number, what: string): void {
  if (!Number.isInteger(value) || value < 0 || value > MAX_UINT16) {
    throw new RangeError(
      `Cannot encode ${what}: ${name} must be an integer in 0..${MAX_UINT16}, got ${value}`,
    );
  }
}

function checkPayload(family: 4 | 6, payload: Uint8Array, what: string): void {
  const max = MAX_PAYLOAD[family];
  if (payload.length > max) {
    throw new RangeError(
      `Cannot encode ${what}: payload must be at most ${max} bytes for IPv${family}, got ${payload.length}`,
    );
  }
}
