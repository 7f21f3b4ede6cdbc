/**
 * Exit statuses (iputils' convention) and the classification of what
 * `ping()` throws, as pure functions.
 *
 * @module
 */
import { IcmpError, PingTimeoutError } from "../errors.ts";
import type { PingResult } from "../ping_result.ts";

/** Exit statuses. */
export const EXIT = {
  /** At least one reply arrived. */
  reply: 0,
  /** No reply arrived (only timeouts or ICMP errors). */
  noReply: 1,
  /** Anything else: bad usage, no such host, no privilege, internal error. */
  error: 2,
} as const;

/** One of {@linkcode EXIT}'s values. */
export type ExitCode = typeof EXIT[keyof typeof EXIT];

/** What decides the status of a finished run. */
export interface RunShape {
  /** Probes that were asked for. */
  count: number;
  /** Whether `-c` was given explicitly. */
  countGiven: boolean;
  /** Whether `-w` was given. */
  deadline: boolean;
}

/**
 * The status of a run that produced a result: 0 with a reply, else 1. As
 * iputils, with both `-c` and `-w` the run must also have received `-c`
 * replies.
 */
export function exitCodeFor(
  result: { received: number },
  run: RunShape,
): ExitCode {
  if (result.received === 0) return EXIT.noReply;
  if (run.countGiven && run.deadline && result.received < run.count) {
    return EXIT.noReply;
  }
  return EXIT.reply;
}

/** What to do about an exception from `ping()`. */
export interface Failure {
  /** One line for stderr, without the program prefix; `null` when the summary says it all. */
  message: string | null;
  /** The partial result to summarise, when the error carries one. */
  result: PingResult | null;
  /** The exit status, when the result does not decide it. */
  code: ExitCode;
}

/** Makes any message a single line. */
export function oneLine(text: string): string {
  return text.replace(/\s*\n\s*/g, " ").trim();
}

/** What the run asked for, which changes the advice in a message. */
export interface FailureContext {
  /** Whether `-b` was given. */
  broadcast: boolean;
  /** The interface of `-I`, if any. */
  interface?: string | undefined;
}

/**
 * Classifies an exception: the ICMP error classes and `PingTimeoutError` carry
 * a result (summarised, status 1, the per-probe lines already said why);
 * everything else (`NotFound`, `PermissionDenied`, `RangeError`,
 * `TypeError`, the unexpected) is one stderr line and status 2. A refused
 * socket gets the library's fix for this user, in flag words; a broadcast target without `-b`
 * says "use -b", as iputils does.
 */
export function classifyFailure(error: unknown, context?: FailureContext): Failure {
  if (error instanceof IcmpError || error instanceof PingTimeoutError) {
    return { message: null, result: error.result, code: EXIT.noReply };
  }
  if (error instanceof Deno.errors.PermissionDenied) {
    // The library's message names its option; the command names its flag.
    return {
      message: oneLine(error.message).replace(/socket "(raw|datagram)"/, "--socket $1"),
      result: null,
      code: EXIT.error,
    };
  }
  let text = oneLine(error instanceof Error ? error.message || error.name : String(error));
  if (context?.interface !== undefined && /SO_BINDTODEVICE.*ENODEV/.test(text)) {
    return { message: `-I ${context.interface}: no such network interface`, result: null, code: EXIT.error };
  }
  if (context !== undefined && !context.broadcast && /broadcast/i.test(text)) {
    // The library names its option; the command names its flag, as iputils does.
    text = /; set broadcast to ping it$/.test(text)
      ? text.replace(/; set broadcast to ping it$/, "; use -b to ping it")
      : `${text} (use -b to ping a broadcast address)`;
  }
  return { message: text, result: null, code: EXIT.error };
}
