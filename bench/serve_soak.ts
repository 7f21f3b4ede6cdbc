/**
 * `miniping serve` left running (issue 11: "memory stays flat over the run"): N lab targets probed once a second for
 * a few minutes, scraped every few seconds from inside h with curl as Prometheus would, and the process's RSS read
 * from `/proc` every sample interval. Prints the RSS series and how far it moved after the first minute, with the
 * replies received / probes sent from the last scrape.
 *
 * ```sh
 * sudo deno run -A bench/serve_soak.ts [--targets 1000] [--duration 300] [--sample 10] [--scrape 5] [--v8-flags F]
 * ```
 *
 * `--v8-flags` is passed to the serve process's `deno run`, to try heap settings.
 *
 * @module
 */
import { parseArgs } from "node:util";
import { Lab } from "../tests/lab/lab.ts";
import { spawnServe } from "../tests/serve_lab.ts";

const args = parseArgs({
  args: Deno.args,
  options: {
    targets: { type: "string", default: "1000" },
    duration: { type: "string", default: "300" },
    sample: { type: "string", default: "10" },
    scrape: { type: "string", default: "5" },
    "v8-flags": { type: "string" },
  },
}).values;
const TARGETS = Number(args.targets);
const DURATION_S = Number(args.duration);
const SAMPLE_S = Number(args.sample);
const SCRAPE_S = Number(args.scrape);
const BASELINE_S = 60;
const PORT = 9374;

/** The process's user + system CPU so far, in seconds (clock ticks of 1/100 s). */
async function cpuSeconds(pid: number): Promise<number> {
  const fields = (await Deno.readTextFile(`/proc/${pid}/stat`)).split(") ")[1].split(" ");
  // After the command name: state is field 3, utime 14 and stime 15 (1-based), so indices 11 and 12 here.
  return (Number(fields[11]) + Number(fields[12])) / 100;
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

async function rssMiB(pid: number): Promise<number> {
  const status = await Deno.readTextFile(`/proc/${pid}/status`);
  return Number(/^VmRSS:\s+(\d+)/m.exec(status)?.[1] ?? NaN) / 1024;
}

/** One scrape from inside h; returns the body's request and reply totals over every target. */
async function scrape(lab: Lab): Promise<{ sent: number; received: number }> {
  const out = await lab.exec("h", ["curl", "-sf", `http://127.0.0.1:${PORT}/metrics`], { timeoutMs: 30_000 });
  if (out.code !== 0) throw new Error(`curl exit ${out.code}`);
  let sent = 0, received = 0;
  for (const m of out.stdout.matchAll(/^smokeping_requests_total\{[^}]*\} (\S+)$/gm)) sent += Number(m[1]);
  for (const m of out.stdout.matchAll(/^smokeping_response_duration_seconds_count\{[^}]*\} (\S+)$/gm)) {
    received += Number(m[1]);
  }
  return { sent, received };
}

await using lab = await Lab.create({ name: "ssoak" });
const dir = await Deno.makeTempDir({ prefix: "miniping-serve-soak-" });
const hosts = Array.from({ length: TARGETS }, (_, i) => lab.addresses.block4.at(i));
await Deno.writeTextFile(`${dir}/targets`, hosts.join("\n"));
const child = spawnServe(
  lab,
  "h",
  ["--listen", `127.0.0.1:${PORT}`, "-f", `${dir}/targets`],
  args["v8-flags"] === undefined ? [] : [`--v8-flags=${args["v8-flags"]}`],
);
const samples: { t: number; rss: number; cpu: number }[] = [];
let totals = { sent: 0, received: 0 };
try {
  const started = performance.now();
  let nextSample = 0, nextScrape = SCRAPE_S;
  while ((performance.now() - started) / 1000 < DURATION_S + 0.5) {
    const t = (performance.now() - started) / 1000;
    if (t >= nextSample) {
      samples.push({ t: nextSample, rss: await rssMiB(child.pid), cpu: await cpuSeconds(child.pid) });
      console.error(`t=${nextSample} s RSS ${samples.at(-1)!.rss.toFixed(1)} MiB`);
      nextSample += SAMPLE_S;
    }
    if (t >= nextScrape) {
      totals = await scrape(lab);
      nextScrape += SCRAPE_S;
    }
    await sleep(200);
  }
} finally {
  child.kill("SIGTERM");
  await child.status;
  await Deno.remove(dir, { recursive: true });
}

const at = (t: number) => samples.find((s) => s.t >= t) ?? samples.at(-1)!;
const last = samples.at(-1)!;
const minute = at(BASELINE_S);
const peak = Math.max(...samples.map((s) => s.rss));
const cpuShare = (last.cpu - at(10).cpu) / (last.t - at(10).t) * 100;
console.log(
  `\`miniping serve\`, ${TARGETS} lab targets at a 1 s period for ${DURATION_S} s, scraped every ${SCRAPE_S} s ` +
    `(run of ${new Date().toISOString()}; \`deno run -A bench/serve_soak.ts --targets ${TARGETS} --duration ` +
    `${DURATION_S}\`)\n`,
);
console.log("| t s | RSS MiB |\n| ---: | ---: |");
for (const s of samples) console.log(`| ${s.t} | ${s.rss.toFixed(1)} |`);
console.log(
  `\n- RSS at 10 s ${at(10).rss.toFixed(1)} MiB, at ${BASELINE_S} s ${minute.rss.toFixed(1)}, at ${last.t} s ` +
    `${last.rss.toFixed(1)} (from ${BASELINE_S} s to the end: ${(last.rss - minute.rss).toFixed(1)} MiB), ` +
    `peak ${peak.toFixed(1)}; CPU ${
      cpuShare.toFixed(1)
    } % of a core from 10 s on; last scrape: ${totals.received} received / ${totals.sent} sent.`,
);
