// The new consumer group protocol lesson (KIP-848): its Do it buttons build three groups on one
// topic and put them through the same churn; the groups panel then shows each group's protocol,
// the KIP-848 epochs and member states, and the comparison (stopped member-ticks, rounds,
// requests), and the comparison goal is met. Screenshots at 1280x800 and 390x844 go to
// target/e2e-screenshots/.
import { test } from "node:test";
import assert from "node:assert/strict";
import { join } from "node:path";
import { SHOTS, setup, openPage, go, status, shot, done, overflowOf, showPane } from "./harness.mjs";

setup();

const LESSON = "#/lessons/kafka-new-group-protocol";

/** The numbers of a group's liveness line, by label. */
async function liveness(page, group) {
  const text = await page.textContent(`[data-liveness="${group}"]`);
  const number = (label) => Number(new RegExp(`${label} (\\d+)`).exec(text)[1]);
  return {
    rounds: number("rounds"),
    stopped: number("stopped member-ticks"),
    requests: number("requests"),
  };
}

for (const [width, height] of [[1280, 800], [390, 844]]) {
  test(`the same churn under three protocols, compared in the groups panel (${width}x${height})`, async () => {
    const page = await openPage({ width, height });
    await go(page, LESSON);
    const buttons = page.locator(".prose ol .do-it");
    assert.equal(await buttons.count(), 2);
    await buttons.nth(0).click();
    await buttons.nth(1).click();
    await page.waitForSelector('[data-goal="compare"].goal-done');
    await showPane(page, "lab");
    assert.equal(await status(page), "tick 447 (live)");
    const [eager, coop, kip] = [await liveness(page, "eager"), await liveness(page, "coop"), await liveness(page, "kip")];
    assert.ok(eager.stopped > 0, "the eager group stopped its members");
    assert.equal(coop.stopped, 0);
    assert.equal(kip.stopped, 0);
    assert.ok(coop.rounds > eager.rounds, "cooperative needs a second round");
    assert.ok(kip.requests < eager.requests && kip.requests < coop.requests, "KIP-848 sends the fewest requests");
    const kipGroup = page.locator('section.group[data-group="kip"]');
    assert.match(await kipGroup.locator("h4").textContent(), /group\.protocol=consumer \(KIP-848\) · group epoch \d+/);
    const states = await kipGroup.locator(".member-status").allTextContents();
    assert.ok(states.some((s) => /epoch \d+ · STABLE/.test(s)), `KIP-848 members show epoch and state: ${states}`);
    assert.match(await page.textContent(".session-note"), /Kafka's default is 45 s/);
    assert.ok((await overflowOf(page)) <= 1, "no sideways scroll");
    await kipGroup.scrollIntoViewIfNeeded();
    await page.screenshot({ path: join(SHOTS, `groups-protocol-${width}x${height}.png`) });
    await shot(page, `groups-protocol-full-${width}x${height}`);
    await done(page);
  });
}

test("a slow consumer's poll timeout and failed commit show in the liveness lesson", async () => {
  const page = await openPage({ width: 1280, height: 800 });
  await go(page, "#/lessons/kafka-group-liveness");
  const buttons = page.locator(".prose ol .do-it");
  await buttons.nth(0).click();
  await buttons.nth(1).click();
  await page.waitForSelector('[data-goal="poll-timeout"].goal-done');
  const line = await page.textContent('[data-liveness="g"]');
  assert.match(line, /poll timeouts [1-9]/);
  assert.match(line, /failed commits [1-9]/);
  assert.match(await page.textContent('section.group[data-group="g"] .members'), /CommitFailedException/);
  await page.locator('section.group[data-group="g"]').scrollIntoViewIfNeeded();
  await page.screenshot({ path: join(SHOTS, "group-liveness-1280x800.png") });
  await done(page);
});
