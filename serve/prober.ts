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

/** A round counts as late when it starts this share of a period after its slot. */
const LATE_FRACTION = 0.1;

/** Runs rounds on a fixed schedule until stopped. */
export class Prober {
  readonly #engine: ProbeEngine;
  readonly #metrics: ServeMetrics;
  readonly #options: ProberOptions;
  readonly #controller = new AbortController();
  readonly #rounds = new Set<Promise<void>>();
  #hosts: string[] = [];
  #timer: ReturnType<typeof setTimeout> | undefined;
  #started = 0;
  #round = 0;

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
    for (const host of next) this.#metrics.target(host);
    this.#hosts = next;
  }

  /** Starts the schedule: round k begins at start + k × period. */
  start(): void {
    this.#started = performance.now();
    this.#tick();
  }

  /** Stops scheduling, ends the rounds in flight and waits for them. */
  async stop(): Promise<void> {
    clearTimeout(this.#timer);
    this.#controller.abort();
    await Promise.allSettled([...this.#rounds]);
  }

  #tick(): void {
    if (this.#controller.signal.aborted) return;
    const { period } = this.#options;
    const slot = this.#started + this.#round * period;
    const lateness = performance.now() - slot;
    if (lateness > period * LATE_FRACTION) this.#metrics.lateRound();
    this.#round++;
    const round = this.#runRound().finally(() => this.#rounds.delete(round));
    this.#rounds.add(round);
    // Skip slots that have already passed rather than bunching rounds together.
    while (this.#started + this.#round * period < performance.now()) this.#round++;
    this.#timer = setTimeout(() => this.#tick(), this.#started + this.#round * period - performance.now());
  }

  async #runRound(): Promise<void> {
    const hosts = this.#hosts;
    if (hosts.length === 0) return;
    const states: TargetState[] = hosts.map((host) => this.#metrics.target(host));
    const metrics = this.#metrics;
    const { period, timeout, size, ttl, dscp, source } = this.#options;
    const options: RoundOptions = {
      count: 1,
      rate: hosts.length / (period / 1000),
      timeout,
      size,
      window: hosts.length,
      collect: false,
      signal: this.#controller.signal,
      onProbe: (event) => {
        const state = states[event.index];
        // A target removed by a reload while its probe was out: its series are gone, and stay gone.
        if (state === undefined || !this.#isCurrent(state)) return;
        metrics.record(state, event.address, event, event.time);
      },
      onResult: (entry) => {
        const state = states[entry.index];
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
      // A round that fails as a whole (no socket, bad option) is reported once per round, and the schedule goes on.
      console.error(`miniping serve: round failed: ${error instanceof Error ? error.message : String(error)}`);
    }
  }

  #isCurrent(state: TargetState): boolean {
    return this.#metrics.get(state.host) === state;
  }
}
