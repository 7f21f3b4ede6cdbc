/**
 * One ICMP socket: raw or datagram, IPv4 or IPv6, nonblocking, with every receive option miniping reads.
 *
 * @module
 */
import { ReceivedAncillary } from "./cmsg.ts";
import { monotonicMs, Stamp } from "./clock.ts";
import {
  AF_INET,
  AF_INET6,
  CLOCK_MONOTONIC,
  CLOCK_REALTIME,
  ICMP6_FILTER,
  ICMP6_FILTER_SIZE,
  ICMP_FILTER,
  IP_RECVERR,
  IP_RECVTTL,
  IPPROTO_ICMP,
  IPPROTO_ICMPV6,
  IPPROTO_IP,
  IPPROTO_IPV6,
  IPV6_RECVERR,
  IPV6_RECVHOPLIMIT,
  MSG_DONTWAIT,
  MSG_ERRQUEUE,
  SCM_TS_OPT_ID,
  SO_BINDTODEVICE,
  SO_BROADCAST,
  SO_ERROR,
  SO_RCVBUF,
  SO_RCVBUFFORCE,
  SO_TIMESTAMPNS,
  SOCK_CLOEXEC,
  SOCK_DGRAM,
  SOCK_NONBLOCK,
  SOCK_RAW,
  SOL_RAW,
  SOL_SOCKET,
} from "./constants.ts";
import { errno, SystemCallError } from "./errno.ts";
import { addressSpan } from "./sockaddr.ts";
import { libc } from "./libc.ts";
import {
  cInt,
  CMSGHDR,
  cmsgLen,
  cmsgSpace,
  IOVEC,
  MMSGHDR,
  MSGHDR,
  readU64,
  SOCKADDR_IN,
  SOCKADDR_IN6,
  SOCKADDR_STORAGE_SIZE,
  writePointer,
  writeU64,
} from "./structs.ts";
import { awaitReceiveStamping, enableTimestamping, TxKeyTable } from "./timestamping.ts";

/** Raw sockets need CAP_NET_RAW; datagram ICMP sockets need the caller's group in `net.ipv4.ping_group_range`. */
export type IcmpSocketKind = "raw" | "datagram";

/** An empty name, shared. */
const NO_BYTES = new Uint8Array(0);
/** The largest IP datagram, so no reply is ever cut short. */
const MAX_DATAGRAM = 65535;
/** Room for the stamp, the TTL and an extended error with its offender, with slack. */
const CONTROL_SIZE = 512;
/** Room of the per-send `SCM_TS_OPT_ID` cmsg (a u32 key). */
const OPT_ID_SPACE = cmsgSpace(4);
/**
 * The longest the first socket of a process waits for the kernel to switch receive stamping on (it does so lazily,
 * for the whole system, when no socket had it on): replies that arrive before the switch carry no stamp.
 */
const RECEIVE_STAMPING_WAIT_MS = 20;
let receiveStampingChecked = false;
/** The receive buffer a socket starts with; {@linkcode IcmpSocket.growReceiveBuffer} raises it for larger windows. */
const RECEIVE_BUFFER_BYTES = 1024 * 1024;

/** ICMP types a raw socket lets through by default: replies and the errors that quote our probes. */
const RAW4_ACCEPT = [0, 3, 4, 11, 12];
const RAW6_ACCEPT = [1, 2, 3, 4, 129];

/** Options of {@linkcode IcmpSocket.open}. */
export interface IcmpSocketOptions {
  /** ICMP types a raw socket receives; the rest are dropped in the kernel. Defaults to replies and errors. */
  accept?: readonly number[];
  /** Network interface to bind to (`SO_BINDTODEVICE`), as iputils' `-I IFACE`. */
  device?: string | undefined;
  /** Allow broadcast destinations (`SO_BROADCAST`). */
  broadcast?: boolean | undefined;
}

/** A message buffer set: msghdr, iovec, name and control, kept together because the msghdr holds raw pointers. */
class MessageBuffers {
  readonly header = new Uint8Array(MSGHDR.size);
  readonly headerView = new DataView(this.header.buffer);
  readonly iov = new Uint8Array(IOVEC.size);
  readonly iovView = new DataView(this.iov.buffer);
  readonly data: Uint8Array;
  readonly name: Uint8Array;
  readonly control: Uint8Array;
  readonly controlView: DataView;
  /** The control buffer's address, kept so a send can switch `msg_control` between it and NULL cheaply. */
  readonly controlPointer: bigint;

  constructor(dataSize: number, nameSize: number, controlSize: number) {
    this.data = new Uint8Array(dataSize);
    this.name = new Uint8Array(nameSize);
    this.control = new Uint8Array(controlSize);
    this.controlView = new DataView(this.control.buffer);
    writePointer(this.iovView, IOVEC.base, this.data);
    writeU64(this.iovView, IOVEC.len, dataSize);
    writePointer(this.headerView, MSGHDR.name, this.name);
    writePointer(this.headerView, MSGHDR.iov, this.iov);
    writeU64(this.headerView, MSGHDR.iovlen, 1);
    writePointer(this.headerView, MSGHDR.control, this.control);
    this.controlPointer = this.headerView.getBigUint64(MSGHDR.control, true);
  }

  /** Sets the lengths the kernel reads (send) or may fill up to (receive): they are value-result fields. */
  setLengths(
    dataLength: number,
    nameLength: number,
    controlLength: number,
  ): void {
    writeU64(this.iovView, IOVEC.len, dataLength);
    this.headerView.setUint32(MSGHDR.namelen, nameLength, true);
    writeU64(this.headerView, MSGHDR.controllen, controlLength);
    this.headerView.setInt32(MSGHDR.flags, 0, true);
  }
}

/** Messages one `recvmmsg` may return. */
export const RECEIVE_BATCH = 64;
/**
 * Data bytes per batch slot: room for an IPv4 header with options and an echo reply with a 4,000-byte payload.
 * Sockets whose probes are larger read one message at a time into a 64 KiB buffer instead.
 */
export const BATCH_SLOT_BYTES = 4096;
/**
 * Data bytes per slot of an error-queue batch: transmit stamps carry no data (OPT_TSONLY), and an ICMP error's data
 * is the probe it quotes. Sockets whose probes are larger read their error queue one entry at a time.
 */
export const ERROR_BATCH_SLOT_BYTES = 1024;

/** The buffers of one `recvmmsg` call: an mmsghdr array whose slots point into shared data, name and control arrays. */
class BatchBuffers {
  readonly vector = new Uint8Array(RECEIVE_BATCH * MMSGHDR.size);
  readonly view = new DataView(this.vector.buffer);
  readonly data: Uint8Array;
  readonly names = new Uint8Array(RECEIVE_BATCH * SOCKADDR_STORAGE_SIZE);
  readonly controls = new Uint8Array(RECEIVE_BATCH * CONTROL_SIZE);
  readonly iovs = new Uint8Array(RECEIVE_BATCH * IOVEC.size);
  /** Per-slot views, made once. */
  readonly slotData: Uint8Array[] = [];
  readonly slotNames: Uint8Array[] = [];
  readonly slotControls: Uint8Array[] = [];
  readonly slotControlViews: DataView[] = [];
  /**
   * The last data view made of each slot, handed out again while the length repeats (every reply of a run has the
   * same size): a fresh view per message cost ~100 B of garbage each.
   */
  readonly #dataViews: Uint8Array[] = [];

  constructor(readonly slotBytes: number) {
    this.data = new Uint8Array(RECEIVE_BATCH * slotBytes);
    const iovView = new DataView(this.iovs.buffer);
    for (let i = 0; i < RECEIVE_BATCH; i++) {
      const data = this.data.subarray(i * slotBytes, (i + 1) * slotBytes);
      const name = this.names.subarray(i * SOCKADDR_STORAGE_SIZE, (i + 1) * SOCKADDR_STORAGE_SIZE);
      const control = this.controls.subarray(i * CONTROL_SIZE, (i + 1) * CONTROL_SIZE);
      writePointer(iovView, i * IOVEC.size + IOVEC.base, data);
      writeU64(iovView, i * IOVEC.size + IOVEC.len, slotBytes);
      const at = i * MMSGHDR.size + MMSGHDR.header;
      writePointer(this.view, at + MSGHDR.name, name);
      writePointer(this.view, at + MSGHDR.iov, this.iovs.subarray(i * IOVEC.size, (i + 1) * IOVEC.size));
      writeU64(this.view, at + MSGHDR.iovlen, 1);
      writePointer(this.view, at + MSGHDR.control, control);
      this.slotData.push(data);
      this.slotNames.push(name);
      this.slotControls.push(control);
      this.slotControlViews.push(new DataView(this.controls.buffer, i * CONTROL_SIZE, CONTROL_SIZE));
    }
  }

  /** The first `length` bytes of slot `i`'s data, as a view that may be the one returned last time for that slot. */
  dataView(i: number, length: number): Uint8Array {
    const last = this.#dataViews[i];
    if (last !== undefined && last.length === length) return last;
    return this.#dataViews[i] = this.slotData[i].subarray(0, length);
  }

  /**
   * Slots whose value-result fields a call may have changed: those it returned, and the one after (where a call that
   * fails part-way stopped). All of them before the first call.
   */
  #dirty = RECEIVE_BATCH;

  /** Records that the last call returned `n` messages (or failed, `n` ≤ 0). */
  used(n: number): void {
    this.#dirty = Math.min(RECEIVE_BATCH, Math.max(n, 0) + 1);
  }

  /**
   * Resets the value-result lengths before a call, of the slots the last call may have changed: a batch that brought
   * two messages costs two resets, not 64.
   */
  reset(): void {
    const dirty = this.#dirty;
    this.#dirty = 0;
    for (let i = 0; i < dirty; i++) {
      const at = i * MMSGHDR.size + MMSGHDR.header;
      this.view.setUint32(at + MSGHDR.namelen, SOCKADDR_STORAGE_SIZE, true);
      writeU64(this.view, at + MSGHDR.controllen, CONTROL_SIZE);
      this.view.setInt32(at + MSGHDR.flags, 0, true);
    }
  }
}

/** Messages one `sendmmsg` may carry. */
export const SEND_BATCH = 64;
/** The largest packet a send batch slot holds; larger packets go out alone through {@linkcode IcmpSocket.send}. */
export const SEND_SLOT_BYTES = 2048;

/** The buffers of one `sendmmsg` call: {@linkcode SEND_BATCH} slots, each with its own data, name and control. */
class SendBatch {
  readonly vector = new Uint8Array(SEND_BATCH * MMSGHDR.size);
  readonly view = new DataView(this.vector.buffer);
  readonly #data = new Uint8Array(SEND_BATCH * SEND_SLOT_BYTES);
  readonly #names = new Uint8Array(SEND_BATCH * SOCKADDR_STORAGE_SIZE);
  readonly #controls = new Uint8Array(SEND_BATCH * CONTROL_SIZE);
  readonly #controlsView = new DataView(this.#controls.buffer);
  readonly #iovs = new Uint8Array(SEND_BATCH * IOVEC.size);
  readonly #iovView = new DataView(this.#iovs.buffer);
  /** The key each staged message carries. */
  readonly keys = new Float64Array(SEND_BATCH);
  /** `msg_control` of each slot, kept to switch between it and NULL. */
  readonly #controlPointers: bigint[] = [];
  /** Staged messages are `[start, end)`; `start` moves past those sent. */
  start = 0;
  end = 0;

  /** Messages staged and not yet sent. */
  get count(): number {
    return this.end - this.start;
  }

  /** Forgets the first `count` messages (sent, or refused for good). */
  drop(count: number): void {
    this.start += count;
    if (this.start >= this.end) this.start = this.end = 0;
  }

  constructor() {
    for (let i = 0; i < SEND_BATCH; i++) {
      const at = i * MMSGHDR.size + MMSGHDR.header;
      writePointer(this.#iovView, i * IOVEC.size + IOVEC.base, this.#data.subarray(i * SEND_SLOT_BYTES));
      writePointer(this.view, at + MSGHDR.name, this.#names.subarray(i * SOCKADDR_STORAGE_SIZE));
      writePointer(this.view, at + MSGHDR.iov, this.#iovs.subarray(i * IOVEC.size));
      writeU64(this.view, at + MSGHDR.iovlen, 1);
      writePointer(this.view, at + MSGHDR.control, this.#controls.subarray(i * CONTROL_SIZE));
      this.#controlPointers.push(this.view.getBigUint64(at + MSGHDR.control, true));
    }
  }

  /** Copies one message into the next free slot (the caller checked there is one). */
  put(packet: Uint8Array, sockaddr: Uint8Array, control: Uint8Array | null, key: number, withCmsg: boolean): void {
    const i = this.end++;
    this.keys[i] = key;
    this.#data.set(packet, i * SEND_SLOT_BYTES);
    this.#names.set(sockaddr, i * SOCKADDR_STORAGE_SIZE);
    const base = i * CONTROL_SIZE;
    let controlLength = 0;
    if (control !== null) {
      this.#controls.set(control, base);
      controlLength = control.length;
    }
    if (withCmsg) {
      // This message's own key: its transmit stamp comes back under it whatever else shares the call.
      // Control items are CMSG_SPACE-sized, so the end of `control` is aligned for one more.
      const view = this.#controlsView;
      const at = base + controlLength;
      writeU64(view, at + CMSGHDR.len, cmsgLen(4));
      view.setInt32(at + CMSGHDR.level, SOL_SOCKET, true);
      view.setInt32(at + CMSGHDR.type, SCM_TS_OPT_ID, true);
      view.setUint32(at + CMSGHDR.data, key >>> 0, true);
      controlLength += OPT_ID_SPACE;
    }
    writeU64(this.#iovView, i * IOVEC.size + IOVEC.len, packet.length);
    const at = i * MMSGHDR.size + MMSGHDR.header;
    this.view.setUint32(at + MSGHDR.namelen, sockaddr.length, true);
    writeU64(this.view, at + MSGHDR.controllen, controlLength);
    this.view.setBigUint64(at + MSGHDR.control, controlLength === 0 ? 0n : this.#controlPointers[i], true);
    this.view.setInt32(at + MSGHDR.flags, 0, true);
  }
}

/**
 * A nonblocking ICMP socket. Sending and receiving never throw on the hot path: they return an errno instead.
 * `close()` is idempotent.
 */
export class IcmpSocket implements Disposable {
  #fd: number;
  /** 4 or 6. */
  readonly family: 4 | 6;
  /** Raw or datagram. */
  readonly kind: IcmpSocketKind;
  readonly #tx: MessageBuffers;
  readonly #rx: MessageBuffers;
  #batch: BatchBuffers | undefined;
  #errorBatch: BatchBuffers | undefined;
  /** Where {@linkcode IcmpSocket.stage} puts messages. */
  #sendBatch: SendBatch | undefined;
  /** The batch a worker thread is sending (see {@linkcode IcmpSocket.launchStaged}), or null. */
  #flying: SendBatch | null = null;
  /** A landed batch's unsent messages: they leave before the staged ones. */
  #leftover: SendBatch | null = null;
  /** An empty batch for the next launch to stage into. */
  #spareBatch: SendBatch | undefined;
  /** The descriptor kept open by {@linkcode IcmpSocket.close} until the batch in flight lands. */
  #heldFd = -1;
  /** Callers of {@linkcode IcmpSocket.whenClosed} waiting for that landing. */
  #closeWaiters: (() => void)[] = [];
  /** Where callers build the next packet before {@linkcode IcmpSocket.send}. */
  readonly packet: Uint8Array;
  readonly #sentMonotonic = new Stamp(CLOCK_MONOTONIC);
  readonly #sentRealtime = new Stamp(CLOCK_REALTIME);
  /** CLOCK_REALTIME ms (clock.ts scale), taken immediately before the last `sendmsg` or staged batch's first message. */
  sentRealtime = 0;
  /** CLOCK_MONOTONIC ms, taken just before {@linkcode IcmpSocket.sentRealtime}. */
  sentMonotonic = 0;
  /** The received message's data: valid until the next receive. */
  received: Uint8Array = new Uint8Array(0);
  /** The sender's sockaddr (the original destination, for an error-queue entry). */
  receivedName: Uint8Array = new Uint8Array(0);
  /** The address bytes inside {@linkcode IcmpSocket.receivedName} (`sin_addr` / `sin6_addr`). */
  receivedAddress: Uint8Array = new Uint8Array(0);
  /** CLOCK_MONOTONIC ms right after the last successful receive. */
  receivedMonotonic = 0;
  /** `msg_flags` of the last receive (`MSG_CTRUNC` tells a cut control buffer). */
  receivedFlags = 0;
  /** The last receive's control data: the first {@linkcode IcmpSocket.receivedControlLength} bytes of this view. */
  receivedControl: DataView;
  /** `msg_controllen` of the last receive. */
  receivedControlLength = 0;
  /**
   * Whether the kernel stamps this socket's sends and receives (`SO_TIMESTAMPING`); when it refused, receive stamps
   * come from `SO_TIMESTAMPNS` and there are no transmit stamps.
   */
  txStamps = false;
  /** Maps a transmit stamp's `ee_data` back to the key given to {@linkcode IcmpSocket.send}. */
  readonly txKeys: TxKeyTable = new TxKeyTable();
  /** Ancillary data of the last receive. */
  get ancillary(): ReceivedAncillary {
    // Parsed on first use: a transmit stamp's entry is read by readTxStamp alone.
    if (this.#unparsedControl !== null) {
      this.#ancillary.parse(this.#unparsedControl, this.#unparsedView!, this.#unparsedLength);
      this.#unparsedControl = null;
    }
    return this.#ancillary;
  }
  readonly #ancillary = new ReceivedAncillary();
  /** The control data of the last receive while {@linkcode IcmpSocket.ancillary} has not parsed it. */
  #unparsedControl: Uint8Array | null = null;
  #unparsedView: DataView | null = null;
  #unparsedLength = 0;

  /** Keeps the received control data for {@linkcode IcmpSocket.ancillary} to parse when asked. */
  #setControl(control: Uint8Array, view: DataView, length: number): void {
    this.#unparsedControl = control;
    this.#unparsedView = view;
    this.#unparsedLength = length;
  }
  /** Where the address sits in a sockaddr of this family. */
  readonly #span: { offset: number; length: number };
  /** The size of a sockaddr of this family: what the kernel fills in for every message. */
  readonly #nameSize: number;
  /** Views made once for a full-size name (every message, in practice), so a receive allocates none. */
  readonly #rxName: Uint8Array;
  readonly #rxAddress: Uint8Array;
  #slotNames: Uint8Array[] = [];
  #slotAddresses: Uint8Array[] = [];
  #errorSlotNames: Uint8Array[] = [];
  #errorSlotAddresses: Uint8Array[] = [];

  private constructor(fd: number, family: 4 | 6, kind: IcmpSocketKind) {
    this.#fd = fd;
    this.family = family;
    this.kind = kind;
    this.#tx = new MessageBuffers(
      MAX_DATAGRAM,
      SOCKADDR_STORAGE_SIZE,
      CONTROL_SIZE,
    );
    this.#rx = new MessageBuffers(
      MAX_DATAGRAM,
      SOCKADDR_STORAGE_SIZE,
      CONTROL_SIZE,
    );
    this.packet = this.#tx.data;
    this.receivedControl = this.#rx.controlView;
    this.#span = addressSpan(family);
    this.#nameSize = family === 4 ? SOCKADDR_IN.size : SOCKADDR_IN6.size;
    this.#rxName = this.#rx.name.subarray(0, this.#nameSize);
    this.#rxAddress = this.#rxName.subarray(this.#span.offset, this.#span.offset + this.#span.length);
  }

  /** Sets the received name and its address from a name buffer, with views made once when it is full size. */
  #setName(name: Uint8Array, length: number, fullName?: Uint8Array, fullAddress?: Uint8Array): void {
    if (length === this.#nameSize && fullName !== undefined && fullAddress !== undefined) {
      this.receivedName = fullName;
      this.receivedAddress = fullAddress;
      return;
    }
    if (length === 0) {
      // A transmit stamp's entry has no name: no views for it.
      this.receivedName = this.receivedAddress = NO_BYTES;
      return;
    }
    this.receivedName = name.subarray(0, length);
    this.receivedAddress = this.receivedName.subarray(this.#span.offset, this.#span.offset + this.#span.length);
  }

  /**
   * Opens a socket and turns on kernel transmit and receive stamps, reply TTL / hop limit, and (datagram) the error
   * queue.
   * Throws {@linkcode SystemCallError} when the kernel refuses the socket (EPERM, EACCES, …).
   */
  static open(family: 4 | 6, kind: IcmpSocketKind, options: IcmpSocketOptions = {}): IcmpSocket {
    const c = libc();
    const fd = c.socket(
      family === 4 ? AF_INET : AF_INET6,
      (kind === "raw" ? SOCK_RAW : SOCK_DGRAM) | SOCK_NONBLOCK | SOCK_CLOEXEC,
      family === 4 ? IPPROTO_ICMP : IPPROTO_ICMPV6,
    );
    if (fd === -1) throw new SystemCallError("socket", errno());
    const socket = new IcmpSocket(fd, family, kind);
    try {
      socket.#configure(options.accept ?? (family === 4 ? RAW4_ACCEPT : RAW6_ACCEPT));
      if (options.broadcast === true) socket.#setOption(SOL_SOCKET, SO_BROADCAST, cInt(1), "SO_BROADCAST");
      if (options.device !== undefined) {
        const name = new TextEncoder().encode(`${options.device}\0`);
        socket.#setOption(SOL_SOCKET, SO_BINDTODEVICE, name, "SO_BINDTODEVICE");
      }
    } catch (error) {
      socket.close();
      throw error;
    }
    return socket;
  }

  #setOption(
    level: number,
    name: number,
    value: Uint8Array,
    what: string,
  ): void {
    if (libc().setsockopt(this.#fd, level, name, value, value.length) === -1) {
      throw new SystemCallError(`setsockopt(${what})`, errno());
    }
  }

  #configure(accept: readonly number[]): void {
    const on = cInt(1);
    // Always on: each ping chooses whether to use the stamps, and a shared socket serves both kinds of caller.
    // Not SO_TIMESTAMPNS beside it: for a packet that arrived unstamped it makes the kernel stamp it at recvmsg
    // time, silently, in both cmsgs; alone, SO_TIMESTAMPING just leaves the stamp out, and the RTT says so.
    this.txStamps = enableTimestamping(this.#fd) === 0;
    if (!this.txStamps) {
      this.#setOption(SOL_SOCKET, SO_TIMESTAMPNS, on, "SO_TIMESTAMPNS");
    } else if (!receiveStampingChecked) {
      receiveStampingChecked = true;
      // Before any probe: the first reply of a process then has its receive stamp like every other.
      awaitReceiveStamping(RECEIVE_STAMPING_WAIT_MS);
    }
    this.growReceiveBuffer(RECEIVE_BUFFER_BYTES);
    if (this.family === 4) {
      this.#setOption(IPPROTO_IP, IP_RECVTTL, on, "IP_RECVTTL");
      if (this.kind === "datagram") {
        this.#setOption(IPPROTO_IP, IP_RECVERR, on, "IP_RECVERR");
      } else {
        // A raw socket sees every ICMP message of the namespace, our own echo requests on loopback included.
        let blocked = 0xffffffff;
        for (const type of accept) if (type < 32) blocked &= ~(1 << type);
        const mask = new Uint8Array(4);
        new DataView(mask.buffer).setUint32(0, blocked >>> 0, true);
        this.#setOption(SOL_RAW, ICMP_FILTER, mask, "ICMP_FILTER");
      }
    } else {
      this.#setOption(IPPROTO_IPV6, IPV6_RECVHOPLIMIT, on, "IPV6_RECVHOPLIMIT");
      if (this.kind === "datagram") {
        this.#setOption(IPPROTO_IPV6, IPV6_RECVERR, on, "IPV6_RECVERR");
      } else {
        const filter = new Uint32Array(ICMP6_FILTER_SIZE / 4).fill(0xffffffff);
        for (const type of accept) {
          filter[type >> 5] &= ~(1 << (type & 31));
        }
        this.#setOption(
          IPPROTO_ICMPV6,
          ICMP6_FILTER,
          new Uint8Array(filter.buffer),
          "ICMP6_FILTER",
        );
      }
    }
  }

  /**
   * Raises the receive buffer to at least `bytes` (never lowers it) and returns the kernel's budget: the read-back
   * value, which is twice what was asked and counts each queued packet at its truesize (~830 B for a 64-byte reply).
   * Without CAP_NET_ADMIN the kernel caps the request at `net.core.rmem_max`.
   */
  growReceiveBuffer(bytes: number): number {
    const current = this.#intOption(SOL_SOCKET, SO_RCVBUF);
    if (current >= 2 * bytes) return current;
    const value = cInt(Math.min(bytes, 2 ** 30));
    if (libc().setsockopt(this.#fd, SOL_SOCKET, SO_RCVBUFFORCE, value, 4) === -1) {
      libc().setsockopt(this.#fd, SOL_SOCKET, SO_RCVBUF, value, 4);
    }
    return this.#intOption(SOL_SOCKET, SO_RCVBUF);
  }

  /**
   * Reads and clears the socket's pending error (`sk_err`, set by every ICMP error on a socket with IP_RECVERR),
   * so that it cannot fail the next send. Returns the errno, 0 when none was pending.
   */
  takeError(): number {
    return this.#intOption(SOL_SOCKET, SO_ERROR);
  }

  /** The bound port: on a datagram ICMP socket the echo identifier the kernel chose (0 before the first send). */
  localPort(): number {
    const name = new Uint8Array(SOCKADDR_STORAGE_SIZE);
    const length = new Uint8Array(4);
    new DataView(length.buffer).setUint32(0, name.length, true);
    if (libc().getsockname(this.#fd, name, length) === -1) throw new SystemCallError("getsockname", errno());
    // sin_port and sin6_port sit at the same offset, in network byte order.
    return (name[2] << 8) | name[3];
  }

  #intOption(level: number, name: number): number {
    const value = new Uint8Array(4);
    const length = new Uint8Array(4);
    new DataView(length.buffer).setUint32(0, 4, true);
    if (libc().getsockopt(this.#fd, level, name, value, length) === -1) {
      throw new SystemCallError("getsockopt", errno());
    }
    return new DataView(value.buffer).getInt32(0, true);
  }

  /** The descriptor, or -1 once closed. */
  get fd(): number {
    return this.#fd;
  }

  /**
   * Sends the first `length` bytes of {@linkcode IcmpSocket.packet} to `sockaddr`, with optional per-packet
   * `control` (see `encodeSendControl`). The send stamps are taken immediately before `sendmsg`. With
   * {@linkcode IcmpSocket.txStamps}, the kernel's transmit stamp of this send comes back on the error queue under
   * `txKey` (see {@linkcode IcmpSocket.txKeys}). Returns 0, or the errno of a failed send.
   */
  send(
    length: number,
    sockaddr: Uint8Array,
    control: Uint8Array | null,
    txKey = 0,
  ): number {
    const tx = this.#tx;
    tx.name.set(sockaddr);
    let controlLength = 0;
    if (control !== null) {
      tx.control.set(control);
      controlLength = control.length;
    }
    const withCmsg = this.txStamps && this.txKeys.cmsg;
    if (withCmsg) {
      // Control items are CMSG_SPACE-sized, so the end of `control` is aligned for one more.
      const view = tx.controlView;
      writeU64(view, controlLength + CMSGHDR.len, cmsgLen(4));
      view.setInt32(controlLength + CMSGHDR.level, SOL_SOCKET, true);
      view.setInt32(controlLength + CMSGHDR.type, SCM_TS_OPT_ID, true);
      view.setUint32(controlLength + CMSGHDR.data, txKey >>> 0, true);
      controlLength += OPT_ID_SPACE;
    }
    tx.setLengths(length, sockaddr.length, controlLength);
    // msg_control must be NULL when there is none: some paths reject a non-NULL pointer with zero length.
    tx.headerView.setBigUint64(MSGHDR.control, controlLength === 0 ? 0n : tx.controlPointer, true);
    // Raw readings first, conversions after the call: nothing between the clock and the send may allocate.
    this.#sentMonotonic.take();
    this.#sentRealtime.take();
    const sent = libc().sendmsg(this.#fd, tx.header, 0);
    const failure = sent === -1 ? errno() : 0;
    this.sentMonotonic = this.#sentMonotonic.ms;
    this.sentRealtime = this.#sentRealtime.ms;
    // A kernel without SCM_TS_OPT_ID refuses the first send with it: send again, keyed by counter from then on.
    if (this.txStamps && this.txKeys.afterSend(txKey, failure, withCmsg)) {
      return this.send(length, sockaddr, control, txKey);
    }
    return failure;
  }

  /**
   * Whether the next send of `length` bytes can be staged with {@linkcode IcmpSocket.stage}: it fits a slot, a
   * slot is free, and a kernel with transmit stamps has told how it keys them (the first send finds out, alone).
   */
  canStage(length: number): boolean {
    if (length > SEND_SLOT_BYTES || (this.txStamps && this.txKeys.mode === "unknown")) return false;
    return (this.#sendBatch?.end ?? 0) < SEND_BATCH;
  }

  /** Messages not yet sent: a landed batch's leftovers, then those staged (not those in flight). */
  get staged(): number {
    return (this.#leftover?.count ?? 0) + (this.#sendBatch?.count ?? 0);
  }

  /** Whether every slot of the staging batch is taken. */
  get stagingFull(): boolean {
    return (this.#sendBatch?.end ?? 0) === SEND_BATCH;
  }

  /**
   * Messages of a landed batch that its `sendmmsg` did not send: they leave first, through
   * {@linkcode IcmpSocket.sendStaged}.
   */
  get leftover(): number {
    return this.#leftover?.count ?? 0;
  }

  /** The key of the next message {@linkcode IcmpSocket.sendStaged} sends (see {@linkcode IcmpSocket.staged}). */
  get stagedKey(): number {
    const batch = this.#head()!;
    return batch.keys[batch.start];
  }

  /** The batch whose messages leave next: leftovers first. */
  #head(): SendBatch | undefined {
    const leftover = this.#leftover;
    if (leftover === null) return this.#sendBatch;
    if (leftover.count > 0) return leftover;
    // All sent (or dropped): the batch serves the next launch.
    this.#leftover = null;
    this.#spareBatch ??= leftover;
    return this.#sendBatch;
  }

  /**
   * Stages the first `length` bytes of {@linkcode IcmpSocket.packet} for the next {@linkcode IcmpSocket.sendStaged},
   * with its own destination, control and transmit-stamp key (only when {@linkcode IcmpSocket.canStage}). The send
   * stamps ({@linkcode IcmpSocket.sentMonotonic}, {@linkcode IcmpSocket.sentRealtime}) are taken once, when the
   * first message of a batch is staged: every message of the batch leaves after them.
   */
  stage(length: number, sockaddr: Uint8Array, control: Uint8Array | null, txKey = 0): void {
    const batch = this.#sendBatch ??= new SendBatch();
    if (batch.end === batch.start) {
      this.#sentMonotonic.take();
      this.#sentRealtime.take();
      this.#convertSendStamps();
    }
    const withCmsg = this.txStamps && this.txKeys.mode === "cmsg";
    batch.put(this.packet.subarray(0, length), sockaddr, control, txKey, withCmsg);
  }

  /** Makes the last raw clock readings {@linkcode IcmpSocket.sentMonotonic} and {@linkcode IcmpSocket.sentRealtime}. */
  #convertSendStamps(): void {
    this.sentMonotonic = this.#sentMonotonic.ms;
    this.sentRealtime = this.#sentRealtime.ms;
  }

  /**
   * Sends the next messages (a landed batch's leftovers, else the staged ones) with one `sendmmsg` on this thread.
   * Returns how many left (they are no longer staged), or minus the errno of the first message when none did: it
   * stays staged (see {@linkcode IcmpSocket.dropStaged}). Not while a batch is in flight.
   */
  sendStaged(): number {
    const batch = this.#head();
    if (batch === undefined || batch.count === 0) return 0;
    const vector = batch.vector.subarray(batch.start * MMSGHDR.size);
    const sent = libc().sendmmsg(this.#fd, vector, batch.count, 0);
    if (sent === -1) return -errno();
    this.#afterBatch(batch, sent);
    return sent;
  }

  /** Records `sent` messages of `batch` as sent. */
  #afterBatch(batch: SendBatch, sent: number): void {
    if (this.txStamps && this.txKeys.mode === "counter") {
      for (let i = 0; i < sent; i++) this.txKeys.afterSend(batch.keys[batch.start + i], 0, false);
    }
    batch.drop(sent);
  }

  /** Forgets the next `count` messages of {@linkcode IcmpSocket.sendStaged}'s (refused for good). */
  dropStaged(count: number): void {
    this.#head()?.drop(count);
  }

  /** The keys of the batch in flight (empty when none). */
  get flyingKeys(): Float64Array {
    const batch = this.#flying;
    return batch === null ? new Float64Array(0) : batch.keys.subarray(batch.start, batch.end);
  }

  /** Whether a batch is in flight on a worker thread. */
  get sending(): boolean {
    return this.#flying !== null;
  }

  /**
   * Whether {@linkcode IcmpSocket.launchStaged} may send the staged messages on a worker thread: none in flight, no
   * leftovers, and transmit stamps keyed by cmsg (counter keys are recorded after the call, and a stamp may be read
   * before a worker's call returns).
   */
  get canLaunch(): boolean {
    return this.#flying === null && this.leftover === 0 && this.#fd !== -1 &&
      (!this.txStamps || this.txKeys.mode === "cmsg");
  }

  /**
   * Sends the staged messages with one `sendmmsg` on a worker thread of Deno's blocking pool, so that the kernel's
   * work for them (on a veth path the whole echo runs inside the sender's call) overlaps the caller's. The send
   * stamps are taken again immediately before the call; staging goes on into another batch meanwhile. Resolves,
   * once the call returned, with how many left; the rest (all, for -1) become {@linkcode IcmpSocket.leftover},
   * to be sent on this thread, where errno can be read (the worker's is its own). Only when
   * {@linkcode IcmpSocket.canLaunch} and something is staged.
   */
  launchStaged(): Promise<number> {
    const batch = this.#sendBatch!;
    this.#flying = batch;
    this.#sendBatch = this.#spareBatch ?? new SendBatch();
    this.#spareBatch = undefined;
    const vector = batch.vector.subarray(batch.start * MMSGHDR.size);
    const count = batch.count;
    // Raw readings first, conversions after the call: nothing between the clock and the send may allocate.
    this.#sentMonotonic.take();
    this.#sentRealtime.take();
    const call = libc().sendmmsg_async(this.#fd, vector, count, 0);
    this.#convertSendStamps();
    // Deno does not pin buffers passed to nonblocking calls: `batch`, which owns every buffer the kernel reads
    // (the vector points into its data, name, control and iovec arrays), stays referenced by #flying until then.
    return call.then((sent) => this.#land(batch, sent), () => this.#land(batch, -1));
  }

  #land(batch: SendBatch, sent: number): number {
    this.#flying = null;
    if (sent > 0) this.#afterBatch(batch, sent);
    if (this.#heldFd !== -1) {
      // Closed while in flight: the descriptor was kept for the worker's call.
      libc().close(this.#heldFd);
      this.#heldFd = -1;
      batch.drop(batch.count);
      for (const resolve of this.#closeWaiters.splice(0)) resolve();
    }
    if (batch.count > 0) {
      this.#leftover = batch;
    } else {
      this.#spareBatch = batch;
    }
    return sent;
  }

  /**
   * Reads one message without blocking, from the error queue when `errorQueue` is set. Returns the byte count, or
   * minus the errno (`-EAGAIN` when nothing is queued). The message stays in {@linkcode IcmpSocket.received},
   * {@linkcode IcmpSocket.receivedName} and {@linkcode IcmpSocket.ancillary} until the next call.
   */
  receive(errorQueue: boolean): number {
    const rx = this.#rx;
    rx.setLengths(rx.data.length, rx.name.length, rx.control.length);
    const n = libc().recvmsg(
      this.#fd,
      rx.header,
      MSG_DONTWAIT | (errorQueue ? MSG_ERRQUEUE : 0),
    );
    if (n === -1) return -errno();
    this.receivedMonotonic = monotonicMs();
    this.received = rx.data.subarray(0, Math.min(n, rx.data.length));
    const nameLength = Math.min(rx.headerView.getUint32(MSGHDR.namelen, true), rx.name.length);
    this.#setName(rx.name, nameLength, this.#rxName, this.#rxAddress);
    const controlLength = Math.min(
      readU64(rx.headerView, MSGHDR.controllen),
      rx.control.length,
    );
    this.receivedFlags = rx.headerView.getInt32(MSGHDR.flags, true);
    this.receivedControl = rx.controlView;
    this.receivedControlLength = controlLength;
    this.#setControl(rx.control, rx.controlView, controlLength);
    return n;
  }

  /**
   * Reads up to {@linkcode RECEIVE_BATCH} messages from the normal queue in one `recvmmsg`, without blocking: one
   * system call and one FFI crossing for the lot. Each slot holds {@linkcode BATCH_SLOT_BYTES}; a longer datagram
   * is cut short there, so use this only while every expected reply fits. Returns how many were read (then
   * {@linkcode IcmpSocket.select} each), or minus the errno of a first message that failed.
   */
  receiveBatch(): number {
    const batch = this.#batch ??= this.#newBatch();
    batch.reset();
    const n = libc().recvmmsg(this.#fd, batch.vector, RECEIVE_BATCH, MSG_DONTWAIT, null);
    batch.used(n);
    if (n === -1) return -errno();
    this.receivedMonotonic = monotonicMs();
    return n;
  }

  #newBatch(): BatchBuffers {
    const batch = new BatchBuffers(BATCH_SLOT_BYTES);
    this.#slotNames = this.#fullNames(batch);
    this.#slotAddresses = this.#addressesOf(this.#slotNames);
    return batch;
  }

  #newErrorBatch(): BatchBuffers {
    const batch = new BatchBuffers(ERROR_BATCH_SLOT_BYTES);
    this.#errorSlotNames = this.#fullNames(batch);
    this.#errorSlotAddresses = this.#addressesOf(this.#errorSlotNames);
    return batch;
  }

  /** Per-slot views of a full-size name, made once. */
  #fullNames(batch: BatchBuffers): Uint8Array[] {
    return batch.slotNames.map((name) => name.subarray(0, this.#nameSize));
  }

  #addressesOf(names: Uint8Array[]): Uint8Array[] {
    const { offset, length } = this.#span;
    return names.map((name) => name.subarray(offset, offset + length));
  }

  /**
   * Reads up to {@linkcode RECEIVE_BATCH} entries of the error queue (transmit stamps, ICMP errors) in one
   * `recvmmsg`, without blocking, into slots of {@linkcode ERROR_BATCH_SLOT_BYTES}. Its buffers are its own, so it
   * may run while a {@linkcode IcmpSocket.receiveBatch} is being walked. Returns how many were read (then
   * {@linkcode IcmpSocket.selectError} each), or minus the errno.
   */
  receiveErrorBatch(): number {
    const batch = this.#errorBatch ??= this.#newErrorBatch();
    batch.reset();
    const n = libc().recvmmsg(this.#fd, batch.vector, RECEIVE_BATCH, MSG_DONTWAIT | MSG_ERRQUEUE, null);
    batch.used(n);
    return n === -1 ? -errno() : n;
  }

  /**
   * Makes entry `i` of the last {@linkcode IcmpSocket.receiveErrorBatch} the received message. Its views (data, name,
   * address) may be the ones an earlier message of the same slot had: like the bytes, they are valid until the next
   * receive.
   */
  selectError(i: number): void {
    const batch = this.#errorBatch!;
    const at = i * MMSGHDR.size;
    const length = batch.view.getUint32(at + MMSGHDR.len, true);
    this.received = batch.dataView(i, Math.min(length, ERROR_BATCH_SLOT_BYTES));
    const nameLength = batch.view.getUint32(at + MSGHDR.namelen, true);
    this.#setName(
      batch.slotNames[i],
      Math.min(nameLength, SOCKADDR_STORAGE_SIZE),
      this.#errorSlotNames[i],
      this.#errorSlotAddresses[i],
    );
    this.receivedFlags = batch.view.getInt32(at + MSGHDR.flags, true);
    this.receivedControl = batch.slotControlViews[i];
    this.receivedControlLength = Math.min(readU64(batch.view, at + MSGHDR.controllen), CONTROL_SIZE);
    this.#setControl(batch.slotControls[i], batch.slotControlViews[i], this.receivedControlLength);
  }

  /** Makes message `i` of the last {@linkcode IcmpSocket.receiveBatch} the received one (views as for `selectError`). */
  select(i: number): void {
    const batch = this.#batch!;
    const at = i * MMSGHDR.size;
    const length = batch.view.getUint32(at + MMSGHDR.len, true);
    this.received = batch.dataView(i, Math.min(length, BATCH_SLOT_BYTES));
    const nameLength = batch.view.getUint32(at + MSGHDR.namelen, true);
    this.#setName(
      batch.slotNames[i],
      Math.min(nameLength, SOCKADDR_STORAGE_SIZE),
      this.#slotNames[i],
      this.#slotAddresses[i],
    );
    const controlLength = Math.min(readU64(batch.view, at + MSGHDR.controllen), CONTROL_SIZE);
    this.#setControl(batch.slotControls[i], batch.slotControlViews[i], controlLength);
  }

  /** Closes the descriptor. Safe to call twice. */
  close(): void {
    if (this.#fd === -1) return;
    // A batch in flight still uses the descriptor: it is closed when the batch lands.
    if (this.#flying !== null) this.#heldFd = this.#fd;
    else libc().close(this.#fd);
    this.#fd = -1;
    // Staged messages die with the socket.
    this.#sendBatch?.drop(SEND_BATCH);
    this.#leftover?.drop(SEND_BATCH);
  }

  /**
   * Resolves once a closed socket's descriptor is released: at once, or when the batch in flight that still uses it
   * lands (see {@linkcode IcmpSocket.launchStaged}).
   */
  whenClosed(): Promise<void> {
    if (this.#heldFd === -1) return Promise.resolve();
    return new Promise((resolve) => this.#closeWaiters.push(resolve));
  }

  /** Same as {@linkcode IcmpSocket.close}, for `using`. */
  [Symbol.dispose](): void {
    this.close();
  }
}
