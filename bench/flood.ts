/**
 * Flood benchmark (issue 7): 20,000 echo requests to the lab's target t as fast as each tool goes, miniping
 * (`ping(t, { count: 20000, interval: 0 })`) beside iputils `ping -n -q -f -c 20000` and
 * `fping -c 20000 -i 0 -p 0 -t 500 -q`, each as its own process in h, tcpdump on h's link counting what crossed the
 * wire. Replies/s is replies divided by the process's wall time (start-up included, the same for every tool); the
 * in-tool rate divides by the tool's own figure where it gives one (miniping's `ping()` call, iputils' `time`).
 *
 * ```sh
 * deno run -A bench/flood.ts [--rounds 3] [--json] [--count 20000] [--families 4] [--sync on|off] [--capture on|off]
 * ```
 *
 * `--capture off` runs without tcpdump: at these rates it takes much of a core, which a process that sends from a
 * second thread (miniping) feels and a single-threaded one (iputils) barely does. Loss then rests on the tools'
 * own counts.
 *
 * `--sync on` (the default) adds a row for miniping with every send batch on the loop's thread
 * (`MINIPING_SYNC_SENDS=1`, see `bench/lib/miniping_child.ts`) beside the default, which hands big batches to a
 * worker thread.
 *
 * @module
 */
import { fileURLToPath } from "node:url";
import { LAB_ADDRESSES } from "../tests/lab/lab.ts";
import { createBenchLab, type Lab } from "./lib/bench_lab.ts";
import {
  commandLine,
  commit,
  fixed,
  machine,
  medianOf,
  parseFlags,
  positiveInteger,
  ratio,
  table,
  versionOf,
} from "./lib/common.ts";
import { measure } from "./lib/measure.ts";
import { Wire, type WireCount } from "./lib/wire.ts";

const CHILD = fileURLToPath(new URL("./lib/miniping_child.ts", import.meta.url));
const RUN_LIMIT_MS = 600_000;
const TOOLS = ["miniping", "miniping-sync", "iputils", "fping"] as const;
type Tool = typeof TOOLS[number];
const LABELS: Record<Tool, string> = {
  miniping: "miniping `ping(t, {count, interval: 0})`",
  "miniping-sync": "miniping, sends on the loop's thread",
  iputils: "iputils `ping -n -q -f -c N`",
  fping: "`fping -c N -i 0 -p 0 -t 500 -q`",
};
/** The issue's goal and must for miniping's replies/s against iputils'. */
const GOAL = { ratio: 1.2, must: 1.0 } as const;

interface Run {
  tool: Tool;
  family: 4 | 6;
  round: number;
  wallMs: number;
  cpuMs: number;
  rssMiB: number;
  sent: number;
  received: number;
  /** The tool's own duration, when it reports one. */
  toolMs: number;
  wire: WireCount | null;
  error?: string;
}

function argv(tool: Tool, family: 4 | 6, count: number): string[] {
  const target = family === 4 ? LAB_ADDRESSES.target4 : LAB_ADDRESSES.target6;
  if (tool === "iputils") return ["ping", `-${family}`, "-n", "-q", "-f", "-c", String(count), target];
  if (tool === "fping") {
    return ["fping", `-${family}`, "-c", String(count), "-i", "0", "-p", "0", "-t", "500", "-q", target];
  }
  const child = [Deno.execPath(), "run", "-A", CHILD, "flood", target, String(count)];
  return tool === "miniping-sync" ? ["env", "MINIPING_SYNC_SENDS=1", ...child] : child;
}

const IPUTILS_SUMMARY = /(\d+) packets transmitted, (\d+) received.*time (\d+)ms/;
const FPING_SUMMARY = /xmt\/rcv\/%loss = (\d+)\/(\d+)\//;

function parse(tool: Tool, stdout: string, stderr: string): { sent: number; received: number; toolMs: number } {
  if (tool === "iputils") {
    const m = IPUTILS_SUMMARY.exec(stdout);
    if (m === null) throw new Error(`no iputils summary in ${JSON.stringify(stdout + stderr)}`);
    return { sent: Number(m[1]), received: Number(m[2]), toolMs: Number(m[3]) };
  }
  if (tool === "fping") {
    const m = FPING_SUMMARY.exec(stderr);
    if (m === null) throw new Error(`no fping summary in ${JSON.stringify(stderr)}`);
    return { sent: Number(m[1]), received: Number(m[2]), toolMs: NaN };
  }
  const parsed = JSON.parse(stdout.trim().split("\n").pop() ?? "") as {
    sent: number;
    received: number;
    callMs: number;
  };
  return { sent: parsed.sent, received: parsed.received, toolMs: parsed.callMs };
}

async function runOnce(
  lab: Lab,
  tool: Tool,
  where: { family: 4 | 6; round: number },
  options: { count: number; capture: boolean },
): Promise<Run> {
  const { family, round } = where;
  const wire = options.capture ? await Wire.start(lab) : null;
  let m;
  try {
    m = await measure(lab, "h", argv(tool, family, options.count), RUN_LIMIT_MS);
  } catch (error) {
    await wire?.stop().catch(() => {});
    throw error;
  }
  const counted = wire === null ? null : await wire.stop();
  const base = { tool, family, round, wallMs: m.wallMs, cpuMs: m.cpuMs, rssMiB: m.maxRssKiB / 1024, wire: counted };
  try {
    // fping and iputils exit 1 when a reply was missing: that is loss, a figure.
    if (m.code > 1) throw new Error(m.stderr.trim().split("\n").slice(-3).join(" ") || `exit ${m.code}`);
    return { ...base, ...parse(tool, m.stdout, m.stderr) };
  } catch (error) {
    const why = (error instanceof Error ? error.message : String(error)).slice(0, 300);
    return { ...base, sent: NaN, received: NaN, toolMs: NaN, error: why };
  }
}

interface Row {
  tool: Tool;
  family: 4 | 6;
  rate: number;
  toolRate: number;
  wallMs: number;
  cpuMs: number;
  rssMiB: number;
  lossPercent: number;
  worstLost: number;
  wireRequests: number;
  wireReplies: number;
  dropped: number;
  ok: number;
  rates: number[];
  failures: string[];
}

function summarize(runs: Run[], family: 4 | 6, tool: Tool): Row {
  const mine = runs.filter((r) => r.family === family && r.tool === tool);
  const ok = mine.filter((r) => r.error === undefined);
  const rates = ok.map((r) => r.received / (r.wallMs / 1000));
  return {
    tool,
    family,
    rate: medianOf(rates),
    toolRate: medianOf(ok.map((r) => r.received / (r.toolMs / 1000))),
    wallMs: medianOf(ok.map((r) => r.wallMs)),
    cpuMs: medianOf(ok.map((r) => r.cpuMs)),
    rssMiB: medianOf(ok.map((r) => r.rssMiB)),
    lossPercent: medianOf(ok.map((r) => (100 * (r.sent - r.received)) / r.sent)),
    worstLost: ok.length === 0 ? NaN : Math.max(...ok.map((r) => r.sent - r.received)),
    wireRequests: medianOf(ok.map((r) => r.wire?.requests ?? NaN)),
    wireReplies: medianOf(ok.map((r) => r.wire?.replies ?? NaN)),
    dropped: mine.reduce((n, r) => n + (r.wire?.dropped ?? 0), 0),
    ok: ok.length,
    rates,
    failures: mine.filter((r) => r.error !== undefined).map((r) => `round ${r.round + 1}: ${r.error}`),
  };
}

function render(rows: Row[], rounds: number): string {
  const cells = rows.map((r) => {
    const peer = rows.find((p) => p.family === r.family && p.tool === "iputils")!;
    return [
      `v${r.family}`,
      LABELS[r.tool],
      fixed(r.rate, 0),
      ratio(r.rate, peer.rate),
      fixed(r.toolRate, 0),
      fixed(r.wallMs, 0),
      fixed(r.cpuMs, 0),
      fixed(r.rssMiB, 1),
      `${fixed(r.lossPercent, 2)} % (worst ${fixed(r.worstLost, 0)} lost)`,
      `${fixed(r.wireRequests, 0)} / ${fixed(r.wireReplies, 0)}`,
      `${r.ok}/${rounds}`,
      r.rates.map((x) => fixed(x, 0)).join(" / "),
    ];
  });
  return table(
    [
      "IP",
      "tool",
      "replies/s",
      "vs iputils",
      "in-tool replies/s",
      "wall ms",
      "CPU ms",
      "peak RSS MiB",
      "loss",
      "wire req / rep",
      "ok rounds",
      "round replies/s",
    ],
    cells,
    [2, 3, 4, 5, 6, 7, 9],
  );
}

function goals(rows: Row[]): string[] {
  return [...new Set(rows.map((r) => r.family))].map((family) => {
    const mini = rows.find((r) => r.family === family && r.tool === "miniping")!;
    const iputils = rows.find((r) => r.family === family && r.tool === "iputils")!;
    const x = mini.rate / iputils.rate;
    const verdict = !Number.isFinite(x)
      ? "no figure"
      : x >= GOAL.ratio
      ? "meets the goal"
      : x >= GOAL.must
      ? "meets the must, not the goal"
      : "FAILS the must";
    return `- IPv${family}: miniping ${ratio(mini.rate, iputils.rate)} iputils' replies/s (goal ≥ ${GOAL.ratio}×, ` +
      `must ≥ ${GOAL.must}×: ${verdict}); in-tool ${ratio(mini.toolRate, iputils.toolRate)}; loss worst round ` +
      `${fixed(mini.worstLost, 0)} (goal 0: ${mini.worstLost === 0 ? "met" : "NOT met"}).`;
  });
}

async function main(): Promise<void> {
  const flags = parseFlags(Deno.args, { count: "20000", families: "4", sync: "on", capture: "on" });
  const tools = TOOLS.filter((tool) => tool !== "miniping-sync" || flags.extra.sync === "on");
  const capture = flags.extra.capture !== "off";
  const count = positiveInteger("count", flags.extra.count);
  const families = flags.extra.families.split(",").map(Number) as (4 | 6)[];
  if (families.some((f) => f !== 4 && f !== 6)) {
    throw new RangeError(`Cannot run the benchmark: families must list 4 and/or 6, got ${flags.extra.families}`);
  }
  const started = new Date();
  const header = await machine();
  const runs: Run[] = [];
  {
    await using lab = await createBenchLab("flood");
    // Warm Deno's module cache with a short untimed run.
    await measure(lab, "h", argv("miniping", families[0], 10), RUN_LIMIT_MS);
    for (let round = 0; round < flags.rounds; round++) {
      const order = round % 2 === 0 ? [...tools] : [...tools].reverse();
      for (const family of families) {
        for (const tool of order) {
          const run = await runOnce(lab, tool, { family, round }, { count, capture });
          runs.push(run);
          console.error(
            `round ${round + 1}/${flags.rounds} v${family} ${tool}: ${run.received}/${run.sent} in ` +
              `${run.wallMs.toFixed(0)} ms${run.wire ? `, wire ${run.wire.requests}/${run.wire.replies}` : ""}` +
              `${run.error ? `, FAILED: ${run.error}` : ""}`,
          );
        }
      }
    }
  }
  const rows = families.flatMap((family) => tools.map((tool) => summarize(runs, family, tool)));
  if (flags.json) {
    console.log(JSON.stringify({ started: started.toISOString(), machine: header, count, runs, rows }, null, 2));
    return;
  }
  const failures = rows.flatMap((r) => r.failures.map((f) => `- ${LABELS[r.tool]} v${r.family}: ${f}`));
  const dropped = rows.reduce((n, r) => n + r.dropped, 0);
  console.log([
    `Flood, run of ${started.toISOString().replace(/\.\d+Z$/, "Z")} on commit ${await commit()}: ` +
    `\`${commandLine("bench/flood.ts")}\``,
    "",
    `Machine: ${header}; ${await versionOf(["ping", "-V"])}; ${await versionOf(["fping", "-v"])}.`,
    "",
    `${count.toLocaleString("en-US")} probes per run to t, medians of ${flags.rounds} round(s), tools alternating ` +
    `order each round, each a fresh process in h. Replies/s: replies ÷ process wall time (start-up included); ` +
    `in-tool: ÷ miniping's \`ping()\` call or iputils' own \`time\` (fping gives none). Wire: requests / replies ` +
    (capture ? `tcpdump saw on h's link (it dropped ${dropped} packets).` : "capture off (--capture off)."),
    "",
    render(rows, flags.rounds),
    "",
    ...goals(rows),
    ...(failures.length === 0 ? [] : ["", "Failed runs:", "", ...failures]),
  ].join("\n"));
}

if (import.meta.main) await main();
