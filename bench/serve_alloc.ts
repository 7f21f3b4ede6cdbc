/**
 * Bytes V8 allocates per probe in `miniping serve`'s pattern (pingMany of 100 loopback literals, count 1, onProbe,
 * onResult unless NORESULT=1, collect false, 10,000 probes/s), from `total_allocated_bytes` over SECONDS after a
 * 2 s warm-up, and the process's user and system CPU µs per probe over the same time. MODE=prober runs serve's Prober instead; PROF=1 adds a sampling heap profile per function.
 *
 * ```sh
 * WT=/path/to/checkout MODE=raw|prober SECONDS=5 deno run -A bench/serve_alloc.ts
 * ```
 *
 * @module
 */
// deno-lint-ignore-file no-explicit-any
import v8 from "node:v8";
import process from "node:process";
const wt = Deno.env.get("WT") ?? new URL("..", import.meta.url).pathname.replace(/\/$/, "");
const mode = Deno.env.get("MODE") ?? "raw";
const secs = Number(Deno.env.get("SECONDS") ?? 8);
const n = Number(Deno.env.get("N") ?? 10000);
const hosts = Array.from({ length: n }, (_, i) => `127.1.${Math.floor(i / 250)}.${(i % 250) + 1}`);
const alloc = () => (v8.getHeapStatistics() as unknown as { total_allocated_bytes: number }).total_allocated_bytes;
let probes = 0;
let stop: () => Promise<void>;
let sent: () => number;
if (mode === "prober") {
  const { ServeMetrics } = await import(`${wt}/serve/metrics.ts`);
  const { Prober } = await import(`${wt}/serve/prober.ts`);
  const { openPingerEngine } = await import(`${wt}/serve/pinger_engine.ts`);
  const engine = openPingerEngine();
  const p = new Prober(engine, new ServeMetrics(), { period: 1000, timeout: 1000, size: 56 });
  p.setTargets(hosts);
  p.start();
  sent = () => engine.stats().sent ?? 0;
  stop = () => p.stop();
} else {
  const { Pinger } = await import(`${wt}/pinger.ts`);
  const pinger = new Pinger();
  const chunk = 100;
  let running = true;
  sent = () => pinger.stats().sent;
  const loop = (async () => {
    const t0 = performance.now();
    let k = 0;
    const pending = new Set<Promise<unknown>>();
    while (running) {
      const due = t0 + k * chunk / n * 1000;
      const wait = due - performance.now();
      if (wait > 0) await new Promise((r) => setTimeout(r, wait));
      const from = (k * chunk) % n;
      const p = pinger.pingMany(hosts.slice(from, from + chunk), {
        count: 1,
        rate: n,
        timeout: 1000,
        window: chunk,
        collect: false,
        onProbe: (e: { type: string }) => {
          if (e.type === "reply") probes++;
        },
        ...(Deno.env.get("NORESULT") ? {} : { onResult: (_r: unknown) => {} }),
      });
      pending.add(p);
      p.finally(() => pending.delete(p));
      k++;
    }
    await Promise.allSettled([...pending]);
  })();
  stop = async () => {
    running = false;
    await loop;
    await pinger.close();
  };
}
await new Promise((r) => setTimeout(r, 2000)); // warm-up
let post: ((m: string, p?: object) => Promise<any>) | undefined;
if (Deno.env.get("PROF")) {
  const { Session } = await import("node:inspector");
  const ss = new Session();
  ss.connect();
  post = (m, p) => new Promise<any>((res, rej) => ss.post(m, p ?? {}, (e: any, r: any) => e ? rej(e) : res(r)));
  await post("HeapProfiler.enable");
  await post("HeapProfiler.startSampling", {
    samplingInterval: 256,
    includeObjectsCollectedByMajorGC: true,
    includeObjectsCollectedByMinorGC: true,
  });
}
const a0 = alloc(), s0 = sent(), t0 = performance.now(), c0 = process.cpuUsage();
await new Promise((r) => setTimeout(r, secs * 1000));
const a1 = alloc(), s1 = sent(), t1 = performance.now(), c1 = process.cpuUsage(c0);
const ds = s1 - s0;
console.log(
  JSON.stringify({
    mode,
    probes: ds,
    rate: Math.round(ds / ((t1 - t0) / 1000)),
    bytesPerProbe: Math.round((a1 - a0) / ds),
    userUsPerProbe: +(c1.user / ds).toFixed(2),
    sysUsPerProbe: +(c1.system / ds).toFixed(2),
    mbPerSec: +((a1 - a0) / 1e6 / ((t1 - t0) / 1000)).toFixed(1),
    rss: Math.round(Deno.memoryUsage().rss / 1e6),
  }),
);
if (post) {
  const { profile } = await post("HeapProfiler.stopSampling");
  const agg = new Map<string, number>();
  const walk = (node: any, parent = "") => {
    const f = node.callFrame;
    let key = `${f.functionName || "(anon)"} ${f.url.replace(/.*\/wt\/[^/]+\//, "")}:${f.lineNumber + 1}`;
    const me = key;
    if (!f.url || f.url.startsWith("ext:")) key += " <- " + parent;
    agg.set(key, (agg.get(key) ?? 0) + node.selfSize);
    for (const c of node.children) walk(c, me);
  };
  walk(profile.head);
  const total = [...agg.values()].reduce((a, b) => a + b, 0);
  for (const [k, v] of [...agg].sort((a, b) => b[1] - a[1]).slice(0, 60)) {
    console.log((v / ds).toFixed(0).padStart(6), "B/probe", k);
  }
  console.log("sampled total B/probe", (total / ds).toFixed(0));
}
await stop();
Deno.exit(0);
