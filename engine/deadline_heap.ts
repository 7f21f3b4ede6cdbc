/**
 * A binary min-heap of deadlines, so one timer serves every outstanding probe instead of one timer each.
 *
 * @module
 */

/** Anything with a deadline. */
export interface HasDeadline {
  /** When it expires, in the caller's clock. */
  deadline: number;
  /** Its position in the heap, kept by the heap (-1 or absent when not queued). */
  heapIndex?: number;
}

/** Min-heap ordered by `deadline`; ties leave in insertion order is not guaranteed. */
export class DeadlineHeap<T extends HasDeadline> {
  readonly #items: T[] = [];

  /** How many items are queued. */
  get size(): number {
    return this.#items.length;
  }

  /** The earliest item without removing it. */
  peek(): T | undefined {
    return this.#items[0];
  }

  /** Adds an item. O(log n). */
  push(item: T): void {
    this.#items.push(item);
    this.#up(item, this.#items.length - 1);
  }

  /** Removes and returns the earliest item. O(log n). */
  pop(): T | undefined {
    const items = this.#items;
    const top = items[0];
    const last = items.pop();
    if (top !== undefined) top.heapIndex = -1;
    if (items.length === 0 || last === undefined) return top;
    this.#down(last, 0);
    return top;
  }

  /**
   * Takes `item` out before its deadline (a finished probe), so that nothing keeps it alive until then. O(log n);
   * does nothing when it is not queued.
   */
  remove(item: T): void {
    const items = this.#items;
    const i = item.heapIndex ?? -1;
    if (i < 0 || items[i] !== item) return;
    item.heapIndex = -1;
    const last = items.pop()!;
    if (last === item) return;
    if (i > 0 && last.deadline < items[(i - 1) >> 1].deadline) this.#up(last, i);
    else this.#down(last, i);
  }

  /** Drops everything. */
  clear(): void {
    for (const item of this.#items) item.heapIndex = -1;
    this.#items.length = 0;
  }

  /** Places `item` at `i` or above. */
  #up(item: T, i: number): void {
    const items = this.#items;
    while (i > 0) {
      const parent = (i - 1) >> 1;
      if (items[parent].deadline <= item.deadline) break;
      items[i] = items[parent];
      items[i].heapIndex = i;
      i = parent;
    }
    items[i] = item;
    item.heapIndex = i;
  }

  /** Places `item` at `i` or below. */
  #down(item: T, i: number): void {
    const items = this.#items;
    const n = items.length;
    for (;;) {
      const left = 2 * i + 1;
      if (left >= n) break;
      const right = left + 1;
      const child = right < n && items[right].deadline < items[left].deadline ? right : left;
      if (items[child].deadline >= item.deadline) break;
      items[i] = items[child];
      items[i].heapIndex = i;
      i = child;
    }
    items[i] = item;
    item.heapIndex = i;
  }
}
