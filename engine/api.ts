/**
 * The bodies of `ping()` and `pingMany()` on a given engine, so that the process-wide functions and a `Pinger`'s
 * methods share them.
 *
 * @module
 */
import { DestinationUnreachableError, PingTimeoutError, TimeExceededError } from "../errors.ts";
import type { PingOptions } from "../ping.ts";
import type { PingManyEntry, PingManyOptions } from "../ping_many.ts";
import type { PingResult } from "../ping_result.ts";
import { Call } from "./call.ts";
import type { Engine } from "./engine.ts";
import type { ErrorDetails } from "./events.ts";
import { PingFailure } from "./failure.ts";
import { checkHost, checkNumber, checkOptions, PING_DEFAULTS } from "./options.ts";
import type { RunListener, RunOutcome, TargetRun } from "./run.ts";
import { cachedLiteral, describeTarget, Resolver, resolveTarget, type SocketAddress } from "./target.ts";

/** `ping()` on `engine`. */
export async function pingWith(engine: Engine, host: string, options: PingOptions): Promise<PingResult> {
  checkHost(host);
  const o = checkOptions(options);
  if (o.throwOnTimeout !== undefined && typeof o.throwOnTimeout !== "boolean") {
    throw new TypeError(`Cannot ping: throwOnTimeout must be a boolean, got ${String(o.throwOnTimeout)}`);
  }
  o.signal?.throwIfAborted();
  const destination = await resolveTarget(host, o.family);
  o.signal?.throwIfAborted();
  const call = new Call(engine, o, PING_DEFAULTS.rate, PING_DEFAULTS.window);
  let run: TargetRun | undefined;
  const stop = () => run?.stop();
  o.signal?.addEventListener("abort", stop, { once: true });
  try {
    run = call.open(host, 0, destination);
    const { result, errors } = await run.start();
    return verdict(host, result, errors, o.throwOnTimeout ?? false);
  } finally {
    o.signal?.removeEventListener("abort", stop);
    await call.close();
  }
}

/** ping()'s verdict: the result, or the error that explains why nothing came back. */
function verdict(host: string, result: PingResult, errors: ErrorDetails[], throwOnTimeout: boolean): PingResult {
  if (result.received > 0) return result;
  const first = errors.find((error) => error.kind !== "other");
  if (first !== undefined) {
    const ErrorClass = first.kind === "unreachable" ? DestinationUnreachableError : TimeExceededError;
    throw new ErrorClass(first.message, { code: first.code ?? 0, from: first.from, result });
  }
  if (throwOnTimeout && errors.length === 0) {
    const probes = result.sent === 1 ? "1 probe" : `${result.sent} probes`;
    throw new PingTimeoutError(`No reply from ${host} (${result.address}) to ${probes}`, result);
  }
  return result;
}

/** Calls a user callback that may be async; a throw or a rejection goes to `fail`. */
function call(callback: ((value: never) => unknown) | undefined, value: unknown, fail: (error: unknown) => void): void {
  if (callback === undefined) return;
  try {
    const returned = (callback as (value: unknown) => unknown)(value);
    if (returned !== undefined && typeof (returned as PromiseLike<unknown>)?.then === "function") {
      (returned as PromiseLike<unknown>).then(undefined, fail);
    }
  } catch (error) {
    fail(error);
  }
}

/** Errors that are the whole call's, not one target's: no socket may be opened at all. */
function isFatal(error: unknown): boolean {
  return error instanceof Deno.errors.PermissionDenied;
}

/** `pingMany()` on `engine`. */
export async function pingManyWith(
  engine: Engine,
  hosts: Iterable<string> | AsyncIterable<string>,
  options: PingManyOptions,
): Promise<PingManyEntry[]> {
  if (
    hosts === null || typeof hosts !== "object" ||
    (!(Symbol.iterator in hosts) && !(Symbol.asyncIterator in hosts))
  ) {
    throw new TypeError(`Cannot ping: hosts must be an iterable or async iterable of strings, got ${String(hosts)}`);
  }
  const o = checkOptions(options);
  const rate = checkNumber("rate", o.rate ?? PING_DEFAULTS.rate, {
    integer: false,
    min: 0,
    above: true,
    max: Infinity,
  });
  const window = checkNumber("window", o.window ?? PING_DEFAULTS.window, {
    integer: true,
    min: 1,
    max: Number.MAX_SAFE_INTEGER,
  });
  if (o.onResult !== undefined && typeof o.onResult !== "function") {
    throw new TypeError(`Cannot ping: onResult must be a function, got ${String(o.onResult)}`);
  }
  if (o.collect !== undefined && typeof o.collect !== "boolean") {
    throw new TypeError(`Cannot ping: collect must be a boolean, got ${String(o.collect)}`);
  }
  o.signal?.throwIfAborted();
  return await new Sweep(engine, o, rate, window).run(hosts);
}

const ARRAY_VALUES = Array.prototype[Symbol.iterator];

/** Runs of a sweep that may wait for their first send at once: enough to keep the sender busy between turns. */
const ADMIT_AHEAD = 256;

/** One pingMany() call: pulls targets as room frees up, so any number of them streams through bounded memory. */
class Sweep implements RunListener {
  readonly #call: Call;
  /** Made for the first name (a sweep of literals, or serve's rounds, needs none). */
  #resolver: Resolver | undefined;
  readonly #entries: PingManyEntry[] = [];
  /** Runs in progress, linked through their `previousRun` / `nextRun` (no set entry per target). */
  #runs: TargetRun | null = null;
  readonly #limit: number;
  /** Whether each target's entry is collected or passed to onResult. */
  readonly #wantsEntries: boolean;
  #inFlight = 0;
  #stopped = false;
  #failed = false;
  #failure: unknown;
  #room: (() => void) | undefined;
  #drained: (() => void) | undefined;

  constructor(
    engine: Engine,
    readonly options: ReturnType<typeof checkOptions<PingManyOptions>>,
    rate: number,
    window: number,
  ) {
    this.#call = new Call(engine, options, rate, window);
    // Targets in progress (resolving or probing): each holds its run's state, so this bounds memory.
    this.#limit = window;
    this.#wantsEntries = options.collect !== false || options.onResult !== undefined;
    this.#call.group.onStart = () => this.#wakeRoom();
  }

  /**
   * Whether to stop pulling targets for now: the window is full, or enough targets already wait for their first
   * send (resolving, or queued behind the sender).
   * Without the second bound a sweep of live targets would hold a whole window of runs queued behind the sender,
   * each living long enough to be promoted to V8's old space, so memory and GC time grew with the window.
   */
  #full(): boolean {
    if (this.#stopped) return false;
    return this.#inFlight >= this.#limit || this.#inFlight - this.#call.group.active >= ADMIT_AHEAD;
  }

  #wakeRoom(): void {
    const room = this.#room;
    this.#room = undefined;
    room?.();
  }

  async run(hosts: Iterable<string> | AsyncIterable<string>): Promise<PingManyEntry[]> {
    const signal = this.options.signal;
    const abort = () => this.#stop();
    signal?.addEventListener("abort", abort, { once: true });
    try {
      let index = 0;
      if (Symbol.asyncIterator in hosts) {
        for await (const host of hosts) {
          if (this.#stopped) break;
          this.#start(host, index++);
          while (this.#full()) await new Promise<void>((resolve) => this.#room = resolve);
          if (this.#stopped) break;
        }
      } else if (Array.isArray(hosts) && hosts[Symbol.iterator] === ARRAY_VALUES) {
        // A plain array is walked by index: its iterator made an object per element.
        for (let i = 0; i < hosts.length; i++) {
          if (this.#stopped) break;
          this.#start(hosts[i], index++);
          while (this.#full()) await new Promise<void>((resolve) => this.#room = resolve);
          if (this.#stopped) break;
        }
      } else {
        // A plain iterable is walked without a promise per element: awaits only when the window is full.
        for (const host of hosts) {
          if (this.#stopped) break;
          this.#start(host, index++);
          while (this.#full()) await new Promise<void>((resolve) => this.#room = resolve);
          if (this.#stopped) break;
        }
      }
      if (this.#inFlight > 0) await new Promise<void>((resolve) => this.#drained = resolve);
    } catch (error) {
      // The iterable itself failed: stop what runs and report that.
      this.#fail(error);
      if (this.#inFlight > 0) await new Promise<void>((resolve) => this.#drained = resolve);
    } finally {
      signal?.removeEventListener("abort", abort);
      await this.#call.close();
    }
    if (this.#failed) throw this.#failure;
    return this.options.collect === false ? [] : this.#entries;
  }

  #stop(): void {
    this.#stopped = true;
    for (let run = this.#runs, next; run !== null; run = next) {
      next = run.nextRun;
      run.stop();
    }
    this.#room?.();
  }

  #fail(error: unknown): void {
    if (this.#failed) return;
    this.#failed = true;
    this.#failure = error;
    this.#stop();
  }

  /** Starts one target. Literals go straight to their run; names wait for the resolver. No promise per target. */
  #start(host: string, index: number): void {
    this.#inFlight++;
    try {
      if (typeof host !== "string") throw new TypeError(`Cannot ping: host must be a string, got ${typeof host}`);
      checkHost(host);
    } catch (error) {
      return this.#reject(host, index, error);
    }
    const literal = cachedLiteral(host);
    const family = this.options.family;
    // The unspecified address (0.0.0.0, ::) means this host: the resolver maps it; other literals need no lookup.
    if (literal !== null && (family === undefined || literal.destination.family === family)) {
      return this.#launch(host, index, literal.destination, literal.address);
    }
    (this.#resolver ??= new Resolver()).resolve(host, family).then(
      (destination) => this.#launch(host, index, destination, describeTarget(destination)),
      (error) => this.#reject(host, index, error),
    );
  }

  #launch(host: string, index: number, destination: SocketAddress, address: string): void {
    let run: TargetRun;
    try {
      if (this.#stopped) {
        throw this.options.signal?.reason ?? new Error("Cannot ping: the sweep stopped before this target");
      }
      run = this.#call.open(host, index, destination, address);
    } catch (error) {
      return this.#reject(host, index, error);
    }
    run.nextRun = this.#runs;
    if (this.#runs !== null) this.#runs.previousRun = run;
    this.#runs = run;
    run.startWith(this);
  }

  /** A run ended (the sweep is every run's listener). */
  runEnded(run: TargetRun, error: unknown, outcome: RunOutcome | undefined): void {
    if (run.previousRun !== null) run.previousRun.nextRun = run.nextRun;
    else if (this.#runs === run) this.#runs = run.nextRun;
    if (run.nextRun !== null) run.nextRun.previousRun = run.previousRun;
    run.previousRun = run.nextRun = null;
    if (outcome === undefined) {
      // A callback threw or the engine failed: the whole call ends with it.
      this.#fail(error);
      this.#finished(run.index, null);
    } else {
      // Nobody reads the entry: skip building the target's PingResult.
      this.#finished(run.index, this.#wantsEntries ? outcome.result : null);
    }
  }

  /** A target that could not be probed: its failure entry, unless the error is the whole call's. */
  #reject(host: unknown, index: number, error: unknown): void {
    if (isFatal(error)) {
      this.#fail(error);
      return this.#finished(index, null);
    }
    const entry = new PingFailure(String(host), index, error instanceof Error ? error : new Error(String(error)));
    this.#finished(index, entry);
  }

  #finished(index: number, entry: PingManyEntry | null): void {
    if (entry !== null) {
      if (this.options.collect !== false) this.#entries[index] = entry;
      if (!this.#failed) call(this.options.onResult, entry, (error) => this.#fail(error));
    }
    this.#inFlight--;
    const room = this.#room;
    this.#room = undefined;
    room?.();
    if (this.#inFlight === 0) this.#drained?.();
  }
}
