/**
 * Fuzz targets: every decoder miniping runs on bytes from the network or the kernel, each with generators of random
 * and structured-then-mutated input and a check of what the decoder may do with it: return a well-formed result or
 * throw its own error, never read outside its input, never anything else. Shared by the CI test
 * (tests/decode_fuzz_test.ts) and the long run (tests/fuzz/long_run.ts).
 *
 * @module
 */
import fc from "fast-check";
import {
  decodeIcmp,
  decodeIpv4Header,
  decodeIpv4Packet,
  encodeEcho,
  type IcmpMessage,
  type QuotedProbe,
} from "../../icmp/mod.ts";
import { IcmpDecodeError } from "../../icmp/decode.ts";
import { ReceivedAncillary } from "../../ffi/cmsg.ts";
import {
  IP_RECVERR,
  IP_TTL,
  IPPROTO_IP,
  IPPROTO_IPV6,
  IPV6_HOPLIMIT,
  IPV6_RECVERR,
  SCM_TIMESTAMPNS,
  SOL_SOCKET,
} from "../../ffi/constants.ts";
import { fromSockaddr } from "../../ffi/sockaddr.ts";
import { matchPacket, matchQueuedError, type PacketMatch, quotedEchoPayload } from "../../engine/matcher.ts";
import { TOKEN_BYTES } from "../../engine/payload.ts";
import { TIMESTAMPING_TARGETS } from "./timestamping_targets.ts";

/** One decoder under fuzz: an input generator and a check that throws on a defect. */
export interface FuzzTarget {
  name: string;
  input: fc.Arbitrary<Uint8Array>;
  check(input: Uint8Array): void;
}

// ---------------------------------------------------------------------------
// Out-of-bounds detection: a typed array behind a Proxy that records reads past its end (and hands out guarded
// subarrays), since a plain Uint8Array answers an out-of-range index with undefined and the decoder carries on.

const INDEX = /^-?\d+$/;

function guard(bytes: Uint8Array, misses: number[]): Uint8Array {
  return new Proxy(bytes, {
    get(target, property) {
      if (typeof property === "string" && INDEX.test(property)) {
        const index = Number(property);
        if (index < 0 || index >= target.length) misses.push(index);
        return target[index];
      }
      if (property === "subarray") {
        return (start?: number, end?: number) => guard(target.subarray(start, end), misses);
      }
      const value = Reflect.get(target, property, target);
      return typeof value === "function" ? value.bind(target) : value;
    },
  });
}

/** Runs `decode` on a guarded view of `input` of `input`; its own IcmpDecodeError is allowed, anything else is a defect. */
export function decodes<T>(input: Uint8Array, decode: (bytes: Uint8Array) => T, validate: (out: T) => void): void {
  const misses: number[] = [];
  let out: T;
  try {
    out = decode(guard(input, misses));
  } catch (error) {
    if (!(error instanceof IcmpDecodeError)) throw error;
    assertNoMiss(misses, input);
    return;
  }
  validate(out);
  assertNoMiss(misses, input);
}

function assertNoMiss(misses: number[], input: Uint8Array): void {
  if (misses.length > 0) {
    throw new Error(`read outside the input: index ${misses[0]} of ${input.length} bytes`);
  }
}

// ---------------------------------------------------------------------------
// Result validation: every field a well-formed value of its type, so an unnoticed undefined or NaN shows.

function byte(value: unknown, what: string): void {
  if (!Number.isInteger(value) || (value as number) < 0 || (value as number) > 255) {
    throw new Error(`${what}: ${value}`);
  }
}

function word(value: unknown, what: string): void {
  if (!Number.isInteger(value) || (value as number) < 0 || (value as number) > 0xffff) {
    throw new Error(`${what}: ${value}`);
  }
}

function validQuoted(q: QuotedProbe | null): void {
  if (q === null) return;
  if (q.source.length !== q.destination.length || ![4, 16].includes(q.source.length)) {
    throw new Error(`quoted addresses of ${q.source.length}/${q.destination.length} bytes`);
  }
  byte(q.type, "quoted type");
  word(q.id, "quoted id");
  word(q.seq, "quoted seq");
}

function validMessage(m: IcmpMessage, length: number): void {
  byte(m.type, "type");
  byte(m.code, "code");
  if (m.checksumValid !== null && typeof m.checksumValid !== "boolean") throw new Error("checksumValid");
  if (m.kind === "echo-reply" || m.kind === "echo-request") {
    word(m.id, "id");
    word(m.seq, "seq");
    if (m.payload.length !== length - 8) throw new Error(`payload of ${m.payload.length} in ${length} bytes`);
  } else if (m.kind === "error") {
    if (m.mtu !== null && (!Number.isInteger(m.mtu) || m.mtu < 0 || m.mtu > 0xffff_ffff)) throw new Error("mtu");
    validQuoted(m.quoted);
  } else if (m.kind !== "other") {
    throw new Error(`kind ${(m as { kind: string }).kind}`);
  }
}

// ---------------------------------------------------------------------------
// Structured inputs and mutations.

type Mutation =
  | { op: "flip"; at: number; bit: number }
  | { op: "set"; at: number; value: number }
  | { op: "cut"; at: number }
  | { op: "grow"; bytes: Uint8Array };

const mutation: fc.Arbitrary<Mutation> = fc.oneof(
  fc.record({ op: fc.constant("flip" as const), at: fc.nat(), bit: fc.integer({ min: 0, max: 7 }) }),
  fc.record({
    op: fc.constant("set" as const),
    at: fc.nat(),
    value: fc.oneof(fc.constantFrom(0, 1, 0x45, 0x46, 0x4f, 0x60, 0x7f, 0x80, 0xff), fc.integer({ min: 0, max: 255 })),
  }),
  fc.record({ op: fc.constant("cut" as const), at: fc.nat() }),
  fc.record({ op: fc.constant("grow" as const), bytes: fc.uint8Array({ maxLength: 16 }) }),
);

function mutate(base: Uint8Array, mutations: Mutation[]): Uint8Array {
  let bytes = base.slice();
  for (const m of mutations) {
    if (m.op === "grow") {
      const grown = new Uint8Array(bytes.length + m.bytes.length);
      grown.set(bytes);
      grown.set(m.bytes, bytes.length);
      bytes = grown;
    } else if (bytes.length === 0) {
      continue;
    } else if (m.op === "flip") {
      bytes[m.at % bytes.length] ^= 1 << m.bit;
    } else if (m.op === "set") {
      bytes[m.at % bytes.length] = m.value;
    } else {
      bytes = bytes.slice(0, m.at % (bytes.length + 1));
    }
  }
  return bytes;
}

/** Well-formed bytes from `base`, then up to six mutations; plus plain random bytes. */
function structured(base: fc.Arbitrary<Uint8Array>): fc.Arbitrary<Uint8Array> {
  return fc.oneof(
    { weight: 1, arbitrary: fc.uint8Array({ maxLength: 160 }) },
    { weight: 1, arbitrary: base },
    {
      weight: 4,
      arbitrary: fc.tuple(base, fc.array(mutation, { minLength: 1, maxLength: 6 })).map(([b, m]) => mutate(b, m)),
    },
  );
}

const payload = fc.uint8Array({ maxLength: 64 });
const u16 = fc.integer({ min: 0, max: 0xffff });

function ipv4Header(protocol: number, payloadLength: number, options: Uint8Array, ttl: number): Uint8Array {
  const optionLength = options.length & ~3;
  const header = new Uint8Array(20 + optionLength);
  header[0] = 0x40 | ((20 + optionLength) / 4);
  const total = header.length + payloadLength;
  header[2] = total >> 8;
  header[3] = total & 0xff;
  header[8] = ttl;
  header[9] = protocol;
  header.set([198, 18, 1, 1], 12);
  header.set([198, 18, 4, 2], 16);
  header.set(options.subarray(0, optionLength), 20);
  return header;
}

function concat(...parts: Uint8Array[]): Uint8Array {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let at = 0;
  for (const p of parts) {
    out.set(p, at);
    at += p.length;
  }
  return out;
}

const echo = (family: 4 | 6) =>
  fc.tuple(u16, u16, payload, fc.boolean()).map(([id, seq, data, reply]) =>
    encodeEcho(family, id, seq, data, { reply })
  );

/** An ICMPv4 error quoting an IPv4 header (with options) and the start of an echo request. */
const error4 = fc.tuple(
  fc.constantFrom(3, 4, 5, 11, 12),
  fc.integer({ min: 0, max: 15 }),
  fc.uint8Array({ maxLength: 40 }),
  echo(4),
  fc.integer({ min: 0, max: 64 }),
).map(([type, code, options, inner, quoteLength]) => {
  const quoted = concat(ipv4Header(1, inner.length, options, 1), inner);
  const header = new Uint8Array(8);
  header[0] = type;
  header[1] = code;
  return concat(header, quoted.subarray(0, Math.min(quoted.length, 20 + options.length + quoteLength)));
});

/** An ICMPv6 error quoting an IPv6 header, a chain of extension headers and the start of an echo request. */
const error6 = fc.tuple(
  fc.constantFrom(1, 2, 3, 4),
  fc.integer({ min: 0, max: 7 }),
  fc.array(fc.tuple(fc.constantFrom(0, 43, 44, 60, 59, 6), fc.integer({ min: 0, max: 3 }), u16), { maxLength: 4 }),
  echo(6),
  fc.integer({ min: 0, max: 120 }),
).map(([type, code, extensions, inner, cut]) => {
  const chain: Uint8Array[] = [];
  const next = [...extensions.map(([kind]) => kind), 58];
  for (const [i, [kind, units, fragment]] of extensions.entries()) {
    const length = kind === 44 ? 8 : (units + 1) * 8;
    const ext = new Uint8Array(length);
    ext[0] = next[i + 1];
    if (kind === 44) {
      ext[2] = fragment >> 8;
      ext[3] = fragment & 0xff;
    } else ext[1] = units;
    chain.push(ext);
  }
  const ip = new Uint8Array(40);
  ip[0] = 0x60;
  ip[6] = next[0];
  ip[7] = 1;
  ip.set([0xfd, 0, 0, 0x5e, 0, 1], 8);
  ip.set([0xfd, 0, 0, 0x5e, 0, 4], 24);
  const quoted = concat(ip, ...chain, inner);
  const header = new Uint8Array(8);
  header[0] = type;
  header[1] = code;
  return concat(header, quoted.subarray(0, Math.max(0, quoted.length - cut)));
});

const packet4 = fc.tuple(fc.oneof(echo(4), error4), fc.uint8Array({ maxLength: 40 }), fc.nat({ max: 255 })).map((
  [icmp, options, ttl],
) => concat(ipv4Header(1, icmp.length, options, ttl), icmp));

// ---------------------------------------------------------------------------
// Control data (cmsg) as the kernel lays it out.

const CMSG_KINDS: [number, number, number][] = [
  [SOL_SOCKET, SCM_TIMESTAMPNS, 16],
  [SOL_SOCKET, 37, 48], // SCM_TIMESTAMPING
  [IPPROTO_IP, IP_TTL, 4],
  [IPPROTO_IPV6, IPV6_HOPLIMIT, 4],
  [IPPROTO_IP, IP_RECVERR, 32],
  [IPPROTO_IPV6, IPV6_RECVERR, 44],
];

const cmsgItem = fc.tuple(
  fc.oneof(fc.constantFrom(...CMSG_KINDS), fc.tuple(fc.integer(), fc.integer(), fc.nat({ max: 64 }))),
  fc.integer({ min: -24, max: 24 }),
  fc.boolean(),
  fc.uint8Array({ minLength: 64, maxLength: 64 }),
).map(([[level, type, size], skew, sockaddr, fill]) => {
  const dataLength = Math.max(0, size + (Math.abs(skew) < 20 ? 0 : skew));
  const space = 16 + ((dataLength + 7) & ~7);
  const bytes = new Uint8Array(space);
  bytes.set(fill.subarray(0, Math.min(space - 16, 64)), 16);
  const view = new DataView(bytes.buffer);
  view.setUint32(0, 16 + dataLength + (Math.abs(skew) < 20 ? 0 : 0), true);
  view.setInt32(8, level, true);
  view.setInt32(12, type, true);
  if (sockaddr && dataLength >= 18 && (type === IP_RECVERR || type === IPV6_RECVERR)) {
    // The offender sockaddr after sock_extended_err: AF_INET or AF_INET6.
    view.setUint16(16 + 16, type === IP_RECVERR ? 2 : 10, true);
  }
  return bytes;
});

const control = fc.array(cmsgItem, { maxLength: 4 }).map((items) => concat(...items));

/** Parses `bytes` as received control data, twice, with different garbage past `msg_controllen`. */
function checkAncillary(bytes: Uint8Array): void {
  // The last byte chooses msg_controllen: the kernel never reports more than the buffer holds.
  const length = bytes.length === 0 ? 0 : bytes[bytes.length - 1] % (bytes.length + 1);
  const results = [0x00, 0xa5].map((garbage) => {
    const buffer = new Uint8Array(bytes.length + 64).fill(garbage);
    buffer.set(bytes.subarray(0, length));
    const parsed = new ReceivedAncillary();
    parsed.parse(buffer, new DataView(buffer.buffer), length);
    if (parsed.offender.byteOffset + parsed.offender.length > length) throw new Error("offender past msg_controllen");
    // Integers, not NaN. 64-bit fields above 2^53 come out rounded; the kernel never sends such stamps.
    for (const [name, value] of Object.entries(parsed)) {
      if (typeof value === "number" && !Number.isInteger(value)) throw new Error(`${name}: ${value}`);
    }
    // The error-queue entry: its offender sockaddr, as the engine reads it.
    const offender = parsed.hasError ? fromSockaddr(parsed.offender.slice()) : null;
    return JSON.stringify({ ...parsed, offender: offender === null ? null : offender.address });
  });
  if (results[0] !== results[1]) throw new Error(`read past msg_controllen ${length}: ${results.join(" vs ")}`);
}

// ---------------------------------------------------------------------------
// The engine's matcher: decoders plus the decision whose probe a packet or error-queue entry is about.

const SOCKET_CASES = [[4, "raw"], [6, "raw"], [4, "datagram"], [6, "datagram"]] as const;
/** The probed addresses: those the structured errors quote (t's, and fd00:5e:4:: for IPv6). */
const PROBE_ADDRESS = {
  4: new Uint8Array([198, 18, 4, 2]),
  6: new Uint8Array([0xfd, 0, 0, 0x5e, 0, 4, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0]),
} as const;

interface Probe {
  destination: Uint8Array;
  token: Uint8Array;
  size: number;
}

/**
 * One matcher input: the first byte picks the socket case and which payload the probe was sent with, the rest is the
 * datagram. The lookup knows every identifier and sequence, so the matcher always goes on to its address and payload
 * checks; the probe's payload is taken from the packet itself (as a reply's or as a quote's), so those checks pass as
 * often as they fail.
 */
export function matcherCase(input: Uint8Array) {
  const [family, kind] = SOCKET_CASES[input[0] % SOCKET_CASES.length];
  const data = input.subarray(1);
  const icmp = family === 4 && kind === "raw" ? data.subarray(Math.min(data.length, (data[0] & 0xf) * 4)) : data;
  const payload = input[0] & 0x80 ? quotedEchoPayload(family, icmp).slice() : icmp.slice(Math.min(icmp.length, 8));
  const lookup = (id: number, seq: number): Probe => {
    word(id, "looked-up id");
    word(seq, "looked-up seq");
    return { destination: PROBE_ADDRESS[family], token: payload.subarray(0, TOKEN_BYTES), size: payload.length };
  };
  return { family, kind, data, from: PROBE_ADDRESS[family], lookup };
}

function validMatch(match: PacketMatch<Probe> | null): void {
  if (match === null) return;
  if (match.type === "reply") {
    if (match.ttl !== null) byte(match.ttl, "ttl");
    if (!Number.isInteger(match.bytes) || match.bytes < 8) throw new Error(`bytes ${match.bytes}`);
  } else if (match.type === "error") {
    if (typeof match.error.message !== "string" || match.error.message === "") {
      throw new Error("error without a message");
    }
  } else if (match.type !== "corrupted") {
    throw new Error(`match type ${(match as { type: string }).type}`);
  }
}

/** matchPacket must never throw, whatever the bytes. */
function checkMatchPacket(input: Uint8Array): void {
  if (input.length === 0) return;
  const { family, kind, data, from, lookup } = matcherCase(input);
  const misses: number[] = [];
  validMatch(matchPacket({ family, kind, data: guard(data, misses), from, ttl: -1 }, lookup));
  assertNoMiss(misses, data);
}

/** The first byte picks the family and `ee_origin`, the rest is the quoted request the error queue hands over. */
function checkMatchQueuedError(input: Uint8Array): void {
  if (input.length === 0) return;
  const { family, data, lookup } = matcherCase(input);
  const origin = (input[0] >> 1) % 5;
  const misses: number[] = [];
  const match = matchQueuedError(
    {
      family,
      data: guard(data, misses),
      destination: PROBE_ADDRESS[family],
      origin,
      errno: 113,
      type: input[0],
      code: input.length & 0xff,
      offender: input[0] & 2 ? null : "198.18.2.2",
    },
    lookup,
  );
  validMatch(match);
  assertNoMiss(misses, data);
  for (const f of [4, 6] as const) {
    const quote = quotedEchoPayload(f, guard(data, misses));
    if (quote.length > data.length) throw new Error("quoted payload longer than the error");
    assertNoMiss(misses, data);
  }
}

/** A selector byte and a datagram that fits the socket case it picks (errors only where raw sockets see them). */
const matcherInput = fc.integer({ min: 0, max: 255 }).chain((selector) => {
  const [family, kind] = SOCKET_CASES[selector % SOCKET_CASES.length];
  const data = kind === "datagram"
    ? echo(family)
    : family === 4
    ? fc.oneof(packet4, error4.map((icmp) => concat(ipv4Header(1, icmp.length, new Uint8Array(0), 64), icmp)))
    : fc.oneof(echo(6), error6);
  return data.map((bytes) => concat(new Uint8Array([selector]), bytes));
});

/** The same for the error queue: what it hands over is the quoted echo request itself. */
const queuedInput = fc.integer({ min: 0, max: 255 }).chain((selector) => {
  const [family] = SOCKET_CASES[selector % SOCKET_CASES.length];
  return echo(family).map((bytes) => concat(new Uint8Array([selector]), bytes));
});

/** Every decoder, with its inputs and its check. */
export const TARGETS: readonly FuzzTarget[] = [
  {
    name: "decodeIcmp(4)",
    input: structured(fc.oneof(echo(4), error4)),
    check: (b) => decodes(b, (x) => decodeIcmp(4, x), (m) => validMessage(m, b.length)),
  },
  {
    name: "decodeIcmp(6) with and without pseudo-header",
    input: structured(fc.oneof(echo(6), error6)),
    check: (b) => {
      decodes(b, (x) => decodeIcmp(6, x), (m) => validMessage(m, b.length));
      const pseudo = { source: new Uint8Array(16).fill(1), destination: new Uint8Array(16).fill(2) };
      decodes(b, (x) => decodeIcmp(6, x, pseudo), (m) => validMessage(m, b.length));
    },
  },
  {
    name: "quoted probe in ICMPv4 and ICMPv6 errors",
    input: structured(fc.oneof(error4, error6)),
    check: (b) => {
      for (const family of [4, 6] as const) {
        decodes(b, (x) => decodeIcmp(family, x), (m) => validMessage(m, b.length));
      }
    },
  },
  {
    name: "decodeIpv4Header",
    input: structured(packet4),
    check: (b) =>
      decodes(b, decodeIpv4Header, (h) => {
        if (h.headerLength < 20 || h.headerLength > Math.min(60, b.length) || h.headerLength % 4 !== 0) {
          throw new Error(`headerLength ${h.headerLength} of ${b.length}`);
        }
        word(h.totalLength, "totalLength");
        byte(h.ttl, "ttl");
        byte(h.tos, "tos");
        byte(h.protocol, "protocol");
        if (h.source.length !== 4 || h.destination.length !== 4) throw new Error("address length");
      }),
  },
  {
    name: "decodeIpv4Packet",
    input: structured(packet4),
    check: (b) =>
      decodes(b, decodeIpv4Packet, ({ ip, icmp }) => {
        validMessage(
          icmp,
          Math.min(b.length, ip.totalLength >= ip.headerLength ? ip.totalLength : b.length) -
            ip.headerLength,
        );
      }),
  },
  {
    name: "ancillary data and error-queue entries (ReceivedAncillary.parse, fromSockaddr)",
    input: structured(control.map((c) => concat(c, new Uint8Array([c.length & 0xff])))),
    check: checkAncillary,
  },
  {
    name: "engine matcher: packets from the receive queue (matchPacket)",
    input: structured(matcherInput),
    check: checkMatchPacket,
  },
  {
    name: "engine matcher: error-queue entries (matchQueuedError, quotedEchoPayload)",
    input: structured(queuedInput),
    check: checkMatchQueuedError,
  },
  ...TIMESTAMPING_TARGETS,
];
