/**
 * `miniping`'s output as pure functions of probe events and results: the
 * human lines (iputils-like), the `-j` document and the `--ndjson` lines.
 *
 * @module
 */
import type { ProbeEvent } from "../ping.ts";
import type { PingResultJson } from "../ping_result.ts";

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

/** The human line for one probe event. */
export function eventLine(event: ProbeEvent): Line {
  switch (event.type) {
    case "reply":
    case "duplicate": {
      const ttl = event.ttl === null ? "" : ` ttl=${event.ttl}`;
      const text = `${event.bytes} bytes from ${event.from}: ` +
        `icmp_seq=${event.seq}${ttl} time=${formatMs(event.rtt)} ms`;
      return event.type === "reply" ? { text } : { text: `${text} (DUP!)`, tone: "warn" };
    }
    case "timeout":
      return { text: `Request timeout for icmp_seq=${event.seq}`, tone: "warn" };
    case "error":
      // A null source means the local stack refused the send (no router).
      return {
        text: event.from === null
          ? `Local error icmp_seq=${event.seq}: ${event.message}`
          : `From ${event.from} icmp_seq=${event.seq} ${event.message}`,
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

/** The `-j` document: the result as indented JSON. */
export function jsonDocument(result: PingResultJson): string {
  return JSON.stringify(result, null, 2);
}

/** One `--ndjson` line (without the newline) for a probe event. */
export function ndjsonEvent(event: ProbeEvent): string {
  return JSON.stringify(event);
}

/** The final `--ndjson` line: `{"type":"summary", …result}`. */
export function ndjsonSummary(result: PingResultJson): string {
  return JSON.stringify({ type: "summary", ...result });
}
