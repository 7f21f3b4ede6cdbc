/**
 * What a capture in h says one ping run should have counted: the oracle the impairment tests hold miniping to.
 *
 * @module
 */
import { isEchoReply, isEchoRequest } from "../fixtures/packet.ts";
import type { WirePacket } from "./capture.ts";

/** The wire's account of one run to one target, by probe number (1 = the first request on the wire). */
export interface WireAccount {
  /** Echo requests to the target seen leaving h. */
  sent: number;
  /** Probes with an intact reply from the target within the timeout. */
  received: number;
  /** Probe numbers in the order their first intact, timely reply arrived. */
  order: number[];
  /** Per probe number, intact timely copies after the first. */
  duplicates: Map<number, number>;
  /**
   * Per probe number, the copies that came before every request seen had its first reply: a run ends on its last
   * probe's reply, so only these are sure to be counted; later ones may or may not be.
   */
  duplicatesBeforeEnd: Map<number, number>;
  /** Timely replies that are damaged: bad checksum or payload unlike the request's. */
  corrupted: number;
  /** Of those, the ones with a bad checksum. */
  badChecksum: number;
  /** Intact replies that came after the timeout. */
  late: number;
  /** Every reply from the target, whatever its state. */
  replies: number;
  /** Replies from the target whose identifier and sequence match no request, and other ICMP from it. */
  strays: number;
  /** Identifier and sequence on the wire of each request, by probe number − 1. */
  requests: { id: number; seq: number }[];
}

const key = (p: WirePacket) => p.id * 65536 + p.seq;

function samePayload(a: WirePacket, b: WirePacket): boolean {
  const x = a.bytes.subarray(a.icmp + 8, a.end);
  const y = b.bytes.subarray(b.icmp + 8, b.end);
  return x.length === y.length && x.every((v, i) => v === y[i]);
}

/**
 * Reads a run out of a capture taken on h's link.
 *
 * @param packets The capture, in order.
 * @param target The probed address, in the text form the capture uses.
 * @param timeout The run's per-probe timeout in ms.
 * @returns The counts the run should report.
 */
export function account(packets: WirePacket[], target: string, timeout: number): WireAccount {
  const requests = new Map<number, { packet: WirePacket; probe: number }>();
  const result: WireAccount = {
    sent: 0,
    received: 0,
    order: [],
    duplicates: new Map(),
    duplicatesBeforeEnd: new Map(),
    corrupted: 0,
    badChecksum: 0,
    late: 0,
    replies: 0,
    strays: 0,
    requests: [],
  };
  const copies: { probe: number; time: number }[] = [];
  let end = Infinity;
  for (const packet of packets) {
    if (isEchoRequest(packet) && packet.destination === target) {
      requests.set(key(packet), { packet, probe: ++result.sent });
      result.requests.push({ id: packet.id, seq: packet.seq });
      continue;
    }
    if (packet.source !== target) continue;
    if (!isEchoReply(packet)) {
      result.strays++;
      continue;
    }
    result.replies++;
    const request = requests.get(key(packet));
    if (request === undefined) {
      result.strays++;
      continue;
    }
    const late = packet.time - request.packet.time > timeout;
    const intact = packet.checksumOk && samePayload(packet, request.packet);
    if (!intact) {
      if (!late) result.corrupted++;
      if (!late && !packet.checksumOk) result.badChecksum++;
    } else if (late) {
      result.late++;
    } else if (result.order.includes(request.probe)) {
      result.duplicates.set(request.probe, (result.duplicates.get(request.probe) ?? 0) + 1);
      copies.push({ probe: request.probe, time: packet.time });
    } else {
      result.order.push(request.probe);
      result.received++;
      if (result.received === result.sent) end = packet.time;
    }
  }
  for (const { probe, time } of copies) {
    if (time < end) result.duplicatesBeforeEnd.set(probe, (result.duplicatesBeforeEnd.get(probe) ?? 0) + 1);
  }
  return result;
}
