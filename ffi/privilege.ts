/**
 * What decides whether this process may open an ICMP socket, read through libc so that no `--allow-sys` or
 * `--allow-read` is needed: the effective ids and `net.ipv4.ping_group_range`.
 *
 * @module
 */
import { O_CLOEXEC, O_RDONLY } from "./constants.ts";
import { libc } from "./libc.ts";

/** The facts; `pingGroupRange` is `null` where the sysctl cannot be read (not Linux, no /proc). */
export interface Privilege {
  /** Effective user id. */
  uid: number;
  /** Effective group id: the one `ping_group_range` is checked against first. */
  gid: number;
  /** `net.ipv4.ping_group_range` as [low, high]. */
  pingGroupRange: [number, number] | null;
}

const RANGE_FILE = new TextEncoder().encode("/proc/sys/net/ipv4/ping_group_range\0");
const READ_SIZE = 64;

/** Reads the ids and the range now. */
export function privilege(): Privilege {
  const c = libc();
  return { uid: c.geteuid(), gid: c.getegid(), pingGroupRange: readRange() };
}

function readRange(): [number, number] | null {
  const c = libc();
  const fd = c.open(RANGE_FILE, O_RDONLY | O_CLOEXEC);
  if (fd === -1) return null;
  const buffer = new Uint8Array(READ_SIZE);
  try {
    const n = c.read(fd, buffer, BigInt(buffer.length));
    if (n <= 0) return null;
    const [low, high] = new TextDecoder().decode(buffer.subarray(0, n)).trim().split(/\s+/).map(Number);
    return Number.isInteger(low) && Number.isInteger(high) ? [low, high] : null;
  } finally {
    c.close(fd);
  }
}
