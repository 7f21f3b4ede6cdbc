/**
 * A copy of the package that another user (uid 65534 in the lab tests) can read and run, wherever the checkout
 * lives and whatever its parents' modes.
 *
 * @module
 */
import config from "../../deno.json" with { type: "json" };

const ROOT = new URL("../../", import.meta.url).pathname;

/** The copy's folder (with a trailing slash) and a writable DENO_DIR inside it; dispose to delete it. */
export interface WorldReadableCopy extends AsyncDisposable {
  /** Where the package was copied, ending in `/`. */
  dir: string;
  /** Environment for the child: a DENO_DIR that user can write. */
  env: Record<string, string>;
}

async function run(command: string, args: string[]): Promise<void> {
  const { code, stderr } = await new Deno.Command(command, { args, cwd: ROOT, stderr: "piped" }).output();
  if (code !== 0) throw new Error(`${command} ${args.join(" ")}: ${new TextDecoder().decode(stderr)}`);
}

/** Copies what the package publishes, plus `extra` paths relative to the checkout (e.g. a test fixture). */
export async function worldReadableCopy(extra: string[] = []): Promise<WorldReadableCopy> {
  const dir = await Deno.makeTempDir({ prefix: "miniping-copy-" });
  const paths = [...config.publish.include, ...extra].map((path) => path.replace(/\/$/, ""));
  // --parents keeps tests/fixtures/… at the same place relative to the package.
  await run("cp", ["-r", "--parents", ...paths, dir]);
  await Deno.mkdir(`${dir}/.deno`);
  await run("chmod", ["-R", "a+rwX", dir]);
  return {
    dir: `${dir}/`,
    env: { DENO_DIR: `${dir}/.deno` },
    async [Symbol.asyncDispose]() {
      await Deno.remove(dir, { recursive: true });
    },
  };
}
