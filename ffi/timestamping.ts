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
  Errno,
  IP_RECVERR,
  IPPROTO_IP,
  IPPROTO_IPV6,
  IPV6_RECVERR,
  MSG_CTRUNC,
  SCM_TIMESTAMPING,
  SCM_TSTAMP_SND,
  SO_EE_ORIGIN_TIMESTAMPING,
  SO_TIMESTAMPING,
  SOF_TIMESTAMPING_OPT_ID,
  SOF_TIMESTAMPING_OPT_TSONLY,
  SOF_TIMESTAMPING_RX_SOFTWARE,
  SOF_TIMESTAMPING_SOFTWARE,
  SOF_TIMESTAMPING_TX_SOFTWARE,
  SOL_SOCKET,
} from "./constants.ts";
import { errno } from "./errno.ts";
import { libc } from "./libc.ts";
import { align, cInt, CMSGHDR, readU64, SOCK_EXTENDED_ERR, TIMESPEC } from "./structs.ts";

/**
 * The flags miniping sets: software stamps on transmit and receive, reported (`SOFTWARE`), each transmit stamp keyed
 * by the socket's send counter (`OPT_ID`) and delivered without a copy of the packet (`OPT_TSONLY`, which also
 * needs no privilege). `OPT_CMSG` is not needed: it only adds IPv4 packet info to transmit stamps.
 */
export const TIMESTAMPING_FLAGS: number = SOF_TIMESTAMPING_TX_SOFTWARE | SOF_TIMESTAMPING_RX_SOFTWARE |
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
        out.counter = view.getUint32(data + SOCK_EXTENDED_ERR.data, true);
      }
    }
    offset += align(cmsgLength);
  }
  if (errorSeen && origin !== SO_EE_ORIGIN_TIMESTAMPING) return "error";
  out.hasCounter = errorSeen;
  if (errorSeen && (eeErrno !== Errno.ENOMSG || info !== SCM_TSTAMP_SND)) return "foreign";
  if (!errorSeen && !stampSeen) return truncated ? "truncated" : "empty";
  // One half of a stamp entry without the other: the kernel always sends both, so the rest was cut off.
  if (!errorSeen || !stampSeen) return "truncated";
  if (!out.stamps.software) return "foreign";
  out.sec = out.stamps.softwareSec;
  out.nsec = out.stamps.softwareNsec;
  return "stamp";
}
