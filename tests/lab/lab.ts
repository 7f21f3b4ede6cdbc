/**
 * A throwaway network-namespace lab for integration tests:
 *
 * ```text
 *   h --- r1 --- r2 --- r3 --- t
 * ```
 *
 * Every packet the lab makes stays inside namespaces it created itself
 * (198.18.0.0/15 and fd00:5e::/32); the root namespace's interfaces and
 * routes are never touched. See README.md in this folder.
 *
 * @module
 */

import { inCI } from "../support/gate.ts";

/** The five nodes of the lab, in path order from the host to the target. */
export type LabNode = "h" | "r1" | "r2" | "r3" | "t";

/** A block of consecutive live addresses, all answered by the target. */
export interface LabBlock {
  /** The routed prefix in CIDR notation, e.g. `198.18.64.0/18`. */
  readonly prefix: string;
  /** The first usable address, equal to `at(0)`. */
  readonly first: string;
  /** How many addresses `at()` hands out. */
  readonly size: number;
  /** The `i`-th usable address; throws RangeError outside `[0, size)`. */
  at(i: number): string;
}

/** The lab's addresses; identical in every lab since namespaces isolate them. */
export interface LabAddresses {
  /** t's address on its link to r3. */
  readonly target4: string;
  /** t's IPv6 address on its link to r3. */
  readonly target6: string;
  /** IPv4 block routed to t and answered on t's `lo`. */
  readonly block4: LabBlock;
  /** IPv6 block routed to t and answered on t's `lo`. */
  readonly block6: LabBlock;
  /** Routed to a `prohibit` route on r1: ICMP type 3 code 13 from r1. */
  readonly prohibit4: string;
  /** Routed to an `unreachable` route on r1: ICMP type 3 code 1 from r1. */
  readonly unreachable4: string;
  /** Routed to a `blackhole` route on r1: silently dropped. */
  readonly blackhole4: string;
  /** Routed to a `prohibit` route on r1: ICMPv6 type 1 code 1 from r1. */
  readonly prohibit6: string;
  /** Routed to an `unreachable` route on r1: ICMPv6 type 1 code 0 from r1. */
  readonly unreachable6: string;
  /** Routed to a `blackhole` route on r1: silently dropped. */
  readonly blackhole6: string;
  /** r1's address facing h: the source of r1's ICMP errors to h. */
  readonly router1_4: string;
  /** r1's IPv6 address facing h. */
  readonly router1_6: string;
  /** r2's address facing r1: the source of r2's ICMP errors to h. */
  readonly router2_4: string;
  /** r2's IPv6 address facing r1. */
  readonly router2_6: string;
  /** r3's address facing r2: the source of r3's ICMP errors to h. */
  readonly router3_4: string;
  /** r3's IPv6 address facing r2. */
  readonly router3_6: string;
  /** h's own address. */
  readonly host4: string;
  /** h's own IPv6 address. */
  readonly host6: string;
}

/** What {@linkcode Lab.exec} reports once the command has ended. */
export interface LabExecResult {
  /** Exit code; 128 + signal number when killed by a signal. */
  code: number;
  /** Everything written to standard output, decoded as UTF-8. */
  stdout: string;
  /** Everything written to standard error, decoded as UTF-8. */
  stderr: string;
  /** The signal that ended the command (e.g. `SIGKILL` on timeout), or null. */
  signal: string | null;
}

/** Options of {@linkcode Lab.exec}. */
export interface LabExecOptions {
  /** Run as this uid (and the same gid, no supplementary groups) via setpriv. */
  uid?: number | undefined;
  /** Kill the command with SIGKILL after this many milliseconds. */
  timeoutMs?: number;
  /** Written to the command's standard input, which is then closed. */
  stdin?: string;
  /** Extra environment variables, merged over the current environment. */
  env?: Record<string, string>;
}

/** Options of {@linkcode Lab.spawn}; unset streams default to `"null"`. */
export interface LabSpawnOptions {
  /** Run as this uid (and the same gid, no supplementary groups) via setpriv. */
  uid?: number;
  /** Extra environment variables, merged over the current environment. */
  env?: Record<string, string>;
  /** Standard input of the child. */
  stdin?: "piped" | "inherit" | "null";
  /** Standard output of the child; the caller must consume it if piped. */
  stdout?: "piped" | "inherit" | "null";
  /** Standard error of the child; the caller must consume it if piped. */
  stderr?: "piped" | "inherit" | "null";
}

/** Options of {@linkcode Lab.create}. */
export interface LabCreateOptions {
  /** A short label (1–12 of `a-z0-9`) put into the namespace names. */
  name?: string;
}

/** Every namespace the lab creates starts with this tag; nothing else is ever deleted. */
export const LAB_TAG = "mplab-";

/** Default limit for {@linkcode Lab.exec} before the command is killed. */
export const DEFAULT_EXEC_TIMEOUT_MS = 30_000;

/** The `ping_group_range` set in h: every gid may open datagram ICMP sockets. */
export const OPEN_PING_GROUP_RANGE = "0 2147483647";

/** The kernel's default `ping_group_range`: datagram ICMP sockets refused. */
export const CLOSED_PING_GROUP_RANGE = "1 0";

/** The TTL / hop limit of t's replies as seen in h: 64 minus three routers. */
export const EXPECTED_REPLY_TTL = 61;

const NODES: readonly LabNode[] = ["h", "r1", "r2", "r3", "t"];
const ROUTERS: readonly LabNode[] = ["r1", "r2", "r3"];
const IP = "ip";
const SETPRIV = "setpriv";
const SYSCTL = "sysctl";
/** Highest uid setpriv accepts; (uid_t)-1 means "unchanged" to the kernel. */
const MAX_UID = 0xffff_fffe;
/** Upper bound on every lab-internal command: `ip` and `sysctl` return in ms. */
const SETUP_TIMEOUT_MS = 10_000;
/** How long after a kill the output pipes may stay open (held by grandchildren). */
const PIPE_GRACE_MS = 200;
/** How long spawned children get to exit on SIGTERM before SIGKILL. */
const TERM_GRACE_MS = 1_000;
/** How long bring-up waits for t to answer h. */
const READY_TIMEOUT_MS = 5_000;
/** A TCP port nobody listens on in t, so a RST proves the round trip. */
const PROBE_PORT = 9;
const NAME_PATTERN = /^[a-z0-9]{1,12}$/;
const RUN_PATTERN = /^mplab-([0-9a-z]+)-([0-9a-z]+)-/;
const RANDOM_ID_LENGTH = 6;
const BASE36 = 36;
const SIGNAL_EXIT_BASE = 128;
const SIGINT_NUMBER = 2;
const SIGTERM_NUMBER = 15;
/** Where `ip netns exec` finds per-namespace files to mount over /etc. */
const NETNS_ETC = "/etc/netns";

const IPV4_BLOCK_BASE = (198 << 24 | 18 << 16 | 64 << 8) >>> 0;
const IPV4_BLOCK_BITS = 18;
/** Skip the block's all-zeros and all-ones addresses so no tool sees a broadcast. */
const IPV4_BLOCK_SIZE = 2 ** (32 - IPV4_BLOCK_BITS) - 2;
const IPV6_BLOCK_NET = "fd00:5e:40::";
/** `at()` fills the low 32 bits; ::0 (subnet-router anycast) is skipped. */
const IPV6_BLOCK_SIZE = 0xffff_ffff;
const HEXTET = 0x1_0000;

function makeBlock4(): LabBlock {
  const at = (i: number): string => {
    checkIndex(i, IPV4_BLOCK_SIZE);
    const n = IPV4_BLOCK_BASE + 1 + i;
    return [n >>> 24, (n >>> 16) & 0xff, (n >>> 8) & 0xff, n & 0xff].join(".");
  };
  return Object.freeze({
    prefix: `198.18.64.0/${IPV4_BLOCK_BITS}`,
    first: at(0),
    size: IPV4_BLOCK_SIZE,
    at,
  });
}

function makeBlock6(): LabBlock {
  const at = (i: number): string => {
    checkIndex(i, IPV6_BLOCK_SIZE);
    const n = i + 1;
    const high = Math.floor(n / HEXTET);
    const low = n % HEXTET;
    // RFC 5952 form: the run of zeros before the low groups is the one compressed.
    return high === 0
      ? `${IPV6_BLOCK_NET}${low.toString(16)}`
      : `${IPV6_BLOCK_NET}${high.toString(16)}:${low.toString(16)}`;
  };
  return Object.freeze({
    prefix: `${IPV6_BLOCK_NET}/64`,
    first: at(0),
    size: IPV6_BLOCK_SIZE,
    at,
  });
}

function checkIndex(i: number, size: number): void {
  if (!Number.isInteger(i) || i < 0 || i >= size) {
    throw new RangeError(
      `Cannot address the lab block: index must be an integer in [0, ${size}), got ${i}`,
    );
  }
}

/** A point-to-point link; `left` is the end nearer h and gets host number 1. */
interface LinkPlan {
  readonly left: LabNode;
  readonly right: LabNode;
  readonly subnet: number;
}

const LINKS: readonly LinkPlan[] = [
  { left: "h", right: "r1", subnet: 1 },
  { left: "r1", right: "r2", subnet: 2 },
  { left: "r2", right: "r3", subnet: 3 },
  { left: "r3", right: "t", subnet: 4 },
];
const LEFT = 1;
const RIGHT = 2;

const v4 = (subnet: number, hostPart: number) => `198.18.${subnet}.${hostPart}`;
const v6 = (subnet: number, hostPart: number) => `fd00:5e:${subnet}::${hostPart}`;
const net4 = (subnet: number) => `198.18.${subnet}.0/24`;
const net6 = (subnet: number) => `fd00:5e:${subnet}::/64`;
const mac = (subnet: number, hostPart: number) => `02:5e:00:00:${subnet.toString(16).padStart(2, "0")}:0${hostPart}`;
const ifname = (peer: LabNode) => `to-${peer}`;

const ERROR_ROUTES = {
  prohibit: { v4: "198.19.1.0/24", v6: "fd00:5e:f1::/64" },
  unreachable: { v4: "198.19.2.0/24", v6: "fd00:5e:f2::/64" },
  blackhole: { v4: "198.19.3.0/24", v6: "fd00:5e:f3::/64" },
} as const;

/** The lab's addresses, also available before any lab exists. */
export const LAB_ADDRESSES: LabAddresses = Object.freeze({
  target4: v4(4, RIGHT),
  target6: v6(4, RIGHT),
  block4: makeBlock4(),
  block6: makeBlock6(),
  prohibit4: "198.19.1.1",
  unreachable4: "198.19.2.1",
  blackhole4: "198.19.3.1",
  prohibit6: "fd00:5e:f1::1",
  unreachable6: "fd00:5e:f2::1",
  blackhole6: "fd00:5e:f3::1",
  router1_4: v4(1, RIGHT),
  router1_6: v6(1, RIGHT),
  router2_4: v4(2, RIGHT),
  router2_6: v6(2, RIGHT),
  router3_4: v4(3, RIGHT),
  router3_6: v6(3, RIGHT),
  host4: v4(1, LEFT),
  host6: v6(1, LEFT),
});

/** Static routes beyond the connected ones; routers forward, nobody else does. */
const ROUTES: Record<LabNode, readonly string[]> = {
  h: [`default via ${v4(1, RIGHT)}`, `default via ${v6(1, RIGHT)}`],
  r1: [
    `default via ${v4(2, RIGHT)}`,
    `default via ${v6(2, RIGHT)}`,
    ...Object.entries(ERROR_ROUTES).flatMap(([type, p]) => [
      `${type} ${p.v4}`,
      `${type} ${p.v6}`,
    ]),
  ],
  // No default on r2, so stray destinations die there with "net unreachable".
  r2: [
    `${net4(1)} via ${v4(2, LEFT)}`,
    `${net6(1)} via ${v6(2, LEFT)}`,
    `${net4(4)} via ${v4(3, RIGHT)}`,
    `${net6(4)} via ${v6(3, RIGHT)}`,
    `${LAB_ADDRESSES.block4.prefix} via ${v4(3, RIGHT)}`,
    `${LAB_ADDRESSES.block6.prefix} via ${v6(3, RIGHT)}`,
  ],
  r3: [
    `default via ${v4(3, LEFT)}`,
    `default via ${v6(3, LEFT)}`,
    `${LAB_ADDRESSES.block4.prefix} via ${v4(4, RIGHT)}`,
    `${LAB_ADDRESSES.block6.prefix} via ${v6(4, RIGHT)}`,
  ],
  t: [
    `default via ${v4(4, LEFT)}`,
    `default via ${v6(4, LEFT)}`,
    `local ${LAB_ADDRESSES.block4.prefix} dev lo`,
    `local ${LAB_ADDRESSES.block6.prefix} dev lo`,
  ],
};

const COMMON_SYSCTLS = [
  "net.ipv4.icmp_ratelimit=0",
  "net.ipv6.icmp.ratelimit=0",
  "net.ipv4.icmp_msgs_per_sec=100000",
  "net.ipv4.icmp_msgs_burst=100000",
];
const ROUTER_SYSCTLS = [
  "net.ipv4.ip_forward=1",
  "net.ipv6.conf.all.forwarding=1",
];

/** The `ip -batch` lines that configure one namespace once its veths exist. */
function configBatch(node: LabNode): string[] {
  const lines = ["link set lo up"];
  for (const link of LINKS) {
    const side = link.left === node ? LEFT : link.right === node ? RIGHT : 0;
    if (side === 0) continue;
    const other = side === LEFT ? RIGHT : LEFT;
    const dev = ifname(side === LEFT ? link.right : link.left);
    lines.push(
      `link set ${dev} up`,
      `addr add ${v4(link.subnet, side)}/24 dev ${dev}`,
      `addr add ${v6(link.subnet, side)}/64 dev ${dev} nodad`,
      // Static neighbours: no ARP/ND, so no first-packet delay or loss.
      `neigh replace ${v4(link.subnet, other)} lladdr ${mac(link.subnet, other)} dev ${dev} nud permanent`,
      `neigh replace ${v6(link.subnet, other)} lladdr ${mac(link.subnet, other)} dev ${dev} nud permanent`,
    );
  }
  return [...lines, ...ROUTES[node].map((route) => `route add ${route}`)];
}

function sysctlsFor(node: LabNode): string[] {
  const settings = [...COMMON_SYSCTLS];
  if (ROUTERS.includes(node)) settings.push(...ROUTER_SYSCTLS);
  if (node === "h") {
    settings.push(`net.ipv4.ping_group_range=${OPEN_PING_GROUP_RANGE}`);
  }
  return settings;
}

// ---------------------------------------------------------------------------
// Process helpers

const decoder = new TextDecoder();
const encoder = new TextEncoder();

interface RunOptions {
  timeoutMs: number;
  stdin?: string | undefined;
  env?: Record<string, string> | undefined;
  track?: Set<Deno.ChildProcess>;
}

async function readAll(
  stream: ReadableStream<Uint8Array>,
  abort: AbortSignal,
): Promise<string> {
  const reader = stream.getReader();
  const onAbort = () => void reader.cancel().catch(() => {});
  abort.addEventListener("abort", onAbort, { once: true });
  const chunks: Uint8Array[] = [];
  try {
    for (;;) {
      const { done, value } = await reader.read();
      if (done) break;
      chunks.push(value);
    }
  } catch {
    // A cancelled or broken pipe just ends the output.
  } finally {
    abort.removeEventListener("abort", onAbort);
    reader.releaseLock();
  }
  let length = 0;
  for (const chunk of chunks) length += chunk.length;
  const all = new Uint8Array(length);
  let offset = 0;
  for (const chunk of chunks) {
    all.set(chunk, offset);
    offset += chunk.length;
  }
  return decoder.decode(all);
}

async function run(
  command: string,
  args: string[],
  options: RunOptions,
): Promise<LabExecResult> {
  const child = new Deno.Command(command, {
    args,
    stdin: options.stdin === undefined ? "null" : "piped",
    stdout: "piped",
    stderr: "piped",
    ...(options.env && { env: options.env }),
  }).spawn();
  options.track?.add(child);
  const pipes = new AbortController();
  let graceTimer: ReturnType<typeof setTimeout> | undefined;
  const killTimer = setTimeout(() => {
    try {
      child.kill("SIGKILL");
    } catch {
      // Already gone.
    }
    // A grandchild may keep the pipes open after the child died.
    graceTimer = setTimeout(() => pipes.abort(), PIPE_GRACE_MS);
  }, options.timeoutMs);
  try {
    const writing = options.stdin === undefined ? Promise.resolve() : (async () => {
      const writer = child.stdin.getWriter();
      try {
        await writer.write(encoder.encode(options.stdin));
        await writer.close();
      } catch {
        // The command exited without reading all of its input.
      }
    })();
    const [status, stdout, stderr] = await Promise.all([
      child.status,
      readAll(child.stdout, pipes.signal),
      readAll(child.stderr, pipes.signal),
      writing,
    ]);
    return { code: status.code, stdout, stderr, signal: status.signal };
  } finally {
    clearTimeout(killTimer);
    clearTimeout(graceTimer);
    options.track?.delete(child);
  }
}

async function runChecked(
  command: string,
  args: string[],
  stdin?: string,
): Promise<string> {
  const result = await run(command, args, {
    timeoutMs: SETUP_TIMEOUT_MS,
    stdin,
  });
  if (result.code !== 0) {
    throw new Error(
      `Lab command failed (${command} ${args.join(" ")}): exit ${result.code}${
        result.signal ? ` (${result.signal})` : ""
      }: ${result.stderr.trim() || result.stdout.trim()}`,
    );
  }
  return result.stdout;
}

function ipBatch(namespace: string | null, lines: string[]): Promise<string> {
  const args = namespace === null ? [] : ["-n", namespace];
  return runChecked(IP, [...args, "-batch", "-"], lines.join("\n") + "\n");
}

function delay(ms: number): { promise: Promise<void>; cancel(): void } {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const promise = new Promise<void>((resolve) => {
    timer = setTimeout(resolve, ms);
  });
  return { promise, cancel: () => clearTimeout(timer) };
}

// ---------------------------------------------------------------------------
// Run identity, registry of live runs, emergency cleanup

function newPrefix(name?: string): string {
  if (name !== undefined && !NAME_PATTERN.test(name)) {
    throw new TypeError(
      `Cannot create the lab: name must be 1–12 characters of a-z0-9, got ${JSON.stringify(name)}`,
    );
  }
  const bytes = crypto.getRandomValues(new Uint8Array(RANDOM_ID_LENGTH));
  const random = Array.from(bytes, (b) => (b % BASE36).toString(BASE36))
    .join("");
  const label = name === undefined ? "" : `${name}-`;
  return `${LAB_TAG}${Deno.pid.toString(BASE36)}-${random}-${label}`;
}

/** Namespaces of runs in this process that are not yet cleaned up. */
const liveRuns = new Map<string, readonly string[]>();
let handlersInstalled = false;

function onUnload(): void {
  for (const namespaces of liveRuns.values()) removeNamespacesSync(namespaces);
  liveRuns.clear();
}
const onSigint = () => Deno.exit(SIGNAL_EXIT_BASE + SIGINT_NUMBER);
const onSigterm = () => Deno.exit(SIGNAL_EXIT_BASE + SIGTERM_NUMBER);

function registerRun(prefix: string, namespaces: readonly string[]): void {
  liveRuns.set(prefix, namespaces);
  if (handlersInstalled) return;
  handlersInstalled = true;
  // Deno.exit() dispatches "unload", which does the synchronous cleanup.
  globalThis.addEventListener("unload", onUnload);
  try {
    Deno.addSignalListener("SIGINT", onSigint);
    Deno.addSignalListener("SIGTERM", onSigterm);
  } catch {
    // Signal listeners are best effort; dispose and "unload" still clean up.
  }
}

function unregisterRun(prefix: string): void {
  liveRuns.delete(prefix);
  if (liveRuns.size > 0 || !handlersInstalled) return;
  handlersInstalled = false;
  globalThis.removeEventListener("unload", onUnload);
  try {
    Deno.removeSignalListener("SIGINT", onSigint);
    Deno.removeSignalListener("SIGTERM", onSigterm);
  } catch {
    // Never installed.
  }
}

function killPids(text: string): void {
  for (const token of text.split(/\s+/)) {
    const pid = Number(token);
    if (!Number.isInteger(pid) || pid <= 1 || pid === Deno.pid) continue;
    try {
      Deno.kill(pid, "SIGKILL");
    } catch {
      // Exited meanwhile.
    }
  }
}

function removeNamespacesSync(namespaces: readonly string[]): void {
  for (const ns of namespaces) {
    try {
      const pids = new Deno.Command(IP, { args: ["netns", "pids", ns] })
        .outputSync();
      killPids(decoder.decode(pids.stdout));
      new Deno.Command(IP, { args: ["netns", "del", ns] }).outputSync();
      Deno.removeSync(`${NETNS_ETC}/${ns}`, { recursive: true });
    } catch {
      // Best effort while the process is going away (and most namespaces have no /etc/netns entry).
    }
  }
}

/** Kills every process inside the namespaces, then deletes them; never throws. */
async function removeNamespaces(namespaces: readonly string[]): Promise<void> {
  try {
    const listings = await Promise.all(
      namespaces.map((ns) => run(IP, ["netns", "pids", ns], { timeoutMs: SETUP_TIMEOUT_MS })),
    );
    for (const listing of listings) killPids(listing.stdout);
    // -force: keep deleting the rest when one is already gone.
    await run(IP, ["-force", "-batch", "-"], {
      timeoutMs: SETUP_TIMEOUT_MS,
      stdin: namespaces.map((ns) => `netns del ${ns}\n`).join(""),
    });
    // Files a test put under /etc/netns/<namespace>/ (per-namespace hosts, say) go with the namespace.
    await Promise.all(namespaces.map((ns) => Deno.remove(`${NETNS_ETC}/${ns}`, { recursive: true }).catch(() => {})));
  } catch (error) {
    console.error(`Lab cleanup of ${namespaces.join(", ")} failed:`, error);
  }
}

async function listNamespaces(): Promise<string[]> {
  const out = await runChecked(IP, ["netns", "list"]);
  return out.split("\n").map((line) => line.trim().split(/\s+/)[0])
    .filter((name) => name !== "");
}

/**
 * Which of the pids name a running process. Asked of a shell because Deno
 * wants --allow-all to look into /proc.
 */
async function alivePids(pids: number[]): Promise<Set<number>> {
  if (pids.length === 0) return new Set();
  const out = await runChecked("sh", [
    "-c",
    'for pid; do [ -d "/proc/$pid" ] && echo "$pid"; done; exit 0',
    "sh",
    ...pids.map(String),
  ]);
  return new Set(out.split("\n").filter((line) => line !== "").map(Number));
}

/**
 * Deletes lab namespaces left behind by runs that died without cleaning up,
 * after killing the processes inside them. Only names starting with
 * {@linkcode LAB_TAG} are considered, and only those whose owning process is
 * gone (or is this process but no live lab here owns them). With `prefix`,
 * only that run's namespaces are considered.
 *
 * Owners are recognised by pid; a namespace owned by a process in another pid
 * namespace that shares /run/netns could be mistaken for stale.
 *
 * @param prefix A run prefix such as `mplab-1x2y-ab12cd-`; must start with
 *   {@linkcode LAB_TAG}.
 * @returns The names of the deleted namespaces.
 */
export async function cleanupStale(prefix?: string): Promise<string[]> {
  if (prefix !== undefined && !prefix.startsWith(LAB_TAG)) {
    throw new TypeError(
      `Cannot clean up stale labs: prefix must start with "${LAB_TAG}", got ${JSON.stringify(prefix)}`,
    );
  }
  const candidates: { name: string; pid: number }[] = [];
  for (const name of await listNamespaces()) {
    if (!name.startsWith(prefix ?? LAB_TAG)) continue;
    const match = RUN_PATTERN.exec(name);
    if (match !== null) candidates.push({ name, pid: parseInt(match[1], BASE36) });
  }
  const alive = await alivePids([
    ...new Set(candidates.map((c) => c.pid).filter((pid) => pid !== Deno.pid)),
  ]);
  const ours = [...liveRuns.keys()];
  const stale = candidates.filter(({ name, pid }) =>
    pid === Deno.pid ? !ours.some((live) => name.startsWith(live)) : !alive.has(pid)
  ).map(({ name }) => name);
  if (stale.length > 0) await removeNamespaces(stale);
  const remaining = new Set(await listNamespaces());
  return stale.filter((name) => !remaining.has(name));
}

// ---------------------------------------------------------------------------
// Availability

let availability:
  | Promise<{ ok: true } | { ok: false; reason: string }>
  | undefined;
let skipReasonPrinted = false;

async function effectiveUid(): Promise<number | null> {
  try {
    const out = await runChecked("id", ["-u"]);
    return Number(out.trim());
  } catch {
    // Let the namespace probe below report what is wrong.
    return null;
  }
}

async function probeAvailability(): Promise<
  { ok: true } | { ok: false; reason: string }
> {
  if (Deno.build.os !== "linux") {
    return { ok: false, reason: `needs Linux, this is ${Deno.build.os}` };
  }
  const uid = await effectiveUid();
  if (uid !== null && uid !== 0) {
    return { ok: false, reason: `needs root, running as uid ${uid}` };
  }
  const prefix = newPrefix("probe");
  const ns = `${prefix}x`;
  registerRun(prefix, [ns]);
  let created = false;
  try {
    await runChecked(IP, ["netns", "add", ns]);
    created = true;
    await runChecked(IP, [
      "netns",
      "exec",
      ns,
      SYSCTL,
      "-q",
      "-w",
      ...COMMON_SYSCTLS,
    ]);
    return { ok: true };
  } catch (error) {
    const reason = error instanceof Deno.errors.NotCapable ||
        error instanceof Deno.errors.PermissionDenied
      ? `needs --allow-run (${error.message})`
      : error instanceof Deno.errors.NotFound
      ? `iproute2 "ip" not found (${error.message})`
      : error instanceof Error
      ? error.message
      : String(error);
    return { ok: false, reason };
  } finally {
    if (created) await removeNamespaces([ns]);
    unregisterRun(prefix);
  }
}

/**
 * Whether the lab can run here: Linux, root, `ip netns` and `sysctl` inside a
 * namespace all work. Probed once per process with a throwaway namespace.
 *
 * @returns `{ ok: true }`, or `{ ok: false, reason }` saying what is missing.
 */
export function labAvailability(): Promise<
  { ok: true } | { ok: false; reason: string }
> {
  availability ??= probeAvailability();
  return availability;
}

/**
 * Decides whether lab tests run, as a value for `Deno.test`'s `ignore`.
 * Outside CI a missing lab skips the tests and prints the reason once; under
 * `CI=true` a missing lab throws, so the test module fails instead of
 * silently skipping.
 *
 * ```ts ignore
 * const skip = await labSkip();
 * Deno.test({ name: "ping() reaches t", ignore: skip, fn: async () => {} });
 * ```
 *
 * @returns true when the tests must be skipped.
 */
export async function labSkip(): Promise<boolean> {
  const result = await labAvailability();
  if (result.ok) return false;
  if (inCI) {
    throw new Error(
      `The namespace lab is required under CI=true but unavailable: ${result.reason}`,
    );
  }
  if (!skipReasonPrinted) {
    skipReasonPrinted = true;
    console.warn(`Skipping namespace lab tests: ${result.reason}`);
  }
  return true;
}

/**
 * Same as {@linkcode labSkip}: true when lab tests must be skipped, throws
 * under `CI=true` when the lab is unavailable.
 *
 * @returns A value for `Deno.test`'s `ignore`.
 */
export function requireLab(): Promise<boolean> {
  return labSkip();
}

// ---------------------------------------------------------------------------
// The lab

/** The script bring-up runs in h: a TCP RST from t proves the round trip. */
const READY_PROBE = `
const targets = Deno.env.get("MPLAB_TARGETS").split(",");
const deadline = Date.now() + Number(Deno.env.get("MPLAB_DEADLINE_MS"));
const pending = new Set(targets);
while (pending.size > 0 && Date.now() < deadline) {
  for (const hostname of [...pending]) {
    let timer;
    const expiry = new Promise((resolve) => { timer = setTimeout(resolve, 250, "late"); });
    try {
      const outcome = await Promise.race([
        Deno.connect({ hostname, port: ${PROBE_PORT} }).then((c) => c.close()),
        expiry,
      ]);
      if (outcome !== "late") pending.delete(hostname);
    } catch (error) {
      if (error instanceof Deno.errors.ConnectionRefused) pending.delete(hostname);
    } finally {
      clearTimeout(timer);
    }
  }
  if (pending.size > 0) await new Promise((resolve) => setTimeout(resolve, 20));
}
if (pending.size > 0) {
  console.error("no answer from " + [...pending].join(", "));
  Deno.exit(1);
}
Deno.exit(0);
`;

/**
 * A five-namespace lab `h — r1 — r2 — r3 — t` with IPv4 and IPv6 on every
 * link. Create with {@linkcode Lab.create}; dispose with `await using` or
 * `[Symbol.asyncDispose]()`.
 *
 * ```ts ignore
 * await using lab = await Lab.create();
 * const out = await lab.exec("h", ["ping", "-c1", lab.addresses.target4]);
 * ```
 */
export class Lab implements AsyncDisposable {
  /** Unique per run; every namespace name is this prefix plus the node name. */
  readonly prefix: string;
  /** The namespace name of each node. */
  readonly ns: Readonly<Record<LabNode, string>>;
  /** The lab's addresses (the same in every lab). */
  readonly addresses: LabAddresses = LAB_ADDRESSES;
  readonly #children = new Set<Deno.ChildProcess>();
  #disposal: Promise<void> | undefined;

  private constructor(prefix: string) {
    this.prefix = prefix;
    this.ns = Object.freeze(
      Object.fromEntries(NODES.map((node) => [node, `${prefix}${node}`])) as Record<LabNode, string>,
    );
  }

  /**
   * Builds the namespaces, links, addresses, routes and sysctls, then waits
   * until t answers h on IPv4 and IPv6. On any failure everything created so
   * far is removed before the error is thrown.
   *
   * @param options `name` is a short label put into the namespace names.
   * @returns The ready lab.
   */
  static async create(options: LabCreateOptions = {}): Promise<Lab> {
    const lab = new Lab(newPrefix(options.name));
    registerRun(lab.prefix, Object.values(lab.ns));
    try {
      await lab.#build();
      return lab;
    } catch (error) {
      await lab[Symbol.asyncDispose]();
      throw error;
    }
  }

  async #build(): Promise<void> {
    await ipBatch(null, NODES.map((node) => `netns add ${this.ns[node]}`));
    // Both ends are created straight inside their namespaces, from inside h.
    await ipBatch(
      this.ns.h,
      LINKS.map((link) =>
        [
          `link add ${ifname(link.right)} address ${mac(link.subnet, LEFT)}`,
          `netns ${this.ns[link.left]} type veth peer name ${ifname(link.left)}`,
          `address ${mac(link.subnet, RIGHT)} netns ${this.ns[link.right]}`,
        ].join(" ")
      ),
    );
    await Promise.all(
      NODES.flatMap((node) => [
        ipBatch(this.ns[node], configBatch(node)),
        runChecked(IP, [
          "netns",
          "exec",
          this.ns[node],
          SYSCTL,
          "-q",
          "-w",
          ...sysctlsFor(node),
        ]),
      ]),
    );
    await this.#waitUntilReady();
  }

  async #waitUntilReady(): Promise<void> {
    const { target4, target6, block4, block6 } = this.addresses;
    const targets = [target4, target6, block4.first, block6.first];
    const result = await run(
      IP,
      [
        "netns",
        "exec",
        this.ns.h,
        Deno.execPath(),
        "eval",
        "--no-config",
        READY_PROBE,
      ],
      {
        timeoutMs: READY_TIMEOUT_MS + SETUP_TIMEOUT_MS,
        env: {
          MPLAB_TARGETS: targets.join(","),
          MPLAB_DEADLINE_MS: String(READY_TIMEOUT_MS),
          NO_COLOR: "1",
        },
        track: this.#children,
      },
    );
    if (result.code !== 0) {
      throw new Error(
        `Lab ${this.prefix} did not come up: t does not answer h (${result.stderr.trim() || `exit ${result.code}`})`,
      );
    }
  }

  #argv(where: LabNode, argv: string[], uid: number | undefined): string[] {
    if (this.#disposal !== undefined) {
      throw new Error(`Cannot use lab ${this.prefix}: it is disposed`);
    }
    if (!NODES.includes(where)) {
      throw new TypeError(
        `Cannot run in the lab: node must be one of ${NODES.join(", ")}, got ${JSON.stringify(where)}`,
      );
    }
    if (!Array.isArray(argv) || argv.length === 0) {
      throw new TypeError("Cannot run in the lab: argv must not be empty");
    }
    const args = ["netns", "exec", this.ns[where]];
    if (uid !== undefined) {
      if (!Number.isInteger(uid) || uid < 0 || uid > MAX_UID) {
        throw new RangeError(
          `Cannot run in the lab: uid must be an integer in [0, ${MAX_UID}], got ${uid}`,
        );
      }
      args.push(
        SETPRIV,
        `--reuid=${uid}`,
        `--regid=${uid}`,
        "--clear-groups",
        "--",
      );
    }
    return [...args, ...argv];
  }

  /**
   * Runs a command inside a node's namespace and collects its output.
   * Killed with SIGKILL after `timeoutMs` (default
   * {@linkcode DEFAULT_EXEC_TIMEOUT_MS}); a missing program gives exit code
   * 255 with `ip`'s message on stderr.
   *
   * @param where The node to run in.
   * @param argv The program and its arguments.
   * @param options uid (via setpriv), timeout, stdin text, extra env.
   * @returns Exit code, signal, stdout and stderr.
   */
  exec(
    where: LabNode,
    argv: string[],
    options: LabExecOptions = {},
  ): Promise<LabExecResult> {
    const timeoutMs = options.timeoutMs ?? DEFAULT_EXEC_TIMEOUT_MS;
    if (!Number.isFinite(timeoutMs) || timeoutMs <= 0) {
      throw new RangeError(
        `Cannot run in the lab: timeoutMs must be a positive number, got ${timeoutMs}`,
      );
    }
    const args = this.#argv(where, argv, options.uid);
    return run(IP, args, {
      timeoutMs,
      stdin: options.stdin,
      env: options.env,
      track: this.#children,
    });
  }

  /**
   * Starts a long-running command inside a node's namespace. The lab sends
   * it SIGTERM (then SIGKILL) on dispose; piped streams belong to the caller.
   *
   * @param where The node to run in.
   * @param argv The program and its arguments.
   * @param options uid (via setpriv), env, and stdio (default `"null"`).
   * @returns The running child.
   */
  spawn(
    where: LabNode,
    argv: string[],
    options: LabSpawnOptions = {},
  ): Deno.ChildProcess {
    const args = this.#argv(where, argv, options.uid);
    const child = new Deno.Command(IP, {
      args,
      ...(options.env && { env: options.env }),
      stdin: options.stdin ?? "null",
      stdout: options.stdout ?? "null",
      stderr: options.stderr ?? "null",
    }).spawn();
    this.#children.add(child);
    child.status.finally(() => this.#children.delete(child));
    return child;
  }

  /**
   * Sets `net.ipv4.ping_group_range` in a node (it governs IPv6 too). Use
   * {@linkcode CLOSED_PING_GROUP_RANGE} to test the refusal of datagram
   * ICMP sockets, {@linkcode OPEN_PING_GROUP_RANGE} to allow every gid.
   *
   * @param where The node.
   * @param range Two gids, e.g. `"1 0"` or `"0 2147483647"`.
   */
  async setPingGroupRange(where: LabNode, range: string): Promise<void> {
    const match = /^\s*(\d+)\s+(\d+)\s*$/.exec(range);
    if (match === null) {
      throw new TypeError(
        `Cannot set ping_group_range: range must be two gids like "1 0", got ${JSON.stringify(range)}`,
      );
    }
    const result = await this.exec(where, [
      SYSCTL,
      "-q",
      "-w",
      `net.ipv4.ping_group_range=${match[1]} ${match[2]}`,
    ], { timeoutMs: SETUP_TIMEOUT_MS });
    if (result.code !== 0) {
      throw new Error(
        `Cannot set ping_group_range in ${where}: ${result.stderr.trim()}`,
      );
    }
  }

  /**
   * Stops every child the lab started, kills any other process left in its
   * namespaces and deletes them. Idempotent; never throws.
   */
  [Symbol.asyncDispose](): Promise<void> {
    this.#disposal ??= this.#dispose();
    return this.#disposal;
  }

  async #dispose(): Promise<void> {
    try {
      await Promise.all([...this.#children].map(stopChild));
      await removeNamespaces(Object.values(this.ns));
    } catch (error) {
      console.error(`Lab ${this.prefix} cleanup failed:`, error);
    } finally {
      unregisterRun(this.prefix);
    }
  }
}

async function stopChild(child: Deno.ChildProcess): Promise<void> {
  try {
    child.kill("SIGTERM");
  } catch {
    // Already exited.
  }
  const grace = delay(TERM_GRACE_MS);
  const exited = await Promise.race([
    child.status.then(() => true),
    grace.promise.then(() => false),
  ]);
  grace.cancel();
  if (!exited) {
    try {
      child.kill("SIGKILL");
    } catch {
      // Exited just now.
    }
  }
  await child.status;
}
