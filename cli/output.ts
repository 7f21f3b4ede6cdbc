/**
 * Where `miniping` writes: human lines through `console.log` (whose `%c`
 * styling Deno renders only on a terminal without NO_COLOR), machine lines
 * through synchronous writes, so that a pipe reader sees every line the
 * moment it is produced and a slow reader loses none.
 *
 * @module
 */
import { type Line, TONE_CSS } from "./format.ts";
import { PROGRAM } from "./args.ts";

const encoder = new TextEncoder();

/** Where a run's output goes; {@linkcode Output} is the real one. */
export interface Sink {
  /** Prints a human line. */
  line(line: Line): void;
  /** Prints a machine line; false once the reader has gone. */
  record(text: string): boolean;
  /** Prints a `miniping: …` line on stderr. */
  error(message: string): void;
}

/** stdout and stderr for one run. */
export class Output implements Sink {
  readonly #color: boolean;
  #closed = false;

  /** @param color False turns styling off even on a terminal (`--no-color`). */
  constructor(color: boolean) {
    this.#color = color;
  }

  /** True once the reader of stdout went away (EPIPE). */
  get closed(): boolean {
    return this.#closed;
  }

  /** Prints a human line, coloured when allowed. */
  line(line: Line): void {
    // "%s" keeps a "%" in the text (an IPv6 scope, a library message) literal.
    if (this.#color && line.tone !== undefined) {
      console.log("%c%s", TONE_CSS[line.tone], line.text);
    } else {
      console.log("%s", line.text);
    }
  }

  /**
   * Writes `text` and a newline to stdout with blocking writes. Returns false
   * (and stays closed) once the reader has gone.
   */
  record(text: string): boolean {
    if (this.#closed) return false;
    const bytes = encoder.encode(`${text}\n`);
    try {
      for (let done = 0; done < bytes.length;) {
        done += Deno.stdout.writeSync(bytes.subarray(done));
      }
      return true;
    } catch (error) {
      if (error instanceof Deno.errors.BrokenPipe) {
        this.#closed = true;
        return false;
      }
      throw error;
    }
  }

  /** One `miniping: …` line on stderr. */
  error(message: string): void {
    console.error("%s", `${PROGRAM}: ${message}`);
  }
}
