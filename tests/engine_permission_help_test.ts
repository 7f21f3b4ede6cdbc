import { deepEqual, equal, match, ok } from "node:assert/strict";
import { permissionHelp, privilegeFacts } from "../engine/permission_help.ts";
import { classifyFailure } from "../cli/outcome.ts";

const SETCAP_WARNING = /that deno binary is shared: every script run with --allow-ffi then gets raw sockets/;

Deno.test("permissionHelp() names the range and the user's group, and suggests that group alone", () => {
  const text = permissionHelp({ uid: 1000, gid: 1000, range: [1, 0], socket: "auto" });
  match(text, /^Cannot open an ICMP socket: net\.ipv4\.ping_group_range is "1 0", which excludes group 1000; /);
  ok(text.includes(`sudo sysctl -w net.ipv4.ping_group_range="1000 1000"`), text);
  ok(!text.includes("2147483647"), "never opens ICMP to every group");
  match(text, /sudo setcap cap_net_raw\+ep/);
  match(text, SETCAP_WARNING);
  ok(!text.includes("\n"));
});

Deno.test("permissionHelp() for --socket datagram as root gives the sysctl fix, not setcap", () => {
  const text = permissionHelp({ uid: 0, gid: 0, range: [1, 0], socket: "datagram" });
  match(text, /^Cannot open a datagram ICMP socket: .*sudo sysctl -w net\.ipv4\.ping_group_range="0 0"/);
  ok(!text.includes("setcap"), text);
  match(text, /or use socket "raw"\)$/);
});

Deno.test("permissionHelp() for --socket raw gives setcap with its warning, and the datagram way out", () => {
  const text = permissionHelp({ uid: 1000, gid: 1000, range: [0, 2147483647], socket: "raw" });
  match(text, /^Cannot open a raw ICMP socket: raw sockets need root or CAP_NET_RAW: sudo setcap/);
  match(text, SETCAP_WARNING);
  match(text, /or use socket "datagram"$/);
});

Deno.test("permissionHelp() without the facts names the commands that tell them", () => {
  const text = permissionHelp({ uid: null, gid: null, range: null, socket: "auto" });
  match(
    text,
    /ping_group_range must include your group \(id -g\); allow it with: sudo sysctl -w net\.ipv4\.ping_group_range="<gid> <gid>"/,
  );
  match(permissionHelp({ uid: 1000, gid: 1000, range: null, socket: "auto" }), /must include group 1000; /);
});

Deno.test("permissionHelp() does not blame the range when it includes the group", () => {
  const text = permissionHelp({ uid: 1000, gid: 1000, range: [0, 2000], socket: "datagram" });
  match(text, /ping_group_range is "0 2000" includes group 1000, yet the kernel refused/);
  ok(!text.includes("sysctl -w"), text);
});

/** The range as `cat` reads it: Deno itself wants --allow-all for /proc/sys. */
async function catRange(): Promise<[number, number]> {
  const { stdout } = await new Deno.Command("cat", { args: ["/proc/sys/net/ipv4/ping_group_range"] }).output();
  const [low, high] = new TextDecoder().decode(stdout).trim().split(/\s+/).map(Number);
  return [low, high];
}

Deno.test("privilegeFacts() reads the ids and the range through libc, without --allow-sys or --allow-read", async () => {
  const facts = privilegeFacts("auto");
  equal(facts.uid, Deno.uid());
  equal(facts.gid, Deno.gid());
  deepEqual(facts.range, await catRange());
  equal(facts.socket, "auto");
});

Deno.test("classifyFailure() turns PermissionDenied into the help, and a broadcast refusal into 'use -b'", () => {
  const help = permissionHelp({ uid: 1000, gid: 1000, range: [1, 0], socket: "raw" });
  const denied = classifyFailure(new Deno.errors.PermissionDenied(help), { broadcast: false });
  match(denied.message ?? "", /^Cannot open a raw ICMP socket: .*; or use --socket datagram$/);
  equal(denied.code, 2);
  const broadcast = new RangeError("Cannot ping: 192.0.2.255 is a broadcast address");
  match(
    classifyFailure(broadcast, { broadcast: false }).message ?? "",
    /\(use -b to ping a broadcast address\)$/,
  );
  ok(!(classifyFailure(broadcast, { broadcast: true }).message ?? "").includes("use -b"));
  // The library's own wording names its option; the command names its flag.
  const library = new RangeError("Cannot ping: 255.255.255.255 is a broadcast address; set broadcast to ping it");
  equal(
    classifyFailure(library, { broadcast: false }).message,
    "Cannot ping: 255.255.255.255 is a broadcast address; use -b to ping it",
  );
});
