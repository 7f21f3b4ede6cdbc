import{a as E,b as J}from"./chunk-2JXI5RVD.js";import{a as W}from"./chunk-5XT4KPEH.js";import{a as f}from"./chunk-OPJQIV4V.js";import{a as F,b as z,c as g}from"./chunk-U4ZYIOTJ.js";var Q={prometheus:"text/plain; version=0.0.4; charset=utf-8",openmetrics:"application/openmetrics-text; version=1.0.0; charset=utf-8"};function Z(r){if(r===null)return"prometheus";for(let t of r.split(",")){let[e,...s]=t.trim().split(";").map(o=>o.trim());if(e!=="application/openmetrics-text")continue;let n=s.find(o=>o.startsWith("q="));if(n===void 0||Number(n.slice(2))>0)return"openmetrics"}return"prometheus"}function $t(r){return r.replace(/[\\"\n]/g,t=>t===`
`?"\\n":`\\${t}`)}function tt(r){if(Number.isNaN(r))return"NaN";if(r===1/0)return"+Inf";if(r===-1/0)return"-Inf";if(r===0)return"0";let t=Math.abs(r);if(t>=1e-4&&t<1e6)return String(r);let[e,s]=r.toExponential().split("e"),n=Number(s),o=String(Math.abs(n)).padStart(2,"0");return`${e}e${n<0?"-":"+"}${o}`}function et(r,t){let e="";for(let s=0;s<r.length;s++)e+=`${s===0?"":","}${r[s]}="${$t(t[s])}"`;return e}var b=new TextEncoder,Mt=new TextDecoder,Rt=10,w=48,st=26,At=256*1024,Pt=4096;function nt(r,t,e){if(e<10)return r[t]=w+e,t+1;let s=e<100?2:e<1e3?3:e<1e4?4:e<1e5?5:6;for(let n=s-1;n>=0;n--,e=Math.floor(e/10))r[t+n]=w+e%10;return t+s}function Lt(r,t,e){let s=6;for(let i=1e7;i<=e;i*=10)s++;let n=e;for(;n%10===0;)n/=10;let o=1;for(let i=10;i<=n;i*=10)o++;if(o===1)r[t++]=w+n;else{for(let i=o;i>=2;i--,n=Math.floor(n/10))r[t+i]=w+n%10;r[t]=w+n,r[t+1]=46,t+=o+1}return r[t++]=101,r[t++]=43,s<10&&(r[t++]=w),nt(r,t,s)}function rt(r,t,e){for(let s=0;s<e.length;s++)r[t++]=e.charCodeAt(s);return t}function x(r,t,e){return Number.isInteger(e)&&e>=0&&e<=Number.MAX_SAFE_INTEGER?t=e<1e6?nt(r,t,e):Lt(r,t,e):t=rt(r,t,tt(e)),r[t]=Rt,t+1}var v=class{buf;pos=0;full=[];#t;constructor(t=At){this.#t=t,this.buf=new Uint8Array(t)}room(t){this.pos+t<=this.buf.length||(this.pos>0&&this.full.push(this.buf.subarray(0,this.pos)),this.buf=new Uint8Array(Math.max(this.#t,t)),this.pos=0)}bytes(t){this.room(t.length),this.buf.set(t,this.pos),this.pos+=t.length}ascii(t){this.room(t.length),this.pos=rt(this.buf,this.pos,t)}line(t,e,s){this.room(t.length+e.length+st);let n=this.buf,o=this.pos;n.set(t,o),o+=t.length,n.set(e,o),this.pos=x(n,o+e.length,s)}finish(){return this.pos>0&&this.full.push(this.buf.subarray(0,this.pos)),this.buf=new Uint8Array(0),this.pos=0,this.full.splice(0)}};function U(r){return b.encode(r===""?" ":`{${r}} `)}var G=class{value=0;open;constructor(t){this.open=t}inc(t=1){this.value+=t}set(t){this.value=t}};function ot(r,t){let e=0,s=r.length;for(;e<s;){let n=e+s>>>1;r[n]<t?e=n+1:s=n}return e}var k=class{open;bucketPrefix;counts;sum=0;count=0;#t;constructor(t,e,s){this.open=t,this.bucketPrefix=e,this.#t=s,this.counts=new Float64Array(s.length+1)}observe(t){this.counts[ot(this.#t,t)]++,this.sum+=t,this.count++}},q=class{#t=new Map;of(t){let e=this.#t.get(t);return e===void 0&&this.#t.set(t,e=t.snapshot()),e}},S=class{header;headerOpenMetrics;name;sum;count;le;histogramLineRoom;constructor(t,e,s,n){if(s==="counter"&&!t.endsWith("_total"))throw new RangeError(`Cannot register ${t}: a counter's name must end in _total`);let o=s==="counter"?t.slice(0,-6):t,i=l=>b.encode(`# HELP ${l} ${e}
# TYPE ${l} ${s}
`);this.header=i(t),this.headerOpenMetrics=i(o),this.name=b.encode(t),this.sum=b.encode(`${t}_sum`),this.count=b.encode(`${t}_count`),this.le=[...[...n].map(tt),"+Inf"].map(l=>b.encode(`${l}"} `)),this.histogramLineRoom=Math.max(this.count.length,...this.le.map(l=>l.length))+st}headerFor(t){return t==="openmetrics"?this.headerOpenMetrics:this.header}};function it(r,t){return b.encode(`${r}_bucket{${t===""?"":`${t},`}le="`)}function at(r,t,e,s,n,o,i,l){let h=t.le;r.room((h.length+2)*(s.length+t.histogramLineRoom+e.length));let a=r.buf,c=r.pos,d=0,m=h.length-1;for(let u=0;u<m;u++){d+=n[o+u],a.set(s,c),c+=s.length;let p=h[u];a.set(p,c),c=x(a,c+p.length,d)}a.set(s,c),c+=s.length,a.set(h[m],c),c=x(a,c+h[m].length,l),a.set(t.sum,c),c+=t.sum.length,a.set(e,c),c=x(a,c+e.length,i),a.set(t.count,c),c+=t.count.length,a.set(e,c),r.pos=x(a,c+e.length,l)}var _=class{name;help;type;labelNames;#t=new Map;#e;#s;constructor(t,e,s,n={}){this.#e=Float64Array.from(n.buckets??[]),this.#s=new S(t,e,s,this.#e),this.name=t,this.help=e,this.type=s,this.labelNames=n.labelNames??[]}child(...t){let e=t.join("\0"),s=this.#t.get(e);if(s===void 0){let n=et(this.labelNames,t);s=this.type==="histogram"?new k(U(n),it(this.name,n),this.#e):new G(U(n)),this.#t.set(e,s)}return s}remove(...t){this.#t.delete(t.join("\0"))}get size(){return this.#t.size}begin(t){let e=new v(Pt);this.#r(e,t);let s=e.finish();return function*(n){for(let o of s)n.bytes(o),n.full.length>0&&(yield)}}#r(t,e){let s=this.#s;t.bytes(s.headerFor(e));for(let n of this.#t.values())n instanceof k?at(t,s,n.open,n.bucketPrefix,n.counts,0,n.sum,n.count):t.line(s.name,n.open,n.value)}},H=class{labelValues;open;bucketPrefix;values;constructor(t,e,s,n){this.labelValues=t,this.open=e,this.bucketPrefix=s,this.values=new Float64Array(n)}},N=class{labelNames;bounds;histogramAt;#t;#e;#s=new Set;#r=null;constructor(t){this.labelNames=t.labelNames,this.bounds=Float64Array.from(t.histogram?.buckets??[]),this.histogramAt=t.columns,this.#t=t.histogram?.name,this.#e=t.columns+(t.histogram===void 0?0:2+this.bounds.length+1)}add(t){let e=et(this.labelNames,t),s=this.#t===void 0?new Uint8Array(0):it(this.#t,e),n=new H(t,U(e),s,this.#e);return this.#s.add(n),this.#r=null,n}delete(t){this.#s.delete(t)&&(this.#r=null)}get size(){return this.#s.size}rows(){return this.#r??=[...this.#s]}snapshot(){let t=this.rows(),e=this.#e,s=new Float64Array(t.length*e);for(let n=0;n<t.length;n++)s.set(t[n].values,n*e);return{rows:t,values:s,width:e}}observe(t,e){let s=t.values,n=this.histogramAt;s[n]=s[n]+e,s[n+1]++,s[n+2+ot(this.bounds,e)]++}},T=class{name;table;#t;#e;constructor(t,e,s,n,o){this.#e=new S(t,e,s,new Float64Array(0)),this.name=t,this.table=n,this.#t=o}begin(t,e){let s=this.#e,{rows:n,values:o,width:i}=e.of(this.table),l=this.#t;return function*(h){h.bytes(s.headerFor(t));for(let a=0;a<n.length;a++)h.line(s.name,n[a].open,o[a*i+l]),h.full.length>0&&(yield)}}},$=class{name;table;#t;constructor(t,e,s){this.#t=new S(t,e,"histogram",s.bounds),this.name=t,this.table=s}begin(t,e){let s=this.#t,{rows:n,values:o,width:i}=e.of(this.table),l=this.table.histogramAt;return function*(h){h.bytes(s.headerFor(t));for(let a=0;a<n.length;a++){let c=n[a],d=a*i+l;at(h,s,c.open,c.bucketPrefix,o,d+2,o[d],o[d+1]),h.full.length>0&&(yield)}}}},M=class{#t=[];add(t){if(this.#t.some(e=>e.name===t.name))throw new RangeError(`Cannot register ${t.name}: the name is taken`);return this.#t.push(t),t}chunks(t){let e=new q;return this.#e(t,this.#t.map(s=>s.begin(t,e)))}*#e(t,e){let s=new v;for(let n of e)for(let o of n(s))yield*s.full.splice(0);t==="openmetrics"&&s.ascii(`# EOF
`),yield*s.finish()}stream(t){let e=this.chunks(t);return new ReadableStream({pull(s){let n=e.next();n.done?s.close():s.enqueue(n.value)},cancel(){e.return()}})}renderBytes(t){let e=[...this.chunks(t)],s=new Uint8Array(e.reduce((o,i)=>o+i.length,0)),n=0;for(let o of e)s.set(o,n),n+=o.length;return s}render(t){return Mt.decode(this.renderBytes(t))}};function R(r,t){let e=r.length;if(e===0)return null;let s=(e-1)*t,n=Math.floor(s),o=Math.min(n+1,e-1);return r[n]+(r[o]-r[n])*(s-n)}var A=new Float32Array(0),P=class{#t;#e=0;#s=0;constructor(t){if(!Number.isInteger(t)||t<1)throw new RangeError(`Cannot keep history: capacity must be an integer \u2265 1, got ${t}`);this.#t=new Float32Array(t)}get length(){return this.#s}push(t){this.#t[this.#e]=t,this.#e=(this.#e+1)%this.#t.length,this.#s<this.#t.length&&this.#s++}last(t){let e=Math.min(t,this.#s),s=new Float32Array(e),n=this.#t.length,o=(this.#e-e+n)%n;for(let i=0;i<e;i++)s[i]=this.#t[(o+i)%n];return s}summary(t){let e=Math.min(t,this.#s);A.length<e&&(A=new Float32Array(e));let s=this.#t.length,n=(this.#e-e+s)%s,o=0;for(let h=0;h<e;h++){let a=this.#t[(n+h)%s];Number.isNaN(a)||(A[o++]=a)}let i=A.subarray(0,o).sort(),l=e===0?NaN:this.#t[(this.#e-1+s)%s];return{n:e,loss:e===0?null:(e-o)/e*100,median:B(R(i,.5)),p95:B(R(i,.95)),last:Number.isNaN(l)?null:V(l)}}columns(t,e){let s=this.last(t*e),n=[];for(let o=s.length;o>0;o-=e){let i=s.subarray(Math.max(0,o-e),o),l=i.filter(a=>!Number.isNaN(a)).sort(),h=a=>V(R(l,a));n.push({n:i.length,lost:i.length-l.length,median:B(R(l,.5)),spread:l.length===0?[]:[h(0),h(.25),h(.75),h(1)]})}return n.reverse()}};function B(r){return r===null?null:V(r)}function V(r){return Math.round(r*1e3)/1e3}var Y=Array.from({length:20},(r,t)=>5e-5*2**t),lt=["ip","host","source","tos"],K=class{host;ip="";history;lastProblem=null;lastSeen=0;series=null;constructor(t,e){this.host=t,this.history=new P(e)}},L=0,ct=1,ht=2,ut=3,dt=4,pt=5,ft=6,It=7,I=class{#t=new M;#e;#s;#r;#o=new Map;#n;#a;#l=new Map;constructor(t={}){this.#e=t.source??"",this.#s=String(t.tos??0),this.#r=t.historySize??300;let e=t.buckets??Y,s=this.#t,n=new N({labelNames:lt,columns:It,histogram:{name:"smokeping_response_duration_seconds",buckets:e}});this.#a=n;let o=(h,a,c,d)=>s.add(new T(h,a,c,n,d)),i=(h,a,c,d)=>s.add(new _(h,a,c,{labelNames:d}));o("smokeping_requests_total","Number of ping requests sent","counter",L),s.add(new $("smokeping_response_duration_seconds","A histogram of latencies for ping responses.",n)),o("smokeping_response_ttl","The last response Time To Live (TTL).","gauge",ct),o("smokeping_response_duplicates_total","The number of duplicated response packets.","counter",ht),o("smokeping_send_errors_total","The number of errors when Pinger attempts to send packets.","counter",ut),o("miniping_timeouts_total","Probes that got neither a reply nor an ICMP error in time.","counter",dt);let l=i("miniping_icmp_errors_total","ICMP errors received for probes, by ICMP type, code and the router that sent them.","counter",[...lt,"icmp_type","icmp_code","router"]);o("miniping_corrupted_replies_total","Replies that failed the checksum or payload check.","counter",pt),o("miniping_last_rtt_seconds","Round-trip time of the last reply.","gauge",ft),this.#n={icmpErrors:l,resolveErrors:i("miniping_resolve_errors_total","Rounds in which the host did not resolve.","counter",["host"]),clock:i("miniping_replies_by_clock_total","Replies by the clock that ended their RTT.","counter",["clock"]),targets:i("miniping_targets","Targets being probed.","gauge",[]),outstanding:i("miniping_engine_outstanding_probes","Probes sent and waiting for their outcome.","gauge",[]),sockets:i("miniping_engine_sockets","ICMP sockets the engine holds open.","gauge",[]),backoffs:i("miniping_engine_send_backoffs_total","Sends that waited for socket buffer space.","counter",[]),lateSlices:i("miniping_schedule_late_total","Slices of a round that started more than a tenth of a period after their slot.","counter",[]),reloads:i("miniping_config_reloads_total","Target list reloads, by result.","counter",["result"])},this.#n.lateSlices.child(),this.#n.reloads.child("success"),this.#n.reloads.child("failure"),this.#n.targets.child()}target(t){let e=this.#o.get(t);return e===void 0&&(e=new K(t,this.#r),this.#o.set(t,e),this.#n.targets.child().set(this.#o.size)),e}get(t){return this.#o.get(t)}targets(){return this.#o.values()}remove(t){let e=this.#o.get(t);e!==void 0&&(this.#d(e),this.#n.resolveErrors.remove(t),this.#o.delete(t),this.#n.targets.child().set(this.#o.size))}record(t,e,s,n){let o=this.#c(t,e),i=o.row.values;switch(t.lastSeen=n,s.type){case"reply":{let l=s.rtt/1e3;i[L]++,this.#a.observe(o.row,l),i[ft]=l,s.ttl!==null&&(i[ct]=s.ttl),this.#u(s.clock).inc(),t.history.push(s.rtt),t.lastProblem=null;return}case"duplicate":i[ht]++;return;case"timeout":i[L]++,i[dt]++,t.history.push(NaN),t.lastProblem="no reply in time";return;case"error":{i[L]++,s.from===null?i[ut]++:this.#i(o,s.icmpType,s.code,s.from).inc(),t.history.push(NaN),t.lastProblem=s.from===null?s.message:`${s.message} from ${s.from}`;return}}}corrupted(t,e,s){s>0&&(this.#c(t,e).row.values[pt]+=s)}resolveFailed(t,e){this.#n.resolveErrors.child(t.host).inc(),t.lastProblem=e,t.lastSeen=Date.now(),t.history.push(NaN)}lateSlice(){this.#n.lateSlices.child().inc()}reloaded(t){this.#n.reloads.child(t?"success":"failure").inc()}stream(t,e){return this.#h(e),this.#t.stream(t)}chunks(t,e){return this.#h(e),this.#t.chunks(t)}renderBytes(t,e){return this.#h(e),this.#t.renderBytes(t)}render(t,e){return new TextDecoder().decode(this.renderBytes(t,e))}#h(t){t!==void 0&&(this.#n.outstanding.child().set(t.outstanding),this.#n.sockets.child().set(t.sockets),this.#n.backoffs.child().set(t.sendBackoffs))}#u(t){let e=this.#l.get(t);return e===void 0&&this.#l.set(t,e=this.#n.clock.child(t)),e}#c(t,e){return t.series!==null&&t.ip===e||(t.series!==null&&this.#d(t),t.ip=e,t.series={row:this.#a.add([e,t.host,this.#e,this.#s]),icmpErrors:new Map}),t.series}#i(t,e,s,n){let o=`${e}/${s}/${n}`,i=t.icmpErrors.get(o);return i===void 0&&(i=this.#n.icmpErrors.child(...t.row.labelValues,String(e??""),String(s??""),n),t.icmpErrors.set(o,i)),i}#d(t){let e=t.series;if(e!==null){this.#a.delete(e.row);for(let s of e.icmpErrors.keys()){let[n,o,i]=s.split("/");this.#n.icmpErrors.remove(...e.row.labelValues,n==="null"?"":n,o==="null"?"":o,i)}t.series=null}}};var C=class{#t;#e;#s;#r=new AbortController;#o=new Set;#n=[];#a=[];#l={states:[],hosts:[],slices:1};#h;#u=0;#c=0;#i=0;constructor(t,e,s){this.#t=t,this.#e=e,this.#s=s}get hosts(){return this.#n}setTargets(t){let e=[...new Set(t)],s=new Set(e);for(let n of this.#n)s.has(n)||this.#e.remove(n);this.#a=e.map(n=>this.#e.target(n)),this.#n=e}start(){this.#u=performance.now(),this.#p()}async stop(){clearTimeout(this.#h),this.#r.abort(),await Promise.allSettled([...this.#o])}#d(){return this.#u+this.#c+this.#i*this.#s.period/this.#l.slices}#p(){if(this.#r.signal.aborted)return;let{period:t}=this.#s;if(this.#i===0&&(this.#l=this.#m()),performance.now()-this.#d()>t*.1&&this.#e.lateSlice(),this.#g(this.#l,this.#i),this.#i++,this.#i===this.#l.slices)for(this.#i=0,this.#c+=t;this.#u+this.#c+t<performance.now();)this.#c+=t;this.#h=setTimeout(()=>this.#p(),Math.max(0,this.#d()-performance.now()))}#m(){let t=this.#n,e=Math.max(1,Math.min(t.length,Math.floor(this.#s.period/10)));return{hosts:t,states:this.#a,slices:e}}#g(t,e){let s=t.hosts.length,n=Math.floor(e*s/t.slices),o=Math.floor((e+1)*s/t.slices);if(o<=n)return;let i=this.#b(t.hosts.slice(n,o),t.states,n,s).finally(()=>this.#o.delete(i));this.#o.add(i)}async#b(t,e,s,n){let o=this.#e,{period:i,timeout:l,size:h,ttl:a,dscp:c,source:d}=this.#s,m={count:1,rate:t.length<=32?1/0:n/(i/1e3),timeout:l,size:h,window:t.length,collect:!1,signal:this.#r.signal,onProbe:u=>{let p=e[s+u.index];p===void 0||!this.#f(p)||o.record(p,u.address,u,u.time)},onResult:u=>{let p=e[s+u.index];p===void 0||!this.#f(p)||(u.ok?o.corrupted(p,u.address,u.corrupted):o.resolveFailed(p,u.error.message))}};a!==void 0&&(m.ttl=a),c!==void 0&&(m.dscp=c),d!==void 0&&(m.source=d);try{await this.#t.pingMany(t,m)}catch(u){if(this.#r.signal.aborted)return;console.error(`miniping serve: probing failed: ${u instanceof Error?u.message:String(u)}`)}}#f(t){return this.#e.get(t.host)===t}};var Ct=`
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
`,Ot=`
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
`,mt=`<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="color-scheme" content="light dark">
<title>miniping serve</title>
<style>${Ct}</style>
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
<script>${Ot}<\/script>
</body>
</html>
`;var gt={columns:30,size:10},wt=60,Dt=200;function Ft(r){let t=(s,n)=>s.state.host<n.state.host?-1:s.state.host>n.state.host?1:0;if(r==="name")return t;let e=(s,n)=>s[n]??-1;return r==="latency"?(s,n)=>e(n.summary,"median")-e(s.summary,"median")||t(s,n):(s,n)=>e(n.summary,"loss")-e(s.summary,"loss")||e(n.summary,"p95")-e(s.summary,"p95")||t(s,n)}var X=class{#t=new Map;get(t,e,s){let n=performance.now(),o=this.#t.get(t);if(o!==void 0&&n-o.at<e)return o;for(let[l,h]of this.#t)n-h.at>=e&&this.#t.delete(l);let i={at:n,...s()};return this.#t.set(t,i),i}};function zt(r,t,e){let s=[],n=0;for(let o of r.metrics.targets())n++,!(e!==""&&!o.host.toLowerCase().includes(e)&&!o.ip.includes(e))&&s.push({state:o,summary:t==="name"?Gt:o.history.summary(wt)});return s.sort(Ft(t)),{total:n,ranked:s}}function Ut(r,t,e){let s=t.get("sort"),n=s==="name"||s==="latency"?s:"worst",o=(t.get("q")??"").trim().toLowerCase(),i=bt(t.get("limit"),1,Dt,50),l=()=>zt(r,n,o),{total:h,ranked:a}=e===void 0?l():e.get(`${n}\0${o}`,Math.min(r.period,1e3),l),c=Math.max(0,Math.floor((a.length-1)/i)*i),d=Math.min(bt(t.get("offset"),0,Number.MAX_SAFE_INTEGER,0),c),m=a.slice(d,d+i).map(({state:u})=>({host:u.host,ip:u.ip,...u.history.summary(wt),problem:u.lastProblem,columns:u.history.columns(gt.columns,gt.size)}));return{now:Date.now(),period:r.period,total:h,shown:a.length,offset:d,targets:m}}var Gt={n:0,loss:null,median:null,p95:null,last:null};function bt(r,t,e,s){let n=r===null||r===""?NaN:Number(r);return Number.isInteger(n)?Math.min(e,Math.max(t,n)):s}function yt(r){let t=new X;return e=>{if(e.method!=="GET"&&e.method!=="HEAD")return new Response(`method not allowed
`,{status:405,headers:{allow:"GET, HEAD"}});let s=new URL(e.url);switch(s.pathname){case"/metrics":{let n=Z(e.headers.get("accept")),o=e.method==="HEAD"?null:r.metrics.stream(n,r.stats());return new Response(o,{headers:{"content-type":Q[n]}})}case"/":return new Response(mt,{headers:{"content-type":"text/html; charset=utf-8","cache-control":"no-cache"}});case"/api/targets":return Response.json(Ut(r,s.searchParams,t),{headers:{"cache-control":"no-store"}});case"/healthz":return new Response(`ok
`);default:return new Response(`not found
`,{status:404})}}}function xt(r){let t=new Set;for(let e of r.split(`
`)){let s=e.replace(/#.*/,"");for(let n of s.split(/\s+/))n!==""&&t.add(n)}return[...t]}function qt(r){return`${r.size}:${r.mtime?.getTime()??0}:${r.ino??0}`}function St(r,t,e){let s=null,n=async()=>{let i;try{i=qt(await Deno.stat(r))}catch{i="missing"}s!==null&&i!==s&&i!=="missing"&&t(),s=i};n();let o=setInterval(n,e.interval);e.signal.addEventListener("abort",()=>clearInterval(o),{once:!0})}function Et(r={}){let t=new W(r);return{pingMany:(e,s)=>t.pingMany(e,s),stats:()=>t.stats(),close:()=>t.close()}}import{parseArgs as Ht}from"node:util";var y={listen:"127.0.0.1:9374",periodSeconds:1,size:z.size},Bt=.01,vt=(2**31-1)/1e3,_t=`Usage: ${E} serve [options] [HOST...]

Probe every target once per period, sends spread evenly over the period,
and serve Prometheus metrics (smokeping_prober's names) and a live page.

Options:
      --listen ADDR:PORT  where to serve (default ${y.listen});
                          /metrics, / (the page), /api/targets
  -f, --file FILE      targets file: hosts separated by spaces or lines,
                       # comments; reloaded on SIGHUP and when it changes
      --period S       time between probes of one target (default ${y.periodSeconds})
      --timeout S      how long a probe waits for its reply (default: the period)
  -s, --size N         payload bytes (default ${y.size})
      --ttl N          outgoing TTL / hop limit, ${g.ttl.min}-${g.ttl.max}
      --dscp N         DSCP code point, ${g.dscp.min}-${g.dscp.max} (label tos = DSCP << 2)
  -S, --source ADDR    send from this local address (label source)
      --socket KIND    raw, datagram or auto (default auto)
      --buckets LIST   latency histogram bounds in seconds, comma separated
                       (default smokeping_prober's: 5e-05 doubling to 26.2144)
  -h, --help           show this help

Needs --allow-ffi and --allow-net (and --allow-read for -f).
`;function kt(r,t,e){let s=Number(t);if(t.trim()===""||!Number.isFinite(s)||s<e||s>vt)throw new f(`${r} must be a number of seconds from ${e} to ${vt}, got ${JSON.stringify(t)}`);return Math.round(s*1e3)}function O(r,t,e,s){let n=Number(t);if(!/^\d+$/.test(t.trim())||n<e||n>s)throw new f(`${r} must be an integer from ${e} to ${s}, got ${JSON.stringify(t)}`);return n}function Vt(r){let t=/^(?:\[([^\]]+)\]|([^:\[\]]*)):(\d+)$/.exec(r);if(t===null)throw new f(`--listen must be ADDR:PORT or [IPV6]:PORT, got ${JSON.stringify(r)}`);let e=t[1]??t[2]??"";return{hostname:e===""?"0.0.0.0":e,port:O("--listen port",t[3],0,65535)}}function Kt(r){let t=r.split(",").map(s=>s.trim()),e=t.map(Number);for(let s=0;s<e.length;s++){if(t[s]===""||!Number.isFinite(e[s])||e[s]<=0)throw new f(`--buckets must list positive numbers of seconds, got ${JSON.stringify(t[s])}`);if(s>0&&e[s]<=e[s-1])throw new f(`--buckets must be ascending, got ${e[s-1]} before ${e[s]}`)}return e}function Nt(r){let t;try{t=Ht({args:[...r],allowPositionals:!0,strict:!0,options:{listen:{type:"string"},file:{type:"string",short:"f"},period:{type:"string"},timeout:{type:"string"},size:{type:"string",short:"s"},ttl:{type:"string"},dscp:{type:"string"},source:{type:"string",short:"S"},socket:{type:"string"},buckets:{type:"string"},help:{type:"boolean",short:"h"}}})}catch(l){throw new f(l instanceof Error?l.message:String(l))}let e=t.values;if(e.help)return{kind:"help"};let s=t.positionals;if(s.length===0&&e.file===void 0)throw new f("serve needs targets: HOST arguments or -f FILE");let n=kt("--period",e.period??String(y.periodSeconds),Bt),o=e.timeout===void 0?n:kt("--timeout",e.timeout,.001),i=e.socket??z.socket;if(!F.includes(i))throw new f(`--socket must be ${F.join(", ")}, got ${JSON.stringify(e.socket)}`);return{kind:"serve",...Vt(e.listen??y.listen),file:e.file??null,hosts:s,period:n,timeout:o,size:e.size===void 0?y.size:O("--size",e.size,0,g.size.max[6]),ttl:e.ttl===void 0?void 0:O("--ttl",e.ttl,g.ttl.min,g.ttl.max),dscp:e.dscp===void 0?void 0:O("--dscp",e.dscp,g.dscp.min,g.dscp.max),source:e.source,socket:i,buckets:e.buckets===void 0?[...Y]:Kt(e.buckets)}}var j=`${E} serve`,Yt=2,Xt=1e3;function D(r){return console.error("%s",`${j}: ${r}`),Yt}function jt(r){let t=n=>Deno.permissions.querySync(n).state==="granted";if(!t({name:"ffi"}))return"needs --allow-ffi to send ICMP (add --allow-ffi to the deno command)";let s=`${r.hostname.includes(":")?`[${r.hostname}]`:r.hostname}:${r.port}`;return t({name:"net",host:s})?r.file!==null&&!t({name:"read",path:r.file})?`needs --allow-read to read ${r.file} (add --allow-read to the deno command)`:null:`needs --allow-net to listen on ${s} (add --allow-net to the deno command)`}function Jt(r){return Et({socket:r.socket})}async function Tt(r){let t=r.file===null?[]:xt(await Deno.readTextFile(r.file));return[...new Set([...r.hosts,...t])]}async function ve(r){let t;try{t=Nt(r)}catch(o){if(!(o instanceof f))throw o;return D(`${o.message} ${J}`)}if(t.kind==="help")return console.log("%s",_t.trimEnd()),0;let e=t,s=jt(e);if(s!==null)return D(s);let n;try{n=await Tt(e)}catch(o){return D(`cannot read ${e.file}: ${o instanceof Error?o.message:String(o)}`)}return await Wt(e,n)}async function Wt(r,t){let e=new I({buckets:r.buckets,source:r.source??"",tos:(r.dscp??0)<<2}),s=Jt(r),n=new C(s,e,r);n.setTargets(t);let o=new AbortController,i;try{i=Deno.serve({hostname:r.hostname,port:r.port,signal:o.signal,onListen:({hostname:a,port:c})=>{let d=a.includes(":")?`[${a}]`:a;console.error("%s",`${j}: http://${d}:${c}/ \u2014 ${n.hosts.length} targets every ${r.period/1e3} s`)}},yt({metrics:e,period:r.period,stats:()=>s.stats()}))}catch(a){return await s.close(),D(`cannot listen on ${r.hostname}:${r.port}: ${a.message}`)}let l=async()=>{try{n.setTargets(await Tt(r)),e.reloaded(!0)}catch(a){e.reloaded(!1),console.error("%s",`${j}: reload failed, keeping ${n.hosts.length} targets: ${a.message}`)}},h=[["SIGTERM",()=>o.abort()],["SIGINT",()=>o.abort()]];r.file!==null&&(h.push(["SIGHUP",()=>void l()]),St(r.file,()=>void l(),{interval:Xt,signal:o.signal}));for(let[a,c]of h)Deno.addSignalListener(a,c);n.start(),await new Promise(a=>o.signal.addEventListener("abort",a,{once:!0}));for(let[a,c]of h)Deno.removeSignalListener(a,c);return await n.stop(),await s.close(),await i.finished,0}export{jt as missingPermission,ve as serve};
