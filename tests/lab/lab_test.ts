import assert from "node:assert/strict";
import {
  cleanupStale,
  CLOSED_PING_GROUP_RANGE,
  EXPECTED_REPLY_TTL,
  Lab,
  LAB_ADDRESSES,
  LAB_TAG,
  labSkip,
  OPEN_PING_GROUP_RANGE,
} from "./lab.ts";
import { worldReadableCopy } from "../support/world_readable_copy.ts";
const skip = await labSkip();
const NODES = ["h", "r1", "r2", "r3", "t"] as const;
/** Long enough to outlive any test; the lab must kill it. */
const LONG_SLEEP_S = "600";
const PING_WAIT_S = "1";
const SIGNAL_TEST_TIMEOUT_MS = 20_000;

async function hasPing(): Promise<boolean> {
  if (skip) return false;
  try {
    const { success } = await new Deno.Command("ping", {
      args: ["-V"],
      stdout: "null",
      stderr: "null",
    }).output();
    if (success) return true;
  } catch {
    // Not installed.
  }
  console.warn("iputils ping not found: skipping the ping-based lab checks");
  return false;
}
const noPing = !(await hasPing());

async function namespaces(): Promise<string[]> {
  const { stdout } = await new Deno.Command("ip", { args: ["netns", "list"] })
    .output();
  return new TextDecoder().decode(stdout).split("\n")
    .map((line) => line.trim().split(/\s+/)[0]).filter((name) => name !== "");
}

async function withPrefix(prefix: string): Promise<string[]> {
  return (await namespaces()).filter((name) => name.startsWith(prefix));
}

async function ping(lab: Lab, address: string) {
  return await lab.exec("h", ["ping", "-n", "-c1", "-W", PING_WAIT_S, address]);
}

function replyTtl(output: string): number | null {
  const match = /bytes from .* ttl=(\d+)/.exec(output);
  return match === null ? null : Number(match[1]);
}

// --- Addresses (no lab needed) ---------------------------------------------

Deno.test("LAB_ADDRESSES block4.at() walks the /18 and skips its ends", () => {
  const { block4 } = LAB_ADDRESSES;
  assert.equal(block4.prefix, "198.18.64.0/18");
  assert.equal(block4.first, "198.18.64.1");
  assert.equal(block4.at(0), block4.first);
  assert.equal(block4.at(254), "198.18.64.255");
  assert.equal(block4.at(255), "198.18.65.0");
  assert.equal(block4.size, 16382);
  assert.equal(block4.at(block4.size - 1), "198.18.127.254");
  assert.throws(() => block4.at(block4.size), RangeError);
  assert.throws(() => block4.at(-1), RangeError);
  assert.throws(() => block4.at(1.5), RangeError);
});

Deno.test("LAB_ADDRESSES block6.at() gives RFC 5952 text", () => {
  const { block6 } = LAB_ADDRESSES;
  assert.equal(block6.prefix, "fd00:5e:40::/64");
  assert.equal(block6.first, "fd00:5e:40::1");
  assert.equal(block6.at(0xfffe), "fd00:5e:40::ffff");
  assert.equal(block6.at(0xffff), "fd00:5e:40::1:0");
  assert.equal(block6.at(block6.size - 1), "fd00:5e:40::ffff:ffff");
  assert.throws(() => block6.at(block6.size), RangeError);
  assert.throws(() => block6.at(Number.NaN), RangeError);
});

Deno.test("LAB_ADDRESSES stay inside the lab's private ranges", () => {
  for (const [key, value] of Object.entries(LAB_ADDRESSES)) {
    if (typeof value !== "string") continue;
    assert.match(value, /^(198\.1[89]\.|fd00:5e:)/, key);
  }
});

Deno.test("Lab.create() rejects a name that cannot be part of a namespace", async () => {
  await assert.rejects(Lab.create({ name: "Bad/Name" }), TypeError);
  await assert.rejects(Lab.create({ name: "" }), TypeError);
});

Deno.test("cleanupStale() rejects a prefix without the lab tag", async () => {
  await assert.rejects(cleanupStale("other-"), TypeError);
});

// --- Live labs ---------------------------------------------------------------

Deno.test({
  name: "Lab.create() brings up five namespaces and dispose removes them",
  ignore: skip,
  fn: async () => {
    const lab = await Lab.create({ name: "updown" });
    assert.ok(lab.prefix.startsWith(LAB_TAG));
    const up = await withPrefix(lab.prefix);
    assert.deepEqual(
      up.sort(),
      NODES.map((node) => lab.ns[node]).sort(),
    );
    await lab[Symbol.asyncDispose]();
    assert.deepEqual(await withPrefix(lab.prefix), []);
    // A second dispose is a no-op and must not throw.
    await lab[Symbol.asyncDispose]();
    assert.throws(() => lab.spawn("h", ["true"]), /disposed/);
  },
});

Deno.test({
  name: "Lab puts each address on the right node",
  ignore: skip,
  fn: async () => {
    await using lab = await Lab.create();
    const a = lab.addresses;
    const expected: Record<string, string[]> = {
      h: [a.host4, a.host6],
      r1: [a.router1_4, a.router1_6],
      r2: [a.router2_4, a.router2_6],
      r3: [a.router3_4, a.router3_6],
      t: [a.target4, a.target6],
    };
    for (const node of NODES) {
      const { code, stdout } = await lab.exec(node, ["ip", "-o", "addr"]);
      assert.equal(code, 0);
      for (const address of expected[node]) {
        assert.ok(stdout.includes(` ${address}/`), `${address} on ${node}`);
      }
    }
  },
});

Deno.test({
  name: "Lab: h reaches t, its block and the routers with reply TTL 61",
  ignore: skip || noPing,
  fn: async () => {
    await using lab = await Lab.create();
    const a = lab.addresses;
    for (
      const address of [
        a.target4,
        a.target6,
        a.block4.first,
        a.block4.at(a.block4.size - 1),
        a.block6.first,
        a.block6.at(0x1_0000),
      ]
    ) {
      const result = await ping(lab, address);
      assert.equal(result.code, 0, `${address}: ${result.stdout}`);
      assert.equal(replyTtl(result.stdout), EXPECTED_REPLY_TTL, address);
    }
    // Each router is one hop nearer, so its replies keep one more TTL.
    const routers = [
      [a.router1_4, a.router1_6],
      [a.router2_4, a.router2_6],
      [a.router3_4, a.router3_6],
    ];
    for (const [hop, pair] of routers.entries()) {
      for (const address of pair) {
        const result = await ping(lab, address);
        assert.equal(replyTtl(result.stdout), 64 - hop, address);
      }
    }
  },
});

Deno.test({
  name: "Lab: r1 answers the error prefixes with prohibited, unreachable, nothing",
  ignore: skip || noPing,
  fn: async () => {
    await using lab = await Lab.create();
    const a = lab.addresses;
    const cases: [string, RegExp | null][] = [
      [a.prohibit4, /From 198\.18\.1\.2 .*Packet filtered/],
      [a.unreachable4, /From 198\.18\.1\.2 .*Destination Host Unreachable/],
      [a.blackhole4, null],
      [a.prohibit6, /From fd00:5e:1::2 .*Administratively prohibited/],
      [a.unreachable6, /From fd00:5e:1::2 .*No route/],
      [a.blackhole6, null],
    ];
    // In parallel: each silent case costs a full ping wait.
    const results = await Promise.all(
      cases.map(([address]) => ping(lab, address)),
    );
    for (const [index, [address, expected]] of cases.entries()) {
      const result = results[index];
      assert.notEqual(result.code, 0, address);
      if (expected === null) {
        assert.doesNotMatch(result.stdout, /From |bytes from/, address);
        assert.match(result.stdout, /100% packet loss/, address);
      } else {
        assert.match(result.stdout, expected, address);
      }
    }
  },
});

Deno.test({
  name: "Lab: r1 holds prohibit, unreachable and blackhole routes",
  ignore: skip,
  fn: async () => {
    await using lab = await Lab.create();
    const found = new Map<string, string>();
    for (const family of ["-4", "-6"]) {
      const { stdout } = await lab.exec("r1", [
        "ip",
        "-j",
        family,
        "route",
        "show",
      ]);
      for (const route of JSON.parse(stdout) as { type?: string; dst: string }[]) {
        if (route.type) found.set(route.dst, route.type);
      }
    }
    assert.equal(found.get("198.19.1.0/24"), "prohibit");
    assert.equal(found.get("198.19.2.0/24"), "unreachable");
    assert.equal(found.get("198.19.3.0/24"), "blackhole");
    assert.equal(found.get("fd00:5e:f1::/64"), "prohibit");
    assert.equal(found.get("fd00:5e:f2::/64"), "unreachable");
    assert.equal(found.get("fd00:5e:f3::/64"), "blackhole");
  },
});

Deno.test({
  name: "Lab sets forwarding on routers and lifts ICMP rate limits everywhere",
  ignore: skip,
  fn: async () => {
    await using lab = await Lab.create();
    const keys = [
      "net.ipv4.ip_forward",
      "net.ipv6.conf.all.forwarding",
      "net.ipv4.icmp_ratelimit",
      "net.ipv6.icmp.ratelimit",
      "net.ipv4.icmp_msgs_per_sec",
      "net.ipv4.icmp_msgs_burst",
    ];
    for (const node of NODES) {
      const { stdout } = await lab.exec(node, ["sysctl", "-n", ...keys]);
      const forwarding = node.startsWith("r") ? "1" : "0";
      assert.deepEqual(stdout.trim().split("\n"), [
        forwarding,
        forwarding,
        "0",
        "0",
        "100000",
        "100000",
      ], node);
    }
  },
});

Deno.test({
  name: "Lab.setPingGroupRange() closes and reopens datagram ICMP in h",
  ignore: skip,
  fn: async () => {
    await using lab = await Lab.create();
    const read = async (node: "h" | "t") =>
      (await lab.exec(node, ["sysctl", "-n", "net.ipv4.ping_group_range"]))
        .stdout.trim().split(/\s+/).join(" ");
    assert.equal(await read("h"), OPEN_PING_GROUP_RANGE);
    assert.equal(await read("t"), CLOSED_PING_GROUP_RANGE);
    await lab.setPingGroupRange("h", CLOSED_PING_GROUP_RANGE);
    assert.equal(await read("h"), CLOSED_PING_GROUP_RANGE);
    await lab.setPingGroupRange("t", "  0   100 ");
    assert.equal(await read("t"), "0 100");
    await assert.rejects(lab.setPingGroupRange("h", "everyone"), TypeError);
  },
});

Deno.test({
  name: "Lab.exec() switches uid, feeds stdin, passes env and kills on timeout",
  ignore: skip,
  fn: async () => {
    await using lab = await Lab.create();
    const nobody = await lab.exec("h", ["id", "-u"], { uid: 65534 });
    assert.deepEqual([nobody.code, nobody.stdout.trim()], [0, "65534"]);
    const groups = await lab.exec("h", ["id", "-G"], { uid: 65534 });
    assert.equal(groups.stdout.trim(), "65534");

    const echoed = await lab.exec("t", ["cat"], { stdin: "hello lab\n" });
    assert.equal(echoed.stdout, "hello lab\n");

    const env = await lab.exec("r2", ["sh", "-c", 'echo "$LAB_VAR" >&2'], {
      env: { LAB_VAR: "from-test" },
    });
    assert.equal(env.stderr, "from-test\n");

    const started = performance.now();
    const slow = await lab.exec("h", ["sleep", LONG_SLEEP_S], {
      timeoutMs: 100,
    });
    assert.equal(slow.signal, "SIGKILL");
    assert.notEqual(slow.code, 0);
    assert.ok(performance.now() - started < 5_000);

    const missing = await lab.exec("h", ["/nonexistent/program"]);
    assert.notEqual(missing.code, 0);
    assert.match(missing.stderr, /nonexistent/);
  },
});

Deno.test({
  name: "Lab.exec() rejects an unknown node, an empty argv and a bad uid",
  ignore: skip,
  fn: async () => {
    await using lab = await Lab.create();
    assert.throws(
      () => lab.exec("x" as "h", ["true"]),
      TypeError,
    );
    assert.throws(() => lab.exec("h", []), TypeError);
    assert.throws(() => lab.exec("h", ["true"], { uid: -1 }), RangeError);
    assert.throws(() => lab.exec("h", ["true"], { timeoutMs: 0 }), RangeError);
  },
});

Deno.test({
  name: "Lab dispose kills spawned children and strays left in its namespaces",
  ignore: skip,
  fn: async () => {
    const lab = await Lab.create();
    const child = lab.spawn("t", ["sleep", LONG_SLEEP_S]);
    // A grandchild detached from the lab's bookkeeping, found via `ip netns pids`.
    await lab.exec("r2", ["sh", "-c", `sleep ${LONG_SLEEP_S} >/dev/null 2>&1 &`]);
    const strays = await new Deno.Command("ip", {
      args: ["netns", "pids", lab.ns.r2],
    }).output();
    const strayPids = new TextDecoder().decode(strays.stdout).trim().split(/\s+/)
      .filter((pid) => pid !== "");
    assert.equal(strayPids.length, 1);
    await lab[Symbol.asyncDispose]();
    const status = await child.status;
    assert.equal(status.success, false);
    assert.equal(status.signal, "SIGTERM");
    for (const pid of strayPids) {
      // The kill is asynchronous to the namespace deletion; give it a moment.
      let gone = false;
      for (let attempt = 0; attempt < 50 && !gone; attempt++) {
        try {
          const stat = await Deno.readTextFile(`/proc/${pid}/stat`);
          gone = / Z /.test(stat);
        } catch {
          gone = true;
        }
        if (!gone) await new Promise((resolve) => setTimeout(resolve, 20));
      }
      assert.ok(gone, `stray ${pid} survived`);
    }
  },
});

Deno.test({
  name: "Lab disposal runs even when the test body throws",
  ignore: skip,
  fn: async () => {
    let prefix = "";
    await assert.rejects(async () => {
      await using lab = await Lab.create();
      prefix = lab.prefix;
      assert.equal((await withPrefix(prefix)).length, NODES.length);
      throw new Error("test body failed");
    }, /test body failed/);
    assert.notEqual(prefix, "");
    assert.deepEqual(await withPrefix(prefix), []);
  },
});

Deno.test({
  name: "Lab: two labs at once do not collide",
  ignore: skip,
  fn: async () => {
    const [first, second] = await Promise.all([Lab.create(), Lab.create()]);
    try {
      assert.notEqual(first.prefix, second.prefix);
      assert.ok(!first.prefix.startsWith(second.prefix));
      assert.ok(!second.prefix.startsWith(first.prefix));
      // Each lab's link ends point at its own namespaces only.
      for (const lab of [first, second]) {
        const { stdout } = await lab.exec("h", ["ip", "-o", "link", "show"]);
        assert.match(stdout, new RegExp(`link-netns ${lab.ns.r1}\\b`));
      }
      await first[Symbol.asyncDispose]();
      assert.deepEqual(await withPrefix(first.prefix), []);
      assert.equal((await withPrefix(second.prefix)).length, NODES.length);
      const still = await second.exec("t", ["ip", "-o", "addr"]);
      assert.ok(still.stdout.includes(second.addresses.target4));
    } finally {
      await first[Symbol.asyncDispose]();
      await second[Symbol.asyncDispose]();
    }
  },
});

/** Starts a process that builds a lab and waits; returns it and its prefix. */
async function holdLabInChild(): Promise<
  { child: Deno.ChildProcess; prefix: string }
> {
  const script = `
    const { Lab } = await import(${JSON.stringify(import.meta.resolve("./lab.ts"))});
    const lab = await Lab.create({ name: "held" });
    console.log(lab.prefix);
    setInterval(() => {}, 1000);
  `;
  const child = new Deno.Command(Deno.execPath(), {
    args: ["eval", "--no-config", script],
    stdout: "piped",
    stderr: "inherit",
    env: { NO_COLOR: "1" },
  }).spawn();
  const reader = child.stdout.pipeThrough(new TextDecoderStream()).getReader();
  let text = "";
  while (!text.includes("\n")) {
    const { done, value } = await reader.read();
    if (done) break;
    text += value;
  }
  await reader.cancel();
  const prefix = text.trim();
  assert.ok(prefix.startsWith(LAB_TAG), `child printed ${JSON.stringify(text)}`);
  return { child, prefix };
}

for (const signal of ["SIGINT", "SIGTERM"] as const) {
  Deno.test({
    name: `Lab namespaces are removed when the process gets ${signal}`,
    ignore: skip,
    sanitizeResources: false,
    fn: async () => {
      const { child, prefix } = await holdLabInChild();
      assert.equal((await withPrefix(prefix)).length, NODES.length);
      child.kill(signal);
      const timer = setTimeout(
        () => child.kill("SIGKILL"),
        SIGNAL_TEST_TIMEOUT_MS,
      );
      const status = await child.status;
      clearTimeout(timer);
      assert.equal(status.signal, null, "the lab's handler should exit");
      assert.deepEqual(await withPrefix(prefix), []);
    },
  });
}

Deno.test({
  name: "cleanupStale() removes the namespaces of a killed run and spares live ones",
  ignore: skip,
  sanitizeResources: false,
  fn: async () => {
    await using live = await Lab.create();
    const { child, prefix } = await holdLabInChild();
    try {
      // SIGKILL gives the run no chance to clean up after itself.
      child.kill("SIGKILL");
      await child.status;
      const leftovers = await withPrefix(prefix);
      assert.equal(leftovers.length, NODES.length);

      const removed = await cleanupStale();
      for (const name of leftovers) assert.ok(removed.includes(name), name);
      assert.ok(!removed.some((name) => name.startsWith(live.prefix)));
      assert.deepEqual(await withPrefix(prefix), []);
      assert.equal((await withPrefix(live.prefix)).length, NODES.length);
      // A live run of another process (pid 1 always exists) is spared too.
      const foreign = `${LAB_TAG}1-${live.prefix.split("-")[2]}-h`;
      await new Deno.Command("ip", { args: ["netns", "add", foreign] })
        .output();
      try {
        assert.deepEqual(await cleanupStale(`${LAB_TAG}1-`), []);
        assert.deepEqual(await withPrefix(foreign), [foreign]);
      } finally {
        await new Deno.Command("ip", { args: ["netns", "del", foreign] })
          .output();
      }
    } finally {
      await cleanupStale(prefix);
    }
  },
});

/**
 * Runs labSkip() in a fresh process as uid 65534, where the lab cannot work. The child imports a world-readable copy
 * of lab.ts, so the test also passes when the checkout sits in a directory only root can enter (`/root`, `mktemp -d`).
 */
async function labSkipAsNobody(ci: string) {
  await using copy = await worldReadableCopy(["tests/lab/lab.ts", "tests/support/gate.ts"]);
  const script = `
    const { labSkip } = await import(${JSON.stringify(`file://${copy.dir}tests/lab/lab.ts`)});
    try {
      console.log("returned " + await labSkip() + " " + await labSkip());
    } catch (error) {
      console.log("threw " + error.message);
    }
  `;
  const { stdout, stderr } = await new Deno.Command("setpriv", {
    args: [
      "--reuid=65534",
      "--regid=65534",
      "--clear-groups",
      "--",
      Deno.execPath(),
      "eval",
      "--no-config",
      script,
    ],
    // The child's working directory must be one it can enter, or every command it spawns fails with EACCES.
    cwd: copy.dir,
    env: { ...copy.env, CI: ci, NO_COLOR: "1" },
  }).output();
  const decoder = new TextDecoder();
  return { stdout: decoder.decode(stdout), stderr: decoder.decode(stderr) };
}

Deno.test({
  name: "labSkip() skips outside CI and throws under CI=true without root",
  ignore: skip,
  fn: async () => {
    const local = await labSkipAsNobody("");
    assert.equal(local.stdout.trim(), "returned true true");
    // The reason is printed once, however often labSkip() is asked.
    assert.equal(local.stderr.match(/Skipping namespace lab tests/g)?.length, 1);
    assert.match(local.stderr, /needs root/);

    const ci = await labSkipAsNobody("true");
    assert.match(ci.stdout, /^threw .*CI=true.*needs root/);
  },
});

Deno.test({
  name: "Lab dispose deletes what a test put under /etc/netns/<namespace>, which ip netns exec mounts over /etc",
  ignore: skip,
  fn: async () => {
    const lab = await Lab.create({ name: "etc" });
    const dir = `/etc/netns/${lab.ns.h}`;
    try {
      await Deno.mkdir(dir, { recursive: true });
      await Deno.writeTextFile(`${dir}/hosts`, `${LAB_ADDRESSES.target4} only-in-h.example\n`);
      const seen = await lab.exec("h", ["getent", "hosts", "only-in-h.example"]);
      assert.match(seen.stdout, /198\.18\.4\.2/);
      const elsewhere = await lab.exec("t", ["getent", "hosts", "only-in-h.example"]);
      assert.notEqual(elsewhere.code, 0);
    } finally {
      await lab[Symbol.asyncDispose]();
    }
    await assert.rejects(Deno.stat(dir), Deno.errors.NotFound);
  },
});
