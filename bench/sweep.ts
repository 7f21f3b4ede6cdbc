/**
 * Sweep benchmark (issue 7): one probe to each of 4,096, 16,384 and 65,536 addresses, miniping beside
 * `fping -c 1 -r 0 -t 500 -q -i 0 -f FILE`, in the namespace lab (t answers a whole /16 of IPv4 and the lab's /64 of
 * IPv6). Each tool runs as its own process in h; wall time, CPU and peak RSS are measured the same way for both
 * (`bench/lib/measure.ts`), and `tcpdump` on h's link counts the requests and replies that really crossed the wire,
 * so a target the tool calls dead although its reply was captured is false loss.
 *
 * ```sh
 * deno run -A bench/sweep.ts [--rounds 3] [--json] [--sizes 4096,16384,65536] [--families 4,6] \
 *   [--api auto|pingMany|ping] [--capture on|off] [--sync off|on]
 * ```
 *
 * `--sync on` adds a row for miniping with every send batch on the loop's thread (`MINIPING_SYNC_SENDS=1`, see
 * `bench/lib/miniping_child.ts`) beside the default, which hands big batches to a worker thread.
 *
 * `--api auto` uses `pingMany` when mod.ts exports it, else one `ping()` per address under `Promise.all`.
 *
 * fping 5.1 cannot sweep 65,536 targets in one run ("not enough sequence numbers available": its sequence map holds
 * 65,535 probes younger than 10 s), so where a sweep is larger fping gets the first 65,535 addresses, its limit, and
 * the report says so; miniping's ratio is then taken against a sweep one address smaller than its own.
 *
 * @module
 */
import { fileURLToPath } from "node:url";
import { LAB_ADDRESSES } from "../tests/lab/lab.ts";
import { createBenchLab, type Lab, sweepAddress4 } from "./lib/bench_lab.ts";
import {
  commandLine,
  commit,
  fixed,
  machine,
  medianOf,
  parseFlags,
  ratio,
  SWEEP_APIS,
  table,
  versionOf,
} from "./lib/common.ts";
import { measure } from "./lib/measure.ts";
import { Wire, type WireCount } from "./lib/wire.ts";

const CHILD = fileURLToPath(new URL("./lib/miniping_child.ts", import.meta.url));
const TIMEOUT_MS = 500;
const RUN_LIMIT_MS = 300_000;
const TOOLS = ["miniping", "miniping-sync", "fping"] as const;
type Tool = typeof TOOLS[number];
/** The most targets fping 5.1 takes in one `-c 1` run (see the module doc). */
const FPING_MAX_TARGETS = 65_535;
/** The issue's goals at the largest sweep. */
const GOAL = { size: 65_536, wallRatio: 0.7, mustRatio: 1.0, rssMiB: 60 } as const;

interface Run {
  tool: Tool;
  family: 4 | 6;
  size: number;
  /** Addresses the tool was given: `size`, or fping's limit. */
  targets: number;
  round: number;
  wallMs: number;
  cpuMs: number;
  rssMiB: number;
  alive: number;
  /** miniping only: which call it used, and how long that call took inside the process. */
  api?: string;
  callMs?: number;
  wire: WireCount | null;
  /** Why the run produced no figures, when it failed. */
  error?: string;
}

function addresses(family: 4 | 6, size: number): string[] {
  return Array.from({ length: size }, (_, i) => (family === 4 ? sweepAddress4(i) : LAB_ADDRESSES.block6.at(i)));
}

function argv(tool: Tool, family: 4 | 6, file: string, api: string): string[] {
  if (tool === "fping") {
    return ["fping", `-${family}`, "-c", "1", "-r", "0", "-t", String(TIMEOUT_MS), "-q", "-i", "0", "-f", file];
  }
  const child = [Deno.execPath(), "run", "-A", CHILD, "sweep", file, api, String(TIMEOUT_MS)];
  return tool === "miniping-sync" ? ["env", "MINIPING_SYNC_SENDS=1", ...child] : child;
}

/** fping -c prints `ADDR : xmt/rcv/%loss = 1/1/0%, …` per target on stderr. */
const FPING_LINE = /^\S+\s*: xmt\/rcv\/%loss = \d+\/(\d+)\//gm;

function parseAlive(tool: Tool, stdout: string, stderr: string): { alive: number; api?: string; callMs?: number } {
  if (tool === "fping") {
    let alive = 0;
    for (const m of stderr.matchAll(FPING_LINE)) if (Number(m[1]) > 0) alive++;
    return { alive };
  }
  const line = stdout.trim().split("\n").pop() ?? "";
  const parsed = JSON.parse(line) as { alive: number; api: string; callMs: number };
  return { alive: parsed.alive, api: parsed.api, callMs: parsed.callMs };
}

async function runOnce(
  lab: Lab,
  tool: Tool,
  where: { family: 4 | 6; size: number; round: number; files: { all: string; fping: string } },
  options: { api: string; capture: boolean },
): Promise<Run> {
  const wire = options.capture ? await Wire.start(lab) : null;
  let counted: WireCount | null = null;
  const targets = tool === "fping" ? Math.min(where.size, FPING_MAX_TARGETS) : where.size;
  const base = { tool, family: where.family, size: where.size, targets, round: where.round };
  const file = tool === "fping" ? where.files.fping : where.files.all;
  try {
    const m = await measure(lab, "h", argv(tool, where.family, file, options.api), RUN_LIMIT_MS);
    counted = wire === null ? null : await wire.stop();
    // fping exits 1 when some target is unreachable; that is a figure, not a failure.
    if (m.code !== 0 && !(tool === "fping" && m.code === 1)) {
      const why = (m.stderr.trim().split("\n").slice(-3).join(" ") || `exit ${m.code}`).slice(0, 300);
      return {
        ...base,
        wallMs: m.wallMs,
        cpuMs: m.cpuMs,
        rssMiB: m.maxRssKiB / 1024,
        alive: NaN,
        wire: counted,
        error: why,
      };
    }
    return {
      ...base,
      wallMs: m.wallMs,
      cpuMs: m.cpuMs,
      rssMiB: m.maxRssKiB / 1024,
      ...parseAlive(tool, m.stdout, m.stderr),
      wire: counted,
    };
  } finally {
    if (wire !== null && counted === null) await wire.stop().catch(() => {});
  }
}

interface Row {
  family: 4 | 6;
  size: number;
  tool: Tool;
  label: string;
  targets: number;
  wallMs: number;
  cpuMs: number;
  rssMiB: number;
  callMs: number;
  alive: number;
  falseLoss: number;
  wireRequests: number;
  wireReplies: number;
  dropped: number;
  failures: string[];
  walls: number[];
}

function summarize(runs: Run[], family: 4 | 6, size: number, tool: Tool): Row {
  const mine = runs.filter((r) => r.family === family && r.size === size && r.tool === tool);
  const ok = mine.filter((r) => r.error === undefined);
  // False loss: targets whose reply crossed the wire but which the tool called dead.
  const falseLoss = ok.map((r) => (r.wire === null ? NaN : Math.max(0, r.wire.repliedAddresses - r.alive)));
  const api = ok.find((r) => r.api !== undefined)?.api as keyof typeof SWEEP_APIS | undefined;
  return {
    family,
    size,
    tool,
    label: tool === "fping"
      ? `fping${size > FPING_MAX_TARGETS ? ` (first ${FPING_MAX_TARGETS.toLocaleString("en-US")}: its limit)` : ""}`
      : `miniping ${api === undefined ? "" : `\`${SWEEP_APIS[api]}\``}${
        tool === "miniping-sync" ? " (sends on the loop's thread)" : ""
      }`,
    targets: tool === "fping" ? Math.min(size, FPING_MAX_TARGETS) : size,
    wallMs: medianOf(ok.map((r) => r.wallMs)),
    cpuMs: medianOf(ok.map((r) => r.cpuMs)),
    rssMiB: medianOf(ok.map((r) => r.rssMiB)),
    callMs: medianOf(ok.map((r) => r.callMs ?? NaN)),
    alive: medianOf(ok.map((r) => r.alive)),
    falseLoss: falseLoss.length === 0 ? NaN : Math.max(...falseLoss),
    wireRequests: medianOf(ok.map((r) => r.wire?.requests ?? NaN)),
    wireReplies: medianOf(ok.map((r) => r.wire?.replies ?? NaN)),
    dropped: mine.reduce((n, r) => n + (r.wire?.dropped ?? 0), 0),
    failures: mine.filter((r) => r.error !== undefined).map((r) => `round ${r.round + 1}: ${r.error}`),
    walls: mine.map((r) => r.wallMs),
  };
}

function render(rows: Row[], runsPerTool: number): string {
  const cells = rows.map((r) => {
    const peer = rows.find((p) => p.family === r.family && p.size === r.size && p.tool === "fping")!;
    const own = r.tool === "fping";
    return [
      `v${r.family}`,
      r.size.toLocaleString("en-US"),
      r.label,
      fixed(r.wallMs, 0),
      own ? "1.00×" : ratio(r.wallMs, peer.wallMs),
      fixed(r.callMs, 0),
      fixed(r.cpuMs, 0),
      own ? "1.00×" : ratio(r.cpuMs, peer.cpuMs),
      fixed(r.rssMiB, 1),
      `${fixed(r.alive, 0)}/${r.targets}`,
      `${fixed(r.wireRequests, 0)} / ${fixed(r.wireReplies, 0)}`,
      fixed(r.falseLoss, 0),
      `${runsPerTool - r.failures.length}/${runsPerTool}`,
      r.walls.map((w) => fixed(w, 0)).join(" / "),
    ];
  });
  return table(
    [
      "IP",
      "addresses",
      "tool",
      "wall ms",
      "vs fping",
      "in-call ms",
      "CPU ms",
      "vs fping",
      "peak RSS MiB",
      "alive",
      "wire req / rep",
      "false loss",
      "ok rounds",
      "round walls ms",
    ],
    cells,
    [1, 3, 4, 5, 6, 7, 8, 10, 11],
  );
}

function goals(rows: Row[]): string[] {
  const out: string[] = [];
  for (const family of new Set(rows.map((r) => r.family))) {
    const mini = rows.find((r) => r.family === family && r.size === GOAL.size && r.tool === "miniping");
    const fping = rows.find((r) => r.family === family && r.size === GOAL.size && r.tool === "fping");
    if (mini === undefined || fping === undefined) continue;
    const wall = mini.wallMs / fping.wallMs;
    const verdict = !Number.isFinite(wall)
      ? "no figure"
      : wall <= GOAL.wallRatio
      ? "meets the goal"
      : wall <= GOAL.mustRatio
      ? "meets the must, not the goal"
      : "FAILS the must";
    out.push(
      `- IPv${family}, ${GOAL.size.toLocaleString("en-US")} addresses: wall ${
        ratio(mini.wallMs, fping.wallMs)
      } fping's ` +
        `(goal ≤ ${GOAL.wallRatio}×, must ≤ ${GOAL.mustRatio}×: ${verdict}); peak RSS ${fixed(mini.rssMiB, 1)} MiB ` +
        `(goal ≤ ${GOAL.rssMiB}: ${mini.rssMiB <= GOAL.rssMiB ? "met" : "NOT met"}); false loss ${
          fixed(mini.falseLoss, 0)
        } (goal 0: ${Number.isNaN(mini.falseLoss) ? "not measured" : mini.falseLoss === 0 ? "met" : "NOT met"}).`,
    );
  }
  return out;
}

async function main(): Promise<void> {
  const flags = parseFlags(Deno.args, {
    sizes: "4096,16384,65536",
    families: "4,6",
    api: "auto",
    capture: "on",
    sync: "off",
  });
  const sizes = flags.extra.sizes.split(",").map(Number);
  if (sizes.some((n) => !Number.isInteger(n) || n < 1 || n > 65_536)) {
    throw new RangeError(`Cannot run the benchmark: sizes must be integers in [1, 65536], got ${flags.extra.sizes}`);
  }
  const families = flags.extra.families.split(",").map(Number) as (4 | 6)[];
  if (families.some((f) => f !== 4 && f !== 6)) {
    throw new RangeError(`Cannot run the benchmark: families must list 4 and/or 6, got ${flags.extra.families}`);
  }
  const options = { api: flags.extra.api, capture: flags.extra.capture !== "off" };
  const tools = TOOLS.filter((tool) => tool !== "miniping-sync" || flags.extra.sync === "on");
  const started = new Date();
  const header = await machine();
  const dir = await Deno.makeTempDir({ prefix: "miniping-sweep-" });
  const runs: Run[] = [];
  try {
    await using lab = await createBenchLab("sweep");
    const files = new Map<string, { all: string; fping: string }>();
    for (const family of families) {
      for (const size of sizes) {
        const list = addresses(family, size);
        const all = `${dir}/v${family}-${size}.txt`;
        const fping = `${dir}/v${family}-${size}-fping.txt`;
        await Deno.writeTextFile(all, list.join("\n") + "\n");
        await Deno.writeTextFile(fping, list.slice(0, FPING_MAX_TARGETS).join("\n") + "\n");
        files.set(`${family}/${size}`, { all, fping });
      }
    }
    // One untimed miniping run first, so Deno's module cache is warm for every timed one.
    await measure(
      lab,
      "h",
      argv("miniping", families[0], files.get(`${families[0]}/${sizes[0]}`)!.all, options.api),
      RUN_LIMIT_MS,
    );
    for (let round = 0; round < flags.rounds; round++) {
      const order = round % 2 === 0 ? [...tools] : [...tools].reverse();
      for (const family of families) {
        for (const size of sizes) {
          for (const tool of order) {
            const run = await runOnce(
              lab,
              tool,
              { family, size, round, files: files.get(`${family}/${size}`)! },
              options,
            );
            runs.push(run);
            console.error(
              `round ${round + 1}/${flags.rounds} v${family} ${size} ${tool}: ${run.wallMs.toFixed(0)} ms, ` +
                `${run.alive}/${run.targets} alive${
                  run.wire ? `, wire ${run.wire.requests}/${run.wire.replies}` : ""
                }` +
                `${run.error ? `, FAILED: ${run.error}` : ""}`,
            );
          }
        }
      }
    }
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
  const rows = families.flatMap((family) =>
    sizes.flatMap((size) => tools.map((tool) => summarize(runs, family, size, tool)))
  );
  if (flags.json) {
    console.log(JSON.stringify({ started: started.toISOString(), machine: header, runs, rows }, null, 2));
    return;
  }
  const failures = rows.flatMap((r) => r.failures.map((f) => `- ${r.label} v${r.family} ${r.size}: ${f}`));
  const dropped = rows.reduce((n, r) => n + r.dropped, 0);
  console.log([
    `Sweep, run of ${started.toISOString().replace(/\.\d+Z$/, "Z")} on commit ${await commit()}: ` +
    `\`${commandLine("bench/sweep.ts")}\``,
    "",
    `Machine: ${header}; ${await versionOf(["fping", "-v"])}.`,
    "",
    `Medians of ${flags.rounds} round(s), tools alternating order each round, each a fresh process in the lab's h. ` +
    `Wall: process start to exit (miniping's includes Deno's start-up; "in-call" is the sweep call alone). ` +
    `CPU: user + system. Wire: echo requests / replies tcpdump saw on h's link` +
    `${options.capture ? ` (tcpdump dropped ${dropped} packets)` : " (capture off)"}; false loss: targets whose ` +
    `reply was on the wire but which the tool called dead (worst round).`,
    "",
    render(rows, flags.rounds),
    "",
    ...goals(rows),
    ...(failures.length === 0 ? [] : ["", "Failed runs:", "", ...failures]),
  ].join("\n"));
}

if (import.meta.main) await main();
