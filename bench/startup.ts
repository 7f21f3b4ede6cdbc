/**
 * Start-up cost of the command: `miniping -c 1 127.0.0.1` beside iputils `ping -c 1 127.0.0.1`, with an empty Deno
 * script and `miniping --version` to show what dominates. Wall times from hyperfine (median of the runs), peak memory
 * from `/usr/bin/time -f %M` (median of the runs). Needs root (raw sockets on loopback), hyperfine and iputils ping.
 *
 * Usage: `deno run -A bench/startup.ts [--runs 30]`
 *
 * @module
 */
import { parseArgs } from "node:util";
import { median } from "../stats/summary.ts";

const { values } = parseArgs({ args: Deno.args, options: { runs: { type: "string", default: "30" } } });
const runs = Number(values.runs);
const root = new URL("../", import.meta.url).pathname;
const empty = await Deno.makeTempFile({ suffix: ".ts" });
const deno = Deno.execPath();

const commands: [string, string][] = [
  ["miniping -c 1 127.0.0.1", `${deno} run --allow-ffi ${root}cli.ts -c 1 127.0.0.1`],
  ["iputils ping -c 1 127.0.0.1", "ping -c 1 127.0.0.1"],
  ["deno run (empty script)", `${deno} run ${empty}`],
  ["miniping --version", `${deno} run --allow-ffi ${root}cli.ts --version`],
];

async function output(command: string, args: string[]): Promise<string> {
  const { code, stdout, stderr } = await new Deno.Command(command, { args, stdout: "piped", stderr: "piped" }).output();
  if (code !== 0) throw new Error(`${command} failed: ${new TextDecoder().decode(stderr)}`);
  return new TextDecoder().decode(stdout) + new TextDecoder().decode(stderr);
}

const json = await Deno.makeTempFile({ suffix: ".json" });
await output("hyperfine", [
  "-N",
  "--warmup",
  "3",
  "--runs",
  String(runs),
  "--export-json",
  json,
  ...commands.map(([, command]) => command),
]);
const report = JSON.parse(await Deno.readTextFile(json)) as { results: { times: number[] }[] };

const rows = [];
for (const [i, [name, command]] of commands.entries()) {
  const [program, ...args] = command.split(" ");
  const rss: number[] = [];
  for (let run = 0; run < Math.min(runs, 10); run++) {
    const text = await output("/usr/bin/time", ["-f", "RSS %M", program, ...args]);
    rss.push(Number(/RSS (\d+)/.exec(text)![1]));
  }
  const wall = median([...report.results[i].times].sort((a, b) => a - b)) * 1000;
  rows.push({ name, wall, rss: median(rss.sort((a, b) => a - b)) / 1024 });
}
const base = rows[1];
console.log("| command | median wall time | vs iputils | median peak RSS | vs iputils |");
console.log("|---|---|---|---|---|");
for (const row of rows) {
  console.log(
    `| \`${row.name}\` | ${row.wall.toFixed(1)} ms | ${(row.wall / base.wall).toFixed(1)}× | ` +
      `${row.rss.toFixed(1)} MB | ${(row.rss / base.rss).toFixed(1)}× |`,
  );
}
await Deno.remove(empty);
await Deno.remove(json);
