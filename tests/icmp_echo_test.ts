import { deepEqual, equal, throws } from "node:assert/strict";
import fc from "fast-check";
import { internetChecksum } from "../icmp/checksum.ts";
import { decodeIcmp } from "../icmp/decode.ts";
import { encodeEcho, writeEchoRequest } from "../icmp/echo.ts";

const family = fc.constantFrom(4 as const, 6 as const);
const uint16 = fc.integer({ min: 0, max: 0xffff });

Deno.test("writeEchoRequest() writes a hand-checked ICMPv4 echo request", () => {
  const out = new Uint8Array(32).fill(0xee);
  const payload = new TextEncoder().encode("abcd");
  const length = writeEchoRequest(out, 4, 0x1234, 1, payload);
  equal(length, 12);
  // Words 0x0800 + 0x1234 + 0x0001 + 0x6162 + 0x6364 = 0xdefb; its complement is 0x2104.
  deepEqual(
    out.subarray(0, length),
    new Uint8Array([
      8,
      0,
      0x21,
      0x04,
      0x12,
      0x34,
      0,
      1,
      0x61,
      0x62,
      0x63,
      0x64,
    ]),
  );
  deepEqual(out.subarray(length), new Uint8Array(20).fill(0xee));
});

Deno.test("writeEchoRequest() leaves the ICMPv6 checksum to the kernel", () => {
  const out = new Uint8Array(10).fill(0xee);
  const length = writeEchoRequest(
    out,
    6,
    0xfffe,
    0x8001,
    new Uint8Array([1, 2]),
  );
  equal(length, 10);
  deepEqual(out, new Uint8Array([128, 0, 0, 0, 0xff, 0xfe, 0x80, 0x01, 1, 2]));
});

Deno.test("writeEchoRequest() writes at the start of a subarray", () => {
  const backing = new Uint8Array(40);
  const out = backing.subarray(5, 30);
  writeEchoRequest(out, 4, 7, 9, new Uint8Array([0xaa]));
  deepEqual(backing.subarray(0, 5), new Uint8Array(5));
  equal(backing[5], 8);
  equal(backing[14], 0); // Just past the message.
  equal(internetChecksum(backing.subarray(5, 14)), 0);
});

Deno.test("writeEchoRequest() accepts a payload that is a view into the output buffer", () => {
  const out = new Uint8Array(16);
  out.set([1, 2, 3, 4], 8);
  const length = writeEchoRequest(out, 4, 1, 1, out.subarray(8, 12));
  equal(length, 12);
  deepEqual(out.subarray(8, 12), new Uint8Array([1, 2, 3, 4]));
  equal(internetChecksum(out.subarray(0, length)), 0);
});

Deno.test("writeEchoRequest() overwrites a stale checksum", () => {
  const out = new Uint8Array(8).fill(0xff);
  writeEchoRequest(out, 4, 0, 0, new Uint8Array(0));
  // Only the type word is non-zero: 0x0800, complement 0xf7ff.
  deepEqual(out, new Uint8Array([8, 0, 0xf7, 0xff, 0, 0, 0, 0]));
});

Deno.test("writeEchoRequest() rejects a buffer that is too small", () => {
  throws(
    () => writeEchoRequest(new Uint8Array(11), 4, 1, 1, new Uint8Array(4)),
    { name: "RangeError", message: /buffer must hold 12 bytes, got 11/ },
  );
});

Deno.test("writeEchoRequest() rejects ids and sequence numbers outside 0..65535", () => {
  const out = new Uint8Array(64);
  const payload = new Uint8Array(0);
  for (const bad of [-1, 65536, 1.5, Number.NaN, Infinity]) {
    throws(() => writeEchoRequest(out, 4, bad, 0, payload), RangeError);
    throws(() => writeEchoRequest(out, 6, 0, bad, payload), RangeError);
  }
  throws(
    () => writeEchoRequest(out, 4, 70000, 0, payload),
    {
      message: "Cannot encode echo request: id must be an integer in 0..65535, got 70000",
    },
  );
});

Deno.test("writeEchoRequest() rejects an unknown family", () => {
  throws(
    () => writeEchoRequest(new Uint8Array(8), 5 as 4, 0, 0, new Uint8Array(0)),
    TypeError,
  );
});

Deno.test("writeEchoRequest() rejects payloads larger than an IP datagram allows", () => {
  const out = new Uint8Array(70000);
  equal(writeEchoRequest(out, 4, 0, 0, new Uint8Array(65507)), 65515);
  throws(
    () => writeEchoRequest(out, 4, 0, 0, new Uint8Array(65508)),
    RangeError,
  );
  equal(writeEchoRequest(out, 6, 0, 0, new Uint8Array(65527)), 65535);
  throws(
    () => writeEchoRequest(out, 6, 0, 0, new Uint8Array(65528)),
    RangeError,
  );
});

Deno.test("encodeEcho() builds requests and replies of both families", () => {
  deepEqual(
    encodeEcho(4, 0x1234, 1, new Uint8Array(0)),
    new Uint8Array([8, 0, 0xe5, 0xca, 0x12, 0x34, 0, 1]),
  );
  // Reply type 0 takes nothing from the sum: 0x1234 + 0x0001 = 0x1235, complement 0xedca.
  deepEqual(
    encodeEcho(4, 0x1234, 1, new Uint8Array(0), { reply: true }),
    new Uint8Array([0, 0, 0xed, 0xca, 0x12, 0x34, 0, 1]),
  );
  deepEqual(
    encodeEcho(6, 2, 3, new Uint8Array([9])),
    new Uint8Array([128, 0, 0, 0, 0, 2, 0, 3, 9]),
  );
  deepEqual(
    encodeEcho(6, 2, 3, new Uint8Array([9]), { reply: false }),
    new Uint8Array([128, 0, 0, 0, 0, 2, 0, 3, 9]),
  );
  equal(encodeEcho(6, 2, 3, new Uint8Array(0), { reply: true })[0], 129);
});

Deno.test("encodeEcho() validates like writeEchoRequest()", () => {
  throws(() => encodeEcho(4, -1, 0, new Uint8Array(0)), RangeError);
  throws(
    () => encodeEcho(6, 0, 65536, new Uint8Array(0), { reply: true }),
    RangeError,
  );
  throws(
    () => encodeEcho(4, 0, 0, new Uint8Array(65508)),
    {
      name: "RangeError",
      message: /payload must be at most 65507 bytes for IPv4/,
    },
  );
  throws(() => encodeEcho(0 as 4, 0, 0, new Uint8Array(0)), TypeError);
});

Deno.test("writeEchoRequest() and encodeEcho() produce the same request", () => {
  fc.assert(
    fc.property(
      family,
      uint16,
      uint16,
      fc.uint8Array({ maxLength: 300 }),
      (f, id, seq, payload) => {
        const out = new Uint8Array(8 + payload.length + 4);
        const length = writeEchoRequest(out, f, id, seq, payload);
        deepEqual(out.subarray(0, length), encodeEcho(f, id, seq, payload));
      },
    ),
  );
});

Deno.test("encodeEcho() output decodes back to the same id, seq and payload", () => {
  fc.assert(
    fc.property(
      family,
      uint16,
      uint16,
      fc.uint8Array({ maxLength: 1500 }),
      fc.boolean(),
      (f, id, seq, payload, reply) => {
        const message = decodeIcmp(
          f,
          encodeEcho(f, id, seq, payload, { reply }),
        );
        equal(message.kind, reply ? "echo-reply" : "echo-request");
        if (message.kind !== "echo-reply" && message.kind !== "echo-request") {
          return;
        }
        equal(message.code, 0);
        equal(message.id, id);
        equal(message.seq, seq);
        deepEqual(message.payload, payload);
        equal(message.checksumValid, f === 4 ? true : null);
      },
    ),
  );
});
