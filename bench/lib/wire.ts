/**
 * The truth on the wire: `tcpdump -w` on h's only link (to r1) during one tool's run, then the capture file counted
 * here (echo requests out, echo replies in, and how many distinct addresses replied). A binary capture with a short
 * snap length costs far less than tcpdump's text output at 100,000+ packets/s.
 *
 * @module
 */
import type { Lab } from "../../tests/lab/lab.ts";
import { sleep } from "./common.ts";

/** What the capture saw during one run. */
export interface WireCount {
  /** Echo requests (ICMP 8, ICMPv6 128) leaving h. */
  requests: number;
  /** Echo replies (ICMP 0, ICMPv6 129) arriving at h. */
  replies: number;
  /** Distinct addresses that sent an echo reply. */
  repliedAddresses: number;
  /** Capture time from the first echo request to the last, in ms; NaN with fewer than two. */
  requestSpanMs: number;
  /** Packets the kernel dropped before tcpdump saw them; null when tcpdump did not say. */
  dropped: number | null;
}

const INTERFACE = "to-r1";
const SNAP_BYTES = 96;
/** tcpdump's buffer in KiB: a 65,536-address sweep is ~130,000 packets in well under a second. */
const BUFFER_KIB = 65_536;
const START_TIMEOUT_MS = 10_000;
/**
 * Without `--immediate-mode` libpcap reads the kernel's ring a block at a time, and a block is handed over when full
 * or after the 1,000 ms read timeout; packets in the current block are lost if tcpdump is stopped first. Waiting out
 * the timeout keeps the capture complete without waking tcpdump per packet during the measured run.
 */
const BLOCK_TIMEOUT_MS = 1_000;
const SETTLE_MS = 250;
const DROPPED_LINE = /(\d+) packets? dropped by kernel/;

/** A running capture; {@linkcode Wire.stop} ends it and counts. */
export class Wire {
  readonly #child: Deno.ChildProcess;
  readonly #file: string;
  #stderr = "";
  readonly #stderrDone: Promise<void>;

  private constructor(child: Deno.ChildProcess, file: string) {
    this.#child = child;
    this.#file = file;
    this.#stderrDone = (async () => {
      for await (const chunk of child.stderr.pipeThrough(new TextDecoderStream())) this.#stderr += chunk;
    })();
  }

  /**
   * Starts tcpdump in h and waits until it listens.
   *
   * @param lab The lab.
   * @returns The running capture.
   */
  static async start(lab: Lab): Promise<Wire> {
    const file = await Deno.makeTempFile({ dir: "/dev/shm", prefix: "miniping-bench-", suffix: ".pcap" });
    const child = lab.spawn("h", [
      "tcpdump",
      "-i",
      INTERFACE,
      "-n",
      "-s",
      String(SNAP_BYTES),
      "-B",
      String(BUFFER_KIB),
      "-w",
      file,
      "icmp or icmp6",
    ], { stderr: "piped" });
    const wire = new Wire(child, file);
    const deadline = Date.now() + START_TIMEOUT_MS;
    while (!wire.#stderr.includes("listening on")) {
      const exited = await Promise.race([child.status.then(() => true), sleep(10).then(() => false)]);
      if (exited || Date.now() > deadline) {
        await wire.stop().catch(() => {});
        throw new Error(`tcpdump did not start: ${wire.#stderr.trim()}`);
      }
    }
    return wire;
  }

  /** Waits until tcpdump has read everything, stops it (safe to call twice), counts and deletes the file. */
  async stop(): Promise<WireCount> {
    await sleep(BLOCK_TIMEOUT_MS + SETTLE_MS);
    try {
      this.#child.kill("SIGTERM");
    } catch {
      // Already gone.
    }
    await this.#child.status;
    await this.#stderrDone;
    try {
      const counted = countEchoes(await Deno.readFile(this.#file));
      const dropped = DROPPED_LINE.exec(this.#stderr);
      return { ...counted, dropped: dropped === null ? null : Number(dropped[1]) };
    } finally {
      await Deno.remove(this.#file).catch(() => {});
    }
  }
}

const PCAP_HEADER = 24;
const RECORD_HEADER = 16;
const ETHERNET = 14;
const LINKTYPE_ETHERNET = 1;
/** pcap magic numbers: microsecond and nanosecond stamps. */
const PCAP_MICRO = 0xa1b2c3d4;
const PCAP_NANO = 0xa1b23c4d;

/**
 * Counts echo requests, echo replies and distinct replying addresses in a classic little- or big-endian pcap file
 * of Ethernet frames.
 *
 * @param bytes The capture file.
 * @returns The counts (without `dropped`).
 */
export function countEchoes(bytes: Uint8Array): Omit<WireCount, "dropped"> {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const little = [PCAP_MICRO, PCAP_NANO].includes(view.getUint32(0, true));
  const magic = view.getUint32(0, little);
  if (magic !== PCAP_MICRO && magic !== PCAP_NANO) throw new Error("Cannot count the capture: not a pcap file");
  const unitsPerMs = magic === PCAP_NANO ? 1e6 : 1e3;
  if (view.getUint32(20, little) !== LINKTYPE_ETHERNET) throw new Error("Cannot count the capture: not Ethernet");
  let requests = 0;
  let replies = 0;
  let baseSeconds = -1;
  let first = NaN;
  let last = NaN;
  const replied = new Set<string>();
  for (let at = PCAP_HEADER; at + RECORD_HEADER <= bytes.length;) {
    const seconds = view.getUint32(at, little);
    const fraction = view.getUint32(at + 4, little) / unitsPerMs;
    const length = view.getUint32(at + 8, little);
    const frame = bytes.subarray(at + RECORD_HEADER, at + RECORD_HEADER + length);
    at += RECORD_HEADER + length;
    const echo = classify(frame);
    if (echo === "request") {
      requests++;
      // Seconds are counted from the first request's, so the figure stays exact in a double.
      if (baseSeconds < 0) baseSeconds = seconds;
      last = (seconds - baseSeconds) * 1000 + fraction;
      if (Number.isNaN(first)) first = last;
    } else if (echo !== null) {
      replies++;
      replied.add(echo.from);
    }
  }
  return { requests, replies, repliedAddresses: replied.size, requestSpanMs: requests < 2 ? NaN : last - first };
}

function classify(frame: Uint8Array): "request" | { from: string } | null {
  if (frame.length < ETHERNET + 1) return null;
  const type = (frame[12] << 8) | frame[13];
  if (type === 0x0800) {
    const headerLength = (frame[ETHERNET] & 0x0f) * 4;
    if (frame[ETHERNET + 9] !== 1 || frame.length <= ETHERNET + headerLength) return null;
    const icmp = frame[ETHERNET + headerLength];
    if (icmp === 8) return "request";
    return icmp === 0 ? { from: frame.subarray(ETHERNET + 12, ETHERNET + 16).join(".") } : null;
  }
  if (type === 0x86dd) {
    const ip6 = ETHERNET + 40;
    if (frame[ETHERNET + 6] !== 58 || frame.length <= ip6) return null;
    if (frame[ip6] === 128) return "request";
    return frame[ip6] === 129 ? { from: frame.subarray(ETHERNET + 8, ETHERNET + 24).join(",") } : null;
  }
  return null;
}
