import { deepEqual, equal } from "node:assert/strict";
import { type MatchableProbe, matchPacket, matchQueuedError, quotedEchoPayload } from "../engine/matcher.ts";
import { SO_EE_ORIGIN_ICMP, SO_EE_ORIGIN_ICMP6, SO_EE_ORIGIN_LOCAL } from "../ffi/constants.ts";
import { payloadOf } from "../engine/payload.ts";
import { encodeEcho, internetChecksum } from "../icmp/mod.ts";

const HOST4 = new Uint8Array([198, 18, 0, 2]);
const TARGET4 = new Uint8Array([198, 18, 64, 1]);
const OTHER4 = new Uint8Array([198, 18, 64, 2]);
const ROUTER4 = new Uint8Array([198, 18, 1, 1]);
const TARGET6 = new Uint8Array([0xfd, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1]);

/** A probe payload: a 16-byte token derived from `seed`, then the counting pattern. */
function payload(size = 56, seed = 7): Uint8Array {
  return payloadOf(Uint8Array.from({ length: Math.min(16, size) }, (_, i) => (i * 31 + seed) & 0xff), size);
}

interface FakeProbe extends MatchableProbe {
  name: string;
  payload: Uint8Array;
}

function fakeProbe(name: string, destination: Uint8Array, payload: Uint8Array): FakeProbe {
  return { name, destination, payload, token: payload.subarray(0, 16), size: payload.length };
}

/** A probe table keyed like a raw socket's: id << 16 | seq. */
function table(...entries: [number, number, FakeProbe][]) {
  const map = new Map(entries.map(([id, seq, probe]) => [id * 65536 + seq, probe]));
  return (id: number, seq: number) => map.get(id * 65536 + seq);
}

function ipv4(source: Uint8Array, destination: Uint8Array, body: Uint8Array, ttl = 61): Uint8Array {
  const total = 20 + body.length;
  const header = new Uint8Array([
    0x45,
    0,
    total >> 8,
    total & 0xff,
    0,
    0,
    0x40,
    0,
    ttl,
    1,
    0,
    0,
    ...source,
    ...destination,
  ]);
  const sum = internetChecksum(header);
  header[10] = sum >> 8;
  header[11] = sum & 0xff;
  return new Uint8Array([...header, ...body]);
}

/** An ICMPv4 error of `type`/`code` quoting `quoted` (inner IPv4 header and ICMP), with a valid checksum. */
function icmp4Error(type: number, code: number, quoted: Uint8Array): Uint8Array {
  const message = new Uint8Array([type, code, 0, 0, 0, 0, 0, 0, ...quoted]);
  const sum = internetChecksum(message);
  message[2] = sum >> 8;
  message[3] = sum & 0xff;
  return message;
}

const probe = fakeProbe("a", TARGET4, payload());
const lookup = table([0x1234, 9, probe]);

Deno.test("matchPacket accepts a raw IPv4 reply from the probed address with the exact payload", () => {
  const reply = encodeEcho(4, 0x1234, 9, probe.payload, { reply: true });
  const match = matchPacket(
    { family: 4, kind: "raw", data: ipv4(TARGET4, HOST4, reply), from: TARGET4, ttl: -1 },
    lookup,
  );
  deepEqual(match, { type: "reply", probe, ttl: 61, bytes: 64 });
});

Deno.test("matchPacket ignores a reply from another address, and one with an unknown id or seq", () => {
  const reply = encodeEcho(4, 0x1234, 9, probe.payload, { reply: true });
  equal(matchPacket({ family: 4, kind: "raw", data: ipv4(OTHER4, HOST4, reply), from: OTHER4, ttl: -1 }, lookup), null);
  const unknown = encodeEcho(4, 0x1234, 10, probe.payload, { reply: true });
  equal(
    matchPacket({ family: 4, kind: "raw", data: ipv4(TARGET4, HOST4, unknown), from: TARGET4, ttl: -1 }, lookup),
    null,
  );
});

Deno.test("matchPacket calls a reply with a changed payload corrupted, and ignores our own echo request", () => {
  const damaged = payload();
  damaged[3] ^= 1;
  const reply = encodeEcho(4, 0x1234, 9, damaged, { reply: true });
  deepEqual(
    matchPacket({ family: 4, kind: "raw", data: ipv4(TARGET4, HOST4, reply), from: TARGET4, ttl: -1 }, lookup),
    { type: "corrupted", probe },
  );
  const request = encodeEcho(4, 0x1234, 9, probe.payload);
  equal(
    matchPacket({ family: 4, kind: "raw", data: ipv4(HOST4, TARGET4, request), from: HOST4, ttl: -1 }, lookup),
    null,
  );
});

Deno.test("matchPacket reads datagram replies by msg_name and the TTL cmsg", () => {
  const reply = encodeEcho(4, 0x1234, 9, probe.payload, { reply: true });
  deepEqual(
    matchPacket({ family: 4, kind: "datagram", data: reply, from: TARGET4, ttl: 63 }, lookup),
    { type: "reply", probe, ttl: 63, bytes: 64 },
  );
  const probe6 = fakeProbe("b", TARGET6, payload(8));
  const reply6 = encodeEcho(6, 0x1234, 9, probe6.payload, { reply: true });
  deepEqual(
    matchPacket({ family: 6, kind: "raw", data: reply6, from: TARGET6, ttl: -1 }, table([0x1234, 9, probe6])),
    { type: "reply", probe: probe6, ttl: null, bytes: 16 },
  );
  equal(matchPacket({ family: 4, kind: "datagram", data: new Uint8Array(3), from: TARGET4, ttl: 63 }, lookup), null);
});

Deno.test("matchPacket attributes a raw ICMP error quoting our probe, with a full or a short quote", () => {
  const request = encodeEcho(4, 0x1234, 9, probe.payload);
  const full = icmp4Error(3, 13, ipv4(HOST4, TARGET4, request, 64));
  const match = matchPacket(
    { family: 4, kind: "raw", data: ipv4(ROUTER4, HOST4, full), from: ROUTER4, ttl: -1 },
    lookup,
  );
  equal(match?.type, "error");
  if (match?.type === "error") {
    deepEqual(match.error, {
      kind: "unreachable",
      icmpType: 3,
      code: 13,
      from: "198.18.1.1",
      message: "Communication Administratively Prohibited",
    });
  }
  // RFC 792 routers quote only 8 bytes of the probe: no payload to check, so identifier and sequence decide.
  const short = icmp4Error(11, 0, ipv4(HOST4, TARGET4, request, 64).subarray(0, 28));
  const shortMatch = matchPacket(
    { family: 4, kind: "raw", data: ipv4(ROUTER4, HOST4, short), from: ROUTER4, ttl: -1 },
    lookup,
  );
  equal(shortMatch?.type === "error" && shortMatch.error.kind, "time-exceeded");
});

Deno.test("matchPacket rejects an off-path error whose quoted payload is not the probe's token", () => {
  const forged = encodeEcho(4, 0x1234, 9, payload(56, 99));
  const error = icmp4Error(3, 1, ipv4(HOST4, TARGET4, forged, 64));
  equal(
    matchPacket({ family: 4, kind: "raw", data: ipv4(ROUTER4, HOST4, error), from: ROUTER4, ttl: -1 }, lookup),
    null,
  );
  // Quoting a probe to another destination does not count either.
  const elsewhere = icmp4Error(3, 1, ipv4(HOST4, OTHER4, encodeEcho(4, 0x1234, 9, probe.payload), 64));
  equal(
    matchPacket({ family: 4, kind: "raw", data: ipv4(ROUTER4, HOST4, elsewhere), from: ROUTER4, ttl: -1 }, lookup),
    null,
  );
});

Deno.test("quotedEchoPayload finds the payload after the inner headers, empty for short quotes", () => {
  const request = encodeEcho(4, 1, 2, payload(20));
  deepEqual(quotedEchoPayload(4, icmp4Error(3, 0, ipv4(HOST4, TARGET4, request))), payload(20));
  equal(quotedEchoPayload(4, icmp4Error(3, 0, ipv4(HOST4, TARGET4, request).subarray(0, 28))).length, 0);
  equal(quotedEchoPayload(6, new Uint8Array(20)).length, 0);
});

Deno.test("matchQueuedError routes ICMP errors by msg_name and the quoted probe", () => {
  const request = encodeEcho(4, 0x1234, 9, probe.payload);
  const entry = {
    family: 4 as const,
    data: request,
    destination: TARGET4,
    origin: SO_EE_ORIGIN_ICMP,
    errno: 111,
    type: 3,
    code: 3,
    offender: "198.18.64.1",
  };
  const match = matchQueuedError(entry, lookup);
  equal(match?.type, "error");
  if (match?.type === "error") equal(match.error.message, "Destination Port Unreachable");
  equal(matchQueuedError({ ...entry, destination: OTHER4 }, lookup), null);
  equal(matchQueuedError({ ...entry, data: encodeEcho(4, 0x1234, 9, payload(56, 1)) }, lookup), null);
  // A short quote (header only) still counts.
  equal(matchQueuedError({ ...entry, data: request.subarray(0, 8) }, lookup)?.type, "error");
});

Deno.test("matchQueuedError words a local refusal as the router would have", () => {
  const request = encodeEcho(6, 0x1234, 9, payload(8));
  const probe6 = fakeProbe("c", TARGET6, payload(8));
  const base = {
    family: 6 as const,
    data: request,
    destination: TARGET6,
    origin: SO_EE_ORIGIN_LOCAL,
    type: 0,
    code: 0,
    offender: null,
  };
  const refused = matchQueuedError({ ...base, errno: 13 }, table([0x1234, 9, probe6]));
  equal(refused?.type === "error" && refused.error.code, 1);
  const other = matchQueuedError({ ...base, errno: 90 }, table([0x1234, 9, probe6]), () => "Message too long");
  equal(other?.type === "error" && other.error.message, "send failed: Message too long");
  const icmp6 = matchQueuedError(
    { ...base, errno: 90, origin: SO_EE_ORIGIN_ICMP6, type: 2, code: 0, offender: "fd00::9" },
    table([0x1234, 9, probe6]),
  );
  equal(icmp6?.type === "error" && icmp6.error.kind, "other");
  equal(matchQueuedError({ ...base, errno: 42, origin: 4 }, table([0x1234, 9, probe6])), null);
});

Deno.test("matchPacket: a reply with a bad checksum is corrupted; IPv4 options and link padding are handled", () => {
  const reply = encodeEcho(4, 0x1234, 9, probe.payload, { reply: true });
  const bad = ipv4(TARGET4, HOST4, reply);
  bad[20 + 2] ^= 0xff; // checksum field
  deepEqual(matchPacket({ family: 4, kind: "raw", data: bad, from: TARGET4, ttl: -1 }, lookup), {
    type: "corrupted",
    probe,
  });
  // IHL 6 (one word of options), total length honoured, two bytes of trailing padding ignored.
  const header = ipv4(TARGET4, HOST4, new Uint8Array(0)).subarray(0, 20);
  const withOptions = new Uint8Array([...header, 1, 1, 1, 0, ...reply, 0, 0]);
  withOptions[0] = 0x46;
  const total = 24 + reply.length;
  withOptions[2] = total >> 8;
  withOptions[3] = total & 0xff;
  deepEqual(
    matchPacket({ family: 4, kind: "raw", data: withOptions, from: TARGET4, ttl: -1 }, lookup),
    { type: "reply", probe, ttl: 61, bytes: 64 },
  );
});

Deno.test("matchPacket: an IPv4 datagram socket's reply is not checksummed again; a given reply object is refilled", () => {
  const probe = fakeProbe("p", TARGET4, payload());
  const lookup = table([0x1234, 9, probe]);
  const reply = encodeEcho(4, 0x1234, 9, probe.payload, { reply: true });
  // The kernel validates ICMPv4 checksums before a datagram socket sees a reply: the field is left as it came.
  reply[2] ^= 0xff;
  const reuse = { type: "reply" as const, probe, ttl: null, bytes: 0 };
  const match = matchPacket({ family: 4, kind: "datagram", data: reply, from: TARGET4, ttl: 57 }, lookup, reuse);
  equal(match, reuse);
  deepEqual(match, { type: "reply", probe, ttl: 57, bytes: 64 });
  // A payload that differs is still corrupted, and a corrupted reply never lands in the reused object.
  reply[20] ^= 1;
  deepEqual(matchPacket({ family: 4, kind: "datagram", data: reply, from: TARGET4, ttl: 57 }, lookup, reuse), {
    type: "corrupted",
    probe,
  });
  deepEqual(reuse, { type: "reply", probe, ttl: 57, bytes: 64 });
});

Deno.test("matchPacket compares a probe's token where it lies in a shared pool", () => {
  const pool = new Uint8Array(64).map((_, i) => (i * 97 + 13) & 0xff);
  const at = 21;
  const token = pool.subarray(at, at + 16);
  const pooled: FakeProbe = {
    name: "pooled",
    destination: TARGET4,
    payload: payloadOf(token, 56),
    token: pool,
    tokenAt: at,
    size: 56,
  };
  const lookup = table([0x1234, 9, pooled]);
  const reply = encodeEcho(4, 0x1234, 9, pooled.payload, { reply: true });
  equal(
    matchPacket({ family: 4, kind: "raw", data: ipv4(TARGET4, HOST4, reply), from: TARGET4, ttl: -1 }, lookup)?.type,
    "reply",
  );
  const shifted = { ...pooled, tokenAt: at + 1 };
  equal(
    matchPacket(
      { family: 4, kind: "raw", data: ipv4(TARGET4, HOST4, reply), from: TARGET4, ttl: -1 },
      table([0x1234, 9, shifted]),
    )?.type,
    "corrupted",
  );
});
