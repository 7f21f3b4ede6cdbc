import { deepEqual, equal, ok, throws } from "node:assert/strict";
import fc from "fast-check";
import {
  interarrivalJitter,
  lossPercent,
  mean,
  median,
  percentile,
  populationStdDev,
  sampleStdDev,
  summarizeRtts,
} from "../stats/summary.ts";

/** Hand-computed results are exact decimals; the code's binary floating point may be a few ulps off them. */
function assertClose(
  actual: number | null,
  expected: number,
  tolerance = 1e-12,
): void {
  ok(actual !== null, `expected ${expected}, got null`);
  ok(
    Math.abs(actual - expected) <= tolerance,
    `expected ${expected} ± ${tolerance}, got ${actual}`,
  );
}

/** Textbook two-pass sample standard deviation, as an independent reference for the property test. */
function referenceSampleStdDev(values: readonly number[]): number {
  if (values.length < 2) return 0;
  const average = values.reduce((sum, value) => sum + value, 0) / values.length;
  const squares = values.reduce(
    (sum, value) => sum + (value - average) ** 2,
    0,
  );
  return Math.sqrt(squares / (values.length - 1));
}

// Plausible RTTs in ms and then some, with negatives because the functions are unit-agnostic. Bounded so that
// sums cannot overflow to Infinity, which no real run comes near. Adding 0 folds −0 into 0: they are the same
// RTT, but a strict deep comparison tells them apart and a stable sort keeps whichever came first.
const sample = fc.double({ min: -1e6, max: 1e6, noNaN: true }).map((value) => value + 0);
const samples = fc.array(sample, { minLength: 1, maxLength: 60 });
const quantile = fc.double({ min: 0, max: 1, noNaN: true });

Deno.test("summarizeRtts() summarizes 1..5 by hand", () => {
  const summary = summarizeRtts([1, 2, 3, 4, 5]);
  equal(summary.min, 1);
  equal(summary.max, 5);
  equal(summary.mean, 3);
  equal(summary.median, 3);
  // squared deviations 4 + 1 + 0 + 1 + 4 = 10, 10 / (5 − 1) = 2.5, √2.5 = 1.5811388300841898
  assertClose(summary.jitter, 1.5811388300841898);
  // k = 4 × 0.95 = 3.8, f = 3 → x[3]·0.2 + x[4]·0.8 = 4·0.2 + 5·0.8 = 4.8
  assertClose(summary.p95, 4.8);
});

Deno.test("summarizeRtts() matches the pyminiping README example", () => {
  const rtts = [0.0062, 0.0044, 0.0045, 0.0044, 0.0045];
  const summary = summarizeRtts(rtts);
  equal(summary.min, 0.0044);
  equal(summary.max, 0.0062);
  // 0.024 / 5
  assertClose(summary.mean, 0.0048, 1e-15);
  // sorted 0.0044, 0.0044, 0.0045, 0.0045, 0.0062: odd length, so the middle value itself
  equal(summary.median, 0.0045);
  // deviations from 0.0048: 0.0014, −0.0004, −0.0003, −0.0004, −0.0003; squares sum to 2.46e-6;
  // 2.46e-6 / 4 = 6.15e-7, √ = 0.000784219357… (the README prints 0.0007 and the value it rounds from is not
  // given; Python's statistics.stdev of this list agrees with 0.000784219357067906)
  assertClose(summary.jitter, 0.000784219357067906, 1e-15);
  // k = 3.8 → 0.0045·0.2 + 0.0062·0.8 = 0.00009 + 0.00496 = 0.00586 (the README prints 0.0061 next to an
  // rtt_list that is itself rounded, so it cannot be reproduced from the list)
  assertClose(summary.p95, 0.00586, 1e-15);
});

Deno.test("summarizeRtts() of no RTTs is null with zero jitter", () => {
  deepEqual(summarizeRtts([]), {
    min: null,
    max: null,
    mean: null,
    median: null,
    jitter: 0,
    p95: null,
  });
});

Deno.test("summarizeRtts() of a single RTT is that RTT with zero jitter", () => {
  deepEqual(summarizeRtts([7.5]), {
    min: 7.5,
    max: 7.5,
    mean: 7.5,
    median: 7.5,
    jitter: 0,
    p95: 7.5,
  });
});

Deno.test("summarizeRtts() of two RTTs interpolates p95 between them", () => {
  const summary = summarizeRtts([20, 10]);
  equal(summary.min, 10);
  equal(summary.max, 20);
  equal(summary.mean, 15);
  // even length: (10 + 20) / 2
  equal(summary.median, 15);
  // squared deviations 25 + 25 = 50, 50 / 1, √50 = 7.0710678118654755
  assertClose(summary.jitter, 7.0710678118654755);
  // k = 1 × 0.95, f = 0 → 10·0.05 + 20·0.95 = 19.5
  assertClose(summary.p95, 19.5);
});

Deno.test("summarizeRtts() gives the same result for unsorted input", () => {
  const sorted = summarizeRtts([1, 2, 3, 4, 5]);
  deepEqual(summarizeRtts([4, 1, 5, 3, 2]), sorted);
  deepEqual(summarizeRtts([5, 4, 3, 2, 1]), sorted);
});

Deno.test("summarizeRtts() does not mutate its input", () => {
  const rtts = [3, 1, 2, 5, 4];
  const frozen = Object.freeze([...rtts]);
  summarizeRtts(rtts);
  deepEqual(rtts, [3, 1, 2, 5, 4]);
  // A frozen array would throw in strict mode if the function sorted it in place.
  summarizeRtts(frozen);
  deepEqual([...frozen], [3, 1, 2, 5, 4]);
});

Deno.test("summarizeRtts() rejects NaN and infinite RTTs", () => {
  throws(() => summarizeRtts([1, NaN, 2]), RangeError);
  throws(() => summarizeRtts([Infinity]), RangeError);
  throws(() => summarizeRtts([-Infinity, 1]), RangeError);
  throws(
    () => summarizeRtts([1, 2, NaN]),
    /Cannot summarize RTTs: every RTT must be a finite number, got NaN at index 2/,
  );
});

Deno.test("median() of odd and even lengths", () => {
  equal(median([1, 2, 3]), 2);
  equal(median([1, 2, 3, 10]), 2.5);
  equal(median([4]), 4);
  equal(median([-3, 5]), 1);
  throws(() => median([]), RangeError);
});

Deno.test("median() of two huge values does not overflow", () => {
  equal(median([Number.MAX_VALUE, Number.MAX_VALUE]), Number.MAX_VALUE);
});

Deno.test("percentile() interpolates between closest ranks", () => {
  // k = 4 × 0.95 = 3.8 → 4·0.2 + 5·0.8 = 4.8
  assertClose(percentile([1, 2, 3, 4, 5], 0.95), 4.8);
  // k = 3 × 0.25 = 0.75 → 1·0.25 + 2·0.75 = 1.75
  equal(percentile([1, 2, 3, 4], 0.25), 1.75);
  // k = 4 × 0.5 = 2, an exact rank
  equal(percentile([10, 20, 30, 40, 50], 0.5), 30);
  // k = 9 × 0.9 = 8.1 → 80·0.9 + 90·0.1 = 81
  assertClose(percentile([0, 10, 20, 30, 40, 50, 60, 70, 80, 90], 0.9), 81);
});

Deno.test("percentile() at q = 0 and q = 1 is the minimum and maximum", () => {
  equal(percentile([2, 3, 5, 8], 0), 2);
  equal(percentile([2, 3, 5, 8], 1), 8);
  equal(percentile([6], 0), 6);
  equal(percentile([6], 0.5), 6);
  equal(percentile([6], 1), 6);
});

Deno.test("percentile() rejects an empty array and q outside [0, 1]", () => {
  throws(() => percentile([], 0.5), RangeError);
  throws(() => percentile([1, 2], -0.01), RangeError);
  throws(() => percentile([1, 2], 1.01), RangeError);
  throws(() => percentile([1, 2], NaN), RangeError);
  throws(
    () => percentile([1, 2], 2),
    /Cannot compute percentile: q must be within \[0, 1\], got 2/,
  );
});

Deno.test("mean() averages and rejects an empty array", () => {
  equal(mean([1, 2, 6]), 3);
  equal(mean([-4, 4]), 0);
  equal(mean([0.5]), 0.5);
  throws(() => mean([]), /Cannot compute mean: values must not be empty/);
});

Deno.test("mean() of equal values is exactly that value", () => {
  // A naive (0.1 + 0.1 + 0.1) / 3 is 0.10000000000000002.
  equal(mean([0.1, 0.1, 0.1]), 0.1);
});

Deno.test("sampleStdDev() and populationStdDev() by hand", () => {
  const values = [2, 4, 4, 4, 5, 5, 7, 9];
  // mean 5, squared deviations 9 + 1 + 1 + 1 + 0 + 0 + 4 + 16 = 32
  // sample: √(32 / 7) = 2.138089935299395; population: √(32 / 8) = 2
  assertClose(sampleStdDev(values), 2.138089935299395);
  equal(populationStdDev(values), 2);
});

Deno.test("sampleStdDev() and populationStdDev() of too few values are 0", () => {
  equal(sampleStdDev([]), 0);
  equal(sampleStdDev([42]), 0);
  equal(populationStdDev([]), 0);
  equal(populationStdDev([42]), 0);
  // two values: deviations ±1 → population √(2 / 2) = 1, sample √(2 / 1) = √2
  equal(populationStdDev([1, 3]), 1);
  assertClose(sampleStdDev([1, 3]), Math.SQRT2);
});

Deno.test("sampleStdDev() stays accurate for a small spread around a large offset", () => {
  // 4, 7, 13, 16 have mean 10, squared deviations 36 + 9 + 9 + 36 = 90, 90 / 3 = 30, √30 = 5.477225575051661.
  // A one-pass sum of squares would lose every digit of that next to the squares of 1e9.
  const offset = 1e9;
  const values = [4, 7, 13, 16].map((value) => value + offset);
  assertClose(sampleStdDev(values), 5.477225575051661, 1e-9);
  equal(sampleStdDev([offset, offset, offset]), 0);
});

Deno.test("lossPercent() is not rounded", () => {
  // Same operation order as pyminiping: (3 − 1) / 3 × 100 and (3 − 2) / 3 × 100 in IEEE doubles.
  equal(lossPercent(3, 1), 66.66666666666666);
  equal(lossPercent(3, 2), 33.33333333333333);
  equal(lossPercent(4, 3), 25);
});

Deno.test("lossPercent() of full, no and zero sent", () => {
  equal(lossPercent(4, 4), 0);
  equal(lossPercent(4, 0), 100);
  equal(lossPercent(0, 0), 0);
});

Deno.test("lossPercent() clamps more replies than probes to 0", () => {
  equal(lossPercent(2, 3), 0);
  equal(lossPercent(0, 1), 0);
});

Deno.test("lossPercent() rejects counts that are not non-negative integers", () => {
  throws(() => lossPercent(-1, 0), RangeError);
  throws(() => lossPercent(4, -1), RangeError);
  throws(() => lossPercent(1.5, 1), RangeError);
  throws(() => lossPercent(NaN, 0), RangeError);
  throws(() => lossPercent(Infinity, 0), RangeError);
  throws(
    () => lossPercent(3, 0.5),
    /Cannot compute loss: received must be a non-negative integer, got 0.5/,
  );
});

Deno.test("summarizeRtts() orders min ≤ median, p95, mean ≤ max with non-negative jitter", () => {
  fc.assert(
    fc.property(samples, (rtts) => {
      const { min, max, mean, median, jitter, p95 } = summarizeRtts(rtts);
      ok(min !== null && max !== null && mean !== null);
      ok(median !== null && p95 !== null);
      ok(
        min <= median && median <= max,
        `median ${median} outside [${min}, ${max}]`,
      );
      ok(min <= p95 && p95 <= max, `p95 ${p95} outside [${min}, ${max}]`);
      ok(min <= mean && mean <= max, `mean ${mean} outside [${min}, ${max}]`);
      ok(jitter >= 0, `jitter ${jitter} is negative`);
    }),
  );
});

Deno.test("summarizeRtts() keeps the bounds when every RTT is equal", () => {
  fc.assert(
    fc.property(sample, fc.integer({ min: 1, max: 50 }), (rtt, count) => {
      const summary = summarizeRtts(new Array(count).fill(rtt));
      deepEqual(summary, {
        min: rtt,
        max: rtt,
        mean: rtt,
        median: rtt,
        jitter: 0,
        p95: rtt,
      });
    }),
  );
});

Deno.test("summarizeRtts() does not depend on the order of the RTTs", () => {
  fc.assert(
    fc.property(samples, (rtts) => {
      deepEqual(summarizeRtts([...rtts].reverse()), summarizeRtts(rtts));
    }),
  );
});

Deno.test("summarizeRtts() agrees with the individual functions", () => {
  fc.assert(
    fc.property(samples, (rtts) => {
      const sorted = [...rtts].sort((a, b) => a - b);
      const summary = summarizeRtts(rtts);
      equal(summary.median, median(sorted));
      equal(summary.p95, percentile(sorted, 0.95));
      equal(summary.mean, mean(sorted));
      equal(summary.jitter, sampleStdDev(sorted));
    }),
  );
});

Deno.test("sampleStdDev() agrees with a two-pass reference", () => {
  fc.assert(
    fc.property(samples, (values) => {
      const expected = referenceSampleStdDev(values);
      const actual = sampleStdDev(values);
      const scale = Math.max(1, ...values.map(Math.abs));
      ok(
        Math.abs(actual - expected) <= 1e-9 * scale,
        `expected ${expected}, got ${actual}`,
      );
      // Dividing by n instead of n − 1 can only shrink it.
      ok(populationStdDev(values) <= actual);
    }),
  );
});

Deno.test("percentile() is monotonic in q and stays within the data", () => {
  fc.assert(
    fc.property(samples, quantile, quantile, (values, q1, q2) => {
      const sorted = [...values].sort((a, b) => a - b);
      const [low, high] = q1 <= q2 ? [q1, q2] : [q2, q1];
      const atLow = percentile(sorted, low);
      const atHigh = percentile(sorted, high);
      ok(atLow <= atHigh, `p(${low}) = ${atLow} > p(${high}) = ${atHigh}`);
      ok(sorted[0] <= atLow && atHigh <= sorted[sorted.length - 1]);
    }),
  );
});

Deno.test("interarrivalJitter() follows RFC 3550's recurrence and stays within the largest step", () => {
  equal(interarrivalJitter([]), 0);
  equal(interarrivalJitter([3]), 0);
  // Steps 4 then 0: J = 4/16, then J − J/16.
  equal(interarrivalJitter([1, 5, 5]), (4 / 16) * (15 / 16));
  fc.assert(
    fc.property(fc.array(fc.double({ min: 0, max: 1e4, noNaN: true }), { maxLength: 200 }), (values) => {
      let reference = 0;
      for (let i = 1; i < values.length; i++) {
        reference = reference + (Math.abs(values[i] - values[i - 1]) - reference) / 16;
      }
      const jitter = interarrivalJitter(values);
      equal(jitter, reference);
      const largestStep = values.slice(1).reduce((max, value, i) => Math.max(max, Math.abs(value - values[i])), 0);
      ok(jitter >= 0 && jitter <= largestStep, `${jitter} > ${largestStep}`);
    }),
  );
});
