/**
 * tcpdump in a lab namespace, writing a pcap file that is read back here: the wire's own account of a run, to judge
 * miniping's counts against.
 *
 * @module
 */
import { type IcmpView, viewIcmp } from "../fixtures/packet.ts";
import type { Lab, LabNode } from "./lab.ts";

/** One ICMP packet seen on the wire. */
export interface WirePacket extends IcmpView {
  /** Capture time, ms since the epoch (µs resolution). */
  time: number;
  /** The whole IP packet. */
  bytes: Uint8Array;
}

/** A running capture; `stop()` ends it and returns the ICMP packets seen, in capture order. */
export interface Capture extends AsyncDisposable {
  stop(): Promise<WirePacket[]>;
}

/** How to capture. */
export interface CaptureOptions {
  /**
   * Nanosecond capture stamps (`--time-stamp-precision=nano`) instead of microseconds.
   *
   * @default {false}
   */
  nano?: boolean;
  /**
   * Bytes kept of each packet (`-s`); 0 keeps all. Echo headers and ICMP error quotes fit in 128.
   *
   * @default {0}
   */
  snaplen?: number;
  /**
   * Whether packets the kernel dropped from the capture make `stop()` throw. A test that only compares the packets
   * it did see may tolerate a few on a loaded machine.
   *
   * @default {true}
   */
  complete?: boolean;
}

const ETHERTYPE_IPV4 = 0x0800;
const ETHERTYPE_IPV6 = 0x86dd;
const LINKTYPE_ETHERNET = 1;
/** The pcap magic numbers, as read little-endian, and how many of their fraction's units make a millisecond. */
const PCAP_UNITS_PER_MS: Record<number, number> = { 0xa1b2c3d4: 1e3, 0xa1b23c4d: 1e6 };

/** Parses a little-endian pcap file (µs or ns stamps) of Ethernet frames; non-IP frames are skipped. */
export function readPcap(file: Uint8Array): WirePacket[] {
  const view = new DataView(file.buffer, file.byteOffset, file.byteLength);
  const unitsPerMs = file.length < 24 ? undefined : PCAP_UNITS_PER_MS[view.getUint32(0, true)];
  if (unitsPerMs === undefined) throw new Error("not a little-endian pcap file");
  if (view.getUint32(20, true) !== LINKTYPE_ETHERNET) throw new Error("pcap link type is not Ethernet");
  const packets: WirePacket[] = [];
  for (let offset = 24; offset + 16 <= file.length;) {
    const time = view.getUint32(offset, true) * 1000 + view.getUint32(offset + 4, true) / unitsPerMs;
    const length = view.getUint32(offset + 8, true);
    const frame = file.subarray(offset + 16, offset + 16 + length);
    offset += 16 + length;
    const ethertype = (frame[12] << 8) | frame[13];
    if (ethertype !== ETHERTYPE_IPV4 && ethertype !== ETHERTYPE_IPV6) continue;
    const bytes = frame.slice(14);
    const icmp = viewIcmp(bytes);
    if (icmp !== null) packets.push({ ...icmp, time, bytes });
  }
  return packets;
}

/**
 * Starts tcpdump on `device` in `node` for ICMP and ICMPv6, and returns once it is listening.
 *
 * @param lab The lab.
 * @param node Where to capture.
 * @param device The interface, e.g. `to-r1` in h.
 * @param options Stamp precision, snap length, whether drops fail the capture.
 * @returns The running capture.
 */
export async function startCapture(
  lab: Lab,
  node: LabNode,
  device: string,
  options: CaptureOptions = {},
): Promise<Capture> {
  const file = await Deno.makeTempFile({ prefix: "mplab-capture-", suffix: ".pcap" });
  // -Z root: tcpdump would otherwise drop to its own user, who cannot write the root-owned file.
  // --immediate-mode: otherwise packets wait in the kernel's capture ring for a block timeout, and SIGTERM loses them.
  const child = lab.spawn(node, [
    "tcpdump",
    "-Z",
    "root",
    "--immediate-mode",
    "-U",
    "-n",
    ...(options.nano === true ? ["--time-stamp-precision=nano"] : []),
    "-s",
    String(options.snaplen ?? 0),
    // A 16 MiB capture buffer: a sweep's bursts must not overflow it (drops are checked on stop).
    "-B",
    "16384",
    "-i",
    device,
    "-w",
    file,
    "icmp or icmp6",
  ], {
    stderr: "piped",
  });
  const stderr = child.stderr!.pipeThrough(new TextDecoderStream()).getReader();
  let said = "";
  while (!said.includes("listening on")) {
    const { value, done } = await stderr.read();
    if (done) {
      await Deno.remove(file).catch(() => {});
      throw new Error(`tcpdump did not start: ${said}`);
    }
    said += value;
  }
  let stopped: Promise<WirePacket[]> | undefined;
  const stop = () =>
    stopped ??= (async () => {
      try {
        // Packets are written as they come (-U); a short pause lets the last ones through.
        await new Promise((resolve) => setTimeout(resolve, 100));
        child.kill("SIGTERM");
        // tcpdump's last words: "N packets captured, N packets received by filter, N packets dropped by kernel".
        for (;;) {
          const { value, done } = await stderr.read();
          if (done) break;
          said += value;
        }
        await child.status;
        const dropped = /(\d+) packets? dropped by kernel/.exec(said);
        if (options.complete !== false && (dropped === null || dropped[1] !== "0")) {
          throw new Error(`the capture is incomplete, so it cannot judge the run: ${said.trim()}`);
        }
        return readPcap(await Deno.readFile(file));
      } finally {
        await Deno.remove(file).catch(() => {});
      }
    })();
  return { stop, [Symbol.asyncDispose]: async () => void await stop().catch(() => {}) };
}
