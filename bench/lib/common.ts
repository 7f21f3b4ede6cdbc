/**
 * Shared pieces of the throughput benchmarks (`sweep.ts`, `flood.ts`, `schedule.ts`, `soak.ts`): flags, medians,
 * ratios and markdown tables. Benchmarks are scripts, not tests: they need root and the namespace lab.
 *
 * @module
 */
import { parseArgs } from "node:util";
import { median } from "../../stats/summary.ts";

/** Rounds when `--rounds` is not given: the issue asks for medians of at least three. */
export const DEFAULT_ROUNDS = 3;

/** Bytes in a mebibyte, for RSS figures. */
export const MIB = 1024 * 1024;

/** Which call a miniping sweep used (`bench/lib/miniping_child.ts`), as the reports name it. */
export const SWEEP_APIS = {
  pingMany: "pingMany(addrs, {count: 1, timeout})",
  ping: "Promise.all(addrs.map(a => ping(a, {count: 1, timeout})))",
} as const;

/**
 * The command line that ran a benchmark, for its report.
 *
 * @param script The script's path from the repository root.
 * @returns E.g. `deno run -A bench/sweep.ts --rounds 5`.
 */
export function commandLine(script: string): string {
  return ["deno run -A", script, ...Deno.args].join(" ");
}

/** Flags every benchmark takes, plus its own string flags. */
export interface BenchFlags {
  /** Rounds per tool; figures are medians over them. */
  rounds: number;
  /** Print one JSON document instead of the markdown report. */
  json: boolean;
  /** The benchmark's own flags, as given (or their defaults). */
  extra: Record<string, string>;
}

/**
 * Parses `--rounds N`, `--json` and the benchmark's own `--name value` flags.
 *
 * @param args The command-line arguments.
 * @param extra Each own flag's default value.
 * @param defaultRounds Rounds when `--rounds` is not given.
 * @returns The parsed flags.
 */
export function parseFlags(
  args: string[],
  extra: Record<string, string> = {},
  defaultRounds: number = DEFAULT_ROUNDS,
): BenchFlags {
  const options: Record<string, { type: "string" | "boolean"; default: string | boolean }> = {
    rounds: { type: "string", default: String(defaultRounds) },
    json: { type: "boolean", default: false },
  };
  for (const [name, value] of Object.entries(extra)) options[name] = { type: "string", default: value };
  const { values } = parseArgs({ args, strict: true, options });
  const own: Record<string, string> = {};
  for (const name of Object.keys(extra)) own[name] = String(values[name]);
  return { rounds: positiveInteger("rounds", String(values.rounds)), json: values.json === true, extra: own };
}

/**
 * Reads a flag that must be a whole number ≥ 1.
 *
 * @param name The flag, for the error message.
 * @param text Its value.
 * @returns The number.
 */
export function positiveInteger(name: string, text: string): number {
  const value = Number(text);
  if (!Number.isInteger(value) || value < 1) {
    throw new RangeError(`Cannot run the benchmark: ${name} must be an integer ≥ 1, got ${text}`);
  }
  return value;
}

/**
 * Median of numbers in any order; NaN when there are none.
 *
 * @param values The numbers.
 * @returns Their median.
 */
export function medianOf(values: readonly number[]): number {
  const finite = values.filter(Number.isFinite);
  return finite.length === 0 ? NaN : median([...finite].sort((a, b) => a - b));
}

/**
 * Formats a ratio as `0.64×`, or `—` when either side is missing.
 *
 * @param value The numerator.
 * @param base The denominator.
 * @returns The ratio as text.
 */
export function ratio(value: number, base: number): string {
  return Number.isFinite(value) && Number.isFinite(base) && base > 0 ? `${(value / base).toFixed(2)}×` : "—";
}

/**
 * Formats a number with fixed decimals, or `—` when it is missing.
 *
 * @param value The number.
 * @param digits Decimals.
 * @returns The text.
 */
export function fixed(value: number, digits: number): string {
  return Number.isFinite(value) ? value.toFixed(digits) : "—";
}

/**
 * A markdown table; numeric-looking columns are right-aligned by the header row's `:`.
 *
 * @param header Column titles.
 * @param rows Cells, as text.
 * @param right Indexes of right-aligned columns.
 * @returns The table.
 */
export function table(header: string[], rows: string[][], right: number[] = []): string {
  const rule = header.map((_, i) => (right.includes(i) ? "---:" : "---"));
  return [header, rule, ...rows].map((cells) => `| ${cells.join(" | ")} |`).join("\n");
}

/** One line describing the machine and tool versions, for the report's header. */
export async function machine(): Promise<string> {
  let cpu = "unknown CPU";
  try {
    cpu = /^model name\s*:\s*(.+)$/m.exec(await Deno.readTextFile("/proc/cpuinfo"))?.[1] ?? cpu;
  } catch {
    // Not Linux, or /proc hidden: the model is only informative.
  }
  const load = await Deno.readTextFile("/proc/loadavg").then((t) => t.split(" ").slice(0, 3).join(" "), () => "?");
  return `${navigator.hardwareConcurrency} × ${cpu}, Linux ${Deno.osRelease()}, Deno ${Deno.version.deno}, ` +
    `load average at start ${load}`;
}

/**
 * The first line a program prints for a version flag, or `unknown`.
 *
 * @param argv The program and its version flag.
 * @returns The version line.
 */
export async function versionOf(argv: string[]): Promise<string> {
  try {
    const out = await new Deno.Command(argv[0], { args: argv.slice(1), stdout: "piped", stderr: "piped" }).output();
    const text = new TextDecoder().decode(out.stdout) + new TextDecoder().decode(out.stderr);
    return text.split("\n")[0].trim();
  } catch {
    return "unknown";
  }
}

/** The git commit the benchmark ran on, with `+dirty` when the worktree has changes. */
export async function commit(): Promise<string> {
  const git = (args: string[]) =>
    new Deno.Command("git", { args, stdout: "piped", stderr: "null" }).output().then(
      (o) => new TextDecoder().decode(o.stdout).trim(),
      () => "",
    );
  const [head, status] = await Promise.all([git(["rev-parse", "--short", "HEAD"]), git(["status", "--porcelain"])]);
  return head === "" ? "unknown" : `${head}${status === "" ? "" : "+dirty"}`;
}

/**
 * Sleeps.
 *
 * @param ms How long.
 * @returns A promise settled after `ms`.
 */
export function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
