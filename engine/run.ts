/**
 * One target's run, shared by `ping()` and `pingMany()`: its fixed send schedule, its tally, the events it emits,
 * and its end (every probe settled, or stopped).
 *
 * @module
 */
import { monotonicMs } from "../ffi/clock.ts";
import type { SocketAddress } from "../ffi/sockaddr.ts";
import { PingResult } from "../ping_result.ts";
import type { Engine, Probe, ProbeOwner, SocketPool } from "./engine.ts";
import type { ErrorDetails, ProbeEvent, ReplyDetails } from "./events.ts";
import { nextToken } from "./payload.ts";
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

/** Who the target is. */
export interface RunTarget {
  /** The host as given. */
  host: string;
  /** The probed address as text. */
  address: string;
  /** Position in `pingMany()`'s input, 0 for `ping()`. */
  index: number;
  /** The probed socket address. */
  destination: SocketAddress;
  /** Per-packet ancillary data, or `null`. */
  control: Uint8Array | null;
}

/** How a run ended: its result and the ICMP errors it got (in arrival order). */
export interface RunOutcome {
  /** The statistics. */
  result: PingResult;
  /** ICMP errors and local refusals. */
  errors: ErrorDetails[];
}

/** How a run reports its end: an outcome, or (outcome undefined) the error that failed it. */
export type RunEnd = (error: unknown, outcome: RunOutcome | undefined) => void;

/** The state of one target between its first send and its result. */
export class TargetRun implements ProbeOwner, Flow, RunOutcome {
  due = Infinity;
  firstProbe: Probe | null = null;
  readonly destination: SocketAddress;
  readonly control: Uint8Array | null;
  readonly timeout: number;
  readonly kernelTimestamps: boolean;
  readonly #rtts: (number | undefined)[] = [];
  readonly #errors: ErrorDetails[] = [];
  #ttl: number | null = null;
  #sent = 0;
  #settled = 0;
  #duplicates = 0;
  #corrupted = 0;
  #start = 0;
  #done = false;
  #end: RunEnd = () => {};

  constructor(
    readonly engine: Engine,
    readonly group: PaceGroup,
    readonly pool: SocketPool,
    readonly target: RunTarget,
    readonly settings: RunSettings,
  ) {
    this.destination = target.destination;
    this.control = target.control;
    this.timeout = settings.timeout;
    this.kernelTimestamps = settings.kernelTimestamps;
  }

  /**
   * Starts sending; settles when every probe has an outcome, on {@linkcode TargetRun.stop}, or on failure.
   */
  start(): Promise<RunOutcome> {
    return new Promise<RunOutcome>((resolve, reject) => {
      this.startWith((error, outcome) => outcome === undefined ? reject(error) : resolve(outcome));
    });
  }

  /** Like {@linkcode TargetRun.start}, with a callback instead of a promise (a sweep starts many). */
  startWith(end: RunEnd): void {
    this.#end = end;
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
    const outcome = this.engine.transmit(this, this.#sent, nextToken(this.settings.size), this.settings.size);
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
    this.#rtts[probe.seq - 1] = reply.rtt;
    this.#ttl ??= reply.ttl;
    if (this.#listening) this.#emit(this.#replyEvent("reply", probe, reply));
    this.#settle();
  }

  onDuplicate(probe: Probe, reply: ReplyDetails): void {
    this.#duplicates++;
    if (this.#listening) this.#emit(this.#replyEvent("duplicate", probe, reply));
  }

  onCorrupted(): void {
    this.#corrupted++;
  }

  onError(probe: Probe, error: ErrorDetails): void {
    this.#errors.push(error);
    if (this.#listening) this.#emit({ type: "error", ...this.#base(probe), ...error });
    this.#settle();
  }

  onTimeout(probe: Probe): void {
    if (this.#listening) {
      const target = this.target;
      this.#emit({
        type: "timeout",
        seq: probe.seq,
        host: target.host,
        address: target.address,
        index: target.index,
        icmpId: probe.icmpId,
        icmpSeq: probe.icmpSeq,
        time: Date.now(),
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
   */
  #replyEvent(type: "reply" | "duplicate", probe: Probe, reply: ReplyDetails): ProbeEvent {
    const target = this.target;
    return {
      type,
      seq: probe.seq,
      host: target.host,
      address: target.address,
      index: target.index,
      icmpId: probe.icmpId,
      icmpSeq: probe.icmpSeq,
      time: Date.now(),
      rtt: reply.rtt,
      clock: reply.clock,
      ttl: reply.ttl,
      bytes: reply.bytes,
      from: target.address,
    };
  }

  #base(probe: Probe) {
    return {
      seq: probe.seq,
      host: this.target.host,
      address: this.target.address,
      index: this.target.index,
      icmpId: probe.icmpId,
      icmpSeq: probe.icmpSeq,
      time: Date.now(),
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
    this.#end(error, undefined);
  }

  #finish(): void {
    if (this.#done) return;
    this.#cleanup();
    // The run is its own outcome: its result is built only if read, and a sweep that neither collects nor calls
    // onResult never reads it.
    this.#end(undefined, this);
  }

  /** ICMP errors and local refusals, in arrival order. */
  get errors(): ErrorDetails[] {
    return this.#errors;
  }

  /** What was gathered so far, as a new result. */
  get result(): PingResult {
    const rtts = this.#rtts;
    return new PingResult({
      host: this.target.host,
      address: this.target.address,
      family: this.destination.family,
      index: this.target.index,
      sent: this.#sent,
      // PingResult copies its rtts: filter (a second copy) only when some probe has no RTT.
      rtts: rtts.includes(undefined) ? rtts.filter((rtt): rtt is number => rtt !== undefined) : rtts as number[],
      ttl: this.#ttl,
      duplicates: this.#duplicates,
      corrupted: this.#corrupted,
      errors: this.#errors.length,
    });
  }
}
