// The feature store lab (#/labs/features), its top half: the definitions and the request, the
// training set with a reason on every NULL, the timeline of one key and the model's AUC. Switch
// to the naive latest-value join and see values marked "from the future" and the offline AUC
// jump above the AUC on later data; a TTL that does not parse, or that the store refuses, is
// refused where it was typed, with the hint; give driver_hourly_stats a TTL of 1h and see NULLs
// "expired by TTL"; pick a row and see it on the timeline; pick the comments' entity rows, read
// the join's refusal and fix it with the service those rows can be joined with. At desktop and
// phone sizes, with no console error.
import { test } from "node:test";
import assert from "node:assert/strict";
import { join } from "node:path";
import { setup, openPage, go, done, overflowOf, SHOTS } from "./harness.mjs";

setup();

const number = (text) => Number(text.replace(/[^\d.]/g, ""));
const count = async (page, cls) => number(await page.textContent(`.fs-counts .${cls} dd`));
const auc = async (page, cls) => Number(await page.getAttribute(`.fs-model .${cls}`, "data-auc"));

/** A screenshot of what is on screen (the page's top), or of one widget. */
const screen = (page, name) => page.screenshot({ path: join(SHOTS, `${name}.png`) });
const widgetShot = (page, widget, name) => page.locator(`[data-widget="${widget}"]`).screenshot({ path: join(SHOTS, `${name}.png`) });

/** Waits until the offline AUC differs from `before`. */
async function aucChanges(page, before) {
  await page.waitForFunction((b) => document.querySelector(".fs-auc-offline")?.dataset.auc !== b, before, { timeout: 30000 });
}

for (const [width, height, colorScheme] of [[1280, 800, "light"], [390, 844, "dark"]]) {
  test(`the feature store lab at ${width}x${height} (${colorScheme}): leak, TTL, other entity rows`, async () => {
    const page = await openPage({ width, height, colorScheme });
    await page.addInitScript(() => localStorage.clear());
    await go(page, "#/labs/features");
    await page.waitForSelector(".fs-table .fs-trow", { timeout: 60000 });
    await screen(page, `features-${width}-top`);

    // The point-in-time join: no value from the future, and offline AUC close to later AUC.
    assert.equal(await page.locator(".fs-table .fs-future").count(), 0);
    assert.equal(await count(page, "fs-count-future"), 0);
    const honestOffline = await auc(page, "fs-auc-offline");
    const honestLater = await auc(page, "fs-auc-later");
    assert.ok(Math.abs(honestOffline - honestLater) < 0.03, `point in time: ${honestOffline} close to ${honestLater}`);
    assert.match(await page.textContent(".fs-verdict"), /honest estimate/);

    // The naive join: red marks, a count above the table, and an inflated offline AUC.
    await page.check('input[name="fs-join"][value="latest-value"]');
    await aucChanges(page, honestOffline.toFixed(3));
    await page.waitForSelector(".fs-table .fs-future");
    const naiveOffline = await auc(page, "fs-auc-offline");
    const naiveLater = await auc(page, "fs-auc-later");
    assert.equal(await count(page, "fs-count-future"), await count(page, "fs-count-rows"), "every driver row is from the future");
    assert.ok(naiveOffline > honestOffline + 0.05, `inflated offline AUC: ${naiveOffline} > ${honestOffline}`);
    assert.ok(naiveOffline - naiveLater > 0.1, `a gap: ${naiveOffline} vs ${naiveLater}`);
    assert.match(await page.textContent(".fs-verdict"), /naive latest-value join/);
    assert.match(await page.getAttribute(".fs-table .fs-future", "title"), /after this entity row's time/);
    await widgetShot(page, "training-set", `features-${width}-training-naive`);
    await widgetShot(page, "feature-model", `features-${width}-model-naive`);
    await page.check('input[name="fs-join"][value="point-in-time"]');
    await aucChanges(page, naiveOffline.toFixed(3));
    assert.equal(await page.locator(".fs-table .fs-future").count(), 0);

    // A TTL that does not parse is refused where it was typed; 1h makes NULLs "expired by TTL".
    const ttl = '.fs-ttl[data-view="driver_hourly_stats"]';
    await page.fill(`${ttl} input`, "1 hour");
    await page.click(`${ttl} button`);
    assert.match(await page.textContent('.fs-view[data-view="driver_hourly_stats"] .fs-def-refusal'), /not a duration/);
    await page.fill(`${ttl} input`, "366d");
    await page.click(`${ttl} button`);
    assert.match(await page.textContent('.fs-view[data-view="driver_hourly_stats"] .fs-def-refusal'), /out of range.*Hint: give a TTL between 1 second and 365 days/s);
    await page.fill(`${ttl} input`, "1h");
    await page.click(`${ttl} button`);
    await page.waitForFunction(() => /1h/.test(document.querySelector('.fs-lane[data-view="driver_hourly_stats"] .fs-lane-title')?.textContent ?? ""));
    assert.ok(await count(page, "fs-null-expired") > 0, "a 1h TTL expires rows");
    await page.click('.fs-filter[data-filter="null"]');
    await page.waitForSelector(".fs-table .fs-null-expired");
    assert.match(await page.getAttribute(".fs-table .fs-null-expired", "title"), /older than the view's TTL/);
    await widgetShot(page, "training-set", `features-${width}-training`);
    // Pick the first row with a NULL: the timeline draws it with a cross.
    await page.click(".fs-table .fs-trow .fs-row-pick button");
    await page.waitForSelector(".fs-tick.picked .fs-cross");
    assert.match(await page.textContent('.fs-picked li[data-view="driver_hourly_stats"]'), /gave NULL/);
    await widgetShot(page, "feature-timeline", `features-${width}-timeline`);
    assert.ok(await overflowOf(page) <= 0, "the page does not scroll sideways");

    // The comments: the driver features cannot be joined; the fix requests spam_filter.
    await page.click('.fs-frame[data-frame="comments"]');
    await page.waitForSelector(".fs-error");
    assert.match(await page.textContent(".fs-error-message"), /driver_id/);
    await page.click('.fs-error .fs-fix[data-service="spam_filter"]');
    await page.waitForSelector(".fs-table .fs-trow");
    assert.match(await page.textContent(".fs-table thead"), /user_id/);
    assert.ok(await page.isVisible(".fs-auc-offline"), "a model for the spam labels");
    await widgetShot(page, "feature-timeline", `features-${width}-timeline-comments`);

    // Entity rows of the learner's own, pasted as CSV: a bad time is refused with its line, good
    // rows become a frame the training set is built for.
    await page.click('.fs-frame[data-frame="ride_labels"]');
    await page.click('.fs-service[data-service="driver_activity"]');
    await page.click(".fs-paste summary");
    await page.fill(".fs-paste-text", "driver_id,event_timestamp,label\n1767,yesterday,1\n");
    await page.click(".fs-paste-add");
    assert.match(await page.textContent(".fs-paste .fs-def-refusal"), /line 2/);
    await widgetShot(page, "feature-definitions", `features-${width}-paste-refused`);
    await page.fill(".fs-paste-text", "driver_id,event_timestamp,label\n1767,2024-03-05 10:00:00,1\n1682,2024-03-12 08:30:00,0\n");
    await page.click(".fs-paste-add");
    await page.waitForSelector('.fs-frame[data-frame="my_rows"][aria-pressed="true"]');
    await page.click('.fs-filter[data-filter="all"]');
    const trainingText = await page.textContent('[data-widget="training-set"]');
    assert.equal(await page.locator(".fs-table .fs-trow").count(), 2, `the two pasted rows, joined: ${trainingText.slice(0, 400)}`);

    // A feature view of the learner's own, pasted as CSV, then requested: the pasted rows get it.
    await page.click(".fs-paste-view summary");
    await page.fill(".fs-paste-view-text", "driver_id,event_timestamp,rating\n1767,2024-03-05 09:00:00,4.5\n");
    await page.click(".fs-paste-view-add");
    await page.waitForSelector('li.fs-view[data-view="my_view"]');
    assert.equal(await page.locator(".fs-paste-view .fs-def-refusal").count(), 0, "the view is accepted");
    await page.click(".fs-paste-view-add");
    assert.match(await page.textContent(".fs-paste-view .fs-def-refusal"), /cannot name a new feature view/);
    await done(page);
  });
}
