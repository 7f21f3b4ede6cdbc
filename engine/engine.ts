/**
 * The probe engine: pools of ICMP sockets per (family, kind, device, broadcast) shared by every concurrent run, one
 * probe table per socket keyed by ICMP identifier and sequence, and one loop that waits (`poll` on a worker thread),
 * reads, expires deadlines and sends whatever the {@linkcode Scheduler} says is due. There is no timer per probe or
 * per send: the loop's wait ends at the next due send or deadline.
 *
 * @module
 */
import { permissionHelp, privilegeFacts } from "./permission_help.ts";
import { monotonicMs, realtimeToMs } from "../ffi/clock.ts";
import { Errno, POLLERR, POLLIN } from "../ffi/constants.ts";
import { readTxStamp, TxStamp } from "../ffi/timestamping.ts";
import { isBroadcast } from "../ffi/broadcast.ts";
import { strerror, SystemCallError } from "../ffi/errno.ts";
import { Poller } from "../ffi/poller.ts";
import { fromSockaddr, type SocketAddress } from "../ffi/sockaddr.ts";
import {
  BATCH_SLOT_BYTES,
  ERROR_BATCH_SLOT_BYTES,
  IcmpSocket,
  type IcmpSocketKind,
  RECEIVE_BATCH as SOCKET_BATCH,
} from "../ffi/socket.ts";
import { formatAddress } from "../icmp/mod.ts";
import { DeadlineHeap } from "./deadline_heap.ts";
import type { ErrorDetails, ReplyDetails } from "./events.ts";
import {
  localRefusal,
  type MatchableProbe,
  matchPacket,
  matchQueuedError,
  type PacketMatch,
  type ReceivedPacket,
  type ReplyMatch,
} from "./matcher.ts";
import { writeProbe } from "./payload.ts";
import { ProbeTable } from "./probe_table.ts";
import { chooseClock, rttOf } from "./rtt.ts";
import { BACKOFF_MS, type FireOutcome, PaceGroup, Scheduler } from "./scheduler.ts";

/** What the engine needs of a run (one target's probes): where to send, how, and where outcomes go. */
export interface ProbeOwner {
  /** The call's pace and window. */
  readonly group: PaceGroup;
  /** The sockets it sends on. */
  readonly pool: SocketPool;
  /** The probed address. */
  readonly destination: SocketAddress;
  /** Per-packet ancillary data (TTL, TOS, source), or `null`. */
  readonly control: Uint8Array | null;
  /** Per-probe timeout in ms. */
  readonly timeout: number;
  /** Make RTTs from the kernel's transmit and receive stamps when they are present and plausible. */
  readonly kernelTimestamps: boolean;
  /** The probe's first matching reply, within its timeout. `reply` is the engine's, refilled for the next one. */
  onReply(probe: Probe, reply: ReplyDetails): void;
  /** Another copy of an answered probe's reply (`reply` as for `onReply`). */
  onDuplicate(probe: Probe, reply: ReplyDetails): void;
  /** A reply for the probe failed the checksum or the payload comparison. */
  onCorrupted(probe: Probe): void;
  /** An ICMP error (or a local refusal) ended the probe. */
  onError(probe: Probe, error: ErrorDetails): void;
  /** No reply within the timeout. */
  onTimeout(probe: Probe): void;
  /** Something failed inside the engine: settle the run with this error. */
  onFailure(error: unknown): void;
  /** The engine's list of the owner's outstanding probes (start `null`; only the engine writes it). */
  firstProbe: Probe | null;
}

const enum State {
  Pending,
  Answered,
  Done,
}

/** One echo request in flight. Send stamps stay on it (precise timestamping reads them). */
export class Probe implements MatchableProbe {
  /** @internal */
  state: State = State.Pending;
  /** @internal Whether its window slot and receive-buffer share were given back. */
  released = false;
  /** @internal The owner's outstanding probes form a list through these. */
  previousOfOwner: Probe | null = null;
  /** @internal */
  nextOfOwner: Probe | null = null;
  /** @internal Position in the engine's deadline heap. */
  heapIndex = -1;
  /**
   * @internal The kernel's transmit stamp, `TX_SCHED` (why that one: TIMESTAMPING_FLAGS), CLOCK_REALTIME ms (clock.ts
   * scale); NaN until it is read.
   */
  sentKernel = NaN;

  /** @internal */
  constructor(
    readonly channel: Channel,
    /** The run it belongs to; a placeholder once the probe is done, so a deadline entry retains nothing. */
    public owner: ProbeOwner,
    readonly key: number,
    /** Probe number within its run, from 1. */
    readonly seq: number,
    /** The payload's random token; replies are compared with it. Emptied once the probe is done. */
    public token: Uint8Array,
    /** Payload bytes. */
    readonly size: number,
    /** ICMP identifier on the wire. */
    readonly icmpId: number,
    /** ICMP sequence number on the wire. */
    readonly icmpSeq: number,
    /** Receive-buffer bytes its reply may take. */
    readonly cost: number,
    /**
     * CLOCK_REALTIME ms (clock.ts scale) right before its `sendmsg`, or before the first message of its `sendmmsg`
     * batch was staged, or right before a worker thread was given its batch: one user stamp per batch, never after
     * the send. The kernel's transmit stamp, when there is one, starts the RTT instead; this one only backs the
     * fallback.
     */
    public sentRealtime: number,
    /** CLOCK_MONOTONIC ms, taken with `sentRealtime`. */
    public sentMonotonic: number,
    /**
     * When it times out, CLOCK_MONOTONIC ms: `sentMonotonic` + timeout when it was staged. A batch sent later by a
     * worker thread moves `sentMonotonic`, and the expiry then gives the probe its full timeout from there.
     */
    public deadline: number,
    /** Where its token starts in `token` (a pool shared with other probes). */
    public tokenAt = 0,
  ) {}

  /** The probed address bytes. */
  get destination(): Uint8Array {
    return this.owner.destination.address;
  }
}

const EMPTY = new Uint8Array(0);
const ignore = () => {};
/** What a finished probe points to instead of its run. */
const NO_OWNER: ProbeOwner = {
  group: new PaceGroup(Infinity, 1),
  pool: undefined as unknown as SocketPool,
  destination: { family: 4, address: EMPTY, sockaddr: EMPTY },
  control: null,
  timeout: 0,
  kernelTimestamps: false,
  onReply: ignore,
  onDuplicate: ignore,
  onCorrupted: ignore,
  onError: ignore,
  onTimeout: ignore,
  onFailure: ignore,
  firstProbe: null,
};

/** Stands in for a probe in the engine's reply match until the matcher fills one in (nothing reads it before). */
const PLACEHOLDER_PROBE = null as unknown as Probe;

/** Messages read per socket per wake-up before the loop moves on (sends, deadlines, other sockets). */
const RECEIVE_BATCH = 4096;
/** Upper bound of one wait: a lost wake-up costs at most this long. */
const POLL_TIMEOUT_MS = 1000;
/**
 * Receive-buffer truesize of one queued reply beyond its packet bytes: ~830 B in all for a 64-byte reply through a
 * veth (measured); loopback skbs are larger, so this leaves room for them.
 */
const REPLY_OVERHEAD = 1024;
/**
 * Receive-buffer truesize of one queued transmit stamp: the error queue shares the receive buffer. 832 B per stamp
 * (OPT_TSONLY, no packet copy), measured with SO_MEMINFO on raw and datagram sockets (200 stamps, 166,400 B). A whole
 * window of stamps can be queued before a drain; left out, a 4,096-probe sweep lost ~100 replies to a full buffer.
 */
const TX_STAMP_OVERHEAD = 832;
/** Sends retried after taking pending errors, before a refusal counts as this probe's own. */
const MAX_SEND_RETRIES = 8;
/** Identifier and sequence space per socket: raw sockets choose both, datagram sockets only the sequence. */
const KEY_SPACE = { raw: 2 ** 32, datagram: 2 ** 16 } as const;
/** Datagram sockets a pool may open (each with its own identifier, sequence space and receive buffer). */
const MAX_POOL_SOCKETS = 64;
/** The receive buffer never grows past this, whatever the windows ask. */
const MAX_RECEIVE_BUFFER = 64 * 1024 * 1024;
/**
 * Staged messages that make a batch worth sending from a worker thread ({@linkcode IcmpSocket.launchStaged}): a round
 * trip through Deno's blocking pool took ~40 µs (10 µs of it on the loop's thread), and offloaded sends cost ~15 %
 * more kernel time than the same sends on the loop's thread (measured with perf on the lab's flood), against ~10 µs
 * of kernel work per message on a veth path. Smaller batches (a single ping's probe, paced sends, the start-up path)
 * are sent on the loop's thread.
 */
const OFFLOAD_MIN = 16;
/**
 * Datagram sockets a pool spreads sends over while its sockets are busy sending, so that as many batches' kernel
 * work runs at once (each socket's sends serialize on its lock).
 */
const SEND_SOCKETS = 2;

/** One socket with its probe table. */
export class Channel {
  /** Outstanding probes by key (a Map's interface, without its garbage per insert and delete). */
  readonly probes = new ProbeTable<Probe>();
  /** Receive-buffer bytes that outstanding probes' replies may take. */
  pendingCost = 0;
  /** The kernel's receive-buffer budget (SO_RCVBUF read back). */
  budget: number;
  /** Datagram sockets: the identifier the kernel chose, known after the first send. */
  ident = -1;
  /** The longest reply any probe sent on it can bring (IPv4 header with options included). */
  largestReply = 0;
  /** What the matcher reads of the last received packet: one object per socket, refilled for each packet. */
  readonly packet: ReceivedPacket;
  #nextKey: number;
  readonly #space: number;

  constructor(readonly socket: IcmpSocket, receiveBuffer: number) {
    this.#space = KEY_SPACE[socket.kind];
    this.#nextKey = Math.floor(Math.random() * this.#space);
    this.packet = { family: socket.family, kind: socket.kind, data: EMPTY, from: EMPTY, ttl: -1 };
    this.budget = socket.growReceiveBuffer(receiveBuffer);
  }

  /** Whether its socket can take no more sends for now: a batch in flight and the next one fully staged. */
  get busy(): boolean {
    return this.socket.sending && this.socket.stagingFull;
  }

  /** Whether one more probe whose reply takes `cost` bytes fits its key space and receive buffer. */
  hasRoom(cost: number): boolean {
    return this.probes.size < this.#space && (this.pendingCost === 0 || this.pendingCost + cost <= this.budget);
  }

  /**
   * A free table key (only when {@linkcode Channel.hasRoom}). Raw sockets choose identifier and sequence
   * (key = id << 16 | seq); on datagram sockets the kernel owns the identifier, so the key is the sequence alone.
   */
  allocateKey(): number {
    while (this.probes.has(this.#nextKey)) this.#nextKey = (this.#nextKey + 1) % this.#space;
    const key = this.#nextKey;
    this.#nextKey = (key + 1) % this.#space;
    return key;
  }

  /** The probe with an echo identifier and sequence (see {@linkcode Channel.allocateKey}). */
  lookup = (id: number, seq: number): Probe | undefined =>
    this.probes.get(this.socket.kind === "raw" ? id * 65536 + seq : seq);

  /** The address bytes inside the last received sockaddr. */
  receivedAddress(): Uint8Array {
    return this.socket.receivedAddress;
  }
}

/** How a pool's sockets are opened. */
export interface PoolOptions {
  /** Interface to bind to (`SO_BINDTODEVICE`). */
  device?: string | undefined;
  /** Allow broadcast destinations (`SO_BROADCAST`). */
  broadcast?: boolean | undefined;
}

/** The sockets of one (family, kind, device, broadcast): one raw socket, or as many datagram sockets as load needs. */
export class SocketPool {
  readonly channels: Channel[] = [];
  /** Runs using the pool. */
  users = 0;
  /** Receive buffer each socket should have, from the largest window among its users. */
  receiveBuffer = 0;
  /** Told of every socket opened after the first, which the loop must start watching. */
  onOpen: () => void = () => {};

  constructor(
    readonly key: string,
    readonly family: 4 | 6,
    readonly kind: IcmpSocketKind,
    readonly options: PoolOptions,
  ) {}

  /** Opens one more socket. */
  open(): Channel {
    const socket = IcmpSocket.open(this.family, this.kind, this.options);
    try {
      const channel = new Channel(socket, this.receiveBuffer);
      this.channels.push(channel);
      this.onOpen();
      return channel;
    } catch (error) {
      socket.close();
      throw error;
    }
  }

  /**
   * A socket with room for one more probe, opening another datagram socket when all are full (or, up to
   * {@linkcode SEND_SOCKETS}, busy sending); null when none.
   */
  pick(cost: number): Channel | null {
    let busy: Channel | null = null;
    for (const channel of this.channels) {
      if (!channel.hasRoom(cost)) continue;
      if (!channel.busy) return channel;
      busy ??= channel;
    }
    // Every raw socket sees every reply: a second one would not add room.
    if (this.kind === "raw" || this.channels.length >= MAX_POOL_SOCKETS) return busy;
    if (busy !== null && this.channels.length >= SEND_SOCKETS) return busy;
    try {
      return this.open();
    } catch {
      // Out of descriptors or memory: wait for room instead.
      return null;
    }
  }

  /**
   * Sizes every socket's receive buffer for `window` outstanding probes of `packetBytes` each. The kernel doubles
   * what is asked; the other half is headroom for replies that are not ours (raw sockets see every ICMP message).
   */
  reserve(window: number, packetBytes: number): void {
    const wanted = Math.min(
      MAX_RECEIVE_BUFFER,
      Math.ceil(window * (REPLY_OVERHEAD + packetBytes + TX_STAMP_OVERHEAD)),
    );
    if (wanted <= this.receiveBuffer) return;
    this.receiveBuffer = wanted;
    for (const channel of this.channels) channel.budget = channel.socket.growReceiveBuffer(wanted);
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
const UNSUPPORTED_ERRORS = new Set<number>([Errno.EPROTONOSUPPORT, Errno.EAFNOSUPPORT, Errno.EINVAL]);

/** Counters of an engine. */
export interface EngineStats {
  /** Probes outstanding (sent, not yet answered, failed or timed out). */
  outstanding: number;
  /** Open sockets. */
  sockets: number;
  /** Times a full socket made the scheduler wait. */
  sendBackoffs: number;
  /** Probes sent. */
  sent: number;
  /** Replies accepted. */
  received: number;
  /** Send batches handed to a worker thread (big batches; the kernel's work for them then runs beside the loop's). */
  offloaded: number;
}

/** The engine. Use {@linkcode engine} for the process-wide instance; a `Pinger` owns one of its own. */
export class Engine {
  readonly #pools = new Map<string, SocketPool>();
  readonly #heap = new DeadlineHeap<Probe>();
  readonly #scheduler = new Scheduler();
  readonly #owners = new Set<ProbeOwner>();
  #poller: Poller | undefined;
  #loop: Promise<void> | undefined;
  #watchDirty = false;
  #watched: Channel[] = [];
  #closing: IcmpSocket[] = [];
  #woken = false;
  readonly #txStamp = new TxStamp();
  /** What `onReply` and `onDuplicate` receive: one object, refilled for each reply. */
  readonly #reply: ReplyDetails = { rtt: 0, clock: "user", ttl: null, bytes: 0 };
  /** What the matcher refills for each reply (read at once by `#apply`). */
  readonly #replyMatch: ReplyMatch<Probe> = { type: "reply", probe: PLACEHOLDER_PROBE, ttl: null, bytes: 0 };
  /** The loop's macrotask hop: one for the engine's life, so that its one free hop (see Turn) is the engine's. */
  readonly #turn = new Turn();
  /** Sends and reads so far: a turn that changed it was busy. */
  #activity = 0;
  /** Channels with probes staged for one `sendmmsg` at the end of the scheduler's drain. */
  #staged: Channel[] = [];
  #outstanding = 0;
  #received = 0;
  /** Batches in flight on worker threads. */
  #flights = 0;
  /** Batches handed to worker threads so far. */
  #offloaded = 0;
  /** Whether the last step left sends waiting for a socket busy sending. */
  #blocked = false;
  /** Resolves the loop's wait for the next landing. */
  #onLanding: (() => void) | null = null;
  /** Keep sockets open while idle (a `Pinger`); otherwise the last user closes them. */
  keepSockets = false;
  /** Send batches of {@linkcode OFFLOAD_MIN} probes or more from a worker thread (see `#flush`). */
  offloadSends = true;

  /**
   * The pool for `family`, `kind` and `options`, opening its first socket if needed. `"auto"` uses a datagram
   * socket where the kernel allows one, else raw. Throws {@linkcode SocketPermissionError} when neither is allowed.
   * Each call must be matched by one {@linkcode Engine.releasePool}.
   */
  acquirePool(family: 4 | 6, kind: IcmpSocketKind | "auto", options: PoolOptions = {}): SocketPool {
    const kinds: IcmpSocketKind[] = kind === "auto" ? ["datagram", "raw"] : [kind];
    const suffix = `${options.device ?? ""}/${options.broadcast === true}`;
    for (const k of kinds) {
      const existing = this.#pools.get(`${family}/${k}/${suffix}`);
      if (existing !== undefined) {
        existing.users++;
        return existing;
      }
    }
    const refusals: SystemCallError[] = [];
    for (const k of kinds) {
      const pool = new SocketPool(`${family}/${k}/${suffix}`, family, k, options);
      try {
        pool.open();
      } catch (error) {
        // Under "auto" any refusal of the datagram socket falls through to raw: the shared socket is only the
        // unprivileged way in, and a raw socket that opens is the better answer to whatever refused it.
        if (
          error instanceof SystemCallError && error.syscall === "socket" &&
          ((kind === "auto" && k === "datagram") || PERMISSION_ERRORS.has(error.errno) ||
            UNSUPPORTED_ERRORS.has(error.errno))
        ) {
          refusals.push(error);
          continue;
        }
        throw error;
      }
      pool.users = 1;
      this.#pools.set(pool.key, pool);
      this.#watchDirty = true;
      // A socket the pool adds later (more room, or another to send from) is read only once the loop watches it;
      // the loop may be waiting in poll() on the old list, so wake it.
      pool.onOpen = () => {
        this.#watchDirty = true;
        this.#wake();
      };
      return pool;
    }
    if (refusals.some((error) => PERMISSION_ERRORS.has(error.errno))) {
      throw new SocketPermissionError(permissionHelp(privilegeFacts(kind)), { cause: refusals.at(-1) });
    }
    throw refusals.at(-1) ?? new Error(`Cannot open an ICMPv${family} socket`);
  }

  /**
   * Drops one user of a pool; the last one closes its sockets (unless {@linkcode Engine.keepSockets}). Resolves once
   * their descriptors are released: a socket with a batch in flight keeps its descriptor until the batch lands.
   */
  releasePool(pool: SocketPool): Promise<void> {
    pool.users--;
    if (pool.users > 0 || this.keepSockets) return Promise.resolve();
    return this.#closePool(pool);
  }

  #closePool(pool: SocketPool): Promise<void> {
    const sockets = pool.channels.map((channel) => channel.socket);
    if (this.#pools.get(pool.key) === pool) this.#pools.delete(pool.key);
    this.#watchDirty = true;
    for (const channel of pool.channels) {
      channel.probes.clear();
      if (this.#poller?.waiting) {
        // The fd must not be closed while a worker thread polls it: the loop closes it once the wait returns.
        this.#closing.push(channel.socket);
      } else {
        channel.socket.close();
      }
    }
    pool.channels.length = 0;
    this.#wake();
    return whenClosed(sockets);
  }

  /**
   * Closes every socket (a `Pinger`'s close); resolves as {@linkcode Engine.releasePool}. Runs must have been
   * detached first.
   */
  async closeAll(): Promise<void> {
    await Promise.all([...this.#pools.values()].map((pool) => this.#closePool(pool)));
  }

  /** Starts sending for `owner`: `flow` is queued in `owner.group` and outcomes go to `owner` until detached. */
  attach(owner: ProbeOwner, flow: { due: number; fire(now: number): FireOutcome }): void {
    this.#owners.add(owner);
    this.#scheduler.add(owner.group, flow);
    this.#startLoop();
    this.#wake();
  }

  /** Queues `flow` again after its due time moved earlier (or it became able to send). */
  reschedule(owner: ProbeOwner, flow: { due: number; fire(now: number): FireOutcome }): void {
    this.#scheduler.add(owner.group, flow);
    this.#wake();
  }

  /** Stops everything of `owner`: its outstanding probes are forgotten (no more outcomes). Idempotent. */
  detach(owner: ProbeOwner): void {
    if (!this.#owners.delete(owner)) return;
    for (let probe = owner.firstProbe, next; probe !== null; probe = next) {
      next = probe.nextOfOwner;
      this.#finish(probe);
    }
    owner.firstProbe = null;
    this.#wake();
  }

  /** Closes a call's group: its queued sends are dropped. */
  closeGroup(group: PaceGroup): void {
    this.#scheduler.close(group);
  }

  /** Counters for monitoring. */
  stats(): EngineStats {
    let sockets = 0;
    for (const pool of this.#pools.values()) sockets += pool.channels.length;
    return {
      outstanding: this.#outstanding,
      sockets,
      sendBackoffs: this.#scheduler.stats.backoffs,
      sent: this.#scheduler.stats.sent,
      received: this.#received,
      offloaded: this.#offloaded,
    };
  }

  /**
   * Sends probe number `seq` of `owner` now, or stages it for the one `sendmmsg` per socket that ends this drain
   * (see `#sendStaged`). Returns `"sent"` (a staged probe the local stack then refuses is reported through
   * `owner.onError` when the batch goes), `"spent"` when the local stack refused it (reported through `owner.onError`
   * before this returns), or `"backoff"` when the socket is full and nothing was sent. The payload's token is
   * `token` from `tokenAt` (see payload.ts).
   */
  transmit(owner: ProbeOwner, seq: number, token: Uint8Array, size: number, tokenAt = 0): FireOutcome {
    const pool = owner.pool;
    const family = pool.family;
    const packetBytes = 8 + size + (family === 4 && pool.kind === "raw" ? 20 : 0);
    // Every socket of a pool has the same stamping (the first one's, which stands for the kernel's).
    const cost = REPLY_OVERHEAD + packetBytes + (pool.channels[0]?.socket.txStamps === false ? 0 : TX_STAMP_OVERHEAD);
    const channel = pool.pick(cost);
    if (channel === null) return "backoff";
    const socket = channel.socket;
    // A full batch goes now (or waits for the one in flight); a full socket leaves this probe for after the back-off.
    if (socket.stagingFull) {
      if (socket.sending) {
        this.#blocked = true;
        return "busy";
      }
      if (!this.#flush(channel)) return "backoff";
    }
    const key = channel.allocateKey();
    const length = writeProbe(socket.packet, family, key >>> 16, key & 0xffff, token, size, tokenAt);
    let failure = 0;
    // Datagram sockets learn their identifier from the first send, which goes out alone.
    if (socket.canStage(length) && (socket.kind === "raw" || channel.ident !== -1)) {
      socket.stage(length, owner.destination.sockaddr, owner.control, key);
      if (!this.#staged.includes(channel)) this.#staged.push(channel);
    } else {
      // Staged and in-flight sends leave first, in order; a full socket leaves this one for after the back-off.
      if (socket.sending) {
        this.#blocked = true;
        return "busy";
      }
      if (socket.staged > 0 && !this.#sendStaged(channel)) return "backoff";
      failure = this.#send(channel, length, owner, key);
      if (failure === Errno.EAGAIN || failure === Errno.ENOBUFS) return "backoff";
    }
    if (socket.kind === "datagram" && channel.ident === -1 && failure === 0) channel.ident = socket.localPort();
    const probe = new Probe(
      channel,
      owner,
      key,
      seq,
      token,
      size,
      socket.kind === "raw" ? key >>> 16 : channel.ident,
      key & 0xffff,
      cost,
      socket.sentRealtime,
      socket.sentMonotonic,
      socket.sentMonotonic + owner.timeout,
      tokenAt,
    );
    if (failure !== 0) {
      probe.state = State.Done;
      probe.released = true;
      if (failure === Errno.EACCES && pool.options.broadcast !== true && isBroadcast(owner.destination)) {
        // As iputils: a broadcast needs to be asked for, and the answer says how.
        owner.onFailure(
          new RangeError(
            `Cannot ping: ${formatAddress(owner.destination.address)} is a broadcast address; set broadcast to ` +
              `ping it`,
          ),
        );
        return "spent";
      }
      owner.onError(probe, localRefusal(family, failure, strerror(failure)));
      return "spent";
    }
    this.#register(channel, probe, packetBytes);
    return "sent";
  }

  /** Makes a sent (or staged) probe outstanding: window, receive-buffer share, deadline. */
  #register(channel: Channel, probe: Probe, packetBytes: number): void {
    const owner = probe.owner;
    this.#activity++;
    if (packetBytes + 40 > channel.largestReply) channel.largestReply = packetBytes + 40;
    channel.probes.set(probe.key, probe);
    channel.pendingCost += probe.cost;
    this.#outstanding++;
    // Linked into the owner's list of outstanding probes: no set per run.
    probe.nextOfOwner = owner.firstProbe;
    if (owner.firstProbe !== null) owner.firstProbe.previousOfOwner = probe;
    owner.firstProbe = probe;
    this.#heap.push(probe);
  }

  /** Sends what every channel staged in this turn. */
  #sendAllStaged(): void {
    const staged = this.#staged;
    let kept = 0;
    for (let i = 0; i < staged.length; i++) {
      const channel = staged[i];
      if (!this.#flush(channel)) {
        staged[kept++] = channel;
        this.#scheduler.backoff(monotonicMs());
      }
    }
    staged.length = kept;
  }

  /**
   * Sends a channel's staged probes: nothing while a batch is in flight (its landing sends them), from a worker
   * thread when there are enough ({@linkcode OFFLOAD_MIN}), else on this thread. Returns false when the socket is
   * full (see `#sendStaged`).
   */
  #flush(channel: Channel): boolean {
    const socket = channel.socket;
    if (socket.sending) return true;
    if (this.offloadSends && socket.staged >= OFFLOAD_MIN && socket.canLaunch) {
      this.#launch(channel);
      return true;
    }
    return this.#sendStaged(channel);
  }

  /**
   * Sends a channel's staged probes from a worker thread. Their send stamps move to the launch (taken right before
   * the call): a batch may wait staged behind the one in flight. Their replies and transmit stamps may be read
   * before the batch lands; they are outstanding already.
   */
  #launch(channel: Channel): void {
    const socket = channel.socket;
    const flight = socket.launchStaged();
    const keys = socket.flyingKeys;
    for (let i = 0; i < keys.length; i++) {
      const probe = channel.probes.get(keys[i]);
      if (probe !== undefined && probe.state === State.Pending) {
        probe.sentMonotonic = socket.sentMonotonic;
        probe.sentRealtime = socket.sentRealtime;
      }
    }
    this.#activity++;
    this.#flights++;
    this.#offloaded++;
    flight.then(() => this.#landed(channel)).catch((error) => this.#failAll(error));
  }

  /**
   * A batch came back from its worker thread: what it did not send goes now on this thread, through `#sendStaged`'s
   * pending-error trap (the worker's errno is lost with it), and what was staged meanwhile goes next.
   */
  #landed(channel: Channel): void {
    this.#flights--;
    this.#activity++;
    this.#resumeLoop();
    if (channel.socket.fd === -1) return;
    try {
      if (!this.#flush(channel)) {
        if (!this.#staged.includes(channel)) this.#staged.push(channel);
        this.#scheduler.backoff(monotonicMs());
      }
    } catch (error) {
      this.#failAll(error);
    }
    // The scheduler may be waiting for a socket that is no longer busy.
    this.#wake();
  }

  /** Resolves when the next batch in flight lands, or on a wake-up (new work). */
  #landing(): Promise<void> {
    return new Promise((resolve) => this.#onLanding = resolve);
  }

  /** Ends the loop's wait for a landing. */
  #resumeLoop(): void {
    const resume = this.#onLanding;
    if (resume === null) return;
    this.#onLanding = null;
    resume();
  }

  /**
   * Sends a channel's staged probes with `sendmmsg`, keeping `#send`'s rules per message. A call that fails
   * part-way returns the count sent; the next call then fails on the first unsent message, with its errno: the
   * pending-error trap (take the queued and pending errors, send again) or this message's own refusal, which spends
   * it alone before the rest go on. Returns false when the socket is full (EAGAIN, ENOBUFS): the rest stay staged,
   * outstanding, for the next turn after the back-off.
   */
  #sendStaged(channel: Channel): boolean {
    const socket = channel.socket;
    let attempt = 0;
    while (socket.staged > 0) {
      if (socket.fd === -1) {
        socket.dropStaged(socket.staged);
        return true;
      }
      const sent = socket.sendStaged();
      if (sent > 0) {
        this.#activity++;
        attempt = 0;
        continue;
      }
      const failure = -sent;
      if (failure === Errno.EAGAIN || failure === Errno.ENOBUFS) return false;
      if (failure === Errno.EINTR) continue;
      if (attempt < MAX_SEND_RETRIES) {
        const taken = this.#drainErrors(channel);
        const pending = socket.takeError();
        if (!(attempt > 0 && taken === 0 && pending === 0)) {
          attempt++;
          continue;
        }
      }
      // The same refusal with nothing pending: this message's own.
      const key = socket.stagedKey;
      socket.dropStaged(1);
      attempt = 0;
      const probe = channel.probes.get(key);
      if (probe !== undefined && probe.state === State.Pending) this.#refuse(probe, failure);
    }
    return true;
  }

  /** A staged probe the local stack refused: reported as `transmit` reports a refused send. */
  #refuse(probe: Probe, failure: number): void {
    const owner = probe.owner;
    const family = owner.pool.family;
    this.#finish(probe);
    if (failure === Errno.EACCES && owner.pool.options.broadcast !== true && isBroadcast(owner.destination)) {
      owner.onFailure(
        new RangeError(
          `Cannot ping: ${formatAddress(owner.destination.address)} is a broadcast address; set broadcast to ping it`,
        ),
      );
      return;
    }
    owner.onError(probe, localRefusal(family, failure, strerror(failure)));
  }

  /**
   * One send, and the datagram socket's pending-error trap: every ICMP error sets the socket's `sk_err`, and the
   * next `sendmsg`, whoever makes it, fails with that errno (any errno an ICMP error maps to) without sending. So a
   * failed send takes the queued errors (handing them to their probes) and the pending one, and tries again; the
   * same refusal with nothing pending is this send's own (a local route, a bad source).
   */
  #send(channel: Channel, length: number, owner: ProbeOwner, key: number): number {
    const socket = channel.socket;
    const sockaddr = owner.destination.sockaddr;
    let failure = socket.send(length, sockaddr, owner.control, key);
    for (let attempt = 0; failure !== 0 && attempt < MAX_SEND_RETRIES; attempt++) {
      if (failure === Errno.EAGAIN || failure === Errno.ENOBUFS) return failure;
      if (failure !== Errno.EINTR) {
        const taken = this.#drainErrors(channel);
        const pending = socket.takeError();
        if (attempt > 0 && taken === 0 && pending === 0) break;
      }
      failure = socket.send(length, sockaddr, owner.control, key);
    }
    return failure;
  }

  #wake(): void {
    this.#resumeLoop();
    if (this.#woken || !this.#poller?.waiting) return;
    this.#woken = true;
    this.#poller.wake();
  }

  #startLoop(): void {
    if (this.#loop !== undefined) return;
    this.#poller = new Poller();
    // A new poller watches nothing yet.
    this.#watchDirty = true;
    this.#loop = this.#run().finally(() => {
      this.#poller?.close();
      this.#poller = undefined;
      this.#loop = undefined;
      // A run attached while the loop was winding down needs a loop of its own.
      if (this.#owners.size > 0) this.#startLoop();
    });
  }

  /**
   * The loop. While there is traffic it takes fast turns: yield one macrotask (so callbacks, new runs and timers get
   * their turn), then look at the sockets with a zero-timeout `poll` on this thread. Only when a turn found nothing
   * to do does it wait with `poll` on a worker thread until the next send or deadline, or a wake-up.
   */
  async #run(): Promise<void> {
    const poller = this.#poller!;
    const turn = this.#turn;
    let busy = false;
    try {
      while (this.#owners.size > 0) {
        const before = this.#activity;
        let timeout: number;
        try {
          timeout = this.#step();
        } catch (error) {
          this.#failAll(error);
          continue;
        }
        if (this.#owners.size === 0) break;
        if (this.#watchDirty) {
          this.#watched = [];
          for (const pool of this.#pools.values()) this.#watched.push(...pool.channels);
          poller.watch(this.#watched.map((channel) => channel.socket.fd));
          this.#watchDirty = false;
        }
        busy ||= this.#activity !== before || timeout === 0;
        if (this.#flights > 0 && (this.#blocked || !busy)) {
          // A landing is the next thing to do: it frees a socket, and on a path that answers inside the send its
          // replies are queued by then. Sleeping until it comes (or new work) spares the cores the workers run on.
          await this.#landing();
          this.#closeReleased();
          busy = poller.poll() > 0;
        } else if (busy) {
          await turn.next();
          this.#closeReleased();
          busy = poller.poll() > 0;
        } else {
          this.#woken = false;
          await poller.wait(timeout);
          this.#closeReleased();
        }
        try {
          this.#readReady(poller);
        } catch (error) {
          this.#failAll(error);
        }
      }
    } finally {
      turn.close();
      this.#closeReleased();
      this.#watched = [];
      this.#heap.clear();
    }
  }

  #readReady(poller: Poller): void {
    // By index: entries() made an array per socket per turn.
    const watched = this.#watched;
    for (let i = 0; i < watched.length; i++) {
      const channel = watched[i];
      if (channel.socket.fd === -1) continue;
      const events = poller.revents(i);
      if (events & POLLERR) this.#drainErrors(channel);
      // Also on POLLERR alone: a pending socket error with an empty error queue keeps POLLERR set until a normal
      // receive consumes it, and poll would return at once forever.
      if (events & (POLLIN | POLLERR)) this.#drain(channel);
    }
  }

  /** Expires deadlines and sends what is due; returns how long the loop may wait, in ms. */
  #step(): number {
    this.#blocked = false;
    let now = monotonicMs();
    if ((this.#heap.peek()?.deadline ?? Infinity) <= now) {
      this.#expire();
      now = monotonicMs();
    }
    if (this.#staged.length > 0) this.#sendAllStaged();
    let nextSend = this.#scheduler.run(now);
    if (this.#staged.length > 0) {
      this.#sendAllStaged();
      // A full socket pushed back: the scheduler waits out the back-off.
      if (this.#staged.length > 0) nextSend = Math.min(nextSend, monotonicMs() + BACKOFF_MS);
    }
    const wake = Math.min(nextSend, this.#heap.peek()?.deadline ?? Infinity);
    if (wake === Infinity) return POLL_TIMEOUT_MS;
    // poll() counts whole ms and never returns early: round up, so a deadline is not met one wait too soon.
    return Math.max(0, Math.min(POLL_TIMEOUT_MS, Math.ceil(wake - monotonicMs())));
  }

  #failAll(error: unknown): void {
    for (const owner of [...this.#owners]) {
      this.detach(owner);
      owner.onFailure(error);
    }
  }

  #closeReleased(): void {
    for (const socket of this.#closing) socket.close();
    this.#closing = [];
  }

  #expire(): void {
    // Replies already queued were answered in time: read them before declaring anything lost.
    for (const pool of this.#pools.values()) {
      for (const channel of pool.channels) {
        this.#drainErrors(channel);
        this.#drain(channel);
      }
    }
    const now = monotonicMs();
    for (let probe = this.#heap.peek(); probe !== undefined && probe.deadline <= now; probe = this.#heap.peek()) {
      this.#heap.pop();
      if (probe.state === State.Done) continue;
      // Its batch left later than it was staged (a worker thread sent it): the timeout counts from the send.
      const due = probe.sentMonotonic + probe.owner.timeout;
      if (due > probe.deadline) {
        probe.deadline = due;
        this.#heap.push(probe);
        continue;
      }
      const wasPending = probe.state === State.Pending;
      const owner = probe.owner;
      this.#finish(probe);
      if (wasPending) owner.onTimeout(probe);
    }
  }

  /** Gives back the probe's window slot and receive-buffer share (once). */
  #release(probe: Probe): void {
    if (probe.released) return;
    probe.released = true;
    probe.channel.pendingCost -= probe.cost;
    this.#outstanding--;
    this.#scheduler.settle(probe.owner.group);
  }

  #finish(probe: Probe): void {
    if (probe.state === State.Done) return;
    this.#release(probe);
    probe.state = State.Done;
    const channel = probe.channel;
    if (channel.probes.get(probe.key) === probe) channel.probes.delete(probe.key);
    const owner = probe.owner;
    if (probe.previousOfOwner !== null) probe.previousOfOwner.nextOfOwner = probe.nextOfOwner;
    else if (owner.firstProbe === probe) owner.firstProbe = probe.nextOfOwner;
    if (probe.nextOfOwner !== null) probe.nextOfOwner.previousOfOwner = probe.previousOfOwner;
    probe.previousOfOwner = probe.nextOfOwner = null;
    // Out of the table and the deadline heap: nothing keeps it (a sweep's probes would otherwise all live a timeout
    // long and be promoted to V8's old space). The owner and payload are dropped too, for whoever still holds it.
    this.#heap.remove(probe);
    probe.owner = NO_OWNER;
    probe.token = EMPTY;
    probe.tokenAt = 0;
  }

  /** Reads the normal queue until it is empty; returns how many packets were read. */
  #drain(channel: Channel): number {
    // One recvmmsg for up to 64 replies while every reply fits a batch slot; else one recvmsg each. Also one each
    // while the table holds a single probe (one ping's reply): the batch buffers cost ~1 ms to set up at start-up.
    if (channel.largestReply <= BATCH_SLOT_BYTES && channel.probes.size > 1) return this.#drainBatched(channel);
    const socket = channel.socket;
    let read = 0;
    // Once no run is attached nothing can match, and the loop is ending: a raw socket sees every ICMP message of the
    // host, and the last reply of a run need not be followed by a drain of everyone else's.
    for (let i = 0; i < RECEIVE_BATCH && socket.fd !== -1 && this.#owners.size > 0; i++) {
      const n = socket.receive(false);
      if (n >= 0) {
        read++;
        this.#activity++;
        this.#onPacket(channel);
        continue;
      }
      if (!this.#receiveFailed(channel, -n)) break;
    }
    return read;
  }

  #drainBatched(channel: Channel): number {
    const socket = channel.socket;
    let read = 0;
    while (read < RECEIVE_BATCH && socket.fd !== -1 && this.#owners.size > 0) {
      const n = socket.receiveBatch();
      if (n < 0) {
        if (!this.#receiveFailed(channel, -n)) break;
        continue;
      }
      read += n;
      this.#activity += n;
      for (let i = 0; i < n && socket.fd !== -1; i++) {
        socket.select(i);
        this.#onPacket(channel);
      }
      if (n < SOCKET_BATCH) break;
    }
    return read;
  }

  /** A normal receive failed with `error`: whether to read on. */
  #receiveFailed(channel: Channel, error: number): boolean {
    if (error === Errno.EAGAIN || error === Errno.EBADF) return false;
    // Any other errno is the socket's pending ICMP error (sk_err), which comes out before the data queued behind it
    // (EINTR aside): take the queued errors and read on.
    if (error !== Errno.EINTR) this.#drainErrors(channel);
    return true;
  }

  /**
   * Reads the error queue until it is empty and routes each entry: transmit stamps and ICMP errors and local
   * refusals to their probes. Returns how many entries were read. The loop reads it before the normal queue, so a
   * probe's transmit stamp (queued inside its `sendmsg`) is read before its reply.
   */
  #drainErrors(channel: Channel): number {
    // A transmit stamp per probe: one recvmmsg for up to 64 entries while every quoted probe fits a slot (and, as in
    // #drain, more than one probe is in the table).
    if (channel.largestReply <= ERROR_BATCH_SLOT_BYTES && channel.probes.size > 1) {
      return this.#drainErrorsBatched(channel);
    }
    const socket = channel.socket;
    let read = 0;
    for (let i = 0; i < RECEIVE_BATCH && socket.fd !== -1; i++) {
      if (socket.receive(true) < 0) break;
      read++;
      this.#activity++;
      this.#onQueuedEntry(channel);
    }
    return read;
  }

  #drainErrorsBatched(channel: Channel): number {
    const socket = channel.socket;
    let read = 0;
    while (read < RECEIVE_BATCH && socket.fd !== -1) {
      const n = socket.receiveErrorBatch();
      if (n <= 0) break;
      read += n;
      this.#activity += n;
      for (let i = 0; i < n && socket.fd !== -1; i++) {
        socket.selectError(i);
        this.#onQueuedEntry(channel);
      }
      if (n < SOCKET_BATCH) break;
    }
    return read;
  }

  #onPacket(channel: Channel): void {
    const socket = channel.socket;
    const packet = channel.packet;
    packet.data = socket.received;
    packet.from = socket.receivedAddress;
    packet.ttl = socket.ancillary.ttl;
    const match = matchPacket(packet, channel.lookup, this.#replyMatch);
    if (match !== null) this.#apply(channel, match);
  }

  #onQueuedEntry(channel: Channel): void {
    const socket = channel.socket;
    // Most entries are transmit stamps: read as such straight from the control data (the ancillary data of the entry
    // is then never parsed), and only another origin's extended error goes on to the matcher.
    const tx = this.#txStamp;
    const status = readTxStamp(
      socket.family,
      socket.receivedControl,
      socket.receivedControlLength,
      socket.receivedFlags,
      tx,
    );
    if (status === "stamp") return this.#onTxStamp(channel, tx);
    // A cut or foreign timestamping entry is dropped, and that probe's RTT is then made without it (`clock: "rx"`).
    if (status !== "error") return;
    const ancillary = socket.ancillary;
    const offender = fromSockaddr(ancillary.offender);
    const match = matchQueuedError(
      {
        family: socket.family,
        data: socket.received,
        destination: channel.receivedAddress(),
        origin: ancillary.errorOrigin,
        errno: ancillary.errorErrno,
        type: ancillary.errorType,
        code: ancillary.errorCode,
        offender: offender === null ? null : formatAddress(offender.address),
      },
      channel.lookup,
      strerror,
    );
    if (match !== null) this.#apply(channel, match);
  }

  /** A transmit stamp: kept on its probe. */
  #onTxStamp(channel: Channel, tx: TxStamp): void {
    const probe = channel.probes.get(channel.socket.txKeys.keyOf(tx.counter));
    if (probe !== undefined && Number.isNaN(probe.sentKernel)) probe.sentKernel = realtimeToMs(tx.sec, tx.nsec);
  }

  #apply(channel: Channel, match: PacketMatch<Probe>): void {
    const probe = match.probe;
    if (match.type === "corrupted") {
      if (probe.state !== State.Done) probe.owner.onCorrupted(probe);
    } else if (match.type === "error") {
      if (probe.state !== State.Pending) return;
      const owner = probe.owner;
      this.#finish(probe);
      owner.onError(probe, match.error);
    } else {
      this.#onReply(channel, probe, match.ttl, match.bytes);
    }
  }

  #onReply(channel: Channel, probe: Probe, ttl: number | null, bytes: number): void {
    const socket = channel.socket;
    const owner = probe.owner;
    const stamp = socket.ancillary;
    const user = socket.receivedMonotonic - probe.sentMonotonic;
    let rx: number | null = null;
    let kernel: number | null = null;
    if (owner.kernelTimestamps && stamp.hasStamp) {
      const received = realtimeToMs(stamp.stampSec, stamp.stampNsec);
      rx = received - probe.sentRealtime;
      // Its transmit stamp is normally read already; if the drain has not reached it yet, look once more. The
      // error-queue read overwrites the socket's last message and receive time (which the rest of a recvmmsg batch
      // shares), so both receive readings are taken first and the time is put back.
      if (Number.isNaN(probe.sentKernel) && socket.txStamps) {
        const receivedMonotonic = socket.receivedMonotonic;
        this.#drainErrors(channel);
        socket.receivedMonotonic = receivedMonotonic;
      }
      if (!Number.isNaN(probe.sentKernel)) kernel = received - probe.sentKernel;
    }
    const clock = chooseClock(user, rx, kernel);
    const rtt = rttOf(clock, user, rx, kernel);
    // One object for every reply: owners read it during the call (a run copies what it keeps).
    const reply = this.#reply;
    reply.rtt = rtt;
    reply.clock = clock;
    reply.ttl = ttl;
    reply.bytes = bytes;
    if (probe.state === State.Answered) {
      owner.onDuplicate(probe, reply);
    } else if (probe.state === State.Pending && rtt <= owner.timeout) {
      // Kept in the table until its deadline so that later copies count as duplicates.
      probe.state = State.Answered;
      this.#received++;
      this.#release(probe);
      owner.onReply(probe, reply);
    }
  }
}

/**
 * One macrotask hop without a timer (a timer hop costs ~2 ms): a message to itself on a MessageChannel, delivered
 * after every pending microtask. The channel keeps the process alive, so it is closed whenever the loop ends, and
 * opened again on the next hop. The very first hop is a microtask instead: a single ping on loopback has its reply
 * queued by the time the send returns, and ends without ever opening the channel (~1 ms at start-up). Only one:
 * runs that follow each other (a flood, a Pinger) restart the loop, and must still let timers and I/O in.
 */
class Turn {
  #channel: MessageChannel | undefined;
  #used = false;
  #waiters: (() => void)[] = [];

  next(): Promise<void> {
    if (!this.#used) {
      this.#used = true;
      return Promise.resolve();
    }
    const channel = this.#channel ??= this.#open();
    return new Promise((resolve) => {
      this.#waiters.push(resolve);
      if (this.#waiters.length === 1) channel.port2.postMessage(null);
    });
  }

  #open(): MessageChannel {
    const channel = new MessageChannel();
    channel.port1.onmessage = () => {
      const waiters = this.#waiters;
      this.#waiters = [];
      for (const resolve of waiters) resolve();
    };
    return channel;
  }

  /** Closes the channel (the process may end) and releases any waiter. */
  close(): void {
    this.#channel?.port1.close();
    this.#channel?.port2.close();
    this.#channel = undefined;
    const waiters = this.#waiters;
    this.#waiters = [];
    for (const resolve of waiters) resolve();
  }
}

/** Resolves once every one of `sockets` (closed) has released its descriptor. */
async function whenClosed(sockets: readonly IcmpSocket[]): Promise<void> {
  for (const socket of sockets) await socket.whenClosed();
}

let shared: Engine | undefined;

/** The process-wide engine: every `ping()` and `pingMany()` shares its sockets. */
export function engine(): Engine {
  shared ??= new Engine();
  return shared;
}
