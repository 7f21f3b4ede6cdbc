/**
 * Whether an address belongs to this host, asked of the kernel by binding a UDP socket to it (no privilege needed).
 *
 * @module
 */
import { AF_INET, AF_INET6, Errno, IPPROTO_UDP, SOCK_CLOEXEC, SOCK_DGRAM } from "./constants.ts";
import { errno, SystemCallError } from "./errno.ts";
import { libc } from "./libc.ts";
import type { SocketAddress } from "./sockaddr.ts";

/** True when `address` is assigned to an interface of this network namespace. */
export function isLocalAddress(address: SocketAddress): boolean {
  const c = libc();
  const fd = c.socket(
    address.family === 4 ? AF_INET : AF_INET6,
    SOCK_DGRAM | SOCK_CLOEXEC,
    IPPROTO_UDP,
  );
  if (fd === -1) throw new SystemCallError("socket", errno());
  try {
    if (c.bind(fd, address.sockaddr, address.sockaddr.length) === 0) {
      return true;
    }
    const failure = errno();
    if (failure === Errno.EADDRNOTAVAIL) return false;
    throw new SystemCallError("bind", failure);
  } finally {
    c.close(fd);
  }
}
