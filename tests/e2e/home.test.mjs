// The home page as a map of the tracks (issue 12): Foundations, Kafka, replication, SQL, the feature store and streaming with
// the learner's progress and a clear next step, then the tracks to come; readable at a desktop
// and a phone size. Viewport screenshots go to target/e2e-screenshots/.
import { test } from "node:test";
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { ROOT, SHOTS, setup, openPage, go, done, overflowOf } from "./harness.mjs";

setup();

const SIZES = [[1280, 800], [390, 844]];
const TRACKS = ["Foundations", "Kafka", "Replication", "SQL", "Feature store", "Streaming", "Rollouts", "Experiments", "Distributed execution", "Pipeline"];
const COMING = [];

/** The ids of a lesson file's ```check goals. */
function checkIds(file) {
  const text = readFileSync(join(ROOT, "lessons", file), "utf8");
  return [...text.matchAll(/```check\n([\s\S]*?)```/g)].map((m) => /^id:\s*(\S+)/m.exec(m[1])[1]);
}

function titleOf(file) {
  return /^title:\s*(.+)$/m.exec(readFileSync(join(ROOT, "lessons", file), "utf8"))[1].trim();
}

async function tracksOnThePage(page) {
  return page.$$eval(".track-stop", (stops) => stops.map((s) => ({
    name: s.dataset.track,
    coming: s.classList.contains("is-coming"),
    progress: s.querySelector(".track-progress")?.textContent.trim() ?? null,
    next: s.querySelector(".track-next")?.textContent.trim() ?? null,
    levels: s.querySelectorAll(".level").length,
    done: s.querySelectorAll(".level.is-done").length,
  })));
}

test("the home page is a map of the tracks, each with its progress and a first step, at desktop and phone sizes", async () => {
  for (const [width, height] of SIZES) {
    const page = await openPage({ width, height });
    await go(page, "#/");
    const tracks = await tracksOnThePage(page);
    assert.deepEqual(tracks.map((t) => t.name), [...TRACKS, ...COMING], "the tracks in map order, then the ones to come");
    for (const track of tracks.slice(0, TRACKS.length)) {
      assert.equal(track.coming, false);
      assert.ok(track.levels >= 2, `${track.name} shows its lessons`);
      assert.match(track.progress, /^0 of \d+ goals done$/, `${track.name}: ${track.progress}`);
      assert.match(track.next, /^Start: /, `${track.name} has a first step`);
      assert.equal(track.done, 0);
    }
    for (const track of tracks.slice(TRACKS.length)) {
      assert.equal(track.coming, true, `${track.name} is shown as coming`);
      assert.equal(track.next, null, `${track.name} has nothing to start yet`);
    }
    assert.equal(await page.textContent(".home-continue"), `Start: ${titleOf("01-time-and-replay.md")}`);
    const overflow = await overflowOf(page);
    assert.ok(overflow <= 1, `the home page at ${width}px scrolls sideways by ${overflow}px`);
    await page.screenshot({ path: join(SHOTS, `home-map-${width}x${height}.png`) });
    await page.locator('[data-track="Replication"]').scrollIntoViewIfNeeded();
    await page.screenshot({ path: join(SHOTS, `home-map-replication-${width}x${height}.png`) });
    await done(page);
  }
});

test("the map shows goals done and moves each track's next step past finished lessons", async () => {
  const first = checkIds("01-time-and-replay.md");
  const kafka = checkIds("10-kafka-commit-log.md").slice(0, 1);
  const progress = JSON.stringify({ schema: 1, completed: { "time-and-replay": first, "kafka-commit-log": kafka } });
  const page = await openPage({ width: 1280, height: 800, init: `localStorage.setItem("flowlab.progress", ${JSON.stringify(progress)});` });
  await go(page, "#/");
  const tracks = Object.fromEntries((await tracksOnThePage(page)).map((t) => [t.name, t]));
  assert.match(tracks.Foundations.progress, new RegExp(`^${first.length} of \\d+ goals done$`));
  assert.equal(tracks.Foundations.done, 1, "the finished lesson is ticked");
  assert.equal(tracks.Foundations.next, `Next: ${titleOf("02-forks-and-links.md")}`);
  assert.match(tracks.Kafka.progress, /^1 of \d+ goals done$/);
  assert.equal(tracks.Kafka.next, `Next: ${titleOf("10-kafka-commit-log.md")}`, "a lesson with a goal left stays the next step");
  assert.equal(tracks.Replication.next, `Start: ${titleOf("18-kafka-replication-isr.md")}`);
  assert.equal(await page.textContent(".home-continue"), `Continue: ${titleOf("02-forks-and-links.md")}`);
  assert.equal(await page.getAttribute('[data-track="Foundations"] .level.is-next', "href"), "#/lessons/forks-and-links");
  await page.screenshot({ path: join(SHOTS, "home-map-progress-1280x800.png") });
  await page.click('[data-track="Replication"] .track-next');
  await page.waitForFunction(() => document.querySelector("main h1")?.textContent.includes("Replication"));
  assert.match(page.url(), /#\/lessons\/kafka-replication-isr$/);
  await done(page);
});
