import{a as r,b as x,c as y,d as N}from"./chunk-OPJQIV4V.js";import{a as p,b as l,c as $,h as D,l as j}from"./chunk-U4ZYIOTJ.js";var h="miniping",I=1e3,m={count:l.count,timeoutSeconds:l.timeout/I,intervalSeconds:l.interval/I,size:l.size},f=$,C=f.size.max[6],R=f.size.max[4],k=2**31-1,v=3,T=Number.MAX_SAFE_INTEGER,_=10,Q=`(see '${h} --help')`,ee=`Usage: ${h} [options] HOST                 (iputils-style, one host)
       ${h} [options] HOST HOST...        (fping-style, several hosts)
       ${h} [options] -f FILE | -f -      (fping-style, one target a line, # comments)
       ${h} [options] -g CIDR | -g START END

Send ICMP echo requests and report round-trip statistics.
Times are in seconds; fractions are allowed.

Options:
  -c, --count N|inf    probes per host (default ${m.count}); inf pings until Ctrl-C; with -w
                       and no -c: as many as fit before the deadline
  -t, --timeout S      how long each probe waits for its reply (default ${m.timeoutSeconds}).
                       -t is pyminiping's timeout, NOT iputils' TTL (that is --ttl)
  -W S                 the same as -t (iputils' name)
  -i, --interval S     time between sends to one host (default ${m.intervalSeconds})
  -s, --size N         payload bytes, 0-${C} (${R} for IPv4; default ${m.size})
      --ttl N          outgoing TTL / hop limit, ${f.ttl.min}-${f.ttl.max}
      --dscp N         DSCP code point, ${f.dscp.min}-${f.dscp.max}
  -4, -6               use IPv4 / IPv6 only
  -S, --source ADDR    send from this local address
  -I IFACE|ADDR        send through this interface (SO_BINDTODEVICE), or from ADDR
  -b, --broadcast      allow pinging a broadcast address
      --socket KIND    raw, datagram or auto (default ${l.socket})
  -w, --deadline S     stop sending after S seconds and report
      --precise        require kernel transmit and receive timestamps: stop
                       with exit status 2 if an RTT had to use user space
  -q, --quiet          no per-probe lines (also with --ndjson)
  -n, --numeric        accepted for iputils; addresses are never looked up
  -D                   print a UNIX timestamp before each probe line
  -O                   report a missing reply when the next probe goes out
  -a                   one host: ring the bell on each reply (iputils);
                       several hosts: print the alive targets only (fping)
  -u                   several hosts: print the unreachable targets only
      --flood          iputils' -f: the next probe goes out on a reply, or
                       after ${_} ms (-i) without one; a dot per request, a
                       backspace per reply. One host.
                       NOTE: -f is fping's targets file here, not flood
      --show-rtts      print every RTT after the summary
  -j, --json           print only the result, as one JSON document (an array
                       with several hosts), with each probe's outcome
      --ndjson         print one JSON object per line as probes complete
                       (with a time and the wire icmpId/icmpSeq), then one
                       summary object per host
      --no-color       no colours (also off when NO_COLOR is set or the
                       output is not a terminal)
  -h, --help           show this help
  -V, --version        show the version

Several hosts (fping mode):
  -f, --file FILE      read targets from FILE, or standard input for -
  -g, --generate       targets from a CIDR block (IPv4 or IPv6) or START END,
                       at most 1048576 addresses
      --rate N         at most N probes per second over all hosts
  Per-probe lines name the host; at the end one aligned row per host.

Statistics: jitter (summary line, -j, --ndjson) is the standard deviation of
the RTTs, as pyminiping reports it; interarrivalJitter (-j, --ndjson) is
RFC 3550's interarrival jitter, what VoIP tools call jitter.
Ctrl-\\ prints a status line and keeps going.

Exit status: 0 if a reply arrived (several hosts: if every host answered),
1 if none did (several hosts: if some did not), 2 on any other error.
With both -c and -w, 1 also when fewer than -c replies arrived in time.
`,M=[{long:"count",short:"c",value:!0},{long:"timeout",short:"t",value:!0},{long:"W",short:"W",value:!0},{long:"interval",short:"i",value:!0},{long:"size",short:"s",value:!0},{long:"ttl",value:!0},{long:"dscp",value:!0},{long:"ipv4",short:"4",value:!1},{long:"ipv6",short:"6",value:!1},{long:"source",short:"S",value:!0},{long:"I",short:"I",value:!0},{long:"broadcast",short:"b",value:!1},{long:"socket",value:!0},{long:"deadline",short:"w",value:!0},{long:"precise",value:!1},{long:"quiet",short:"q",value:!1},{long:"numeric",short:"n",value:!1},{long:"D",short:"D",value:!1},{long:"O",short:"O",value:!1},{long:"a",short:"a",value:!1},{long:"u",short:"u",value:!1},{long:"flood",value:!1},{long:"show-rtts",value:!1},{long:"json",short:"j",value:!1},{long:"ndjson",value:!1},{long:"no-color",value:!1},{long:"file",short:"f",value:!0},{long:"generate",short:"g",value:!1},{long:"rate",value:!0},{long:"help",short:"h",value:!1},{long:"version",short:"V",value:!1}],O=class{map;constructor(t){this.map=t}text(t){let n=this.map.get(t);return typeof n=="string"?n:void 0}flag(t){return this.map.get(t)===!0}},z=/^-?\d+$/,F=/^(\d*)(?:\.(\d*))?$/;function g(e,t,n,o){if(!z.test(t))throw new r(`${e} must be an integer, got "${t}"`);let s=Number(t);if(s<n)throw new r(`${e} must be \u2265 ${n}, got ${t}`);if(s>o)throw A(e,t,o);return s}function A(e,t,n,{qualifier:o="",unit:s=""}={}){return new r(`${e} ${t} is too large${o}: at most ${n}${s}`)}function b(e,t,n){if(/^-\d*\.?\d*$/.test(t)&&t!=="-")throw new r(`${e} must be ${n?"\u2265 0":"greater than 0"}, got ${t}`);let o=F.exec(t);if(o===null||t==="."||t==="")throw new r(`${e} must be a number of seconds, got "${t}"`);let s=o[1]??"",i=o[2]??"",a=s+i.slice(0,v).padEnd(v,"0"),d=i.slice(v),u=Number(d===""?a:`${a}.${d}`);if(u>k)throw A(e,t,k/I,{unit:" seconds"});if(u===0&&!n)throw new r(`${e} must be greater than 0, got ${t}`);return u}function te(e){let{values:t,positionals:n}=x(e,M),o=new O(t);return o.flag("help")?{kind:"help"}:o.flag("version")?{kind:"version"}:(c(o,["ipv4","-4"],["ipv6","-6"]),c(o,["json","--json"],["ndjson","--ndjson"]),c(o,["a","-a"],["u","-u"]),c(o,["timeout","-t"],["W","-W"]),c(o,["source","-S"],["I","-I"]),o.text("file")!==void 0||o.flag("generate")||n.length>1?H(o,n):G(o,n))}function c(e,[t,n],[o,s]){if(e.map.has(t)&&e.map.has(o))throw new r(`${n} and ${s} exclude each other`)}function G(e,t){if(t.length===0)throw new r("missing HOST");let n=t[0];if(n.trim()==="")throw new r("HOST must not be empty");for(let[i,a]of[["u","-u"],["rate","--rate"]])if(e.map.has(i))throw new r(`${a} needs several hosts (more than one HOST, -f or -g)`);let o=e.flag("flood"),s=P(e,o?_:void 0);return{kind:"ping",host:n,...s,showRtts:e.flag("show-rtts"),precise:e.flag("precise"),bell:e.flag("a"),outstanding:e.flag("O"),flood:o}}function H(e,t){for(let[s,i]of[["flood","--flood"],["O","-O"],["precise","--precise"],["show-rtts","--show-rtts"]])if(e.map.has(s))throw new r(`${i} works with one HOST only`);let n={kind:"sweep",targets:W(e,t),...P(e,void 0),filter:e.flag("a")?"alive":e.flag("u")?"unreachable":"all"},o=e.text("rate");return o!==void 0&&(n.rate=q("--rate",o)),n}function W(e,t){let n=e.text("file");if(n!==void 0&&e.flag("generate"))throw new r("-f and -g exclude each other");if(n!==void 0){if(t.length>0)throw new r(`-f takes the targets from ${n}, got HOST ${t[0]} too`);if(n==="")throw new r("-f needs a file name, or - for standard input");return{kind:"file",path:n}}if(e.flag("generate"))return{kind:"generate",range:N(t)};for(let o of t)if(o.trim()==="")throw new r("HOST must not be empty");return{kind:"list",hosts:t}}function q(e,t){let n=Number(t);if(!/^\d*\.?\d+$|^\d+\.$/.test(t))throw new r(`${e} must be a number, got "${t}"`);if(n<=0)throw new r(`${e} must be greater than 0, got ${t}`);return n}function P(e,t){let n=e.flag("ipv4")?4:e.flag("ipv6")?6:void 0,o=e.text("timeout")??e.text("W"),s=o===void 0?l.timeout:b(e.map.has("W")?"-W":"--timeout",o,!1),i=e.text("interval"),a=i===void 0?t??l.interval:b("--interval",i,!0),d=e.text("deadline"),u=d===void 0?null:b("--deadline",d,!1),E=e.text("size"),L=E===void 0?l.size:g("--size",E,0,n===4?R:C),w=e.text("count"),S={count:w!==void 0?U(w):t!==void 0&&u!==null?T:V(u,a),timeout:s,interval:a,size:L};return n!==void 0&&(S.family=n),K(e,S),{options:S,countGiven:w!==void 0,deadline:u,output:e.flag("json")?"json":e.flag("ndjson")?"ndjson":"human",quiet:e.flag("quiet"),color:!e.flag("no-color"),timestamps:e.flag("D")}}function U(e){if(e==="inf")return T;if(e==="0")throw new r("--count must be \u2265 1, got 0 (--count inf pings until Ctrl-C)");return g("--count",e,1,T)}function V(e,t){if(e===null)return l.count;if(t===0)throw new r("--deadline without --count needs an --interval greater than 0");return Math.floor(e/t)+1}function K(e,t){let n=e.text("ttl");n!==void 0&&(t.ttl=g("--ttl",n,f.ttl.min,f.ttl.max));let o=e.text("dscp");o!==void 0&&(t.dscp=g("--dscp",o,f.dscp.min,f.dscp.max));let s=e.text("source");if(s!==void 0){if(s.trim()==="")throw new r("--source must not be empty");t.source=s}let i=e.text("I");if(i!==void 0){if(i.trim()==="")throw new r("-I needs an interface name or a local address");y(i)?t.source=i:t.interface=i}e.flag("broadcast")&&(t.broadcast=!0);let a=e.text("socket");if(a!==void 0){let d=p.find(u=>u===a);if(d===void 0)throw new r(`--socket must be one of ${p.join(", ")}, got "${a}"`);t.socket=d}e.flag("precise")&&(t.kernelTimestamps=!0)}function se(e,t={}){return j(D(),e,t)}export{h as a,Q as b,ee as c,A as d,te as e,se as f};
