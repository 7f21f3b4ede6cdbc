/**
 * miniping against an attacker in the lab: forged replies and forged ICMP errors from another namespace, two pingers
 * that are both PID 1 of their own PID namespace, and hostile host strings. Wire counts come from tcpdump in h.
 */
import { equal, ok } from "node:assert/strict";
import type { PingOptions, PingResultJson, ProbeEvent } from "../../mod.ts";
import { startCapture } from "./capture.ts";
import { Lab, labSkip } from "./lab.ts";
import { account } from "./wire.ts";
import { setEchoIgnore, startForger } from "./forger.ts";

const skip = await labSkip();
const CHILD = new URL("../fixtures/ping_child.ts", import.meta.url).pathname;
/** An address of t that is neither probed nor on the path: the forger's "off-path" source. */
const OFF_PATH = { 4: "198.18.4.77", 6: "fd00:5e:4::77" } as const;
const KINDS = [["raw", 4], ["raw", 6], ["datagram", 4], ["datagram", 6]] as const;

interface Run {
  result: PingResultJson | null;
  events: ProbeEvent[];
  error: { name: string; message: string; from: string | null } | null;
  elapsedMs: number;
  pid: number;
}

async function child(lab: Lab, request: object, prefix: string[] = []): Promise<Run> {
  const out = await lab.exec("h", [...prefix, Deno.execPath(), "run", "--allow-ffi", CHILD, JSON.stringify(request)], {
    timeoutMs: 60_000,
  });
  if (out.code !== 0) throw new Error(`ping child exited ${out.code}: ${out.stderr}`);
  return JSON.parse(out.stdout) as Run;
}

/** Runs one ping with the forger as t's only responder and a capture in h. */
async function forged(
  lab: Lab,
  family: 4 | 6,
  modes: string,
  options: PingOptions & { timeout: number },
  settleMs = 100,
) {
  const target = family === 4 ? lab.addresses.target4 : lab.addresses.target6;
  await using capture = await startCapture(lab, "h", "to-r1");
  // Errors come from the off-path address; replies from the probed one, or miniping would rightly ignore them.
  const from = modes.startsWith("error-") ? ["--from", OFF_PATH[family]] : [];
  await using _forger = await startForger(lab, family, modes, ...from, "--target", target);
  const run = await child(lab, { host: target, options });
  // Late forgeries must still reach the capture.
  await new Promise((resolve) => setTimeout(resolve, settleMs));
  const packets = await capture.stop();
  const errorType = family === 4 ? 3 : 1;
  const wireErrors = packets.filter((p) => p.type === errorType && p.source === OFF_PATH[family]).length;
  return { run, wire: account(packets, target, options.timeout), wireErrors };
}

Deno.test({
  name: "ping() against forged packets, PID namespaces and hostile host strings",
  ignore: skip,
  sanitizeResources: false,
  sanitizeOps: false,
  fn: async (t) => {
    await using lab = await Lab.create({ name: "forged" });
    const a = lab.addresses;
    for (const [family, address] of [[4, `${OFF_PATH[4]}/32`], [6, `${OFF_PATH[6]}/128`]] as const) {
      const out = await lab.exec("t", [
        "ip",
        `-${family}`,
        "addr",
        "add",
        address,
        "dev",
        "lo",
        ...(family === 6 ? ["nodad"] : []),
      ]);
      equal(out.code, 0, out.stderr);
    }

    await t.step(
      "two pingers, each PID 1 of its own PID namespace, get no credit for each other's replies",
      async () => {
        const unshare = ["unshare", "--pid", "--fork"];
        for (const [socket, family] of KINDS) {
          const [live, dark] = family === 4 ? [a.target4, a.blackhole4] : [a.target6, a.blackhole6];
          const options = { socket, count: 5, interval: 20, timeout: 300 };
          await using capture = await startCapture(lab, "h", "to-r1");
          const [hit, miss] = await Promise.all([
            child(lab, { host: live, options }, unshare),
            child(lab, { host: dark, options }, unshare),
          ]);
          const wire = account(await capture.stop(), live, options.timeout);
          const label = `${socket} IPv${family}`;
          equal(hit.pid, 1, label);
          equal(miss.pid, 1, label);
          equal(wire.received, 5, label);
          equal(hit.result!.received, wire.received, label);
          ok(hit.events.every((e) => e.type === "reply" && e.from === live), label);
          equal(miss.result!.received, 0, label);
          equal(miss.result!.duplicates + miss.result!.corrupted + miss.result!.errors, 0, label);
          ok(miss.events.every((e) => e.type === "timeout"), `${label}: ${JSON.stringify(miss.events)}`);
        }
      },
    );

    await setEchoIgnore(lab, true);
    try {
      await t.step("a reply with the right identifier and sequence but a wrong token is never received", async () => {
        for (const [socket, family] of KINDS) {
          // The forger is another process: give it time on a loaded machine, so its forgeries are not late.
          const { run, wire } = await forged(lab, family, "wrong-token", {
            socket,
            count: 3,
            interval: 20,
            timeout: 600,
          });
          const label = `${socket} IPv${family}: ${JSON.stringify(run.result)}`;
          equal(wire.corrupted, 3, label);
          equal(run.result!.received, 0, label);
          equal(run.result!.corrupted, wire.corrupted, label);
        }
      });

      await t.step("a faithful reply after the timeout is not a reply", async () => {
        for (const [socket, family] of KINDS) {
          const options = { socket, count: 3, interval: 20, timeout: 200 };
          const { run, wire } = await forged(lab, family, "late=400", options, 400);
          const label = `${socket} IPv${family}: ${JSON.stringify(run.result)}`;
          equal(run.result!.received, 0, label);
          equal(run.events.filter((e) => e.type === "timeout").length, 3, label);
          ok(run.elapsedMs < 2 * 20 + 200 + 400, `${run.elapsedMs} ms`);
          equal(wire.received, 0, label);
          equal(wire.late, 3, label);
        }
      });

      await t.step("an error from an off-path address that quotes the probe is accepted, as iputils does", async () => {
        for (const [socket, family] of KINDS) {
          for (const mode of ["error-full", "error-short"]) {
            const { run, wireErrors } = await forged(lab, family, mode, {
              socket,
              count: 3,
              interval: 20,
              timeout: 1000,
            });
            const label = `${socket} IPv${family} ${mode}: ${JSON.stringify(run)}`;
            equal(wireErrors, 3, label);
            equal(run.error?.name, "DestinationUnreachableError", label);
            equal(run.error!.from, OFF_PATH[family], label);
            equal(run.result!.errors, wireErrors, label);
          }
        }
      });

      await t.step({
        name: "an error from an off-path address whose quote carries a wrong token is ignored",
        fn: async () => {
          for (const [socket, family] of KINDS) {
            const options = { socket, count: 3, interval: 20, timeout: 1000 };
            const { run, wireErrors } = await forged(lab, family, "error-wrong-token", options);
            const label = `${socket} IPv${family}: ${JSON.stringify(run)}`;
            equal(wireErrors, 3, label);
            equal(run.error, null, label);
            equal(run.result!.errors, 0, label);
            equal(run.events.filter((e) => e.type === "timeout").length, 3, label);
          }
        },
      });
    } finally {
      await setEchoIgnore(lab, false);
    }

    await t.step({
      name: "an async onProbe whose promise rejects rejects ping(), with no unhandled rejection",
      fn: async () => {
        // An unhandled rejection would kill the child with a non-zero exit, which child() turns into a failure.
        const run = await child(lab, { host: a.target4, options: { count: 3, interval: 20 }, onProbe: "async-throw" });
        equal(run.error?.message, "async onProbe failed", JSON.stringify(run));
        equal(run.events.length, 1);
      },
    });

    await t.step("a NUL in the host is refused before anything is sent", async () => {
      await using capture = await startCapture(lab, "h", "to-r1");
      const run = await child(lab, { host: `${a.target4}\u0000.allowed.example`, options: { count: 1 } });
      equal(run.error?.name, "TypeError");
      ok(/NUL/.test(run.error!.message), run.error!.message);
      equal(account(await capture.stop(), a.target4, 1000).sent, 0);
    });

    await t.step("0.0.0.0, 0 and :: ping the local host, as iputils does", async () => {
      for (const [host, from] of [["0.0.0.0", "127.0.0.1"], ["0", "127.0.0.1"], ["::", "::1"]]) {
        await using capture = await startCapture(lab, "h", "lo");
        const run = await child(lab, { host, options: { count: 2, interval: 10 } });
        equal(run.error, null, host);
        equal(run.result!.received, 2, host);
        ok(run.events.every((e) => e.type === "reply" && e.from === from), `${host}: ${JSON.stringify(run.events)}`);
        equal(account(await capture.stop(), from, 1000).received, 2, host);
        if (host === "::") continue;
        // iputils agrees for IPv4 (its `ping ::` fails with an error here).
        const iputils = await lab.exec("h", ["ping", "-c", "1", "-W", "1", host]);
        ok(iputils.stdout.includes(`from ${from}`), iputils.stdout);
      }
    });

    await t.step("an internationalised name resolves as iputils resolves it (AI_IDN)", async () => {
      // `ip netns exec` mounts /etc/netns/<namespace>/hosts over /etc/hosts: a hosts file for h alone.
      const dir = `/etc/netns/${lab.ns.h}`;
      await Deno.mkdir(dir, { recursive: true });
      try {
        await Deno.writeTextFile(`${dir}/hosts`, `${a.target4} xn--e1afmkfd.xn--p1ai\n`);
        const run = await child(lab, { host: "пример.рф", options: { count: 2, interval: 10 } });
        equal(run.error, null, JSON.stringify(run.error));
        equal(run.result!.address, a.target4);
        equal(run.result!.received, 2);
        const iputils = await lab.exec("h", ["ping", "-c", "1", "-W", "1", "пример.рф"]);
        ok(iputils.stdout.includes(a.target4), iputils.stdout + iputils.stderr);
      } finally {
        await Deno.remove(dir, { recursive: true });
      }
    });
  },
});
