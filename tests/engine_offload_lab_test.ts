/**
 * Offloaded send batches (sendmmsg on a worker thread) in the namespace lab `h — r1 — r2 — r3 — t`, judged by what
 * left h: nft counters on h's output hook count the echo requests to each destination (a tcpdump capture drops
 * packets at flood rates on a small machine; the kernel's counters do not). Each run is a child process in h that
 * pings through a `Pinger` (its engine's counters tell that batches were offloaded) and prints one JSON summary.
 */
import { deepEqual, equal, ok } from "node:assert/strict";
import { Lab, labSkip, OPEN_PING_GROUP_RANGE } from "./lab/lab.ts";

const skip = await labSkip();
const MOD = new URL("../mod.ts", import.meta.url).href;

async function inH<T>(lab: Lab, body: string): Promise<T> {
  const code = `import { Pinger } from ${JSON.stringify(MOD)};
const emit = (value: unknown) => console.log(JSON.stringify(value));
${body}`;
  const out = await lab.exec("h", [Deno.execPath(), "eval", "--ext=ts", code], { timeoutMs: 120_000 });
  if (out.code !== 0) throw new Error(`child exited ${out.code}: ${out.stderr}`);
  return JSON.parse(out.stdout.trim().split("\n").at(-1)!) as T;
}

async function sh(lab: Lab, where: "h" | "t", command: string): Promise<void> {
  const out = await lab.exec(where, ["sh", "-c", command], { timeoutMs: 20_000 });
  if (out.code !== 0) throw new Error(`${command}: ${out.stderr}`);
}

/** Counts, in h's output hook, the echo requests to each of `hosts` (IPv4) until the returned function reads them. */
async function countRequests(lab: Lab, hosts: string[]): Promise<() => Promise<Map<string, number>>> {
  const rules = hosts.map((host) =>
    `add rule inet mpcount out ip daddr ${host} icmp type echo-request counter comment "${host}"`
  );
  await sh(
    lab,
    "h",
    `nft add table inet mpcount && nft add chain inet mpcount out '{ type filter hook output priority 0; }' && ` +
      `nft -f - <<'EOF'\n${rules.join("\n")}\nEOF`,
  );
  return async () => {
    const out = await lab.exec("h", ["nft", "-j", "list", "chain", "inet", "mpcount", "out"]);
    await sh(lab, "h", "nft delete table inet mpcount");
    const counts = new Map<string, number>();
    type Item = { rule?: { comment?: string; expr: { counter?: { packets: number } }[] } };
    for (const item of (JSON.parse(out.stdout) as { nftables: Item[] }).nftables) {
      const rule = item.rule;
      if (rule?.comment === undefined) continue;
      counts.set(rule.comment, rule.expr.find((e) => e.counter !== undefined)?.counter?.packets ?? NaN);
    }
    return counts;
  };
}

Deno.test({
  name: "offloaded send batches in the namespace lab",
  ignore: skip,
  sanitizeResources: false,
  sanitizeOps: false,
  fn: async (t) => {
    await using lab = await Lab.create({ name: "offload" });
    await lab.setPingGroupRange("h", OPEN_PING_GROUP_RANGE);
    const a = lab.addresses;

    await t.step(
      "a datagram flood of 5,000 probes: each leaves h once, each answered, batches offloaded",
      async () => {
        const wire = await countRequests(lab, [a.target4]);
        const out = await inH<{ sent: number; received: number; duplicates: number; offloaded: number }>(
          lab,
          `await using pinger = new Pinger({ socket: "datagram" });
const r = await pinger.ping(${JSON.stringify(a.target4)}, { count: 5000, interval: 0 });
emit({ sent: r.sent, received: r.received, duplicates: r.duplicates, offloaded: pinger.stats().offloaded });`,
        );
        const left = await wire();
        equal(out.sent, 5000);
        equal(out.received, 5000);
        equal(out.duplicates, 0);
        ok(out.offloaded > 0, "no batch was offloaded");
        // Sent once each: as many left as were counted sent (and each of those was answered).
        equal(left.get(a.target4), 5000);
      },
    );

    await t.step(
      "a datagram sweep that opens a second socket to send from ends with its last reply, not at the timeout",
      async () => {
        const hosts = Array.from({ length: 2000 }, (_, i) => a.block4.at(i));
        const out = await inH<{ alive: number; sockets: number; ms: number }>(
          lab,
          `await using pinger = new Pinger({ socket: "datagram" });
const started = performance.now();
const entries = await pinger.pingMany(${JSON.stringify(hosts)}, { count: 1, timeout: 5000 });
const ms = performance.now() - started;
emit({ alive: entries.filter((e) => e.ok && e.received === 1).length, sockets: pinger.stats().sockets, ms });`,
        );
        equal(out.alive, hosts.length);
        ok(out.sockets >= 2, `the sweep sent from ${out.sockets} socket(s); this test needs a second one`);
        // Replies on a socket the loop did not watch were read only when the deadlines expired (5 s here).
        ok(out.ms < 2500, `the sweep took ${out.ms.toFixed(0)} ms`);
      },
    );

    await t.step(
      "healthy targets beside rejecting and locally refused ones, interval 0: no healthy probe lost, none sent twice",
      async () => {
        // t answers these with port unreachable (each sets the datagram socket's pending error, which fails whoever
        // sends next, a worker's sendmmsg included); h's own table refuses the second list before anything is sent.
        const rejected = Array.from({ length: 20 }, (_, i) => a.block4.at(1000 + i));
        const refused = Array.from({ length: 5 }, (_, i) => `198.51.101.${i + 1}`);
        const healthy = Array.from({ length: 40 }, (_, i) => a.block4.at(2000 + i));
        await sh(
          lab,
          "t",
          `nft add table inet mpo && nft add chain inet mpo in '{ type filter hook input priority 0; }' && ` +
            `nft add rule inet mpo in ip daddr '{ ${rejected.join(", ")} }' icmp type echo-request reject`,
        );
        await sh(lab, "h", "ip route add unreachable 198.51.101.0/24");
        try {
          const wire = await countRequests(lab, [...healthy, ...rejected, ...refused]);
          const out = await inH<
            {
              entries: { host: string; sent: number; received: number; errors: number }[];
              offloaded: number;
            }
          >(
            lab,
            `await using pinger = new Pinger({ socket: "datagram" });
const hosts = ${JSON.stringify([...healthy, ...rejected, ...refused])}.sort(() => Math.random() - 0.5);
const entries = await pinger.pingMany(hosts, { count: 50, interval: 0, timeout: 1000 });
emit({ entries: entries.map((e) => e.ok ? { host: e.host, sent: e.sent, received: e.received, errors: e.errors }
  : { host: e.host, sent: -1, received: -1, errors: -1 }), offloaded: pinger.stats().offloaded });`,
          );
          const left = await wire();
          ok(out.offloaded > 0, "no batch was offloaded");
          const of = (list: string[]) => out.entries.filter((e) => list.includes(e.host));
          for (const e of of(healthy)) deepEqual(e, { host: e.host, sent: 50, received: 50, errors: 0 });
          for (const e of of(rejected)) {
            equal(e.sent, 50);
            equal(e.received, 0);
            ok(e.errors > 0, `${e.host}: no error`);
          }
          for (const e of of(refused)) deepEqual(e, { host: e.host, sent: 50, received: 0, errors: 50 });
          // Every probe miniping counts as sent to a routable host left exactly once; the refused never left.
          for (const host of [...healthy, ...rejected]) equal(left.get(host), 50, host);
          for (const host of refused) equal(left.get(host), 0, host);
        } finally {
          await sh(lab, "t", "nft delete table inet mpo");
          await sh(lab, "h", "ip route del 198.51.101.0/24");
        }
      },
    );
  },
});
