// The streaming lessons 47-51 (event time, windows, watermarks, output modes, delivery) in the
// browser: each lesson is followed as written - every "Do it" button pressed in reading order,
// every prediction answered before its experiment, every SQL goal's answer run in the lesson's
// editor when the lesson asks for it - and then every goal of the lesson is met, with no console
// error. Screenshots at 1280x800 and 390x844 go to target/e2e-screenshots/.
import { test } from "node:test";
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { ROOT, SHOTS, setup, openPage, go, done, overflowOf, runSql, showPane } from "./harness.mjs";

setup();

const FILES = [
  "47-streaming-event-time.md",
  "48-streaming-windows.md",
  "49-streaming-watermarks.md",
  "50-streaming-output-modes.md",
  "51-streaming-delivery.md",
];

/** A fenced block's `key:` value, with indented continuation lines joined by newlines. */
function field(body, key) {
  const lines = body.split("\n");
  const at = lines.findIndex((l) => l.startsWith(`${key}:`));
  if (at < 0) return null;
  const value = [lines[at].slice(key.length + 1).trim()];
  for (const line of lines.slice(at + 1)) {
    if (!line.startsWith("  ")) break;
    value.push(line.trim());
  }
  return value.filter((l) => l !== "").join("\n");
}

/** The lesson's id and what a learner does, in reading order: Do it buttons (with the ticks
 * their steps advance), predictions to answer, SQL goals to answer. */
function lessonPlan(file) {
  const text = readFileSync(join(ROOT, "lessons", file), "utf8");
  const id = /^id:\s*(\S+)/m.exec(text)[1];
  const actions = [];
  const pattern = /\[Do it\]\(<do:([^>]*)>|```(predict|sql-check)\n([\s\S]*?)```/g;
  for (const m of text.matchAll(pattern)) {
    if (m[1] !== undefined) {
      const ticks = [...m[1].matchAll(/(?:^|;)\s*ticks?\s+(\d+)/g)].reduce((n, t) => n + Number(t[1]), 0);
      actions.push({ kind: "do", ticks });
    } else {
      actions.push({ kind: m[2], goal: field(m[3], "id"), answer: field(m[3], "answer") });
    }
  }
  return { id, actions };
}

test("each streaming lesson, followed as written, meets every goal", async () => {
  const page = await openPage({ width: 1280, height: 800 });
  for (const file of FILES) {
    const { id, actions } = lessonPlan(file);
    await go(page, `#/lessons/${id}`);
    const goals = await page.locator(".goal").count();
    assert.ok(goals >= 3, `${id} has ${goals} goals`);
    await page.screenshot({ path: join(SHOTS, `lesson-${id}-top-1280.png`) });
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
      } else if (action.kind === "predict") {
        const goal = `[data-goal="${action.goal}"]`;
        await page.locator(`${goal} .predict-choice`, { hasText: action.answer }).locator("input").check();
        await page.click(`${goal} .predict-lock`);
        await page.waitForSelector(`${goal}[data-stage="locked"]`);
      } else {
        await showPane(page, "lab");
        await runSql(page, action.answer);
        await showPane(page, "text");
        await page.waitForSelector(`[data-goal="${action.goal}"].goal-done`, { state: "attached", timeout: 20000 });
      }
    }
    assert.equal(pressed, await page.locator(".prose ol .do-it").count(), `${id}: every Do it pressed`);
    const missed = await page.evaluate(() => [...document.querySelectorAll(".goal")]
      .filter((g) => !g.classList.contains("goal-done")).map((g) => g.dataset.goal));
    assert.deepEqual(missed, [], `${id}: goals not met`);
    await page.locator(".goal").last().scrollIntoViewIfNeeded();
    await page.screenshot({ path: join(SHOTS, `lesson-${id}-done-1280.png`) });
    assert.ok((await overflowOf(page)) <= 1, `${id}: no sideways scroll`);
  }
  await done(page);
});

test("each streaming lesson fits a phone, text and lab", async () => {
  const page = await openPage({ width: 390, height: 844 });
  const overflows = [];
  for (const file of FILES) {
    const { id } = lessonPlan(file);
    await go(page, `#/lessons/${id}`);
    await page.locator(".prose ol .do-it").first().click();
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
