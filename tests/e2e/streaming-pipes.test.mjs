// Real-time training samples and the medallion (issue 14) in the browser. Lessons 53 (training
// samples) and 55 (medallion) are followed as written - every "Do it" button pressed in reading
// order, every prediction answered before its experiment - and the goals the buttons do not meet
// are met through the widgets, as a learner would: a wait typed into the samples panel, the
// batch dedup written in the SQL editor. On the streaming lab page the samples panel draws its
// chart and lists fake negatives, refuses a wait out of range beside the form (journaling
// nothing), journals "Write to topics" and reads the samples topic back (lesson 53 checks its
// count against the prose), and the medallion shows a failed update rolled back until an expectation's action is
// changed in its select. No console error, no sideways scrolling at 1280x800 and 390x844;
// screenshots go to target/e2e-screenshots/.
import { test } from "node:test";
import assert from "node:assert/strict";
import { join } from "node:path";
import {
  SHOTS, setup, openPage, go, done, overflowOf, runSql, lessonPlan, followLesson, missedGoals,
} from "./harness.mjs";

setup();

async function goalDone(page, id) {
  await page.waitForSelector(`.goal[data-goal="${id}"].goal-done`, { timeout: 30000 });
}

test("lesson 53, followed as written and finished in the panel and in SQL, meets every goal", async () => {
  const page = await openPage({ width: 1280, height: 800 });
  await page.addInitScript(() => localStorage.clear());
  const { id, actions } = lessonPlan("53-streaming-training-samples.md");
  // The SQL goal is met after the buttons, in the editor, like the goal no button meets.
  const sql = actions.filter((a) => a.kind === "sql-check");
  await go(page, `#/lessons/${id}`);
  await page.waitForSelector(".samples-diagnosis[data-wait='900']");
  await page.screenshot({ path: join(SHOTS, `lesson-${id}-top-1280.png`) });
  await followLesson(page, { id, actions: actions.filter((a) => a.kind !== "sql-check") });
  await page.waitForSelector(".samples-diagnosis[data-wait='1800']");
  assert.match(await page.textContent(".samples-recall"), /^89\.0%$/);
  // The topic holds what the job emitted in its first two minutes, read back as the prose says.
  assert.equal((await page.textContent(".samples-topic-count")).trim(), "68");
  assert.equal((await page.textContent(".samples-topic-fake")).trim(), "7");
  assert.equal((await page.textContent(".samples-topic-features")).trim(), "0");
  // The goal no button meets: a wait typed into the panel.
  await page.fill(".samples-wait-input", "360");
  await page.click(".samples-set-wait");
  await page.waitForSelector(".samples-diagnosis[data-wait='360']");
  assert.match(await page.textContent(".samples-recall"), /^80\.5%$/);
  await goalDone(page, "pick-a-wait");
  // The SQL goal: the batch side's dedup, written in the editor.
  assert.equal(sql.length, 1);
  await runSql(page, sql[0].answer);
  await goalDone(page, sql[0].goal);
  assert.deepEqual(await missedGoals(page), [], `${id}: goals not met`);
  await page.locator(".samples-diagnosis").screenshot({ path: join(SHOTS, `lesson-${id}-panel-1280.png`) });
  assert.ok((await overflowOf(page)) <= 1, "no sideways scroll");
  await done(page);
});

test("lesson 55, followed as written, meets every goal", async () => {
  const page = await openPage({ width: 1280, height: 800 });
  await page.addInitScript(() => localStorage.clear());
  const { id, actions } = lessonPlan("55-streaming-medallion.md");
  await go(page, `#/lessons/${id}`);
  await page.waitForSelector(".medallion");
  await followLesson(page, { id, actions });
  assert.deepEqual(await missedGoals(page), [], `${id}: goals not met`);
  assert.equal(await page.getAttribute(".medallion", "data-failing"), "false");
  assert.equal(await page.getAttribute(".medallion", "data-silver"), "199");
  assert.match(await page.textContent(".medallion-dropped"), /violates has_amount/);
  await page.locator(".medallion").screenshot({ path: join(SHOTS, `lesson-${id}-medallion-1280.png`) });
  assert.ok((await overflowOf(page)) <= 1, "no sideways scroll");
  await done(page);
});

for (const [width, height, colorScheme] of [[1280, 800, "light"], [390, 844, "dark"]]) {
  test(`the samples panel and the medallion on the streaming lab at ${width}x${height}`, async () => {
    const page = await openPage({ width, height, colorScheme });
    await page.addInitScript(() => localStorage.clear());
    await go(page, "#/labs/streaming");
    await page.waitForSelector(".samples-diagnosis[data-wait='900']");
    await page.waitForSelector(".medallion");

    // The chart is drawn, and a shorter wait trades recall for freshness.
    await page.locator(".samples-chart canvas").scrollIntoViewIfNeeded();
    assert.ok((await page.evaluate(() => document.querySelector(".samples-chart canvas").width)) > 0, "the chart is drawn");
    const recall900 = parseFloat(await page.textContent(".samples-recall"));
    const journal = await page.locator(".journal-list li").count();
    await page.locator(".samples-preset", { hasText: /^60 s$/ }).click();
    await page.waitForSelector(".samples-diagnosis[data-wait='60']");
    assert.ok(parseFloat(await page.textContent(".samples-recall")) < recall900 / 2, "recall falls with a 60 s wait");
    assert.ok((await page.locator(".samples-fake-negatives tbody tr").count()) >= 10, "fake negatives are listed");
    // Every column of the fake negatives fits the card: none is cut off at the right edge.
    const cut = await page.evaluate(() => {
      const table = document.querySelector(".samples-fake-negatives");
      const box = table.closest(".table-scroll");
      return table.getBoundingClientRect().right - box.getBoundingClientRect().right;
    });
    assert.ok(cut <= 1, `the fake negatives' last column is cut by ${cut} px`);
    assert.equal(await page.locator(".journal-list li").count(), journal + 1, "the wait is journaled");

    // Writing to topics: the button journals the command, and the topic's part of the panel appears.
    assert.equal(await page.locator(".samples-topic-stats").count(), 0, "no samples topic before");
    await page.click(".samples-to-topic");
    await page.waitForSelector('.samples-to-topic[aria-pressed="true"]');
    await page.waitForSelector(".samples-topic-count");
    assert.equal(await page.locator(".journal-list li").count(), journal + 2, "writing to topics is journaled");

    // A wait out of range is refused beside the form with its hint, and nothing is journaled.
    await page.fill(".samples-wait-input", "7200");
    await page.click(".samples-set-wait");
    await page.waitForSelector(".samples-diagnosis .stream-refusal");
    assert.match(await page.textContent(".samples-diagnosis .stream-refusal"), /out of range[\s\S]*Hint:.*900 s/);
    assert.equal(await page.locator(".journal-list li").count(), journal + 2, "a refused wait journals nothing");
    await page.locator(".samples-diagnosis").screenshot({ path: join(SHOTS, `streaming-samples-${width}.png`) });

    // Play until an update fails: rolled back, silver stays, the row is named.
    await page.selectOption(".tc-speed select", "100");
    await page.click(".tc-play");
    await page.waitForSelector(".medallion[data-failing='true']", { timeout: 60000 });
    await page.click(".tc-play");
    await page.locator(".medallion").scrollIntoViewIfNeeded();
    assert.match(await page.textContent(".medallion-failed"), /failed and was rolled back[\s\S]*non_negative_amount[\s\S]*Hint:/);
    await page.locator(".medallion").screenshot({ path: join(SHOTS, `streaming-medallion-failed-${width}.png`) });
    const silver = Number(await page.getAttribute(".medallion", "data-silver"));
    const dropped = Number(await page.getAttribute(".medallion", "data-dropped"));

    // Drop instead of fail: the next update takes the backlog and drops the negative amount.
    await page.selectOption('.medallion tr[data-expectation="non_negative_amount"] .medallion-action', "drop");
    await page.click(".tc-play");
    await page.waitForSelector(".medallion[data-failing='false']", { timeout: 60000 });
    await page.click(".tc-play");
    assert.ok(Number(await page.getAttribute(".medallion", "data-silver")) > silver, "silver grows again");
    assert.ok(Number(await page.getAttribute(".medallion", "data-dropped")) > dropped, "the negative amount is dropped");
    assert.match(await page.textContent(".medallion-dropped"), /violates non_negative_amount/);
    await page.locator(".medallion").screenshot({ path: join(SHOTS, `streaming-medallion-${width}.png`) });
    await page.screenshot({ path: join(SHOTS, `streaming-pipes-${width}.png`), fullPage: true });
    // Both panels fit the screen (their wide tables scroll inside them).
    for (const panel of [".samples-diagnosis", ".medallion"]) {
      const overflow = await page.evaluate((sel) => {
        const el = document.querySelector(sel);
        return el.getBoundingClientRect().right - document.documentElement.clientWidth;
      }, panel);
      assert.ok(overflow <= 1, `${panel} sticks out of the screen by ${overflow} px`);
    }
    await done(page);
  });
}
