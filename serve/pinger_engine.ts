/**
 * The library's {@linkcode Pinger} as the {@linkcode ProbeEngine} of
 * `miniping serve`: one send scheduler and one set of sockets for the life of
 * the process.
 *
 * @module
 */
import { Pinger, type PingerOptions } from "../pinger.ts";
import type { ProbeEngine } from "./prober.ts";

/**
 * Opens the engine serve keeps until it exits.
 *
 * @param options Socket kind and clock, as for {@linkcode Pinger}.
 * @returns The engine; its sockets open with the first round.
 */
export function openPingerEngine(options: PingerOptions = {}): ProbeEngine {
  const pinger = new Pinger(options);
  return {
    pingMany: (hosts, round) => pinger.pingMany(hosts, round),
    stats: () => pinger.stats(),
    close: () => pinger.close(),
  };
}
