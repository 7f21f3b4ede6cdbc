/** The one-host runner in-process, with a stand-in ping(): the header rule, -O, --flood, -D, -a, Ctrl-\, a closed stdout. */
import { deepEqual, equal, match, ok } from "node:assert/strict";
import { parseCommand, type PingCommand } from "../cli/args.ts";
import { HEADER_GRACE_MS, type RunDependencies, runPing } from "../cli/ping_command.ts";
import { RunningTally } from "../cli/status.ts";
import type { PingOptions, ProbeEvent, ReplyEvent } from "../ping.ts";
import { PingResult } from "../ping_result.ts";
import { Recorder } from "./cli_recorder.ts";

function command(args: string[]): PingCommand {
  const parsed = parseCommand([...args, "example.test"]);
  if (parsed.kind !== "ping") throw new Error("not a ping command");
  return parsed;
}

const BASE = { host: "192.0.2.7", address: "192.0.2.7", index: 0, icmpId: 9, time: 1700000000123 };

function reply(seq: number, rtt = 1): ReplyEvent {
  return {
    ...BASE,
    type: "reply",
    seq,
    icmpSeq: 500 + seq,
    rtt,
    ttl: 60,
    bytes: 64,
    from: "192.0.2.7",
    clock: "kernel",
  };
}

function timeout(seq: number): ProbeEvent {
  return { ...BASE, type: "timeout", seq, icmpSeq: 500 + seq };
}

function result(sent: number, rtts: number[]): PingResult {
  return new PingResult({
    host: "192.0.2.7",
    address: "192.0.2.7",
    family: 4,
    sent,
    rtts,
    ttl: 60,
    duplicates: 0,
    corrupted: 0,
    errors: 0,
  });
}

function fake(play: (options: PingOptions) => Promise<PingResult>): RunDependencies {
  return {
    resolveHost: () => Promise.resolve({ address: "192.0.2.7", family: 4 }),
    ping: (_host, options = {}) => play(options),
  };
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

Deno.test("runPing() prints no header when the library refuses the run before sending", async () => {
  const out = new Recorder();
  const code = await runPing(
    command([]),
    out,
    fake(() => Promise.reject(new RangeError("Cannot ping: source 192.0.2.1 is not an address of this host"))),
  );
  equal(code, 2);
  deepEqual(out.lines, []);
  deepEqual(out.errors, ["Cannot ping: source 192.0.2.1 is not an address of this host"]);
});

Deno.test("runPing() prints the header before the first probe line, and after the grace on a silent run", async () => {
  const out = new Recorder();
  await runPing(
    command(["-c", "1"]),
    out,
    fake(async (options) => {
      await sleep(HEADER_GRACE_MS * 3);
      equal(out.texts[0], "PING example.test (192.0.2.7): 56 data bytes", "header shown while waiting");
      options.onProbe?.(timeout(1));
      return result(1, []);
    }),
  );
  deepEqual(out.texts.slice(0, 2), [
    "PING example.test (192.0.2.7): 56 data bytes",
    "Request timeout for icmp_seq=501",
  ]);
  const quick = new Recorder();
  await runPing(
    command(["-c", "1"]),
    quick,
    fake((options) => {
      options.onProbe?.(reply(1));
      return Promise.resolve(result(1, [1]));
    }),
  );
  deepEqual(quick.texts.slice(0, 2), [
    "PING example.test (192.0.2.7): 56 data bytes",
    "64 bytes from 192.0.2.7: icmp_seq=501 ttl=60 time=1.000 ms",
  ]);
});

Deno.test("runPing() -s above the IPv4 limit is refused after resolution, before the header", async () => {
  const out = new Recorder();
  let called = false;
  const code = await runPing(
    command(["-s", "65508"]),
    out,
    fake(() => {
      called = true;
      return Promise.resolve(result(1, [1]));
    }),
  );
  equal(code, 2);
  ok(!called);
  deepEqual(out.lines, []);
  match(out.errors[0], /^--size 65508 is too large for IPv4: at most 65507 \(see 'miniping --help'\)$/);
});

Deno.test("runPing() -D prefixes each probe line with the event's UNIX time; -a rings the bell on replies", async () => {
  const out = new Recorder();
  await runPing(
    command(["-D", "-a", "-c", "2"]),
    out,
    fake((options) => {
      options.onProbe?.(reply(1));
      options.onProbe?.(timeout(2));
      return Promise.resolve(result(2, [1]));
    }),
  );
  equal(out.texts[1], "\x07[1700000000.123000] 64 bytes from 192.0.2.7: icmp_seq=501 ttl=60 time=1.000 ms");
  equal(out.texts[2], "[1700000000.123000] Request timeout for icmp_seq=502");
});

Deno.test("runPing() -O notes a probe without an answer when the next one goes out", async () => {
  const out = new Recorder();
  await runPing(
    command(["-O", "-c", "3", "-i", "0.1"]),
    out,
    fake(async (options) => {
      options.onProbe?.(reply(1));
      await sleep(150); // the second send (at 100 ms) finds probe 1 answered
      await sleep(150); // the third send (at 200 ms) finds probe 2 unanswered
      options.onProbe?.(timeout(2));
      options.onProbe?.(reply(3));
      return result(3, [1, 1]);
    }),
  );
  const notes = out.texts.filter((text) => text.startsWith("no answer yet"));
  deepEqual(notes, ["no answer yet for icmp_seq=2"]);
});

Deno.test("runPing() --flood: a dot per request, a backspace per reply, the next probe on a reply", async () => {
  const out = new Recorder();
  const calls: PingOptions[] = [];
  let closed = false;
  const deps: RunDependencies = {
    ...fake(() => Promise.reject(new Error("--flood must not call ping()"))),
    openPinger: () => ({
      ping: (_host, options) => {
        calls.push(options);
        const seq = calls.length;
        // Probes 2 and 4 get no reply: the flood goes on after -i (10 ms) without waiting for their timeout.
        if (seq % 2 === 0) {
          return new Promise((resolve) =>
            setTimeout(() => {
              options.onProbe?.(timeout(1));
              resolve(result(1, []));
            }, 40)
          );
        }
        options.onProbe?.(reply(1, seq));
        return Promise.resolve(result(1, [seq]));
      },
      close: () => {
        closed = true;
        return Promise.resolve();
      },
    }),
  };
  const started = performance.now();
  const code = await runPing(command(["--flood", "-c", "5"]), out, deps);
  equal(code, 0);
  ok(closed, "the pinger is closed");
  ok(calls.every((options) => options.count === 1), "one probe per call");
  // Two unanswered probes of 40 ms each did not hold the flood back by 80 ms before the last send.
  ok(performance.now() - started < 1000);
  // Five dots went out; the three replies took theirs back as they came.
  equal(out.raws.replaceAll(".", "").length, 3 + 1, JSON.stringify(out.raws));
  equal(out.raws.split("").filter((c) => c === ".").length, 5);
  equal(out.raws.at(-1), "\n");
  ok(!out.texts.some((text) => text.includes("bytes from")));
  ok(
    out.texts.some((text) => text.startsWith("5 packets transmitted, 3 received, 40% packet loss")),
    out.texts.join("|"),
  );
  match(
    out.texts.find((text) => text.startsWith("rtt ")) ?? "",
    /^rtt min\/avg\/max\/median\/p95\/jitter = 1\.000\/3\.000\/5\.000\//,
  );
});

Deno.test("runPing() --flood refused before its first send prints the error alone, no header and no dot", async () => {
  const out = new Recorder();
  const deps: RunDependencies = {
    ...fake(() => Promise.reject(new Error("--flood must not call ping()"))),
    openPinger: () => ({
      ping: () => Promise.reject(new Deno.errors.PermissionDenied("Cannot open an ICMP socket: no socket")),
      close: () => Promise.resolve(),
    }),
  };
  const code = await runPing(command(["--flood", "-c", "5"]), out, deps);
  equal(code, 2);
  deepEqual(out.lines, []);
  equal(out.raws, "");
  equal(out.errors.length, 1);
  match(out.errors[0], /^Cannot open an ICMP socket: /);
});

Deno.test("runPing() stops the run when stdout's reader has gone in human mode too", async () => {
  const out = new Recorder();
  let aborted = false;
  await runPing(
    command(["-c", "100"]),
    out,
    fake((options) => {
      out.accept = false;
      options.onProbe?.(reply(1));
      aborted = options.signal?.aborted ?? false;
      return Promise.resolve(result(1, [1]));
    }),
  );
  ok(aborted, "a failed write aborts the run");
});

Deno.test("runPing() -j lists every probe's outcome, lost ones included", async () => {
  const out = new Recorder();
  await runPing(
    command(["-j", "-c", "2"]),
    out,
    fake((options) => {
      options.onProbe?.(reply(1, 0.1234567));
      options.onProbe?.(timeout(2));
      return Promise.resolve(result(2, [0.1234567]));
    }),
  );
  const document = JSON.parse(out.records[0]);
  deepEqual(document.probes, [
    { seq: 1, icmpSeq: 501, outcome: "reply", rtt: 0.123 },
    { seq: 2, icmpSeq: 502, outcome: "timeout" },
  ]);
  equal(document.rtts[0], 0.123);
});

Deno.test("RunningTally's status line counts settled probes and the RTTs so far", () => {
  const tally = new RunningTally();
  equal(tally.statusLine(), "0/0 packets, 0% loss");
  tally.add(reply(1, 1));
  tally.add({ ...reply(1, 9), type: "duplicate" });
  tally.add(timeout(2));
  tally.add(reply(3, 3));
  equal(tally.statusLine(), "2/3 packets, 33.3333% loss, min/avg/max = 1.000/2.000/3.000 ms");
});
