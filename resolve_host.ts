import { describeTarget, resolveTarget } from "./engine/mod.ts";

/** Options of {@linkcode resolveHost}. */
export interface ResolveHostOptions {
  /** Address family for names that resolve to both. IPv4 first when unset, as {@linkcode ping} does. */
  family?: 4 | 6 | undefined;
}

/** The address {@linkcode ping} would probe for a host. */
export interface ResolvedHost {
  /** The address as text; a link-local IPv6 address carries its `%scope`. */
  address: string;
  /** Its family. */
  family: 4 | 6;
}

/**
 * Resolves `host` the way {@linkcode ping} does (libc `getaddrinfo`, hosts file included, the first IPv4 address
 * unless `family` says otherwise), so a caller can show or pin the address before pinging it.
 *
 * @throws {Deno.errors.NotFound} The name does not resolve; the message names the host and the resolver's reason.
 *
 * @example
 * ```ts
 * import { resolveHost } from "@miniping/miniping";
 * import { deepEqual } from "node:assert/strict";
 *
 * deepEqual(await resolveHost("127.0.0.1"), { address: "127.0.0.1", family: 4 });
 * ```
 */
export async function resolveHost(host: string, options: ResolveHostOptions = {}): Promise<ResolvedHost> {
  if (typeof host !== "string" || host.trim() === "") {
    throw new TypeError(`Cannot resolve: host must be a non-empty string, got ${JSON.stringify(host)}`);
  }
  const target = await resolveTarget(host, options.family);
  return { address: describeTarget(target), family: target.family };
}
