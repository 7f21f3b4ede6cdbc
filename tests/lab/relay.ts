/**
 * Puts the impairment relay (tests/fixtures/impair_relay.ts) into the lab's middle router r2: every packet r2
 * forwards between r1 and r3, either way, IPv4 and IPv6, passes through the relay first.
 *
 * @module
 */
import type { RelayConfig, RelayReport } from "../fixtures/impair_relay.ts";
import type { Lab } from "./lab.ts";

const RELAY = new URL("../fixtures/impair_relay.ts", import.meta.url).pathname;
const DEVICE = "relay0";
const TABLE = 100;
/** r2's links: packets arriving on them are steered into the relay. */
const LINKS = ["to-r1", "to-r3"];

/** A running relay; dispose (or `stop()`) to take it out of the path again. */
export interface Relay extends AsyncDisposable {
  /** Stops the relay, removes its rules, and returns its report. Idempotent. */
  stop(): Promise<RelayReport>;
}

/** `ip -batch` lines for one family (chosen by `ip -4` / `ip -6`, which batch lines cannot carry themselves). */
function routingLines(action: "add" | "del"): string[] {
  const lines = LINKS.map((link) => `rule ${action} iif ${link} lookup ${TABLE}`);
  if (action === "add") lines.push(`route add default dev ${DEVICE} table ${TABLE}`);
  return lines;
}

async function ip(lab: Lab, action: "add" | "del"): Promise<void> {
  const runs = [["-4", ...(action === "add" ? [`link set ${DEVICE} up`] : []), ...routingLines(action)], [
    "-6",
    ...routingLines(action),
  ]];
  for (const [family, ...lines] of runs) {
    const out = await lab.exec("r2", ["ip", family, "-batch", "-"], { stdin: lines.join("\n") + "\n" });
    if (out.code !== 0 && action === "add") throw new Error(`relay routing in r2 failed: ${out.stderr}`);
  }
}

/**
 * Starts the relay in r2 with `config` and steers r2's forwarded traffic through it.
 *
 * @param lab The lab.
 * @param config Seed and per-direction impairments.
 * @returns The running relay.
 */
export async function startRelay(lab: Lab, config: RelayConfig): Promise<Relay> {
  const child = lab.spawn("r2", [
    Deno.execPath(),
    "run",
    "--allow-ffi",
    RELAY,
    JSON.stringify({ ...config, device: DEVICE }),
  ], {
    stdout: "piped",
    stderr: "inherit",
  });
  const lines = child.stdout!.pipeThrough(new TextDecoderStream()).getReader();
  let text = "";
  const readLine = async (): Promise<string> => {
    for (;;) {
      const newline = text.indexOf("\n");
      if (newline >= 0) {
        const line = text.slice(0, newline);
        text = text.slice(newline + 1);
        return line;
      }
      const { value, done } = await lines.read();
      if (done) return text;
      text += value;
    }
  };
  let stopped: Promise<RelayReport> | undefined;
  const stop = () =>
    stopped ??= (async () => {
      // Rules first, so nothing is steered into a device that is about to vanish.
      await ip(lab, "del").catch(() => {});
      try {
        child.kill("SIGTERM");
      } catch {
        // Already gone.
      }
      const report = await readLine();
      await child.status;
      return JSON.parse(report) as RelayReport;
    })();
  try {
    const ready = await readLine();
    if (ready !== `ready ${DEVICE}`) throw new Error(`relay did not start: ${JSON.stringify(ready)}`);
    // The relay hands packets back from its own device: strict reverse-path filtering would drop them.
    const sysctl = await lab.exec("r2", [
      "sysctl",
      "-qw",
      "net.ipv4.conf.all.rp_filter=0",
      `net.ipv4.conf.${DEVICE}.rp_filter=0`,
    ]);
    if (sysctl.code !== 0) throw new Error(`relay sysctl in r2 failed: ${sysctl.stderr}`);
    await ip(lab, "add");
  } catch (error) {
    await stop().catch(() => {});
    throw error;
  }
  return { stop, [Symbol.asyncDispose]: async () => void await stop().catch(() => {}) };
}
