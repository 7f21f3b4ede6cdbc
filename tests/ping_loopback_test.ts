import { deepEqual, equal, ok, rejects } from "node:assert/strict";
import { ping, PingTimeoutError, type ProbeEvent } from "../mod.ts";
import { gate } from "./support/gate.ts";

// Raw ICMP sockets on loopback need root (or CAP_NET_RAW) outside a namespace the tests configure.
const needsRoot = gate(Deno.uid() === 0 ? null : "not root: raw ICMP sockets need CAP_NET_RAW");
const test = (name: string, fn: () => Promise<void>) => Deno.test({ name, ignore: needsRoot, fn });

/**
 * Sockets and eventfds this process holds: the kinds of descriptor the engine opens. Listed by a child, since reading
 * /proc/self/fd from Deno needs --allow-all; other tests' pipes come and go, so they are not counted.
 */
async function engineFdCount(): Promise<number> {
  const { stdout } = await new Deno.Command("ls", { args: ["-l", `/proc/${Deno.pid}/fd`] }).output();
  return new TextDecoder().decode(stdout).split("\n").filter((line) => /-> (socket:|anon_inode:\[eventfd\])/.test(line))
    .length;
}

const settle = () => new Promise((resolve) => setTimeout(resolve, 30));

/**
 * Slack for wall-clock bounds. This runs on shared CI machines (2 cores, several jobs): a timer or a child process can
 * be late by hundreds of ms, so upper bounds only separate "at once" from "after a timeout or an interval too many".
 */
const SLACK_MS = 400;

test("ping() stamps each event with the wall clock at µs resolution (iputils' -D prints µs)", async () => {
  const times: number[] = [];
  const before = Date.now();
  await ping("127.0.0.1", { count: 6, interval: 1, onProbe: (event) => void times.push(event.time) });
  const after = Date.now() + 1;
  equal(times.length, 6);
  for (const time of times) ok(time >= before && time <= after, `${time} outside [${before}, ${after}]`);
  // Whole-ms stamps (Date.now()) would make every one an integer; six µs stamps all landing on a whole ms is ~1e-18.
  ok(times.some((time) => !Number.isInteger(time)), times.join(", "));
});

test("ping() gets four replies from 127.0.0.1, timed by the kernel", async () => {
  const events: ProbeEvent[] = [];
  const result = await ping("127.0.0.1", { interval: 10, onProbe: (event) => events.push(event) });
  equal(result.sent, 4);
  equal(result.received, 4);
  equal(result.loss, 0);
  equal(result.ttl, 64);
  equal(result.family, 4);
  deepEqual(events.map((event) => [event.type, event.seq]), [["reply", 1], ["reply", 2], ["reply", 3], ["reply", 4]]);
  for (const event of events) {
    if (event.type !== "reply") continue;
    equal(event.clock, "kernel");
    equal(event.bytes, 64);
    equal(event.from, "127.0.0.1");
    // Kernel stamps on both ends: even a loaded machine keeps a loopback round trip far below the 1 s timeout.
    ok(event.rtt > 0 && event.rtt < SLACK_MS, `rtt ${event.rtt}`);
  }
  deepEqual(result.rtts, events.map((event) => (event as { rtt: number }).rtt));
});

test("a result and its events keep their own figures while 10,000 more probes go through the engine", async () => {
  // The engine refills one reply object, one match object and per-slot views for every packet, and a run keeps its
  // RTTs in a typed store: nothing of that may show through what a caller was given.
  const events: ProbeEvent[] = [];
  const result = await ping("127.0.0.1", { count: 20, interval: 0, onProbe: (event) => events.push(event) });
  const rtts = [...result.rtts];
  const figures = [result.min, result.max, result.mean, result.median, result.p95, result.jitter];
  const copies = events.map((event) => ({ ...event }));
  equal(result.received, 20);
  equal(new Set(events).size, 20);
  const [other, many] = await Promise.all([
    ping("127.0.0.1", { count: 10_000, interval: 0 }),
    ping("127.0.0.2", { count: 1, size: 8 }),
  ]);
  equal(other.received + many.received, 10_001);
  deepEqual(result.rtts, rtts);
  deepEqual([result.min, result.max, result.mean, result.median, result.p95, result.jitter], figures);
  deepEqual(events, copies);
  deepEqual(rtts, events.map((event) => (event as { rtt: number }).rtt));
});

test("ping() gets replies from ::1 with their hop limit", async () => {
  const result = await ping("::1", { count: 2, interval: 10, size: 100 });
  equal(result.family, 6);
  equal(result.address, "::1");
  equal(result.received, 2);
  equal(result.ttl, 64);
  equal(result.osGuess, null);
});

test("ping() with kernelTimestamps false measures with the user clock", async () => {
  const clocks: string[] = [];
  await ping("127.0.0.1", {
    count: 2,
    interval: 10,
    kernelTimestamps: false,
    onProbe: (event) => event.type === "reply" && clocks.push(event.clock),
  });
  deepEqual(clocks, ["user", "user"]);
});

test("ping() resolves localhost through the hosts file", async () => {
  const result = await ping("localhost", { count: 1 });
  equal(result.host, "localhost");
  equal(result.address, "127.0.0.1");
  equal(result.received, 1);
});

test("ping() sends a size-0 and a large payload", async () => {
  equal((await ping("127.0.0.1", { count: 1, size: 0 })).received, 1);
  equal((await ping("127.0.0.1", { count: 1, size: 65507 })).received, 1);
});

test("1,000 concurrent ping() calls to different addresses get exactly their own replies", async () => {
  const targets = Array.from({ length: 1000 }, (_, i) => `127.0.${(i >> 8) + 1}.${i & 255}`);
  const foreign: string[] = [];
  const started = performance.now();
  const results = await Promise.all(targets.map((target) =>
    ping(target, {
      count: 3,
      interval: 20,
      onProbe: (event) => {
        if (event.type !== "reply" || event.from !== target) foreign.push(`${target}: ${JSON.stringify(event)}`);
      },
    })
  ));
  const elapsed = performance.now() - started;
  deepEqual(foreign, []);
  for (const [i, result] of results.entries()) {
    equal(result.address, targets[i]);
    equal(result.received, 3, `${targets[i]} got ${result.received}`);
    equal(result.duplicates, 0);
    equal(result.corrupted, 0);
  }
  console.log(`1,000 concurrent pings × 3 probes: ${elapsed.toFixed(0)} ms`);
});

test("ping() does not block the event loop: a 10 ms interval keeps ticking during a 2 s ping", async () => {
  const ticks: number[] = [];
  const timer = setInterval(() => ticks.push(performance.now()), 10);
  const started = performance.now();
  const result = await ping("127.0.0.1", { count: 21, interval: 100 });
  const elapsed = performance.now() - started;
  clearInterval(timer);
  equal(result.received, 21);
  ok(elapsed >= 1990, `ran ${elapsed} ms`);
  const gaps = ticks.slice(1).map((t, i) => t - ticks[i]);
  const worst = Math.max(...gaps);
  console.log(`${ticks.length} ticks in ${elapsed.toFixed(0)} ms, longest gap ${worst.toFixed(1)} ms`);
  // A blocked loop would stall for the whole 2 s ping; a loaded machine only delays some ticks.
  ok(ticks.length >= elapsed / 10 * 0.5, `only ${ticks.length} ticks in ${elapsed} ms`);
  ok(worst < SLACK_MS, `longest gap between ticks ${worst} ms`);
});

test("ping() resolves as soon as the last probe is answered", async () => {
  const started = performance.now();
  await ping("127.0.0.1", { count: 3, interval: 50, timeout: 5000 });
  const elapsed = performance.now() - started;
  // Two intervals, then the last reply (tens of µs): nowhere near the 5 s timeout.
  ok(elapsed >= 99 && elapsed < 100 + SLACK_MS, `took ${elapsed} ms`);
});

test("ping() counts a reply that arrives after its probe's timeout as lost", async () => {
  const events: string[] = [];
  const result = await ping("127.0.0.1", {
    count: 3,
    interval: 5,
    timeout: 0.001,
    onProbe: (e) => events.push(e.type),
  });
  equal(result.received, 0);
  equal(result.loss, 100);
  deepEqual(events, ["timeout", "timeout", "timeout"]);
});

test("ping() throws PingTimeoutError with throwOnTimeout when nothing came back in time", async () => {
  await rejects(ping("127.0.0.1", { count: 2, interval: 5, timeout: 0.001, throwOnTimeout: true }), (error) => {
    ok(error instanceof PingTimeoutError);
    equal(error.name, "PingTimeoutError");
    equal(error.result.sent, 2);
    equal(error.result.received, 0);
    return true;
  });
});

test("ping() aborted by its signal settles at once with what was gathered", async () => {
  const controller = new AbortController();
  const events: ProbeEvent[] = [];
  let abortedAt = 0;
  setTimeout(() => {
    abortedAt = performance.now();
    controller.abort();
  }, 105);
  const started = performance.now();
  const result = await ping("127.0.0.1", {
    count: 100,
    interval: 20,
    signal: controller.signal,
    onProbe: (event) => events.push(event),
  });
  const settled = performance.now();
  // Measured from the abort itself, since the abort timer may fire late on a loaded machine.
  ok(settled - abortedAt < SLACK_MS, `settled ${settled - abortedAt} ms after the abort`);
  // Probes go out at 0, 20, 40, … ms; none may go out after the abort (one more if its timer was already due).
  const due = Math.floor((abortedAt - started) / 20) + 1;
  ok(result.sent >= 1 && result.sent <= due + 1, `sent ${result.sent}, ${due} due when aborted`);
  equal(result.received, events.filter((e) => e.type === "reply").length);
  ok(result.received >= result.sent - 1);
});

test("10,000 sequential and 1,000 aborted pings leave the fd count where it started", async () => {
  // Warm up: the first lookups open descriptors that glibc and Deno keep for the life of the process.
  for (let i = 0; i < 50; i++) await ping("127.0.0.1", { count: 1 });
  await settle();
  const before = await engineFdCount();
  for (let i = 0; i < 10_000; i++) await ping("127.0.0.1", { count: 1, interval: 0 });
  await settle();
  const afterSequential = await engineFdCount();
  let rejected = 0;
  for (let i = 0; i < 1000; i++) {
    const controller = new AbortController();
    const run = ping("127.0.0.1", { count: 5, interval: 2, signal: controller.signal });
    setTimeout(() => controller.abort(), i % 4);
    await run.catch(() => rejected++);
  }
  await settle();
  const afterAborted = await engineFdCount();
  console.log(
    `sockets and eventfds: ${before} → ${afterSequential} after 10,000 pings → ${afterAborted} after 1,000 aborted`,
  );
  equal(afterSequential, before);
  equal(afterAborted, before);
});

test("a script that awaits ping() exits right after it resolves", async () => {
  const script = `
    import { ping } from ${JSON.stringify(new URL("../mod.ts", import.meta.url).href)};
    await ping("127.0.0.1", { count: 2, interval: 20, timeout: 10000 });
    console.log(Date.now());
  `;
  const child = new Deno.Command(Deno.execPath(), {
    args: ["run", "--allow-ffi", "-"],
    stdin: "piped",
    stdout: "piped",
    stderr: "inherit",
  }).spawn();
  const writer = child.stdin.getWriter();
  await writer.write(new TextEncoder().encode(script));
  await writer.close();
  const output = await child.output();
  const exited = Date.now();
  equal(output.code, 0);
  const resolved = Number(new TextDecoder().decode(output.stdout).trim());
  console.log(`exit ${exited - resolved} ms after ping() resolved`);
  ok(exited - resolved < SLACK_MS, `exited ${exited - resolved} ms after ping() resolved`);
});

test("ping() rejects with the error its onProbe callback threw, and stops", async () => {
  const boom = new Error("callback failed");
  let calls = 0;
  await rejects(
    ping("127.0.0.1", {
      count: 5,
      interval: 10,
      onProbe: () => {
        calls++;
        throw boom;
      },
    }),
    (error) => error === boom,
  );
  equal(calls, 1);
});
