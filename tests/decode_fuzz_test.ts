/**
 * Fuzzing in CI: every decoder of network and kernel bytes gets a fixed number of random and structured-then-mutated
 * inputs per run. The seed is random per run and printed; rerun a failure with MINIPING_FUZZ_SEED=<seed>. For a
 * longer hunt: `deno run --allow-read tests/fuzz/long_run.ts --minutes 60`.
 */
import { equal, match, ok, throws } from "node:assert/strict";
import fc from "fast-check";
import { matchPacket } from "../engine/matcher.ts";
import { ReceivedAncillary } from "../ffi/cmsg.ts";
import { readTxStamp, TxStamp } from "../ffi/timestamping.ts";
import { decodeIcmp } from "../icmp/mod.ts";
import { IcmpDecodeError } from "../icmp/decode.ts";
import { fuzzRound } from "./fuzz/run.ts";
import { decodes, matcherCase, TARGETS } from "./fuzz/targets.ts";

const seed = Number(Deno.env.get("MINIPING_FUZZ_SEED") ?? crypto.getRandomValues(new Uint32Array(1))[0]);
/** Inputs per target per CI run. */
const RUNS = Number(Deno.env.get("MINIPING_FUZZ_RUNS") ?? 50_000);
/** A target that finishes nothing for this long is stuck: 50,000 inputs take 1–2 s here. */
const SILENCE_MS = 120_000;

Deno.test(`every decoder takes ${RUNS} fuzzed inputs (seed ${seed})`, async () => {
  console.log(`fuzz seed ${seed}: rerun with MINIPING_FUZZ_SEED=${seed} deno task test`);
  const started = performance.now();
  const { reports, hung } = await fuzzRound({ seed, runs: RUNS }, SILENCE_MS);
  const ms = performance.now() - started;
  for (const r of reports) console.log(`  ${r.name}: ${r.runs} inputs in ${r.ms.toFixed(0)} ms`);
  const total = reports.reduce((n, r) => n + r.runs, 0);
  console.log(`fuzz: ${total} inputs over ${reports.length} targets in ${(ms / 1000).toFixed(1)} s (seed ${seed})`);
  equal(hung, null, `a decoder hung (seed ${seed})`);
  for (const report of reports) equal(report.failure, null, `${report.name} (seed ${seed}):\n${report.failure}`);
  equal(reports.length, TARGETS.length);
  ok(reports.every((r) => r.runs === RUNS));
});

Deno.test("the fuzz checks catch an out-of-bounds read, a foreign error and a hang", async () => {
  const bytes = new Uint8Array(8);
  throws(() => decodes(bytes, (b) => b[8], () => {}), /read outside the input: index 8 of 8 bytes/);
  throws(() => decodes(bytes, (b) => b.subarray(4)[4], () => {}), /index 4 of 8 bytes/);
  throws(() => decodes(bytes, () => JSON.parse("{"), () => {}), SyntaxError);
  // The decoder's own error is allowed; an in-bounds read is fine.
  decodes(bytes, () => decodeIcmp(4, new Uint8Array(3)), () => {});
  decodes(bytes, (b) => b[7], () => {});
  const spin = new URL(`data:application/javascript,${encodeURIComponent("self.onmessage = () => { for (;;); };")}`);
  const { hung } = await fuzzRound({ seed: 1, runs: 1 }, 300, spin);
  match(hung ?? "", /no answer for 300 ms/);
});

Deno.test("the structured ICMP inputs reach every branch of the decoder", () => {
  for (const [family, name] of [[4, "decodeIcmp(4)"], [6, "decodeIcmp(6)"]] as const) {
    const target = TARGETS.find((t) => t.name.startsWith(name))!;
    const outcomes = new Map<string, number>();
    for (const bytes of fc.sample(target.input, { seed: 1, numRuns: 3000 })) {
      let outcome: string;
      try {
        const m = decodeIcmp(family, bytes);
        outcome = m.kind === "error" ? (m.quoted === null ? "error, no quote" : "error, quoted probe") : m.kind;
      } catch (error) {
        ok(error instanceof IcmpDecodeError);
        outcome = "too short";
      }
      outcomes.set(outcome, (outcomes.get(outcome) ?? 0) + 1);
    }
    for (
      const outcome of ["echo-request", "echo-reply", "error, quoted probe", "error, no quote", "other", "too short"]
    ) {
      ok((outcomes.get(outcome) ?? 0) >= 30, `IPv${family}: ${JSON.stringify([...outcomes])}`);
    }
  }
});

Deno.test("the structured control data reaches every kind of cmsg the parser reads", () => {
  const target = TARGETS.find((t) => t.name.startsWith("ancillary"))!;
  const seen = { stamp: 0, ttl: 0, error: 0, offender: 0 };
  for (const bytes of fc.sample(target.input, { seed: 1, numRuns: 3000 })) {
    const parsed = new ReceivedAncillary();
    parsed.parse(bytes, new DataView(bytes.buffer, bytes.byteOffset), bytes.length);
    if (parsed.hasStamp) seen.stamp++;
    if (parsed.ttl >= 0) seen.ttl++;
    if (parsed.hasError) seen.error++;
    if (parsed.offender.length >= 16) seen.offender++;
  }
  ok(Object.values(seen).every((n) => n >= 30), JSON.stringify(seen));
});

Deno.test("the structured matcher inputs reach replies, corrupted replies and errors", () => {
  const target = TARGETS.find((t) => t.name.includes("matchPacket"))!;
  const seen = new Map<string, number>();
  for (const bytes of fc.sample(target.input, { seed: 1, numRuns: 3000 })) {
    if (bytes.length === 0) continue;
    const { family, kind, data, from, lookup } = matcherCase(bytes);
    const outcome = matchPacket({ family, kind, data, from, ttl: -1 }, lookup)?.type ?? "no match";
    seen.set(outcome, (seen.get(outcome) ?? 0) + 1);
  }
  for (const outcome of ["reply", "corrupted", "error", "no match"]) {
    ok((seen.get(outcome) ?? 0) >= 30, JSON.stringify([...seen]));
  }
});

Deno.test("the structured error-queue entries reach every transmit-stamp status", () => {
  const target = TARGETS.find((t) => t.name.includes("readTxStamp"))!;
  const seen = new Map<string, number>();
  for (const bytes of fc.sample(target.input, { seed: 1, numRuns: 3000 })) {
    if (bytes.length < 2) continue;
    const body = bytes.subarray(0, bytes.length - 2);
    const family = bytes[bytes.length - 1] & 1 ? 6 : 4;
    const view = new DataView(body.buffer, body.byteOffset, body.length);
    const status = readTxStamp(family, view, body.length, 0, new TxStamp());
    seen.set(status, (seen.get(status) ?? 0) + 1);
  }
  for (const status of ["stamp", "error", "foreign", "truncated", "empty"]) {
    ok((seen.get(status) ?? 0) >= 3, JSON.stringify([...seen]));
  }
});
