/**
 * fping mode end to end in the namespace lab (h — r1 — r2 — r3 — t): exit statuses 0 / 1 / 2, -a / -u, -g over the
 * AnyIP blocks, -f - from standard input, -j and --ndjson. Packets stay inside the lab's namespaces.
 */
import { deepEqual, equal, match, ok } from "node:assert/strict";
import { Lab, labSkip } from "./lab/lab.ts";

const CLI = new URL("../cli.ts", import.meta.url).pathname;
const noLab = await labSkip();
const tcpdumpMissing = !(await new Deno.Command("sh", { args: ["-c", "command -v tcpdump"], stdout: "null" }).output())
  .success;

/** Resolves once `stream` has carried `needle`; the rest of the stream is drained in the background. */
async function waitForText(stream: ReadableStream<Uint8Array>, needle: string): Promise<void> {
  const reader = stream.pipeThrough(new TextDecoderStream()).getReader();
  let seen = "";
  while (!seen.includes(needle)) {
    const { done, value } = await reader.read();
    if (done) throw new Error(`stream ended without "${needle}": ${seen}`);
    seen += value;
  }
  (async () => {
    while (!(await reader.read()).done);
  })();
}

Deno.test({
  name: "miniping fping mode in the namespace lab",
  ignore: noLab,
  fn: async (t) => {
    await using lab = await Lab.create({ name: "clisweep" });
    const a = lab.addresses;
    const run = (args: string[], stdin?: string) =>
      lab.exec("h", [Deno.execPath(), "run", "--allow-ffi", CLI, ...args], {
        timeoutMs: 30_000,
        ...(stdin === undefined ? {} : { stdin }),
      });

    await t.step("every target answers: one row each, status 0", async () => {
      const hosts = [a.target4, a.block4.at(0), a.block4.at(1), a.target6];
      const result = await run(["-c", "2", "-i", "0.02", ...hosts]);
      equal(result.code, 0, result.stderr);
      for (const host of hosts) {
        match(
          result.stdout,
          new RegExp(`^${host.replaceAll(".", "\\.")} : \\[\\d+\\], 64 bytes, \\d+\\.\\d{3} ms$`, "m"),
        );
      }
      const table = result.stdout.split("\n\n")[1].trimEnd().split("\n");
      match(table[0], /^host +sent +recv +loss +min +avg +max +median +p95$/);
      equal(table.length, 5);
      for (const [i, host] of hosts.entries()) {
        match(table[i + 1], new RegExp(`^${host.replaceAll(".", "\\.")} +2 +2 +0% `));
      }
    });

    await t.step("a silent target makes it status 1; -a and -u list the alive and the unreachable", async () => {
      const hosts = [a.target4, a.blackhole4, a.prohibit4];
      const all = await run(["-q", "-c", "1", "-t", "0.3", ...hosts]);
      equal(all.code, 1, all.stderr);
      match(all.stdout, new RegExp(`^${a.blackhole4.replaceAll(".", "\\.")} +1 +0 +100% +- `, "m"));
      const alive = await run(["-a", "-c", "1", "-t", "0.3", ...hosts]);
      equal(alive.code, 1);
      equal(alive.stdout, `${a.target4}\n`);
      const unreachable = await run(["-u", "-c", "1", "-t", "0.3", ...hosts]);
      deepEqual(unreachable.stdout.trimEnd().split("\n").sort(), [a.blackhole4, a.prohibit4].sort());
    });

    await t.step("a name that does not resolve makes it status 2, and the others are still pinged", async () => {
      // h has no route to any resolver: the lookup fails inside the lab.
      const result = await run(["-c", "1", a.target4, "nonexistent.invalid"]);
      equal(result.code, 2, result.stdout);
      match(result.stdout, /^nonexistent\.invalid +error: /m);
      match(result.stdout, new RegExp(`^${a.target4.replaceAll(".", "\\.")} +1 +1 +0% `, "m"));
    });

    await t.step("-g START END over the IPv4 AnyIP block: every address alive, -j holds one entry each", async () => {
      const result = await run(["-j", "-c", "1", "-g", a.block4.at(0), a.block4.at(255)]);
      equal(result.code, 0, result.stderr);
      const entries = JSON.parse(result.stdout) as { host: string; received: number; probes: unknown[] }[];
      equal(entries.length, 256);
      deepEqual(entries.map((entry) => entry.host), Array.from({ length: 256 }, (_, i) => a.block4.at(i)));
      ok(entries.every((entry) => entry.received === 1 && entry.probes.length === 1));
    });

    await t.step(
      "-g over the IPv6 block and --rate: --ndjson events name the host, then a summary per host",
      async () => {
        const result = await run(["--ndjson", "-c", "1", "--rate", "200", "-g", a.block6.at(0), a.block6.at(15)]);
        equal(result.code, 0, result.stderr);
        const lines = result.stdout.trimEnd().split("\n").map((line) => JSON.parse(line));
        const replies = lines.filter((line) => line.type === "reply");
        const summaries = lines.filter((line) => line.type === "summary");
        equal(replies.length, 16);
        equal(summaries.length, 16);
        ok(replies.every((line) => line.host === line.from && typeof line.time === "number"));
      },
    );

    await t.step("one host: a broadcast target says 'use -b'; with -b it is pinged (inside the lab)", async () => {
      // 255.255.255.255 leaves h only on its one link, to r1.
      const refused = await run(["-c", "1", "255.255.255.255"]);
      equal(refused.code, 2);
      equal(refused.stdout, "", "refused before the header");
      match(refused.stderr, /^miniping: .*255\.255\.255\.255 is a broadcast address; use -b to ping it\n$/);
      const allowed = await run(["-b", "-c", "1", "-t", "0.3", "255.255.255.255"]);
      ok(allowed.code === 0 || allowed.code === 1, `${allowed.code}: ${allowed.stderr}`);
      equal(allowed.stderr, "");
      match(allowed.stdout, /^PING 255\.255\.255\.255 /);
    });

    await t.step({
      name: "icmp_seq and --ndjson's icmpId/icmpSeq are what tcpdump sees on the wire",
      ignore: tcpdumpMissing,
      fn: async () => {
        // Three echo requests: two from an --ndjson run, then one from a human-mode run.
        const capture = lab.spawn("r1", ["tcpdump", "-l", "-n", "-c", "3", "-i", "to-h", "icmp[icmptype] == 8"], {
          stdout: "piped",
          stderr: "piped",
        });
        const captured = new Response(capture.stdout).text();
        await waitForText(capture.stderr, "listening on");
        const result = await run(["--ndjson", "-c", "2", "-i", "0.05", a.target4]);
        equal(result.code, 0, result.stderr);
        const human = await run(["-c", "1", a.target4]);
        equal(human.code, 0, human.stderr);
        await capture.status;
        const wire = [...(await captured).matchAll(/echo request, id (\d+), seq (\d+)/g)].map((m) => [+m[1], +m[2]]);
        equal(wire.length, 3, await captured);
        const events = result.stdout.trimEnd().split("\n").map((line) => JSON.parse(line))
          .filter((event) => event.type === "reply").map((event) => [event.icmpId, event.icmpSeq]);
        deepEqual(events, wire.slice(0, 2));
        const printed = Number(/icmp_seq=(\d+)/.exec(human.stdout)?.[1]);
        equal(printed, wire[2][1], human.stdout);
      },
    });

    await t.step("-f - reads targets from standard input, # comments skipped", async () => {
      const stdin = `# from the lab\n${a.target4}\n\n${a.block4.at(7)}  # another\n`;
      const result = await run(["-q", "-c", "1", "-f", "-"], stdin);
      equal(result.code, 0, result.stderr);
      equal(result.stdout.trimEnd().split("\n").length, 3);
    });
  },
});
