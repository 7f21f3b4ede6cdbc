/**
 * The engine's start-up path (issue 9): a single ping on loopback ends without the loop's MessageChannel, and runs
 * that follow each other still let timers in.
 */
import { equal, ok } from "node:assert/strict";
import { pingWith } from "../engine/api.ts";
import { Engine } from "../engine/engine.ts";
import { gate } from "./support/gate.ts";

const needsRoot = gate(Deno.uid() === 0 ? null : "not root: raw ICMP sockets need CAP_NET_RAW");

/** Counts the MessageChannels made while `fn` runs. */
async function channelsMade(fn: () => Promise<void>): Promise<number> {
  const Original = globalThis.MessageChannel;
  let made = 0;
  globalThis.MessageChannel = class extends Original {
    constructor() {
      super();
      made++;
    }
  };
  try {
    await fn();
  } finally {
    globalThis.MessageChannel = Original;
  }
  return made;
}

Deno.test({
  name: "a single ping on loopback ends without opening the loop's MessageChannel; a second ping opens it",
  ignore: needsRoot,
  fn: async () => {
    const engine = new Engine();
    const first = await channelsMade(async () => {
      equal((await pingWith(engine, "127.0.0.1", { count: 1 })).received, 1);
    });
    equal(first, 0);
    // The free hop is the engine's, once: later loops hop through the channel.
    const second = await channelsMade(async () => {
      equal((await pingWith(engine, "127.0.0.1", { count: 1 })).received, 1);
    });
    equal(second, 1);
  },
});

Deno.test({
  name: "single pings one after another on one engine still let a timer run",
  ignore: needsRoot,
  fn: async () => {
    const engine = new Engine();
    let fired = false;
    setTimeout(() => fired = true, 0);
    let pings = 0;
    // Were every loop's hop a microtask, nothing but these pings would run until the cap.
    while (!fired && pings < 200) {
      await pingWith(engine, "127.0.0.1", { count: 1 });
      pings++;
    }
    ok(fired, `the timer did not run during ${pings} pings`);
    ok(pings < 200);
  },
});
