import { deepEqual } from "node:assert/strict";
import { chooseRtt } from "../engine/rtt.ts";

Deno.test("chooseRtt() takes the kernel's figure when it is plausible", () => {
  deepEqual(chooseRtt(0.25, 0.08), { rtt: 0.08, clock: "kernel" });
  deepEqual(chooseRtt(0.25, 0), { rtt: 0, clock: "kernel" });
});

Deno.test("chooseRtt() falls back to the user clock when the kernel stamp is missing", () => {
  deepEqual(chooseRtt(0.25, null), { rtt: 0.25, clock: "user" });
});

Deno.test("chooseRtt() falls back to the user clock when the realtime clock stepped back (negative figure)", () => {
  deepEqual(chooseRtt(0.25, -999.9), { rtt: 0.25, clock: "user" });
});

Deno.test("chooseRtt() falls back to the user clock when the kernel figure exceeds what user space saw", () => {
  deepEqual(chooseRtt(0.25, 1000.2), { rtt: 0.25, clock: "user" });
  deepEqual(chooseRtt(0.25, 0.2515), { rtt: 0.25, clock: "user" });
  deepEqual(chooseRtt(0.25, 0.2505), { rtt: 0.2505, clock: "kernel" });
});
