/**
 * One target's run, shared by `ping()` and `pingMany()`: its fixed send schedule, its tally, the events it emits,
 * and its end (every probe settled, or stopped).
 *
 * @module
 */
import { epochMs, monotonicMs } from "../ffi/clock.ts";
import type { SocketAddress } from "../ffi/sockaddr.ts";
import { PingResult, type PingTally } from "../ping_result.ts";
import type { Engine, Probe, ProbeOwner, SocketPool } from "./engine.ts";
import type { ErrorDetails, ProbeEvent, ReplyDetails } from "./events.ts";
import { drawn, drawToken } from "./payload.ts";
import type { FireOutcome, Flow, PaceGroup } from "./scheduler.ts";

/** How one target is probed. */
export interface RunSettings {
  /** Echo requests to send. */
  count: number;
  /** Per-probe timeout, ms. */
  timeout: number;
  /** Time between this target's sends, ms. */
  interval: number;
  /** Payload bytes. */
  size: number;
  /** End RTTs at the kernel's receive stamp. */
  kernelTimestamps: boolean;
  /** Receives every event; a throw or a rejected promise fails the run. */
  onProbe?: ((event: ProbeEvent) => unknown) | undefined;
}

/**
 * What every run of a call shares for one address family: held once by the call, so that a run (one per target of a
 * sweep) carries one reference instead of five.
 */
export interface RunContext {
  /** The engine to send through. */
  engine: Engine;
  /** The call's pace and window. */
  group: PaceGroup;
  /** The call's sockets for the family. */
  pool: SocketPool;
  /** Per-packet ancillary data for the family, or `null`. */
  control: Uint8Array | null;
  /** How each target is probed. */
  settings: RunSettings;
}

/** How a run ended: its result and the ICMP errors it got (in arrival order). */
export interface RunOutcome {
  /** The statistics. */
  result: PingResult;
  /** ICMP errors and local refusals. */
  errors: ErrorDetails[];
}

/**
 * Who hears of a run's end: `outcome` is the run itself, or undefined with the `error` that failed it. One listener
 * serves every run of a sweep (no closure per target).
 */
export interface RunListener {
  /** The run ended. */
  runEnded(run: TargetRun, error: unknown, outcome: RunOutcome | undefined): void;
}

/** Nobody listens (a run that has not started). */
const NO_LISTENER: RunListener = { runEnded() {} };
const NO_ERRORS: ErrorDetails[] = Object.freeze([]) as unknown as ErrorDetails[];
/** RTT slots a multi-probe run starts with; the store doubles as replies come. */
const RTT_CAPACITY = 16;

/**
 * The state of one target between its first send and its result. Lean on purpose: a sweep makes one per target and
 * `miniping serve` one per target per period, so every field, array and closure here is multiplied by them.
 */
export class TargetRun implements ProbeOwner, Flow, RunOutcome {
  due = Infinity;
  firstProbe: Probe | null = null;
  /** A sweep's runs in progress form a list through these (see `engine/api.ts`). */
  previousRun: TargetRun | null = null;
  /** @see previousRun */
  nextRun: TargetRun | null = null;
  /**
   * RTTs by probe number − 1, NaN for a probe without one. A count-1 run (a sweep's, serve's) keeps its RTT in
   * {@linkcode TargetRun.#rtt} and needs no store at all.
   */
  #rtts: Float64Array | null = null;
  #rtt = NaN;
  #errors: ErrorDetails[] | null = null;
  #ttl: number | null = null;
  #sent = 0;
  #settled = 0;
  #duplicates = 0;
  #corrupted = 0;
  #start = 0;
  #done = false;
  #listener: RunListener = NO_LISTENER;

  constructor(
    /** What every run of its call shares for its address family. */
    readonly context: RunContext,
    /** The host as given. */
    readonly host: string,
    /** The probed address as text. */
    readonly address: string,
    /** Position in `pingMany()`'s input, 0 for `ping()`. */
    readonly index: number,
    readonly destination: SocketAddress,
  ) {}

  /** The engine it sends through. */
  get engine(): Engine {
    return this.context.engine;
  }

  /** The call's pace and window. */
  get group(): PaceGroup {
    return this.context.group;
  }

  /** The sockets it sends on. */
  get pool(): SocketPool {
    return this.context.pool;
  }

  /** Per-packet ancillary data, or `null`. */
  get control(): Uint8Array | null {
    return this.context.control;
  }

  /** How it probes. */
  get settings(): RunSettings {
    return this.context.settings;
  }

  /** Per-probe timeout in ms (the engine's view of the settings). */
  get timeout(): number {
    return this.settings.timeout;
  }

  /** Whether RTTs end at the kernel's receive stamp. */
  get kernelTimestamps(): boolean {
    return this.settings.kernelTimestamps;
  }

  /**
   * Starts sending; settles when every probe has an outcome, on {@linkcode TargetRun.stop}, or on failure.
   */
  start(): Promise<RunOutcome> {
    return new Promise<RunOutcome>((resolve, reject) => {
      this.startWith({ runEnded: (_run, error, outcome) => outcome === undefined ? reject(error) : resolve(outcome) });
    });
  }

  /** Like {@linkcode TargetRun.start}, with a listener instead of a promise (a sweep starts many). */
  startWith(listener: RunListener): void {
    this.#listener = listener;
    this.due = monotonicMs();
    this.engine.attach(this, this);
  }

  /** Ends the run now with what it gathered. Idempotent. */
  stop(): void {
    this.#finish();
  }

  /** Sends the next probe (the scheduler calls this when it is due). */
  fire(now: number): FireOutcome {
    if (this.#done) {
      this.due = Infinity;
      return "spent";
    }
    // Counted before the send: a refused send settles (and may end) the run inside transmit().
    if (this.#sent === 0) this.#start = now;
    this.#sent++;
    const size = this.settings.size;
    drawToken(size);
    const outcome = this.engine.transmit(this, this.#sent, drawn.bytes, size, drawn.at);
    if (outcome === "backoff" || outcome === "busy") {
      this.#sent--;
      return outcome;
    }
    if (this.#sent === 1) this.group.started();
    // A fixed schedule: probe n is due at start + (n − 1) × interval, however late the previous send went out.
    this.due = this.#sent >= this.settings.count || this.#done
      ? Infinity
      : this.#start + this.#sent * this.settings.interval;
    return outcome;
  }

  onReply(probe: Probe, reply: ReplyDetails): void {
    this.#record(probe.seq, reply.rtt);
    this.#ttl ??= reply.ttl;
    if (this.#listening) this.#emit(this.#replyEvent("reply", probe, reply));
    this.#settle();
  }

  /** Keeps the RTT of probe number `seq`. */
  #record(seq: number, rtt: number): void {
    if (this.settings.count === 1) {
      this.#rtt = rtt;
      return;
    }
    let rtts = this.#rtts;
    if (rtts === null || seq > rtts.length) {
      const grown = new Float64Array(
        Math.min(this.settings.count, Math.max(RTT_CAPACITY, seq, 2 * (rtts?.length ?? 0))),
      );
      grown.fill(NaN);
      if (rtts !== null) grown.set(rtts);
      this.#rtts = rtts = grown;
    }
    rtts[seq - 1] = rtt;
  }

  onDuplicate(probe: Probe, reply: ReplyDetails): void {
    this.#duplicates++;
    if (this.#listening) this.#emit(this.#replyEvent("duplicate", probe, reply));
  }

  onCorrupted(): void {
    this.#corrupted++;
  }

  onError(probe: Probe, error: ErrorDetails): void {
    (this.#errors ??= []).push(error);
    if (this.#listening) {
      this.#emit({
        type: "error",
        seq: probe.seq,
        host: this.host,
        address: this.address,
        index: this.index,
        icmpId: probe.icmpId,
        icmpSeq: probe.icmpSeq,
        time: epochMs(),
        ...error,
      });
    }
    this.#settle();
  }

  onTimeout(probe: Probe): void {
    if (this.#listening) {
      this.#emit({
        type: "timeout",
        seq: probe.seq,
        host: this.host,
        address: this.address,
        index: this.index,
        icmpId: probe.icmpId,
        icmpSeq: probe.icmpSeq,
        time: epochMs(),
      });
    }
    this.#settle();
  }

  onFailure(error: unknown): void {
    this.#fail(error);
  }

  /** Whether anyone receives events (building them costs allocations a big sweep can do without). */
  get #listening(): boolean {
    return !this.#done && this.settings.onProbe !== undefined;
  }

  /**
   * A reply or duplicate event, written as one literal in the field order the spreads it replaces gave: spreading
   * two objects into a third cost three objects (~1 KB per probe, the largest share of a serve round's garbage).
   * The engine's `reply` is copied field by field: it is refilled for the next reply.
   */
  #replyEvent(type: "reply" | "duplicate", probe: Probe, reply: ReplyDetails): ProbeEvent {
    return {
      type,
      seq: probe.seq,
      host: this.host,
      address: this.address,
      index: this.index,
      icmpId: probe.icmpId,
      icmpSeq: probe.icmpSeq,
      time: epochMs(),
      rtt: reply.rtt,
      clock: reply.clock,
      ttl: reply.ttl,
      bytes: reply.bytes,
      from: this.address,
    };
  }

  #emit(event: ProbeEvent): void {
    const onProbe = this.settings.onProbe;
    if (this.#done || onProbe === undefined) return;
    try {
      const returned = onProbe(event);
      // An async callback's rejection fails the run as a throw does, instead of going unhandled.
      if (returned !== undefined && typeof (returned as Promise<void>).then === "function") {
        (returned as Promise<void>).then(undefined, (error) => this.#fail(error));
      }
    } catch (error) {
      this.#fail(error);
    }
  }

  #settle(): void {
    this.#settled++;
    // Every probe has its outcome: end now (the engine is done with the probe that settled last).
    if (this.#settled >= this.settings.count) this.#finish();
  }

  #cleanup(): void {
    this.#done = true;
    if (this.#sent > 0) this.group.ended();
    this.due = Infinity;
    this.engine.detach(this);
  }

  #fail(error: unknown): void {
    if (this.#done) return;
    this.#cleanup();
    this.#listener.runEnded(this, error, undefined);
  }

  #finish(): void {
    if (this.#done) return;
    this.#cleanup();
    // The run is its own outcome: its result is built only if read, and a sweep that neither collects nor calls
    // onResult never reads it.
    this.#listener.runEnded(this, undefined, this);
  }

  /** ICMP errors and local refusals, in arrival order. */
  get errors(): ErrorDetails[] {
    return this.#errors ?? NO_ERRORS;
  }

  /** The RTTs gathered so far in probe order; for a count-1 run a shared scratch array (PingResult copies it). */
  #rttList(): number[] {
    if (this.settings.count === 1) {
      if (Number.isNaN(this.#rtt)) return NO_RTTS;
      ONE_RTT[0] = this.#rtt;
      return ONE_RTT;
    }
    const rtts = this.#rtts;
    const list: number[] = [];
    if (rtts === null) return list;
    const end = Math.min(rtts.length, this.#sent);
    for (let i = 0; i < end; i++) if (!Number.isNaN(rtts[i])) list.push(rtts[i]);
    return list;
  }

  /** What was gathered so far, as a new result. */
  get result(): PingResult {
    // The tally is a scratch object too: PingResult copies what it keeps, and calls out to nothing.
    const tally = scratchTally;
    tally.host = this.host;
    tally.address = this.address;
    tally.family = this.destination.family;
    tally.index = this.index;
    tally.sent = this.#sent;
    tally.rtts = this.#rttList();
    tally.ttl = this.#ttl;
    tally.duplicates = this.#duplicates;
    tally.corrupted = this.#corrupted;
    tally.errors = this.#errors?.length ?? 0;
    return new PingResult(tally);
  }
}

/** What {@linkcode TargetRun.result} hands to PingResult, refilled for each result (a sweep builds one per target). */
const NO_RTTS: number[] = [];
const ONE_RTT: number[] = [0];
const scratchTally: Required<PingTally> = {
  host: "",
  address: "",
  family: 4,
  index: 0,
  sent: 0,
  rtts: NO_RTTS,
  ttl: null,
  duplicates: 0,
  corrupted: 0,
  errors: 0,
};
