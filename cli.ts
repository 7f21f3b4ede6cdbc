/**
 * The `miniping` command: ICMP echo with live per-probe lines, a summary with
 * percentiles, JSON and NDJSON output, and iputils' exit statuses.
 *
 * ```sh
 * deno install --global --allow-ffi -n miniping cli.ts
 * miniping -c 5 -i 0.2 example.com
 * ```
 *
 * Runs with `--allow-ffi` alone. Exit status: 0 if a reply arrived, 1 if none
 * did, 2 on any other error.
 *
 * @module
 */
import { main } from "./cli/main.ts";

export { main };

if (import.meta.main) Deno.exit(await main(Deno.args));
