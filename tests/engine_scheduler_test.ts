import { deepEqual, equal, throws } from "node:assert/strict";
import { BACKOFF_MS, type FireOutcome, type Flow, PaceGroup, Scheduler } from "../engine/scheduler.ts";

/** A flow on a fixed schedule: probe n due at start + n × interval, logging (name, time) per send. */
class FakeFlow implements Flow {
  due: number;
  sent = 0;
  next: FireOutcome[] = [];
  constructor(
    readonly name: string,
    readonly log: [string, number][],
    readonly start: number,
    readonly interval: number,
    readonly count: number,
  ) {
    this.due = count > 0 ? start : Infinity;
  }
  fire(now: number): FireOutcome {
    const outcome = this.next.shift() ?? "sent";
    if (outcome === "backoff" || outcome === "busy") return outcome;
    this.log.push([this.name, now]);
    this.sent++;
    this.due = this.sent >= this.count ? Infinity : this.start + this.sent * this.interval;
    return outcome;
  }
}

Deno.test("scheduler sends everything already due in one run, then names the next due time", () => {
  const log: [string, number][] = [];
  const scheduler = new Scheduler();
  const group = new PaceGroup(Infinity, 1000);
  const flow = new FakeFlow("a", log, 0, 1, 10);
  scheduler.add(group, flow);
  // A drain 2.1 ms late (a timer hop) sends the three probes due by then, not one.
  equal(scheduler.run(2.1), 3);
  deepEqual(log.map(([, t]) => t), [2.1, 2.1, 2.1]);
  equal(scheduler.run(8.5), 9);
  equal(flow.sent, 9);
  equal(scheduler.run(100), Infinity);
  equal(flow.sent, 10);
});

Deno.test("scheduler keeps a fixed schedule: 1,000 probes at 1 ms end on time however late each drain is", () => {
  const log: [string, number][] = [];
  const scheduler = new Scheduler();
  const flow = new FakeFlow("a", log, 0, 1, 1000);
  scheduler.add(new PaceGroup(Infinity, 1000), flow);
  // Each wake-up comes 2.1 ms after the time the scheduler asked for.
  let now = 0;
  for (let next = scheduler.run(now); next !== Infinity; next = scheduler.run(now)) now = next + 2.1;
  equal(flow.sent, 1000);
  const last = log.at(-1)![1];
  equal(last < 999 + 2.2, true, `last send at ${last}`);
});

Deno.test("scheduler interval 0 sends until the window is full, and one more per settled probe", () => {
  const log: [string, number][] = [];
  const scheduler = new Scheduler();
  const group = new PaceGroup(Infinity, 4);
  scheduler.add(group, new FakeFlow("a", log, 0, 0, 100));
  equal(scheduler.run(0), Infinity);
  equal(log.length, 4);
  equal(group.outstanding, 4);
  scheduler.settle(group);
  scheduler.settle(group);
  equal(scheduler.run(1), Infinity);
  equal(log.length, 6);
  equal(group.outstanding, 4);
});

Deno.test("scheduler: spent probes do not hold the window", () => {
  const log: [string, number][] = [];
  const scheduler = new Scheduler();
  const group = new PaceGroup(Infinity, 2);
  const flow = new FakeFlow("a", log, 0, 0, 5);
  flow.next = ["spent", "spent", "spent"];
  scheduler.add(group, flow);
  scheduler.run(0);
  equal(flow.sent, 5);
  equal(group.outstanding, 2);
});

Deno.test("scheduler paces a group at `rate` across its flows, round-robin", () => {
  const log: [string, number][] = [];
  const scheduler = new Scheduler();
  const group = new PaceGroup(1000, 100); // one probe per ms
  for (const name of ["a", "b", "c"]) scheduler.add(group, new FakeFlow(name, log, 0, 0, 3));
  let now = 0;
  while (now !== Infinity) {
    const next = scheduler.run(now);
    now = next;
  }
  equal(log.length, 9);
  deepEqual(log.map(([name]) => name).join(""), "abcabcabc");
  deepEqual(log.map(([, t]) => t), [0, 1, 2, 3, 4, 5, 6, 7, 8]);
});

Deno.test("scheduler: equal schedules interleave round-robin, not target by target", () => {
  const log: [string, number][] = [];
  const scheduler = new Scheduler();
  const group = new PaceGroup(Infinity, 100);
  for (const name of ["a", "b", "c"]) scheduler.add(group, new FakeFlow(name, log, 0, 10, 3));
  for (const now of [0, 10, 20]) scheduler.run(now);
  deepEqual(log.map(([name]) => name).join(""), "abcabcabc");
});

Deno.test("scheduler: a paced group does not hold back an unpaced one", () => {
  const log: [string, number][] = [];
  const scheduler = new Scheduler();
  scheduler.add(new PaceGroup(1, 100), new FakeFlow("slow", log, 0, 0, 2));
  scheduler.add(new PaceGroup(Infinity, 100), new FakeFlow("fast", log, 0, 0, 3));
  equal(scheduler.run(0), 1000);
  deepEqual(log.map(([name]) => name).sort(), ["fast", "fast", "fast", "slow"]);
});

Deno.test("scheduler backs off on a full socket and resends the same probe afterwards", () => {
  const log: [string, number][] = [];
  const scheduler = new Scheduler();
  const flow = new FakeFlow("a", log, 0, 0, 3);
  flow.next = ["sent", "backoff"];
  scheduler.add(new PaceGroup(Infinity, 100), flow);
  equal(scheduler.run(0), BACKOFF_MS);
  equal(flow.sent, 1);
  equal(scheduler.stats.backoffs, 1);
  // Too early: still backing off.
  equal(scheduler.run(0.5), BACKOFF_MS);
  equal(flow.sent, 1);
  equal(scheduler.run(BACKOFF_MS), Infinity);
  equal(flow.sent, 3);
  equal(scheduler.stats.sent, 3);
});

Deno.test("scheduler: every socket busy sending stops the drain without a back-off; the next run goes on", () => {
  const log: [string, number][] = [];
  const scheduler = new Scheduler();
  const group = new PaceGroup(Infinity, 100);
  const flow = new FakeFlow("a", log, 0, 0, 4);
  flow.next = ["sent", "busy"];
  scheduler.add(group, flow);
  // Asks to run again soon, but holds nothing back: not a back-off, and the probe is neither sent nor outstanding.
  equal(scheduler.run(0), BACKOFF_MS);
  equal(flow.sent, 1);
  equal(group.outstanding, 1);
  equal(scheduler.stats.backoffs, 0);
  equal(scheduler.stats.sent, 1);
  // A batch landed: the very next run, at the same instant, sends the rest.
  equal(scheduler.run(0), Infinity);
  equal(flow.sent, 4);
  equal(group.outstanding, 4);
  deepEqual(log, [["a", 0], ["a", 0], ["a", 0], ["a", 0]]);
});

Deno.test("scheduler: a back-off found after the drain (a batched send) holds the next drain", () => {
  const log: [string, number][] = [];
  const scheduler = new Scheduler();
  const flow = new FakeFlow("a", log, 0, 10, 3);
  scheduler.add(new PaceGroup(Infinity, 100), flow);
  equal(scheduler.run(0), 10);
  scheduler.backoff(10);
  equal(scheduler.stats.backoffs, 1);
  equal(scheduler.run(10), 10 + BACKOFF_MS);
  equal(flow.sent, 1);
  equal(scheduler.run(10 + BACKOFF_MS), 20);
  equal(flow.sent, 2);
});

Deno.test("scheduler: a budget cuts a drain short and asks to run again at once", () => {
  const log: [string, number][] = [];
  const scheduler = new Scheduler();
  scheduler.add(new PaceGroup(Infinity, 100), new FakeFlow("a", log, 0, 0, 10));
  equal(scheduler.run(0, 4), 0);
  equal(log.length, 4);
});

Deno.test("scheduler: a closed group sends nothing more", () => {
  const log: [string, number][] = [];
  const scheduler = new Scheduler();
  const group = new PaceGroup(Infinity, 100);
  scheduler.add(group, new FakeFlow("a", log, 0, 10, 5));
  scheduler.run(0);
  scheduler.close(group);
  equal(scheduler.run(100), Infinity);
  equal(log.length, 1);
  equal(scheduler.idle, true);
});

Deno.test("scheduler: a rescheduled flow leaves at its new time", () => {
  const log: [string, number][] = [];
  const scheduler = new Scheduler();
  const group = new PaceGroup(Infinity, 100);
  const flow = new FakeFlow("a", log, 0, 10, 5);
  scheduler.add(group, flow);
  flow.due = Infinity; // cancelled by its run
  equal(scheduler.run(0), Infinity);
  equal(log.length, 0);
});

Deno.test("PaceGroup rejects a rate or window out of range", () => {
  throws(() => new PaceGroup(0, 1), RangeError);
  throws(() => new PaceGroup(1, 0), RangeError);
});
