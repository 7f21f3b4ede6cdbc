/** ffi/libc.ts: every symbol of the one table is callable, whether bound by the first dlopen or by the deferred one. */
import { equal } from "node:assert/strict";
import { libc, LIBC_SYMBOLS } from "../ffi/libc.ts";

Deno.test("libc() gives every symbol of LIBC_SYMBOLS as a function, the same object each time", () => {
  const c = libc();
  equal(libc(), c);
  for (const name of Object.keys(LIBC_SYMBOLS)) equal(typeof c[name as keyof typeof c], "function", name);
});

Deno.test("libc(): a deferred symbol and an eager one both call into libc", () => {
  const c = libc();
  // eventfd (eager) then write/read on it (deferred): the counter comes back as written.
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
});
