import { deepEqual, equal, throws } from "node:assert/strict";
import { parseBuckets, parseListen, parseServeArgs, type ServeCommand } from "../cli/serve_args.ts";
import { UsageError } from "../cli/args.ts";
import { SMOKEPING_BUCKETS } from "../serve/metrics.ts";

function command(args: string[]): ServeCommand {
  const parsed = parseServeArgs(args);
  if (parsed.kind !== "serve") throw new Error("expected a serve command");
  return parsed;
}

Deno.test("serve args: defaults", () => {
  const c = command(["198.18.4.2"]);
  deepEqual(
    [c.hostname, c.port, c.period, c.timeout, c.size, c.socket, c.file, c.hosts, c.ttl, c.dscp],
    ["127.0.0.1", 9374, 1000, 1000, 56, "auto", null, ["198.18.4.2"], undefined, undefined],
  );
  deepEqual(c.buckets, [...SMOKEPING_BUCKETS]);
});

Deno.test("serve args: every flag", () => {
  const c = command([
    "--listen",
    "[::1]:9000",
    "-f",
    "t.txt",
    "--period",
    "0.5",
    "--timeout",
    "0.25",
    "-s",
    "100",
    "--ttl",
    "2",
    "--dscp",
    "46",
    "--socket",
    "raw",
    "--buckets",
    "0.001,0.01",
    "-S",
    "198.18.1.1",
  ]);
  deepEqual(
    [c.hostname, c.port, c.file, c.period, c.timeout, c.size, c.ttl, c.dscp, c.socket, c.buckets, c.source],
    ["::1", 9000, "t.txt", 500, 250, 100, 2, 46, "raw", [0.001, 0.01], "198.18.1.1"],
  );
  equal(parseServeArgs(["-h"]).kind, "help");
});

Deno.test("serve args: the timeout defaults to the period", () => {
  equal(command(["--period", "5", "x"]).timeout, 5000);
});

Deno.test("serve args: bad values name the flag", () => {
  for (
    const [args, pattern] of [
      [[], /needs targets/],
      [["--period", "0", "x"], /--period/],
      [["--ttl", "0", "x"], /--ttl/],
      [["--dscp", "64", "x"], /--dscp/],
      [["--socket", "udp", "x"], /--socket/],
      [["--listen", "9374", "x"], /--listen/],
      [["--buckets", "0.2,0.1", "x"], /ascending/],
      [["--bogus", "x"], /bogus/],
    ] as const
  ) {
    throws(() => parseServeArgs([...args]), (e: unknown) => e instanceof UsageError && pattern.test(e.message));
  }
});

Deno.test("serve args: listen and buckets helpers", () => {
  deepEqual(parseListen(":80"), { hostname: "0.0.0.0", port: 80 });
  deepEqual(parseListen("198.18.1.2:9374"), { hostname: "198.18.1.2", port: 9374 });
  throws(() => parseBuckets("0.1,,0.2"), UsageError);
  throws(() => parseBuckets("-1"), UsageError);
});
