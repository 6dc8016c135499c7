// The pipeline lessons 75-79 (the capstone) in the browser: every lesson page opens without a console
// error at 1280x800 and at 390x844 (text and lab, no sideways scroll), and one lesson - 75, one click
// from producer to prediction - is followed as written: every "Do it" pressed in reading order, every
// prediction answered before its experiment, and then every goal of the lesson is met. Screenshots go
// to target/e2e-screenshots/.
import { test } from "node:test";
import assert from "node:assert/strict";
import { readdirSync } from "node:fs";
import { join } from "node:path";
import {
  ROOT, setup, openPage, go, done, lessonPlan, followLesson, missedGoals, finishedShot, lessonsOpen, lessonsFitPhone,
} from "./harness.mjs";

setup();

/** The pipeline lessons' files, in order. */
const FILES = readdirSync(join(ROOT, "lessons")).filter((f) => /^\d+-pipeline-.*\.md$/.test(f)).sort();

test("there are five pipeline lessons", () => {
  assert.deepEqual(FILES.map((f) => Number(f.split("-")[0])), [75, 76, 77, 78, 79]);
});

test("every pipeline lesson opens without errors at 1280x800", async () => {
  const page = await openPage({ width: 1280, height: 800 });
  await lessonsOpen(page, FILES.map((f) => lessonPlan(f).id), '.lesson-lab [class^="pipe-"]');
  await done(page);
});

test("every pipeline lesson fits a phone, text and lab", async () => {
  const page = await openPage({ width: 390, height: 844 });
  await lessonsFitPhone(page, FILES.map((f) => lessonPlan(f).id));
  await done(page);
});

test("lesson 75, followed as written, meets every goal", async () => {
  const page = await openPage({ width: 1280, height: 800 });
  const plan = lessonPlan(FILES.find((f) => f.startsWith("75-")));
  await go(page, `#/lessons/${plan.id}`);
  await followLesson(page, plan);
  assert.deepEqual(await missedGoals(page), [], `${plan.id}: goals not met`);
  await finishedShot(page, plan.id);
  await done(page);
});
