/**
 * miniping on a hostile network: the lab with the impairment relay in r2, and tcpdump in h as the judge. Every
 * expected figure is read from the capture of the same run (tests/lab/wire.ts), never from what the relay meant
 * to do; the relay's seeds only make the runs repeatable.
 */
import { deepEqual, equal, ok } from "node:assert/strict";
import type { PingOptions, PingResultJson, ProbeEvent } from "../../mod.ts";
import type { RelayConfig } from "../fixtures/impair_relay.ts";
import { startCapture } from "./capture.ts";
import { EXPECTED_REPLY_TTL, Lab, labSkip } from "./lab.ts";
import { startRelay } from "./relay.ts";
import { account, type WireAccount } from "./wire.ts";

const skip = await labSkip();
const CHILD = new URL("../fixtures/ping_child.ts", import.meta.url).pathname;
/** Slack for wall-clock bounds on a loaded machine (2 cores shared by several jobs). */
const SLACK_MS = 400;

interface Run {
  result: PingResultJson | null;
  events: ProbeEvent[];
  error: { name: string; message: string } | null;
  elapsedMs: number;
  pid: number;
}

type Socket = "raw" | "datagram";
const KINDS = [["raw", 4], ["raw", 6], ["datagram", 4], ["datagram", 6]] as const;

function child(lab: Lab, host: string, options: PingOptions, prefix: string[] = []): Promise<Run> {
  return lab.exec("h", [...prefix, Deno.execPath(), "run", "--allow-ffi", CHILD, JSON.stringify({ host, options })], {
    timeoutMs: 60_000,
  }).then((out) => {
    if (out.code !== 0) throw new Error(`ping child exited ${out.code}: ${out.stderr}`);
    return JSON.parse(out.stdout) as Run;
  });
}

/** One ping run through the relay with a capture around it; returns miniping's run and the wire's account. */
async function impaired(
  lab: Lab,
  relay: RelayConfig,
  family: 4 | 6,
  options: PingOptions & { timeout: number },
  settleMs = 0,
): Promise<{ run: Run; wire: WireAccount; label: string }> {
  const target = family === 4 ? lab.addresses.target4 : lab.addresses.target6;
  await using capture = await startCapture(lab, "h", "to-r1");
  await using _relay = await startRelay(lab, relay);
  const run = await child(lab, target, options);
  // Replies held longer than the run lasts must still reach the capture before it stops.
  await new Promise((resolve) => setTimeout(resolve, settleMs));
  const wire = account(await capture.stop(), target, options.timeout);
  const label = `${options.socket} IPv${family}: miniping ${JSON.stringify(summary(run))}, wire ${
    JSON.stringify({ ...wire, requests: undefined, duplicates: [...wire.duplicates] })
  }`;
  equal(run.error, null, label);
  equal(run.result!.sent, wire.sent, label);
  // Every event names the identifier and sequence its probe had on the wire.
  for (const event of run.events) {
    const { id, seq } = wire.requests[event.seq - 1];
    deepEqual([event.icmpId, event.icmpSeq], [id, seq], `probe ${event.seq}: ${label}`);
  }
  const r = run.result!;
  const dups = [...wire.duplicates.values()].reduce((a, b) => a + b, 0);
  console.log(
    `${options.socket} v${family} ${JSON.stringify(relay)}: wire received ${wire.received}, duplicates ${dups}, ` +
      `damaged ${wire.corrupted} (bad checksum ${wire.badChecksum}), late ${wire.late}, strays ${wire.strays} | ` +
      `miniping received ` +
      `${r.received}, duplicates ${r.duplicates}, corrupted ${r.corrupted}, ${run.elapsedMs.toFixed(0)} ms`,
  );
  return { run, wire, label };
}

function summary(run: Run) {
  const r = run.result!;
  return { sent: r.sent, received: r.received, duplicates: r.duplicates, corrupted: r.corrupted };
}

/** Duplicate events per probe number, for probes before `last` (the last one's copies may land after ping() ends). */
/**
 * Holds each probe's counted duplicates to the wire: a run ends on its last probe's reply, so every copy that came
 * before that must be counted, and a later one may be. Returns the counts per probe.
 */
function checkDuplicates(events: ProbeEvent[], wire: WireAccount, count: number, label: string): Map<number, number> {
  const counted = new Map<number, number>();
  for (const event of events) {
    if (event.type === "duplicate") counted.set(event.seq, (counted.get(event.seq) ?? 0) + 1);
  }
  for (let probe = 1; probe <= count; probe++) {
    const n = counted.get(probe) ?? 0;
    const least = wire.duplicatesBeforeEnd.get(probe) ?? 0;
    const most = wire.duplicates.get(probe) ?? 0;
    ok(least <= n && n <= most, `probe ${probe}: ${n} duplicates counted, ${least}–${most} on the wire: ${label}`);
  }
  return counted;
}

Deno.test({
  name: "ping() through an impairing relay counts what tcpdump saw",
  ignore: skip,
  sanitizeResources: false,
  sanitizeOps: false,
  fn: async (t) => {
    await using lab = await Lab.create({ name: "hostile" });

    await t.step("the relay keeps the lab's TTL and adds no loss when it impairs nothing", async () => {
      for (const [socket, family] of KINDS) {
        const { run, wire, label } = await impaired(lab, { seed: 1 }, family, {
          socket,
          count: 5,
          interval: 10,
          timeout: 1000,
        });
        equal(wire.received, 5, label);
        equal(run.result!.received, 5, label);
        equal(run.result!.ttl, EXPECTED_REPLY_TTL, label);
      }
    });

    await t.step("loss both ways, with delay and jitter: received equals the intact replies on the wire", async () => {
      const relay = {
        seed: 7,
        toward: { loss: 0.25, delay: 5, jitter: 10 },
        back: { loss: 0.25, delay: 5, jitter: 10 },
      };
      for (const [socket, family] of KINDS) {
        const { run, wire, label } = await impaired(lab, relay, family, {
          socket,
          count: 20,
          interval: 10,
          timeout: 500,
        });
        ok(wire.received > 0 && wire.received < 20, `the relay dropped nothing or everything: ${label}`);
        equal(run.result!.received, wire.received, label);
        equal(run.result!.duplicates, 0, label);
        equal(run.events.filter((e) => e.type === "timeout").length, 20 - wire.received, label);
      }
    });

    await t.step("duplication: every duplicate on the wire is counted, none is received twice", async () => {
      const relay = { seed: 11, back: { duplicate: 0.5, duplicateGap: 2 } };
      for (const [socket, family] of KINDS) {
        const count = 20;
        const { run, wire, label } = await impaired(lab, relay, family, {
          socket,
          count,
          interval: 10,
          timeout: 1000,
        });
        ok(wire.duplicates.size > 0, `the relay duplicated nothing: ${label}`);
        equal(run.result!.received, count, label);
        const counted = checkDuplicates(run.events, wire, count, label);
        equal(run.result!.duplicates, [...counted.values()].reduce((a, b) => a + b, 0), label);
      }
    });

    await t.step(
      "corruption with a bad checksum: corrupted on raw IPv4, loss where the kernel drops it first",
      async () => {
        const relay = { seed: 5, back: { corrupt: 0.4, corruptChecksum: "invalid" as const } };
        for (const [socket, family] of KINDS) {
          const { run, wire, label } = await impaired(lab, relay, family, {
            socket,
            count: 20,
            interval: 10,
            timeout: 300,
          });
          ok(wire.badChecksum > 0, `the relay corrupted nothing: ${label}`);
          equal(wire.corrupted, wire.badChecksum, label);
          equal(run.result!.received, wire.received, label);
          // The kernel verifies checksums before datagram sockets and raw ICMPv6 sockets see a reply.
          const counted = socket === "raw" && family === 4 ? wire.corrupted : 0;
          equal(run.result!.corrupted, counted, label);
        }
      },
    );

    await t.step("corruption behind a valid checksum: counted as corrupted on every socket kind", async () => {
      const relay = {
        seed: 9,
        toward: { corrupt: 0.2, corruptChecksum: "valid" as const },
        back: { corrupt: 0.2, corruptChecksum: "valid" as const },
      };
      for (const [socket, family] of KINDS) {
        const { run, wire, label } = await impaired(lab, relay, family, {
          socket,
          count: 20,
          interval: 10,
          timeout: 300,
        });
        ok(wire.corrupted > 0, `the relay corrupted nothing: ${label}`);
        equal(wire.badChecksum, 0, label);
        equal(run.result!.received, wire.received, label);
        equal(run.result!.corrupted, wire.corrupted, label);
      }
    });

    await t.step("bit flips anywhere in the ICMP message, behind bad and valid checksums", async () => {
      // A flip in the type, identifier or sequence makes a reply nobody's (or another probe's); in the checksum field,
      // a reply with a bad checksum. The capture tells which each one became.
      for (const corruptChecksum of ["invalid", "valid"] as const) {
        const relay = { seed: 13, back: { corrupt: 0.5, corruptRegion: "message" as const, corruptChecksum } };
        for (const [socket, family] of KINDS) {
          // 16 bytes of payload: a third of each flip lands in the ICMP header.
          const { run, wire, label } = await impaired(lab, relay, family, {
            socket,
            count: 20,
            interval: 10,
            timeout: 300,
            size: 16,
          });
          ok(wire.strays > 0, `no flip hit the type, identifier or sequence: ${label}`);
          equal(run.result!.received, wire.received, label);
          const counted = socket === "raw" && family === 4 ? wire.corrupted : wire.corrupted - wire.badChecksum;
          equal(run.result!.corrupted, counted, label);
        }
      }
    });

    await t.step(
      "pingMany() over 100 targets through loss and duplication: each target's counts are its own",
      async () => {
        const hosts = [
          ...Array.from({ length: 50 }, (_, i) => lab.addresses.block4.at(i)),
          ...Array.from({ length: 50 }, (_, i) => lab.addresses.block6.at(i)),
        ];
        const count = 5, timeout = 500;
        for (const socket of ["raw", "datagram"] as const) {
          await using capture = await startCapture(lab, "h", "to-r1");
          await using _relay = await startRelay(lab, {
            seed: 17,
            toward: { loss: 0.15 },
            back: { loss: 0.15, duplicate: 0.3, duplicateGap: 2 },
          });
          const out = await lab.exec("h", [
            Deno.execPath(),
            "run",
            "--allow-ffi",
            CHILD,
            JSON.stringify({ hosts, many: true, options: { socket, count, interval: 20, timeout } }),
          ], { timeoutMs: 60_000 });
          equal(out.code, 0, out.stderr);
          const { entries, events } = JSON.parse(out.stdout) as { entries: PingResultJson[]; events: ProbeEvent[] };
          const packets = await capture.stop();
          let received = 0, duplicates = 0, lost = 0;
          for (const [i, host] of hosts.entries()) {
            const wire = account(packets, host, timeout);
            const entry = entries[i];
            const label = `${socket} ${host}: miniping ${JSON.stringify(entry)}, wire ${JSON.stringify(wire.order)}`;
            equal(entry.sent, count, label);
            equal(entry.received, wire.received, label);
            const mine = events.filter((e) => e.host === host);
            ok(mine.every((e) => e.type !== "reply" || e.from === host), label);
            checkDuplicates(mine, wire, count, label);
            received += wire.received;
            duplicates += [...wire.duplicates.values()].reduce((a, b) => a + b, 0);
            lost += count - wire.received;
          }
          ok(lost > 0 && duplicates > 0, `the relay dropped or duplicated nothing (${socket})`);
          console.log(
            `pingMany ${socket}, 100 targets × ${count}: wire received ${received}, duplicates ${duplicates}, lost ${lost}` +
              ` | miniping received ${entries.reduce((n, e) => n + e.received, 0)}, duplicates ${
                entries.reduce((n, e) => n + e.duplicates, 0)
              }`,
          );
        }
      },
    );

    await t.step("reordering: replies are reported in the order they arrived on the wire", async () => {
      const relay = { seed: 3, back: { reorder: 0.3, reorderDelay: 45 } };
      for (const [socket, family] of KINDS) {
        const { run, wire, label } = await impaired(lab, relay, family, {
          socket,
          count: 20,
          interval: 10,
          timeout: 1000,
        });
        ok(wire.order.some((probe, i) => i > 0 && probe < wire.order[i - 1]), `nothing was reordered: ${label}`);
        equal(run.result!.received, 20, label);
        deepEqual(run.events.filter((e) => e.type === "reply").map((e) => e.seq), wire.order, label);
      }
    });

    await t.step("replies later than the timeout are not replies, and the run ends on time", async () => {
      // About half the replies are held 400 ms more: 150 ms (in time) or 550 ms (late) against a 350 ms timeout.
      const relay = { seed: 21, back: { delay: 150, reorder: 0.5, reorderDelay: 400 } };
      const count = 10, interval = 20, timeout = 350;
      for (const [socket, family] of KINDS) {
        const { run, wire, label } = await impaired(lab, relay, family, { socket, count, interval, timeout }, 400);
        ok(wire.late > 0 && wire.received > 0, `no late or no timely replies: ${label}`);
        equal(wire.late + wire.received, count, label);
        equal(run.result!.received, wire.received, label);
        equal(run.events.filter((e) => e.type === "timeout").length, wire.late, label);
        // It lasts until the last unanswered probe's deadline, and never past the last probe's.
        const unanswered = Array.from({ length: count }, (_, i) => i + 1).filter((p) => !wire.order.includes(p));
        const lower = Math.max(...unanswered.map((p) => (p - 1) * interval + timeout));
        const bound = (count - 1) * interval + timeout;
        ok(
          run.elapsedMs >= lower - 5 && run.elapsedMs < bound + SLACK_MS,
          `${run.elapsedMs} ms, from ${lower} to ${bound}: ${label}`,
        );
      }
      // Every reply later than the timeout: nothing received, and still no longer than the bound.
      const all = { seed: 22, back: { delay: 600 } };
      for (const [socket, family] of KINDS) {
        const { run, wire, label } = await impaired(
          lab,
          all,
          family,
          { socket, count: 5, interval: 50, timeout: 300 },
          400,
        );
        equal(wire.late, 5, label);
        equal(run.result!.received, 0, label);
        equal(run.result!.loss, 100, label);
        const bound = 4 * 50 + 300;
        ok(run.elapsedMs < bound + SLACK_MS, `${run.elapsedMs} ms, bound ${bound}: ${label}`);
      }
    });
  },
});
