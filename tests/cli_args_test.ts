import { deepEqual, equal, match, ok, throws } from "node:assert/strict";
import fc from "fast-check";
import {
  type Command,
  DEFAULTS,
  FLOOD_INTERVAL_MS,
  FOREVER,
  MAX_DELAY_MS,
  parseCommand,
  parseInteger,
  type PingCommand,
  secondsToMs,
  type SweepCommand,
  USAGE,
  UsageError,
} from "../cli/args.ts";
import { tokenize } from "../cli/argv.ts";

function pingCommand(argv: string[]): PingCommand {
  const command: Command = parseCommand(argv);
  if (command.kind !== "ping") throw new Error(`expected a ping command, got ${command.kind}`);
  return command;
}

function usageError(argv: string[]): UsageError {
  try {
    parseCommand(argv);
  } catch (error) {
    if (error instanceof UsageError) return error;
    throw error;
  }
  throw new Error(`parseCommand(${JSON.stringify(argv)}) did not throw`);
}

Deno.test("parseCommand() applies pyminiping's defaults, converted to ms", () => {
  const command = pingCommand(["example.com"]);
  deepEqual(command, {
    kind: "ping",
    host: "example.com",
    options: { count: 4, timeout: 1000, interval: 100, size: 56 },
    countGiven: false,
    deadline: null,
    output: "human",
    quiet: false,
    showRtts: false,
    color: true,
    precise: false,
    timestamps: false,
    bell: false,
    outstanding: false,
    flood: false,
  });
  equal(command.options.count, DEFAULTS.count);
});

Deno.test("parseCommand() converts every time option from seconds to ms", () => {
  const command = pingCommand(["-t", "1.1", "-i", ".25", "-w", "2", "-c", "3", "h"]);
  equal(command.options.timeout, 1100);
  equal(command.options.interval, 250);
  equal(command.deadline, 2000);
  equal(pingCommand(["--timeout=0.0005", "h"]).options.timeout, 0.5);
  equal(pingCommand(["--interval", "0", "h"]).options.interval, 0);
});

Deno.test("parseCommand() reads every option, short and long", () => {
  const command = pingCommand([
    "-c",
    "7",
    "-s",
    "100",
    "--ttl",
    "9",
    "--dscp",
    "46",
    "-6",
    "-S",
    "::1",
    "--socket",
    "raw",
    "-q",
    "--show-rtts",
    "--no-color",
    "--precise",
    "--ndjson",
    "h",
  ]);
  deepEqual(command.options, {
    count: 7,
    timeout: 1000,
    interval: 100,
    size: 100,
    ttl: 9,
    dscp: 46,
    family: 6,
    source: "::1",
    socket: "raw",
    kernelTimestamps: true,
  });
  ok(command.countGiven);
  ok(command.quiet);
  ok(command.showRtts);
  ok(command.precise);
  equal(command.color, false);
  equal(command.output, "ndjson");

  const long = pingCommand(["--count=2", "--size=0", "-4", "--source=127.0.0.1", "--json", "--quiet", "h"]);
  deepEqual(long.options, { count: 2, timeout: 1000, interval: 100, size: 0, family: 4, source: "127.0.0.1" });
  equal(long.output, "json");
  equal(pingCommand(["-j", "h"]).output, "json");
  equal(pingCommand(["--socket", "datagram", "h"]).options.socket, "datagram");
  equal(pingCommand(["--socket", "auto", "h"]).options.socket, "auto");
});

Deno.test("parseCommand() accepts bundled short flags and a host after --", () => {
  const command = pingCommand(["-qjc", "2", "--", "-weird-host"]);
  equal(command.host, "-weird-host");
  equal(command.options.count, 2);
  ok(command.quiet);
  equal(command.output, "json");
});

Deno.test("parseCommand() answers -h and -V without a host", () => {
  deepEqual(parseCommand(["-h"]), { kind: "help" });
  deepEqual(parseCommand(["--help", "h"]), { kind: "help" });
  deepEqual(parseCommand(["-V"]), { kind: "version" });
  deepEqual(parseCommand(["--version"]), { kind: "version" });
});

Deno.test("parseCommand() with -w and no -c sends as many probes as fit before the deadline", () => {
  const command = pingCommand(["-w", "1", "-i", "0.2", "h"]);
  equal(command.options.count, 6);
  equal(command.countGiven, false);
  equal(pingCommand(["-w", "0.05", "h"]).options.count, 1);
  const explicit = pingCommand(["-w", "10", "-c", "3", "h"]);
  equal(explicit.options.count, 3);
  ok(explicit.countGiven);
  match(usageError(["-w", "1", "-i", "0", "h"]).message, /--interval greater than 0/);
});

Deno.test("parseCommand() rejects the bad inputs of the issue with a message naming option and value", () => {
  const cases: [string[], RegExp][] = [
    [["-c", "0", "h"], /^--count must be ≥ 1, got 0 \(--count inf pings until Ctrl-C\)$/],
    [["-c", "-1", "h"], /^--count must be ≥ 1, got -1$/],
    [["-c", "x", "h"], /^--count must be an integer, got "x"$/],
    [["--dscp", "64", "h"], /^--dscp 64 is too large: at most 63$/],
    [["--ttl", "0", "h"], /^--ttl must be ≥ 1, got 0$/],
    [["-s", "70000", "h"], /^--size 70000 is too large: at most 65527$/],
    [["-s", "-1", "h"], /^--size must be ≥ 0, got -1$/],
    [[""], /^HOST must not be empty$/],
    [["  "], /^HOST must not be empty$/],
    [["--bogus", "h"], /^unknown option '--bogus'$/],
    [["-x", "h"], /^unknown option '-x'$/],
  ];
  for (const [argv, expected] of cases) match(usageError(argv).message, expected, JSON.stringify(argv));
});

Deno.test("parseCommand() rejects malformed numbers that Number() would take", () => {
  for (const value of ["", " 1", "0x10", "1e3", "1.5", "-1", "+1", "Infinity", "-inf"]) {
    match(usageError([`--count=${value}`, "h"]).message, /^--count must be/, value);
  }
  for (const value of ["", ".", "x", "1e3", "-1", "1..2", "0x1", " 1"]) {
    match(usageError([`--timeout=${value}`, "h"]).message, /^--timeout must be/, value);
  }
  match(usageError(["-t", "0", "h"]).message, /^--timeout must be greater than 0, got 0$/);
  match(usageError(["-w", "0", "h"]).message, /^--deadline must be greater than 0/);
  // As getopt: an option's value is the next argument, so a negative one reaches the range check.
  match(usageError(["-i", "-1", "h"]).message, /^--interval must be ≥ 0, got -1$/);
  match(usageError(["-t", "-0.5", "h"]).message, /^--timeout must be greater than 0, got -0.5$/);
});

Deno.test("parseCommand() checks ranges at both ends", () => {
  equal(pingCommand(["--ttl", "255", "h"]).options.ttl, 255);
  equal(pingCommand(["--ttl", "1", "h"]).options.ttl, 1);
  match(usageError(["--ttl", "256", "h"]).message, /^--ttl 256 is too large: at most 255$/);
  equal(pingCommand(["--dscp", "0", "h"]).options.dscp, 0);
  equal(pingCommand(["--dscp", "63", "h"]).options.dscp, 63);
  equal(pingCommand(["-s", "65527", "h"]).options.size, 65527);
  match(usageError(["-s", "65528", "h"]).message, /^--size 65528 is too large: at most 65527$/);
  // IPv4 has 20 fewer payload bytes than IPv6.
  equal(pingCommand(["-4", "-s", "65507", "h"]).options.size, 65507);
  match(usageError(["-4", "-s", "65508", "h"]).message, /^--size 65508 is too large: at most 65507$/);
});

Deno.test("parseCommand() rejects missing and extra values", () => {
  match(usageError(["h", "-c"]).message, /^option '-c, --count' needs a value$/);
  match(usageError(["h", "--ttl"]).message, /^option '--ttl' needs a value$/);
  match(usageError(["--json=1", "h"]).message, /^option '-j, --json' does not take a value$/);
  match(usageError([]).message, /^missing HOST$/);
  match(usageError(["--socket", "udp", "h"]).message, /^--socket must be one of raw, datagram, auto, got "udp"$/);
  match(usageError(["--source", "", "h"]).message, /^--source must not be empty$/);
});

Deno.test("parseCommand() rejects options that exclude each other", () => {
  match(usageError(["-4", "-6", "h"]).message, /^-4 and -6 exclude each other$/);
  match(usageError(["-j", "--ndjson", "h"]).message, /^--json and --ndjson exclude each other$/);
});

Deno.test("parseCommand() usage errors are single lines", () => {
  const bad = [["--bogus"], ["-c"], ["-c", "-1", "h"], ["--count", "--json", "h"], ["-c", "0", "h"], [
    "-g",
    "10.0.0.0/8",
  ]];
  for (const argv of bad) {
    const message = usageError(argv).message;
    ok(!message.includes("\n"), JSON.stringify(message));
    ok(message.length > 0);
  }
});

Deno.test("secondsToMs() is exact for every value with at most three decimals", () => {
  fc.assert(
    fc.property(fc.nat(1_000_000), fc.nat(999), (whole, thousandths) => {
      const text = `${whole}.${String(thousandths).padStart(3, "0")}`;
      equal(secondsToMs("-t", text, true), whole * 1000 + thousandths);
    }),
  );
  equal(secondsToMs("-t", "1.", true), 1000);
  equal(secondsToMs("-t", "007", true), 7000);
  equal(secondsToMs("-t", "0.0001", true), 0.1);
  throws(() => secondsToMs("-t", "0", false), UsageError);
  equal(secondsToMs("-t", "2147483.647", true), MAX_DELAY_MS);
  throws(
    () => secondsToMs("-t", "2147483.648", true),
    /^UsageError: -t 2147483.648 is too large: at most 2147483.647 seconds$/,
  );
  throws(() => secondsToMs("-t", "9".repeat(400), true), /too large/);
});

Deno.test("parseInteger() accepts only plain decimal digits within range", () => {
  equal(parseInteger("--x", "42", 0, 100), 42);
  equal(parseInteger("--x", "0042", 0, 100), 42);
  throws(() => parseInteger("--x", "101", 0, 100), /^UsageError: --x 101 is too large: at most 100$/);
  throws(() => parseInteger("--x", "-3", 0, 100), /^UsageError: --x must be ≥ 0, got -3$/);
  throws(() => parseInteger("--x", "4 2", 0, 100), /must be an integer/);
});

Deno.test("USAGE lists every option", () => {
  for (
    const flag of [
      "--count",
      "--timeout",
      "--interval",
      "--size",
      "--ttl",
      "--dscp",
      "-4",
      "-6",
      "--source",
      "--socket",
      "--deadline",
      "--precise",
      "--quiet",
      "--show-rtts",
      "--json",
      "--ndjson",
      "--no-color",
      "--help",
      "--version",
      "-W",
      "-I",
      "-D",
      "-O",
      "--broadcast",
      "--numeric",
      "--flood",
      "--file",
      "--generate",
      "--rate",
      "-u",
      "interarrivalJitter",
    ]
  ) {
    ok(USAGE.includes(flag), flag);
  }
});

function sweepCommand(argv: string[]): SweepCommand {
  const command: Command = parseCommand(argv);
  if (command.kind !== "sweep") throw new Error(`expected a sweep command, got ${command.kind}`);
  return command;
}

Deno.test("parseCommand() takes iputils' -W, -n, -I, -b, -D, -O and -a in one-host mode", () => {
  const command = pingCommand(["-W", "0.3", "-n", "-I", "eth0", "-b", "-D", "-O", "-a", "h"]);
  equal(command.options.timeout, 300);
  equal(command.options.interface, "eth0");
  equal(command.options.broadcast, true);
  ok(command.timestamps && command.outstanding && command.bell);
  // An address after -I is a source address, as iputils takes it.
  equal(pingCommand(["-I", "192.0.2.5", "h"]).options.source, "192.0.2.5");
  equal(pingCommand(["-I", "fe80::1%eth0", "h"]).options.source, "fe80::1%eth0");
  equal(pingCommand(["-I", "fe80::1%eth0", "h"]).options.interface, undefined);
  match(usageError(["-t", "1", "-W", "1", "h"]).message, /^-t and -W exclude each other$/);
  match(usageError(["-S", "::1", "-I", "lo", "h"]).message, /^-S and -I exclude each other$/);
  match(usageError(["-W", "0", "h"]).message, /^-W must be greater than 0, got 0$/);
});

Deno.test("parseCommand() --count inf pings until stopped; --flood waits at most 10 ms for a reply unless -i says otherwise", () => {
  equal(pingCommand(["-c", "inf", "h"]).options.count, FOREVER);
  equal(pingCommand(["--count=inf", "h"]).options.count, FOREVER);
  const flood = pingCommand(["--flood", "-c", "100", "h"]);
  ok(flood.flood);
  equal(flood.options.interval, FLOOD_INTERVAL_MS);
  equal(FLOOD_INTERVAL_MS, 10);
  equal(pingCommand(["--flood", "-i", "0.2", "h"]).options.interval, 200);
  // As iputils' ping -f -w 1: the deadline alone ends a flood.
  equal(pingCommand(["--flood", "-w", "1", "h"]).options.count, FOREVER);
  match(usageError(["--flood", "a", "b"]).message, /^--flood works with one HOST only$/);
  match(usageError(["-u", "h"]).message, /^-u needs several hosts/);
  match(usageError(["--rate", "10", "h"]).message, /^--rate needs several hosts/);
});

Deno.test("parseCommand() switches to fping mode for several hosts, -f or -g", () => {
  const list = sweepCommand(["-c", "2", "a", "b", "c"]);
  deepEqual(list.targets, { kind: "list", hosts: ["a", "b", "c"] });
  equal(list.options.count, 2);
  equal(list.filter, "all");
  equal(list.rate, undefined);
  deepEqual(sweepCommand(["-f", "targets.txt"]).targets, { kind: "file", path: "targets.txt" });
  deepEqual(sweepCommand(["-f", "-"]).targets, { kind: "file", path: "-" });
  const generated = sweepCommand(["-g", "192.0.2.0/30", "--rate", "2.5", "-a"]);
  deepEqual(generated.targets, { kind: "generate", range: { family: 4, first: 0xc0000201n, count: 2n } });
  equal(generated.rate, 2.5);
  equal(generated.filter, "alive");
  equal(sweepCommand(["-u", "a", "b"]).filter, "unreachable");
  equal(sweepCommand(["-j", "a", "b"]).output, "json");
  // -i keeps its per-target meaning.
  equal(sweepCommand(["-i", "0.5", "a", "b"]).options.interval, 500);
});

Deno.test("parseCommand() rejects fping-mode mistakes with one line each", () => {
  const cases: [string[], RegExp][] = [
    [["-a", "-u", "a", "b"], /^-a and -u exclude each other$/],
    [["-f", "x", "-g", "10.0.0.0/30"], /^-f and -g exclude each other$/],
    [["-f", "x", "h"], /^-f takes the targets from x, got HOST h too$/],
    [["-g", "10.0.0.0/8"], /^-g 10\.0\.0\.0\/8 is too large: 16777214 addresses \(at most 1048576/],
    [["-g", "2001:db8::/64"], /^-g 2001:db8::\/64 is too large: 18446744073709551616 addresses/],
    [["-g", "10.0.0.9", "10.0.0.1"], /^-g END must not be before START/],
    [["-g", "10.0.0.1", "::1"], /^-g START and END must be of one family/],
    [["-g", "nonsense"], /^-g needs a CIDR block/],
    [["-g", "10.0.0.0/33"], /^-g prefix length must be 0–32 for IPv4, got "33"$/],
    [["--rate", "0", "a", "b"], /^--rate must be greater than 0, got 0$/],
    [["--rate", "fast", "a", "b"], /^--rate must be a number, got "fast"$/],
    [["--precise", "a", "b"], /^--precise works with one HOST only$/],
    [["a", ""], /^HOST must not be empty$/],
  ];
  for (const [argv, expected] of cases) match(usageError(argv).message, expected, JSON.stringify(argv));
});

Deno.test("the getopt tokenizer bundles flags, attaches values and stops at --", () => {
  const { values, positionals } = tokenize(["-qc5", "--ttl=3", "-s", "-1", "x", "--", "-y"], [
    { long: "quiet", short: "q", value: false },
    { long: "count", short: "c", value: true },
    { long: "ttl", value: true },
    { long: "size", short: "s", value: true },
  ]);
  deepEqual([...values], [["quiet", true], ["count", "5"], ["ttl", "3"], ["size", "-1"]]);
  deepEqual(positionals, ["x", "-y"]);
  deepEqual(tokenize(["-"], []).positionals, ["-"]);
});
