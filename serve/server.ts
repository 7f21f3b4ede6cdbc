/**
 * The HTTP side of `miniping serve`: `/metrics` for Prometheus, `/` for the
 * live page and `/api/targets` for the page's data.
 *
 * @module
 */
import { CONTENT_TYPES, negotiateFormat } from "./registry.ts";
import type { EngineStats, ServeMetrics, TargetState } from "./metrics.ts";
import type { Column, Summary } from "./history.ts";
import { PAGE_HTML } from "./page.ts";

/** How the page orders targets. */
export type SortOrder = "worst" | "latency" | "name";

/** Chart columns per target and probes per column. */
export const CHART = { columns: 30, size: 10 } as const;
/** Probes the page's numbers summarise. */
export const SUMMARY_PROBES = 60;
/** Most targets one page request returns. */
export const MAX_PAGE = 200;

/** One target as `/api/targets` returns it. */
export interface TargetView extends Summary {
  /** The host as given. */
  host: string;
  /** The probed address, `""` before the first outcome. */
  ip: string;
  /** The last ICMP error or failure, null after a reply. */
  problem: string | null;
  /** The chart, oldest column first. */
  columns: Column[];
}

/** The body of `/api/targets`. */
export interface TargetsPage {
  /** Server time, ms epoch. */
  now: number;
  /** Probe period in ms. */
  period: number;
  /** Targets in total. */
  total: number;
  /** Targets that pass the filter. */
  shown: number;
  /** The offset used (clamped). */
  offset: number;
  /** The page of targets. */
  targets: TargetView[];
}

/** What the handler needs. */
export interface HandlerContext {
  /** The metrics and target states. */
  metrics: ServeMetrics;
  /** Probe period in ms. */
  period: number;
  /** Engine health for the gauges. */
  stats: () => EngineStats;
}

interface Ranked {
  state: TargetState;
  summary: Summary;
}

/** Sort keys: the worst target has the most loss, then the highest p95. */
function compare(order: SortOrder): (a: Ranked, b: Ranked) => number {
  const byName = (a: Ranked, b: Ranked) => a.state.host < b.state.host ? -1 : a.state.host > b.state.host ? 1 : 0;
  if (order === "name") return byName;
  const key = (s: Summary, k: "loss" | "median" | "p95") => s[k] ?? -1;
  if (order === "latency") return (a, b) => key(b.summary, "median") - key(a.summary, "median") || byName(a, b);
  return (a, b) =>
    key(b.summary, "loss") - key(a.summary, "loss") || key(b.summary, "p95") - key(a.summary, "p95") ||
    byName(a, b);
}

/** A ranking computed at `at` (ms, performance clock). */
interface Ranking {
  at: number;
  total: number;
  ranked: Ranked[];
}

/**
 * Rankings by sort order and filter, reused for a period: the page polls
 * once a period, and with 10,000 targets a ranking costs tens of ms that
 * several viewers should not each pay.
 */
export class RankingCache {
  readonly #entries = new Map<string, Ranking>();

  /** The ranking for `key`, rebuilt by `build` when older than `maxAge` ms. */
  get(key: string, maxAge: number, build: () => Omit<Ranking, "at">): Omit<Ranking, "at"> {
    const now = performance.now();
    const hit = this.#entries.get(key);
    if (hit !== undefined && now - hit.at < maxAge) return hit;
    // Old rankings of other keys go too, so that filters typed once do not pile up.
    for (const [k, v] of this.#entries) if (now - v.at >= maxAge) this.#entries.delete(k);
    const fresh = { at: now, ...build() };
    this.#entries.set(key, fresh);
    return fresh;
  }
}

function rank(ctx: HandlerContext, order: SortOrder, filter: string): Omit<Ranking, "at"> {
  const ranked: Ranked[] = [];
  let total = 0;
  for (const state of ctx.metrics.targets()) {
    total++;
    if (filter !== "" && !state.host.toLowerCase().includes(filter) && !state.ip.includes(filter)) continue;
    ranked.push({ state, summary: order === "name" ? EMPTY : state.history.summary(SUMMARY_PROBES) });
  }
  ranked.sort(compare(order));
  return { total, ranked };
}

/**
 * One page of targets, sorted and filtered; only the page's targets get
 * their chart built.
 *
 * @param ctx Metrics and period.
 * @param params `sort`, `offset`, `limit`, `q` (substring of host or address).
 * @param cache Where rankings are kept for a period; none means rank afresh.
 * @returns The page.
 */
export function targetsPage(ctx: HandlerContext, params: URLSearchParams, cache?: RankingCache): TargetsPage {
  const sortParam = params.get("sort");
  const order: SortOrder = sortParam === "name" || sortParam === "latency" ? sortParam : "worst";
  const filter = (params.get("q") ?? "").trim().toLowerCase();
  const limit = clampInt(params.get("limit"), 1, MAX_PAGE, 50);
  const build = () => rank(ctx, order, filter);
  const { total, ranked } = cache === undefined
    ? build()
    : cache.get(`${order}\u0000${filter}`, Math.min(ctx.period, 1000), build);
  const lastPage = Math.max(0, Math.floor((ranked.length - 1) / limit) * limit);
  const offset = Math.min(clampInt(params.get("offset"), 0, Number.MAX_SAFE_INTEGER, 0), lastPage);
  const targets = ranked.slice(offset, offset + limit).map(({ state }) => ({
    host: state.host,
    ip: state.ip,
    ...state.history.summary(SUMMARY_PROBES),
    problem: state.lastProblem,
    columns: state.history.columns(CHART.columns, CHART.size),
  }));
  return { now: Date.now(), period: ctx.period, total, shown: ranked.length, offset, targets };
}

const EMPTY: Summary = { n: 0, loss: null, median: null, p95: null, last: null };

function clampInt(text: string | null, min: number, max: number, fallback: number): number {
  const n = text === null || text === "" ? NaN : Number(text);
  if (!Number.isInteger(n)) return fallback;
  return Math.min(max, Math.max(min, n));
}

/**
 * Builds the request handler.
 *
 * @param ctx Metrics, period and engine health.
 * @returns A handler for `Deno.serve`.
 */
export function createHandler(ctx: HandlerContext): (request: Request) => Response {
  const rankings = new RankingCache();
  return (request) => {
    if (request.method !== "GET" && request.method !== "HEAD") {
      return new Response("method not allowed\n", { status: 405, headers: { allow: "GET, HEAD" } });
    }
    const url = new URL(request.url);
    switch (url.pathname) {
      case "/metrics": {
        const format = negotiateFormat(request.headers.get("accept"));
        // Streamed as it is written (tens of MB at 10,000 targets): the first bytes leave at once and the whole
        // exposition is never copied. Not compressed even when asked: gzip takes ~0.24 s of CPU for the 33 MB of 10,000
        // targets (to 1.5 MB), more than sending them takes on the loopback or a gigabit link.
        const body = request.method === "HEAD" ? null : ctx.metrics.stream(format, ctx.stats());
        return new Response(body, { headers: { "content-type": CONTENT_TYPES[format] } });
      }
      case "/":
        return new Response(PAGE_HTML, {
          headers: { "content-type": "text/html; charset=utf-8", "cache-control": "no-cache" },
        });
      case "/api/targets":
        return Response.json(targetsPage(ctx, url.searchParams, rankings), {
          headers: { "cache-control": "no-store" },
        });
      case "/healthz":
        return new Response("ok\n");
      default:
        return new Response("not found\n", { status: 404 });
    }
  };
}
