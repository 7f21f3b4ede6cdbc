import { deepEqual, equal, ok, throws } from "node:assert/strict";
import fc from "fast-check";
import { icmpv6Checksum, internetChecksum } from "../icmp/checksum.ts";
import { decodeIcmp, decodeIpv4Header, decodeIpv4Packet, IcmpDecodeError, type IcmpMessage } from "../icmp/decode.ts";
import { encodeEcho } from "../icmp/echo.ts";

const HOST = [192, 0, 2, 10];
const ROUTER = [198, 51, 100, 1];
const TARGET = [203, 0, 113, 5];
const HOST6 = v6(0x2001, 0xdb8, 0, 0, 0, 0, 0, 0x10);
const ROUTER6 = v6(0x2001, 0xdb8, 0, 0, 0, 0, 0, 1);
const TARGET6 = v6(0x2001, 0xdb8, 0xffff, 0, 0, 0, 0, 5);

function v6(...groups: number[]): number[] {
  return groups.flatMap((g) => [g >> 8, g & 0xff]);
}

/** An IPv4 header with a correct header checksum; `options` must be a multiple of 4 bytes. */
function ipv4Header(
  {
    protocol = 1,
    source = HOST,
    destination = TARGET,
    ttl = 64,
    options = [] as number[],
    payloadLength = 0,
  } = {},
): number[] {
  const headerLength = 20 + options.length;
  const total = headerLength + payloadLength;
  const header = [
    0x40 | (headerLength / 4),
    0,
    total >> 8,
    total & 0xff,
    0xbe,
    0xef,
    0x40,
    0, // Don't fragment.
    ttl,
    protocol,
    0,
    0,
    ...source,
    ...destination,
    ...options,
  ];
  const checksum = internetChecksum(new Uint8Array(header));
  header[10] = checksum >> 8;
  header[11] = checksum & 0xff;
  return header;
}

function ipv6Header(
  {
    nextHeader = 58,
    source = HOST6,
    destination = TARGET6,
    payloadLength = 0,
  } = {},
): number[] {
  return [
    0x60,
    0,
    0,
    0,
    payloadLength >> 8,
    payloadLength & 0xff,
    nextHeader,
    64,
    ...source,
    ...destination,
  ];
}

/** An ICMPv4 message with its checksum filled in. */
function icmp4(
  type: number,
  code: number,
  rest: number[],
  body: number[],
): Uint8Array {
  const message = new Uint8Array([type, code, 0, 0, ...rest, ...body]);
  const checksum = internetChecksum(message);
  message[2] = checksum >> 8;
  message[3] = checksum & 0xff;
  return message;
}

/** An ICMPv6 message with its checksum filled in for the given outer addresses. */
function icmp6(
  type: number,
  code: number,
  rest: number[],
  body: number[],
  source = ROUTER6,
  destination = HOST6,
): Uint8Array {
  const message = new Uint8Array([type, code, 0, 0, ...rest, ...body]);
  const checksum = icmpv6Checksum(
    new Uint8Array(source),
    new Uint8Array(destination),
    message,
  );
  message[2] = checksum >> 8;
  message[3] = checksum & 0xff;
  return message;
}

function asError(message: IcmpMessage) {
  equal(message.kind, "error");
  if (message.kind !== "error") throw new Error("unreachable");
  return message;
}

const probe4 = [...encodeEcho(4, 0x4d2, 17, new Uint8Array(0))];
const probe6 = [...encodeEcho(6, 0x4d2, 17, new Uint8Array(0))];

Deno.test("decodeIcmp() rejects a truncated header", () => {
  for (let length = 0; length < 8; length++) {
    for (const family of [4, 6] as const) {
      throws(
        () => decodeIcmp(family, new Uint8Array(length)),
        (error: unknown) =>
          error instanceof IcmpDecodeError && error instanceof Error &&
          error.name === "IcmpDecodeError" &&
          error.message.includes(`got ${length}`),
      );
    }
  }
});

Deno.test("decodeIcmp() rejects bad arguments with TypeError, not IcmpDecodeError", () => {
  const message = new Uint8Array(8);
  throws(() => decodeIcmp(5 as 4, message), TypeError);
  throws(
    () =>
      decodeIcmp(6, message, {
        source: new Uint8Array(4),
        destination: new Uint8Array(16),
      }),
    TypeError,
  );
});

Deno.test("decodeIcmp() decodes an ICMPv4 echo reply with its payload as a view", () => {
  const message = encodeEcho(4, 0xbeef, 0x0102, new Uint8Array([1, 2, 3]), {
    reply: true,
  });
  const backing = new Uint8Array(message.length + 7);
  backing.set(message, 3);
  const view = backing.subarray(3, 3 + message.length);
  const decoded = decodeIcmp(4, view);
  deepEqual(decoded, {
    kind: "echo-reply",
    type: 0,
    code: 0,
    checksumValid: true,
    id: 0xbeef,
    seq: 0x0102,
    payload: new Uint8Array([1, 2, 3]),
  });
  if (decoded.kind !== "echo-reply") return;
  equal(decoded.payload.buffer, backing.buffer);
  equal(decoded.payload.byteOffset, 3 + 8);
});

Deno.test("decodeIcmp() reports a corrupted ICMPv4 checksum", () => {
  const message = encodeEcho(4, 1, 1, new Uint8Array([5, 6, 7, 8]), {
    reply: true,
  });
  message[9] ^= 0x40;
  const decoded = decodeIcmp(4, message);
  equal(decoded.kind, "echo-reply");
  equal(decoded.checksumValid, false);
});

Deno.test("decodeIcmp() verifies an ICMPv6 checksum only with the pseudo-header", () => {
  const message = icmp6(129, 0, [0, 9, 0, 3], [0xaa, 0xbb], TARGET6, HOST6);
  const source = new Uint8Array(TARGET6);
  const destination = new Uint8Array(HOST6);
  equal(decodeIcmp(6, message).checksumValid, null);
  equal(decodeIcmp(6, message, { source, destination }).checksumValid, true);
  equal(
    decodeIcmp(6, message, {
      source: destination,
      destination: new Uint8Array(16),
    }).checksumValid,
    false,
  );
  const decoded = decodeIcmp(6, message, { source, destination });
  equal(decoded.kind, "echo-reply");
  if (decoded.kind === "echo-reply") {
    equal(decoded.id, 9);
    equal(decoded.seq, 3);
    deepEqual(decoded.payload, new Uint8Array([0xaa, 0xbb]));
  }
});

Deno.test("decodeIcmp() recognises echo requests of both families", () => {
  equal(
    decodeIcmp(4, encodeEcho(4, 1, 2, new Uint8Array(0))).kind,
    "echo-request",
  );
  equal(
    decodeIcmp(6, encodeEcho(6, 1, 2, new Uint8Array(0))).kind,
    "echo-request",
  );
  // ICMPv4 type numbers mean nothing in ICMPv6.
  equal(decodeIcmp(6, encodeEcho(4, 1, 2, new Uint8Array(0))).kind, "other");
});

Deno.test("decodeIcmp() returns other for types it does not model", () => {
  const timestamp = icmp4(13, 0, [0, 1, 0, 1], new Array(12).fill(0));
  deepEqual(decodeIcmp(4, timestamp), {
    kind: "other",
    type: 13,
    code: 0,
    checksumValid: true,
  });
  const neighbourSolicitation = new Uint8Array([
    135,
    0,
    0,
    0,
    0,
    0,
    0,
    0,
    ...TARGET6,
  ]);
  deepEqual(decodeIcmp(6, neighbourSolicitation), {
    kind: "other",
    type: 135,
    code: 0,
    checksumValid: null,
  });
});

Deno.test("decodeIcmp() decodes an ICMPv4 administratively prohibited error with its quote", () => {
  const quote = [...ipv4Header({ payloadLength: probe4.length }), ...probe4];
  const error = asError(decodeIcmp(4, icmp4(3, 13, [0, 0, 0, 0], quote)));
  equal(error.errorKind, "unreachable");
  equal(error.type, 3);
  equal(error.code, 13);
  equal(error.checksumValid, true);
  equal(error.mtu, null);
  deepEqual(error.quoted, {
    source: new Uint8Array(HOST),
    destination: new Uint8Array(TARGET),
    type: 8,
    id: 0x4d2,
    seq: 17,
  });
});

Deno.test("decodeIcmp() honours the IHL of a quoted IPv4 header with options", () => {
  // Two 4-byte options: a Router Alert and four end-of-list bytes.
  const options = [0x94, 0x04, 0x00, 0x00, 0, 0, 0, 0];
  const quote = [
    ...ipv4Header({ options, payloadLength: probe4.length, ttl: 1 }),
    ...probe4,
  ];
  const error = asError(decodeIcmp(4, icmp4(11, 0, [0, 0, 0, 0], quote)));
  equal(error.errorKind, "time-exceeded");
  equal(error.quoted?.id, 0x4d2);
  equal(error.quoted?.seq, 17);
  equal(error.quoted?.type, 8);
  deepEqual(error.quoted?.destination, new Uint8Array(TARGET));
});

Deno.test("decodeIcmp() gives a null quote, not an error, when the quote is short", () => {
  const full = [...ipv4Header({ payloadLength: 8 }), ...probe4];
  for (let cut = 0; cut < full.length; cut++) {
    const error = asError(
      decodeIcmp(4, icmp4(3, 1, [0, 0, 0, 0], full.slice(0, cut))),
    );
    equal(error.quoted, null, `quote of ${cut} bytes`);
  }
  const full6 = [...ipv6Header({ payloadLength: 8 }), ...probe6];
  for (let cut = 0; cut < full6.length; cut++) {
    const error = asError(
      decodeIcmp(6, icmp6(1, 0, [0, 0, 0, 0], full6.slice(0, cut))),
    );
    equal(error.quoted, null, `quote of ${cut} bytes`);
  }
});

Deno.test("decodeIcmp() gives a null quote when the quoted packet is not ICMP", () => {
  const udp = [0x80, 0x00, 0x82, 0x9a, 0, 8, 0, 0];
  const quote4 = [...ipv4Header({ protocol: 17, payloadLength: 8 }), ...udp];
  equal(asError(decodeIcmp(4, icmp4(3, 3, [0, 0, 0, 0], quote4))).quoted, null);
  const quote6 = [...ipv6Header({ nextHeader: 17, payloadLength: 8 }), ...udp];
  equal(asError(decodeIcmp(6, icmp6(1, 4, [0, 0, 0, 0], quote6))).quoted, null);
  // An inner IPv6 header inside an ICMPv4 error is not a valid quote either.
  equal(
    asError(
      decodeIcmp(4, icmp4(3, 1, [0, 0, 0, 0], [...ipv6Header(), ...probe6])),
    ).quoted,
    null,
  );
});

Deno.test("decodeIcmp() reads the next-hop MTU of fragmentation needed", () => {
  const quote = [...ipv4Header({ payloadLength: 8 }), ...probe4];
  const error = asError(decodeIcmp(4, icmp4(3, 4, [0, 0, 0x05, 0x78], quote)));
  equal(error.errorKind, "unreachable");
  equal(error.mtu, 1400);
  equal(error.quoted?.seq, 17);
  // Bytes 6–7 mean nothing for other codes.
  equal(
    asError(decodeIcmp(4, icmp4(3, 1, [0, 0, 0x05, 0x78], quote))).mtu,
    null,
  );
});

Deno.test("decodeIcmp() classifies the other ICMPv4 errors", () => {
  const quote = [...ipv4Header({ payloadLength: 8 }), ...probe4];
  const kinds: Array<[number, string]> = [
    [4, "source-quench"],
    [5, "redirect"],
    [11, "time-exceeded"],
    [12, "parameter-problem"],
  ];
  for (const [type, kind] of kinds) {
    const error = asError(
      decodeIcmp(4, icmp4(type, 0, [ROUTER[0], 0, 0, 0], quote)),
    );
    equal(error.errorKind, kind);
    equal(error.type, type);
    equal(error.quoted?.id, 0x4d2);
  }
});

Deno.test("decodeIcmp() decodes an ICMPv6 unreachable error with its quote", () => {
  const quote = [...ipv6Header({ payloadLength: 8 }), ...probe6];
  const message = icmp6(1, 1, [0, 0, 0, 0], quote);
  const pseudo = {
    source: new Uint8Array(ROUTER6),
    destination: new Uint8Array(HOST6),
  };
  const error = asError(decodeIcmp(6, message, pseudo));
  equal(error.errorKind, "unreachable");
  equal(error.code, 1);
  equal(error.checksumValid, true);
  equal(error.mtu, null);
  deepEqual(error.quoted, {
    source: new Uint8Array(HOST6),
    destination: new Uint8Array(TARGET6),
    type: 128,
    id: 0x4d2,
    seq: 17,
  });
  equal(error.quoted?.destination.byteOffset, 8 + 24);
});

Deno.test("decodeIcmp() decodes ICMPv6 time exceeded and parameter problem", () => {
  const quote = [...ipv6Header({ payloadLength: 8 }), ...probe6];
  const exceeded = asError(decodeIcmp(6, icmp6(3, 0, [0, 0, 0, 0], quote)));
  equal(exceeded.errorKind, "time-exceeded");
  equal(exceeded.quoted?.seq, 17);
  const problem = asError(decodeIcmp(6, icmp6(4, 1, [0, 0, 0, 6], quote)));
  equal(problem.errorKind, "parameter-problem");
  equal(problem.mtu, null);
});

Deno.test("decodeIcmp() reads the MTU of ICMPv6 packet too big as unsigned 32 bits", () => {
  const quote = [...ipv6Header({ payloadLength: 8 }), ...probe6];
  const error = asError(decodeIcmp(6, icmp6(2, 0, [0, 0, 0x05, 0x00], quote)));
  equal(error.errorKind, "packet-too-big");
  equal(error.mtu, 1280);
  equal(error.quoted?.id, 0x4d2);
  equal(
    asError(decodeIcmp(6, icmp6(2, 0, [0xff, 0xff, 0xff, 0xfe], quote))).mtu,
    0xfffffffe,
  );
});

Deno.test("decodeIcmp() skips IPv6 extension headers in the quote", () => {
  // Hop-by-hop (8 bytes, PadN) then destination options (16 bytes) then ICMPv6.
  const hopByHop = [60, 0, 1, 4, 0, 0, 0, 0];
  const destinationOptions = [58, 1, 1, 12, ...new Array(12).fill(0)];
  const quote = [
    ...ipv6Header({ nextHeader: 0, payloadLength: 32 }),
    ...hopByHop,
    ...destinationOptions,
    ...probe6,
  ];
  const error = asError(decodeIcmp(6, icmp6(3, 0, [0, 0, 0, 0], quote)));
  equal(error.quoted?.type, 128);
  equal(error.quoted?.seq, 17);
  // A first fragment carries the ICMPv6 header, a later one does not.
  const first = [
    ...ipv6Header({ nextHeader: 44 }),
    58,
    0,
    0x00,
    0x01,
    0,
    0,
    0,
    1,
    ...probe6,
  ];
  equal(
    asError(decodeIcmp(6, icmp6(1, 0, [0, 0, 0, 0], first))).quoted?.id,
    0x4d2,
  );
  const later = [
    ...ipv6Header({ nextHeader: 44 }),
    58,
    0,
    0x05,
    0x01,
    0,
    0,
    0,
    1,
    ...probe6,
  ];
  equal(asError(decodeIcmp(6, icmp6(1, 0, [0, 0, 0, 0], later))).quoted, null);
  // An extension header that runs past the quote leaves nothing to read.
  const overlong = [...ipv6Header({ nextHeader: 60 }), 58, 200, ...probe6];
  equal(
    asError(decodeIcmp(6, icmp6(1, 0, [0, 0, 0, 0], overlong))).quoted,
    null,
  );
});

Deno.test("decodeIpv4Header() reads the fields of a header with an option word", () => {
  const header = ipv4Header({
    options: [0x94, 0x04, 0x00, 0x00],
    ttl: 57,
    payloadLength: 8,
  });
  const bytes = new Uint8Array([...header, ...probe4]);
  const ip = decodeIpv4Header(bytes);
  equal(ip.headerLength, 24);
  equal(ip.totalLength, 32);
  equal(ip.tos, 0);
  equal(ip.ttl, 57);
  equal(ip.protocol, 1);
  deepEqual(ip.source, new Uint8Array(HOST));
  deepEqual(ip.destination, new Uint8Array(TARGET));
  // Views, not copies.
  bytes[12] = 10;
  equal(ip.source[0], 10);
});

Deno.test("decodeIpv4Header() rejects what is not an IPv4 header", () => {
  const good = ipv4Header();
  const cases: Array<[string, number[]]> = [
    ["too short", good.slice(0, 19)],
    ["version 6", [0x65, ...good.slice(1)]],
    ["IHL 4", [0x44, ...good.slice(1)]],
    ["IHL 6 with 20 bytes", [0x46, ...good.slice(1)]],
    ["IHL 15 with 56 bytes", [
      0x4f,
      ...good.slice(1),
      ...new Array(36).fill(1),
    ]],
  ];
  for (const [label, bytes] of cases) {
    throws(
      () => decodeIpv4Header(new Uint8Array(bytes)),
      IcmpDecodeError,
      label,
    );
  }
  equal(
    decodeIpv4Header(
      new Uint8Array([0x4f, ...good.slice(1), ...new Array(40).fill(1)]),
    ).headerLength,
    60,
  );
});

Deno.test("decodeIpv4Packet() decodes a raw-socket echo reply behind an IHL=6 header", () => {
  const reply = encodeEcho(4, 0x4d2, 17, new TextEncoder().encode("miniping"), {
    reply: true,
  });
  const header = ipv4Header({
    source: TARGET,
    destination: HOST,
    ttl: 53,
    options: [0x94, 0x04, 0x00, 0x00],
    payloadLength: reply.length,
  });
  // Two bytes of trailing padding beyond the total length, and a non-zero byteOffset.
  const backing = new Uint8Array([0xcc, ...header, ...reply, 0, 0]);
  const { ip, icmp } = decodeIpv4Packet(backing.subarray(1));
  equal(ip.headerLength, 24);
  equal(ip.ttl, 53);
  deepEqual(ip.source, new Uint8Array(TARGET));
  equal(icmp.kind, "echo-reply");
  equal(icmp.checksumValid, true);
  if (icmp.kind === "echo-reply") {
    equal(icmp.id, 0x4d2);
    equal(icmp.seq, 17);
    equal(new TextDecoder().decode(icmp.payload), "miniping");
  }
});

Deno.test("decodeIpv4Packet() uses the bytes it has when the total length disagrees", () => {
  const reply = encodeEcho(4, 1, 2, new Uint8Array([1, 2, 3, 4]), {
    reply: true,
  });
  const header = ipv4Header({ payloadLength: 500 });
  const { icmp } = decodeIpv4Packet(new Uint8Array([...header, ...reply]));
  equal(icmp.checksumValid, true);
  if (icmp.kind === "echo-reply") {
    deepEqual(icmp.payload, new Uint8Array([1, 2, 3, 4]));
  } else throw new Error(`expected an echo reply, got ${icmp.kind}`);
});

Deno.test("decodeIpv4Packet() decodes a router's error about our probe", () => {
  const quote = [...ipv4Header({ payloadLength: 8, ttl: 1 }), ...probe4];
  const message = icmp4(11, 0, [0, 0, 0, 0], quote);
  const packet = new Uint8Array([
    ...ipv4Header({
      source: ROUTER,
      destination: HOST,
      payloadLength: message.length,
    }),
    ...message,
  ]);
  const { ip, icmp } = decodeIpv4Packet(packet);
  deepEqual(ip.source, new Uint8Array(ROUTER));
  const error = asError(icmp);
  equal(error.errorKind, "time-exceeded");
  equal(error.checksumValid, true);
  deepEqual(error.quoted?.destination, new Uint8Array(TARGET));
  equal(error.quoted?.seq, 17);
});

Deno.test("decodeIpv4Packet() rejects a packet that is not ICMP or is truncated", () => {
  const tcp = new Uint8Array([
    ...ipv4Header({ protocol: 6, payloadLength: 8 }),
    ...new Array(8).fill(0),
  ]);
  throws(() => decodeIpv4Packet(tcp), {
    name: "IcmpDecodeError",
    message: /protocol must be 1/,
  });
  const short = new Uint8Array([
    ...ipv4Header({ payloadLength: 8 }),
    0,
    0,
    0,
    0,
  ]);
  throws(() => decodeIpv4Packet(short), IcmpDecodeError);
});

function onlyDecodeErrors(run: () => unknown): void {
  try {
    run();
  } catch (error) {
    ok(error instanceof IcmpDecodeError, `threw ${error}`);
  }
}

/** Random bytes, often shaped like the start of an IPv4 packet or an ICMP error so the deep paths get exercised. */
const packetLike = fc.tuple(
  fc.uint8Array({ maxLength: 120 }),
  fc.constantFrom("raw", "ipv4", "error4", "error6"),
  fc.integer({ min: 0, max: 15 }),
  fc.nat(4),
).map(([bytes, shape, ihl, offset]) => {
  const b = new Uint8Array(offset + bytes.length);
  b.set(bytes, offset);
  const view = b.subarray(offset);
  if (shape === "ipv4" && view.length > 9) {
    view[0] = 0x40 | ihl;
    view[9] = 1;
  } else if (shape === "error4" && view.length > 17) {
    view[0] = 3;
    view[8] = 0x40 | ihl;
    view[17] = 1;
  } else if (shape === "error6" && view.length > 14) {
    view[0] = 1;
    view[8] = 0x60;
    view[14] = [58, 0, 43, 44, 60][ihl % 5];
  }
  return view;
});

Deno.test("decoders only ever throw IcmpDecodeError on random bytes", () => {
  fc.assert(
    fc.property(packetLike, (bytes) => {
      onlyDecodeErrors(() => decodeIcmp(4, bytes));
      onlyDecodeErrors(() => decodeIcmp(6, bytes));
      onlyDecodeErrors(() =>
        decodeIcmp(6, bytes, {
          source: new Uint8Array(16),
          destination: new Uint8Array(16),
        })
      );
      onlyDecodeErrors(() => decodeIpv4Packet(bytes));
      onlyDecodeErrors(() => decodeIpv4Header(bytes));
    }),
    { numRuns: 2000 },
  );
});

Deno.test("decodeIcmp() results are well-formed for random messages", () => {
  fc.assert(
    fc.property(
      packetLike,
      fc.constantFrom(4 as const, 6 as const),
      (bytes, family) => {
        if (bytes.length < 8) {
          throws(() => decodeIcmp(family, bytes), IcmpDecodeError);
          return;
        }
        const message = decodeIcmp(family, bytes);
        equal(message.type, bytes[0]);
        equal(message.code, bytes[1]);
        if (message.kind === "error" && message.quoted !== null) {
          const length = family === 4 ? 4 : 16;
          equal(message.quoted.source.length, length);
          equal(message.quoted.destination.length, length);
          ok(message.quoted.id >= 0 && message.quoted.id <= 0xffff);
          ok(message.quoted.seq >= 0 && message.quoted.seq <= 0xffff);
        }
        if (message.kind === "echo-reply" || message.kind === "echo-request") {
          equal(message.payload.length, bytes.length - 8);
        }
      },
    ),
    { numRuns: 2000 },
  );
});
