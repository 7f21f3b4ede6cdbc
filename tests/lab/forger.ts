/**
 * The echo forger (tests/fixtures/echo_forger.ts) as t's only responder: the lab tests that need replies the kernel
 * would never send start it here.
 *
 * @module
 */
import { equal } from "node:assert/strict";
import type { Lab } from "./lab.ts";

const FORGER = new URL("../fixtures/echo_forger.ts", import.meta.url).pathname;

/**
 * Makes t's kernel stop (or resume) answering echo requests, so that a forger's replies are the only ones.
 *
 * @param lab The lab.
 * @param on Whether t ignores echo requests.
 */
export async function setEchoIgnore(lab: Lab, on: boolean): Promise<void> {
  for (const key of ["net.ipv4.icmp_echo_ignore_all", "net.ipv6.icmp.echo_ignore_all"]) {
    const out = await lab.exec("t", ["sysctl", "-qw", `${key}=${on ? 1 : 0}`]);
    equal(out.code, 0, out.stderr);
  }
}

/**
 * Starts the forger in t and returns once it says it is ready; disposing it kills it.
 *
 * @param lab The lab.
 * @param family Which ICMP it answers.
 * @param modes The forger's modes (see its header), e.g. `"echo"` or `"corrupt,echo"`.
 * @param flags Further forger flags, e.g. `--ip-options`.
 * @returns A handle whose disposal stops the forger.
 */
export async function startForger(
  lab: Lab,
  family: 4 | 6,
  modes: string,
  ...flags: string[]
): Promise<AsyncDisposable> {
  const child = lab.spawn("t", [Deno.execPath(), "run", "--allow-ffi", FORGER, String(family), modes, ...flags], {
    stdout: "piped",
    stderr: "inherit",
  });
  const reader = child.stdout!.pipeThrough(new TextDecoderStream()).getReader();
  const { value } = await reader.read();
  equal(value?.trim(), "ready");
  return {
    async [Symbol.asyncDispose]() {
      child.kill("SIGKILL");
      await reader.cancel().catch(() => {});
      await child.status;
    },
  };
}
