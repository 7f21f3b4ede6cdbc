/**
 * What `miniping serve` exports: smokeping_prober's metrics (same names,
 * labels `ip`, `host`, `source`, `tos`, same default buckets) plus
 * `miniping_*` extras, updated as each probe completes.
 *
 * @module
 */
import {
  ColumnFamily,
  type ExpositionFormat,
  Family,
  Registry,
  type Row,
  type Scalar,
  Table,
  TableHistogram,
} from "./registry.ts";
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

/** The series of one (host, ip): its row of the per-target table and its ICMP error children. */
interface TargetSeries {
  row: Row;
  icmpErrors: Map<string, Scalar>;
}

/** Columns of the per-target table; the latency histogram's columns follow them. */
const REQUESTS = 0;
const TTL = 1;
const DUPLICATES = 2;
const SEND_ERRORS = 3;
const TIMEOUTS = 4;
const CORRUPTED = 5;
const LAST_RTT = 6;
const COLUMNS = 7;

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
  readonly #table: Table;
  /** The clock family's children by clock name: a reply finds its counter without building a key. */
  readonly #clocks = new Map<string, Scalar>();

  /** Registers every family; nothing is probed yet. */
  constructor(options: ServeMetricsOptions = {}) {
    this.#source = options.source ?? "";
    this.#tos = String(options.tos ?? 0);
    this.#historySize = options.historySize ?? 300;
    const buckets = options.buckets ?? SMOKEPING_BUCKETS;
    const r = this.#registry;
    const table = new Table({
      labelNames: TARGET_LABELS,
      columns: COLUMNS,
      histogram: { name: "smokeping_response_duration_seconds", buckets },
    });
    this.#table = table;
    const column = (name: string, help: string, type: "counter" | "gauge", at: number) =>
      r.add(new ColumnFamily(name, help, type, table, at));
    const scalar = (name: string, help: string, type: "counter" | "gauge", names: readonly string[]) =>
      r.add(new Family<Scalar>(name, help, type, { labelNames: names }));
    column("smokeping_requests_total", "Number of ping requests sent", "counter", REQUESTS);
    r.add(
      new TableHistogram("smokeping_response_duration_seconds", "A histogram of latencies for ping responses.", table),
    );
    column("smokeping_response_ttl", "The last response Time To Live (TTL).", "gauge", TTL);
    column(
      "smokeping_response_duplicates_total",
      "The number of duplicated response packets.",
      "counter",
      DUPLICATES,
    );
    column(
      "smokeping_send_errors_total",
      "The number of errors when Pinger attempts to send packets.",
      "counter",
      SEND_ERRORS,
    );
    column(
      "miniping_timeouts_total",
      "Probes that got neither a reply nor an ICMP error in time.",
      "counter",
      TIMEOUTS,
    );
    // Registration order is output order: the ICMP errors sit between the timeouts and the corrupted replies.
    const icmpErrors = scalar(
      "miniping_icmp_errors_total",
      "ICMP errors received for probes, by ICMP type, code and the router that sent them.",
      "counter",
      [...TARGET_LABELS, "icmp_type", "icmp_code", "router"],
    );
    column(
      "miniping_corrupted_replies_total",
      "Replies that failed the checksum or payload check.",
      "counter",
      CORRUPTED,
    );
    column("miniping_last_rtt_seconds", "Round-trip time of the last reply.", "gauge", LAST_RTT);
    this.#f = {
      icmpErrors,
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
    const v = s.row.values;
    state.lastSeen = time;
    switch (outcome.type) {
      case "reply": {
        const seconds = outcome.rtt / 1000;
        v[REQUESTS]!++;
        this.#table.observe(s.row, seconds);
        v[LAST_RTT] = seconds;
        if (outcome.ttl !== null) v[TTL] = outcome.ttl;
        this.#clock(outcome.clock).inc();
        state.history.push(outcome.rtt);
        state.lastProblem = null;
        return;
      }
      case "duplicate":
        v[DUPLICATES]!++;
        return;
      case "timeout":
        v[REQUESTS]!++;
        v[TIMEOUTS]!++;
        state.history.push(NaN);
        state.lastProblem = "no reply in time";
        return;
      case "error": {
        v[REQUESTS]!++;
        if (outcome.from === null) v[SEND_ERRORS]!++;
        else this.#icmpError(s, outcome.icmpType, outcome.code, outcome.from).inc();
        state.history.push(NaN);
        state.lastProblem = outcome.from === null ? outcome.message : `${outcome.message} from ${outcome.from}`;
        return;
      }
    }
  }

  /** Adds `n` corrupted replies to `state`'s count. */
  corrupted(state: TargetState, ip: string, n: number): void {
    if (n > 0) this.#series(state, ip).row.values[CORRUPTED]! += n;
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
   * The exposition as a stream of chunks written as they are read, with the
   * engine gauges read from `stats` first.
   *
   * @param format Text format or OpenMetrics.
   * @param stats The engine's health, when an engine is running.
   * @returns The body.
   */
  stream(format: ExpositionFormat, stats?: EngineStats): ReadableStream<Uint8Array<ArrayBuffer>> {
    this.#setEngine(stats);
    return this.#registry.stream(format);
  }

  /**
   * The exposition in chunks, every value fixed when this is called (see {@linkcode ServeMetrics.stream}).
   *
   * @param format Text format or OpenMetrics.
   * @param stats The engine's health, when an engine is running.
   * @returns The chunks, written as they are pulled.
   */
  chunks(format: ExpositionFormat, stats?: EngineStats): Generator<Uint8Array<ArrayBuffer>, void, undefined> {
    this.#setEngine(stats);
    return this.#registry.chunks(format);
  }

  /**
   * The exposition as bytes (see {@linkcode ServeMetrics.stream}).
   *
   * @param format Text format or OpenMetrics.
   * @param stats The engine's health, when an engine is running.
   * @returns The body.
   */
  renderBytes(format: ExpositionFormat, stats?: EngineStats): Uint8Array<ArrayBuffer> {
    this.#setEngine(stats);
    return this.#registry.renderBytes(format);
  }

  /**
   * The exposition as text (see {@linkcode ServeMetrics.stream}).
   *
   * @param format Text format or OpenMetrics.
   * @param stats The engine's health.
   * @returns The body.
   */
  render(format: ExpositionFormat, stats?: EngineStats): string {
    return new TextDecoder().decode(this.renderBytes(format, stats));
  }

  #setEngine(stats: EngineStats | undefined): void {
    if (stats === undefined) return;
    this.#f.outstanding.child().set(stats.outstanding);
    this.#f.sockets.child().set(stats.sockets);
    this.#f.backoffs.child().set(stats.sendBackoffs);
  }

  #clock(clock: string): Scalar {
    let child = this.#clocks.get(clock);
    if (child === undefined) this.#clocks.set(clock, child = this.#f.clock.child(clock));
    return child;
  }

  #series(state: TargetState, ip: string): TargetSeries {
    if (state.series !== null && state.ip === ip) return state.series;
    // A name that now resolves elsewhere starts new series, as smokeping_prober's ip label would.
    if (state.series !== null) this.#dropSeries(state);
    state.ip = ip;
    state.series = { row: this.#table.add([ip, state.host, this.#source, this.#tos]), icmpErrors: new Map() };
    return state.series;
  }

  #icmpError(s: TargetSeries, type: number | null, code: number | null, router: string): Scalar {
    const key = `${type}/${code}/${router}`;
    let child = s.icmpErrors.get(key);
    if (child === undefined) {
      child = this.#f.icmpErrors.child(...s.row.labelValues, String(type ?? ""), String(code ?? ""), router);
      s.icmpErrors.set(key, child);
    }
    return child;
  }

  #dropSeries(state: TargetState): void {
    const s = state.series;
    if (s === null) return;
    this.#table.delete(s.row);
    for (const key of s.icmpErrors.keys()) {
      const [type, code, router] = key.split("/") as [string, string, string];
      this.#f.icmpErrors.remove(
        ...s.row.labelValues,
        type === "null" ? "" : type,
        code === "null" ? "" : code,
        router,
      );
    }
    state.series = null;
  }
}
