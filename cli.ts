/**
 * The `miniping` command: ICMP echo with live per-probe lines and a summary with percentiles for one host (iputils'
 * way), or many hosts at once with one aligned row each (fping's way: several HOSTs, `-f FILE`, `-g CIDR`), with JSON
 * and NDJSON output.
 *
 * ```sh
 * deno install --global --allow-ffi --no-lock --v8-flags=--no-lazy -n miniping dist/cli.js   # this module, bundled
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
import { after } from "./cli/run_control.ts";

export { main };

if (import.meta.main) main(Deno.args).then(exitWhenIdle);

/** How long the process may stay after the command is done, for work still on the event loop (see below). */
const LINGER_MS = 50;

/**
 * Ends the process with `code` by letting the event loop run dry rather than by `Deno.exit()`: Deno writes the V8
 * code cache of the modules it loaded from its event loop, and an exit before that (from a top-level await, or
 * before any macrotask, which a one-host run on loopback never needs) means no run ever writes it and every run
 * compiles the command afresh (~5 ms, bench/startup.ts). Anything that would keep the loop alive past that (a name
 * lookup on a worker thread, a read of stdin that a stopped run no longer needs) is cut short after
 * {@linkcode LINGER_MS}: a pending `Atomics.waitAsync` does not itself keep the process alive.
 */
function exitWhenIdle(code: number): void {
  Deno.exitCode = code;
  after(LINGER_MS, () => Deno.exit(code));
}
