// The pipeline lab's frame cost while everything runs (issue 17's evidence): open #/labs/pipeline,
// deploy v2 so the canary, its analysis and the A/B reading run too, keep a panel open, and play for
// 8 s at the lab's default speed (10 ticks/s: the pipeline's real time) and at the fastest
// (100 ticks/s), timing every update of the page and every animation frame (tests/e2e/frame_cost.mjs
// says how), at 1280x800 and 390x844. The Kafka lab playing under load is measured the same way in
// the same run, as the peer. The numbers are printed as a table and written to
// target/bench-pipeline-frames.md, never asserted (a shared machine's times move); what is asserted
// is that the measurement measured something: the clock advanced, the graph changed, updates and
// frames were recorded, and the page stayed within the screen without console errors.
import { test, after } from "node:test";
import assert from "node:assert/strict";
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { setup, openPage, go, shot, done, overflowOf, ROOT } from "./harness.mjs";
import { instrumentTimers, loadKafkaPeer, playAndMeasure, frameRow, stats, FRAME_TABLE_HEAD } from "./frame_cost.mjs";

setup();

const SECONDS = 8;
const rows = [];

after(() => {
  if (rows.length === 0) return;
  const table = `${FRAME_TABLE_HEAD.replace("playing at 100 ticks/s", "playing")}\n${rows.join("\n")}\n`;
  console.log(`\n### Pipeline lab frame cost (headless Chromium)\n\n${table}`);
  writeFileSync(join(ROOT, "target", "bench-pipeline-frames.md"), table);
});

for (const [width, height] of [[1280, 800], [390, 844]]) {
  test(`the pipeline lab runs everything and its frame cost is measured at ${width}x${height}`, async () => {
    const page = await openPage({ width, height, init: instrumentTimers });
    await page.addInitScript(() => localStorage.clear());
    await go(page, "#/labs/pipeline");
    await page.waitForSelector(".pipe-graph .pipe-node");
    // Release v2 through the canary, then keep the job's panel (with its chart) open.
    await page.click('.pipe-node[data-node="models"] .pipe-node-button');
    await page.click("#pipe-panel .pipe-deploy");
    await page.click('.pipe-node[data-node="job"] .pipe-node-button');
    await page.waitForSelector("#pipe-panel .pipe-job");
    for (const speed of ["10", "100"]) {
      const graphBefore = await page.textContent(".pipe-graph");
      const result = await playAndMeasure(page, { seconds: SECONDS, speed });
      assert.ok(result.to > result.from, `the clock advanced while playing (${result.from} to ${result.to})`);
      assert.ok(result.updates.length > 0 && result.frames.length > 0, "updates and frames were timed");
      assert.notEqual(await page.textContent(".pipe-graph"), graphBefore, "the graph changed while the lab played");
      rows.push(frameRow(`#/labs/pipeline at ${width}x${height}, ${speed} ticks/s, v2 in its canary`, result));
      const u = stats(result.updates);
      console.log(`pipeline lab ${width}x${height} at ${speed} ticks/s: ${result.to - result.from} ticks, update p50 ${u.p50.toFixed(1)} ms, p95 ${u.p95.toFixed(1)} ms`);
    }
    const overflow = await overflowOf(page);
    assert.ok(overflow <= 1, `the page scrolls sideways by ${overflow}px`);
    await shot(page, `bench-pipeline-${width}`);
    await done(page);
  });
}

for (const speed of ["10", "100"]) {
  test(`the peer: the Kafka lab playing at ${speed} ticks/s under load, measured the same way`, async () => {
    const page = await openPage({ width: 1280, height: 800, init: instrumentTimers });
    await page.addInitScript(() => localStorage.clear());
    await go(page, "#/labs/broker");
    await loadKafkaPeer(page);
    const result = await playAndMeasure(page, { seconds: SECONDS, speed });
    assert.ok(result.to > result.from, "the clock advanced while playing");
    assert.ok(result.updates.length > 0 && result.frames.length > 0);
    rows.push(frameRow(`peer: #/labs/broker at 1280x800, ${speed} ticks/s, 100 records per tick, a group of two`, result));
    await done(page);
  });
}
