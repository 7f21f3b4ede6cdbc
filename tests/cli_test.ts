/**
 * The `miniping` command end to end: subprocesses of `deno run --allow-ffi
 * cli.ts` against loopback and the namespace lab, plus in-process runs of
 * the wiring with a stand-in `ping()` for what packets cannot provoke.
 */
import { deepEqual, equal, match, ok } from "node:assert/strict";
import config from "../deno.json" with { type: "json" };
import { parseCommand, type PingCommand } from "../cli/args.ts";
import { type RunDependencies, runPing } from "../cli/ping_command.ts";
import { Recorder } from "./cli_recorder.ts";
import { DestinationUnreachableError } from "../errors.ts";
import type { PingOptions, ProbeEvent } from "../ping.ts";
import { PingResult, type PingResultJson, type PingTally } from "../ping_result.ts";
import { CLOSED_PING_GROUP_RANGE, EXPECTED_REPLY_TTL, Lab, labSkip } from "./lab/lab.ts";
import { worldReadableCopy } from "./support/world_readable_copy.ts";
import { inCI } from "./support/gate.ts";

/** The fields every probe event carries, for fixtures. */
const BASE = { host: "192.0.2.7", address: "192.0.2.7", index: 0, icmpId: 1, icmpSeq: 1, time: 0 };

const ROOT = new URL("..", import.meta.url).pathname;
const CLI = new URL("../cli.ts", import.meta.url).pathname;
/** Loopback probes are quick: keep runs short. */
const FAST = ["-i", "0.02"];
/** How long a stopped run may take to print its summary and exit. */
const STOP_BUDGET_MS = 1500;
const USAGE_EXIT = 2;

interface Run {
  code: number;
  signal: string | null;
  stdout: string;
  stderr: string;
}

function cliArgv(args: string[]): string[] {
  return [Deno.execPath(), "run", "--allow-ffi", CLI, ...args];
}

async function miniping(args: string[], env?: Record<string, string>): Promise<Run> {
  const [command, ...rest] = cliArgv(args);
  const output = await new Deno.Command(command, {
    args: rest,
    cwd: ROOT,
    ...(env && { env }),
    stdout: "piped",
    stderr: "piped",
  })
    .output();
  const decoder = new TextDecoder();
  return {
    code: output.code,
    signal: output.signal,
    stdout: decoder.decode(output.stdout),
    stderr: decoder.decode(output.stderr),
  };
}

/** Loopback tests need an ICMP socket; skip (or fail under CI) without one. */
async function loopbackSkip(): Promise<boolean> {
  const run = await miniping(["-c", "1", "127.0.0.1"]);
  if (run.code === 0) return false;
  const reason = `miniping -c 1 127.0.0.1 exited ${run.code}: ${run.stderr.trim()}`;
  if (inCI) throw new Error(`Loopback ICMP is required under CI=true: ${reason}`);
  console.warn(`Skipping loopback CLI tests: ${reason}`);
  return true;
}

const noLoopback = await loopbackSkip();
const noLab = await labSkip();

/** Reads a child's stdout line by line, noting when each line arrived. */
class LineReader {
  readonly lines: { text: string; at: number }[] = [];
  readonly done: Promise<void>;
  #reader: ReadableStreamDefaultReader<string>;
  #waiters: (() => void)[] = [];

  constructor(stream: ReadableStream<Uint8Array>) {
    this.#reader = stream.pipeThrough(new TextDecoderStream()).getReader();
    this.done = this.#pump();
  }

  async #pump(): Promise<void> {
    let pending = "";
    try {
      for (;;) {
        const { done, value } = await this.#reader.read();
        if (done) break;
        pending += value;
        let newline;
        while ((newline = pending.indexOf("\n")) >= 0) {
          this.lines.push({ text: pending.slice(0, newline), at: performance.now() });
          pending = pending.slice(newline + 1);
        }
        this.#wake();
      }
    } catch {
      // Cancelled by the test.
    }
    if (pending !== "") this.lines.push({ text: pending, at: performance.now() });
    this.#wake();
  }

  #wake(): void {
    for (const waiter of this.#waiters.splice(0)) waiter();
  }

  /** Resolves once `predicate` holds for the lines so far; rejects after `ms`. */
  async waitFor(predicate: (lines: string[]) => boolean, ms: number): Promise<void> {
    const deadline = performance.now() + ms;
    while (!predicate(this.lines.map((line) => line.text))) {
      const left = deadline - performance.now();
      if (left <= 0) throw new Error(`timed out; lines so far: ${JSON.stringify(this.lines.map((l) => l.text))}`);
      let timer: ReturnType<typeof setTimeout> | undefined;
      await new Promise<void>((resolve) => {
        this.#waiters.push(resolve);
        timer = setTimeout(resolve, left);
      });
      clearTimeout(timer);
    }
  }

  /** Closes the read end of the pipe. */
  async cancel(): Promise<void> {
    await this.#reader.cancel();
  }
}

function spawnCli(args: string[]): Deno.ChildProcess {
  const [command, ...rest] = cliArgv(args);
  return new Deno.Command(command, { args: rest, cwd: ROOT, stdout: "piped", stderr: "piped" }).spawn();
}

async function text(stream: ReadableStream<Uint8Array>): Promise<string> {
  return await new Response(stream).text();
}

const REPLY_LINE = /^(\d+) bytes from (\S+): icmp_seq=(\d+) ttl=(\d+) time=\d+\.\d{3} ms$/;
const RTT_LINE = /^rtt min\/avg\/max\/median\/p95\/jitter = (\d+\.\d{3}\/){5}\d+\.\d{3} ms$/;

function statistics(stdout: string): { sent: number; received: number } {
  const found = /^(\d+) packets transmitted, (\d+) received/m.exec(stdout);
  if (found === null) throw new Error(`no statistics line in ${JSON.stringify(stdout)}`);
  return { sent: Number(found[1]), received: Number(found[2]) };
}

function assertOneErrorLine(run: Run, pattern: RegExp): void {
  equal(run.stdout, "", "nothing on stdout");
  const lines = run.stderr.split("\n").filter((line) => line !== "");
  equal(lines.length, 1, `one stderr line, got ${JSON.stringify(run.stderr)}`);
  match(lines[0], /^miniping: /);
  match(lines[0], pattern);
  ok(!/\bat .*:\d+:\d+/.test(run.stderr), "no stack trace");
}

// ---------------------------------------------------------------------------
// Without packets

Deno.test("miniping rejects each bad input with one stderr line, a --help hint and status 2", async () => {
  const cases: [string[], RegExp][] = [
    [["--bogus", "127.0.0.1"], /unknown option '--bogus'/],
    [["-c", "0", "127.0.0.1"], /--count must be ≥ 1, got 0 \(--count inf pings until Ctrl-C\)/],
    [["-c", "-1", "127.0.0.1"], /--count must be ≥ 1, got -1/],
    [["-c", "x", "127.0.0.1"], /--count must be an integer, got "x"/],
    [["--dscp", "64", "127.0.0.1"], /--dscp 64 is too large: at most 63/],
    [["--ttl", "0", "127.0.0.1"], /--ttl must be ≥ 1, got 0/],
    [["-s", "70000", "127.0.0.1"], /--size 70000 is too large: at most 65527/],
    [["-g", "10.0.0.0/8"], /-g 10\.0\.0\.0\/8 is too large: 16777214 addresses/],
    [["-s", "65508", "127.0.0.1"], /^miniping: --size 65508 is too large for IPv4: at most 65507 /],
    [[""], /HOST must not be empty/],
    [[], /missing HOST/],
    [["127.0.0.1", "-c"], /option '-c, --count' needs a value/],
  ];
  await Promise.all(cases.map(async ([args, pattern]) => {
    const run = await miniping(args);
    equal(run.code, USAGE_EXIT, JSON.stringify(args));
    assertOneErrorLine(run, pattern);
    match(run.stderr, /\(see 'miniping --help'\)\n$/);
  }));
});

Deno.test("miniping serve dispatches to the serve subcommand", async () => {
  const run = await miniping(["serve", "--help"]);
  equal(run.code, 0, run.stderr);
  match(run.stdout, /^Usage: miniping serve /);
});

Deno.test("miniping --help prints the usage on stdout and exits 0", async () => {
  for (const flag of ["-h", "--help"]) {
    const run = await miniping([flag]);
    equal(run.code, 0);
    equal(run.stderr, "");
    match(run.stdout, /^Usage: miniping \[options\] HOST /);
    match(run.stdout, /--ndjson/);
  }
});

Deno.test("miniping -V prints the version from deno.json", async () => {
  for (const flag of ["-V", "--version"]) {
    const run = await miniping([flag]);
    equal(run.code, 0);
    equal(run.stdout, `miniping ${config.version}\n`);
  }
});

Deno.test("miniping -4 with an IPv6 literal is a one-line resolution error, status 2", async () => {
  const run = await miniping(["-4", "::1"]);
  equal(run.code, USAGE_EXIT);
  assertOneErrorLine(run, /Cannot resolve "::1"/);
});

// ---------------------------------------------------------------------------
// Loopback

Deno.test({
  name: "miniping prints iputils-like lines and a summary, status 0",
  ignore: noLoopback,
  fn: async () => {
    const run = await miniping(["-c", "3", ...FAST, "127.0.0.1"]);
    equal(run.code, 0);
    equal(run.stderr, "");
    const lines = run.stdout.split("\n");
    equal(lines[0], "PING 127.0.0.1 (127.0.0.1): 56 data bytes");
    const replies = lines.slice(1, 4).map((line) => REPLY_LINE.exec(line));
    // icmp_seq is the wire sequence: consecutive, from wherever the engine's counter stood.
    const first = Number(replies[0]?.[3]);
    deepEqual(replies.map((reply) => Number(reply?.[3])), [0, 1, 2].map((i) => (first + i) % 65536), run.stdout);
    for (const reply of replies) {
      equal(reply?.[1], "64");
      equal(reply?.[2], "127.0.0.1");
      equal(reply?.[4], "64");
    }
    equal(lines[4], "");
    equal(lines[5], "--- 127.0.0.1 ping statistics ---");
    match(lines[6], /^3 packets transmitted, 3 received, 0% packet loss, time \d+ms$/);
    match(lines[7], RTT_LINE);
    equal(lines[8], "ttl 64, ≈ 1 hop, OS guess Linux/Unix/BSD/macOS/Android");
    equal(lines[9], "");
    equal(lines.length, 10);
  },
});

Deno.test({
  name: "miniping -6 on ::1 reports the hop limit and no OS guess",
  ignore: noLoopback,
  fn: async () => {
    const run = await miniping(["-6", "-c", "2", ...FAST, "::1"]);
    equal(run.code, 0);
    match(run.stdout, /^PING ::1 \(::1\): 56 data bytes\n/);
    match(run.stdout, /^64 bytes from ::1: icmp_seq=\d+ ttl=64 time=/m);
    match(run.stdout, /\nhop limit 64, ≈ 1 hop\n$/);
  },
});

Deno.test({
  name: "miniping -j prints exactly one JSON document and nothing else",
  ignore: noLoopback,
  fn: async () => {
    const run = await miniping(["-j", "-c", "2", ...FAST, "localhost"]);
    equal(run.code, 0);
    equal(run.stderr, "");
    const document = JSON.parse(run.stdout) as PingResultJson;
    equal(document.host, "localhost");
    equal(document.address, "127.0.0.1");
    equal(document.family, 4);
    equal(document.sent, 2);
    equal(document.received, 2);
    equal(document.rtts.length, 2);
    equal(document.ttl, 64);
    equal(run.stdout, `${JSON.stringify(document, null, 2)}\n`);
  },
});

Deno.test({
  name: "miniping --ndjson prints one event per line, then the summary",
  ignore: noLoopback,
  fn: async () => {
    const run = await miniping(["--ndjson", "-c", "3", ...FAST, "127.0.0.1"]);
    equal(run.code, 0);
    equal(run.stderr, "");
    const lines = run.stdout.trimEnd().split("\n").map((line) => JSON.parse(line));
    equal(lines.length, 4);
    deepEqual(lines.slice(0, 3).map((event) => [event.type, event.seq, event.from, event.bytes]), [
      ["reply", 1, "127.0.0.1", 64],
      ["reply", 2, "127.0.0.1", 64],
      ["reply", 3, "127.0.0.1", 64],
    ]);
    for (const event of lines.slice(0, 3)) ok(event.rtt > 0 && event.clock === "kernel", JSON.stringify(event));
    equal(lines[3].type, "summary");
    equal(lines[3].sent, 3);
    equal(lines[3].received, 3);
    deepEqual(lines[3].rtts, lines.slice(0, 3).map((event) => event.rtt));
  },
});

Deno.test({
  name: "miniping -q prints the header and the summary only; --show-rtts lists the RTTs",
  ignore: noLoopback,
  fn: async () => {
    const run = await miniping(["-q", "--show-rtts", "-c", "3", ...FAST, "127.0.0.1"]);
    equal(run.code, 0);
    ok(!/bytes from/.test(run.stdout), run.stdout);
    match(run.stdout, /^PING 127\.0\.0\.1 \(127\.0\.0\.1\): 56 data bytes\n\n--- 127\.0\.0\.1 ping statistics ---\n/);
    match(run.stdout, /\nrtts: \d+\.\d{3} \d+\.\d{3} \d+\.\d{3} ms\n$/);
  },
});

Deno.test({
  name: "miniping -s, --ttl, --dscp, -t, -S, --socket raw and --precise reach ping()",
  ignore: noLoopback,
  fn: async () => {
    const run = await miniping([
      "-c",
      "2",
      ...FAST,
      "-s",
      "200",
      "--ttl",
      "3",
      "--dscp",
      "46",
      "-t",
      "0.5",
      "-S",
      "127.0.0.1",
      "--socket",
      "raw",
      "--precise",
      "-4",
      "127.0.0.1",
    ]);
    equal(run.code, 0, run.stderr);
    equal(run.stderr, "");
    match(run.stdout, /: 200 data bytes\n/);
    match(run.stdout, /^208 bytes from 127\.0\.0\.1: icmp_seq=\d+ /m);
    // The option is validated by ping(), not by the parser: proof that it was passed on.
    // 192.0.2.1 is a documentation address, not one of this host's.
    const foreign = await miniping(["-c", "1", "-S", "192.0.2.1", "127.0.0.1"]);
    equal(foreign.code, USAGE_EXIT);
    // Refused before anything was sent: no header.
    equal(foreign.stdout, "");
    const lines = foreign.stderr.trimEnd().split("\n");
    equal(lines.length, 1);
    match(lines[0], /^miniping: .*192\.0\.2\.1/);
    const family = await miniping(["-c", "1", "-S", "::1", "127.0.0.1"]);
    equal(family.code, USAGE_EXIT);
    match(family.stderr, /^miniping: .*IPv6.*IPv4/);
  },
});

Deno.test({
  name: "miniping -I binds to an interface or, given an address, sends from it; a missing interface is one line",
  ignore: noLoopback,
  fn: async () => {
    const iface = await miniping(["-I", "lo", "-W", "0.5", "-n", "-c", "1", "127.0.0.1"]);
    equal(iface.code, 0, iface.stderr);
    const address = await miniping(["-I", "127.0.0.1", "-c", "1", "127.0.0.1"]);
    equal(address.code, 0, address.stderr);
    const missing = await miniping(["-I", "nosuchif0", "-c", "1", "127.0.0.1"]);
    equal(missing.code, USAGE_EXIT);
    assertOneErrorLine(missing, /^miniping: -I nosuchif0: no such network interface$/);
  },
});

Deno.test({
  name: "miniping --flood on loopback: a dot per request, a backspace per reply; -w alone bounds it",
  ignore: noLoopback,
  fn: async () => {
    const run = await miniping(["--flood", "-c", "300", "127.0.0.1"]);
    equal(run.code, 0, run.stderr);
    const [header, marks] = run.stdout.split("\n");
    equal(header, "PING 127.0.0.1 (127.0.0.1): 56 data bytes");
    equal(marks.split("").filter((c) => c === ".").length, 300);
    equal(marks.split("").filter((c) => c === "\b").length, 300);
    match(run.stdout, /^300 packets transmitted, 300 received, 0% packet loss/m);
    const timed = await miniping(["--flood", "-q", "-w", "0.5", "127.0.0.1"]);
    equal(timed.code, 0, timed.stderr);
    const { sent, received } = statistics(timed.stdout);
    // Only the probe in flight when the deadline strikes may go unanswered.
    ok(sent > 10 && received >= sent - 1, `sent ${sent}, received ${received}`);
  },
});

Deno.test({
  name: "miniping -w without -c keeps sending until the deadline",
  ignore: noLoopback,
  fn: async () => {
    const started = performance.now();
    const run = await miniping(["-w", "0.6", "-i", "0.1", "127.0.0.1"]);
    const elapsed = performance.now() - started;
    equal(run.code, 0, run.stderr);
    const { sent, received } = statistics(run.stdout);
    ok(sent >= 5 && sent <= 7, `sent ${sent}`);
    ok(received >= 5, `received ${received}`);
    ok(elapsed >= 500, `took ${elapsed} ms`);
  },
});

Deno.test({
  name: "miniping with -c and -w exits 1 when the deadline cuts the count short",
  ignore: noLoopback,
  fn: async () => {
    const cut = await miniping(["-c", "20", "-i", "0.1", "-w", "0.35", "127.0.0.1"]);
    equal(cut.code, 1, cut.stdout);
    const { sent, received } = statistics(cut.stdout);
    ok(sent < 20 && received > 0, cut.stdout);
    const whole = await miniping(["-c", "2", ...FAST, "-w", "5", "127.0.0.1"]);
    equal(whole.code, 0);
  },
});

for (const mode of ["human", "ndjson"] as const) {
  Deno.test({
    name: `miniping (${mode}) stops on SIGINT mid-run, prints the summary and exits 0`,
    ignore: noLoopback,
    fn: async () => {
      const child = spawnCli([...(mode === "ndjson" ? ["--ndjson"] : []), "-c", "200", "-i", "0.05", "127.0.0.1"]);
      const stderr = text(child.stderr);
      const reader = new LineReader(child.stdout);
      const isProbe = (line: string) => mode === "ndjson" ? line.startsWith('{"type":"reply"') : REPLY_LINE.test(line);
      await reader.waitFor((lines) => lines.filter(isProbe).length >= 3, 10_000);
      const interrupted = performance.now();
      child.kill("SIGINT");
      const status = await child.status;
      await reader.done;
      const stopTime = performance.now() - interrupted;
      equal(status.code, 0, await stderr);
      equal(await stderr, "");
      ok(stopTime < STOP_BUDGET_MS, `took ${stopTime} ms to stop`);
      const lines = reader.lines.map((line) => line.text);
      if (mode === "ndjson") {
        const summary = JSON.parse(lines.at(-1)!);
        equal(summary.type, "summary");
        ok(summary.sent >= 3 && summary.sent < 200, JSON.stringify(summary));
        ok(summary.received >= 3);
      } else {
        const { sent, received } = statistics(lines.join("\n"));
        ok(sent >= 3 && sent < 200 && received >= 3, `sent ${sent} received ${received}`);
      }
    },
  });
}

Deno.test({
  name: "miniping -j prints its document on SIGINT too",
  ignore: noLoopback,
  fn: async () => {
    const child = spawnCli(["-j", "-c", "200", "-i", "0.05", "127.0.0.1"]);
    const stdout = text(child.stdout);
    const stderr = text(child.stderr);
    // -j prints nothing before the end: give the run time to start and send.
    await new Promise((resolve) => setTimeout(resolve, 1500));
    child.kill("SIGINT");
    const status = await child.status;
    equal(status.code, 0, await stderr);
    const document = JSON.parse(await stdout) as PingResultJson;
    ok(document.sent > 0 && document.sent < 200, JSON.stringify(document));
    ok(document.received > 0);
  },
});

Deno.test({
  name: "miniping --ndjson hands each line to the reader as the probe completes",
  ignore: noLoopback,
  fn: async () => {
    const child = spawnCli(["--ndjson", "-c", "4", "-i", "0.3", "127.0.0.1"]);
    const stderr = text(child.stderr);
    const reader = new LineReader(child.stdout);
    const status = await child.status;
    await reader.done;
    equal(status.code, 0, await stderr);
    const [first, second, third, fourth, summary] = reader.lines;
    equal(reader.lines.length, 5);
    equal(JSON.parse(summary.text).type, "summary");
    // 300 ms between probes: the lines must not arrive together at exit.
    for (const [earlier, later] of [[first, second], [second, third], [third, fourth]]) {
      ok(later.at - earlier.at > 200, `lines ${later.at - earlier.at} ms apart`);
    }
    ok(summary.at - first.at > 700);
  },
});

Deno.test({
  name: "miniping --ndjson loses no line to a slow reader",
  ignore: noLoopback,
  fn: async () => {
    const count = 2000;
    // About 230 KB of output against a 64 KB pipe: the writer must wait for the reader.
    const child = spawnCli(["--ndjson", "-c", String(count), "-i", "0.001", "127.0.0.1"]);
    const stderr = text(child.stderr);
    const reader = child.stdout.getReader();
    await new Promise((resolve) => setTimeout(resolve, 700));
    const decoder = new TextDecoder();
    let output = "";
    for (;;) {
      const { done, value } = await reader.read();
      if (done) break;
      output += decoder.decode(value, { stream: true });
      await new Promise((resolve) => setTimeout(resolve, 1));
    }
    const status = await child.status;
    equal(status.code, 0, await stderr);
    const lines = output.trimEnd().split("\n").map((line) => JSON.parse(line));
    const summary = lines.pop();
    equal(summary.type, "summary");
    equal(summary.sent, count);
    const outcomes = lines.filter((event) => event.type !== "duplicate");
    equal(outcomes.length, count);
    deepEqual(new Set(outcomes.map((event) => event.seq)).size, count);
    equal(lines.filter((event) => event.type === "reply").length, summary.received);
  },
});

Deno.test({
  name: "miniping --ndjson stops soon and quietly when the reader goes away",
  ignore: noLoopback,
  fn: async () => {
    const child = spawnCli(["--ndjson", "-c", "1000", "-i", "0.01", "127.0.0.1"]);
    const stderr = text(child.stderr);
    const reader = new LineReader(child.stdout);
    await reader.waitFor((lines) => lines.length >= 1, 10_000);
    const closed = performance.now();
    await reader.cancel();
    const status = await child.status;
    // 1000 probes at 10 ms would take 10 s.
    ok(performance.now() - closed < 3000, "stopped early");
    equal(status.code, 0);
    equal(await stderr, "");
  },
});

const SCRIPT = "/usr/bin/script";

async function inTerminal(args: string[], env: Record<string, string>): Promise<string> {
  const command = cliArgv(args).join(" ");
  const output = await new Deno.Command(SCRIPT, {
    args: ["-qec", command, "/dev/null"],
    cwd: ROOT,
    clearEnv: true,
    env: { PATH: Deno.env.get("PATH") ?? "/usr/bin:/bin", HOME: Deno.env.get("HOME") ?? "/root", ...env },
    stdout: "piped",
    stderr: "piped",
  }).output();
  equal(output.code, 0, new TextDecoder().decode(output.stderr));
  return new TextDecoder().decode(output.stdout);
}

const scriptMissing = await Deno.stat(SCRIPT).then(() => false, () => true);
const tcpdumpMissing = !(await new Deno.Command("sh", { args: ["-c", "command -v tcpdump"], stdout: "null" }).output())
  .success;

Deno.test({
  name: "miniping colours only on a terminal, and not with --no-color or NO_COLOR",
  ignore: noLoopback || scriptMissing,
  fn: async () => {
    const args = ["-c", "1", "127.0.0.1"];
    const coloured = await inTerminal(args, { TERM: "xterm" });
    const GREEN = "\x1b[32m";
    ok(coloured.includes(`${GREEN}1 packets transmitted, 1 received, 0% packet loss`), JSON.stringify(coloured));
    const plain = await inTerminal(["--no-color", ...args], { TERM: "xterm" });
    match(plain, /1 packets transmitted/);
    ok(!plain.includes("\x1b["), JSON.stringify(plain));
    const noColor = await inTerminal(args, { TERM: "xterm", NO_COLOR: "1" });
    match(noColor, /1 packets transmitted/);
    ok(!noColor.includes("\x1b["), JSON.stringify(noColor));
    // Piped: no escape codes even without --no-color.
    const piped = await miniping(args);
    ok(!piped.stdout.includes("\x1b["));
  },
});

Deno.test({
  name: "README's install line gives a working miniping command",
  ignore: noLoopback,
  fn: async () => {
    const readme = await Deno.readTextFile(`${ROOT}README.md`);
    const line = /^deno install --global (.*) -n miniping dist\/cli\.js$/m.exec(readme);
    ok(line !== null, "README.md has no `deno install --global … -n miniping dist/cli.js` line");
    const root = await Deno.makeTempDir({ prefix: "miniping-install-" });
    try {
      const install = await new Deno.Command(Deno.execPath(), {
        args: ["install", "--global", ...line[1].split(" "), "--root", root, "-n", "miniping", "dist/cli.js"],
        cwd: ROOT,
        stdout: "piped",
        stderr: "piped",
      }).output();
      equal(install.code, 0, new TextDecoder().decode(install.stderr));
      const run = await new Deno.Command(`${root}/bin/miniping`, {
        args: ["-c", "1", "127.0.0.1"],
        stdout: "piped",
        stderr: "piped",
      }).output();
      equal(run.code, 0, new TextDecoder().decode(run.stderr));
      match(new TextDecoder().decode(run.stdout), /1 packets transmitted, 1 received/);
    } finally {
      await Deno.remove(root, { recursive: true });
    }
  },
});

// ---------------------------------------------------------------------------
// The namespace lab: h — r1 — r2 — r3 — t

Deno.test({
  name: "miniping in the namespace lab",
  ignore: noLab,
  fn: async (t) => {
    await using lab = await Lab.create({ name: "cli" });
    const a = lab.addresses;
    const inLab = async (args: string[], uid?: number): Promise<Run> => {
      if (uid === undefined) {
        const run = await lab.exec("h", cliArgv(args), { timeoutMs: 20_000 });
        return { code: run.code, signal: run.signal, stdout: run.stdout, stderr: run.stderr };
      }
      // Another user may not be able to read the checkout: run a copy it can read.
      await using copy = await worldReadableCopy();
      const argv = [Deno.execPath(), "run", "--allow-ffi", `${copy.dir}cli.ts`, ...args];
      const run = await lab.exec("h", argv, { uid, env: copy.env, timeoutMs: 20_000 });
      return { code: run.code, signal: run.signal, stdout: run.stdout, stderr: run.stderr };
    };

    await t.step("replies through three routers show ttl 61 and 4 hops, status 0", async () => {
      const run = await inLab(["-c", "2", ...FAST, a.target4]);
      equal(run.code, 0, run.stderr);
      match(run.stdout, new RegExp(`^64 bytes from ${a.target4}: icmp_seq=\\d+ ttl=${EXPECTED_REPLY_TTL} `, "m"));
      match(run.stdout, /\nttl 61, ≈ 4 hops, OS guess Linux\/Unix\/BSD\/macOS\/Android\n$/);
    });

    await t.step("-6 --socket datagram reaches the IPv6 target", async () => {
      const run = await inLab(["-6", "--socket", "datagram", "-c", "2", ...FAST, a.target6]);
      equal(run.code, 0, run.stderr);
      match(run.stdout, /\nhop limit 61, ≈ 4 hops\n$/);
    });

    await t.step("an unprivileged user pings with a datagram socket, and gets the fix for raw", async () => {
      const nobody = 65534;
      const datagram = await inLab(["--socket", "datagram", "-c", "1", a.target4], nobody);
      equal(datagram.code, 0, datagram.stderr);
      const raw = await inLab(["--socket", "raw", "-c", "1", a.target4], nobody);
      equal(raw.code, USAGE_EXIT);
      const lines = raw.stderr.trimEnd().split("\n");
      equal(lines.length, 1, raw.stderr);
      match(lines[0], /^miniping: .*setcap/);
    });

    await t.step("a prohibit route gives From-router lines, +errors and status 1", async () => {
      const run = await inLab(["-c", "2", ...FAST, a.prohibit4]);
      equal(run.code, 1, run.stderr);
      equal(run.stderr, "");
      match(
        run.stdout,
        new RegExp(`^From ${a.router1_4} icmp_seq=\\d+ Communication Administratively Prohibited$`, "m"),
      );
      match(run.stdout, new RegExp(`^From ${a.router1_4} icmp_seq=\\d+ `, "m"));
      match(run.stdout, /^2 packets transmitted, 0 received, \+2 errors, 100% packet loss, time \d+ms$/m);
      ok(!/^rtt /m.test(run.stdout));
    });

    await t.step("-j on an ICMP error prints the result document, status 1", async () => {
      const run = await inLab(["-j", "-c", "2", ...FAST, a.prohibit4]);
      equal(run.code, 1);
      equal(run.stderr, "");
      const document = JSON.parse(run.stdout) as PingResultJson;
      equal(document.received, 0);
      equal(document.errors, 2);
      equal(document.loss, 100);
    });

    await t.step("--ndjson reports IPv6 unreachable errors with type, code and router", async () => {
      const run = await inLab(["--ndjson", "-c", "2", ...FAST, a.unreachable6]);
      equal(run.code, 1);
      const lines = run.stdout.trimEnd().split("\n").map((line) => JSON.parse(line));
      deepEqual(lines.slice(0, 2).map((event) => [event.type, event.kind, event.icmpType, event.code, event.from]), [
        ["error", "unreachable", 1, 0, a.router1_6],
        ["error", "unreachable", 1, 0, a.router1_6],
      ]);
      deepEqual([lines[2].type, lines[2].errors, lines[2].received], ["summary", 2, 0]);
    });

    await t.step("a blackhole gives timeout lines and status 1", async () => {
      const run = await inLab(["-c", "2", "-t", "0.2", ...FAST, a.blackhole4]);
      equal(run.code, 1);
      match(run.stdout, /^Request timeout for icmp_seq=\d+\nRequest timeout for icmp_seq=\d+\n\n/m);
      match(run.stdout, /^2 packets transmitted, 0 received, 100% packet loss/m);
    });

    await t.step("--ttl 1 and 2 expire at the first and second router", async () => {
      for (const [ttl, router] of [["1", a.router1_4], ["2", a.router2_4]]) {
        const run = await inLab(["--ttl", ttl, "-c", "1", a.target4]);
        equal(run.code, 1, run.stdout);
        match(run.stdout, new RegExp(`^From ${router} icmp_seq=\\d+ Time to live exceeded$`, "m"));
      }
      const v6 = await inLab(["-6", "--ttl", "1", "-c", "1", a.target6]);
      equal(v6.code, 1);
      match(v6.stdout, new RegExp(`^From ${a.router1_6} icmp_seq=\\d+ Hop limit exceeded in transit$`, "m"));
    });

    await t.step("-S sends from a local address and refuses a foreign one", async () => {
      const own = await inLab(["-S", a.host4, "-c", "1", a.target4]);
      equal(own.code, 0, own.stderr);
      const foreign = await inLab(["-S", a.target4, "-c", "1", a.target4]);
      equal(foreign.code, USAGE_EXIT);
      equal(foreign.stderr.trimEnd().split("\n").length, 1);
    });

    await t.step("-w ends a silent run at the deadline, status 1", async () => {
      const started = performance.now();
      const run = await inLab(["-c", "100", "-i", "0.1", "-t", "0.5", "-w", "0.6", a.blackhole4]);
      const elapsed = performance.now() - started;
      equal(run.code, 1);
      const { sent, received } = statistics(run.stdout);
      ok(sent >= 5 && sent <= 8 && received === 0, `sent ${sent}`);
      ok(elapsed < 5000, `took ${elapsed} ms`);
    });

    await t.step("SIGINT during a silent run prints the summary and exits 1", async () => {
      const child = lab.spawn("h", cliArgv(["-c", "200", "-i", "0.05", "-t", "0.2", a.blackhole4]), {
        stdout: "piped",
        stderr: "piped",
      });
      const stderr = text(child.stderr);
      const reader = new LineReader(child.stdout);
      await reader.waitFor((lines) => lines.filter((line) => line.startsWith("Request timeout")).length >= 2, 10_000);
      child.kill("SIGINT");
      const status = await child.status;
      await reader.done;
      equal(status.code, 1, await stderr);
      const { sent, received } = statistics(reader.lines.map((line) => line.text).join("\n"));
      ok(sent >= 2 && sent < 200 && received === 0, `sent ${sent}`);
    });

    await t.step({
      name: "--dscp sets the TOS byte on the wire",
      ignore: tcpdumpMissing,
      fn: async () => {
        const capture = lab.spawn("r1", ["tcpdump", "-l", "-n", "-v", "-c", "1", "-i", "to-h", "icmp[icmptype] == 8"], {
          stdout: "piped",
          stderr: "piped",
        });
        const captured = text(capture.stdout);
        const status = new LineReader(capture.stderr);
        await status.waitFor((lines) => lines.some((line) => line.includes("listening on")), 10_000);
        const run = await inLab(["--dscp", "46", "-c", "1", a.target4]);
        equal(run.code, 0, run.stderr);
        await capture.status;
        // DSCP 46 (EF) shifted into the TOS byte is 0xb8.
        match(await captured, /tos 0xb8/);
      },
    });

    // Last: it closes the datagram sockets of h for root.
    await t.step("without ping_group_range, --socket datagram fails with the fix", async () => {
      await lab.setPingGroupRange("h", CLOSED_PING_GROUP_RANGE);
      const run = await inLab(["--socket", "datagram", "-c", "1", a.target4]);
      equal(run.code, USAGE_EXIT);
      const lines = run.stderr.trimEnd().split("\n");
      equal(lines.length, 1, run.stderr);
      match(lines[0], /^miniping: .*ping_group_range/);
    });
  },
});

Deno.test({
  name: "miniping reports an unresolvable name as one stderr line, status 2",
  // A private network namespace with no routes: the resolver's query cannot leave the process's namespace.
  ignore: noLab,
  fn: async () => {
    const output = await new Deno.Command("unshare", {
      args: ["--net", ...cliArgv(["nonexistent.invalid"])],
      cwd: ROOT,
      stdout: "piped",
      stderr: "piped",
    }).output();
    const decoder = new TextDecoder();
    const run = {
      code: output.code,
      signal: output.signal,
      stdout: decoder.decode(output.stdout),
      stderr: decoder.decode(output.stderr),
    };
    equal(run.code, USAGE_EXIT);
    assertOneErrorLine(run, /^miniping: Cannot resolve "nonexistent\.invalid"/);
  },
});

// ---------------------------------------------------------------------------
// The wiring in-process, with a stand-in for ping()

function command(args: string[]): PingCommand {
  const parsed = parseCommand([...args, "example.test"]);
  if (parsed.kind !== "ping") throw new Error("not a ping command");
  return parsed;
}

function tally(overrides: Partial<PingTally> = {}): PingResult {
  return new PingResult({
    host: "192.0.2.7",
    address: "192.0.2.7",
    family: 4,
    sent: 2,
    rtts: [1, 2],
    ttl: 60,
    duplicates: 0,
    corrupted: 0,
    errors: 0,
    ...overrides,
  });
}

const REPLY: ProbeEvent = {
  type: "reply",
  ...BASE,
  seq: 1,
  rtt: 1,
  ttl: 60,
  bytes: 64,
  from: "192.0.2.7",
  clock: "kernel",
};

function fake(
  play: (options: PingOptions) => Promise<PingResult>,
  seen: { host?: string; options?: PingOptions } = {},
): RunDependencies {
  return {
    resolveHost: () => Promise.resolve({ address: "192.0.2.7", family: 4 }),
    ping: (host, options = {}) => {
      seen.host = host;
      seen.options = options;
      return play(options);
    },
  };
}

Deno.test("runPing() pings the resolved literal with the parsed options and reports the host as typed", async () => {
  const out = new Recorder();
  const seen: { host?: string; options?: PingOptions } = {};
  const code = await runPing(
    command(["-j", "-c", "2", "--ttl", "9"]),
    out,
    fake(() => Promise.resolve(tally()), seen),
  );
  equal(code, 0);
  equal(seen.host, "192.0.2.7");
  equal(seen.options?.count, 2);
  equal(seen.options?.ttl, 9);
  equal(seen.options?.family, 4);
  ok(seen.options?.signal instanceof AbortSignal);
  equal(out.records.length, 1);
  equal(out.lines.length, 0);
  equal(JSON.parse(out.records[0]).host, "example.test");
});

Deno.test("runPing() --precise stops at the first user-clock RTT and exits 2 with the reason", async () => {
  const out = new Recorder();
  let aborted = false;
  const code = await runPing(
    command(["--precise", "-c", "5"]),
    out,
    fake((options) => {
      options.onProbe?.(REPLY);
      options.onProbe?.({ ...REPLY, seq: 2, icmpSeq: 2, rtt: 1.5, clock: "user" });
      aborted = options.signal?.aborted ?? false;
      return Promise.resolve(tally({ sent: 2, rtts: [1, 1.5] }));
    }),
  );
  equal(code, USAGE_EXIT);
  ok(aborted, "the run was stopped");
  deepEqual(out.errors.length, 1);
  match(out.errors[0], /^--precise: the kernel gave no receive timestamp for icmp_seq=2 \(its RTT, 1\.500 ms/);
  ok(out.lines.some((line) => line.text.startsWith("2 packets transmitted")), "summary printed");
});

Deno.test("runPing() --precise also stops at an RTT without a kernel transmit stamp (clock rx)", async () => {
  const out = new Recorder();
  const code = await runPing(
    command(["--precise", "-c", "5"]),
    out,
    fake((options) => {
      options.onProbe?.({ ...REPLY, seq: 3, icmpSeq: 3, rtt: 0.25, clock: "rx" });
      return Promise.resolve(tally({ sent: 1, rtts: [0.25] }));
    }),
  );
  equal(code, USAGE_EXIT);
  match(out.errors[0], /^--precise: the kernel gave no transmit timestamp for icmp_seq=3 .*a user-space send stamp/);
});

Deno.test("runPing() --precise accepts kernel-clock RTTs", async () => {
  const out = new Recorder();
  const code = await runPing(
    command(["--precise"]),
    out,
    fake((options) => {
      equal(options.kernelTimestamps, true);
      options.onProbe?.(REPLY);
      return Promise.resolve(tally());
    }),
  );
  equal(code, 0);
  deepEqual(out.errors, []);
});

Deno.test("runPing() summarises an ICMP error's partial result, exits 1, prints no error line", async () => {
  const out = new Recorder();
  const partial = tally({ rtts: [], ttl: null, errors: 2 });
  const code = await runPing(
    command([]),
    out,
    fake(() =>
      Promise.reject(
        new DestinationUnreachableError("Destination Host Unreachable", {
          code: 1,
          from: "198.18.1.2",
          result: partial,
        }),
      )
    ),
  );
  equal(code, 1);
  deepEqual(out.errors, []);
  ok(out.lines.some((line) => line.text === "--- example.test ping statistics ---"));
  ok(out.lines.some((line) => line.text.includes("+2 errors, 100% packet loss")));
});

Deno.test("runPing() reports a resolver failure as one line, status 2, before any header", async () => {
  const out = new Recorder();
  const code = await runPing(command([]), out, {
    resolveHost: () => Promise.reject(new Deno.errors.NotFound('Cannot resolve "example.test": no address')),
    ping: () => Promise.reject(new Error("must not be called")),
  });
  equal(code, USAGE_EXIT);
  deepEqual(out.errors, ['Cannot resolve "example.test": no address']);
  deepEqual(out.lines, []);
});

Deno.test("runPing() reports a missing privilege as one line, status 2", async () => {
  const out = new Recorder();
  const code = await runPing(
    command(["-q"]),
    out,
    fake(() => Promise.reject(new Deno.errors.PermissionDenied('No ICMP socket:\nuse socket "raw"\nor sysctl …'))),
  );
  equal(code, USAGE_EXIT);
  // The library's message, on one line, naming the command's flag instead of the library's option.
  deepEqual(out.errors, ["No ICMP socket: use --socket raw or sysctl …"]);
  deepEqual(out.lines, [], "no header before a refusal");
});

Deno.test("runPing() aborts the run when -w passes", async () => {
  const out = new Recorder();
  const started = performance.now();
  const code = await runPing(
    command(["-w", "0.1", "-q"]),
    out,
    fake((options) =>
      new Promise((resolve) => {
        options.onProbe?.(REPLY);
        options.signal?.addEventListener("abort", () => resolve(tally({ sent: 1, rtts: [1] })));
      })
    ),
  );
  ok(performance.now() - started >= 90);
  equal(code, 0);
  ok(out.lines.some((line) => line.text.startsWith("1 packets transmitted, 1 received")));
  ok(!out.lines.some((line) => line.text.includes("bytes from")), "-q hides probe lines");
});

Deno.test("runPing() --ndjson stops the run when stdout's reader is gone", async () => {
  const out = new Recorder();
  out.accept = false;
  let aborted = false;
  await runPing(
    command(["--ndjson"]),
    out,
    fake((options) => {
      options.onProbe?.(REPLY);
      aborted = options.signal?.aborted ?? false;
      return Promise.resolve(tally());
    }),
  );
  ok(aborted);
});

Deno.test("runPing() --ndjson -q prints the summary line only", async () => {
  const out = new Recorder();
  const code = await runPing(
    command(["--ndjson", "-q"]),
    out,
    fake((options) => {
      options.onProbe?.(REPLY);
      return Promise.resolve(tally({ sent: 1, rtts: [1] }));
    }),
  );
  equal(code, 0);
  deepEqual(out.records.map((line) => JSON.parse(line).type), ["summary"]);
});

Deno.test("runPing() streams ndjson events before the summary line", async () => {
  const out = new Recorder();
  const code = await runPing(
    command(["--ndjson"]),
    out,
    fake((options) => {
      options.onProbe?.(REPLY);
      options.onProbe?.({ type: "timeout", ...BASE, seq: 2 });
      return Promise.resolve(tally({ rtts: [1] }));
    }),
  );
  equal(code, 0);
  deepEqual(out.records.map((line) => JSON.parse(line).type), ["reply", "timeout", "summary"]);
  deepEqual(out.lines, []);
});
