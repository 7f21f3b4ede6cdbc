/**
 * The `miniping` command: ICMP echo with live per-probe lines and a summary with percentiles for one host (iputils'
 * way), or many hosts at once with one aligned row each (fping's way: several HOSTs, `-f FILE`, `-g CIDR`), with JSON
 * and NDJSON output.
 *
 * ```sh
 * deno install --global --allow-ffi --v8-flags=--no-lazy -n miniping dist/cli.js   # this module, bundled
 * miniping -c 5 -i 0.2 127.0.0.1
 * miniping -c 1 -g 127.0.0.0/30
 * ```
 *
 * Runs with `--allow-ffi` alone. Exit status with one host: 0 if a reply arrived, 1 if none did; with several: 0 if
 * every host answered, 1 if some did not; 2 on any other error.
 *
 * @module
 */
import { main } from "./cli/main.ts";

export { main };

if (import.meta.main) Deno.exit(await main(Deno.args));
