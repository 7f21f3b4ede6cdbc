/**
 * The library's defaults and socket kinds as the CLI reads them, and the option fields the engine branch adds to
 * `PingOptions` (`interface`, `broadcast`). One place, so the CLI never repeats a default: when `ping.ts` exports
 * `PING_DEFAULTS` and `SOCKET_KINDS` (seam contract), this file re-exports them and nothing else changes.
 *
 * @module
 */
import type { PingOptions } from "../ping.ts";

/** Defaults of `PingOptions` (ms); to be re-exported from `ping.ts` once the engine branch lands it. */
export const PING_DEFAULTS = { count: 4, timeout: 1000, interval: 100, size: 56, socket: "auto" } as const;

/** The socket kinds `ping()` accepts. */
export const SOCKET_KINDS = ["raw", "datagram", "auto"] as const;

/** `PingOptions` with the fields of the seam contract that the engine branch adds. */
export type LibraryPingOptions = PingOptions & {
  /** `SO_BINDTODEVICE` (iputils `-I IFACE`). */
  interface?: string;
  /** `SO_BROADCAST` (iputils `-b`). */
  broadcast?: boolean;
};
