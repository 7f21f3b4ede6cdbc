import { equal, notEqual, throws } from "node:assert/strict";
import fc from "fast-check";
import { icmpv6Checksum, internetChecksum } from "../icmp/checksum.ts";

/**
 * Deliberately naive reference: pads to even length with a copy, sums words with an end-around carry after every
 * addition, as RFC 1071 describes it.
 */
function referenceChecksum(data: Uint8Array): number {
  const padded = new Uint8Array(data.length + (data.length % 2));
  padded.set(data);
  let sum = 0;
  for (let i = 0; i < padded.length; i += 2) {
    sum += padded[i] * 256 + padded[i + 1];
    if (sum > 0xffff) sum -= 0xffff;
  }
  return 0xffff - sum;
}

/** Builds the RFC 8200 pseudo-header as bytes, then the message, and sums it all with the reference. */
function referenceIcmpv6Checksum(
  source: Uint8Array,
  destination: Uint8Array,
  icmp: Uint8Array,
): number {
  const bytes = new Uint8Array(40 + icmp.length);
  bytes.set(source, 0);
  bytes.set(destination, 16);
  new DataView(bytes.buffer).setUint32(32, icmp.length);
  bytes[39] = 58;
  bytes.set(icmp, 40);
  return referenceChecksum(bytes);
}

const address16 = fc.uint8Array({ minLength: 16, maxLength: 16 });

Deno.test("internetChecksum() matches the RFC 1071 numerical example", () => {
  // RFC 1071 §3: these bytes sum to 0xddf2, so the checksum is its complement.
  const data = new Uint8Array([0x00, 0x01, 0xf2, 0x03, 0xf4, 0xf5, 0xf6, 0xf7]);
  equal(internetChecksum(data), 0x220d);
});

Deno.test("internetChecksum() pads an odd trailing byte with zero", () => {
  equal(internetChecksum(new Uint8Array([0x01])), 0xfeff);
  equal(
    internetChecksum(new Uint8Array([0x12, 0x34, 0x56])),
    ~(0x1234 + 0x5600) & 0xffff,
  );
});

Deno.test("internetChecksum() of no bytes is 0xffff", () => {
  equal(internetChecksum(new Uint8Array(0)), 0xffff);
});

Deno.test("internetChecksum() folds carries of large inputs", () => {
  const data = new Uint8Array(65535).fill(0xff);
  equal(internetChecksum(data), referenceChecksum(data));
  equal(internetChecksum(new Uint8Array([0xff, 0xff, 0x00, 0x01])), 0xfffe);
});

Deno.test("internetChecksum() reads a subarray from its byteOffset", () => {
  const backing = new Uint8Array([
    0xaa,
    0x00,
    0x01,
    0xf2,
    0x03,
    0xf4,
    0xf5,
    0xf6,
    0xf7,
    0xbb,
  ]);
  equal(internetChecksum(backing.subarray(1, 9)), 0x220d);
});

Deno.test("internetChecksum() continues from an initial partial sum", () => {
  const first = new Uint8Array([0x00, 0x01, 0xf2, 0x03]);
  const second = new Uint8Array([0xf4, 0xf5, 0xf6, 0xf7]);
  equal(internetChecksum(second, 0x0001 + 0xf203), 0x220d);
  equal(internetChecksum(first, 0x1_0000_0000), internetChecksum(first, 1));
});

Deno.test("internetChecksum() rejects an initial sum that is not a non-negative integer", () => {
  for (const initial of [-1, 1.5, Number.NaN, Infinity]) {
    throws(() => internetChecksum(new Uint8Array(2), initial), RangeError);
  }
});

Deno.test("internetChecksum() agrees with a naive implementation", () => {
  fc.assert(
    fc.property(fc.uint8Array({ maxLength: 2000 }), (data) => {
      equal(internetChecksum(data), referenceChecksum(data));
    }),
  );
});

Deno.test("internetChecksum() of a message with its checksum filled in is 0", () => {
  fc.assert(
    fc.property(fc.uint8Array({ minLength: 4, maxLength: 1500 }), (data) => {
      const message = data.slice();
      message[2] = 0;
      message[3] = 0;
      const checksum = internetChecksum(message);
      message[2] = checksum >> 8;
      message[3] = checksum & 0xff;
      equal(internetChecksum(message), 0);
    }),
  );
});

Deno.test("internetChecksum() with an initial sum equals the checksum of the concatenation", () => {
  fc.assert(
    fc.property(
      fc.uint8Array({ maxLength: 200 }).map((a) => a.length % 2 ? a.subarray(1) : a),
      fc.uint8Array({ maxLength: 200 }),
      (first, second) => {
        let partial = 0;
        for (let i = 0; i < first.length; i += 2) {
          partial += (first[i] << 8) | first[i + 1];
        }
        const joined = new Uint8Array([...first, ...second]);
        equal(internetChecksum(second, partial), internetChecksum(joined));
      },
    ),
  );
});

Deno.test("icmpv6Checksum() matches a hand-computed echo request to ::1", () => {
  const loopback = new Uint8Array(16);
  loopback[15] = 1;
  const message = new Uint8Array([128, 0, 0, 0, 0, 0, 0, 0]);
  // Pseudo-header words: source 1 + destination 1 + length 8 + next header 58; message word 0x8000.
  // 0x8000 + 0x44 = 0x8044, complement 0x7fbb.
  equal(icmpv6Checksum(loopback, loopback, message), 0x7fbb);
});

Deno.test("icmpv6Checksum() agrees with an explicit pseudo-header", () => {
  fc.assert(
    fc.property(
      address16,
      address16,
      fc.uint8Array({ minLength: 8, maxLength: 1500 }),
      (source, destination, icmp) => {
        equal(
          icmpv6Checksum(source, destination, icmp),
          referenceIcmpv6Checksum(source, destination, icmp),
        );
      },
    ),
  );
});

Deno.test("icmpv6Checksum() of a message with its checksum filled in is 0", () => {
  fc.assert(
    fc.property(
      address16,
      address16,
      fc.uint8Array({ minLength: 8, maxLength: 1500 }),
      (source, destination, data) => {
        const icmp = data.slice();
        icmp[2] = 0;
        icmp[3] = 0;
        const checksum = icmpv6Checksum(source, destination, icmp);
        icmp[2] = checksum >> 8;
        icmp[3] = checksum & 0xff;
        equal(icmpv6Checksum(source, destination, icmp), 0);
      },
    ),
  );
});

Deno.test("icmpv6Checksum() depends on the addresses", () => {
  const a = new Uint8Array(16);
  const b = new Uint8Array(16);
  b[0] = 0xfe;
  b[1] = 0x80;
  const message = new Uint8Array([128, 0, 0, 0, 0, 1, 0, 1]);
  const forward = icmpv6Checksum(a, b, message);
  equal(forward, referenceIcmpv6Checksum(a, b, message));
  notEqual(forward, icmpv6Checksum(a, a, message));
});

Deno.test("icmpv6Checksum() rejects addresses that are not 16 bytes", () => {
  const v6 = new Uint8Array(16);
  const message = new Uint8Array(8);
  throws(() => icmpv6Checksum(new Uint8Array(4), v6, message), TypeError);
  throws(() => icmpv6Checksum(v6, new Uint8Array(15), message), TypeError);
});
