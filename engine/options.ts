/**
 * One source for the defaults and limits of `ping()` and `pingMany()`, and the checks that run before anything is
 * sent.
 *
 * @module
 */
import { MAX_PAYLOAD } from "../icmp/mod.ts";
import type { ProbeEvent } from "./events.ts";

/** Which kind of ICMP socket to use. */
export type SocketKind = "raw" | "datagram" | "auto";

/**
 * The socket kinds `ping()` accepts, for callers that validate or list them (the CLI does).
 *
 * @example
 * ```ts
 * import { SOCKET_KINDS } from "@miniping/miniping";
 * import { ok } from "node:assert/strict";
 *
 * ok(SOCKET_KINDS.includes("datagram"));
 * ```
 */
export const SOCKET_KINDS: readonly ["raw", "datagram", "auto"] = ["raw", "datagram", "auto"] as const;

/**
 * The defaults of `ping()` and `pingMany()` (times in ms), for callers that show or reuse them (the CLI does).
 *
 * @example
 * ```ts
 * import { PING_DEFAULTS } from "@miniping/miniping";
 * import { equal } from "node:assert/strict";
 *
 * equal(PING_DEFAULTS.count, 4);
 * ```
 */
export const PING_DEFAULTS = {
  /** Echo requests per target. */
  count: 4,
  /** Per-probe timeout, ms. */
  timeout: 1000,
  /** Time between one target's sends, ms. */
  interval: 100,
  /** Payload bytes. */
  size: 56,
  /** Socket kind. */
  socket: "auto",
  /** Probes outstanding at once per call; it also sizes the receive buffer (~830 B per queued reply). */
  window: 4096,
  /** Probes per second over all targets of a call: unlimited, so the window alone bounds a sweep. */
  rate: Infinity,
} as const;

/**
 * The ranges `ping()` accepts for its numeric options, for callers that validate input of their own (the CLI
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

/** The longest delay `setTimeout` honours: the cap of timeout and interval. */
const MAX_DELAY_MS = 2 ** 31 - 1;

/** Options of `ping()`, and of each target of `pingMany()`. Times are milliseconds. */
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
   * Network interface to send from and receive on (`SO_BINDTODEVICE`, iputils' `-I IFACE`). Sockets are shared per
   * interface.
   */
  interface?: string;
  /**
   * Allow a broadcast destination (`SO_BROADCAST`, iputils' `-b`). Without it, a broadcast target fails with a
   * RangeError that says so.
   * @default {false}
   */
  broadcast?: boolean;
  /**
   * `"raw"` (needs CAP_NET_RAW), `"datagram"` (unprivileged ICMP, needs `net.ipv4.ping_group_range` to include the
   * caller's group) or `"auto"`: datagram where the kernel allows it, else raw.
   * @default {"auto"}
   */
  socket?: SocketKind;
  /**
   * Take each RTT from the kernel's transmit and receive stamps of the probe (`SO_TIMESTAMPING`; `clock: "kernel"`),
   * or, without a plausible transmit stamp, from its receive stamp and a user-space send stamp (`"rx"`). `false`:
   * user space at both ends (`"user"`).
   * @default {true}
   */
  kernelTimestamps?: boolean;
  /**
   * Throw `PingTimeoutError` when nothing at all came back.
   * @default {false}
   */
  throwOnTimeout?: boolean;
  /** Stops sending; `ping()` then settles at once with what was gathered. */
  signal?: AbortSignal;
  /**
   * Called once per probe when its outcome is known, and once per duplicate reply. A throw, or a rejected promise
   * from an async callback, stops the run and rejects the call.
   */
  onProbe?: (event: ProbeEvent) => unknown;
}

/** Checked options with their defaults filled in. */
export type Checked<T extends PingOptions> =
  & T
  & Required<Pick<PingOptions, "count" | "timeout" | "interval" | "size" | "socket" | "kernelTimestamps">>;

function describe(value: unknown): string {
  return typeof value === "string" ? JSON.stringify(value) : String(value);
}

/** Checks a number option; throws TypeError / RangeError naming it. */
export function checkNumber(
  name: string,
  value: unknown,
  { integer, min, max, above = false }: { integer: boolean; min: number; max: number; above?: boolean },
): number {
  if (typeof value !== "number") {
    throw new TypeError(`Cannot ping: ${name} must be a number, got ${typeof value} ${describe(value)}`);
  }
  if (Number.isNaN(value) || (integer && !Number.isInteger(value) && value !== Infinity)) {
    throw new RangeError(`Cannot ping: ${name} must be ${integer ? "an integer" : "a number"}, got ${value}`);
  }
  if (above && value <= min) throw new RangeError(`Cannot ping: ${name} must be > ${min}, got ${value}`);
  if (value < min) throw new RangeError(`Cannot ping: ${name} must be ≥ ${min}, got ${value}`);
  if (value > max) throw new RangeError(`Cannot ping: ${name} must be ≤ ${max}, got ${value}`);
  return value;
}

function checkBoolean(name: string, value: unknown): boolean {
  if (typeof value !== "boolean") throw new TypeError(`Cannot ping: ${name} must be a boolean, got ${describe(value)}`);
  return value;
}

/** A string option that reaches C: a NUL inside would silently cut it there. */
function checkCString(name: string, value: unknown): string {
  if (typeof value !== "string") throw new TypeError(`Cannot ping: ${name} must be a string, got ${typeof value}`);
  if (value.includes("\0")) throw new TypeError(`Cannot ping: ${name} must not contain a NUL character`);
  return value;
}

/** Checks a host: a non-empty string without NUL. */
export function checkHost(host: unknown): string {
  checkCString("host", host);
  if ((host as string).trim() === "") throw new RangeError("Cannot ping: host must not be empty");
  return host as string;
}

/** Checks every option shared by `ping()` and `pingMany()` before anything is sent. */
export function checkOptions<T extends PingOptions>(options: T): Checked<T> {
  if (typeof options !== "object" || options === null) {
    throw new TypeError(`Cannot ping: options must be an object, got ${describe(options)}`);
  }
  const o: Checked<T> = {
    ...options,
    count: checkNumber("count", options.count ?? PING_DEFAULTS.count, {
      integer: true,
      min: 1,
      max: Number.MAX_SAFE_INTEGER,
    }),
    timeout: checkNumber("timeout", options.timeout ?? PING_DEFAULTS.timeout, {
      integer: false,
      min: 0,
      above: true,
      max: MAX_DELAY_MS,
    }),
    interval: checkNumber("interval", options.interval ?? PING_DEFAULTS.interval, {
      integer: false,
      min: 0,
      max: MAX_DELAY_MS,
    }),
    size: checkNumber("size", options.size ?? PING_DEFAULTS.size, {
      integer: true,
      min: 0,
      max: PING_LIMITS.size.max[6],
    }),
    socket: options.socket ?? PING_DEFAULTS.socket,
    kernelTimestamps: checkBoolean("kernelTimestamps", options.kernelTimestamps ?? true),
  };
  if (options.ttl !== undefined) checkNumber("ttl", options.ttl, { integer: true, ...PING_LIMITS.ttl });
  if (options.dscp !== undefined) checkNumber("dscp", options.dscp, { integer: true, ...PING_LIMITS.dscp });
  if (options.family !== undefined && options.family !== 4 && options.family !== 6) {
    throw new RangeError(`Cannot ping: family must be 4 or 6, got ${describe(options.family)}`);
  }
  if (!(SOCKET_KINDS as readonly string[]).includes(o.socket)) {
    throw new RangeError(`Cannot ping: socket must be "raw", "datagram" or "auto", got ${describe(o.socket)}`);
  }
  if (options.source !== undefined) checkCString("source", options.source);
  if (options.interface !== undefined) {
    checkCString("interface", options.interface);
    // IFNAMSIZ is 16 with the NUL.
    if (options.interface === "" || options.interface.length > 15) {
      throw new RangeError(`Cannot ping: interface must be 1 to 15 characters, got ${describe(options.interface)}`);
    }
  }
  if (options.broadcast !== undefined) checkBoolean("broadcast", options.broadcast);
  if (options.signal !== undefined && !(options.signal instanceof AbortSignal)) {
    throw new TypeError(`Cannot ping: signal must be an AbortSignal, got ${describe(options.signal)}`);
  }
  if (options.onProbe !== undefined && typeof options.onProbe !== "function") {
    throw new TypeError(`Cannot ping: onProbe must be a function, got ${describe(options.onProbe)}`);
  }
  return o;
}
