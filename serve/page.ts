/**
 * The live page `miniping serve` answers at `/`: plain HTML, CSS and a small
 * script, shipped inside the module graph so serving it reads no file. It
 * polls `/api/targets` once a period and draws, per target, a SmokePing-style
 * chart: the median of each group of probes as a line coloured by that
 * group's loss, the spread of the group's RTTs shaded behind it.
 *
 * @module
 */

const STYLE = `
:root { color-scheme: light dark; --bg:#fafafa; --fg:#1b1b1b; --muted:#666; --card:#fff; --line:#ddd;
  --smoke:rgba(60,60,60,.16); --smoke2:rgba(60,60,60,.32); --dead:rgba(220,0,0,.14); }
@media (prefers-color-scheme: dark) { :root { --bg:#111; --fg:#e6e6e6; --muted:#9a9a9a; --card:#1b1b1b;
  --line:#333; --smoke:rgba(220,220,220,.14); --smoke2:rgba(220,220,220,.3); --dead:rgba(255,60,60,.2); } }
* { box-sizing: border-box; }
body { margin:0; font:14px/1.4 system-ui, sans-serif; background:var(--bg); color:var(--fg); }
header { position:sticky; top:0; z-index:1; display:flex; flex-wrap:wrap; gap:.5rem 1rem; align-items:center;
  padding:.6rem 1rem; background:var(--card); border-bottom:1px solid var(--line); }
header h1 { font-size:1rem; margin:0; }
header .status { color:var(--muted); font-size:.85rem; }
label, select, input, button { font:inherit; color:inherit; }
select, input, button { background:var(--bg); border:1px solid var(--line); border-radius:4px; padding:.2rem .4rem; }
main { padding:.6rem; display:grid; gap:.6rem; grid-template-columns:repeat(auto-fill, minmax(min(100%, 26rem), 1fr)); }
.card { background:var(--card); border:1px solid var(--line); border-radius:6px; padding:.5rem .6rem; min-width:0; }
.card h2 { font-size:.95rem; margin:0; overflow-wrap:anywhere; }
.card .ip { color:var(--muted); font-size:.8rem; }
.nums { display:flex; flex-wrap:wrap; gap:.2rem .9rem; font-variant-numeric:tabular-nums; font-size:.85rem; margin:.2rem 0; }
.nums b { font-weight:600; }
.bad { color:#d22; }
.problem { color:#d22; font-size:.8rem; overflow-wrap:anywhere; }
canvas { width:100%; height:90px; display:block; }
nav { display:flex; gap:.5rem; align-items:center; }
.legend { display:flex; gap:.6rem; font-size:.75rem; color:var(--muted); flex-wrap:wrap; }
.legend i { display:inline-block; width:.8rem; height:.25rem; vertical-align:middle; margin-right:.2rem; }
`;

const SCRIPT = `
"use strict";
const LOSS_COLOURS = [[0, "#1a9c1a"], [5, "#1f8fff"], [20, "#9b30ff"], [50, "#ff8c00"], [100.1, "#e00000"]];
const state = { sort: "worst", offset: 0, limit: 50, filter: "", period: 1000, timer: 0 };
const $ = (s) => document.querySelector(s);
const main = $("main");
const cards = new Map();

function lossColour(loss) {
  for (const [limit, colour] of LOSS_COLOURS) if (loss <= limit) return colour;
  return LOSS_COLOURS[LOSS_COLOURS.length - 1][1];
}
function ms(x) { return x === null ? "–" : (x < 10 ? x.toFixed(3) : x < 100 ? x.toFixed(2) : x.toFixed(1)) + " ms"; }
function pct(x) { return x === null ? "–" : (x < 10 && x > 0 ? x.toFixed(1) : Math.round(x)) + " %"; }

function card(host) {
  let c = cards.get(host);
  if (c) return c;
  const el = document.createElement("section");
  el.className = "card";
  el.dataset.host = host;
  el.innerHTML = '<h2></h2><div class="ip"></div><div class="nums">' +
    '<span>loss <b class="loss"></b></span><span>median <b class="median"></b></span>' +
    '<span>p95 <b class="p95"></b></span><span>last <b class="last"></b></span></div>' +
    '<canvas role="img"></canvas><div class="problem"></div>';
  el.querySelector("h2").textContent = host;
  c = { el, canvas: el.querySelector("canvas") };
  cards.set(host, c);
  return c;
}

function draw(canvas, columns) {
  const dpr = window.devicePixelRatio || 1;
  const w = canvas.clientWidth, h = canvas.clientHeight;
  canvas.width = Math.round(w * dpr); canvas.height = Math.round(h * dpr);
  const g = canvas.getContext("2d");
  g.setTransform(dpr, 0, 0, dpr, 0, 0);
  const css = getComputedStyle(document.documentElement);
  const colour = (v) => css.getPropertyValue(v).trim();
  g.clearRect(0, 0, w, h);
  let top = 0;
  for (const col of columns) if (col.spread.length) top = Math.max(top, col.spread[2], col.median);
  const scaled = top > 0;
  top = scaled ? top * 1.25 : 1;
  const pad = 14, plot = h - pad;
  const y = (v) => plot - Math.min(v / top, 1) * (plot - 2);
  const slots = Math.max(columns.length, 30), cw = w / slots, x0 = w - columns.length * cw;
  g.fillStyle = colour("--muted"); g.font = "10px system-ui, sans-serif";
  if (scaled) g.fillText(ms(top), 2, 10);
  g.strokeStyle = colour("--line"); g.beginPath(); g.moveTo(0, plot + .5); g.lineTo(w, plot + .5); g.stroke();
  columns.forEach((col, i) => {
    const x = x0 + i * cw;
    if (col.spread.length === 0) { g.fillStyle = colour("--dead"); g.fillRect(x, 0, cw, plot); }
    else {
      const [min, q25, q75, max] = col.spread;
      g.fillStyle = colour("--smoke"); g.fillRect(x, y(max), cw, Math.max(1, y(min) - y(max)));
      g.fillStyle = colour("--smoke2"); g.fillRect(x, y(q75), cw, Math.max(1, y(q25) - y(q75)));
    }
    const loss = col.n ? col.lost / col.n * 100 : 0;
    g.fillStyle = lossColour(loss);
    if (col.median !== null) g.fillRect(x, y(col.median) - 1, cw, 2.5);
    g.fillRect(x, plot + 3, cw, 4);
  });
  canvas.dataset.columns = String(columns.length);
  canvas.setAttribute("aria-label", columns.length + " groups of probes");
}

function render(data) {
  state.period = data.period;
  state.offset = data.offset;
  $(".status").textContent = data.total + " targets · " + data.shown + " shown · updated " +
    new Date(data.now).toLocaleTimeString();
  $("#page").textContent = data.total === 0 ? "0/0" :
    (Math.floor(state.offset / state.limit) + 1) + "/" + Math.max(1, Math.ceil(data.shown / state.limit));
  const seen = new Set();
  const frag = [];
  for (const t of data.targets) {
    const c = card(t.host);
    seen.add(t.host);
    c.el.querySelector(".ip").textContent = t.ip || "(not resolved)";
    const loss = c.el.querySelector(".loss");
    loss.textContent = pct(t.loss); loss.classList.toggle("bad", t.loss !== null && t.loss > 0);
    c.el.querySelector(".median").textContent = ms(t.median);
    c.el.querySelector(".p95").textContent = ms(t.p95);
    c.el.querySelector(".last").textContent = ms(t.last);
    c.el.querySelector(".problem").textContent = t.problem || "";
    c.el.dataset.probes = String(t.n);
    frag.push(c);
  }
  for (const [host, c] of cards) if (!seen.has(host)) { c.el.remove(); cards.delete(host); }
  frag.forEach((c, i) => { if (main.children[i] !== c.el) main.insertBefore(c.el, main.children[i] || null); });
  data.targets.forEach((t, i) => draw(frag[i].canvas, t.columns));
}

async function poll() {
  clearTimeout(state.timer);
  const q = new URLSearchParams({ sort: state.sort, offset: state.offset, limit: state.limit, q: state.filter });
  try {
    const res = await fetch("api/targets?" + q, { cache: "no-store" });
    render(await res.json());
  } catch (e) {
    $(".status").textContent = "cannot reach the server: " + e.message;
  }
  state.timer = setTimeout(poll, Math.max(500, state.period));
}

$("#sort").addEventListener("change", (e) => { state.sort = e.target.value; state.offset = 0; poll(); });
$("#filter").addEventListener("input", (e) => { state.filter = e.target.value; state.offset = 0; poll(); });
$("#prev").addEventListener("click", () => { state.offset = Math.max(0, state.offset - state.limit); poll(); });
$("#next").addEventListener("click", () => { state.offset += state.limit; poll(); });
addEventListener("resize", () => poll());
poll();
`;

/** The whole page, one document with its style and script inline. */
export const PAGE_HTML: string = `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="color-scheme" content="light dark">
<title>miniping serve</title>
<style>${STYLE}</style>
</head>
<body>
<header>
  <h1>miniping</h1>
  <label>sort <select id="sort"><option value="worst">worst first</option><option value="latency">slowest first</option>
    <option value="name">by name</option></select></label>
  <input id="filter" type="search" placeholder="filter hosts" aria-label="filter hosts" size="14">
  <nav><button id="prev" aria-label="previous page">‹</button><span id="page">…</span>
    <button id="next" aria-label="next page">›</button></nav>
  <span class="status">loading…</span>
  <span class="legend"><span><i style="background:#1a9c1a"></i>no loss</span><span><i style="background:#1f8fff"></i>≤5 %</span>
    <span><i style="background:#9b30ff"></i>≤20 %</span><span><i style="background:#ff8c00"></i>≤50 %</span>
    <span><i style="background:#e00000"></i>more</span><span>line: median · shade: spread of each group</span></span>
</header>
<main aria-live="polite"></main>
<script>${SCRIPT}</script>
</body>
</html>
`;
