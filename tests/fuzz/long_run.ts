/**
 * The long fuzz run: rounds of every target with fresh seeds until the time is up, each round in a worker under a
 * watchdog. Prints progress once a minute and, on the first failure or hang, the seed that reproduces it
 * (`MINIPING_FUZZ_SEED=<seed> MINIPING_FUZZ_RUNS=<runs> deno test --allow-read tests/decode_fuzz_test.ts`).
 *
 * Usage: `deno run --allow-read tests/fuzz/long_run.ts [--minutes 60] [--seed N] [--runs 50000]`
 *
 * @module
 */
import { fuzzRound } from "./run.ts";

function flag(name: string, fallback: number): number {
  const at = Deno.args.indexOf(`--${name}`);
  if (at < 0) return fallback;
  const value = Number(Deno.args[at + 1]);
  if (!Number.isFinite(value) || value < 0) {
    console.error(`--${name} must be a non-negative number, got ${Deno.args[at + 1]}`);
    Deno.exit(2);
  }
  return value;
}

const minutes = flag("minutes", 60);
const runs = flag("runs", 50_000);
let seed = flag("seed", crypto.getRandomValues(new Uint32Array(1))[0]);
const deadline = performance.now() + minutes * 60_000;
const started = performance.now();
let inputs = 0, rounds = 0, lastReport = started;

console.log(`fuzzing for ${minutes} min, ${runs} inputs per target per round, first seed ${seed}`);
while (performance.now() < deadline) {
  const { reports, hung } = await fuzzRound({ seed, runs }, 120_000);
  const failed = reports.find((r) => r.failure !== null);
  if (hung !== null || failed !== undefined) {
    console.error(
      `FAILED in round ${rounds + 1}, seed ${seed}: ${hung ?? `${failed!.name}\n${failed!.failure}`}\n` +
        `reproduce: MINIPING_FUZZ_SEED=${seed} MINIPING_FUZZ_RUNS=${runs} deno test --allow-read tests/decode_fuzz_test.ts`,
    );
    Deno.exit(1);
  }
  inputs += reports.reduce((n, r) => n + r.runs, 0);
  rounds++;
  seed = (seed + 1) >>> 0;
  if (performance.now() - lastReport >= 60_000) {
    lastReport = performance.now();
    const s = (lastReport - started) / 1000;
    console.log(`${s.toFixed(0)} s: ${inputs} inputs in ${rounds} rounds, ${(inputs / s).toFixed(0)} inputs/s`);
  }
}
const s = (performance.now() - started) / 1000;
console.log(
  `done: ${inputs} inputs in ${rounds} rounds over ${s.toFixed(0)} s, no failure (seeds from ${seed - rounds})`,
);
