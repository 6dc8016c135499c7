// The transactions lesson: its Do it buttons open a transaction, abort it and commit another; the
// cluster view then shows the ABORT and COMMIT markers as lettered cells and the LSO beside the
// HW, the groups panel shows the read_uncommitted and read_committed groups getting different
// records, and the lesson's goals are met. The producer panel offers Begin, Commit, Abort and
// "Start a new instance". Screenshots at 1280x800 and 390x844 go to target/e2e-screenshots/.
import { test } from "node:test";
import assert from "node:assert/strict";
import { join } from "node:path";
import { SHOTS, setup, openPage, go, shot, done, overflowOf, showPane } from "./harness.mjs";

setup();

const LESSON = "#/lessons/kafka-transactions";

for (const [width, height] of [[1280, 800], [390, 844]]) {
  test(`an aborted and a committed transaction, seen by both isolation levels (${width}x${height})`, async () => {
    const page = await openPage({ width, height });
    await go(page, LESSON);
    const buttons = page.locator(".prose ol .do-it");
    assert.equal(await buttons.count(), 4);
    await buttons.nth(0).click();
    await buttons.nth(1).click();
    await page.waitForSelector('[data-goal="lso-holds"].goal-done');
    await showPane(page, "lab");
    // While the transaction is open the LSO sits before the HW.
    assert.match(await page.textContent('[data-partition="orders-0"] .partition-head'), /HW 3 .*LSO 0/);
    assert.match(await page.textContent('[data-partition="orders-0"] .commits'), /ledger committed 0 \(lag 0\)/);
    await page.locator('[data-partition="orders-0"]').scrollIntoViewIfNeeded();
    await page.screenshot({ path: join(SHOTS, `transactions-open-${width}x${height}.png`) });
    await showPane(page, "text");
    await buttons.nth(2).click();
    await buttons.nth(3).click();
    await page.waitForSelector('[data-goal="committed-only"].goal-done');
    await showPane(page, "lab");
    const row = page.locator('[data-partition="orders-0"]');
    assert.equal(await row.locator(".log-cell.marker-abort").count(), 1, "one ABORT marker");
    assert.equal(await row.locator(".log-cell.marker-commit").count(), 1, "one COMMIT marker");
    assert.equal(await row.locator(".log-cell.aborted").count(), 3, "the aborted records are faded");
    assert.match(await row.locator(".log-cell.marker-abort").getAttribute("title"), /offset 3 · ABORT marker/);
    const got = async (group) => {
      const text = await page.textContent(`section.group[data-group="${group}"] .member-status`);
      return { text, n: Number(/got (\d+)/.exec(text)[1]) };
    };
    const [audit, ledger] = [await got("audit"), await got("ledger")];
    assert.match(audit.text, /read_uncommitted/);
    assert.match(ledger.text, /read_committed/);
    assert.equal(audit.n, 5, "read_uncommitted got the aborted records too");
    assert.equal(ledger.n, 2, "read_committed got only the committed ones");
    // The producer's transactional controls.
    assert.match(await page.textContent(".txn-status"), /transactional\.id=payments-1 · PID 1000, epoch \d+ · ready/);
    assert.equal(await page.isEnabled(".txn-begin"), true);
    assert.equal(await page.isEnabled(".txn-commit"), false);
    assert.ok(await page.isVisible(".txn-new-instance"));
    assert.ok((await overflowOf(page)) <= 1, "no sideways scroll");
    // read_committed lag ends at the LSO, here the HW: nothing left to read.
    assert.match(await row.locator(".commits").textContent(), /ledger committed 7 \(lag 0\)/);
    await page.locator(".producer-panel").screenshot({ path: join(SHOTS, `transactions-producer-${width}x${height}.png`) });
    await page.locator(".groups-panel").screenshot({ path: join(SHOTS, `transactions-groups-${width}x${height}.png`) });
    await row.scrollIntoViewIfNeeded();
    await page.screenshot({ path: join(SHOTS, `transactions-${width}x${height}.png`) });
    await shot(page, `transactions-full-${width}x${height}`);
    await done(page);
  });
}

test("the zombie-fencing lesson: a fenced instance, then exactly once for read_committed", async () => {
  const page = await openPage({ width: 1280, height: 800 });
  await go(page, "#/lessons/kafka-zombie-fencing");
  const buttons = page.locator(".prose ol .do-it");
  assert.equal(await buttons.count(), 6);
  for (let i = 0; i < 5; i++) await buttons.nth(i).click();
  await page.waitForSelector('[data-goal="zombie-fenced"].goal-done');
  await buttons.nth(5).click();
  await page.waitForSelector('[data-goal="exactly-once"].goal-done');
  // Producer 2 is the zombie: pick it in the producer panel and read its transactional state.
  await page.selectOption(".producer-panel .send-form select >> nth=0", "2");
  assert.match(await page.textContent(".txn-status"), /processor-1 · PID 1000, epoch 1 · fenced, fatal \(PRODUCER_FENCED\)/);
  assert.equal(await page.isEnabled(".txn-begin"), false);
  await page.locator(".producer-panel").screenshot({ path: join(SHOTS, "zombie-fencing-producer-1280x800.png") });
  await shot(page, "zombie-fencing-full-1280x800");
  await done(page);
});
