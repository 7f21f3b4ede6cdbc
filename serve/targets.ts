/**
 * The targets file of `miniping serve`: hosts separated by whitespace or
 * newlines, `#` starts a comment. Watched by polling its identity (size,
 * mtime, inode) so an editor that replaces the file is seen too.
 *
 * @module
 */

/**
 * The hosts listed in a targets file's text, in order, without duplicates.
 *
 * @param text The file's content.
 * @returns The hosts.
 */
export function parseTargets(text: string): string[] {
  const hosts = new Set<string>();
  for (const line of text.split("\n")) {
    const content = line.replace(/#.*/, "");
    for (const word of content.split(/\s+/)) if (word !== "") hosts.add(word);
  }
  return [...hosts];
}

/** Options of {@linkcode watchTargets}. */
export interface WatchTargetsOptions {
  /** How often to look at the file, in ms. */
  interval: number;
  /** Stops the watch. */
  signal: AbortSignal;
}

function identity(info: Deno.FileInfo): string {
  return `${info.size}:${info.mtime?.getTime() ?? 0}:${info.ino ?? 0}`;
}

/**
 * Calls `onChange` whenever the file at `path` looks different from the
 * last look (the first look counts as the baseline, not a change).
 *
 * @param path The targets file.
 * @param onChange Called after a change is seen.
 * @param options Poll interval and stop signal.
 */
export function watchTargets(path: string, onChange: () => void, options: WatchTargetsOptions): void {
  let last: string | null = null;
  const look = async () => {
    let now: string;
    try {
      now = identity(await Deno.stat(path));
    } catch {
      // Mid-replace by an editor, or gone: look again later; the reload will report a real problem.
      now = "missing";
    }
    if (last !== null && now !== last && now !== "missing") onChange();
    last = now;
  };
  void look();
  const timer = setInterval(look, options.interval);
  options.signal.addEventListener("abort", () => clearInterval(timer), { once: true });
}
