/**
 * Hop-count and operating-system guesses from the TTL (or IPv6 hop limit) of a reply, by pyminiping's rule: the
 * sender most likely started from the smallest common initial TTL (64, 128 or 255) that is not below the
 * received one.
 *
 * @module
 */

/** Initial TTL of Linux, the BSDs, macOS and Android. */
const UNIX_INITIAL_TTL = 64;
/** Initial TTL of Windows. */
const WINDOWS_INITIAL_TTL = 128;
/** Initial TTL of many routers and switches; also the largest value the 8-bit field can hold. */
const NETWORK_DEVICE_INITIAL_TTL = 255;

/** The operating-system class pyminiping guesses from an IPv4 TTL. */
export type OsGuess =
  | "Linux/Unix/BSD/macOS/Android"
  | "Windows"
  | "Network device (e.g., Cisco)";

/** Operating-system class for each initial TTL, with pyminiping's exact wording. */
const OS_BY_INITIAL_TTL: Readonly<Record<64 | 128 | 255, OsGuess>> = {
  [UNIX_INITIAL_TTL]: "Linux/Unix/BSD/macOS/Android",
  [WINDOWS_INITIAL_TTL]: "Windows",
  [NETWORK_DEVICE_INITIAL_TTL]: "Network device (e.g., Cisco)",
};

/**
 * The initial TTL the sender most likely used: 64 for a received TTL up to 64, 128 up to 128, else 255.
 *
 * @param ttl The TTL or hop limit of a reply, an integer 0..255.
 * @returns The guessed initial TTL.
 * @throws {RangeError} If `ttl` is not an integer within 0..255.
 *
 * @example Guessing the initial TTL
 * ```ts
 * import { guessInitialTtl } from "./ttl.ts";
 * import { equal } from "node:assert/strict";
 *
 * equal(guessInitialTtl(57), 64);
 * equal(guessInitialTtl(110), 128);
 * equal(guessInitialTtl(250), 255);
 * ```
 */
export function guessInitialTtl(ttl: number): 64 | 128 | 255 {
  if (!Number.isInteger(ttl) || ttl < 0 || ttl > NETWORK_DEVICE_INITIAL_TTL) {
    throw new RangeError(
      `Cannot guess initial TTL: ttl must be an integer within 0..${NETWORK_DEVICE_INITIAL_TTL}, got ${ttl}`,
    );
  }
  if (ttl <= UNIX_INITIAL_TTL) return UNIX_INITIAL_TTL;
  if (ttl <= WINDOWS_INITIAL_TTL) return WINDOWS_INITIAL_TTL;
  return NETWORK_DEVICE_INITIAL_TTL;
}

/**
 * Estimated number of hops to the replying host: guessed initial TTL − received TTL + 1, as pyminiping counts
 * them (so a reply that lost nothing on the way counts as one hop).
 *
 * @param ttl The TTL or hop limit of a reply, an integer 0..255.
 * @returns The estimated hop count, 1..127.
 * @throws {RangeError} If `ttl` is not an integer within 0..255.
 *
 * @example Hops from a Windows host
 * ```ts
 * import { estimateHops } from "./ttl.ts";
 * import { equal } from "node:assert/strict";
 *
 * // 128 − 110 + 1
 * equal(estimateHops(110), 19);
 * equal(estimateHops(64), 1);
 * ```
 */
export function estimateHops(ttl: number): number {
  return guessInitialTtl(ttl) - ttl + 1;
}

/**
 * The operating-system class suggested by an IPv4 TTL, with pyminiping's thresholds and wording. Only a hint:
 * initial TTLs are configurable and the classes overlap in practice.
 *
 * @param ttl The TTL of a reply, an integer 0..255.
 * @returns The guessed class.
 * @throws {RangeError} If `ttl` is not an integer within 0..255.
 *
 * @example Guessing from a TTL of 110
 * ```ts
 * import { guessOs } from "./ttl.ts";
 * import { equal } from "node:assert/strict";
 *
 * equal(guessOs(110), "Windows");
 * ```
 */
export function guessOs(ttl: number): OsGuess {
  return OS_BY_INITIAL_TTL[guessInitialTtl(ttl)];
}
