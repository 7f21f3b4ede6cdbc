/**
 * The namespace lab as the throughput benchmarks use it: `tests/lab/lab.ts` unchanged, plus, set up here with
 * `lab.exec`, a `/16` of IPv4 addresses that t answers on `lo` (the lab's own IPv4 block is a `/18`, too small for a
 * 65,536-address sweep) and ICMP rate limits raised further in every namespace. The lab's IPv6 block is already a
 * `/64`.
 *
 * @module
 */
import { Lab, labAvailability, type LabNode } from "../../tests/lab/lab.ts";

export { Lab };

/**
 * The benchmark's IPv4 sweep block: all 65,536 addresses of 198.19.0.0/16 answer from t. It overlaps the lab's
 * three error routes on r1 (198.19.1–3.0/24), which {@linkcode createBenchLab} deletes in its own lab.
 */
export const SWEEP_PREFIX4 = "198.19.0.0/16";

const NODES: readonly LabNode[] = ["h", "r1", "r2", "r3", "t"];
/** r3's address facing r2, and t's facing r3: the next hops towards t. */
const R3_FROM_R2 = "198.18.3.2";
const T_FROM_R3 = "198.18.4.2";
/** r1's error routes that lie inside {@linkcode SWEEP_PREFIX4}. */
const R1_ERROR_ROUTES = ["prohibit 198.19.1.0/24", "unreachable 198.19.2.0/24", "blackhole 198.19.3.0/24"];
/**
 * Far above any rate the lab reaches. Echo replies are outside the default `icmp_ratemask`, but errors are not, and
 * the lab's own setting (100,000) is within reach of a flood.
 */
const ICMP_LIMITS = ["net.ipv4.icmp_msgs_per_sec=100000000", "net.ipv4.icmp_msgs_burst=100000000"];

/**
 * The `i`-th address of the IPv4 sweep block (198.19.0.0 + i).
 *
 * @param i 0 … 65,535.
 * @returns The dotted address.
 */
export function sweepAddress4(i: number): string {
  if (!Number.isInteger(i) || i < 0 || i > 0xffff) {
    throw new RangeError(`Cannot address the sweep block: index must be an integer in [0, 65535], got ${i}`);
  }
  return `198.19.${i >> 8}.${i & 0xff}`;
}

async function must(lab: Lab, node: LabNode, argv: string[]): Promise<void> {
  const out = await lab.exec(node, argv);
  if (out.code !== 0) throw new Error(`${node}: ${argv.join(" ")} failed: ${out.stderr.trim()}`);
}

/**
 * Builds the lab, routes {@linkcode SWEEP_PREFIX4} to t and raises the ICMP limits; exits with a message when the
 * lab cannot run here.
 *
 * @param name A short label for the namespace names.
 * @returns The ready lab; dispose it with `await using`.
 */
export async function createBenchLab(name: string): Promise<Lab> {
  const available = await labAvailability();
  if (!available.ok) {
    console.error(`Cannot run the benchmark: the namespace lab is unavailable: ${available.reason}`);
    Deno.exit(1);
  }
  const lab = await Lab.create({ name });
  try {
    for (const route of R1_ERROR_ROUTES) await must(lab, "r1", ["ip", "route", "del", ...route.split(" ")]);
    await must(lab, "r2", ["ip", "route", "add", SWEEP_PREFIX4, "via", R3_FROM_R2]);
    await must(lab, "r3", ["ip", "route", "add", SWEEP_PREFIX4, "via", T_FROM_R3]);
    await must(lab, "t", ["ip", "route", "add", "local", SWEEP_PREFIX4, "dev", "lo"]);
    await Promise.all(NODES.map((node) => must(lab, node, ["sysctl", "-q", "-w", ...ICMP_LIMITS])));
    return lab;
  } catch (error) {
    await lab[Symbol.asyncDispose]();
    throw error;
  }
}
