/**
 * pingMany(), floods and the datagram socket's pending-error trap in the namespace lab `h — r1 — r2 — r3 — t`. Each
 * scenario runs as a script in a child process inside h (as root), which prints one JSON summary.
 */
import { deepEqual, equal, ok } from "node:assert/strict";
import { Lab, labSkip, OPEN_PING_GROUP_RANGE } from "./lab/lab.ts";

const skip = await labSkip();
const MOD = new URL("../mod.ts", import.meta.url).href;

/** Runs `body` (TypeScript with `pingMany`, `ping`, `Pinger` in scope) in h; returns what it `emit`s. */
async function inH<T>(lab: Lab, body: string, timeoutMs = 120_000): Promise<T> {
  const code = `import { ping, pingMany, Pinger } from ${JSON.stringify(MOD)};
// Unix-domain sockets left out: Deno opens a socketpair of its own about a second into a run, whatever the code does.
const fds = () => {
  const unix = new Set(Deno.readTextFileSync("/proc/net/unix").split("\\n").map((line) => line.split(/\\s+/)[6]));
  return [...Deno.readDirSync("/proc/self/fd")].filter((entry) => {
    try {
      return !unix.has(/^socket:\\[(\\d+)\\]$/.exec(Deno.readLinkSync(\`/proc/self/fd/\${entry.name}\`))?.[1]);
    } catch {
      return false;
    }
  }).length;
};
const emit = (value: unknown) => console.log(JSON.stringify(value));
${body}`;
  const out = await lab.exec("h", [Deno.execPath(), "eval", "--ext=ts", code], { timeoutMs });
  if (out.code !== 0) throw new Error(`child exited ${out.code}: ${out.stderr}`);
  const last = out.stdout.trim().split("\n").at(-1)!;
  return JSON.parse(last) as T;
}

/** The child's copy of `lab.addresses.block4.at()`: 198.18.64.0/18 from .1 up (checked against it below). */
const BLOCK4 = `const block4 = (i: number) => { const n = ((198 << 24 | 18 << 16 | 64 << 8) >>> 0) + 1 + i;
  return [n >>> 24, (n >>> 16) & 255, (n >>> 8) & 255, n & 255].join("."); };`;

async function sh(lab: Lab, where: "h" | "r1" | "r2" | "r3" | "t", command: string): Promise<void> {
  const out = await lab.exec(where, ["sh", "-c", command], { timeoutMs: 20_000 });
  if (out.code !== 0) throw new Error(`${command}: ${out.stderr}`);
}

Deno.test({
  name: "pingMany() and the shared datagram socket in the namespace lab",
  ignore: skip,
  sanitizeResources: false,
  sanitizeOps: false,
  fn: async (t) => {
    await using lab = await Lab.create({ name: "many" });
    await lab.setPingGroupRange("h", OPEN_PING_GROUP_RANGE);
    const a = lab.addresses;
    const block4 = (i: number) => {
      const n = ((198 << 24 | 18 << 16 | 64 << 8) >>> 0) + 1 + i;
      return [n >>> 24, (n >>> 16) & 255, (n >>> 8) & 255, n & 255].join(".");
    };
    // BLOCK4 below is this function as text for the child; both must name the lab's block.
    for (const i of [0, 1, 255, 256, a.block4.size - 1]) equal(block4(i), a.block4.at(i));

    for (const socket of ["raw", "datagram"] as const) {
      await t.step(
        `a ${socket} sweep of the whole IPv4 AnyIP block: every target alive, nothing misattributed, no fd left`,
        async () => {
          const size = a.block4.size;
          const out = await inH<
            { alive: number; entries: number; foreign: number; order: boolean; before: number; after: number }
          >(
            lab,
            `${BLOCK4}
const hosts = Array.from({ length: ${size} }, (_, i) => block4(i));
const before = fds();
let foreign = 0;
const entries = await pingMany(hosts, { count: 1, timeout: 2000, socket: ${JSON.stringify(socket)},
  onProbe: (e) => { if (e.type !== "reply" || e.from !== hosts[e.index] || e.host !== hosts[e.index]) foreign++; } });
const alive = entries.filter((e) => e.ok && e.received === 1 && e.address === e.host).length;
const order = entries.every((e, i) => e.index === i && e.host === hosts[i]);
emit({ alive, entries: entries.length, foreign, order, before, after: fds() });`,
          );
          deepEqual(out, {
            alive: size,
            entries: size,
            foreign: 0,
            order: true,
            before: out.before,
            after: out.before,
          });
        },
      );
    }

    await t.step("a sweep of 4,096 IPv6 AnyIP addresses over datagram sockets: every target alive", async () => {
      const hosts = Array.from({ length: 4096 }, (_, i) => a.block6.at(i));
      const out = await inH<{ alive: number }>(
        lab,
        `const entries = await pingMany(${JSON.stringify(hosts)}, { count: 1, timeout: 3000, socket: "datagram" });
emit({ alive: entries.filter((e) => e.ok && e.received === 1).length });`,
      );
      equal(out.alive, 4096);
    });

    await t.step(
      "a sweep mixing live, blackholed, prohibited and unresolvable targets gives each its own outcome",
      async () => {
        const hosts = [
          a.target4,
          a.blackhole4,
          a.prohibit4,
          "no-such-host.invalid",
          a.target6,
          a.blackhole6,
          a.block4.at(7),
        ];
        const out = await inH<
          { host: string; ok: boolean; sent?: number; received?: number; errors?: number; error?: string }[]
        >(
          lab,
          `const entries = await pingMany(${
            JSON.stringify(hosts)
          }, { count: 2, interval: 20, timeout: 500, socket: "datagram" });
emit(entries.map((e) => e.ok ? { host: e.host, ok: true, sent: e.sent, received: e.received, errors: e.errors }
  : { host: e.host, ok: false, error: e.error.name }));`,
        );
        deepEqual(out, [
          { host: a.target4, ok: true, sent: 2, received: 2, errors: 0 },
          { host: a.blackhole4, ok: true, sent: 2, received: 0, errors: 0 },
          // r1's route error limiter lets the first errors through (fresh lab, fresh namespace).
          { host: a.prohibit4, ok: true, sent: 2, received: 0, errors: out[2].errors },
          { host: "no-such-host.invalid", ok: false, error: "NotFound" },
          { host: a.target6, ok: true, sent: 2, received: 2, errors: 0 },
          { host: a.blackhole6, ok: true, sent: 2, received: 0, errors: 0 },
          { host: a.block4.at(7), ok: true, sent: 2, received: 2, errors: 0 },
        ]);
        ok(out[2].errors! >= 1, `prohibit errors ${out[2].errors}`);
      },
    );

    await t.step("sends the local routing table refuses count as sent, each with its error", async () => {
      await sh(lab, "h", "ip route add prohibit 198.51.100.0/24 && ip route add unreachable 198.51.101.0/24");
      try {
        for (const socket of ["raw", "datagram"] as const) {
          const out = await inH<{ host: string; sent: number; errors: number; codes: (number | null)[] }[]>(
            lab,
            `const codes = {};
const entries = await pingMany(["198.51.100.1", "198.51.101.1"], { count: 2, interval: 5, socket: ${
              JSON.stringify(socket)
            },
  onProbe: (e) => { if (e.type === "error") (codes[e.host] ??= []).push(e.code); } });
emit(entries.map((e) => ({ host: e.host, sent: e.sent, errors: e.errors, codes: codes[e.host] })));`,
          );
          deepEqual(out, [
            { host: "198.51.100.1", sent: 2, errors: 2, codes: [13, 13] },
            { host: "198.51.101.1", sent: 2, errors: 2, codes: [1, 1] },
          ], socket);
        }
        // Refused sends between healthy ones in the same sendmmsg batch: each spends only itself.
        const hosts = [a.target4, "198.51.100.1", a.block4.at(1), "198.51.101.1", a.block4.at(2)];
        for (const socket of ["raw", "datagram"] as const) {
          const out = await inH<{ host: string; sent: number; received: number; errors: number; codes?: number[] }[]>(
            lab,
            `const codes = {};
const entries = await pingMany(${JSON.stringify(hosts)}, { count: 3, interval: 1, timeout: 1000, socket: ${
              JSON.stringify(socket)
            },
  onProbe: (e) => { if (e.type === "error") (codes[e.host] ??= []).push(e.code); } });
emit(entries.map((e) => ({ host: e.host, sent: e.sent, received: e.received, errors: e.errors, codes: codes[e.host] })));`,
          );
          deepEqual(out, [
            { host: a.target4, sent: 3, received: 3, errors: 0 },
            { host: "198.51.100.1", sent: 3, received: 0, errors: 3, codes: [13, 13, 13] },
            { host: a.block4.at(1), sent: 3, received: 3, errors: 0 },
            { host: "198.51.101.1", sent: 3, received: 0, errors: 3, codes: [1, 1, 1] },
            { host: a.block4.at(2), sent: 3, received: 3, errors: 0 },
          ], socket);
        }
      } finally {
        await sh(lab, "h", "ip route del 198.51.100.0/24; ip route del 198.51.101.0/24");
      }
    });

    await t.step(
      "more than 65,536 probes outstanding on datagram sockets: each sent once, each timed out, no crash",
      async () => {
        // 300 blackholed targets × 240 probes 1 ms apart, all waiting out a 3 s timeout at once: 72,000 outstanding.
        const hosts = Array.from({ length: 300 }, (_, i) => `198.19.3.${(i % 250) + 1}`);
        const out = await inH<
          { sent: number; timeouts: number; errors: number; received: number; peak: number; sockets: number }
        >(
          lab,
          `await using pinger = new Pinger({ socket: "datagram" });
let timeouts = 0, peak = 0, sockets = 0;
const watch = setInterval(() => { const s = pinger.stats(); peak = Math.max(peak, s.outstanding); sockets = Math.max(sockets, s.sockets); }, 50);
const entries = await pinger.pingMany(${
            JSON.stringify(hosts)
          }, { count: 240, interval: 1, timeout: 3000, window: 100000,
  onProbe: (e) => { if (e.type === "timeout") timeouts++; } });
clearInterval(watch);
const sum = (f) => entries.reduce((n, e) => n + (e.ok ? f(e) : 0), 0);
emit({ sent: sum((e) => e.sent), timeouts, errors: sum((e) => e.errors), received: sum((e) => e.received), peak, sockets });`,
          180_000,
        );
        equal(out.sent, 72_000);
        equal(out.timeouts, 72_000);
        equal(out.received, 0);
        equal(out.errors, 0);
        ok(out.peak > 65_536, `peak outstanding ${out.peak}`);
        ok(out.sockets >= 2, `sockets ${out.sockets}`);
      },
    );

    await t.step(
      "20,000 concurrent ping() calls × 4 probes to a blackhole on datagram sockets all settle",
      async () => {
        const out = await inH<{ settled: number; sent: number; rejected: number }>(
          lab,
          `const results = await Promise.allSettled(Array.from({ length: 20000 }, (_, i) =>
  ping("198.19.3." + ((i % 250) + 1), { count: 4, interval: 10, timeout: 3000, socket: "datagram" })));
emit({ settled: results.length, sent: results.reduce((n, r) => n + (r.status === "fulfilled" ? r.value.sent : 0), 0),
  rejected: results.filter((r) => r.status === "rejected").length });`,
          180_000,
        );
        deepEqual(out, { settled: 20_000, sent: 80_000, rejected: 0 });
      },
    );

    for (const family of [4, 6] as const) {
      await t.step(
        `IPv${family}: a rejecting target beside healthy pings on one datagram socket costs no healthy probe`,
        async () => {
          // t answers echo requests to these addresses with ICMP port unreachable (nft reject), which sets the
          // datagram socket's pending error (ECONNREFUSED) for whoever sends next.
          const rejected = Array.from(
            { length: 50 },
            (_, i) => family === 4 ? a.block4.at(1000 + i) : a.block6.at(1000 + i),
          );
          const healthy = Array.from(
            { length: 50 },
            (_, i) => family === 4 ? a.block4.at(2000 + i) : a.block6.at(2000 + i),
          );
          const match = family === 4 ? "ip daddr" : "ip6 daddr";
          const icmp = family === 4 ? "icmp type echo-request" : "icmpv6 type echo-request";
          await sh(
            lab,
            "t",
            `nft add table inet mp${family} && nft add chain inet mp${family} in '{ type filter hook input priority 0; }' && ` +
              `nft add rule inet mp${family} in ${match} '{ ${rejected.join(", ")} }' ${icmp} reject`,
          );
          const out = await inH<{ healthy: number; rejectedErrors: number; rejectedReplies: number; sent: number }>(
            lab,
            `const healthy = ${JSON.stringify(healthy)}, rejected = ${JSON.stringify(rejected)};
const entries = await pingMany([...healthy, ...rejected].sort(() => Math.random() - 0.5),
  { count: 20, interval: 10, timeout: 1000, socket: "datagram" });
const of = (list) => entries.filter((e) => e.ok && list.includes(e.host));
emit({ healthy: of(healthy).reduce((n, e) => n + e.received, 0), rejectedErrors: of(rejected).reduce((n, e) => n + e.errors, 0),
  rejectedReplies: of(rejected).reduce((n, e) => n + e.received, 0), sent: entries.reduce((n, e) => n + (e.ok ? e.sent : 0), 0) });`,
          );
          await sh(lab, "t", `nft delete table inet mp${family}`);
          equal(out.sent, 2000);
          equal(out.healthy, 1000);
          equal(out.rejectedReplies, 0);
          ok(out.rejectedErrors > 900, `errors for rejected targets: ${out.rejectedErrors}`);
        },
      );
    }

    await t.step(
      "a 1280-byte MTU link: packet-too-big errors beside healthy pings on one datagram socket cost no healthy probe",
      async () => {
        await sh(lab, "r2", "ip link set dev to-r3 mtu 1280");
        await sh(lab, "r3", "ip link set dev to-r2 mtu 1280");
        try {
          for (const family of [4, 6] as const) {
            const big = Array.from(
              { length: 20 },
              (_, i) => family === 4 ? a.block4.at(3000 + i) : a.block6.at(3000 + i),
            );
            const healthy = Array.from(
              { length: 20 },
              (_, i) => family === 4 ? a.block4.at(4000 + i) : a.block6.at(4000 + i),
            );
            const out = await inH<{ healthy: number; healthySent: number; bigErrors: number }>(
              lab,
              `const big = pingMany(${
                JSON.stringify(big)
              }, { count: 10, interval: 10, timeout: 1000, size: 1400, socket: "datagram" });
const healthy = pingMany(${JSON.stringify(healthy)}, { count: 30, interval: 5, timeout: 1000, socket: "datagram" });
const [b, h] = await Promise.all([big, healthy]);
emit({ healthy: h.reduce((n, e) => n + (e.ok ? e.received : 0), 0), healthySent: h.reduce((n, e) => n + (e.ok ? e.sent : 0), 0),
  bigErrors: b.reduce((n, e) => n + (e.ok ? e.errors : 0), 0) });`,
            );
            equal(out.healthySent, 600, `IPv${family}`);
            equal(out.healthy, 600, `IPv${family}`);
            ok(out.bigErrors >= 1, `IPv${family}: packet-too-big errors ${out.bigErrors}`);
          }
        } finally {
          await sh(lab, "r2", "ip link set dev to-r3 mtu 1500");
          await sh(lab, "r3", "ip link set dev to-r2 mtu 1500");
        }
      },
    );

    for (const socket of ["raw", "datagram"] as const) {
      await t.step(`a ${socket} flood of 20,000 probes gets every reply`, async () => {
        const out = await inH<{ sent: number; received: number; ms: number }>(
          lab,
          `const t0 = performance.now();
const r = await ping(${JSON.stringify(a.target4)}, { count: 20000, interval: 0, timeout: 1000, socket: ${
            JSON.stringify(socket)
          } });
emit({ sent: r.sent, received: r.received, ms: performance.now() - t0 });`,
        );
        equal(out.sent, 20_000);
        equal(out.received, 20_000);
      });
    }

    await t.step("an async iterable of 1,000,000 addresses streams through in bounded memory", async () => {
      const out = await inH<{ done: number; alive: number; early: number; late: number }>(
        lab,
        `${BLOCK4}
async function* addresses() {
  for (let i = 0; i < 1_000_000; i++) yield block4(i % ${a.block4.size});
}
let done = 0, alive = 0, early = 0;
const entries = await pingMany(addresses(), { count: 1, timeout: 2000, collect: false, onResult: (e) => {
  done++;
  if (e.ok && e.received === 1) alive++;
  if (done === 200_000) early = Deno.memoryUsage().rss;
} });
emit({ done, alive, early: early / 2 ** 20, late: Deno.memoryUsage().rss / 2 ** 20, entries: entries.length });`,
        600_000,
      );
      console.log(
        `1,000,000 targets: RSS ${out.early.toFixed(0)} MiB after 200,000, ${out.late.toFixed(0)} MiB at the end`,
      );
      equal(out.done, 1_000_000);
      equal(out.alive, 1_000_000);
      ok(out.late < out.early + 64, `RSS after 200,000 targets ${out.early} MiB, at the end ${out.late} MiB`);
      ok(out.late < 400, `RSS at the end ${out.late} MiB`);
    });
  },
});
