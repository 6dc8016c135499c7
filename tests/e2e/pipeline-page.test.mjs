// The pipeline lab (#/labs/pipeline, issue 17): the page loads with the whole graph (ten nodes, each
// with its health as a word), plays, and every node opens its engine's panel at the tick on screen
// (by a click, and by Enter on the focused card). Once every node is ok, a broker kill moves
// clicks-0's leadership, and killing its new leader too leaves one in-sync replica, which the topic's
// health shows; a job crash turns the job's card to "failed" at once; restarting it brings it back.
// Fork and compare with a lower analysis threshold lists the outcomes of both timelines. At 1280x800 the graph and the open panel are on the first
// screen; at 390x844 the graph stacks in one column with legible text (>= 12 px) and nothing scrolls
// sideways. No console error at either size; screenshots go to target/e2e-screenshots.
import { test } from "node:test";
import assert from "node:assert/strict";
import { join } from "node:path";
import { setup, openPage, go, done, overflowOf, SHOTS } from "./harness.mjs";

setup();

const NODES = ["users", "producer", "topic", "job", "online-store", "offline-log", "models", "traffic", "analysis", "experiment"];
const screen = (page, name) => page.screenshot({ path: join(SHOTS, `${name}.png`) });
const tick = async (page) => Number(/tick (\d+)/.exec(await page.textContent(".tc-status"))?.[1] ?? NaN);
const health = (page, node) => page.getAttribute(`.pipe-node[data-node="${node}"]`, "data-health");

/** Plays until `predicate` (evaluated in the page) holds, then pauses; returns whether it held. */
async function playUntil(page, predicate, arg = null, timeout = 60000) {
  await page.click(".tc-play");
  const held = await page.waitForFunction(predicate, arg, { timeout, polling: 50 }).then(() => true, () => false);
  await page.click(".tc-play");
  return held;
}

for (const [width, height, colorScheme] of [[1280, 800, "light"], [390, 844, "dark"]]) {
  test(`the pipeline lab at ${width}x${height} (${colorScheme}): graph, panels, broker kill, job crash`, async () => {
    const page = await openPage({ width, height, colorScheme });
    await page.addInitScript(() => localStorage.clear());
    await go(page, "#/labs/pipeline");
    await page.waitForSelector(".pipe-graph .pipe-node");
    assert.equal(await page.textContent("main h1"), "Pipeline lab");
    assert.deepEqual(await page.$$eval(".pipe-node", (nodes) => nodes.map((n) => n.dataset.node)), NODES, "every node, in flow order");
    for (const node of NODES) {
      const card = await page.textContent(`.pipe-node[data-node="${node}"] .pipe-health`);
      assert.match(card, /ok|warn|failed/, `${node} says its health in words`);
    }
    // Legible: no text in the graph below 12 px.
    const smallest = await page.$$eval(".pipe-graph *", (els) => Math.min(...els.filter((e) => e.textContent.trim()).map((e) => parseFloat(getComputedStyle(e).fontSize))));
    assert.ok(smallest >= 12, `the graph's smallest text is ${smallest}px`);

    // Play: the clock moves and clicks flow to the topic.
    await page.selectOption(".tc-speed select", "100");
    const before = await tick(page);
    assert.ok(await playUntil(page, () => /(\d+) sent/.test(document.querySelector('.pipe-node[data-node="producer"]')?.textContent ?? "")
      && Number(/(\d+) sent/.exec(document.querySelector('.pipe-node[data-node="producer"]').textContent)[1]) > 50), "clicks are sent while playing");
    assert.ok((await tick(page)) > before, "the clock advanced");

    if (width === 1280) {
      // The graph and the open panel are on the first screen.
      const graph = await page.locator(".pipe-graph").boundingBox();
      const panel = await page.locator("#pipe-panel").boundingBox();
      assert.ok(graph.y + graph.height <= height, `the graph ends at ${graph.y + graph.height}px`);
      assert.ok(panel && panel.y + 40 <= height && panel.x > graph.x + graph.width / 2, `the panel is beside the graph, on screen (y ${panel?.y})`);
    } else {
      const xs = await page.$$eval(".pipe-node", (nodes) => nodes.map((n) => n.getBoundingClientRect().x));
      assert.equal(new Set(xs).size, 1, "the cards stack in one column");
    }
    await screen(page, `pipeline-${width}-start`);

    // Each node opens its engine's panel, at the tick on screen.
    const at = await tick(page);
    for (const node of NODES) {
      const button = page.locator(`.pipe-node[data-node="${node}"] .pipe-node-button`);
      if (node === "job") {
        await button.focus();
        await page.keyboard.press("Enter");
      } else if ((await page.getAttribute(`.pipe-node[data-node="${node}"] .pipe-node-button`, "aria-expanded")) !== "true") {
        await button.click();
      }
      await page.waitForSelector(`#pipe-panel[data-panel="${node}"]`);
      assert.match(await page.textContent(".pipe-panel-title"), new RegExp(`at tick ${at}`), `${node}'s panel is at the tick on screen`);
    }
    for (const [node, inside] of [["topic", '[data-widget="replicas"]'], ["traffic", '[data-widget="rollout-traffic"]'], ["analysis", '[data-widget="rollout-analysis"]'], ["experiment", ".pipe-reading"], ["job", ".pipe-job"], ["online-store", ".pipe-chart-age canvas"]]) {
      await page.click(`.pipe-node[data-node="${node}"] .pipe-node-button`);
      await page.waitForSelector(`#pipe-panel[data-panel="${node}"] ${inside}`);
    }
    await page.locator("#pipe-panel").scrollIntoViewIfNeeded();
    await screen(page, `pipeline-${width}-panel`);

    // Play until every node is ok (the first windows reached the online store).
    const allOk = () => {
      const wrap = document.querySelector(".pipe-graph-wrap");
      return wrap && wrap.dataset.failed === "0" && wrap.dataset.warn === "0";
    };
    assert.ok(await playUntil(page, allOk), "the pipeline becomes healthy once the first windows are pushed");
    // A broker kill: the leader of clicks-0 dies and the controller elects another one.
    await page.locator(".pipe-kill-broker").scrollIntoViewIfNeeded();
    const killed = /broker (\d+)/.exec(await page.textContent(".pipe-kill-broker"))[1];
    await page.click(".pipe-kill-broker");
    assert.ok(await playUntil(page, (b) => !new RegExp(`p0: leader ${b},`).test(document.querySelector('.pipe-node[data-node="topic"]').textContent), killed),
      `clicks-0 gets a leader other than broker ${killed}`);
    // Its new leader dies too: one in-sync replica is left, under min ISR 2, and the topic's health says so.
    await page.click(".pipe-kill-broker");
    assert.ok(await playUntil(page, () => document.querySelector('.pipe-node[data-node="topic"]')?.dataset.health !== "ok"),
      "two dead brokers show as a health change on the topic");
    assert.match(await page.textContent('.pipe-node[data-node="topic"] .pipe-health'), /warn|failed/);
    await page.locator(".pipe-graph").scrollIntoViewIfNeeded();
    await screen(page, `pipeline-${width}-broker-killed`);
    await page.click(".pipe-restart-broker");
    await page.click(".pipe-restart-broker");

    // A job crash: the job's card says failed at once; a restart brings it back.
    await page.click(".pipe-faults .pipe-crash-job");
    await page.waitForSelector('.pipe-node[data-node="job"][data-health="failed"]');
    assert.match(await page.textContent('.pipe-node[data-node="job"]'), /crashed/);
    await playUntil(page, () => Number(document.querySelector(".tc-status")?.textContent.match(/tick (\d+)/)?.[1]) % 10 === 0, null, 10000);
    await page.locator(".pipe-graph").scrollIntoViewIfNeeded();
    await screen(page, `pipeline-${width}-job-crashed`);
    await page.click(".pipe-faults .pipe-restart-job");
    await page.waitForFunction(() => document.querySelector('.pipe-node[data-node="job"]')?.dataset.health !== "failed");
    assert.notEqual(await health(page, "job"), "failed", "the restarted job is no longer failed");

    // Fork and compare: the same history with a lower analysis threshold, both run 30 s more.
    await page.locator(".pipe-fork-button").scrollIntoViewIfNeeded();
    await page.selectOption(".pipe-fork-threshold", "700");
    await page.selectOption(".pipe-fork-extra", "300");
    await page.click(".pipe-fork-button");
    await page.waitForSelector(".pipe-comparison tr[data-row]", { timeout: 60000 });
    assert.ok((await page.locator(".pipe-comparison tr[data-row]").count()) >= 5, "the comparison lists the outcomes downstream");
    const forked = await page.textContent(".pipe-comparison");
    assert.match(forked, /threshold 70/, "the fork changed the threshold");
    assert.doesNotMatch(forked, /acks=|TTL|strategy/, "and nothing left at \"as now\"");
    await screen(page, `pipeline-${width}-compare`);

    const overflow = await overflowOf(page);
    assert.ok(overflow <= 1, `the page scrolls sideways by ${overflow}px`);
    await done(page);
  });
}
