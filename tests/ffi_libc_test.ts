/**
 * ffi/libc.ts: every symbol of the one table is callable, through plain pointers at first and bound by `Deno.dlopen`
 * once PLAIN_CALLS calls have been made.
 */
import { equal, notEqual } from "node:assert/strict";
import { libc, LIBC_SYMBOLS, libcBinding, PLAIN_CALLS } from "../ffi/libc.ts";

Deno.test("libc() gives every symbol of LIBC_SYMBOLS as a function, the same object each time", () => {
  const c = libc();
  equal(libc(), c);
  for (const name of Object.keys(LIBC_SYMBOLS)) equal(typeof c[name as keyof typeof c], "function", name);
});

/** eventfd, then write and read on it: the counter comes back as written. */
function eventfdRoundTrip(): void {
  const c = libc();
  const fd = c.eventfd(0, 0);
  equal(fd >= 0, true);
  try {
    const value = new BigUint64Array([5n]);
    equal(c.write(fd, new Uint8Array(value.buffer), 8n), 8);
    const back = new BigUint64Array(1);
    equal(c.read(fd, new Uint8Array(back.buffer), 8n), 8);
    equal(back[0], 5n);
  } finally {
    equal(c.close(fd), 0);
  }
}

Deno.test("libc(): plain calls at first, then (after PLAIN_CALLS calls) the symbols bound by Deno.dlopen", async () => {
  const c = libc();
  // The table's 32-bit results, pointers and nonblocking calls work the same either way.
  const check = async () => {
    eventfdRoundTrip();
    notEqual(c.__errno_location(), null);
    const fds = new Uint8Array(8);
    equal(await c.poll(fds, 0n, 0), 0);
  };
  // This file's module state is its own: no call has been made through the table yet.
  equal(libcBinding(), "plain");
  await check();
  const socket = c.socket;
  const timespec = new Uint8Array(16);
  for (let i = 0; i < PLAIN_CALLS && libcBinding() === "plain"; i++) c.clock_gettime(1, timespec);
  equal(libcBinding(), "fast");
  // Every holder of the table sees the bound symbols.
  notEqual(c.socket, socket);
  await check();
});
