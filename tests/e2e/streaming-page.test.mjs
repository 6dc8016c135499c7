// The streaming lab (#/labs/streaming), opened from the home map's Streaming track: play the
// click stream, send a click 30 s late and see it in the job's late list and in the timeline's
// legend, crash the job a few seconds after a checkpoint and restart it under at-least-once and
// see rows marked as duplicates, then switch to exactly-once (the job redeploys) and do the same
// crash without a single duplicate. A query that is not windowed is refused beside the editor
// with its hint, and nothing is journaled. At desktop and phone sizes, with no console error and
// no sideways scrolling.
import { test } from "node:test";
import assert from "node:assert/strict";
import { join } from "node:path";
import { setup, openPage, go, done, overflowOf, SHOTS } from "./harness.mjs";

setup();

const screen = (page, name) => page.screenshot({ path: join(SHOTS, `${name}.png`) });
const widgetShot = (page, widget, name) =>
  page.locator(`[data-widget="${widget}"]`).screenshot({ path: join(SHOTS, `${name}.png`) });
const tick = async (page) => Number(await page.getAttribute(".stream-job-graph", "data-tick"));
const journalCount = (page) => page.locator(".journal-list li").count();

/** Plays at 100 ticks/s until the lab reaches `target`, then pauses. */
async function playTo(page, target) {
  await page.click(".tc-play");
  await page.waitForFunction(
    (t) => Number(document.querySelector(".stream-job-graph")?.dataset.tick) >= t,
    target,
    { timeout: 60000 },
  );
  await page.click(".tc-play");
}

/** Steps one tick at a time until `ok(tick)`. */
async function stepUntil(page, ok) {
  for (let i = 0; i < 200 && !ok(await tick(page)); i++) await page.click(".tc-step");
}

/** Crashes the job 5 to 9 s after a checkpoint (checkpoints every 10 s: a window has fired since
 * the last one), waits a second, restarts it and lets it catch up for 20 s. */
async function crashAndRestart(page) {
  await stepUntil(page, (t) => t % 100 >= 50 && t % 100 < 90);
  await page.click(".stream-crash");
  await page.waitForSelector('.stream-job-graph[data-status="crashed"]');
  assert.match(await page.textContent(".stream-freshness-now"), /job crashed/);
  for (let i = 0; i < 10; i++) await page.click(".tc-step");
  await page.click(".stream-restart");
  await page.waitForSelector('.stream-job-graph[data-status="running"]');
  await playTo(page, (await tick(page)) + 200);
}

for (const [width, height, colorScheme] of [[1280, 800, "light"], [390, 844, "dark"]]) {
  test(`the streaming lab at ${width}x${height} (${colorScheme}): late click, crash, exactly-once`, async () => {
    const page = await openPage({ width, height, colorScheme });
    await page.addInitScript(() => localStorage.clear());
    // The home map's Streaming track links the lab and lists its lessons.
    await go(page, "#/");
    assert.ok((await page.locator('[data-track="Streaming"] .level').count()) >= 2, "the Streaming track lists its lessons");
    await page.click('[data-track="Streaming"] .track-lab');
    await page.waitForSelector(".stream-job-graph svg");
    assert.match(page.url(), /#\/labs\/streaming$/);
    assert.equal(await page.textContent("main h1"), "Stream processing lab");
    await page.selectOption(".tc-speed select", "100");
    await playTo(page, 320);
    await page.waitForSelector(".stream-output-table .stream-row");
    await screen(page, `streaming-${width}-top`);

    // A query without a window is refused where it was typed, and nothing is journaled.
    const journaled = await journalCount(page);
    await page.fill(".stream-query-text", "SELECT user_id, count(*) FROM clicks GROUP BY user_id");
    await page.click(".stream-apply-query");
    await page.waitForSelector(".stream-query .stream-refusal");
    assert.match(await page.textContent(".stream-query .stream-refusal"), /Hint:/);
    assert.equal(await journalCount(page), journaled, "a refused query is not journaled");

    // A click 30 s late: the watermark has passed every window it belongs to, so it is dropped.
    await page.fill(".stream-click-user", "late1");
    await page.fill(".stream-late-by", "30");
    await page.click(".stream-click-late");
    await page.click(".stream-click-send");
    await page.waitForSelector(".stream-click-sent");
    assert.match(await page.textContent(".stream-click-sent"), /late1/);
    for (let i = 0; i < 5; i++) await page.click(".tc-step");
    await page.waitForFunction(() =>
      [...document.querySelectorAll(".stream-late-row")].some((r) => r.textContent.includes("late1")));
    const legend = await page.textContent(".stl-legend-late");
    assert.ok(Number(/\((\d+)\)/.exec(legend)[1]) >= 1, legend);
    assert.ok((await page.locator(".stl-svg circle.stl-late").count()) >= 1, "the late click is drawn in its colour");
    await widgetShot(page, "stream-timeline", `streaming-${width}-timeline`);

    // A paused partition gets no more clicks: the graph says so, until it is resumed.
    await page.click('.stream-pause[data-partition="1"]');
    await page.waitForSelector('.sg-source.sg-paused[data-partition="1"]');
    await page.click('.stream-pause[data-partition="1"]');
    await page.waitForSelector('.sg-source.sg-active[data-partition="1"]');

    // At-least-once (the default): a crash and a restart from the last checkpoint repeat rows.
    assert.equal(await page.getAttribute(".stream-job-graph", "data-guarantee"), "at-least-once");
    await crashAndRestart(page);
    await page.click('.stream-filter[data-filter="duplicates"]');
    await page.waitForSelector(".stream-output-table .stream-duplicate");
    assert.match(await page.textContent(".stream-output-table .stream-duplicate"), /duplicate/);
    await widgetShot(page, "stream-output", `streaming-${width}-duplicates`);
    await widgetShot(page, "stream-freshness", `streaming-${width}-freshness`);

    // Exactly-once: the job redeploys; the same crash writes nothing twice.
    await page.selectOption(".stream-guarantee", "exactly-once");
    await page.waitForSelector('.stream-job-graph[data-guarantee="exactly-once"]');
    await playTo(page, (await tick(page)) + 300);
    await crashAndRestart(page);
    await page.click('.stream-filter[data-filter="all"]');
    await page.waitForSelector(".stream-output-table .stream-row");
    assert.equal(await page.locator(".stream-output-table .stream-duplicate").count(), 0, "no duplicate under exactly-once");
    assert.match(await page.textContent('.stream-filter[data-filter="duplicates"]'), /\(0\)/);
    await widgetShot(page, "stream-job-graph", `streaming-${width}-graph`);
    await widgetShot(page, "stream-controls", `streaming-${width}-controls`);

    assert.ok((await overflowOf(page)) <= 0, "no sideways scrolling");
    await page.screenshot({ path: join(SHOTS, `streaming-${width}-full.png`), fullPage: true });
    await done(page);
  });
}
