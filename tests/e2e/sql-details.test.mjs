// End to end: the SQL lab's details (issue 12) at desktop and phone widths: the hint to quote a
// bare word compared with text, long lines that wrap in the editor and in the error line, long
// values cut in the grid and opened whole, numbers with thousands separators that copy and
// export raw, and distinct labels for two columns named alike in the trace.
import { test } from "node:test";
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { setup, openPage, go, shot, done, overflowOf, runSql } from "./harness.mjs";

setup();

const SIZES = [[1280, 800], [390, 844]];

/** A cell's text as drawn: its text with the stylesheet's separators before each digit group. */
function shownText(page, selector) {
  return page.$eval(selector, (cell) => {
    const walk = (node) => [...node.childNodes].map((n) => {
      if (n.nodeType === Node.TEXT_NODE) return n.textContent;
      const before = getComputedStyle(n, "::before").content;
      return (before && before !== "none" ? JSON.parse(before) : "") + walk(n);
    }).join("");
    return walk(cell);
  });
}

test("a bare word compared with text is told to take single quotes", async () => {
  for (const [width, height] of SIZES) {
    const page = await openPage({ width, height });
    await go(page, "#/labs/sql");
    await runSql(page, "SELECT * FROM push_events WHERE event_type = click");
    assert.equal(await page.getAttribute(".sql-error", "data-kind"), "Unknown column");
    assert.match(await page.textContent(".sql-error-message"), /column "click" does not exist \(line 1, column 46\)/);
    assert.equal(await page.textContent(".sql-error .hint"), "to compare with the text click, write it in single quotes: 'click'");
    assert.equal(await page.textContent(".sql-caret .caret-at"), "click");
    assert.equal(await page.textContent(".sql-highlight .tok-error"), "click");
    // The same word in an IN list.
    await runSql(page, "SELECT count(*) FROM push_events WHERE event_type IN ('view', click)");
    assert.match(await page.textContent(".sql-error .hint"), /write it in single quotes: 'click'/);
    // Quoted as asked, it runs.
    await runSql(page, "SELECT count(*) FROM push_events WHERE event_type = 'click'");
    assert.equal(await page.getAttribute(".sql-summary", "data-rows"), "1");
    await runSql(page, "SELECT * FROM push_events WHERE event_type = click");
    assert.ok((await overflowOf(page)) <= 1, `the hint at ${width}px scrolls sideways`);
    await shot(page, `sql-details-quote-hint-${width}`);
    await done(page);
  }
});

test("long lines wrap in the editor, the overlay wraps the same, and the error line marks the right token", async () => {
  const long = "SELECT event_type, source, cuid, event_day FROM push_events WHERE source LIKE 'exp_a%' AND event_type <> 'view' AND cuid <> 'nobody' AND event_day >= DATE '2024-01-01' AND sid IS NOT NULL ORDER BY cuid, event_day, evnt_type";
  for (const [width, height] of SIZES) {
    const page = await openPage({ width, height });
    await go(page, "#/labs/sql");
    await runSql(page, long);
    const box = await page.evaluate(() => {
      const area = document.querySelector("#sql-input");
      const pre = document.querySelector(".sql-highlight");
      const [a, p] = [area.getBoundingClientRect(), pre.getBoundingClientRect()];
      return {
        sideways: area.scrollWidth - area.clientWidth,
        areaHeight: area.scrollHeight, preHeight: pre.scrollHeight,
        same: [a.left - p.left, a.top - p.top, a.width - p.width, a.height - p.height],
        lineHeight: parseFloat(getComputedStyle(pre).lineHeight),
      };
    });
    assert.ok(box.sideways <= 0, `the editor scrolls sideways by ${box.sideways}px at ${width}px`);
    assert.deepEqual(box.same.map(Math.round), [0, 0, 0, 0], "the textarea lies exactly over the coloured copy");
    assert.equal(box.areaHeight, box.preHeight, "the textarea's text wraps into as many lines as the coloured copy");
    assert.ok(box.preHeight > 3 * box.lineHeight, `the line wraps (${box.preHeight}px of ${box.lineHeight}px lines)`);

    // The error is at the last word of the long line: the error line wraps and marks it.
    assert.equal(await page.textContent(".sql-caret .caret-at"), "evnt_type");
    assert.equal(await page.textContent(".sql-highlight .tok-error"), "evnt_type");
    const caret = await page.evaluate(() => {
      const panel = document.querySelector(".sql-caret");
      const at = panel.querySelector(".caret-at").getBoundingClientRect();
      const p = panel.getBoundingClientRect();
      const lines = Math.round(panel.querySelector(".caret-at").offsetTop / parseFloat(getComputedStyle(panel).lineHeight));
      return { sideways: panel.scrollWidth - panel.clientWidth, inside: at.left >= p.left && at.right <= p.right, lines };
    });
    assert.ok(caret.sideways <= 0, `the error line scrolls sideways by ${caret.sideways}px`);
    assert.ok(caret.inside, "the marked token is inside the error panel");
    assert.ok(caret.lines >= 1, "the marked token is on a wrapped line");
    // The editor's underlined token sits inside the editor, where the textarea has the same word.
    const mark = await page.evaluate(() => {
      const code = document.querySelector(".sql-code").getBoundingClientRect();
      const t = document.querySelector(".sql-highlight .tok-error").getBoundingClientRect();
      return t.left >= code.left && t.right <= code.right;
    });
    assert.ok(mark, "the underlined token is inside the editor");
    assert.ok((await overflowOf(page)) <= 1, `the page at ${width}px scrolls sideways`);
    await shot(page, `sql-details-wrapped-error-${width}`);
    await done(page);
  }
});

test("long values are cut in the grid and open whole; numbers show separators but copy and export raw", async () => {
  const note = "a long note: " + "the quick brown fox jumps over the lazy dog ".repeat(5).trim();
  const sql = `SELECT event_type, count(*) * 1000 AS big, 1234567.125 AS decimal, -1000 AS negative, 999 AS small, '${note}' || event_type AS note\nFROM push_events GROUP BY event_type ORDER BY event_type`;
  for (const [width, height] of SIZES) {
    const page = await openPage({ width, height });
    await go(page, "#/labs/sql");
    await runSql(page, sql);
    const cell = (row, col) => `.grid-row[aria-rowindex="${row + 1}"] [role=cell]:nth-child(${col + 1})`;
    // Numbers: separators drawn, the text raw, right-aligned; decimals keep their digits.
    const big = await page.textContent(cell(1, 2));
    assert.match(big, /^\d{4,}$/, "the cell's text is the raw number");
    assert.equal(await shownText(page, cell(1, 2)), Number(big).toLocaleString("en-US"));
    assert.equal(await shownText(page, cell(1, 3)), "1,234,567.125");
    assert.equal(await page.textContent(cell(1, 3)), "1234567.125");
    assert.equal(await shownText(page, cell(1, 4)), "-1,000");
    assert.equal(await shownText(page, cell(1, 5)), "999");
    assert.equal(await page.$eval(cell(1, 2), (c) => getComputedStyle(c).textAlign), "right");
    await page.evaluate(() => scrollTo(0, 0));
    await shot(page, `sql-details-numbers-${width}`);

    // A long value: cut, whole in its title, and opened whole by a click.
    const text = `${note}${await page.textContent(cell(1, 1))}`;
    assert.equal(await page.getAttribute(cell(1, 6), "title"), text);
    assert.ok(await page.$eval(cell(1, 6), (c) => c.scrollWidth > c.clientWidth), "the long value is cut");
    assert.match(await page.textContent(".grid-cut-note"), /click or tap one to read it here/);
    await page.locator(cell(1, 6)).scrollIntoViewIfNeeded();
    await page.click(cell(1, 6));
    await page.waitForSelector(".grid-opened");
    assert.equal(await page.textContent(".grid-opened-value"), text);
    assert.match(await page.textContent(".grid-opened-head"), /Row 1 · note · \d+ characters/);
    assert.ok(await page.$eval(".grid-opened-value", (v) => v.scrollWidth <= v.clientWidth), "the opened value wraps");
    assert.ok((await overflowOf(page)) <= 1, `the grid at ${width}px scrolls sideways`);
    await page.evaluate(() => scrollTo(0, 0));
    await shot(page, `sql-details-opened-value-${width}`);
    await page.click(".grid-opened-copy");
    await page.waitForFunction(() => document.querySelector(".grid-opened-copied")?.textContent === "Copied");
    assert.equal(await page.evaluate(() => navigator.clipboard.readText()), text);
    await page.click(".grid-opened-close");
    assert.equal(await page.locator(".grid-opened").count(), 0);
    // A value that shows whole opens nothing.
    await page.click(cell(1, 5));
    assert.equal(await page.locator(".grid-opened").count(), 0);

    // Copying a selected number copies it raw.
    await page.evaluate((sel) => {
      const range = document.createRange();
      range.selectNodeContents(document.querySelector(sel));
      getSelection().removeAllRanges();
      getSelection().addRange(range);
      document.execCommand("copy");
    }, cell(1, 3));
    assert.equal(await page.evaluate(() => navigator.clipboard.readText()), "1234567.125");

    if (width === 1280) {
      // The CSV export writes raw numbers; the row count has its separator.
      const [download] = await Promise.all([page.waitForEvent("download"), page.click(".sql-export")]);
      const csv = readFileSync(await download.path(), "utf8").split("\n");
      assert.match(csv[1], new RegExp(`^[a-z_]+,${big},1234567.125,-1000,999,`));
      await runSql(page, "SELECT * FROM push_events LIMIT 1500");
      assert.equal(await page.textContent(".sql-row-count"), "1,500 rows");
    }
    await done(page);
  }
});

test("two columns named alike get distinct labels in the trace", async () => {
  for (const [width, height] of SIZES) {
    const page = await openPage({ width, height });
    await go(page, "#/labs/sql");
    await runSql(page, "SELECT a.user_id, b.user_id, count(*), count(b.amount)\nFROM users a JOIN orders b ON b.user_id = a.user_id\nGROUP BY a.user_id, b.user_id\nORDER BY 1 LIMIT 5");
    await page.click('[data-tab="trace"]');
    // Each step's column labels (a GROUP BY step's last table is its groups).
    const headers = await page.$$eval(".trace-step", (steps) => steps.map((s) => {
      const table = [...s.querySelectorAll(".mini-table")].at(-1);
      const names = [...(table?.querySelectorAll("thead th:not(.lead-col):not(.more-cols)") ?? [])].map((th) => th.textContent);
      return [s.querySelector(".trace-label").textContent, names];
    }));
    const of = (prefix) => headers.find(([label]) => label.startsWith(prefix))?.[1];
    const join = of("FROM users AS a INNER JOIN");
    assert.ok(join, JSON.stringify(headers));
    assert.deepEqual([join[0], join.find((h) => h === "b.user_id")], ["a.user_id", "b.user_id"]);
    assert.deepEqual(of("GROUP BY"), ["a.user_id", "b.user_id", "count(*)", "count(amount)"]);
    assert.deepEqual(of("SELECT"), ["a.user_id", "b.user_id", "count", "count #2"]);
    assert.ok((await overflowOf(page)) <= 1, `the trace at ${width}px scrolls sideways`);
    await shot(page, `sql-details-trace-labels-${width}`);
    await done(page);
  }
});
