/**
 * Fuzz targets for the kernel-stamp readers (ffi/timestamping.ts): `SCM_TIMESTAMPING` payloads and transmit-stamp
 * error-queue entries. Same rules as ./targets.ts: no error of any kind, no read past `msg_controllen`, well-formed
 * results.
 *
 * @module
 */
import fc from "fast-check";
import { KernelStamps, readScmTimestamping, readTxStamp, TxStamp } from "../../ffi/timestamping.ts";
import {
  IP_RECVERR,
  IPPROTO_IP,
  IPPROTO_IPV6,
  IPV6_RECVERR,
  SCM_TSTAMP_SCHED,
  SOL_SOCKET,
} from "../../ffi/constants.ts";
import type { FuzzTarget } from "./targets.ts";

const SCM_TIMESTAMPING = 37;
const SO_EE_ORIGIN_TIMESTAMPING = 4;
const ENOMSG = 42;
const MSG_CTRUNC = 8;
const STATUSES = ["stamp", "error", "foreign", "truncated", "empty"];

/** One cmsg of an error-queue entry: a stamp, or an extended error that is mostly a timestamping one. */
const entryItem = fc.tuple(
  fc.constantFrom(
    [SOL_SOCKET, SCM_TIMESTAMPING, 48],
    [IPPROTO_IP, IP_RECVERR, 32],
    [IPPROTO_IPV6, IPV6_RECVERR, 44],
    [IPPROTO_IP, IP_RECVERR, 16],
    [SOL_SOCKET, 35, 16],
  ),
  fc.integer({ min: -20, max: 20 }),
  fc.uint8Array({ minLength: 64, maxLength: 64 }),
  fc.boolean(),
).map(([[level, type, size], skew, fill, ours]) => {
  const dataLength = Math.max(0, size + (Math.abs(skew) > 16 ? skew : 0));
  const bytes = new Uint8Array(16 + ((dataLength + 7) & ~7));
  bytes.set(fill.subarray(0, bytes.length - 16), 16);
  const view = new DataView(bytes.buffer);
  view.setUint32(0, 16 + dataLength, true);
  view.setInt32(8, level, true);
  view.setInt32(12, type, true);
  if (ours && level !== SOL_SOCKET && dataLength >= 16) {
    view.setUint32(16, ENOMSG, true); // ee_errno
    view.setUint8(20, SO_EE_ORIGIN_TIMESTAMPING); // ee_origin
    view.setUint32(24, SCM_TSTAMP_SCHED, true); // ee_info: the stamp miniping asks for
  }
  return bytes;
});

const entry = fc.tuple(fc.array(entryItem, { maxLength: 3 }), fc.nat({ max: 255 }), fc.nat({ max: 31 })).map((
  [items, lengthSelector, flags],
) => {
  const total = items.reduce((n, i) => n + i.length, 0);
  const out = new Uint8Array(total + 2);
  let at = 0;
  for (const item of items) {
    out.set(item, at);
    at += item.length;
  }
  out[total] = lengthSelector;
  out[total + 1] = flags;
  return out;
});

function integers(object: object, what: string): void {
  for (const [name, value] of Object.entries(object)) {
    if (typeof value === "number" && !Number.isInteger(value)) throw new Error(`${what}.${name}: ${value}`);
  }
}

/** Reads the entry twice with different garbage past msg_controllen; the two reads must agree. */
function checkTxStamp(bytes: Uint8Array): void {
  if (bytes.length < 2) return;
  const body = bytes.subarray(0, bytes.length - 2);
  const selector = bytes[bytes.length - 2];
  // Mostly within the buffer, as the kernel reports; sometimes beyond it, which the reader must survive.
  const length = selector < 240 ? selector % (body.length + 1) : body.length + selector;
  const flags = bytes[bytes.length - 1] & MSG_CTRUNC ? MSG_CTRUNC : 0;
  const results = [0x00, 0xa5].map((garbage) => {
    const buffer = new Uint8Array(body.length + 64).fill(garbage);
    buffer.set(body.subarray(0, Math.min(length, body.length)));
    // The view ends where the body does: bytes in [length, body.length) are garbage the reader must not use.
    const view = new DataView(buffer.buffer, 0, body.length);
    const out = new TxStamp();
    const family = bytes[bytes.length - 1] & 1 ? 6 : 4;
    const status = readTxStamp(family, view, length, flags, out);
    if (!STATUSES.includes(status)) throw new Error(`status ${status}`);
    integers(out, "TxStamp");
    integers(out.stamps, "KernelStamps");
    return JSON.stringify({ status, out });
  });
  if (results[0] !== results[1]) throw new Error(`read past msg_controllen: ${results.join(" vs ")}`);
}

/** A payload at any offset with any declared length: true only for a whole 48-byte struct inside the view. */
function checkScmTimestamping(bytes: Uint8Array): void {
  if (bytes.length < 2) return;
  const data = bytes[0] % (bytes.length + 8);
  const dataLength = bytes[1];
  const view = new DataView(bytes.buffer, bytes.byteOffset + 2, bytes.length - 2);
  const out = new KernelStamps();
  const whole = readScmTimestamping(view, data, dataLength, out);
  if (whole !== (dataLength >= 48 && data + dataLength <= view.byteLength)) {
    throw new Error(`whole ${whole} for ${dataLength} bytes at ${data} of ${view.byteLength}`);
  }
  if (!whole && (out.software || out.hardware)) throw new Error("stamps reported from a short payload");
  integers(out, "KernelStamps");
}

/** The kernel-stamp readers. */
export const TIMESTAMPING_TARGETS: readonly FuzzTarget[] = [
  {
    name: "SCM_TIMESTAMPING payload (readScmTimestamping)",
    input: fc.uint8Array({ maxLength: 120 }),
    check: checkScmTimestamping,
  },
  {
    name: "transmit-stamp error-queue entries (readTxStamp)",
    input: fc.oneof(entry, fc.uint8Array({ maxLength: 160 })),
    check: checkTxStamp,
  },
];
