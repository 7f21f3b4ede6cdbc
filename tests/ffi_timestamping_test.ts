import { deepEqual, equal } from "node:assert/strict";
import {
  AF_INET,
  Errno,
  IP_RECVERR,
  IP_TTL,
  IPPROTO_IP,
  IPPROTO_IPV6,
  IPPROTO_UDP,
  IPV6_RECVERR,
  MSG_CTRUNC,
  SCM_TIMESTAMPING,
  SCM_TIMESTAMPNS,
  SCM_TSTAMP_ACK,
  SCM_TSTAMP_SCHED,
  SCM_TSTAMP_SND,
  SO_EE_ORIGIN_ICMP,
  SO_EE_ORIGIN_TIMESTAMPING,
  SOCK_CLOEXEC,
  SOCK_DGRAM,
  SOL_SOCKET,
} from "../ffi/constants.ts";
import { libc } from "../ffi/libc.ts";
import { cmsgLen, cmsgSpace } from "../ffi/structs.ts";
import {
  awaitReceiveStamping,
  enableTimestamping,
  KernelStamps,
  readScmTimestamping,
  readTxStamp,
  receiveStampingLive,
  TIMESTAMPING_FLAGS,
  TX_KEY_RING_SIZE,
  TxKeyTable,
  TxStamp,
} from "../ffi/timestamping.ts";

interface Cmsg {
  level: number;
  type: number;
  data: Uint8Array;
  /** Overrides cmsg_len (to fabricate a lying header). */
  len?: number;
}

function control(...items: Cmsg[]): DataView {
  const bytes = new Uint8Array(items.reduce((n, c) => n + cmsgSpace(c.data.length), 0));
  const view = new DataView(bytes.buffer);
  let offset = 0;
  for (const c of items) {
    view.setUint32(offset, c.len ?? cmsgLen(c.data.length), true);
    view.setInt32(offset + 8, c.level, true);
    view.setInt32(offset + 12, c.type, true);
    bytes.set(c.data, offset + 16);
    offset += cmsgSpace(c.data.length);
  }
  return view;
}

function timestamping(software: [number, number], hardware: [number, number] = [0, 0]): Cmsg {
  const data = new Uint8Array(48);
  const view = new DataView(data.buffer);
  view.setUint32(0, software[0], true);
  view.setUint32(8, software[1], true);
  view.setUint32(32, hardware[0], true);
  view.setUint32(40, hardware[1], true);
  return { level: SOL_SOCKET, type: SCM_TIMESTAMPING, data };
}

function extendedError(
  family: 4 | 6,
  fields: { errno?: number; origin?: number; type?: number; info?: number; data: number },
  offenderBytes = family === 4 ? 16 : 28,
): Cmsg {
  const data = new Uint8Array(16 + offenderBytes);
  const view = new DataView(data.buffer);
  view.setUint32(0, fields.errno ?? Errno.ENOMSG, true);
  view.setUint8(4, fields.origin ?? SO_EE_ORIGIN_TIMESTAMPING);
  view.setUint8(5, fields.type ?? 0);
  view.setUint32(8, fields.info ?? SCM_TSTAMP_SCHED, true);
  view.setUint32(12, fields.data, true);
  return family === 4
    ? { level: IPPROTO_IP, type: IP_RECVERR, data }
    : { level: IPPROTO_IPV6, type: IPV6_RECVERR, data };
}

function read(family: 4 | 6, view: DataView, flags = 0, length = view.byteLength): [string, TxStamp] {
  const out = new TxStamp();
  return [readTxStamp(family, view, length, flags, out), out];
}

Deno.test("TIMESTAMPING_FLAGS is 0x998: TX_SCHED (not TX_SOFTWARE), RX software, reported, OPT_ID, OPT_TSONLY", () => {
  equal(TIMESTAMPING_FLAGS, 0x998);
});

Deno.test("readScmTimestamping() reads ts[0] as the software stamp and ts[2] as the hardware one", () => {
  const view = control(timestamping([1_800_000_123, 999_999_999], [77, 5]));
  const out = new KernelStamps();
  equal(readScmTimestamping(view, 16, 48, out), true);
  equal(out.software, true);
  equal(out.softwareSec, 1_800_000_123);
  equal(out.softwareNsec, 999_999_999);
  equal(out.hardware, true);
  equal(out.hardwareSec, 77);
  equal(out.hardwareNsec, 5);
});

Deno.test("readScmTimestamping() reads an all-zero ts[0] as no software stamp", () => {
  const out = new KernelStamps();
  equal(readScmTimestamping(control(timestamping([0, 0], [3, 4])), 16, 48, out), true);
  equal(out.software, false);
  equal(out.hardware, true);
});

Deno.test("readScmTimestamping() refuses a payload shorter than scm_timestamping and clears old stamps", () => {
  const out = new KernelStamps();
  readScmTimestamping(control(timestamping([5, 6])), 16, 48, out);
  equal(out.software, true);
  equal(readScmTimestamping(control(timestamping([5, 6])), 16, 47, out), false);
  equal(out.software, false);
  // A declared length running past the buffer is truncation too.
  equal(readScmTimestamping(new DataView(new ArrayBuffer(40)), 16, 48, out), false);
});

for (const family of [4, 6] as const) {
  Deno.test(`readTxStamp() IPv${family}: a transmit stamp gives its OPT_ID counter and software stamp`, () => {
    const [status, out] = read(
      family,
      control(timestamping([1_800_000_000, 123_456]), extendedError(family, { data: 41 })),
    );
    equal(status, "stamp");
    equal(out.hasCounter, true);
    equal(out.counter, 41);
    equal(out.sec, 1_800_000_000);
    equal(out.nsec, 123_456);
  });

  Deno.test(`readTxStamp() IPv${family}: cmsg order and unrelated cmsgs do not matter`, () => {
    const ttl = { level: IPPROTO_IP, type: IP_TTL, data: new Uint8Array(4) };
    const ns = { level: SOL_SOCKET, type: SCM_TIMESTAMPNS, data: new Uint8Array(16) };
    const [status, out] = read(
      family,
      control(ttl, extendedError(family, { data: 0xffff_fffe }), ns, timestamping([9, 8])),
    );
    equal(status, "stamp");
    equal(out.counter, 0xffff_fffe);
    equal(out.sec, 9);
    equal(out.nsec, 8);
  });

  Deno.test(`readTxStamp() IPv${family}: an ICMP error entry is "error", left to the error path`, () => {
    const [status, out] = read(
      family,
      control(extendedError(family, { errno: Errno.EHOSTUNREACH, origin: SO_EE_ORIGIN_ICMP, type: 3, data: 0 })),
    );
    equal(status, "error");
    equal(out.hasCounter, false);
  });

  Deno.test(`readTxStamp() IPv${family}: timestamping entries miniping did not ask for are "foreign"`, () => {
    // miniping asks only for the SCHED stamp: SND (the driver's) and ACK (TCP's) are other points on the path.
    for (const info of [SCM_TSTAMP_SND, SCM_TSTAMP_ACK]) {
      const [status, out] = read(family, control(timestamping([1, 2]), extendedError(family, { info, data: 7 })));
      equal(status, "foreign");
      equal(out.hasCounter, true);
      equal(out.counter, 7);
    }
    const [wrongErrno] = read(
      family,
      control(timestamping([1, 2]), extendedError(family, { errno: Errno.EAGAIN, data: 7 })),
    );
    equal(wrongErrno, "foreign");
    // A hardware-only stamp is no software transmit stamp.
    const [hardwareOnly] = read(family, control(timestamping([0, 0], [1, 2]), extendedError(family, { data: 7 })));
    equal(hardwareOnly, "foreign");
  });

  Deno.test(`readTxStamp() IPv${family}: the other family's extended error is not read`, () => {
    const other = family === 4 ? 6 : 4;
    const [status, out] = read(family, control(timestamping([1, 2]), extendedError(other, { data: 3 })));
    equal(status, "truncated");
    equal(out.hasCounter, false);
  });

  Deno.test(`readTxStamp() IPv${family}: a stamp whose extended error was cut off is "truncated" without a key`, () => {
    const view = control(timestamping([1, 2]), extendedError(family, { data: 3 }));
    // MSG_CTRUNC: the kernel dropped what did not fit, here the extended error.
    const [status, out] = read(family, view, MSG_CTRUNC, cmsgSpace(48));
    equal(status, "truncated");
    equal(out.hasCounter, false);
  });

  Deno.test(`readTxStamp() IPv${family}: an extended error without its stamp is "truncated" with its key`, () => {
    const [status, out] = read(family, control(extendedError(family, { data: 12 })), MSG_CTRUNC);
    equal(status, "truncated");
    equal(out.hasCounter, true);
    equal(out.counter, 12);
    // The same without MSG_CTRUNC: still no stamp to use.
    equal(read(family, control(extendedError(family, { data: 12 })))[0], "truncated");
  });

  Deno.test(`readTxStamp() IPv${family}: a cmsg header running past msg_controllen is truncation`, () => {
    const view = control(extendedError(family, { data: 5 }), timestamping([1, 2]));
    // Cut inside the second cmsg's payload.
    const [status, out] = read(family, view, 0, view.byteLength - 8);
    equal(status, "truncated");
    equal(out.hasCounter, true);
    equal(out.counter, 5);
  });

  Deno.test(`readTxStamp() IPv${family}: short payloads are truncation, not garbage`, () => {
    const shortStamp = { ...timestamping([1, 2]), len: cmsgLen(40) };
    equal(read(family, control(shortStamp, extendedError(family, { data: 5 })))[0], "truncated");
    const shortError = { ...extendedError(family, { data: 5 }), len: cmsgLen(12) };
    const [status, out] = read(family, control(timestamping([1, 2]), shortError));
    equal(status, "truncated");
    equal(out.hasCounter, false);
  });

  Deno.test(`readTxStamp() IPv${family}: a cmsg_len below the header size stops the walk as truncation`, () => {
    const bogus = { ...extendedError(family, { data: 5 }), len: 8 };
    equal(read(family, control(timestamping([1, 2]), bogus))[0], "truncated");
  });

  Deno.test(`readTxStamp() IPv${family}: no control data is "empty"`, () => {
    equal(read(family, new DataView(new ArrayBuffer(64)), 0, 0)[0], "empty");
    const ttl = { level: IPPROTO_IP, type: IP_TTL, data: new Uint8Array(4) };
    equal(read(family, control(ttl))[0], "empty");
  });

  Deno.test(`readTxStamp() IPv${family}: a reused TxStamp does not keep the previous entry's key`, () => {
    const out = new TxStamp();
    const good = control(timestamping([1, 2]), extendedError(family, { data: 99 }));
    equal(readTxStamp(family, good, good.byteLength, 0, out), "stamp");
    const stampOnly = control(timestamping([3, 4]));
    equal(readTxStamp(family, stampOnly, stampOnly.byteLength, MSG_CTRUNC, out), "truncated");
    equal(out.hasCounter, false);
  });
}

Deno.test("enableTimestamping() is accepted on a socket, and receive stamping goes live over loopback", () => {
  const c = libc();
  const fd = c.socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, IPPROTO_UDP);
  equal(fd >= 0, true);
  try {
    equal(enableTimestamping(fd), 0);
    // This socket now holds the kernel's receive stamping on, so it must go live within the (generous) budget.
    equal(awaitReceiveStamping(2_000), true);
    equal(receiveStampingLive(), true);
  } finally {
    c.close(fd);
  }
});

Deno.test("enableTimestamping() reports the errno of a refusal", () => {
  equal(enableTimestamping(-1), Errno.EBADF);
});

Deno.test("TxKeyTable: with SCM_TS_OPT_ID accepted, ee_data is the key itself", () => {
  const keys = new TxKeyTable();
  equal(keys.cmsg, true);
  equal(keys.afterSend(0xabcd_0001, 0, true), false);
  equal(keys.mode, "cmsg");
  equal(keys.keyOf(0xabcd_0001), 0xabcd_0001);
  // A later failure (pending ICMP error, EAGAIN, even EINVAL) changes nothing.
  equal(keys.afterSend(5, Errno.EINVAL, true), false);
  equal(keys.mode, "cmsg");
});

Deno.test("TxKeyTable: a kernel that refuses SCM_TS_OPT_ID switches to counting successful sends", () => {
  const keys = new TxKeyTable();
  equal(keys.afterSend(70, Errno.EINVAL, true), true);
  equal(keys.mode, "counter");
  equal(keys.cmsg, false);
  keys.afterSend(70, 0, false);
  // Failed sends take no counter value (measured on 6.18: EHOSTUNREACH, EAGAIN, ENOBUFS).
  keys.afterSend(71, Errno.EAGAIN, false);
  keys.afterSend(72, 0, false);
  keys.afterSend(73, Errno.EHOSTUNREACH, false);
  keys.afterSend(74, 0, false);
  deepEqual([keys.keyOf(0), keys.keyOf(1), keys.keyOf(2)], [70, 72, 74]);
});

Deno.test("TxKeyTable: counter mode keeps the last TX_KEY_RING_SIZE keys, across the ring's wrap", () => {
  const keys = new TxKeyTable();
  keys.afterSend(0, Errno.EINVAL, true);
  for (let i = 0; i < TX_KEY_RING_SIZE + 10; i++) keys.afterSend(1_000_000 + i, 0, false);
  equal(keys.keyOf(TX_KEY_RING_SIZE + 9), 1_000_000 + TX_KEY_RING_SIZE + 9);
  equal(keys.keyOf(10), 1_000_000 + 10);
  equal(keys.keyOf(TX_KEY_RING_SIZE + 9 - TX_KEY_RING_SIZE + 1), 1_000_000 + 10);
});

Deno.test("TxKeyTable: before any send the mode is unknown and ee_data is taken as the key", () => {
  const keys = new TxKeyTable();
  equal(keys.mode, "unknown");
  equal(keys.keyOf(9), 9);
  // A send that failed for another reason decides nothing.
  equal(keys.afterSend(9, Errno.EHOSTUNREACH, true), false);
  equal(keys.mode, "unknown");
});
