/**
 * Turning the caller's host and source strings into socket addresses.
 *
 * @module
 */
import { isLocalAddress } from "../ffi/local_address.ts";
import { resolve, ResolveError } from "../ffi/resolve.ts";
import { type SocketAddress, toSocketAddress } from "../ffi/sockaddr.ts";
import { SOCKADDR_IN6 } from "../ffi/structs.ts";
import { formatAddress, parseAddress } from "../icmp/mod.ts";

export type { SocketAddress } from "../ffi/sockaddr.ts";

/**
 * Resolves `host` with libc `getaddrinfo` (hosts file, DNS) and picks one address: of `family` when given, else the
 * first IPv4 address, else the first IPv6 one. Throws `Deno.errors.NotFound` naming the host and the reason.
 */
export async function resolveTarget(
  host: string,
  family?: 4 | 6,
): Promise<SocketAddress> {
  let found;
  try {
    found = await resolve(host, family);
  } catch (error) {
    if (error instanceof ResolveError) {
      throw new Deno.errors.NotFound(error.message, { cause: error });
    }
    throw error;
  }
  const address = family === 6 ? found.v6[0] : family === 4 ? found.v4[0] : found.v4[0] ?? found.v6[0];
  if (address === undefined) {
    throw new Deno.errors.NotFound(
      `Cannot resolve "${host}": no IPv${family ?? 4} address`,
    );
  }
  return address;
}

/**
 * Parses a literal source address and checks that it belongs to this host and matches the target's family.
 * Throws `RangeError` otherwise.
 */
export function sourceAddress(text: string, family: 4 | 6): SocketAddress {
  const bytes = parseAddress(text);
  if (bytes === null) {
    throw new RangeError(
      `Cannot ping: source must be an IP address, got "${text}"`,
    );
  }
  const address = toSocketAddress(bytes);
  if (address.family !== family) {
    throw new RangeError(
      `Cannot ping: source ${text} is IPv${address.family} but the target is IPv${family}`,
    );
  }
  if (!isLocalAddress(address)) {
    throw new RangeError(
      `Cannot ping: source ${formatAddress(bytes)} is not an address of this host`,
    );
  }
  return address;
}

/** The address as text, with `%scope` for a scoped (link-local) IPv6 address, which means nothing without it. */
export function describeTarget(target: SocketAddress): string {
  const text = formatAddress(target.address);
  if (target.family === 4) return text;
  const sockaddr = target.sockaddr;
  const scope = new DataView(sockaddr.buffer, sockaddr.byteOffset, sockaddr.byteLength).getUint32(
    SOCKADDR_IN6.scopeId,
    true,
  );
  return scope === 0 ? text : `${text}%${scope}`;
}
