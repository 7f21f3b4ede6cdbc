/**
 * RTT accuracy benchmark: miniping (kernel receive stamps, then user-space clock only) beside iputils `ping`, all
 * run one after another in the namespace lab's host h towards its target t, while `tcpdump` in h records every echo
 * request and reply with the kernel's capture stamps. The wire RTT of a probe (reply stamp minus request stamp, as
 * seen at h) is the truth each tool's figure for that same probe is compared with.
 *
 * A script, not a test. Run as root from the repository root:
 *
 * ```sh
 * deno run -A bench/accuracy.ts [--probes 200] [--interval 20] [--rounds 3] [--families 4,6] [--socket auto]
 *                               [--no-write]
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
import { median, percentile } from "../stats/summary.ts";

// ---------------------------------------------------------------------------------------------------------------
// Settings

const DEFAULT_PROBES = 200;
const DEFAULT_INTERVAL_MS = 20;
const DEFAULT_ROUNDS = 3;
const DEFAULT_FAMILIES = "4,6";
const SOCKET_KINDS = ["auto", "raw", "datagram"] as const;
type SocketKind = typeof SOCKET_KINDS[number];

/** Per-probe reply timeout handed to both tools; the lab answers in well under a millisecond. */
const PROBE_TIMEOUT_MS = 1_000;
/** Room for a child's start-up (Deno compiles the fixture) on top of its probes' own schedule. */
const RUN_SLACK_MS = 30_000;
/** How long tcpdump may take to say it is listening. */
const CAPTURE_START_TIMEOUT_MS = 10_000;
/** Quiet time after the last run so its final replies are surely captured before tcpdump stops. */
const CAPTURE_DRAIN_MS = 200;
/** Quiet time between runs, so no run's stragglers fall into the next run's window. */
const INTER_RUN_GAP_MS = 50;

const TAIL_QUANTILE = 0.99;
const MEDIAN_QUANTILE = 0.5;
const US_PER_MS = 1_000;
const MS_PER_S = 1_000;
const NS_PER_MS = 1e6;
/** A probe whose figure is this far off the wire (µs) is listed by name: it is a fault, not noise. */
const OUTLIER_US = 1_000;
/** iputils prints sub-millisecond times with three decimals: a 1 µs step. */
const IPUTILS_RESOLUTION_US = 1;

const CHILD_PATH = fileURLToPath(new URL("../tests/fixtures/ping_child.ts", import.meta.url));
const BENCHMARKS_PATH = fileURLToPath(new URL("../BENCHMARKS.md", import.meta.url));
const SECTION_HEADING = "## RTT accuracy";
const BEGIN_MARKER = "<!-- rtt-accuracy:begin (written by bench/accuracy.ts; edits inside are overwritten) -->";
const END_MARKER = "<!-- rtt-accuracy:end -->";

/** The three contestants, in the order of an even round. */
const TOOLS = ["miniping-kernel", "miniping-user", "iputils"] as const;
type Tool = typeof TOOLS[number];

const TOOL_LABELS: Record<Tool, string> = {
  "miniping-kernel": "miniping, kernel stamp",
  "miniping-user": "miniping, `kernelTimestamps: false`",
  "iputils": "iputils `ping`",
};

interface Settings {
  probes: number;
  intervalMs: number;
  rounds: number;
  families: (4 | 6)[];
  socket: SocketKind;
  write: boolean;
}

function positiveInteger(name: string, text: string): number {
  const value = Number(text);
  if (!Number.isInteger(value) || value < 1) {
    throw new RangeError(`Cannot run the benchmark: ${name} must be an integer ≥ 1, got ${text}`);
  }
  return value;
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
      socket: { type: "string", default: "auto" },
      write: { type: "boolean", default: true },
    },
  });
  const intervalMs = Number(values.interval);
  if (!(intervalMs > 0) || !Number.isFinite(intervalMs)) {
    throw new RangeError(`Cannot run the benchmark: interval must be a number of ms > 0, got ${values.interval}`);
  }
  const families = values.families.split(",").map((part) => {
    if (part !== "4" && part !== "6") {
      throw new RangeError(`Cannot run the benchmark: families must list 4 and/or 6, got ${values.families}`);
    }
    return Number(part) as 4 | 6;
  });
  if (!(SOCKET_KINDS as readonly string[]).includes(values.socket)) {
    throw new RangeError(
      `Cannot run the benchmark: socket must be ${SOCKET_KINDS.join(", ")}, got ${JSON.stringify(values.socket)}`,
    );
  }
  return {
    probes: positiveInteger("probes", values.probes),
    intervalMs,
    rounds: positiveInteger("rounds", values.rounds),
    families: [...new Set(families)],
    socket: values.socket as SocketKind,
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

/** tcpdump running in h; {@linkcode Capture.stop} ends it and hands back what it saw. */
class Capture {
  readonly #child: Deno.ChildProcess;
  readonly #stdout: Promise<string>;
  #stderr = "";
  readonly #stderrDone: Promise<void>;

  private constructor(child: Deno.ChildProcess) {
    this.#child = child;
    this.#stdout = new Response(child.stdout).text();
    this.#stderrDone = (async () => {
      for await (const chunk of child.stderr.pipeThrough(new TextDecoderStream())) this.#stderr += chunk;
    })();
  }

  static async start(lab: Lab): Promise<Capture> {
    const child = lab.spawn("h", [
      "tcpdump",
      "-i",
      "any",
      "-n",
      "-tt",
      "--time-stamp-precision=nano",
      "--immediate-mode",
      "-l",
      "icmp[icmptype] == icmp-echo or icmp[icmptype] == icmp-echoreply or " +
      "icmp6[icmp6type] == icmp6-echo or icmp6[icmp6type] == icmp6-echoreply",
    ], { stdout: "piped", stderr: "piped" });
    const capture = new Capture(child);
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

  /** Stops tcpdump (safe to call twice) and returns its output and how many packets the kernel dropped. */
  async stop(): Promise<{ text: string; dropped: number | null }> {
    try {
      this.#child.kill("SIGTERM");
    } catch {
      // Already gone.
    }
    await this.#child.status;
    const [text] = await Promise.all([this.#stdout, this.#stderrDone]);
    const dropped = DROPPED_LINE.exec(this.#stderr);
    return { text, dropped: dropped === null ? null : Number(dropped[1]) };
  }
}

// ---------------------------------------------------------------------------------------------------------------
// The tools

/** One tool's run: its per-probe RTTs keyed by its own probe number, and when it ran. */
interface ToolRun {
  tool: Tool;
  family: 4 | 6;
  round: number;
  /** Probe number (miniping `seq`, iputils `icmp_seq`) → RTT in ms and the clock that ended it. */
  rtts: Map<number, { rtt: number; clock: "kernel" | "user" }>;
  sent: number;
  /** Probes that got no reply, as `seq: what happened`. */
  missing: string[];
  /** Window on the {@linkcode Clock} scale that contains every packet of the run. */
  from: number;
  to: number;
}

interface ChildEvent {
  type: string;
  seq: number;
  rtt?: number;
  clock?: "kernel" | "user";
  message?: string;
}

interface ChildOutput {
  result: { sent: number } | null;
  events: ChildEvent[];
  error: { name: string; message: string } | null;
}

async function runMiniping(
  lab: Lab,
  settings: Settings,
  clock: Clock,
  family: 4 | 6,
  kernelTimestamps: boolean,
): Promise<Omit<ToolRun, "tool" | "round">> {
  const host = family === 4 ? lab.addresses.target4 : lab.addresses.target6;
  const request = {
    host,
    options: {
      count: settings.probes,
      interval: settings.intervalMs,
      timeout: PROBE_TIMEOUT_MS,
      family,
      socket: settings.socket,
      kernelTimestamps,
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
  const rtts = new Map<number, { rtt: number; clock: "kernel" | "user" }>();
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

async function runIputils(
  lab: Lab,
  settings: Settings,
  clock: Clock,
  family: 4 | 6,
): Promise<Omit<ToolRun, "tool" | "round">> {
  const host = family === 4 ? lab.addresses.target4 : lab.addresses.target6;
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
    host,
  ];
  const from = clock.now();
  const out = await lab.exec("h", argv, { timeoutMs: runBudgetMs(settings) });
  const to = clock.now();
  const sent = IPUTILS_SENT.exec(out.stdout);
  if (sent === null) {
    throw new Error(`iputils ping failed (exit ${out.code}): ${out.stderr.trim()}`);
  }
  const rtts = new Map<number, { rtt: number; clock: "kernel" | "user" }>();
  for (const line of out.stdout.split("\n")) {
    const m = IPUTILS_LINE.exec(line);
    // iputils ends its RTT at the socket's SO_TIMESTAMP receive stamp.
    if (m !== null) rtts.set(Number(m[1]), { rtt: Number(m[2]), clock: "kernel" });
  }
  const missing: string[] = [];
  for (let seq = 1; seq <= Number(sent[1]); seq++) {
    if (!rtts.has(seq)) missing.push(`${seq}: no reply printed`);
  }
  return { family, rtts, sent: Number(sent[1]), missing, from, to };
}

function runBudgetMs(settings: Settings): number {
  return settings.probes * settings.intervalMs + PROBE_TIMEOUT_MS + RUN_SLACK_MS;
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

// ---------------------------------------------------------------------------------------------------------------
// Matching tool figures to the wire

/** One probe a tool answered, next to its wire RTT. Both in µs. */
interface Pair {
  seq: number;
  tool: number;
  wire: number;
  kernelClock: boolean;
  /** Time from the previous request of the run to this one on the wire, in ms; NaN for the first. */
  wireGap: number;
}

interface Matched {
  run: ToolRun;
  pairs: Pair[];
  /** Replies the tool reported that the wire cannot account for. */
  unmatched: number;
}

/**
 * The wire's probes of one run are the echo requests to the run's target captured inside its window; runs never
 * overlap and nothing else in h sends echo requests. iputils' `icmp_seq` is the wire's seq. miniping puts a random
 * key on the wire, but sends its probes in `seq` order, so its n-th request in the window is its probe n.
 */
function match(run: ToolRun, wire: WireProbe[]): Matched {
  const inWindow = wire
    .filter((p) => p.family === run.family && p.requestAt >= run.from && p.requestAt <= run.to)
    .sort((a, b) => a.requestAt - b.requestAt);
  if (inWindow.length !== run.sent) {
    throw new Error(
      `${run.tool} IPv${run.family} round ${run.round}: the tool sent ${run.sent} probes but the capture holds ` +
        `${inWindow.length} requests in its window`,
    );
  }
  const bySeq = new Map<number, { probe: WireProbe; gap: number }>();
  inWindow.forEach((probe, i) => {
    const gap = i === 0 ? NaN : probe.requestAt - inWindow[i - 1].requestAt;
    bySeq.set(run.tool === "iputils" ? probe.seq : i + 1, { probe, gap });
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
      kernelClock: clock === "kernel",
      wireGap: found.gap,
    });
  }
  return { run, pairs, unmatched };
}

// ---------------------------------------------------------------------------------------------------------------
// Figures and report

interface Row {
  family: 4 | 6;
  tool: Tool;
  replies: number;
  sent: number;
  kernelStamped: number;
  median: number;
  spread: number;
  roundMedians: number[];
  wireMedian: number;
  wireSpread: number;
  medianError: number;
  medianAbsError: number;
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

function summarize(family: 4 | 6, tool: Tool, runs: Matched[]): Row {
  const pairs = runs.flatMap((m) => m.pairs);
  if (pairs.length === 0) {
    throw new Error(`${tool} IPv${family}: no reply could be matched to the wire`);
  }
  const toolRtts = sorted(pairs.map((p) => p.tool));
  const wire = sorted(pairs.map((p) => p.wire));
  const errors = sorted(pairs.map((p) => p.tool - p.wire));
  const absErrors = sorted(errors.map(Math.abs));
  return {
    family,
    tool,
    replies: pairs.length,
    sent: runs.reduce((n, m) => n + m.run.sent, 0),
    kernelStamped: pairs.filter((p) => p.kernelClock).length,
    median: median(toolRtts),
    spread: tailSpread(toolRtts),
    roundMedians: runs.filter((m) => m.pairs.length > 0).map((m) => median(sorted(m.pairs.map((p) => p.tool)))),
    wireMedian: median(wire),
    wireSpread: tailSpread(wire),
    medianError: median(errors),
    medianAbsError: median(absErrors),
    p99AbsError: percentile(absErrors, TAIL_QUANTILE),
    belowWire: errors.filter((e) => e < 0).length,
    outliers: absErrors.filter((e) => e > OUTLIER_US).length,
    unmatched: runs.reduce((n, m) => n + m.unmatched, 0),
  };
}

const us = (value: number) => value.toFixed(1);
const count = (n: number, one: string, many = `${one}s`) => `${n} ${n === 1 ? one : many}`;

function table(rows: Row[]): string {
  const header = [
    "| IP | tool | replies | median RTT | p99 − p50 | wire median | wire p99 − p50 | median tool − wire | " +
    "median \\|tool − wire\\| | p99 \\|tool − wire\\| | tool < wire | > 1 ms off | round medians |",
    "| -- | ---- | ------: | ---------: | --------: | ----------: | -------------: | -----------------: | " +
    "--------------------: | -----------------: | ----------: | ---------: | ------------- |",
  ];
  const lines = rows.map((r) =>
    `| v${r.family} | ${TOOL_LABELS[r.tool]} | ${r.replies}/${r.sent} | ${us(r.median)} | ${us(r.spread)} | ` +
    `${us(r.wireMedian)} | ${us(r.wireSpread)} | ${us(r.medianError)} | ${us(r.medianAbsError)} | ` +
    `${us(r.p99AbsError)} | ${r.belowWire} | ${r.outliers} | ${r.roundMedians.map((m) => m.toFixed(0)).join(" / ")} |`
  );
  return [...header, ...lines].join("\n");
}

/**
 * Every probe without a reply, and every probe a kernel-stamped tool put more than {@linkcode OUTLIER_US} off the
 * wire, named with its run and the wire's gap to the previous request (a late request means the stall came between
 * the tool's send stamp and the packet leaving, a punctual one that the figure itself is wrong).
 */
function faults(matched: Matched[], includeUserClock: boolean): string[] {
  const out: string[] = [];
  for (const m of matched) {
    const where = `IPv${m.run.family} round ${m.run.round + 1} ${m.run.tool}`;
    for (const missing of m.run.missing) out.push(`- ${where} probe ${missing}`);
    for (const p of m.pairs) {
      if (Math.abs(p.tool - p.wire) <= OUTLIER_US || (!p.kernelClock && !includeUserClock)) continue;
      out.push(
        `- ${where} probe ${p.seq}: tool ${us(p.tool)} µs, wire ${us(p.wire)} µs, ${
          p.kernelClock ? "kernel" : "user"
        } clock; ${
          Number.isNaN(p.wireGap)
            ? "the run's first request"
            : `on the wire ${p.wireGap.toFixed(3)} ms after the previous request`
        }`,
      );
    }
  }
  return out;
}

/** The user-clock error divided by the kernel-stamp error, per family: how much the kernel stamp removes. */
function ratios(rows: Row[]): string[] {
  const out: string[] = [];
  for (const family of new Set(rows.map((r) => r.family))) {
    const find = (tool: Tool) => rows.find((r) => r.family === family && r.tool === tool);
    const kernel = find("miniping-kernel");
    const user = find("miniping-user");
    const iputils = find("iputils");
    if (kernel === undefined || user === undefined || iputils === undefined) continue;
    out.push(
      `- IPv${family}: median |tool − wire| user clock / kernel stamp = ` +
        `${(user.medianAbsError / kernel.medianAbsError).toFixed(2)}×, p99 ` +
        `${(user.p99AbsError / kernel.p99AbsError).toFixed(2)}×; miniping kernel / iputils median |tool − wire| = ` +
        `${(kernel.medianAbsError / iputils.medianAbsError).toFixed(2)}×; ` +
        `p99 − p50 miniping kernel / iputils = ${(kernel.spread / iputils.spread).toFixed(2)}×.`,
    );
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
  const iputils = await commandOutput(["ping", "-V"]);
  const tcpdump = await commandOutput(["tcpdump", "--version"]);
  return `${navigator.hardwareConcurrency} × ${cpu}, Linux ${Deno.osRelease()}, Deno ${Deno.version.deno}, ` +
    `${iputils}, ${tcpdump}`;
}

function report(
  settings: Settings,
  rows: Row[],
  matched: Matched[],
  info: { machine: string; date: string; dropped: number | null; elapsedS: number; command: string },
): string {
  const unmatched = rows.reduce((n, r) => n + r.unmatched, 0);
  const fallbacks = rows.filter((r) => r.tool === "miniping-kernel" && r.kernelStamped < r.replies);
  return [
    `Run of ${info.date}, ${info.elapsedS.toFixed(0)} s: \`${info.command}\``,
    "",
    `Machine: ${info.machine}.`,
    "",
    `${settings.rounds} round(s) × ${settings.probes} probes at ${settings.intervalMs} ms per tool and family, ` +
    `tools alternating order each round; miniping socket \`${settings.socket}\`. All figures in µs, pooled over ` +
    'the rounds; "wire" is tcpdump\'s capture stamps at h for the same probes; "tool < wire" counts probes a ' +
    `tool reported faster than the wire; iputils prints whole µs (${IPUTILS_RESOLUTION_US} µs steps). ` +
    `tcpdump dropped ${info.dropped === null ? "an unknown number of packets" : count(info.dropped, "packet")}; ` +
    `${count(unmatched, "reply", "replies")} could not be matched to the wire.` +
    (fallbacks.length === 0
      ? ""
      : ` miniping fell back to the user clock on ${
        fallbacks.map((r) => `${r.replies - r.kernelStamped} IPv${r.family}`).join(" and ")
      } replies despite kernelTimestamps.`),
    "",
    table(rows),
    "",
    ...ratios(rows),
    ...reportFaults(matched),
  ].join("\n");
}

function reportFaults(matched: Matched[]): string[] {
  const list = faults(matched, false);
  if (list.length === 0) return [];
  return [
    "",
    `Probes without a reply, and kernel-stamped figures more than ${OUTLIER_US / US_PER_MS} ms off the wire:`,
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
  let wire: WireProbe[];
  let dropped: number | null;
  {
    await using lab = await Lab.create({ name: "bench" });
    const capture = await Capture.start(lab);
    try {
      for (let round = 0; round < settings.rounds; round++) {
        // Reversing every other round puts each tool as often early as late, so slow drift cancels.
        const order = round % 2 === 0 ? [...TOOLS] : [...TOOLS].reverse();
        for (const family of settings.families) {
          for (const tool of order) {
            const run = tool === "iputils"
              ? await runIputils(lab, settings, clock, family)
              : await runMiniping(lab, settings, clock, family, tool === "miniping-kernel");
            runs.push({ ...run, tool, round });
            console.error(
              `round ${round + 1}/${settings.rounds} IPv${family} ${tool}: ${run.rtts.size}/${run.sent} replies`,
            );
            await sleep(INTER_RUN_GAP_MS);
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
  for (const family of settings.families) {
    for (const tool of TOOLS) {
      rows.push(summarize(family, tool, matched.filter((m) => m.run.family === family && m.run.tool === tool)));
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
