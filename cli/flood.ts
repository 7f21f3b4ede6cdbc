/**
 * `--flood`, iputils' `ping -f`: each probe goes out the moment the previous one is answered, or after the interval
 * (10 ms unless `-i` says otherwise) when no answer came, so the pace follows the replies. Each probe is one
 * `Pinger.ping()` of one probe on sockets kept open for the run; the caller sees every send (iputils prints a dot)
 * and every event (a backspace per reply), and gets one {@linkcode PingResult} for the whole run.
 *
 * @module
 */
import { IcmpError, PingTimeoutError } from "../errors.ts";
import type { PingOptions, ProbeEvent } from "../ping.ts";
import { PingResult } from "../ping_result.ts";
import { Pinger } from "../pinger.ts";

/** What the flood needs of a `Pinger`; replaceable in tests. */
export interface FloodPinger {
  /** `Pinger.ping()`. */
  ping(host: string, options: PingOptions): Promise<PingResult>;
  /** `Pinger.close()`. */
  close(): Promise<void>;
}

/** What a flood is told. */
export interface FloodOptions {
  /** The host as typed, for the result. */
  host: string;
  /** The literal address to probe. */
  address: string;
  /** Its family. */
  family: 4 | 6;
  /** Per-probe options (count and interval are the flood's own). */
  options: Omit<PingOptions, "signal" | "onProbe"> & { count: number; interval: number; timeout: number };
  /** Stops sending; the probes in flight settle at once. */
  signal: AbortSignal;
  /** Called as each probe is sent, with its number (from 1). */
  onSend: (seq: number) => void;
  /** Called for each event, with `seq` renumbered to the flood's count. */
  onProbe: (event: ProbeEvent) => void;
  /** Opens the pinger; a real `Pinger` by default. */
  open?: () => FloodPinger;
}

/** The counts of a flood so far. */
class FloodTally {
  sent = 0;
  readonly rtts: (number | undefined)[] = [];
  ttl: number | null = null;
  duplicates = 0;
  corrupted = 0;
  errors = 0;

  add(seq: number, result: PingResult): void {
    if (result.rtts.length > 0) this.rtts[seq - 1] = result.rtts[0];
    this.ttl ??= result.ttl;
    this.duplicates += result.duplicates;
    this.corrupted += result.corrupted;
    this.errors += result.errors;
  }
}

/**
 * Runs a flood and returns its result.
 *
 * @param flood What to ping and where to report.
 * @returns One result for every probe sent.
 * @throws What a probe's `ping()` threw other than an ICMP error or a timeout (no privilege, a bad option).
 */
export async function runFlood(flood: FloodOptions): Promise<PingResult> {
  const { signal } = flood;
  const { count, interval, ...probeOptions } = flood.options;
  const pinger = flood.open?.() ?? new Pinger({ socket: probeOptions.socket ?? "auto" });
  const tally = new FloodTally();
  const inFlight = new Set<Promise<void>>();
  let failure: { error: unknown } | null = null;
  try {
    while (tally.sent < count && !signal.aborted && failure === null) {
      const seq = ++tally.sent;
      flood.onSend(seq);
      const probe = pinger.ping(flood.address, {
        ...probeOptions,
        count: 1,
        family: flood.family,
        signal,
        onProbe: (event) => flood.onProbe({ ...event, seq }),
      }).then(
        (result) => tally.add(seq, result),
        (error) => {
          if (error instanceof IcmpError || error instanceof PingTimeoutError) tally.add(seq, error.result);
          else if (!(signal.aborted && error === signal.reason)) failure ??= { error };
        },
      );
      inFlight.add(probe);
      probe.finally(() => inFlight.delete(probe));
      await untilAnswerOr(probe, interval, signal);
    }
    await Promise.all(inFlight);
  } finally {
    await pinger.close();
  }
  if (failure !== null) throw (failure as { error: unknown }).error;
  return new PingResult({
    host: flood.host,
    address: flood.address,
    family: flood.family,
    sent: tally.sent,
    rtts: tally.rtts.filter((rtt): rtt is number => rtt !== undefined),
    ttl: tally.ttl,
    duplicates: tally.duplicates,
    corrupted: tally.corrupted,
    errors: tally.errors,
  });
}

/** Resolves when `probe` settles, `ms` have passed, or `signal` aborts, whichever comes first. */
async function untilAnswerOr(probe: Promise<void>, ms: number, signal: AbortSignal): Promise<void> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  let onAbort: (() => void) | undefined;
  const waited = new Promise<void>((resolve) => {
    timer = setTimeout(resolve, ms);
    onAbort = resolve;
    signal.addEventListener("abort", onAbort, { once: true });
  });
  try {
    await Promise.race([probe, waited]);
  } finally {
    clearTimeout(timer);
    if (onAbort !== undefined) signal.removeEventListener("abort", onAbort);
  }
}
