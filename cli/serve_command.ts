/**
 * `miniping serve`: probes targets every period from one engine and serves
 * Prometheus metrics and a live page until SIGTERM or SIGINT.
 *
 * @module
 */
import { ServeMetrics } from "../serve/metrics.ts";
import { type ProbeEngine, Prober } from "../serve/prober.ts";
import { createHandler } from "../serve/server.ts";
import { parseTargets, watchTargets } from "../serve/targets.ts";
import { openPingerEngine } from "../serve/pinger_engine.ts";
import { HELP_HINT, PROGRAM, UsageError } from "./args.ts";
import { parseServeArgs, SERVE_USAGE, type ServeCommand } from "./serve_args.ts";

const NAME = `${PROGRAM} serve`;
/** Exit status for usage and permission errors. */
const EXIT_ERROR = 2;
/** How often the targets file is looked at for changes. */
const WATCH_INTERVAL_MS = 1000;

function fail(message: string): number {
  console.error("%s", `${NAME}: ${message}`);
  return EXIT_ERROR;
}

/**
 * The permission that is missing, as the one line to print, or null when
 * everything the command needs is granted.
 *
 * @param command The parsed command.
 * @returns The message naming the flag to add, or null.
 */
export function missingPermission(command: ServeCommand): string | null {
  const granted = (descriptor: Deno.PermissionDescriptor) => Deno.permissions.querySync(descriptor).state === "granted";
  if (!granted({ name: "ffi" })) {
    return "needs --allow-ffi to send ICMP (add --allow-ffi to the deno command)";
  }
  const host = command.hostname.includes(":") ? `[${command.hostname}]` : command.hostname;
  const listen = `${host}:${command.port}`;
  if (!granted({ name: "net", host: listen })) {
    return `needs --allow-net to listen on ${listen} (add --allow-net to the deno command)`;
  }
  if (command.file !== null && !granted({ name: "read", path: command.file })) {
    return `needs --allow-read to read ${command.file} (add --allow-read to the deno command)`;
  }
  return null;
}

/** Opens the engine serve keeps for the life of the process. */
function openEngine(command: ServeCommand): ProbeEngine {
  return openPingerEngine({ socket: command.socket });
}

async function readTargets(command: ServeCommand): Promise<string[]> {
  const fromFile = command.file === null ? [] : parseTargets(await Deno.readTextFile(command.file));
  return [...new Set([...command.hosts, ...fromFile])];
}

/**
 * Runs `miniping serve` with the arguments after `serve` and returns the
 * exit status: 0 after a clean shutdown, 2 for usage and permission errors.
 *
 * @param args The arguments after `serve`.
 * @returns The exit status.
 *
 * @example Print the help
 * ```ts
 * import { serve } from "./serve_command.ts";
 * import { equal } from "node:assert/strict";
 *
 * equal(await serve(["--help"]), 0);
 * ```
 */
export async function serve(args: string[]): Promise<number> {
  let parsed;
  try {
    parsed = parseServeArgs(args);
  } catch (error) {
    if (!(error instanceof UsageError)) throw error;
    return fail(`${error.message} ${HELP_HINT}`);
  }
  if (parsed.kind === "help") {
    console.log("%s", SERVE_USAGE.trimEnd());
    return 0;
  }
  const command = parsed;
  const missing = missingPermission(command);
  if (missing !== null) return fail(missing);
  let hosts: string[];
  try {
    hosts = await readTargets(command);
  } catch (error) {
    return fail(`cannot read ${command.file}: ${error instanceof Error ? error.message : String(error)}`);
  }
  return await run(command, hosts);
}

async function run(command: ServeCommand, hosts: string[]): Promise<number> {
  const metrics = new ServeMetrics({
    buckets: command.buckets,
    source: command.source ?? "",
    tos: (command.dscp ?? 0) << 2,
  });
  const engine = openEngine(command);
  const prober = new Prober(engine, metrics, command);
  prober.setTargets(hosts);

  const stop = new AbortController();
  let server: Deno.HttpServer;
  try {
    server = Deno.serve({
      hostname: command.hostname,
      port: command.port,
      signal: stop.signal,
      onListen: ({ hostname, port }) => {
        const host = hostname.includes(":") ? `[${hostname}]` : hostname;
        console.error(
          "%s",
          `${NAME}: http://${host}:${port}/ — ${prober.hosts.length} targets every ${command.period / 1000} s`,
        );
      },
    }, createHandler({ metrics, period: command.period, stats: () => engine.stats() }));
  } catch (error) {
    await engine.close();
    return fail(`cannot listen on ${command.hostname}:${command.port}: ${(error as Error).message}`);
  }

  const reload = async () => {
    try {
      prober.setTargets(await readTargets(command));
      metrics.reloaded(true);
    } catch (error) {
      // Keep probing the old list: a half-written file must not empty the exporter.
      metrics.reloaded(false);
      console.error(
        "%s",
        `${NAME}: reload failed, keeping ${prober.hosts.length} targets: ${(error as Error).message}`,
      );
    }
  };
  const signals: [Deno.Signal, () => void][] = [
    ["SIGTERM", () => stop.abort()],
    ["SIGINT", () => stop.abort()],
  ];
  if (command.file !== null) {
    signals.push(["SIGHUP", () => void reload()]);
    watchTargets(command.file, () => void reload(), { interval: WATCH_INTERVAL_MS, signal: stop.signal });
  }
  for (const [signal, handler] of signals) Deno.addSignalListener(signal, handler);

  prober.start();
  await new Promise((resolve) => stop.signal.addEventListener("abort", resolve, { once: true }));
  for (const [signal, handler] of signals) Deno.removeSignalListener(signal, handler);
  await prober.stop();
  await engine.close();
  await server.finished;
  return 0;
}
