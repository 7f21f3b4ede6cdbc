/**
 * Runs one command in a lab node and measures it the same way for every tool: wall time from bash's
 * `$EPOCHREALTIME` (µs) around `/usr/bin/time`, and user + system CPU and peak RSS from `/usr/bin/time`'s rusage of
 * the command (all its threads; 10 ms resolution for CPU). Output goes to files, not pipes, so a chatty tool is not
 * slowed by its reader.
 *
 * @module
 */
import type { Lab, LabNode } from "../../tests/lab/lab.ts";

/** What one measured run cost, and what it printed. */
export interface Measured {
  /** Exit code of the command. */
  code: number;
  /** Wall time from just before the command was started until it ended, in ms. */
  wallMs: number;
  /** User + system CPU time of the command, in ms. */
  cpuMs: number;
  /** Peak resident set size, in KiB. */
  maxRssKiB: number;
  /** Everything the command wrote to standard output. */
  stdout: string;
  /** Everything the command wrote to standard error. */
  stderr: string;
}

const WRAPPER = `
s=$EPOCHREALTIME
/usr/bin/time -f '%U %S %M' -o "$MB_TIME" "$@" >"$MB_OUT" 2>"$MB_ERR"
rc=$?
e=$EPOCHREALTIME
echo "$s $e $rc"
`;

/** Seconds from `/usr/bin/time -f '%U %S %M'`: user, system, peak RSS in KiB, on the file's last line. */
const TIME_LINE = /([\d.]+) ([\d.]+) (\d+)\s*$/;

/**
 * Runs `argv` in `node` and measures it.
 *
 * @param lab The lab.
 * @param node Where to run.
 * @param argv The program and its arguments.
 * @param timeoutMs Kill the command after this long.
 * @returns Its costs and output.
 */
export async function measure(lab: Lab, node: LabNode, argv: string[], timeoutMs: number): Promise<Measured> {
  const dir = await Deno.makeTempDir({ prefix: "miniping-bench-" });
  const files = { MB_TIME: `${dir}/time`, MB_OUT: `${dir}/out`, MB_ERR: `${dir}/err` };
  try {
    const out = await lab.exec(node, ["bash", "-c", WRAPPER, "bench", ...argv], { timeoutMs, env: files });
    const marks = /^([\d.]+) ([\d.]+) (\d+)$/m.exec(out.stdout);
    if (marks === null) {
      throw new Error(`Cannot measure ${argv[0]}: the wrapper said ${JSON.stringify(out.stdout + out.stderr)}`);
    }
    const time = TIME_LINE.exec(await Deno.readTextFile(files.MB_TIME));
    if (time === null) throw new Error(`Cannot measure ${argv[0]}: /usr/bin/time wrote nothing readable`);
    return {
      code: Number(marks[3]),
      wallMs: (Number(marks[2]) - Number(marks[1])) * 1000,
      cpuMs: (Number(time[1]) + Number(time[2])) * 1000,
      maxRssKiB: Number(time[3]),
      stdout: await Deno.readTextFile(files.MB_OUT),
      stderr: await Deno.readTextFile(files.MB_ERR),
    };
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
}
