// The distributed execution lab (#/labs/cluster): an example query runs as a job whose stages are
// drawn with their exchanges and whose tasks fill the Gantt chart as the lab plays; a killed
// executor is shown lost and the job still ends; a word count runs as a MapReduce job with its
// counters and part files. At desktop and phone sizes, in both colour schemes, with no console
// error and no sideways scrolling of the page (the DAG and the chart scroll inside their widgets).
import { test } from "node:test";
import assert from "node:assert/strict";
import { join } from "node:path";
import { setup, openPage, go, done, overflowOf, SHOTS } from "./harness.mjs";

setup();

const screen = (page, name) => page.screenshot({ path: join(SHOTS, `${name}.png`) });
const widgetShot = (page, widget, name) =>
  page.locator(`[data-widget="${widget}"]`).screenshot({ path: join(SHOTS, `${name}.png`) });
const journalCount = (page) => page.locator(".journal-list li").count();

/** Plays at 50 ticks/s until `predicate` holds in the page, then pauses. */
async function playUntil(page, predicate, arg) {
  await page.selectOption(".tc-speed select", "50");
  await page.click(".tc-play");
  await page.waitForFunction(predicate, arg, { timeout: 60000 });
  await page.click(".tc-play");
}

const jobEnded = () => /succeeded|failed/.test(document.querySelector(".dx-driver-job")?.textContent ?? "");

for (const [width, height, colorScheme] of [[1280, 800, "light"], [390, 844, "dark"]]) {
  test(`the cluster lab at ${width}x${height} (${colorScheme})`, async () => {
    const page = await openPage({ width, height, colorScheme });
    await page.addInitScript(() => localStorage.clear());
    await go(page, "#/labs/cluster");
    assert.equal(await page.textContent("main h1"), "Distributed execution lab");
    await page.waitForSelector(".cluster-executors .dx-executor");
    assert.equal(await page.locator(".cluster-executors .dx-executor").count(), 4);
    await screen(page, `cluster-lab-${width}-start`);

    // An example query: a journaled job, its stages drawn with the exchange between them.
    await page.click('.dx-example[data-example="GROUP BY"]');
    await page.click(".dx-sql-run");
    assert.equal(await journalCount(page), 1);
    await page.waitForSelector(".cluster-stages .dx-stage");
    assert.ok(Number(await page.getAttribute(".cluster-stages", "data-stages")) >= 2, "a GROUP BY has a shuffle");
    assert.match(await page.textContent(".cluster-stages .dx-edge"), /hashpartitioning/);

    // Playing fills the Gantt chart; the job ends and its result equals the single machine's.
    await playUntil(page, () => document.querySelectorAll(".dx-bar").length > 4);
    if (width > 800) {
      // The cluster, the stages and the tasks fit one screen beside the controls.
      await page.locator('[data-widget="cluster-view"]').scrollIntoViewIfNeeded();
      await screen(page, `cluster-lab-${width}-running`);
    } else {
      await widgetShot(page, "cluster-timeline", `cluster-lab-${width}-timeline`);
    }
    await playUntil(page, jobEnded);
    assert.match(await page.textContent(".dx-driver-job"), /succeeded/);
    assert.equal(await page.getAttribute(".dx-agreement", "data-agreement"), "equal");
    await widgetShot(page, "cluster-plan", `cluster-lab-${width}-plan`);

    // The skewed join: at the default threshold pages is shuffled, and AQE splits '/home'.
    await page.click('.dx-example[data-example="Join pages (skewed)"]');
    await page.click(".dx-sql-run");
    assert.match(await page.textContent(".cluster-stages"), /AQE: skew split/);
    await playUntil(page, jobEnded);
    assert.equal(await page.getAttribute(".dx-agreement", "data-agreement"), "equal");
    await widgetShot(page, "cluster-stages", `cluster-lab-${width}-stages`);
    await widgetShot(page, "cluster-timeline", `cluster-lab-${width}-skew-timeline`);

    // A second run, and an executor killed while it runs: shown lost, the job still ends.
    await page.click('.dx-example[data-example="Join visitors"]');
    await page.click(".dx-sql-run");
    await playUntil(page, () => document.querySelectorAll(".cluster-executors .dx-busy").length > 0);
    await page.selectOption(".dx-fault-executor", "1");
    await page.click(".dx-kill");
    assert.equal(await page.getAttribute('.cluster-executors [data-executor="1"]', "data-alive"), "false");
    await playUntil(page, jobEnded);
    await widgetShot(page, "cluster-view", `cluster-lab-${width}-killed`);
    await widgetShot(page, "cluster-timeline", `cluster-lab-${width}-killed-timeline`);

    // Word count as a MapReduce job: counters and part files.
    await page.selectOption(".dx-mr-example", "wordcount");
    await page.click(".dx-mr-run");
    await page.waitForSelector('.cluster-plan[data-kind="mapreduce"]');
    await playUntil(page, jobEnded);
    assert.ok(await page.locator('.dx-counters [data-counter="Reduce output records"]').count(), "the counters are listed");
    assert.ok(await page.locator(".dx-part").count() >= 1, "a part file per reducer");
    await widgetShot(page, "cluster-plan", `cluster-lab-${width}-wordcount`);
    await widgetShot(page, "cluster-mapreduce", `cluster-lab-${width}-mapreduce`);

    const overflow = await overflowOf(page);
    assert.ok(overflow <= 1, `the page scrolls sideways by ${overflow}px`);
    await page.screenshot({ path: join(SHOTS, `cluster-lab-${width}-end.png`), fullPage: true });
    await done(page);
  });
}
