import { deepEqual, equal, throws } from "node:assert/strict";
import fc from "fast-check";
import {
  formatIpv4,
  formatIpv6,
  GENERATE_LIMIT,
  isAddressLiteral,
  parseGenerate,
  parseIpv4,
  parseIpv6,
  rangeAddresses,
  targetLines,
} from "../cli/targets.ts";
import { UsageError } from "../cli/argv.ts";

async function collect<T>(items: AsyncIterable<T>): Promise<T[]> {
  const out: T[] = [];
  for await (const item of items) out.push(item);
  return out;
}

async function* chunks(...parts: string[]): AsyncGenerator<string> {
  yield* parts;
}

Deno.test("-g CIDR leaves out an IPv4 block's network and broadcast addresses, as fping", () => {
  deepEqual([...rangeAddresses(parseGenerate(["192.0.2.0/30"]))], ["192.0.2.1", "192.0.2.2"]);
  deepEqual([...rangeAddresses(parseGenerate(["192.0.2.9/31"]))], ["192.0.2.8", "192.0.2.9"]);
  deepEqual([...rangeAddresses(parseGenerate(["192.0.2.9/32"]))], ["192.0.2.9"]);
  equal(parseGenerate(["198.18.0.0/16"]).count, 65534n);
  // Host bits in the address are ignored, as in a route.
  equal([...rangeAddresses(parseGenerate(["192.0.2.77/24"]))][0], "192.0.2.1");
});

Deno.test("-g CIDR for IPv6 takes every address of the block", () => {
  deepEqual([...rangeAddresses(parseGenerate(["2001:db8::/126"]))], [
    "2001:db8::",
    "2001:db8::1",
    "2001:db8::2",
    "2001:db8::3",
  ]);
  equal(parseGenerate(["fd00::/108"]).count, BigInt(GENERATE_LIMIT));
  throws(() => parseGenerate(["fd00::/107"]), /too large: 2097152 addresses/);
});

Deno.test("-g START END covers both ends, across octet and hextet borders", () => {
  deepEqual([...rangeAddresses(parseGenerate(["192.0.2.254", "192.0.3.1"]))], [
    "192.0.2.254",
    "192.0.2.255",
    "192.0.3.0",
    "192.0.3.1",
  ]);
  deepEqual([...rangeAddresses(parseGenerate(["2001:db8::ffff", "2001:db8::1:0"]))], [
    "2001:db8::ffff",
    "2001:db8::1:0",
  ]);
  throws(() => parseGenerate(["10.0.0.0", "10.16.0.0"]), UsageError);
  equal(parseGenerate(["10.0.0.0", "10.15.255.255"]).count, BigInt(GENERATE_LIMIT));
});

Deno.test("IPv4 and IPv6 parsing rejects what is not an address", () => {
  for (const bad of ["256.0.0.1", "1.2.3", "01.2.3.4", "1.2.3.4.5", "a.b.c.d", ""]) equal(parseIpv4(bad), null, bad);
  for (const bad of ["1::2::3", "12345::", "1:2:3:4:5:6:7:8:9", ":::", "g::1", "1:2:3:4:5:6:7"]) {
    equal(parseIpv6(bad), null, bad);
  }
  equal(parseIpv6("::ffff:192.0.2.1"), 0xffffc0000201n);
  equal(isAddressLiteral("fe80::1%eth0"), true);
  equal(isAddressLiteral("example.com"), false);
  equal(isAddressLiteral("eth0"), false);
});

Deno.test("IPv6 formatting is RFC 5952's canonical form and round-trips", () => {
  equal(formatIpv6(0n), "::");
  equal(formatIpv6(1n), "::1");
  // Of two equal runs, the first is compressed.
  equal(formatIpv6(0x20010db8000000000001000000000001n), "2001:db8::1:0:0:1");
  equal(formatIpv6(0x20010db8000000010000000000000001n), "2001:db8:0:1::1");
  equal(formatIpv6(0x20010db8000000010000000000000000n), "2001:db8:0:1::");
  // A single zero group is not compressed.
  equal(formatIpv6(0x20010db8000100010001000100010001n), "2001:db8:1:1:1:1:1:1");
  equal(formatIpv6(0x20010db8000000010001000100010001n), "2001:db8:0:1:1:1:1:1");
  fc.assert(fc.property(fc.bigInt({ min: 0n, max: (1n << 128n) - 1n }), (value) => {
    equal(parseIpv6(formatIpv6(value)), value);
  }));
  fc.assert(fc.property(fc.bigInt({ min: 0n, max: (1n << 32n) - 1n }), (value) => {
    equal(parseIpv4(formatIpv4(value)), value);
  }));
});

Deno.test("target files: one a line, # comments, blank lines, lines split across chunks", async () => {
  const text = ["# lab\n192.0.2.1\n  192.0.", "2.2  # second\n\n\nexample.test\r\n", "a b\n", "last"];
  deepEqual(await collect(targetLines(chunks(...text))), ["192.0.2.1", "192.0.2.2", "example.test", "a", "b", "last"]);
  deepEqual(await collect(targetLines(chunks(""))), []);
  deepEqual(await collect(targetLines(chunks("# only a comment"))), []);
});
