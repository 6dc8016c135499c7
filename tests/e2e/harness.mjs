// The shared harness of the end-to-end tests: the release build (dist/) served on 127.0.0.1 and
// Debian's headless Chromium driven through playwright-core. Every *.test.mjs file in this folder
// imports it; `setup()` registers the server and the browser for that file's tests.
import { before, after } from "node:test";
import assert from "node:assert/strict";
import { existsSync, mkdirSync, readdirSync, readFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { chromium } from "../../tools/node_modules/playwright-core/index.mjs";
import { serve } from "./server.mjs";

export const ROOT = join(dirname(fileURLToPath(import.meta.url)), "..", "..");
// FLOWLAB_DIST points the test at another build (several people may share one checkout's dist/).
const DIST = process.env.FLOWLAB_DIST || join(ROOT, "dist");
export const SHOTS = join(ROOT, "target", "e2e-screenshots");
const CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage", "--disable-quic", "--no-first-run",
  "--disable-background-networking", "--disable-component-update", "--disable-sync"];

export const LESSON_IDS = readdirSync(join(ROOT, "lessons")).filter((f) => f.endsWith(".md")).sort().map((f) => {
  const id = /^id:\s*(\S+)/m.exec(readFileSync(join(ROOT, "lessons", f), "utf8"));
  assert.ok(id, `${f} has an id`);
  return id[1];
});

let browser, server;
export let origin;

/** Starts the server and the browser before this file's tests and stops them after. */
export function setup() {
  before(async () => {
    assert.ok(existsSync(join(DIST, "index.html")), "dist/ is missing: run `trunk build --release` first");
    mkdirSync(SHOTS, { recursive: true });
    ({ server, origin } = await serve(DIST));
    browser = await chromium.launch({ executablePath: "/usr/bin/chromium", args: CHROMIUM_ARGS });
  });
  after(async () => {
    await browser?.close();
    server?.close();
  });
}

/** A fresh page that records console errors and uncaught exceptions. */
export async function openPage({ width = 1280, height = 900, colorScheme = "light", init } = {}) {
  const context = await browser.newContext({ viewport: { width, height }, colorScheme });
  await context.grantPermissions(["clipboard-read", "clipboard-write"], { origin });
  if (init) await context.addInitScript(init);
  const page = await context.newPage();
  const errors = [];
  page.on("console", (m) => { if (m.type() === "error") errors.push(`console: ${m.text()}`); });
  page.on("pageerror", (e) => errors.push(`page error: ${e.message}`));
  page.on("requestfailed", (r) => errors.push(`request failed: ${r.url()}`));
  page.errors = errors;
  return page;
}

export async function go(page, hash) {
  await page.goto(`${origin}/${hash}`);
  await page.waitForSelector("main h1");
}

/** Waits (up to 5 s) until the time controls say `want`, then returns what they say. */
export async function statusBecomes(page, want) {
  await page
    .waitForFunction((w) => document.querySelector(".tc-status")?.textContent.trim() === w, want, { timeout: 5000 })
    .catch(() => {});
  return status(page);
}

export async function status(page) {
  return (await page.textContent(".tc-status")).trim();
}

export async function shot(page, name) {
  await page.screenshot({ path: join(SHOTS, `${name}.png`), fullPage: true });
}

export async function done(page) {
  assert.deepEqual(page.errors, [], "no console errors");
  assert.equal(await page.isVisible("#fatal"), false, "the panic panel stayed hidden");
  await page.context().close();
}


export async function overflowOf(page) {
  return page.evaluate(() => document.documentElement.scrollWidth - document.documentElement.clientWidth);
}

export async function runSql(page, sql, { keys = false } = {}) {
  const before = Number((await page.getAttribute(".sql-results", "data-run")) || 0);
  await page.fill("#sql-input", sql);
  if (keys) await page.press("#sql-input", "Control+Enter");
  else await page.click(".sql-run");
  await page.waitForSelector(`.sql-results[data-run="${before + 1}"]`, { timeout: 120000 });
}

/** On a narrow screen a lesson shows its text or its lab behind tabs: shows `pane` ("text" or
 * "lab") if the tabs are there; on a desktop both are always shown. */
export async function showPane(page, pane) {
  if (await page.isVisible(".lesson-tabs")) await page.click(`#lesson-${pane}-tab`);
}

// Following a lesson as written: its file read for what a learner does, in reading order, and the
// page driven through it.

/** A fenced block's `key:` value, with its indented continuation lines joined by newlines. */
export function field(body, key) {
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

/** A lesson's id and what a learner does in it, in reading order: the Do it buttons (with the ticks
 * their steps advance, the label wait they set and whether they have the samples pipeline write to
 * its topic), the predictions to answer and the SQL goals to answer. */
export function lessonPlan(file) {
  const text = readFileSync(join(ROOT, "lessons", file), "utf8");
  const id = /^id:\s*(\S+)/m.exec(text)[1];
  const actions = [];
  for (const m of text.matchAll(/\[Do it\]\(<do:([^>]*)>|```(predict|sql-check)\n([\s\S]*?)```/g)) {
    if (m[1] !== undefined) {
      const ticks = [...m[1].matchAll(/(?:^|;)\s*ticks?\s+(\d+)/g)].reduce((n, t) => n + Number(t[1]), 0);
      const wait = /(?:^|;)\s*sample-wait\s+(\d+)s/.exec(m[1]);
      const topic = /(?:^|;)\s*samples-to-topic\s+on\b/.test(m[1]);
      actions.push({ kind: "do", ticks, wait: wait ? wait[1] : null, topic });
    } else {
      actions.push({ kind: m[2], goal: field(m[3], "id"), answer: field(m[3], "answer") });
    }
  }
  return { id, actions };
}

/** Does what `lessonPlan` read, in order: presses each Do it and waits until the lab shows its steps
 * done, picks each prediction's answer and locks it in, runs each SQL goal's answer in the lab's
 * editor until the goal is met; then checks that every Do it on the page was pressed. */
export async function followLesson(page, { id, actions }) {
  let pressed = 0;
  let tick = 0;
  for (const action of actions) {
    if (action.kind === "do") {
      await page.locator(".prose ol .do-it").nth(pressed).click();
      pressed += 1;
      tick += action.ticks;
      await doItDone(page, action, tick);
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
}

/** Waits (up to 60 s) until the lab shows a Do it's steps done: the samples topic switched on, the
 * label wait set (lesson 53 has no time controls to read the tick from), or else the clock at `tick`. */
async function doItDone(page, action, tick) {
  if (action.topic) {
    await page.waitForSelector('.samples-to-topic[aria-pressed="true"]', { timeout: 60000 });
  } else if (action.wait) {
    await page.waitForSelector(`.samples-diagnosis[data-wait="${action.wait}"]`, { timeout: 60000 });
  } else {
    await page.waitForFunction(
      (t) => new RegExp(`^tick ${t}\\b`).test(document.querySelector(".tc-status")?.textContent.trim() ?? ""),
      tick, { timeout: 60000 });
  }
}

/** Waits (up to 30 s) until every goal on the page is met, then returns the ids of those that are not. */
export async function missedGoals(page) {
  await page.waitForFunction(() => [...document.querySelectorAll(".goal")].every((g) => g.classList.contains("goal-done")),
    null, { timeout: 30000 }).catch(() => {});
  return page.evaluate(() => [...document.querySelectorAll(".goal")]
    .filter((g) => !g.classList.contains("goal-done")).map((g) => g.dataset.goal));
}

/** Screenshots a finished lesson with its last goal in view, and checks it does not scroll sideways. */
export async function finishedShot(page, id) {
  await page.locator(".goal").last().scrollIntoViewIfNeeded();
  await page.screenshot({ path: join(SHOTS, `lesson-${id}-done-${page.viewportSize().width}.png`) });
  assert.ok((await overflowOf(page)) <= 1, `${id}: no sideways scroll`);
}

/** Opens each lesson and checks that its lab (`labSelector`) and at least two goals show and that it
 * does not scroll sideways; screenshots each at the page's width. */
export async function lessonsOpen(page, ids, labSelector) {
  for (const id of ids) {
    await go(page, `#/lessons/${id}`);
    await page.waitForSelector(labSelector, { timeout: 15000 });
    assert.ok((await page.locator(".goal").count()) >= 2, `${id} shows its goals`);
    assert.ok((await overflowOf(page)) <= 1, `${id}: no sideways scroll`);
    await page.screenshot({ path: join(SHOTS, `lesson-${id}-${page.viewportSize().width}.png`) });
  }
}

/** Opens each lesson on a phone (after its first Do it with `pressFirstDoIt`) and screenshots its
 * text and its lab; checks that neither scrolls sideways, naming the first elements that stick out. */
export async function lessonsFitPhone(page, ids, { pressFirstDoIt = false } = {}) {
  const texts = [];
  const labs = [];
  for (const id of ids) {
    await go(page, `#/lessons/${id}`);
    if (pressFirstDoIt) await page.locator(".prose ol .do-it").first().click();
    texts.push(await sidewaysOverflow(page, id, ".prose"));
    await page.screenshot({ path: join(SHOTS, `lesson-${id}-text-390.png`) });
    await page.click("#lesson-lab-tab");
    await page.screenshot({ path: join(SHOTS, `lesson-${id}-lab-390.png`), fullPage: true });
    labs.push(await sidewaysOverflow(page, id, ".lesson-lab"));
    await page.click("#lesson-text-tab");
  }
  console.log(`sideways overflow of the lab at 390px: ${labs.map((o) => o.said).join("; ")}`);
  assert.deepEqual(texts.filter((o) => o.px > 1).map((o) => o.said), [], "no sideways scroll on the text");
  assert.deepEqual(labs.filter((o) => o.px > 1).map((o) => o.said), [], "no sideways scroll on the lab");
}

/** How far the page scrolls sideways, said as "<id>: <n>px" and the first elements under `root` that stick
 * out (by their classes, or their text when they have none). */
async function sidewaysOverflow(page, id, root) {
  const px = await overflowOf(page);
  const wide = await page.evaluate((sel) => [...document.querySelectorAll(`${sel} *`)]
    .filter((e) => e.getBoundingClientRect().right > window.innerWidth + 1)
    .map((e) => e.tagName.toLowerCase() + (e.classList.length > 0
      ? [...e.classList].map((c) => `.${c}`).join("")
      : ` "${e.textContent.slice(0, 40)}"`))
    .slice(0, 3), root);
  return { px, said: `${id}: ${px}px ${wide.join(" ")}` };
}
