// The feature store lab's online side (#/labs/features): materialize a range, read one entity
// (its values are PRESENT though days old: Feast's online store ignores the TTL), turn on the TTL
// on read and read again (OUTSIDE_MAX_AGE), have bad times and reversed or backward ranges refused
// beside their forms with a hint, serve a day with an hourly materialization job and find the skew
// report's cause, then the next day every 6h (fewer runs, values behind training). The journal
// tells each command in words, and the saved journal opened as a share link replays the same
// store. At desktop and phone sizes, nothing sticking out of the widgets, no console error.
import { test } from "node:test";
import assert from "node:assert/strict";
import { join } from "node:path";
import { setup, openPage, go, shot, done, SHOTS } from "./harness.mjs";

setup();

const online = ".widget-online-store";
const skew = ".widget-skew-report";

async function fillTime(page, field, value) {
  await page.fill(`${online} ${field} input`, value);
}

for (const [width, height, colorScheme] of [[1280, 800, "light"], [390, 844, "dark"]]) {
  test(`online store and skew at ${width}x${height}`, async () => {
    const page = await openPage({ width, height, colorScheme });
    await page.addInitScript(() => localStorage.clear());
    await go(page, "#/labs/features");
    await page.waitForSelector(`${online} .fso-materialize-button`);
    assert.match(await page.textContent(`${skew}`), /Serve some entity rows/);

    // A bad time is refused beside the form, with a hint, and nothing is journaled.
    await fillTime(page, ".fso-end", "March 5th");
    await page.click(`${online} .fso-materialize-button`);
    assert.match(await page.textContent(`${online} .fso-materialize .fso-refusal`), /"March 5th" is not a time.*Hint: write it as 2024-03-05T10:00/s);
    assert.equal(await page.locator(".journal-list li").count(), 0);

    // Materialize 2024-03-01 .. 03-05 10:00 for every view.
    await fillTime(page, ".fso-end", "2024-03-05T10:00");
    await page.click(`${online} .fso-materialize-button`);
    await page.waitForSelector(`${online} .fso-run`);
    assert.equal(await page.locator(`${online} .fso-materialize .fso-refusal`).count(), 0);
    assert.equal(await page.locator(`${online} .fso-run`).count(), 1);
    assert.match(await page.textContent(`${online} .fso-run`), /#1 range.*Mar 1, 00:00 → Mar 5, 10:00.*2200/s);
    assert.match(await page.textContent('.fso-view-row[data-view="driver_hourly_stats"] .fso-freshness'), /old/);
    assert.match(await page.textContent(".journal-list li"), /Materialize every view from 2024-03-01 00:00:00 to 2024-03-05 10:00:00/);

    // Read the first ride's driver at 03-05 10:00: PRESENT, though its stats are from 03-01.
    assert.equal(await page.inputValue(`${online} .fso-key input`), "1767");
    await page.click(`${online} .fso-read-button`);
    await page.waitForSelector(`${online} .fso-served`);
    const present = await page.locator(`${online} .fso-status`).allTextContents();
    assert.deepEqual(present, ["Present", "Present", "Present"]);
    assert.match(await page.textContent(`${online} .fso-served`), /h old/);
    await shot(page, `features-online-${width}-read`);

    // TTL on read, then read the same key three days later: OUTSIDE_MAX_AGE.
    await page.check(`${online} .fso-online-ttl`);
    await page.waitForFunction(() => /enforce the TTL/.test(document.querySelector(".journal-list li")?.textContent ?? ""));
    await fillTime(page, ".fso-read-at", "2024-03-08T10:00");
    await page.click(`${online} .fso-read-button`);
    await page.waitForFunction(() => document.querySelector(".fso-read-caption")?.textContent.includes("request #2"));
    const stale = await page.locator(`${online} .fso-status`).allTextContents();
    assert.deepEqual(stale, ["Outside max age", "Outside max age", "Outside max age"]);
    assert.match(await page.textContent(".journal-list li"), /Read key 1767 online at 2024-03-08 10:00:00/);

    // The engine's own check refuses a reversed range, with its hint; nothing is journaled.
    const journaled = await page.locator(".journal-list li").count();
    await fillTime(page, ".fso-serve-to", "2024-03-10T00:00");
    await page.click(`${online} .fso-serve-button`);
    assert.match(await page.textContent(`${online} .fso-serve .fso-refusal`), /reversed.*Hint: give a start before the end/s);
    assert.equal(await page.locator(".journal-list li").count(), journaled);
    await fillTime(page, ".fso-serve-to", "2024-03-12T00:00");

    // Serve 2024-03-11 with an hourly job: reads, runs and how far behind training it fell.
    await page.selectOption(`${online} .fso-serve-every`, "1h");
    await page.click(`${online} .fso-serve-button`);
    await page.waitForSelector(`${online} .fso-serve-facts`);
    assert.equal((await page.textContent(`${online} .fso-reads`)).trim(), "500");
    assert.equal((await page.textContent(`${online} .fso-runs-count`)).trim(), "20");
    assert.ok(await page.isVisible(`${online} .fso-age-chart`));
    assert.equal((await page.textContent(`${online} .fso-behind`)).trim(), "0.0 h", "an hourly job keeps up with hourly stats");
    assert.equal(await page.locator(`${online} .fso-serve .fso-refusal`).count(), 0);
    assert.match(await page.textContent(".journal-list li"), /Serve the entity rows from 2024-03-11 00:00:00 to 2024-03-12 00:00:00 online, materializing every 1h/);
    await page.locator(`${online} .fso-serve`).scrollIntoViewIfNeeded();
    await shot(page, `features-online-${width}-serve`);

    // The skew report: every served value compared, the first read's stale values differ.
    await page.waitForSelector(`${skew} .fso-skew-feature`);
    assert.match(await page.textContent(`${skew} .fso-skew-total`), /^1,506 served values compared with the point-in-time join: 3 differ\./);
    const causes = await page.locator(`${skew} .fso-skew-feature .fso-cause`).allTextContents();
    assert.deepEqual(causes, ["TTL not enforced online: 1", "TTL not enforced online: 1", "TTL not enforced online: 1"]);
    assert.match(await page.getAttribute(`${skew} .fso-cause`, "title"), /older than the view's TTL|TTL/);
    assert.equal(await page.locator(`${skew} .fso-skew-row`).count(), 3);
    assert.match(await page.textContent(`${skew} .fso-skew-row`), /NULL\s*expired by TTL/);
    await page.locator(skew).scrollIntoViewIfNeeded();
    // The two widgets alone, and at phone size each section of the online store, to look at.
    await page.locator(online).screenshot({ path: join(SHOTS, `features-online-${width}-panel.png`) });
    await page.locator(skew).screenshot({ path: join(SHOTS, `features-skew-${width}.png`) });
    const sections = page.locator(`${online} .fso-section`);
    for (let i = 0; width < 640 && i < (await sections.count()); i++) {
      await sections.nth(i).screenshot({ path: join(SHOTS, `features-online-${width}-section-${i}.png`) });
    }
    const wide = await page.evaluate(() => [...document.querySelectorAll(".widget-online-store *, .widget-skew-report *")]
      // A stacked table's header row is kept for screen readers, clipped to one pixel.
      .filter((e) => !(e.closest("thead") && getComputedStyle(e.closest("thead")).position === "absolute"))
      .filter((e) => e.getBoundingClientRect().right > e.closest(".widget").getBoundingClientRect().right + 1)
      .map((e) => `${e.tagName}.${e.className}`).slice(0, 5));
    assert.deepEqual(wide, [], "nothing in the two widgets sticks out of its widget");

    // The saved journal is a share link: opened elsewhere, it replays the same store.
    const saved = await page.evaluate(() => localStorage.getItem("flowlab.lab.lab.features"));
    assert.match(saved, /^fl1\./);
    const hash = await page.textContent(".state-hash code");
    const other = await openPage({ width, height, colorScheme });
    await go(other, `#/labs/features?j=${saved}`);
    await other.waitForSelector(`${skew} .fso-skew-feature`);
    assert.equal(await other.textContent(".state-hash code"), hash);
    assert.equal(await other.locator(`${online} .fso-run`).count(), await page.locator(`${online} .fso-run`).count());
    assert.deepEqual(await other.locator(`${online} .fso-status`).allTextContents(), await page.locator(`${online} .fso-status`).allTextContents());
    await done(other);

    // Serving the same day again would run the job back before its last end: refused in place.
    await page.click(`${online} .fso-serve-button`);
    assert.match(await page.textContent(`${online} .fso-serve .fso-refusal`), /already materialized up to.*Hint: give an end at or after the last one/si);

    // The next day every 6h instead: fewer runs, and the served values fall behind training between them.
    await fillTime(page, ".fso-serve-from", "2024-03-12T00:00");
    await fillTime(page, ".fso-serve-to", "2024-03-13T00:00");
    await page.selectOption(`${online} .fso-serve-every`, "6h");
    await page.click(`${online} .fso-serve-button`);
    await page.waitForFunction(() => /every 6h/.test(document.querySelector(".fso-serve-caption")?.textContent ?? ""));
    assert.equal((await page.textContent(`${online} .fso-runs-count`)).trim(), "4");
    assert.ok(parseFloat(await page.textContent(`${online} .fso-behind`)) > 1, "a 6-hourly job lags hourly stats");
    await page.locator(`${online} .fso-serve`).screenshot({ path: join(SHOTS, `features-online-${width}-serve-6h.png`) });

    // The write policy is a command too, journaled in words.
    await page.selectOption(`${online} .fso-policy`, "guarded");
    await page.waitForFunction(() => /Online writes: event-time guarded/.test(document.querySelector(".journal-list li")?.textContent ?? ""));
    await done(page);
  });
}
