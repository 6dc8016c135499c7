// The stream joins (issue 14) in the browser. Lessons 52 (stream joins) and 54 (streaming
// features) are followed as written - every "Do it" button pressed in reading order, every
// prediction answered before its experiment - and every goal is met. On the streaming lab page
// the joins panel shows the clicks the two stream-table joins disagree on (highlighted, with
// why), follows event time on a click, takes new interval bounds from its form and refuses
// reversed ones beside the form with a hint, journaling nothing. No console error, no sideways
// scrolling at 1280x800 and 390x844; screenshots go to target/e2e-screenshots/.
import { test } from "node:test";
import assert from "node:assert/strict";
import { join } from "node:path";
import {
  SHOTS, setup, openPage, go, done, overflowOf, showPane, lessonPlan, followLesson, missedGoals, finishedShot,
} from "./harness.mjs";

setup();

const FILES = ["52-streaming-joins.md", "54-streaming-features.md"];

test("lessons 52 and 54, followed as written, meet every goal", async () => {
  const page = await openPage({ width: 1280, height: 800 });
  await page.addInitScript(() => localStorage.clear());
  for (const file of FILES) {
    const { id, actions } = lessonPlan(file);
    await go(page, `#/lessons/${id}`);
    assert.ok((await page.locator(".goal").count()) >= 3, `${id} has goals`);
    await page.screenshot({ path: join(SHOTS, `lesson-${id}-top-1280.png`) });
    await followLesson(page, { id, actions });
    assert.deepEqual(await missedGoals(page), [], `${id}: goals not met`);
    if (id === "streaming-joins") {
      await showPane(page, "lab");
      assert.ok((await page.locator(".stream-joins .join-late-rows li").count()) >= 1, "the late checkout is listed");
      assert.match(await page.textContent(".stream-joins .join-late-rows"), /u3 checkout at 00:00:05/);
      await page.locator(".stream-joins").screenshot({ path: join(SHOTS, `lesson-${id}-joins-1280.png`) });
    }
    await finishedShot(page, id);
  }
  await done(page);
});

for (const [width, height, colorScheme] of [[1280, 800, "light"], [390, 844, "dark"]]) {
  test(`the joins panel on the streaming lab at ${width}x${height}`, async () => {
    const page = await openPage({ width, height, colorScheme });
    await page.addInitScript(() => localStorage.clear());
    await go(page, "#/labs/streaming");
    await page.waitForSelector(".stream-joins");
    await page.selectOption(".tc-speed select", "100");
    await page.click(".tc-play");
    await page.waitForFunction(() => Number(document.querySelector(".stream-joins")?.dataset.tick) >= 400,
      null, { timeout: 60000 });
    await page.click(".tc-play");
    const differs = Number(await page.getAttribute(".stream-joins", "data-differs"));
    assert.ok(differs > 0, `the two stream-table joins disagree on ${differs} clicks`);

    // Only the disagreements: each highlighted, with why.
    await page.locator(".join-only-differing").check();
    const rows = page.locator(".join-clicks tr.join-differs");
    assert.ok((await rows.count()) >= 1, "differing clicks are highlighted");
    assert.match(await page.locator(".join-clicks tr.join-why").first().textContent(), /^Why: /);

    // Follow event time: clicks wait for the watermark.
    await page.locator(".join-time-event").check();
    await page.waitForFunction(() => Number(document.querySelector(".join-pending")?.textContent) > 0, null, { timeout: 10000 });

    // Reversed bounds are refused beside the form, and nothing is journaled.
    const journal = await page.locator(".journal-list li").count();
    await page.fill(".join-lower", "60");
    await page.fill(".join-upper", "-30");
    await page.click(".join-set-bounds");
    await page.waitForSelector(".join-interval .stream-refusal");
    assert.match(await page.textContent(".join-interval .stream-refusal"), /lower bound .* above the upper bound[\s\S]*Hint:/);
    assert.equal(await page.locator(".journal-list li").count(), journal, "a refused bound journals nothing");

    // Good bounds redeploy the join: the panel says so and the state shrinks.
    const before = await page.textContent(".join-state");
    await page.fill(".join-lower", "0");
    await page.fill(".join-upper", "60");
    await page.click(".join-set-bounds");
    await page.waitForFunction(() => /from 0 s to \+1 min/.test(document.querySelector(".join-interval")?.textContent ?? ""),
      null, { timeout: 10000 });
    assert.equal(await page.locator(".join-interval .stream-refusal").count(), 0);
    const after = await page.textContent(".join-state");
    const sum = (t) => t.split("+").reduce((n, x) => n + Number(x.trim()), 0);
    assert.ok(sum(after) < sum(before), `state ${before} -> ${after}`);

    await page.locator(".stream-joins").scrollIntoViewIfNeeded();
    await page.locator(".stream-joins").screenshot({ path: join(SHOTS, `streaming-joins-${width}.png`) });
    const wide = await page.evaluate(() => [...document.querySelectorAll("body *")]
      .filter((e) => e.getBoundingClientRect().right > window.innerWidth + 1)
      .map((e) => `${e.tagName.toLowerCase()}.${[...e.classList].join(".")}`).slice(0, 5));
    assert.ok((await overflowOf(page)) <= 1, `no sideways scroll: ${wide.join(" ")}`);
    await done(page);
  });
}
