// The feature store lessons 4-7 (online store, skew, backfills, counters and embeddings) in the
// browser: each opens with its widgets, its first "Do it" buttons perform the instructions with the
// numbers the prose promises, its first goal is a few page-downs away, and it fits a phone.
import { test } from "node:test";
import assert from "node:assert/strict";
import { join } from "node:path";
import { SHOTS, setup, openPage, go, done, overflowOf } from "./harness.mjs";

setup();

const LESSONS = [
  // id, Do it buttons to press, a goal met after them, text the page then shows
  ["features-online-store", 2, "stale-served", /2,340 minutes/],
  ["features-skew", 2, "schedule-fixed", /None of the values this serve logged differ/],
  ["features-backfills", 2, "cutoff-on", /168 values were written after their ride/],
  ["features-counters-embeddings", 2, "counters-win", /1,049 counter values/],
];

/** Page-downs (a viewport less the sticky header) from the top until `selector` is shown. */
function pageDownsTo(page, selector) {
  return page.evaluate((sel) => {
    const header = document.querySelector(".site-header").getBoundingClientRect().height;
    const step = window.innerHeight - header - 40;
    const r = document.querySelector(sel).getBoundingClientRect();
    const bottom = r.top + window.scrollY + Math.min(r.height, 200);
    return bottom <= window.innerHeight ? 0 : Math.ceil((bottom - window.innerHeight) / step);
  }, selector);
}

test("each feature store lesson: widgets, Do it buttons, a goal met, the first goal near the top", async () => {
  const page = await openPage({ width: 1280, height: 800 });
  const downs = [];
  for (const [id, presses, goal, text] of LESSONS) {
    await go(page, `#/lessons/${id}`);
    assert.ok(await page.locator(".goal").count() >= 3, `${id} has goals`);
    assert.ok(await page.locator(".lesson-lab .widget, .lesson-lab section").count() >= 1, `${id} shows its lab`);
    const n = await pageDownsTo(page, ".goal");
    downs.push(`${id}: ${n}`);
    assert.ok(n <= 3, `${id}: the first goal is ${n} page-downs away`);
    await page.screenshot({ path: join(SHOTS, `lesson-${id}-top-1280.png`) });
    for (let i = 0; i < presses; i++) {
      await page.locator(".prose ol .do-it").nth(i).click();
    }
    await page.waitForSelector(`[data-goal="${goal}"].goal-done`, { timeout: 20000 });
    assert.match(await page.textContent(".lesson-text"), text);
    await page.locator(`[data-goal="${goal}"]`).scrollIntoViewIfNeeded();
    await page.screenshot({ path: join(SHOTS, `lesson-${id}-1280.png`) });
    assert.ok((await overflowOf(page)) <= 1, `${id}: no sideways scroll`);
  }
  console.log(`page-downs to the first goal at 1280x800: ${downs.join(", ")}`);
  await done(page);
});

test("each feature store lesson fits a phone, text and lab", async () => {
  const page = await openPage({ width: 390, height: 844 });
  const overflows = [];
  for (const [id, presses] of LESSONS) {
    await go(page, `#/lessons/${id}`);
    for (let i = 0; i < presses; i++) {
      await page.locator(".prose ol .do-it").nth(i).click();
    }
    assert.ok((await overflowOf(page)) <= 1, `${id}: no sideways scroll on the text`);
    await page.screenshot({ path: join(SHOTS, `lesson-${id}-text-390.png`) });
    await page.click("#lesson-lab-tab");
    await page.screenshot({ path: join(SHOTS, `lesson-${id}-lab-390.png`), fullPage: true });
    const wide = await page.evaluate(() => [...document.querySelectorAll(".lesson-lab *")]
      .filter((e) => e.getBoundingClientRect().right > window.innerWidth + 1)
      .map((e) => `${e.tagName.toLowerCase()}.${[...e.classList].join(".")}`).slice(0, 3));
    overflows.push(`${id}: ${await overflowOf(page)}px ${wide.join(" ")}`);
    await page.click("#lesson-text-tab");
  }
  console.log(`sideways overflow of the lab at 390px: ${overflows.join("; ")}`);
  assert.ok(overflows.every((o) => /: [01]px/.test(o)), overflows.join("; "));
  await done(page);
});
