import { estimateHops, guessOs, type OsGuess } from "./stats/ttl.ts";
import { lossPercent, summarizeRtts } from "./stats/summary.ts";

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
  /** Sample standard deviation of the RTTs in ms (n − 1); 0 with fewer than 2 replies. */
  jitter: number;
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
 * The outcome of a {@linkcode ping} run: counts, loss and RTT statistics in milliseconds.
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
export class PingResult implements PingResultJson {
  /** Always true: tells a result from a `PingFailure` in `pingMany()`'s entries. */
  readonly ok = true as const;
  /** Position of the target in `pingMany()`'s input; 0 for `ping()`. */
  readonly index: number;
  /** The host as the caller gave it. */
  readonly host: string;
  /** The address that was probed. */
  readonly address: string;
  /** The address family that was used. */
  readonly family: 4 | 6;
  /** Echo requests sent. */
  readonly sent: number;
  /** Probes answered by a matching echo reply in time. */
  readonly received: number;
  /** Extra copies of replies already counted. */
  readonly duplicates: number;
  /** Replies that matched a probe but failed the checksum or payload check. */
  readonly corrupted: number;
  /** ICMP error messages (and local send refusals) for our probes. */
  readonly errors: number;
  /** Percent of sent probes without a reply, 0–100. */
  readonly loss: number;
  /** Smallest RTT in ms, `null` without replies. */
  readonly min: number | null;
  /** Largest RTT in ms, `null` without replies. */
  readonly max: number | null;
  /** Mean RTT in ms, `null` without replies. */
  readonly mean: number | null;
  /** Median RTT in ms, `null` without replies. */
  readonly median: number | null;
  /** Sample standard deviation of the RTTs in ms (n − 1); 0 with fewer than 2 replies. */
  readonly jitter: number;
  /** 95th percentile RTT in ms, `null` without replies. */
  readonly p95: number | null;
  /** RTTs in ms, in sequence order. */
  readonly rtts: number[];
  /** TTL (IPv4) or hop limit (IPv6) of the first reply. */
  readonly ttl: number | null;
  /** Hops estimated from `ttl`. */
  readonly hops: number | null;
  /** Operating-system class guessed from an IPv4 TTL; `null` for IPv6. */
  readonly osGuess: OsGuess | null;

  /** Builds a result from the raw tally of a run. */
  constructor(tally: PingTally) {
    this.index = tally.index ?? 0;
    this.host = tally.host;
    this.address = tally.address;
    this.family = tally.family;
    this.sent = tally.sent;
    this.rtts = [...tally.rtts];
    this.received = this.rtts.length;
    this.duplicates = tally.duplicates;
    this.corrupted = tally.corrupted;
    this.errors = tally.errors;
    this.loss = lossPercent(this.sent, this.received);
    const summary = summarizeRtts(this.rtts);
    this.min = summary.min;
    this.max = summary.max;
    this.mean = summary.mean;
    this.median = summary.median;
    this.jitter = summary.jitter;
    this.p95 = summary.p95;
    this.ttl = tally.ttl;
    this.hops = tally.ttl === null ? null : estimateHops(tally.ttl);
    this.osGuess = tally.ttl === null || tally.family === 6 ? null : guessOs(tally.ttl);
  }

  /** True when at least one reply arrived. */
  get success(): boolean {
    return this.received > 0;
  }

  /** Alias of {@linkcode PingResult.loss}, as pyminiping names it. */
  get packetLoss(): number {
    return this.loss;
  }

  /** The plain object, with the field names of {@linkcode PingResultJson}. */
  toJSON(): PingResultJson {
    return {
      host: this.host,
      address: this.address,
      family: this.family,
      sent: this.sent,
      received: this.received,
      duplicates: this.duplicates,
      corrupted: this.corrupted,
      errors: this.errors,
      loss: this.loss,
      min: this.min,
      max: this.max,
      mean: this.mean,
      median: this.median,
      jitter: this.jitter,
      p95: this.p95,
      rtts: [...this.rtts],
      ttl: this.ttl,
      hops: this.hops,
      osGuess: this.osGuess,
    };
  }
}
