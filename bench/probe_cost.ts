/**
 * JavaScript cost per probe: user and system CPU µs and V8 bytes allocated per probe, for the flood
 * (`ping(target, { count, interval: 0 })`), the sweep (`pingMany(addresses, { count: 1, timeout })`) and serve's
 * pattern, each measured over ROUNDS runs after warm-up runs in the same process (a smaller one, then two left out);
 * medians printed as one JSON line. CPU comes from `process.cpuUsage()` (every thread of the process), allocation from
 * V8's `total_allocated_bytes`, so the figures hold on a busy machine where wall time does not. WT points at another checkout for a paired old/new run. Run it inside the bench lab's h
 * namespace (bench/lib/bench_lab.ts), e.g.:
 *
 * ```sh
 * ip netns exec H deno run -A bench/probe_cost.ts flood 198.18.4.2 20000 5
 * ip netns exec H deno run -A bench/probe_cost.ts sweep FILE 3
 * ip netns exec H deno run -A bench/probe_cost.ts serve 10000 5
 * ```
 *
 * `serve` is `miniping serve`'s pattern without its pacing: one `Pinger`, `pingMany` of 100 loopback literals at a
 * time (`count: 1`, `collect: false`, `onProbe` and `onResult`), N targets per round.
 *
 * @module
 */
// deno-lint-ignore-file no-explicit-any
import v8 from "node:v8";
import process from "node:process";

const wt = Deno.env.get("WT") ?? new URL("..", import.meta.url).pathname.replace(/\/$/, "");
const miniping: any = await import(`${wt}/mod.ts`);

function allocated(): number {
  return (v8.getHeapStatistics() as unknown as { total_allocated_bytes: number }).total_allocated_bytes;
}

interface Round {
  probes: number;
  userUs: number;
  sysUs: number;
  bytes: number;
}

async function measure(probes: number, body: () => Promise<void>): Promise<Round> {
  const cpu = process.cpuUsage();
  const bytes = allocated();
  await body();
  const used = process.cpuUsage(cpu);
  return { probes, userUs: used.user / probes, sysUs: used.system / probes, bytes: (allocated() - bytes) / probes };
}

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)];
}

async function flood(target: string, count: number): Promise<Round> {
  return await measure(count, async () => {
    const result = await miniping.ping(target, { count, interval: 0 });
    if (result.received !== count) console.error(`flood: ${result.received}/${count} replies`);
  });
}

async function sweep(addresses: string[]): Promise<Round> {
  return await measure(addresses.length, async () => {
    const entries = await miniping.pingMany(addresses, { count: 1, timeout: 500 });
    let alive = 0;
    for (const entry of entries) if (entry.ok && entry.received > 0) alive++;
    if (alive !== addresses.length) console.error(`sweep: ${alive}/${addresses.length} alive`);
  });
}

async function serve(pinger: any, hosts: string[]): Promise<Round> {
  const chunk = 100;
  return await measure(hosts.length, async () => {
    let replies = 0;
    for (let from = 0; from < hosts.length; from += chunk) {
      await pinger.pingMany(hosts.slice(from, from + chunk), {
        count: 1,
        timeout: 1000,
        window: chunk,
        collect: false,
        onProbe: (event: { type: string }) => {
          if (event.type === "reply") replies++;
        },
        onResult: () => {},
      });
    }
    if (replies !== hosts.length) console.error(`serve: ${replies}/${hosts.length} replies`);
  });
}

const [mode, arg, ...rest] = Deno.args;
let run: () => Promise<Round>;
let rounds: number;
if (mode === "flood") {
  const count = Number(rest[0] ?? 20000);
  rounds = Number(rest[1] ?? 5);
  await flood(arg, Math.min(count, 2000));
  run = () => flood(arg, count);
} else if (mode === "sweep") {
  const addresses = (await Deno.readTextFile(arg)).split("\n").filter((line) => line !== "");
  rounds = Number(rest[0] ?? 3);
  await sweep(addresses.slice(0, 4096));
  run = () => sweep(addresses);
} else if (mode === "serve") {
  const n = Number(arg ?? 10000);
  const hosts = Array.from({ length: n }, (_, i) => `127.1.${Math.floor(i / 250)}.${(i % 250) + 1}`);
  rounds = Number(rest[0] ?? 5);
  const pinger = new miniping.Pinger();
  // Two rounds first: the second use of a literal is the one that is kept.
  await serve(pinger, hosts);
  await serve(pinger, hosts);
  run = () => serve(pinger, hosts);
} else {
  throw new TypeError(`Cannot measure: mode must be flood, sweep or serve, got ${mode}`);
}
// Two more rounds first, left out of the figures: V8 is still compiling the hot paths in them.
for (let i = 0; i < 2; i++) await run();
const results: Round[] = [];
for (let i = 0; i < rounds; i++) results.push(await run());
if (Deno.env.get("PROF")) await heapProfile(run);
console.log(JSON.stringify({
  at: new Date().toISOString(),
  mode,
  wt,
  probes: results[0].probes,
  rounds,
  userUsPerProbe: +median(results.map((r) => r.userUs)).toFixed(2),
  sysUsPerProbe: +median(results.map((r) => r.sysUs)).toFixed(2),
  bytesPerProbe: Math.round(median(results.map((r) => r.bytes))),
  all: results.map((r) => [+r.userUs.toFixed(2), +r.sysUs.toFixed(2), Math.round(r.bytes)]),
}));

/** PROF=1: one more round under V8's sampling heap profiler, printed as bytes per probe by allocating function. */
async function heapProfile(round: () => Promise<Round>): Promise<void> {
  const { Session } = await import("node:inspector");
  const session = new Session();
  session.connect();
  const post = (method: string, params: object = {}) =>
    new Promise<any>((resolve, reject) =>
      session.post(method, params, (error, result) => error ? reject(error) : resolve(result))
    );
  await post("HeapProfiler.enable");
  await post("HeapProfiler.startSampling", {
    samplingInterval: 128,
    includeObjectsCollectedByMajorGC: true,
    includeObjectsCollectedByMinorGC: true,
  });
  const { probes } = await round();
  const { profile } = await post("HeapProfiler.stopSampling");
  const sums = new Map<string, number>();
  const walk = (node: any, parent: string) => {
    const frame = node.callFrame;
    const name = `${frame.functionName || "(anon)"} ${frame.url.replace(/.*\/(wt|base)\/[^/]+\//, "")}:${
      frame.lineNumber + 1
    }`;
    const key = !frame.url || frame.url.startsWith("ext:") ? `${name} <- ${parent}` : name;
    sums.set(key, (sums.get(key) ?? 0) + node.selfSize);
    for (const child of node.children) walk(child, name);
  };
  walk(profile.head, "");
  let total = 0;
  for (const [key, bytes] of [...sums].sort((a, b) => b[1] - a[1])) {
    total += bytes;
    if (bytes / probes >= 4) console.log(`${(bytes / probes).toFixed(0).padStart(6)} B/probe ${key}`);
  }
  console.log(`sampled total ${(total / probes).toFixed(0)} B/probe`);
}
Deno.exit(0);
