// The cluster overview (#/labs/overview): health tiles named by their JMX metrics, a table of
// brokers with their traffic and a fault button each, and consumer lag in records and seconds.
// Killing a broker must show it dead in the table at once and, once the controller fences it,
// raise the under-replicated and fenced tiles; at both sizes, with no console error.
import { test } from "node:test";
import assert from "node:assert/strict";
import { setup, openPage, go, shot, done, overflowOf } from "./harness.mjs";

setup();

const tile = (page, id) => page.textContent(`[data-tile="${id}"] .tile-value`);
const tileNumber = async (page, id) => Number((await tile(page, id)).replace(/[^\d].*$/s, ""));

/** Plays at 100 ticks/s until `predicate` holds in the page, then pauses. */
async function playUntil(page, predicate, arg) {
  await page.selectOption(".tc-speed select", "100");
  await page.click(".tc-play");
  await page.waitForFunction(predicate, arg, { timeout: 20000 });
  await page.click(".tc-play");
}

for (const [width, height, colorScheme] of [[1280, 800, "light"], [390, 844, "dark"]]) {
  test(`the overview at ${width}x${height} (${colorScheme}): kill a broker, see it dead and URP rise`, async () => {
    const page = await openPage({ width, height, colorScheme });
    await page.addInitScript(() => localStorage.clear());
    await go(page, "#/labs/overview");
    assert.equal(await page.locator(".overview-tile").count(), 10);
    assert.match(await page.textContent('[data-tile="under-replicated"] .tile-jmx'), /name=UnderReplicatedPartitions/);
    assert.equal(await tileNumber(page, "under-replicated"), 0);
    assert.equal(await tile(page, "active-controller"), "C1");
    // Traffic, then time: bytes flow in on leaders and out to followers and the group.
    await page.click(".overview-start-traffic");
    await playUntil(page, () => /[1-9]/.test(document.querySelector('[data-group="dashboard"] caption')?.textContent ?? "") ||
      [...document.querySelectorAll(".overview-broker td.num")].some((td) => /^[1-9][\d,]* B\/s$/.test(td.textContent)));
    const rows = page.locator(".overview-broker");
    assert.equal(await rows.count(), 3);
    const bytesIn = await page.$$eval('.overview-broker td[data-label="Bytes in"]', (tds) => tds.map((td) => td.textContent));
    assert.ok(bytesIn.some((t) => /^[1-9][\d,]* B\/s$/.test(t)), `a leader takes produce bytes: ${bytesIn}`);
    await shot(page, `overview-${width}-healthy`);
    // Kill broker 3 with its row's button: dead at once, fenced and under-replicated after the session timeout.
    await page.getByRole("button", { name: "Kill broker 3", exact: true }).click();
    assert.match(await page.textContent('[data-broker="3"] .broker-status'), /crashed: no metrics/);
    assert.equal(await page.isVisible('[data-broker="3"] .overview-restart'), true, "a dead broker offers Restart");
    await playUntil(page, () => Number(document.querySelector('[data-tile="under-replicated"] .tile-value')?.textContent.replace(/[^\d].*$/s, "")) > 0);
    assert.ok(await tileNumber(page, "under-replicated") > 0, "URP rose");
    assert.equal(await tileNumber(page, "fenced-brokers"), 1);
    assert.equal(await tileNumber(page, "offline"), 0, "two replicas left: nothing offline");
    assert.ok((await page.getAttribute('[data-tile="under-replicated"]', "class")).includes("tile-alert"));
    assert.match(await page.textContent('[data-tile="under-replicated"]'), /needs attention/, "said in words, not only colour");
    assert.match(await page.textContent(".overview-lag"), /no consumer-lag metric/);
    assert.ok(await overflowOf(page) <= 0, "no sideways scroll of the page");
    const scrolls = await page.evaluate(() => document.documentElement.scrollHeight / innerHeight);
    console.log(`overview ${width}x${height}: page is ${scrolls.toFixed(1)} viewports tall`);
    await shot(page, `overview-${width}-killed`);
    // Scrub back to before the kill: the overview shows that tick's numbers.
    const killedAt = Number((await page.textContent(".tc-status")).match(/\d+/)[0]);
    await page.fill(".scrubber", "2");
    assert.equal(await tileNumber(page, "under-replicated"), 0, "before the kill nothing is under-replicated");
    assert.match(await page.textContent('[data-broker="3"] .broker-status'), /active/);
    await page.fill(".scrubber", String(killedAt));
    assert.ok(await tileNumber(page, "under-replicated") > 0, "and back at the end URP is up again");
    // Keyboard: the Restart button is reachable and works with Enter.
    await page.focus('[data-broker="3"] .overview-restart');
    await page.keyboard.press("Enter");
    assert.match(await page.textContent('[data-broker="3"] .broker-status'), /active|fenced/);
    await done(page);
  });
}

test("the lag chart switches to seconds with its threshold in seconds", async () => {
  const page = await openPage();
  await page.addInitScript(() => localStorage.clear());
  await go(page, "#/labs/overview");
  await page.click(".overview-start-traffic");
  await page.check('.lag-unit input[value="seconds"]');
  assert.equal(await page.inputValue(".lag-threshold-input"), "10");
  assert.match(await page.textContent(".lag-threshold"), /seconds/);
  await page.fill(".lag-threshold-input", "0");
  assert.match(await page.textContent(".lag-chart .field-error"), /whole number of seconds/);
  await done(page);
});
