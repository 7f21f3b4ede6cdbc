import fc from "fast-check";
import { deepEqual, equal } from "node:assert/strict";
import { ProbeTable } from "../engine/probe_table.ts";

type Op = { op: "set" | "delete" | "get" | "has"; key: number } | { op: "clear" };

const key = (space: number) => fc.integer({ min: 0, max: space - 1 });
/** Operations over a key space small enough for long probe runs and collisions, or as wide as a raw socket's. */
const ops = (space: number) =>
  fc.array(
    fc.oneof(
      fc.record({
        op: fc.constantFrom("set" as const, "delete" as const, "get" as const, "has" as const),
        key: key(space),
      }),
      fc.constant({ op: "clear" as const }),
    ),
    { minLength: 100, maxLength: 600 },
  );

function check(sequence: Op[]): void {
  const table = new ProbeTable<number>();
  const map = new Map<number, number>();
  sequence.forEach((step, i) => {
    if (step.op === "clear") {
      table.clear();
      map.clear();
    } else if (step.op === "set") {
      table.set(step.key, i);
      map.set(step.key, i);
    } else if (step.op === "delete") {
      equal(table.delete(step.key), map.delete(step.key), `delete ${step.key}`);
    } else if (step.op === "get") {
      equal(table.get(step.key), map.get(step.key), `get ${step.key}`);
    } else {
      equal(table.has(step.key), map.has(step.key), `has ${step.key}`);
    }
    equal(table.size, map.size);
  });
  for (const [k, v] of map) equal(table.get(k), v);
}

Deno.test("ProbeTable answers as a Map does, over dense and raw-socket key spaces", () => {
  fc.assert(fc.property(ops(300), check), { numRuns: 300 });
  fc.assert(fc.property(ops(2 ** 32), check), { numRuns: 100 });
});

Deno.test("ProbeTable keeps a window of sequential keys through growth and deletes in send order", () => {
  const table = new ProbeTable<number>();
  // Keys as a datagram socket hands them out (consecutive, wrapping at 2^16), 4,096 outstanding at a time.
  for (let n = 0; n < 100_000; n++) {
    const k = (40_000 + n) % 65_536;
    table.set(k, n);
    if (n >= 4096) {
      const old = (40_000 + n - 4096) % 65_536;
      equal(table.get(old), n - 4096);
      equal(table.delete(old), true);
    }
  }
  equal(table.size, 4096);
  deepEqual([table.get(-1), table.get(NaN), table.has(-1), table.delete(-1)], [undefined, undefined, false, false]);
});
