/**
 * `miniping serve` as a process on loopback: the one-line permission errors,
 * target file reloads (on change and on SIGHUP) that keep the counters of
 * targets that stay, and a clean exit on SIGTERM.
 */
import { deepEqual, equal, match, ok } from "node:assert/strict";
import { gate } from "./support/gate.ts";
import { CLI } from "./serve_lab.ts";

const needsRoot = gate(Deno.uid() === 0 ? null : "not root: raw ICMP sockets need CAP_NET_RAW");

async function runServe(flags: string[], args: string[]): Promise<{ code: number; stderr: string }> {
  const out = await new Deno.Command(Deno.execPath(), {
    args: ["run", "--quiet", ...flags, CLI, "serve", ...args],
    stdout: "null",
    stderr: "piped",
  }).output();
  return { code: out.code, stderr: new TextDecoder().decode(out.stderr) };
}

Deno.test("serve: a missing permission is one line naming the flag, exit 2", async () => {
  const cases: [string[], string[], RegExp][] = [
    [[], ["127.0.0.1"], /--allow-ffi/],
    [["--allow-ffi"], ["127.0.0.1"], /--allow-net to listen on 127\.0\.0\.1:9374/],
    [["--allow-ffi", "--allow-net"], ["-f", "/nonexistent/targets"], /--allow-read to read \/nonexistent\/targets/],
  ];
  for (const [flags, args, pattern] of cases) {
    const { code, stderr } = await runServe(flags, args);
    equal(code, 2);
    equal(stderr.trimEnd().split("\n").length, 1, stderr);
    match(stderr, pattern);
    match(stderr, /^miniping serve: /);
  }
});

Deno.test("serve: a bad flag is a usage error, exit 2", async () => {
  const { code, stderr } = await runServe(["--allow-ffi", "--allow-net"], ["--ttl", "300", "127.0.0.1"]);
  equal(code, 2);
  match(stderr, /--ttl must be an integer from 1 to 255/);
});

/** The counters of smokeping_requests_total by host. */
async function requests(base: string): Promise<Map<string, number>> {
  const text = await (await fetch(`${base}/metrics`)).text();
  const out = new Map<string, number>();
  for (const m of text.matchAll(/^smokeping_requests_total\{[^}]*host="([^"]+)"[^}]*\} (\S+)$/gm)) {
    out.set(m[1]!, Number(m[2]));
  }
  return out;
}

async function until<T>(read: () => Promise<T>, ready: (v: T) => boolean, what: string, ms = 10_000): Promise<T> {
  const deadline = performance.now() + ms;
  while (true) {
    const value = await read();
    if (ready(value)) return value;
    if (performance.now() > deadline) {
      throw new Error(`timed out waiting for ${what}: ${JSON.stringify([...value as Map<string, number>])}`);
    }
    await new Promise((r) => setTimeout(r, 100));
  }
}

Deno.test({
  name: "serve: reloads keep counters of targets that stay; SIGTERM exits 0",
  ignore: needsRoot,
  fn: async () => {
    const dir = await Deno.makeTempDir({ prefix: "miniping-serve-reload-" });
    const file = `${dir}/targets`;
    await Deno.writeTextFile(file, "127.0.0.1 127.0.0.2\n");
    const child = new Deno.Command(Deno.execPath(), {
      args: [
        "run",
        "--quiet",
        "--allow-ffi",
        "--allow-net",
        "--allow-read",
        CLI,
        "serve",
        "--listen",
        "127.0.0.1:0",
        "--period",
        "0.2",
        "-f",
        file,
      ],
      stdout: "null",
      stderr: "piped",
    }).spawn();
    const stderr = child.stderr.pipeThrough(new TextDecoderStream()).getReader();
    try {
      const first = (await stderr.read()).value ?? "";
      const port = /http:\/\/127\.0\.0\.1:(\d+)\//.exec(first)?.[1];
      ok(port !== undefined, `listening line: ${first}`);
      const base = `http://127.0.0.1:${port}`;
      const before = await until(() => requests(base), (m) => (m.get("127.0.0.1") ?? 0) >= 3, "probes of 127.0.0.1");
      ok(before.has("127.0.0.2"));

      // Changed on disk: seen by the watcher.
      await Deno.writeTextFile(file, "127.0.0.1\n127.0.0.3\n");
      const after = await until(() => requests(base), (m) => m.has("127.0.0.3") && !m.has("127.0.0.2"), "the change");
      ok(after.get("127.0.0.1")! >= before.get("127.0.0.1")!, "127.0.0.1 kept its counter");

      // Same size, same mtime, same inode: only SIGHUP can tell.
      const { mtime } = await Deno.stat(file);
      await Deno.writeTextFile(file, "127.0.0.1\n127.0.0.4\n");
      await Deno.utime(file, mtime!, mtime!);
      await new Promise((r) => setTimeout(r, 1500));
      ok(!(await requests(base)).has("127.0.0.4"), "not reloaded without a signal");
      child.kill("SIGHUP");
      const hup = await until(() => requests(base), (m) => m.has("127.0.0.4") && !m.has("127.0.0.3"), "SIGHUP");
      ok(hup.get("127.0.0.1")! >= after.get("127.0.0.1")!);
      const reloads = await (await fetch(`${base}/metrics`)).text();
      match(reloads, /^miniping_config_reloads_total\{result="success"\} 2$/m);

      child.kill("SIGTERM");
      const status = await child.status;
      deepEqual([status.code, status.signal], [0, null]);
    } finally {
      try {
        child.kill("SIGKILL");
      } catch {
        // Already exited.
      }
      await child.status;
      await stderr.cancel();
      await Deno.remove(dir, { recursive: true });
    }
  },
});
