// The streaming lab's frame cost while it plays (issue 14's "frame cost of the streaming page while
// it runs"): open #/labs/streaming, play at the fastest speed (100 ticks/s: 10 s of lab time per
// second) for 8 s and time every update of the page and every animation frame (tests/e2e/
// frame_cost.mjs says how). The Kafka lab playing at the same speed is measured the same way in the
// same run, as the peer. The numbers are printed as a table and written to
// target/bench-streaming-frames.md, never asserted: a shared machine's times move. What is
// asserted is that the measurement measured something: the clock advanced, the job's input and
// output moved, updates and frames were recorded, and the page stayed within the screen and
// without console errors at desktop and phone sizes. Also: the bench page's windowed aggregation
// (events per second through the stream operator in WebAssembly) gives the native answer.
import { test, after } from "node:test";
import assert from "node:assert/strict";
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { setup, openPage, go, shot, done, overflowOf, ROOT } from "./harness.mjs";
import { instrumentTimers, loadKafkaPeer, playAndMeasure, frameRow, stats, FRAME_TABLE_HEAD } from "./frame_cost.mjs";

setup();

const SECONDS = 8;
const WIDGETS = ["stream-controls", "stream-job-graph", "stream-timeline", "stream-output", "stream-freshness"];
const rows = [];

after(() => {
  if (rows.length === 0) return;
  const table = `${FRAME_TABLE_HEAD}\n${rows.join("\n")}\n`;
  console.log(`\n### Streaming lab frame cost (headless Chromium)\n\n${table}`);
  writeFileSync(join(ROOT, "target", "bench-streaming-frames.md"), table);
});

for (const [width, height] of [[1280, 800], [390, 844]]) {
  test(`the streaming lab plays at 100 ticks/s and its frame cost is measured at ${width}x${height}`, async () => {
    const page = await openPage({ width, height, init: instrumentTimers });
    await page.addInitScript(() => localStorage.clear());
    await go(page, "#/labs/streaming");
    for (const widget of WIDGETS) await page.waitForSelector(`[data-widget="${widget}"]`, { timeout: 60000 });
    const graphBefore = await page.textContent('[data-widget="stream-job-graph"]');
    const result = await playAndMeasure(page, { seconds: SECONDS });
    assert.ok(result.to > result.from, `the clock advanced while playing (${result.from} to ${result.to})`);
    assert.ok(result.updates.length > 0, "page updates were timed");
    assert.ok(result.frames.length > 0, "animation frames were timed");
    const graphAfter = await page.textContent('[data-widget="stream-job-graph"]');
    assert.notEqual(graphAfter, graphBefore, "the job graph changed while the lab played");
    rows.push(frameRow(`#/labs/streaming at ${width}x${height}`, result));
    const u = stats(result.updates);
    console.log(`streaming lab ${width}x${height}: ${result.to - result.from} ticks, update p50 ${u.p50.toFixed(1)} ms, p95 ${u.p95.toFixed(1)} ms`);
    const overflow = await overflowOf(page);
    assert.ok(overflow <= 1, `the page scrolls sideways by ${overflow}px`);
    await shot(page, `bench-streaming-${width}`);
    await done(page);
  });
}

// The bench page's windowed aggregation gives the native answer (`lab-bench stream`'s checksum; the
// events and the aggregation are deterministic, so WebAssembly must reproduce it exactly).
const NATIVE = "102587 rows, checksum 27676623823";

for (const [width, height] of [[1280, 800], [390, 844]]) {
  test(`the streaming benchmark runs on #/bench and matches the native answer at ${width}px`, async () => {
    const page = await openPage({ width, height });
    await go(page, "#/bench");
    await page.click(".bench-stream");
    await page.waitForSelector(".stream-table", { timeout: 300000 });
    const cells = await page.$$eval(".stream-table tbody tr", (trs) => trs.map((tr) => [...tr.cells].map((c) => c.textContent)));
    assert.match(cells[0][1], /^1000000 events, 10000 keys, 4 partitions/);
    for (const [i, name] of [[2, "WindowedAggregate"], [3, "streaming SQL"], [4, "peer: batch GROUP BY"]]) {
      assert.ok(cells[i][0].startsWith(name), cells[i][0]);
      assert.match(cells[i][1], /^[0-9.]+ M events\/s \(/);
      assert.ok(cells[i][1].endsWith(NATIVE), cells[i][1]);
    }
    assert.equal(cells[7][1], "0; yes");
    const overflow = await overflowOf(page);
    assert.ok(overflow <= 1, `the page scrolls sideways by ${overflow}px`);
    await page.locator(".stream-table").scrollIntoViewIfNeeded();
    await shot(page, `bench-stream-${width}`);
    await done(page);
  });
}

test("the peer: the Kafka lab playing at 100 ticks/s under load, measured the same way", async () => {
  const page = await openPage({ width: 1280, height: 800, init: instrumentTimers });
  await page.addInitScript(() => localStorage.clear());
  await go(page, "#/labs/broker");
  await loadKafkaPeer(page);
  const result = await playAndMeasure(page, { seconds: SECONDS });
  assert.ok(result.to > result.from, "the clock advanced while playing");
  assert.ok(result.updates.length > 0 && result.frames.length > 0);
  rows.push(frameRow("peer: #/labs/broker at 1280x800, 100 records per tick, a group of two", result));
  await done(page);
});
