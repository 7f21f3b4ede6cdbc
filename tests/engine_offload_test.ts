/**
 * Send batches handed to a worker thread (`IcmpSocket.launchStaged`, the engine's offload) on loopback, where the
 * kernel answers inside the sender's own call: replies are read before JS learns that their batch landed.
 */
import { deepEqual, equal, ok } from "node:assert/strict";
import { IcmpSocket } from "../ffi/socket.ts";
import { Engine } from "../engine/engine.ts";
import { pingWith } from "../engine/api.ts";
import { writeProbe } from "../engine/payload.ts";
import type { ProbeEvent } from "../mod.ts";
import { gate } from "./support/gate.ts";

const needsRoot = gate(Deno.uid() === 0 ? null : "not root: raw ICMP sockets need CAP_NET_RAW");
const test = (name: string, fn: () => Promise<void>) => Deno.test({ name, ignore: needsRoot, fn });

const LOOPBACK = new Uint8Array([2, 0, 0, 0, 127, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0, 0]);
const TOKEN = new Uint8Array(16).fill(0xa5);
const ID = 0x4d50;

/** The echo sequence numbers of the replies read now (raw IPv4: an IP header comes first). */
function readReplies(socket: IcmpSocket): number[] {
  const seqs: number[] = [];
  for (;;) {
    const n = socket.receiveBatch();
    if (n <= 0) return seqs;
    for (let i = 0; i < n; i++) {
      socket.select(i);
      const data = socket.received;
      const at = (data[0] & 0x0f) * 4;
      if (data[at] === 0 && ((data[at + 4] << 8) | data[at + 5]) === ID) seqs.push((data[at + 6] << 8) | data[at + 7]);
    }
  }
}

/** Reads replies on this thread, without yielding, until `count` came or a second passed. */
function spinForReplies(socket: IcmpSocket, count: number): number[] {
  const seqs: number[] = [];
  const end = performance.now() + 1000;
  while (seqs.length < count && performance.now() < end) seqs.push(...readReplies(socket));
  return seqs;
}

function stageProbes(socket: IcmpSocket, seqs: number[]): void {
  for (const seq of seqs) {
    const length = writeProbe(socket.packet, 4, ID, seq, TOKEN, 56);
    ok(socket.canStage(length));
    socket.stage(length, LOOPBACK, null, ID * 65536 + seq);
  }
}

/** A raw socket whose first send (which tells how transmit stamps are keyed) has gone. */
function openSocket(): IcmpSocket {
  const socket = IcmpSocket.open(4, "raw");
  const length = writeProbe(socket.packet, 4, ID, 0, TOKEN, 56);
  equal(socket.send(length, LOOPBACK, null, ID * 65536), 0);
  deepEqual(spinForReplies(socket, 1), [0]);
  return socket;
}

const range = (from: number, count: number) => Array.from({ length: count }, (_, i) => from + i);

test("a batch in flight: its replies are read before it lands, and the next batch stages untouched", async () => {
  using socket = openSocket();
  stageProbes(socket, range(1, 64));
  ok(socket.canLaunch);
  const flight = socket.launchStaged();
  equal(socket.sending, true);
  equal(socket.staged, 0);
  // Staged while the first batch flies: into the other buffer.
  stageProbes(socket, range(65, 10));
  equal(socket.staged, 10);
  // Nothing yields until every reply is in: JS cannot have seen the landing yet.
  const early = spinForReplies(socket, 64);
  equal(socket.sending, true);
  deepEqual(early.sort((a, b) => a - b), range(1, 64));
  equal(await flight, 64);
  equal(socket.sending, false);
  equal(socket.leftover, 0);
  equal(socket.staged, 10);
  equal(socket.sendStaged(), 10);
  deepEqual(spinForReplies(socket, 10).sort((a, b) => a - b), range(65, 10));
  // Transmit stamps came back under the keys the messages carried, all 75.
  let stamps = 0;
  for (let n = socket.receiveErrorBatch(); n > 0; n = socket.receiveErrorBatch()) stamps += n;
  equal(stamps, 75);
});

/** Whether `fd` is an open descriptor of this process, asked synchronously (nothing may run in between). */
function isOpen(fd: number): boolean {
  // int fcntl(int fd, int cmd, ...); F_GETFD takes no argument and fails with EBADF on a closed descriptor.
  const libc = Deno.dlopen("libc.so.6", { fcntl: { parameters: ["i32", "i32"], result: "i32" } });
  try {
    return libc.symbols.fcntl(fd, 1) !== -1;
  } finally {
    libc.close();
  }
}

test("a socket closed with a batch in flight keeps its descriptor until the batch lands", async () => {
  const socket = openSocket();
  const fd = socket.fd;
  stageProbes(socket, range(1, 32));
  const flight = socket.launchStaged();
  socket.close();
  equal(socket.fd, -1);
  // The worker's call may not even have started: the number must not be free for another socket yet.
  ok(isOpen(fd));
  let released = false;
  const closed = socket.whenClosed().then(() => released = true);
  equal(await flight, 32);
  await closed;
  ok(released);
  ok(!isOpen(fd));
  // Idempotent, and nothing left to wait for.
  socket.close();
  await socket.whenClosed();
});

for (const offload of [true, false]) {
  test(`a loopback flood ${offload ? "with" : "without"} offloaded batches: every probe sent once, answered once`, async () => {
    const engine = new Engine();
    engine.offloadSends = offload;
    const replies = new Map<number, number>();
    let duplicates = 0;
    const result = await pingWith(engine, "127.0.0.1", {
      count: 3000,
      interval: 0,
      socket: "raw",
      onProbe: (event: ProbeEvent) => {
        if (event.type === "reply") replies.set(event.seq, (replies.get(event.seq) ?? 0) + 1);
        if (event.type === "duplicate") duplicates++;
      },
    });
    equal(result.sent, 3000);
    equal(result.received, 3000);
    equal(duplicates, 0);
    equal(replies.size, 3000);
    ok([...replies.values()].every((n) => n === 1));
    const stats = engine.stats();
    equal(stats.sent, 3000);
    equal(stats.received, 3000);
    equal(stats.outstanding, 0);
    if (offload) ok(stats.offloaded > 0, "no batch was offloaded");
    else equal(stats.offloaded, 0);
  });
}
