/**
 * `miniping`'s dispatch: a subcommand (`serve`) by its first argument, else the options decide between one host
 * (iputils' mode, {@linkcode runPing}) and several (fping's mode, {@linkcode runSweep}). Each mode lives in its own
 * module, so a new one extends this table instead of growing a function.
 *
 * @module
 */
import config from "../deno.json" with { type: "json" };
import { type Command, HELP_HINT, parseCommand, PROGRAM, USAGE, UsageError } from "./args.ts";
import { EXIT, oneLine } from "./outcome.ts";
import { Output, writeAll } from "./output.ts";
// One host is the common case and the start-up figure that counts: loaded with the command (a dynamic import cost
// about 5 ms there in bench/startup.ts). Several hosts load their module when asked for.
import { runPing } from "./ping_command.ts";

/** The subcommands, each loaded only when asked for. */
const SUBCOMMANDS: Readonly<Record<string, () => Promise<(args: string[]) => Promise<number>>>> = {
  serve: async () => (await import("./serve_command.ts")).serve,
};

/**
 * Runs `miniping` with `args` (the arguments after the program name) and returns the exit status: 0 if a reply
 * arrived, 1 if none did, 2 for any other error. Prints to stdout and stderr; does not exit, except that a second
 * Ctrl-C during a run ends the process at once (status 130).
 *
 * @param args The arguments after the program name.
 * @returns The exit status.
 *
 * @example Print the version
 * ```ts
 * import { main } from "./main.ts";
 * import { equal } from "node:assert/strict";
 *
 * equal(await main(["--version"]), 0);
 * ```
 */
export async function main(args: readonly string[]): Promise<number> {
  const subcommand = args.length > 0 ? SUBCOMMANDS[args[0]] : undefined;
  if (subcommand !== undefined) return await (await subcommand())(args.slice(1));
  let command: Command;
  try {
    command = parseCommand(args);
  } catch (error) {
    if (!(error instanceof UsageError)) throw error;
    printError(`${error.message} ${HELP_HINT}`);
    return EXIT.error;
  }
  switch (command.kind) {
    case "help":
      return print(USAGE);
    case "version":
      return print(`${PROGRAM} ${config.version}\n`);
  }
  const out = new Output(command.color);
  try {
    if (command.kind === "ping") return await runPing(command, out);
    return await (await import("./sweep_command.ts")).runSweep(command, out);
  } catch (error) {
    // Nothing may escape as a stack trace.
    out.error(oneLine(error instanceof Error ? error.message : String(error)));
    return EXIT.error;
  }
}

function print(text: string): number {
  writeAll(Deno.stdout, new TextEncoder().encode(text));
  return EXIT.reply;
}

function printError(message: string): void {
  writeAll(Deno.stderr, new TextEncoder().encode(`${PROGRAM}: ${message}\n`));
}
