// A lesson beside its lab: the lab pinned beside the text on a desktop with the clock in view,
// tabs and a small clock on a phone, "Do it" buttons that perform the numbered instructions,
// toasts that leave by themselves, and the scrolls a learner needs to reach each Kafka lesson's
// first goal.
import { test } from "node:test";
import assert from "node:assert/strict";
import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { ROOT, setup, openPage, go, status, shot, done } from "./harness.mjs";

setup();

const UNCLEAN = "#/lessons/kafka-unclean-election";

/** Whether the element's box lies inside the viewport (below the sticky bars). */
function inView(page, selector) {
  return page.evaluate((sel) => {
    const e = document.querySelector(sel);
    if (!e) return false;
    const r = e.getBoundingClientRect();
    return r.width > 0 && r.top >= 0 && r.bottom <= window.innerHeight && r.left >= 0 && r.right <= window.innerWidth;
  }, selector);
}

test("on a desktop the lab stays beside the text, with the clock in view at every instruction", async () => {
  const page = await openPage({ width: 1280, height: 800 });
  await go(page, UNCLEAN);
  const [text, lab] = await page.evaluate(() => [".lesson-text", ".lesson-lab"].map((s) => document.querySelector(s).getBoundingClientRect().toJSON()));
  assert.ok(lab.left >= text.right, `the lab (${lab.left}) is right of the text (${text.right})`);
  assert.equal(await page.isVisible(".lesson-tabs"), false, "no tabs on a desktop");
  const items = page.locator(".prose ol").filter({ hasText: "topic settings" }).locator(":scope > li");
  assert.equal(await items.count(), 6);
  for (let i = 0; i < 6; i++) {
    await items.nth(i).scrollIntoViewIfNeeded();
    assert.ok(await inView(page, ".lesson-lab .tc-status"), `the clock is in view at instruction ${i + 1}`);
    assert.ok(await inView(page, ".lesson-lab .tc-play"), `Play is in view at instruction ${i + 1}`);
  }
  await shot(page, "lesson-beside-lab-1280");
  await done(page);
});

test("Do it buttons perform the numbered instructions and the prose's numbers come true", async () => {
  const page = await openPage({ width: 1280, height: 800 });
  await go(page, UNCLEAN);
  const buttons = page.locator(".prose ol .do-it");
  assert.equal(await buttons.count(), 6);
  await buttons.nth(0).click();
  assert.equal(await status(page), "tick 5 (live)");
  assert.equal(await buttons.nth(0).getAttribute("data-done"), "true");
  for (let i = 1; i < 5; i++) await buttons.nth(i).click();
  // 5 + 100 + 5 + 100 + 10 ticks; the ledger counts the 20 committed records lost.
  assert.equal(await status(page), "tick 220 (live)");
  await page.waitForSelector('[data-goal="lose-acked"].goal-done');
  assert.equal(Number(await page.textContent(".ledger-lost")), 20);
  await buttons.nth(5).click();
  assert.equal(await status(page), "tick 250 (live)");
  assert.match(await page.textContent(".election-timeline"), /unclean election/);
  await done(page);
});

test("on a phone, tabs switch between the lesson and its lab, and the small clock works from the text", async () => {
  const page = await openPage({ width: 390, height: 844 });
  await go(page, UNCLEAN);
  assert.ok(await page.isVisible(".lesson-tabs"));
  assert.equal(await page.isVisible(".lesson-lab"), false, "the lab waits behind its tab");
  assert.equal(await page.getAttribute("#lesson-text-tab", "aria-selected"), "true");
  await page.click(".mini-step");
  await page.click(".mini-step");
  assert.equal((await page.textContent(".mini-tick")).trim(), "tick 2");
  // A Do it button in the text acts on the lab behind the other tab.
  await page.locator(".prose ol .do-it").first().scrollIntoViewIfNeeded();
  const readingAt = await page.evaluate(() => window.scrollY);
  await page.locator(".prose ol .do-it").first().click();
  assert.equal((await page.textContent(".mini-tick")).trim(), "tick 7");
  assert.ok(await inView(page, ".lesson-tabs"), "the tab bar stays at the top while reading");
  await shot(page, "lesson-phone-text-390");
  await page.click("#lesson-lab-tab");
  assert.ok(await page.isVisible(".lesson-lab .tc-status"));
  assert.equal(await page.isVisible(".lesson-text"), false);
  assert.equal(await status(page), "tick 7 (live)");
  await page.screenshot({ path: join(ROOT, "target", "e2e-screenshots", "lesson-phone-lab-390.png") });
  await page.click("#lesson-text-tab");
  await page.waitForFunction((y) => Math.abs(window.scrollY - y) < 4, readingAt);
  const overflow = await page.evaluate(() => document.documentElement.scrollWidth - document.documentElement.clientWidth);
  assert.ok(overflow <= 1, `no sideways scroll (${overflow}px)`);
  await done(page);
});

test("notices are toasts in a corner that leave by themselves, and stay while hovered", async () => {
  const page = await openPage({ width: 1280, height: 800 });
  await go(page, UNCLEAN);
  // Doing an instruction in the past forks, and the toast says so and offers Undo.
  await page.locator(".prose ol .do-it").first().click();
  await page.fill(".scrubber", "2");
  await page.locator(".prose ol .do-it").nth(1).click();
  await page.waitForSelector(".notice.toast");
  const box = await page.evaluate(() => document.querySelector(".notice.toast").getBoundingClientRect().toJSON());
  assert.ok(box.bottom <= 800 && box.bottom > 700, `the toast sits at the bottom (${box.top}-${box.bottom})`);
  assert.equal(await page.evaluate(() => getComputedStyle(document.querySelector(".notice.toast")).position), "fixed");
  // It offers Undo, so it waits; once dismissed it is gone.
  assert.equal(await page.locator(".notice .undo-fork").count(), 1);
  await page.click('.notice [aria-label="Dismiss this message"]');
  assert.equal(await page.locator(".notice").count(), 0);
  // A notice without Undo leaves by itself (8 s); hovering holds it.
  await page.reload();
  await page.waitForSelector(".notice.toast");
  assert.match(await page.textContent(".notice.toast"), /Resumed where you left off/);
  await page.hover(".notice.toast");
  await page.waitForTimeout(9000);
  assert.equal(await page.locator(".notice.toast").count(), 1, "held while hovered");
  await page.mouse.move(5, 5);
  await page.waitForSelector(".notice.toast", { state: "detached", timeout: 10000 });
  await done(page);
});

/** Page-downs (a viewport less the sticky header) from the top until `selector` is fully shown. */
async function pageDownsTo(page, selector) {
  return page.evaluate((sel) => {
    const header = document.querySelector(".site-header").getBoundingClientRect().height;
    const step = window.innerHeight - header - 40;
    const r = document.querySelector(sel).getBoundingClientRect();
    const bottom = r.top + window.scrollY;
    const visibleTo = window.innerHeight;
    return bottom + Math.min(r.height, 200) <= visibleTo ? 0 : Math.ceil((bottom + Math.min(r.height, 200) - visibleTo) / step);
  }, selector);
}

test("every Kafka lesson's first goal is at most 3 page-downs away, with the lab in view all the way", async () => {
  const kafka = readdirSync(join(ROOT, "lessons")).filter((f) => f.endsWith(".md")).sort()
    .map((f) => readFileSync(join(ROOT, "lessons", f), "utf8"))
    .filter((text) => /^track:\s*Kafka\s*$/m.test(text))
    .map((text) => /^id:\s*(\S+)/m.exec(text)[1]);
  assert.ok(kafka.length >= 10, `${kafka.length} Kafka lessons`);
  const page = await openPage({ width: 1280, height: 800 });
  const table = [];
  for (const id of kafka) {
    await go(page, `#/lessons/${id}`);
    const downs = await pageDownsTo(page, ".goal");
    table.push(`${id}: ${downs}`);
    const step = await page.evaluate(() => window.innerHeight - document.querySelector(".site-header").getBoundingClientRect().height - 40);
    for (let i = 1; i <= downs; i++) {
      await page.evaluate((y) => window.scrollTo(0, y), i * step);
      assert.ok(await inView(page, ".lesson-lab .tc-status"), `${id}: the clock is in view after ${i} page-downs`);
    }
    assert.ok(downs <= 3, `${id}: the first goal is ${downs} page-downs away`);
  }
  console.log(`page-downs to the first goal at 1280x800: ${table.join(", ")}`);
  await done(page);
});

