/**
 * The pure statistics: loss, RTT summaries and TTL-based guesses. Numbers in, values out; no I/O and no imports
 * from outside this folder. Internal to the package: the public entry point re-exports what users need.
 *
 * @module
 */

export * from "./summary.ts";
export * from "./ttl.ts";
