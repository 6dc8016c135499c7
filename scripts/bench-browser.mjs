// Browser benchmarks on the release build (dist/) in Debian's headless Chromium:
//   - time from navigation to an interactive lesson (median of 5 cold loads)
//   - the scrub benchmark page (#/bench), the same core code as the native lab-bench
//   - the release bundle size (every file of the build without the benchmark page), raw and brotli
//   - the point-in-time join (#/bench), next to the native time `lab-bench pit` wrote to target/bench-pit
//   - the windowed aggregation (#/bench), next to the native times `lab-bench stream` wrote to
//     target/bench-stream, and the streaming lab's frame cost while it plays (tests/e2e/frame_cost.mjs)
// Prints markdown tables. Run by scripts/bench.sh; `node scripts/bench-browser.mjs pit` runs only the
// point-in-time join, `node scripts/bench-browser.mjs stream` only the streaming benchmarks.
import { readdirSync, readFileSync, statSync } from "node:fs";
import { brotliCompressSync, constants } from "node:zlib";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { chromium } from "../tools/node_modules/playwright-core/index.mjs";
import { serve } from "../tests/e2e/server.mjs";
import { instrumentTimers, playAndMeasure, frameRow, FRAME_TABLE_HEAD } from "../tests/e2e/frame_cost.mjs";

const ROOT = join(dirname(fileURLToPath(import.meta.url)), "..");
// FLOWLAB_DIST points the benchmark at another build (several people may share one checkout's dist/).
const DIST = process.env.FLOWLAB_DIST || join(ROOT, "dist");
const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

function bundle() {
  // The bundle learners download: the release build without the benchmark page.
  const release = process.env.FLOWLAB_RELEASE_DIST || DIST;
  const rows = [];
  let raw = 0, br = 0;
  const groups = new Map();
  for (const f of readdirSync(release)) {
    const bytes = readFileSync(join(release, f));
    const b = brotliCompressSync(bytes, { params: { [constants.BROTLI_PARAM_QUALITY]: 11 } }).length;
    raw += bytes.length; br += b;
    const name = /\.css$/.test(f) ? "style sheets (*.css)" : f.replace(/-[0-9a-f]{8,}/, "");
    const [r0, b0] = groups.get(name) || [0, 0];
    groups.set(name, [r0 + bytes.length, b0 + b]);
  }
  for (const [name, [r, b]] of groups) rows.push([name, r, b]);
  rows.push(["total (budget 1,536 KiB)", raw, br]);
  console.log(`\n### Release bundle (${release}, every file)\n\n| file | raw | brotli |\n|---|---|---|`);
  for (const [f, r, b] of rows) console.log(`| ${f} | ${(r / 1024).toFixed(1)} KiB | ${(b / 1024).toFixed(1)} KiB |`);
}

/**
 * Runs `run(rows)` in tools/bench/peers.html (the browser peers, installed by bench.sh) and
 * returns its result; throws when the npm package `needs` is not installed.
 */
async function onPeersPage(browser, needs, run, rows) {
  const peersDir = join(ROOT, "tools", "bench");
  statSync(join(peersDir, "node_modules", needs));
  const { server, origin: peerOrigin } = await serve(peersDir);
  try {
    const page = await (await browser.newContext()).newPage();
    await page.goto(`${peerOrigin}/peers.html`);
    await page.waitForFunction(() => window.peersReady === true, null, { timeout: 60000 });
    return await page.evaluate(run, rows);
  } finally {
    server.close();
  }
}

/**
 * The SQL benchmark in this browser: the lab's engine (the bench page), then sql.js and
 * DuckDB-WASM on the same tables and queries (tools/bench/peers.html, installed by bench.sh),
 * in the same headless Chromium run.
 */
async function sqlBench(browser, page) {
  await page.click(".bench-sql");
  await page.waitForSelector(".sql-table", { timeout: 600000 });
  const ours = await page.$$eval(".sql-table tbody tr", (trs) => trs.map((tr) => [tr.cells[0].textContent, parseFloat(tr.cells[1].textContent), tr.cells[1].textContent]));
  for (const [name, , text] of ours) if (!/^[0-9.]+ ms/.test(text)) console.log(`(${name}: ${text})`);
  let peers = null;
  try {
    peers = await onPeersPage(browser, "sql.js", (rows) => window.runPeers(rows), 1000000);
  } catch (e) {
    console.log(`\n(sql.js and DuckDB-WASM skipped: ${e.message.split("\n")[0]})`);
  }
  const ok = (x) => typeof x === "number" && Number.isFinite(x);
  const ms = (x) => (ok(x) ? `${x.toFixed(1)} ms` : "-");
  const ratio = (a, b) => (ok(a) && ok(b) ? `${(a / b).toFixed(2)}x` : "-");
  console.log("\n### SQL over 1,000,000 rows (WebAssembly, headless Chromium, best of 3)\n");
  console.log("| query | Flowlab | sql.js | DuckDB-WASM | Flowlab / sql.js | Flowlab / DuckDB-WASM |\n|---|---|---|---|---|---|");
  for (const [name, t] of ours) {
    const s = peers && peers.sqljs.find((r) => r[0] === name)?.[1];
    const d = peers && peers.duckdb.find((r) => r[0] === name)?.[1];
    console.log(`| ${name} | ${ms(t)} | ${ms(s)} | ${ms(d)} | ${ratio(t, s)} | ${ratio(t, d)} |`);
  }
}

/**
 * The large SQL benchmark in this browser: a GROUP BY and a join over 10M rows and the memory the
 * loaded tables hold, then DuckDB-WASM on the same tables (its own account of its memory) in the
 * same run.
 */
async function sqlLargeBench(browser, page) {
  await page.click(".bench-sql-large");
  await page.waitForSelector(".sql-large-table", { timeout: 1200000 });
  const ours = await page.$$eval(".sql-large-table tbody tr", (trs) => trs.map((tr) => [tr.cells[0].textContent, tr.cells[1].textContent]));
  let peer = null;
  try {
    peer = await onPeersPage(browser, "@duckdb", (rows) => window.runLargePeer(rows), 10000000);
  } catch (e) {
    console.log(`\n(DuckDB-WASM skipped: ${e.message.split("\n")[0]})`);
  }
  const ok = (x) => typeof x === "number" && Number.isFinite(x);
  console.log("\n### SQL over 10,000,000 rows (WebAssembly, headless Chromium, best of 3)\n");
  console.log("| measure | Flowlab | DuckDB-WASM | Flowlab / DuckDB-WASM |\n|---|---|---|---|");
  for (const [name, text] of ours) {
    const t = parseFloat(text);
    let d = peer && peer.timings.find((r) => r[0] === name)?.[1];
    let peerText = ok(d) ? `${d.toFixed(1)} ms` : "-";
    if (name.startsWith("memory in use")) {
      d = peer ? peer.memoryBytes / 2 ** 20 : undefined;
      peerText = ok(d) ? `${d.toFixed(1)} MiB (duckdb_memory())` : "-";
    }
    console.log(`| ${name} | ${text} | ${peerText} | ${ok(t) && ok(d) ? (t / d).toFixed(2) + "x" : "-"} |`);
  }
}

/**
 * Frame cost in the Kafka lab with the cluster view open and a producer sending 100 records per
 * tick to a group of two: the time from a Step click to the updated DOM (reduce + render), and
 * the animation-frame intervals while playing at full speed.
 */
async function frameTime(browser) {
  const page = await (await browser.newContext({ viewport: { width: 1280, height: 900 } })).newPage();
  await page.goto(`${origin}/#/labs/broker`);
  await page.waitForSelector(".cluster-view");
  await page.fill(".send-count", "1000");
  for (let i = 0; i < 5; i++) await page.click(".send-button");
  await page.click(".add-consumer-button");
  await page.click(".add-consumer-button");
  await page.click(".steady-send summary");
  await page.fill(".rate-input", "100");
  await page.click(".rate-button");
  const updates = await page.evaluate(async () => {
    const times = [];
    for (let i = 0; i < 80; i++) {
      const status = document.querySelector(".tc-status");
      const t0 = performance.now();
      await new Promise((resolve) => {
        const observer = new MutationObserver(() => { observer.disconnect(); resolve(); });
        observer.observe(status, { childList: true, characterData: true, subtree: true });
        document.querySelector(".tc-step").click();
      });
      times.push(performance.now() - t0);
      await new Promise((r) => setTimeout(r, 0));
    }
    return times.slice(5);
  });
  await page.selectOption(".tc-speed select", "100");
  await page.click(".tc-play");
  const frames = await page.evaluate(() => new Promise((resolve) => {
    const times = [];
    let last = performance.now();
    const step = (t) => {
      times.push(t - last);
      last = t;
      if (times.length < 240) requestAnimationFrame(step); else resolve(times.slice(10));
    };
    requestAnimationFrame(step);
  }));
  await page.click(".tc-play");
  const stats = (xs) => {
    const sorted = [...xs].sort((a, b) => a - b);
    const pick = (p) => sorted[Math.min(sorted.length - 1, Math.floor(sorted.length * p))];
    return [pick(0.5), pick(0.95), sorted[sorted.length - 1]].map((x) => `${x.toFixed(1)} ms`);
  };
  console.log("\n### Kafka lab frame cost (cluster view open, 100 records per tick, 2 consumers)\n\n| measure | median | p95 | worst |\n|---|---|---|---|");
  console.log(`| Step click to updated DOM (${updates.length} steps) | ${stats(updates).join(" | ")} |`);
  console.log(`| animation-frame interval while playing at 100 ticks/s (${frames.length} frames) | ${stats(frames).join(" | ")} |`);
}

/**
 * The point-in-time join in this browser (the bench page, the same generated rows as the native
 * benchmark), next to the native medians and checksums `lab-bench pit target/bench-pit` wrote in
 * the same scripts/bench.sh run: the WASM / native ratio, and whether both joins gave one answer.
 */
async function pitBench(page) {
  await page.click(".bench-pit");
  await page.waitForSelector(".pit-table", { timeout: 600000 });
  const rows = await page.$$eval(".pit-table tbody tr", (trs) => trs.map((tr) => [...tr.cells].map((c) => c.textContent)));
  let native = {};
  try {
    const text = readFileSync(join(ROOT, "target", "bench-pit", "native.txt"), "utf8");
    native = Object.fromEntries(text.trim().split("\n").map((line) => line.split(" ")));
  } catch (e) {
    console.log(`\n(no native run to compare with: ${e.message.split("\n")[0]}; run lab-bench pit target/bench-pit)`);
  }
  console.log("\n### Point-in-time join (WebAssembly, headless Chromium, one thread)\n\n| measure | value |\n|---|---|");
  for (const [m, v] of rows) console.log(`| ${m} | ${v} |`);
  console.log("\n| variant | WASM (median) | native (median) | WASM / native | WASM / native, fastest runs | same answer |\n|---|---|---|---|---|---|");
  for (const [variant, label] of [["plain", "point-in-time LEFT join"], ["cutoff", "with the created-time cutoff"]]) {
    const cell = rows.find(([m]) => m.startsWith(label))?.[1] ?? "";
    const wasm = parseFloat(cell);
    const checksum = /(\d+) rows matched, checksum (-?\d+)/.exec(cell);
    const ms = parseFloat(native[`${variant}_ms`]);
    const fastest = /min ([0-9.]+)/.exec(cell);
    const nativeMin = parseFloat(native[`${variant}_min_ms`]);
    const minRatio = fastest && Number.isFinite(nativeMin) ? `${(parseFloat(fastest[1]) / nativeMin).toFixed(2)}x` : "-";
    const same = checksum && native[`${variant}_matched`] === checksum[1] && native[`${variant}_weighted`] === checksum[2];
    const ratio = Number.isFinite(ms) ? `${(wasm / ms).toFixed(2)}x` : "-";
    console.log(`| ${label} | ${wasm.toFixed(1)} ms | ${Number.isFinite(ms) ? `${ms.toFixed(1)} ms` : "-"} | ${ratio} | ${minRatio} | ${Number.isFinite(ms) ? (same ? "yes" : "NO") : "-"} |`);
  }
}

/**
 * The windowed aggregation in this browser (the bench page, the same generated events as the
 * native benchmark), next to the native medians and checksums `lab-bench stream target/bench-stream`
 * wrote in the same scripts/bench.sh run: events per second, the WASM / native ratio of each form,
 * and whether WebAssembly gave the same answer.
 */
async function streamBench(page) {
  await page.click(".bench-stream");
  await page.waitForSelector(".stream-table", { timeout: 600000 });
  const rows = await page.$$eval(".stream-table tbody tr", (trs) => trs.map((tr) => [...tr.cells].map((c) => c.textContent)));
  let native = {};
  try {
    const text = readFileSync(join(ROOT, "target", "bench-stream", "native.txt"), "utf8");
    native = Object.fromEntries(text.trim().split("\n").map((line) => line.split(" ")));
  } catch (e) {
    console.log(`\n(no native run to compare with: ${e.message.split("\n")[0]}; run lab-bench stream target/bench-stream)`);
  }
  console.log("\n### Windowed aggregation (WebAssembly, headless Chromium, one thread)\n\n| measure | value |\n|---|---|");
  for (const [m, v] of rows) console.log(`| ${m} | ${v} |`);
  const events = parseFloat(native.events ?? "1000000");
  console.log("\n| form | WASM (median) | WASM events/s | native (median) | WASM / native | WASM / native, fastest runs | same answer |\n|---|---|---|---|---|---|---|");
  for (const [form, label] of [["operator", "WindowedAggregate"], ["streaming_sql", "streaming SQL"], ["batch_sql", "peer: batch GROUP BY"]]) {
    const cell = rows.find(([m]) => m.startsWith(label))?.[1] ?? "";
    const timing = /\(([0-9.]+) ms, min ([0-9.]+)/.exec(cell);
    const checksum = /(\d+) rows, checksum (-?\d+)/.exec(cell);
    const ms = parseFloat(native[`${form}_ms`]);
    const nativeMin = parseFloat(native[`${form}_min_ms`]);
    if (!timing) {
      console.log(`| ${label} | ${cell} | - | - | - | - | - |`);
      continue;
    }
    const [wasm, wasmMin] = [parseFloat(timing[1]), parseFloat(timing[2])];
    const has = Number.isFinite(ms);
    const same = checksum && native[`${form}_groups`] === checksum[1] && native[`${form}_weighted`] === checksum[2];
    console.log(`| ${label} | ${wasm.toFixed(1)} ms | ${(events / wasm / 1000).toFixed(2)} M | ${has ? `${ms.toFixed(1)} ms` : "-"} | ${has ? `${(wasm / ms).toFixed(2)}x` : "-"} | ${Number.isFinite(nativeMin) ? `${(wasmMin / nativeMin).toFixed(2)}x` : "-"} | ${has ? (same ? "yes" : "NO") : "-"} |`);
  }
}

/**
 * The streaming lab's frame cost while it plays at 100 ticks/s, next to the Kafka lab under load
 * measured the same way in the same run (tests/e2e/bench-streaming.test.mjs is the same
 * measurement as a test).
 */
async function streamingFrames(browser) {
  const rows = [];
  for (const [width, height] of [[1280, 800], [390, 844]]) {
    const context = await browser.newContext({ viewport: { width, height } });
    await context.addInitScript(instrumentTimers);
    const page = await context.newPage();
    await page.goto(`${origin}/#/labs/streaming`);
    await page.waitForSelector('[data-widget="stream-output"]', { timeout: 60000 });
    rows.push(frameRow(`#/labs/streaming at ${width}x${height}`, await playAndMeasure(page, { seconds: 8 })));
    await context.close();
  }
  const context = await browser.newContext({ viewport: { width: 1280, height: 800 } });
  await context.addInitScript(instrumentTimers);
  const page = await context.newPage();
  await page.goto(`${origin}/#/labs/broker`);
  await page.waitForSelector(".cluster-view");
  await page.click(".add-consumer-button");
  await page.click(".add-consumer-button");
  await page.click(".steady-send summary");
  await page.fill(".rate-input", "100");
  await page.click(".rate-button");
  rows.push(frameRow("peer: #/labs/broker at 1280x800, 100 records per tick, a group of two", await playAndMeasure(page, { seconds: 8 })));
  await context.close();
  console.log(`\n### Streaming lab frame cost (headless Chromium)\n\n${FRAME_TABLE_HEAD}\n${rows.join("\n")}`);
}

let origin;

/**
 * The engines' benchmarks on the bench page: broker throughput (RF 1, and RF 3 under faults),
 * fork and compare, then SQL over 1M rows and 10M rows with their browser peers.
 */
async function engineBench(browser, page) {
  await page.click(".bench-broker");
  await page.waitForSelector(".broker-table", { timeout: 300000 });
  const brokerRows = await page.$$eval(".broker-table tbody tr", (trs) => trs.map((tr) => [...tr.cells].map((c) => c.textContent)));
  console.log("\n### Broker throughput (WebAssembly, headless Chromium)\n\n| measure | value |\n|---|---|");
  for (const [m, v] of brokerRows) console.log(`| ${m} | ${v} |`);
  const replicatedRows = await page.$$eval(".replicated-table tbody tr", (trs) => trs.map((tr) => [...tr.cells].map((c) => c.textContent)));
  console.log("\n### Replicated throughput under a fault schedule (WebAssembly, headless Chromium)\n\n| measure | value |\n|---|---|");
  for (const [m, v] of replicatedRows) console.log(`| ${m} | ${v} |`);
  console.log("\n" + (await page.textContent(".replicated-ratio")));
  await page.click(".bench-fork");
  await page.waitForSelector(".fork-table", { timeout: 300000 });
  const forkRows = await page.$$eval(".fork-table tbody tr", (trs) => trs.map((tr) => [...tr.cells].map((c) => c.textContent)));
  console.log("\n### Fork and compare at a past tick (WebAssembly, headless Chromium)\n\n| measure | value |\n|---|---|");
  for (const [m, v] of forkRows) console.log(`| ${m} | ${v} |`);
  await sqlBench(browser, page);
  await sqlLargeBench(browser, page);
}

async function main() {
  bundle();
  const served = await serve(DIST);
  const server = served.server;
  origin = served.origin;
  const browser = await chromium.launch({ executablePath: "/usr/bin/chromium",
    args: ["--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage", "--no-first-run", "--disable-background-networking", "--disable-component-update"] });
  if (process.argv[2] === "stream") {
    const page = await (await browser.newContext()).newPage();
    await page.goto(`${origin}/#/bench`);
    await streamBench(page);
    await streamingFrames(browser);
    await browser.close();
    server.close();
    return;
  }
  if (process.argv[2] === "engines") {
    const page = await (await browser.newContext()).newPage();
    await page.goto(`${origin}/#/bench`);
    await engineBench(browser, page);
    await browser.close();
    server.close();
    return;
  }
  if (process.argv[2] === "pit") {
    const page = await (await browser.newContext()).newPage();
    await page.goto(`${origin}/#/bench`);
    await pitBench(page);
    await browser.close();
    server.close();
    return;
  }
  const lesson = /^id:\s*(\S+)/m.exec(readFileSync(join(ROOT, "lessons", readdirSync(join(ROOT, "lessons")).sort()[0]), "utf8"))[1];
  const interactive = [], painted = [];
  for (let i = 0; i < 5; i++) {
    const context = await browser.newContext({ viewport: { width: 1280, height: 900 } });
    const page = await context.newPage();
    await page.goto(`${origin}/#/lessons/${lesson}`);
    await page.waitForSelector(".tc-step");
    painted.push(await page.evaluate(() => performance.now()));
    await page.click(".tc-step");
    await page.waitForFunction(() => document.querySelector(".tc-status").textContent.startsWith("tick 1 "));
    interactive.push(await page.evaluate(() => performance.now()));
    await context.close();
  }
  console.log("\n### Navigation to an interactive lesson (cold cache, localhost)\n\n| measure | median of 5 | all runs |\n|---|---|---|");
  console.log(`| lesson rendered (time controls on screen) | ${median(painted).toFixed(0)} ms | ${painted.map((x) => x.toFixed(0)).join(", ")} |`);
  console.log(`| first Step click applied | ${median(interactive).toFixed(0)} ms | ${interactive.map((x) => x.toFixed(0)).join(", ")} |`);

  const page = await (await browser.newContext()).newPage();
  await page.goto(`${origin}/#/bench`);
  await page.click(".bench-run");
  await page.waitForSelector(".bench-table", { timeout: 300000 });
  const rows = await page.$$eval(".bench-table tbody tr", (trs) => trs.map((tr) => [...tr.cells].map((c) => c.textContent)));
  console.log("\n### Scrub benchmark (WebAssembly, headless Chromium)\n\n| measure | value |\n|---|---|");
  for (const [m, v] of rows) console.log(`| ${m} | ${v} |`);
  await engineBench(browser, page);
  await pitBench(page);
  await streamBench(page);
  await frameTime(browser);
  await streamingFrames(browser);
  await browser.close();
  server.close();
}

await main();
