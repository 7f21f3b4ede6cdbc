/**
 * Loss and round-trip-time statistics as pyminiping defines them: min, max, mean, median, jitter (sample standard
 * deviation) and the 95th percentile by linear interpolation between closest ranks. Numbers in, numbers out; the
 * functions do not care about units.
 *
 * @module
 */

/** The quantile reported as `p95`. */
const P95_QUANTILE = 0.95;

/** Loss is a percentage. */
const PERCENT = 100;

/** Every RTT statistic of a run, as {@linkcode summarizeRtts} returns it. */
export interface RttSummary {
  /** Smallest RTT, `null` when there are none. */
  min: number | null;
  /** Largest RTT, `null` when there are none. */
  max: number | null;
  /** Arithmetic mean, `null` when there are none. */
  mean: number | null;
  /** Median, `null` when there are none. */
  median: number | null;
  /** Sample standard deviation (n − 1); 0 with fewer than two RTTs. */
  jitter: number;
  /** 95th percentile by linear interpolation between closest ranks, `null` when there are none. */
  p95: number | null;
}

/** Count, mean and sum of squared deviations, accumulated in one pass. */
interface Moments {
  count: number;
  mean: number;
  sumOfSquares: number;
}

/**
 * Welford's one-pass accumulation. Chosen over `sum / n` because the running mean can never leave the range of
 * the values (a naive sum of three 0.1s divided by 3 exceeds 0.1), and over a naive sum of squares because it
 * does not cancel catastrophically when the spread is tiny next to the values, which is the normal case for RTTs.
 */
function moments(values: ArrayLike<number>): Moments {
  let mean = 0;
  let sumOfSquares = 0;
  for (let i = 0; i < values.length; i++) {
    const value = values[i];
    const delta = value - mean;
    mean += delta / (i + 1);
    // Both factors share a sign because the new mean lies between the old one and `value`, so this never
    // subtracts and the sum stays non-negative.
    sumOfSquares += delta * (value - mean);
  }
  return { count: values.length, mean, sumOfSquares };
}

/**
 * Arithmetic mean of `values`, accumulated with Welford's running mean so the result stays within the smallest
 * and largest value even after rounding.
 *
 * @param values The numbers to average, in any order.
 * @returns Their mean.
 * @throws {RangeError} If `values` is empty.
 *
 * @example Mean of three numbers
 * ```ts
 * import { mean } from "./summary.ts";
 * import { equal } from "node:assert/strict";
 *
 * equal(mean([1, 2, 6]), 3);
 * ```
 */
export function mean(values: readonly number[]): number {
  if (values.length === 0) {
    throw new RangeError("Cannot compute mean: values must not be empty");
  }
  return moments(values).mean;
}

/**
 * Sample standard deviation of `values` (dividing by n − 1), which pyminiping reports as jitter. Computed with
 * Welford's algorithm, so it is accurate when the spread is small next to the values.
 *
 * @param values The numbers, in any order.
 * @returns The sample standard deviation, 0 with fewer than two values.
 *
 * @example Sample standard deviation
 * ```ts
 * import { sampleStdDev } from "./summary.ts";
 * import { equal } from "node:assert/strict";
 *
 * // mean 3, squared deviations 4 + 0 + 4 = 8, 8 / (3 − 1) = 4
 * equal(sampleStdDev([1, 3, 5]), 2);
 * equal(sampleStdDev([7]), 0);
 * ```
 */
export function sampleStdDev(values: readonly number[]): number {
  if (values.length < 2) return 0;
  const { count, sumOfSquares } = moments(values);
  return Math.sqrt(sumOfSquares / (count - 1));
}

/**
 * Population standard deviation of `values` (dividing by n), which is what iputils `ping` prints as `mdev`.
 *
 * @param values The numbers, in any order.
 * @returns The population standard deviation, 0 for no values or one value.
 *
 * @example Population standard deviation
 * ```ts
 * import { populationStdDev } from "./summary.ts";
 * import { equal } from "node:assert/strict";
 *
 * // mean 5, squared deviations 9 + 1 + 1 + 1 + 0 + 0 + 4 + 16 = 32, 32 / 8 = 4
 * equal(populationStdDev([2, 4, 4, 4, 5, 5, 7, 9]), 2);
 * equal(populationStdDev([]), 0);
 * ```
 */
export function populationStdDev(values: readonly number[]): number {
  if (values.length === 0) return 0;
  const { count, sumOfSquares } = moments(values);
  return Math.sqrt(sumOfSquares / count);
}

/**
 * Median of an array already sorted in ascending order: the middle value, or the mean of the two middle values
 * when the length is even. The order is not checked; an unsorted array gives a meaningless result.
 *
 * @param sortedAscending The numbers, sorted ascending.
 * @returns The median.
 * @throws {RangeError} If the array is empty.
 *
 * @example Odd and even lengths
 * ```ts
 * import { median } from "./summary.ts";
 * import { equal } from "node:assert/strict";
 *
 * equal(median([1, 2, 9]), 2);
 * equal(median([1, 2, 4, 9]), 3);
 * ```
 */
export function median(sortedAscending: ArrayLike<number>): number {
  const n = sortedAscending.length;
  if (n === 0) {
    throw new RangeError("Cannot compute median: values must not be empty");
  }
  const middle = Math.floor(n / 2);
  if (n % 2 === 1) return sortedAscending[middle];
  const lower = sortedAscending[middle - 1];
  const upper = sortedAscending[middle];
  const midpoint = (lower + upper) / 2;
  // Halving first avoids the overflow of `lower + upper` near Number.MAX_VALUE, at the cost of precision that
  // only matters for subnormals, so it is the fallback rather than the rule.
  return Number.isFinite(midpoint) ? midpoint : lower / 2 + upper / 2;
}

/**
 * The `q` quantile of an array already sorted in ascending order, by linear interpolation between closest ranks
 * (pyminiping's p95 rule, also NumPy's default): with k = (n − 1) × q and f = ⌊k⌋, the value is
 * x[f] + (x[f+1] − x[f]) × (k − f), or x[f] when f + 1 is past the end. The order is not checked.
 *
 * This is algebraically pyminiping's x[f]·(f+1−k) + x[f+1]·(k−f); the difference form is used because, after
 * rounding, it stays monotonic in `q`, and the result is clamped to [x[f], x[f+1]] so it never leaves the data.
 *
 * @param sortedAscending The numbers, sorted ascending.
 * @param q The quantile, from 0 (the minimum) to 1 (the maximum).
 * @returns The interpolated quantile.
 * @throws {RangeError} If the array is empty or `q` is not within [0, 1].
 *
 * @example Quantiles at exact ranks
 * ```ts
 * import { percentile } from "./summary.ts";
 * import { equal } from "node:assert/strict";
 *
 * // k = 4 × 0.5 = 2, exactly the third value
 * equal(percentile([1, 2, 3, 4, 5], 0.5), 3);
 * // k = 4 × 0.25 = 1, exactly the second value; q = 1 is the maximum
 * equal(percentile([10, 20, 30, 40, 50], 0.25), 20);
 * equal(percentile([10, 20, 30, 40, 50], 1), 50);
 * ```
 */
export function percentile(
  sortedAscending: ArrayLike<number>,
  q: number,
): number {
  const n = sortedAscending.length;
  if (n === 0) {
    throw new RangeError(
      "Cannot compute percentile: values must not be empty",
    );
  }
  if (!(q >= 0 && q <= 1)) {
    throw new RangeError(
      `Cannot compute percentile: q must be within [0, 1], got ${q}`,
    );
  }
  const rank = (n - 1) * q;
  const floor = Math.floor(rank);
  const lower = sortedAscending[floor];
  const fraction = rank - floor;
  // An exact rank needs no neighbour, and returning early avoids `Infinity × 0` when the gap overflows.
  if (floor + 1 >= n || fraction === 0) return lower;
  const upper = sortedAscending[floor + 1];
  const interpolated = lower + (upper - lower) * fraction;
  return Math.min(Math.max(interpolated, lower), upper);
}

/**
 * Percentage of sent probes that got no reply: (sent − received) / sent × 100, not rounded, as pyminiping
 * reports it.
 *
 * Lenient by choice where the counts are merely inconsistent: a run that sent nothing has lost nothing (0), and
 * more replies than probes clamp to 0 rather than a negative loss, so the result is always within 0..100. Counts
 * that are not counts at all (negative, fractional, NaN or infinite) are a caller bug and throw.
 *
 * @param sent Echo requests sent, a non-negative integer.
 * @param received Replies counted, a non-negative integer.
 * @returns The loss in percent, 0..100.
 * @throws {RangeError} If either count is not a non-negative integer.
 *
 * @example One reply out of three
 * ```ts
 * import { lossPercent } from "./summary.ts";
 * import { equal } from "node:assert/strict";
 *
 * equal(lossPercent(4, 3), 25);
 * equal(lossPercent(0, 0), 0);
 * ```
 */
export function lossPercent(sent: number, received: number): number {
  assertCount("sent", sent);
  assertCount("received", received);
  if (sent === 0) return 0;
  const loss = ((sent - received) / sent) * PERCENT;
  return Math.min(Math.max(loss, 0), PERCENT);
}

function assertCount(name: string, value: number): void {
  if (!Number.isInteger(value) || value < 0) {
    throw new RangeError(
      `Cannot compute loss: ${name} must be a non-negative integer, got ${value}`,
    );
  }
}

/**
 * Computes every RTT statistic at once, sorting a copy a single time. The input is not modified and its order
 * does not matter: the mean and jitter are accumulated over the sorted copy, so the same RTTs in any order give
 * bit-identical results.
 *
 * @param rtts Round-trip times, in any unit and any order; every one must be finite.
 * @returns The summary; without RTTs, `null` for everything but `jitter`, which is 0.
 * @throws {RangeError} If an RTT is NaN or infinite.
 *
 * @example Summary of a short run
 * ```ts
 * import { summarizeRtts } from "./summary.ts";
 * import { deepEqual } from "node:assert/strict";
 *
 * deepEqual(summarizeRtts([3, 1, 2]), {
 *   min: 1,
 *   max: 3,
 *   mean: 2,
 *   median: 2,
 *   jitter: 1,
 *   // k = 2 × 0.95 = 1.9 → 2 + (3 − 2) × 0.9
 *   p95: 2.9,
 * });
 * deepEqual(summarizeRtts([]), { min: null, max: null, mean: null, median: null, jitter: 0, p95: null });
 * ```
 */
export function summarizeRtts(rtts: readonly number[]): RttSummary {
  for (let i = 0; i < rtts.length; i++) {
    if (!Number.isFinite(rtts[i])) {
      throw new RangeError(
        `Cannot summarize RTTs: every RTT must be a finite number, got ${rtts[i]} at index ${i}`,
      );
    }
  }
  if (rtts.length === 0) {
    return {
      min: null,
      max: null,
      mean: null,
      median: null,
      jitter: 0,
      p95: null,
    };
  }
  // A typed copy sorts numerically without a comparator and without boxing each RTT: an array sorted with one cost
  // ~150 B per RTT of garbage (a 20,000-probe flood's result made 3 MB).
  const sorted = Float64Array.from(rtts).sort();
  const { count, mean, sumOfSquares } = moments(sorted);
  return {
    min: sorted[0],
    max: sorted[count - 1],
    mean,
    median: median(sorted),
    jitter: count < 2 ? 0 : Math.sqrt(sumOfSquares / (count - 1)),
    p95: percentile(sorted, P95_QUANTILE),
  };
}

/** RFC 3550 smooths each transit-time difference with a gain of 1/16. */
const INTERARRIVAL_GAIN = 16;

/**
 * RFC 3550's interarrival jitter (section 6.4.1), what VoIP tools and most SREs mean by "jitter": for consecutive
 * samples, D = |x[i] − x[i−1]|, and J += (D − J) / 16, starting from J = 0. Applied to RTTs in sequence order (the
 * change in round-trip time stands in for the change in one-way transit time). Unlike the standard deviation it
 * depends on the order and follows recent variation, not the spread of the whole run.
 *
 * @param inOrder The samples in the order they were taken (lost probes left out); every one finite.
 * @returns The jitter, 0 with fewer than two samples.
 *
 * @example A steady and a wobbling series
 * ```ts
 * import { interarrivalJitter } from "./summary.ts";
 * import { equal } from "node:assert/strict";
 *
 * equal(interarrivalJitter([5, 5, 5]), 0);
 * // D = 16 once: J = 16 / 16
 * equal(interarrivalJitter([0, 16]), 1);
 * ```
 */
export function interarrivalJitter(inOrder: readonly number[]): number {
  let jitter = 0;
  for (let i = 1; i < inOrder.length; i++) {
    jitter += (Math.abs(inOrder[i] - inOrder[i - 1]) - jitter) / INTERARRIVAL_GAIN;
  }
  return jitter;
}
