// The bench page's point-in-time join: it runs in the browser on the same generated rows as the
// native `lab-bench pit`, and gives the same answer (the checksum below is the native run's; the
// data and the join are deterministic, so WebAssembly must reproduce it exactly).
import { test } from "node:test";
import assert from "node:assert/strict";
import { setup, openPage, go, shot, done } from "./harness.mjs";

setup();

const NATIVE = { plain: "94356 rows matched, checksum 154353191637788", cutoff: "94086 rows matched, checksum 153740917144889" };

for (const [width, height] of [[1280, 800], [390, 844]]) {
  test(`the point-in-time join benchmark runs and matches the native answer at ${width}px`, async () => {
    const page = await openPage({ width, height });
    await go(page, "#/bench");
    await page.click(".bench-pit");
    await page.waitForSelector(".pit-table", { timeout: 300000 });
    const rows = await page.$$eval(".pit-table tbody tr", (trs) => trs.map((tr) => [...tr.cells].map((c) => c.textContent)));
    assert.equal(rows.length, 4);
    assert.match(rows[0][1], /^1000000 feature rows, 100000 entity rows, 10000 integer keys/);
    assert.match(rows[2][0], /^point-in-time LEFT join, median of 5$/);
    assert.ok(rows[2][1].endsWith(NATIVE.plain), rows[2][1]);
    assert.ok(rows[3][1].endsWith(NATIVE.cutoff), rows[3][1]);
    const overflow = await page.evaluate(() => document.documentElement.scrollWidth - document.documentElement.clientWidth);
    assert.ok(overflow <= 1, `the page scrolls sideways by ${overflow}px`);
    await page.locator(".pit-table").scrollIntoViewIfNeeded();
    await shot(page, `bench-pit-${width}`);
    await done(page);
  });
}
