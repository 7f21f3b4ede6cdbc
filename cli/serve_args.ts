/**
 * Command-line parsing for `miniping serve`: argv in, a checked command out,
 * times converted from seconds to milliseconds. No I/O.
 *
 * @module
 */
import { parseArgs } from "node:util";
import { PING_DEFAULTS, PING_LIMITS, SOCKET_KINDS, type SocketKind } from "../ping.ts";
import { SMOKEPING_BUCKETS } from "../serve/metrics.ts";
import { PROGRAM, UsageError } from "./args.ts";

/** Defaults of `miniping serve`, in the command's units. */
export const SERVE_DEFAULTS = {
  listen: "127.0.0.1:9374",
  periodSeconds: 1,
  size: PING_DEFAULTS.size,
} as const;

/** Shortest period: below it a round could not spread its sends meaningfully. */
const MIN_PERIOD_SECONDS = 0.01;
/** Longest period or timeout, as a timer can wait. */
const MAX_SECONDS = (2 ** 31 - 1) / 1000;

/** The `miniping serve --help` text. */
export const SERVE_USAGE = `Usage: ${PROGRAM} serve [options] [HOST...]

Probe every target once per period, sends spread evenly over the period,
and serve Prometheus metrics (smokeping_prober's names) and a live page.

Options:
      --listen ADDR:PORT  where to serve (default ${SERVE_DEFAULTS.listen});
                          /metrics, / (the page), /api/targets
  -f, --file FILE      targets file: hosts separated by spaces or lines,
                       # comments; reloaded on SIGHUP and when it changes
      --period S       time between probes of one target (default ${SERVE_DEFAULTS.periodSeconds})
      --timeout S      how long a probe waits for its reply (default: the period)
  -s, --size N         payload bytes (default ${SERVE_DEFAULTS.size})
      --ttl N          outgoing TTL / hop limit, ${PING_LIMITS.ttl.min}-${PING_LIMITS.ttl.max}
      --dscp N         DSCP code point, ${PING_LIMITS.dscp.min}-${PING_LIMITS.dscp.max} (label tos = DSCP << 2)
  -S, --source ADDR    send from this local address (label source)
      --socket KIND    raw, datagram or auto (default auto)
      --buckets LIST   latency histogram bounds in seconds, comma separated
                       (default smokeping_prober's: 5e-05 doubling to 26.2144)
  -h, --help           show this help

Needs --allow-ffi and --allow-net (and --allow-read for -f).
`;

/** A validated `miniping serve` command. Times are ms. */
export interface ServeCommand {
  /** Discriminant. */
  kind: "serve";
  /** Listen host. */
  hostname: string;
  /** Listen port. */
  port: number;
  /** Targets file, or null. */
  file: string | null;
  /** Hosts from the command line. */
  hosts: string[];
  /** Period in ms. */
  period: number;
  /** Probe timeout in ms. */
  timeout: number;
  /** Payload bytes. */
  size: number;
  /** Outgoing TTL. */
  ttl: number | undefined;
  /** DSCP. */
  dscp: number | undefined;
  /** Source address. */
  source: string | undefined;
  /** Socket kind. */
  socket: SocketKind;
  /** Histogram bounds in seconds. */
  buckets: number[];
}

function seconds(name: string, text: string, min: number): number {
  const value = Number(text);
  if (text.trim() === "" || !Number.isFinite(value) || value < min || value > MAX_SECONDS) {
    throw new UsageError(
      `${name} must be a number of seconds from ${min} to ${MAX_SECONDS}, got ${JSON.stringify(text)}`,
    );
  }
  return Math.round(value * 1000);
}

function integer(name: string, text: string, min: number, max: number): number {
  const value = Number(text);
  if (!/^\d+$/.test(text.trim()) || value < min || value > max) {
    throw new UsageError(`${name} must be an integer from ${min} to ${max}, got ${JSON.stringify(text)}`);
  }
  return value;
}

/**
 * Splits `ADDR:PORT` (`[v6]:PORT` for IPv6; a bare `:PORT` means all IPv4 interfaces).
 *
 * @param text The `--listen` value.
 * @returns Host name and port.
 */
export function parseListen(text: string): { hostname: string; port: number } {
  const match = /^(?:\[([^\]]+)\]|([^:\[\]]*)):(\d+)$/.exec(text);
  if (match === null) throw new UsageError(`--listen must be ADDR:PORT or [IPV6]:PORT, got ${JSON.stringify(text)}`);
  const hostname = match[1] ?? match[2] ?? "";
  return { hostname: hostname === "" ? "0.0.0.0" : hostname, port: integer("--listen port", match[3]!, 0, 65535) };
}

/**
 * Parses a comma-separated list of ascending, positive, finite bucket bounds.
 *
 * @param text The `--buckets` value.
 * @returns The bounds.
 */
export function parseBuckets(text: string): number[] {
  const bounds = text.split(",").map((part) => part.trim());
  const values = bounds.map(Number);
  for (let i = 0; i < values.length; i++) {
    if (bounds[i] === "" || !Number.isFinite(values[i]!) || values[i]! <= 0) {
      throw new UsageError(`--buckets must list positive numbers of seconds, got ${JSON.stringify(bounds[i])}`);
    }
    if (i > 0 && values[i]! <= values[i - 1]!) {
      throw new UsageError(`--buckets must be ascending, got ${values[i - 1]} before ${values[i]}`);
    }
  }
  return values;
}

/**
 * Parses the arguments after `serve`.
 *
 * @param args The arguments.
 * @returns The command, or `help`.
 * @throws {UsageError} A bad argument, named in the message.
 */
export function parseServeArgs(args: readonly string[]): ServeCommand | { kind: "help" } {
  let parsed;
  try {
    parsed = parseArgs({
      args: [...args],
      allowPositionals: true,
      strict: true,
      options: {
        listen: { type: "string" },
        file: { type: "string", short: "f" },
        period: { type: "string" },
        timeout: { type: "string" },
        size: { type: "string", short: "s" },
        ttl: { type: "string" },
        dscp: { type: "string" },
        source: { type: "string", short: "S" },
        socket: { type: "string" },
        buckets: { type: "string" },
        help: { type: "boolean", short: "h" },
      },
    });
  } catch (error) {
    throw new UsageError(error instanceof Error ? error.message : String(error));
  }
  const v = parsed.values;
  if (v.help) return { kind: "help" };
  const hosts = parsed.positionals;
  if (hosts.length === 0 && v.file === undefined) {
    throw new UsageError("serve needs targets: HOST arguments or -f FILE");
  }
  const period = seconds("--period", v.period ?? String(SERVE_DEFAULTS.periodSeconds), MIN_PERIOD_SECONDS);
  const timeout = v.timeout === undefined ? period : seconds("--timeout", v.timeout, 0.001);
  const socket = (v.socket ?? PING_DEFAULTS.socket) as SocketKind;
  if (!SOCKET_KINDS.includes(socket)) {
    throw new UsageError(`--socket must be ${SOCKET_KINDS.join(", ")}, got ${JSON.stringify(v.socket)}`);
  }
  return {
    kind: "serve",
    ...parseListen(v.listen ?? SERVE_DEFAULTS.listen),
    file: v.file ?? null,
    hosts,
    period,
    timeout,
    size: v.size === undefined ? SERVE_DEFAULTS.size : integer("--size", v.size, 0, PING_LIMITS.size.max[6]),
    ttl: v.ttl === undefined ? undefined : integer("--ttl", v.ttl, PING_LIMITS.ttl.min, PING_LIMITS.ttl.max),
    dscp: v.dscp === undefined ? undefined : integer("--dscp", v.dscp, PING_LIMITS.dscp.min, PING_LIMITS.dscp.max),
    source: v.source,
    socket,
    buckets: v.buckets === undefined ? [...SMOKEPING_BUCKETS] : parseBuckets(v.buckets),
  };
}
