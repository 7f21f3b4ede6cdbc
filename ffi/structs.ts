/**
 * C struct layouts for Linux x86_64 / aarch64 (LP64), in one place: byte offsets and sizes checked with `offsetof`.
 *
 * @module
 */

/** `struct msghdr`. */
export const MSGHDR = {
  size: 56,
  name: 0,
  namelen: 8,
  iov: 16,
  iovlen: 24,
  control: 32,
  controllen: 40,
  flags: 48,
} as const;

/** `struct mmsghdr`: a msghdr, then the received length (unsigned int), padded to 8. */
export const MMSGHDR = { size: 64, header: 0, len: 56 } as const;

/** `struct iovec`. */
export const IOVEC = { size: 16, base: 0, len: 8 } as const;

/** `struct pollfd`. */
export const POLLFD = { size: 8, fd: 0, events: 4, revents: 6 } as const;

/** `struct sockaddr_in`; the port is big-endian. */
export const SOCKADDR_IN = {
  size: 16,
  family: 0,
  port: 2,
  addr: 4,
  addrLength: 4,
} as const;

/** `struct sockaddr_in6`; the port is big-endian. */
export const SOCKADDR_IN6 = {
  size: 28,
  family: 0,
  port: 2,
  flowinfo: 4,
  addr: 8,
  addrLength: 16,
  scopeId: 24,
} as const;

/** `struct sockaddr_storage`: room for any address. */
export const SOCKADDR_STORAGE_SIZE = 128;

/** `struct timespec`: two 64-bit fields. */
export const TIMESPEC = { size: 16, sec: 0, nsec: 8 } as const;

/** `struct addrinfo`. */
export const ADDRINFO = {
  size: 48,
  flags: 0,
  family: 4,
  socktype: 8,
  protocol: 12,
  addrlen: 16,
  addr: 24,
  canonname: 32,
  next: 40,
} as const;

/** `struct cmsghdr`: length (size_t), level, type, then data at 16. */
export const CMSGHDR = {
  size: 16,
  len: 0,
  level: 8,
  type: 12,
  data: 16,
} as const;

/** `struct sock_extended_err`; the offender sockaddr follows it (SO_EE_OFFENDER). */
export const SOCK_EXTENDED_ERR = {
  size: 16,
  errno: 0,
  origin: 4,
  type: 5,
  code: 6,
  info: 8,
  data: 12,
} as const;

/** `struct in_pktinfo`: `ipi_spec_dst` is the source address to send from. */
export const IN_PKTINFO = {
  size: 12,
  ifindex: 0,
  specDst: 4,
  addr: 8,
} as const;

/** `struct in6_pktinfo`. */
export const IN6_PKTINFO = { size: 20, addr: 0, ifindex: 16 } as const;

const CMSG_ALIGN = 8;

/** `CMSG_LEN(n)`: header plus `n` data bytes. */
export function cmsgLen(dataLength: number): number {
  return CMSGHDR.size + dataLength;
}

/** `CMSG_SPACE(n)`: the aligned room one cmsg takes in a control buffer. */
export function cmsgSpace(dataLength: number): number {
  return CMSGHDR.size + align(dataLength);
}

/** Rounds up to the cmsg alignment. */
export function align(length: number): number {
  return (length + CMSG_ALIGN - 1) & ~(CMSG_ALIGN - 1);
}

/** A C `int` (4 bytes, little-endian), as setsockopt values and cmsg payloads take it. */
export function cInt(value: number): Uint8Array {
  const bytes = new Uint8Array(4);
  new DataView(bytes.buffer).setInt32(0, value, true);
  return bytes;
}

/** Reads an unsigned 64-bit little-endian field that is known to fit in a double (lengths, seconds). */
export function readU64(view: DataView, offset: number): number {
  return view.getUint32(offset, true) +
    view.getUint32(offset + 4, true) * 2 ** 32;
}

/** Writes a non-negative 64-bit little-endian field from a safe integer. */
export function writeU64(view: DataView, offset: number, value: number): void {
  view.setUint32(offset, value >>> 0, true);
  view.setUint32(offset + 4, Math.floor(value / 2 ** 32), true);
}

/** Writes a raw pointer (the address of a JS-owned buffer) into a struct field. */
export function writePointer(
  view: DataView,
  offset: number,
  buffer: Uint8Array,
): void {
  const pointer = Deno.UnsafePointer.of(buffer);
  view.setBigUint64(
    offset,
    pointer === null ? 0n : Deno.UnsafePointer.value(pointer),
    true,
  );
}
