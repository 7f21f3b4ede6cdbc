/**
 * Runs inside a lab namespace: starts headless Chromium on the serve page,
 * drives it over the Chrome DevTools Protocol (Deno's WebSocket), reads what
 * the page shows for two targets twice, and saves screenshots (desktop light,
 * phone dark). Prints a {@linkcode PageReport} as JSON.
 *
 * stdin: {@linkcode PageRequest} as JSON.
 *
 * @module
 */

/** What the driver is asked to do. */
export interface PageRequest {
  /** The page URL. */
  url: string;
  /** Hosts whose cards must appear. */
  hosts: string[];
  /** Directory for the screenshots. */
  artifacts: string;
  /** Time between the two reads, ms. */
  gapMs: number;
  /** Give up after this many ms. */
  deadlineMs: number;
}

/** What one card shows. */
export interface CardView {
  /** Host heading. */
  host: string;
  /** Address line. */
  ip: string;
  /** Loss, median, p95, last as shown. */
  loss: string;
  /** Median as shown. */
  median: string;
  /** p95 as shown. */
  p95: string;
  /** Probes summarised (`data-probes`). */
  probes: number;
  /** Chart columns drawn (`data-columns`). */
  columns: number;
  /** Canvas pixels that are not transparent. */
  inked: number;
  /** Canvas pixels in the loss colour red (#e00000). */
  red: number;
  /** Canvas pixels in the no-loss green (#1a9c1a). */
  green: number;
  /** The problem line. */
  problem: string;
}

/** What the driver prints. */
export interface PageReport {
  /** First read, by host. */
  first: Record<string, CardView>;
  /** Second read, by host. */
  second: Record<string, CardView>;
  /** Card order on the page at the second read (sorted worst first). */
  order: string[];
  /** On the phone viewport: the page's scroll width and the viewport width. */
  phone: { scrollWidth: number; innerWidth: number };
  /** Background colour of the body in dark mode. */
  darkBackground: string;
  /** Screenshot files written. */
  screenshots: string[];
}

const CHROMIUM = "/usr/bin/chromium";
const request: PageRequest = JSON.parse(await new Response(Deno.stdin.readable).text());
const deadline = performance.now() + request.deadlineMs;
const profile = await Deno.makeTempDir({ prefix: "miniping-chromium-" });
const browser = new Deno.Command(CHROMIUM, {
  args: [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    `--user-data-dir=${profile}`,
    "--remote-debugging-port=0",
    "--window-size=1100,800",
    request.url,
  ],
  stdout: "null",
  stderr: "piped",
}).spawn();

/** The browser's DevTools port, read from its "DevTools listening on" line. */
async function devtoolsPort(): Promise<number> {
  const lines = browser.stderr.pipeThrough(new TextDecoderStream()).getReader();
  let text = "";
  while (true) {
    const { value, done } = await lines.read();
    if (done) throw new Error(`chromium exited: ${text}`);
    text += value;
    const match = /DevTools listening on ws:\/\/[^:]+:(\d+)\//.exec(text);
    if (match !== null) {
      // Keep draining so the browser never blocks on a full pipe.
      (async () => {
        while (!(await lines.read()).done);
      })();
      return Number(match[1]);
    }
  }
}

class Cdp {
  #next = 1;
  readonly #pending = new Map<number, { resolve: (v: unknown) => void; reject: (e: Error) => void }>();
  constructor(readonly socket: WebSocket) {
    socket.onmessage = (event) => {
      const message = JSON.parse(event.data);
      const waiter = this.#pending.get(message.id);
      if (waiter === undefined) return;
      this.#pending.delete(message.id);
      if (message.error) waiter.reject(new Error(JSON.stringify(message.error)));
      else waiter.resolve(message.result);
    };
  }
  static async open(url: string): Promise<Cdp> {
    const socket = new WebSocket(url);
    await new Promise((resolve, reject) => {
      socket.onopen = resolve;
      socket.onerror = () => reject(new Error(`cannot open ${url}`));
    });
    return new Cdp(socket);
  }
  send<T = Record<string, unknown>>(method: string, params: Record<string, unknown> = {}): Promise<T> {
    const id = this.#next++;
    this.socket.send(JSON.stringify({ id, method, params }));
    return new Promise((resolve, reject) =>
      this.#pending.set(id, { resolve: resolve as (v: unknown) => void, reject })
    );
  }
  async evaluate<T>(expression: string): Promise<T> {
    const r = await this.send<{ result: { value: T }; exceptionDetails?: unknown }>("Runtime.evaluate", {
      expression,
      returnByValue: true,
      awaitPromise: true,
    });
    if (r.exceptionDetails) throw new Error(`page threw: ${JSON.stringify(r.exceptionDetails)}`);
    return r.result.value;
  }
}

/** Reads every card, counting the chart's inked, red and green pixels. */
const READ_CARDS = `(() => {
  const out = {};
  const near = (d, i, [r, g, b]) => Math.abs(d[i] - r) < 24 && Math.abs(d[i + 1] - g) < 24 && Math.abs(d[i + 2] - b) < 24;
  for (const el of document.querySelectorAll(".card")) {
    const c = el.querySelector("canvas");
    const d = c.width && c.height ? c.getContext("2d").getImageData(0, 0, c.width, c.height).data : [];
    let inked = 0, red = 0, green = 0;
    for (let i = 0; i < d.length; i += 4) {
      if (d[i + 3] === 0) continue;
      inked++;
      if (near(d, i, [224, 0, 0])) red++;
      if (near(d, i, [26, 156, 26])) green++;
    }
    const text = (s) => el.querySelector(s).textContent;
    out[el.dataset.host] = { host: text("h2"), ip: text(".ip"), loss: text(".loss"), median: text(".median"),
      p95: text(".p95"), probes: Number(el.dataset.probes), columns: Number(c.dataset.columns || 0), inked, red, green,
      problem: text(".problem") };
  }
  return out;
})()`;

async function until<T>(read: () => Promise<T>, ready: (value: T) => boolean, what: string): Promise<T> {
  while (true) {
    const value = await read();
    if (ready(value)) return value;
    if (performance.now() > deadline) throw new Error(`timed out waiting for ${what}: ${JSON.stringify(value)}`);
    await new Promise((r) => setTimeout(r, 200));
  }
}

async function screenshot(cdp: Cdp, name: string): Promise<string> {
  const { data } = await cdp.send<{ data: string }>("Page.captureScreenshot", { format: "png" });
  const path = `${request.artifacts}/${name}`;
  await Deno.writeFile(path, Uint8Array.from(atob(data), (c) => c.charCodeAt(0)));
  return path;
}

try {
  const port = await devtoolsPort();
  const pages = await until(
    async () =>
      (await (await fetch(`http://127.0.0.1:${port}/json/list`)).json()) as {
        type: string;
        webSocketDebuggerUrl: string;
      }[],
    (list) => list.some((t) => t.type === "page"),
    "a page target",
  );
  const cdp = await Cdp.open(pages.find((t) => t.type === "page")!.webSocketDebuggerUrl);
  const read = () => cdp.evaluate<Record<string, CardView>>(READ_CARDS);
  const drawn = (cards: Record<string, CardView>) =>
    request.hosts.every((h) => cards[h] !== undefined && cards[h].columns > 0 && cards[h].probes >= 2);
  const first = await until(read, drawn, "both charts");
  await new Promise((r) => setTimeout(r, request.gapMs));
  const second = await until(
    read,
    (cards) => drawn(cards) && request.hosts.every((h) => cards[h]!.probes > first[h]!.probes),
    "the numbers to update",
  );
  const order = await cdp.evaluate<string[]>(`[...document.querySelectorAll(".card")].map((el) => el.dataset.host)`);
  const screenshots = [await screenshot(cdp, "serve-page-desktop-light.png")];
  await cdp.send("Emulation.setEmulatedMedia", { features: [{ name: "prefers-color-scheme", value: "dark" }] });
  await cdp.send("Emulation.setDeviceMetricsOverride", { width: 390, height: 844, deviceScaleFactor: 2, mobile: true });
  // Let one poll redraw the charts at the new width and colours.
  await new Promise((r) => setTimeout(r, 1500));
  const phone = await cdp.evaluate<{ scrollWidth: number; innerWidth: number }>(
    `({ scrollWidth: document.documentElement.scrollWidth, innerWidth: window.innerWidth })`,
  );
  const darkBackground = await cdp.evaluate<string>(`getComputedStyle(document.body).backgroundColor`);
  screenshots.push(await screenshot(cdp, "serve-page-phone-dark.png"));
  const report: PageReport = { first, second, order, phone, darkBackground, screenshots };
  console.log(JSON.stringify(report));
  cdp.socket.close();
} finally {
  try {
    browser.kill("SIGTERM");
  } catch {
    // Already gone.
  }
  await browser.status;
  await Deno.remove(profile, { recursive: true }).catch(() => {});
}
