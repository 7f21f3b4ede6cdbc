/**
 * Where `miniping` writes: every stdout line through blocking writes, so that a pipe reader sees each line the moment
 * it is produced, a slow reader loses none, and a reader that went away (`miniping … | head -2`) is noticed at once
 * (`console.log` swallows EPIPE and would let the run go on unseen). Colour is ANSI, on a terminal only and not under
 * NO_COLOR.
 *
 * @module
 */
import type { Line, Tone } from "./format.ts";
import { PROGRAM } from "./args.ts";

const encoder = new TextEncoder();

/** ANSI colour of each tone. */
const TONE_ANSI: Readonly<Record<Tone, string>> = { good: "\x1b[32m", warn: "\x1b[33m", bad: "\x1b[31m" };
const RESET = "\x1b[0m";

/** Where a run's output goes; {@linkcode Output} is the real one. */
export interface Sink {
  /** Prints a human line; false once the reader has gone. */
  line(line: Line): boolean;
  /** Prints a machine line; false once the reader has gone. */
  record(text: string): boolean;
  /** Prints a `miniping: …` line on stderr. */
  error(message: string): void;
  /** Writes raw text to stdout with no newline (flood dots); false once the reader has gone. */
  raw(text: string): boolean;
  /** Prints a plain line on stderr (the Ctrl-\ status line). */
  notice(text: string): void;
  /** Shows (or, with `""`, clears) the progress line on stderr. */
  progress(text: string): void;
}

/** Writes all of `bytes` to `file`; false on EPIPE. */
export function writeAll(file: { writeSync(p: Uint8Array): number }, bytes: Uint8Array): boolean {
  try {
    for (let done = 0; done < bytes.length;) done += file.writeSync(bytes.subarray(done));
    return true;
  } catch (error) {
    if (error instanceof Deno.errors.BrokenPipe) return false;
    throw error;
  }
}

/** stdout and stderr for one run. */
export class Output implements Sink {
  readonly #color: boolean;
  #closed = false;
  #progressShown = false;

  /** @param color False turns colour off even on a terminal (`--no-color`). */
  constructor(color: boolean) {
    this.#color = color && !Deno.noColor && Deno.stdout.isTerminal();
  }

  /** True once the reader of stdout went away (EPIPE). */
  get closed(): boolean {
    return this.#closed;
  }

  /** Prints a human line, coloured when allowed. */
  line(line: Line): boolean {
    const text = this.#color && line.tone !== undefined ? `${TONE_ANSI[line.tone]}${line.text}${RESET}` : line.text;
    return this.raw(`${text}\n`);
  }

  /** Writes `text` and a newline to stdout. Returns false (and stays closed) once the reader has gone. */
  record(text: string): boolean {
    return this.raw(`${text}\n`);
  }

  /** Writes `text` to stdout as it is. */
  raw(text: string): boolean {
    if (this.#closed) return false;
    this.#clearProgress();
    if (!writeAll(Deno.stdout, encoder.encode(text))) this.#closed = true;
    return !this.#closed;
  }

  /** One `miniping: …` line on stderr. */
  error(message: string): void {
    this.#clearProgress();
    writeAll(Deno.stderr, encoder.encode(`${PROGRAM}: ${message}\n`));
  }

  /** A plain line on stderr. */
  notice(text: string): void {
    this.#clearProgress();
    writeAll(Deno.stderr, encoder.encode(`${text}\n`));
  }

  /** Rewrites the progress line in place on stderr; `""` clears it. */
  progress(text: string): void {
    if (text === "") return this.#clearProgress();
    writeAll(Deno.stderr, encoder.encode(`\r\x1b[K${text}`));
    this.#progressShown = true;
  }

  #clearProgress(): void {
    if (!this.#progressShown) return;
    this.#progressShown = false;
    writeAll(Deno.stderr, encoder.encode("\r\x1b[K"));
  }
}
