/**
 * Start-up cost of the command against the goal of issue 9: `miniping -c 1 127.0.0.1` within 1.5× the wall time and
 * 1.3× the peak RSS of an empty `deno run`, measured in the same hyperfine run. `miniping` is what README.md's install
 * line installs (run here with `--root` in a temporary directory): Deno's launcher script, which runs dist/cli.js with
 * the line's flags and a config file of its own. The unbundled cli.ts, iputils `ping -c 1` and `miniping --version`
 * are shown beside it, and any number of candidate entry points (`--candidate NAME=PATH`) can join the same run, so
 * that every start-up idea is measured against the same baseline.
 *
 * Wall times: hyperfine (`-N`, warm-ups, then `--runs` runs), repeated `--rounds` times with the commands interleaved
 * in each round; the table gives the median over rounds of each round's median. Peak RSS: `/usr/bin/time -f %M`,
 * interleaved the same way, median. CPU (user + system) is shown too: on a loaded machine it moves less than the wall
 * time. Needs root (raw sockets on loopback), hyperfine and iputils ping. No `node:` imports, so the script's own
 * start-up does not touch the Node layer.
 *
 * `--checkout NAME=DIR` installs another checkout (e.g. `git archive main | tar -x -C DIR`) with its own README's
 * line, and measures its launcher in the same run: a before/after pair.
 *
 * Usage: `deno run -A bench/startup.ts [--runs 30] [--rounds 3] [--candidate NAME=PATH ...] [--checkout NAME=DIR ...]`
 *
 * @module
 */
import { median } from "../stats/summary.ts";

interface Settings {
  runs: number;
  rounds: number;
  candidates: [string, string][];
  checkouts: [string, string][];
}

function parseSettings(args: string[]): Settings {
  const settings: Settings = { runs: 30, rounds: 3, candidates: [], checkouts: [] };
  for (let i = 0; i < args.length; i++) {
    const [flag, value] = [args[i], args[i + 1]];
    if (value === undefined) throw new Error(`${flag} needs a value`);
    i++;
    if (flag === "--runs") settings.runs = Number(value);
    else if (flag === "--rounds") settings.rounds = Number(value);
    else if (flag === "--candidate" || flag === "--checkout") {
      const [name, path] = value.split("=");
      if (path === undefined) throw new Error(`${flag} wants NAME=PATH, got ${value}`);
      (flag === "--candidate" ? settings.candidates : settings.checkouts).push([name, path]);
    } else throw new Error(`unknown option ${flag}`);
  }
  if (!(settings.runs >= 3 && settings.rounds >= 1)) throw new Error("--runs must be ≥ 3 and --rounds ≥ 1");
  return settings;
}

const settings = parseSettings(Deno.args);
const decoder = new TextDecoder();
const root = new URL("../", import.meta.url).pathname;
const empty = await Deno.makeTempFile({ suffix: ".ts" });
const deno = Deno.execPath();
const ping = `${deno} run --allow-ffi`;

// `miniping` is what README's install line installs: a launcher that runs dist/cli.js (cli.ts bundled by
// `deno task bundle`) with the line's flags.
const installRoot = await Deno.makeTempDir({ prefix: "miniping-startup-" });
const installed = await install(root, installRoot);
const others: [string, string][] = [];
for (const [name, dir] of settings.checkouts) {
  const checkout = dir.endsWith("/") ? dir : `${dir}/`;
  others.push([
    `${name}: miniping -c 1 127.0.0.1`,
    `${await install(checkout, `${installRoot}/${others.length}`)} -c 1 127.0.0.1`,
  ]);
}
const commands: [string, string][] = [
  ["deno run (empty script)", `${deno} run ${empty}`],
  ["miniping -c 1 127.0.0.1", `${installed} -c 1 127.0.0.1`],
  ["miniping --version", `${installed} --version`],
  ["cli.ts (unbundled) -c 1 127.0.0.1", `${ping} ${root}cli.ts -c 1 127.0.0.1`],
  ["iputils ping -c 1 127.0.0.1", "ping -c 1 127.0.0.1"],
  ...settings.candidates.map(([name, path]): [string, string] => [
    `${name}: -c 1 127.0.0.1`,
    `${ping} ${path} -c 1 127.0.0.1`,
  ]),
  ...others,
];

/** Runs a checkout's README.md install line with `--root dir` from it; returns the command it installed. */
async function install(checkout: string, dir: string): Promise<string> {
  const readme = await Deno.readTextFile(`${checkout}README.md`);
  const line = /^deno install --global (.*) -n miniping dist\/cli\.js$/m.exec(readme);
  if (line === null) throw new Error("README.md has no `deno install --global … -n miniping dist/cli.js` line");
  const args = ["install", "--global", ...line[1].split(" "), "-f", "--root", dir, "-n", "miniping", "dist/cli.js"];
  const { code, stderr } = await new Deno.Command(deno, { args, cwd: checkout, stderr: "piped" }).output();
  if (code !== 0) throw new Error(`deno ${args.join(" ")} failed: ${decoder.decode(stderr)}`);
  return `${dir}/bin/miniping`;
}

async function output(command: string, args: string[]): Promise<string> {
  const { code, stdout, stderr } = await new Deno.Command(command, { args, stdout: "piped", stderr: "piped" }).output();
  if (code !== 0) throw new Error(`${command} ${args.join(" ")} failed: ${decoder.decode(stderr)}`);
  return decoder.decode(stdout) + decoder.decode(stderr);
}

interface HyperfineResult {
  times: number[];
  user: number;
  system: number;
}

const walls: number[][] = commands.map(() => []);
const cpus: number[][] = commands.map(() => []);
const rss: number[][] = commands.map(() => []);
const json = await Deno.makeTempFile({ suffix: ".json" });
for (let round = 0; round < settings.rounds; round++) {
  await output("hyperfine", [
    "-N",
    "--warmup",
    "3",
    "--runs",
    String(settings.runs),
    "--export-json",
    json,
    ...commands.map(([, command]) => command),
  ]);
  const report = JSON.parse(await Deno.readTextFile(json)) as { results: HyperfineResult[] };
  report.results.forEach((result, i) => {
    walls[i].push(median([...result.times].sort((a, b) => a - b)) * 1000);
    cpus[i].push((result.user + result.system) * 1000);
  });
  for (let run = 0; run < Math.min(settings.runs, 10); run++) {
    for (const [i, [, command]] of commands.entries()) {
      const [program, ...args] = command.split(" ");
      const text = await output("/usr/bin/time", ["-f", "RSS %M", program, ...args]);
      rss[i].push(Number(/RSS (\d+)/.exec(text)![1]) / 1024);
    }
  }
}
await Deno.remove(empty);
await Deno.remove(installRoot, { recursive: true });
await Deno.remove(json);

const middle = (values: number[]) => median([...values].sort((a, b) => a - b));
const rows = commands.map(([name], i) => ({ name, wall: middle(walls[i]), cpu: middle(cpus[i]), rss: middle(rss[i]) }));
const base = rows[0];
console.log(
  `${settings.rounds} round(s) × ${settings.runs} runs; goal for miniping: wall ≤ 1.5× and RSS ≤ 1.3× the empty script`,
);
console.log("| command | median wall | vs empty deno run | CPU (user+sys) | median peak RSS | vs empty deno run |");
console.log("|---|---|---|---|---|---|");
for (const row of rows) {
  console.log(
    `| \`${row.name}\` | ${row.wall.toFixed(1)} ms | ${(row.wall / base.wall).toFixed(2)}× | ${
      row.cpu.toFixed(1)
    } ms | ` +
      `${row.rss.toFixed(1)} MiB | ${(row.rss / base.rss).toFixed(2)}× |`,
  );
}
