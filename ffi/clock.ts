/**
 * Clocks read through `clock_gettime` (vDSO, ~30 ns).
 *
 * Kernel receive stamps (`SO_TIMESTAMPNS`) are CLOCK_REALTIME, so send stamps that are compared with them must be
 * CLOCK_REALTIME too. Realtime milliseconds are counted from a base second fixed at first use, which keeps them
 * small enough for a double to hold nanoseconds exactly.
 *
 * @module
 */
import { CLOCK_MONOTONIC, CLOCK_REALTIME } from "./constants.ts";
import { libc } from "./libc.ts";
import { TIMESPEC } from "./structs.ts";

const timespec = new Uint8Array(TIMESPEC.size);
const timespecView = new DataView(timespec.buffer);
let baseSeconds: number | undefined;

function read(clock: number): void {
  if (libc().clock_gettime(clock, timespec) !== 0) {
    throw new Error(`clock_gettime(${clock}) failed`);
  }
}

function seconds(): number {
  // tv_sec is 64-bit; the low and high words fit a double exactly.
  return timespecView.getUint32(TIMESPEC.sec, true) +
    timespecView.getUint32(TIMESPEC.sec + 4, true) * 2 ** 32;
}

function nanoseconds(): number {
  return timespecView.getUint32(TIMESPEC.nsec, true);
}

/** Converts a CLOCK_REALTIME timespec (as from a kernel stamp) to milliseconds on {@linkcode realtimeMs}'s scale. */
export function realtimeToMs(sec: number, nsec: number): number {
  baseSeconds ??= sec;
  return (sec - baseSeconds) * 1e3 + nsec / 1e6;
}

/** CLOCK_REALTIME in ms since the base second. */
export function realtimeMs(): number {
  read(CLOCK_REALTIME);
  return realtimeToMs(seconds(), nanoseconds());
}

/** CLOCK_MONOTONIC in ms. Unaffected by clock steps, so it measures user-space RTTs and deadlines. */
export function monotonicMs(): number {
  read(CLOCK_MONOTONIC);
  return seconds() * 1e3 + nanoseconds() / 1e6;
}
