// The rollouts lab (#/labs/rollouts): a spec with an out-of-range weight shows its error under the
// right line and Apply stays disabled; a good spec applies (one journal entry); v2 deployed as good
// as v1 pauses at 20% and Promote moves it on; v2 deployed with a 5xx spike fails its analysis
// while playing and the rollout aborts to weight 0; then the learner forks at the failed analysis
// ("Fork here"), applies a looser threshold there (the lab forks; the rollout keeps its place),
// presses Retry, plays, and sees the new run pass and the rollout move past the analysis step.
// At desktop and phone sizes, with no console error and no sideways scrolling; the step strip, the
// traffic split and the analysis are on the first screen at 1280x800.
import { test } from "node:test";
import assert from "node:assert/strict";
import { join } from "node:path";
import { setup, openPage, go, done, overflowOf, SHOTS } from "./harness.mjs";

setup();

const screen = (page, name) => page.screenshot({ path: join(SHOTS, `${name}.png`) });
const widgetShot = (page, widget, name) =>
  page.locator(`[data-widget="${widget}"]`).screenshot({ path: join(SHOTS, `${name}.png`) });
const journalCount = (page) => page.locator(".journal-list li").count();
const phase = (page) => page.getAttribute(".rollout-steps", "data-phase");

/** Plays until `selector` matches, then pauses. */
async function playUntil(page, selector) {
  await page.click(".tc-play");
  await page.waitForSelector(selector, { timeout: 60000 });
  await page.click(".tc-play");
}

/** Deploys `version` with the named behaviour preset from the deploy panel. */
async function deploy(page, version, preset) {
  await page.fill(".rd-version", version);
  await page.selectOption(".rd-preset", preset);
  await page.click(".rd-deploy-button");
}

/** The editor's text with `from` replaced by `to` (the first occurrence). */
async function editSpec(page, from, to) {
  const text = await page.inputValue(".rs-text");
  assert.ok(text.includes(from), `the spec holds ${from}`);
  await page.fill(".rs-text", text.replace(from, to));
  return text;
}

for (const [width, height, colorScheme] of [[1280, 800, "light"], [390, 844, "dark"]]) {
  test(`the rollouts lab at ${width}x${height} (${colorScheme}): spec errors, promote, abort, fork`, async () => {
    const page = await openPage({ width, height, colorScheme });
    await page.addInitScript(() => localStorage.clear());
    await go(page, "#/labs/rollouts");
    await page.waitForSelector(".rollout-steps .ro-strip");
    assert.equal(await page.textContent("main h1"), "Rollouts lab");
    assert.equal(await phase(page), "Healthy");
    if (width === 1280) {
      // The step strip, the traffic split and the analysis start on the first screen.
      for (const sel of [".rollout-steps .ro-strip", ".rollout-traffic .ro-bar", '[data-widget="rollout-analysis"] figcaption']) {
        const box = await page.locator(sel).first().boundingBox();
        assert.ok(box && box.y + Math.min(box.height, 24) <= height, `${sel} is above the fold (y ${box?.y})`);
      }
    }
    await screen(page, `rollouts-${width}-start`);

    // A weight of 150 is refused under its own line, and Apply is disabled.
    const original = await editSpec(page, "setWeight: 20", "setWeight: 150");
    const line = original.split("\n").findIndex((l) => l.includes("setWeight: 20")) + 1;
    await page.waitForSelector(`.rs-error[data-line="${line}"]`);
    assert.match(await page.textContent(`.rs-error[data-line="${line}"] .rs-error-code`), /setWeight: 150/);
    assert.match(await page.textContent(`.rs-error[data-line="${line}"]`), /Hint:/);
    assert.ok(await page.isDisabled(".rs-apply"), "Apply is disabled while the spec has errors");
    await widgetShot(page, "rollout-spec", `rollouts-${width}-spec-error`);

    // A good spec (30% first) applies: one journal entry, and the strip shows it.
    const journaled = await journalCount(page);
    await page.fill(".rs-text", original.replace("setWeight: 20", "setWeight: 30"));
    await page.waitForSelector('.rollout-spec[data-errors="0"]');
    assert.ok(!(await page.isDisabled(".rs-apply")));
    await page.click(".rs-apply");
    await page.waitForSelector('.rollout-spec[data-edited="false"]');
    assert.equal(await journalCount(page), journaled + 1, "the applied spec is journaled");
    assert.match(await page.textContent(".ro-strip"), /30%/);

    // v2 as good as v1: the rollout pauses at 30% and Promote moves it on.
    await page.selectOption(".tc-speed select", "100");
    await deploy(page, "v2", "fine");
    await playUntil(page, '.rollout-steps[data-phase="Paused"]');
    assert.equal(await page.getAttribute(".rollout-steps", "data-weight"), "30");
    await screen(page, `rollouts-${width}-paused`);
    const step = Number(await page.getAttribute(".rollout-steps", "data-step"));
    await page.click(".ro-promote");
    await page.waitForFunction((s) => Number(document.querySelector(".rollout-steps")?.dataset.step) > s, step);
    assert.notEqual(await phase(page), "Paused");
    await widgetShot(page, "rollout-steps", `rollouts-${width}-promoted`);

    // Start again: v2 with a 5xx spike fails its analysis while playing, and the rollout aborts.
    await page.click(".tc-reset");
    await page.waitForSelector('.rollout-steps[data-phase="Healthy"]');
    // One tick first, so that there is a moment before the deploy to fork from.
    await page.click(".tc-step");
    await deploy(page, "v2", "errors");
    await playUntil(page, '.rollout-steps[data-phase="Degraded"]');
    assert.equal(await page.getAttribute(".rollout-steps", "data-weight"), "0", "an aborted rollout sends nothing to the canary");
    await page.waitForSelector('.ra-measurement[data-phase="Failed"]');
    assert.match(await page.textContent('.ra-measurement[data-phase="Failed"] .ra-reason'), /successCondition result\[0\] >= 0.95 is false/);
    await screen(page, `rollouts-${width}-aborted`);
    await widgetShot(page, "rollout-analysis", `rollouts-${width}-analysis`);
    await widgetShot(page, "rollout-traffic", `rollouts-${width}-traffic`);

    // Fork at the failed analysis: a looser threshold applied there, then Retry and Play.
    await page.waitForSelector(".tc-status:not(.tc-past)");
    assert.match(await page.textContent('.ra-run[data-phase="Failed"] .ra-fork'), /loosen the threshold in the spec, Apply, then Retry/);
    await page.click('.ra-run[data-phase="Failed"] .ra-fork-here');
    await page.waitForSelector(".tc-status.tc-past");
    assert.equal(await phase(page), "Degraded", "the fork point is after the failure");
    await editSpec(page, "result[0] >= 0.95", "result[0] >= 0.8");
    await page.waitForSelector('.rollout-spec[data-errors="0"]');
    await page.click(".rs-apply");
    await page.waitForSelector(".notice");
    assert.match(await page.textContent(".notice"), /New timeline/);
    await page.waitForSelector('.rollout-spec[data-edited="false"]');
    assert.equal(await phase(page), "Degraded", "the rollout keeps its place");
    await page.click(".ro-retry");
    await playUntil(page, '.rollout-steps[data-phase="Paused"][data-weight="50"]');
    assert.equal(await page.locator(".ra-run").first().getAttribute("data-phase"), "Successful", "the retried analysis passes");
    assert.equal(await page.locator('.ra-run[data-phase="Failed"]').count(), 1, "the failed run stays in the record");
    await screen(page, `rollouts-${width}-forked`);
    await widgetShot(page, "rollout-metrics", `rollouts-${width}-metrics`);
    await widgetShot(page, "rollout-judge", `rollouts-${width}-judge`);

    // After a full promote, a shifted feature drifts: the next check's PSI is above 0.2.
    await page.click(".ro-promote-full");
    await playUntil(page, '.rollout-steps[data-phase="Healthy"]');
    await page.selectOption(".rd-drift-target", "feature");
    await page.fill(".rd-drift-amount", "1.5");
    await page.click(".rd-drift-button");
    const shiftedAt = Number(/tick (\d+)/.exec(await page.textContent(".tc-status"))[1]);
    await page.click(".tc-play");
    await page.waitForFunction((t) => Number(/tick (\d+)/.exec(document.querySelector(".tc-status").textContent)[1]) >= t + 70, shiftedAt, { timeout: 60000 });
    await page.click(".tc-play");
    const psi = Number(await page.getAttribute('.rd-measure[data-what="feature"]', "data-psi"));
    assert.ok(psi > 0.2, `the shifted feature drifts (PSI ${psi})`);
    await widgetShot(page, "rollout-drift", `rollouts-${width}-drift`);
    await widgetShot(page, "rollout-alerts", `rollouts-${width}-alerts`);

    assert.ok((await overflowOf(page)) <= 0, "no sideways scrolling");
    await page.screenshot({ path: join(SHOTS, `rollouts-${width}-full.png`), fullPage: true });
    await done(page);
  });
}
