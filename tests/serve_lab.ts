/**
 * Shared pieces of the `miniping serve` lab tests: starting serve in a
 * namespace, and the in-namespace HTTP driver.
 *
 * @module
 */
import type { Lab, LabNode } from "./lab/lab.ts";
import type { DriverRequest, DriverResponse } from "./serve_http_driver.ts";
import { gate } from "./support/gate.ts";

/** The CLI entry point. */
export const CLI = new URL("../cli.ts", import.meta.url).pathname;
const DRIVER = new URL("./serve_http_driver.ts", import.meta.url).pathname;

/** Whether a program is on PATH, as a gate reason. */
export function missingProgram(program: string, pkg: string): string | null {
  const result = new Deno.Command("sh", { args: ["-c", `command -v ${program}`], stdout: "null", stderr: "null" })
    .outputSync();
  return result.success ? null : `${program} is not installed (apt-get install ${pkg})`;
}

/** Deno.test's `ignore` for a test that needs `program`. */
export function needProgram(program: string, pkg: string): boolean {
  return gate(missingProgram(program, pkg));
}

/**
 * Starts `miniping serve` inside `node` with `args` (after `serve`) and any
 * further `deno run` flags (e.g. `--v8-flags=…`); its stderr is inherited so a
 * failure shows in the test output.
 */
export function spawnServe(lab: Lab, node: LabNode, args: string[], denoFlags: string[] = []): Deno.ChildProcess {
  return lab.spawn(node, [
    Deno.execPath(),
    "run",
    "--quiet",
    "--allow-ffi",
    "--allow-net",
    "--allow-read",
    ...denoFlags,
    CLI,
    "serve",
    ...args,
  ], { stderr: "inherit" });
}

/** Runs the HTTP driver inside `node` and returns what it printed. */
export async function drive(lab: Lab, node: LabNode, request: DriverRequest): Promise<DriverResponse> {
  const result = await lab.exec(node, [Deno.execPath(), "run", "--quiet", "--allow-net", DRIVER], {
    stdin: JSON.stringify(request),
    timeoutMs: request.deadlineMs + 15_000,
  });
  if (result.code !== 0) throw new Error(`driver failed (${result.code}): ${result.stderr.trim()}`);
  return JSON.parse(result.stdout);
}
