// The experiments lessons 65-74 in the browser: every lesson page opens without a console error at
// 1280x800 and at 390x844 (text and lab, no sideways scroll), and one lesson - 66, sample ratio
// mismatch - is followed as written: every "Do it" pressed in reading order, every prediction
// answered before its experiment, and then every goal of the lesson is met. Screenshots go to
// target/e2e-screenshots/.
import { test } from "node:test";
import assert from "node:assert/strict";
import { readFileSync, readdirSync } from "node:fs";
import { join } from "node:path";
import { ROOT, SHOTS, setup, openPage, go, done, overflowOf } from "./harness.mjs";

setup();

/** The experiments lessons' files, in order. */
const FILES = readdirSync(join(ROOT, "lessons")).filter((f) => /^\d+-experiments-.*\.md$/.test(f)).sort();

/** A fenced block's `key:` value (one line). */
function field(body, key) {
  const line = body.split("\n").find((l) => l.startsWith(`${key}:`));
  return line ? line.slice(key.length + 1).trim() : null;
}

/** The lesson's id and what a learner does, in reading order: Do it buttons (with the ticks their
 * steps advance) and predictions to answer. */
function lessonPlan(file) {
  const text = readFileSync(join(ROOT, "lessons", file), "utf8");
  const id = /^id:\s*(\S+)/m.exec(text)[1];
  const actions = [];
  for (const m of text.matchAll(/\[Do it\]\(<do:([^>]*)>|```predict\n([\s\S]*?)```/g)) {
    if (m[1] !== undefined) {
      const ticks = [...m[1].matchAll(/(?:^|;)\s*ticks?\s+(\d+)/g)].reduce((n, t) => n + Number(t[1]), 0);
      actions.push({ kind: "do", ticks });
    } else {
      actions.push({ kind: "predict", goal: field(m[2], "id"), answer: field(m[2], "answer") });
    }
  }
  return { id, actions };
}

test("there are ten experiments lessons", () => {
  assert.deepEqual(FILES.map((f) => Number(f.split("-")[0])), [65, 66, 67, 68, 69, 70, 71, 72, 73, 74]);
});

test("every experiments lesson opens without errors at 1280x800", async () => {
  const page = await openPage({ width: 1280, height: 800 });
  for (const file of FILES) {
    const { id } = lessonPlan(file);
    await go(page, `#/lessons/${id}`);
    await page.waitForSelector('.lesson-lab [class^="experiment-"]', { timeout: 15000 });
    assert.ok((await page.locator(".goal").count()) >= 2, `${id} shows its goals`);
    assert.ok((await overflowOf(page)) <= 1, `${id}: no sideways scroll`);
    await page.screenshot({ path: join(SHOTS, `lesson-${id}-1280.png`) });
  }
  await done(page);
});

test("every experiments lesson fits a phone, text and lab", async () => {
  const page = await openPage({ width: 390, height: 844 });
  const overflows = [];
  const textOverflows = [];
  for (const file of FILES) {
    const { id } = lessonPlan(file);
    await go(page, `#/lessons/${id}`);
    const text = await overflowOf(page);
    if (text > 1) {
      const wide = await page.evaluate(() => [...document.querySelectorAll(".prose *")]
        .filter((e) => e.getBoundingClientRect().right > window.innerWidth + 1)
        .map((e) => `${e.tagName.toLowerCase()} "${e.textContent.slice(0, 40)}"`).slice(0, 3));
      textOverflows.push(`${id}: ${text}px ${wide.join(" ")}`);
    }
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
  assert.deepEqual(textOverflows, [], "no sideways scroll on the text");
  assert.ok(overflows.every((o) => /: [01]px/.test(o)), overflows.join("; "));
  await done(page);
});

test("lesson 66, followed as written, meets every goal", async () => {
  const page = await openPage({ width: 1280, height: 800 });
  const { id, actions } = lessonPlan(FILES.find((f) => f.startsWith("66-")));
  await go(page, `#/lessons/${id}`);
  let pressed = 0;
  let tick = 0;
  for (const action of actions) {
    if (action.kind === "do") {
      await page.locator(".prose ol .do-it").nth(pressed).click();
      pressed += 1;
      tick += action.ticks;
      await page.waitForFunction(
        (t) => new RegExp(`^tick ${t}\\b`).test(document.querySelector(".tc-status")?.textContent.trim() ?? ""),
        tick, { timeout: 30000 });
    } else {
      const goal = `[data-goal="${action.goal}"]`;
      await page.locator(`${goal} .predict-choice`, { hasText: action.answer }).locator("input").check();
      await page.click(`${goal} .predict-lock`);
      await page.waitForSelector(`${goal}[data-stage="locked"]`);
    }
  }
  assert.equal(pressed, await page.locator(".prose ol .do-it").count(), `${id}: every Do it pressed`);
  const missed = await page.evaluate(() => [...document.querySelectorAll(".goal")]
    .filter((g) => !g.classList.contains("goal-done")).map((g) => g.dataset.goal));
  assert.deepEqual(missed, [], `${id}: goals not met`);
  await page.locator(".goal").last().scrollIntoViewIfNeeded();
  await page.screenshot({ path: join(SHOTS, `lesson-${id}-done-1280.png`) });
  assert.ok((await overflowOf(page)) <= 1, `${id}: no sideways scroll`);
  await done(page);
});
