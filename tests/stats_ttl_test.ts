import { equal, throws } from "node:assert/strict";
import fc from "fast-check";
import { estimateHops, guessInitialTtl, guessOs } from "../stats/ttl.ts";

const UNIX = "Linux/Unix/BSD/macOS/Android";
const WINDOWS = "Windows";
const NETWORK_DEVICE = "Network device (e.g., Cisco)";

/** [received TTL, initial TTL, hops = initial − received + 1, OS class] at and around each threshold. */
const BOUNDARIES: ReadonlyArray<
  readonly [number, 64 | 128 | 255, number, string]
> = [
  [0, 64, 65, UNIX],
  [1, 64, 64, UNIX],
  [64, 64, 1, UNIX],
  [65, 128, 64, WINDOWS],
  [128, 128, 1, WINDOWS],
  [129, 255, 127, NETWORK_DEVICE],
  [255, 255, 1, NETWORK_DEVICE],
];

Deno.test("guessInitialTtl() picks 64, 128 or 255 at the thresholds", () => {
  for (const [ttl, initial] of BOUNDARIES) {
    equal(guessInitialTtl(ttl), initial, `ttl ${ttl}`);
  }
});

Deno.test("estimateHops() counts initial − ttl + 1 at the thresholds", () => {
  for (const [ttl, , hops] of BOUNDARIES) {
    equal(estimateHops(ttl), hops, `ttl ${ttl}`);
  }
});

Deno.test("guessOs() names pyminiping's three classes at the thresholds", () => {
  for (const [ttl, , , os] of BOUNDARIES) {
    equal(guessOs(ttl), os, `ttl ${ttl}`);
  }
});

Deno.test("estimateHops() and guessOs() match the pyminiping README example", () => {
  // ttl 110 → initial 128, 128 − 110 + 1 = 19 hops, "Windows"
  equal(estimateHops(110), 19);
  equal(guessOs(110), WINDOWS);
});

Deno.test("guessInitialTtl(), estimateHops() and guessOs() reject a bad TTL", () => {
  for (const ttl of [-1, 256, 64.5, NaN, Infinity, -Infinity]) {
    throws(() => guessInitialTtl(ttl), RangeError, `ttl ${ttl}`);
    throws(() => estimateHops(ttl), RangeError, `ttl ${ttl}`);
    throws(() => guessOs(ttl), RangeError, `ttl ${ttl}`);
  }
  throws(
    () => estimateHops(300),
    /Cannot guess initial TTL: ttl must be an integer within 0\.\.255, got 300/,
  );
});

Deno.test("guessInitialTtl() is the smallest common initial TTL not below the received one", () => {
  const initials = [64, 128, 255] as const;
  fc.assert(
    fc.property(fc.integer({ min: 0, max: 255 }), (ttl) => {
      const expected = initials.find((initial) => initial >= ttl);
      equal(guessInitialTtl(ttl), expected);
      const hops = estimateHops(ttl);
      equal(hops >= 1 && hops <= 127, true, `ttl ${ttl} gave ${hops} hops`);
    }),
  );
});
