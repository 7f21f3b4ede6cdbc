/**
 * miniping: ICMP echo ("ping") for Deno, sent and timed by the library itself through libc, with the statistics
 * monitoring needs. Runs with `--allow-ffi` alone.
 *
 * @example
 * ```ts ignore
 * import { ping } from "@miniping/miniping";
 *
 * const result = await ping("127.0.0.1", { count: 3 });
 * console.log(result.median, result.loss);
 * ```
 *
 * @module
 */
export * from "./ping.ts";
export * from "./ping_many.ts";
export * from "./pinger.ts";
export * from "./resolve_host.ts";
export * from "./ping_result.ts";
export * from "./errors.ts";
export { SystemCallError } from "./ffi/errno.ts";
export type { OsGuess } from "./stats/ttl.ts";

if (import.meta.main) {
  // Only the command needs the CLI code; importing the library never loads it.
  const { main } = await import("./cli.ts");
  Deno.exit(await main(Deno.args));
}
