// Word mode in this machine's Chromium: UNIPEN test-split words (writers no model saw) replayed
// as mouse drags on the word pad, each checked against CPython reading the very same pixels.
//
//   node bench/page_words.js [--samples 60] [--visits 2] [--seed 7] [--port 18733]
//
// Builds the working tree's page (web/, pycnn/, weights/: the word model in weights/words.npz)
// into a scratch folder, so dist/ is left alone, and serves it. Reports:
//
// - agreement: every word's final reading in the page (raw reading, the three words and their
//   scores, frames, spans) against `WordReader.read_pixels` in CPython on the pixels the page
//   sent (tests/e2e/word_check.py, with the model and word list the page was served). Must
//   be 100%.
// - word accuracy in the page: the best word is the word written (and ignoring case).
// - stroke end to reading: the page reads the pad after every stroke; each stroke is drawn
//   once the previous reading is on screen, and timed from its pointerup to the reading's
//   DOM update ("dom") and the next animation frame ("painted"), median and p95; the worker's
//   own time for the reading beside it.
// - choosing Word mode to its first reading, on a first visit (a fresh browser context: no
//   HTTP cache, no service worker) and on a later one (the same context reloaded in Character
//   mode once its service worker is active): from the click on "Word" to Word mode ready,
//   then from the end of the first stroke written once it is ready to its reading (the time
//   spent writing that stroke is left out).
// - the bytes Word mode adds: what the page and its worker download from the click on "Word"
//   to that first reading on a first visit, and files.json's "words" (the word model, the
//   word list, the word modules).
//
// Words come from tests/e2e/word_samples.py (alphabetic words of 1 to 20 letters, seeded,
// placed as training places them, at most as wide as the pad). Nothing here is a test: it
// prints the figures, with the command and the date.
"use strict";

const fs = require("node:fs");
const os = require("node:os");
const path = require("node:path");
const { chromium } = require("@playwright/test");
const { drawWordStrokes, runPython, waitForWordReading, wordReadings } = require("../tests/e2e/helpers");
const { ROOT, CHROMIUM_PATH, CHROMIUM_ARGS } = require("../tests/e2e/env");
const { option, startServer, quantile } = require("./browser");

const SAMPLES = option("samples", 60);
const VISITS = option("visits", 2);
const SEED = option("seed", 7);
const PORT = option("port", 18733);
const VIEWPORT = { width: 1280, height: 800 };
const BASE = `http://127.0.0.1:${PORT}/`;
// Scores may differ in their last float32 digits: the network's sums run in another order
// without BLAS (Pyodide) than with it (CPython's NumPy). Texts, frames and spans must be equal.
const SCORE_TOLERANCE = 1e-3;

const ms = (value) => `${value.toFixed(0)} ms`;
const spread = (values) => `median ${ms(quantile(values, 0.5))}, p95 ${ms(quantile(values, 0.95))} (n=${values.length})`;

/** A folder of symlinks to this checkout's sources, so build.py writes its dist/ there (it
 * takes its root from its own path without resolving links). */
function scratchTree() {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "pycnn-page-words-"));
  for (const name of ["build.py", "web", "pycnn", "weights", "node_modules", ".venv"]) {
    fs.symlinkSync(path.join(ROOT, name), path.join(dir, name));
  }
  return dir;
}

/** In the page: time every pointerup on the word pad to the reading's next update of
 * #word-reading's data-count ("dom") and the frame after it ("painted"); the click on the
 * Word switch to Word mode ready and to its first reading. */
function instrument() {
  const t = { up: null, strokes: [], chosen: null, ready: null, firstUp: null, firstReading: null };
  window.wordTimes = t;
  window.addEventListener("pointerup", (event) => {
    if (!event.target || event.target.id !== "word-pad") return;
    t.up = performance.now();
    if (t.chosen !== null && t.firstUp === null) t.firstUp = t.up;
  }, true);
  window.addEventListener("click", (event) => {
    if (event.target && event.target.id === "mode-word") t.chosen = performance.now();
  }, true);
  const watch = () => {
    const reading = document.querySelector("#word-reading");
    new MutationObserver(() => {
      const now = performance.now();
      if (t.chosen !== null && t.firstReading === null && Number(reading.dataset.count) > 0) t.firstReading = now;
      if (t.up === null) return;
      const up = t.up;
      t.up = null;
      requestAnimationFrame(() => t.strokes.push({ dom: now - up, painted: performance.now() - up }));
    }).observe(reading, { attributes: true, attributeFilter: ["data-count"] });
    new MutationObserver(() => {
      if (t.chosen !== null && t.ready === null && document.body.dataset.wordsReady === "true") t.ready = performance.now();
    }).observe(document.body, { attributes: true, attributeFilter: ["data-words-ready"] });
  };
  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", watch);
  else watch();
}

async function newContext(browser) {
  const context = await browser.newContext({ viewport: VIEWPORT });
  await context.addInitScript(() => {
    window.pycnnTestHooks = true;
  });
  await context.addInitScript(instrument);
  return context;
}

/** Write a word on the word pad (helpers.drawWordStrokes); with waitEachStroke, wait for
 * each stroke's reading before the next. */
async function writeWord(page, strokes, waitEachStroke) {
  let before = await wordReadings(page);
  await drawWordStrokes(page, strokes, waitEachStroke ? async () => {
    await waitForWordReading(page, before, 120_000);
    before = await wordReadings(page);
  } : null);
}

async function clearPad(page) {
  await page.locator("#word-clear").click();
  await page.waitForFunction(() => document.querySelector("#word-reading").dataset.empty === "true" &&
    window.pycnnTest.word.settled(), null, { timeout: 60_000 });
}

async function download(url, file) {
  const response = await fetch(url);
  if (!response.ok) throw new Error(`${url}: HTTP ${response.status}`);
  fs.writeFileSync(file, Buffer.from(await response.arrayBuffer()));
}

/** Replay every sample on one page; the page's readings, the pixels it sent, the latencies. */
async function replay(browser, samples, dir) {
  const context = await newContext(browser);
  const page = await context.newPage();
  await page.goto(`${BASE}?mode=word`);
  await page.waitForSelector("body[data-words-ready='true']", { timeout: 300_000 });
  const shown = [];
  const items = [];
  for (const [i, sample] of samples.entries()) {
    await clearPad(page);
    await page.evaluate(() => {
      window.wordTimes.up = null;
    });
    await writeWord(page, sample.strokes, true);
    const reading = await page.evaluate(() => window.pycnnTest.word.shown());
    const sent = await page.evaluate(() => window.pycnnTest.word.lastPixels());
    fs.writeFileSync(path.join(dir, `${i}.rgba`), Buffer.from(sent.base64, "base64"));
    items.push({ file: `${i}.rgba`, width: sent.width, height: sent.height, set: "all" });
    shown.push(reading);
    process.stderr.write(`\r${i + 1}/${samples.length} ${sample.text} -> ${reading.words.length ? reading.words[0][0] : "(nothing)"}          `);
  }
  process.stderr.write("\n");
  const times = await page.evaluate(() => window.wordTimes.strokes);
  await context.close();
  return { shown, items, times };
}

/** One visit that chooses Word mode: click "Word", wait until it is ready, write a word, and
 * time its first reading. `page` already shows the page in Character mode, ready. */
async function chooseWordMode(page, sample, context) {
  // Bodies that came from the server (a response the service worker or the HTTP cache gave
  // has no size here), each URL once: the worker's fetch and the service worker's own fetch
  // of the same file are one download.
  const counted = new Map();
  const count = async (request) => {
    const sizes = await request.sizes().catch(() => null);
    if (sizes && sizes.responseBodySize > 0) counted.set(request.url().replace(BASE, ""), sizes.responseBodySize);
  };
  context.on("requestfinished", count);
  await page.locator("#mode-word").click();
  await page.waitForSelector("body[data-words-ready='true']", { timeout: 300_000 });
  await writeWord(page, sample.strokes, false);
  await waitForWordReading(page, 0, 120_000);
  context.off("requestfinished", count);
  const t = await page.evaluate(() => window.wordTimes);
  // The first stroke is written once Word mode is ready; the time spent writing it is the
  // writer's, so it is left out: chosen to ready, plus its stroke end to its reading.
  return { ready: t.ready - t.chosen, firstReading: t.firstReading - t.firstUp,
    bytes: [...counted.values()].reduce((a, b) => a + b, 0), counted: [...counted] };
}

async function visits(browser, sample) {
  const first = [];
  const later = [];
  for (let v = 0; v < VISITS; v++) {
    const context = await newContext(browser);
    const page = await context.newPage();
    await page.goto(`${BASE}?mode=character`);
    await page.waitForSelector("body[data-ready='true']", { timeout: 300_000 });
    // The service worker is installed once the worker has kept its downloads: wait for it,
    // so its install does not download alongside Word mode's first fetch.
    await page.evaluate(() => navigator.serviceWorker.ready);
    await page.waitForTimeout(2000);
    first.push(await chooseWordMode(page, sample, context));
    // A later visit: back to Character mode (the switch is kept), reloaded.
    await page.locator("#mode-character").click();
    await page.waitForTimeout(3000); // the worker's copies into the offline cache
    await page.goto(`${BASE}?mode=character`);
    await page.waitForSelector("body[data-ready='true']", { timeout: 300_000 });
    await page.waitForTimeout(2000);
    later.push(await chooseWordMode(page, sample, context));
    await context.close();
  }
  return { first, later };
}

async function main() {
  const tree = scratchTree();
  const server = await startServer(PORT, tree);
  const browser = await chromium.launch({ executablePath: CHROMIUM_PATH, args: CHROMIUM_ARGS });
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "pycnn-page-words-run-"));
  try {
    // Words as wide as the pad holds: its width in pad heights, at this viewport.
    const context = await newContext(browser);
    const page = await context.newPage();
    await page.goto(`${BASE}?mode=word`);
    await page.waitForSelector("body[data-words-ready='true']", { timeout: 300_000 });
    const pad = await page.locator("#word-pad").boundingBox();
    await context.close();
    const maxWidth = (pad.width / pad.height) * 0.9;
    const out = path.join(dir, "samples.json");
    runPython("word_samples.py", ["--count", String(SAMPLES), "--seed", String(SEED), "--min-letters", "1",
      "--max-letters", "20", "--max-width", maxWidth.toFixed(3), "--out", out]);
    const { samples } = JSON.parse(fs.readFileSync(out, "utf-8"));

    const manifest = await (await fetch(`${BASE}files.json`)).json();
    const sizes = new Map(manifest.files.map((f) => [f.path, f.size]));
    const model = path.join(dir, "words.npz");
    const lexicon = path.join(dir, "lexicon-en.tsv.gz");
    await download(`${BASE}weights/words.npz`, model);
    await download(`${BASE}weights/lexicon-en.tsv.gz`, lexicon);

    const { shown, items, times } = await replay(browser, samples, dir);
    fs.writeFileSync(path.join(dir, "index.json"), JSON.stringify({ items }));
    const { readings: cpython } = JSON.parse(runPython("word_check.py", [dir, "--model", model, "--lexicon", lexicon]));
    let agree = 0;
    let largest = 0;
    let right = 0;
    let rightAnyCase = 0;
    const disagreements = [];
    for (const [i, page] of shown.entries()) {
      const theirs = cpython[i];
      const same = page.raw === theirs.raw &&
        JSON.stringify(page.words.map(([w]) => w)) === JSON.stringify(theirs.words.map(([w]) => w)) &&
        page.words.every(([, s], k) => Math.abs(s - theirs.words[k][1]) < SCORE_TOLERANCE) &&
        JSON.stringify(page.frames) === JSON.stringify(theirs.frames) &&
        JSON.stringify(page.spans) === JSON.stringify(theirs.spans);
      page.words.forEach(([, s], k) => {
        if (theirs.words[k]) largest = Math.max(largest, Math.abs(s - theirs.words[k][1]));
      });
      if (same) agree++;
      else disagreements.push(`${samples[i].text}: page ${JSON.stringify(page.words)} raw ${page.raw}, CPython ${JSON.stringify(theirs.words)} raw ${theirs.raw}`);
      const best = page.words.length ? page.words[0][0] : "";
      if (best === samples[i].text) right++;
      if (best.toLowerCase() === samples[i].text.toLowerCase()) rightAnyCase++;
    }
    const workerMs = shown.map((r) => r.ms).filter((v) => Number.isFinite(v));
    const visit = await visits(browser, samples[0]);
    const wordsBytes = manifest.words.reduce((sum, p) => sum + sizes.get(p), 0);

    const pct = (n, d) => `${((100 * n) / d).toFixed(1)}% (${n} of ${d})`;
    console.log(`Word mode, ${samples.length} test-split words (tests/e2e/word_samples.py --seed ${SEED}), ` +
      `replayed as mouse drags at ${VIEWPORT.width}x${VIEWPORT.height}, pad ${pad.width.toFixed(0)}x${pad.height.toFixed(0)} CSS px`);
    console.log(`  page and CPython agree: ${pct(agree, shown.length)} (raw reading, words, frames and spans equal; ` +
      `scores within ${SCORE_TOLERANCE}, the largest difference ${largest.toExponential(1)})`);
    for (const line of disagreements) console.log(`    differs: ${line}`);
    console.log(`  word accuracy in the page: ${pct(right, shown.length)}; ignoring case ${pct(rightAnyCase, shown.length)}`);
    console.log(`  stroke end to reading: dom ${spread(times.map((x) => x.dom))}; painted ${spread(times.map((x) => x.painted))}`);
    console.log(`  the worker's time for the final reading of each word: ${spread(workerMs)}`);
    for (const [name, list] of [["first visit", visit.first], ["later visit", visit.later]]) {
      console.log(`  ${name}: Word chosen to ready ${list.map((v) => ms(v.ready)).join(", ")}; ` +
        `then a stroke's end to the first reading ${list.map((v) => ms(v.firstReading)).join(", ")} ` +
        `(together ${list.map((v) => ms(v.ready + v.firstReading)).join(", ")}); ` +
        `downloaded meanwhile ${list.map((v) => `${(v.bytes / 1e6).toFixed(2)} MB`).join(", ")}`);
    }
    console.log(`  bytes Word mode adds: files.json "words" ${wordsBytes} bytes (${(wordsBytes / 1e6).toFixed(2)} MB: ` +
      manifest.words.map((p) => `${p} ${sizes.get(p)}`).join(", ") + ")");
    console.log(`  what a first visit downloaded after choosing Word: ` +
      visit.first[0].counted.map(([url, size]) => `${url} ${size}`).join(", "));
    console.log(`  measured ${new Date().toISOString().slice(0, 10)} with: node bench/page_words.js --samples ${SAMPLES} --visits ${VISITS} --seed ${SEED}`);
  } finally {
    await browser.close();
    server.kill();
    fs.rmSync(dir, { recursive: true, force: true });
    // The scratch tree: its own dist/, then the links themselves (never what they point to).
    fs.rmSync(path.join(tree, "dist"), { recursive: true, force: true });
    for (const name of fs.readdirSync(tree)) fs.unlinkSync(path.join(tree, name));
    fs.rmdirSync(tree);
  }
}

main().catch((error) => {
  console.error(error);
  process.exit(1);
});
