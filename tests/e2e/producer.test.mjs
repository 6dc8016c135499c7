// The producer panel's values (issue 11): an empty value field sends a zero-length value, an
// ordinary record that compaction keeps; a tombstone is a null value, sent with the "null value
// (tombstone)" box, which disables the value field.
import { test } from "node:test";
import assert from "node:assert/strict";
import { setup, openPage, go, done } from "./harness.mjs";

setup();

const TOMBSTONE_GOAL = '[data-goal="tombstone"]';

async function sendAndStep(page) {
  await page.click(".send-button");
  await page.click(".tc-step");
}

test("an empty value is an ordinary record; the null value box sends a tombstone", async () => {
  const page = await openPage({ width: 1280, height: 800 });
  await go(page, "#/lessons/kafka-compaction");
  await page.selectOption(".topic-select", "profiles");
  await page.fill(".key-input", "user-1");
  await page.fill(".value-input", "");
  await sendAndStep(page);
  await page.waitForSelector('.log-cell[title="offset 0 · key user-1 · value "]');
  assert.equal(await page.locator(".log-cell.tombstone").count(), 0, "a zero-length value is not a tombstone");
  assert.equal(await page.locator(`${TOMBSTONE_GOAL}[data-met-by]`).count(), 0);
  await page.check(".null-value-input");
  assert.ok(await page.isDisabled(".value-input"), "a null value has no text");
  await sendAndStep(page);
  await page.waitForSelector(".log-cell.tombstone");
  await page.waitForSelector(`${TOMBSTONE_GOAL}[data-met-by="learner"]`);
  await done(page);
});
