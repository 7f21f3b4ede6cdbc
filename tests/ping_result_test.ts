import { deepEqual, equal } from "node:assert/strict";
import { PingResult } from "../mod.ts";

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
