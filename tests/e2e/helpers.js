// Shared steps for the end-to-end tests: open the page, draw with a real mouse, wait for
// the answer, and watch for console errors and requests that leave the site.
const base = require("@playwright/test");
const { execFileSync } = require("node:child_process");
const fs = require("node:fs");
const os = require("node:os");
const path = require("node:path");
const { ROOT, PYTHON } = require("./env");

const { expect } = base;

/** Give every page of `context` the page's test hooks (window.pycnnTest, web/test-hooks.js):
 * the page installs them only if this flag is set before its scripts run. */
async function enableTestHooks(context) {
  await context.addInitScript(() => {
    window.pycnnTestHooks = true;
  });
}

/** Playwright's `test`, with the test hooks on in every page a test opens. */
const test = base.test.extend({
  context: async ({ context }, use) => {
    await enableTestHooks(context);
    await use(context);
  },
});

/** Run one of the Python scripts beside this file in the project's venv; its stdout. */
function runPython(script, args) {
  return execFileSync(PYTHON, [path.join(__dirname, script), ...args], {
    cwd: ROOT,
    encoding: "utf-8",
    maxBuffer: 64 * 1024 * 1024,
  });
}

/** The model the page was served, saved in a new temporary folder: {dir, file}. CPython
 * checks read it, not whatever is on disk (training may rewrite that one). */
async function servedModel(request) {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "pycnn-e2e-"));
  const file = path.join(dir, "model.npz");
  fs.writeFileSync(file, await (await request.get("weights/model.npz")).body());
  return { dir, file };
}

/** Records console errors, uncaught exceptions and any request to another origin, for the
 * page, its worker and its service worker. Call check() at the end of a test. */
function watchHygiene(context, baseURL) {
  const origin = new URL(baseURL).origin;
  const problems = [];
  const requested = new Set();
  const onRequest = (request) => {
    const url = request.url();
    requested.add(url);
    if (!url.startsWith("data:") && !url.startsWith("blob:") && new URL(url).origin !== origin) {
      problems.push(`request to another origin: ${url}`);
    }
  };
  context.on("request", onRequest);
  const watchPage = (page) => {
    page.on("console", (message) => {
      if (message.type() === "error") problems.push(`console error: ${message.text()}`);
    });
    page.on("pageerror", (error) => problems.push(`uncaught exception: ${error.message}`));
    page.on("worker", (worker) => worker.on("console", (message) => {
      if (message.type() === "error") problems.push(`worker console error: ${message.text()}`);
    }));
  };
  context.pages().forEach(watchPage);
  context.on("page", watchPage);
  return {
    requested,
    problems,
    check() {
      expect(problems, problems.join("\n")).toEqual([]);
    },
  };
}

/** Watch every test of the calling spec file: no console error, no request off the site.
 * Returns the running test's watcher ({problems, requested, check}), for a test that
 * provokes an error on purpose and must excuse it. */
function checkHygieneOfEachTest(test) {
  const current = {};
  test.beforeEach(async ({ context, baseURL }) => {
    Object.assign(current, watchHygiene(context, baseURL));
  });
  test.afterEach(async () => {
    current.check();
  });
  return current;
}

async function openReady(page, path = "./") {
  await page.goto(path);
  await expect(page.locator("body")).toHaveAttribute("data-ready", "true", { timeout: 120_000 });
}

async function recognitions(page) {
  return Number(await page.locator("#prediction").getAttribute("data-count"));
}

/** Wait until the answer on screen belongs to the drawing on the pad. */
async function settle(page) {
  await page.waitForFunction(() => window.pycnnTest.settled(), null, { timeout: 60_000 });
}

/** Wait until the answer, and the Look inside panel if it is open, belong to the pad's drawing. */
async function settleInside(page) {
  await page.waitForFunction(() => window.pycnnTest.settled() && window.pycnnTest.insideCurrent(),
    null, { timeout: 60_000 });
}

/** Drag the mouse along strokes given in pad fractions: [[[x, y], ...], ...].
 * `afterStroke`, if given, is awaited after each stroke's pointerup. */
async function drawStrokes(page, strokes, afterStroke = null) {
  // A mouse draws only where it can reach: bring the pad on screen first, as a person would
  // after reading the panels below it.
  await dragStrokes(page, "#pad", (box, [x, y]) => [box.x + x * box.width, box.y + y * box.height],
    strokes, afterStroke);
}

/** Drag the mouse along `strokes` on the element `selector`, once it is on screen, each
 * point placed by at(box, point) -> [x, y] in page px; awaits `afterStroke` after each
 * stroke's pointerup. */
async function dragStrokes(page, selector, at, strokes, afterStroke) {
  await page.locator(selector).scrollIntoViewIfNeeded();
  const box = await page.locator(selector).boundingBox();
  for (const stroke of strokes) {
    await page.mouse.move(...at(box, stroke[0]));
    await page.mouse.down();
    for (const point of stroke.slice(1)) await page.mouse.move(...at(box, point));
    await page.mouse.up();
    if (afterStroke) await afterStroke();
  }
}

/** Draw and wait for the recognition of the whole drawing. */
async function drawAndRecognise(page, strokes) {
  const before = await recognitions(page);
  await drawStrokes(page, strokes);
  await page.waitForFunction(
    (count) => Number(document.querySelector("#prediction").dataset.count) > count &&
      window.pycnnTest.settled(),
    before,
    { timeout: 60_000 },
  );
}

function line(from, to, steps = 12) {
  const points = [];
  for (let i = 0; i <= steps; i++) {
    const t = i / steps;
    points.push([from[0] + (to[0] - from[0]) * t, from[1] + (to[1] - from[1]) * t]);
  }
  return points;
}

// An elliptic arc about (cx, cy) with radii rx, ry, from angle a0 to a1 in degrees
// (counter-clockwise as seen on screen, 0 pointing right), in pad fractions.
function arc(cx, cy, rx, ry, a0, a1, steps = 24) {
  const points = [];
  for (let i = 0; i <= steps; i++) {
    const a = ((a0 + ((a1 - a0) * i) / steps) * Math.PI) / 180;
    points.push([cx + rx * Math.cos(a), cy - ry * Math.sin(a)]);
  }
  return points;
}

// A few hand-made characters, in pad fractions.
const SHAPES = {
  one: [line([0.5, 0.2], [0.5, 0.8])],
  seven: [line([0.3, 0.25], [0.7, 0.25]), line([0.7, 0.25], [0.42, 0.8])],
  plus: [line([0.5, 0.2], [0.5, 0.8]), line([0.2, 0.5], [0.8, 0.5])],
  circle: [
    Array.from({ length: 33 }, (_, i) => {
      const a = (2 * Math.PI * i) / 32;
      return [0.5 + 0.25 * Math.sin(a), 0.5 - 0.3 * Math.cos(a)];
    }),
  ],
};

async function top5(page) {
  return page.locator("#top5 li").evaluateAll((items) =>
    items.map((li) => [li.dataset.label, Number(li.dataset.probability)]),
  );
}

// --- Word mode -------------------------------------------------------------------------

/** Open the page in Word mode (by default through its link, ?mode=word) and wait until the
 * word reader is loaded. */
async function openWordMode(page, path = "./?mode=word") {
  await page.goto(path);
  await expect(page.locator("body")).toHaveAttribute("data-ready", "true", { timeout: 120_000 });
  await expect(page.locator("body")).toHaveAttribute("data-words-ready", "true", { timeout: 120_000 });
}

async function wordReadings(page) {
  return Number(await page.locator("#word-reading").getAttribute("data-count"));
}

/** Wait until the reading on screen belongs to the ink on the word pad. */
async function settleWord(page) {
  await page.waitForFunction(() => window.pycnnTest.word.settled(), null, { timeout: 60_000 });
}

/** Drag the mouse along strokes given in units of the word pad's height, x from the pad's
 * centre and y from its top (tests/e2e/word_samples.py writes words so): [[[x, y], ...], ...]. */
async function drawWordStrokes(page, strokes, afterStroke = null) {
  await dragStrokes(page, "#word-pad",
    (box, [x, y]) => [box.x + box.width / 2 + x * box.height, box.y + y * box.height],
    strokes, afterStroke);
}

/** Wait for a reading after the `before`-th (wordReadings) that belongs to all the ink. */
async function waitForWordReading(page, before, timeout = 60_000) {
  await page.waitForFunction(
    (count) => Number(document.querySelector("#word-reading").dataset.count) > count &&
      window.pycnnTest.word.settled(),
    before,
    { timeout },
  );
}

/** Write a word on the word pad and wait for the reading of all of its ink. */
async function writeWord(page, strokes) {
  const before = await wordReadings(page);
  await drawWordStrokes(page, strokes);
  await waitForWordReading(page, before);
}

/** The reading on screen, as the page holds it (window.pycnnTest.word.shown()). */
async function shownWord(page) {
  return page.evaluate(() => window.pycnnTest.word.shown());
}

/** The word model and word list the page was served, saved in a new temporary folder:
 * {dir, model, lexicon}. CPython checks read these, not whatever is on disk. */
async function servedWordModel(request, paths = { model: "weights/words.npz", lexicon: "weights/lexicon-en.tsv.gz" }) {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "pycnn-e2e-words-"));
  const saved = { dir };
  for (const [name, url] of Object.entries(paths)) {
    const response = await request.get(url);
    expect(response.ok(), `${url} is served`).toBe(true);
    saved[name] = path.join(dir, path.basename(url));
    fs.writeFileSync(saved[name], await response.body());
  }
  return saved;
}

/** Test-split words from tests/e2e/word_samples.py: [{index, text, width, strokes}, ...]. */
function wordSamples(args = []) {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "pycnn-e2e-word-samples-"));
  const file = path.join(dir, "words.json");
  runPython("word_samples.py", [...args, "--out", file]);
  const { samples } = JSON.parse(fs.readFileSync(file, "utf-8"));
  fs.rmSync(dir, { recursive: true, force: true });
  return samples;
}

module.exports = {
  test,
  expect,
  enableTestHooks,
  runPython,
  servedModel,
  watchHygiene,
  checkHygieneOfEachTest,
  openReady,
  recognitions,
  settle,
  settleInside,
  drawStrokes,
  drawAndRecognise,
  line,
  arc,
  SHAPES,
  top5,
  openWordMode,
  wordReadings,
  settleWord,
  drawWordStrokes,
  waitForWordReading,
  writeWord,
  shownWord,
  servedWordModel,
  wordSamples,
};
