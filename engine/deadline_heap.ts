/**
 * A binary min-heap of deadlines, so one timer serves every outstanding probe instead of one timer each.
 *
 * @module
 */

/** Anything with a deadline. */
export interface HasDeadline {
  /** When it expires, in the caller's clock. */
  deadline: number;
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
    const items = this.#items;
    items.push(item);
    let i = items.length - 1;
    while (i > 0) {
      const parent = (i - 1) >> 1;
      if (items[parent].deadline <= item.deadline) break;
      items[i] = items[parent];
      i = parent;
    }
    items[i] = item;
  }

  /** Removes and returns the earliest item. O(log n). */
  pop(): T | undefined {
    const items = this.#items;
    const top = items[0];
    const last = items.pop();
    if (items.length === 0 || last === undefined) return top;
    let i = 0;
    const n = items.length;
    for (;;) {
      const left = 2 * i + 1;
      if (left >= n) break;
      const right = left + 1;
      const child = right < n && items[right].deadline < items[left].deadline ? right : left;
      if (items[child].deadline >= last.deadline) break;
      items[i] = items[child];
      i = child;
    }
    items[i] = last;
    return top;
  }

  /** Drops everything. */
  clear(): void {
    this.#items.length = 0;
  }
}
