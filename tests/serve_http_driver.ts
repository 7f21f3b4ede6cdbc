/**
 * Runs inside a lab namespace (the test process cannot reach a namespace's
 * loopback): waits for URLs to answer, then for a PromQL condition to hold,
 * then runs PromQL queries and prints their results as one JSON document.
 *
 * stdin: {@linkcode DriverRequest} as JSON. stdout: {@linkcode DriverResponse}.
 *
 * @module
 */

/** What the driver is asked to do. */
export interface DriverRequest {
  /** URLs that must answer 200 before anything else. */
  wait: string[];
  /** Prometheus' base URL, e.g. `http://127.0.0.1:9090`. */
  prometheus?: string;
  /** Queries that must each return at least one sample before `queries` run. */
  until?: string[];
  /** Instant queries to run at the end, by name. */
  queries?: Record<string, string>;
  /** URLs to fetch at the end, by name (bodies returned as text). */
  fetch?: Record<string, { url: string; accept?: string }>;
  /** Give up after this many ms. */
  deadlineMs: number;
}

/** One sample of an instant vector. */
export interface Sample {
  /** Its labels. */
  metric: Record<string, string>;
  /** Its value. */
  value: number;
}

/** What the driver prints. */
export interface DriverResponse {
  /** Query results by name. */
  results: Record<string, Sample[]>;
  /** Fetched bodies by name, with content type and the time the fetch took. */
  bodies: Record<string, { contentType: string; text: string; ms: number }>;
  /** Time spent waiting, ms. */
  waitedMs: number;
}

const started = performance.now();
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function ok(url: string): Promise<boolean> {
  try {
    const response = await fetch(url);
    await response.body?.cancel();
    return response.ok;
  } catch {
    return false;
  }
}

async function query(base: string, promql: string): Promise<Sample[]> {
  const response = await fetch(`${base}/api/v1/query?query=${encodeURIComponent(promql)}`);
  const body = await response.json();
  if (body.status !== "success") throw new Error(`query ${promql} failed: ${JSON.stringify(body)}`);
  return body.data.result.map((r: { metric: Record<string, string>; value: [number, string] }) => ({
    metric: r.metric,
    value: Number(r.value[1]),
  }));
}

const request: DriverRequest = JSON.parse(await new Response(Deno.stdin.readable).text());
const deadline = started + request.deadlineMs;
const timedOut = (what: string) => {
  console.error(`driver: timed out waiting for ${what}`);
  Deno.exit(3);
};
for (const url of request.wait) {
  while (!await ok(url)) {
    if (performance.now() > deadline) timedOut(url);
    await sleep(100);
  }
}
const base = request.prometheus;
if (base !== undefined) {
  for (const condition of request.until ?? []) {
    while ((await query(base, condition)).length === 0) {
      if (performance.now() > deadline) timedOut(condition);
      await sleep(250);
    }
  }
}
const response: DriverResponse = { results: {}, bodies: {}, waitedMs: performance.now() - started };
if (base !== undefined) {
  for (const [name, promql] of Object.entries(request.queries ?? {})) {
    response.results[name] = await query(base, promql);
  }
}
for (const [name, { url, accept }] of Object.entries(request.fetch ?? {})) {
  const t0 = performance.now();
  const r = await fetch(url, accept === undefined ? {} : { headers: { accept } });
  // The time a scraper waits for the whole body; decoding it here is the driver's cost, not the server's.
  const body = await r.arrayBuffer();
  const ms = performance.now() - t0;
  response.bodies[name] = {
    contentType: r.headers.get("content-type") ?? "",
    text: new TextDecoder().decode(body),
    ms,
  };
}
console.log(JSON.stringify(response));
