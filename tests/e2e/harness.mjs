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
