import { deepEqual, equal, match, ok, throws } from "node:assert/strict";
import fc from "fast-check";
import {
  type Command,
  DEFAULTS,
  MAX_DELAY_MS,
  parseCommand,
  parseInteger,
  type PingCommand,
  secondsToMs,
  USAGE,
  UsageError,
} from "../cli/args.ts";

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
    [["-c", "0", "h"], /^--count must be ≥ 1, got 0$/],
    [["-c", "x", "h"], /^--count must be an integer, got "x"$/],
    [["--dscp", "64", "h"], /^--dscp must be 0–63, got 64$/],
    [["--ttl", "0", "h"], /^--ttl must be 1–255, got 0$/],
    [["-s", "70000", "h"], /^--size must be 0–65527, got 70000$/],
    [[""], /^HOST must not be empty$/],
    [["  "], /^HOST must not be empty$/],
    [["--bogus", "h"], /^unknown option '--bogus'$/],
    [["-x", "h"], /^unknown option '-x'$/],
  ];
  for (const [argv, expected] of cases) match(usageError(argv).message, expected, JSON.stringify(argv));
});

Deno.test("parseCommand() rejects malformed numbers that Number() would take", () => {
  for (const value of ["", " 1", "0x10", "1e3", "1.5", "-1", "+1", "Infinity"]) {
    match(usageError([`--count=${value}`, "h"]).message, /^--count must be/, value);
  }
  for (const value of ["", ".", "x", "1e3", "-1", "1..2", "0x1", " 1"]) {
    match(usageError([`--timeout=${value}`, "h"]).message, /^--timeout must be/, value);
  }
  match(usageError(["-t", "0", "h"]).message, /^--timeout must be greater than 0, got 0$/);
  match(usageError(["-w", "0", "h"]).message, /^--deadline must be greater than 0/);
  match(usageError(["-i", "-1", "h"]).message, /^option '-i' needs a value/);
});

Deno.test("parseCommand() checks ranges at both ends", () => {
  equal(pingCommand(["--ttl", "255", "h"]).options.ttl, 255);
  equal(pingCommand(["--ttl", "1", "h"]).options.ttl, 1);
  match(usageError(["--ttl", "256", "h"]).message, /^--ttl must be 1–255, got 256$/);
  equal(pingCommand(["--dscp", "0", "h"]).options.dscp, 0);
  equal(pingCommand(["--dscp", "63", "h"]).options.dscp, 63);
  equal(pingCommand(["-s", "65527", "h"]).options.size, 65527);
  match(usageError(["-s", "65528", "h"]).message, /^--size must be 0–65527/);
  // IPv4 has 20 fewer payload bytes than IPv6.
  equal(pingCommand(["-4", "-s", "65507", "h"]).options.size, 65507);
  match(usageError(["-4", "-s", "65508", "h"]).message, /^--size must be 0–65507, got 65508$/);
});

Deno.test("parseCommand() rejects missing and extra values", () => {
  match(usageError(["h", "-c"]).message, /^option '-c, --count' needs a value$/);
  match(usageError(["h", "--ttl"]).message, /^option '--ttl' needs a value$/);
  match(usageError(["--json=1", "h"]).message, /^option '-j, --json' does not take a value$/);
  match(usageError([]).message, /^missing HOST$/);
  match(usageError(["a", "b"]).message, /^expected one HOST, got 2: a b$/);
  match(usageError(["--socket", "udp", "h"]).message, /^--socket must be one of raw, datagram, auto, got "udp"$/);
  match(usageError(["--source", "", "h"]).message, /^--source must not be empty$/);
});

Deno.test("parseCommand() rejects options that exclude each other", () => {
  match(usageError(["-4", "-6", "h"]).message, /^-4 and -6 exclude each other$/);
  match(usageError(["-j", "--ndjson", "h"]).message, /^--json and --ndjson exclude each other$/);
});

Deno.test("parseCommand() usage errors are single lines", () => {
  const bad = [["--bogus"], ["-c"], ["-c", "-1", "h"], ["--count", "--json", "h"], ["-c", "0", "h"], ["a", "b"]];
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
  throws(() => secondsToMs("-t", "2147483.648", true), /^UsageError: -t must be at most 2147483.647 seconds/);
  throws(() => secondsToMs("-t", "9".repeat(400), true), /at most/);
});

Deno.test("parseInteger() accepts only plain decimal digits within range", () => {
  equal(parseInteger("--x", "42", 0, 100), 42);
  equal(parseInteger("--x", "0042", 0, 100), 42);
  throws(() => parseInteger("--x", "101", 0, 100), /^UsageError: --x must be 0–100, got 101$/);
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
    ]
  ) {
    ok(USAGE.includes(flag), flag);
  }
});
