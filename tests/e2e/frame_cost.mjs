// Frame cost of a lab page while its clock plays, shared by tests/e2e/bench-streaming.test.mjs and
// scripts/bench-browser.mjs. Two measures, taken over the same seconds of play:
//   - update cost: for every fire of a page timer (the play timer advances the lab), the main-thread
//     work it puts into the next frame: the timer's task (the reducer), Yew's render and effects
//     (they run in microtasks right after that task, before the next task or frame), and the style
//     and layout of the changed DOM (forced once the microtasks are done, which the browser would
//     otherwise do at the next frame; paint and compositing are not counted);
//   - animation-frame interval: the time between requestAnimationFrame callbacks; at 60 Hz it is
//     16.7 ms when nothing blocks the main thread, and a frame the page made late shows up as a
//     longer interval.
// Nothing here asserts a time: callers print the numbers (a shared machine's times move).

/** An init script (run before the app loads): wraps setInterval so that, while
 * `window.__flowlabRecording` is set, each fire of a timer is timed as above. */
export function instrumentTimers() {
  const original = window.setInterval.bind(window);
  window.__flowlabUpdates = [];
  window.__flowlabTasks = [];
  window.__flowlabRecording = false;
  // Yew renders in a microtask its dispatch queued (wasm-bindgen-futures runs every spawned task
  // in that one microtask); a few levels later, every render and effect of this update is done.
  const afterMicrotasks = (depth, then) => queueMicrotask(() => (depth > 1 ? afterMicrotasks(depth - 1, then) : then()));
  window.setInterval = (handler, timeout, ...args) =>
    original(function (...fired) {
      const start = performance.now();
      try {
        if (typeof handler === "function") handler.apply(this, fired);
      } finally {
        if (window.__flowlabRecording) {
          window.__flowlabTasks.push(performance.now() - start);
          afterMicrotasks(4, () => {
            void document.documentElement.offsetHeight;
            window.__flowlabUpdates.push(performance.now() - start);
          });
        }
      }
    }, timeout, ...args);
}

/** The tick the time controls show ("tick 12 (live)" is 12). */
export async function tickShown(page) {
  const text = await page.textContent(".tc-status");
  return Number(/tick (\d+)/.exec(text)?.[1] ?? NaN);
}

/**
 * Plays the lab on `page` (opened with `instrumentTimers` as its init script) at `speed` ticks per
 * second for `warmup` seconds, then records for `seconds`, then pauses. Returns the update costs,
 * the part of each spent in the timer's own task (the reducer: the lab advancing), the
 * animation-frame intervals (ms) and the ticks shown before and after recording.
 */
export async function playAndMeasure(page, { seconds = 10, warmup = 1, speed = "100" } = {}) {
  await page.selectOption(".tc-speed select", speed);
  await page.click(".tc-play");
  await page.waitForTimeout(warmup * 1000);
  const from = await tickShown(page);
  const frames = await page.evaluate((ms) => new Promise((resolve) => {
    const intervals = [];
    window.__flowlabUpdates = [];
    window.__flowlabTasks = [];
    window.__flowlabRecording = true;
    const end = performance.now() + ms;
    let last = null;
    const step = (t) => {
      if (last !== null) intervals.push(t - last);
      last = t;
      if (t < end) requestAnimationFrame(step);
      else {
        window.__flowlabRecording = false;
        resolve(intervals);
      }
    };
    requestAnimationFrame(step);
  }), seconds * 1000);
  const to = await tickShown(page);
  await page.click(".tc-play");
  const { updates, tasks } = await page.evaluate(() => ({ updates: window.__flowlabUpdates, tasks: window.__flowlabTasks }));
  return { updates, tasks, frames, from, to };
}

/** Median, p95 and worst of a list of times (ms), and how many there were. */
export function stats(xs) {
  const sorted = [...xs].sort((a, b) => a - b);
  const pick = (p) => sorted[Math.min(sorted.length - 1, Math.floor(sorted.length * p))];
  return { n: sorted.length, p50: pick(0.5), p95: pick(0.95), max: sorted[sorted.length - 1] };
}

/** Share of animation frames that took longer than 1.5 frames at 60 Hz (a frame was missed). */
export function missedShare(frames) {
  return frames.filter((f) => f > 25).length / Math.max(1, frames.length);
}

/** One markdown row: label, then median / p95 / worst of updates and frames, missed frames. */
export function frameRow(label, { updates, tasks, frames, from, to }) {
  const u = stats(updates), t = stats(tasks), f = stats(frames);
  const ms = (x) => (Number.isFinite(x) ? `${x.toFixed(1)} ms` : "-");
  return `| ${label} | ${to - from} | ${u.n} | ${ms(u.p50)} | ${ms(u.p95)} | ${ms(u.max)} | ${ms(t.p50)} / ${ms(t.p95)} | ${f.n} | ${ms(f.p50)} | ${ms(f.p95)} | ${(missedShare(frames) * 100).toFixed(1)}% |`;
}

export const FRAME_TABLE_HEAD =
  "| page, playing at 100 ticks/s | ticks played | updates | update median | update p95 | update worst | of which the lab advancing, median / p95 | frames | frame interval median | frame interval p95 | frames missed |\n" +
  "|---|---|---|---|---|---|---|---|---|---|---|";

/** The peer's load on the Kafka lab page (already open): 100 records per tick and a group of two,
 * the load of scripts/bench-browser.mjs's Kafka frame cost. */
export async function loadKafkaPeer(page) {
  await page.waitForSelector(".cluster-view");
  await page.click(".add-consumer-button");
  await page.click(".add-consumer-button");
  await page.click(".steady-send summary");
  await page.fill(".rate-input", "100");
  await page.click(".rate-button");
}
