import { equal, match, notEqual } from "node:assert/strict";
import fc from "fast-check";
import { describeIcmpError } from "../icmp/codes.ts";

Deno.test("describeIcmpError() gives the RFC texts for the common errors", () => {
  equal(describeIcmpError(4, 3, 0), "Destination Net Unreachable");
  equal(describeIcmpError(4, 3, 1), "Destination Host Unreachable");
  equal(describeIcmpError(4, 3, 3), "Destination Port Unreachable");
  equal(
    describeIcmpError(4, 3, 13),
    "Communication Administratively Prohibited",
  );
  equal(describeIcmpError(4, 11, 0), "Time to live exceeded");
  equal(describeIcmpError(6, 1, 0), "No route to destination");
  equal(
    describeIcmpError(6, 1, 1),
    "Communication with destination administratively prohibited",
  );
  equal(describeIcmpError(6, 1, 4), "Port unreachable");
  equal(describeIcmpError(6, 3, 0), "Hop limit exceeded in transit");
  equal(describeIcmpError(6, 2, 0), "Packet too big");
});

Deno.test("describeIcmpError() covers the RFC 1122 and RFC 1812 unreachable codes", () => {
  equal(describeIcmpError(4, 3, 6), "Destination Network Unknown");
  equal(
    describeIcmpError(4, 3, 10),
    "Communication with Destination Host is Administratively Prohibited",
  );
  equal(describeIcmpError(4, 3, 15), "Precedence Cutoff in Effect");
  const texts = new Set<string>();
  for (let code = 0; code <= 15; code++) {
    const text = describeIcmpError(4, 3, code);
    equal(/unknown code/i.test(text), false, `code ${code}: ${text}`);
    texts.add(text);
  }
  equal(texts.size, 16);
});

Deno.test("describeIcmpError() covers every RFC 4443 error code", () => {
  const known: Array<[number, number]> = [
    [1, 0],
    [1, 1],
    [1, 2],
    [1, 3],
    [1, 4],
    [1, 5],
    [1, 6],
    [2, 0],
    [3, 0],
    [3, 1],
    [4, 0],
    [4, 1],
    [4, 2],
  ];
  for (const [type, code] of known) {
    equal(
      /unknown/i.test(describeIcmpError(6, type, code)),
      false,
      `${type}/${code}`,
    );
  }
});

Deno.test("describeIcmpError() keeps the families apart", () => {
  // Type 3 is Destination Unreachable in ICMPv4 but Time Exceeded in ICMPv6.
  notEqual(describeIcmpError(4, 3, 0), describeIcmpError(6, 3, 0));
  equal(describeIcmpError(6, 11, 0), "Unknown ICMPv6 error (type 11, code 0)");
});

Deno.test("describeIcmpError() names the numbers of an unknown code", () => {
  equal(
    describeIcmpError(4, 3, 99),
    "Destination Unreachable (ICMPv4 type 3, unknown code 99)",
  );
  equal(
    describeIcmpError(6, 1, 200),
    "Destination Unreachable (ICMPv6 type 1, unknown code 200)",
  );
  equal(describeIcmpError(4, 42, 7), "Unknown ICMPv4 error (type 42, code 7)");
});

Deno.test("describeIcmpError() ignores inherited object keys", () => {
  const weird = "constructor" as unknown as number;
  match(
    describeIcmpError(4, weird, 0),
    /Unknown ICMPv4 error \(type constructor, code 0\)/,
  );
  match(describeIcmpError(4, 3, weird), /unknown code constructor/);
});

Deno.test("describeIcmpError() never throws and always mentions unknown numbers", () => {
  fc.assert(
    fc.property(
      fc.constantFrom(4 as const, 6 as const, 5 as unknown as 4),
      fc.oneof(fc.integer(), fc.double()),
      fc.oneof(fc.integer(), fc.double()),
      (family, type, code) => {
        const text = describeIcmpError(family, type, code);
        equal(typeof text, "string");
        notEqual(text.length, 0);
        if (/unknown/i.test(text)) {
          equal(text.includes(String(code)), true, text);
          equal(text.includes(String(type)), true, text);
        }
      },
    ),
  );
});
