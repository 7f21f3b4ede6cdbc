/**
 * The process-wide probe engine: one socket per (family, kind) shared by every concurrent ping, one probe table per
 * socket keyed by ICMP identifier and sequence, one `poll` loop and one timer for all deadlines.
 *
 * A reply is accepted only when it comes from the probed address, matches an outstanding probe, and carries
 * exactly the payload that was sent (which begins with a per-probe random token).
 *
 * @module
 */
import { monotonicMs, realtimeToMs } from "../ffi/clock.ts";
import { Errno, POLLERR, POLLIN, SO_EE_ORIGIN_ICMP, SO_EE_ORIGIN_ICMP6, SO_EE_ORIGIN_LOCAL } from "../ffi/constants.ts";
import { strerror, SystemCallError } from "../ffi/errno.ts";
import { Poller } from "../ffi/poller.ts";
import { addressSpan, fromSockaddr, type SocketAddress } from "../ffi/sockaddr.ts";
import { IcmpSocket, type IcmpSocketKind } from "../ffi/socket.ts";
import {
  decodeIcmp,
  decodeIpv4Packet,
  describeIcmpError,
  formatAddress,
  ICMP4,
  ICMP6,
  type IcmpMessage,
  sameAddress,
  writeEchoRequest,
} from "../icmp/mod.ts";
import { DeadlineHeap } from "./deadline_heap.ts";
import { chooseRtt, type Clock } from "./rtt.ts";

export type { Clock } from "./rtt.ts";

/** A matching reply. */
export interface ReplyInfo {
  /** Round-trip time in ms. */
  rtt: number;
  /** Which clock ended it. */
  clock: Clock;
  /** Reply TTL or hop limit, `null` when unknown. */
  ttl: number | null;
  /** ICMP bytes (header and payload). */
  bytes: number;
}

/** An ICMP error for a probe, or a send the local stack refused. */
export interface ErrorInfo {
  /** Which error class it belongs to. */
  kind: "unreachable" | "time-exceeded" | "other";
  /** ICMP type (synthesised for a local refusal), `null` for other send failures. */
  icmpType: number | null;
  /** ICMP code, as for `icmpType`. */
  code: number | null;
  /** The reporting router, `null` for a local refusal. */
  from: string | null;
  /** RFC description or system error text. */
  message: string;
}

/** Receives the outcomes of a session's probes. */
export interface SessionHandler {
  /** The probe's first matching reply, within its timeout. */
  reply(tag: number, info: ReplyInfo): void;
  /** Another copy of an answered probe's reply. */
  duplicate(tag: number, info: ReplyInfo): void;
  /** A reply for the probe failed the checksum or the payload comparison. */
  corrupted(tag: number): void;
  /** An ICMP error (or a local refusal) ended the probe. */
  error(tag: number, info: ErrorInfo): void;
  /** No reply within the timeout. */
  timeout(tag: number): void;
}

/** How a session sends. */
export interface SessionOptions {
  /** The probed address. */
  destination: SocketAddress;
  /** Per-packet ancillary data (TTL, TOS, source), or `null`. */
  control: Uint8Array | null;
  /** Per-probe timeout in ms. */
  timeout: number;
  /** End RTTs at the kernel's receive stamp when it is present and plausible. */
  kernelTimestamps: boolean;
  /** Where outcomes go. */
  handler: SessionHandler;
}

const enum State {
  Pending,
  Answered,
  Done,
}

class Probe {
  state = State.Pending;
  constructor(
    readonly channel: Channel,
    readonly session: Session,
    readonly key: number,
    readonly tag: number,
    readonly payload: Uint8Array,
    readonly sentRealtime: number,
    readonly sentMonotonic: number,
    public deadline: number,
  ) {}
}

/** Messages read per socket before yielding to the event loop. */
const RECEIVE_BATCH = 4096;
/** Upper bound of one wait: a lost wake-up costs at most this long. */
const POLL_TIMEOUT_MS = 1000;
/** errnos that a datagram socket's pending ICMP error (sk_err) surfaces as, on receive and on send. */
const PENDING_ERRORS = new Set<number>([
  Errno.EHOSTUNREACH,
  Errno.ENETUNREACH,
  Errno.EACCES,
]);
const KEY_SPACE = { raw: 2 ** 32, datagram: 2 ** 16 } as const;

/** One socket with its probe table. */
class Channel {
  readonly probes = new Map<number, Probe>();
  users = 0;
  #nextKey: number;
  readonly #span: { offset: number; length: number };

  constructor(readonly socket: IcmpSocket) {
    this.#nextKey = Math.floor(Math.random() * KEY_SPACE[socket.kind]);
    this.#span = addressSpan(socket.family);
  }

  /**
   * A free table key. Raw sockets choose identifier and sequence (key = id << 16 | seq); on datagram sockets the
   * kernel owns the identifier, so the key is the sequence alone.
   */
  allocateKey(): number {
    const space = KEY_SPACE[this.socket.kind];
    if (this.probes.size >= space) {
      throw new RangeError(
        `Cannot ping: more than ${space} probes outstanding on one socket`,
      );
    }
    while (this.probes.has(this.#nextKey)) {
      this.#nextKey = (this.#nextKey + 1) % space;
    }
    const key = this.#nextKey;
    this.#nextKey = (key + 1) % space;
    return key;
  }

  /** The table key of an echo's identifier and sequence (see {@linkcode Channel.allocateKey}). */
  keyOf(id: number, seq: number): number {
    return this.socket.kind === "raw" ? id * 65536 + seq : seq;
  }

  /** The address bytes inside the last received sockaddr. */
  receivedAddress(): Uint8Array {
    return this.socket.receivedName.subarray(
      this.#span.offset,
      this.#span.offset + this.#span.length,
    );
  }
}

/** One ping run's use of the engine. */
export class Session {
  readonly #engine: Engine;
  readonly #channel: Channel;
  readonly #options: SessionOptions;
  readonly #probes = new Set<Probe>();
  #closed = false;

  /** @internal */
  constructor(engine: Engine, channel: Channel, options: SessionOptions) {
    this.#engine = engine;
    this.#channel = channel;
    this.#options = options;
  }

  /** Options of this session. */
  get options(): SessionOptions {
    return this.#options;
  }

  /**
   * Sends one echo request now. `payload` must not change afterwards: replies are compared with it. A send the
   * kernel refuses is reported through the handler's `error` before this returns.
   */
  send(tag: number, payload: Uint8Array): void {
    if (this.#closed) throw new Error("Session is closed");
    this.#engine.send(this.#channel, this, tag, payload);
  }

  /** @internal */
  track(probe: Probe): void {
    this.#probes.add(probe);
  }

  /** @internal */
  untrack(probe: Probe): void {
    this.#probes.delete(probe);
  }

  /** Forgets outstanding probes and releases the socket. Idempotent. */
  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    for (const probe of this.#probes) {
      probe.state = State.Done;
      if (this.#channel.probes.get(probe.key) === probe) {
        this.#channel.probes.delete(probe.key);
      }
    }
    this.#probes.clear();
    this.#engine.release(this.#channel);
  }

  /** Same as {@linkcode Session.close}. */
  [Symbol.dispose](): void {
    this.close();
  }
}

/** Thrown when neither kind of ICMP socket may be opened. */
export class SocketPermissionError extends Error {
  /** Builds the error from the refusals it got. */
  constructor(message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = "SocketPermissionError";
  }
}

const PERMISSION_ERRORS = new Set<number>([Errno.EPERM, Errno.EACCES]);
const UNSUPPORTED_ERRORS = new Set<number>([
  Errno.EPROTONOSUPPORT,
  Errno.EAFNOSUPPORT,
  Errno.EINVAL,
]);

function permissionHelp(family: 4 | 6): string {
  return `Cannot open an ICMPv${family === 4 ? "4" : "6"} socket: permission denied. Either allow raw sockets for ` +
    `Deno (sudo setcap cap_net_raw+ep "$(readlink -f "$(which deno)")") or allow unprivileged ICMP sockets for ` +
    `your group (sudo sysctl -w net.ipv4.ping_group_range="0 2147483647")`;
}

/** The engine. Use {@linkcode engine} for the process-wide instance. */
export class Engine {
  readonly #channels = new Map<string, Channel>();
  readonly #heap = new DeadlineHeap<Probe>();
  #timer: ReturnType<typeof setTimeout> | undefined;
  #timerDeadline = Infinity;
  #poller: Poller | undefined;
  #loop: Promise<void> | undefined;
  #watchDirty = false;
  #watched: Channel[] = [];
  #closing: IcmpSocket[] = [];

  /**
   * Starts a session on the shared socket for `family` and `kind`, opening it if needed. `"auto"` uses a datagram
   * socket where the kernel allows one, else raw. Throws {@linkcode SocketPermissionError} when neither is allowed.
   */
  open(
    family: 4 | 6,
    kind: IcmpSocketKind | "auto",
    options: SessionOptions,
  ): Session {
    const channel = this.#acquire(family, kind);
    return new Session(this, channel, options);
  }

  #acquire(family: 4 | 6, kind: IcmpSocketKind | "auto"): Channel {
    const kinds: IcmpSocketKind[] = kind === "auto" ? ["datagram", "raw"] : [kind];
    for (const k of kinds) {
      const existing = this.#channels.get(`${family}/${k}`);
      if (existing !== undefined) {
        existing.users++;
        return existing;
      }
    }
    const refusals: SystemCallError[] = [];
    for (const k of kinds) {
      let socket: IcmpSocket;
      try {
        socket = IcmpSocket.open(family, k);
      } catch (error) {
        if (
          error instanceof SystemCallError && error.syscall === "socket" &&
          (PERMISSION_ERRORS.has(error.errno) ||
            UNSUPPORTED_ERRORS.has(error.errno))
        ) {
          refusals.push(error);
          continue;
        }
        throw error;
      }
      const channel = new Channel(socket);
      channel.users = 1;
      this.#channels.set(`${family}/${k}`, channel);
      this.#watchDirty = true;
      this.#startLoop();
      return channel;
    }
    if (refusals.some((error) => PERMISSION_ERRORS.has(error.errno))) {
      throw new SocketPermissionError(permissionHelp(family), {
        cause: refusals.at(-1),
      });
    }
    throw refusals.at(-1) ?? new Error(`Cannot open an ICMPv${family} socket`);
  }

  /** @internal Drops one user of a channel; the last one closes the socket (through the poll loop). */
  release(channel: Channel): void {
    channel.users--;
    if (channel.users > 0) return;
    channel.probes.clear();
    const key = `${channel.socket.family}/${channel.socket.kind}`;
    if (this.#channels.get(key) === channel) this.#channels.delete(key);
    this.#watchDirty = true;
    if (this.#poller?.waiting) {
      // The fd must not be closed while a worker thread polls it (and it may be in that poll set): the loop closes
      // it once the wait returns.
      this.#closing.push(channel.socket);
      this.#poller.wake();
    } else {
      channel.socket.close();
    }
    if (this.#channels.size === 0) this.#disarm();
  }

  /** @internal */
  send(
    channel: Channel,
    session: Session,
    tag: number,
    payload: Uint8Array,
  ): void {
    const socket = channel.socket;
    const options = session.options;
    const key = channel.allocateKey();
    const family = socket.family;
    const length = writeEchoRequest(
      socket.packet,
      family,
      key >>> 16,
      key & 0xffff,
      payload,
    );
    let failure = socket.send(
      length,
      options.destination.sockaddr,
      options.control,
    );
    if (
      failure !== 0 && socket.kind === "datagram" && PENDING_ERRORS.has(failure)
    ) {
      // A datagram socket reports an earlier probe's ICMP error on this send and drops the packet: take the queued
      // errors first, then send again. A local route refusal fails the same way twice.
      this.#drainErrors(channel);
      failure = socket.send(
        length,
        options.destination.sockaddr,
        options.control,
      );
    }
    const probe = new Probe(
      channel,
      session,
      key,
      tag,
      payload,
      socket.sentRealtime,
      socket.sentMonotonic,
      socket.sentMonotonic + options.timeout,
    );
    if (failure !== 0) {
      probe.state = State.Done;
      options.handler.error(tag, localRefusal(family, failure));
      return;
    }
    channel.probes.set(key, probe);
    session.track(probe);
    this.#heap.push(probe);
    this.#arm();
  }

  #arm(): void {
    const next = this.#heap.peek();
    if (next === undefined) return this.#disarm();
    if (this.#timer !== undefined && this.#timerDeadline <= next.deadline) {
      return;
    }
    if (this.#timer !== undefined) clearTimeout(this.#timer);
    this.#timerDeadline = next.deadline;
    const delay = Math.max(0, next.deadline - monotonicMs());
    // Timers fire on a 1 ms grid; never early, so round up.
    this.#timer = setTimeout(() => this.#expire(), Math.ceil(delay));
  }

  #disarm(): void {
    if (this.#timer !== undefined) clearTimeout(this.#timer);
    this.#timer = undefined;
    this.#timerDeadline = Infinity;
    if (this.#channels.size === 0) this.#heap.clear();
  }

  #expire(): void {
    this.#timer = undefined;
    this.#timerDeadline = Infinity;
    // Replies already queued were answered in time: read them before declaring anything lost.
    for (const channel of this.#channels.values()) {
      this.#drainErrors(channel);
      this.#drain(channel);
    }
    const now = monotonicMs();
    for (
      let probe = this.#heap.peek();
      probe !== undefined && probe.deadline <= now;
      probe = this.#heap.peek()
    ) {
      this.#heap.pop();
      if (probe.state === State.Done) continue;
      const wasPending = probe.state === State.Pending;
      this.#finish(probe);
      if (wasPending) probe.session.options.handler.timeout(probe.tag);
    }
    this.#arm();
  }

  #finish(probe: Probe): void {
    probe.state = State.Done;
    if (probe.channel.probes.get(probe.key) === probe) {
      probe.channel.probes.delete(probe.key);
    }
    probe.session.untrack(probe);
  }

  #startLoop(): void {
    if (this.#loop !== undefined) {
      this.#poller?.wake();
      return;
    }
    this.#poller = new Poller();
    this.#loop = this.#run().finally(() => {
      this.#poller?.close();
      this.#poller = undefined;
      this.#loop = undefined;
      // A socket opened while the loop was winding down needs a loop of its own.
      if (this.#channels.size > 0) this.#startLoop();
    });
  }

  async #run(): Promise<void> {
    const poller = this.#poller!;
    while (this.#channels.size > 0) {
      if (this.#watchDirty) {
        this.#watched = [...this.#channels.values()];
        poller.watch(this.#watched.map((channel) => channel.socket.fd));
        this.#watchDirty = false;
      }
      await poller.wait(POLL_TIMEOUT_MS);
      this.#closeReleased();
      for (const [i, channel] of this.#watched.entries()) {
        if (channel.socket.fd === -1) continue;
        const events = poller.revents(i);
        if (events & POLLERR) this.#drainErrors(channel);
        // Also on POLLERR alone: a pending socket error with an empty error queue keeps POLLERR set until a normal
        // receive consumes it, and poll would return at once forever.
        if (events & (POLLIN | POLLERR)) this.#drain(channel);
      }
    }
    this.#closeReleased();
    this.#watched = [];
  }

  #closeReleased(): void {
    for (const socket of this.#closing) socket.close();
    this.#closing = [];
  }

  #drain(channel: Channel): void {
    const socket = channel.socket;
    for (let i = 0; i < RECEIVE_BATCH && socket.fd !== -1; i++) {
      const n = socket.receive(false);
      if (n >= 0) {
        this.#onPacket(channel);
        continue;
      }
      const error = -n;
      if (error === Errno.EINTR) continue;
      if (PENDING_ERRORS.has(error) && socket.kind === "datagram") {
        // The socket's pending ICMP error comes out before the data queued behind it.
        this.#drainErrors(channel);
        continue;
      }
      break;
    }
  }

  #drainErrors(channel: Channel): void {
    const socket = channel.socket;
    for (let i = 0; i < RECEIVE_BATCH && socket.fd !== -1; i++) {
      if (socket.receive(true) < 0) break;
      this.#onQueuedError(channel);
    }
  }

  #onPacket(channel: Channel): void {
    const socket = channel.socket;
    let message: IcmpMessage;
    let ttl = socket.ancillary.ttl;
    let from: Uint8Array;
    let bytes: number;
    try {
      if (socket.family === 4 && socket.kind === "raw") {
        const packet = decodeIpv4Packet(socket.received);
        message = packet.icmp;
        from = packet.ip.source;
        if (ttl < 0) ttl = packet.ip.ttl;
        bytes = socket.received.length - packet.ip.headerLength;
      } else {
        message = decodeIcmp(socket.family, socket.received);
        from = channel.receivedAddress();
        bytes = socket.received.length;
      }
    } catch {
      // Too mangled to tell whose it is.
      return;
    }
    const replyType = socket.family === 4 ? ICMP4.ECHO_REPLY : ICMP6.ECHO_REPLY;
    if (message.kind === "echo-reply" && message.type === replyType) {
      const key = channel.keyOf(message.id, message.seq);
      const probe = channel.probes.get(key);
      if (
        probe === undefined ||
        !sameAddress(from, probe.session.options.destination.address)
      ) return;
      if (
        message.checksumValid === false ||
        !samePayload(message.payload, probe.payload)
      ) {
        probe.session.options.handler.corrupted(probe.tag);
        return;
      }
      this.#onReply(probe, ttl < 0 ? null : ttl, bytes);
    } else if (message.kind === "error" && message.quoted !== null) {
      const quoted = message.quoted;
      const requestType = socket.family === 4 ? ICMP4.ECHO_REQUEST : ICMP6.ECHO_REQUEST;
      if (quoted.type !== requestType || socket.kind !== "raw") return;
      const probe = channel.probes.get(channel.keyOf(quoted.id, quoted.seq));
      if (
        probe === undefined ||
        !sameAddress(
          quoted.destination,
          probe.session.options.destination.address,
        )
      ) return;
      this.#onError(
        probe,
        icmpErrorInfo(
          socket.family,
          message.type,
          message.code,
          formatAddress(from),
        ),
      );
    }
  }

  #onReply(probe: Probe, ttl: number | null, bytes: number): void {
    const socket = probe.channel.socket;
    const stamp = socket.ancillary;
    const kernelRtt = probe.session.options.kernelTimestamps && stamp.hasStamp
      ? realtimeToMs(stamp.stampSec, stamp.stampNsec) - probe.sentRealtime
      : null;
    const { rtt, clock } = chooseRtt(socket.receivedMonotonic - probe.sentMonotonic, kernelRtt);
    const handler = probe.session.options.handler;
    const info: ReplyInfo = { rtt, clock, ttl, bytes };
    if (probe.state === State.Answered) {
      handler.duplicate(probe.tag, info);
    } else if (
      probe.state === State.Pending && rtt <= probe.session.options.timeout
    ) {
      // Kept in the table until its deadline so that later copies count as duplicates.
      probe.state = State.Answered;
      handler.reply(probe.tag, info);
    }
  }

  #onError(probe: Probe, info: ErrorInfo): void {
    if (probe.state !== State.Pending) return;
    this.#finish(probe);
    probe.session.options.handler.error(probe.tag, info);
  }

  #onQueuedError(channel: Channel): void {
    const socket = channel.socket;
    const ancillary = socket.ancillary;
    if (!ancillary.hasError) return;
    let message: IcmpMessage;
    try {
      message = decodeIcmp(socket.family, socket.received);
    } catch {
      return;
    }
    if (message.kind !== "echo-request") return;
    // The kernel rewrote the identifier of a datagram socket's probes; on raw sockets it is ours.
    const key = channel.keyOf(message.id, message.seq);
    const probe = channel.probes.get(key);
    if (probe === undefined) return;
    // msg_name of an error-queue entry is the original destination.
    if (
      !sameAddress(
        channel.receivedAddress(),
        probe.session.options.destination.address,
      )
    ) return;
    let info: ErrorInfo;
    if (
      ancillary.errorOrigin === SO_EE_ORIGIN_ICMP ||
      ancillary.errorOrigin === SO_EE_ORIGIN_ICMP6
    ) {
      const offender = fromSockaddr(ancillary.offender);
      info = icmpErrorInfo(
        socket.family,
        ancillary.errorType,
        ancillary.errorCode,
        offender === null ? null : formatAddress(offender.address),
      );
    } else if (ancillary.errorOrigin === SO_EE_ORIGIN_LOCAL) {
      info = localRefusal(socket.family, ancillary.errorErrno);
    } else {
      return;
    }
    this.#onError(probe, info);
  }
}

function samePayload(received: Uint8Array, sent: Uint8Array): boolean {
  if (received.length !== sent.length) return false;
  for (let i = 0; i < sent.length; i++) {
    if (received[i] !== sent[i]) return false;
  }
  return true;
}

function icmpErrorInfo(
  family: 4 | 6,
  type: number,
  code: number,
  from: string | null,
): ErrorInfo {
  const unreachable = family === 4 ? ICMP4.DEST_UNREACH : ICMP6.DEST_UNREACH;
  const exceeded = family === 4 ? ICMP4.TIME_EXCEEDED : ICMP6.TIME_EXCEEDED;
  return {
    kind: type === unreachable ? "unreachable" : type === exceeded ? "time-exceeded" : "other",
    icmpType: type,
    code,
    from,
    message: describeIcmpError(family, type, code),
  };
}

/** The ICMP code a router would have sent for a route that refuses locally with `errno`. */
const LOCAL_CODES: Record<number, { 4: number; 6: number }> = {
  [Errno.EHOSTUNREACH]: { 4: 1, 6: 3 },
  [Errno.ENETUNREACH]: { 4: 0, 6: 0 },
  [Errno.EACCES]: { 4: 13, 6: 1 },
  [Errno.EPERM]: { 4: 13, 6: 1 },
};

function localRefusal(family: 4 | 6, errnoValue: number): ErrorInfo {
  const codes = LOCAL_CODES[errnoValue];
  if (codes === undefined) {
    return {
      kind: "other",
      icmpType: null,
      code: null,
      from: null,
      message: `send failed: ${strerror(errnoValue)}`,
    };
  }
  const type = family === 4 ? ICMP4.DEST_UNREACH : ICMP6.DEST_UNREACH;
  const code = codes[family];
  return {
    kind: "unreachable",
    icmpType: type,
    code,
    from: null,
    message: describeIcmpError(family, type, code),
  };
}

let shared: Engine | undefined;

/** The process-wide engine: every ping shares its sockets. */
export function engine(): Engine {
  shared ??= new Engine();
  return shared;
}
