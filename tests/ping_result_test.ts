import { deepEqual, equal, ok, throws } from "node:assert/strict";
import { PingResult } from "../mod.ts";
import fc from "fast-check";
import { summarizeRtts } from "../stats/summary.ts";

const base = {
  host: "h",
  address: "198.18.0.1",
  family: 4 as const,
  duplicates: 0,
  corrupted: 0,
  errors: 0,
};

Deno.test("PingResult computes loss and statistics from the tally", () => {
  const result = new PingResult({ ...base, sent: 4, rtts: [2, 1, 4], ttl: 61 });
  equal(result.received, 3);
  equal(result.loss, 25);
  equal(result.packetLoss, 25);
  equal(result.success, true);
  equal(result.min, 1);
  equal(result.max, 4);
  equal(result.median, 2);
  deepEqual(result.rtts, [2, 1, 4]);
  equal(result.hops, 4); // 64 − 61 + 1
  equal(result.osGuess, "Linux/Unix/BSD/macOS/Android");
});

Deno.test("PingResult without replies has null RTT figures, zero jitter and no TTL guesses", () => {
  const result = new PingResult({ ...base, sent: 3, rtts: [], ttl: null });
  equal(result.success, false);
  equal(result.loss, 100);
  deepEqual([result.min, result.max, result.mean, result.median, result.p95], [
    null,
    null,
    null,
    null,
    null,
  ]);
  equal(result.jitter, 0);
  deepEqual([result.ttl, result.hops, result.osGuess], [null, null, null]);
});

Deno.test("PingResult gives IPv6 hop counts but no OS guess", () => {
  const result = new PingResult({
    ...base,
    family: 6,
    address: "fd00::1",
    sent: 1,
    rtts: [1],
    ttl: 61,
  });
  equal(result.hops, 4);
  equal(result.osGuess, null);
});

Deno.test("PingResult.toJSON() gives the plain object with every field", () => {
  const result = new PingResult({
    ...base,
    sent: 2,
    rtts: [1, 3],
    ttl: 120,
    duplicates: 1,
    corrupted: 2,
    errors: 3,
  });
  const json = JSON.parse(JSON.stringify(result));
  deepEqual(Object.keys(json), [
    "host",
    "address",
    "family",
    "sent",
    "received",
    "duplicates",
    "corrupted",
    "errors",
    "loss",
    "min",
    "max",
    "mean",
    "median",
    "jitter",
    "interarrivalJitter",
    "p95",
    "rtts",
    "ttl",
    "hops",
    "osGuess",
  ]);
  deepEqual(json, result.toJSON());
  equal(json.osGuess, "Windows");
  equal(json.hops, 9); // 128 − 120 + 1
  equal(json.duplicates, 1);
  equal(json.corrupted, 2);
  equal(json.errors, 3);
});

Deno.test("PingResult reports RFC 3550 interarrival jitter beside the standard deviation", () => {
  // Differences 2, 2, 2: J = 2/16, then + (2 − J)/16 twice.
  const result = new PingResult({ ...base, sent: 4, rtts: [1, 3, 1, 3], ttl: 64 });
  let expected = 0;
  for (let i = 0; i < 3; i++) expected += (2 - expected) / 16;
  equal(result.interarrivalJitter, expected);
  ok(Math.abs(result.jitter - Math.sqrt(4 / 3)) < 1e-12);
  // Order matters for RFC 3550, not for the standard deviation.
  const sorted = new PingResult({ ...base, sent: 4, rtts: [1, 1, 3, 3], ttl: 64 });
  equal(sorted.jitter, result.jitter);
  // Differences 0, 2, 0.
  equal(sorted.interarrivalJitter, (2 / 16) * (15 / 16));
  equal(new PingResult({ ...base, sent: 1, rtts: [5], ttl: 64 }).interarrivalJitter, 0);
});

Deno.test("PingResult's fields, toJSON() and the JSON interface agree, and toJSON() copies the RTTs", () => {
  const result = new PingResult({ ...base, sent: 2, rtts: [1, 2], ttl: 64, index: 7 });
  const json = result.toJSON();
  for (const key of Object.keys(json) as (keyof typeof json)[]) {
    if (key !== "rtts") equal(json[key], result[key], key);
  }
  json.rtts.push(99);
  deepEqual(result.rtts, [1, 2]);
  equal(result.index, 7);
  equal(result.ok, true);
  ok(!("index" in json) && !("ok" in json), "class-only fields stay out of the JSON");
});

Deno.test("PingResult with one RTT gives summarizeRtts' statistics (its shortcut path)", () => {
  fc.assert(fc.property(fc.double({ min: 0, max: 1e6, noNaN: true }), (rtt) => {
    const result = new PingResult({
      host: "h",
      address: "192.0.2.1",
      family: 4,
      sent: 1,
      rtts: [rtt],
      ttl: 64,
      duplicates: 0,
      corrupted: 0,
      errors: 0,
    });
    const summary = summarizeRtts([rtt]);
    deepEqual(
      [result.min, result.max, result.mean, result.median, result.jitter, result.p95],
      [summary.min, summary.max, summary.mean, summary.median, summary.jitter, summary.p95],
    );
  }));
});

Deno.test("PingResult holds its tally as own fields and derives the rest, so equal tallies mean equal results", () => {
  const tally = { ...base, sent: 3, rtts: [3, 1, 2], ttl: 60, index: 4 };
  const result = new PingResult(tally);
  deepEqual(Object.keys(result).sort(), [
    "address",
    "corrupted",
    "duplicates",
    "errors",
    "family",
    "host",
    "index",
    "rtts",
    "sent",
    "ttl",
  ]);
  // deepEqual compares own fields: every derived one follows from them.
  deepEqual(new PingResult(tally), result);
  const other = new PingResult({ ...tally, rtts: [3, 1, 4] });
  throws(() => deepEqual(other, result));
  equal(result.ok, true);
  equal(result.received, 3);
  // The figures of a result with several RTTs are computed once and stay its own.
  equal(result.median, 2);
  equal(other.median, 3);
  equal(result.p95, summarizeRtts([3, 1, 2]).p95);
  // A changed input array does not reach the result.
  tally.rtts.push(100);
  deepEqual(result.rtts, [3, 1, 2]);
  equal(result.max, 3);
});

Deno.test("PingResult rejects a tally that is not one, as when its figures were computed at once", () => {
  throws(() => new PingResult({ ...base, sent: 1, rtts: [NaN], ttl: null }), RangeError);
  throws(() => new PingResult({ ...base, sent: 2, rtts: [1, Infinity], ttl: null }), RangeError);
  throws(() => new PingResult({ ...base, sent: -1, rtts: [], ttl: null }), RangeError);
});
