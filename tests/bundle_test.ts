/**
 * dist/ is the bundled command that the install line points at (fewer, smaller modules: about 8 ms less start-up,
 * bench/startup.ts). It must be exactly what `deno task bundle` makes from the sources now.
 */
import { deepEqual, equal, ok } from "node:assert/strict";
import config from "../deno.json" with { type: "json" };

const root = new URL("../", import.meta.url);
const dist = new URL("dist/", root);

async function files(dir: URL): Promise<Map<string, string>> {
  const found = new Map<string, string>();
  for await (const entry of Deno.readDir(dir)) {
    if (entry.isFile) found.set(entry.name, await Deno.readTextFile(new URL(entry.name, dir)));
  }
  return found;
}

Deno.test("dist/ is what `deno task bundle` makes from the sources (run it after changing them)", async () => {
  const task = config.tasks.bundle;
  const bundle = /deno (bundle .*) --outdir dist (\S+)$/.exec(task);
  ok(bundle !== null, `the bundle task has an unexpected form: ${task}`);
  const outdir = await Deno.makeTempDir();
  try {
    const args = [...bundle[1].split(" "), "--outdir", outdir, bundle[2]];
    const { code, stderr } = await new Deno.Command(Deno.execPath(), { args, cwd: root, stderr: "piped" }).output();
    equal(code, 0, new TextDecoder().decode(stderr));
    const [fresh, committed] = [await files(new URL(`file://${outdir}/`)), await files(dist)];
    deepEqual([...committed.keys()].sort(), [...fresh.keys()].sort(), "dist/ is stale: run `deno task bundle`");
    for (const [name, text] of fresh) {
      equal(committed.get(name), text, `dist/${name} is stale: run \`deno task bundle\``);
    }
  } finally {
    await Deno.remove(outdir, { recursive: true });
  }
});

Deno.test("dist/cli.js runs: --version, and a subcommand from its own chunk", async () => {
  const run = async (...args: string[]) => {
    const command = new Deno.Command(Deno.execPath(), {
      args: ["run", "--allow-ffi", new URL("cli.js", dist).pathname, ...args],
      stdout: "piped",
      stderr: "piped",
    });
    const { code, stdout } = await command.output();
    return { code, stdout: new TextDecoder().decode(stdout) };
  };
  deepEqual(await run("--version"), { code: 0, stdout: `miniping ${config.version}\n` });
  const serve = await run("serve", "--help");
  equal(serve.code, 0);
  ok(serve.stdout.startsWith("Usage: miniping serve"), serve.stdout);
});

Deno.test("dist/cli.js lets Deno write its code cache: a second run compiles nothing afresh", async () => {
  const denoDir = await Deno.makeTempDir();
  try {
    const run = async () => {
      const command = new Deno.Command(Deno.execPath(), {
        args: ["run", "--allow-ffi", "--v8-flags=--no-lazy", new URL("cli.js", dist).pathname, "--version"],
        env: { DENO_DIR: denoDir, DENO_LOG: "debug" },
        stdout: "piped",
        stderr: "piped",
      });
      const { code, stderr } = await command.output();
      equal(code, 0);
      return new TextDecoder().decode(stderr);
    };
    const cli = new URL("cli.js", dist).href;
    ok((await run()).includes(`Updating V8 code cache for ES module: ${cli}`), "the first run wrote no code cache");
    ok((await run()).includes(`V8 code cache hit for ES module: ${cli}`), "the second run found no code cache");
  } finally {
    await Deno.remove(denoDir, { recursive: true });
  }
});
