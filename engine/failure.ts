/**
 * The entry `pingMany()` gives a target it could not probe at all.
 *
 * @module
 */

/**
 * A target of `pingMany()` that could not be probed at all: its name did not resolve, it contained a NUL, its
 * address family did not fit `size` or `source`, or the sweep was aborted before it started. ICMP errors are not
 * failures: they are counted in the target's `PingResult`.
 *
 * @example Tell failures from results
 * ```ts ignore
 * import { pingMany } from "@miniping/miniping";
 *
 * for (const entry of await pingMany(["127.0.0.1", "no-such-host.invalid"], { count: 1 })) {
 *   console.log(entry.ok ? `${entry.host}: ${entry.received} replies` : `${entry.host}: ${entry.error.message}`);
 * }
 * ```
 */
export class PingFailure {
  /** Always false: tells a failure from a `PingResult`. */
  readonly ok = false as const;
  /** The host as given. */
  readonly host: string;
  /** Position of the target in `pingMany()`'s input. */
  readonly index: number;
  /** Why: `Deno.errors.NotFound` for a name that does not resolve, TypeError or RangeError for a bad host. */
  readonly error: Error;

  /** Builds the entry for target `index`. */
  constructor(host: string, index: number, error: Error) {
    this.host = host;
    this.index = index;
    this.error = error;
  }

  /** A plain object for JSON: the error as its name and message. */
  toJSON(): { ok: false; host: string; index: number; error: { name: string; message: string } } {
    return {
      ok: false,
      host: this.host,
      index: this.index,
      error: { name: this.error.name, message: this.error.message },
    };
  }
}
