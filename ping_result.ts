import { estimateHops, guessOs, type OsGuess } from "./stats/ttl.ts";
import { interarrivalJitter, lossPercent, summarizeRtts } from "./stats/summary.ts";

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
 * The outcome of a {@linkcode ping} run: counts, loss and RTT statistics in milliseconds. Its fields are those of
 * {@linkcode PingResultJson}; `toJSON()` gives them as a plain object.
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
  readonly ok = true as const;
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
    let min: number | null, max: number | null, mean: number | null, median: number | null, p95: number | null;
    let jitter = 0;
    if (rtts.length === 1 && Number.isFinite(rtts[0])) {
      // A single RTT (most results of a sweep) is every statistic at once: no sorted copy, no summary object. One
      // boxed number for all five fields.
      min =
        max =
        mean =
        median =
        p95 =
          rtts[0] as number | null;
    } else {
      ({ min, max, mean, median, p95, jitter } = summarizeRtts(rtts));
    }
    const ttl = tally.ttl;
    // Each field is written here, in toJSON()'s order, as `this.name = …`: V8 sizes an object by the writes of that
    // form in its constructor, so every field sits inside it. Written from a helper function, most of them went to a
    // separate property array (a count-1 result took 361 B instead of 272 B; a 65,536-target sweep keeps them all).
    const self = this as unknown as PingResultJson;
    (this as unknown as PingResultJson).host = tally.host;
    (this as unknown as PingResultJson).address = tally.address;
    (this as unknown as PingResultJson).family = tally.family;
    (this as unknown as PingResultJson).sent = tally.sent;
    (this as unknown as PingResultJson).received = rtts.length;
    (this as unknown as PingResultJson).duplicates = tally.duplicates;
    (this as unknown as PingResultJson).corrupted = tally.corrupted;
    (this as unknown as PingResultJson).errors = tally.errors;
    (this as unknown as PingResultJson).loss = lossPercent(tally.sent, rtts.length);
    (this as unknown as PingResultJson).min = min;
    (this as unknown as PingResultJson).max = max;
    (this as unknown as PingResultJson).mean = mean;
    (this as unknown as PingResultJson).median = median;
    (this as unknown as PingResultJson).jitter = jitter;
    (this as unknown as PingResultJson).interarrivalJitter = interarrivalJitter(rtts);
    (this as unknown as PingResultJson).p95 = p95;
    (this as unknown as PingResultJson).rtts = rtts;
    (this as unknown as PingResultJson).ttl = ttl;
    (this as unknown as PingResultJson).hops = ttl === null ? null : estimateHops(ttl);
    (this as unknown as PingResultJson).osGuess = ttl === null || self.family === 6 ? null : guessOs(ttl);
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
}

/** Every field, in the order of `toJSON()` (the constructor's), without the class-only `ok` and `index`. */
const FIELD_ORDER = Object.keys(
  new PingResult({
    host: "",
    address: "",
    family: 4,
    sent: 0,
    rtts: [],
    ttl: null,
    duplicates: 0,
    corrupted: 0,
    errors: 0,
  }),
).filter((key) => key !== "ok" && key !== "index") as (keyof PingResultJson)[];
