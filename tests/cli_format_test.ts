import { deepEqual, equal, match, ok } from "node:assert/strict";
import {
  eventLine,
  formatLoss,
  formatMs,
  headerLine,
  jsonDocument,
  jsonResult,
  type Line,
  ndjsonEvent,
  ndjsonSummary,
  probeOutcome,
  roundNumbers,
  summaryLines,
  timestampPrefix,
} from "../cli/format.ts";
import { classifyFailure, EXIT, exitCodeFor, oneLine } from "../cli/outcome.ts";
import { DestinationUnreachableError, PingTimeoutError, TimeExceededError } from "../errors.ts";
import type { ProbeEvent } from "../ping.ts";
import { PingResult, type PingTally } from "../ping_result.ts";

/** The fields every probe event carries, for fixtures. */
const BASE = { host: "192.0.2.7", address: "192.0.2.7", index: 0, icmpId: 1, icmpSeq: 1, time: 0 };

function result(overrides: Partial<PingTally> = {}): PingResult {
  return new PingResult({
    host: "example.test",
    address: "192.0.2.7",
    family: 4,
    sent: 4,
    rtts: [1, 2, 3, 4],
    ttl: 57,
    duplicates: 0,
    corrupted: 0,
    errors: 0,
    ...overrides,
  });
}

const texts = (lines: Line[]) => lines.map((line) => line.text);

const REPLY: ProbeEvent = {
  type: "reply",
  ...BASE,
  seq: 3,
  icmpSeq: 3,
  rtt: 12.34567,
  ttl: 57,
  bytes: 64,
  from: "192.0.2.7",
  clock: "kernel",
};

Deno.test("formatMs() shows three decimals", () => {
  equal(formatMs(0.0449), "0.045");
  equal(formatMs(12), "12.000");
  equal(formatMs(1234.5675), "1234.568");
});

Deno.test("formatLoss() drops trailing zeros and keeps six significant digits, as iputils' %g", () => {
  equal(formatLoss(0), "0");
  equal(formatLoss(25), "25");
  equal(formatLoss(100), "100");
  equal(formatLoss(100 / 3), "33.3333");
  equal(formatLoss(200 / 3), "66.6667");
});

Deno.test("headerLine() names host, address and payload size", () => {
  deepEqual(headerLine("example.test", "192.0.2.7", 56), {
    text: "PING example.test (192.0.2.7): 56 data bytes",
  });
});

Deno.test("eventLine() formats a reply like iputils", () => {
  deepEqual(eventLine(REPLY), { text: "64 bytes from 192.0.2.7: icmp_seq=3 ttl=57 time=12.346 ms" });
});

Deno.test("eventLine() leaves out an unknown TTL", () => {
  equal(eventLine({ ...REPLY, ttl: null }).text, "64 bytes from 192.0.2.7: icmp_seq=3 time=12.346 ms");
});

Deno.test("eventLine() marks a duplicate with (DUP!) in the warning colour", () => {
  deepEqual(eventLine({ ...REPLY, type: "duplicate" }), {
    text: "64 bytes from 192.0.2.7: icmp_seq=3 ttl=57 time=12.346 ms (DUP!)",
    tone: "warn",
  });
});

Deno.test("eventLine() reports a timeout", () => {
  deepEqual(eventLine({ type: "timeout", ...BASE, seq: 9, icmpSeq: 9 }), {
    text: "Request timeout for icmp_seq=9",
    tone: "warn",
  });
});

Deno.test("eventLine() reports an ICMP error with the router that sent it", () => {
  const prohibited: ProbeEvent = {
    type: "error",
    ...BASE,
    seq: 1,
    icmpSeq: 1,
    kind: "unreachable",
    icmpType: 3,
    code: 10,
    from: "198.18.1.2",
    message: "Communication with Destination Host is Administratively Prohibited",
  };
  deepEqual(eventLine(prohibited), {
    text: "From 198.18.1.2 icmp_seq=1 Communication with Destination Host is Administratively Prohibited",
    tone: "bad",
  });
  const expired: ProbeEvent = {
    type: "error",
    ...BASE,
    seq: 2,
    icmpSeq: 2,
    kind: "time-exceeded",
    icmpType: 11,
    code: 0,
    from: "198.18.2.2",
    message: "Time to live exceeded",
  };
  equal(eventLine(expired).text, "From 198.18.2.2 icmp_seq=2 Time to live exceeded");
});

Deno.test("eventLine() reports a send the local stack refused", () => {
  const refused: ProbeEvent = {
    type: "error",
    ...BASE,
    seq: 4,
    icmpSeq: 4,
    kind: "other",
    icmpType: null,
    code: null,
    from: null,
    message: "Network is unreachable",
  };
  deepEqual(eventLine(refused), { text: "Local error icmp_seq=4: Network is unreachable", tone: "bad" });
});

Deno.test("summaryLines() gives counts, RTT figures and the TTL guess", () => {
  const lines = summaryLines(result(), { elapsed: 3003.4 });
  deepEqual(texts(lines), [
    "",
    "--- example.test ping statistics ---",
    "4 packets transmitted, 4 received, 0% packet loss, time 3003ms",
    "rtt min/avg/max/median/p95/jitter = 1.000/2.500/4.000/2.500/3.850/1.291 ms",
    "ttl 57, ≈ 8 hops, OS guess Linux/Unix/BSD/macOS/Android",
  ]);
  equal(lines[2].tone, "good");
});

Deno.test("summaryLines() shows duplicates, corrupted and errors only when there are some", () => {
  const lines = texts(summaryLines(result({ sent: 3, rtts: [1, 2], duplicates: 2, corrupted: 1, errors: 1 })));
  equal(lines[2], "3 packets transmitted, 2 received, +2 duplicates, +1 corrupted, +1 errors, 33.3333% packet loss");
  const clean = texts(summaryLines(result()))[2];
  ok(!/duplicates|corrupted|errors|time/.test(clean), clean);
});

Deno.test("summaryLines() colours partial loss as a warning and total loss as bad", () => {
  equal(summaryLines(result({ rtts: [1, 2] }))[2].tone, "warn");
  equal(summaryLines(result({ rtts: [], ttl: null }))[2].tone, "bad");
});

Deno.test("summaryLines() without replies has no RTT and no TTL line", () => {
  const lines = texts(summaryLines(result({ rtts: [], ttl: null, errors: 4 })));
  deepEqual(lines, [
    "",
    "--- example.test ping statistics ---",
    "4 packets transmitted, 0 received, +4 errors, 100% packet loss",
  ]);
});

Deno.test("summaryLines() says hop limit for IPv6 and makes no OS guess", () => {
  const lines = texts(summaryLines(result({ family: 6, address: "2001:db8::7", ttl: 64 })));
  equal(lines.at(-1), "hop limit 64, ≈ 1 hop");
});

Deno.test("summaryLines() --show-rtts lists the RTTs in sequence order", () => {
  equal(
    texts(summaryLines(result({ rtts: [0.5, 0.0449, 2] }), { showRtts: true })).at(-1),
    "rtts: 0.500 0.045 2.000 ms",
  );
  equal(texts(summaryLines(result({ rtts: [], ttl: null }), { showRtts: true })).at(-1), "rtts: none");
});

/** What a machine line should carry: the value with every fraction rounded to three decimals. */
function rounded(value: unknown): unknown {
  return JSON.parse(JSON.stringify(value, roundNumbers));
}

Deno.test("jsonDocument() is the PingResult JSON, one document", () => {
  const value = result({ rtts: [1.5, 2.25] });
  const text = jsonDocument(value.toJSON());
  deepEqual(JSON.parse(text), rounded(value.toJSON()));
  ok(text.startsWith("{") && text.endsWith("}"));
});

Deno.test("roundNumbers() rounds fractions to the microsecond and leaves integers alone", () => {
  equal(
    JSON.stringify({ rtt: 0.0123456, n: 7, epoch: 1796010194806.4567 }, roundNumbers),
    '{"rtt":0.012,"n":7,"epoch":1796010194806.457}',
  );
  equal(JSON.stringify([1 / 3, -2 / 3, null, "0.12345"], roundNumbers), '[0.333,-0.667,null,"0.12345"]');
  const text = jsonDocument(result({ rtts: [1 / 3, 2 / 3, 1] }).toJSON());
  ok(!/\d\.\d{4,}/.test(text), text);
});

Deno.test("jsonResult() lists every probe's outcome, so lost probes show", () => {
  const events: ProbeEvent[] = [REPLY, { ...REPLY, type: "duplicate" }, {
    ...BASE,
    type: "timeout",
    seq: 4,
    icmpSeq: 4,
  }, {
    ...BASE,
    icmpSeq: 5,
    type: "error",
    seq: 5,
    kind: "unreachable",
    icmpType: 3,
    code: 1,
    from: "192.0.2.1",
    message: "Destination Host Unreachable",
  }];
  const probes = events.map(probeOutcome).filter((outcome) => outcome !== null);
  deepEqual(probes, [
    { seq: 3, icmpSeq: 3, outcome: "reply", rtt: 12.34567 },
    { seq: 4, icmpSeq: 4, outcome: "timeout" },
    { seq: 5, icmpSeq: 5, outcome: "error", message: "Destination Host Unreachable" },
  ]);
  const document = JSON.parse(jsonDocument(jsonResult(result().toJSON(), probes)));
  deepEqual(document.probes[0], { seq: 3, icmpSeq: 3, outcome: "reply", rtt: 12.346 });
  equal(document.probes.length, 3);
  equal(probeOutcome({ ...REPLY, icmpSeq: 40213 })?.icmpSeq, 40213);
});

Deno.test("eventLine() shows the wire sequence, -D's timestamp and -a's bell", () => {
  const wire: ProbeEvent = { ...REPLY, icmpSeq: 40213 };
  equal(eventLine(wire).text, "64 bytes from 192.0.2.7: icmp_seq=40213 ttl=57 time=12.346 ms");
  equal(timestampPrefix(1700000000123.4567), "[1700000000.123457] ");
  equal(
    eventLine(REPLY, { timestamp: 1700000000123 }).text,
    "[1700000000.123000] 64 bytes from 192.0.2.7: icmp_seq=3 ttl=57 time=12.346 ms",
  );
  ok(eventLine(REPLY, { bell: true }).text.startsWith("\x07"));
  ok(!eventLine({ ...BASE, type: "timeout", seq: 1 }, { bell: true }).text.includes("\x07"), "no bell without a reply");
});

Deno.test("ndjsonEvent() gives one line per event that parses back to the event", () => {
  const events: ProbeEvent[] = [
    REPLY,
    { ...REPLY, type: "duplicate" },
    { type: "timeout", ...BASE, seq: 4 },
    {
      type: "error",
      ...BASE,
      seq: 5,
      kind: "unreachable",
      icmpType: 1,
      code: 0,
      from: "2001:db8::1",
      message: "No route to destination",
    },
  ];
  for (const event of events) {
    const line = ndjsonEvent(event);
    ok(!line.includes("\n"), line);
    deepEqual(JSON.parse(line), rounded(event));
  }
  ok(ndjsonEvent(REPLY).startsWith('{"type":"reply",'));
});

Deno.test("ndjsonSummary() is one line of type summary with every result field", () => {
  const value = result().toJSON();
  const line = ndjsonSummary(value);
  ok(!line.includes("\n"));
  ok(line.startsWith('{"type":"summary",'));
  deepEqual(JSON.parse(line), rounded({ type: "summary", ...value }));
});

Deno.test("exitCodeFor() follows iputils: 0 with a reply, 1 without", () => {
  const plain = { count: 4, countGiven: false, deadline: false };
  equal(exitCodeFor({ received: 1 }, plain), EXIT.reply);
  equal(exitCodeFor({ received: 0 }, plain), EXIT.noReply);
  equal(exitCodeFor({ received: 1 }, { ...plain, countGiven: true }), EXIT.reply);
  equal(exitCodeFor({ received: 1 }, { ...plain, deadline: true }), EXIT.reply);
});

Deno.test("exitCodeFor() with -c and -w wants all -c replies", () => {
  const both = { count: 4, countGiven: true, deadline: true };
  equal(exitCodeFor({ received: 3 }, both), EXIT.noReply);
  equal(exitCodeFor({ received: 4 }, both), EXIT.reply);
  equal(exitCodeFor({ received: 0 }, both), EXIT.noReply);
});

Deno.test("classifyFailure() summarises the errors that carry a result, with status 1", () => {
  const partial = result({ rtts: [], ttl: null, errors: 4 });
  const errors = [
    new DestinationUnreachableError("Destination Host Unreachable", { code: 1, from: "198.18.1.2", result: partial }),
    new TimeExceededError("Time to live exceeded", { code: 0, from: "198.18.1.2", result: partial }),
    new PingTimeoutError("No reply", partial),
  ];
  for (const error of errors) {
    deepEqual(classifyFailure(error), { message: null, result: partial, code: EXIT.noReply }, error.name);
  }
});

Deno.test("classifyFailure() makes everything else one line and status 2", () => {
  const cases: [unknown, string][] = [
    [new Deno.errors.NotFound('Cannot resolve "x.invalid": Name or service not known'), 'Cannot resolve "x.invalid"'],
    [new Deno.errors.PermissionDenied("No ICMP socket.\nFix 1: setcap\nFix 2: sysctl"), "No ICMP socket. Fix 1"],
    [new RangeError("Cannot ping: size must be ≤ 65507 for IPv4, got 65520"), "Cannot ping: size"],
    [new TypeError("Cannot ping: count must be a number"), "Cannot ping: count"],
    [new Error("boom"), "boom"],
    ["a string", "a string"],
  ];
  for (const [error, start] of cases) {
    const failure = classifyFailure(error);
    equal(failure.code, EXIT.error);
    equal(failure.result, null);
    ok(failure.message?.startsWith(start), failure.message ?? "null");
    ok(!failure.message?.includes("\n"));
  }
  equal(classifyFailure(new Error("")).message, "Error");
});

Deno.test("oneLine() folds line breaks and surrounding space", () => {
  equal(oneLine("a\n  b\r\nc  \n"), "a b c");
  match(oneLine("x"), /^x$/);
});
