/**
 * fping mode's output as pure functions: a probe line that names its host, the per-host summary table in aligned
 * columns, the progress line, and the `-j` entry of a target that could not be pinged.
 *
 * @module
 */
import type { ProbeEvent } from "../ping.ts";
import type { PingResultJson } from "../ping_result.ts";
import { formatLoss, formatMs, type Line, timestampPrefix, wireSeq } from "./format.ts";

/** fping's probe line: `host : [seq], 64 bytes, 0.045 ms`, or what went wrong. */
export function sweepEventLine(event: ProbeEvent, timestamp?: number): Line {
  const host = event.host;
  const prefix = `${timestamp === undefined ? "" : timestampPrefix(timestamp)}${host} : [${wireSeq(event)}], `;
  switch (event.type) {
    case "reply":
      return { text: `${prefix}${event.bytes} bytes, ${formatMs(event.rtt)} ms` };
    case "duplicate":
      return { text: `${prefix}${event.bytes} bytes, ${formatMs(event.rtt)} ms (DUP!)`, tone: "warn" };
    case "timeout":
      return { text: `${prefix}timed out`, tone: "warn" };
    case "error":
      return { text: `${prefix}${event.message}${event.from === null ? "" : ` from ${event.from}`}`, tone: "bad" };
  }
}

/** One row of the summary: a result, or a target that could not be pinged. */
export type SummaryRow = { host: string; result: PingResultJson } | { host: string; error: string };

const HEADINGS = ["host", "sent", "recv", "loss", "min", "avg", "max", "median", "p95"] as const;

function cells(row: SummaryRow): string[] {
  if ("error" in row) return [row.host];
  const { result } = row;
  const ms = (value: number | null) => value === null ? "-" : formatMs(value);
  return [
    row.host,
    String(result.sent),
    String(result.received),
    `${formatLoss(result.loss)}%`,
    ms(result.min),
    ms(result.mean),
    ms(result.max),
    ms(result.median),
    ms(result.p95),
  ];
}

/**
 * The per-host summary: a heading, then one row per target in input order, columns aligned (host left, numbers
 * right; RTTs in ms). A target that could not be pinged gets its error after the host.
 *
 * @param rows The targets, in input order.
 * @returns The lines, heading first.
 */
export function summaryTable(rows: readonly SummaryRow[]): Line[] {
  const table = [[...HEADINGS], ...rows.map(cells)];
  const widths = HEADINGS.map((_, column) => Math.max(...table.map((row) => row[column]?.length ?? 0)));
  const format = (row: string[]) =>
    row.map((cell, column) => column === 0 ? cell.padEnd(widths[0]) : cell.padStart(widths[column])).join("  ")
      .trimEnd();
  return [
    { text: format(table[0]) },
    ...rows.map((row, i): Line => {
      if ("error" in row) return { text: `${row.host.padEnd(widths[0])}  error: ${row.error}`, tone: "bad" };
      const { received, sent } = row.result;
      return { text: format(table[i + 1]), tone: received === 0 ? "bad" : received < sent ? "warn" : "good" };
    }),
  ];
}

/** The progress line: `1200/4096 targets, 3500 probes/s, 1187 alive`. */
export function progressLine(done: number, total: number | null, probesPerSecond: number, alive: number): string {
  return `${done}/${total ?? "?"} targets, ${Math.round(probesPerSecond)} probes/s, ${alive} alive`;
}
