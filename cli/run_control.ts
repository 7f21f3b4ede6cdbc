/**
 * What stops a run and what interrupts it: Ctrl-C (a second one ends the process at once), the `-w` deadline, a
 * closed stdout, and Ctrl-\ (SIGQUIT), which prints a status line and lets the run go on, as iputils does.
 *
 * @module
 */

/** The status of a process ended by a second Ctrl-C (128 + SIGINT). */
export const EXIT_FORCED = 130;

/** Options of {@linkcode RunControl}. */
export interface RunControlOptions {
  /** `-w` in ms; `null` for none. */
  deadline: number | null;
  /** Called on SIGQUIT. */
  onStatus?: () => void;
}

/** Owns the run's AbortController and its signal listeners; dispose it when the run has settled. */
export class RunControl implements Disposable {
  readonly #controller = new AbortController();
  readonly #timer: ReturnType<typeof setTimeout> | undefined;
  readonly #onStatus: (() => void) | undefined;
  #settled = false;
  #onInterrupt = () => {
    // A second Ctrl-C while the first is still being handled means "now".
    if (this.#controller.signal.aborted && !this.#settled) Deno.exit(EXIT_FORCED);
    this.stop();
  };
  #onQuit = () => this.#onStatus?.();

  /** Starts listening; the deadline counts from now. */
  constructor(options: RunControlOptions) {
    this.#onStatus = options.onStatus;
    Deno.addSignalListener("SIGINT", this.#onInterrupt);
    if (this.#onStatus !== undefined) Deno.addSignalListener("SIGQUIT", this.#onQuit);
    if (options.deadline !== null) this.#timer = setTimeout(() => this.stop(), options.deadline);
  }

  /** The signal to hand to the library. */
  get signal(): AbortSignal {
    return this.#controller.signal;
  }

  /** Stops the run (idempotent). */
  stop(): void {
    this.#controller.abort();
  }

  /** Removes the listeners and the deadline. */
  [Symbol.dispose](): void {
    if (this.#settled) return;
    this.#settled = true;
    Deno.removeSignalListener("SIGINT", this.#onInterrupt);
    if (this.#onStatus !== undefined) Deno.removeSignalListener("SIGQUIT", this.#onQuit);
    // Only a timer that exists: even clearTimeout(undefined) sets up Deno's timer layer (ms at start-up).
    if (this.#timer !== undefined) clearTimeout(this.#timer);
  }
}

/**
 * Calls `callback` once after `ms` unless cancelled first; returns the cancel function. The first `setTimeout` of a
 * process costs about 4 ms in Deno 2.9 (bench/startup.ts: it sets up the timer layer), more than a whole
 * `miniping -c 1 127.0.0.1` spends on its probe; `Atomics.waitAsync` with a timeout is a V8 timer that needs none of
 * that. Like an unref'd timer it does not keep the process alive by itself: the run it guards does.
 *
 * @param ms Delay in ms.
 * @param callback Called once when the delay has passed.
 * @returns Cancels the call (idempotent).
 */
export function after(ms: number, callback: () => void): () => void {
  const cell = new Int32Array(new SharedArrayBuffer(Int32Array.BYTES_PER_ELEMENT));
  const wait = Atomics.waitAsync(cell, 0, 0, ms);
  let cancelled = false;
  if (wait.async) {
    wait.value.then((outcome) => {
      if (outcome === "timed-out" && !cancelled) callback();
    });
  }
  return () => {
    cancelled = true;
    Atomics.notify(cell, 0);
  };
}
