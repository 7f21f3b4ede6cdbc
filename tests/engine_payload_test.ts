import { deepEqual, equal, ok } from "node:assert/strict";
import { nextToken, payloadOf, TOKEN_BYTES, writeProbe } from "../engine/payload.ts";
import { encodeEcho } from "../icmp/echo.ts";

Deno.test("writeProbe() writes in place exactly what encodeEcho() makes of the probe's payload", () => {
  const out = new Uint8Array(2048).fill(0xaa);
  for (const family of [4, 6] as const) {
    for (const size of [0, 1, 16, 17, 56, 1400]) {
      const token = nextToken(size);
      const length = writeProbe(out, family, 0x1234, size, token, size);
      deepEqual(
        out.subarray(0, length),
        encodeEcho(family, 0x1234, size, payloadOf(token, size)),
        `${family}/${size}`,
      );
    }
  }
});

Deno.test("nextToken() hands out distinct views that stay valid while later tokens are drawn", () => {
  const first = nextToken(56);
  const copy = first.slice();
  equal(first.length, TOKEN_BYTES);
  // More than one pool's worth: the first token's pool is replaced, not refilled.
  for (let i = 0; i < 10_000; i++) nextToken(56);
  deepEqual(first, copy);
  ok(nextToken(8).length === 8);
});
