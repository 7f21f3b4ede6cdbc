/**
 * Which clocks make an RTT.
 *
 * @module
 */

import type { RttClock } from "./events.ts";

/**
 * Slack for comparing figures taken on different clocks: the user-space send stamps (realtime and monotonic) are
 * read ~30 ns apart, and the kernel's transmit stamp is taken inside the `sendmsg` that follows them.
 */
const CLOCK_TOLERANCE_MS = 0.001;

/** The candidate RTTs of one reply, in ms; `null` where a stamp is missing. */
export interface RttFigures {
  /** User space at both ends (CLOCK_MONOTONIC before `sendmsg`, after `recvmsg`): always there. */
  user: number;
  /** Kernel receive stamp minus the user-space CLOCK_REALTIME send stamp. */
  rx: number | null;
  /** Kernel receive stamp minus the kernel's transmit stamp of the same probe. */
  kernel: number | null;
}

/**
 * Picks the RTT of a reply and names the clocks that made it: `"kernel"` (kernel transmit and receive stamps) when
 * plausible, else `"rx"` (kernel receive stamp, user-space send stamp), else `"user"`.
 *
 * The receive stamp is plausible when its figure is not negative and not longer than what user space saw (it can
 * only be, if the realtime clock stepped between send and receive). The transmit stamp is plausible when it falls
 * after the user-space send stamp (it is taken inside the `sendmsg` that follows it) and before the receive stamp;
 * anything else means a clock step or a stamp that is not this probe's.
 *
 * @param figures The candidate RTTs.
 * @returns The chosen RTT in ms and its clock pair.
 */
export function chooseRtt(figures: RttFigures): { rtt: number; clock: RttClock } {
  const { user, rx, kernel } = figures;
  const clock = chooseClock(user, rx, kernel);
  return { rtt: rttOf(clock, user, rx, kernel), clock };
}

/**
 * {@linkcode chooseRtt}'s choice alone, from the figures as arguments: the engine's reply path, which allocates
 * nothing. The RTT is the figure of the clock it names.
 *
 * @param user The user-space figure.
 * @param rx The receive-stamp figure, or `null`.
 * @param kernel The transmit-and-receive-stamp figure, or `null`.
 * @returns Which figure is the RTT.
 */
export function chooseClock(user: number, rx: number | null, kernel: number | null): RttClock {
  if (rx === null || rx < 0 || rx > user + CLOCK_TOLERANCE_MS) return "user";
  if (kernel !== null && kernel >= 0 && kernel <= rx + CLOCK_TOLERANCE_MS) return "kernel";
  return "rx";
}

/**
 * The figure of the clock {@linkcode chooseClock} named.
 *
 * @param clock What {@linkcode chooseClock} returned for these figures (it never names a missing one).
 * @param user The user-space figure.
 * @param rx The receive-stamp figure, or `null`.
 * @param kernel The transmit-and-receive-stamp figure, or `null`.
 * @returns The RTT in ms.
 */
export function rttOf(clock: RttClock, user: number, rx: number | null, kernel: number | null): number {
  return clock === "kernel" ? kernel! : clock === "rx" ? rx! : user;
}
