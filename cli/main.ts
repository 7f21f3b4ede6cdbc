/**
 * `miniping`'s wiring: parse, resolve, print the header, run `ping()` with a
 * signal that Ctrl-C and `-w` abort, stream events, print the summary and
 * pick the exit status.
 *
 * @module
 */
import config from "../deno.json" with { type: "json" };
import { ping, type ProbeEvent, type ReplyEvent } from "../ping.ts";
import type { PingResultJson } from "../ping_result.ts";
import { type Command, HELP_HINT, parseCommand, type PingCommand, PROGRAM, USAGE, UsageError } from "./args.ts";
import { eventLine, formatMs, headerLine, jsonDocument, ndjsonEvent, ndjsonSummary, summaryLines } from "./format.ts";
import { classifyFailure, EXIT, exitCodeFor, oneLine } from "./outcome.ts";
import { Output, type Sink } from "./output.ts";
import { resolveHost } from "../resolve_host.ts";

/** What a run needs from outside, replaceable in tests. */
export interface RunDependencies {
  /** The library's `ping()`. */
  ping: typeof ping;
  /** Resolves the host to the literal address to probe. */
  resolveHost: typeof resolveHost;
}

const REAL: RunDependencies = { ping, resolveHost };

/** The status of a process ended by a second Ctrl-C (128 + SIGINT). */
const EXIT_FORCED = 130;

/**
 * Runs `miniping` with `args` (the arguments after the program name) and
 * returns the exit status: 0 if a reply arrived, 1 if none did, 2 for any
 * other error. Prints to stdout and stderr; does not exit, except that a
 * second Ctrl-C during a run ends the process at once (status 130).
 *
 * @example Print the version
 * ```ts
 * import { main } from "./main.ts";
 * import { equal } from "node:assert/strict";
 *
 * equal(await main(["--version"]), 0);
 * ```
 */
export async function main(args: readonly string[]): Promise<number> {
  let command: Command;
  try {
    command = parseCommand(args);
  } catch (error) {
    if (!(error instanceof UsageError)) throw error;
    console.error("%s", `${PROGRAM}: ${error.message} ${HELP_HINT}`);
    return EXIT.error;
  }
  switch (command.kind) {
    case "help":
      console.log("%s", USAGE.trimEnd());
      return EXIT.reply;
    case "version":
      console.log("%s", `${PROGRAM} ${config.version}`);
      return EXIT.reply;
  }
  const out = new Output(command.color);
  try {
    return await runPing(command, out);
  } catch (error) {
    // Nothing may escape as a stack trace.
    out.error(oneLine(error instanceof Error ? error.message : String(error)));
    return EXIT.error;
  }
}

/**
 * Runs a parsed ping command: resolves the host, prints the header, streams
 * the events, prints the summary, and returns the exit status. Ctrl-C and
 * `-w` stop the run through the signal given to `ping()`.
 *
 * @param command What to run.
 * @param out Where the output goes.
 * @param deps `ping()` and the resolver.
 * @returns The exit status.
 */
export async function runPing(
  command: PingCommand,
  out: Sink,
  deps: RunDependencies = REAL,
): Promise<number> {
  let target;
  try {
    target = await deps.resolveHost(command.host, { family: command.options.family });
  } catch (error) {
    out.error(classifyFailure(error).message ?? String(error));
    return EXIT.error;
  }
  if (command.output === "human") {
    out.line(headerLine(command.host, target.address, command.options.size));
  }

  const controller = new AbortController();
  let settled = false;
  const onInterrupt = () => {
    // A second Ctrl-C while the first is still being handled means "now".
    if (controller.signal.aborted && !settled) Deno.exit(EXIT_FORCED);
    controller.abort();
  };
  Deno.addSignalListener("SIGINT", onInterrupt);
  const deadlineTimer = command.deadline === null ? undefined : setTimeout(() => controller.abort(), command.deadline);

  let userClockReply: ReplyEvent | null = null;
  const onProbe = (event: ProbeEvent) => {
    if (
      command.precise && event.type === "reply" && event.clock !== "kernel" &&
      userClockReply === null
    ) {
      userClockReply = event;
      controller.abort();
    }
    if (command.quiet) return;
    if (command.output === "ndjson") {
      // The reader left: stop probing, nobody will see the rest.
      if (!out.record(ndjsonEvent(event))) controller.abort();
    } else if (command.output === "human") {
      out.line(eventLine(event));
    }
  };

  const started = performance.now();
  let result: PingResultJson | null = null;
  let failure = null;
  let stoppedEarly = false;
  try {
    const outcome = await deps.ping(target.address, {
      ...command.options,
      family: target.family,
      signal: controller.signal,
      onProbe,
    });
    result = outcome.toJSON();
  } catch (error) {
    // Aborted before the first send: ping() rejects with the abort reason.
    stoppedEarly = controller.signal.aborted && error === controller.signal.reason;
    failure = classifyFailure(error);
    if (failure.result !== null) result = failure.result.toJSON();
  } finally {
    settled = true;
    Deno.removeSignalListener("SIGINT", onInterrupt);
    clearTimeout(deadlineTimer);
  }
  const elapsed = performance.now() - started;

  if (result !== null) {
    // ping() saw the literal address; the user asked about the name.
    result = { ...result, host: command.host };
    printSummary(command, out, result, elapsed);
  }
  if (userClockReply !== null) {
    const { seq, rtt, clock } = userClockReply;
    out.error(
      `--precise: the kernel gave no ${clock === "rx" ? "transmit" : "receive"} timestamp for icmp_seq=${seq} ` +
        `(its RTT, ${formatMs(rtt)} ms, was taken with ${
          clock === "rx" ? "a user-space send stamp" : "the user-space clock"
        }); ` +
        "run without --precise to accept it",
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

function printSummary(
  command: PingCommand,
  out: Sink,
  result: PingResultJson,
  elapsed: number,
): void {
  switch (command.output) {
    case "human":
      for (
        const line of summaryLines(result, {
          elapsed,
          showRtts: command.showRtts,
        })
      ) {
        out.line(line);
      }
      return;
    case "json":
      out.record(jsonDocument(result));
      return;
    case "ndjson":
      out.record(ndjsonSummary(result));
      return;
  }
}
