import { deepEqual, equal, throws } from "node:assert/strict";
import { countEchoes } from "../bench/lib/wire.ts";

/** A little-endian microsecond pcap of Ethernet frames, each `[seconds, microseconds, frame]`. */
function pcap(records: [number, number, Uint8Array][], magic = 0xa1b2c3d4, linktype = 1): Uint8Array {
  const header = new DataView(new ArrayBuffer(24));
  header.setUint32(0, magic, true);
  header.setUint16(4, 2, true);
  header.setUint16(6, 4, true);
  header.setUint32(16, 65535, true);
  header.setUint32(20, linktype, true);
  const parts: Uint8Array[] = [new Uint8Array(header.buffer)];
  for (const [seconds, fraction, frame] of records) {
    const record = new DataView(new ArrayBuffer(16));
    record.setUint32(0, seconds, true);
    record.setUint32(4, fraction, true);
    record.setUint32(8, frame.length, true);
    record.setUint32(12, frame.length, true);
    parts.push(new Uint8Array(record.buffer), frame);
  }
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let at = 0;
  for (const p of parts) {
    out.set(p, at);
    at += p.length;
  }
  return out;
}

function ipv4(icmpType: number, source: number[], protocol = 1): Uint8Array {
  const frame = new Uint8Array(14 + 20 + 8);
  frame.set([0x08, 0x00], 12);
  frame[14] = 0x45;
  frame[14 + 9] = protocol;
  frame.set(source, 14 + 12);
  frame[34] = icmpType;
  return frame;
}

function ipv6(icmpType: number, lastByte: number): Uint8Array {
  const frame = new Uint8Array(14 + 40 + 8);
  frame.set([0x86, 0xdd], 12);
  frame[14 + 6] = 58;
  frame[14 + 8] = 0xfd;
  frame[14 + 23] = lastByte;
  frame[54] = icmpType;
  return frame;
}

// The requests at 100.999 s and 101.006 s are 7 ms apart across a whole-second boundary.
Deno.test("countEchoes() counts requests, replies and distinct repliers of both families", () => {
  const counted = countEchoes(pcap([
    [100, 999_000, ipv4(8, [198, 18, 1, 1])],
    [101, 1_000, ipv4(0, [198, 19, 0, 1])],
    [101, 2_000, ipv4(0, [198, 19, 0, 1])],
    [101, 3_000, ipv4(0, [198, 19, 0, 2])],
    [101, 4_000, ipv4(3, [198, 18, 1, 2])],
    [101, 5_000, ipv4(8, [198, 18, 1, 1], 6)],
    [101, 6_000, ipv6(128, 1)],
    [101, 7_000, ipv6(129, 9)],
    [101, 8_000, ipv6(129, 9)],
  ]));
  deepEqual(counted, { requests: 2, replies: 5, repliedAddresses: 3, requestSpanMs: 7 });
});

Deno.test("countEchoes() has no request span with fewer than two requests", () => {
  const counted = countEchoes(pcap([[1, 0, ipv4(8, [198, 18, 1, 1])]]));
  equal(counted.requests, 1);
  equal(Number.isNaN(counted.requestSpanMs), true);
});

Deno.test("countEchoes() rejects files that are not Ethernet pcaps", () => {
  throws(() => countEchoes(pcap([], 0x0a0d0d0a)), /not a pcap file/);
  throws(() => countEchoes(pcap([], 0xa1b2c3d4, 276)), /not Ethernet/);
});
