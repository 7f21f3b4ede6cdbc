/**
 * ping() against the namespace lab `h — r1 — r2 — r3 — t`: every probe runs in a child process inside h.
 */
import { deepEqual, equal, ok } from "node:assert/strict";
import type { PingOptions, PingResultJson, ProbeEvent } from "../mod.ts";
import { EXPECTED_REPLY_TTL, Lab, labSkip } from "./lab/lab.ts";
import { worldReadableCopy } from "./support/world_readable_copy.ts";
import { setEchoIgnore, startForger } from "./lab/forger.ts";

const skip = await labSkip();
const root = new URL("../", import.meta.url).pathname;
const NOBODY = 65534;

interface ChildError {
  name: string;
  message: string;
  code: number | null;
  from: string | null;
}

interface Single {
  result: PingResultJson | null;
  events: ProbeEvent[];
  error: ChildError | null;
  elapsedMs: number;
}

interface Many {
  runs: { host: string; result: PingResultJson | null; error: ChildError | null; foreign: number }[];
  elapsedMs: number;
}

class Runner {
  constructor(readonly lab: Lab, readonly base = root, readonly env: Record<string, string> = {}) {}

  async raw(request: object, uid?: number): Promise<unknown> {
    const child = `${this.base}tests/fixtures/ping_child.ts`;
    const out = await this.lab.exec("h", [Deno.execPath(), "run", "--allow-ffi", child, JSON.stringify(request)], {
      uid,
      timeoutMs: 60_000,
      env: this.env,
    });
    if (out.code !== 0) throw new Error(`child exited ${out.code}: ${out.stderr}`);
    return JSON.parse(out.stdout);
  }

  one(host: string, options: PingOptions = {}, extra: { uid?: number; abortAfterMs?: number } = {}): Promise<Single> {
    return this.raw({ host, options, abortAfterMs: extra.abortAfterMs }, extra.uid) as Promise<Single>;
  }

  many(hosts: string[], options: PingOptions = {}): Promise<Many> {
    return this.raw({ hosts, options }) as Promise<Many>;
  }
}

function replies(events: ProbeEvent[]) {
  return events.filter((event) => event.type === "reply");
}

const FAST: PingOptions = { count: 3, interval: 20, timeout: 1000 };
/** Timeout for probes that an ICMP error answers: the error ends them, so only a stalled machine ever waits it out. */
const ERROR_WAIT = 5000;

Deno.test({
  name: "ping() in the namespace lab",
  ignore: skip,
  sanitizeResources: false,
  sanitizeOps: false,
  fn: async (t) => {
    await using lab = await Lab.create({ name: "ping" });
    const a = lab.addresses;
    const run = new Runner(lab);

    // First, before any time-exceeded: with icmp_ratelimit=0 those drain the per-peer token bucket that r1's IPv4
    // route errors (prohibit, unreachable) also draw on, about five and then one a second.
    for (const socket of ["raw", "datagram"] as const) {
      for (const family of [4, 6] as const) {
        await t.step(
          `ping() over ${socket} IPv${family} throws DestinationUnreachableError for prohibit and unreachable routes`,
          async () => {
            const router = family === 4 ? a.router1_4 : a.router1_6;
            const cases = family === 4
              ? [[a.prohibit4, 13, /Administratively Prohibited/i], [a.unreachable4, 1, /Host Unreachable/i]] as const
              : [[a.prohibit6, 1, /administratively prohibited/i], [a.unreachable6, 0, /No route/i]] as const;
            for (const [host, code, message] of cases) {
              // An error ends the probe at once, so a long timeout costs nothing; a short one can expire first when
              // a loaded machine stalls the child between send and receive.
              const { error, result, events } = await run.one(host, { count: 1, socket, timeout: ERROR_WAIT });
              equal(error?.name, "DestinationUnreachableError", `${host}: ${JSON.stringify({ error, events })}`);
              equal(error!.code, code);
              equal(error!.from, router);
              ok(message.test(error!.message), error!.message);
              equal(result!.sent, 1);
              equal(result!.errors, 1);
              equal(result!.loss, 100);
            }
          },
        );
      }
    }

    for (const socket of ["raw", "datagram"] as const) {
      for (const [family, target] of [[4, a.target4], [6, a.target6]] as const) {
        await t.step(`ping() over ${socket} IPv${family} sees replies with TTL 61, four hops away`, async () => {
          const { result, events, error } = await run.one(target, { ...FAST, socket });
          equal(error, null);
          equal(result!.family, family);
          equal(result!.received, 3);
          equal(result!.ttl, EXPECTED_REPLY_TTL);
          equal(result!.hops, 4);
          equal(result!.osGuess, family === 4 ? "Linux/Unix/BSD/macOS/Android" : null);
          for (const event of replies(events)) {
            equal(event.clock, "kernel");
            equal(event.ttl, EXPECTED_REPLY_TTL);
            equal(event.from, target);
          }
        });

        await t.step(
          `ping() over ${socket} IPv${family} throws TimeExceededError from the router where ttl runs out`,
          async () => {
            for (
              const [ttl, router] of [[1, family === 4 ? a.router1_4 : a.router1_6], [
                2,
                family === 4 ? a.router2_4 : a.router2_6,
              ]] as const
            ) {
              const { error, events, result } = await run.one(target, {
                count: 2,
                interval: 20,
                ttl,
                socket,
                timeout: ERROR_WAIT,
              });
              equal(error?.name, "TimeExceededError", `ttl ${ttl}: ${JSON.stringify(error)}`);
              equal(error!.from, router);
              equal(error!.code, 0);
              equal(result!.received, 0);
              equal(result!.errors, 2);
              deepEqual(events.map((e) => e.type), ["error", "error"]);
              const first = events[0] as Extract<ProbeEvent, { type: "error" }>;
              equal(first.kind, "time-exceeded");
              equal(first.from, router);
              equal(first.icmpType, family === 4 ? 11 : 3);
            }
          },
        );

        await t.step(
          `ping() over ${socket} IPv${family} to a blackhole times out, or throws PingTimeoutError when asked`,
          async () => {
            const host = family === 4 ? a.blackhole4 : a.blackhole6;
            const quiet = await run.one(host, { count: 2, interval: 20, timeout: 200, socket });
            equal(quiet.error, null);
            equal(quiet.result!.received, 0);
            equal(quiet.result!.errors, 0);
            equal(quiet.result!.loss, 100);
            deepEqual(quiet.events.map((e) => e.type), ["timeout", "timeout"]);
            const loud = await run.one(host, { count: 1, timeout: 200, socket, throwOnTimeout: true });
            equal(loud.error?.name, "PingTimeoutError");
            equal(loud.result!.sent, 1);
            ok(loud.error!.message.endsWith(`to 1 probe`), loud.error!.message);
          },
        );
      }
    }

    await t.step("ping() reports a route that refuses locally as DestinationUnreachableError from nobody", async () => {
      const added = await lab.exec("h", ["ip", "route", "add", "prohibit", "198.19.9.0/24"]);
      equal(added.code, 0, added.stderr);
      for (const socket of ["raw", "datagram"] as const) {
        const { error, result } = await run.one("198.19.9.1", { count: 2, interval: 10, socket, timeout: ERROR_WAIT });
        equal(error?.name, "DestinationUnreachableError", JSON.stringify(error));
        equal(error!.from, null);
        equal(error!.code, 13);
        equal(result!.sent, 2);
        equal(result!.errors, 2);
      }
    });

    await t.step("1,000 concurrent ping() calls across the lab get exactly their own replies", async () => {
      const hosts = Array.from({ length: 1000 }, (_, i) => a.block4.at(i));
      const { runs, elapsedMs } = await run.many(hosts, { count: 3, interval: 50, timeout: 2000 });
      const wrong = runs.filter((r) => r.error !== null || r.result!.received !== 3 || r.foreign !== 0);
      deepEqual(wrong.slice(0, 3), []);
      ok(runs.every((r) => r.result!.address === r.host && r.result!.ttl === EXPECTED_REPLY_TTL));
      console.log(`1,000 hosts × 3 probes through three routers: ${elapsedMs.toFixed(0)} ms in the child`);
    });

    await t.step("IPv4 and IPv6 pings at once over both socket kinds do not see each other's replies", async () => {
      const hosts = [
        ...Array.from({ length: 100 }, (_, i) => a.block4.at(i)),
        ...Array.from({ length: 100 }, (_, i) => a.block6.at(i)),
      ];
      const { runs } = await run.many(hosts, { count: 2, interval: 20, socket: "raw" });
      equal(runs.filter((r) => r.result?.received === 2 && r.foreign === 0).length, 200);
    });

    await t.step("ping() aborted in the lab settles with what it gathered", async () => {
      const { result, error, elapsedMs } = await run.one(a.target4, { count: 50, interval: 20 }, { abortAfterMs: 110 });
      equal(error, null);
      // Six probes are due by 110 ms. A loaded machine may send late (fewer) or fire the abort late (more): the run
      // must stop well short of its 50 probes and settle soon after the abort, not after the last probe's timeout.
      ok(result!.sent >= 1 && result!.sent <= 7 + Math.ceil((elapsedMs - 110) / 20), `sent ${result!.sent}`);
      ok(elapsedMs < 110 + 400, `took ${elapsedMs} ms`);
    });

    await t.step("ping() counts a forged second reply as a duplicate, never as received", async () => {
      for (const [family, target] of [[4, a.target4], [6, a.target6]] as const) {
        await using _forger = await startForger(lab, family, "echo");
        const { result, events } = await run.one(target, { count: 4, interval: 100, socket: "raw" });
        equal(result!.received, 4, `IPv${family}`);
        equal(result!.rtts.length, 4);
        // A copy lands after ping() has resolved when the forger (another process on a loaded machine) is slower than
        // the rest of the run; tests/lab/hostile_test.ts holds duplicate counts to tcpdump's exactly.
        ok(result!.duplicates >= 1 && result!.duplicates <= 4, `IPv${family}: ${result!.duplicates} duplicates`);
        equal(events.filter((e) => e.type === "duplicate").length, result!.duplicates);
      }
    });

    await t.step("ping() ignores a reply with the right payload from an address it did not probe", async () => {
      // The block address answers from itself; the forger's copy leaves t from its link address, target4.
      await using _forger = await startForger(lab, 4, "echo");
      for (const socket of ["raw", "datagram"] as const) {
        const { result, events } = await run.one(a.block4.at(5), { count: 3, interval: 50, socket });
        equal(result!.received, 3, socket);
        equal(result!.duplicates, 0, socket);
        equal(result!.corrupted, 0, socket);
        ok(events.every((e) => e.type === "reply" && e.from === a.block4.at(5)), socket);
      }
      // The forger is live: where its copy does come from the probed address, it is a duplicate.
      const { result } = await run.one(a.target4, { count: 3, interval: 100, socket: "raw" });
      ok(result!.duplicates >= 1, `${result!.duplicates} duplicates from the forger`);
    });

    await t.step("ping() over raw IPv4 reads replies whose IP header carries options", async () => {
      await setEchoIgnore(lab, true);
      try {
        await using _forger = await startForger(lab, 4, "echo", "--ip-options");
        const capture = lab.spawn("h", ["tcpdump", "-l", "-n", "-v", "-c", "1", "-i", "any", "icmp[0] == 0"], {
          stdout: "piped",
          stderr: "piped",
        });
        await new Promise((resolve) => setTimeout(resolve, 400));
        const { result } = await run.one(a.target4, { count: 3, interval: 30, socket: "raw" });
        equal(result!.received, 3);
        equal(result!.corrupted, 0);
        const seen = new TextDecoder().decode((await capture.output()).stdout);
        ok(/length 88|options \(NOP/.test(seen), `reply without IP options on the wire: ${seen}`);
      } finally {
        await setEchoIgnore(lab, false);
      }
    });

    await t.step("ping() counts corrupted replies and does not accept them", async () => {
      await setEchoIgnore(lab, true);
      try {
        for (
          const [family, target, modes] of [[4, a.target4, "corrupt,bad-checksum"], [6, a.target6, "corrupt"]] as const
        ) {
          await using _forger = await startForger(lab, family, modes);
          // A generous timeout: the forger is another process, slow to answer on a loaded machine.
          const { result, error } = await run.one(target, { count: 3, interval: 30, timeout: 1000, socket: "raw" });
          equal(error, null);
          equal(result!.received, 0, `IPv${family}`);
          equal(result!.corrupted, 3 * modes.split(",").length, `IPv${family}`);
        }
        // The forger alone, answering faithfully, is an ordinary responder.
        await using _forger = await startForger(lab, 4, "echo");
        const { result } = await run.one(a.target4, { count: 3, interval: 30, socket: "raw" });
        equal(result!.received, 3);
        equal(result!.corrupted, 0);
      } finally {
        await setEchoIgnore(lab, false);
      }
    });

    await t.step("ping() sends the ttl and dscp it is given, per packet, on both socket kinds", async () => {
      for (const socket of ["raw", "datagram"] as const) {
        for (const [family, target] of [[4, a.target4], [6, a.target6]] as const) {
          const capture = lab.spawn("t", [
            "tcpdump",
            "-l",
            "-n",
            "-v",
            "-c",
            "2",
            "-i",
            "any",
            family === 4 ? "icmp[0] == 8" : "icmp6 and ip6[40] == 128",
          ], { stdout: "piped", stderr: "piped" });
          await new Promise((resolve) => setTimeout(resolve, 400));
          const { result } = await run.one(target, { count: 2, interval: 20, ttl: 10, dscp: 46, socket });
          equal(result!.received, 2);
          const seen = new TextDecoder().decode((await capture.output()).stdout);
          // Three routers took three off the TTL; DSCP 46 is TOS byte 0xb8.
          ok(
            family === 4 ? /tos 0xb8, ttl 7/.test(seen) : /class 0xb8.*hlim 7/.test(seen),
            `${socket} v${family}: ${seen}`,
          );
        }
      }
    });

    await t.step(
      "ping() as uid 65534 uses a datagram socket when ping_group_range allows it, and explains when not",
      async () => {
        await using copy = await worldReadableCopy(["tests/fixtures/ping_child.ts"]);
        try {
          const nobody = new Runner(lab, copy.dir, copy.env);
          const allowed = await nobody.one(a.target6, FAST, { uid: NOBODY });
          equal(allowed.error, null, JSON.stringify(allowed.error));
          equal(allowed.result!.received, 3);
          equal(allowed.result!.ttl, EXPECTED_REPLY_TTL);
          const v4 = await nobody.one(a.target4, { ...FAST, socket: "datagram" }, { uid: NOBODY });
          equal(v4.result!.received, 3);
          await lab.setPingGroupRange("h", "1 0");
          const refused = await nobody.one(a.target4, FAST, { uid: NOBODY });
          equal(refused.error?.name, "PermissionDenied");
          ok(/setcap cap_net_raw\+ep/.test(refused.error!.message), refused.error!.message);
          // The facts come through libc, so the child needs neither --allow-sys nor --allow-read to name them.
          ok(
            /ping_group_range is "1 0", which excludes group 65534; allow it with: sudo sysctl -w net\.ipv4\.ping_group_range="65534 65534"/
              .test(refused.error!.message),
            refused.error!.message,
          );
          // Root still has raw sockets, so "auto" falls back to them; "datagram" alone is refused.
          equal((await run.one(a.target4, FAST)).result!.received, 3);
          equal((await run.one(a.target4, { ...FAST, socket: "datagram" })).error?.name, "PermissionDenied");
        } finally {
          await lab.setPingGroupRange("h", "0 2147483647");
        }
      },
    );
  },
});
