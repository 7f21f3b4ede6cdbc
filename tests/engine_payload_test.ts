import { deepEqual, equal, ok } from "node:assert/strict";
import {
  drawn,
  drawToken,
  nextToken,
  payloadMatches,
  payloadMatchesAt,
  payloadOf,
  prefixMatches,
  TOKEN_BYTES,
  tokenLength,
  writeProbe,
} from "../engine/payload.ts";
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

Deno.test("a token drawn into the shared pool is written and matched in place, and only there", () => {
  const out = new Uint8Array(256);
  for (const size of [4, 56]) {
    drawToken(size);
    const { bytes, at } = drawn;
    const length = writeProbe(out, 4, 7, 9, bytes, size, at);
    deepEqual(
      out.subarray(0, length),
      encodeEcho(4, 7, 9, payloadOf(bytes.subarray(at, at + tokenLength(size)), size)),
    );
    const payload = out.subarray(8, length).slice();
    equal(payloadMatches(payload, bytes, size, at), true);
    equal(payloadMatchesAt(out, 8, length, bytes, size, at), true);
    equal(prefixMatches(payload.subarray(0, 3), bytes, size, at), true);
    // The neighbouring token in the pool is another probe's.
    equal(payloadMatches(payload, bytes, size, at + tokenLength(size)), false);
  }
});
