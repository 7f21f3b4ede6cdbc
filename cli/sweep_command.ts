/**
 * Several hosts, fping's way, over the library's `pingMany()`: targets stream in from the command line, a file or
 * `-g`; a line per probe naming its host; then one aligned row per host (or, with `-a` / `-u`, the names of the alive
 * / unreachable targets as they finish). Exit status as fping: 0 when every target answered, 1 when some did not,
 * 2 for errors (a name that does not resolve included).
 *
 * @module
 */
import type { ProbeEvent } from "../ping.ts";
import { pingMany, type PingManyEntry, type PingManyOptions } from "../ping_many.ts";
import type { SweepCommand } from "./args.ts";
import { jsonDocument, jsonResult, ndjsonEvent, ndjsonSummary, type ProbeOutcome, probeOutcome } from "./format.ts";
import { classifyFailure, EXIT, oneLine } from "./outcome.ts";
import type { Sink } from "./output.ts";
import { RunControl } from "./run_control.ts";
import { RunningTally } from "./status.ts";
import { progressLine, type SummaryRow, summaryTable, sweepEventLine } from "./sweep_format.ts";
import { rangeAddresses, readChunks, targetLines } from "./targets.ts";

/** What a sweep needs from outside, replaceable in tests. */
export interface SweepDependencies {
  /** The library's `pingMany()`. */
  pingMany: (hosts: AsyncIterable<string>, options: PingManyOptions) => Promise<PingManyEntry[]>;
  /** Whether stderr is a terminal (the progress line shows only there). */
  stderrIsTerminal: () => boolean;
}

const REAL: SweepDependencies = { pingMany, stderrIsTerminal: () => Deno.stderr.isTerminal() };

/** The progress line appears once a sweep has run this long (ms), and is redrawn this often. */
export const PROGRESS_AFTER_MS = 1000;
const PROGRESS_EVERY_MS = 250;

/** The targets, and how many when that is known before reading them. */
interface Targets {
  hosts: AsyncIterable<string>;
  total: number | null;
}

/**
 * Opens the command's target source; a file that cannot be read fails here, before anything is sent.
 *
 * @throws {Error} The file cannot be opened; the message names it.
 */
export async function openTargets(command: SweepCommand): Promise<Targets> {
  const source = command.targets;
  switch (source.kind) {
    case "list":
      return { hosts: toAsync(source.hosts), total: source.hosts.length };
    case "generate":
      return { hosts: toAsync(rangeAddresses(source.range)), total: Number(source.range.count) };
    case "file": {
      if (source.path !== "-") await checkReadable(source.path);
      return { hosts: targetLines(readChunks(source.path)), total: null };
    }
  }
}

async function checkReadable(path: string): Promise<void> {
  try {
    (await Deno.open(path)).close();
  } catch (error) {
    if (error instanceof Deno.errors.NotCapable) {
      throw new Error(`reading ${path} needs --allow-read; or pass it on standard input: -f - < ${path}`);
    }
    throw new Error(`cannot read ${path}: ${error instanceof Error ? error.message : String(error)}`);
  }
}

async function* toAsync<T>(items: Iterable<T>): AsyncGenerator<T> {
  yield* items;
}

/**
 * Runs a parsed fping-mode command and returns the exit status.
 *
 * @param command What to run.
 * @param out Where the output goes.
 * @param deps `pingMany()` and the terminal check.
 * @returns 0 when every target answered, 1 when some did not, 2 for errors.
 */
export async function runSweep(command: SweepCommand, out: Sink, deps: SweepDependencies = REAL): Promise<number> {
  let targets: Targets;
  try {
    targets = await openTargets(command);
  } catch (error) {
    out.error(oneLine(error instanceof Error ? error.message : String(error)));
    return EXIT.error;
  }
  const sweep = new Sweep(command, out, targets.total);
  let entries: PingManyEntry[];
  {
    using control = new RunControl({ deadline: command.deadline, onStatus: () => out.notice(sweep.statusLine()) });
    sweep.stop = () => control.stop();
    control.signal.addEventListener("abort", () => sweep.stopReason = control.signal.reason, { once: true });
    using _progress = sweep.startProgress(deps.stderrIsTerminal());
    try {
      entries = await deps.pingMany(targets.hosts, {
        ...command.options,
        ...(command.rate === undefined ? {} : { rate: command.rate }),
        signal: control.signal,
        collect: sweep.collects,
        onProbe: (event) => sweep.probe(event),
        onResult: (entry) => sweep.result(entry),
      });
    } catch (error) {
      const failure = classifyFailure(error, {
        broadcast: command.options.broadcast ?? false,
        interface: command.options.interface,
      });
      out.error(failure.message ?? "no result");
      return EXIT.error;
    }
  }
  sweep.printEnd(entries);
  return sweep.exitCode();
}

/** The state of one sweep: counts for the exit status and progress, per-host probe lists for `-j`. */
class Sweep {
  readonly tally = new RunningTally();
  stop: () => void = () => {};
  done = 0;
  alive = 0;
  unanswered = 0;
  failed = 0;
  notStarted = 0;
  /** The reason the run's signal was aborted with, once it was. */
  stopReason: unknown = undefined;
  readonly #probes = new Map<number, ProbeOutcome[]>();
  readonly #started = performance.now();

  constructor(readonly command: SweepCommand, readonly out: Sink, readonly total: number | null) {}

  /** Whether the run must hold every result: the table and `-j` need them all at the end; the rest streams. */
  get collects(): boolean {
    return this.command.output === "json" || (this.command.output === "human" && this.command.filter === "all");
  }

  probe(event: ProbeEvent): void {
    this.tally.add(event);
    const { output, quiet, filter, timestamps } = this.command;
    if (output === "json") {
      const outcome = probeOutcome(event);
      if (outcome === null) return;
      const index = event.index ?? 0;
      const list = this.#probes.get(index);
      if (list === undefined) this.#probes.set(index, [outcome]);
      else list.push(outcome);
      return;
    }
    if (quiet || filter !== "all") return;
    const written = output === "ndjson"
      ? this.out.record(ndjsonEvent(event))
      : this.out.line(sweepEventLine(event, timestamps ? event.time : undefined));
    // The reader left: nobody will see the rest.
    if (!written) this.stop();
  }

  result(entry: PingManyEntry): void {
    this.done++;
    const alive = entry.ok && entry.received > 0;
    // A target that a stop (Ctrl-C, -w, a closed stdout) kept from starting was not pinged: no error of its own.
    if (!entry.ok && entry.error === this.stopReason) this.notStarted++;
    else if (!entry.ok) this.failed++;
    else if (alive) this.alive++;
    else this.unanswered++;
    const { output, filter } = this.command;
    let written = true;
    if (output === "ndjson") {
      written = this.out.record(
        entry.ok ? ndjsonSummary(entry.toJSON()) : JSON.stringify({
          type: "failure",
          host: entry.host,
          index: entry.index,
          error: this.#errorText(entry.error),
        }),
      );
    } else if (output === "human" && filter !== "all") {
      const host = entry.ok ? entry.toJSON().host : entry.host;
      if (filter === "alive" ? alive : !alive) written = this.out.line({ text: host });
    }
    if (!written) this.stop();
  }

  printEnd(entries: PingManyEntry[]): void {
    if (this.command.output === "json") {
      this.out.record(jsonDocument(entries.map((entry) => this.#jsonEntry(entry))));
    } else if (this.command.output === "human" && this.command.filter === "all") {
      if (!this.command.quiet && entries.length > 0) this.out.line({ text: "" });
      const rows = entries.map((entry): SummaryRow =>
        entry.ok
          ? { host: entry.host, result: entry.toJSON() }
          : { host: entry.host, error: this.#errorText(entry.error) }
      );
      for (const line of summaryTable(rows)) if (!this.out.line(line)) return;
    }
  }

  #jsonEntry(entry: PingManyEntry): unknown {
    if (!entry.ok) return { host: entry.host, index: entry.index, error: this.#errorText(entry.error) };
    return jsonResult(entry.toJSON(), this.#probes.get(entry.index) ?? []);
  }

  #errorText(error: unknown): string {
    if (error === this.stopReason) return "not pinged: the run was stopped";
    return oneLine(error instanceof Error ? error.message : String(error));
  }

  exitCode(): number {
    if (this.failed > 0) return EXIT.error;
    return this.unanswered > 0 || this.notStarted > 0 || this.done === 0 ? EXIT.noReply : EXIT.reply;
  }

  statusLine(): string {
    return `${this.done}/${this.total ?? "?"} targets done, ${this.alive} alive; ${this.tally.statusLine()}`;
  }

  /** Shows a progress line on a terminal stderr after a second, for human output without -q. */
  startProgress(stderrIsTerminal: boolean): Disposable {
    const { output, quiet } = this.command;
    if (!stderrIsTerminal || output !== "human" || quiet) return { [Symbol.dispose]() {} };
    let timer: ReturnType<typeof setInterval> | undefined;
    const delay = setTimeout(() => {
      timer = setInterval(() => this.#drawProgress(), PROGRESS_EVERY_MS);
      this.#drawProgress();
    }, PROGRESS_AFTER_MS);
    return {
      [Symbol.dispose]: () => {
        clearTimeout(delay);
        clearInterval(timer);
        this.out.progress("");
      },
    };
  }

  #drawProgress(): void {
    const seconds = (performance.now() - this.#started) / 1000;
    this.out.progress(progressLine(this.done, this.total, this.tally.settled / seconds, this.alive));
  }
}
