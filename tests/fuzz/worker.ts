/**
 * Runs the fuzz targets inside a Worker, so the caller can watch the clock and terminate it: a decoder caught in an
 * endless loop never answers, and that silence is the "hang" verdict.
 *
 * Message in: {@linkcode FuzzRequest}; messages out: one {@linkcode FuzzReport} per target, then `{ done: true }`.
 *
 * @module
 */
import fc from "fast-check";
import { TARGETS } from "./targets.ts";

/** What to run. */
export interface FuzzRequest {
  /** fast-check seed: the same seed and runs give the same inputs. */
  seed: number;
  /** Inputs per target. */
  runs: number;
  /** Only targets whose name contains this, when given. */
  only?: string;
}

/** One target's outcome. */
export interface FuzzReport {
  name: string;
  seed: number;
  runs: number;
  ms: number;
  /** fast-check's report (seed, path, shrunk counterexample, error) when the target failed. */
  failure: string | null;
}

/** The worker's global scope; deno check types `self` as a window here. */
const scope = self as unknown as {
  onmessage: (message: MessageEvent<FuzzRequest>) => void;
  postMessage(message: unknown): void;
};

scope.onmessage = (message) => {
  const { seed, runs, only } = message.data;
  for (const target of TARGETS) {
    if (only !== undefined && !target.name.includes(only)) continue;
    const started = performance.now();
    const details = fc.check(fc.property(target.input, (bytes) => target.check(bytes)), { seed, numRuns: runs });
    const failure = details.failed ? fc.defaultReportMessage(details) ?? "failed" : null;
    const report: FuzzReport = {
      name: target.name,
      seed,
      runs: details.numRuns,
      ms: performance.now() - started,
      failure,
    };
    scope.postMessage(report);
  }
  scope.postMessage({ done: true });
};
