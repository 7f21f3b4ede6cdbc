import { deepEqual } from "node:assert/strict";
import { chooseRtt } from "../engine/rtt.ts";

Deno.test("chooseRtt() takes kernel transmit and receive stamps when both are plausible", () => {
  deepEqual(chooseRtt({ user: 0.25, rx: 0.09, kernel: 0.08 }), { rtt: 0.08, clock: "kernel" });
  deepEqual(chooseRtt({ user: 0.25, rx: 0.09, kernel: 0 }), { rtt: 0, clock: "kernel" });
  // The transmit stamp is taken inside sendmsg, so the kernel figure may equal the rx one, within a µs.
  deepEqual(chooseRtt({ user: 0.25, rx: 0.09, kernel: 0.0905 }), { rtt: 0.0905, clock: "kernel" });
});

Deno.test("chooseRtt() says rx when the transmit stamp is missing", () => {
  deepEqual(chooseRtt({ user: 0.25, rx: 0.09, kernel: null }), { rtt: 0.09, clock: "rx" });
});

Deno.test("chooseRtt() says rx when the transmit stamp is implausible", () => {
  // Before the user-space send stamp: not this probe's (or the clock stepped).
  deepEqual(chooseRtt({ user: 0.25, rx: 0.09, kernel: 0.12 }), { rtt: 0.09, clock: "rx" });
  // After the receive stamp.
  deepEqual(chooseRtt({ user: 0.25, rx: 0.09, kernel: -0.01 }), { rtt: 0.09, clock: "rx" });
});

Deno.test("chooseRtt() falls back to the user clock when the receive stamp is missing", () => {
  deepEqual(chooseRtt({ user: 0.25, rx: null, kernel: null }), { rtt: 0.25, clock: "user" });
  // A transmit stamp alone does not make a kernel figure.
  deepEqual(chooseRtt({ user: 0.25, rx: null, kernel: 0.08 }), { rtt: 0.25, clock: "user" });
});

Deno.test("chooseRtt() falls back to the user clock when the realtime clock stepped back (negative figure)", () => {
  deepEqual(chooseRtt({ user: 0.25, rx: -999.9, kernel: -999.8 }), { rtt: 0.25, clock: "user" });
});

Deno.test("chooseRtt() falls back to the user clock when the kernel figure exceeds what user space saw", () => {
  deepEqual(chooseRtt({ user: 0.25, rx: 1000.2, kernel: 0.08 }), { rtt: 0.25, clock: "user" });
  deepEqual(chooseRtt({ user: 0.25, rx: 0.2515, kernel: null }), { rtt: 0.25, clock: "user" });
  deepEqual(chooseRtt({ user: 0.25, rx: 0.2505, kernel: null }), { rtt: 0.2505, clock: "rx" });
});
