import type { PingResult } from "./ping_result.ts";

/** Options shared by the ICMP error classes. */
export interface IcmpErrorOptions {
  /** ICMP code of the first such error. */
  code: number;
  /** The router that sent it; `null` when the local stack refused the send. */
  from: string | null;
  /** What was gathered before giving up. */
  result: PingResult;
  /** The underlying error, if any. */
  cause?: unknown;
}

/**
 * An ICMP error ended every probe that got an answer: the base of {@linkcode DestinationUnreachableError} and
 * {@linkcode TimeExceededError}, for callers that handle both alike.
 *
 * @example
 * ```ts ignore
 * import { IcmpError, ping } from "@miniping/miniping";
 *
 * try {
 *   await ping("198.18.0.1", { ttl: 2 });
 * } catch (error) {
 *   if (error instanceof IcmpError) console.log(`${error.message} (code ${error.code}) from ${error.from}`);
 * }
 * ```
 */
export class IcmpError extends Error {
  /** ICMP code (RFC 792 for IPv4, RFC 4443 for IPv6). */
  readonly code: number;
  /** The router that reported it, `null` for a local refusal. */
  readonly from: string | null;
  /** What was gathered. */
  readonly result: PingResult;

  /** Builds the error; `message` is the code's text from the RFC tables. */
  constructor(message: string, options: IcmpErrorOptions) {
    super(message, { cause: options.cause });
    this.name = "IcmpError";
    this.code = options.code;
    this.from = options.from;
    this.result = options.result;
  }
}

/**
 * No echo reply arrived and at least one ICMP Destination Unreachable did (ICMPv4 type 3, ICMPv6 type 1), or the
 * local routing table refused the send (then `from` is `null`).
 *
 * @example
 * ```ts ignore
 * import { DestinationUnreachableError, ping } from "@miniping/miniping";
 *
 * try {
 *   await ping("198.18.0.1");
 * } catch (error) {
 *   if (error instanceof DestinationUnreachableError) console.log(error.code, error.from);
 * }
 * ```
 */
export class DestinationUnreachableError extends IcmpError {
  /** Builds the error; `message` is the code's text from the RFC tables. */
  constructor(message: string, options: IcmpErrorOptions) {
    super(message, options);
    this.name = "DestinationUnreachableError";
  }
}

/**
 * No echo reply arrived and at least one ICMP Time Exceeded did (ICMPv4 type 11, ICMPv6 type 3): the TTL or hop limit
 * ran out on the way. `code` is 0 in transit, 1 during fragment reassembly.
 *
 * @example
 * ```ts ignore
 * import { ping, TimeExceededError } from "@miniping/miniping";
 *
 * try {
 *   await ping("198.18.0.1", { ttl: 1 });
 * } catch (error) {
 *   if (error instanceof TimeExceededError) console.log(`expired at ${error.from}`);
 * }
 * ```
 */
export class TimeExceededError extends IcmpError {
  /** Builds the error; `message` is the code's text from the RFC tables. */
  constructor(message: string, options: IcmpErrorOptions) {
    super(message, options);
    this.name = "TimeExceededError";
  }
}

/**
 * Nothing at all came back. Thrown only when `throwOnTimeout` is set.
 *
 * @example
 * ```ts ignore
 * import { ping, PingTimeoutError } from "@miniping/miniping";
 *
 * try {
 *   await ping("198.18.0.1", { throwOnTimeout: true });
 * } catch (error) {
 *   if (error instanceof PingTimeoutError) console.log(`${error.result.sent} probes, no answer`);
 * }
 * ```
 */
export class PingTimeoutError extends Error {
  /** What was gathered: every probe timed out. */
  readonly result: PingResult;

  /** Builds the error for a run whose probes all timed out. */
  constructor(message: string, result: PingResult) {
    super(message);
    this.name = "PingTimeoutError";
    this.result = result;
  }
}
