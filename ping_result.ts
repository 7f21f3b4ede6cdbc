import { estimateHops, guessOs, type OsGuess } from "./stats/ttl.ts";
import { interarrivalJitter, lossPercent, type RttSummary, summarizeRtts } from "./stats/summary.ts";

/** The plain-object form of a {@linkcode PingResult}, as produced by `toJSON()`. */
export interface PingResultJson {
  /** The host as the caller gave it. */
  host: string;
  /** The address that was probed. */
  address: string;
  /** The address family that was used. */
  family: 4 | 6;
  /** Echo requests sent. */
  sent: number;
  /** Probes answered by a matching echo reply in time. */
  received: number;
  /** Extra copies of replies already counted. */
  duplicates: number;
  /** Replies that matched a probe but failed the checksum or payload check. */
  corrupted: number;
  /** ICMP error messages (and local send refusals) for our probes. */
  errors: number;
  /** Percent of sent probes without a reply, 0–100. */
  loss: number;
  /** Smallest RTT in ms, `null` without replies. */
  min: number | null;
  /** Largest RTT in ms, `null` without replies. */
  max: number | null;
  /** Mean RTT in ms, `null` without replies. */
  mean: number | null;
  /** Median RTT in ms, `null` without replies. */
  median: number | null;
  /** pyminiping's jitter: the sample standard deviation of the RTTs in ms (n − 1); 0 with fewer than 2 replies. */
  jitter: number;
  /**
   * RFC 3550 interarrival jitter of the RTTs in sequence order, in ms (J += (|D| − J) / 16): what VoIP tools call
   * jitter. 0 with fewer than 2 replies.
   */
  interarrivalJitter: number;
  /** 95th percentile RTT in ms (linear interpolation between closest ranks), `null` without replies. */
  p95: number | null;
  /** RTTs in ms, in sequence order. */
  rtts: number[];
  /** TTL (IPv4) or hop limit (IPv6) of the first reply. */
  ttl: number | null;
  /** Hops estimated from `ttl`, assuming an initial TTL of 64, 128 or 255. */
  hops: number | null;
  /** Operating-system class guessed from an IPv4 TTL; `null` for IPv6 or without replies. */
  osGuess: OsGuess | null;
}

/** The counts and samples a ping run gathered, from which a {@linkcode PingResult} is built. */
export interface PingTally {
  /** The host as the caller gave it. */
  host: string;
  /** The address that was probed. */
  address: string;
  /** The address family that was used. */
  family: 4 | 6;
  /** Position of the target in `pingMany()`'s input; 0 (the default) for `ping()`. */
  index?: number;
  /** Echo requests sent. */
  sent: number;
  /** RTTs in ms of the accepted replies, in sequence order. */
  rtts: readonly number[];
  /** TTL or hop limit of the first reply, `null` when unknown. */
  ttl: number | null;
  /** Extra copies of replies already counted. */
  duplicates: number;
  /** Replies that failed the checksum or payload check. */
  corrupted: number;
  /** ICMP errors and local send refusals. */
  errors: number;
}

/**
 * The fields of a {@linkcode PingResult} are those of {@linkcode PingResultJson}, read-only; declared once there and
 * merged into the class here, so the interface, the class and `toJSON()` cannot drift apart.
 */
export interface PingResult extends Readonly<PingResultJson> {}

/**
 * The RTT statistics of each result with two RTTs or more, computed once when it is built. Held beside the results
 * rather than in them: a result with one RTT (most results of a sweep) needs none, since that RTT is every statistic,
 * and it then takes 104 B and its RTT list instead of 273 B.
 */
const summaries = new WeakMap<PingResult, RttSummary>();

/**
 * The outcome of a {@linkcode ping} run: counts, loss and RTT statistics in milliseconds. Its fields are those of
 * {@linkcode PingResultJson}; `toJSON()` gives them as a plain object. The tally (`index`, `host`, `address`,
 * `family`, `sent`, `duplicates`, `corrupted`, `errors`, `rtts`, `ttl`) is held as own properties; what is derived from
 * it (`ok`, `received`, `loss`, `min` … `p95`, `hops`, `osGuess`) is getters, computed when read: a sweep keeps one
 * result per target, and most are never asked for a median. So a spread (`{ ...result }`) copies the tally only: use
 * `toJSON()` for every field.
 *
 * @example Build a result by hand
 * ```ts
 * import { PingResult } from "@miniping/miniping";
 * import { equal } from "node:assert/strict";
 *
 * const result = new PingResult({
 *   host: "localhost", address: "127.0.0.1", family: 4, sent: 4,
 *   rtts: [0.05, 0.04, 0.06], ttl: 64, duplicates: 0, corrupted: 0, errors: 0,
 * });
 * equal(result.loss, 25);
 * equal(result.success, true);
 * ```
 */
export class PingResult {
  /** Tells a result from a `PingFailure` in `pingMany()`'s entries. */
  get ok(): true {
    return true;
  }

  /** Position of the target in `pingMany()`'s input; 0 for `ping()`. */
  readonly index: number;

  /**
   * Builds a result from the raw tally of a run.
   *
   * @param tally The counts and RTTs the run gathered.
   */
  constructor(tally: PingTally) {
    this.index = tally.index ?? 0;
    const rtts = tally.rtts.slice();
    // Each field is written here as `this.name = …`: V8 sizes an object by the writes of that form in its constructor,
    // so every field sits inside it (written from a helper function, most went to a separate property array).
    (this as unknown as PingResultJson).host = tally.host;
    (this as unknown as PingResultJson).address = tally.address;
    (this as unknown as PingResultJson).family = tally.family;
    (this as unknown as PingResultJson).sent = tally.sent;
    (this as unknown as PingResultJson).duplicates = tally.duplicates;
    (this as unknown as PingResultJson).corrupted = tally.corrupted;
    (this as unknown as PingResultJson).errors = tally.errors;
    (this as unknown as PingResultJson).rtts = rtts;
    (this as unknown as PingResultJson).ttl = tally.ttl;
    // Checked as the eager fields were: a result is never built around counts that are not counts or a bad RTT.
    lossPercent(tally.sent, rtts.length);
    if (rtts.length > 1) summaries.set(this, summarizeRtts(rtts));
    else if (rtts.length === 1 && !Number.isFinite(rtts[0])) summarizeRtts(rtts);
  }

  /** Probes answered by a matching echo reply in time. */
  get received(): number {
    return this.rtts.length;
  }

  /** The statistic `pick` of the result's summary, or its single RTT, or `null` without RTTs. */
  #statistic(pick: "min" | "max" | "mean" | "median" | "p95"): number | null {
    if (this.rtts.length > 1) return summaries.get(this)![pick];
    return this.rtts.length === 0 ? null : this.rtts[0];
  }

  /** Percent of sent probes without a reply, 0–100. */
  get loss(): number {
    return lossPercent(this.sent, this.received);
  }

  /** Smallest RTT in ms, `null` without replies. */
  get min(): number | null {
    return this.#statistic("min");
  }

  /** Largest RTT in ms, `null` without replies. */
  get max(): number | null {
    return this.#statistic("max");
  }

  /** Mean RTT in ms, `null` without replies. */
  get mean(): number | null {
    return this.#statistic("mean");
  }

  /** Median RTT in ms, `null` without replies. */
  get median(): number | null {
    return this.#statistic("median");
  }

  /** Sample standard deviation of the RTTs in ms (n − 1); 0 with fewer than 2 replies. */
  get jitter(): number {
    return this.rtts.length > 1 ? summaries.get(this)!.jitter : 0;
  }

  /** RFC 3550 interarrival jitter of the RTTs in sequence order, in ms; 0 with fewer than 2 replies. */
  get interarrivalJitter(): number {
    return interarrivalJitter(this.rtts);
  }

  /** 95th percentile RTT in ms, `null` without replies. */
  get p95(): number | null {
    return this.#statistic("p95");
  }

  /** Hops estimated from `ttl`. */
  get hops(): number | null {
    return this.ttl === null ? null : estimateHops(this.ttl);
  }

  /** Operating-system class guessed from an IPv4 TTL; `null` for IPv6 or without replies. */
  get osGuess(): OsGuess | null {
    return this.ttl === null || this.family === 6 ? null : guessOs(this.ttl);
  }

  /** True when at least one reply arrived. */
  get success(): boolean {
    return this.received > 0;
  }

  /** Alias of {@linkcode PingResult.loss}, as pyminiping names it. */
  get packetLoss(): number {
    return this.loss;
  }

  /**
   * The plain object, with the field names of {@linkcode PingResultJson}.
   *
   * @returns A copy of the fields.
   */
  toJSON(): PingResultJson {
    const json = {} as Record<string, unknown>;
    for (const key of FIELD_ORDER) json[key] = this[key];
    json.rtts = [...this.rtts];
    return json as unknown as PingResultJson;
  }

  /** Shows every field in `console.log()`, the derived ones included (they are getters, which it would leave out). */
  [Symbol.for("Deno.customInspect")](inspect: typeof Deno.inspect, options: Deno.InspectOptions): string {
    return `PingResult ${inspect({ ok: this.ok, index: this.index, ...this.toJSON() }, options)}`;
  }
}

/** Every field, in the order of `toJSON()`, without the class-only `ok` and `index`. */
const FIELD_ORDER = [
  "host",
  "address",
  "family",
  "sent",
  "received",
  "duplicates",
  "corrupted",
  "errors",
  "loss",
  "min",
  "max",
  "mean",
  "median",
  "jitter",
  "interarrivalJitter",
  "p95",
  "rtts",
  "ttl",
  "hops",
  "osGuess",
] as const satisfies readonly (keyof PingResultJson)[];
/** Fails to compile while FIELD_ORDER leaves out a field of PingResultJson. */
const _everyField: Exclude<keyof PingResultJson, typeof FIELD_ORDER[number]> extends never ? true : never = true;
