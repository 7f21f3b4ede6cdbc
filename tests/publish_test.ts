import { deepEqual } from "node:assert/strict";
import config from "../deno.json" with { type: "json" };

const ROOT = new URL("../", import.meta.url);

/** The checkout's own modules that `deno info` finds reachable from `entry`. */
async function localModules(entry: string): Promise<string[]> {
  const { code, stdout, stderr } = await new Deno.Command(Deno.execPath(), {
    args: ["info", "--json", entry],
    cwd: ROOT.pathname,
  }).output();
  if (code !== 0) throw new Error(new TextDecoder().decode(stderr));
  const graph = JSON.parse(new TextDecoder().decode(stdout)) as { modules: { specifier: string }[] };
  return graph.modules.map((module) => module.specifier).filter((specifier) => specifier.startsWith(ROOT.href))
    .map((specifier) => specifier.slice(ROOT.href.length));
}

Deno.test("every module the library and the command load is published", async () => {
  const included = (path: string) =>
    config.publish.include.some((entry) => entry.endsWith("/") ? path.startsWith(entry) : path === entry);
  const modules = [...new Set([...await localModules("mod.ts"), ...await localModules("cli.ts")])];
  // The lazily imported modes and subcommands are in the graph too: deno info follows dynamic imports.
  deepEqual(modules.filter((path) => !included(path)), []);
});
