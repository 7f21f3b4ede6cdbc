import { deepEqual, equal, ok } from "node:assert/strict";
import { ServeMetrics } from "../serve/metrics.ts";
import { type ProbeEngine, Prober, type RoundOptions } from "../serve/prober.ts";

/** An engine that answers every probe at once and remembers each call. */
class FakeEngine implements ProbeEngine {
  calls: { at: number; hosts: string[]; rate: number; window: number }[] = [];
  pingMany(hosts: readonly string[], o: RoundOptions): Promise<unknown> {
    this.calls.push({ at: performance.now(), hosts: [...hosts], rate: o.rate, window: o.window });
    hosts.forEach((host, index) => {
      if (host.startsWith("dead")) o.onProbe({ type: "timeout", index, address: host, time: Date.now() });
      else o.onProbe({ type: "reply", rtt: 0.2, ttl: 64, clock: "kernel", index, address: host, time: Date.now() });
      o.onResult({ ok: true, index, address: host, corrupted: 0 });
    });
    return Promise.resolve([]);
  }
  stats() {
    return { outstanding: 0, sockets: 1, sendBackoffs: 0 };
  }
  close() {
    return Promise.resolve();
  }
}

const requests = (metrics: ServeMetrics, host: string) =>
  Number(
    new RegExp(`^smokeping_requests_total\\{[^}]*host="${host}"[^}]*\\} (\\d+)$`, "m").exec(
      metrics.render("prometheus"),
    )?.[1] ?? 0,
  );

Deno.test("prober: each target once a period, slices spread through the period", async () => {
  const engine = new FakeEngine();
  const metrics = new ServeMetrics();
  const prober = new Prober(engine, metrics, { period: 200, timeout: 200, size: 56 });
  const hosts = Array.from({ length: 50 }, (_, i) => `h${i}`);
  prober.setTargets(hosts);
  prober.start();
  await new Promise((r) => setTimeout(r, 1000));
  await prober.stop();
  // 200 ms / 10 ms: 20 slices of 2 or 3 targets, each sent as one group.
  const first = engine.calls.slice(0, 20);
  deepEqual(first.flatMap((c) => c.hosts), hosts);
  ok(first.every((c) => c.rate === Infinity && c.window === c.hosts.length));
  // Spread, not a burst: the 20 slices span most of the period. (A loaded machine may stall the loop, after which
  // overdue slices follow each other closely, so single gaps are not judged.)
  const span = first.at(-1)!.at - first[0]!.at;
  ok(span >= 150, `20 slices over ${span} ms`);
  for (const host of hosts) {
    const n = requests(metrics, host);
    ok(n >= 4 && n <= 6, `${host} probed ${n} times in 5 periods`);
  }
});

Deno.test("prober: slices larger than a group are paced at the round's rate", async () => {
  const engine = new FakeEngine();
  const prober = new Prober(engine, new ServeMetrics(), { period: 200, timeout: 200, size: 56 });
  prober.setTargets(Array.from({ length: 1000 }, (_, i) => `h${i}`));
  prober.start();
  await new Promise((r) => setTimeout(r, 50));
  await prober.stop();
  // 20 slices of 50: each paced at 1,000 targets per 0.2 s.
  ok(engine.calls.length > 0 && engine.calls.every((c) => c.hosts.length === 50 && c.rate === 5000));
});

Deno.test("prober: a reload keeps counters of targets that stay and drops the rest", async () => {
  const engine = new FakeEngine();
  const metrics = new ServeMetrics();
  const prober = new Prober(engine, metrics, { period: 50, timeout: 50, size: 56 });
  prober.setTargets(["a", "b", "dead1"]);
  prober.start();
  await new Promise((r) => setTimeout(r, 180));
  const before = requests(metrics, "a");
  ok(before >= 2);
  prober.setTargets(["a", "c"]);
  await new Promise((r) => setTimeout(r, 180));
  await prober.stop();
  ok(requests(metrics, "a") > before);
  ok(requests(metrics, "c") >= 2);
  equal(requests(metrics, "b"), 0);
  equal(metrics.get("dead1"), undefined);
  deepEqual([...metrics.targets()].map((t) => t.host), ["a", "c"]);
});

Deno.test("prober: a failing round is reported and the schedule goes on", async () => {
  let calls = 0;
  const engine: ProbeEngine = {
    pingMany: () => {
      calls++;
      return Promise.reject(new Error("no socket"));
    },
    stats: () => ({ outstanding: 0, sockets: 0, sendBackoffs: 0 }),
    close: () => Promise.resolve(),
  };
  const errors: string[] = [];
  const original = console.error;
  console.error = (message: string) => void errors.push(message);
  try {
    const prober = new Prober(engine, new ServeMetrics(), { period: 30, timeout: 30, size: 56 });
    prober.setTargets(["x"]);
    prober.start();
    await new Promise((r) => setTimeout(r, 100));
    await prober.stop();
  } finally {
    console.error = original;
  }
  ok(calls >= 3, `${calls} rounds`);
  ok(errors.every((e) => e.includes("no socket")) && errors.length === calls);
});
