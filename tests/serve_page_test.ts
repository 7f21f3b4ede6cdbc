/**
 * Debian's headless Chromium loads the live page of `miniping serve` running
 * in the namespace lab: the charts and numbers of a live and a dead target
 * appear, update without a reload, and the page fits a phone in dark mode.
 * Screenshots are kept in `.test-artifacts/` (gitignored).
 */
import { deepEqual, ok } from "node:assert/strict";
import { Lab, labSkip } from "./lab/lab.ts";
import { needProgram, spawnServe } from "./serve_lab.ts";
import type { PageReport, PageRequest } from "./serve_page_driver.ts";

const skip = await labSkip() || needProgram("chromium", "chromium");
const DRIVER = new URL("./serve_page_driver.ts", import.meta.url).pathname;
const ARTIFACTS = new URL("../.test-artifacts", import.meta.url).pathname;

Deno.test({
  name: "serve: the page shows and updates a live and a dead target, on a desktop and on a dark phone",
  ignore: skip,
  sanitizeResources: false,
  sanitizeOps: false,
  fn: async () => {
    await using lab = await Lab.create({ name: "page" });
    const { target4: live, blackhole4: dead } = lab.addresses;
    await Deno.mkdir(ARTIFACTS, { recursive: true });
    spawnServe(lab, "h", ["--listen", "127.0.0.1:9374", "--period", "0.5", live, dead]);
    const request: PageRequest = {
      url: "http://127.0.0.1:9374/",
      hosts: [live, dead],
      artifacts: ARTIFACTS,
      gapMs: 1500,
      deadlineMs: 40_000,
    };
    const result = await lab.exec("h", [Deno.execPath(), "run", "--quiet", "--allow-all", DRIVER], {
      stdin: JSON.stringify(request),
      timeoutMs: 60_000,
    });
    ok(result.code === 0, `page driver failed (${result.code}): ${result.stderr.trim()}`);
    const report: PageReport = JSON.parse(result.stdout);
    console.log(JSON.stringify(report.second, null, 1), report.order, report.phone, report.screenshots);

    for (const read of [report.first, report.second]) {
      const l = read[live]!;
      const d = read[dead]!;
      deepEqual([l.ip, l.loss, d.ip, d.loss], [live, "0 %", dead, "100 %"]);
      ok(/^\d+\.\d+ ms$/.test(l.median) && /^\d+\.\d+ ms$/.test(l.p95), `live median/p95 shown: ${l.median} ${l.p95}`);
      deepEqual([d.median, d.p95], ["–", "–"]);
      ok(l.inked > 0 && l.green > 0 && l.red === 0, `live chart drawn in green: ${JSON.stringify(l)}`);
      ok(d.red > 0 && d.green === 0, `dead chart drawn in red: ${JSON.stringify(d)}`);
    }
    for (const host of [live, dead]) {
      ok(report.second[host]!.probes > report.first[host]!.probes, `${host}'s numbers updated`);
    }
    deepEqual(report.order, [dead, live], "worst first");
    ok(
      report.phone.scrollWidth <= report.phone.innerWidth,
      `no sideways scrolling on a phone: ${JSON.stringify(report.phone)}`,
    );
    deepEqual(report.darkBackground, "rgb(17, 17, 17)");
  },
});
