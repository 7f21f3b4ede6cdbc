/**
 * Whether an IPv4 address is a broadcast destination, asked of the kernel's routing table without sending anything.
 *
 * @module
 */
import { AF_INET, IPPROTO_UDP, SO_BROADCAST, SOCK_CLOEXEC, SOCK_DGRAM, SOL_SOCKET } from "./constants.ts";
import { errno, SystemCallError } from "./errno.ts";
import { libc } from "./libc.ts";
import type { SocketAddress } from "./sockaddr.ts";
import { cInt } from "./structs.ts";

/** A UDP `connect` (port 9) to `address` with or without SO_BROADCAST; true when it is accepted. */
function connects(address: SocketAddress, broadcast: boolean): boolean {
  const c = libc();
  const fd = c.socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, IPPROTO_UDP);
  if (fd === -1) throw new SystemCallError("socket", errno());
  try {
    if (broadcast) {
      const on = cInt(1);
      if (c.setsockopt(fd, SOL_SOCKET, SO_BROADCAST, on, on.length) === -1) {
        throw new SystemCallError("setsockopt(SO_BROADCAST)", errno());
      }
    }
    const sockaddr = address.sockaddr.slice();
    sockaddr[2] = 0;
    sockaddr[3] = 9;
    return c.connect(fd, sockaddr, sockaddr.length) === 0;
  } finally {
    c.close(fd);
  }
}

/**
 * True when the kernel routes `address` (IPv4) as a broadcast: a UDP connect to it is refused without SO_BROADCAST
 * and accepted with it. A prohibited route refuses both, so this tells the two EACCES apart.
 */
export function isBroadcast(address: SocketAddress): boolean {
  if (address.family !== 4) return false;
  return !connects(address, false) && connects(address, true);
}
