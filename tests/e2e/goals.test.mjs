// Goals (issue 12): a goal not met says why in plain sentences; a prediction is answered before
// the lab shows the answer, a wrong one is recorded and retried after Reset; progress records
// whether a goal was met by the learner, by the steps block or after the solution, and the
// lesson list shows the difference; progress saved with schema 1 is migrated. Viewport
// screenshots at 1280x800 and 390x844 go to target/e2e-screenshots/.
import { test } from "node:test";
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { ROOT, SHOTS, setup, openPage, go, statusBecomes, done } from "./harness.mjs";

setup();

const SIZES = [[1280, 800], [390, 844]];
const UNCLEAN = "#/lessons/kafka-unclean-election";
const PREDICT = '[data-goal="guess-survivors"]';

/** A screenshot of the viewport with `selector` scrolled to its top. */
async function viewShot(page, selector, name) {
  await page.locator(selector).first().evaluate((e) => e.scrollIntoView({ block: "start" }));
  await page.evaluate(() => window.scrollBy(0, -80));
  await page.screenshot({ path: join(SHOTS, `${name}.png`) });
}

/** Presses the lab's Reset, behind the Lab tab on a phone. */
async function resetLab(page) {
  const phone = await page.isVisible(".lesson-tabs");
  if (phone) await page.click("#lesson-lab-tab");
  await page.click(".lesson-lab .tc-reset");
  if (phone) await page.click("#lesson-text-tab");
}

async function saved(page) {
  return JSON.parse(await page.evaluate(() => localStorage.getItem("flowlab.progress")));
}

/** Picks the prediction's choice starting with `text` and locks it in. */
async function predict(page, text) {
  await page.locator(`${PREDICT} .predict-choice`, { hasText: text }).locator("input").check();
  await page.click(`${PREDICT} .predict-lock`);
  await page.waitForSelector(`${PREDICT}[data-stage="locked"]`);
}

test("a goal not met says why in plain sentences, at desktop and phone sizes", async () => {
  for (const [width, height] of SIZES) {
    const page = await openPage({ width, height });
    await go(page, "#/lessons/time-and-replay");
    const clock = await page.textContent('[data-goal="reach-50"] .goal-status');
    assert.match(clock, /The clock is at tick 0: run it to tick 50\./, "the lesson's own sentence");
    await go(page, UNCLEAN);
    const reasons = await page.locator('[data-goal="lose-acked"] .goal-reasons li').allTextContents();
    assert.deepEqual(reasons, [
      "No acknowledged acks=all records lost yet; the goal needs at least 1.",
      "No unclean leader elections yet; the goal needs at least 1.",
    ]);
    for (const text of await page.locator(".goal-reasons li").allTextContents()) {
      assert.doesNotMatch(text, />=|<=|==|!=|\w_\w/, `"${text}" shows goal syntax`);
    }
    await viewShot(page, '[data-goal="lose-acked"]', `goals-not-met-${width}x${height}`);
    await done(page);
  }
});

test("a prediction: answered before the run, revealed after it, a wrong answer retried after Reset", async () => {
  for (const [width, height] of SIZES) {
    const page = await openPage({ width, height });
    await go(page, UNCLEAN);
    assert.equal(await page.getAttribute(PREDICT, "data-stage"), "open");
    assert.equal(await page.isDisabled(`${PREDICT} .predict-lock`), true, "nothing to lock in before a pick");
    await viewShot(page, PREDICT, `goals-predict-before-${width}x${height}`);
    await predict(page, "All 50");
    assert.match(await page.textContent(`${PREDICT} .goal-status`), /Locked in/);
    // The steps block runs the experiment: the unclean election reveals the answer.
    await page.click(".run-steps");
    await page.waitForSelector(`${PREDICT}[data-stage="wrong"]`);
    assert.match(await page.textContent(`${PREDICT} .goal-status`), /Not quite: you predicted “All 50/);
    assert.match(await page.textContent(`${PREDICT} .predict-explanation`), /keeps its own log/);
    assert.match(await page.textContent(`${PREDICT} .predict-choice.is-right`), /^30:/);
    assert.match(await page.textContent(`${PREDICT} .predict-wrong-count`), /Wrong predictions so far: 1\./);
    await viewShot(page, PREDICT, `goals-predict-wrong-${width}x${height}`);
    // The goal the steps block met says so.
    await page.waitForSelector('[data-goal="lose-acked"][data-met-by="steps"]');
    assert.match(await page.textContent('[data-goal="lose-acked"] .goal-met-by'), /✓ done by the lesson's steps/);

    // Reset: the reveal condition is false again, and the prediction is open again.
    await resetLab(page);
    await page.waitForSelector(`${PREDICT}[data-stage="open"]`);
    await predict(page, "30:");
    // The steps block ran to its end before the Reset: play it again, then skip to its end.
    await page.click(".narration-play");
    await page.click(".run-steps");
    await page.waitForSelector(`${PREDICT}[data-stage="right"]`);
    await page.waitForSelector(`${PREDICT}[data-met-by="learner"]`);
    assert.match(await page.textContent(`${PREDICT} .goal-status`), /✓ Right\./);
    await viewShot(page, PREDICT, `goals-predict-right-${width}x${height}`);
    const progress = await saved(page);
    assert.equal(progress.schema, 2);
    assert.equal(progress.completed["kafka-unclean-election"]["guess-survivors"], "learner");
    assert.equal(progress.completed["kafka-unclean-election"]["lose-acked"], "steps");
    assert.equal(progress.wrong_predictions["kafka-unclean-election"]["guess-survivors"], 1);
    await done(page);
  }
});

test("progress records how each goal was met, and the lesson list shows it", async () => {
  const page = await openPage({ width: 1280, height: 800 });
  // After seeing the solution.
  await go(page, "#/lessons/time-and-replay");
  await page.click('[data-goal="reach-50"] .goal-solution');
  await page.selectOption(".tc-speed select", "100");
  await page.locator(".tc-play").first().click();
  await page.waitForSelector('[data-goal="reach-50"][data-met-by="solution"]');
  await page.locator(".tc-play").first().click();
  assert.match(await page.textContent('[data-goal="reach-50"] .goal-met-by'), /✓ done after seeing the solution/);
  // By the learner.
  await page.fill(".count-input", "3");
  await page.click(".emit-button");
  await page.waitForSelector('[data-goal="by-hand"][data-met-by="learner"]');
  assert.equal(await page.textContent('[data-goal="by-hand"] .goal-met-by'), "✓ done");
  // By the steps block, skipped to the end.
  await go(page, UNCLEAN);
  await page.click(".run-steps");
  await page.waitForSelector('[data-goal="lose-acked"][data-met-by="steps"]');
  assert.equal(await statusBecomes(page, "tick 250 (live)"), "tick 250 (live)", "the steps ran to their end");

  await go(page, "#/lessons");
  const item = (id) => page.locator(".lesson-item", { has: page.locator(`a[href$="${id}"]`) });
  assert.match(await item("time-and-replay").locator(".goal-provenance").textContent(), /^1 by you · 1 after the solution$/);
  assert.match(await item("kafka-unclean-election").locator(".goal-provenance").textContent(), /^1 by the lesson's steps$/);
  assert.match(await page.locator(".track", { hasText: "Foundations" }).locator("h2 .goal-provenance").textContent(), /1 by you/);
  for (const [width, height] of SIZES) {
    await page.setViewportSize({ width, height });
    await viewShot(page, ".track", `goals-lesson-list-${width}x${height}`);
  }
  const progress = await saved(page);
  assert.deepEqual(progress.completed["time-and-replay"], { "reach-50": "solution", "by-hand": "learner" });
  assert.deepEqual(progress.solutions_seen["time-and-replay"], ["reach-50"]);
  await done(page);
});

test("progress saved with schema 1 is read as goals done by the learner", async () => {
  const v1 = readFileSync(join(ROOT, "tests", "fixtures", "progress-v1.json"), "utf8");
  const page = await openPage({ init: `localStorage.setItem("flowlab.progress", ${JSON.stringify(v1)});` });
  await go(page, "#/lessons");
  assert.equal(await page.locator(".progress-panel .notice-error").count(), 0, "no problem reported");
  const first = page.locator(".lesson-item").first();
  assert.match(await first.textContent(), /complete/);
  assert.match(await first.locator(".goal-provenance").textContent(), /^3 by you$/);
  await done(page);
});
