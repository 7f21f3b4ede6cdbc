/**
 * Which clock ends an RTT.
 *
 * @module
 */

import type { RttClock } from "./events.ts";

/** A kernel figure may exceed the user-clock RTT by this much: the two send stamps are taken ~30 ns apart. */
const CLOCK_TOLERANCE_MS = 0.001;

/**
 * Picks the RTT of a reply. The kernel's figure (receive stamp minus the CLOCK_REALTIME send stamp) is preferred;
 * it is dropped for the user-space one (CLOCK_MONOTONIC at both ends) when it is missing, negative, or longer than
 * what user space saw, which can only happen when the realtime clock stepped between send and receive.
 */
export function chooseRtt(userRtt: number, kernelRtt: number | null): { rtt: number; clock: RttClock } {
  if (kernelRtt !== null && kernelRtt >= 0 && kernelRtt <= userRtt + CLOCK_TOLERANCE_MS) {
    return { rtt: kernelRtt, clock: "kernel" };
  }
  return { rtt: userRtt, clock: "user" };
}
