/**
 * The recent probes of one target, in a fixed ring allocated once, and the
 * SmokePing-style summaries the page draws from them.
 *
 * @module
 */

/** One chart column: a group of consecutive probes. */
export interface Column {
  /** Probes in the group. */
  n: number;
  /** Probes without a reply. */
  lost: number;
  /** Median RTT in ms of the replies, null without replies. */
  median: number | null;
  /**
   * The spread the page shades: min, 25th percentile, 75th percentile and max RTT in ms; empty without replies.
   */
  spread: [number, number, number, number] | [];
}

/** Loss and latency over a run of probes. */
export interface Summary {
  /** Probes counted. */
  n: number;
  /** Percent without a reply, 0–100; null with no probes. */
  loss: number | null;
  /** Median RTT in ms, null without replies. */
  median: number | null;
  /** 95th percentile RTT in ms, null without replies. */
  p95: number | null;
  /** Last RTT in ms (NaN-free), null when the last probe was lost or none was made. */
  last: number | null;
}

/** Linear interpolation between closest ranks of an ascending array. */
export function quantile(sorted: ArrayLike<number>, q: number): number | null {
  const n = sorted.length;
  if (n === 0) return null;
  const pos = (n - 1) * q;
  const lo = Math.floor(pos);
  const hi = Math.min(lo + 1, n - 1);
  return sorted[lo]! + (sorted[hi]! - sorted[lo]!) * (pos - lo);
}

let scratch = new Float32Array(0);

/** A ring of the last `capacity` RTTs in ms; NaN marks a lost probe. */
export class History {
  readonly #ring: Float32Array;
  #next = 0;
  #length = 0;

  /** Allocates the ring once. */
  constructor(capacity: number) {
    if (!Number.isInteger(capacity) || capacity < 1) {
      throw new RangeError(`Cannot keep history: capacity must be an integer ≥ 1, got ${capacity}`);
    }
    this.#ring = new Float32Array(capacity);
  }

  /** Probes held. */
  get length(): number {
    return this.#length;
  }

  /** Appends an RTT in ms, or NaN for a lost probe. */
  push(rtt: number): void {
    this.#ring[this.#next] = rtt;
    this.#next = (this.#next + 1) % this.#ring.length;
    if (this.#length < this.#ring.length) this.#length++;
  }

  /** The last `n` probes, oldest first. */
  last(n: number): Float32Array {
    const count = Math.min(n, this.#length);
    const out = new Float32Array(count);
    const cap = this.#ring.length;
    const start = (this.#next - count + cap) % cap;
    for (let i = 0; i < count; i++) out[i] = this.#ring[(start + i) % cap]!;
    return out;
  }

  /**
   * Loss, median and p95 over the last `n` probes.
   *
   * @param n How many recent probes to summarise.
   * @returns The summary.
   */
  summary(n: number): Summary {
    const count = Math.min(n, this.#length);
    // Replies are gathered into one scratch array shared by every history: sorting for the page allocates nothing.
    if (scratch.length < count) scratch = new Float32Array(count);
    const cap = this.#ring.length;
    const start = (this.#next - count + cap) % cap;
    let replies = 0;
    for (let i = 0; i < count; i++) {
      const x = this.#ring[(start + i) % cap]!;
      if (!Number.isNaN(x)) scratch[replies++] = x;
    }
    const rtts = scratch.subarray(0, replies).sort();
    const lastProbe = count === 0 ? NaN : this.#ring[(this.#next - 1 + cap) % cap]!;
    return {
      n: count,
      loss: count === 0 ? null : (count - replies) / count * 100,
      median: roundOrNull(quantile(rtts, 0.5)),
      p95: roundOrNull(quantile(rtts, 0.95)),
      last: Number.isNaN(lastProbe) ? null : round3(lastProbe),
    };
  }

  /**
   * The chart: up to `count` columns of `size` probes each, oldest first,
   * aligned so the newest probe closes the last column.
   *
   * @param count Columns wanted.
   * @param size Probes per column.
   * @returns The columns (fewer when the history is short).
   */
  columns(count: number, size: number): Column[] {
    const probes = this.last(count * size);
    const out: Column[] = [];
    // The oldest column may be partial; all others are full.
    for (let end = probes.length; end > 0; end -= size) {
      const group = probes.subarray(Math.max(0, end - size), end);
      const rtts = group.filter((x) => !Number.isNaN(x)).sort();
      const q = (p: number) => round3(quantile(rtts, p)!);
      out.push({
        n: group.length,
        lost: group.length - rtts.length,
        median: roundOrNull(quantile(rtts, 0.5)),
        spread: rtts.length === 0 ? [] : [q(0), q(0.25), q(0.75), q(1)],
      });
    }
    return out.reverse();
  }
}

function roundOrNull(x: number | null): number | null {
  return x === null ? null : round3(x);
}

/** Microsecond precision is all a chart needs, and it keeps the JSON short. */
function round3(x: number): number {
  return Math.round(x * 1000) / 1000;
}
