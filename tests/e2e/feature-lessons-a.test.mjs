// The first three feature store lessons, followed as a learner would: the naive join's leak and
// the point-in-time join (#/lessons/features-point-in-time), two TTLs and the NULLs they give
// (#/lessons/features-pit-rules), and the ASOF JOIN lesson's three SQL goals answered in the editor
// (#/lessons/features-asof-join). At desktop and phone sizes, with no console error; screenshots
// of one state per lesson, and how many screens down the first goal is.
import { test } from "node:test";
import assert from "node:assert/strict";
import { setup, openPage, go, shot, done, overflowOf, runSql, showPane } from "./harness.mjs";

setup();

const SIZES = [[1280, 800, "light"], [390, 844, "dark"]];

/** How many viewport heights below the top of the page the first goal starts. */
async function screensToFirstGoal(page) {
  return page.evaluate(() => {
    const goal = document.querySelector(".goal");
    return goal ? (goal.getBoundingClientRect().top + window.scrollY) / window.innerHeight : Infinity;
  });
}

async function doIt(page, n) {
  await showPane(page, "text");
  await page.locator(".prose .do-it").nth(n).click();
}

async function goalDone(page, id) {
  await page.waitForSelector(`[data-goal="${id}"].goal-done`, { timeout: 60000 });
}

for (const [width, height, colorScheme] of SIZES) {
  test(`point-in-time lesson at ${width}x${height}: the leak, then the point-in-time join`, async () => {
    const page = await openPage({ width, height, colorScheme });
    await page.addInitScript(() => localStorage.clear());
    await go(page, "#/lessons/features-point-in-time");
    assert.equal(await page.locator(".prose .do-it").count(), 3);
    console.log(`features-point-in-time ${width}: first goal ${(await screensToFirstGoal(page)).toFixed(1)} screens down`);
    await doIt(page, 0);
    await goalDone(page, "leak-seen");
    await showPane(page, "lab");
    await shot(page, `features-point-in-time-${width}-naive`);
    await doIt(page, 1);
    await doIt(page, 2);
    await goalDone(page, "pit-no-leak");
    assert.ok(await overflowOf(page) <= 1, "no sideways scroll of the page");
    await showPane(page, "lab");
    await shot(page, `features-point-in-time-${width}-pit`);
    await done(page);
  });

  test(`point-in-time rules lesson at ${width}x${height}: two TTLs, a TTL lifted`, async () => {
    const page = await openPage({ width, height, colorScheme });
    await page.addInitScript(() => localStorage.clear());
    await go(page, "#/lessons/features-pit-rules");
    assert.equal(await page.locator(".prose .do-it").count(), 3);
    console.log(`features-pit-rules ${width}: first goal ${(await screensToFirstGoal(page)).toFixed(1)} screens down`);
    await doIt(page, 0);
    await goalDone(page, "two-views");
    await showPane(page, "lab");
    await shot(page, `features-pit-rules-${width}-two-views`);
    await doIt(page, 1);
    await doIt(page, 2);
    await goalDone(page, "ttl-moves");
    assert.ok(await overflowOf(page) <= 1, "no sideways scroll of the page");
    await done(page);
  });

  test(`ASOF JOIN lesson at ${width}x${height}: the three SQL goals`, async () => {
    const page = await openPage({ width, height, colorScheme });
    await page.addInitScript(() => localStorage.clear());
    await go(page, "#/lessons/features-asof-join");
    console.log(`features-asof-join ${width}: first goal ${(await screensToFirstGoal(page)).toFixed(1)} screens down`);
    for (const [id, sql] of ASOF_ANSWERS) {
      await showPane(page, "lab");
      await runSql(page, sql);
      await showPane(page, "text");
      await page.waitForSelector(`[data-goal="${id}"][data-verdict="correct"]`, { timeout: 60000 });
    }
    assert.ok(await overflowOf(page) <= 1, "no sideways scroll of the page");
    await shot(page, `features-asof-join-${width}-graded`);
    await done(page);
  });
}

const ASOF_ANSWERS = [
  ["asof-conv-rate", `SELECT r.ride_id, s.conv_rate
FROM ride_labels r
ASOF LEFT JOIN driver_hourly_stats s
  ON s.driver_id = r.driver_id AND r.event_timestamp >= s.event_timestamp`],
  ["asof-ttl", `SELECT r.ride_id,
       CASE WHEN c.event_timestamp >= r.event_timestamp - INTERVAL '2 days'
            THEN c.current_balance END AS current_balance
FROM ride_labels r
ASOF LEFT JOIN customer_daily_profile c
  ON c.customer_id = r.customer_id AND r.event_timestamp >= c.event_timestamp`],
  ["rank-cutoff", `SELECT ride_id, conv_rate FROM (
  SELECT r.ride_id, s.conv_rate,
         ROW_NUMBER() OVER (PARTITION BY r.ride_id
                            ORDER BY s.event_timestamp DESC, s.created DESC) AS rn
  FROM ride_labels r
  LEFT JOIN driver_hourly_stats s
    ON s.driver_id = r.driver_id
   AND s.event_timestamp <= r.event_timestamp
   AND s.created <= r.event_timestamp
) ranked
WHERE rn = 1`],
];
