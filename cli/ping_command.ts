/**
 * One host, iputils' way: resolve and check before anything is printed, then the header, a line per probe as it
 * completes, the summary, and iputils' exit status.
 *
 * @module
 */
import { ping, PING_LIMITS, type ProbeEvent } from "../ping.ts";
import type { PingResultJson } from "../ping_result.ts";
import { resolveHost } from "../resolve_host.ts";
import { HELP_HINT, type PingCommand, tooLarge } from "./args.ts";
import {
  eventLine,
  formatMs,
  headerLine,
  jsonDocument,
  jsonResult,
  ndjsonEvent,
  ndjsonSummary,
  type ProbeOutcome,
  probeOutcome,
  summaryLines,
  wireSeq,
} from "./format.ts";
import type { FloodPinger } from "./flood.ts";
import { classifyFailure, EXIT, exitCodeFor, type Failure } from "./outcome.ts";
import type { Sink } from "./output.ts";
import { after, RunControl } from "./run_control.ts";
import { RunningTally } from "./status.ts";

/** What a run needs from outside, replaceable in tests. */
export interface RunDependencies {
  /** The library's `ping()`. */
  ping: typeof ping;
  /** Resolves the host to the literal address to probe. */
  resolveHost: typeof resolveHost;
  /** Opens the `Pinger` a `--flood` sends through; a real one when unset. */
  openPinger?: () => FloodPinger;
}

const REAL: RunDependencies = { ping, resolveHost };

/**
 * How long the header waits for the library to refuse the run (bad source address, no privilege) before it is
 * printed anyway: such refusals come before the first send, within a few ms, and then no header is printed at all.
 */
export const HEADER_GRACE_MS = 50;

/**
 * Runs a parsed one-host command: resolves the host, prints the header, streams the events, prints the summary, and
 * returns the exit status. Ctrl-C, `-w` and a closed stdout stop the run through the signal given to `ping()`.
 *
 * @param command What to run.
 * @param out Where the output goes.
 * @param deps `ping()` and the resolver.
 * @returns The exit status.
 */
export async function runPing(command: PingCommand, out: Sink, deps: RunDependencies = REAL): Promise<number> {
  const target = await resolveChecked(command, out, deps);
  if (target === null) return EXIT.error;
  const view = new ProbeView(command, out, target.address);
  let outcome: { result: PingResultJson | null; failure: Failure | null; stoppedEarly: boolean };
  {
    using control = new RunControl({ deadline: command.deadline, onStatus: () => out.notice(view.tally.statusLine()) });
    view.stop = () => control.stop();
    const cancelHeader = after(HEADER_GRACE_MS, () => view.header());
    const started = performance.now();
    const onProbe = (event: ProbeEvent) => view.probe(event);
    const run = command.flood
      ? flood(command, target, control.signal, view, deps)
      : deps.ping(target.address, { ...command.options, family: target.family, signal: control.signal, onProbe });
    outcome = await settle(run, control.signal, command);
    cancelHeader();
    view.elapsed = performance.now() - started;
    view.finishOutstanding();
  }
  return finish(command, out, view, outcome);
}

/** `--flood` through its own module, loaded only for a flood. */
async function flood(
  command: PingCommand,
  target: { address: string; family: 4 | 6 },
  signal: AbortSignal,
  view: ProbeView,
  deps: RunDependencies,
): Promise<{ toJSON(): PingResultJson }> {
  const { runFlood } = await import("./flood.ts");
  return await runFlood({
    host: command.host,
    ...target,
    options: command.options,
    signal,
    onSend: () => view.floodSent(),
    onProbe: (event) => view.probe(event),
    ...(deps.openPinger === undefined ? {} : { open: deps.openPinger }),
  });
}

/** Resolves the host and checks what depends on its family, so that these errors come before the header. */
async function resolveChecked(
  command: PingCommand,
  out: Sink,
  deps: RunDependencies,
): Promise<{ address: string; family: 4 | 6 } | null> {
  let target;
  try {
    target = await deps.resolveHost(command.host, { family: command.options.family });
  } catch (error) {
    out.error(classifyFailure(error).message ?? String(error));
    return null;
  }
  const max = PING_LIMITS.size.max[target.family];
  if (command.options.size > max) {
    const error = tooLarge("--size", command.options.size, max, { qualifier: ` for IPv${target.family}` });
    out.error(`${error.message} ${HELP_HINT}`);
    return null;
  }
  return target;
}

async function settle(
  run: Promise<{ toJSON(): PingResultJson }>,
  signal: AbortSignal,
  command: PingCommand,
): Promise<{ result: PingResultJson | null; failure: Failure | null; stoppedEarly: boolean }> {
  try {
    return { result: (await run).toJSON(), failure: null, stoppedEarly: false };
  } catch (error) {
    // Aborted before the first send: ping() rejects with the abort reason.
    const stoppedEarly = signal.aborted && error === signal.reason;
    const failure = classifyFailure(error, {
      broadcast: command.options.broadcast ?? false,
      interface: command.options.interface,
    });
    return { result: failure.result?.toJSON() ?? null, failure, stoppedEarly };
  }
}

/** The live side of a run: header, probe lines, flood dots, -O notes, the tally for Ctrl-\ and -j's probe list. */
class ProbeView {
  readonly tally = new RunningTally();
  readonly probes: ProbeOutcome[] = [];
  /** Stops the run (set once the run's control exists). */
  stop: () => void = () => {};
  elapsed = 0;
  userClockReply: ProbeEvent | null = null;
  #headerShown = false;
  readonly #settledSeqs = new Set<number>();
  #outstandingTimer: ReturnType<typeof setInterval> | undefined;
  #nextDue = 2;
  #pendingDots = 0;

  constructor(readonly command: PingCommand, readonly out: Sink, readonly address: string) {
    if (command.outstanding && command.output === "human" && !command.quiet && command.options.interval > 0) {
      this.#outstandingTimer = setInterval(() => this.#reportOutstanding(), command.options.interval);
    }
  }

  /** Prints the header once, in human mode, then the flood dots that waited for it. */
  header(): void {
    if (this.#headerShown || this.command.output !== "human") return;
    this.#headerShown = true;
    this.#write(headerLine(this.command.host, this.address, this.command.options.size));
    if (this.#pendingDots > 0) this.#rawWrite(".".repeat(this.#pendingDots));
    this.#pendingDots = 0;
  }

  probe(event: ProbeEvent): void {
    this.tally.add(event);
    if (event.type !== "duplicate") this.#settledSeqs.add(event.seq);
    const command = this.command;
    if (command.precise && event.type === "reply" && event.clock !== "kernel" && this.userClockReply === null) {
      this.userClockReply = event;
      this.stop();
    }
    if (command.output === "json") {
      const outcome = probeOutcome(event);
      if (outcome !== null) this.probes.push(outcome);
      return;
    }
    if (command.quiet) return;
    if (command.output === "ndjson") {
      // The reader left: stop probing, nobody will see the rest.
      if (!this.out.record(ndjsonEvent(event))) this.stop();
      return;
    }
    this.header();
    if (command.flood) {
      // iputils: a dot went out with the request, a reply takes it back; a lost probe leaves its dot.
      if (event.type === "reply") this.#rawWrite("\b");
      return;
    }
    const options = command.timestamps ? { timestamp: event.time, bell: command.bell } : { bell: command.bell };
    this.#write(eventLine(event, options));
  }

  /**
   * `--flood`: a dot per request, in human mode. Until the header is out (the first event, or the grace), dots wait,
   * so that a refusal before the first send is the only line printed.
   */
  floodSent(): void {
    if (this.command.output !== "human" || this.command.quiet) return;
    if (this.#headerShown) this.#rawWrite(".");
    else this.#pendingDots++;
  }

  /** -O: at each send, a note for the previous probe when it has no outcome yet. */
  #reportOutstanding(): void {
    const previous = this.#nextDue - 1;
    if (previous >= this.command.options.count) return this.finishOutstanding();
    this.#nextDue++;
    if (!this.#settledSeqs.has(previous)) {
      this.header();
      this.#write({ text: `no answer yet for icmp_seq=${previous}` });
    }
  }

  finishOutstanding(): void {
    // Only a timer that exists: even clearInterval(undefined) sets up Deno's timer layer (ms at start-up).
    if (this.#outstandingTimer !== undefined) clearInterval(this.#outstandingTimer);
    this.#outstandingTimer = undefined;
  }

  #write(line: Parameters<Sink["line"]>[0]): void {
    if (!this.out.line(line)) this.stop();
  }

  #rawWrite(text: string): void {
    if (!this.out.raw(text)) this.stop();
  }
}

function finish(
  command: PingCommand,
  out: Sink,
  view: ProbeView,
  { result, failure, stoppedEarly }: { result: PingResultJson | null; failure: Failure | null; stoppedEarly: boolean },
): number {
  if (result !== null) {
    view.header();
    if (command.flood && command.output === "human" && !command.quiet) out.raw("\n");
    // ping() saw the literal address; the user asked about the name.
    printSummary(command, out, { ...result, host: command.host }, view);
  }
  if (view.userClockReply !== null && view.userClockReply.type === "reply") {
    const { rtt, clock } = view.userClockReply;
    out.error(
      `--precise: the kernel gave no ${clock === "rx" ? "transmit" : "receive"} timestamp for icmp_seq=` +
        `${wireSeq(view.userClockReply)} (its RTT, ${formatMs(rtt)} ms, was taken with ` +
        `${clock === "rx" ? "a user-space send stamp" : "the user-space clock"}); run without --precise to accept it`,
    );
    return EXIT.error;
  }
  if (result === null) {
    if (stoppedEarly) {
      out.error("stopped before the first probe was sent");
      return EXIT.noReply;
    }
    out.error(failure?.message ?? "no result");
    return failure?.code ?? EXIT.error;
  }
  return exitCodeFor(result, {
    count: command.options.count,
    countGiven: command.countGiven,
    deadline: command.deadline !== null,
  });
}

function printSummary(command: PingCommand, out: Sink, result: PingResultJson, view: ProbeView): void {
  switch (command.output) {
    case "human":
      for (const line of summaryLines(result, { elapsed: view.elapsed, showRtts: command.showRtts })) {
        if (!out.line(line)) return;
      }
      return;
    case "json":
      out.record(jsonDocument(jsonResult(result, view.probes)));
      return;
    case "ndjson":
      out.record(ndjsonSummary(result));
      return;
  }
}
