/**
 * Command-line parsing and validation for `miniping`: argv in, a checked command out, with every CLI time converted
 * from seconds to the library's milliseconds. One HOST is iputils' mode; several, `-f` or `-g` is fping's mode.
 * Nothing here does I/O.
 *
 * @module
 */
import { type OptionSpec, tokenize, UsageError } from "./argv.ts";
// The library's one table of defaults and limits, without the rest of the library: --help and --version stay light.
import { PING_DEFAULTS, PING_LIMITS, SOCKET_KINDS } from "../engine/options.ts";
import type { PingOptions } from "../ping.ts";
import { type AddressRange, isAddressLiteral, parseGenerate } from "./targets.ts";

export { UsageError };

/** The program name used in messages and the usage text. */
export const PROGRAM = "miniping";

const MS_PER_SECOND = 1000;

/** CLI defaults, in the CLI's units (seconds for times), from the library's `PING_DEFAULTS`. */
export const DEFAULTS = {
  count: PING_DEFAULTS.count,
  timeoutSeconds: PING_DEFAULTS.timeout / MS_PER_SECOND,
  intervalSeconds: PING_DEFAULTS.interval / MS_PER_SECOND,
  size: PING_DEFAULTS.size,
} as const;

/** The ranges of the numeric options: the library's one table. */
const LIMITS = PING_LIMITS;

/** Largest payload the library accepts for any family (IPv6; IPv4 allows less). */
export const MAX_SIZE = LIMITS.size.max[6];
/** Largest IPv4 payload. */
export const MAX_SIZE_IPV4 = LIMITS.size.max[4];

/** Longest delay a timer can wait (a signed 32-bit count of ms); longer ones fire at once. */
export const MAX_DELAY_MS = 2 ** 31 - 1;
/** Digits of a seconds value that land left of the millisecond point. */
const MS_DIGITS = 3;
/** `--count inf`: the library's largest count, which no run reaches before Ctrl-C. */
export const FOREVER = Number.MAX_SAFE_INTEGER;
/** `--flood` sends the next probe on a reply, or after this many ms without one (iputils' pace; `-i` changes it). */
export const FLOOD_INTERVAL_MS = 10;

/** The appended pointer for usage errors. */
export const HELP_HINT = `(see '${PROGRAM} --help')`;

/** The `--help` text. */
export const USAGE = `Usage: ${PROGRAM} [options] HOST                 (iputils-style, one host)
       ${PROGRAM} [options] HOST HOST...        (fping-style, several hosts)
       ${PROGRAM} [options] -f FILE | -f -      (fping-style, one target a line, # comments)
       ${PROGRAM} [options] -g CIDR | -g START END

Send ICMP echo requests and report round-trip statistics.
Times are in seconds; fractions are allowed.

Options:
  -c, --count N|inf    probes per host (default ${DEFAULTS.count}); inf pings until Ctrl-C; with -w
                       and no -c: as many as fit before the deadline
  -t, --timeout S      how long each probe waits for its reply (default ${DEFAULTS.timeoutSeconds}).
                       -t is pyminiping's timeout, NOT iputils' TTL (that is --ttl)
  -W S                 the same as -t (iputils' name)
  -i, --interval S     time between sends to one host (default ${DEFAULTS.intervalSeconds})
  -s, --size N         payload bytes, 0-${MAX_SIZE} (${MAX_SIZE_IPV4} for IPv4; default ${DEFAULTS.size})
      --ttl N          outgoing TTL / hop limit, ${LIMITS.ttl.min}-${LIMITS.ttl.max}
      --dscp N         DSCP code point, ${LIMITS.dscp.min}-${LIMITS.dscp.max}
  -4, -6               use IPv4 / IPv6 only
  -S, --source ADDR    send from this local address
  -I IFACE|ADDR        send through this interface (SO_BINDTODEVICE), or from ADDR
  -b, --broadcast      allow pinging a broadcast address
      --socket KIND    raw, datagram or auto (default ${PING_DEFAULTS.socket})
  -w, --deadline S     stop sending after S seconds and report
      --precise        require kernel transmit and receive timestamps: stop
                       with exit status 2 if an RTT had to use user space
  -q, --quiet          no per-probe lines (also with --ndjson)
  -n, --numeric        accepted for iputils; addresses are never looked up
  -D                   print a UNIX timestamp before each probe line
  -O                   report a missing reply when the next probe goes out
  -a                   one host: ring the bell on each reply (iputils);
                       several hosts: print the alive targets only (fping)
  -u                   several hosts: print the unreachable targets only
      --flood          iputils' -f: the next probe goes out on a reply, or
                       after ${FLOOD_INTERVAL_MS} ms (-i) without one; a dot per request, a
                       backspace per reply. One host.
                       NOTE: -f is fping's targets file here, not flood
      --show-rtts      print every RTT after the summary
  -j, --json           print only the result, as one JSON document (an array
                       with several hosts), with each probe's outcome
      --ndjson         print one JSON object per line as probes complete
                       (with a time and the wire icmpId/icmpSeq), then one
                       summary object per host
      --no-color       no colours (also off when NO_COLOR is set or the
                       output is not a terminal)
  -h, --help           show this help
  -V, --version        show the version

Several hosts (fping mode):
  -f, --file FILE      read targets from FILE, or standard input for -
  -g, --generate       targets from a CIDR block (IPv4 or IPv6) or START END,
                       at most 1048576 addresses
      --rate N         at most N probes per second over all hosts
  Per-probe lines name the host; at the end one aligned row per host.

Statistics: jitter (summary line, -j, --ndjson) is the standard deviation of
the RTTs, as pyminiping reports it; interarrivalJitter (-j, --ndjson) is
RFC 3550's interarrival jitter, what VoIP tools call jitter.
Ctrl-\\ prints a status line and keeps going.

Exit status: 0 if a reply arrived (several hosts: if every host answered),
1 if none did (several hosts: if some did not), 2 on any other error.
With both -c and -w, 1 also when fewer than -c replies arrived in time.
`;

/** How results are printed. */
export type OutputMode = "human" | "json" | "ndjson";

/** The options `miniping` passes to the library, in milliseconds. */
export type CliPingOptions = Omit<PingOptions, "signal" | "onProbe">;

/** What every command that pings shares. */
export interface RunCommand {
  /** What to hand to the library; `count`, `timeout`, `interval` and `size` are always set. */
  options: CliPingOptions & { count: number; timeout: number; interval: number; size: number };
  /** Whether `-c` was given (it changes the exit status under `-w`). */
  countGiven: boolean;
  /** `-w` in ms, `null` without a deadline. */
  deadline: number | null;
  /** Output format. */
  output: OutputMode;
  /** `-q`: no per-probe lines. */
  quiet: boolean;
  /** False under `--no-color`; colour is also off off a terminal or under NO_COLOR. */
  color: boolean;
  /** `-D`: a UNIX timestamp before each probe line. */
  timestamps: boolean;
}

/** A validated request to ping one host (iputils mode). */
export interface PingCommand extends RunCommand {
  /** Discriminant. */
  kind: "ping";
  /** The host as typed. */
  host: string;
  /** `--show-rtts`: list the RTTs after the summary. */
  showRtts: boolean;
  /** `--precise`: kernel transmit and receive stamps are mandatory. */
  precise: boolean;
  /** `-a`: ring the terminal bell on each reply. */
  bell: boolean;
  /** `-O`: report a missing reply when the next probe is due. */
  outstanding: boolean;
  /** `--flood`: iputils' flood display. */
  flood: boolean;
}

/** Which fping-mode targets are listed: all with statistics, or only the names of the alive / unreachable ones. */
export type SweepFilter = "all" | "alive" | "unreachable";

/** Where fping mode's targets come from. */
export type TargetSource =
  | { kind: "list"; hosts: string[] }
  | { kind: "file"; path: string }
  | { kind: "generate"; range: AddressRange };

/** A validated request to ping several hosts (fping mode). */
export interface SweepCommand extends RunCommand {
  /** Discriminant. */
  kind: "sweep";
  /** The targets. */
  targets: TargetSource;
  /** `--rate`: probes per second over all hosts; unset = unlimited. */
  rate?: number;
  /** `-a` / `-u`. */
  filter: SweepFilter;
}

/** What the command line asks for. */
export type Command = { kind: "help" } | { kind: "version" } | PingCommand | SweepCommand;

const OPTIONS: readonly OptionSpec[] = [
  { long: "count", short: "c", value: true },
  { long: "timeout", short: "t", value: true },
  { long: "W", short: "W", value: true },
  { long: "interval", short: "i", value: true },
  { long: "size", short: "s", value: true },
  { long: "ttl", value: true },
  { long: "dscp", value: true },
  { long: "ipv4", short: "4", value: false },
  { long: "ipv6", short: "6", value: false },
  { long: "source", short: "S", value: true },
  { long: "I", short: "I", value: true },
  { long: "broadcast", short: "b", value: false },
  { long: "socket", value: true },
  { long: "deadline", short: "w", value: true },
  { long: "precise", value: false },
  { long: "quiet", short: "q", value: false },
  { long: "numeric", short: "n", value: false },
  { long: "D", short: "D", value: false },
  { long: "O", short: "O", value: false },
  { long: "a", short: "a", value: false },
  { long: "u", short: "u", value: false },
  { long: "flood", value: false },
  { long: "show-rtts", value: false },
  { long: "json", short: "j", value: false },
  { long: "ndjson", value: false },
  { long: "no-color", value: false },
  { long: "file", short: "f", value: true },
  { long: "generate", short: "g", value: false },
  { long: "rate", value: true },
  { long: "help", short: "h", value: false },
  { long: "version", short: "V", value: false },
];

/** The parsed option values, read by name. */
class Values {
  constructor(readonly map: Map<string, string | true>) {}
  text(name: string): string | undefined {
    const value = this.map.get(name);
    return typeof value === "string" ? value : undefined;
  }
  flag(name: string): boolean {
    return this.map.get(name) === true;
  }
}

const INTEGER = /^-?\d+$/;
const DECIMAL = /^(\d*)(?:\.(\d*))?$/;

/**
 * Parses an integer option: "must be ≥ min" below the range, "too large" above it.
 *
 * @param flag The option as the user would write it, for messages.
 * @param text The raw value.
 * @param min Smallest accepted value.
 * @param max Largest accepted value.
 * @returns The value.
 * @throws {UsageError} Not a plain decimal integer, or out of range.
 */
export function parseInteger(flag: string, text: string, min: number, max: number): number {
  // Number() alone would take "", " 1", "0x10" and "1e3".
  if (!INTEGER.test(text)) throw new UsageError(`${flag} must be an integer, got "${text}"`);
  const value = Number(text);
  if (value < min) throw new UsageError(`${flag} must be ≥ ${min}, got ${text}`);
  if (value > max) throw tooLarge(flag, text, max);
  return value;
}

/** The one wording of an upper limit, for the parser and for the checks made after resolution. */
export function tooLarge(
  flag: string,
  text: string | number,
  max: number,
  { qualifier = "", unit = "" }: { qualifier?: string; unit?: string } = {},
): UsageError {
  return new UsageError(`${flag} ${text} is too large${qualifier}: at most ${max}${unit}`);
}

/**
 * Converts a seconds value such as "1", "0.25" or ".5" to milliseconds, moving the decimal point in the text so that
 * "1.1" gives exactly 1100. At most {@linkcode MAX_DELAY_MS}.
 *
 * @param flag The option as the user would write it, for messages.
 * @param text The raw value.
 * @param allowZero Whether 0 is acceptable.
 * @returns Milliseconds.
 * @throws {UsageError} Not a number of seconds, negative, zero when not allowed, or too large.
 */
export function secondsToMs(flag: string, text: string, allowZero: boolean): number {
  if (/^-\d*\.?\d*$/.test(text) && text !== "-") {
    throw new UsageError(`${flag} must be ${allowZero ? "≥ 0" : "greater than 0"}, got ${text}`);
  }
  const match = DECIMAL.exec(text);
  if (match === null || text === "." || text === "") {
    throw new UsageError(`${flag} must be a number of seconds, got "${text}"`);
  }
  const whole = match[1] ?? "";
  const fraction = match[2] ?? "";
  const msWhole = whole + fraction.slice(0, MS_DIGITS).padEnd(MS_DIGITS, "0");
  const msFraction = fraction.slice(MS_DIGITS);
  const ms = Number(msFraction === "" ? msWhole : `${msWhole}.${msFraction}`);
  if (ms > MAX_DELAY_MS) throw tooLarge(flag, text, MAX_DELAY_MS / MS_PER_SECOND, { unit: " seconds" });
  if (ms === 0 && !allowZero) throw new UsageError(`${flag} must be greater than 0, got ${text}`);
  return ms;
}

/**
 * Parses and validates `miniping`'s arguments (strict: unknown options and missing values are errors). Times become
 * milliseconds.
 *
 * @param argv The arguments after the program name.
 * @returns The command to run.
 * @throws {UsageError} On anything the user must fix.
 */
export function parseCommand(argv: readonly string[]): Command {
  const { values: map, positionals } = tokenize(argv, OPTIONS);
  const values = new Values(map);
  if (values.flag("help")) return { kind: "help" };
  if (values.flag("version")) return { kind: "version" };
  exclusive(values, ["ipv4", "-4"], ["ipv6", "-6"]);
  exclusive(values, ["json", "--json"], ["ndjson", "--ndjson"]);
  exclusive(values, ["a", "-a"], ["u", "-u"]);
  exclusive(values, ["timeout", "-t"], ["W", "-W"]);
  exclusive(values, ["source", "-S"], ["I", "-I"]);
  const several = values.text("file") !== undefined || values.flag("generate") || positionals.length > 1;
  return several ? sweepCommand(values, positionals) : pingCommand(values, positionals);
}

function exclusive(values: Values, [a, aName]: [string, string], [b, bName]: [string, string]): void {
  if (values.map.has(a) && values.map.has(b)) throw new UsageError(`${aName} and ${bName} exclude each other`);
}

function pingCommand(values: Values, positionals: string[]): PingCommand {
  if (positionals.length === 0) throw new UsageError("missing HOST");
  const host = positionals[0];
  if (host.trim() === "") throw new UsageError("HOST must not be empty");
  for (const [name, flag] of [["u", "-u"], ["rate", "--rate"]]) {
    if (values.map.has(name)) throw new UsageError(`${flag} needs several hosts (more than one HOST, -f or -g)`);
  }
  const flood = values.flag("flood");
  const run = runOptions(values, flood ? FLOOD_INTERVAL_MS : undefined);
  return {
    kind: "ping",
    host,
    ...run,
    showRtts: values.flag("show-rtts"),
    precise: values.flag("precise"),
    bell: values.flag("a"),
    outstanding: values.flag("O"),
    flood,
  };
}

function sweepCommand(values: Values, positionals: string[]): SweepCommand {
  for (
    const [name, flag] of [["flood", "--flood"], ["O", "-O"], ["precise", "--precise"], ["show-rtts", "--show-rtts"]]
  ) {
    if (values.map.has(name)) throw new UsageError(`${flag} works with one HOST only`);
  }
  const command: SweepCommand = {
    kind: "sweep",
    targets: targetSource(values, positionals),
    ...runOptions(values, undefined),
    filter: values.flag("a") ? "alive" : values.flag("u") ? "unreachable" : "all",
  };
  const rate = values.text("rate");
  if (rate !== undefined) command.rate = parsePositive("--rate", rate);
  return command;
}

function targetSource(values: Values, positionals: string[]): TargetSource {
  const file = values.text("file");
  if (file !== undefined && values.flag("generate")) throw new UsageError("-f and -g exclude each other");
  if (file !== undefined) {
    if (positionals.length > 0) {
      throw new UsageError(`-f takes the targets from ${file}, got HOST ${positionals[0]} too`);
    }
    if (file === "") throw new UsageError("-f needs a file name, or - for standard input");
    return { kind: "file", path: file };
  }
  if (values.flag("generate")) return { kind: "generate", range: parseGenerate(positionals) };
  for (const host of positionals) if (host.trim() === "") throw new UsageError("HOST must not be empty");
  return { kind: "list", hosts: positionals };
}

function parsePositive(flag: string, text: string): number {
  const value = Number(text);
  if (!/^\d*\.?\d+$|^\d+\.$/.test(text)) throw new UsageError(`${flag} must be a number, got "${text}"`);
  if (value <= 0) throw new UsageError(`${flag} must be greater than 0, got ${text}`);
  return value;
}

function runOptions(values: Values, floodInterval: number | undefined): RunCommand {
  const family = values.flag("ipv4") ? 4 : values.flag("ipv6") ? 6 : undefined;
  const timeoutText = values.text("timeout") ?? values.text("W");
  const timeout = timeoutText === undefined
    ? PING_DEFAULTS.timeout
    : secondsToMs(values.map.has("W") ? "-W" : "--timeout", timeoutText, false);
  const intervalText = values.text("interval");
  const interval = intervalText === undefined
    ? floodInterval ?? PING_DEFAULTS.interval
    : secondsToMs("--interval", intervalText, true);
  const deadlineText = values.text("deadline");
  const deadline = deadlineText === undefined ? null : secondsToMs("--deadline", deadlineText, false);
  const sizeText = values.text("size");
  const size = sizeText === undefined
    ? PING_DEFAULTS.size
    : parseInteger("--size", sizeText, 0, family === 4 ? MAX_SIZE_IPV4 : MAX_SIZE);
  const countText = values.text("count");
  // A flood with a deadline and no count runs until the deadline, as iputils' ping -f -w does.
  const flooding = floodInterval !== undefined && deadline !== null;
  const count = countText !== undefined ? parseCount(countText) : flooding ? FOREVER : impliedCount(deadline, interval);
  const options: RunCommand["options"] = { count, timeout, interval, size };
  if (family !== undefined) options.family = family;
  addPacketOptions(values, options);
  return {
    options,
    countGiven: countText !== undefined,
    deadline,
    output: values.flag("json") ? "json" : values.flag("ndjson") ? "ndjson" : "human",
    quiet: values.flag("quiet"),
    color: !values.flag("no-color"),
    timestamps: values.flag("D"),
  };
}

function parseCount(text: string): number {
  if (text === "inf") return FOREVER;
  if (text === "0") throw new UsageError("--count must be ≥ 1, got 0 (--count inf pings until Ctrl-C)");
  return parseInteger("--count", text, 1, FOREVER);
}

function impliedCount(deadline: number | null, interval: number): number {
  if (deadline === null) return PING_DEFAULTS.count;
  // As iputils: -w without -c keeps sending until the deadline.
  if (interval === 0) throw new UsageError("--deadline without --count needs an --interval greater than 0");
  return Math.floor(deadline / interval) + 1;
}

function addPacketOptions(values: Values, options: RunCommand["options"]): void {
  const ttl = values.text("ttl");
  if (ttl !== undefined) options.ttl = parseInteger("--ttl", ttl, LIMITS.ttl.min, LIMITS.ttl.max);
  const dscp = values.text("dscp");
  if (dscp !== undefined) options.dscp = parseInteger("--dscp", dscp, LIMITS.dscp.min, LIMITS.dscp.max);
  const source = values.text("source");
  if (source !== undefined) {
    if (source.trim() === "") throw new UsageError("--source must not be empty");
    options.source = source;
  }
  const bind = values.text("I");
  if (bind !== undefined) {
    if (bind.trim() === "") throw new UsageError("-I needs an interface name or a local address");
    // As iputils: an address is a source address, anything else an interface name.
    if (isAddressLiteral(bind)) options.source = bind;
    else options.interface = bind;
  }
  if (values.flag("broadcast")) options.broadcast = true;
  const socket = values.text("socket");
  if (socket !== undefined) {
    const kind = SOCKET_KINDS.find((known) => known === socket);
    if (kind === undefined) {
      throw new UsageError(`--socket must be one of ${SOCKET_KINDS.join(", ")}, got "${socket}"`);
    }
    options.socket = kind;
  }
  if (values.flag("precise")) options.kernelTimestamps = true;
}
