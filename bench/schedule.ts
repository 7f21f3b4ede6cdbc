/**
 * Schedule benchmark (issue 7): `miniping -c 1000 -i 0.001 t` beside iputils `ping -c 1000 -i 0.001 t` in the
 * namespace lab, each as its own process in h. The wall time is the process's (start-up included); the wire span is
 * the time from the first echo request to the last that tcpdump saw on h's link, i.e. the schedule the tool really
 * kept (999 ms for a perfect one).
 *
 * ```sh
 * deno run -A bench/schedule.ts [--rounds 3] [--json] [--count 1000] [--interval 0.001]
 * ```
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

const CLI = fileURLToPath(new URL("../cli.ts", import.meta.url));
const RUN_LIMIT_MS = 120_000;
const TOOLS = ["miniping", "iputils"] as const;
type Tool = typeof TOOLS[number];
/** The issue's goal for miniping's wall time at the default count and interval. */
const GOAL_WALL_S = 1.05;
/** Both print `N packets transmitted, M received, …`. */
const SUMMARY = /(\d+) packets transmitted, (\d+) received/;

interface Run {
  tool: Tool;
  round: number;
  wallMs: number;
  cpuMs: number;
  sent: number;
  received: number;
  wire: WireCount;
  error?: string;
}

function argv(tool: Tool, count: number, interval: string): string[] {
  const args = ["-c", String(count), "-i", interval, LAB_ADDRESSES.target4];
  return tool === "iputils" ? ["ping", ...args] : [Deno.execPath(), "run", "-A", CLI, ...args];
}

async function runOnce(lab: Lab, tool: Tool, round: number, count: number, interval: string): Promise<Run> {
  const wire = await Wire.start(lab);
  let m;
  try {
    m = await measure(lab, "h", argv(tool, count, interval), RUN_LIMIT_MS);
  } catch (error) {
    await wire.stop().catch(() => {});
    throw error;
  }
  const counted = await wire.stop();
  const summary = SUMMARY.exec(m.stdout);
  const base = { tool, round, wallMs: m.wallMs, cpuMs: m.cpuMs, wire: counted };
  if (summary === null || m.code > 1) {
    const why = (m.stderr.trim().split("\n").slice(-3).join(" ") || `exit ${m.code}`).slice(0, 300);
    return { ...base, sent: NaN, received: NaN, error: why };
  }
  return { ...base, sent: Number(summary[1]), received: Number(summary[2]) };
}

function render(runs: Run[], rounds: number): { text: string; walls: Record<Tool, number> } {
  const walls = {} as Record<Tool, number>;
  const rows = TOOLS.map((tool) => {
    const mine = runs.filter((r) => r.tool === tool);
    const ok = mine.filter((r) => r.error === undefined);
    walls[tool] = medianOf(ok.map((r) => r.wallMs)) / 1000;
    return { tool, mine, ok };
  });
  const cells = rows.map(({ tool, mine, ok }) => [
    tool === "miniping" ? "`miniping -c N -i S`" : "iputils `ping -c N -i S`",
    fixed(walls[tool], 3),
    ratio(walls[tool], walls.iputils),
    fixed(medianOf(ok.map((r) => r.wire.requestSpanMs)), 1),
    fixed(medianOf(ok.map((r) => r.cpuMs)), 0),
    `${fixed(medianOf(ok.map((r) => r.received)), 0)}/${fixed(medianOf(ok.map((r) => r.sent)), 0)}`,
    `${fixed(medianOf(ok.map((r) => r.wire.requests)), 0)} / ${fixed(medianOf(ok.map((r) => r.wire.replies)), 0)}`,
    `${ok.length}/${rounds}`,
    mine.map((r) => fixed(r.wallMs / 1000, 3)).join(" / "),
  ]);
  const text = table(
    [
      "tool",
      "wall s",
      "vs iputils",
      "wire span first → last request, ms",
      "CPU ms",
      "replies",
      "wire req / rep",
      "ok rounds",
      "round walls s",
    ],
    cells,
    [1, 2, 3, 4, 6],
  );
  return { text, walls };
}

async function main(): Promise<void> {
  const flags = parseFlags(Deno.args, { count: "1000", interval: "0.001" });
  const count = positiveInteger("count", flags.extra.count);
  const interval = flags.extra.interval;
  if (!(Number(interval) > 0)) {
    throw new RangeError(`Cannot run the benchmark: interval must be seconds > 0, got ${interval}`);
  }
  const started = new Date();
  const header = await machine();
  const runs: Run[] = [];
  {
    await using lab = await createBenchLab("sched");
    // Warm Deno's module cache with a short untimed run.
    await measure(lab, "h", argv("miniping", 1, "0.01"), RUN_LIMIT_MS);
    for (let round = 0; round < flags.rounds; round++) {
      const order = round % 2 === 0 ? [...TOOLS] : [...TOOLS].reverse();
      for (const tool of order) {
        const run = await runOnce(lab, tool, round, count, interval);
        runs.push(run);
        console.error(
          `round ${round + 1}/${flags.rounds} ${tool}: ${(run.wallMs / 1000).toFixed(3)} s, wire span ` +
            `${run.wire.requestSpanMs.toFixed(1)} ms, ${run.received}/${run.sent}${
              run.error ? `, FAILED: ${run.error}` : ""
            }`,
        );
      }
    }
  }
  const { text, walls } = render(runs, flags.rounds);
  if (flags.json) {
    console.log(JSON.stringify({ started: started.toISOString(), machine: header, count, interval, runs }, null, 2));
    return;
  }
  const failures = runs.filter((r) => r.error !== undefined).map((r) => `- ${r.tool} round ${r.round + 1}: ${r.error}`);
  const atDefault = count === 1000 && Number(interval) === 0.001;
  console.log([
    `Schedule, run of ${started.toISOString().replace(/\.\d+Z$/, "Z")} on commit ${await commit()}: ` +
    `\`${commandLine("bench/schedule.ts")}\``,
    "",
    `Machine: ${header}; ${await versionOf(["ping", "-V"])}.`,
    "",
    `\`-c ${count} -i ${interval}\` to t, medians of ${flags.rounds} round(s), tools alternating order each round, ` +
    `each a fresh process in h; wall includes start-up (Deno's for miniping).`,
    "",
    text,
    "",
    atDefault
      ? `- miniping ${fixed(walls.miniping, 3)} s, ${ratio(walls.miniping, walls.iputils)} iputils' (goal ≤ ` +
        `${GOAL_WALL_S} s: ${walls.miniping <= GOAL_WALL_S ? "met" : "NOT met"}).`
      : `- miniping ${ratio(walls.miniping, walls.iputils)} iputils' wall time.`,
    ...(failures.length === 0 ? [] : ["", "Failed runs:", "", ...failures]),
  ].join("\n"));
}

if (import.meta.main) await main();
