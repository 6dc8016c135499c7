// Narrated steps (issue 12): a steps block plays one step at a time on the lab's clock with a
// caption, stops at its key moments until Continue, and ends with the journal "Skip to the end"
// writes; a failover preset opens paused just before the failure with "Play the failure".
// Viewport screenshots go to target/e2e-screenshots/.
import { test } from "node:test";
import assert from "node:assert/strict";
import { join } from "node:path";
import { SHOTS, setup, openPage, go, status, statusBecomes, done, overflowOf } from "./harness.mjs";

setup();

/** The journal this page saved (share-link text), once it is saved at `tick`. */
async function savedJournal(page, key) {
  return page.evaluate((k) => localStorage.getItem(k), key);
}

async function momentCaption(page) {
  await page.waitForSelector('.narration[data-mode="moment"]', { timeout: 20000 });
  return (await page.textContent(".narration-moment")).trim();
}

test("a lesson's steps play with captions, stop at each key moment, and journal what 'Skip to the end' does", async () => {
  for (const [width, height] of [[1280, 800], [390, 844]]) {
    const page = await openPage({ width, height });
    await go(page, "#/lessons/kafka-delivery");
    await page.click(".narration-play");
    await page.waitForFunction(() => /consumer to g/.test(document.querySelector(".narration-text")?.textContent), null, { timeout: 5000 });
    assert.equal(await page.getAttribute(".narration", "data-mode"), "playing", "the first step is captioned while playing");
    assert.equal(await page.evaluate(() => document.activeElement?.className), "narration-pause", "focus follows the bar to the bottom of the window");
    assert.equal(await page.locator(".narration-pause svg.icon[aria-hidden=true]").count(), 1, "Pause shows an SVG icon");
    assert.match(await momentCaption(page), /not committed them yet/);
    assert.equal(await status(page), "tick 5 (live)", "the first key moment comes before the crash");
    assert.match(await page.textContent(".step-line.is-current"), /^pause "Consumer 1 has fetched/);
    const overflow = await overflowOf(page);
    assert.ok(overflow <= 1, `the narration at ${width}px scrolls sideways by ${overflow}px`);
    await page.screenshot({ path: join(SHOTS, `narration-lesson-moment-${width}x${height}.png`) });
    // Pause holds the clock; Continue plays on.
    await page.click(".narration-continue");
    await page.click(".narration-pause");
    assert.equal(await page.getAttribute(".narration", "data-mode"), "paused");
    const held = await status(page);
    await page.waitForTimeout(400);
    assert.equal(await status(page), held, "a paused narration does not move the clock");
    await page.click(".narration-continue");
    assert.match(await momentCaption(page), /session timed out/);
    assert.equal(await status(page), "tick 35 (live)");
    await page.click(".narration-continue");
    await page.waitForSelector('.narration[data-mode="finished"]', { timeout: 20000 });
    assert.equal(await statusBecomes(page, "tick 45 (live)"), "tick 45 (live)");
    await page.waitForSelector('[data-goal="at-least-once"].goal-done');
    const played = await savedJournal(page, "flowlab.lab.lesson.kafka-delivery");
    await done(page);

    const skipper = await openPage({ width, height });
    await go(skipper, "#/lessons/kafka-delivery");
    await skipper.click(".run-steps");
    assert.equal(await statusBecomes(skipper, "tick 45 (live)"), "tick 45 (live)");
    await skipper.waitForFunction(() => localStorage.getItem("flowlab.lab.lesson.kafka-delivery"));
    assert.ok(played, "the played lab was saved");
    assert.equal(await savedJournal(skipper, "flowlab.lab.lesson.kafka-delivery"), played, "playing and skipping journal the same");
    await done(skipper);
  }
});

test("a failover preset opens paused just before the failure, and 'Play the failure' narrates the rest", async () => {
  for (const [width, height] of [[1280, 800], [390, 844]]) {
    const page = await openPage({ width, height });
    await go(page, "#/labs/replication");
    await page.click('[data-preset="failover-unclean-truncation"]');
    await page.waitForSelector('.narration[data-mode="ready"]');
    assert.equal((await page.textContent(".narration-play")).trim(), "Play the failure");
    assert.match(await page.textContent(".narration-text"), /It is about to die/);
    assert.equal(await page.textContent(".narration-where"), "Just before the failure");
    assert.equal(await status(page), "tick 118 (live)");
    assert.equal(await page.locator(".preset-goal.is-met").count(), 0, "the goal waits for the failure");
    assert.match(await page.textContent(".notice"), /Scenario ready: 9 of 19 steps ran to tick 118, just before the failure/);
    await page.locator(".narrator").scrollIntoViewIfNeeded();
    await page.screenshot({ path: join(SHOTS, `narration-preset-ready-${width}x${height}.png`) });
    await page.selectOption(".tc-speed select", "100");
    await page.click(".narration-play");
    assert.match(await momentCaption(page), /elects broker 2 \(LEO 100\), out of sync/);
    assert.equal(await status(page), "tick 192 (live)");
    assert.match(await page.textContent(".election-timeline"), /unclean election/);
    await page.screenshot({ path: join(SHOTS, `narration-preset-election-${width}x${height}.png`) });
    await page.click(".run-steps");
    await page.waitForSelector('.narration[data-mode="finished"]');
    await page.waitForSelector(".preset-goal.is-met");
    assert.equal(await statusBecomes(page, "tick 243 (live)"), "tick 243 (live)");
    const played = await savedJournal(page, "flowlab.lab.lab.replication");
    await done(page);

    const skipper = await openPage({ width, height });
    await go(skipper, "#/labs/replication");
    await skipper.click('[data-preset="failover-unclean-truncation"]');
    await skipper.click(".run-steps");
    await skipper.waitForSelector(".preset-goal.is-met");
    assert.equal(await statusBecomes(skipper, "tick 243 (live)"), "tick 243 (live)");
    assert.ok(played, "the played lab was saved");
    await skipper.waitForFunction((p) => localStorage.getItem("flowlab.lab.lab.replication") === p, played, { timeout: 5000 }).catch(() => {});
    assert.equal(await savedJournal(skipper, "flowlab.lab.lab.replication"), played, "playing the failure and skipping journal the same");
    await done(skipper);
  }
});

test("after a run, the steps block runs again from the top, also after Reset", async () => {
  const page = await openPage({ width: 1280, height: 800 });
  await go(page, "#/lessons/kafka-unclean-election");
  const block = page.locator(".steps-block").first();
  await block.locator(".run-steps").click();
  const end = await status(page);
  assert.match(end, /^tick \d+ \(live\)$/);
  assert.match(await block.locator(".run-steps").textContent(), /Run them all at once/);
  await page.click(".tc-reset");
  assert.equal(await status(page), "tick 0 (live)");
  await block.locator(".run-steps").click();
  assert.equal(await status(page), end, "the same steps ran again, to the same tick");
  await done(page);
});
