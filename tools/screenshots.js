// Remake every screenshot in docs/ from the built page, in this machine's Chromium, with real
// drawings: UNIPEN test-split characters (writers the model never saw, exported by
// tests/e2e/export_samples.py) replayed as mouse drags, as the end-to-end tests draw them.
//
//   node tools/screenshots.js [--port 18751] [--only page,phone,...]     (make docs runs it)
//
// Builds the page with build.py into a scratch tree of symlinks to this checkout (as
// bench/page_learning.js does), never into dist/, which end-to-end tests may be serving
// meanwhile, and serves it (bench/browser.js): the pictures show this checkout's page and model. Writes docs/<name>.png for each shot below, and
// docs/screenshots.json: for every picture, the text on it that depends on the model (the
// status line such as "Ready. The network knows 94 characters.", the answer, its note and
// the top 5), the drawing it shows, and the SHA-256 and class count of the weights/model.npz
// the page was served. tests/test_docs.py fails when that record no longer matches the
// shipped model, so a retrained model cannot leave stale pictures behind unnoticed.
//
// Which drawing each shot shows is chosen, not hand-picked: the first test-split sample (in
// export_samples.py's seeded order) that the served model reads the way the shot needs
// (read right and sure; shown as look-alikes; misread), so the same checkout and model give
// the same pictures, and a retrained model gets drawings that still show what the text says.
// The learning shot teaches a new symbol, "arrow", from 5 drawn arrows (UNIPEN has none).
// The Word mode shot writes test-split words (tests/e2e/word_samples.py) and records the
// SHA-256 of the weights/words.npz it was served beside the character model's.
// Nothing here has a timestamp: running it twice on the same checkout gives the same files.
"use strict";

const crypto = require("node:crypto");
const fs = require("node:fs");
const os = require("node:os");
const path = require("node:path");
const { option, startServer, launchChromium } = require("../bench/browser");
const { ROOT } = require("../tests/e2e/env");
const {
  enableTestHooks, runPython, drawAndRecognise, settle, settleInside, line, writeWord, wordSamples,
} = require("../tests/e2e/helpers");

const PORT = option("port", 18751);
const ONLY = option("only", null, (value) => value.split(","));
const DOCS = path.join(ROOT, "docs");
const RECORD = path.join(DOCS, "screenshots.json");
const DESKTOP = { width: 1280, height: 800 };
const TIMEOUT = 300_000; // a cold Pyodide start, or learning, on 2 shared cores
const LEARN_TIMEOUT = 900_000;
// The page's clock in every picture (My examples shows the day each drawing was made), so a
// picture does not change with the day it is remade.
const CLOCK = new Date("2026-12-06T12:00:00Z");

// The shots, in the order they are made. `make` returns what the picture shows.
const SHOTS = [
  { name: "page", what: "the page on a desktop: a test-split character read right" },
  { name: "read-as", what: "a look-alike answer in All, with Read as beside it" },
  { name: "dark", what: "the page in the dark theme" },
  { name: "teach", what: "Not right? opened on a misread drawing, above Teach it your handwriting" },
  { name: "look-inside", what: "the Look inside panel: the diagram and the first layers" },
  { name: "phone", what: "the first screen on a 390x844 phone" },
  { name: "learn", what: "after teaching a new symbol from 5 drawings: My model, My examples" },
  { name: "screenshot-word", what: "Word mode: a test-split word read right, one letter's ink highlighted, two words in the text" },
];

const wanted = (name) => !ONLY || ONLY.includes(name);

function sha256(bytes) {
  return crypto.createHash("sha256").update(bytes).digest("hex");
}

/** The model the page is served, saved beside the samples (the CPython side reads it, not
 * whatever is on disk by then): {file, sha256, bytes}. */
async function servedModel(base, dir) {
  const response = await fetch(new URL("weights/model.npz", base));
  if (!response.ok) throw new Error(`weights/model.npz: HTTP ${response.status}`);
  const bytes = Buffer.from(await response.arrayBuffer());
  const file = path.join(dir, "model.npz");
  fs.writeFileSync(file, bytes);
  return { file, sha256: sha256(bytes) };
}

/** Test-split samples (export_samples.py): {plain, lookalikes}, each [{label, section, index, strokes}]. */
function exportSamples(dir, modelFile) {
  const plainFile = path.join(dir, "samples.json");
  const looksFile = path.join(dir, "lookalikes.json");
  runPython("export_samples.py", ["--count", "200", "--model", modelFile, "--out", plainFile]);
  runPython("export_samples.py", ["--count", "400", "--model", modelFile,
    "--lookalikes-under", modelFile, "--out", looksFile]);
  const read = (file) => JSON.parse(fs.readFileSync(file, "utf-8")).samples;
  return { plain: read(plainFile), lookalikes: read(looksFile) };
}

// The number of classes of the served model, as its page's worker reports them.
let classes = null;

async function newPage(browser, base, contextOptions = {}) {
  const context = await browser.newContext({ baseURL: base, viewport: DESKTOP, ...contextOptions });
  await enableTestHooks(context);
  await context.clock.setFixedTime(CLOCK);
  const page = await context.newPage();
  await page.goto("./");
  await page.waitForSelector("body[data-ready='true'][data-examples-ready='true']", { timeout: TIMEOUT });
  classes = await page.evaluate(() => window.pycnnTest.labels().length);
  // The footer says so once the service worker holds the site: wait, so every picture
  // shows the page in the same, final state.
  await page.locator("#offline").waitFor({ state: "visible", timeout: TIMEOUT });
  return { context, page };
}

async function clearPad(page) {
  await page.locator("#clear").click();
  await page.waitForSelector("#prediction[data-empty='true']", { state: "attached" });
}

async function draw(page, strokes) {
  await clearPad(page);
  await drawAndRecognise(page, strokes);
  await settle(page);
}

/** The text on screen that depends on the model. */
async function shown(page) {
  return page.evaluate(() => {
    const text = (selector) => document.querySelector(selector).textContent.replace(/\s+/g, " ").trim();
    const prediction = document.querySelector("#prediction");
    return {
      status: text("#status"),
      answer: [...prediction.querySelectorAll("span:not(.or)")].map((span) => span.textContent),
      note: text("#prediction-note"),
      unsure: prediction.dataset.unsure === "true",
      lookalikes: prediction.dataset.lookalikes === "true",
      read_as: document.querySelector("#read-as").value,
      top5: [...document.querySelectorAll("#top5 li")].map((li) =>
        `${li.querySelector(".label").textContent} ${li.querySelector(".value").textContent}`),
      model_in_use: document.body.dataset.model || "original",
    };
  });
}

/** Draw the samples in turn until one is read as `accept(state, sample)` wants: that one. */
async function firstReadAs(page, samples, accept, what) {
  for (const sample of samples) {
    await draw(page, sample.strokes);
    const state = await shown(page);
    if (accept(state, sample)) {
      return { state, strokes: sample.strokes, sample: { label: sample.label, section: sample.section, index: sample.index } };
    }
  }
  throw new Error(`no test-split drawing among ${samples.length} was read as the ${what} shot needs`);
}

const readRightAndSure = (state, sample) =>
  !state.unsure && !state.lookalikes && state.answer.length === 1 && state.answer[0] === sample.label &&
  /^(9\d|100)(\.\d)?% sure$/.test(state.note);

/** Leave the page as a person would look at it: no focus ring, no hover, at the top. */
async function still(page) {
  await page.mouse.move(0, 0);
  await page.evaluate(() => {
    if (document.activeElement) document.activeElement.blur();
    window.scrollTo(0, 0);
  });
  // "Back to drawing" shows while the pad is out of view; with the pad back in view, its
  // observer hides it a frame or two later. Wait for that, so a late callback from before
  // the scroll cannot show it in the picture.
  await page.evaluate(() => new Promise((resolve) => requestAnimationFrame(() => requestAnimationFrame(resolve))));
  await page.waitForFunction(() => document.querySelector("#to-pad").hidden, null, { timeout: 10_000 });
}

async function shoot(page, name, options = {}) {
  await still(page);
  await page.screenshot({ path: path.join(DOCS, `${name}.png`), animations: "disabled", ...options });
  console.log(`docs/${name}.png`);
}

const bySection = (samples, sections) => samples.filter((s) => sections.includes(s.section));

async function desktopShots(browser, base, samples, record) {
  if (!["page", "read-as", "dark", "teach", "look-inside"].some(wanted)) return;
  const { context, page } = await newPage(browser, base);
  try {
    // A small letter, else a capital or a digit, read right and sure.
    const letters = [...bySection(samples.plain, ["1c"]), ...bySection(samples.plain, ["1b", "1a"])];
    const hero = await firstReadAs(page, letters.slice(0, 60), readRightAndSure, "page");
    if (wanted("page")) {
      await shoot(page, "page");
      record("page", hero);
    }
    if (wanted("read-as")) {
      // Look-alikes across digits and letters first ("0 or O or o"): three sets tell them apart.
      const acrossSets = (s) => s.lookalikes.some((l) => /^[0-9]$/.test(l));
      const letters1 = samples.lookalikes.filter((s) => s.section !== "1d");
      const looks = [...letters1.filter(acrossSets), ...letters1.filter((s) => !acrossSets(s))];
      const found = await firstReadAs(page, looks.slice(0, 40),
        (state) => state.lookalikes && !state.unsure && state.answer.length >= 2, "read-as");
      await shoot(page, "read-as");
      record("read-as", found);
    }
    if (wanted("dark")) {
      await page.emulateMedia({ colorScheme: "dark" });
      const digits = bySection(samples.plain, ["1a"]);
      const found = await firstReadAs(page, digits.slice(0, 40), readRightAndSure, "dark");
      await shoot(page, "dark");
      record("dark", { ...found, color_scheme: "dark" });
      await page.emulateMedia({ colorScheme: "light" });
    }
    if (wanted("teach")) {
      // A drawing read as something else, with the right answer among the guesses and not
      // merely a look-alike of it: what "Not right?" is for.
      const found = await firstReadAs(page, bySection(samples.plain, ["1a", "1b", "1c"]).slice(0, 80),
        (state, sample) => !state.unsure && state.answer.length === 1 && state.answer[0] !== sample.label &&
          state.top5.some((entry) => entry.startsWith(`${sample.label} `)), "teach");
      await page.locator("#not-right").click();
      await page.locator("#correct-panel").waitFor({ state: "visible" });
      await shoot(page, "teach", { fullPage: true });
      record("teach", found);
      await page.locator("#correct-cancel").click();
    }
    if (wanted("look-inside")) {
      await draw(page, hero.strokes);
      await page.locator("#inside > summary").click();
      await settleInside(page);
      // Tall enough for the whole panel, then cut from its top to below its third section
      // (the input, the first convolution and its ReLU).
      const whole = await page.locator("#inside").boundingBox();
      await page.setViewportSize({ width: DESKTOP.width, height: Math.ceil(whole.y + whole.height) + 40 });
      await settleInside(page);
      await still(page);
      const panel = await page.locator("#inside").boundingBox();
      const last = await page.locator("#inside-layers .layer").nth(2).boundingBox();
      const top = panel.y - 16;
      await shoot(page, "look-inside", {
        clip: { x: panel.x - 16, y: top, width: panel.width + 32, height: last.y + last.height + 16 - top },
      });
      record("look-inside", { state: await shown(page), sample: hero.sample });
    }
  } finally {
    await context.close();
  }
}

async function phoneShot(browser, base, samples, record) {
  if (!wanted("phone")) return;
  const { context, page } = await newPage(browser, base, {
    viewport: { width: 390, height: 844 }, deviceScaleFactor: 2, isMobile: true, hasTouch: true,
  });
  try {
    const capitals = [...bySection(samples.plain, ["1b"]), ...bySection(samples.plain, ["1a"])];
    const found = await firstReadAs(page, capitals.slice(0, 60), readRightAndSure, "phone");
    await shoot(page, "phone");
    record("phone", found);
  } finally {
    await context.close();
  }
}

// The arrow learn.spec.js teaches, and the same small variations (moved, scaled).
const ARROW = [line([0.2, 0.5], [0.8, 0.5]), line([0.62, 0.33], [0.8, 0.5], 8), line([0.8, 0.5], [0.62, 0.67], 8)];
const TEACH_VARIANTS = [[0, 0, 1], [0.04, -0.03, 0.9], [-0.05, 0.02, 1.1], [0.02, 0.05, 0.8], [-0.03, -0.04, 1.05]];
const SIXTH = [0.03, 0.03, 0.95];
const varied = (strokes, dx, dy, s) =>
  strokes.map((stroke) => stroke.map(([x, y]) => [0.5 + (x - 0.5) * s + dx, 0.5 + (y - 0.5) * s + dy]));

async function learnShot(browser, base, record) {
  if (!wanted("learn")) return;
  const { context, page } = await newPage(browser, base);
  try {
    await page.locator("#teach-new").fill("arrow");
    await page.locator("#teach-new").press("Enter");
    await page.waitForFunction(() => document.querySelector("#teach-label").textContent === "arrow");
    for (const [dx, dy, s] of TEACH_VARIANTS) {
      await draw(page, varied(ARROW, dx, dy, s));
      await page.locator("#teach-keep").click();
    }
    await page.locator("#teach-setup").waitFor({ state: "visible" }); // five kept: the session ended
    await page.locator("#learn").click();
    await page.waitForSelector("body[data-model='mine']", { timeout: LEARN_TIMEOUT });
    await page.waitForFunction(() => document.querySelector("#learn-note").textContent.startsWith("Learnt from"),
      null, { timeout: LEARN_TIMEOUT });
    await page.locator("#pad").scrollIntoViewIfNeeded();
    await draw(page, varied(ARROW, ...SIXTH));
    const state = await shown(page);
    if (state.answer[0] !== "arrow") throw new Error(`the learnt model read the sixth arrow as ${state.answer.join(" or ")}`);
    if (!(await page.locator("#my-examples").evaluate((d) => d.open))) await page.locator("#my-examples > summary").click();
    await shoot(page, "learn", { fullPage: true });
    record("learn", { state, sample: { label: "arrow", drawn: "tools/screenshots.js ARROW, moved and scaled" },
      labels_added: ["arrow"] });
  } finally {
    await context.close();
  }
}

/** The text on screen in Word mode that depends on the models: the character model's status
 * (which test_docs.py checks), the word reader's, and the reading. */
async function shownWord(page) {
  return page.evaluate(() => {
    const text = (selector) => document.querySelector(selector).textContent.replace(/\s+/g, " ").trim();
    const reading = document.querySelector("#word-reading");
    return {
      status: text("#status"),
      word_status: text("#word-status"),
      word: reading.dataset.word,
      others: [...document.querySelectorAll("#word-others .word-choice")].map((b) => b.textContent),
      raw: reading.dataset.raw,
      unsure: reading.dataset.unsure === "true",
      read_as: document.querySelector("#read-as").value,
      text_line: document.querySelector("#text-line").value,
    };
  });
}

/** Word mode on a desktop: two test-split words added to the text, a third on the pad, read
 * right, with the ink of one of its letters highlighted. Each is the first word (in
 * word_samples.py's seeded order) that the served word model reads right. */
async function wordShot(browser, base, record) {
  if (!wanted("screenshot-word")) return;
  const samples = wordSamples(["--count", "30"]);
  const { context, page } = await newPage(browser, base);
  try {
    await page.locator("#mode-word").click();
    await page.waitForSelector("body[data-words-ready='true']", { timeout: TIMEOUT });
    const right = [];
    for (const sample of samples) {
      await page.locator("#word-clear").click();
      await writeWord(page, sample.strokes);
      const state = await shownWord(page);
      if (state.word !== sample.text || state.unsure) continue;
      right.push(sample);
      if (right.length === 3) break;
      await page.locator("#word-add").click();
    }
    if (right.length < 3) throw new Error(`only ${right.length} of ${samples.length} test-split words were read right`);
    const letter = page.locator("#word-best .letter").nth(1);
    await page.evaluate(() => window.scrollTo(0, 0));
    await letter.hover();
    await page.evaluate(() => new Promise((resolve) => requestAnimationFrame(() => requestAnimationFrame(resolve))));
    await page.screenshot({ path: path.join(DOCS, "screenshot-word.png"), animations: "disabled" });
    console.log("docs/screenshot-word.png");
    const { text, index } = right[2];
    const words = Buffer.from(await (await fetch(new URL("weights/words.npz", base))).arrayBuffer());
    record("screenshot-word", {
      state: await shownWord(page), sample: { text, index, split: "test" },
      word_model: { file: "weights/words.npz", sha256: sha256(words) },
    });
  } finally {
    await context.close();
  }
}

/** A scratch tree whose build.py builds into its own dist/. */
function scratchTree(dir) {
  const tree = path.join(dir, "tree");
  fs.mkdirSync(tree);
  for (const name of ["build.py", "web", "pycnn", "weights", "node_modules"]) {
    fs.symlinkSync(path.join(ROOT, name), path.join(tree, name));
  }
  return tree;
}

async function main() {
  const scratch = fs.mkdtempSync(path.join(os.tmpdir(), "pycnn-screenshots-"));
  const server = await startServer(PORT, scratchTree(scratch));
  const base = `http://127.0.0.1:${PORT}/`;
  let browser = null;
  try {
    const model = await servedModel(base, scratch);
    const samples = exportSamples(scratch, model.file);
    browser = await launchChromium();
    const modelRecord = { file: "weights/model.npz", sha256: model.sha256, classes: null };
    const made = {};
    const record = (name, { state, sample, labels_added: added = [], color_scheme: scheme = "light", word_model: words = null }) => {
      const shot = SHOTS.find((s) => s.name === name);
      made[name] = {
        file: `docs/${name}.png`,
        what: shot.what,
        color_scheme: scheme,
        drawing: sample,
        labels_added: added,
        model: modelRecord,
        ...(words ? { word_model: words } : {}),
        shows: state,
      };
    };
    await desktopShots(browser, base, samples, record);
    await phoneShot(browser, base, samples, record);
    await learnShot(browser, base, record);
    await wordShot(browser, base, record);

    modelRecord.classes = classes; // every page starts from the served model

    // With --only, the other pictures keep their records.
    const previous = ONLY && fs.existsSync(RECORD) ? JSON.parse(fs.readFileSync(RECORD, "utf-8")).screenshots : {};
    const screenshots = {};
    for (const { name } of SHOTS) {
      if (made[name]) screenshots[name] = made[name];
      else if (previous[name]) screenshots[name] = previous[name];
    }
    const out = {
      made_by: "make docs (node tools/screenshots.js)",
      browser: `Chromium ${browser.version()}`,
      model: modelRecord,
      screenshots,
    };
    fs.writeFileSync(RECORD, `${JSON.stringify(out, null, 2)}\n`);
    console.log(`docs/screenshots.json: ${Object.keys(made).length} pictures made with weights/model.npz ` +
      `${model.sha256.slice(0, 12)} (${modelRecord.classes} classes)`);
  } finally {
    if (browser) await browser.close();
    server.kill();
    fs.rmSync(scratch, { recursive: true, force: true });
  }
}

main().catch((error) => {
  console.error(error);
  process.exit(1);
});
