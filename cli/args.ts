/**
 * Command-line parsing and validation for `miniping`: argv in, a checked
 * command out, with every CLI time converted from seconds to the library's
 * milliseconds. Nothing here does I/O.
 *
 * @module
 */
import { parseArgs } from "node:util";
import { PING_LIMITS, type PingOptions, type SocketKind } from "../ping.ts";

/** The program name used in messages and the usage text. */
export const PROGRAM = "miniping";

/** CLI defaults, in the CLI's units (seconds for times). */
export const DEFAULTS = {
  count: 4,
  timeoutSeconds: 1,
  intervalSeconds: 0.1,
  size: 56,
} as const;

/** Largest payload the library accepts for any family (IPv6; IPv4 allows less). */
export const MAX_SIZE = PING_LIMITS.size.max[6];
/** Largest IPv4 payload. */
export const MAX_SIZE_IPV4 = PING_LIMITS.size.max[4];
/** Outgoing TTL / hop limit range. */
export const TTL_RANGE = PING_LIMITS.ttl;
/** DSCP range. */
export const DSCP_RANGE = PING_LIMITS.dscp;

const MS_PER_SECOND = 1000;
/** Longest delay a timer can wait (a signed 32-bit count of ms); longer ones fire at once. */
export const MAX_DELAY_MS = 2 ** 31 - 1;
/** Digits of a seconds value that land left of the millisecond point. */
const MS_DIGITS = 3;
const SOCKET_KINDS: readonly SocketKind[] = ["raw", "datagram", "auto"];

/** The appended pointer for usage errors. */
export const HELP_HINT = `(see '${PROGRAM} --help')`;

/** The `--help` text. */
export const USAGE = `Usage: ${PROGRAM} [options] HOST

Send ICMP echo requests to HOST and report round-trip statistics.
Times are in seconds; fractions are allowed.

Options:
  -c, --count N        probes to send (default ${DEFAULTS.count}; with -w and
                       no -c: as many as fit before the deadline)
  -t, --timeout S      how long each probe waits for its reply (default ${DEFAULTS.timeoutSeconds})
  -i, --interval S     time between sends (default ${DEFAULTS.intervalSeconds})
  -s, --size N         payload bytes, 0-${MAX_SIZE} (default ${DEFAULTS.size})
      --ttl N          outgoing TTL / hop limit, ${TTL_RANGE.min}-${TTL_RANGE.max}
      --dscp N         DSCP code point, ${DSCP_RANGE.min}-${DSCP_RANGE.max}
  -4, -6               use IPv4 / IPv6 only
  -S, --source ADDR    send from this local address
      --socket KIND    raw, datagram or auto (default auto)
  -w, --deadline S     stop sending after S seconds and report
      --precise        require kernel transmit and receive timestamps: stop
                       with exit status 2 if an RTT had to use user space
  -q, --quiet          no per-probe lines (also with --ndjson): header and
                       summary only
      --show-rtts      print every RTT after the summary
  -j, --json           print only the result, as one JSON document
      --ndjson         print one JSON object per line as probes complete,
                       then a summary object
      --no-color       no colours (also off when NO_COLOR is set or the
                       output is not a terminal)
  -h, --help           show this help
  -V, --version        show the version

Exit status: 0 if a reply arrived, 1 if none did, 2 on any other error.
With both -c and -w, 1 also when fewer than -c replies arrived in time.
`;

/** How results are printed. */
export type OutputMode = "human" | "json" | "ndjson";

/** The options `miniping` passes to `ping()`, in milliseconds. */
export type CliPingOptions = Omit<PingOptions, "signal" | "onProbe">;

/** A validated request to ping one host. */
export interface PingCommand {
  /** Discriminant. */
  kind: "ping";
  /** The host as typed. */
  host: string;
  /** What to hand to `ping()`; `count`, `timeout`, `interval` and `size` are always set. */
  options: CliPingOptions & {
    count: number;
    timeout: number;
    interval: number;
    size: number;
  };
  /** Whether `-c` was given (it changes the exit status under `-w`). */
  countGiven: boolean;
  /** `-w` in ms, `null` without a deadline. */
  deadline: number | null;
  /** Output format. */
  output: OutputMode;
  /** `-q`: no per-probe lines. */
  quiet: boolean;
  /** `--show-rtts`: list the RTTs after the summary. */
  showRtts: boolean;
  /** False under `--no-color`; the runtime still drops colour off a terminal or under NO_COLOR. */
  color: boolean;
  /** `--precise`: kernel receive stamps are mandatory. */
  precise: boolean;
}

/** What the command line asks for. */
export type Command = { kind: "help" } | { kind: "version" } | PingCommand;

/** A bad command line: reported as one line and exit status 2. */
export class UsageError extends Error {
  /** Builds the error; the message should name the option and the value. */
  constructor(message: string) {
    super(message);
    this.name = "UsageError";
  }
}

const OPTIONS = {
  count: { type: "string", short: "c" },
  timeout: { type: "string", short: "t" },
  interval: { type: "string", short: "i" },
  size: { type: "string", short: "s" },
  ttl: { type: "string" },
  dscp: { type: "string" },
  ipv4: { type: "boolean", short: "4" },
  ipv6: { type: "boolean", short: "6" },
  source: { type: "string", short: "S" },
  socket: { type: "string" },
  deadline: { type: "string", short: "w" },
  precise: { type: "boolean" },
  quiet: { type: "boolean", short: "q" },
  "show-rtts": { type: "boolean" },
  json: { type: "boolean", short: "j" },
  ndjson: { type: "boolean" },
  "no-color": { type: "boolean" },
  help: { type: "boolean", short: "h" },
  version: { type: "boolean", short: "V" },
} as const;

const INTEGER = /^\d+$/;
const DECIMAL = /^(\d*)(?:\.(\d*))?$/;

/**
 * Parses a non-negative integer option.
 *
 * @param flag The option as the user would write it, for messages.
 * @param text The raw value.
 * @param min Smallest accepted value.
 * @param max Largest accepted value.
 */
export function parseInteger(
  flag: string,
  text: string,
  min: number,
  max: number,
): number {
  // Number() alone would take "", " 1", "0x10" and "1e3".
  if (!INTEGER.test(text)) {
    throw new UsageError(`${flag} must be an integer, got "${text}"`);
  }
  const value = Number(text);
  if (value < min || value > max) {
    throw new UsageError(
      `${flag} must be ${rangeText(min, max)}, got ${text}`,
    );
  }
  return value;
}

/**
 * Converts a seconds value such as "1", "0.25" or ".5" to milliseconds,
 * moving the decimal point in the text so that "1.1" gives exactly 1100.
 * At most {@linkcode MAX_DELAY_MS}.
 *
 * @param flag The option as the user would write it, for messages.
 * @param text The raw value.
 * @param allowZero Whether 0 is acceptable.
 */
export function secondsToMs(
  flag: string,
  text: string,
  allowZero: boolean,
): number {
  const match = DECIMAL.exec(text);
  if (match === null || text === "." || text === "") {
    throw new UsageError(`${flag} must be a number of seconds, got "${text}"`);
  }
  const whole = match[1] ?? "";
  const fraction = match[2] ?? "";
  const msWhole = whole + fraction.slice(0, MS_DIGITS).padEnd(MS_DIGITS, "0");
  const msFraction = fraction.slice(MS_DIGITS);
  const ms = Number(msFraction === "" ? msWhole : `${msWhole}.${msFraction}`);
  if (ms > MAX_DELAY_MS) {
    throw new UsageError(
      `${flag} must be at most ${MAX_DELAY_MS / MS_PER_SECOND} seconds, got ${text}`,
    );
  }
  if (ms === 0 && !allowZero) {
    throw new UsageError(`${flag} must be greater than 0, got ${text}`);
  }
  return ms;
}

function rangeText(min: number, max: number): string {
  return max === Number.MAX_SAFE_INTEGER ? `≥ ${min}` : `${min}–${max}`;
}

/** Rewords `parseArgs` errors as one short line. */
function usageErrorFrom(error: unknown): UsageError {
  const code = (error as { code?: unknown }).code;
  const message = error instanceof Error ? error.message : String(error);
  if (code === "ERR_PARSE_ARGS_UNKNOWN_OPTION") {
    // The rest of Node's text is advice about positionals, with a stray quote.
    const option = /'([^']*)'/.exec(message)?.[1] ?? message;
    return new UsageError(`unknown option '${option}'`);
  }
  if (code === "ERR_PARSE_ARGS_INVALID_OPTION_VALUE") {
    const option = /^Option '([^']*?)(?: <value>)?'/.exec(message)?.[1];
    if (option !== undefined && message.includes("argument missing")) {
      return new UsageError(`option '${option}' needs a value`);
    }
    if (option !== undefined && message.includes("ambiguous")) {
      return new UsageError(
        `option '${option}' needs a value; a value starting with '-' must ` +
          `be attached, as in ${option}=-1`,
      );
    }
    if (option !== undefined && message.includes("does not take")) {
      return new UsageError(`option '${option}' does not take a value`);
    }
  }
  return new UsageError(message.replace(/\s*\n\s*/g, " "));
}

/**
 * Parses and validates `miniping`'s arguments (strict: unknown options and
 * missing values are errors). Times become milliseconds.
 *
 * @param argv The arguments after the program name.
 * @returns The command to run.
 * @throws {UsageError} On anything the user must fix.
 */
export function parseCommand(argv: readonly string[]): Command {
  let parsed;
  try {
    parsed = parseArgs({
      args: [...argv],
      options: OPTIONS,
      strict: true,
      allowPositionals: true,
    });
  } catch (error) {
    throw usageErrorFrom(error);
  }
  const { values, positionals } = parsed;
  if (values.help) return { kind: "help" };
  if (values.version) return { kind: "version" };

  if (positionals.length === 0) throw new UsageError("missing HOST");
  if (positionals.length > 1) {
    throw new UsageError(
      `expected one HOST, got ${positionals.length}: ${positionals.join(" ")}`,
    );
  }
  const host = positionals[0];
  if (host.trim() === "") throw new UsageError("HOST must not be empty");

  if (values.ipv4 && values.ipv6) {
    throw new UsageError("-4 and -6 exclude each other");
  }
  if (values.json && values.ndjson) {
    throw new UsageError("--json and --ndjson exclude each other");
  }
  const family = values.ipv4 ? 4 : values.ipv6 ? 6 : undefined;

  const timeout = values.timeout === undefined
    ? DEFAULTS.timeoutSeconds * MS_PER_SECOND
    : secondsToMs("--timeout", values.timeout, false);
  const interval = values.interval === undefined
    ? DEFAULTS.intervalSeconds * MS_PER_SECOND
    : secondsToMs("--interval", values.interval, true);
  const deadline = values.deadline === undefined ? null : secondsToMs("--deadline", values.deadline, false);
  const size = values.size === undefined ? DEFAULTS.size : parseInteger(
    "--size",
    values.size,
    0,
    family === 4 ? MAX_SIZE_IPV4 : MAX_SIZE,
  );

  const countGiven = values.count !== undefined;
  let count: number;
  if (values.count !== undefined) {
    count = parseInteger(
      "--count",
      values.count,
      1,
      Number.MAX_SAFE_INTEGER,
    );
  } else if (deadline !== null) {
    // As iputils: -w without -c keeps sending until the deadline.
    if (interval === 0) {
      throw new UsageError(
        "--deadline without --count needs an --interval greater than 0",
      );
    }
    count = Math.floor(deadline / interval) + 1;
  } else {
    count = DEFAULTS.count;
  }

  const options: PingCommand["options"] = { count, timeout, interval, size };
  if (family !== undefined) options.family = family;
  if (values.ttl !== undefined) {
    options.ttl = parseInteger(
      "--ttl",
      values.ttl,
      TTL_RANGE.min,
      TTL_RANGE.max,
    );
  }
  if (values.dscp !== undefined) {
    options.dscp = parseInteger(
      "--dscp",
      values.dscp,
      DSCP_RANGE.min,
      DSCP_RANGE.max,
    );
  }
  if (values.source !== undefined) {
    if (values.source.trim() === "") {
      throw new UsageError("--source must not be empty");
    }
    options.source = values.source;
  }
  if (values.socket !== undefined) {
    const kind = values.socket as SocketKind;
    if (!SOCKET_KINDS.includes(kind)) {
      throw new UsageError(
        `--socket must be one of ${SOCKET_KINDS.join(", ")}, got "${values.socket}"`,
      );
    }
    options.socket = kind;
  }
  if (values.precise) options.kernelTimestamps = true;

  return {
    kind: "ping",
    host,
    options,
    countGiven,
    deadline,
    output: values.json ? "json" : values.ndjson ? "ndjson" : "human",
    quiet: values.quiet ?? false,
    showRtts: values["show-rtts"] ?? false,
    color: !values["no-color"],
    precise: values.precise ?? false,
  };
}
