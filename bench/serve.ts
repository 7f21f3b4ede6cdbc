/**
 * `miniping serve` beside Debian's `smokeping_prober` (`--privileged`), each
 * alone in turn, probing the same lab targets (the AnyIP block on t) once a
 * second: CPU share of a core over the steady state, RSS at 10 s and 60 s and
 * peak, scrape time, replies received / probes sent, and the RTT bias against
 * tcpdump's wire stamps for a sample of targets.
 *
 * ```sh
 * sudo deno run -A bench/serve.ts [--targets 100,300,1000,10000] [--rounds 3] [--warmup 15] [--measure 60]
 *   [--tools miniping,smokeping,baseline] [--baseline DIR]
 * ```
 *
 * `baseline` is `miniping serve` from another checkout (`--baseline DIR`, e.g. a `git archive` of an older commit),
 * run in turn with the others for paired before/after figures.
 *
 * Prints a markdown table of medians over the rounds. Needs root, `ip`, `tcpdump`, `curl`,
 * `prometheus-smokeping-prober`.
 *
 * @module
 */
import { parseArgs } from "node:util";
import { Lab } from "../tests/lab/lab.ts";

const args = parseArgs({
  args: Deno.args,
  options: {
    targets: { type: "string", default: "100,300,1000,10000" },
    rounds: { type: "string", default: "3" },
    warmup: { type: "string", default: "15" },
    measure: { type: "string", default: "60" },
    tools: { type: "string", default: "miniping,smokeping" },
    sample: { type: "string", default: "5" },
    baseline: { type: "string" },
  },
}).values;
const SIZES = args.targets.split(",").map(Number);
const ROUNDS = Number(args.rounds);
const WARMUP_S = Number(args.warmup);
const MEASURE_S = Number(args.measure);
const TOOLS = args.tools.split(",") as Tool[];
if (TOOLS.includes("baseline") && args.baseline === undefined) throw new Error("--tools baseline needs --baseline DIR");
const SAMPLE = Number(args.sample);
const CLI = new URL("../cli.ts", import.meta.url).pathname;
const PORT = 9374;
const METRICS = `http://127.0.0.1:${PORT}/metrics`;
const CLK_TCK = 100;

type Tool = "miniping" | "smokeping" | "baseline";

/** One run of one tool. */
interface Run {
  cpuPercent: number;
  rss10: number | null;
  rss60: number | null;
  peakRss: number;
  scrapeMs: number | null;
  fetchMs: number | null;
  sent: number | null;
  received: number | null;
  biasUs: number | null;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const median = (xs: number[]) => {
  const s = xs.filter((x) => Number.isFinite(x)).sort((a, b) => a - b);
  if (s.length === 0) return null;
  return s.length % 2 ? s[(s.length - 1) / 2]! : (s[s.length / 2 - 1]! + s[s.length / 2]!) / 2;
};

/** CPU seconds (user + system) of a process. */
async function cpuSeconds(pid: number): Promise<number> {
  const stat = await Deno.readTextFile(`/proc/${pid}/stat`);
  const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
  return (Number(fields[11]) + Number(fields[12])) / CLK_TCK;
}

/** VmRSS and VmHWM in MiB. */
async function memory(pid: number): Promise<{ rss: number; peak: number }> {
  const status = await Deno.readTextFile(`/proc/${pid}/status`);
  const kib = (key: string) => Number(new RegExp(`^${key}:\\s+(\\d+)`, "m").exec(status)?.[1] ?? NaN);
  return { rss: kib("VmRSS") / 1024, peak: kib("VmHWM") / 1024 };
}

/** Per-host counters and histogram sums from an exposition. */
function parseMetrics(text: string) {
  const byHost = new Map<string, { sent: number; received: number; sum: number }>();
  const entry = (host: string) => {
    let e = byHost.get(host);
    if (e === undefined) byHost.set(host, e = { sent: 0, received: 0, sum: 0 });
    return e;
  };
  for (
    const m of text.matchAll(
      /^(smokeping_requests_total|smokeping_response_duration_seconds_(?:count|sum))\{([^}]*)\} (\S+)$/gm,
    )
  ) {
    const host = /host="([^"]+)"/.exec(m[2]!)?.[1];
    if (host === undefined) continue;
    const e = entry(host);
    const v = Number(m[3]);
    if (m[1] === "smokeping_requests_total") e.sent += v;
    else if (m[1]!.endsWith("_count")) e.received += v;
    else e.sum += v;
  }
  return byHost;
}

/**
 * Scrapes /metrics from inside h with curl, as a Go scraper would read it: the first scrape is kept for its counters;
 * `ms` is the median time of the `count - 1` that follow (bodies to /dev/null, so a file write is not timed), or of
 * the one scrape when `count` is 1.
 */
async function scrape(lab: Lab, dir: string, count = 1) {
  const file = `${dir}/scrape.txt`;
  const times: number[] = [];
  const listenDeadline = performance.now() + 30_000;
  try {
    for (let i = 0; i < count; i++) {
      const r = await lab.exec("h", [
        "curl",
        "-s",
        "--max-time",
        "30",
        "-o",
        i === 0 ? file : "/dev/null",
        "-H",
        "Accept: application/openmetrics-text;version=1.0.0,text/plain;version=0.0.4;q=0.5",
        "-w",
        "%{time_total}",
        METRICS,
      ]);
      // smokeping_prober opens its listener only after starting every pinger (over 15 s at 1,000 targets): wait for it.
      if (r.code === 7 && i === 0 && performance.now() < listenDeadline) {
        await sleep(500);
        i--;
        continue;
      }
      if (r.code !== 0) throw new Error(`curl exit ${r.code}`);
      if (i > 0 || count === 1) times.push(Number(r.stdout) * 1000);
    }
    return { metrics: parseMetrics(await Deno.readTextFile(file)), ms: median(times), at: Date.now() };
  } catch (error) {
    console.error(`scrape failed: ${error instanceof Error ? error.message : String(error)}`);
    return null;
  }
}

/** Median time of `count` scrapes by Deno's fetch, run inside h (the body read whole, as Prometheus would). */
async function fetchScrape(lab: Lab, count = 3): Promise<number | null> {
  const script = `const times = [];
for (let i = 0; i < ${count}; i++) {
  const t = performance.now();
  const r = await fetch(${
    JSON.stringify(METRICS)
  }, { headers: { accept: "application/openmetrics-text;version=1.0.0,text/plain;version=0.0.4;q=0.5" } });
  await r.arrayBuffer();
  times.push(performance.now() - t);
}
console.log(JSON.stringify(times));`;
  const r = await lab.exec("h", [Deno.execPath(), "eval", script]);
  if (r.code !== 0) {
    console.error(`fetch scrape failed: ${r.stderr}`);
    return null;
  }
  return median(JSON.parse(r.stdout) as number[]);
}

/** tcpdump in h on the link to r1, for the sample targets only. */
function capture(lab: Lab, hosts: string[]) {
  const filter = `icmp and (${hosts.map((h) => `host ${h}`).join(" or ")})`;
  return lab.spawn("h", ["tcpdump", "-i", "to-r1", "-n", "-l", "-tt", "--time-stamp-precision=nano", filter], {
    stdout: "piped",
    stderr: "null",
  });
}

/** Mean wire RTT per host in seconds, from tcpdump lines of replies that arrived in [from, to] (ms epoch). */
function wireMeans(text: string, from: number, to: number): Map<string, number> {
  const requests = new Map<string, number>();
  const rtts = new Map<string, number[]>();
  const line = /^(\d+)\.(\d+) IP (\S+) > (\S+): ICMP echo (request|reply), id (\d+), seq (\d+)/;
  for (const l of text.split("\n")) {
    const m = line.exec(l);
    if (m === null) continue;
    const t = Number(m[1]) + Number(`0.${m[2]}`);
    const [src, dst, kind, id, seq] = [m[3]!, m[4]!.replace(/:$/, ""), m[5], m[6], m[7]];
    const host = kind === "request" ? dst : src;
    const key = `${host}/${id}/${seq}`;
    if (kind === "request") requests.set(key, t);
    else if (requests.has(key) && t * 1000 >= from && t * 1000 <= to) {
      const list = rtts.get(host) ?? [];
      list.push(t - requests.get(key)!);
      rtts.set(host, list);
    }
  }
  return new Map([...rtts].map(([h, xs]) => [h, xs.reduce((a, b) => a + b, 0) / xs.length]));
}

async function startTool(lab: Lab, tool: Tool, hosts: string[], dir: string): Promise<Deno.ChildProcess> {
  if (tool === "miniping" || tool === "baseline") {
    await Deno.writeTextFile(`${dir}/targets`, hosts.join("\n"));
    return lab.spawn("h", [
      Deno.execPath(),
      "run",
      "--quiet",
      "--allow-ffi",
      "--allow-net",
      "--allow-read",
      // As README's install line for serve.
      "--v8-flags=--max-semi-space-size=2",
      tool === "baseline" ? `${args.baseline}/cli.ts` : CLI,
      "serve",
      "--listen",
      `127.0.0.1:${PORT}`,
      "-f",
      `${dir}/targets`,
    ], { stderr: "inherit" });
  }
  await Deno.writeTextFile(`${dir}/smokeping.yml`, `targets:\n- hosts:\n${hosts.map((h) => `  - ${h}`).join("\n")}\n`);
  return lab.spawn("h", [
    "prometheus-smokeping-prober",
    "--privileged",
    `--config.file=${dir}/smokeping.yml`,
    `--web.listen-address=127.0.0.1:${PORT}`,
    "--log.level=warn",
  ], { stderr: "inherit" });
}

async function runOnce(lab: Lab, tool: Tool, n: number, dir: string): Promise<Run> {
  const hosts = Array.from({ length: n }, (_, i) => lab.addresses.block4.at(i));
  const sample = hosts.slice(0, SAMPLE);
  const child = await startTool(lab, tool, hosts, dir);
  const pid = child.pid;
  const t0 = performance.now();
  const at = (s: number) => sleep(Math.max(0, t0 + s * 1000 - performance.now()));
  try {
    await at(10);
    const rss10 = (await memory(pid)).rss;
    await at(WARMUP_S);
    const dump = capture(lab, sample);
    const dumpText = new Response(dump.stdout).text();
    await sleep(500);
    const cpu0 = await cpuSeconds(pid);
    const w0 = performance.now();
    const a = await scrape(lab, dir);
    let rss60: number | null = null;
    if (WARMUP_S + MEASURE_S >= 60) {
      await at(60);
      rss60 = (await memory(pid)).rss;
    }
    await at(WARMUP_S + MEASURE_S);
    const cpu1 = await cpuSeconds(pid);
    const w1 = performance.now();
    const b = await scrape(lab, dir, 4);
    const fetchMs = await fetchScrape(lab);
    dump.kill("SIGTERM");
    const wire = wireMeans(await dumpText, a?.at ?? 0, b?.at ?? 0);
    const { peak } = await memory(pid);
    let sent: number | null = null, received: number | null = null, biasUs: number | null = null;
    if (a !== null && b !== null) {
      sent = received = 0;
      for (const [host, e] of b.metrics) {
        const before = a.metrics.get(host) ?? { sent: 0, received: 0, sum: 0 };
        sent += e.sent - before.sent;
        received += e.received - before.received;
      }
      const biases = sample.flatMap((host) => {
        const e1 = b.metrics.get(host), e0 = a.metrics.get(host), w = wire.get(host);
        if (e1 === undefined || e0 === undefined || w === undefined || e1.received === e0.received) return [];
        return [((e1.sum - e0.sum) / (e1.received - e0.received) - w) * 1e6];
      });
      biasUs = median(biases);
    }
    return {
      cpuPercent: (cpu1 - cpu0) / ((w1 - w0) / 1000) * 100,
      rss10,
      rss60,
      peakRss: peak,
      scrapeMs: b?.ms ?? null,
      fetchMs,
      sent,
      received,
      biasUs,
    };
  } finally {
    try {
      child.kill("SIGTERM");
    } catch {
      // Gone.
    }
    await child.status;
  }
}

const fmt = (x: number | null, digits = 1) => x === null ? "—" : x.toFixed(digits);

await using lab = await Lab.create({ name: "bserve" });
const dir = await Deno.makeTempDir({ prefix: "miniping-bench-serve-" });
const rows: string[] = [];
try {
  for (const n of SIZES) {
    const runs = new Map<Tool, Run[]>(TOOLS.map((t) => [t, []]));
    for (let round = 0; round < ROUNDS; round++) {
      // Alternate who goes first, so neither always runs on a warmer machine.
      const order = round % 2 === 0 ? TOOLS : [...TOOLS].reverse();
      for (const tool of order) {
        const run = await runOnce(lab, tool, n, dir);
        console.error(`${n} targets, ${tool}, round ${round + 1}: ${JSON.stringify(run)}`);
        runs.get(tool)!.push(run);
      }
    }
    for (const [tool, list] of runs) {
      const m = (k: keyof Run) => median(list.map((r) => r[k] ?? NaN));
      const sent = m("sent"), received = m("received");
      rows.push(
        `| ${n} | ${tool} | ${fmt(m("cpuPercent"))} | ${fmt(m("rss10"))} | ${fmt(m("rss60"))} | ${
          fmt(m("peakRss"))
        } | ` +
          `${fmt(m("scrapeMs"))} | ${fmt(m("fetchMs"))} | ${sent === null ? "—" : `${received} / ${sent}`} | ` +
          `${sent === null || received === null || sent === 0 ? "—" : fmt(received / sent * 100, 2)} | ${
            fmt(m("biasUs"))
          } |`,
      );
    }
  }
} finally {
  await Deno.remove(dir, { recursive: true });
}
console.log(
  `Period 1 s, warm-up ${WARMUP_S} s, measured ${MEASURE_S} s, medians of ${ROUNDS} round(s), ${Deno.osRelease()}.\n`,
);
console.log(
  "| targets | tool | CPU % of a core | RSS 10 s MiB | RSS 60 s MiB | peak RSS MiB | scrape ms (curl) | scrape ms (fetch) | received / sent | replied % | RTT − wire µs |",
);
console.log("| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |");
for (const row of rows) console.log(row);
