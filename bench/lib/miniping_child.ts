/**
 * The miniping side of the throughput benchmarks, run by them inside the lab's node h as its own process (so its
 * wall time, CPU and peak RSS are measured like fping's and iputils'). Prints one JSON line, or NDJSON for `soak`.
 *
 * ```sh
 * deno run -A bench/lib/miniping_child.ts sweep FILE [auto|pingMany|ping] [TIMEOUT_MS]
 * deno run -A bench/lib/miniping_child.ts flood TARGET COUNT
 * deno run -A bench/lib/miniping_child.ts soak TARGET SECONDS SAMPLE_SECONDS BATCH
 * ```
 *
 * With `MINIPING_SYNC_SENDS=1` in its environment the engine sends every batch on the loop's thread (no send batch
 * goes to a worker thread): the benchmarks' `--sync on` rows, to compare in the same run.
 *
 * `sweep` probes every address in FILE once: with `pingMany(addresses, { count: 1, timeout })` when the library
 * exports it (or `pingMany` is asked for), else — the state before issue 7 — with
 * `Promise.all(addresses.map((a) => ping(a, { count: 1, timeout })))`.
 *
 * @module
 */
import * as miniping from "../../mod.ts";
import { engine } from "../../engine/engine.ts";

type Entry = { ok?: boolean; received?: number };
type PingMany = (hosts: Iterable<string>, options: Record<string, unknown>) => Promise<Entry[]>;
type Ping = (host: string, options: Record<string, unknown>) => Promise<{ sent: number; received: number }>;

const ping = miniping.ping as unknown as Ping;
const pingMany = (miniping as unknown as { pingMany?: PingMany }).pingMany;

async function sweep(file: string, api: string, timeout: number): Promise<void> {
  const addresses = (await Deno.readTextFile(file)).split("\n").filter((line) => line !== "");
  const use = api === "auto" ? (pingMany === undefined ? "ping" : "pingMany") : api;
  if (use === "pingMany" && pingMany === undefined) throw new Error("this miniping has no pingMany");
  const started = performance.now();
  let alive = 0;
  if (use === "pingMany") {
    const entries = await pingMany!(addresses, { count: 1, timeout });
    for (const entry of entries) if (entry.ok !== false && (entry.received ?? 0) > 0) alive++;
  } else {
    const results = await Promise.all(
      addresses.map((a) => ping(a, { count: 1, timeout }).then((r) => r.received, () => 0)),
    );
    for (const received of results) if (received > 0) alive++;
  }
  const callMs = performance.now() - started;
  console.log(JSON.stringify({ api: use, total: addresses.length, alive, callMs }));
}

async function flood(target: string, count: number): Promise<void> {
  const started = performance.now();
  const result = await ping(target, { count, interval: 0 });
  const callMs = performance.now() - started;
  console.log(JSON.stringify({ sent: result.sent, received: result.received, callMs }));
}

/** VmRSS, RssAnon, RssFile and Threads from /proc/self/status, in KiB (threads as a count). */
async function procStatus(): Promise<Record<string, number>> {
  const text = await Deno.readTextFile("/proc/self/status");
  const out: Record<string, number> = {};
  for (const key of ["VmRSS", "VmHWM", "RssAnon", "RssFile", "Threads"]) {
    out[key] = Number(new RegExp(`^${key}:\\s+(\\d+)`, "m").exec(text)?.[1] ?? NaN);
  }
  let fds = 0;
  for await (const _ of Deno.readDir("/proc/self/fd")) fds++;
  return { ...out, fds };
}

/**
 * Pings `target` back to back in batches of `batch` probes at `interval: 0` for `seconds`, printing a memory sample
 * every `sampleSeconds` (the first at 0). Batches, not one endless ping, so the result's own RTT list does not pass
 * for a leak.
 */
async function soak(target: string, seconds: number, sampleSeconds: number, batch: number): Promise<void> {
  const started = performance.now();
  let sent = 0;
  let received = 0;
  let nextSample = 0;
  const sample = async () => {
    const memory = Deno.memoryUsage();
    const status = await procStatus();
    const t = (performance.now() - started) / 1000;
    console.log(JSON.stringify({ t, sent, received, ...memory, ...status }));
  };
  // Samples are chained so two never interleave; the ticker only checks whether one is due.
  let sampling: Promise<void> = Promise.resolve();
  const check = () => {
    if ((performance.now() - started) / 1000 < nextSample) return;
    nextSample += sampleSeconds;
    sampling = sampling.then(sample);
  };
  const ticker = setInterval(check, 200);
  check();
  while ((performance.now() - started) / 1000 < seconds) {
    const result = await ping(target, { count: batch, interval: 0 });
    sent += result.sent;
    received += result.received;
  }
  clearInterval(ticker);
  await sampling.then(sample);
}

if (import.meta.main) {
  if (Deno.env.get("MINIPING_SYNC_SENDS") === "1") engine().offloadSends = false;
  const [mode, ...rest] = Deno.args;
  if (mode === "sweep") await sweep(rest[0], rest[1] ?? "auto", Number(rest[2] ?? 500));
  else if (mode === "flood") await flood(rest[0], Number(rest[1]));
  else if (mode === "soak") await soak(rest[0], Number(rest[1]), Number(rest[2]), Number(rest[3]));
  else throw new TypeError(`Cannot run the miniping child: mode must be sweep, flood or soak, got ${mode}`);
}
