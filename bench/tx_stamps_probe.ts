/**
 * Prototype, not a test: proves kernel transmit stamps (`SO_TIMESTAMPING`, error queue, `OPT_ID`) on raw and
 * datagram ICMP sockets, IPv4 and IPv6, in the namespace lab, before the engine relies on them. It talks to libc
 * directly (its own tiny socket, not the engine's) and answers, per socket kind and family:
 *
 * - match: 1,000 probes in flight at once to 1,000 lab addresses; is every transmit stamp's `OPT_ID` counter the
 *   index of its send? Checked without trusting the counter: a send's software stamp is taken inside its own
 *   `sendmsg`, so it must fall between the clock readings just before and just after that call.
 * - order: one probe at a time, to the lab target and to loopback: does the reply ever become readable before the
 *   transmit stamp does?
 * - opt-id cmsg: does `SCM_TS_OPT_ID` (a per-send key, Linux 6.13+) set `ee_data` on this kind of socket?
 * - failed sends: does the counter advance for a send that failed (datagram: the pending ICMP error of an earlier
 *   probe; every kind: EAGAIN/ENOBUFS behind a slow `tbf` qdisc with a small send buffer)?
 * - race: in fresh processes, does the first reply after enabling lack its receive stamp, and does warming (an RX
 *   stamp check over loopback UDP before the first send) cure it?
 *
 * - placement: where SCHED and SND transmit stamps fall against tcpdump's capture tap (`--only placement`).
 *
 * Run as root from the repository root: `deno run -A bench/tx_stamps_probe.ts [--race 40] [--only placement]`. Prints
 * JSON lines.
 *
 * Found on Linux 6.18 (2026-11-30, 2 vCPU VM): 1,000 of 1,000 stamps in flight fell inside their own `sendmsg`, on all
 * four socket kinds; the stamp was always readable before the reply (50 of 50, lab target and loopback); SCM_TS_OPT_ID
 * set `ee_data` on all four; failed sends (EHOSTUNREACH from a pending ICMP error, EAGAIN, ENOBUFS) took no counter
 * value; the default 208 KiB receive buffer held only 128 stamps plus 128 replies (stamps share it); the lazy-enable
 * race did not show in 20 + 20 fresh processes because receive stamping was already on system-wide; SND came 9.7 …
 * 11.1 µs after tcpdump's tap and SCHED 2.2 … 2.6 µs before it.
 *
 * @module
 */
import { parseArgs } from "node:util";
import { fileURLToPath } from "node:url";
import { Lab, labAvailability } from "../tests/lab/lab.ts";
import { libc } from "../ffi/libc.ts";
import { errno } from "../ffi/errno.ts";
import {
  AF_INET,
  AF_INET6,
  CLOCK_REALTIME,
  Errno,
  ICMP6_FILTER,
  ICMP_FILTER,
  IP_RECVERR,
  IPPROTO_ICMP,
  IPPROTO_ICMPV6,
  IPPROTO_IP,
  IPPROTO_IPV6,
  IPV6_RECVERR,
  MSG_DONTWAIT,
  MSG_ERRQUEUE,
  SCM_TIMESTAMPING,
  SCM_TIMESTAMPNS,
  SCM_TS_OPT_ID,
  SO_RCVBUFFORCE,
  SO_TIMESTAMPNS,
  SOCK_DGRAM,
  SOCK_NONBLOCK,
  SOCK_RAW,
  SOL_RAW,
  SOL_SOCKET,
} from "../ffi/constants.ts";
import {
  align,
  cInt,
  CMSGHDR,
  cmsgLen,
  cmsgSpace,
  IOVEC,
  MSGHDR,
  readU64,
  TIMESPEC,
  writePointer,
  writeU64,
} from "../ffi/structs.ts";
import {
  enableTimestamping,
  KernelStamps,
  readScmTimestamping,
  readTxStamp,
  receiveStampingLive,
  TIMESTAMPING_FLAGS,
  TxStamp,
} from "../ffi/timestamping.ts";
import { toSocketAddress } from "../ffi/sockaddr.ts";
import { parseAddress, writeEchoRequest } from "../icmp/mod.ts";

type Kind = "raw" | "datagram";
const SO_SNDBUF = 7;
const SELF = fileURLToPath(import.meta.url);
/** Stamps are counted in ns from this second, so that a double holds them exactly. */
const BASE_SECOND = Math.floor(Date.now() / 1000) - 1;
const toNs = (sec: number, nsec: number) => (sec - BASE_SECOND) * 1e9 + nsec;

// ---------------------------------------------------------------------------------------------------------------
// A minimal socket

class ProbeSocket {
  readonly fd: number;
  readonly #txHeader = new Uint8Array(MSGHDR.size);
  readonly #txView = new DataView(this.#txHeader.buffer);
  readonly #txIov = new Uint8Array(IOVEC.size);
  readonly packet = new Uint8Array(2048);
  readonly #txName = new Uint8Array(128);
  readonly #txControl = new Uint8Array(64);
  readonly #rxHeader = new Uint8Array(MSGHDR.size);
  readonly #rxView = new DataView(this.#rxHeader.buffer);
  readonly #rxIov = new Uint8Array(IOVEC.size);
  readonly data = new Uint8Array(65536);
  readonly #rxName = new Uint8Array(128);
  readonly control = new Uint8Array(1024);
  readonly controlView = new DataView(this.control.buffer);
  controlLength = 0;
  flags = 0;
  readonly #clock = new Uint8Array(TIMESPEC.size);
  readonly #clockView = new DataView(this.#clock.buffer);

  constructor(readonly family: 4 | 6, readonly kind: Kind, protocol?: number) {
    const domain = family === 4 ? AF_INET : AF_INET6;
    const type = (kind === "raw" ? SOCK_RAW : SOCK_DGRAM) | SOCK_NONBLOCK;
    this.fd = libc().socket(domain, type, protocol ?? (family === 4 ? IPPROTO_ICMP : IPPROTO_ICMPV6));
    if (this.fd < 0) throw new Error(`socket: errno ${errno()}`);
    for (
      const [header, view, iov, name] of [
        [this.#txHeader, this.#txView, this.#txIov, this.#txName],
        [this.#rxHeader, this.#rxView, this.#rxIov, this.#rxName],
      ] as const
    ) {
      const iovView = new DataView(iov.buffer);
      writePointer(iovView, IOVEC.base, header === this.#txHeader ? this.packet : this.data);
      writePointer(view, MSGHDR.name, name);
      writePointer(view, MSGHDR.iov, iov);
      writeU64(view, MSGHDR.iovlen, 1);
    }
    writePointer(this.#rxView, MSGHDR.control, this.control);
  }

  option(level: number, name: number, value: Uint8Array): number {
    return libc().setsockopt(this.fd, level, name, value, value.length) === -1 ? errno() : 0;
  }

  /** Accept only echo replies on raw sockets (no other process's traffic, no own requests on loopback). */
  filterReplies(): void {
    if (this.kind !== "raw" || this.family === 4) {
      if (this.kind === "raw") {
        const filter = new Uint32Array(8).fill(0xffffffff);
        filter[129 >> 5] &= ~(1 << (129 & 31));
        this.option(IPPROTO_ICMPV6, ICMP6_FILTER, new Uint8Array(filter.buffer));
      }
      return;
    }
    const mask = new Uint8Array(4);
    new DataView(mask.buffer).setUint32(0, ~1 >>> 0, true);
    this.option(SOL_RAW, ICMP_FILTER, mask);
  }

  /** CLOCK_REALTIME now in ns since BASE_SECOND. */
  now(): number {
    libc().clock_gettime(CLOCK_REALTIME, this.#clock);
    return toNs(readU64(this.#clockView, 0), readU64(this.#clockView, 8));
  }

  /** sendmsg of `length` bytes of `packet`; `optId` adds an SCM_TS_OPT_ID cmsg. Returns [errno, before, after]. */
  send(length: number, sockaddr: Uint8Array, optId?: number): [number, number, number] {
    this.#txName.set(sockaddr);
    writeU64(new DataView(this.#txIov.buffer), IOVEC.len, length);
    this.#txView.setUint32(MSGHDR.namelen, sockaddr.length, true);
    if (optId === undefined) {
      this.#txView.setBigUint64(MSGHDR.control, 0n, true);
      writeU64(this.#txView, MSGHDR.controllen, 0);
    } else {
      const view = new DataView(this.#txControl.buffer);
      writeU64(view, CMSGHDR.len, cmsgLen(4));
      view.setInt32(CMSGHDR.level, SOL_SOCKET, true);
      view.setInt32(CMSGHDR.type, SCM_TS_OPT_ID, true);
      view.setUint32(CMSGHDR.data, optId >>> 0, true);
      writePointer(this.#txView, MSGHDR.control, this.#txControl);
      writeU64(this.#txView, MSGHDR.controllen, cmsgSpace(4));
    }
    const before = this.now();
    const sent = libc().sendmsg(this.fd, this.#txHeader, 0);
    const failure = sent === -1 ? errno() : 0;
    const after = this.now();
    return [failure, before, after];
  }

  /** Nonblocking recvmsg; returns bytes or -errno. */
  receive(errorQueue: boolean): number {
    writeU64(new DataView(this.#rxIov.buffer), IOVEC.len, this.data.length);
    this.#rxView.setUint32(MSGHDR.namelen, this.#rxName.length, true);
    writeU64(this.#rxView, MSGHDR.controllen, this.control.length);
    this.#rxView.setInt32(MSGHDR.flags, 0, true);
    const n = libc().recvmsg(this.fd, this.#rxHeader, MSG_DONTWAIT | (errorQueue ? MSG_ERRQUEUE : 0));
    if (n === -1) return -errno();
    this.controlLength = readU64(this.#rxView, MSGHDR.controllen);
    this.flags = this.#rxView.getInt32(MSGHDR.flags, true);
    return n;
  }

  /** The software receive stamp of the last message in ns, or null; and whether SCM_TIMESTAMPNS was present. */
  rxStamp(stamps: KernelStamps): { stamp: number | null; ns: boolean } {
    let stamp: number | null = null;
    let ns = false;
    for (let off = 0; off + CMSGHDR.size <= this.controlLength;) {
      const len = readU64(this.controlView, off);
      if (len < CMSGHDR.size) break;
      const level = this.controlView.getInt32(off + 8, true);
      const type = this.controlView.getInt32(off + 12, true);
      if (level === SOL_SOCKET && type === SCM_TIMESTAMPING) {
        if (readScmTimestamping(this.controlView, off + 16, len - 16, stamps) && stamps.software) {
          stamp = toNs(stamps.softwareSec, stamps.softwareNsec);
        }
      } else if (level === SOL_SOCKET && type === SCM_TIMESTAMPNS) {
        ns = true;
      }
      off += align(len);
    }
    return { stamp, ns };
  }

  /** The echo reply's seq of the last normal-queue message, or -1. */
  replySeq(): number {
    let offset = 0;
    if (this.family === 4 && this.kind === "raw") offset = (this.data[0] & 0xf) * 4;
    const type = this.data[offset];
    if (type !== (this.family === 4 ? 0 : 129)) return -1;
    return (this.data[offset + 6] << 8) | this.data[offset + 7];
  }

  close(): void {
    libc().close(this.fd);
  }
}

function sockaddrOf(text: string): Uint8Array {
  return toSocketAddress(parseAddress(text)!).sockaddr;
}

const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

function median(values: number[]): number {
  if (values.length === 0) return NaN;
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)];
}

/** Opens a probe socket with the engine's receive options plus SO_TIMESTAMPING. */
function openStamped(family: 4 | 6, kind: Kind, withNs = true): ProbeSocket {
  const socket = new ProbeSocket(family, kind);
  socket.filterReplies();
  if (kind === "datagram") {
    socket.option(family === 4 ? IPPROTO_IP : IPPROTO_IPV6, family === 4 ? IP_RECVERR : IPV6_RECVERR, cInt(1));
  }
  if (withNs) socket.option(SOL_SOCKET, SO_TIMESTAMPNS, cInt(1));
  // As the engine does. Transmit stamps are charged to the receive buffer too: with the default ~208 KiB only 128
  // probes' stamps plus replies fit, and both queues then drop.
  socket.option(SOL_SOCKET, SO_RCVBUFFORCE, cInt(8 * 1024 * 1024));
  const failure = enableTimestamping(socket.fd);
  if (failure !== 0) throw new Error(`SO_TIMESTAMPING: errno ${failure}`);
  return socket;
}

function payload(i: number): Uint8Array {
  const bytes = new Uint8Array(16);
  new DataView(bytes.buffer).setUint32(0, i, true);
  return bytes;
}

/** Reads both queues until `done()` or `ms` pass; calls back per TX entry and per reply. */
async function collect(
  socket: ProbeSocket,
  ms: number,
  onTx: (status: string, tx: TxStamp) => void,
  onReply: (seq: number, rx: number | null, ns: boolean) => void,
  done: () => boolean,
): Promise<void> {
  const tx = new TxStamp();
  const stamps = new KernelStamps();
  const deadline = Date.now() + ms;
  while (!done() && Date.now() < deadline) {
    let got = false;
    while (socket.receive(true) >= 0) {
      got = true;
      onTx(readTxStamp(socket.family, socket.controlView, socket.controlLength, socket.flags, tx), tx);
    }
    for (let n = socket.receive(false); n !== -Errno.EAGAIN; n = socket.receive(false)) {
      if (n < 0) continue; // a pending socket error surfaces here once
      got = true;
      const { stamp, ns } = socket.rxStamp(stamps);
      onReply(socket.replySeq(), stamp, ns);
    }
    if (!got) await sleep(1);
  }
}

// ---------------------------------------------------------------------------------------------------------------
// Experiments (run inside h)

interface Targets {
  block: Record<4 | 6, string[]>;
  target: Record<4 | 6, string>;
  prohibit: Record<4 | 6, string>;
  loopback: Record<4 | 6, string>;
}

/** 1,000 probes in flight: counter == send index, and each stamp inside its own sendmsg window. */
async function matchExperiment(family: 4 | 6, kind: Kind, targets: Targets) {
  const socket = openStamped(family, kind);
  const id = 0x5a00 + (family === 4 ? 1 : 2);
  const sends: { before: number; after: number; failure: number; counter: number }[] = [];
  let counter = 0;
  for (let i = 0; i < targets.block[family].length; i++) {
    const length = writeEchoRequest(socket.packet, family, id, i, payload(i));
    const [failure, before, after] = socket.send(length, sockaddrOf(targets.block[family][i]));
    sends.push({ before, after, failure, counter: failure === 0 ? counter++ : -1 });
  }
  const tx = new Map<number, number>();
  const statuses: Record<string, number> = {};
  const rx = new Map<number, number | null>();
  await collect(socket, 5_000, (status, entry) => {
    statuses[status] = (statuses[status] ?? 0) + 1;
    if (status === "stamp") tx.set(entry.counter, toNs(entry.sec, entry.nsec));
  }, (seq, stamp) => {
    if (seq >= 0) rx.set(seq, stamp);
  }, () => tx.size >= counter && rx.size >= counter);
  socket.close();
  let inWindow = 0;
  let outOfWindow = 0;
  let missingTx = 0;
  let missingRx = 0;
  let rxStamped = 0;
  let txBeforeRx = 0;
  const kernelRtt: number[] = [];
  const userStartRtt: number[] = [];
  const txLag: number[] = [];
  sends.forEach((send, i) => {
    if (send.failure !== 0) return;
    const stamp = tx.get(send.counter);
    const reply = rx.get(i & 0xffff);
    if (stamp === undefined) missingTx++;
    else if (stamp >= send.before && stamp <= send.after) inWindow++;
    else outOfWindow++;
    if (reply === undefined) missingRx++;
    else if (reply !== null) rxStamped++;
    if (stamp !== undefined && typeof reply === "number") {
      if (stamp < reply) txBeforeRx++;
      kernelRtt.push((reply - stamp) / 1e3);
      userStartRtt.push((reply - send.before) / 1e3);
      txLag.push((stamp - send.before) / 1e3);
    }
  });
  return {
    experiment: "match",
    family,
    kind,
    probes: sends.length,
    sendFailures: sends.filter((s) => s.failure !== 0).map((s) => s.failure),
    statuses,
    txInOwnSendWindow: inWindow,
    txOutsideWindow: outOfWindow,
    missingTx,
    missingRx,
    rxStamped,
    txBeforeRx,
    medianKernelRttUs: median(kernelRtt),
    medianUserSendToRxUs: median(userStartRtt),
    medianSendCallToTxStampUs: median(txLag),
  };
}

/**
 * One probe at a time: which is readable first, the reply or the transmit stamp? Both queues are polled in a busy
 * loop (no sleep), the error queue first, so "reply first" means the reply was queued while the stamp was not.
 */
async function orderExperiment(family: 4 | 6, kind: Kind, where: "target" | "loopback", targets: Targets) {
  const socket = openStamped(family, kind);
  const address = sockaddrOf(where === "target" ? targets.target[family] : targets.loopback[family]);
  const tx = new TxStamp();
  let replyFirst = 0;
  let txFirst = 0;
  let lost = 0;
  for (let i = 0; i < 50; i++) {
    const length = writeEchoRequest(socket.packet, family, 0x6100, i, payload(i));
    socket.send(length, address);
    let txSeen = false;
    let replySeen = false;
    let first: "tx" | "reply" | null = null;
    const deadline = performance.now() + 1_000;
    while ((!txSeen || !replySeen) && performance.now() < deadline) {
      while (socket.receive(true) >= 0) {
        const status = readTxStamp(family, socket.controlView, socket.controlLength, socket.flags, tx);
        if (status === "stamp") {
          txSeen = true;
          first ??= "tx";
        }
      }
      while (socket.receive(false) >= 0) {
        if (socket.replySeq() === i) {
          replySeen = true;
          first ??= "reply";
        }
      }
    }
    if (!txSeen || !replySeen) lost++;
    else if (first === "tx") txFirst++;
    else replyFirst++;
    await sleep(2);
  }
  socket.close();
  return { experiment: "order", family, kind, where, txFirst, replyFirst, lost };
}

/** SCM_TS_OPT_ID: does ee_data carry the key given with each send? */
async function optIdCmsgExperiment(family: 4 | 6, kind: Kind, targets: Targets) {
  const socket = openStamped(family, kind);
  const keys = [0xdead0001, 7, 0x12345678, 0xfffffffe];
  const failures: number[] = [];
  keys.forEach((key, i) => {
    const length = writeEchoRequest(socket.packet, family, 0x6200, i, payload(i));
    failures.push(socket.send(length, sockaddrOf(targets.target[family]), key)[0]);
  });
  const seen: number[] = [];
  await collect(
    socket,
    1_000,
    (status, tx) => {
      if (status === "stamp") seen.push(tx.counter);
    },
    () => {},
    () => seen.length >= keys.length,
  );
  socket.close();
  return {
    experiment: "opt-id-cmsg",
    family,
    kind,
    sendErrnos: failures,
    keysSent: keys,
    keysSeen: seen,
    works: failures.every((f) => f === 0) && keys.every((key, i) => seen[i] === key),
  };
}

/** A datagram socket's pending ICMP error fails the next send: does that send take a counter value? */
async function pendingErrorExperiment(family: 4 | 6, targets: Targets) {
  const socket = openStamped(family, "datagram");
  const log: string[] = [];
  const seen: number[] = [];
  const errors: number[] = [];
  const sendTo = (address: string, i: number) => {
    const length = writeEchoRequest(socket.packet, family, 0, i, payload(i));
    const [failure] = socket.send(length, sockaddrOf(address));
    log.push(`send ${i} to ${address}: ${failure === 0 ? "ok" : `errno ${failure}`}`);
    return failure;
  };
  sendTo(targets.prohibit[family], 0);
  // Let the router's error arrive, but do not read either queue: the error stays pending.
  await sleep(200);
  // Read only the transmit stamps of the error queue would consume the ICMP error too, so send first.
  const failure1 = sendTo(targets.target[family], 1);
  const failure2 = sendTo(targets.target[family], 2);
  await collect(
    socket,
    1_000,
    (status, tx) => {
      if (status === "stamp") seen.push(tx.counter);
      if (status === "error") errors.push(tx.counter);
    },
    () => {},
    () => false,
  );
  socket.close();
  const okSends = [failure1, failure2].filter((f) => f === 0).length + 1;
  return {
    experiment: "pending-error",
    family,
    log,
    countersSeen: seen,
    icmpErrorsQueued: errors.length,
    // Sends 0 and 2 succeed; if send 1 failed, a counter of 2 on the last stamp means the failure consumed one.
    failedSendConsumedCounter: failure1 !== 0 ? seen.includes(2) && !seen.includes(1) : null,
    okSends,
  };
}

/** A tiny send buffer behind a slow qdisc: EAGAIN / ENOBUFS. Do failed sends consume counter values? */
async function congestedExperiment(family: 4 | 6, kind: Kind, targets: Targets) {
  const socket = openStamped(family, kind);
  socket.option(SOL_SOCKET, SO_SNDBUF, cInt(1));
  const results: number[] = [];
  const windows: [number, number][] = [];
  for (let i = 0; i < 300; i++) {
    const length = writeEchoRequest(socket.packet, family, 0x6300, i, payload(i));
    const [failure, before, after] = socket.send(length, sockaddrOf(targets.target[family]));
    results.push(failure);
    windows.push([before, after]);
  }
  const stamps: { counter: number; at: number }[] = [];
  await collect(
    socket,
    4_000,
    (status, tx) => {
      if (status === "stamp") stamps.push({ counter: tx.counter, at: toNs(tx.sec, tx.nsec) });
    },
    () => {},
    () => false,
  );
  socket.close();
  const errnos: Record<number, number> = {};
  for (const r of results) errnos[r] = (errnos[r] ?? 0) + 1;
  const okIndexes = results.flatMap((r, i) => (r === 0 ? [i] : []));
  // Hypothesis A: counter counts every sendmsg (index i). Hypothesis B: only successful ones (rank among oks).
  let countsAll = 0;
  let countsSuccessful = 0;
  for (const stamp of stamps) {
    if (stamp.counter === okIndexes[stamp.counter]) countsAll++;
    if (okIndexes[stamp.counter] !== undefined) countsSuccessful++;
  }
  return {
    experiment: "congested",
    family,
    kind,
    errnos,
    stamps: stamps.length,
    maxCounter: Math.max(-1, ...stamps.map((s) => s.counter)),
    successfulSends: okIndexes.length,
    countersSeen: stamps.slice(0, 12).map((s) => s.counter),
    countsAll,
    countsSuccessful,
  };
}

/** SOF_TIMESTAMPING_TX_SCHED: a stamp before the packet enters the device's queueing, ahead of tcpdump's tap. */
const TX_SCHED = 0x100;

/**
 * Where the kernel's transmit stamps fall: one probe every 20 ms (cold, as in the accuracy benchmark), each with a
 * SCHED stamp (before the qdisc and the capture tap) and a SND stamp (in the driver, after the tap). Printed per
 * probe as CLOCK_REALTIME ns, so the parent can set them against tcpdump's request stamps.
 */
async function placementExperiment(family: 4 | 6, kind: Kind, targets: Targets) {
  const socket = openStamped(family, kind);
  enableTimestamping(socket.fd, TIMESTAMPING_FLAGS | TX_SCHED);
  const address = sockaddrOf(targets.target[family]);
  const probes: { user: number; sched: number; snd: number }[] = [];
  const tx = new TxStamp();
  for (let i = 0; i < 50; i++) {
    const length = writeEchoRequest(socket.packet, family, 0x6500, i, payload(i));
    const [, before] = socket.send(length, address, i);
    const probe = { user: before, sched: NaN, snd: NaN };
    const deadline = performance.now() + 100;
    while ((Number.isNaN(probe.sched) || Number.isNaN(probe.snd)) && performance.now() < deadline) {
      if (socket.receive(true) < 0) {
        await sleep(0);
        continue;
      }
      const status = readTxStamp(family, socket.controlView, socket.controlLength, socket.flags, tx);
      if (!tx.stamps.software || tx.counter !== i) continue;
      const at = toNs(tx.stamps.softwareSec, tx.stamps.softwareNsec);
      if (status === "stamp") probe.snd = at;
      else if (tx.info === 1) probe.sched = at;
    }
    while (socket.receive(false) >= 0) { /* the reply */ }
    probes.push(probe);
    await sleep(20);
  }
  socket.close();
  return { experiment: "placement", family, kind, base: BASE_SECOND, probes };
}

/** Fresh-process race: first reply after enabling, with and without warming. */
async function raceExperiment(family: 4 | 6, kind: Kind, warm: boolean, targets: Targets) {
  const started = performance.now();
  let warmChecks = 0;
  if (warm) {
    // Enabling any stamping socket turns the static key on; poll until loopback RX is stamped.
    const holder = openStamped(family, kind);
    while (receiveStampingLive() === false && warmChecks < 200) {
      warmChecks++;
      await sleep(1);
    }
    holder.close();
  }
  const warmMs = performance.now() - started;
  const socket = openStamped(family, kind);
  const first: { rx: boolean; ns: boolean }[] = [];
  for (let i = 0; i < 3; i++) {
    const length = writeEchoRequest(socket.packet, family, 0x6400, i, payload(i));
    socket.send(length, sockaddrOf(targets.target[family]));
    let got: { rx: boolean; ns: boolean } | null = null;
    await collect(socket, 1_000, () => {}, (seq, stamp, ns) => {
      if (seq === i) got = { rx: stamp !== null, ns };
    }, () => got !== null);
    first.push(got ?? { rx: false, ns: false });
  }
  socket.close();
  return { experiment: "race", family, kind, warm, warmMs, warmChecks, replies: first };
}

async function child(request: { mode: string; family?: 4 | 6; kind?: Kind; warm?: boolean; targets: Targets }) {
  const { targets } = request;
  const out: unknown[] = [];
  if (request.mode === "placement") {
    for (const family of [4, 6] as const) {
      for (const kind of ["raw", "datagram"] as const) out.push(await placementExperiment(family, kind, targets));
    }
  } else if (request.mode === "race") {
    out.push(await raceExperiment(request.family!, request.kind!, request.warm!, targets));
  } else if (request.mode === "congested") {
    for (const family of [4, 6] as const) {
      for (const kind of ["raw", "datagram"] as const) out.push(await congestedExperiment(family, kind, targets));
    }
  } else {
    for (const family of [4, 6] as const) {
      for (const kind of ["raw", "datagram"] as const) {
        out.push(await matchExperiment(family, kind, targets));
        out.push(await orderExperiment(family, kind, "target", targets));
        out.push(await orderExperiment(family, kind, "loopback", targets));
        out.push(await optIdCmsgExperiment(family, kind, targets));
      }
      out.push(await pendingErrorExperiment(family, targets));
    }
  }
  for (const line of out) console.log(JSON.stringify(line));
}

// ---------------------------------------------------------------------------------------------------------------
// Parent: builds the lab and runs the experiments in h

async function inH(lab: Lab, request: object): Promise<unknown[]> {
  const out = await lab.exec("h", [Deno.execPath(), "run", "-A", SELF, "--child", JSON.stringify(request)], {
    timeoutMs: 120_000,
  });
  if (out.code !== 0) throw new Error(`child failed (${out.code}): ${out.stderr}`);
  return out.stdout.trim().split("\n").map((line) => JSON.parse(line));
}

/** Medians, in µs, of SND − SCHED without and with tcpdump on h's link, and of each stamp against tcpdump's. */
async function placement(lab: Lab, targets: Targets): Promise<void> {
  type Result = { family: 4 | 6; kind: Kind; base: number; probes: { user: number; sched: number; snd: number }[] };
  const quiet = await inH(lab, { mode: "placement", targets }) as Result[];
  const file = await Deno.makeTempFile({ prefix: "mplab-probe-", suffix: ".pcap" });
  const tcpdump = lab.spawn("h", [
    "tcpdump",
    "-i",
    "to-r1",
    "-n",
    "-Z",
    "root",
    "--time-stamp-precision=nano",
    "--immediate-mode",
    "-U",
    "-w",
    file,
    "icmp or icmp6",
  ]);
  await sleep(1000);
  const watched = await inH(lab, { mode: "placement", targets }) as Result[];
  await sleep(300);
  tcpdump.kill("SIGTERM");
  await tcpdump.status;
  const read = await new Deno.Command("tcpdump", {
    args: ["-r", file, "-n", "-tt", "--time-stamp-precision=nano"],
    stdout: "piped",
    stderr: "null",
  }).output();
  await Deno.remove(file);
  // Requests of the placement probes, in order per family (id 0x6500 on raw sockets; datagram ids are the kernel's).
  const requests: Record<string, number[]> = { "4": [], "6": [] };
  for (const line of new TextDecoder().decode(read.stdout).split("\n")) {
    const m = /^(\d+)\.(\d{9}) (IP6?) \S+ > \S+: ICMP6?,? echo request/.exec(line);
    if (m !== null) requests[m[3] === "IP6" ? "6" : "4"].push(toNs(Number(m[1]), Number(m[2])));
  }
  const us = (values: number[]) => Number((median(values.filter((v) => !Number.isNaN(v))) / 1e3).toFixed(2));
  for (const [i, result] of quiet.entries()) {
    const seen = watched[i];
    // Each family's capture holds raw then datagram runs (50 requests each), as the child sent them.
    const offset = seen.kind === "raw" ? 0 : 50;
    // The child counted its stamps from its own base second.
    const shift = (BASE_SECOND - seen.base) * 1e9;
    const wire = requests[String(seen.family)].slice(offset, offset + 50).map((at) => at + shift);
    console.log(JSON.stringify({
      experiment: "placement",
      family: result.family,
      kind: result.kind,
      sndMinusSchedUs: { withoutTcpdump: us(result.probes.map((p) => p.snd - p.sched)) },
      withTcpdump: {
        sndMinusSchedUs: us(seen.probes.map((p) => p.snd - p.sched)),
        schedMinusTapUs: wire.length === 50 ? us(seen.probes.map((p, j) => p.sched - wire[j])) : "capture incomplete",
        sndMinusTapUs: wire.length === 50 ? us(seen.probes.map((p, j) => p.snd - wire[j])) : "capture incomplete",
        userMinusTapUs: wire.length === 50 ? us(seen.probes.map((p, j) => p.user - wire[j])) : "capture incomplete",
      },
    }));
  }
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    args: Deno.args,
    options: { child: { type: "string" }, race: { type: "string", default: "20" }, only: { type: "string" } },
  });
  if (values.child !== undefined) return await child(JSON.parse(values.child));
  const available = await labAvailability();
  if (!available.ok) {
    console.error(`Cannot run the probe: the namespace lab is unavailable: ${available.reason}`);
    Deno.exit(1);
  }
  await using lab = await Lab.create({ name: "txprobe" });
  const a = lab.addresses;
  const targets: Targets = {
    block: { 4: [...Array(1000).keys()].map(a.block4.at), 6: [...Array(1000).keys()].map(a.block6.at) },
    target: { 4: a.target4, 6: a.target6 },
    prohibit: { 4: a.prohibit4, 6: a.prohibit6 },
    loopback: { 4: "127.0.0.1", 6: "::1" },
  };
  if (values.only === "placement") return await placement(lab, targets);
  for (const line of await inH(lab, { mode: "main", targets })) console.log(JSON.stringify(line));
  // Congestion: a slow token bucket on h's link holds packets (and their send-buffer charge) back.
  const tc = await lab.exec("h", [
    "tc",
    "qdisc",
    "add",
    "dev",
    "to-r1",
    "root",
    "tbf",
    "rate",
    "200kbit",
    "burst",
    "1600",
    "limit",
    "4000",
  ]);
  if (tc.code !== 0) console.log(JSON.stringify({ experiment: "congested", skipped: tc.stderr.trim() }));
  else {
    for (const line of await inH(lab, { mode: "congested", targets })) console.log(JSON.stringify(line));
    await lab.exec("h", ["tc", "qdisc", "del", "dev", "to-r1", "root"]);
  }
  await placement(lab, targets);
  const runs = Number(values.race);
  for (const warm of [false, true]) {
    const tally = {
      runs: 0,
      firstWithoutRx: 0,
      anyWithoutRx: 0,
      nsWithoutRx: 0,
      stampingWasOff: 0,
      warmMs: [] as number[],
    };
    for (let i = 0; i < runs; i++) {
      const family = i % 2 === 0 ? 4 : 6;
      const kind = i % 4 < 2 ? "datagram" : "raw";
      const [result] = await inH(lab, { mode: "race", family, kind, warm, targets }) as {
        replies: { rx: boolean; ns: boolean }[];
        warmMs: number;
        warmChecks: number;
      }[];
      tally.runs++;
      if (!result.replies[0].rx) tally.firstWithoutRx++;
      if (result.replies.some((r) => !r.rx)) tally.anyWithoutRx++;
      if (result.replies.some((r) => !r.rx && r.ns)) tally.nsWithoutRx++;
      if (result.warmChecks > 0) tally.stampingWasOff++;
      tally.warmMs.push(Number(result.warmMs.toFixed(2)));
    }
    console.log(
      JSON.stringify({ experiment: "race-summary", warm, ...tally, warmMs: warm ? tally.warmMs : undefined }),
    );
  }
}

if (import.meta.main) await main();
