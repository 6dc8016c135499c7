// The streaming lessons 47-51 (event time, windows, watermarks, output modes, delivery) in the
// browser: each lesson is followed as written - every "Do it" button pressed in reading order,
// every prediction answered before its experiment, every SQL goal's answer run in the lesson's
// editor when the lesson asks for it - and then every goal of the lesson is met, with no console
// error. Screenshots at 1280x800 and 390x844 go to target/e2e-screenshots/.
import { test } from "node:test";
import assert from "node:assert/strict";
import { join } from "node:path";
import {
  SHOTS, setup, openPage, go, done, lessonPlan, followLesson, missedGoals, finishedShot, lessonsFitPhone,
} from "./harness.mjs";

setup();

const FILES = [
  "47-streaming-event-time.md",
  "48-streaming-windows.md",
  "49-streaming-watermarks.md",
  "50-streaming-output-modes.md",
  "51-streaming-delivery.md",
];

test("each streaming lesson, followed as written, meets every goal", async () => {
  const page = await openPage({ width: 1280, height: 800 });
  for (const file of FILES) {
    const { id, actions } = lessonPlan(file);
    await go(page, `#/lessons/${id}`);
    const goals = await page.locator(".goal").count();
    assert.ok(goals >= 3, `${id} has ${goals} goals`);
    await page.screenshot({ path: join(SHOTS, `lesson-${id}-top-1280.png`) });
    await followLesson(page, { id, actions });
    assert.deepEqual(await missedGoals(page), [], `${id}: goals not met`);
    await finishedShot(page, id);
  }
  await done(page);
});

test("each streaming lesson fits a phone, text and lab", async () => {
  const page = await openPage({ width: 390, height: 844 });
  await lessonsFitPhone(page, FILES.map((f) => lessonPlan(f).id), { pressFirstDoIt: true });
  await done(page);
});
