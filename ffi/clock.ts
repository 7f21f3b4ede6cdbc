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

let baseSeconds: number | undefined;

/** Converts a CLOCK_REALTIME timespec (as from a kernel stamp) to milliseconds on {@linkcode realtimeMs}'s scale. */
export function realtimeToMs(sec: number, nsec: number): number {
  baseSeconds ??= sec;
  return (sec - baseSeconds) * 1e3 + nsec / 1e6;
}

/**
 * One clock reading kept as a raw timespec. {@linkcode Stamp.take} allocates nothing, so no garbage collection can
 * fall between the reading and the system call that follows it; the conversion to ms comes afterwards.
 */
export class Stamp {
  readonly #timespec = new Uint8Array(TIMESPEC.size);
  readonly #view = new DataView(this.#timespec.buffer);

  /** A stamp of CLOCK_REALTIME or CLOCK_MONOTONIC. */
  constructor(readonly clock: typeof CLOCK_REALTIME | typeof CLOCK_MONOTONIC) {}

  /** Reads the clock now. */
  take(): void {
    if (libc().clock_gettime(this.clock, this.#timespec) !== 0) throw new Error(`clock_gettime(${this.clock}) failed`);
  }

  /** The reading in ms: realtime on {@linkcode realtimeToMs}'s scale, monotonic as is. */
  get ms(): number {
    // tv_sec is 64-bit; the low and high words fit a double exactly.
    const sec = this.#view.getUint32(TIMESPEC.sec, true) + this.#view.getUint32(TIMESPEC.sec + 4, true) * 2 ** 32;
    const nsec = this.#view.getUint32(TIMESPEC.nsec, true);
    return this.clock === CLOCK_REALTIME ? realtimeToMs(sec, nsec) : sec * 1e3 + nsec / 1e6;
  }
}

const realtime = new Stamp(CLOCK_REALTIME);
const monotonic = new Stamp(CLOCK_MONOTONIC);

/** CLOCK_REALTIME in ms since the base second. */
export function realtimeMs(): number {
  realtime.take();
  return realtime.ms;
}

/** CLOCK_MONOTONIC in ms. Unaffected by clock steps, so it measures user-space RTTs and deadlines. */
export function monotonicMs(): number {
  monotonic.take();
  return monotonic.ms;
}

/**
 * CLOCK_REALTIME in ms since the UNIX epoch, at sub-µs resolution (`Date.now()`'s scale, which truncates to whole
 * ms). For wall-clock times people read, such as iputils' `-D` `[seconds.micros]`.
 */
export function epochMs(): number {
  const ms = realtimeMs();
  return ms + baseSeconds! * 1e3;
}
