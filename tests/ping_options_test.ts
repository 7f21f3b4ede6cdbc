import { rejects } from "node:assert/strict";
import { ping, type PingOptions } from "../mod.ts";

// Validation happens before name resolution and before any socket is opened, so these run without privilege.
const cases: [
  string,
  PingOptions,
  typeof TypeError | typeof RangeError,
  RegExp,
][] = [
  ["count 0", { count: 0 }, RangeError, /count must be ≥ 1, got 0/],
  [
    "count 1.5",
    { count: 1.5 },
    RangeError,
    /count must be an integer, got 1.5/,
  ],
  [
    "count as a string",
    { count: "3" as unknown as number },
    TypeError,
    /count must be a number, got string "3"/,
  ],
  [
    "count NaN",
    { count: NaN },
    RangeError,
    /count must be an integer, got NaN/,
  ],
  ["timeout 0", { timeout: 0 }, RangeError, /timeout must be > 0, got 0/],
  ["timeout negative", { timeout: -5 }, RangeError, /timeout must be/],
  [
    "timeout beyond setTimeout",
    { timeout: 2 ** 31 },
    RangeError,
    /timeout must be ≤ 2147483647/,
  ],
  [
    "interval negative",
    { interval: -1 },
    RangeError,
    /interval must be ≥ 0, got -1/,
  ],
  ["size negative", { size: -1 }, RangeError, /size must be ≥ 0, got -1/],
  [
    "size 70000",
    { size: 70000 },
    RangeError,
    /size must be ≤ 65527, got 70000/,
  ],
  ["ttl 0", { ttl: 0 }, RangeError, /ttl must be ≥ 1, got 0/],
  ["ttl 256", { ttl: 256 }, RangeError, /ttl must be ≤ 255, got 256/],
  ["dscp 64", { dscp: 64 }, RangeError, /dscp must be ≤ 63, got 64/],
  ["dscp -1", { dscp: -1 }, RangeError, /dscp must be ≥ 0, got -1/],
  ["family 5", { family: 5 as 4 }, RangeError, /family must be 4 or 6, got 5/],
  [
    "socket kind",
    { socket: "stream" as "raw" },
    RangeError,
    /socket must be "raw", "datagram" or "auto", got "stream"/,
  ],
  [
    "kernelTimestamps",
    { kernelTimestamps: 1 as unknown as boolean },
    TypeError,
    /kernelTimestamps must be a boolean/,
  ],
  [
    "throwOnTimeout",
    { throwOnTimeout: "yes" as unknown as boolean },
    TypeError,
    /throwOnTimeout must be a boolean/,
  ],
  [
    "source not a string",
    { source: 1 as unknown as string },
    TypeError,
    /source must be a string/,
  ],
  [
    "source not an address",
    { source: "eth0" },
    RangeError,
    /source must be an IP address, got "eth0"/,
  ],
  [
    "signal",
    { signal: {} as AbortSignal },
    TypeError,
    /signal must be an AbortSignal/,
  ],
  [
    "onProbe",
    { onProbe: 3 as unknown as () => void },
    TypeError,
    /onProbe must be a function/,
  ],
];

for (const [what, options, ErrorClass, message] of cases) {
  Deno.test(`ping() rejects bad options before sending: ${what}`, async () => {
    await rejects(ping("127.0.0.1", options), (error: Error) => {
      if (!(error instanceof ErrorClass)) {
        throw new Error(`expected ${ErrorClass.name}, got ${error}`);
      }
      if (!message.test(error.message)) {
        throw new Error(
          `message ${JSON.stringify(error.message)} !~ ${message}`,
        );
      }
      return true;
    });
  });
}

Deno.test("ping() rejects an empty or non-string host", async () => {
  await rejects(ping(""), RangeError);
  await rejects(ping("   "), RangeError);
  await rejects(ping(42 as unknown as string), TypeError);
});

Deno.test("ping() rejects a size above the IPv4 maximum once the target is known to be IPv4", async () => {
  await rejects(
    ping("127.0.0.1", { size: 65508 }),
    /size must be ≤ 65507 for IPv4, got 65508/,
  );
});

Deno.test("ping() rejects a source address of the wrong family or not on this host", async () => {
  await rejects(
    ping("127.0.0.1", { source: "::1" }),
    /source ::1 is IPv6 but the target is IPv4/,
  );
  await rejects(
    ping("127.0.0.1", { source: "198.18.255.254" }),
    /source 198\.18\.255\.254 is not an address of this host/,
  );
});

Deno.test("ping() rejects with the signal's reason when aborted before it starts", async () => {
  const controller = new AbortController();
  controller.abort(new Error("stop"));
  await rejects(ping("127.0.0.1", { signal: controller.signal }), /stop/);
});

Deno.test("ping() rejects a name that does not resolve with NotFound naming the host", async () => {
  await rejects(ping("no-such-host.invalid"), (error: Error) => {
    if (!(error instanceof Deno.errors.NotFound)) {
      throw new Error(`expected NotFound, got ${error}`);
    }
    if (!/Cannot resolve "no-such-host\.invalid": /.test(error.message)) {
      throw new Error(error.message);
    }
    return true;
  });
});
