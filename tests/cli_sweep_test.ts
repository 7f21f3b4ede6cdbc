/** fping mode in-process, with a stand-in for pingMany(): output, filters, exit codes, progress and target files. */
import { deepEqual, equal, match, ok } from "node:assert/strict";
import { parseCommand, type SweepCommand } from "../cli/args.ts";
import type { ProbeEvent } from "../ping.ts";
import type { PingManyEntry, PingManyOptions } from "../ping_many.ts";
import { PingFailure } from "../ping_many.ts";
import { PROGRESS_AFTER_MS, runSweep, type SweepDependencies } from "../cli/sweep_command.ts";
import { summaryTable } from "../cli/sweep_format.ts";
import { PingResult } from "../ping_result.ts";
import { Recorder } from "./cli_recorder.ts";

function sweep(argv: string[]): SweepCommand {
  const command = parseCommand(argv);
  if (command.kind !== "sweep") throw new Error(`expected fping mode, got ${command.kind}`);
  return command;
}

/** How the stand-in answers each host: RTTs of the replies (the rest time out), or a failure. */
type Script = Record<string, number[] | "fail">;

interface Seen {
  hosts: string[];
  options?: PingManyOptions;
}

function fakeMany(script: Script, seen: Seen = { hosts: [] }, delayMs = 0): SweepDependencies {
  return {
    stderrIsTerminal: () => false,
    pingMany: async (hosts, options) => {
      seen.options = options;
      const entries: PingManyEntry[] = [];
      let index = 0;
      for await (const host of hosts) {
        seen.hosts.push(host);
        if (delayMs > 0) await new Promise((resolve) => setTimeout(resolve, delayMs));
        if (options.signal?.aborted) break;
        const plan = script[host] ?? [];
        let entry: PingManyEntry;
        if (plan === "fail") {
          entry = new PingFailure(host, index, new Error(`Cannot resolve "${host}": Name or service not known`));
        } else {
          const count = options.count ?? 2;
          for (let seq = 1; seq <= count; seq++) {
            const base = { seq, host, address: host, index, icmpId: 7, icmpSeq: 100 + seq, time: Date.now() };
            const full: ProbeEvent = seq <= plan.length
              ? { ...base, type: "reply", rtt: plan[seq - 1], ttl: 64, bytes: 64, from: host, clock: "kernel" }
              : { ...base, type: "timeout" };
            await options.onProbe?.(full);
          }
          entry = new PingResult({
            host,
            address: host,
            family: 4,
            sent: count,
            rtts: plan.slice(0, count),
            ttl: plan.length > 0 ? 64 : null,
            duplicates: 0,
            corrupted: 0,
            errors: 0,
            index,
          });
        }
        await options.onResult?.(entry);
        if (options.collect !== false) entries.push(entry);
        index++;
      }
      return entries;
    },
  };
}

const ALL_ALIVE: Script = { "192.0.2.1": [0.5, 0.25], "192.0.2.2": [1, 2] };
const ONE_DEAD: Script = { "192.0.2.1": [0.5, 0.25], "192.0.2.3": [] };

Deno.test("fping mode: per-probe lines name the host and the wire sequence; a table closes the run", async () => {
  const out = new Recorder();
  const code = await runSweep(sweep(["-c", "2", "192.0.2.1", "192.0.2.3"]), out, fakeMany(ONE_DEAD));
  equal(code, 1);
  deepEqual(out.texts.slice(0, 4), [
    "192.0.2.1 : [101], 64 bytes, 0.500 ms",
    "192.0.2.1 : [102], 64 bytes, 0.250 ms",
    "192.0.2.3 : [101], timed out",
    "192.0.2.3 : [102], timed out",
  ]);
  deepEqual(out.texts.slice(4), [
    "",
    "host       sent  recv  loss    min    avg    max  median    p95",
    "192.0.2.1     2     2    0%  0.250  0.375  0.500   0.375  0.487",
    "192.0.2.3     2     0  100%      -      -      -       -      -",
  ]);
  deepEqual(out.errors, []);
});

Deno.test("fping mode exits 0 when every target answered, 1 when some did not, 2 when one failed", async () => {
  equal(await runSweep(sweep(["-q", "192.0.2.1", "192.0.2.2"]), new Recorder(), fakeMany(ALL_ALIVE)), 0);
  equal(await runSweep(sweep(["-q", "192.0.2.1", "192.0.2.3"]), new Recorder(), fakeMany(ONE_DEAD)), 1);
  const out = new Recorder();
  const failing = { ...ALL_ALIVE, "gone.invalid": "fail" as const };
  equal(await runSweep(sweep(["-q", "192.0.2.1", "gone.invalid"]), out, fakeMany(failing)), 2);
  match(out.texts.at(-1)!, /^gone\.invalid {2}error: Cannot resolve "gone\.invalid"/);
});

Deno.test("fping mode -q prints the table only", async () => {
  const out = new Recorder();
  await runSweep(sweep(["-q", "192.0.2.1", "192.0.2.2"]), out, fakeMany(ALL_ALIVE));
  equal(out.texts.length, 3);
  match(out.texts[0], /^host /);
});

Deno.test("fping mode -a / -u print the alive / unreachable names as they finish, and do not hold the results", async () => {
  const seen: Seen = { hosts: [] };
  const alive = new Recorder();
  const script = { ...ONE_DEAD, "192.0.2.2": [1] };
  equal(await runSweep(sweep(["-a", "192.0.2.1", "192.0.2.3", "192.0.2.2"]), alive, fakeMany(script, seen)), 1);
  deepEqual(alive.texts, ["192.0.2.1", "192.0.2.2"]);
  equal(seen.options?.collect, false);
  const unreachable = new Recorder();
  await runSweep(sweep(["-u", "192.0.2.1", "192.0.2.3", "192.0.2.2"]), unreachable, fakeMany(script));
  deepEqual(unreachable.texts, ["192.0.2.3"]);
});

Deno.test("fping mode -j prints one JSON array with each probe's outcome, lost probes included", async () => {
  const out = new Recorder();
  const script = { ...ONE_DEAD, "gone.invalid": "fail" as const };
  const code = await runSweep(
    sweep(["-j", "-c", "2", "192.0.2.1", "192.0.2.3", "gone.invalid"]),
    out,
    fakeMany(script),
  );
  equal(code, 2);
  equal(out.records.length, 1);
  const document = JSON.parse(out.records[0]);
  equal(document.length, 3);
  equal(document[0].host, "192.0.2.1");
  deepEqual(document[0].probes.map((probe: { outcome: string }) => probe.outcome), ["reply", "reply"]);
  deepEqual(document[1].probes, [{ seq: 1, icmpSeq: 101, outcome: "timeout" }, {
    seq: 2,
    icmpSeq: 102,
    outcome: "timeout",
  }]);
  deepEqual(document[2], {
    host: "gone.invalid",
    index: 2,
    error: 'Cannot resolve "gone.invalid": Name or service not known',
  });
  deepEqual(out.lines, []);
});

Deno.test("fping mode --ndjson streams events with host, then one summary per host", async () => {
  const out = new Recorder();
  const seen: Seen = { hosts: [] };
  await runSweep(sweep(["--ndjson", "-c", "1", "192.0.2.1", "192.0.2.3"]), out, fakeMany(ONE_DEAD, seen));
  const lines = out.records.map((line) => JSON.parse(line));
  deepEqual(lines.map((line) => [line.type, line.host]), [
    ["reply", "192.0.2.1"],
    ["summary", "192.0.2.1"],
    ["timeout", "192.0.2.3"],
    ["summary", "192.0.2.3"],
  ]);
  ok(lines.slice(0, 1).every((line) => typeof line.time === "number" && line.icmpSeq === 101));
  equal(seen.options?.collect, false);
});

Deno.test("fping mode hands -i, -c, --rate and a signal to pingMany()", async () => {
  const seen: Seen = { hosts: [] };
  await runSweep(sweep(["-q", "-c", "3", "-i", "0.25", "--rate", "500", "a", "b"]), new Recorder(), fakeMany({}, seen));
  equal(seen.options?.count, 3);
  equal(seen.options?.interval, 250);
  equal(seen.options?.rate, 500);
  ok(seen.options?.signal instanceof AbortSignal);
  deepEqual(seen.hosts, ["a", "b"]);
});

Deno.test("fping mode stops sending when stdout's reader has gone", async () => {
  const out = new Recorder();
  out.accept = false;
  const seen: Seen = { hosts: [] };
  await runSweep(sweep(["192.0.2.1", "192.0.2.2", "192.0.2.1"]), out, fakeMany(ALL_ALIVE, seen));
  ok(seen.options?.signal?.aborted, "stopped");
  equal(seen.hosts.length, 2, "the stand-in stops at the next target once aborted");
});

Deno.test("fping mode -g streams the generated addresses; -f reads a file with comments", async () => {
  const seen: Seen = { hosts: [] };
  await runSweep(sweep(["-q", "-g", "192.0.2.0/29"]), new Recorder(), fakeMany({}, seen));
  deepEqual(seen.hosts, ["192.0.2.1", "192.0.2.2", "192.0.2.3", "192.0.2.4", "192.0.2.5", "192.0.2.6"]);
  const file = await Deno.makeTempFile();
  try {
    await Deno.writeTextFile(file, "# targets\n192.0.2.1\n\n192.0.2.2 # the other\n");
    const fromFile: Seen = { hosts: [] };
    equal(await runSweep(sweep(["-q", "-f", file]), new Recorder(), fakeMany(ALL_ALIVE, fromFile)), 0);
    deepEqual(fromFile.hosts, ["192.0.2.1", "192.0.2.2"]);
  } finally {
    await Deno.remove(file);
  }
  const out = new Recorder();
  equal(await runSweep(sweep(["-f", "/nonexistent/targets"]), out, fakeMany({})), 2);
  match(out.errors[0], /^cannot read \/nonexistent\/targets: /);
});

Deno.test("fping mode shows a progress line on a terminal stderr once a sweep passes a second, and clears it", async () => {
  const hosts = ["192.0.2.1", "192.0.2.2", "192.0.2.1", "192.0.2.2"];
  const slow = (terminal: boolean) => ({
    ...fakeMany(ALL_ALIVE, { hosts: [] }, 350),
    stderrIsTerminal: () => terminal,
  });
  const shown = new Recorder();
  await runSweep(sweep(["-c", "1", ...hosts]), shown, slow(true));
  ok(
    shown.progressTexts.some((text) => /^\d+\/4 targets, \d+ probes\/s, \d+ alive$/.test(text)),
    JSON.stringify(shown.progressTexts),
  );
  equal(shown.progressTexts.at(-1), "", "cleared at the end");
  ok(PROGRESS_AFTER_MS <= 1000);
  for (
    const [argv, terminal] of [[["-c", "1"], false], [["-q", "-c", "1"], true], [["-j", "-c", "1"], true]] as const
  ) {
    const quiet = new Recorder();
    await runSweep(sweep([...argv, ...hosts]), quiet, slow(terminal));
    deepEqual(quiet.progressTexts.filter((text) => text !== ""), [], JSON.stringify(argv));
  }
});

Deno.test("summaryTable() aligns every column whatever the widths", () => {
  const result = (host: string, rtts: number[]) =>
    new PingResult({ host, address: host, family: 4, sent: 3, rtts, ttl: 64, duplicates: 0, corrupted: 0, errors: 0 });
  const lines = summaryTable([
    { host: "a", result: result("a", [1234.5678, 1]).toJSON() },
    { host: "a-much-longer-name.example", result: result("x", [0.01]).toJSON() },
  ]).map((line) => line.text);
  const ends = (line: string) => [...line.matchAll(/\S+/g)].map((m) => m.index! + m[0].length).slice(1);
  deepEqual(ends(lines[1]), ends(lines[0]));
  deepEqual(ends(lines[2]), ends(lines[0]));
  match(lines[1], /^a +3 +2 +33\.3333% +1\.000 +617\.784 +1234\.568 +617\.784 +1172\.889$/);
});

Deno.test("fping mode: targets a stop kept from starting are 'not pinged', status 1 rather than 2", async () => {
  const out = new Recorder();
  const deps: SweepDependencies = {
    stderrIsTerminal: () => false,
    pingMany: async (hosts, options) => {
      const names: string[] = [];
      for await (const host of hosts) names.push(host);
      const first = new PingResult({
        host: names[0],
        address: names[0],
        family: 4,
        sent: 1,
        rtts: [1],
        ttl: 64,
        duplicates: 0,
        corrupted: 0,
        errors: 0,
      });
      await options.onResult?.(first);
      // -w strikes before the others start, as the library reports it: a failure carrying the abort reason.
      await new Promise((resolve) => options.signal?.addEventListener("abort", resolve, { once: true }));
      const rest = names.slice(1).map((host, i) => new PingFailure(host, i + 1, options.signal?.reason));
      for (const entry of rest) await options.onResult?.(entry);
      return [first, ...rest];
    },
  };
  const code = await runSweep(sweep(["-q", "-w", "0.1", "192.0.2.1", "192.0.2.2"]), out, deps);
  equal(code, 1);
  match(out.texts.at(-1)!, /^192\.0\.2\.2 {2}error: not pinged: the run was stopped$/);
});
