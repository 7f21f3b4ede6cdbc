/**
 * Soak benchmark (issue 7): miniping sends back to back to the lab's target for a long time (default 10 minutes) at
 * the highest rate it sustains (`ping(t, { count: BATCH, interval: 0 })` in a loop, so no result grows), and samples
 * its own memory every 10 s: RSS and its anonymous part from `/proc/self/status`, V8's heap and external memory from
 * `Deno.memoryUsage()`, threads and open fds. Pass: the last sample's RSS is within 10 MiB of the sample at one minute.
 * The table says which of those figures grew, to tell a native leak (RSS grows, heap flat) from a JS one.
 *
 * ```sh
 * deno run -A bench/soak.ts [--duration 600] [--sample 10] [--batch 2000] [--rounds 1] [--json]
 * ```
 *
 * @module
 */
import { fileURLToPath } from "node:url";
import { LAB_ADDRESSES } from "../tests/lab/lab.ts";
import { createBenchLab, type Lab } from "./lib/bench_lab.ts";
import { commandLine, commit, fixed, machine, MIB, parseFlags, positiveInteger, table } from "./lib/common.ts";

const CHILD = fileURLToPath(new URL("./lib/miniping_child.ts", import.meta.url));
/** The pass mark: RSS at the end within this of RSS after the first minute. */
const BOUND_MIB = 10;
const BASELINE_S = 60;

/** One sample the child printed. */
interface Sample {
  t: number;
  sent: number;
  received: number;
  rss: number;
  heapUsed: number;
  heapTotal: number;
  external: number;
  VmRSS: number;
  VmHWM: number;
  RssAnon: number;
  RssFile: number;
  Threads: number;
  fds: number;
}

/** The lines of a byte stream as they arrive. */
async function* lines(stream: ReadableStream<Uint8Array>): AsyncGenerator<string> {
  let pending = "";
  for await (const chunk of stream.pipeThrough(new TextDecoderStream())) {
    pending += chunk;
    const parts = pending.split("\n");
    pending = parts.pop()!;
    yield* parts;
  }
  if (pending !== "") yield pending;
}

async function soakOnce(lab: Lab, settings: { duration: number; sample: number; batch: number }): Promise<Sample[]> {
  const child = lab.spawn("h", [
    Deno.execPath(),
    "run",
    "-A",
    CHILD,
    "soak",
    LAB_ADDRESSES.target4,
    String(settings.duration),
    String(settings.sample),
    String(settings.batch),
  ], { stdout: "piped", stderr: "piped" });
  const stderr = new Response(child.stderr).text();
  const samples: Sample[] = [];
  for await (const line of lines(child.stdout)) {
    if (line.trim() === "") continue;
    const s = JSON.parse(line) as Sample;
    samples.push(s);
    const previous = samples.at(-2);
    const rate = previous === undefined ? 0 : (s.sent - previous.sent) / (s.t - previous.t);
    console.error(
      `t=${s.t.toFixed(0)} s sent ${s.sent} (${rate.toFixed(0)}/s) RSS ${(s.rss / MIB).toFixed(1)} MiB ` +
        `heap ${(s.heapUsed / MIB).toFixed(1)} MiB external ${(s.external / MIB).toFixed(1)} MiB ` +
        `threads ${s.Threads} fds ${s.fds}`,
    );
  }
  const status = await child.status;
  if (!status.success) throw new Error(`the soak child failed (exit ${status.code}): ${(await stderr).trim()}`);
  return samples;
}

const mib = (bytes: number) => fixed(bytes / MIB, 1);
const kibToMib = (kib: number) => fixed(kib / 1024, 1);

function render(samples: Sample[]): string {
  const rows = samples.map((s, i) => {
    const previous = samples[i - 1];
    const rate = previous === undefined ? NaN : (s.sent - previous.sent) / (s.t - previous.t);
    return [
      fixed(s.t, 0),
      String(s.sent),
      fixed(rate, 0),
      mib(s.rss),
      kibToMib(s.RssAnon),
      kibToMib(s.RssFile),
      mib(s.heapUsed),
      mib(s.heapTotal),
      mib(s.external),
      String(s.Threads),
      String(s.fds),
    ];
  });
  return table(
    [
      "t s",
      "sent",
      "probes/s",
      "RSS MiB",
      "anon MiB",
      "file MiB",
      "JS heap used MiB",
      "JS heap total MiB",
      "external MiB",
      "threads",
      "fds",
    ],
    rows,
    [0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10],
  );
}

interface Verdict {
  baselineT: number;
  endT: number;
  growthMiB: Record<string, number>;
  pass: boolean;
  rate: number;
  loss: number;
}

/** Growth from the first sample at or after one minute (or the first, for shorter soaks) to the last. */
function verdict(samples: Sample[]): Verdict {
  const end = samples[samples.length - 1];
  const base = samples.find((s) => s.t >= BASELINE_S - 1) ?? samples[0];
  const growthMiB = {
    rss: (end.rss - base.rss) / MIB,
    anon: (end.RssAnon - base.RssAnon) / 1024,
    heapUsed: (end.heapUsed - base.heapUsed) / MIB,
    heapTotal: (end.heapTotal - base.heapTotal) / MIB,
    external: (end.external - base.external) / MIB,
    threads: end.Threads - base.Threads,
    fds: end.fds - base.fds,
  };
  return {
    baselineT: base.t,
    endT: end.t,
    growthMiB,
    pass: Math.abs(growthMiB.rss) <= BOUND_MIB,
    rate: end.sent / end.t,
    loss: end.sent === 0 ? NaN : (100 * (end.sent - end.received)) / end.sent,
  };
}

function describe(v: Verdict): string {
  const g = v.growthMiB;
  return `- From t=${v.baselineT.toFixed(0)} s to t=${v.endT.toFixed(0)} s: RSS ${g.rss.toFixed(1)} MiB ` +
    `(pass mark ±${BOUND_MIB}: ${v.pass ? "PASS" : "FAIL"}), anonymous ${g.anon.toFixed(1)}, JS heap used ` +
    `${g.heapUsed.toFixed(1)}, heap total ${g.heapTotal.toFixed(1)}, external ${g.external.toFixed(1)} MiB; ` +
    `threads ${g.threads >= 0 ? "+" : ""}${g.threads}, fds ${g.fds >= 0 ? "+" : ""}${g.fds}. Mean rate ` +
    `${v.rate.toFixed(0)} probes/s, loss ${fixed(v.loss, 3)} %.`;
}

async function main(): Promise<void> {
  const flags = parseFlags(Deno.args, { duration: "600", sample: "10", batch: "2000" }, 1);
  const settings = {
    duration: positiveInteger("duration", flags.extra.duration),
    sample: positiveInteger("sample", flags.extra.sample),
    batch: positiveInteger("batch", flags.extra.batch),
  };
  const started = new Date();
  const header = await machine();
  const soaks: Sample[][] = [];
  {
    await using lab = await createBenchLab("soak");
    for (let round = 0; round < flags.rounds; round++) soaks.push(await soakOnce(lab, settings));
  }
  const verdicts = soaks.map(verdict);
  if (flags.json) {
    console.log(JSON.stringify({ started: started.toISOString(), machine: header, settings, soaks, verdicts }));
    return;
  }
  console.log([
    `Soak, run of ${started.toISOString().replace(/\.\d+Z$/, "Z")} on commit ${await commit()}: ` +
    `\`${commandLine("bench/soak.ts")}\``,
    "",
    `Machine: ${header}.`,
    "",
    `${settings.duration} s of \`ping(t, {count: ${settings.batch}, interval: 0})\` back to back in one process in h, ` +
    `sampled every ${settings.sample} s by the process itself.`,
    ...soaks.flatMap((samples, i) => [
      "",
      ...(soaks.length > 1 ? [`Round ${i + 1}:`, ""] : []),
      render(samples),
      "",
      describe(verdicts[i]),
    ]),
  ].join("\n"));
}

if (import.meta.main) await main();
