import{a as y,b as q}from"./chunk-AOAZLOKK.js";import{a as F}from"./chunk-6LU3ZQVF.js";import{a as u}from"./chunk-OPJQIV4V.js";import{a as M,b as P,c as g}from"./chunk-RVK4E4DP.js";var G={prometheus:"text/plain; version=0.0.4; charset=utf-8",openmetrics:"application/openmetrics-text; version=1.0.0; charset=utf-8"};function H(r){if(r===null)return"prometheus";for(let e of r.split(",")){let[t,...s]=e.trim().split(";").map(o=>o.trim());if(t!=="application/openmetrics-text")continue;let n=s.find(o=>o.startsWith("q="));if(n===void 0||Number(n.slice(2))>0)return"openmetrics"}return"prometheus"}function re(r){return r.replace(/[\\"\n]/g,e=>e===`
`?"\\n":`\\${e}`)}function B(r){if(Number.isNaN(r))return"NaN";if(r===1/0)return"+Inf";if(r===-1/0)return"-Inf";if(r===0)return"0";let[e,t]=r.toExponential().split("e"),s=Number(t);if(s>=-4&&s<6)return String(r);let n=String(Math.abs(s)).padStart(2,"0");return`${e}e${s<0?"-":"+"}${n}`}function oe(r,e){let t="";for(let s=0;s<r.length;s++)t+=`${s===0?"":","}${r[s]}="${re(e[s])}"`;return p.encode(t)}var p=new TextEncoder,ie=new TextDecoder,ae=10,U=48,R=class{#e=new Uint8Array(65536);#t=0;reset(){this.#t=0}#s(e){if(this.#t+e<=this.#e.length)return;let t=new Uint8Array(Math.max(this.#e.length*2,this.#t+e));t.set(this.#e.subarray(0,this.#t)),this.#e=t}bytes(e){this.#s(e.length),this.#e.set(e,this.#t),this.#t+=e.length}ascii(e){this.#s(e.length);for(let t=0;t<e.length;t++)this.#e[this.#t++]=e.charCodeAt(t)}value(e){if(Number.isInteger(e)&&e>=0&&e<1e6)if(this.#s(8),e===0)this.#e[this.#t++]=U;else{let t=e<10?1:e<100?2:e<1e3?3:e<1e4?4:e<1e5?5:6;for(let s=t-1;s>=0;s--,e=Math.floor(e/10))this.#e[this.#t+s]=U+e%10;this.#t+=t}else this.ascii(B(e));this.#s(1),this.#e[this.#t++]=ae}take(){return this.#e.slice(0,this.#t)}},A=class{value=0;labels;constructor(e){this.labels=e}inc(e=1){this.value+=e}set(e){this.value=e}},x=class{labels;counts;sum=0;count=0;bucketPrefix=new Uint8Array(0);#e;constructor(e,t){this.labels=e,this.#e=t,this.counts=new Float64Array(t.length+1)}observe(e){let t=this.#e,s=0,n=t.length;for(;s<n;){let o=s+n>>>1;t[o]<e?s=o+1:n=o}this.counts[s]++,this.sum+=e,this.count++}},w=class{name;help;type;labelNames;#e=new Map;#t;#s;constructor(e,t,s,n={}){if(s==="counter"&&!e.endsWith("_total"))throw new RangeError(`Cannot register ${e}: a counter's name must end in _total`);this.name=e,this.help=t,this.type=s,this.labelNames=n.labelNames??[],this.#t=Float64Array.from(n.buckets??[]),this.#s=ue(e,t,s,[...this.#t].map(B))}child(...e){let t=e.join("\0"),s=this.#e.get(t);if(s===void 0){let n=oe(this.labelNames,e);if(this.type==="histogram"){let o=new x(n,this.#t);o.bucketPrefix=le(this.#s.bucket,n),s=o}else s=new A(n);this.#e.set(t,s)}return s}remove(...e){this.#e.delete(e.join("\0"))}get size(){return this.#e.size}render(e,t){let s=this.#s;e.bytes(t==="openmetrics"?s.headerOpenMetrics:s.header);for(let n of this.#e.values())n instanceof x?this.#r(e,n):(this.#o(e,s.name,n.labels),e.value(n.value))}#o(e,t,s){e.bytes(t),s.length===0?e.bytes(ce):(e.bytes(he),e.bytes(s),e.bytes(de))}#r(e,t){let s=this.#s,n=t.labels.length===0?s.leAlone:s.leAfterLabels,o=0;for(let i=0;i<n.length;i++)o+=t.counts[i],e.bytes(t.bucketPrefix),e.bytes(n[i]),e.value(i===n.length-1?t.count:o);this.#o(e,s.sum,t.labels),e.value(t.sum),this.#o(e,s.count,t.labels),e.value(t.count)}};function le(r,e){let t=new Uint8Array(r.length+e.length);return t.set(r),t.set(e,r.length),t}var ce=p.encode(" "),he=p.encode("{"),de=p.encode("} ");function ue(r,e,t,s){let n=t==="counter"?r.slice(0,-6):r,o=a=>p.encode(`# HELP ${a} ${e}
# TYPE ${a} ${t}
`),i=[...s,"+Inf"];return{header:o(r),headerOpenMetrics:o(n),name:p.encode(r),bucket:p.encode(`${r}_bucket{`),sum:p.encode(`${r}_sum`),count:p.encode(`${r}_count`),leAlone:i.map(a=>p.encode(`le="${a}"} `)),leAfterLabels:i.map(a=>p.encode(`,le="${a}"} `))}}var S=class{#e=[];#t=new R;add(e){if(this.#e.some(t=>t.name===e.name))throw new RangeError(`Cannot register ${e.name}: the name is taken`);return this.#e.push(e),e}renderBytes(e){let t=this.#t;t.reset();for(let s of this.#e)s.render(t,e);return e==="openmetrics"&&t.ascii(`# EOF
`),t.take()}render(e){return ie.decode(this.renderBytes(e))}};function v(r,e){let t=r.length;if(t===0)return null;let s=(t-1)*e,n=Math.floor(s),o=Math.min(n+1,t-1);return r[n]+(r[o]-r[n])*(s-n)}var E=new Float32Array(0),k=class{#e;#t=0;#s=0;constructor(e){if(!Number.isInteger(e)||e<1)throw new RangeError(`Cannot keep history: capacity must be an integer \u2265 1, got ${e}`);this.#e=new Float32Array(e)}get length(){return this.#s}push(e){this.#e[this.#t]=e,this.#t=(this.#t+1)%this.#e.length,this.#s<this.#e.length&&this.#s++}last(e){let t=Math.min(e,this.#s),s=new Float32Array(t),n=this.#e.length,o=(this.#t-t+n)%n;for(let i=0;i<t;i++)s[i]=this.#e[(o+i)%n];return s}summary(e){let t=Math.min(e,this.#s);E.length<t&&(E=new Float32Array(t));let s=this.#e.length,n=(this.#t-t+s)%s,o=0;for(let c=0;c<t;c++){let l=this.#e[(n+c)%s];Number.isNaN(l)||(E[o++]=l)}let i=E.subarray(0,o).sort(),a=t===0?NaN:this.#e[(this.#t-1+s)%s];return{n:t,loss:t===0?null:(t-o)/t*100,median:L(v(i,.5)),p95:L(v(i,.95)),last:Number.isNaN(a)?null:C(a)}}columns(e,t){let s=this.last(e*t),n=[];for(let o=s.length;o>0;o-=t){let i=s.subarray(Math.max(0,o-t),o),a=i.filter(l=>!Number.isNaN(l)).sort(),c=l=>C(v(a,l));n.push({n:i.length,lost:i.length-a.length,median:L(v(a,.5)),spread:a.length===0?[]:[c(0),c(.25),c(.75),c(1)]})}return n.reverse()}};function L(r){return r===null?null:C(r)}function C(r){return Math.round(r*1e3)/1e3}var O=Array.from({length:20},(r,e)=>5e-5*2**e),pe=["ip","host","source","tos"],I=class{host;ip="";history;lastProblem=null;lastSeen=0;series=null;constructor(e,t){this.host=e,this.history=new k(t)}},_=class{#e=new S;#t;#s;#o;#r=new Map;#n;constructor(e={}){this.#t=e.source??"",this.#s=String(e.tos??0),this.#o=e.historySize??300;let t=e.buckets??O,s=pe,n=this.#e,o=(i,a,c,l=s)=>n.add(new w(i,a,c,{labelNames:l}));this.#n={requests:o("smokeping_requests_total","Number of ping requests sent","counter"),duration:n.add(new w("smokeping_response_duration_seconds","A histogram of latencies for ping responses.","histogram",{labelNames:s,buckets:t})),ttl:o("smokeping_response_ttl","The last response Time To Live (TTL).","gauge"),duplicates:o("smokeping_response_duplicates_total","The number of duplicated response packets.","counter"),sendErrors:o("smokeping_send_errors_total","The number of errors when Pinger attempts to send packets.","counter"),timeouts:o("miniping_timeouts_total","Probes that got neither a reply nor an ICMP error in time.","counter"),icmpErrors:o("miniping_icmp_errors_total","ICMP errors received for probes, by ICMP type, code and the router that sent them.","counter",[...s,"icmp_type","icmp_code","router"]),corrupted:o("miniping_corrupted_replies_total","Replies that failed the checksum or payload check.","counter"),lastRtt:o("miniping_last_rtt_seconds","Round-trip time of the last reply.","gauge"),resolveErrors:o("miniping_resolve_errors_total","Rounds in which the host did not resolve.","counter",["host"]),clock:o("miniping_replies_by_clock_total","Replies by the clock that ended their RTT.","counter",["clock"]),targets:o("miniping_targets","Targets being probed.","gauge",[]),outstanding:o("miniping_engine_outstanding_probes","Probes sent and waiting for their outcome.","gauge",[]),sockets:o("miniping_engine_sockets","ICMP sockets the engine holds open.","gauge",[]),backoffs:o("miniping_engine_send_backoffs_total","Sends that waited for socket buffer space.","counter",[]),lateSlices:o("miniping_schedule_late_total","Slices of a round that started more than a tenth of a period after their slot.","counter",[]),reloads:o("miniping_config_reloads_total","Target list reloads, by result.","counter",["result"])},this.#n.lateSlices.child(),this.#n.reloads.child("success"),this.#n.reloads.child("failure"),this.#n.targets.child()}target(e){let t=this.#r.get(e);return t===void 0&&(t=new I(e,this.#o),this.#r.set(e,t),this.#n.targets.child().set(this.#r.size)),t}get(e){return this.#r.get(e)}targets(){return this.#r.values()}remove(e){let t=this.#r.get(e);t!==void 0&&(this.#a(t),this.#n.resolveErrors.remove(e),this.#r.delete(e),this.#n.targets.child().set(this.#r.size))}record(e,t,s,n){let o=this.#i(e,t);switch(e.lastSeen=n,s.type){case"reply":{let i=s.rtt/1e3;o.requests.inc(),o.duration.observe(i),o.lastRtt.set(i),s.ttl!==null&&o.ttl.set(s.ttl),this.#n.clock.child(s.clock).inc(),e.history.push(s.rtt),e.lastProblem=null;return}case"duplicate":o.duplicates.inc();return;case"timeout":o.requests.inc(),o.timeouts.inc(),e.history.push(NaN),e.lastProblem="no reply in time";return;case"error":{o.requests.inc(),s.from===null?o.sendErrors.inc():this.#c(o,s.icmpType,s.code,s.from).inc(),e.history.push(NaN),e.lastProblem=s.from===null?s.message:`${s.message} from ${s.from}`;return}}}corrupted(e,t,s){s>0&&this.#i(e,t).corrupted.inc(s)}resolveFailed(e,t){this.#n.resolveErrors.child(e.host).inc(),e.lastProblem=t,e.lastSeen=Date.now(),e.history.push(NaN)}lateSlice(){this.#n.lateSlices.child().inc()}reloaded(e){this.#n.reloads.child(e?"success":"failure").inc()}renderBytes(e,t){return t!==void 0&&(this.#n.outstanding.child().set(t.outstanding),this.#n.sockets.child().set(t.sockets),this.#n.backoffs.child().set(t.sendBackoffs)),this.#e.renderBytes(e)}render(e,t){return new TextDecoder().decode(this.renderBytes(e,t))}#i(e,t){if(e.series!==null&&e.ip===t)return e.series;e.series!==null&&this.#a(e),e.ip=t;let s=[t,e.host,this.#t,this.#s],n=this.#n;return e.series={values:s,requests:n.requests.child(...s),duration:n.duration.child(...s),ttl:n.ttl.child(...s),duplicates:n.duplicates.child(...s),sendErrors:n.sendErrors.child(...s),timeouts:n.timeouts.child(...s),corrupted:n.corrupted.child(...s),lastRtt:n.lastRtt.child(...s),icmpErrors:new Map},e.series}#c(e,t,s,n){let o=`${t}/${s}/${n}`,i=e.icmpErrors.get(o);return i===void 0&&(i=this.#n.icmpErrors.child(...e.values,String(t??""),String(s??""),n),e.icmpErrors.set(o,i)),i}#a(e){let t=e.series;if(t===null)return;let s=this.#n;for(let n of[s.requests,s.duration,s.ttl,s.duplicates,s.sendErrors,s.timeouts,s.corrupted,s.lastRtt])n.remove(...t.values);for(let n of t.icmpErrors.keys()){let[o,i,a]=n.split("/");s.icmpErrors.remove(...t.values,o==="null"?"":o,i==="null"?"":i,a)}e.series=null}};var $=class{#e;#t;#s;#o=new AbortController;#r=new Set;#n=[];#i={states:[],hosts:[],slices:1};#c;#a=0;#h=0;#l=0;constructor(e,t,s){this.#e=e,this.#t=t,this.#s=s}get hosts(){return this.#n}setTargets(e){let t=[...new Set(e)],s=new Set(t);for(let n of this.#n)s.has(n)||this.#t.remove(n);for(let n of t)this.#t.target(n);this.#n=t}start(){this.#a=performance.now(),this.#u()}async stop(){clearTimeout(this.#c),this.#o.abort(),await Promise.allSettled([...this.#r])}#d(){return this.#a+this.#h+this.#l*this.#s.period/this.#i.slices}#u(){if(this.#o.signal.aborted)return;let{period:e}=this.#s;if(this.#l===0&&(this.#i=this.#f()),performance.now()-this.#d()>e*.1&&this.#t.lateSlice(),this.#m(this.#i,this.#l),this.#l++,this.#l===this.#i.slices)for(this.#l=0,this.#h+=e;this.#a+this.#h+e<performance.now();)this.#h+=e;this.#c=setTimeout(()=>this.#u(),Math.max(0,this.#d()-performance.now()))}#f(){let e=this.#n,t=Math.max(1,Math.min(e.length,Math.floor(this.#s.period/10)));return{hosts:e,states:e.map(s=>this.#t.target(s)),slices:t}}#m(e,t){let s=e.hosts.length,n=Math.floor(t*s/e.slices),o=Math.floor((t+1)*s/e.slices);if(o<=n)return;let i=this.#g(e.hosts.slice(n,o),e.states.slice(n,o),s).finally(()=>this.#r.delete(i));this.#r.add(i)}async#g(e,t,s){let n=this.#t,{period:o,timeout:i,size:a,ttl:c,dscp:l,source:f}=this.#s,m={count:1,rate:e.length<=32?1/0:s/(o/1e3),timeout:i,size:a,window:e.length,collect:!1,signal:this.#o.signal,onProbe:h=>{let d=t[h.index];d===void 0||!this.#p(d)||n.record(d,h.address,h,h.time)},onResult:h=>{let d=t[h.index];d===void 0||!this.#p(d)||(h.ok?n.corrupted(d,h.address,h.corrupted):n.resolveFailed(d,h.error.message))}};c!==void 0&&(m.ttl=c),l!==void 0&&(m.dscp=l),f!==void 0&&(m.source=f);try{await this.#e.pingMany(e,m)}catch(h){if(this.#o.signal.aborted)return;console.error(`miniping serve: probing failed: ${h instanceof Error?h.message:String(h)}`)}}#p(e){return this.#t.get(e.host)===e}};var fe=`
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
`,me=`
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
function ms(x) { return x === null ? "\u2013" : (x < 10 ? x.toFixed(3) : x < 100 ? x.toFixed(2) : x.toFixed(1)) + " ms"; }
function pct(x) { return x === null ? "\u2013" : (x < 10 && x > 0 ? x.toFixed(1) : Math.round(x)) + " %"; }

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
  $(".status").textContent = data.total + " targets \xB7 " + data.shown + " shown \xB7 updated " +
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
`,V=`<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="color-scheme" content="light dark">
<title>miniping serve</title>
<style>${fe}</style>
</head>
<body>
<header>
  <h1>miniping</h1>
  <label>sort <select id="sort"><option value="worst">worst first</option><option value="latency">slowest first</option>
    <option value="name">by name</option></select></label>
  <input id="filter" type="search" placeholder="filter hosts" aria-label="filter hosts" size="14">
  <nav><button id="prev" aria-label="previous page">\u2039</button><span id="page">\u2026</span>
    <button id="next" aria-label="next page">\u203A</button></nav>
  <span class="status">loading\u2026</span>
  <span class="legend"><span><i style="background:#1a9c1a"></i>no loss</span><span><i style="background:#1f8fff"></i>\u22645 %</span>
    <span><i style="background:#9b30ff"></i>\u226420 %</span><span><i style="background:#ff8c00"></i>\u226450 %</span>
    <span><i style="background:#e00000"></i>more</span><span>line: median \xB7 shade: spread of each group</span></span>
</header>
<main aria-live="polite"></main>
<script>${me}<\/script>
</body>
</html>
`;var K={columns:30,size:10},Y=60,ge=200;function be(r){let e=(s,n)=>s.state.host<n.state.host?-1:s.state.host>n.state.host?1:0;if(r==="name")return e;let t=(s,n)=>s[n]??-1;return r==="latency"?(s,n)=>t(n.summary,"median")-t(s.summary,"median")||e(s,n):(s,n)=>t(n.summary,"loss")-t(s.summary,"loss")||t(n.summary,"p95")-t(s.summary,"p95")||e(s,n)}var D=class{#e=new Map;get(e,t,s){let n=performance.now(),o=this.#e.get(e);if(o!==void 0&&n-o.at<t)return o;for(let[a,c]of this.#e)n-c.at>=t&&this.#e.delete(a);let i={at:n,...s()};return this.#e.set(e,i),i}};function we(r,e,t){let s=[],n=0;for(let o of r.metrics.targets())n++,!(t!==""&&!o.host.toLowerCase().includes(t)&&!o.ip.includes(t))&&s.push({state:o,summary:e==="name"?xe:o.history.summary(Y)});return s.sort(be(e)),{total:n,ranked:s}}function ye(r,e,t){let s=e.get("sort"),n=s==="name"||s==="latency"?s:"worst",o=(e.get("q")??"").trim().toLowerCase(),i=X(e.get("limit"),1,ge,50),a=()=>we(r,n,o),{total:c,ranked:l}=t===void 0?a():t.get(`${n}\0${o}`,Math.min(r.period,1e3),a),f=Math.max(0,Math.floor((l.length-1)/i)*i),m=Math.min(X(e.get("offset"),0,Number.MAX_SAFE_INTEGER,0),f),h=l.slice(m,m+i).map(({state:d})=>({host:d.host,ip:d.ip,...d.history.summary(Y),problem:d.lastProblem,columns:d.history.columns(K.columns,K.size)}));return{now:Date.now(),period:r.period,total:c,shown:l.length,offset:m,targets:h}}var xe={n:0,loss:null,median:null,p95:null,last:null};function X(r,e,t,s){let n=r===null||r===""?NaN:Number(r);return Number.isInteger(n)?Math.min(t,Math.max(e,n)):s}function j(r){let e=new D;return t=>{if(t.method!=="GET"&&t.method!=="HEAD")return new Response(`method not allowed
`,{status:405,headers:{allow:"GET, HEAD"}});let s=new URL(t.url);switch(s.pathname){case"/metrics":{let n=H(t.headers.get("accept"));return new Response(r.metrics.renderBytes(n,r.stats()),{headers:{"content-type":G[n]}})}case"/":return new Response(V,{headers:{"content-type":"text/html; charset=utf-8","cache-control":"no-cache"}});case"/api/targets":return Response.json(ye(r,s.searchParams,e),{headers:{"cache-control":"no-store"}});case"/healthz":return new Response(`ok
`);default:return new Response(`not found
`,{status:404})}}}function J(r){let e=new Set;for(let t of r.split(`
`)){let s=t.replace(/#.*/,"");for(let n of s.split(/\s+/))n!==""&&e.add(n)}return[...e]}function Se(r){return`${r.size}:${r.mtime?.getTime()??0}:${r.ino??0}`}function W(r,e,t){let s=null,n=async()=>{let i;try{i=Se(await Deno.stat(r))}catch{i="missing"}s!==null&&i!==s&&i!=="missing"&&e(),s=i};n();let o=setInterval(n,t.interval);t.signal.addEventListener("abort",()=>clearInterval(o),{once:!0})}function Q(r={}){let e=new F(r);return{pingMany:(t,s)=>e.pingMany(t,s),stats:()=>e.stats(),close:()=>e.close()}}import{parseArgs as ve}from"node:util";var b={listen:"127.0.0.1:9374",periodSeconds:1,size:P.size},Ee=.01,Z=(2**31-1)/1e3,te=`Usage: ${y} serve [options] [HOST...]

Probe every target once per period, sends spread evenly over the period,
and serve Prometheus metrics (smokeping_prober's names) and a live page.

Options:
      --listen ADDR:PORT  where to serve (default ${b.listen});
                          /metrics, / (the page), /api/targets
  -f, --file FILE      targets file: hosts separated by spaces or lines,
                       # comments; reloaded on SIGHUP and when it changes
      --period S       time between probes of one target (default ${b.periodSeconds})
      --timeout S      how long a probe waits for its reply (default: the period)
  -s, --size N         payload bytes (default ${b.size})
      --ttl N          outgoing TTL / hop limit, ${g.ttl.min}-${g.ttl.max}
      --dscp N         DSCP code point, ${g.dscp.min}-${g.dscp.max} (label tos = DSCP << 2)
  -S, --source ADDR    send from this local address (label source)
      --socket KIND    raw, datagram or auto (default auto)
      --buckets LIST   latency histogram bounds in seconds, comma separated
                       (default smokeping_prober's: 5e-05 doubling to 26.2144)
  -h, --help           show this help

Needs --allow-ffi and --allow-net (and --allow-read for -f).
`;function ee(r,e,t){let s=Number(e);if(e.trim()===""||!Number.isFinite(s)||s<t||s>Z)throw new u(`${r} must be a number of seconds from ${t} to ${Z}, got ${JSON.stringify(e)}`);return Math.round(s*1e3)}function N(r,e,t,s){let n=Number(e);if(!/^\d+$/.test(e.trim())||n<t||n>s)throw new u(`${r} must be an integer from ${t} to ${s}, got ${JSON.stringify(e)}`);return n}function ke(r){let e=/^(?:\[([^\]]+)\]|([^:\[\]]*)):(\d+)$/.exec(r);if(e===null)throw new u(`--listen must be ADDR:PORT or [IPV6]:PORT, got ${JSON.stringify(r)}`);let t=e[1]??e[2]??"";return{hostname:t===""?"0.0.0.0":t,port:N("--listen port",e[3],0,65535)}}function _e(r){let e=r.split(",").map(s=>s.trim()),t=e.map(Number);for(let s=0;s<t.length;s++){if(e[s]===""||!Number.isFinite(t[s])||t[s]<=0)throw new u(`--buckets must list positive numbers of seconds, got ${JSON.stringify(e[s])}`);if(s>0&&t[s]<=t[s-1])throw new u(`--buckets must be ascending, got ${t[s-1]} before ${t[s]}`)}return t}function se(r){let e;try{e=ve({args:[...r],allowPositionals:!0,strict:!0,options:{listen:{type:"string"},file:{type:"string",short:"f"},period:{type:"string"},timeout:{type:"string"},size:{type:"string",short:"s"},ttl:{type:"string"},dscp:{type:"string"},source:{type:"string",short:"S"},socket:{type:"string"},buckets:{type:"string"},help:{type:"boolean",short:"h"}}})}catch(a){throw new u(a instanceof Error?a.message:String(a))}let t=e.values;if(t.help)return{kind:"help"};let s=e.positionals;if(s.length===0&&t.file===void 0)throw new u("serve needs targets: HOST arguments or -f FILE");let n=ee("--period",t.period??String(b.periodSeconds),Ee),o=t.timeout===void 0?n:ee("--timeout",t.timeout,.001),i=t.socket??P.socket;if(!M.includes(i))throw new u(`--socket must be ${M.join(", ")}, got ${JSON.stringify(t.socket)}`);return{kind:"serve",...ke(t.listen??b.listen),file:t.file??null,hosts:s,period:n,timeout:o,size:t.size===void 0?b.size:N("--size",t.size,0,g.size.max[6]),ttl:t.ttl===void 0?void 0:N("--ttl",t.ttl,g.ttl.min,g.ttl.max),dscp:t.dscp===void 0?void 0:N("--dscp",t.dscp,g.dscp.min,g.dscp.max),source:t.source,socket:i,buckets:t.buckets===void 0?[...O]:_e(t.buckets)}}var z=`${y} serve`,$e=2,Ne=1e3;function T(r){return console.error("%s",`${z}: ${r}`),$e}function Te(r){let e=n=>Deno.permissions.querySync(n).state==="granted";if(!e({name:"ffi"}))return"needs --allow-ffi to send ICMP (add --allow-ffi to the deno command)";let s=`${r.hostname.includes(":")?`[${r.hostname}]`:r.hostname}:${r.port}`;return e({name:"net",host:s})?r.file!==null&&!e({name:"read",path:r.file})?`needs --allow-read to read ${r.file} (add --allow-read to the deno command)`:null:`needs --allow-net to listen on ${s} (add --allow-net to the deno command)`}function Me(r){return Q({socket:r.socket})}async function ne(r){let e=r.file===null?[]:J(await Deno.readTextFile(r.file));return[...new Set([...r.hosts,...e])]}async function st(r){let e;try{e=se(r)}catch(o){if(!(o instanceof u))throw o;return T(`${o.message} ${q}`)}if(e.kind==="help")return console.log("%s",te.trimEnd()),0;let t=e,s=Te(t);if(s!==null)return T(s);let n;try{n=await ne(t)}catch(o){return T(`cannot read ${t.file}: ${o instanceof Error?o.message:String(o)}`)}return await Pe(t,n)}async function Pe(r,e){let t=new _({buckets:r.buckets,source:r.source??"",tos:(r.dscp??0)<<2}),s=Me(r),n=new $(s,t,r);n.setTargets(e);let o=new AbortController,i;try{i=Deno.serve({hostname:r.hostname,port:r.port,signal:o.signal,onListen:({hostname:l,port:f})=>{let m=l.includes(":")?`[${l}]`:l;console.error("%s",`${z}: http://${m}:${f}/ \u2014 ${n.hosts.length} targets every ${r.period/1e3} s`)}},j({metrics:t,period:r.period,stats:()=>s.stats()}))}catch(l){return await s.close(),T(`cannot listen on ${r.hostname}:${r.port}: ${l.message}`)}let a=async()=>{try{n.setTargets(await ne(r)),t.reloaded(!0)}catch(l){t.reloaded(!1),console.error("%s",`${z}: reload failed, keeping ${n.hosts.length} targets: ${l.message}`)}},c=[["SIGTERM",()=>o.abort()],["SIGINT",()=>o.abort()]];r.file!==null&&(c.push(["SIGHUP",()=>void a()]),W(r.file,()=>void a(),{interval:Ne,signal:o.signal}));for(let[l,f]of c)Deno.addSignalListener(l,f);n.start(),await new Promise(l=>o.signal.addEventListener("abort",l,{once:!0}));for(let[l,f]of c)Deno.removeSignalListener(l,f);return await n.stop(),await s.close(),await i.finished,0}export{Te as missingPermission,st as serve};
