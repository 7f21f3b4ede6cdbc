/**
 * What `miniping serve` exports: smokeping_prober's metrics (same names,
 * labels `ip`, `host`, `source`, `tos`, same default buckets) plus
 * `miniping_*` extras, updated as each probe completes.
 *
 * @module
 */
import { type ExpositionFormat, Family, type Histogram, Registry, type Scalar } from "./registry.ts";
import { History } from "./history.ts";

/**
 * smokeping_prober's default latency buckets: 50 µs doubling 20 times, up to
 * 26.2144 s.
 */
export const SMOKEPING_BUCKETS: readonly number[] = Array.from({ length: 20 }, (_, i) => 0.00005 * 2 ** i);

/** The per-target labels, as smokeping_prober names them. */
export const TARGET_LABELS = ["ip", "host", "source", "tos"] as const;

/** What one probe's outcome looks like to the metrics (a subset of the engine's ProbeEvent). */
export type Outcome =
  | { type: "reply"; rtt: number; ttl: number | null; clock: string }
  | { type: "duplicate" }
  | { type: "timeout" }
  | {
    type: "error";
    kind: string;
    icmpType: number | null;
    code: number | null;
    from: string | null;
    message: string;
  };

/** Options of {@linkcode ServeMetrics}. */
export interface ServeMetricsOptions {
  /**
   * Histogram upper bounds in seconds.
   * @default {SMOKEPING_BUCKETS}
   */
  buckets?: readonly number[];
  /**
   * The `source` label: the local address probes are sent from, `""` when the kernel picks.
   * @default {""}
   */
  source?: string;
  /**
   * The `tos` label: the TOS byte (DSCP << 2) in decimal.
   * @default {0}
   */
  tos?: number;
  /**
   * Probes kept per target for the page.
   * @default {300}
   */
  historySize?: number;
}

/** The live state of one target: its series and its recent probes. */
export class TargetState {
  /** The host as given. */
  readonly host: string;
  /** The probed address, `""` until known. */
  ip = "";
  /** Recent RTTs for the page. */
  readonly history: History;
  /** Last ICMP error or local failure, for the page; null after a reply. */
  lastProblem: string | null = null;
  /** When the last outcome arrived (ms epoch), 0 before any. */
  lastSeen = 0;
  /** @internal Series of the current (host, ip). */
  series: TargetSeries | null = null;

  /** Builds the state for `host` with a history of `historySize` probes. */
  constructor(host: string, historySize: number) {
    this.host = host;
    this.history = new History(historySize);
  }
}

/** The children of one (host, ip) in every per-target family. */
interface TargetSeries {
  values: string[];
  requests: Scalar;
  duration: Histogram;
  ttl: Scalar;
  duplicates: Scalar;
  sendErrors: Scalar;
  timeouts: Scalar;
  corrupted: Scalar;
  lastRtt: Scalar;
  icmpErrors: Map<string, Scalar>;
}

/** Engine health as `Pinger.stats()` reports it. */
export interface EngineStats {
  /** Probes waiting for their outcome. */
  outstanding: number;
  /** Open sockets. */
  sockets: number;
  /** Times a send waited for the socket buffer. */
  sendBackoffs: number;
}

/** The metrics of one `miniping serve` process. */
export class ServeMetrics {
  readonly #registry = new Registry();
  readonly #source: string;
  readonly #tos: string;
  readonly #historySize: number;
  readonly #targets = new Map<string, TargetState>();
  readonly #f;

  /** Registers every family; nothing is probed yet. */
  constructor(options: ServeMetricsOptions = {}) {
    this.#source = options.source ?? "";
    this.#tos = String(options.tos ?? 0);
    this.#historySize = options.historySize ?? 300;
    const buckets = options.buckets ?? SMOKEPING_BUCKETS;
    const labelNames = TARGET_LABELS;
    const r = this.#registry;
    const scalar = (name: string, help: string, type: "counter" | "gauge", names: readonly string[] = labelNames) =>
      r.add(new Family<Scalar>(name, help, type, { labelNames: names }));
    this.#f = {
      requests: scalar("smokeping_requests_total", "Number of ping requests sent", "counter"),
      duration: r.add(
        new Family<Histogram>(
          "smokeping_response_duration_seconds",
          "A histogram of latencies for ping responses.",
          "histogram",
          {
            labelNames,
            buckets,
          },
        ),
      ),
      ttl: scalar("smokeping_response_ttl", "The last response Time To Live (TTL).", "gauge"),
      duplicates: scalar(
        "smokeping_response_duplicates_total",
        "The number of duplicated response packets.",
        "counter",
      ),
      sendErrors: scalar(
        "smokeping_send_errors_total",
        "The number of errors when Pinger attempts to send packets.",
        "counter",
      ),
      timeouts: scalar(
        "miniping_timeouts_total",
        "Probes that got neither a reply nor an ICMP error in time.",
        "counter",
      ),
      icmpErrors: scalar(
        "miniping_icmp_errors_total",
        "ICMP errors received for probes, by ICMP type, code and the router that sent them.",
        "counter",
        [...labelNames, "icmp_type", "icmp_code", "router"],
      ),
      corrupted: scalar(
        "miniping_corrupted_replies_total",
        "Replies that failed the checksum or payload check.",
        "counter",
      ),
      lastRtt: scalar("miniping_last_rtt_seconds", "Round-trip time of the last reply.", "gauge"),
      resolveErrors: scalar("miniping_resolve_errors_total", "Rounds in which the host did not resolve.", "counter", [
        "host",
      ]),
      clock: scalar("miniping_replies_by_clock_total", "Replies by the clock that ended their RTT.", "counter", [
        "clock",
      ]),
      targets: scalar("miniping_targets", "Targets being probed.", "gauge", []),
      outstanding: scalar(
        "miniping_engine_outstanding_probes",
        "Probes sent and waiting for their outcome.",
        "gauge",
        [],
      ),
      sockets: scalar("miniping_engine_sockets", "ICMP sockets the engine holds open.", "gauge", []),
      backoffs: scalar(
        "miniping_engine_send_backoffs_total",
        "Sends that waited for socket buffer space.",
        "counter",
        [],
      ),
      lateSlices: scalar(
        "miniping_schedule_late_total",
        "Slices of a round that started more than a tenth of a period after their slot.",
        "counter",
        [],
      ),
      reloads: scalar("miniping_config_reloads_total", "Target list reloads, by result.", "counter", ["result"]),
    };
    // Series that exist from the start, so rate() has a zero to begin from.
    this.#f.lateSlices.child();
    this.#f.reloads.child("success");
    this.#f.reloads.child("failure");
    this.#f.targets.child();
  }

  /** The state of `host`, created on first use. */
  target(host: string): TargetState {
    let state = this.#targets.get(host);
    if (state === undefined) {
      state = new TargetState(host, this.#historySize);
      this.#targets.set(host, state);
      this.#f.targets.child().set(this.#targets.size);
    }
    return state;
  }

  /** The state of `host`, if it is a target. */
  get(host: string): TargetState | undefined {
    return this.#targets.get(host);
  }

  /** Every target, in the order they were added. */
  targets(): IterableIterator<TargetState> {
    return this.#targets.values();
  }

  /** Forgets `host` and drops its series. */
  remove(host: string): void {
    const state = this.#targets.get(host);
    if (state === undefined) return;
    this.#dropSeries(state);
    this.#f.resolveErrors.remove(host);
    this.#targets.delete(host);
    this.#f.targets.child().set(this.#targets.size);
  }

  /**
   * Counts one probe outcome for `state`, probed at `ip`.
   *
   * @param state The target.
   * @param ip The probed address.
   * @param outcome What happened.
   * @param time When (ms epoch).
   */
  record(state: TargetState, ip: string, outcome: Outcome, time: number): void {
    const s = this.#series(state, ip);
    state.lastSeen = time;
    switch (outcome.type) {
      case "reply": {
        const seconds = outcome.rtt / 1000;
        s.requests.inc();
        s.duration.observe(seconds);
        s.lastRtt.set(seconds);
        if (outcome.ttl !== null) s.ttl.set(outcome.ttl);
        this.#f.clock.child(outcome.clock).inc();
        state.history.push(outcome.rtt);
        state.lastProblem = null;
        return;
      }
      case "duplicate":
        s.duplicates.inc();
        return;
      case "timeout":
        s.requests.inc();
        s.timeouts.inc();
        state.history.push(NaN);
        state.lastProblem = "no reply in time";
        return;
      case "error": {
        s.requests.inc();
        if (outcome.from === null) s.sendErrors.inc();
        else this.#icmpError(s, outcome.icmpType, outcome.code, outcome.from).inc();
        state.history.push(NaN);
        state.lastProblem = outcome.from === null ? outcome.message : `${outcome.message} from ${outcome.from}`;
        return;
      }
    }
  }

  /** Adds `n` corrupted replies to `state`'s count. */
  corrupted(state: TargetState, ip: string, n: number): void {
    if (n > 0) this.#series(state, ip).corrupted.inc(n);
  }

  /** Counts a round in which `state`'s host did not resolve. */
  resolveFailed(state: TargetState, message: string): void {
    this.#f.resolveErrors.child(state.host).inc();
    state.lastProblem = message;
    state.lastSeen = Date.now();
    state.history.push(NaN);
  }

  /** Counts a slice of a round that started late. */
  lateSlice(): void {
    this.#f.lateSlices.child().inc();
  }

  /** Counts a target list reload. */
  reloaded(ok: boolean): void {
    this.#f.reloads.child(ok ? "success" : "failure").inc();
  }

  /**
   * The exposition as bytes, with the engine gauges read from `stats` first.
   *
   * @param format Text format or OpenMetrics.
   * @param stats The engine's health, when an engine is running.
   * @returns The body.
   */
  renderBytes(format: ExpositionFormat, stats?: EngineStats): Uint8Array<ArrayBuffer> {
    if (stats !== undefined) {
      this.#f.outstanding.child().set(stats.outstanding);
      this.#f.sockets.child().set(stats.sockets);
      this.#f.backoffs.child().set(stats.sendBackoffs);
    }
    return this.#registry.renderBytes(format);
  }

  /**
   * The exposition as text (see {@linkcode ServeMetrics.renderBytes}).
   *
   * @param format Text format or OpenMetrics.
   * @param stats The engine's health.
   * @returns The body.
   */
  render(format: ExpositionFormat, stats?: EngineStats): string {
    return new TextDecoder().decode(this.renderBytes(format, stats));
  }

  #series(state: TargetState, ip: string): TargetSeries {
    if (state.series !== null && state.ip === ip) return state.series;
    // A name that now resolves elsewhere starts new series, as smokeping_prober's ip label would.
    if (state.series !== null) this.#dropSeries(state);
    state.ip = ip;
    const values = [ip, state.host, this.#source, this.#tos];
    const f = this.#f;
    state.series = {
      values,
      requests: f.requests.child(...values),
      duration: f.duration.child(...values),
      ttl: f.ttl.child(...values),
      duplicates: f.duplicates.child(...values),
      sendErrors: f.sendErrors.child(...values),
      timeouts: f.timeouts.child(...values),
      corrupted: f.corrupted.child(...values),
      lastRtt: f.lastRtt.child(...values),
      icmpErrors: new Map(),
    };
    return state.series;
  }

  #icmpError(s: TargetSeries, type: number | null, code: number | null, router: string): Scalar {
    const key = `${type}/${code}/${router}`;
    let child = s.icmpErrors.get(key);
    if (child === undefined) {
      child = this.#f.icmpErrors.child(...s.values, String(type ?? ""), String(code ?? ""), router);
      s.icmpErrors.set(key, child);
    }
    return child;
  }

  #dropSeries(state: TargetState): void {
    const s = state.series;
    if (s === null) return;
    const f = this.#f;
    for (
      const family of [f.requests, f.duration, f.ttl, f.duplicates, f.sendErrors, f.timeouts, f.corrupted, f.lastRtt]
    ) {
      family.remove(...s.values);
    }
    for (const key of s.icmpErrors.keys()) {
      const [type, code, router] = key.split("/") as [string, string, string];
      f.icmpErrors.remove(...s.values, type === "null" ? "" : type, code === "null" ? "" : code, router);
    }
    state.series = null;
  }
}
