import { deepEqual, equal, notEqual, throws } from "node:assert/strict";
import fc from "fast-check";
import { formatAddress, parseAddress, sameAddress } from "../icmp/address.ts";

function v6(...groups: number[]): Uint8Array {
  return new Uint8Array(groups.flatMap((g) => [g >> 8, g & 0xff]));
}

/** Reference text with every group written in full, upper case and without compression: valid but not canonical. */
function uncompressed(bytes: Uint8Array): string {
  const groups: string[] = [];
  for (let i = 0; i < 16; i += 2) {
    groups.push(
      ((bytes[i] << 8) | bytes[i + 1]).toString(16).toUpperCase().padStart(
        4,
        "0",
      ),
    );
  }
  return groups.join(":");
}

/** Longest run of "0" groups in a list of group texts. */
function longestZeroRun(groups: string[]): number {
  let longest = 0;
  let run = 0;
  for (const group of groups) {
    run = group === "0" ? run + 1 : 0;
    longest = Math.max(longest, run);
  }
  return longest;
}

/**
 * Checks RFC 5952 §4.2 on canonical text: "::" replaces at least two groups, no run it left standing is longer, and
 * no run before it is as long (the first run wins a tie).
 */
function checkCompression(text: string): void {
  if (!text.includes("::")) {
    equal(
      longestZeroRun(text.split(":")) < 2,
      true,
      `uncompressed zero run in ${text}`,
    );
    return;
  }
  const [headText, tailText] = text.split("::");
  const head = headText === "" ? [] : headText.split(":");
  const tail = tailText === "" ? [] : tailText.split(":");
  const compressed = 8 - head.length - tail.length;
  equal(compressed >= 2, true, `"::" stands for one group in ${text}`);
  equal(
    longestZeroRun(head) < compressed,
    true,
    `an earlier run is as long in ${text}`,
  );
  equal(
    longestZeroRun(tail) <= compressed,
    true,
    `a later run is longer in ${text}`,
  );
}

/** IPv6 addresses rich in zero groups, so that compression choices matter. */
const sparseV6 = fc.array(
  fc.oneof(fc.constant(0), fc.integer({ min: 0, max: 0xffff })),
  {
    minLength: 8,
    maxLength: 8,
  },
).map((groups) => v6(...groups));

const anyAddress = fc.oneof(
  fc.uint8Array({ minLength: 4, maxLength: 4 }),
  fc.uint8Array({ minLength: 16, maxLength: 16 }),
  sparseV6,
  fc.uint8Array({ minLength: 4, maxLength: 4 }).map((v4) =>
    new Uint8Array([...new Array(10).fill(0), 0xff, 0xff, ...v4])
  ),
);

Deno.test("formatAddress() writes IPv4 as a dotted quad", () => {
  equal(formatAddress(new Uint8Array([192, 0, 2, 1])), "192.0.2.1");
  equal(formatAddress(new Uint8Array([0, 0, 0, 0])), "0.0.0.0");
  equal(formatAddress(new Uint8Array([255, 255, 255, 255])), "255.255.255.255");
});

Deno.test("formatAddress() follows RFC 5952 for IPv6", () => {
  const cases: Array<[Uint8Array, string]> = [
    [v6(0x2001, 0xdb8, 0, 0, 0, 0, 0, 1), "2001:db8::1"],
    // §4.1: leading zeros suppressed; §4.3: lower case.
    [
      v6(0x2001, 0x0db8, 0xabcd, 0x0012, 0, 0, 0, 0x00ff),
      "2001:db8:abcd:12::ff",
    ],
    // §4.2.2: a lone zero group is not compressed.
    [v6(0x2001, 0xdb8, 0, 1, 1, 1, 1, 1), "2001:db8:0:1:1:1:1:1"],
    // §4.2.3: the longest run wins, the first one on a tie.
    [v6(0x2001, 0, 0, 1, 0, 0, 0, 1), "2001:0:0:1::1"],
    [v6(0x2001, 0xdb8, 0, 0, 1, 0, 0, 1), "2001:db8::1:0:0:1"],
    [v6(0, 0, 0, 0, 0, 0, 0, 0), "::"],
    [v6(0, 0, 0, 0, 0, 0, 0, 1), "::1"],
    [v6(1, 0, 0, 0, 0, 0, 0, 0), "1::"],
    [v6(0, 0, 1, 0, 0, 0, 0, 0), "0:0:1::"],
    [
      v6(0xfe80, 0, 0, 0, 0x1ff, 0xfe23, 0x4567, 0x890a),
      "fe80::1ff:fe23:4567:890a",
    ],
    [v6(1, 2, 3, 4, 5, 6, 7, 8), "1:2:3:4:5:6:7:8"],
    [v6(0, 1, 2, 3, 4, 5, 6, 7), "0:1:2:3:4:5:6:7"],
    [
      v6(0xffff, 0xffff, 0xffff, 0xffff, 0xffff, 0xffff, 0xffff, 0xffff),
      "ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff",
    ],
    // §5: IPv4-mapped addresses keep the dotted tail.
    [v6(0, 0, 0, 0, 0, 0xffff, 0xc000, 0x0201), "::ffff:192.0.2.1"],
    [v6(0, 0, 0, 0, 0, 0xffff, 0, 0), "::ffff:0.0.0.0"],
    // IPv4-compatible (deprecated) and NAT64 addresses are plain hex.
    [v6(0, 0, 0, 0, 0, 0, 0xc000, 0x0201), "::c000:201"],
    [v6(0x64, 0xff9b, 0, 0, 0, 0, 0xc000, 0x0201), "64:ff9b::c000:201"],
  ];
  for (const [bytes, text] of cases) equal(formatAddress(bytes), text);
});

Deno.test("formatAddress() reads a subarray from its byteOffset", () => {
  const backing = new Uint8Array([9, 9, 10, 1, 2, 3, 9]);
  equal(formatAddress(backing.subarray(2, 6)), "10.1.2.3");
});

Deno.test("formatAddress() rejects lengths other than 4 and 16", () => {
  for (const length of [0, 3, 5, 6, 15, 17, 32]) {
    throws(
      () => formatAddress(new Uint8Array(length)),
      {
        name: "TypeError",
        message: `Cannot format address: expected 4 or 16 bytes, got ${length}`,
      },
    );
  }
});

Deno.test("parseAddress() accepts IPv4 dotted quads", () => {
  deepEqual(parseAddress("192.0.2.1"), new Uint8Array([192, 0, 2, 1]));
  deepEqual(parseAddress("0.0.0.0"), new Uint8Array(4));
  deepEqual(
    parseAddress("255.255.255.255"),
    new Uint8Array([255, 255, 255, 255]),
  );
  deepEqual(parseAddress("10.0.100.9"), new Uint8Array([10, 0, 100, 9]));
});

Deno.test("parseAddress() accepts the IPv6 text forms", () => {
  const cases: Array<[string, Uint8Array]> = [
    ["::", v6(0, 0, 0, 0, 0, 0, 0, 0)],
    ["::1", v6(0, 0, 0, 0, 0, 0, 0, 1)],
    ["1::", v6(1, 0, 0, 0, 0, 0, 0, 0)],
    ["2001:db8::1", v6(0x2001, 0xdb8, 0, 0, 0, 0, 0, 1)],
    ["2001:DB8:0:0:0:0:0:1", v6(0x2001, 0xdb8, 0, 0, 0, 0, 0, 1)],
    [
      "2001:0db8:0000:0000:0000:0000:0000:0001",
      v6(0x2001, 0xdb8, 0, 0, 0, 0, 0, 1),
    ],
    ["1:2:3:4:5:6:7::", v6(1, 2, 3, 4, 5, 6, 7, 0)],
    ["::2:3:4:5:6:7:8", v6(0, 2, 3, 4, 5, 6, 7, 8)],
    ["1:2:3::6:7:8", v6(1, 2, 3, 0, 0, 6, 7, 8)],
    ["::ffff:192.0.2.1", v6(0, 0, 0, 0, 0, 0xffff, 0xc000, 0x0201)],
    ["64:ff9b::192.0.2.33", v6(0x64, 0xff9b, 0, 0, 0, 0, 0xc000, 0x0221)],
    ["1:2:3:4:5:6:1.2.3.4", v6(1, 2, 3, 4, 5, 6, 0x0102, 0x0304)],
    ["fe80::1%eth0", v6(0xfe80, 0, 0, 0, 0, 0, 0, 1)],
    ["fe80::1%2", v6(0xfe80, 0, 0, 0, 0, 0, 0, 1)],
  ];
  for (const [text, bytes] of cases) deepEqual(parseAddress(text), bytes, text);
});

Deno.test("parseAddress() returns null for anything that is not a literal address", () => {
  const rejected = [
    "",
    " ",
    "localhost",
    "example.com",
    "1.2.3",
    "1.2.3.4.5",
    "256.0.0.1",
    "1.2.3.999",
    "01.2.3.4",
    "1.2.3.04",
    "0x7f.0.0.1",
    "1..2.3",
    "1.2.3.",
    "+1.2.3.4",
    "1.2.3.-4",
    " 1.2.3.4",
    "1.2.3.4 ",
    "1e2.0.0.1",
    "１.2.3.4",
    "1.2.3.4%eth0",
    "127.1",
    "2130706433",
    ":",
    ":::",
    "1:::2",
    "1::2::3",
    "::1::",
    ":1::2",
    "1::2:",
    ":1:2:3:4:5:6:7:8",
    "1:2:3:4:5:6:7:8:",
    "1:2:3:4:5:6:7",
    "1:2:3:4:5:6:7:8:9",
    "1:2:3:4:5:6:7::8",
    "1:2:3:4::5:6:7:8",
    "12345::",
    "g::1",
    "::1%",
    "[::1]",
    "::ffff:1.2.3",
    "::ffff:256.1.2.3",
    "::ffff:01.2.3.4",
    "1.2.3.4::",
    "::1.2.3.4:5",
    "1:2:3:4:5:6:7:1.2.3.4",
    "1:2:3:4:5:6:1.2.3.4:8",
    "2001:db8::1 ",
  ];
  for (const text of rejected) {
    equal(parseAddress(text), null, JSON.stringify(text));
  }
});

Deno.test("parseAddress() returns a fresh array each time", () => {
  const a = parseAddress("10.0.0.1");
  const b = parseAddress("10.0.0.1");
  notEqual(a, b);
  a![0] = 99;
  deepEqual(b, new Uint8Array([10, 0, 0, 1]));
});

Deno.test("parseAddress() inverts formatAddress()", () => {
  fc.assert(
    fc.property(anyAddress, (bytes) => {
      deepEqual(parseAddress(formatAddress(bytes)), bytes);
    }),
    { numRuns: 1000 },
  );
});

Deno.test("formatAddress() canonicalises any valid IPv6 spelling", () => {
  fc.assert(
    fc.property(
      fc.oneof(sparseV6, fc.uint8Array({ minLength: 16, maxLength: 16 })),
      (bytes) => {
        const parsed = parseAddress(uncompressed(bytes));
        deepEqual(parsed, bytes);
        const canonical = formatAddress(parsed!);
        equal(canonical, formatAddress(bytes));
        equal(canonical, canonical.toLowerCase());
        equal(canonical.split("::").length <= 2, true, canonical);
        equal(/(^|:)0[0-9a-f]/.test(canonical), false, canonical);
        checkCompression(canonical);
      },
    ),
    { numRuns: 1000 },
  );
});

Deno.test("parseAddress() never throws on arbitrary text", () => {
  fc.assert(
    fc.property(
      fc.oneof(fc.string(), fc.stringMatching(/^[0-9a-fA-F:.%]{0,45}$/)),
      (text) => {
        const parsed = parseAddress(text);
        if (parsed !== null) equal([4, 16].includes(parsed.length), true);
      },
    ),
    { numRuns: 2000 },
  );
});

Deno.test("sameAddress() compares length and bytes", () => {
  equal(
    sameAddress(new Uint8Array([127, 0, 0, 1]), new Uint8Array([127, 0, 0, 1])),
    true,
  );
  equal(
    sameAddress(new Uint8Array([127, 0, 0, 1]), new Uint8Array([127, 0, 0, 2])),
    false,
  );
  equal(sameAddress(new Uint8Array(4), new Uint8Array(16)), false);
  equal(
    sameAddress(parseAddress("::ffff:127.0.0.1")!, parseAddress("127.0.0.1")!),
    false,
  );
  const backing = new Uint8Array([1, 10, 0, 0, 1, 2]);
  equal(sameAddress(backing.subarray(1, 5), parseAddress("10.0.0.1")!), true);
  fc.assert(
    fc.property(anyAddress, anyAddress, (a, b) => {
      equal(sameAddress(a, a.slice()), true);
      equal(sameAddress(a, b), formatAddress(a) === formatAddress(b));
    }),
  );
});
