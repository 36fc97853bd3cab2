// Learning in the page (issue 11), in this machine's Chromium: the time to adapt to 3
// examples of each of the 62 digits and letters (186), the time to add one new symbol from 5
// examples, the worker's memory, and how fast a drawing made during learning is answered.
//
//   node bench/page_learning.js [--rounds 3] [--during 6] [--port 18741] [--screenshot FILE]
//
// The examples are UNIPEN characters written as the page's examples files by
// bench/learning_examples.py (the 186 from test-split writers; the symbol is the first of
// "+=?#%&@$" the served model lacks, from training-split writers, or a synthesised "arrow"
// when it reads them all). Each round opens the page in a fresh browser context (a first
// visit: nothing kept, no feature cache), imports one file through My examples, and presses
// "Learn from my examples": the time is from that click until the page reads with the learnt
// model (the personal model kept in IndexedDB and Look inside, Read as and the labels
// updated), as a visitor waits for it. It includes fetching and importing pycnn.learn.
//
// During each 186-example learning, --during drawings are made (hand-made strokes as mouse
// drags, each once the previous answer is shown): stroke end -> answer in the page, the
// same measure as bench/page_timings.js. Memory: the worker's WebAssembly heap (Pyodide's
// HEAP8.length: all the memory Python and NumPy hold; it only grows, so after learning it is
// the peak), before and after learning. performance.measureUserAgentSpecificMemory is not
// available to a page that is not cross-origin isolated.
//
// --screenshot FILE: after the first symbol is learnt, a drawing of it on the pad, read by
// the personal model, with the teaching panel and My examples (a PNG for the README).
//
// Builds the site into a scratch tree of symlinks (never this checkout's dist/) and serves it.
"use strict";

const fs = require("node:fs");
const os = require("node:os");
const path = require("node:path");
const { drawStrokes, enableTestHooks, line, SHAPES, settle } = require("../tests/e2e/helpers");
const { option, startServer, launchChromium } = require("./browser");
const { ROOT, PYTHON } = require("../tests/e2e/env");
const { execFileSync } = require("node:child_process");

const ROUNDS = option("rounds", 3);
const DURING = option("during", 6);
const PORT = option("port", 18741);
const SCREENSHOT = option("screenshot", null, String);

const median = (values) => {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  return sorted.length % 2 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
};

/** A scratch tree whose build.py builds into its own dist/. */
function scratchTree() {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "pycnn-learn-bench-"));
  for (const name of ["build.py", "web", "pycnn", "weights", "node_modules"]) {
    fs.symlinkSync(path.join(ROOT, name), path.join(dir, name));
  }
  return dir;
}

const DRAWINGS = [SHAPES.seven, SHAPES.one, SHAPES.circle, SHAPES.plus,
  [line([0.3, 0.3], [0.7, 0.7]), line([0.7, 0.3], [0.3, 0.7])]];

async function openPage(browser, base) {
  const context = await browser.newContext({ baseURL: base });
  await enableTestHooks(context);
  const page = await context.newPage();
  await page.goto("./");
  await page.waitForSelector("body[data-ready='true'][data-examples-ready='true']", { timeout: 300_000 });
  return { context, page };
}

async function importExamples(page, file, count) {
  await page.locator("#my-examples > summary").click();
  await page.locator("#examples-import").setInputFiles(file);
  await page.waitForFunction((n) => document.querySelector("#examples-status").textContent.startsWith(`Imported ${n} examples`),
    count, { timeout: 60_000 });
}

async function workerHeap(page) {
  const [worker] = page.workers();
  return worker.evaluate(() => runtime._module.HEAP8.length);
}

/** Time every request the worker handles from now on (its callPage, a global of the worker
 * script): [[type, ms], ...] from workerTimes. */
async function timeWorker(page) {
  const [worker] = page.workers();
  await worker.evaluate(() => {
    self.benchTimes = [];
    const call = callPage;
    self.callPage = (type, ...rest) => {
      const started = performance.now();
      try {
        return call(type, ...rest);
      } finally {
        self.benchTimes.push([type, performance.now() - started]);
      }
    };
  });
}

async function workerTimes(page) {
  return page.workers()[0].evaluate(() => self.benchTimes);
}

/** Press Learn; while it learns, make `during` drawings. {seconds, latencies: [ms]}. */
async function learn(page, during) {
  await timeWorker(page);
  await page.locator("#learn").scrollIntoViewIfNeeded();
  const started = Date.now();
  await page.locator("#learn").click();
  const latencies = [];
  if (during) {
    await page.waitForFunction(() => Number(document.querySelector("#learn-bar").value) >= 3, null, { timeout: 300_000 });
    for (let i = 0; i < during; i++) {
      const learning = await page.evaluate(() => document.querySelector("#learn").textContent === "Stop learning");
      if (!learning) break;
      await page.locator("#clear").click();
      const before = await page.evaluate(() => window.pycnnTest.latencies().length);
      await page.locator("#pad").scrollIntoViewIfNeeded();
      await drawStrokes(page, DRAWINGS[i % DRAWINGS.length]);
      await page.waitForFunction((n) => window.pycnnTest.latencies().length > n && window.pycnnTest.settled(), before, { timeout: 120_000 });
      const stillLearning = await page.evaluate(() => document.querySelector("#learn").textContent === "Stop learning");
      const entry = await page.evaluate(() => window.pycnnTest.latencies().at(-1));
      // Only answers given while it was still learning count.
      if (stillLearning) latencies.push(entry.dom);
    }
    await page.locator("#clear").click();
  }
  await page.waitForSelector("body[data-model='mine']", { timeout: 900_000 });
  await page.waitForFunction(() => document.querySelector("#learn-note").textContent.startsWith("Learnt from"), null, { timeout: 900_000 });
  const seconds = (Date.now() - started) / 1000;
  await settle(page);
  const times = await workerTimes(page);
  const of = (type) => times.filter(([t]) => t === type).map(([, ms]) => ms);
  const slices = of("learn_step");
  return {
    seconds, latencies, slices,
    worker: `learn_begin ${of("learn_begin").map((ms) => ms.toFixed(0)).join(", ")} ms, ${slices.length} slices ` +
      `(median ${median(slices).toFixed(0)} ms, longest ${Math.max(...slices).toFixed(0)} ms, ` +
      `${(slices.reduce((a, b) => a + b, 0) / 1000).toFixed(1)} s in all), ` +
      `recognitions ${of("recognise").map((ms) => ms.toFixed(0)).join(", ")} ms`,
  };
}

async function main() {
  const tree = scratchTree();
  const folder = fs.mkdtempSync(path.join(os.tmpdir(), "pycnn-learn-examples-"));
  const made = JSON.parse(execFileSync(PYTHON, [path.join(ROOT, "bench", "learning_examples.py"),
    "--model", path.join(ROOT, "weights", "model.npz"), "--out", folder], { cwd: path.join(ROOT, "bench"), encoding: "utf-8" }).trim().split("\n").at(-1));
  const server = await startServer(PORT, tree);
  const browser = await launchChromium();
  const base = `http://127.0.0.1:${PORT}/`;
  const hand = [];
  const symbol = [];
  const during = [];
  const heaps = [];
  try {
    for (let round = 0; round < ROUNDS; round++) {
      {
        const { context, page } = await openPage(browser, base);
        await importExamples(page, path.join(folder, "hand.json"), made.hand);
        const before = await workerHeap(page);
        const result = await learn(page, DURING);
        const after = await workerHeap(page);
        hand.push(result.seconds);
        during.push(...result.latencies);
        heaps.push([before, after]);
        console.log(`round ${round + 1}: ${made.hand} examples learnt in ${result.seconds.toFixed(2)} s; ` +
          `during learning: ${result.latencies.map((ms) => ms.toFixed(0)).join(", ")} ms; ` +
          `worker heap ${(before / 2 ** 20).toFixed(0)} -> ${(after / 2 ** 20).toFixed(0)} MiB`);
        console.log(`  in the worker: ${result.worker}`);
        await context.close();
      }
      {
        const { context, page } = await openPage(browser, base);
        await importExamples(page, path.join(folder, "symbol.json"), 5);
        const result = await learn(page, 0);
        symbol.push(result.seconds);
        if (SCREENSHOT && round === 0) {
          await page.locator("#pad").scrollIntoViewIfNeeded();
          await drawStrokes(page, made.symbol === "+" ? SHAPES.plus : [line([0.2, 0.5], [0.8, 0.5]),
            line([0.62, 0.33], [0.8, 0.5], 8), line([0.8, 0.5], [0.62, 0.67], 8)]);
          await settle(page);
          await page.evaluate(() => {
            window.scrollTo(0, 0);
            document.querySelector("#to-pad").hidden = true; // the full-page shot has the pad in view
          });
          await page.screenshot({ path: SCREENSHOT, fullPage: true });
          console.log(`screenshot: ${SCREENSHOT}`);
        }
        console.log(`round ${round + 1}: the symbol "${made.symbol}" from 5 examples learnt in ${result.seconds.toFixed(2)} s`);
        console.log(`  in the worker: ${result.worker}`);
        await context.close();
      }
    }
  } finally {
    await browser.close();
    server.kill();
  }
  const mib = (bytes) => `${(bytes / 2 ** 20).toFixed(0)} MiB`;
  console.log("");
  console.log(`$ node bench/page_learning.js ${process.argv.slice(2).join(" ")}`.trim());
  console.log(`adapt to ${made.hand} examples (3 x 62), click -> learnt model reading: median ${median(hand).toFixed(2)} s ` +
    `[${Math.min(...hand).toFixed(2)}..${Math.max(...hand).toFixed(2)}] (floor 10 s)`);
  console.log(`add the symbol "${made.symbol}" from 5 examples: median ${median(symbol).toFixed(2)} s ` +
    `[${Math.min(...symbol).toFixed(2)}..${Math.max(...symbol).toFixed(2)}] (floor 3 s)`);
  if (during.length) {
    console.log(`a drawing during learning, stroke end -> answer: median ${median(during).toFixed(1)} ms, ` +
      `max ${Math.max(...during).toFixed(1)} ms over ${during.length} (floor 100 ms)`);
  }
  console.log(`worker WebAssembly heap (Pyodide HEAP8.length): ${mib(median(heaps.map((h) => h[0])))} before learning, ` +
    `${mib(median(heaps.map((h) => h[1])))} after (median of ${heaps.length})`);
  console.log(`load average: ${os.loadavg().map((x) => x.toFixed(1)).join(" ")}`);
}

main().catch((error) => {
  console.error(error);
  process.exit(1);
});
