import { deepEqual, equal } from "node:assert/strict";
import fc from "fast-check";
import { DeadlineHeap } from "../engine/deadline_heap.ts";

Deno.test("DeadlineHeap pops items in deadline order", () => {
  const heap = new DeadlineHeap<{ deadline: number; name: string }>();
  for (const [deadline, name] of [[5, "e"], [1, "a"], [3, "c"], [2, "b"], [4, "d"]] as const) {
    heap.push({ deadline, name });
  }
  equal(heap.size, 5);
  equal(heap.peek()?.name, "a");
  deepEqual(Array.from({ length: 5 }, () => heap.pop()?.name), ["a", "b", "c", "d", "e"]);
  equal(heap.pop(), undefined);
});

Deno.test("DeadlineHeap agrees with a sort for any interleaving of pushes and pops", () => {
  fc.assert(fc.property(fc.array(fc.oneof(fc.double({ min: 0, max: 1e6, noNaN: true }), fc.constant(-1))), (ops) => {
    const heap = new DeadlineHeap<{ deadline: number }>();
    const model: number[] = [];
    for (const op of ops) {
      if (op === -1) {
        model.sort((x, y) => x - y);
        equal(heap.pop()?.deadline, model.shift());
      } else {
        heap.push({ deadline: op });
        model.push(op);
      }
    }
    equal(heap.size, model.length);
  }));
});

Deno.test("DeadlineHeap.clear() empties it", () => {
  const heap = new DeadlineHeap<{ deadline: number }>();
  heap.push({ deadline: 1 });
  heap.clear();
  equal(heap.size, 0);
  equal(heap.peek(), undefined);
});

Deno.test("DeadlineHeap.remove() agrees with a model for any interleaving of pushes, pops and removals", () => {
  const op = fc.oneof(
    fc.record({ push: fc.double({ min: 0, max: 1e6, noNaN: true }) }),
    fc.constant({ pop: true }),
    fc.record({ remove: fc.nat() }),
  );
  fc.assert(fc.property(fc.array(op), (ops) => {
    const heap = new DeadlineHeap<{ deadline: number; heapIndex?: number }>();
    const model: { deadline: number }[] = [];
    const all: { deadline: number }[] = [];
    for (const o of ops) {
      if ("push" in o) {
        const item = { deadline: o.push };
        heap.push(item);
        model.push(item);
        all.push(item);
      } else if ("pop" in o) {
        model.sort((x, y) => x.deadline - y.deadline);
        equal(heap.pop()?.deadline, model.shift()?.deadline);
      } else if (all.length > 0) {
        // Removing an item already popped or removed does nothing.
        const item = all[o.remove % all.length];
        heap.remove(item);
        const at = model.indexOf(item);
        if (at !== -1) model.splice(at, 1);
      }
      equal(heap.size, model.length);
    }
    model.sort((x, y) => x.deadline - y.deadline);
    deepEqual(Array.from({ length: model.length }, () => heap.pop()?.deadline), model.map((x) => x.deadline));
  }));
});
