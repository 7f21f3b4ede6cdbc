/**
 * The explanation and fix for a refused ICMP socket: it names `net.ipv4.ping_group_range` as it stands, the user's
 * group, and the narrowest one-line fix. Pure: {@linkcode privilegeFacts} gathers the facts through libc.
 *
 * @module
 */
import { privilege } from "../ffi/privilege.ts";

/** What the message is built from; `null` where the fact could not be read. */
export interface PrivilegeFacts {
  /** The effective user id. */
  uid: number | null;
  /** The primary group id. */
  gid: number | null;
  /** `net.ipv4.ping_group_range` as two numbers. */
  range: readonly [number, number] | null;
  /** The socket kind asked for: `auto` tried both. */
  socket: "raw" | "datagram" | "auto";
}

const SYSCTL = "net.ipv4.ping_group_range";
const SETCAP = `sudo setcap cap_net_raw+ep "$(readlink -f "$(which deno)")"`;
const SETCAP_WARNING = "(that deno binary is shared: every script run with --allow-ffi then gets raw sockets)";

/**
 * Builds the one-line explanation and fix for a refused ICMP socket.
 *
 * @param facts What is known about the user and the system.
 * @returns One line, without the program prefix.
 *
 * @example A user outside the range
 * ```ts
 * import { permissionHelp } from "./permission_help.ts";
 * import { match } from "node:assert/strict";
 *
 * const text = permissionHelp({ uid: 1000, gid: 1000, range: [1, 0], socket: "auto" });
 * match(text, /ping_group_range="1000 1000"/);
 * ```
 */
export function permissionHelp(facts: PrivilegeFacts): string {
  const group = facts.gid === null ? "your group (id -g)" : `group ${facts.gid}`;
  const current = facts.range === null ? "" : ` is "${facts.range[0]} ${facts.range[1]}", which`;
  const pair = facts.gid === null ? "<gid> <gid>" : `${facts.gid} ${facts.gid}`;
  const sysctl = `sudo sysctl -w ${SYSCTL}="${pair}"`;
  const included = facts.range !== null && facts.gid !== null && facts.gid >= facts.range[0] &&
    facts.gid <= facts.range[1];
  const datagram = included
    ? `${SYSCTL}${current.replace(", which", "")} includes ${group}, yet the kernel refused (a container or ` +
      "security policy may forbid ICMP sockets)"
    : facts.range === null
    ? `${SYSCTL} must include ${group}; allow it with: ${sysctl}`
    : `${SYSCTL}${current} excludes ${group}; allow it with: ${sysctl}`;
  if (facts.socket === "datagram") {
    // Root too needs the sysctl for datagram sockets; setcap would not help.
    return `Cannot open a datagram ICMP socket: ${datagram} (or use socket "raw"${
      facts.uid === 0 ? "" : " with raw privilege"
    })`;
  }
  const raw = `raw sockets need root or CAP_NET_RAW: ${SETCAP} ${SETCAP_WARNING}`;
  if (facts.socket === "raw") return `Cannot open a raw ICMP socket: ${raw}; or use socket "datagram"`;
  return `Cannot open an ICMP socket: ${datagram}; or give ${raw}`;
}

/**
 * Reads the facts through libc (no `--allow-sys` or `--allow-read` needed).
 *
 * @param socket The socket kind asked for.
 * @returns The facts; `range` is `null` where the sysctl cannot be read.
 */
export function privilegeFacts(socket: PrivilegeFacts["socket"]): PrivilegeFacts {
  const { uid, gid, pingGroupRange } = privilege();
  return { uid, gid, range: pingGroupRange, socket };
}
