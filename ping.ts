import { DestinationUnreachableError, PingTimeoutError, TimeExceededError } from "./errors.ts";
import {
  describeTarget,
  encodeSendControl,
  engine,
  type ErrorInfo,
  type ReplyInfo,
  resolveTarget,
  type Session,
  type SessionHandler,
  SocketPermissionError,
  sourceAddress,
} from "./engine/mod.ts";
import { MAX_PAYLOAD } from "./icmp/mod.ts";
import { PingResult } from "./ping_result.ts";

/** Which kind of ICMP socket to use. */
export type SocketKind = "raw" | "datagram" | "auto";

/** Options of {@linkcode ping}. Times are milliseconds. */
export interface PingOptions {
  /**
   * Echo requests to send.
   * @default {4}
   */
  count?: number;
  /**
   * How long each probe waits for its reply, counted from that probe's send, in ms.
   * @default {1000}
   */
  timeout?: number;
  /**
   * Time between sends in ms. The schedule is fixed: a send never waits for an earlier reply.
   * @default {100}
   */
  interval?: number;
  /**
   * Payload bytes after the 8-byte ICMP header, 0 up to 65507 (IPv4) or 65527 (IPv6).
   * @default {56}
   */
  size?: number;
  /** Outgoing TTL (IPv4) or hop limit (IPv6), 1–255. The system default when unset. */
  ttl?: number;
  /** DSCP code point, 0–63, written into the TOS byte or IPv6 traffic class. Unset leaves it 0. */
  dscp?: number;
  /** Address family for names that resolve to both. IPv4 first when unset. */
  family?: 4 | 6;
  /** Local address to send from. */
  source?: string;
  /**
   * `"raw"` (needs CAP_NET_RAW), `"datagram"` (unprivileged ICMP, needs `net.ipv4.ping_group_range` to include the
   * caller's group) or `"auto"`: datagram where the kernel allows it, else raw.
   * @default {"auto"}
   */
  socket?: SocketKind;
  /**
   * End each RTT at the kernel's receive stamp (`SO_TIMESTAMPNS`) instead of the moment user code read the reply.
   * @default {true}
   */
  kernelTimestamps?: boolean;
  /**
   * Throw {@linkcode PingTimeoutError} when nothing at all came back.
   * @default {false}
   */
  throwOnTimeout?: boolean;
  /** Stops sending; `ping()` then settles at once with what was gathered. */
  signal?: AbortSignal;
  /** Called once per probe when its outcome is known, and once per duplicate reply. */
  onProbe?: (event: ProbeEvent) => void;
}

/** Which clock ended an RTT: the kernel's receive stamp, or user space reading the reply. */
export type RttClock = "kernel" | "user";

/** A matching echo reply arrived in time. */
export interface ReplyEvent {
  /** Discriminant. */
  type: "reply";
  /** Probe number, 1 for the first probe. */
  seq: number;
  /** Round-trip time in ms. */
  rtt: number;
  /** Reply TTL or hop limit, `null` when the kernel did not report it. */
  ttl: number | null;
  /** ICMP bytes received (header and payload). */
  bytes: number;
  /** The address that replied. */
  from: string;
  /** Which clock ended the RTT. */
  clock: RttClock;
}

/** Another copy of a reply that was already counted. */
export interface DuplicateEvent extends Omit<ReplyEvent, "type"> {
  /** Discriminant. */
  type: "duplicate";
}

/** No reply within `timeout`. */
export interface TimeoutEvent {
  /** Discriminant. */
  type: "timeout";
  /** Probe number, 1 for the first probe. */
  seq: number;
}

/** An ICMP error came back for the probe, or the local stack refused to send it. */
export interface ErrorEvent {
  /** Discriminant. */
  type: "error";
  /** Probe number, 1 for the first probe. */
  seq: number;
  /**
   * `"unreachable"` and `"time-exceeded"` are the ICMP errors that decide which error {@linkcode ping} throws;
   * `"other"` is any other ICMP error (packet too big, parameter problem) or a send failure.
   */
  kind: "unreachable" | "time-exceeded" | "other";
  /** ICMP type; for a local refusal, the type the router would have sent. `null` for other send failures. */
  icmpType: number | null;
  /** ICMP code, as for `icmpType`. */
  code: number | null;
  /** The router that reported it; `null` when the local stack refused the send. */
  from: string | null;
  /** Human text: the RFC description, or the system error for a failed send. */
  message: string;
}

/** What {@linkcode PingOptions.onProbe} receives. */
export type ProbeEvent =
  | ReplyEvent
  | DuplicateEvent
  | TimeoutEvent
  | ErrorEvent;

/**
 * The ranges {@linkcode ping} accepts for its numeric options, for callers that validate input of their own (the CLI
 * does, to name its flags).
 *
 * @example
 * ```ts
 * import { PING_LIMITS } from "@miniping/miniping";
 * import { equal } from "node:assert/strict";
 *
 * equal(PING_LIMITS.size.max[4], 65507);
 * ```
 */
export const PING_LIMITS = {
  /** Outgoing TTL / hop limit. */
  ttl: { min: 1, max: 255 },
  /** DSCP is a 6-bit field. */
  dscp: { min: 0, max: 63 },
  /** Payload bytes: 65535 − 20 (IPv4 header) − 8, or the IPv6 payload length 65535 − 8. */
  size: { min: 0, max: { 4: MAX_PAYLOAD[4], 6: MAX_PAYLOAD[6] } },
} as const;

/** Defaults of {@linkcode PingOptions}. */
const DEFAULTS = { count: 4, timeout: 1000, interval: 100, size: 56 } as const;
/** The longest delay `setTimeout` honours. */
const MAX_DELAY_MS = 2 ** 31 - 1;
/** Leading payload bytes that are random per probe, so no other packet can pass for a reply. */
const TOKEN_BYTES = 16;
const SOCKET_KINDS: readonly SocketKind[] = ["raw", "datagram", "auto"];

type Validated =
  & Required<
    Pick<
      PingOptions,
      | "count"
      | "timeout"
      | "interval"
      | "size"
      | "socket"
      | "kernelTimestamps"
      | "throwOnTimeout"
    >
  >
  & PingOptions;

function describe(value: unknown): string {
  return typeof value === "string" ? JSON.stringify(value) : String(value);
}

function number(
  name: string,
  value: unknown,
  { integer, min, max, above = false }: { integer: boolean; min: number; max: number; above?: boolean },
): number {
  if (typeof value !== "number") {
    throw new TypeError(
      `Cannot ping: ${name} must be a number, got ${typeof value} ${describe(value)}`,
    );
  }
  if (Number.isNaN(value) || (integer && !Number.isInteger(value))) {
    throw new RangeError(
      `Cannot ping: ${name} must be ${integer ? "an integer" : "a number"}, got ${value}`,
    );
  }
  if (above && value <= min) {
    throw new RangeError(`Cannot ping: ${name} must be > ${min}, got ${value}`);
  }
  if (value < min) {
    throw new RangeError(`Cannot ping: ${name} must be ≥ ${min}, got ${value}`);
  }
  if (value > max) {
    throw new RangeError(`Cannot ping: ${name} must be ≤ ${max}, got ${value}`);
  }
  return value;
}

function boolean(name: string, value: unknown): boolean {
  if (typeof value !== "boolean") {
    throw new TypeError(
      `Cannot ping: ${name} must be a boolean, got ${describe(value)}`,
    );
  }
  return value;
}

/** Checks every option before anything is sent; throws TypeError or RangeError naming the option and the value. */
function validate(host: unknown, options: PingOptions): Validated {
  if (typeof host !== "string") {
    throw new TypeError(
      `Cannot ping: host must be a string, got ${typeof host}`,
    );
  }
  if (host.trim() === "") {
    throw new RangeError("Cannot ping: host must not be empty");
  }
  if (typeof options !== "object" || options === null) {
    throw new TypeError(
      `Cannot ping: options must be an object, got ${describe(options)}`,
    );
  }
  const o: Validated = {
    ...options,
    count: number("count", options.count ?? DEFAULTS.count, {
      integer: true,
      min: 1,
      max: Number.MAX_SAFE_INTEGER,
    }),
    timeout: number("timeout", options.timeout ?? DEFAULTS.timeout, {
      integer: false,
      min: 0,
      above: true,
      max: MAX_DELAY_MS,
    }),
    interval: number("interval", options.interval ?? DEFAULTS.interval, {
      integer: false,
      min: 0,
      max: MAX_DELAY_MS,
    }),
    size: number("size", options.size ?? DEFAULTS.size, {
      integer: true,
      min: 0,
      max: PING_LIMITS.size.max[6],
    }),
    socket: options.socket ?? "auto",
    kernelTimestamps: boolean(
      "kernelTimestamps",
      options.kernelTimestamps ?? true,
    ),
    throwOnTimeout: boolean("throwOnTimeout", options.throwOnTimeout ?? false),
  };
  if (options.ttl !== undefined) {
    number("ttl", options.ttl, { integer: true, ...PING_LIMITS.ttl });
  }
  if (options.dscp !== undefined) {
    number("dscp", options.dscp, { integer: true, ...PING_LIMITS.dscp });
  }
  if (
    options.family !== undefined && options.family !== 4 && options.family !== 6
  ) {
    throw new RangeError(
      `Cannot ping: family must be 4 or 6, got ${describe(options.family)}`,
    );
  }
  if (!SOCKET_KINDS.includes(o.socket)) {
    throw new RangeError(
      `Cannot ping: socket must be "raw", "datagram" or "auto", got ${describe(o.socket)}`,
    );
  }
  if (options.source !== undefined && typeof options.source !== "string") {
    throw new TypeError(
      `Cannot ping: source must be a string, got ${describe(options.source)}`,
    );
  }
  if (
    options.signal !== undefined && !(options.signal instanceof AbortSignal)
  ) {
    throw new TypeError(
      `Cannot ping: signal must be an AbortSignal, got ${describe(options.signal)}`,
    );
  }
  if (options.onProbe !== undefined && typeof options.onProbe !== "function") {
    throw new TypeError(
      `Cannot ping: onProbe must be a function, got ${describe(options.onProbe)}`,
    );
  }
  return o;
}

/** A probe's payload: a random token, then a counting pattern that makes damage anywhere visible. */
function makePayload(size: number): Uint8Array {
  const payload = new Uint8Array(size);
  const token = Math.min(TOKEN_BYTES, size);
  crypto.getRandomValues(payload.subarray(0, token));
  for (let i = token; i < size; i++) payload[i] = i & 0xff;
  return payload;
}

/**
 * Sends ICMP echo requests to `host` and resolves with the statistics of the replies.
 *
 * Every concurrent call shares one socket per address family and socket kind; a reply counts only when it comes
 * from the probed address and carries the exact payload of an outstanding probe.
 *
 * @throws {TypeError | RangeError} An option has the wrong type or is out of range (before anything is sent).
 * @throws {Deno.errors.NotFound} `host` does not resolve.
 * @throws {Deno.errors.PermissionDenied} Neither a raw nor a datagram ICMP socket may be opened.
 * @throws {DestinationUnreachableError | TimeExceededError} No reply, and at least one such ICMP error.
 * @throws {PingTimeoutError} Nothing came back, with `throwOnTimeout`.
 *
 * @example Ping loopback
 * ```ts no-eval
 * import { ping } from "@miniping/miniping";
 *
 * const result = await ping("127.0.0.1", { count: 3, interval: 20 });
 * console.log(`${result.received}/${result.sent} replies, median ${result.median} ms`);
 * ```
 */
export async function ping(
  host: string,
  options: PingOptions = {},
): Promise<PingResult> {
  const o = validate(host, options);
  o.signal?.throwIfAborted();
  const destination = await resolveTarget(host, o.family);
  const family = destination.family;
  if (o.size > PING_LIMITS.size.max[family]) {
    throw new RangeError(
      `Cannot ping: size must be ≤ ${PING_LIMITS.size.max[family]} for IPv${family}, got ${o.size}`,
    );
  }
  const source = o.source === undefined ? undefined : sourceAddress(o.source, family).address;
  o.signal?.throwIfAborted();
  const control = encodeSendControl(family, {
    ttl: o.ttl,
    tos: o.dscp === undefined ? undefined : o.dscp << 2,
    source,
  });
  return await new Run(host, describeTarget(destination), family, o)
    .start((handler) => {
      try {
        return engine().open(family, o.socket, {
          destination,
          control,
          timeout: o.timeout,
          kernelTimestamps: o.kernelTimestamps,
          handler,
        });
      } catch (error) {
        if (error instanceof SocketPermissionError) {
          throw new Deno.errors.PermissionDenied(error.message, {
            cause: error.cause,
          });
        }
        throw error;
      }
    });
}

/** The state of one ping() call between the first send and the result. */
class Run {
  readonly #rtts: (number | undefined)[] = [];
  #ttl: number | null = null;
  #sent = 0;
  #settled = 0;
  #duplicates = 0;
  #corrupted = 0;
  #errors: ErrorInfo[] = [];
  #session: Session | undefined;
  #timer: ReturnType<typeof setTimeout> | undefined;
  #startedAt = 0;
  #done = false;
  #resolve!: (result: PingResult) => void;
  #reject!: (error: unknown) => void;
  #abort = () => this.#finish();

  constructor(
    readonly host: string,
    readonly address: string,
    readonly family: 4 | 6,
    readonly options: Validated,
  ) {}

  start(open: (handler: SessionHandler) => Session): Promise<PingResult> {
    const promise = new Promise<PingResult>((resolve, reject) => {
      this.#resolve = resolve;
      this.#reject = reject;
    });
    this.#session = open({
      reply: (tag, info) => this.#reply(tag, info),
      duplicate: (tag, info) => {
        this.#duplicates++;
        this.#emit({ type: "duplicate", seq: tag, ...this.#replyFields(info) });
      },
      corrupted: () => this.#corrupted++,
      error: (tag, info) => {
        this.#errors.push(info);
        this.#emit({ type: "error", seq: tag, ...info });
        this.#settle();
      },
      timeout: (tag) => {
        this.#emit({ type: "timeout", seq: tag });
        this.#settle();
      },
    });
    this.options.signal?.addEventListener("abort", this.#abort, { once: true });
    this.#startedAt = performance.now();
    this.#sendNext();
    return promise;
  }

  #replyFields(info: ReplyInfo) {
    return {
      rtt: info.rtt,
      ttl: info.ttl,
      bytes: info.bytes,
      from: this.address,
      clock: info.clock,
    };
  }

  #reply(tag: number, info: ReplyInfo): void {
    this.#rtts[tag - 1] = info.rtt;
    this.#ttl ??= info.ttl;
    this.#emit({ type: "reply", seq: tag, ...this.#replyFields(info) });
    this.#settle();
  }

  #emit(event: ProbeEvent): void {
    if (this.#done || this.options.onProbe === undefined) return;
    try {
      this.options.onProbe(event);
    } catch (error) {
      this.#fail(error);
    }
  }

  #sendNext(): void {
    this.#timer = undefined;
    if (this.#done) return;
    this.#sent++;
    const seq = this.#sent;
    this.#session!.send(seq, makePayload(this.options.size));
    if (this.#done || this.#sent >= this.options.count) return;
    // A fixed schedule: probe n goes out at start + (n − 1) × interval, however late the previous timer fired.
    const due = this.#startedAt + this.#sent * this.options.interval;
    this.#timer = setTimeout(
      () => this.#sendNext(),
      Math.max(0, due - performance.now()),
    );
  }

  #settle(): void {
    this.#settled++;
    if (this.#settled >= this.options.count) {
      queueMicrotask(() => this.#finish());
    }
  }

  #cleanup(): void {
    this.#done = true;
    if (this.#timer !== undefined) clearTimeout(this.#timer);
    this.options.signal?.removeEventListener("abort", this.#abort);
    this.#session?.close();
  }

  #fail(error: unknown): void {
    if (this.#done) return;
    this.#cleanup();
    this.#reject(error);
  }

  #finish(): void {
    if (this.#done) return;
    this.#cleanup();
    const result = new PingResult({
      host: this.host,
      address: this.address,
      family: this.family,
      sent: this.#sent,
      rtts: this.#rtts.filter((rtt): rtt is number => rtt !== undefined),
      ttl: this.#ttl,
      duplicates: this.#duplicates,
      corrupted: this.#corrupted,
      errors: this.#errors.length,
    });
    if (result.received === 0) {
      const first = this.#errors.find((error) => error.kind !== "other");
      if (first !== undefined) {
        const ErrorClass = first.kind === "unreachable" ? DestinationUnreachableError : TimeExceededError;
        this.#reject(
          new ErrorClass(first.message, {
            code: first.code ?? 0,
            from: first.from,
            result,
          }),
        );
        return;
      }
      if (this.options.throwOnTimeout && this.#errors.length === 0) {
        this.#reject(
          new PingTimeoutError(
            `No reply from ${this.host} (${this.address}) to ${this.#sent} probes`,
            result,
          ),
        );
        return;
      }
    }
    this.#resolve(result);
  }
}
