/**
 * `miniping`'s output as pure functions of probe events and results: the
 * human lines (iputils-like), the `-j` document and the `--ndjson` lines.
 *
 * @module
 */
import type { ProbeEvent } from "../ping.ts";
import type { PingResultJson } from "../ping_result.ts";

/** How one probe of a run ended, for `-j`'s `probes` list. */
export interface ProbeOutcome {
  /** Probe number, 1 for the first. */
  seq: number;
  /** The ICMP sequence number on the wire. */
  icmpSeq: number;
  /** What happened. */
  outcome: "reply" | "timeout" | "error";
  /** RTT in ms, for a reply. */
  rtt?: number;
  /** The ICMP error or send failure, for an error. */
  message?: string;
}

/** Turns an event into its `-j` probe outcome; `null` for a duplicate (already counted by its probe). */
export function probeOutcome(event: ProbeEvent): ProbeOutcome | null {
  if (event.type === "duplicate") return null;
  const outcome: ProbeOutcome = { seq: event.seq, icmpSeq: event.icmpSeq, outcome: event.type };
  if (event.type === "reply") outcome.rtt = event.rtt;
  if (event.type === "error") outcome.message = event.message;
  return outcome;
}

/**
 * How a human line is coloured: `good` (no loss), `warn` (duplicates,
 * timeouts, partial loss), `bad` (ICMP errors, total loss).
 */
export type Tone = "good" | "warn" | "bad";

/** One human output line. */
export interface Line {
  /** The text, without a newline. */
  text: string;
  /** Colour, when the line has one. */
  tone?: Tone;
}

/** CSS for `console.log("%c…")`; Deno turns it into ANSI on a terminal only. */
export const TONE_CSS: Readonly<Record<Tone, string>> = {
  good: "color: green",
  warn: "color: yellow",
  bad: "color: red",
};

/** Milliseconds are shown with this many decimals (microsecond resolution). */
export const MS_DECIMALS = 3;
/** Significant digits of the loss percentage, as iputils' `%g`. */
const LOSS_SIGNIFICANT_DIGITS = 6;

/** Formats milliseconds with three decimals: `0.045`. */
export function formatMs(ms: number): string {
  return ms.toFixed(MS_DECIMALS);
}

/** Formats a loss percentage without trailing zeros: `25`, `33.3333`. */
export function formatLoss(loss: number): string {
  return String(Number(loss.toPrecision(LOSS_SIGNIFICANT_DIGITS)));
}

/**
 * The line printed before the first probe.
 *
 * @param host The host as typed.
 * @param address The address being probed.
 * @param size Payload bytes.
 */
export function headerLine(host: string, address: string, size: number): Line {
  return { text: `PING ${host} (${address}): ${size} data bytes` };
}

/** The sequence number a line shows: the one on the wire, which tcpdump and firewall logs show. */
export function wireSeq(event: ProbeEvent): number {
  return event.icmpSeq;
}

/** Extras of a human probe line. */
export interface EventLineOptions {
  /** `-D`: prefix the event's time (ms epoch) as iputils' `[seconds.micros]`. */
  timestamp?: number;
  /** `-a`: ring the terminal bell before a reply. */
  bell?: boolean;
}

const BELL = "\x07";
const MICROS_DECIMALS = 6;

/** iputils' `-D` prefix: `[1700000000.123456] `. */
export function timestampPrefix(ms: number): string {
  return `[${(ms / 1000).toFixed(MICROS_DECIMALS)}] `;
}

/** The human line for one probe event, iputils' wording. */
export function eventLine(event: ProbeEvent, options: EventLineOptions = {}): Line {
  const line = bareEventLine(event);
  const prefix = options.timestamp === undefined ? "" : timestampPrefix(options.timestamp);
  const bell = options.bell && event.type === "reply" ? BELL : "";
  return { ...line, text: `${bell}${prefix}${line.text}` };
}

function bareEventLine(event: ProbeEvent): Line {
  const seq = wireSeq(event);
  switch (event.type) {
    case "reply":
    case "duplicate": {
      const ttl = event.ttl === null ? "" : ` ttl=${event.ttl}`;
      const text = `${event.bytes} bytes from ${event.from}: ` +
        `icmp_seq=${seq}${ttl} time=${formatMs(event.rtt)} ms`;
      return event.type === "reply" ? { text } : { text: `${text} (DUP!)`, tone: "warn" };
    }
    case "timeout":
      return { text: `Request timeout for icmp_seq=${seq}`, tone: "warn" };
    case "error":
      // A null source means the local stack refused the send (no router).
      return {
        text: event.from === null
          ? `Local error icmp_seq=${seq}: ${event.message}`
          : `From ${event.from} icmp_seq=${seq} ${event.message}`,
        tone: "bad",
      };
  }
}

/** Extra data for {@linkcode summaryLines}. */
export interface SummaryOptions {
  /** Wall time of the run in ms, shown as iputils' `time`; omitted when unset. */
  elapsed?: number;
  /** Append the RTT list. */
  showRtts?: boolean;
}

function plural(count: number, word: string): string {
  return `${count} ${word}${count === 1 ? "" : "s"}`;
}

/** The human summary: statistics header, counts, RTT figures, TTL line. */
export function summaryLines(
  result: PingResultJson,
  options: SummaryOptions = {},
): Line[] {
  const counts = [
    `${result.sent} packets transmitted`,
    `${result.received} received`,
  ];
  // As iputils: the rarer counters appear only when non-zero.
  if (result.duplicates > 0) counts.push(`+${result.duplicates} duplicates`);
  if (result.corrupted > 0) counts.push(`+${result.corrupted} corrupted`);
  if (result.errors > 0) counts.push(`+${result.errors} errors`);
  counts.push(`${formatLoss(result.loss)}% packet loss`);
  if (options.elapsed !== undefined) {
    counts.push(`time ${Math.round(options.elapsed)}ms`);
  }
  const lines: Line[] = [
    // iputils sets the summary off from the probe lines with an empty line.
    { text: "" },
    { text: `--- ${result.host} ping statistics ---` },
    {
      text: counts.join(", "),
      tone: result.received === 0 ? "bad" : result.received < result.sent ? "warn" : "good",
    },
  ];
  const { min, mean, max, median, p95 } = result;
  if (
    min !== null && mean !== null && max !== null && median !== null &&
    p95 !== null
  ) {
    const figures = [min, mean, max, median, p95, result.jitter].map(formatMs);
    lines.push({
      text: `rtt min/avg/max/median/p95/jitter = ${figures.join("/")} ms`,
    });
  }
  if (result.ttl !== null) {
    const parts = [
      `${result.family === 6 ? "hop limit" : "ttl"} ${result.ttl}`,
    ];
    if (result.hops !== null) parts.push(`≈ ${plural(result.hops, "hop")}`);
    if (result.osGuess !== null) parts.push(`OS guess ${result.osGuess}`);
    lines.push({ text: parts.join(", ") });
  }
  if (options.showRtts) {
    const list = result.rtts.length === 0 ? "none" : `${result.rtts.map(formatMs).join(" ")} ms`;
    lines.push({ text: `rtts: ${list}` });
  }
  return lines;
}

const MICROS_PER_MS = 1000;

/**
 * `JSON.stringify`'s replacer for every machine output: fractional numbers are rounded to three decimals, which is
 * the microsecond for times in ms (a float's 16 digits would promise precision no clock here has).
 */
export function roundNumbers(_key: string, value: unknown): unknown {
  return typeof value === "number" && !Number.isInteger(value)
    ? Math.round(value * MICROS_PER_MS) / MICROS_PER_MS
    : value;
}

/** `-j`'s object for one host: the result, then each probe's outcome (so lost probes show). */
export function jsonResult(result: PingResultJson, probes: readonly ProbeOutcome[]): Record<string, unknown> {
  return { ...result, probes };
}

/** The `-j` document: indented JSON, numbers rounded to the microsecond. */
export function jsonDocument(document: unknown): string {
  return JSON.stringify(document, roundNumbers, 2);
}

/** One `--ndjson` line (without the newline) for a probe event. */
export function ndjsonEvent(event: ProbeEvent): string {
  return JSON.stringify(event, roundNumbers);
}

/** A `--ndjson` summary line: `{"type":"summary", …result}`. */
export function ndjsonSummary(result: PingResultJson): string {
  return JSON.stringify({ type: "summary", ...result }, roundNumbers);
}
