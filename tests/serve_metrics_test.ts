import { deepEqual, equal, match, ok, throws } from "node:assert/strict";
import fc from "fast-check";
import {
  CHUNK_BYTES,
  ColumnFamily,
  escapeLabelValue,
  Family,
  formatValue,
  type Histogram,
  negotiateFormat,
  Registry,
  type Scalar,
  Table,
  TableHistogram,
} from "../serve/registry.ts";
import { ServeMetrics, SMOKEPING_BUCKETS } from "../serve/metrics.ts";
import { History, quantile } from "../serve/history.ts";
import { createHandler, targetsPage } from "../serve/server.ts";
import { parseTargets } from "../serve/targets.ts";

Deno.test("registry: smokeping_prober's default buckets, as its --help prints them", () => {
  const printed =
    "5e-05,0.0001,0.0002,0.0004,0.0008,0.0016,0.0032,0.0064,0.0128,0.0256,0.0512,0.1024,0.2048,0.4096,0.8192,1.6384,3.2768,6.5536,13.1072,26.2144";
  deepEqual(SMOKEPING_BUCKETS.map(formatValue).join(","), printed);
});

Deno.test("registry: values are written as Go writes them", () => {
  deepEqual(
    [0, 1, 0.0001, 0.00005, 123456, 1234567, 1e21, 2.5e-7, -3e-5, NaN, Infinity].map(formatValue),
    ["0", "1", "0.0001", "5e-05", "123456", "1.234567e+06", "1e+21", "2.5e-07", "-3e-05", "NaN", "+Inf"],
  );
});

Deno.test("registry: histogram buckets are cumulative and le is inclusive", () => {
  const registry = new Registry();
  const h = registry.add(
    new Family<Histogram>("x_seconds", "X.", "histogram", { labelNames: ["a"], buckets: [0.1, 0.2] }),
  );
  const child = h.child("v");
  for (const value of [0.05, 0.1, 0.15, 5]) child.observe(value);
  const text = registry.render("prometheus");
  match(text, /^x_seconds_bucket\{a="v",le="0\.1"\} 2$/m);
  match(text, /^x_seconds_bucket\{a="v",le="0\.2"\} 3$/m);
  match(text, /^x_seconds_bucket\{a="v",le="\+Inf"\} 4$/m);
  match(text, /^x_seconds_count\{a="v"\} 4$/m);
  match(text, /^x_seconds_sum\{a="v"\} 5\.3$/m);
});

Deno.test("registry: OpenMetrics names counter families without _total and ends with # EOF", () => {
  const registry = new Registry();
  registry.add(new Family<Scalar>("jobs_total", "Jobs.", "counter")).child().inc(3);
  const om = registry.render("openmetrics");
  match(om, /^# TYPE jobs counter$/m);
  match(om, /^jobs_total 3$/m);
  ok(om.endsWith("# EOF\n"));
  match(registry.render("prometheus"), /^# TYPE jobs_total counter$/m);
  throws(() => new Family("jobs", "Jobs.", "counter"), RangeError);
});

Deno.test("registry: label values are escaped, children are removable", () => {
  equal(escapeLabelValue('a"b\\c\nd'), 'a\\"b\\\\c\\nd');
  const f = new Family<Scalar>("g", "G.", "gauge", { labelNames: ["host"] });
  f.child("x").set(1);
  f.child("y").set(2);
  f.remove("x");
  equal(f.size, 1);
});

Deno.test("registry: negotiation follows the Accept header Prometheus sends", () => {
  const prometheus =
    "application/openmetrics-text;version=1.0.0,application/openmetrics-text;version=0.0.1;q=0.75,text/plain;version=0.0.4;q=0.5,*/*;q=0.1";
  equal(negotiateFormat(prometheus), "openmetrics");
  equal(negotiateFormat("text/plain"), "prometheus");
  equal(negotiateFormat(null), "prometheus");
  equal(negotiateFormat("application/openmetrics-text;q=0"), "prometheus");
});

Deno.test("metrics: outcomes land in smokeping_prober's families with ip, host, source, tos", () => {
  const m = new ServeMetrics({ source: "10.0.0.1", tos: 184 });
  const t = m.target("example");
  m.record(t, "192.0.2.1", { type: "reply", rtt: 0.3, ttl: 61, clock: "kernel" }, 1);
  m.record(t, "192.0.2.1", { type: "duplicate" }, 2);
  m.record(t, "192.0.2.1", { type: "timeout" }, 3);
  m.record(t, "192.0.2.1", {
    type: "error",
    kind: "unreachable",
    icmpType: 3,
    code: 13,
    from: "192.0.2.254",
    message: "Communication administratively prohibited",
  }, 4);
  const text = m.render("prometheus", { outstanding: 7, sockets: 2, sendBackoffs: 1 });
  const labels = 'ip="192.0.2.1",host="example",source="10.0.0.1",tos="184"';
  match(text, new RegExp(`^smokeping_requests_total\\{${labels}\\} 3$`, "m"));
  match(text, new RegExp(`^smokeping_response_duration_seconds_count\\{${labels}\\} 1$`, "m"));
  match(text, new RegExp(`^smokeping_response_duration_seconds_bucket\\{${labels},le="0.0004"\\} 1$`, "m"));
  match(text, new RegExp(`^smokeping_response_duration_seconds_bucket\\{${labels},le="0.0002"\\} 0$`, "m"));
  match(text, new RegExp(`^smokeping_response_ttl\\{${labels}\\} 61$`, "m"));
  match(text, new RegExp(`^smokeping_response_duplicates_total\\{${labels}\\} 1$`, "m"));
  match(text, new RegExp(`^miniping_timeouts_total\\{${labels}\\} 1$`, "m"));
  match(
    text,
    new RegExp(`^miniping_icmp_errors_total\\{${labels},icmp_type="3",icmp_code="13",router="192.0.2.254"\\} 1$`, "m"),
  );
  match(text, /^miniping_replies_by_clock_total\{clock="kernel"\} 1$/m);
  match(text, /^miniping_engine_outstanding_probes 7$/m);
  equal(t.lastProblem, "Communication administratively prohibited from 192.0.2.254");
});

Deno.test("metrics: removing a target drops every series it had", () => {
  const m = new ServeMetrics();
  const t = m.target("gone");
  m.record(t, "192.0.2.9", {
    type: "error",
    kind: "other",
    icmpType: null,
    code: null,
    from: "192.0.2.1",
    message: "x",
  }, 1);
  m.resolveFailed(m.target("nowhere"), "no such host");
  ok(m.render("prometheus").includes('host="gone"'));
  m.remove("gone");
  m.remove("nowhere");
  ok(!m.render("prometheus").includes('host="gone"'));
  ok(!m.render("prometheus").includes('host="nowhere"'));
  match(m.render("prometheus"), /^miniping_targets 0$/m);
});

Deno.test("metrics: a scrape's size follows the series, not the history", () => {
  const m = new ServeMetrics();
  const t = m.target("a");
  m.record(t, "192.0.2.1", { type: "reply", rtt: 1, ttl: 64, clock: "kernel" }, 1);
  const once = m.render("prometheus").length;
  for (let i = 0; i < 10_000; i++) m.record(t, "192.0.2.1", { type: "reply", rtt: 1, ttl: 64, clock: "kernel" }, i);
  // Only the digits of the counters grow.
  ok(m.render("prometheus").length - once < 200);
});

Deno.test("history: ring keeps the last probes, summaries and columns", () => {
  const h = new History(5);
  for (const rtt of [1, 2, NaN, 4, 5, 6, 7]) h.push(rtt);
  equal(h.length, 5);
  deepEqual([...h.last(5)].map((x) => Number.isNaN(x) ? null : x), [null, 4, 5, 6, 7]);
  deepEqual(h.summary(5), { n: 5, loss: 20, median: 5.5, p95: 6.85, last: 7 });
  const columns = h.columns(2, 2);
  deepEqual(columns.map((c) => [c.n, c.lost, c.median]), [[2, 0, 4.5], [2, 0, 6.5]]);
  equal(quantile([], 0.5), null);
  throws(() => new History(0), RangeError);
});

Deno.test("server: the targets page sorts worst first, filters, pages and clamps", () => {
  const metrics = new ServeMetrics();
  for (const [host, rtt] of [["a", 1], ["b", NaN], ["c", 3]] as const) {
    const t = metrics.target(host);
    for (let i = 0; i < 4; i++) {
      metrics.record(
        t,
        host,
        Number.isNaN(rtt) ? { type: "timeout" } : { type: "reply", rtt, ttl: 64, clock: "kernel" },
        0,
      );
    }
  }
  const ctx = { metrics, period: 1000, stats: () => ({ outstanding: 0, sockets: 0, sendBackoffs: 0 }) };
  const page = (q: string) => targetsPage(ctx, new URLSearchParams(q));
  deepEqual(page("").targets.map((t) => t.host), ["b", "c", "a"]);
  deepEqual(page("sort=name").targets.map((t) => t.host), ["a", "b", "c"]);
  deepEqual(page("sort=latency").targets.map((t) => t.host), ["c", "a", "b"]);
  deepEqual(page("q=c").targets.map((t) => t.host), ["c"]);
  const paged = page("limit=2&offset=99");
  deepEqual([paged.offset, paged.total, paged.targets.map((t) => t.host)], [2, 3, ["a"]]);
  equal(page("").targets[0]!.loss, 100);
});

Deno.test("server: routes serve the page, the metrics in both formats, and 404", async () => {
  const metrics = new ServeMetrics();
  const handler = createHandler({
    metrics,
    period: 1000,
    stats: () => ({ outstanding: 0, sockets: 1, sendBackoffs: 0 }),
  });
  const page = handler(new Request("http://x/"));
  match(page.headers.get("content-type")!, /^text\/html/);
  match(await page.text(), /<canvas|api\/targets/);
  const om = handler(new Request("http://x/metrics", { headers: { accept: "application/openmetrics-text" } }));
  match(om.headers.get("content-type")!, /^application\/openmetrics-text; version=1\.0\.0/);
  ok((await om.text()).endsWith("# EOF\n"));
  const text = handler(new Request("http://x/metrics"));
  match(text.headers.get("content-type")!, /^text\/plain; version=0\.0\.4/);
  await text.body?.cancel();
  // HEAD answers the headers without writing the exposition.
  const head = handler(new Request("http://x/metrics", { method: "HEAD" }));
  equal(head.status, 200);
  equal(head.body, null);
  match(head.headers.get("content-type")!, /^text\/plain; version=0\.0\.4/);
  equal(handler(new Request("http://x/nope")).status, 404);
  equal(handler(new Request("http://x/metrics", { method: "POST" })).status, 405);
});

Deno.test("targets: hosts split on whitespace, comments dropped, duplicates once", () => {
  deepEqual(parseTargets("# lab\na b\n\n  c # the third\nb\r\n"), ["a", "b", "c"]);
});

Deno.test("metrics: a fixed state renders byte for byte as the one-child-per-series registry did", async () => {
  const { fixedState, FIXED_STATS } = await import("./fixtures/serve/fixed_state.ts");
  const m = fixedState();
  for (const [format, file] of [["prometheus", "metrics.prom"], ["openmetrics", "metrics.om"]] as const) {
    const want = await Deno.readTextFile(new URL(`./fixtures/serve/${file}`, import.meta.url));
    equal(m.render(format, FIXED_STATS), want);
    // Streamed in small chunks, the body is the same bytes.
    equal(await new Response(m.stream(format, FIXED_STATS)).text(), want);
  }
});

Deno.test("registry: a scrape streams in chunks of bounded size, each row written once", () => {
  const table = new Table({ labelNames: ["host"], columns: 1, histogram: { name: "h_seconds", buckets: [0.1, 1] } });
  const registry = new Registry();
  registry.add(new ColumnFamily("c_total", "C.", "counter", table, 0));
  registry.add(new TableHistogram("h_seconds", "H.", table));
  const rows = Array.from({ length: 5000 }, (_, i) => table.add([`host-${i}`]));
  for (const row of rows) {
    row.values[0] = 1;
    table.observe(row, 0.5);
  }
  const whole = registry.render("prometheus");
  const chunks = [...registry.chunks("prometheus")];
  ok(chunks.length > 1 && chunks.every((c) => c.length <= CHUNK_BYTES), `${chunks.length} chunks`);
  equal(new TextDecoder().decode(concat(chunks)), whole);
  // Rows that come and go and values that change while a scrape is being written: it is still the instant it began,
  // each series once, in every family.
  const it = registry.chunks("prometheus");
  table.delete(rows[0]!);
  rows[1]!.values[0]!++;
  const first = it.next().value!;
  table.delete(rows[4999]!);
  table.add(["late"]);
  table.observe(rows[4998]!, 0.05);
  equal(new TextDecoder().decode(concat([first, ...it])), whole);
  equal(registry.render("prometheus").match(/^c_total\{host="late"\} 0$/gm)?.length, 1);
});

Deno.test("registry: written values match Go's shortest formatting for any number", () => {
  const family = new Family<Scalar>("v", "V.", "gauge", { labelNames: ["i"] });
  const registry = new Registry();
  registry.add(family);
  const values = fc.sample(
    fc.oneof(
      fc.integer({ min: 0, max: 2_000_000 }),
      fc.maxSafeNat(),
      fc.double({ noNaN: false }),
      fc.constantFrom(1e6, 1e7, 1_000_001, 9_999_999, 2 ** 53, 2 ** 53 + 2, 1e21, 1e-5, -0, 0.1 + 0.2),
    ),
    { numRuns: 3000, seed: 11 },
  );
  values.forEach((v, i) => family.child(String(i)).set(v));
  const lines = registry.render("prometheus").split("\n").filter((l) => l.startsWith("v{"));
  equal(lines.length, values.length);
  lines.forEach((line, i) => equal(line, `v{i="${i}"} ${formatValue(values[i]!)}`));
  // And formatValue itself writes Go's forms: exponent from 10^6 with at least two digits, none from 10^-4.
  deepEqual([1e6, 1_234_500, 2 ** 53, 1e100, 0.0001234].map(formatValue), [
    "1e+06",
    "1.2345e+06",
    "9.007199254740992e+15",
    "1e+100",
    "0.0001234",
  ]);
});

function concat(chunks: Uint8Array[]): Uint8Array {
  const out = new Uint8Array(chunks.reduce((n, c) => n + c.length, 0));
  let at = 0;
  for (const c of chunks) {
    out.set(c, at);
    at += c.length;
  }
  return out;
}

Deno.test("server: /metrics streams over HTTP; concurrent and abandoned scrapes leave the others whole", async () => {
  const metrics = new ServeMetrics();
  for (let i = 0; i < 3000; i++) {
    const host = `198.18.${i >> 8}.${i & 255}`;
    metrics.record(metrics.target(host), host, { type: "reply", rtt: 0.25, ttl: 64, clock: "kernel" }, 0);
  }
  const handler = createHandler({
    metrics,
    period: 1000,
    stats: () => ({ outstanding: 0, sockets: 1, sendBackoffs: 0 }),
  });
  await using server = Deno.serve({ hostname: "127.0.0.1", port: 0, onListen: () => {} }, handler);
  const url = `http://127.0.0.1:${server.addr.port}/metrics`;
  const accept = { accept: "application/openmetrics-text; version=1.0.0" };
  // A scraper that gives up after the first chunk.
  const abandoned = await fetch(url, { headers: accept });
  const reader = abandoned.body!.getReader();
  ok(!(await reader.read()).done);
  await reader.cancel();
  const [a, b] = await Promise.all([1, 2].map(async () => await (await fetch(url, { headers: accept })).text()));
  ok(a!.length > 2 * CHUNK_BYTES, `${a!.length} bytes`);
  equal(a, b);
  equal(a, metrics.render("openmetrics", { outstanding: 0, sockets: 1, sendBackoffs: 0 }));
  ok(a!.endsWith("# EOF\n"));
});
