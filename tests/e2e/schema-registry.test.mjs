// The Schema Registry lesson (#/lessons/kafka-schema-registry): send a record with version 1, make
// the registration BACKWARD refuses (a field without a default) and read the registry's 409, see a
// schema that does not parse keep its text and say why, fix the schema and register it, send with
// it, then read the old record through version 2 with the default filled in, its wire bytes split
// into magic byte, schema id and Avro payload. At desktop and phone sizes, with no console error.
import { test } from "node:test";
import assert from "node:assert/strict";
import { setup, openPage, go, shot, done, overflowOf, showPane } from "./harness.mjs";

setup();

const V1_FIELDS = '{"name":"id","type":"long"},{"name":"name","type":"string"},{"name":"email","type":["null","string"],"default":null}';
const user = (more) => `{"type":"record","name":"User","fields":[${V1_FIELDS},${more}]}`;
const V2_BAD = user('{"name":"plan","type":"string"}');
const V2 = user('{"name":"plan","type":"string","default":"free"}');

for (const [width, height, colorScheme] of [[1280, 800, "light"], [390, 844, "dark"]]) {
  test(`schema evolution at ${width}x${height}: a 409, a fix, old records read with defaults`, async () => {
    const page = await openPage({ width, height, colorScheme });
    await page.addInitScript(() => localStorage.clear());
    await go(page, "#/lessons/kafka-schema-registry");
    const doIt = page.locator(".prose .do-it");
    assert.equal(await doIt.count(), 10);
    await showPane(page, "text");
    await doIt.nth(0).click(); // one record written with version 1, and 5 ticks
    await showPane(page, "lab");
    await page.waitForSelector(".registry-record");
    assert.equal((await page.textContent(".registry-record .wire-id")).trim(), "00 00 00 01");
    assert.equal((await page.textContent(".registry-record .wire-magic")).trim(), "00");

    // BACKWARD refuses a field without a default, with the registry's 409.
    await page.fill("#registry-schema", V2_BAD);
    await page.click(".registry-register");
    const refusal = await page.textContent(".registry-refusal-message");
    assert.match(refusal, /^Schema being registered is incompatible with an earlier schema for subject "users-value"/);
    assert.match(refusal, /READER_FIELD_MISSING_DEFAULT_VALUE/);
    assert.match(refusal, /error code: 409/);
    assert.match(await page.textContent('[data-subject="users-value"] .registry-versions'), /^v1 = id 1$/);
    await shot(page, `schema-registry-${width}-refused`);

    // A schema that does not parse: the text stays, the error says why, nothing can be sent.
    await page.fill("#registry-schema", '{"type":"record"');
    assert.ok(await page.isVisible(".registry-parse-error"));
    assert.equal(await page.inputValue("#registry-schema"), '{"type":"record"');
    assert.equal(await page.isDisabled(".registry-register"), true);

    // The fix: a default. The dry run says compatible; registering gives version 2, id 2.
    await page.fill("#registry-schema", V2);
    await page.click(".registry-check");
    assert.match(await page.textContent(".registry-verdict"), /"is_compatible": true/);
    await page.click(".registry-register");
    await page.waitForFunction(() => /v2 = id 2/.test(document.querySelector('[data-subject="users-value"] .registry-versions')?.textContent ?? ""));
    await showPane(page, "text");
    await doIt.nth(3).click(); // a record written with version 2, and 5 ticks
    await showPane(page, "lab");
    await page.waitForFunction(() => document.querySelectorAll(".registry-record").length === 2);

    // Consumers on version 2 read the old record with the default.
    await page.selectOption('[data-subject="users-value"] .registry-reader', "2");
    await page.waitForSelector(".registry-defaults");
    const first = page.locator(".registry-record").first();
    assert.match(await first.locator(".registry-decoded").textContent(), /"plan":"free"/);
    assert.match(await first.locator(".registry-defaults").textContent(), /\/plan/);
    const second = page.locator(".registry-record").nth(1);
    assert.match(await second.locator(".wire-id").textContent(), /00 00 00 02/);
    assert.match(await second.locator(".registry-decoded").textContent(), /"plan":"pro"/);
    assert.ok(await overflowOf(page) <= 0, "no sideways scroll of the page");
    await shot(page, `schema-registry-${width}-decoded`);
    await done(page);
  });
}
