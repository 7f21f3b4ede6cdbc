/**
 * Measures the impairment relay itself: what it adds to a round trip when it impairs nothing, and how late it hands
 * packets back when it delays them. Results go into tests/lab/README.md.
 *
 * Usage (root): `deno run -A tests/lab/relay_cost.ts [--rounds 3] [--count 200]`
 *
 * Per round and family: 200 probes 10 ms apart from h to t with miniping (kernel RTTs), once without the relay,
 * once through it with no impairment, once with 10 ms delay each way. Medians over the rounds of each percentile.
 *
 * @module
 */
import type { PingResultJson } from "../../mod.ts";
import { type Percentiles, percentiles, type RelayConfig } from "../fixtures/impair_relay.ts";
import { Lab } from "./lab.ts";
import { startRelay } from "./relay.ts";

function flag(name: string, fallback: number): number {
  const at = Deno.args.indexOf(`--${name}`);
  return at < 0 ? fallback : Number(Deno.args[at + 1]);
}
const rounds = flag("rounds", 3);
const count = flag("count", 200);
const DELAY = 10;
const CHILD = new URL("../fixtures/ping_child.ts", import.meta.url).pathname;

async function rtts(lab: Lab, host: string): Promise<number[]> {
  const request = { host, options: { count, interval: 10, timeout: 1000, socket: "raw" } };
  const out = await lab.exec("h", [Deno.execPath(), "run", "--allow-ffi", CHILD, JSON.stringify(request)]);
  const { result } = JSON.parse(out.stdout) as { result: PingResultJson };
  if (result.received !== count) throw new Error(`only ${result.received} of ${count} replies`);
  return result.rtts;
}

async function through(lab: Lab, host: string, config: RelayConfig | null) {
  if (config === null) return { rtts: await rtts(lab, host), report: null };
  await using relay = await startRelay(lab, config);
  const values = await rtts(lab, host);
  return { rtts: values, report: await relay.stop() };
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
function medianOf(samples: Percentiles[]): Percentiles {
  const pick = (key: keyof Percentiles) => median(samples.map((s) => s[key]));
  return { count: pick("count"), p50: pick("p50"), p90: pick("p90"), p99: pick("p99"), max: pick("max") };
}
const fmt = (p: Percentiles) => `${p.p50.toFixed(3)} | ${p.p90.toFixed(3)} | ${p.p99.toFixed(3)} | ${p.max.toFixed(3)}`;

await using lab = await Lab.create({ name: "relaycost" });
const rows: string[] = [];
for (const [family, host] of [[4, lab.addresses.target4], [6, lab.addresses.target6]] as const) {
  const base: Percentiles[] = [], added: Percentiles[] = [], extra: Percentiles[] = [], late: Percentiles[] = [];
  for (let round = 0; round < rounds; round++) {
    const plain = await through(lab, host, null);
    const pass = await through(lab, host, { seed: round });
    const delayed = await through(lab, host, {
      seed: round,
      toward: { delay: DELAY },
      back: { delay: DELAY },
    });
    base.push(percentiles(plain.rtts));
    const plainMedian = median(plain.rtts);
    added.push(percentiles(pass.rtts.map((r) => r - plainMedian)));
    extra.push(percentiles(delayed.rtts.map((r) => r - 2 * DELAY - plainMedian)));
    late.push(delayed.report!.lateness);
  }
  rows.push(
    `| IPv${family} | RTT without the relay | ${fmt(medianOf(base))} |`,
    `| IPv${family} | added by the relay, no impairment (RTT − median RTT without it) | ${fmt(medianOf(added))} |`,
    `| IPv${family} | added beyond a 2 × ${DELAY} ms delay (RTT − ${2 * DELAY} ms − median without) | ${
      fmt(medianOf(extra))
    } |`,
    `| IPv${family} | relay's own lateness behind each due time (its report) | ${fmt(medianOf(late))} |`,
  );
}
console.log(`${rounds} rounds × ${count} probes per family, medians of each percentile, ms\n`);
console.log("| family | what | p50 | p90 | p99 | max |\n| --- | --- | --- | --- | --- | --- |");
console.log(rows.join("\n"));
