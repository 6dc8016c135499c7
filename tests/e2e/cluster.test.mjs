// The cluster picture of the replication lab and the offset tracks of the Kafka lab (issue 12, "A
// replication picture you can read at a glance"): brokers as nodes with a fault menu each, one bar
// per replica with the high watermark across them, amber above the HW, red for lost acknowledged
// records, each group's committed offset and lag on its partition, and retention in ticks and ms.
import { test } from "node:test";
import assert from "node:assert/strict";
import { setup, openPage, go, shot, done, overflowOf } from "./harness.mjs";

setup();

const ORDERS0 = '[data-partition="orders-0"]';

/** Opens broker `broker`'s fault menu and presses the item named `action` (e.g. "Kill"). */
async function fault(page, broker, action) {
  await page.click(`[data-broker="${broker}"] .broker-menu > summary`);
  await page.getByRole("button", { name: `${action} broker ${broker}`, exact: true }).click();
}

/** Plays at 100 ticks/s until `predicate(selector)` holds in the page, then pauses. */
async function playUntil(page, predicate, arg) {
  await page.selectOption(".tc-speed select", "100");
  await page.click(".tc-play");
  await page.waitForFunction(predicate, arg, { timeout: 15000 });
  await page.click(".tc-play");
}

async function send(page, count) {
  await page.fill(".send-count", String(count));
  await page.click(".send-button");
}

async function step(page, n) {
  for (let i = 0; i < n; i++) await page.click(".tc-step");
}

/** Height of the cluster picture, in viewports. */
async function pictureViewports(page) {
  return page.evaluate(() => document.querySelector(".cluster-picture").getBoundingClientRect().height / innerHeight);
}

for (const [width, height, colorScheme] of [[1280, 800, "light"], [390, 844, "dark"]]) {
  test(`the cluster picture at ${width}x${height} (${colorScheme}): a follower's lag in amber, a leader kill in words`, async () => {
    const page = await openPage({ width, height, colorScheme });
    await go(page, "#/labs/replication");
    const tall = await pictureViewports(page);
    assert.ok(tall <= (width > 800 ? 1 : 2), `the whole picture fits in ${width > 800 ? 1 : 2} viewport(s), not ${tall.toFixed(2)}`);
    assert.equal(await page.locator(".replica-partition .hw-line").count(), 3, "one HW line per partition");
    assert.equal(await page.isVisible('[data-broker="1"] .kill-broker'), false, "faults wait in a closed menu");
    // Sent but not fetched yet: the leader's records are above the HW (amber), the followers lack them.
    await send(page, 30);
    const leaderBar = `${ORDERS0} [data-replica="1"] .replica-bar`;
    assert.match(await page.getAttribute(leaderBar, "aria-label"), /broker 1: leader, ISR; log start 0, LEO \d+, its HW 0; \d+ record\(s\) at offsets 0–\d+ above the high watermark/);
    assert.equal(await page.locator(`${leaderBar} .bar-above-hw`).count(), 1);
    assert.match(await page.getAttribute(`${ORDERS0} [data-replica="2"] .replica-bar`, "aria-label"), /lacks offsets 0–\d+ that the leader holds/);
    await step(page, 5);
    assert.equal(await page.locator(`${ORDERS0} .bar-above-hw`).count(), 0, "fetched: everything is below the HW");
    assert.match(await page.textContent(`${ORDERS0} .hw-label`), /^HW [1-9]\d*$/);
    // Kill the leader from its menu: the node and its replica rows say so in words.
    await fault(page, 1, "Kill");
    assert.equal(await page.isVisible('[data-broker="1"] .broker-menu .menu-panel'), false, "the menu closes after an action");
    assert.match(await page.textContent('[data-broker="1"] .broker-card-head'), /crashed/);
    assert.match(await page.textContent(`${ORDERS0} [data-replica="1"] .replica-name`), /leader.*down/);
    await playUntil(page, (sel) => /leader b2/.test(document.querySelector(sel).textContent), `${ORDERS0} .partition-facts`);
    assert.match(await page.getAttribute('[data-broker="1"]', "aria-label"), /broker 1: crashed, fenced; epoch 1/);
    assert.match(await page.textContent(`${ORDERS0} [data-replica="2"] .replica-name`), /^\s*b2\s*leader/);
    assert.equal(await page.locator(`${ORDERS0} [data-replica="2"] .replica-name .crown svg.icon`).count(), 1, "the crown (an SVG icon)");
    assert.match(await page.textContent(`${ORDERS0} [data-replica="1"] .replica-name`), /out of sync.*down/);
    assert.match(await page.textContent(".controller-chip"), /controller C\d active · term \d+ · 3 of 3 up/);
    const overflow = await overflowOf(page);
    assert.ok(overflow <= 1, `the replication lab at ${width}px scrolls sideways by ${overflow}px`);
    await shot(page, `cluster-picture-election-${width}-${colorScheme}`);
    await fault(page, 1, "Restart");
    assert.match(await page.textContent('[data-broker="1"] .broker-card-head'), /fenced|alive/);
    await done(page);
  });
}

test("the fault menu works from the keyboard: Enter opens it, Escape closes it and returns the focus", async () => {
  const page = await openPage();
  await go(page, "#/labs/replication");
  const summary = page.locator('[data-broker="2"] .broker-menu > summary');
  assert.equal(await summary.textContent(), "Faults for broker 2");
  await summary.focus();
  await page.keyboard.press("Enter");
  assert.equal(await page.isVisible('[data-broker="2"] .kill-broker'), true);
  await page.keyboard.press("Tab");
  assert.equal(await page.evaluate(() => document.activeElement.getAttribute("aria-label")), "Kill broker 2");
  await page.keyboard.press("Escape");
  assert.equal(await page.isVisible('[data-broker="2"] .kill-broker'), false);
  assert.equal(await page.evaluate(() => document.activeElement.tagName), "SUMMARY");
  // Only what applies is offered: a running broker has no Restart, a healthy one no Heal.
  await page.keyboard.press("Enter");
  assert.equal(await page.locator('[data-broker="2"] .restart-broker').count(), 0);
  assert.equal(await page.locator('[data-broker="2"] .heal-broker').count(), 0);
  await page.click('[data-broker="2"] .cut-controller');
  assert.match(await page.textContent('[data-broker="2"] .broker-card-head'), /partitioned from controller/);
  await page.click('[data-broker="2"] .broker-menu > summary');
  await page.getByRole("button", { name: "Heal broker 2", exact: true }).click();
  assert.match(await page.textContent('[data-broker="2"] .broker-card-head'), /alive/);
  await done(page);
});

test("an unclean election draws the lost acknowledged records in red, with their offsets in words", async () => {
  const page = await openPage({ width: 1280, height: 800 });
  await go(page, "#/labs/replication");
  await page.fill(".min-isr-input", "1");
  await page.check(".unclean-input");
  await page.click(".apply-replication");
  await send(page, 30);
  await step(page, 5);
  await fault(page, 2, "Kill");
  await fault(page, 3, "Kill");
  await playUntil(page, (sel) => /ISR \{1\}/.test(document.querySelector(sel).textContent), `${ORDERS0} .partition-facts`);
  await send(page, 20);
  await step(page, 5);
  await fault(page, 1, "Kill");
  await playUntil(page, (sel) => /offline/.test(document.querySelector(sel).textContent), `${ORDERS0} h4`);
  await fault(page, 2, "Restart");
  await step(page, 3);
  assert.match(await page.textContent(`${ORDERS0} .partition-facts`), /leader b2 .*last election: unclean/);
  const lost = await page.getAttribute(`${ORDERS0} .replica-lost .replica-bar`, "aria-label");
  assert.match(lost, /^\d+ acknowledged record\(s\) lost at offsets \d+–\d+/);
  assert.ok(await page.locator(".replica-lost .bar-lost").count() >= 1);
  const perPartition = await page.$$eval(".replica-lost .replica-numbers", (cells) => cells.reduce((n, c) => n + parseInt(c.textContent, 10), 0));
  assert.equal(perPartition, Number(await page.textContent(".ledger-lost")), "the red rows add up to the ledger's lost count");
  // The deposed leader still holds its records above the new HW: amber until it truncates.
  assert.equal(await page.locator(`${ORDERS0} [data-replica="1"] .bar-above-hw`).count(), 1);
  const tall = await pictureViewports(page);
  assert.ok(tall <= 1, `after the election the picture still fits one viewport (${tall.toFixed(2)})`);
  await shot(page, "cluster-picture-unclean");
  await done(page);
});

test("the Kafka lab marks each group's committed offset and shades its lag; its tables break no word", async () => {
  const page = await openPage({ width: 1280, height: 800 });
  await go(page, "#/labs/broker");
  assert.match(await page.textContent(".cluster-view .topic h4"), /retention 6,000 ticks \(10 min\)/);
  await send(page, 60);
  await page.fill(".poll-input", "10");
  await page.fill(".processing-input", "3");
  await page.click(".add-consumer-button");
  await step(page, 25);
  await send(page, 30);
  await step(page, 3);
  const row = '.lags tr[data-lag-partition="orders-0"]';
  const label = await page.getAttribute(`${row} .offset-track`, "aria-label");
  const [, hw, committed, lag] = /high watermark (\d+), log end \d+; group g committed (\d+), lag (\d+)/.exec(label) ?? [];
  assert.ok(hw, `the track says its numbers: ${label}`);
  assert.equal(Number(hw) - Number(committed), Number(lag));
  assert.ok(Number(lag) > 0, "the slow group lags");
  assert.equal(await page.textContent(`${row} .track-commit`), "g▾");
  assert.equal(await page.locator(`${row} .track-lag`).count(), 1);
  // The partition row of the log: the marker sits on the committed offset's cell, the lag's cells are underlined.
  const cells = '.partition-row[data-partition="orders-0"] .log-cell';
  assert.equal(await page.textContent(`${cells} .commit-marker`), "g");
  assert.match(await page.getAttribute(`${cells}:has(.commit-marker)`, "aria-label"), new RegExp(`^offset ${committed} · .* · committed offset of g · not yet consumed \\(lag\\)$`));
  assert.equal(await page.locator(`${cells}.in-lag`).count(), Number(lag), "one underlined cell per record of lag");
  const broken = await page.evaluate(() => {
    const split = [];
    for (const cell of document.querySelectorAll(".groups-panel th, .groups-panel td")) {
      const walker = document.createTreeWalker(cell, NodeFilter.SHOW_TEXT);
      for (let node = walker.nextNode(); node; node = walker.nextNode()) {
        for (const m of node.textContent.matchAll(/\S+/g)) {
          const range = document.createRange();
          range.setStart(node, m.index);
          range.setEnd(node, m.index + m[0].length);
          const lines = new Set([...range.getClientRects()].map((r) => Math.round(r.top)));
          if (lines.size > 1) split.push(m[0]);
        }
      }
    }
    return split;
  });
  assert.deepEqual(broken, [], "no word in the group tables is broken across lines at 1280 px");
  await shot(page, "kafka-lab-group-lag");
  await done(page);
});

test("retention is typed in ticks and shown in ms and words, with a default a lab run reaches", async () => {
  const page = await openPage();
  await go(page, "#/labs/broker");
  const hint = '.topic-settings label:has(.retention-input) .retention-hint';
  assert.equal(await page.inputValue(".retention-input"), "6000");
  assert.equal(await page.textContent(hint), "= 600,000 ms (10 min)");
  assert.match(await page.getAttribute(".retention-input", "title"), /Kafka's is 7 days, 6,048,000 ticks/);
  await page.fill(".retention-input", "50");
  assert.equal(await page.textContent(hint), "= 5,000 ms (5 s)");
  await page.fill(".retention-input", "");
  assert.equal(await page.textContent(hint), "forever (retention.ms = -1)");
  await done(page);
});

test("the lag chart alerts above its threshold, with each partition's lag in records and in time", async () => {
  const page = await openPage({ width: 1280, height: 800 });
  await go(page, "#/labs/broker");
  await page.fill(".poll-input", "10");
  await page.fill(".processing-input", "3");
  await page.click(".add-consumer-button");
  await step(page, 5);
  assert.match(await page.textContent(".lag-chart .lag-ok"), /No alert: every partition's lag is at most 50 records/);
  await send(page, 300);
  await step(page, 5);
  const alerts = page.locator(".lag-alerts li");
  assert.ok(await alerts.count() >= 1, "300 records to a slow group pass the 50-record threshold");
  assert.match(await alerts.first().textContent(), /^Alert: group g is \d+ records behind on orders-\d, \d+ ticks \([\d.]+ s\) behind in time\.$/);
  assert.match(await page.getAttribute(".lag-chart canvas", "aria-label"), /alert threshold at 50 records/);
  await page.fill(".lag-threshold-input", "1000");
  await page.waitForSelector(".lag-chart .lag-ok");
  assert.equal(await alerts.count(), 0);
  // A bad threshold stays at the field and keeps the last good one.
  await page.fill(".lag-threshold-input", "0");
  assert.match(await page.textContent(".lag-chart .field-error"), /whole number of records from 1/);
  assert.match(await page.getAttribute(".lag-chart canvas", "aria-label"), /alert threshold at 1000 records/);
  await done(page);
});
