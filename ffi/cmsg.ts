/**
 * Ancillary data: the per-packet options miniping sends (TTL, traffic class, source address) and the ones it reads
 * back (receive stamp, TTL, queued ICMP errors).
 *
 * @module
 */
import {
  IP_PKTINFO,
  IP_RECVERR,
  IP_TOS,
  IP_TTL,
  IPPROTO_IP,
  IPPROTO_IPV6,
  IPV6_HOPLIMIT,
  IPV6_PKTINFO,
  IPV6_RECVERR,
  IPV6_TCLASS,
  SCM_TIMESTAMPING,
  SCM_TIMESTAMPNS,
  SOL_SOCKET,
} from "./constants.ts";
import { KernelStamps, readScmTimestamping } from "./timestamping.ts";
import {
  align,
  cInt,
  CMSGHDR,
  cmsgLen,
  cmsgSpace,
  IN6_PKTINFO,
  IN_PKTINFO,
  readU64,
  SOCK_EXTENDED_ERR,
  TIMESPEC,
  writeU64,
} from "./structs.ts";

/** Per-packet send options. They travel with each `sendmsg`, so one shared socket serves pings with different ones. */
export interface SendOptions {
  /** Outgoing TTL or hop limit. */
  ttl?: number | undefined;
  /** Whole TOS / traffic-class byte (DSCP << 2). */
  tos?: number | undefined;
  /** Source address bytes (4 or 16). */
  source?: Uint8Array | undefined;
}

const INT_SIZE = 4;
const NO_OFFENDER = new Uint8Array(0);

/** Encodes `options` as a control buffer for `sendmsg`; `null` when there is nothing to send. */
export function encodeSendControl(
  family: 4 | 6,
  options: SendOptions,
): Uint8Array | null {
  const items: { level: number; type: number; data: Uint8Array }[] = [];
  const level = family === 4 ? IPPROTO_IP : IPPROTO_IPV6;
  if (options.ttl !== undefined) {
    items.push({
      level,
      type: family === 4 ? IP_TTL : IPV6_HOPLIMIT,
      data: cInt(options.ttl),
    });
  }
  if (options.tos !== undefined) {
    items.push({
      level,
      type: family === 4 ? IP_TOS : IPV6_TCLASS,
      data: cInt(options.tos),
    });
  }
  if (options.source !== undefined) {
    if (family === 4) {
      const data = new Uint8Array(IN_PKTINFO.size);
      data.set(options.source, IN_PKTINFO.specDst);
      items.push({ level, type: IP_PKTINFO, data });
    } else {
      const data = new Uint8Array(IN6_PKTINFO.size);
      data.set(options.source, IN6_PKTINFO.addr);
      items.push({ level, type: IPV6_PKTINFO, data });
    }
  }
  if (items.length === 0) return null;
  const control = new Uint8Array(
    items.reduce((sum, item) => sum + cmsgSpace(item.data.length), 0),
  );
  const view = new DataView(control.buffer);
  let offset = 0;
  for (const item of items) {
    writeU64(view, offset + CMSGHDR.len, cmsgLen(item.data.length));
    view.setInt32(offset + CMSGHDR.level, item.level, true);
    view.setInt32(offset + CMSGHDR.type, item.type, true);
    control.set(item.data, offset + CMSGHDR.data);
    offset += cmsgSpace(item.data.length);
  }
  return control;
}

/** What the ancillary data of one received message said. Reused between messages: copy what must outlive the next. */
export class ReceivedAncillary {
  /** TTL or hop limit, -1 when absent. */
  ttl = -1;
  /**
   * Whether a kernel receive stamp was present: the software stamp of `SCM_TIMESTAMPING` (or, on a socket without
   * it, `SCM_TIMESTAMPNS`). On the error queue it is the entry's transmit stamp.
   */
  hasStamp = false;
  /** Kernel receive stamp, CLOCK_REALTIME seconds. */
  stampSec = 0;
  /** Kernel receive stamp, nanoseconds part. */
  stampNsec = 0;
  /** Whether an extended error (IP_RECVERR / IPV6_RECVERR) was present. */
  hasError = false;
  /** `ee_errno`. */
  errorErrno = 0;
  /** `ee_origin`: local, ICMP, ICMPv6 or timestamping. */
  errorOrigin = 0;
  /** `ee_type`: the ICMP type. */
  errorType = 0;
  /** `ee_code`: the ICMP code. */
  errorCode = 0;
  /** `ee_data`: for a transmit timestamp entry (origin 4) the SOF_TIMESTAMPING_OPT_ID counter. */
  errorData = 0;
  readonly #stamps = new KernelStamps();
  /** Where the offender sockaddr lies in the control buffer: made into a view only when asked for. */
  #control: Uint8Array = NO_OFFENDER;
  #offenderStart = 0;
  #offenderEnd = 0;

  /**
   * The offender sockaddr (the router), a view into the control buffer; empty when absent. Made on request: every
   * transmit stamp carries one (zeroed), and a view per stamp was ~100 B of garbage per probe.
   */
  get offender(): Uint8Array {
    return this.#offenderEnd === 0 ? NO_OFFENDER : this.#control.subarray(this.#offenderStart, this.#offenderEnd);
  }

  /** Walks the control buffer `control` of `length` bytes. */
  parse(control: Uint8Array, view: DataView, length: number): void {
    this.ttl = -1;
    this.hasStamp = false;
    this.hasError = false;
    this.#offenderEnd = 0;
    let offset = 0;
    while (offset + CMSGHDR.size <= length) {
      const cmsgLength = readU64(view, offset + CMSGHDR.len);
      if (cmsgLength < CMSGHDR.size || offset + cmsgLength > length) break;
      const level = view.getInt32(offset + CMSGHDR.level, true);
      const type = view.getInt32(offset + CMSGHDR.type, true);
      const data = offset + CMSGHDR.data;
      const dataLength = cmsgLength - CMSGHDR.size;
      if (level === SOL_SOCKET && type === SCM_TIMESTAMPING) {
        if (readScmTimestamping(view, data, dataLength, this.#stamps) && this.#stamps.software) {
          this.hasStamp = true;
          this.stampSec = this.#stamps.softwareSec;
          this.stampNsec = this.#stamps.softwareNsec;
        }
      } else if (
        level === SOL_SOCKET && type === SCM_TIMESTAMPNS &&
        dataLength >= TIMESPEC.size
      ) {
        this.hasStamp = true;
        this.stampSec = readU64(view, data + TIMESPEC.sec);
        this.stampNsec = readU64(view, data + TIMESPEC.nsec);
      } else if (
        (level === IPPROTO_IP && type === IP_TTL) ||
        (level === IPPROTO_IPV6 && type === IPV6_HOPLIMIT)
      ) {
        if (dataLength >= INT_SIZE) this.ttl = view.getInt32(data, true);
      } else if (
        ((level === IPPROTO_IP && type === IP_RECVERR) ||
          (level === IPPROTO_IPV6 && type === IPV6_RECVERR)) &&
        dataLength >= SOCK_EXTENDED_ERR.size
      ) {
        this.hasError = true;
        this.errorErrno = view.getUint32(data + SOCK_EXTENDED_ERR.errno, true);
        this.errorOrigin = view.getUint8(data + SOCK_EXTENDED_ERR.origin);
        this.errorType = view.getUint8(data + SOCK_EXTENDED_ERR.type);
        this.errorCode = view.getUint8(data + SOCK_EXTENDED_ERR.code);
        this.errorData = view.getUint32(data + SOCK_EXTENDED_ERR.data, true);
        this.#control = control;
        this.#offenderStart = data + SOCK_EXTENDED_ERR.size;
        this.#offenderEnd = offset + cmsgLength;
      }
      offset += align(cmsgLength);
    }
  }
}
