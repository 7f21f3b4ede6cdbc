/** `after()`, the one-shot timer the one-host run uses for its header grace instead of `setTimeout`. */
import { equal } from "node:assert/strict";
import { after } from "../cli/run_control.ts";

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

Deno.test("after() calls back once, after its delay and not before", async () => {
  const started = performance.now();
  const calls: number[] = [];
  after(30, () => calls.push(performance.now() - started));
  await sleep(5);
  equal(calls.length, 0, "not yet");
  await sleep(200);
  equal(calls.length, 1);
  equal(calls[0] >= 29, true, `called after ${calls[0]} ms`);
});

Deno.test("after() does nothing once cancelled, and cancelling twice is harmless", async () => {
  let called = false;
  const cancel = after(20, () => called = true);
  cancel();
  cancel();
  await sleep(100);
  equal(called, false);
});

Deno.test("after() keeps no process alive: a script that only waits on it exits at once", async () => {
  const script = `import { after } from ${JSON.stringify(new URL("../cli/run_control.ts", import.meta.url).href)};
after(60_000, () => console.log("fired"));`;
  const started = performance.now();
  const { code, stdout } = await new Deno.Command(Deno.execPath(), { args: ["eval", script], stdout: "piped" })
    .output();
  equal(code, 0);
  equal(new TextDecoder().decode(stdout), "");
  equal(performance.now() - started < 30_000, true);
});
