/**
 * A getopt-style tokenizer for `miniping`: short options bundle (`-qj`), take their value attached or as the next
 * argument (`-c5`, `-c 5`, `-c -1`), long ones as `--count 5` or `--count=5`, and `--` ends the options. It replaces
 * `node:util`'s `parseArgs`, whose import alone initialises Deno's Node layer (about 7 ms of start-up), and which
 * refuses `-c -1` with advice that does not work.
 *
 * @module
 */

/** A bad command line: reported as one line and exit status 2. */
export class UsageError extends Error {
  /** Builds the error; the message should name the option and the value. */
  constructor(message: string) {
    super(message);
    this.name = "UsageError";
  }
}

/** One option the tokenizer knows. */
export interface OptionSpec {
  /** The long name without dashes; also the key in {@linkcode ParsedArgv.values}. */
  long: string;
  /** The one-character short name, if any. */
  short?: string;
  /** Whether the option takes a value. */
  value: boolean;
}

/** What {@linkcode tokenize} returns. */
export interface ParsedArgv {
  /** Long name → the last value given (`true` for a flag). */
  values: Map<string, string | true>;
  /** The arguments that are not options, in order. */
  positionals: string[];
}

/** The name of an option as messages show it: `-c, --count`, or `--ttl` without a short form. */
export function optionName(spec: OptionSpec): string {
  return spec.short === undefined ? `--${spec.long}` : `-${spec.short}, --${spec.long}`;
}

/**
 * Splits `argv` into options and positionals. As getopt does, an option that takes a value takes the next argument
 * whatever it looks like, so `-c -1` reaches the range check instead of failing as an unknown option.
 *
 * @param argv The arguments after the program name.
 * @param specs Every option.
 * @returns The values by long name and the positionals.
 * @throws {UsageError} An unknown option, a missing value, or a value given to a flag.
 */
export function tokenize(argv: readonly string[], specs: readonly OptionSpec[]): ParsedArgv {
  const byLong = new Map(specs.map((spec) => [spec.long, spec]));
  const byShort = new Map(specs.filter((spec) => spec.short !== undefined).map((spec) => [spec.short!, spec]));
  const values = new Map<string, string | true>();
  const positionals: string[] = [];
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i];
    if (arg === "--") {
      positionals.push(...argv.slice(i + 1));
      break;
    }
    if (arg.startsWith("--")) {
      i = takeLong(argv, i, byLong, values);
    } else if (arg.length > 1 && arg.startsWith("-")) {
      i = takeShorts(argv, i, byShort, values);
    } else {
      positionals.push(arg);
    }
  }
  return { values, positionals };
}

function takeLong(
  argv: readonly string[],
  i: number,
  byLong: Map<string, OptionSpec>,
  values: Map<string, string | true>,
): number {
  const arg = argv[i];
  const equals = arg.indexOf("=");
  const name = arg.slice(2, equals < 0 ? undefined : equals);
  const spec = byLong.get(name);
  if (spec === undefined) throw new UsageError(`unknown option '--${name}'`);
  if (!spec.value) {
    if (equals >= 0) throw new UsageError(`option '${optionName(spec)}' does not take a value`);
    values.set(spec.long, true);
    return i;
  }
  if (equals >= 0) {
    values.set(spec.long, arg.slice(equals + 1));
    return i;
  }
  return takeNext(argv, i, spec, values);
}

function takeShorts(
  argv: readonly string[],
  i: number,
  byShort: Map<string, OptionSpec>,
  values: Map<string, string | true>,
): number {
  const arg = argv[i];
  for (let at = 1; at < arg.length; at++) {
    const spec = byShort.get(arg[at]);
    if (spec === undefined) throw new UsageError(`unknown option '-${arg[at]}'`);
    if (!spec.value) {
      values.set(spec.long, true);
      continue;
    }
    // The rest of the bundle is the value (`-c5`), else the next argument is.
    if (at + 1 < arg.length) {
      values.set(spec.long, arg.slice(at + 1));
      return i;
    }
    return takeNext(argv, i, spec, values);
  }
  return i;
}

function takeNext(
  argv: readonly string[],
  i: number,
  spec: OptionSpec,
  values: Map<string, string | true>,
): number {
  if (i + 1 >= argv.length) throw new UsageError(`option '${optionName(spec)}' needs a value`);
  values.set(spec.long, argv[i + 1]);
  return i + 1;
}
