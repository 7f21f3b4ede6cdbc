/** A stand-in for the CLI's stdout/stderr that keeps everything, and can play a reader that went away. */
import type { Line } from "../cli/format.ts";
import type { Sink } from "../cli/output.ts";

/** Records what a run printed. */
export class Recorder implements Sink {
  readonly lines: Line[] = [];
  readonly records: string[] = [];
  readonly errors: string[] = [];
  readonly notices: string[] = [];
  readonly progressTexts: string[] = [];
  raws = "";
  /** False plays a closed stdout. */
  accept = true;
  line(line: Line): boolean {
    if (this.accept) this.lines.push(line);
    return this.accept;
  }
  record(text: string): boolean {
    if (this.accept) this.records.push(text);
    return this.accept;
  }
  raw(text: string): boolean {
    if (this.accept) this.raws += text;
    return this.accept;
  }
  error(message: string): void {
    this.errors.push(message);
  }
  notice(text: string): void {
    this.notices.push(text);
  }
  progress(text: string): void {
    this.progressTexts.push(text);
  }
  /** The human lines' texts. */
  get texts(): string[] {
    return this.lines.map((line) => line.text);
  }
}
