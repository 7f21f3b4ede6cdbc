/**
 * Debian's real Prometheus scrapes `miniping serve` in the namespace lab, once
 * a second, and PromQL through its HTTP API sees what the lab's targets do:
 * a live target, a blackhole, a prohibited prefix, a TTL-exceeded path, a name
 * that does not resolve, and two vantage points.
 */
import { deepEqual, ok } from "node:assert/strict";
import { Lab, labSkip } from "./lab/lab.ts";
import { drive, needProgram, spawnServe } from "./serve_lab.ts";
import type { Sample } from "./serve_http_driver.ts";

const skip = await labSkip() || needProgram("prometheus", "prometheus");

function one(samples: Sample[] | undefined, what: string): Sample {
  ok(samples !== undefined && samples.length === 1, `${what}: expected one sample, got ${JSON.stringify(samples)}`);
  return samples[0]!;
}

Deno.test({
  name: "serve: Prometheus sees loss, median, ICMP errors and two vantage points in the lab",
  ignore: skip,
  sanitizeResources: false,
  sanitizeOps: false,
  fn: async () => {
    await using lab = await Lab.create({ name: "prom" });
    const a = lab.addresses;
    const dir = await Deno.makeTempDir({ prefix: "miniping-serve-prom-" });
    try {
      const targets = `${dir}/targets.txt`;
      await Deno.writeTextFile(
        targets,
        `# the lab\n${a.target4}\n${a.blackhole4} ${a.prohibit4}\nno-such-host.invalid\n`,
      );
      await Deno.writeTextFile(
        `${dir}/prometheus.yml`,
        [
          "global: {scrape_interval: 1s, scrape_timeout: 1s, evaluation_interval: 1s}",
          "scrape_configs:",
          "  - job_name: miniping",
          "    static_configs:",
          "      - {targets: ['127.0.0.1:9374'], labels: {vantage: h}}",
          "      - {targets: ['127.0.0.1:9375'], labels: {vantage: h_ttl2}}",
          `      - {targets: ['${a.router1_4}:9374'], labels: {vantage: r1}}`,
          "",
        ].join("\n"),
      );
      spawnServe(lab, "h", ["--listen", "127.0.0.1:9374", "-f", targets, a.target6]);
      spawnServe(lab, "h", ["--listen", "127.0.0.1:9375", "--ttl", "2", a.target4]);
      spawnServe(lab, "r1", ["--listen", `${a.router1_4}:9374`, a.target4]);
      lab.spawn("h", [
        "prometheus",
        `--config.file=${dir}/prometheus.yml`,
        `--storage.tsdb.path=${dir}/data`,
        "--web.listen-address=127.0.0.1:9090",
        "--log.level=warn",
      ], { stderr: "inherit" });

      const h = 'vantage="h"';
      const live = `host="${a.target4}"`;
      const window = "[15s]";
      const loss = (sel: string) =>
        `1 - increase(smokeping_response_duration_seconds_count{${sel}}${window}) / increase(smokeping_requests_total{${sel}}${window})`;
      const out = await drive(lab, "h", {
        wait: ["http://127.0.0.1:9090/-/ready"],
        prometheus: "http://127.0.0.1:9090",
        until: [
          // Eight probes of every kind, so the 15 s windows below have data.
          `smokeping_response_duration_seconds_count{${h},${live}} >= 8`,
          `smokeping_requests_total{${h},host="${a.blackhole4}"} >= 8`,
          `smokeping_requests_total{vantage="h_ttl2"} >= 8`,
          `smokeping_response_duration_seconds_count{vantage="r1"} >= 8`,
          `miniping_resolve_errors_total{${h}} >= 3`,
        ],
        queries: {
          up: `up{job="miniping"} == 1`,
          lossLive: loss(`${h},${live}`),
          lossLive6: loss(`${h},host="${a.target6}"`),
          lossBlackhole: loss(`${h},host="${a.blackhole4}"`),
          lossProhibit: loss(`${h},host="${a.prohibit4}"`),
          lossTtl: loss(`vantage="h_ttl2"`),
          q50: `histogram_quantile(0.5, rate(smokeping_response_duration_seconds_bucket{${h},${live}}${window}))`,
          mean:
            `rate(smokeping_response_duration_seconds_sum{${h},${live}}${window}) / rate(smokeping_response_duration_seconds_count{${h},${live}}${window})`,
          prohibit: `miniping_icmp_errors_total{${h},host="${a.prohibit4}"}`,
          timeExceeded: `miniping_icmp_errors_total{vantage="h_ttl2"}`,
          blackholeTimeouts: `increase(miniping_timeouts_total{${h},host="${a.blackhole4}"}${window})`,
          unresolved: `miniping_resolve_errors_total{${h}}`,
          // One query across both vantage points: r1 is one hop nearer t, so its replies keep one more TTL.
          vantageTtl:
            `smokeping_response_ttl{vantage="r1",${live}} - ignoring(vantage, instance) smokeping_response_ttl{${h},${live}}`,
          vantageMedian:
            `histogram_quantile(0.5, sum by (vantage, le) (rate(smokeping_response_duration_seconds_bucket{vantage=~"h|r1",${live}}${window})))`,
        },
        deadlineMs: 45_000,
      });
      const r = out.results;
      console.log(`waited ${Math.round(out.waitedMs)} ms for data; results:`);
      for (const [name, samples] of Object.entries(r)) {
        console.log(`  ${name}: ${samples.map((s) => `${JSON.stringify(s.metric)} ${s.value}`).join("; ")}`);
      }

      deepEqual(r.up!.length, 3, "Prometheus scrapes all three instances (OpenMetrics parsed)");
      ok(one(r.lossLive, "lossLive").value < 0.05, "no loss to the live target");
      ok(one(r.lossLive6, "lossLive6").value < 0.05, "no loss to the live IPv6 target");
      deepEqual(one(r.lossBlackhole, "lossBlackhole").value, 1);
      deepEqual(one(r.lossProhibit, "lossProhibit").value, 1);
      deepEqual(one(r.lossTtl, "lossTtl").value, 1);
      ok(one(r.blackholeTimeouts, "blackholeTimeouts").value > 0);

      // The lab answers in well under 2 ms; the median sits in the same doubling bucket as the mean.
      const q50 = one(r.q50, "q50").value;
      const mean = one(r.mean, "mean").value;
      ok(q50 > 0 && q50 < 0.002, `median ${q50} s is a lab RTT`);
      ok(q50 / mean < 4 && mean / q50 < 4, `median ${q50} s and mean ${mean} s agree`);

      const prohibit = one(r.prohibit, "prohibit");
      deepEqual(
        [prohibit.metric.icmp_type, prohibit.metric.icmp_code, prohibit.metric.router],
        ["3", "13", a.router1_4],
      );
      const exceeded = one(r.timeExceeded, "timeExceeded");
      deepEqual([exceeded.metric.icmp_type, exceeded.metric.router], ["11", a.router2_4]);
      ok(exceeded.value >= 8);
      deepEqual(one(r.unresolved, "unresolved").metric.host, "no-such-host.invalid");

      deepEqual(one(r.vantageTtl, "vantageTtl").value, 1);
      deepEqual(r.vantageMedian!.map((s) => s.metric.vantage).sort(), ["h", "r1"]);
      ok(r.vantageMedian!.every((s) => s.value > 0 && s.value < 0.002), "a lab median per vantage point");
    } finally {
      await lab[Symbol.asyncDispose]();
      await Deno.remove(dir, { recursive: true });
    }
  },
});
