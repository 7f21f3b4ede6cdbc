/**
 * Kernel transmit and receive stamps in the namespace lab: every probe runs in a child process inside h.
 */
import { equal, ok } from "node:assert/strict";
import { type Capture, startCapture } from "./lab/capture.ts";
import { Lab, labSkip } from "./lab/lab.ts";

const skip = await labSkip();
const MOD = new URL("../mod.ts", import.meta.url).href;
const TIMESTAMPING = new URL("../ffi/timestamping.ts", import.meta.url).href;
const LIBC = new URL("../ffi/libc.ts", import.meta.url).href;
const CONSTANTS = new URL("../ffi/constants.ts", import.meta.url).href;
const KINDS = ["raw", "datagram"] as const;
const FAMILIES = [4, 6] as const;
/** Concurrent probes in the matching test. */
const CONCURRENT = 1000;

/** Runs `code` (TypeScript, top-level await) with `deno eval` in h and parses the JSON it prints. */
async function inH<T>(lab: Lab, code: string): Promise<T> {
  const out = await lab.exec("h", [Deno.execPath(), "eval", "--ext=ts", code], { timeoutMs: 60_000 });
  if (out.code !== 0) throw new Error(`child exited ${out.code}: ${out.stderr}`);
  return JSON.parse(out.stdout) as T;
}

interface Reply {
  address: string;
  seq: number;
  rtt: number;
  clock: string;
}

const COLLECT = `
const replies = [];
const onProbe = (e) => { if (e.type === "reply") replies.push({ address: e.address, seq: e.seq, rtt: e.rtt, clock: e.clock }); };
`;

const ECHO_REQUEST = new Set([8, 128]);
const ECHO_REPLY = new Set([0, 129]);

/**
 * The wire's RTT in µs per probed address (first request, first reply) and the sorted gaps between requests, from a
 * capture on h's link. tcpdump may drop a few packets of a 2,000-packet burst on a busy machine: those probes are
 * simply not compared.
 */
async function wireRtts(capture: Capture): Promise<{ rtts: Map<string, number>; gaps: number[] }> {
  const requests = new Map<string, number>();
  const rtts = new Map<string, number>();
  const times: number[] = [];
  for (const packet of await capture.stop()) {
    if (ECHO_REQUEST.has(packet.type) && !requests.has(packet.destination)) {
      requests.set(packet.destination, packet.time);
      times.push(packet.time);
    } else if (ECHO_REPLY.has(packet.type) && requests.has(packet.source) && !rtts.has(packet.source)) {
      rtts.set(packet.source, (packet.time - requests.get(packet.source)!) * 1000);
    }
  }
  const gaps = times.slice(1).map((t, i) => (t - times[i]) * 1000).sort((a, b) => a - b);
  return { rtts, gaps };
}

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)];
}

Deno.test({
  name: "kernel transmit and receive stamps in the namespace lab",
  ignore: skip,
  sanitizeResources: false,
  sanitizeOps: false,
  fn: async (t) => {
    await using lab = await Lab.create({ name: "stamps" });
    const a = lab.addresses;
    const target = { 4: a.target4, 6: a.target6 };

    await t.step(
      "every reply on both socket kinds and both families, the first included, is kernel TX + RX",
      async () => {
        const runs = await inH<{ socket: string; family: number; replies: Reply[] }[]>(
          lab,
          `import { ping } from "${MOD}";
        const out = [];
        for (const socket of ${JSON.stringify(KINDS)}) {
          for (const [family, host] of ${JSON.stringify(Object.entries(target))}) {
            ${COLLECT}
            await ping(host, { count: 5, interval: 10, socket, family: Number(family), onProbe });
            out.push({ socket, family: Number(family), replies });
          }
        }
        console.log(JSON.stringify(out));`,
        );
        equal(runs.length, 4);
        for (const run of runs) {
          const where = `${run.socket} IPv${run.family}`;
          equal(run.replies.length, 5, where);
          equal(run.replies[0].seq, 1, where);
          for (const reply of run.replies) {
            equal(reply.clock, "kernel", `${where} probe ${reply.seq}`);
            // Four hops and back on veths: well under a millisecond once the wake-up is not in the figure.
            ok(reply.rtt > 0 && reply.rtt < 1, `${where} probe ${reply.seq}: ${reply.rtt} ms`);
          }
        }
      },
    );

    for (const socket of KINDS) {
      for (const family of FAMILIES) {
        await t.step(
          `${CONCURRENT} concurrent probes over ${socket} IPv${family}: each transmit stamp goes to its own probe`,
          async () => {
            const block = family === 4 ? a.block4 : a.block6;
            const hosts = Array.from({ length: CONCURRENT }, (_, i) => block.at(i));
            const capture = await startCapture(lab, "h", "to-r1", { nano: true, snaplen: 128, complete: false });
            let replies: Reply[];
            let captured: Awaited<ReturnType<typeof wireRtts>>;
            try {
              replies = await inH<Reply[]>(
                lab,
                `import { pingMany } from "${MOD}";
                ${COLLECT}
                await pingMany(${JSON.stringify(hosts)}, { count: 1, timeout: 5000, socket: "${socket}", onProbe });
                console.log(JSON.stringify(replies));`,
              );
            } finally {
              captured = await wireRtts(capture);
            }
            equal(replies.length, CONCURRENT);
            const errors: number[] = [];
            for (const reply of replies) {
              equal(reply.clock, "kernel", reply.address);
              const wireRtt = captured.rtts.get(reply.address);
              if (wireRtt !== undefined) errors.push(Math.abs(reply.rtt * 1000 - wireRtt));
            }
            ok(errors.length >= CONCURRENT / 2, `only ${errors.length} probes seen whole on the wire`);
            // tcpdump's receive stamp is the very stamp the socket gets, and its transmit tap runs just after the
            // kernel takes the SCHED transmit stamp: a right match is within a few µs of the wire, while the stamp of the
            // probe sent before or after would be off by the gap between two sends (tens of µs here). The few far
            // ones are interrupts between tap and stamp on this shared machine.
            const gap = median(captured.gaps);
            const typical = median(errors);
            const detail = `median |RTT − wire| ${typical.toFixed(2)} µs, max ${Math.max(...errors).toFixed(1)} µs, ` +
              `median gap between sends ${gap.toFixed(1)} µs, ${errors.length} compared`;
            ok(typical < 3 && typical < gap / 4, detail);
            const near = errors.filter((e) => e <= 20).length;
            ok(near >= errors.length * 0.95, `${errors.length - near} probes more than 20 µs off the wire; ${detail}`);
            ok(Math.max(...errors) < 1000, detail);
          },
        );
      }
    }

    await t.step("a probe whose transmit stamp is missing falls back to the receive stamp and says rx", async () => {
      const clocks = await inH<Record<string, string[]>>(
        lab,
        `import { Pinger } from "${MOD}";
        import { enableTimestamping, TIMESTAMPING_FLAGS } from "${TIMESTAMPING}";
        import { libc } from "${LIBC}";
        import { SO_TIMESTAMPING, SOF_TIMESTAMPING_TX_SCHED, SOL_SOCKET } from "${CONSTANTS}";
        await using pinger = new Pinger({ socket: "raw" });
        const out = {};
        const run = async (name) => {
          ${COLLECT}
          await pinger.ping("${a.target4}", { count: 3, interval: 10, onProbe });
          out[name] = replies.map((r) => r.clock);
        };
        await run("before");
        // The engine's socket: the one descriptor of this process with miniping's stamping flags.
        const mine = [];
        for (const entry of Deno.readDirSync("/proc/self/fd")) {
          const fd = Number(entry.name);
          const value = new Uint8Array(4);
          const length = new Uint8Array([4, 0, 0, 0]);
          if (libc().getsockopt(fd, SOL_SOCKET, SO_TIMESTAMPING, value, length) !== 0) continue;
          if (new DataView(value.buffer).getInt32(0, true) === TIMESTAMPING_FLAGS) mine.push(fd);
        }
        if (mine.length !== 1) throw new Error("expected one stamping socket, found " + mine.length);
        // As a device that never stamps transmits: the kernel keeps receive stamps and OPT_ID, and sends no TX stamp.
        enableTimestamping(mine[0], TIMESTAMPING_FLAGS & ~SOF_TIMESTAMPING_TX_SCHED);
        await run("without");
        enableTimestamping(mine[0]);
        await run("after");
        console.log(JSON.stringify(out));`,
      );
      equal(clocks.before.join(), "kernel,kernel,kernel");
      equal(clocks.without.join(), "rx,rx,rx");
      equal(clocks.after.join(), "kernel,kernel,kernel");
    });

    await t.step("kernelTimestamps: false keeps the user clock at both ends", async () => {
      const replies = await inH<Reply[]>(
        lab,
        `import { ping } from "${MOD}";
        ${COLLECT}
        await ping("${a.target6}", { count: 3, interval: 10, kernelTimestamps: false, onProbe });
        console.log(JSON.stringify(replies));`,
      );
      equal(replies.map((r) => r.clock).join(), "user,user,user");
    });
  },
});
