/**
 * RTT accuracy benchmark: miniping (each clock mode, raw and datagram sockets) beside iputils `ping` and `fping`, all
 * run one after another in the namespace lab's host h towards its target t, while `tcpdump` in h records every echo
 * request and reply with the kernel's capture stamps. The wire RTT of a probe (reply stamp minus request stamp, as
 * seen at h) is the truth each tool's figure for that same probe is compared with.
 *
 * Phases (each with every family, every round, every tool):
 * - `base`: the lab as it is.
 * - `stress`: the same under `stress-ng --cpu 2` (started in h; the CPUs are the machine's).
 * - `relay`: a delayed path: the hostile helper's TUN relay in r2 (tests/lab/relay.ts) holds every echo request
 *   `--relay-delay` ms. Bias is quoted against the wire, never against the nominal delay.
 *
 * A script, not a test. Run as root from the repository root:
 *
 * ```sh
 * deno run -A bench/accuracy.ts [--probes 200] [--interval 20] [--rounds 5] [--families 4,6] [--kinds raw,datagram]
 *                               [--phases base,stress,relay] [--relay-delay 5] [--no-write]
 * ```
 *
 * It prints a markdown report and, unless `--no-write`, puts it into `BENCHMARKS.md` between the
 * `rtt-accuracy` markers under the `## RTT accuracy` heading; the rest of that file is left alone.
 *
 * @module
 */
import { parseArgs } from "node:util";
import { fileURLToPath } from "node:url";
import { Lab, labAvailability } from "../tests/lab/lab.ts";
import { startRelay } from "../tests/lab/relay.ts";
import { mean, median, percentile } from "../stats/summary.ts";

// ---------------------------------------------------------------------------------------------------------------
// Settings

const DEFAULT_PROBES = 200;
const DEFAULT_INTERVAL_MS = 20;
const DEFAULT_ROUNDS = 5;
const DEFAULT_FAMILIES = "4,6";
const DEFAULT_KINDS = "raw,datagram";
const DEFAULT_PHASES = "base,stress,relay";
/**
 * One-way delay the relay adds to echo requests. 5 ms keeps RTTs in 1–10 ms, where iputils and fping print 10 µs
 * steps; above 10 ms both print 100 µs steps, which would drown the few-µs differences being measured.
 */
const DEFAULT_RELAY_DELAY_MS = 5;
const KINDS = ["raw", "datagram"] as const;
type Kind = typeof KINDS[number];
const PHASES = ["base", "stress", "relay"] as const;
type Phase = typeof PHASES[number];

/** Per-probe reply timeout handed to every tool; the lab answers in well under a millisecond. */
const PROBE_TIMEOUT_MS = 1_000;
/** Room for a child's start-up (Deno compiles the fixture) on top of its probes' own schedule. */
const RUN_SLACK_MS = 30_000;
/** How long tcpdump may take to say it is listening. */
const CAPTURE_START_TIMEOUT_MS = 10_000;
/** Quiet time after the last run so its final replies are surely captured before tcpdump stops. */
const CAPTURE_DRAIN_MS = 200;
/** Quiet time between runs, so no run's stragglers fall into the next run's window. */
const INTER_RUN_GAP_MS = 50;
/** stress-ng is started this long before a phase's first run, so the load is on when probing starts. */
const STRESS_SETTLE_MS = 1_000;

const TAIL_QUANTILE = 0.99;
const MEDIAN_QUANTILE = 0.5;
const US_PER_MS = 1_000;
const MS_PER_S = 1_000;
const NS_PER_MS = 1e6;
/** A probe whose figure is this far off the wire (µs) is listed by name: it is a fault, not noise. */
const OUTLIER_US = 1_000;
/** The issue's goal: mean bias within this many µs, and p99 − p50 within the wire's own plus this. */
const GOAL_BIAS_US = 5;
const GOAL_SPREAD_US = 10;

const CHILD_PATH = fileURLToPath(new URL("../tests/fixtures/ping_child.ts", import.meta.url));
const BENCHMARKS_PATH = fileURLToPath(new URL("../BENCHMARKS.md", import.meta.url));
const SECTION_HEADING = "## RTT accuracy";
const BEGIN_MARKER = "<!-- rtt-accuracy:begin (written by bench/accuracy.ts; edits inside are overwritten) -->";
const END_MARKER = "<!-- rtt-accuracy:end -->";

/** A contestant: a tool, and for miniping its clock mode and socket kind. */
interface Contestant {
  id: string;
  label: string;
  tool: "miniping" | "iputils" | "fping";
  kernelTimestamps?: boolean;
  kind?: Kind;
}

function contestants(kinds: Kind[]): Contestant[] {
  const list: Contestant[] = [];
  for (const kind of kinds) {
    list.push({
      id: `miniping-kernel/${kind}`,
      label: `miniping ${kind}, default`,
      tool: "miniping",
      kernelTimestamps: true,
      kind,
    });
    list.push({
      id: `miniping-user/${kind}`,
      label: `miniping ${kind}, \`kernelTimestamps: false\``,
      tool: "miniping",
      kernelTimestamps: false,
      kind,
    });
  }
  list.push({ id: "iputils", label: "iputils `ping`", tool: "iputils" });
  list.push({ id: "fping", label: "`fping`", tool: "fping" });
  return list;
}

interface Settings {
  probes: number;
  intervalMs: number;
  rounds: number;
  families: (4 | 6)[];
  kinds: Kind[];
  phases: Phase[];
  relayDelayMs: number;
  write: boolean;
}

function positiveInteger(name: string, text: string): number {
  const value = Number(text);
  if (!Number.isInteger(value) || value < 1) {
    throw new RangeError(`Cannot run the benchmark: ${name} must be an integer ≥ 1, got ${text}`);
  }
  return value;
}

function positiveNumber(name: string, text: string): number {
  const value = Number(text);
  if (!(value > 0) || !Number.isFinite(value)) {
    throw new RangeError(`Cannot run the benchmark: ${name} must be a number of ms > 0, got ${text}`);
  }
  return value;
}

function list<T extends string>(name: string, text: string, allowed: readonly T[]): T[] {
  const parts = text.split(",");
  for (const part of parts) {
    if (!(allowed as readonly string[]).includes(part)) {
      throw new RangeError(`Cannot run the benchmark: ${name} must list ${allowed.join(", ")}, got ${text}`);
    }
  }
  return [...new Set(parts as T[])];
}

function parseSettings(args: string[]): Settings {
  const { values } = parseArgs({
    args,
    strict: true,
    allowNegative: true,
    options: {
      probes: { type: "string", default: String(DEFAULT_PROBES) },
      interval: { type: "string", default: String(DEFAULT_INTERVAL_MS) },
      rounds: { type: "string", default: String(DEFAULT_ROUNDS) },
      families: { type: "string", default: DEFAULT_FAMILIES },
      kinds: { type: "string", default: DEFAULT_KINDS },
      phases: { type: "string", default: DEFAULT_PHASES },
      "relay-delay": { type: "string", default: String(DEFAULT_RELAY_DELAY_MS) },
      write: { type: "boolean", default: true },
    },
  });
  return {
    probes: positiveInteger("probes", values.probes),
    intervalMs: positiveNumber("interval", values.interval),
    rounds: positiveInteger("rounds", values.rounds),
    families: list("families", values.families, ["4", "6"] as const).map((f) => Number(f) as 4 | 6),
    kinds: list("kinds", values.kinds, KINDS),
    phases: list("phases", values.phases, PHASES),
    relayDelayMs: positiveNumber("relay-delay", values["relay-delay"]),
    write: values.write,
  };
}

// ---------------------------------------------------------------------------------------------------------------
// The wire: tcpdump in h

/** One echo request seen leaving h, with its reply if one came back. */
interface WireProbe {
  family: 4 | 6;
  id: number;
  seq: number;
  /** Capture stamp of the request, ms on the benchmark's realtime scale (see {@linkcode Clock}). */
  requestAt: number;
  /** Capture stamp of the reply, or null when none was captured. */
  replyAt: number | null;
}

/**
 * tcpdump's stamps are CLOCK_REALTIME nanoseconds since 1970, more than a double holds exactly; every stamp and
 * every window edge is therefore counted in ms from a whole second fixed when the benchmark starts.
 */
class Clock {
  readonly baseSeconds = Math.floor(Date.now() / MS_PER_S);
  fromCapture(seconds: number, nanoseconds: number): number {
    return (seconds - this.baseSeconds) * MS_PER_S + nanoseconds / NS_PER_MS;
  }
  now(): number {
    return Date.now() - this.baseSeconds * MS_PER_S;
  }
}

/**
 * `1795534538.123486573 to-r1 Out IP 198.18.1.1 > 198.18.4.2: ICMP echo request, id 17933, seq 1, length 64`, and
 * the same with `IP6` and `ICMP6, echo request`.
 */
const CAPTURE_LINE =
  /^(\d+)\.(\d{9}) \S+ +(In|Out) +(IP6?) (\S+) > (\S+): ICMP6?,? echo (request|reply), id (\d+), seq (\d+),/;
const DROPPED_LINE = /(\d+) packets? dropped by kernel/;

function parseCapture(text: string, clock: Clock, target: Record<4 | 6, string>): WireProbe[] {
  const probes: WireProbe[] = [];
  // A reply answers the latest unanswered request with the same family, id and seq.
  const open = new Map<string, WireProbe>();
  for (const line of text.split("\n")) {
    const m = CAPTURE_LINE.exec(line);
    if (m === null) continue;
    const [, sec, nsec, direction, ip, source, destination, kind, id, seq] = m;
    const family = ip === "IP6" ? 6 : 4;
    const at = clock.fromCapture(Number(sec), Number(nsec));
    const key = `${family}/${id}/${seq}`;
    if (kind === "request" && direction === "Out" && destination === target[family]) {
      const probe: WireProbe = { family, id: Number(id), seq: Number(seq), requestAt: at, replyAt: null };
      probes.push(probe);
      open.set(key, probe);
    } else if (kind === "reply" && direction === "In" && source === target[family]) {
      const probe = open.get(key);
      if (probe !== undefined) {
        probe.replyAt = at;
        open.delete(key);
      }
    }
  }
  return probes;
}

/**
 * tcpdump running in h, writing a file (a pipe of text lines drops packets on a loaded machine); {@linkcode
 * Capture.stop} ends it and hands back the decoded lines.
 */
class Capture {
  readonly #child: Deno.ChildProcess;
  readonly #file: string;
  #stderr = "";
  readonly #stderrDone: Promise<void>;

  private constructor(child: Deno.ChildProcess, file: string) {
    this.#child = child;
    this.#file = file;
    this.#stderrDone = (async () => {
      for await (const chunk of child.stderr!.pipeThrough(new TextDecoderStream())) this.#stderr += chunk;
    })();
  }

  static async start(lab: Lab): Promise<Capture> {
    const file = await Deno.makeTempFile({ prefix: "mplab-accuracy-", suffix: ".pcap" });
    const child = lab.spawn("h", [
      "tcpdump",
      "-i",
      "any",
      "-n",
      "-Z",
      "root",
      "--time-stamp-precision=nano",
      "--immediate-mode",
      "-U",
      "-B",
      "16384",
      "-s",
      "128",
      "-w",
      file,
      "icmp[icmptype] == icmp-echo or icmp[icmptype] == icmp-echoreply or " +
      "icmp6[icmp6type] == icmp6-echo or icmp6[icmp6type] == icmp6-echoreply",
    ], { stderr: "piped" });
    const capture = new Capture(child, file);
    const deadline = Date.now() + CAPTURE_START_TIMEOUT_MS;
    while (!capture.#stderr.includes("listening on")) {
      if (Date.now() > deadline) {
        await capture.stop();
        throw new Error(`tcpdump did not start listening: ${capture.#stderr.trim()}`);
      }
      const exited = await Promise.race([child.status.then(() => true), sleep(10).then(() => false)]);
      if (exited) {
        await capture.#stderrDone;
        throw new Error(`tcpdump exited at start: ${capture.#stderr.trim()}`);
      }
    }
    return capture;
  }

  /** Stops tcpdump (safe to call twice) and returns its decoded lines and how many packets the kernel dropped. */
  async stop(): Promise<{ text: string; dropped: number | null }> {
    try {
      this.#child.kill("SIGTERM");
    } catch {
      // Already gone.
    }
    await this.#child.status;
    await this.#stderrDone;
    const read = await new Deno.Command("tcpdump", {
      args: ["-r", this.#file, "-n", "-tt", "--time-stamp-precision=nano"],
      stdout: "piped",
      stderr: "null",
    }).output();
    await Deno.remove(this.#file).catch(() => {});
    const dropped = DROPPED_LINE.exec(this.#stderr);
    return { text: new TextDecoder().decode(read.stdout), dropped: dropped === null ? null : Number(dropped[1]) };
  }
}

// ---------------------------------------------------------------------------------------------------------------
// The tools

/** One tool's run: its per-probe RTTs keyed by its own probe number (from 1), and when it ran. */
interface ToolRun {
  contestant: Contestant;
  phase: Phase;
  family: 4 | 6;
  round: number;
  /** Probe number → RTT in ms and the clock label the tool gave (or its fixed one). */
  rtts: Map<number, { rtt: number; clock: string }>;
  sent: number;
  /** Probes that got no reply, as `seq: what happened`. */
  missing: string[];
  /** Window on the {@linkcode Clock} scale that contains every packet of the run. */
  from: number;
  to: number;
}

type RunResult = Omit<ToolRun, "contestant" | "phase" | "round">;

interface ChildEvent {
  type: string;
  seq: number;
  rtt?: number;
  clock?: string;
  message?: string;
}

interface ChildOutput {
  result: { sent: number } | null;
  events: ChildEvent[];
  error: { name: string; message: string } | null;
}

function targetOf(lab: Lab, family: 4 | 6): string {
  return family === 4 ? lab.addresses.target4 : lab.addresses.target6;
}

async function runMiniping(
  lab: Lab,
  settings: Settings,
  clock: Clock,
  family: 4 | 6,
  contestant: Contestant,
): Promise<RunResult> {
  const request = {
    host: targetOf(lab, family),
    options: {
      count: settings.probes,
      interval: settings.intervalMs,
      timeout: PROBE_TIMEOUT_MS,
      family,
      socket: contestant.kind,
      kernelTimestamps: contestant.kernelTimestamps,
    },
  };
  const from = clock.now();
  const out = await lab.exec("h", [Deno.execPath(), "run", "--allow-ffi", CHILD_PATH, JSON.stringify(request)], {
    timeoutMs: runBudgetMs(settings),
  });
  const to = clock.now();
  if (out.code !== 0) {
    throw new Error(`miniping child failed (exit ${out.code}): ${out.stderr.trim()}`);
  }
  const parsed = JSON.parse(out.stdout) as ChildOutput;
  if (parsed.error !== null || parsed.result === null) {
    throw new Error(`miniping failed: ${parsed.error?.name}: ${parsed.error?.message}`);
  }
  const rtts = new Map<number, { rtt: number; clock: string }>();
  const missing: string[] = [];
  for (const event of parsed.events) {
    if (event.type === "reply" && event.rtt !== undefined && event.clock !== undefined) {
      rtts.set(event.seq, { rtt: event.rtt, clock: event.clock });
    } else if (event.type !== "duplicate") {
      missing.push(`${event.seq}: ${event.type}${event.message === undefined ? "" : ` (${event.message})`}`);
    }
  }
  return { family, rtts, sent: parsed.result.sent, missing, from, to };
}

/** `64 bytes from 198.18.4.2: icmp_seq=1 ttl=61 time=0.044 ms`; duplicates end in `(DUP!)` and are skipped. */
const IPUTILS_LINE = /icmp_seq=(\d+) ttl=\d+ time=([\d.]+) ms$/;
const IPUTILS_SENT = /^(\d+) packets transmitted/m;

async function runIputils(lab: Lab, settings: Settings, clock: Clock, family: 4 | 6): Promise<RunResult> {
  const argv = [
    "ping",
    `-${family}`,
    "-n",
    "-c",
    String(settings.probes),
    "-i",
    String(settings.intervalMs / MS_PER_S),
    "-W",
    String(PROBE_TIMEOUT_MS / MS_PER_S),
    targetOf(lab, family),
  ];
  const from = clock.now();
  const out = await lab.exec("h", argv, { timeoutMs: runBudgetMs(settings) });
  const to = clock.now();
  const sent = IPUTILS_SENT.exec(out.stdout);
  if (sent === null) {
    throw new Error(`iputils ping failed (exit ${out.code}): ${out.stderr.trim()}`);
  }
  const rtts = new Map<number, { rtt: number; clock: string }>();
  for (const line of out.stdout.split("\n")) {
    const m = IPUTILS_LINE.exec(line);
    // iputils ends its RTT at the socket's SO_TIMESTAMP receive stamp and starts it with a user-space clock.
    if (m !== null) rtts.set(Number(m[1]), { rtt: Number(m[2]), clock: "rx" });
  }
  const missing: string[] = [];
  for (let seq = 1; seq <= Number(sent[1]); seq++) {
    if (!rtts.has(seq)) missing.push(`${seq}: no reply printed`);
  }
  return { family, rtts, sent: Number(sent[1]), missing, from, to };
}

/** `198.18.4.2 : 0.052 0.046 - 0.044` on stderr: one figure per probe, `-` for none. */
const FPING_LINE = /^\S+\s+:\s+(.+)$/m;

async function runFping(lab: Lab, settings: Settings, clock: Clock, family: 4 | 6): Promise<RunResult> {
  const argv = [
    "fping",
    `-${family}`,
    "-q",
    "-C",
    String(settings.probes),
    "-p",
    String(settings.intervalMs),
    "-t",
    String(PROBE_TIMEOUT_MS),
    targetOf(lab, family),
  ];
  const from = clock.now();
  const out = await lab.exec("h", argv, { timeoutMs: runBudgetMs(settings) });
  const to = clock.now();
  const m = FPING_LINE.exec(out.stderr);
  if (m === null) throw new Error(`fping failed (exit ${out.code}): ${out.stderr.trim()}`);
  const figures = m[1].trim().split(/\s+/);
  const rtts = new Map<number, { rtt: number; clock: string }>();
  const missing: string[] = [];
  figures.forEach((figure, i) => {
    // fping ends its RTT at an SO_TIMESTAMPNS receive stamp where it gets one, and starts it in user space.
    if (figure === "-") missing.push(`${i + 1}: no reply`);
    else rtts.set(i + 1, { rtt: Number(figure), clock: "rx" });
  });
  return { family, rtts, sent: figures.length, missing, from, to };
}

function runContestant(
  lab: Lab,
  settings: Settings,
  clock: Clock,
  family: 4 | 6,
  contestant: Contestant,
): Promise<RunResult> {
  if (contestant.tool === "iputils") return runIputils(lab, settings, clock, family);
  if (contestant.tool === "fping") return runFping(lab, settings, clock, family);
  return runMiniping(lab, settings, clock, family, contestant);
}

function runBudgetMs(settings: Settings): number {
  return settings.probes * settings.intervalMs + PROBE_TIMEOUT_MS + RUN_SLACK_MS;
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

// ---------------------------------------------------------------------------------------------------------------
// Phases: what surrounds the runs

/** Sets up a phase's condition and returns what undoes it. */
async function enterPhase(lab: Lab, phase: Phase, settings: Settings): Promise<AsyncDisposable> {
  if (phase === "stress") {
    // Bounded by its own timeout too, so a crash of this script cannot leave it running.
    const budgetS = Math.ceil(
      (settings.rounds * settings.families.length * (2 * settings.kinds.length + 2) * runBudgetMs(settings)) /
        MS_PER_S,
    );
    const child = lab.spawn("h", ["stress-ng", "--cpu", "2", "--timeout", `${budgetS}s`, "--quiet"]);
    await sleep(STRESS_SETTLE_MS);
    return {
      async [Symbol.asyncDispose]() {
        try {
          child.kill("SIGTERM");
        } catch {
          // Already gone.
        }
        await child.status;
      },
    };
  }
  if (phase === "relay") {
    return await startRelay(lab, { seed: 1, toward: { delay: settings.relayDelayMs } });
  }
  return { async [Symbol.asyncDispose]() {} };
}

// ---------------------------------------------------------------------------------------------------------------
// Matching tool figures to the wire

/** One probe a tool answered, next to its wire RTT. Both in µs. */
interface Pair {
  seq: number;
  tool: number;
  wire: number;
  clock: string;
  /** Time from the previous request of the run to this one on the wire, in ms; NaN for the first. */
  wireGap: number;
}

interface Matched {
  run: ToolRun;
  pairs: Pair[];
  /** Replies the tool reported that the wire cannot account for. */
  unmatched: number;
  /** Why the whole run was left out, if it was. */
  excluded?: string;
}

/**
 * The wire's probes of one run are the echo requests to the run's target captured inside its window; runs never
 * overlap and nothing else in h sends echo requests. iputils' `icmp_seq` is the wire's seq. miniping and fping put
 * their own identifiers and sequence numbers on the wire but send their probes in order, so the n-th request in the
 * window is probe n.
 */
function match(run: ToolRun, wire: WireProbe[]): Matched {
  const inWindow = wire
    .filter((p) => p.family === run.family && p.requestAt >= run.from && p.requestAt <= run.to)
    .sort((a, b) => a.requestAt - b.requestAt);
  if (inWindow.length !== run.sent && run.contestant.tool !== "iputils") {
    // Matching by order needs every request: a run the capture lost a packet of is left out, and said so.
    return {
      run,
      pairs: [],
      unmatched: run.rtts.size,
      excluded: `the tool sent ${run.sent} probes, the capture holds ${inWindow.length} requests in its window`,
    };
  }
  const bySeq = new Map<number, { probe: WireProbe; gap: number }>();
  inWindow.forEach((probe, i) => {
    const gap = i === 0 ? NaN : probe.requestAt - inWindow[i - 1].requestAt;
    bySeq.set(run.contestant.tool === "iputils" ? probe.seq : i + 1, { probe, gap });
  });
  const pairs: Pair[] = [];
  let unmatched = 0;
  for (const [seq, { rtt, clock }] of run.rtts) {
    const found = bySeq.get(seq);
    if (found === undefined || found.probe.replyAt === null) {
      unmatched++;
      continue;
    }
    pairs.push({
      seq,
      tool: rtt * US_PER_MS,
      wire: (found.probe.replyAt - found.probe.requestAt) * US_PER_MS,
      clock,
      wireGap: found.gap,
    });
  }
  return { run, pairs, unmatched };
}

// ---------------------------------------------------------------------------------------------------------------
// Figures and report

interface Row {
  phase: Phase;
  family: 4 | 6;
  contestant: Contestant;
  replies: number;
  sent: number;
  /** How many replies each clock label made. */
  clocks: Map<string, number>;
  meanBias: number;
  medianBias: number;
  spread: number;
  wireMedian: number;
  wireSpread: number;
  /** The first probe's error in each round that answered it, in round order. */
  firstErrors: number[];
  p99AbsError: number;
  belowWire: number;
  outliers: number;
  unmatched: number;
}

function sorted(values: number[]): number[] {
  return [...values].sort((a, b) => a - b);
}

/** p99 − p50 of already sorted values. */
function tailSpread(values: readonly number[]): number {
  return percentile(values, TAIL_QUANTILE) - percentile(values, MEDIAN_QUANTILE);
}

function summarize(phase: Phase, family: 4 | 6, contestant: Contestant, runs: Matched[]): Row {
  const pairs = runs.flatMap((m) => m.pairs);
  if (pairs.length === 0) {
    throw new Error(`${contestant.id} IPv${family} ${phase}: no reply could be matched to the wire`);
  }
  const errors = sorted(pairs.map((p) => p.tool - p.wire));
  const clocks = new Map<string, number>();
  for (const p of pairs) clocks.set(p.clock, (clocks.get(p.clock) ?? 0) + 1);
  return {
    phase,
    family,
    contestant,
    replies: pairs.length,
    sent: runs.reduce((n, m) => n + m.run.sent, 0),
    clocks,
    meanBias: mean(errors),
    medianBias: median(errors),
    spread: tailSpread(sorted(pairs.map((p) => p.tool))),
    wireMedian: median(sorted(pairs.map((p) => p.wire))),
    wireSpread: tailSpread(sorted(pairs.map((p) => p.wire))),
    firstErrors: runs.flatMap((m) => m.pairs.filter((p) => p.seq === 1).map((p) => p.tool - p.wire)),
    p99AbsError: percentile(sorted(errors.map(Math.abs)), TAIL_QUANTILE),
    belowWire: errors.filter((e) => e < 0).length,
    outliers: errors.filter((e) => Math.abs(e) > OUTLIER_US).length,
    unmatched: runs.reduce((n, m) => n + m.unmatched, 0),
  };
}

const us = (value: number) => (Number.isNaN(value) ? "–" : value.toFixed(1));
const count = (n: number, one: string, many = `${one}s`) => `${n} ${n === 1 ? one : many}`;
/** The value farthest from 0 (sign kept), NaN for none. */
const worst = (values: number[]) =>
  values.length === 0 ? NaN : values.reduce((w, v) => (Math.abs(v) > Math.abs(w) ? v : w));

function clockText(clocks: Map<string, number>): string {
  return [...clocks].sort((a, b) => b[1] - a[1]).map(([clock, n]) => `${clock} ${n}`).join(", ");
}

function table(rows: Row[]): string {
  const header = [
    "| IP | tool | replies | clocks | mean bias | median bias | p99 − p50 | wire p99 − p50 | first probe: median / " +
    "worst | p99 \\|tool − wire\\| | tool < wire | > 1 ms off |",
    "| -- | ---- | ------: | ------ | --------: | ----------: | --------: | -------------: | ------------------: | " +
    "-----------------: | ----------: | ---------: |",
  ];
  const lines = rows.map((r) =>
    `| v${r.family} | ${r.contestant.label} | ${r.replies}/${r.sent} | ${clockText(r.clocks)} | ${us(r.meanBias)} | ` +
    `${us(r.medianBias)} | ${us(r.spread)} | ${us(r.wireSpread)} | ` +
    `${us(median(sorted(r.firstErrors)))} / ${us(worst(r.firstErrors))} | ${us(r.p99AbsError)} | ${r.belowWire} | ` +
    `${r.outliers} |`
  );
  return [...header, ...lines].join("\n");
}

/** The issue's goal and floor for each default-mode miniping row, against iputils in the same phase and family. */
function goals(rows: Row[]): string[] {
  const out: string[] = [];
  for (const r of rows) {
    if (r.contestant.kernelTimestamps !== true) continue;
    const iputils = rows.find((o) => o.phase === r.phase && o.family === r.family && o.contestant.tool === "iputils");
    const firstWorst = Math.abs(worst(r.firstErrors));
    const checks = [
      `|mean bias| ${us(Math.abs(r.meanBias))} ${Math.abs(r.meanBias) <= GOAL_BIAS_US ? "≤" : ">"} ${GOAL_BIAS_US}`,
      `p99 − p50 ${us(r.spread)} ${r.spread <= r.wireSpread + GOAL_SPREAD_US ? "≤" : ">"} wire + ${GOAL_SPREAD_US} ` +
      `(${us(r.wireSpread + GOAL_SPREAD_US)})`,
      `worst first probe ${us(firstWorst)} ${firstWorst <= GOAL_BIAS_US ? "≤" : ">"} ${GOAL_BIAS_US}`,
    ];
    if (iputils !== undefined) {
      const floor = Math.abs(r.meanBias) <= Math.abs(iputils.meanBias);
      checks.push(`|mean bias| ${floor ? "≤" : ">"} iputils' ${us(Math.abs(iputils.meanBias))}`);
    }
    out.push(`- ${r.phase} v${r.family} ${r.contestant.label}: ${checks.join("; ")}.`);
  }
  return out;
}

/**
 * Every probe without a reply, and every probe a kernel-stamped figure put more than {@linkcode OUTLIER_US} off the
 * wire, named with its run and the wire's gap to the previous request.
 */
function faults(matched: Matched[], includeUserClock: boolean): string[] {
  const out: string[] = [];
  for (const m of matched) {
    const where = `${m.run.phase} IPv${m.run.family} round ${m.run.round + 1} ${m.run.contestant.id}`;
    if (m.excluded !== undefined) out.push(`- ${where}: left out: ${m.excluded}`);
    for (const missing of m.run.missing) out.push(`- ${where} probe ${missing}`);
    for (const p of m.pairs) {
      if (Math.abs(p.tool - p.wire) <= OUTLIER_US || (p.clock === "user" && !includeUserClock)) continue;
      out.push(
        `- ${where} probe ${p.seq}: tool ${us(p.tool)} µs, wire ${us(p.wire)} µs, ${p.clock} clock; ${
          Number.isNaN(p.wireGap)
            ? "the run's first request"
            : `on the wire ${p.wireGap.toFixed(3)} ms after the previous request`
        }`,
      );
    }
  }
  return out;
}

async function commandOutput(argv: string[]): Promise<string> {
  try {
    const out = await new Deno.Command(argv[0], { args: argv.slice(1), stdout: "piped", stderr: "piped" }).output();
    const text = new TextDecoder().decode(out.stdout) + new TextDecoder().decode(out.stderr);
    return text.split("\n")[0].trim();
  } catch {
    return "unknown";
  }
}

async function machine(): Promise<string> {
  let cpu = "unknown CPU";
  try {
    cpu = /^model name\s*:\s*(.+)$/m.exec(await Deno.readTextFile("/proc/cpuinfo"))?.[1] ?? cpu;
  } catch {
    // Not Linux, or /proc hidden: the model is only informative.
  }
  const versions = await Promise.all([
    commandOutput(["ping", "-V"]),
    commandOutput(["fping", "-v"]),
    commandOutput(["tcpdump", "--version"]),
    commandOutput(["stress-ng", "--version"]),
  ]);
  return `${navigator.hardwareConcurrency} × ${cpu}, Linux ${Deno.osRelease()}, Deno ${Deno.version.deno}, ` +
    versions.join(", ");
}

const PHASE_TITLES: Record<Phase, (settings: Settings) => string> = {
  base: () => "Base path (h → r1 → r2 → r3 → t)",
  stress: () => "Base path under `stress-ng --cpu 2`",
  relay: (s) => `Delayed path: TUN relay in r2 holding each echo request ${s.relayDelayMs} ms`,
};

function report(
  settings: Settings,
  rows: Row[],
  matched: Matched[],
  info: { machine: string; date: string; dropped: number | null; elapsedS: number; command: string },
): string {
  const unmatched = rows.reduce((n, r) => n + r.unmatched, 0);
  const sections = settings.phases.flatMap((phase) => [
    `#### ${PHASE_TITLES[phase](settings)}`,
    "",
    table(rows.filter((r) => r.phase === phase)),
    "",
  ]);
  return [
    `Run of ${info.date}, ${info.elapsedS.toFixed(0)} s: \`${info.command}\``,
    "",
    `Machine: ${info.machine}.`,
    "",
    `${settings.rounds} round(s) × ${settings.probes} probes at ${settings.intervalMs} ms per tool, family and ` +
    "phase, tools alternating order each round. All figures in µs, pooled over the rounds; bias = tool − wire " +
    "for the same probe, the wire being tcpdump's capture stamps on h's interface. Clocks: miniping's own label " +
    "per reply (`kernel`: kernel transmit and receive stamps, `rx`: kernel receive stamp and a user-space send " +
    "stamp, `user`: user space at both ends); iputils and fping are `rx` tools (user-space send stamp, kernel " +
    "receive stamp), both print 1 µs steps below 1 ms and 10 µs steps from 1 to 10 ms (iputils truncates, fping " +
    "rounds). First probe: each round's probe 1. " +
    `tcpdump dropped ${info.dropped === null ? "an unknown number of packets" : count(info.dropped, "packet")}; ` +
    `${count(unmatched, "reply", "replies")} could not be matched to the wire.`,
    "",
    ...sections,
    "Against the issue's goal (mean bias ≤ 5 µs, p99 − p50 ≤ the wire's + 10 µs, first probe within 5 µs) and floor " +
    "(mean bias ≤ iputils'):",
    "",
    ...goals(rows),
    ...reportFaults(matched),
  ].join("\n");
}

function reportFaults(matched: Matched[]): string[] {
  const list = faults(matched, false);
  if (list.length === 0) return [];
  return [
    "",
    `Probes without a reply, and figures with a kernel stamp more than ${OUTLIER_US / US_PER_MS} ms off the wire:`,
    "",
    ...list,
  ];
}

/** Replaces the generated block under the section heading, creating the file, section or block when missing. */
async function writeBenchmarks(block: string): Promise<void> {
  let text: string;
  try {
    text = await Deno.readTextFile(BENCHMARKS_PATH);
  } catch (error) {
    if (!(error instanceof Deno.errors.NotFound)) throw error;
    text = "# Benchmarks\n";
  }
  const generated = `${BEGIN_MARKER}\n\n${block}\n\n${END_MARKER}`;
  const begin = text.indexOf(BEGIN_MARKER);
  const end = text.indexOf(END_MARKER);
  if (begin !== -1 && end > begin) {
    text = text.slice(0, begin) + generated + text.slice(end + END_MARKER.length);
  } else if (text.includes(`\n${SECTION_HEADING}\n`)) {
    const start = text.indexOf(`\n${SECTION_HEADING}\n`) + SECTION_HEADING.length + 2;
    text = `${text.slice(0, start)}\n${generated}\n${text.slice(start)}`;
  } else {
    text = `${text.trimEnd()}\n\n${SECTION_HEADING}\n\n${generated}\n`;
  }
  await Deno.writeTextFile(BENCHMARKS_PATH, text);
  // The repository's check runs `deno fmt --check`, which wants the tables aligned.
  const formatted = await new Deno.Command(Deno.execPath(), { args: ["fmt", "--quiet", BENCHMARKS_PATH] }).output();
  if (formatted.code !== 0) {
    throw new Error(`deno fmt ${BENCHMARKS_PATH} failed: ${new TextDecoder().decode(formatted.stderr)}`);
  }
}

// ---------------------------------------------------------------------------------------------------------------

async function main(): Promise<void> {
  const settings = parseSettings(Deno.args);
  const available = await labAvailability();
  if (!available.ok) {
    console.error(`Cannot run the benchmark: the namespace lab is unavailable: ${available.reason}`);
    Deno.exit(1);
  }
  const started = performance.now();
  const clock = new Clock();
  const runs: ToolRun[] = [];
  const tools = contestants(settings.kinds);
  let wire: WireProbe[];
  let dropped: number | null;
  {
    await using lab = await Lab.create({ name: "bench" });
    const capture = await Capture.start(lab);
    try {
      for (const phase of settings.phases) {
        await using _condition = await enterPhase(lab, phase, settings);
        for (let round = 0; round < settings.rounds; round++) {
          // Reversing every other round puts each tool as often early as late, so slow drift cancels.
          const order = round % 2 === 0 ? [...tools] : [...tools].reverse();
          for (const family of settings.families) {
            for (const contestant of order) {
              const run = await runContestant(lab, settings, clock, family, contestant);
              runs.push({ ...run, contestant, phase, round });
              console.error(
                `${phase} round ${round + 1}/${settings.rounds} IPv${family} ${contestant.id}: ` +
                  `${run.rtts.size}/${run.sent} replies`,
              );
              await sleep(INTER_RUN_GAP_MS);
            }
          }
        }
      }
      await sleep(CAPTURE_DRAIN_MS);
    } finally {
      const captured = await capture.stop();
      wire = parseCapture(captured.text, clock, { 4: lab.addresses.target4, 6: lab.addresses.target6 });
      dropped = captured.dropped;
    }
  }
  const matched = runs.map((run) => match(run, wire));
  const rows: Row[] = [];
  for (const phase of settings.phases) {
    for (const family of settings.families) {
      for (const contestant of tools) {
        const mine = matched.filter((m) =>
          m.run.phase === phase && m.run.family === family && m.run.contestant.id === contestant.id
        );
        rows.push(summarize(phase, family, contestant, mine));
      }
    }
  }
  const command = ["deno run -A bench/accuracy.ts", ...Deno.args].join(" ");
  for (const line of faults(matched, true)) console.error(line);
  const block = report(settings, rows, matched, {
    machine: await machine(),
    date: new Date().toISOString().replace(/\.\d+Z$/, "Z"),
    dropped,
    elapsedS: (performance.now() - started) / MS_PER_S,
    command,
  });
  console.log(block);
  if (settings.write) {
    await writeBenchmarks(block);
    console.error(`Wrote ${BENCHMARKS_PATH}`);
  }
}

if (import.meta.main) await main();
