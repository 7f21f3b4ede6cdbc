import { deepEqual, equal, ok, rejects } from "node:assert/strict";
import { ping, PING_DEFAULTS, Pinger, PingFailure, pingMany, type ProbeEvent, SOCKET_KINDS } from "../mod.ts";
import { gate } from "./support/gate.ts";

// Raw ICMP sockets on loopback need root (or CAP_NET_RAW) outside a namespace the tests configure.
const needsRoot = gate(Deno.uid() === 0 ? null : "not root: raw ICMP sockets need CAP_NET_RAW");
const test = (name: string, fn: () => Promise<void>) => Deno.test({ name, ignore: needsRoot, fn });

test("pingMany() gives one entry per target in input order, failures included", async () => {
  const hosts = ["127.0.0.1", "no-such-host.invalid", "::1", "127.0.0.2", "a\0b"];
  const entries = await pingMany(hosts, { count: 2, interval: 5 });
  deepEqual(entries.map((entry) => [entry.index, entry.host, entry.ok]), [
    [0, "127.0.0.1", true],
    [1, "no-such-host.invalid", false],
    [2, "::1", true],
    [3, "127.0.0.2", true],
    [4, "a\0b", false],
  ]);
  for (const entry of entries) {
    if (entry.ok) equal(entry.received, 2);
  }
  const notFound = entries[1] as PingFailure;
  ok(notFound instanceof PingFailure);
  ok(notFound.error instanceof Deno.errors.NotFound, String(notFound.error));
  const nul = entries[4] as PingFailure;
  ok(nul.error instanceof TypeError && /host/.test(nul.error.message), String(nul.error));
  deepEqual(JSON.parse(JSON.stringify(notFound)).ok, false);
});

test("pingMany() events carry host, index, wire id and sequence, and a time", async () => {
  const events: ProbeEvent[] = [];
  const before = Date.now();
  await pingMany(["127.0.0.3", "127.0.0.4"], { count: 2, interval: 5, onProbe: (event) => void events.push(event) });
  equal(events.length, 4);
  for (const event of events) {
    equal(event.type, "reply");
    equal(event.host, ["127.0.0.3", "127.0.0.4"][event.index]);
    equal(event.address, event.host);
    ok(Number.isInteger(event.icmpId) && event.icmpId >= 0 && event.icmpId <= 0xffff);
    ok(Number.isInteger(event.icmpSeq) && event.icmpSeq >= 0 && event.icmpSeq <= 0xffff);
    // µs stamps: Date.now() truncates, so an event in the current ms may lie up to 1 ms past it.
    ok(event.time >= before && event.time <= Date.now() + 1);
  }
  // Each target's two probes have consecutive sequence numbers on one socket... or at least distinct ones.
  const wire = new Set(events.map((event) => `${event.icmpId}/${event.icmpSeq}`));
  equal(wire.size, 4);
});

test("pingMany() calls onResult as each target finishes and resolves [] with collect: false", async () => {
  const seen: number[] = [];
  const entries = await pingMany(["127.0.0.1", "127.0.0.5", "127.0.0.6"], {
    count: 1,
    collect: false,
    onResult: (entry) => void seen.push(entry.index),
  });
  deepEqual(entries, []);
  deepEqual(seen.sort(), [0, 1, 2]);
});

test("pingMany() streams an async iterable through a small window", async () => {
  async function* hosts() {
    for (let i = 1; i <= 300; i++) yield `127.0.${(i >> 8) + 9}.${i & 255}`;
  }
  let alive = 0;
  const entries = await pingMany(hosts(), { count: 1, window: 8, onResult: (entry) => void (entry.ok && alive++) });
  equal(entries.length, 300);
  equal(alive, 300);
  ok(entries.every((entry) => entry.ok && entry.received === 1));
});

test("pingMany() paces the whole call at `rate`", async () => {
  const started = performance.now();
  const entries = await pingMany(["127.0.0.1", "127.0.0.2"], { count: 5, interval: 0, rate: 200 });
  const elapsed = performance.now() - started;
  equal(entries.reduce((n, entry) => n + (entry.ok ? entry.sent : 0), 0), 10);
  // Ten probes at 200/s: the last one leaves 45 ms after the first.
  ok(elapsed >= 40, `elapsed ${elapsed} ms`);
});

test("pingMany() stops at once on abort and resolves with what was gathered", async () => {
  const controller = new AbortController();
  setTimeout(() => controller.abort(), 60);
  const started = performance.now();
  const entries = await pingMany(["127.0.0.1", "::1"], { count: 1000, interval: 10, signal: controller.signal });
  ok(performance.now() - started < 1000);
  for (const entry of entries) {
    ok(entry.ok);
    if (entry.ok) ok(entry.sent > 0 && entry.sent < 1000, `sent ${entry.sent}`);
  }
});

test("pingMany() rejects when onProbe throws or its promise rejects, with no unhandled rejection", async () => {
  await rejects(
    pingMany(["127.0.0.1"], {
      count: 3,
      interval: 5,
      onProbe: () => {
        throw new Error("sync boom");
      },
    }),
    /sync boom/,
  );
  await rejects(
    pingMany(["127.0.0.1"], { count: 3, interval: 5, onProbe: () => Promise.reject(new Error("async boom")) }),
    /async boom/,
  );
  await rejects(
    ping("127.0.0.1", { count: 3, interval: 5, onProbe: () => Promise.reject(new Error("async ping boom")) }),
    /async ping boom/,
  );
});

test("pingMany() rejects bad options before sending", async () => {
  await rejects(pingMany(["127.0.0.1"], { rate: 0 }), RangeError);
  await rejects(pingMany(["127.0.0.1"], { window: 0 }), RangeError);
  await rejects(pingMany("127.0.0.1" as unknown as string[]), TypeError);
  await rejects(ping("127.0.0.1", { interface: "a\0b" }), /interface must not contain a NUL/);
  await rejects(ping("127.0.0.1\0.allowed.example"), TypeError);
});

test("a Pinger keeps its sockets between calls and closes them once", async () => {
  const pinger = new Pinger({ socket: "raw" });
  equal((await pinger.ping("127.0.0.1", { count: 2, interval: 1 })).received, 2);
  const entries = await pinger.pingMany(["127.0.0.1", "127.0.0.2"], { count: 1 });
  equal(entries.length, 2);
  const stats = pinger.stats();
  equal(stats.sockets, 1);
  equal(stats.sent, 4);
  equal(stats.received, 4);
  equal(stats.outstanding, 0);
  // A call in flight settles with what it gathered when the Pinger closes.
  const running = pinger.ping("127.0.0.1", { count: 1000, interval: 10 });
  await new Promise((resolve) => setTimeout(resolve, 50));
  await pinger.close();
  ok((await running).sent < 1000);
  equal(pinger.stats().sockets, 0);
  await pinger.close();
  await rejects(pinger.ping("127.0.0.1"), /closed/);
});

test("ping() keeps its fixed schedule below the timer's 2 ms hop: 200 probes at 1 ms take about 200 ms", async () => {
  const started = performance.now();
  const result = await ping("127.0.0.1", { count: 200, interval: 1 });
  const elapsed = performance.now() - started;
  equal(result.received, 200);
  // A timer per send would take ≥ 420 ms (2.1 ms a hop).
  ok(elapsed < 350, `elapsed ${elapsed} ms`);
});

Deno.test("PING_DEFAULTS and SOCKET_KINDS are the library's own", () => {
  equal(PING_DEFAULTS.count, 4);
  equal(PING_DEFAULTS.interval, 100);
  deepEqual([...SOCKET_KINDS], ["raw", "datagram", "auto"]);
});
