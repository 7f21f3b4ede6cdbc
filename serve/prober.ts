/**
 * The probing loop of `miniping serve`: every period one round that probes
 * each target once, its sends spread evenly over the period, all through one
 * engine that stays open for the life of the process. Outcomes go into the
 * metrics as they arrive.
 *
 * @module
 */
import type { EngineStats, Outcome, ServeMetrics, TargetState } from "./metrics.ts";

/** One probe event as serve needs it: the engine's ProbeEvent fields it reads. */
export type RoundEvent = Outcome & {
  /** Position of the target in the round's input. */
  index: number;
  /** The probed address. */
  address: string;
  /** When it happened, ms epoch. */
  time: number;
};

/** One target's end of a round: its counts, or why it could not be probed. */
export type RoundEntry =
  | { ok: true; index: number; address: string; corrupted: number }
  | { ok: false; index: number; error: Error };

/** The options serve passes to each round. Times are ms. */
export interface RoundOptions {
  /** Probes per target; serve always asks for 1. */
  count: number;
  /** Probes per second over all targets. */
  rate: number;
  /** How long each probe waits for its outcome. */
  timeout: number;
  /** Payload bytes. */
  size: number;
  /** Outgoing TTL / hop limit. */
  ttl?: number;
  /** DSCP code point. */
  dscp?: number;
  /** Local source address. */
  source?: string;
  /** Most probes outstanding at once for this round. */
  window: number;
  /** Serve streams outcomes and never collects. */
  collect: false;
  /** Stops the round. */
  signal: AbortSignal;
  /** Each probe's outcome. */
  onProbe: (event: RoundEvent) => void;
  /** Each target's end of the round. */
  onResult: (entry: RoundEntry) => void;
}

/** The engine as serve uses it: the `Pinger` of the library, or a stand-in in tests. */
export interface ProbeEngine {
  /** Probes every host `count` times, spread by `rate`. */
  pingMany(hosts: readonly string[], options: RoundOptions): Promise<unknown>;
  /** Engine health. */
  stats(): EngineStats;
  /** Releases the sockets; settles pending rounds. */
  close(): Promise<void>;
}

/** Probe settings that stay fixed for the life of the process. Times are ms. */
export interface ProberOptions {
  /** Time between two probes of the same target. */
  period: number;
  /** How long a probe waits for its reply. */
  timeout: number;
  /** Payload bytes. */
  size: number;
  /** Outgoing TTL / hop limit. */
  ttl?: number | undefined;
  /** DSCP code point. */
  dscp?: number | undefined;
  /** Local source address. */
  source?: string | undefined;
}

/** A slice counts as late when it starts this share of a period after its slot. */
const LATE_FRACTION = 0.1;
/** Shortest time between two slices: below it, timers would cost more than the calls they save. */
const MIN_SLICE_MS = 10;
/**
 * Most probes a slice sends back to back. At 1,000 targets a second (slices of 10) sending each slice as one group
 * halves the CPU against pacing every send; at 10,000 (slices of 100) pacing costs no more and keeps the wire smooth.
 */
const MAX_GROUP = 32;

/** One round's targets, cut into the slices that start through the period. */
interface Round {
  states: TargetState[];
  hosts: string[];
  slices: number;
}

/**
 * Runs rounds on a fixed schedule until stopped. Each round is cut into
 * slices started evenly through the period, each a `pingMany()` of a few
 * targets: a call and its per-target state last milliseconds rather than a
 * whole period, and a round's targets are never all in progress at once.
 */
export class Prober {
  readonly #engine: ProbeEngine;
  readonly #metrics: ServeMetrics;
  readonly #options: ProberOptions;
  readonly #controller = new AbortController();
  readonly #inFlight = new Set<Promise<void>>();
  #hosts: string[] = [];
  /** The targets' states, in the order of #hosts: built once per target list, not once per round. */
  #states: TargetState[] = [];
  #round: Round = { states: [], hosts: [], slices: 1 };
  #timer: ReturnType<typeof setTimeout> | undefined;
  #started = 0;
  /** Start of the current round, relative to #started. */
  #roundStart = 0;
  /** Position of the next slice within its round. */
  #next = 0;

  /** Wires a prober; nothing is sent before {@linkcode Prober.start}. */
  constructor(engine: ProbeEngine, metrics: ServeMetrics, options: ProberOptions) {
    this.#engine = engine;
    this.#metrics = metrics;
    this.#options = options;
  }

  /** The targets of the next round. */
  get hosts(): readonly string[] {
    return this.#hosts;
  }

  /**
   * Replaces the target list from the next round on. Targets that stay keep
   * their counters; targets that go lose their series.
   *
   * @param hosts The new list (duplicates are dropped).
   */
  setTargets(hosts: readonly string[]): void {
    const next = [...new Set(hosts)];
    const keep = new Set(next);
    for (const host of this.#hosts) if (!keep.has(host)) this.#metrics.remove(host);
    this.#states = next.map((host) => this.#metrics.target(host));
    this.#hosts = next;
  }

  /** Starts the schedule: round k begins at start + k × period. */
  start(): void {
    this.#started = performance.now();
    this.#tick();
  }

  /** Stops scheduling, ends the probes in flight and waits for them. */
  async stop(): Promise<void> {
    clearTimeout(this.#timer);
    this.#controller.abort();
    await Promise.allSettled([...this.#inFlight]);
  }

  /** When the next slice is due: its round's start plus its share of the period. */
  #due(): number {
    return this.#started + this.#roundStart + this.#next * this.#options.period / this.#round.slices;
  }

  #tick(): void {
    if (this.#controller.signal.aborted) return;
    const { period } = this.#options;
    if (this.#next === 0) this.#round = this.#newRound();
    const lateness = performance.now() - this.#due();
    if (lateness > period * LATE_FRACTION) this.#metrics.lateSlice();
    this.#runSlice(this.#round, this.#next);
    this.#next++;
    if (this.#next === this.#round.slices) {
      this.#next = 0;
      this.#roundStart += period;
      // Skip whole rounds that have already passed rather than bunching them together.
      while (this.#started + this.#roundStart + period < performance.now()) this.#roundStart += period;
    }
    this.#timer = setTimeout(() => this.#tick(), Math.max(0, this.#due() - performance.now()));
  }

  #newRound(): Round {
    const hosts = this.#hosts;
    const slices = Math.max(1, Math.min(hosts.length, Math.floor(this.#options.period / MIN_SLICE_MS)));
    return { hosts, states: this.#states, slices };
  }

  #runSlice(round: Round, k: number): void {
    const n = round.hosts.length;
    // Slice k holds targets [from, to): every target sits in the same slice each round, so each is probed once a period.
    const from = Math.floor(k * n / round.slices);
    const to = Math.floor((k + 1) * n / round.slices);
    if (to <= from) return;
    const probe = this.#probe(round.hosts.slice(from, to), round.states, from, n).finally(() =>
      this.#inFlight.delete(probe)
    );
    this.#inFlight.add(probe);
  }

  /** Probes `hosts`, the round's targets from `from` on: event index i is `states[from + i]`. */
  async #probe(hosts: string[], states: readonly TargetState[], from: number, total: number): Promise<void> {
    const metrics = this.#metrics;
    const { period, timeout, size, ttl, dscp, source } = this.#options;
    const options: RoundOptions = {
      count: 1,
      // The pace of the whole round, so a slice's sends spread over its share of the period.
      // A slice small enough leaves as one group (one wake-up of the engine instead of one per send); a larger one
      // is paced at the round's rate across its share of the period.
      rate: hosts.length <= MAX_GROUP ? Infinity : total / (period / 1000),
      timeout,
      size,
      window: hosts.length,
      collect: false,
      signal: this.#controller.signal,
      onProbe: (event) => {
        const state = states[from + event.index];
        // A target removed by a reload while its probe was out: its series are gone, and stay gone.
        if (state === undefined || !this.#isCurrent(state)) return;
        metrics.record(state, event.address, event, event.time);
      },
      onResult: (entry) => {
        const state = states[from + entry.index];
        if (state === undefined || !this.#isCurrent(state)) return;
        if (entry.ok) metrics.corrupted(state, entry.address, entry.corrupted);
        else metrics.resolveFailed(state, entry.error.message);
      },
    };
    if (ttl !== undefined) options.ttl = ttl;
    if (dscp !== undefined) options.dscp = dscp;
    if (source !== undefined) options.source = source;
    try {
      await this.#engine.pingMany(hosts, options);
    } catch (error) {
      if (this.#controller.signal.aborted) return;
      // A slice that fails as a whole (no socket, bad option) is reported, and the schedule goes on.
      console.error(`miniping serve: probing failed: ${error instanceof Error ? error.message : String(error)}`);
    }
  }

  #isCurrent(state: TargetState): boolean {
    return this.#metrics.get(state.host) === state;
  }
}
