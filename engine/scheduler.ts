/**
 * The send scheduler: one queue of due sends for the whole process, drained by one call that sends everything already
 * due before the engine waits again. No timer per probe, so the event loop's ~2 ms timer hop never stretches a
 * schedule: late drains catch up on the fixed schedule instead of sliding it.
 *
 * Sends are grouped by call ({@linkcode PaceGroup}: one `ping()` or `pingMany()`), each with its own pace (`rate`,
 * probes per second over all its targets) and window (probes outstanding at once). Within a group, flows (one per
 * target) leave in due order, ties first-come first-served, so equal schedules interleave round-robin. The scheduler
 * is pure: it reads no clock and sets no timer, so tests drive it with a fake clock.
 *
 * @module
 */

/** What {@linkcode Flow.fire} did. */
export type FireOutcome =
  /** A probe went out and is outstanding until {@linkcode Scheduler.settle}. */
  | "sent"
  /** The probe was used up without being outstanding (the local stack refused it). */
  | "spent"
  /** Nothing was sent: the socket is full (EAGAIN, ENOBUFS) or out of room; try again after a back-off. */
  | "backoff"
  /**
   * Nothing was sent: every socket is busy sending on a worker thread with its next batch staged. Not a back-off:
   * the scheduler tries again on its next run (the engine runs it when a batch lands).
   */
  | "busy";

/** One target's sends. */
export interface Flow {
  /** Monotonic ms when its next probe is due; `Infinity` when it has nothing more to send. Updated by `fire`. */
  due: number;
  /** Sends its next probe at `now` and advances `due`. */
  fire(now: number): FireOutcome;
}

/** How long to wait after a back-off before trying again, in ms. */
export const BACKOFF_MS = 1;
/** How far a paced group may fall behind its grid and still catch up, in ms: a few wake-ups' lateness. */
export const CATCH_UP_MS = 10;

interface Entry<T> {
  key: number;
  order: number;
  item: T;
}

/** A binary min-heap ordered by key, then by insertion order (so equal keys leave first-come first-served). */
class OrderedHeap<T> {
  readonly #items: Entry<T>[] = [];
  #order = 0;

  get size(): number {
    return this.#items.length;
  }

  peek(): Entry<T> | undefined {
    return this.#items[0];
  }

  push(key: number, item: T): void {
    const items = this.#items;
    const entry = { key, order: this.#order++, item };
    items.push(entry);
    let i = items.length - 1;
    while (i > 0) {
      const parent = (i - 1) >> 1;
      if (!before(entry, items[parent])) break;
      items[i] = items[parent];
      i = parent;
    }
    items[i] = entry;
  }

  /** Gives the top entry a new key (as if popped and pushed again, last among equals) without allocating. */
  rekeyTop(key: number): void {
    const items = this.#items;
    const top = items[0];
    top.key = key;
    top.order = this.#order++;
    this.#siftDown(top);
  }

  pop(): Entry<T> | undefined {
    const items = this.#items;
    const top = items[0];
    const last = items.pop();
    if (items.length === 0 || last === undefined) return top;
    this.#siftDown(last);
    return top;
  }

  /** Places `last` from the root down to where it belongs. */
  #siftDown(last: Entry<T>): void {
    const items = this.#items;
    let i = 0;
    const n = items.length;
    for (;;) {
      const left = 2 * i + 1;
      if (left >= n) break;
      const right = left + 1;
      const child = right < n && before(items[right], items[left]) ? right : left;
      if (!before(items[child], last)) break;
      items[i] = items[child];
      i = child;
    }
    items[i] = last;
  }

  clear(): void {
    this.#items.length = 0;
  }
}

function before<T>(a: Entry<T>, b: Entry<T>): boolean {
  return a.key < b.key || (a.key === b.key && a.order < b.order);
}

/** The sends of one call: a pace, a window, and its flows in due order. */
export class PaceGroup {
  /** Probes sent and not yet settled. */
  outstanding = 0;
  /** Probes sent (and spent) so far. */
  sent = 0;
  /** Runs of the group between their first send and their end. */
  active = 0;
  /** Called after each run's first send (a sweep pulls its next targets then). */
  onStart: (() => void) | undefined = undefined;
  /** Earliest time the pace allows the next send. */
  #nextSlot = -Infinity;
  readonly #gap: number;
  readonly flows = new OrderedHeap<Flow>();
  /** Whether the group is in the scheduler's queue (else idle, or blocked by its window). */
  queued = false;
  closed = false;

  /**
   * @param rate Probes per second over all the group's flows; `Infinity` for no pace.
   * @param window Probes outstanding at once, at least 1.
   */
  constructor(readonly rate: number, readonly window: number) {
    if (!(rate > 0)) throw new RangeError(`Cannot schedule: rate must be > 0, got ${rate}`);
    if (!(window >= 1)) throw new RangeError(`Cannot schedule: window must be ≥ 1, got ${window}`);
    this.#gap = rate === Infinity ? 0 : 1000 / rate;
  }

  /** Records a run's first send. */
  started(): void {
    this.active++;
    this.onStart?.();
  }

  /** Records the end of a run that had started. */
  ended(): void {
    this.active--;
  }

  /** When the group can send next, or `Infinity` when it has nothing to send or its window is full. */
  get ready(): number {
    if (this.closed || this.outstanding >= this.window) return Infinity;
    const head = this.flows.peek();
    if (head === undefined) return Infinity;
    return Math.max(head.key, this.#nextSlot);
  }

  /**
   * Records a send at `now` against the pace. Slots follow a fixed grid, so a late drain catches up on the slots it
   * missed; after an idle spell longer than {@linkcode CATCH_UP_MS} the grid restarts at `now` instead of bursting.
   */
  paced(now: number): void {
    if (this.#gap === 0) return;
    const base = this.#nextSlot < now - CATCH_UP_MS ? now : this.#nextSlot;
    this.#nextSlot = base + this.#gap;
  }
}

/** Statistics of a scheduler. */
export interface SchedulerStats {
  /** Probes the flows sent. */
  sent: number;
  /** Drains cut short by a full socket. */
  backoffs: number;
}

/** The process-wide queue of due sends. */
export class Scheduler {
  readonly #groups = new OrderedHeap<PaceGroup>();
  #backoffUntil = -Infinity;
  readonly stats: SchedulerStats = { sent: 0, backoffs: 0 };

  /** Queues `flow` in `group` (at `flow.due`). */
  add(group: PaceGroup, flow: Flow): void {
    if (group.closed || flow.due === Infinity) return;
    group.flows.push(flow.due, flow);
    this.#requeue(group);
  }

  /** One of the group's probes is no longer outstanding (answered, failed, timed out). */
  settle(group: PaceGroup): void {
    if (group.outstanding > 0) group.outstanding--;
    this.#requeue(group);
  }

  /** Drops every flow of `group`; later adds are ignored. */
  close(group: PaceGroup): void {
    group.closed = true;
    group.flows.clear();
  }

  /** The socket pushed back outside {@linkcode Scheduler.run} (a batched send): send nothing for a back-off. */
  backoff(now: number): void {
    this.stats.backoffs++;
    this.#backoffUntil = now + BACKOFF_MS;
  }

  /** Whether anything is queued. */
  get idle(): boolean {
    return this.#groups.size === 0;
  }

  #requeue(group: PaceGroup): void {
    if (group.queued) return;
    const ready = group.ready;
    if (ready === Infinity) return;
    group.queued = true;
    this.#groups.push(ready, group);
  }

  /**
   * Sends everything due at `now`, fairly across groups and flows, until nothing more is due, the socket pushes back
   * or `budget` sends were made. Returns when it next needs to run: a monotonic ms time, `Infinity` when nothing is
   * queued.
   */
  run(now: number, budget = Infinity): number {
    if (now < this.#backoffUntil) return this.#backoffUntil;
    let sends = 0;
    for (;;) {
      const top = this.#groups.peek();
      if (top === undefined) return Infinity;
      const group = top.item;
      const ready = group.ready;
      if (ready !== top.key) {
        // Stale position: its window filled, its flows left, or its head changed since it was queued.
        this.#groups.pop();
        group.queued = false;
        this.#requeue(group);
        continue;
      }
      if (ready > now) return ready;
      if (sends >= budget) return now;
      const head = group.flows.pop()!;
      const flow = head.item;
      if (flow.due !== head.key) {
        // The flow moved (cancelled or rescheduled) since it was queued.
        if (flow.due !== Infinity) group.flows.push(flow.due, flow);
        continue;
      }
      const outcome = flow.fire(now);
      if (outcome === "busy") {
        group.flows.push(head.key, flow);
        return now + BACKOFF_MS;
      }
      if (outcome === "backoff") {
        group.flows.push(head.key, flow);
        this.stats.backoffs++;
        this.#backoffUntil = now + BACKOFF_MS;
        return this.#backoffUntil;
      }
      sends++;
      this.stats.sent++;
      group.sent++;
      if (outcome === "sent") group.outstanding++;
      group.paced(now);
      if (flow.due !== Infinity) group.flows.push(flow.due, flow);
      // Re-position the group: its key changed with its head, pace and window.
      const next = group.ready;
      if (next === Infinity) {
        this.#groups.pop();
        group.queued = false;
      } else {
        this.#groups.rekeyTop(next);
      }
    }
  }
}
