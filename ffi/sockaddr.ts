/**
 * `sockaddr_in` / `sockaddr_in6` encoding.
 *
 * @module
 */
import { AF_INET, AF_INET6 } from "./constants.ts";
import { SOCKADDR_IN, SOCKADDR_IN6 } from "./structs.ts";

/** An address as the kernel takes it. */
export interface SocketAddress {
  /** 4 or 6. */
  family: 4 | 6;
  /** The 4 or 16 address bytes. */
  address: Uint8Array;
  /** The whole `sockaddr_in` / `sockaddr_in6`. */
  sockaddr: Uint8Array;
}

/** Builds a `sockaddr_in` or `sockaddr_in6` for `address` (port 0), with an IPv6 scope id for link-local use. */
export function toSocketAddress(
  address: Uint8Array,
  scopeId = 0,
): SocketAddress {
  if (address.length === SOCKADDR_IN.addrLength) {
    const sockaddr = new Uint8Array(SOCKADDR_IN.size);
    new DataView(sockaddr.buffer).setUint16(SOCKADDR_IN.family, AF_INET, true);
    sockaddr.set(address, SOCKADDR_IN.addr);
    return {
      family: 4,
      address: sockaddr.subarray(SOCKADDR_IN.addr, SOCKADDR_IN.addr + 4),
      sockaddr,
    };
  }
  if (address.length === SOCKADDR_IN6.addrLength) {
    const sockaddr = new Uint8Array(SOCKADDR_IN6.size);
    const view = new DataView(sockaddr.buffer);
    view.setUint16(SOCKADDR_IN6.family, AF_INET6, true);
    view.setUint32(SOCKADDR_IN6.scopeId, scopeId, true);
    sockaddr.set(address, SOCKADDR_IN6.addr);
    return {
      family: 6,
      address: sockaddr.subarray(SOCKADDR_IN6.addr, SOCKADDR_IN6.addr + 16),
      sockaddr,
    };
  }
  throw new TypeError(
    `Cannot build a socket address from ${address.length} bytes`,
  );
}

/** Copies a `sockaddr` the kernel filled in; `null` when it is neither IPv4 nor IPv6. */
export function fromSockaddr(bytes: Uint8Array): SocketAddress | null {
  if (bytes.length < 2) return null;
  const family = bytes[0] | (bytes[1] << 8);
  if (family === AF_INET && bytes.length >= SOCKADDR_IN.addr + 4) {
    return toSocketAddress(bytes.slice(SOCKADDR_IN.addr, SOCKADDR_IN.addr + 4));
  }
  if (family === AF_INET6 && bytes.length >= SOCKADDR_IN6.size) {
    const scope = new DataView(bytes.buffer, bytes.byteOffset).getUint32(
      SOCKADDR_IN6.scopeId,
      true,
    );
    return toSocketAddress(
      bytes.slice(SOCKADDR_IN6.addr, SOCKADDR_IN6.addr + 16),
      scope,
    );
  }
  return null;
}

/** The offset and length of the address bytes inside a sockaddr of `family`. */
export function addressSpan(family: 4 | 6): { offset: number; length: number } {
  return family === 4
    ? { offset: SOCKADDR_IN.addr, length: SOCKADDR_IN.addrLength }
    : { offset: SOCKADDR_IN6.addr, length: SOCKADDR_IN6.addrLength };
}
