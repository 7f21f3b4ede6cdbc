/**
 * Kernel transmit and receive stamps (`SO_TIMESTAMPING`): the flags miniping sets, turning them on for a socket,
 * and reading the two places they come back — an `SCM_TIMESTAMPING` cmsg on a received reply, and an error-queue
 * entry per send that carries the transmit stamp with the socket's `OPT_ID` key of that send.
 *
 * Everything here except {@linkcode enableTimestamping} is pure: it reads bytes the kernel wrote, so it is tested
 * with fabricated control buffers. The readers fill caller-owned objects and return string literals, so the receive
 * path allocates nothing.
 *
 * @module
 */
import {
  AF_INET,
  Errno,
  IP_RECVERR,
  IPPROTO_IP,
  IPPROTO_IPV6,
  IPPROTO_UDP,
  IPV6_RECVERR,
  MSG_CTRUNC,
  MSG_DONTWAIT,
  SCM_TIMESTAMPING,
  SCM_TSTAMP_SCHED,
  SO_EE_ORIGIN_TIMESTAMPING,
  SO_TIMESTAMPING,
  SOCK_CLOEXEC,
  SOCK_DGRAM,
  SOCK_NONBLOCK,
  SOF_TIMESTAMPING_OPT_ID,
  SOF_TIMESTAMPING_OPT_TSONLY,
  SOF_TIMESTAMPING_RX_SOFTWARE,
  SOF_TIMESTAMPING_SOFTWARE,
  SOF_TIMESTAMPING_TX_SCHED,
  SOL_SOCKET,
} from "./constants.ts";
import { errno } from "./errno.ts";
import { libc } from "./libc.ts";
import { monotonicMs } from "./clock.ts";
import {
  align,
  cInt,
  CMSGHDR,
  IOVEC,
  MSGHDR,
  readU64,
  SOCK_EXTENDED_ERR,
  SOCKADDR_IN,
  TIMESPEC,
  writePointer,
  writeU64,
} from "./structs.ts";

/**
 * The flags miniping sets: software stamps on transmit and receive, reported (`SOFTWARE`), each transmit stamp keyed
 * by the socket's send counter (`OPT_ID`) and delivered without a copy of the packet (`OPT_TSONLY`, which also
 * needs no privilege). `OPT_CMSG` is not needed: it only adds IPv4 packet info to transmit stamps.
 *
 * The transmit stamp that starts an RTT is `TX_SCHED` (taken as the packet reaches the device layer, before its
 * qdisc), not `TX_SOFTWARE` (taken in the driver). The receive stamp is taken where tcpdump's receive tap is, but
 * tcpdump's transmit tap runs between the two transmit points: measured in the namespace lab, SND came ~10 µs after
 * the tap while a capture was attached and made RTTs 8–19 µs shorter than the wire; SCHED comes ~2.4 µs before it
 * and reads +1.5 … +2.8 µs (bench/tx_stamps_probe.ts, bench/accuracy.ts; BENCHMARKS.md). SCHED also counts time a
 * probe waits in an egress qdisc, the host's own delay (nil on an idle link). Only one of the two is asked for, so
 * every send has exactly one stamp on the error queue and its `OPT_ID` key needs no other disambiguation.
 */
export const TIMESTAMPING_FLAGS: number = SOF_TIMESTAMPING_TX_SCHED | SOF_TIMESTAMPING_RX_SOFTWARE |
  SOF_TIMESTAMPING_SOFTWARE | SOF_TIMESTAMPING_OPT_ID | SOF_TIMESTAMPING_OPT_TSONLY;

/** `struct scm_timestamping`: ts[0] software, ts[1] legacy (zero), ts[2] hardware. */
export const SCM_TIMESTAMPING_LAYOUT = { size: 3 * TIMESPEC.size, software: 0, hardware: 2 * TIMESPEC.size } as const;

/**
 * Turns kernel stamps on for socket `fd` (`setsockopt(SOL_SOCKET, SO_TIMESTAMPING, flags)`). Setting the option
 * again resets the socket's `OPT_ID` counter to 0.
 *
 * @param fd An open socket.
 * @param flags `SOF_TIMESTAMPING_*` flags.
 * @returns 0, or the errno of the refusal.
 *
 * @example Enable stamps on a socket
 * ```ts ignore
 * import { enableTimestamping } from "./timestamping.ts";
 * const failure = enableTimestamping(fd);
 * if (failure !== 0) console.error(`no kernel stamps: errno ${failure}`);
 * ```
 */
export function enableTimestamping(fd: number, flags: number = TIMESTAMPING_FLAGS): number {
  return libc().setsockopt(fd, SOL_SOCKET, SO_TIMESTAMPING, cInt(flags), 4) === -1 ? errno() : 0;
}

/** The stamps of one `SCM_TIMESTAMPING` cmsg. Reused between messages: copy what must outlive the next read. */
export class KernelStamps {
  /** Whether ts[0], the software stamp, is set (all zeros means the kernel took none). */
  software = false;
  /** Software stamp, CLOCK_REALTIME seconds. */
  softwareSec = 0;
  /** Software stamp, nanoseconds part. */
  softwareNsec = 0;
  /** Whether ts[2], the raw hardware stamp, is set. */
  hardware = false;
  /** Hardware stamp, seconds (the NIC's clock). */
  hardwareSec = 0;
  /** Hardware stamp, nanoseconds part. */
  hardwareNsec = 0;

  /** Forgets both stamps. */
  clear(): void {
    this.software = false;
    this.hardware = false;
  }
}

/**
 * Reads the `struct scm_timestamping` payload of an `SCM_TIMESTAMPING` cmsg into `out`.
 *
 * @param view The control buffer.
 * @param data Offset of the cmsg's payload.
 * @param dataLength Payload length the cmsg header declares.
 * @param out Filled with the stamps; cleared when the payload is too short.
 * @returns Whether the payload held a whole `scm_timestamping` (a shorter one is truncated and read as no stamp).
 *
 * @example Read a software receive stamp
 * ```ts
 * import { KernelStamps, readScmTimestamping } from "./timestamping.ts";
 * const payload = new DataView(new ArrayBuffer(48));
 * payload.setUint32(0, 1_700_000_000, true);
 * payload.setUint32(8, 250, true);
 * const stamps = new KernelStamps();
 * readScmTimestamping(payload, 0, 48, stamps);
 * console.log(stamps.software, stamps.softwareSec, stamps.softwareNsec); // true 1700000000 250
 * ```
 */
export function readScmTimestamping(view: DataView, data: number, dataLength: number, out: KernelStamps): boolean {
  out.clear();
  if (dataLength < SCM_TIMESTAMPING_LAYOUT.size || data + dataLength > view.byteLength) return false;
  const software = data + SCM_TIMESTAMPING_LAYOUT.software;
  out.softwareSec = readU64(view, software + TIMESPEC.sec);
  out.softwareNsec = readU64(view, software + TIMESPEC.nsec);
  out.software = out.softwareSec !== 0 || out.softwareNsec !== 0;
  const hardware = data + SCM_TIMESTAMPING_LAYOUT.hardware;
  out.hardwareSec = readU64(view, hardware + TIMESPEC.sec);
  out.hardwareNsec = readU64(view, hardware + TIMESPEC.nsec);
  out.hardware = out.hardwareSec !== 0 || out.hardwareNsec !== 0;
  return true;
}

/**
 * What one error-queue entry turned out to be:
 * - `"stamp"`: a software transmit stamp; `counter`, `sec` and `nsec` are set.
 * - `"error"`: an extended error of another origin (an ICMP error, a local refusal): not ours, handle it as before.
 * - `"foreign"`: a timestamping entry miniping did not ask for (another `ee_info`, another `ee_errno`, or only a
 *   hardware stamp). `counter` is set when `hasCounter` is.
 * - `"truncated"`: the control data was cut (`MSG_CTRUNC`, or a cmsg shorter than its struct or running past the
 *   buffer), so the stamp or its key is missing. `counter` is set when `hasCounter` is: that probe's stamp is lost.
 * - `"empty"`: no extended error at all.
 */
export type TxStampStatus = "stamp" | "error" | "foreign" | "truncated" | "empty";

/** A transmit stamp read from the error queue. Reused between entries. */
export class TxStamp {
  /** Whether {@linkcode TxStamp.counter} was read (the extended error was whole). */
  hasCounter = false;
  /** The socket's `OPT_ID` key of the send this stamp belongs to (`ee_data`), counting sends from 0. */
  counter = 0;
  /** `ee_info` of the entry: `SCM_TSTAMP_SCHED` (1) for a stamp miniping asked for, SND (0) or ACK (2) otherwise. */
  info = 0;
  /** Software transmit stamp, CLOCK_REALTIME seconds. */
  sec = 0;
  /** Nanoseconds part. */
  nsec = 0;
  /** The `SCM_TIMESTAMPING` cmsg of the entry. */
  readonly stamps: KernelStamps = new KernelStamps();
}

/** The error-queue cmsg carrying `sock_extended_err`, per family. */
const RECVERR = { 4: { level: IPPROTO_IP, type: IP_RECVERR }, 6: { level: IPPROTO_IPV6, type: IPV6_RECVERR } };

/**
 * Reads one error-queue entry's control data as a transmit stamp.
 *
 * @param family The socket's family: its extended error comes as `IP_RECVERR` (4) or `IPV6_RECVERR` (6).
 * @param view The control buffer.
 * @param length `msg_controllen` after `recvmsg`.
 * @param flags `msg_flags` after `recvmsg` (for `MSG_CTRUNC`).
 * @param out Filled as far as the entry allows.
 * @returns What the entry was (see {@linkcode TxStampStatus}).
 *
 * @example Classify an error-queue entry
 * ```ts
 * import { readTxStamp, TxStamp } from "./timestamping.ts";
 * const out = new TxStamp();
 * // An empty control buffer: nothing was queued with it.
 * console.log(readTxStamp(4, new DataView(new ArrayBuffer(0)), 0, 0, out)); // "empty"
 * ```
 */
export function readTxStamp(
  family: 4 | 6,
  view: DataView,
  length: number,
  flags: number,
  out: TxStamp,
): TxStampStatus {
  out.hasCounter = false;
  out.stamps.clear();
  const recverr = RECVERR[family];
  let truncated = (flags & MSG_CTRUNC) !== 0 || length > view.byteLength;
  let stampSeen = false;
  let errorSeen = false;
  let origin = 0;
  let eeErrno = 0;
  let info = 0;
  const end = Math.min(length, view.byteLength);
  let offset = 0;
  while (offset + CMSGHDR.size <= end) {
    const cmsgLength = readU64(view, offset + CMSGHDR.len);
    if (cmsgLength < CMSGHDR.size || offset + cmsgLength > end) {
      truncated = true;
      break;
    }
    const level = view.getInt32(offset + CMSGHDR.level, true);
    const type = view.getInt32(offset + CMSGHDR.type, true);
    const data = offset + CMSGHDR.data;
    const dataLength = cmsgLength - CMSGHDR.size;
    if (level === SOL_SOCKET && type === SCM_TIMESTAMPING) {
      if (readScmTimestamping(view, data, dataLength, out.stamps)) stampSeen = true;
      else truncated = true;
    } else if (level === recverr.level && type === recverr.type) {
      if (dataLength < SOCK_EXTENDED_ERR.size) {
        truncated = true;
      } else {
        errorSeen = true;
        eeErrno = view.getUint32(data + SOCK_EXTENDED_ERR.errno, true);
        origin = view.getUint8(data + SOCK_EXTENDED_ERR.origin);
        info = view.getUint32(data + SOCK_EXTENDED_ERR.info, true);
        out.info = info;
        out.counter = view.getUint32(data + SOCK_EXTENDED_ERR.data, true);
      }
    }
    offset += align(cmsgLength);
  }
  if (errorSeen && origin !== SO_EE_ORIGIN_TIMESTAMPING) return "error";
  out.hasCounter = errorSeen;
  if (errorSeen && (eeErrno !== Errno.ENOMSG || info !== SCM_TSTAMP_SCHED)) return "foreign";
  if (!errorSeen && !stampSeen) return truncated ? "truncated" : "empty";
  // One half of a stamp entry without the other: the kernel always sends both, so the rest was cut off.
  if (!errorSeen || !stampSeen) return "truncated";
  if (!out.stamps.software) return "foreign";
  out.sec = out.stamps.softwareSec;
  out.nsec = out.stamps.softwareNsec;
  return "stamp";
}

/**
 * Whether the kernel stamps received packets right now. It turns software receive stamping on for the whole system
 * lazily: the first socket to ask schedules the switch on a work queue, and packets that arrive before it runs carry
 * no stamp (seen in 1 of 38 fresh processes). This sends one UDP datagram to itself over IPv4 loopback and looks for
 * its `SCM_TIMESTAMPING` receive stamp; loopback delivers it before `sendmsg` returns.
 *
 * @returns `true` or `false`, or `null` when it cannot tell (no IPv4 loopback in this network namespace).
 *
 * @example Check receive stamping
 * ```ts
 * import { receiveStampingLive } from "./timestamping.ts";
 * console.log(receiveStampingLive()); // true, false, or null without loopback
 * ```
 */
export function receiveStampingLive(): boolean | null {
  const c = libc();
  const fd = c.socket(AF_INET, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, IPPROTO_UDP);
  if (fd === -1) return null;
  try {
    if (enableTimestamping(fd, SOF_TIMESTAMPING_RX_SOFTWARE | SOF_TIMESTAMPING_SOFTWARE) !== 0) return null;
    const name = new Uint8Array(SOCKADDR_IN.size);
    const nameView = new DataView(name.buffer);
    nameView.setUint16(SOCKADDR_IN.family, AF_INET, true);
    name.set([127, 0, 0, 1], SOCKADDR_IN.addr);
    const nameLength = new Uint8Array(4);
    new DataView(nameLength.buffer).setUint32(0, name.length, true);
    if (c.bind(fd, name, name.length) === -1 || c.getsockname(fd, name, nameLength) === -1) return null;
    return selfStamped(fd, name);
  } finally {
    c.close(fd);
  }
}

/** Sends one byte from `fd` to its own address `name` and reports whether it came back with a software stamp. */
function selfStamped(fd: number, name: Uint8Array): boolean | null {
  const data = new Uint8Array(1);
  const control = new Uint8Array(128);
  const iov = new Uint8Array(IOVEC.size);
  const iovView = new DataView(iov.buffer);
  writePointer(iovView, IOVEC.base, data);
  writeU64(iovView, IOVEC.len, data.length);
  const header = new Uint8Array(MSGHDR.size);
  const view = new DataView(header.buffer);
  writePointer(view, MSGHDR.name, name);
  view.setUint32(MSGHDR.namelen, name.length, true);
  writePointer(view, MSGHDR.iov, iov);
  writeU64(view, MSGHDR.iovlen, 1);
  if (libc().sendmsg(fd, header, 0) === -1) return null;
  writePointer(view, MSGHDR.control, control);
  writeU64(view, MSGHDR.controllen, control.length);
  if (libc().recvmsg(fd, header, MSG_DONTWAIT) === -1) return null;
  const controlView = new DataView(control.buffer);
  const stamps = new KernelStamps();
  const length = Math.min(readU64(view, MSGHDR.controllen), control.length);
  for (let offset = 0; offset + CMSGHDR.size <= length;) {
    const cmsgLength = readU64(controlView, offset + CMSGHDR.len);
    if (cmsgLength < CMSGHDR.size || offset + cmsgLength > length) break;
    if (
      controlView.getInt32(offset + CMSGHDR.level, true) === SOL_SOCKET &&
      controlView.getInt32(offset + CMSGHDR.type, true) === SCM_TIMESTAMPING &&
      readScmTimestamping(controlView, offset + CMSGHDR.data, cmsgLength - CMSGHDR.size, stamps)
    ) return stamps.software;
    offset += align(cmsgLength);
  }
  return false;
}

/**
 * Waits, spinning, until receive stamping is live (see {@linkcode receiveStampingLive}), at most `budgetMs`. Call it
 * after enabling stamps on a socket and before that socket's first reply can arrive, so the first probe of a process
 * gets its receive stamp like every other. Costs one loopback round trip (~20 µs) when stamping is already live,
 * which it is whenever any socket on the system has it on.
 *
 * @param budgetMs The longest wait.
 * @returns `true` once live, `false` when the budget ran out, `null` when it cannot tell (no IPv4 loopback).
 *
 * @example Warm receive stamping before the first probe
 * ```ts
 * import { awaitReceiveStamping } from "./timestamping.ts";
 * console.log(awaitReceiveStamping(20));
 * ```
 */
export function awaitReceiveStamping(budgetMs: number): boolean | null {
  const deadline = monotonicMs() + budgetMs;
  for (;;) {
    const live = receiveStampingLive();
    if (live !== false || monotonicMs() >= deadline) return live;
  }
}

/** Sends whose key a {@linkcode TxKeyTable} remembers in counter mode: more than any window keeps in flight. */
export const TX_KEY_RING_SIZE = 65536;

/**
 * Turns the `ee_data` of a socket's transmit stamps back into the key of the send they belong to.
 *
 * Each send carries its probe key in an `SCM_TS_OPT_ID` cmsg (Linux 6.13+), and the stamp's `ee_data` is that key.
 * A kernel that refuses the cmsg (EINVAL on the first send) gets the same send again without it, and from then on
 * `ee_data` is the socket's `OPT_ID` counter, which counts successful sends from 0 (on 6.18 a send that fails —
 * EAGAIN, ENOBUFS, a pending ICMP error — takes no value; measured by bench/tx_stamps_probe.ts): the table then
 * remembers the key of each of the last {@linkcode TX_KEY_RING_SIZE} successful sends by counter.
 */
export class TxKeyTable {
  #mode: "unknown" | "cmsg" | "counter" = "unknown";
  #ring: Float64Array | null = null;
  #sent = 0;

  /** `"cmsg"` or `"counter"` once a send has told, `"unknown"` before. */
  get mode(): "unknown" | "cmsg" | "counter" {
    return this.#mode;
  }

  /** Whether the next send should carry its key in an `SCM_TS_OPT_ID` cmsg. */
  get cmsg(): boolean {
    return this.#mode !== "counter";
  }

  /**
   * Records the outcome of a send of `key`.
   *
   * @param key The probe key the send carried (or would have, without the cmsg).
   * @param failure The send's errno, 0 when it was sent.
   * @param withCmsg Whether the send carried the `SCM_TS_OPT_ID` cmsg.
   * @returns `true` when the same send must be repeated without the cmsg (the kernel refused it).
   *
   * @example Keys by counter on a kernel without SCM_TS_OPT_ID
   * ```ts
   * import { TxKeyTable } from "./timestamping.ts";
   * const keys = new TxKeyTable();
   * console.log(keys.afterSend(0x1234_0007, 22, true)); // true: EINVAL, send again without the cmsg
   * keys.afterSend(0x1234_0007, 0, false);
   * console.log(keys.keyOf(0).toString(16)); // "12340007"
   * ```
   */
  afterSend(key: number, failure: number, withCmsg: boolean): boolean {
    if (withCmsg && failure === Errno.EINVAL && this.#mode === "unknown") {
      this.#mode = "counter";
      return true;
    }
    if (failure !== 0) return false;
    if (withCmsg) {
      this.#mode = "cmsg";
    } else {
      this.#ring ??= new Float64Array(TX_KEY_RING_SIZE);
      this.#ring[this.#sent % TX_KEY_RING_SIZE] = key;
      // ee_data is a u32: the counter wraps there, and 2 ** 32 is a multiple of the ring size.
      this.#sent = (this.#sent + 1) >>> 0;
    }
    return false;
  }

  /**
   * The key of the send a stamp with this `ee_data` belongs to; -1 when unknown (counter mode before that send).
   *
   * @param eeData The stamp's `ee_data`.
   * @returns The send's key, or -1.
   */
  keyOf(eeData: number): number {
    if (this.#mode !== "counter") return eeData;
    if (this.#ring === null) return -1;
    return this.#ring[eeData % TX_KEY_RING_SIZE];
  }
}
