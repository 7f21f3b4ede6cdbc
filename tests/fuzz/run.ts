/**
 * Starts the fuzz worker and collects its reports under a watchdog.
 *
 * @module
 */
import type { FuzzReport, FuzzRequest } from "./worker.ts";

/** The reports of one fuzz round, or the target that stopped answering. */
export interface FuzzRound {
  reports: FuzzReport[];
  /** Set when the worker went silent for longer than the watchdog allows (a hang), with what was running. */
  hung: string | null;
}

/**
 * Runs one round of every target in a fresh worker.
 *
 * @param request Seed, inputs per target, optional target filter.
 * @param silenceMs How long the worker may go without finishing a target before it is declared hung.
 * @param script The worker script; another one only to prove the watchdog.
 * @returns Every finished target's report, and the hang verdict.
 */
export function fuzzRound(
  request: FuzzRequest,
  silenceMs: number,
  script: URL = new URL("./worker.ts", import.meta.url),
): Promise<FuzzRound> {
  const worker = new Worker(script, { type: "module" });
  const reports: FuzzReport[] = [];
  return new Promise<FuzzRound>((resolve, reject) => {
    let timer: ReturnType<typeof setTimeout> | undefined;
    const finish = (round: FuzzRound) => {
      clearTimeout(timer);
      worker.terminate();
      resolve(round);
    };
    const arm = () => {
      clearTimeout(timer);
      timer = setTimeout(
        () => finish({ reports, hung: `no answer for ${silenceMs} ms after ${reports.length} targets` }),
        silenceMs,
      );
    };
    worker.onmessage = (message: MessageEvent<FuzzReport | { done: true }>) => {
      if ("done" in message.data) return finish({ reports, hung: null });
      reports.push(message.data);
      arm();
    };
    worker.onerror = (event) => {
      clearTimeout(timer);
      worker.terminate();
      event.preventDefault();
      reject(new Error(`fuzz worker failed: ${event.message}`));
    };
    arm();
    worker.postMessage(request);
  });
}
