/**
 * Name resolution through libc `getaddrinfo`: the hosts file and nsswitch, with no `--allow-net`.
 *
 * @module
 */
import { AF_INET, AF_INET6, AF_UNSPEC, SOCK_RAW } from "./constants.ts";
import { libc } from "./libc.ts";
import { ADDRINFO } from "./structs.ts";
import { fromSockaddr, type SocketAddress } from "./sockaddr.ts";

const encoder = new TextEncoder();

/** Every address `host` resolves to, in resolver order, IPv4 and IPv6 kept apart. */
export interface Resolved {
  /** IPv4 addresses. */
  v4: SocketAddress[];
  /** IPv6 addresses (with scope id for link-local names). */
  v6: SocketAddress[];
}

/** `getaddrinfo` failed; `code` is the EAI value and the message the resolver's text. */
export class ResolveError extends Error {
  /** The negative EAI code. */
  readonly code: number;

  /** Builds the error for `host` and `code`. */
  constructor(host: string, code: number) {
    const pointer = libc().gai_strerror(code);
    const reason = pointer === null ? `EAI ${code}` : Deno.UnsafePointerView.getCString(pointer);
    super(`Cannot resolve "${host}": ${reason}`);
    this.name = "ResolveError";
    this.code = code;
  }
}

/** Resolves `host` (a name or a literal address) for `family`, or both when unset. */
export async function resolve(host: string, family?: 4 | 6): Promise<Resolved> {
  const node = encoder.encode(`${host}\0`);
  const hints = new Uint8Array(ADDRINFO.size);
  const view = new DataView(hints.buffer);
  view.setInt32(
    ADDRINFO.family,
    family === 4 ? AF_INET : family === 6 ? AF_INET6 : AF_UNSPEC,
    true,
  );
  // One entry per address instead of three (stream, datagram, raw).
  view.setInt32(ADDRINFO.socktype, SOCK_RAW, true);
  const result = new BigUint64Array(1);
  // The call runs on a worker thread: node, hints and result stay referenced here until it returns.
  const code = await libc().getaddrinfo(node, null, hints, result);
  if (code !== 0) throw new ResolveError(host, code);
  const resolved: Resolved = { v4: [], v6: [] };
  const head = Deno.UnsafePointer.create(result[0]);
  try {
    for (let entry = head; entry !== null;) {
      const info = new Deno.UnsafePointerView(entry);
      const length = info.getUint32(ADDRINFO.addrlen);
      const addr = info.getPointer(ADDRINFO.addr);
      if (addr !== null && length > 0) {
        // A copy: the list is freed below.
        const bytes = new Uint8Array(
          Deno.UnsafePointerView.getArrayBuffer(addr, length).slice(0),
        );
        const address = fromSockaddr(bytes);
        if (address?.family === 4) resolved.v4.push(address);
        else if (address?.family === 6) resolved.v6.push(address);
      }
      entry = info.getPointer(ADDRINFO.next);
    }
  } finally {
    libc().freeaddrinfo(head);
  }
  void node;
  void hints;
  return resolved;
}
