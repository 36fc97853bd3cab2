// Issue 11, the page's side without learning: "Not right?" corrections, the teaching mode,
// new symbols, My examples in IndexedDB (kept across reloads and offline), export and import
// of the examples file, the page without IndexedDB, the keyboard, and axe-core.
const fs = require("node:fs");
const path = require("node:path");
const {
  test, expect, checkHygieneOfEachTest, openReady, drawAndRecognise: drawOnPad, line, SHAPES,
} = require("./helpers");
const { ROOT } = require("./env");

checkHygieneOfEachTest(test);

/** Open the page and wait until the examples store has loaded too. */
async function openTeach(page) {
  await openReady(page);
  await expect(page.locator("body")).toHaveAttribute("data-examples-ready", "true");
}

async function openMyExamples(page) {
  const details = page.locator("#my-examples");
  if (!(await details.evaluate((d) => d.open))) await page.locator("#my-examples > summary").click();
}

/** The labels in My examples, newest first. */
function listedLabels(page) {
  return page.locator("#examples-list li").evaluateAll((items) => items.map((li) => li.dataset.label));
}

/** Correct the drawing on the pad to `label`, typed into "Or type it". */
async function correctTyped(page, label) {
  await page.locator("#not-right").click();
  await page.locator("#correct-label").fill(label);
  await page.locator("#correct-label").press("Enter");
  await expect(page.locator("#correct-status")).toContainText(`Kept as your example of “${label}”`);
}

async function clearPad(page) {
  await page.locator("#clear").click();
  await expect(page.locator("#prediction")).toHaveAttribute("data-empty", "true");
}

/** Press Tab until `selector` has focus (at most `max` times). */
async function tabTo(page, selector, max = 60) {
  for (let i = 0; i < max; i++) {
    if (await page.locator(selector).evaluate((el) => el === document.activeElement)) return;
    await page.keyboard.press("Tab");
  }
  throw new Error(`Tab never reached ${selector}`);
}

/** Draw and wait for the answer; the pad is scrolled into view first, as a person would. */
async function drawAndRecognise(page, strokes) {
  await page.locator("#pad").scrollIntoViewIfNeeded();
  await drawOnPad(page, strokes);
}

const focusedId = (page) => page.evaluate(() => document.activeElement && document.activeElement.id);

test("a correction is kept in My examples, across a reload and an offline reload", async ({ page, context }) => {
  await openTeach(page);
  await expect(page.locator("#not-right")).toBeHidden(); // nothing to correct on an empty pad
  await drawAndRecognise(page, SHAPES.seven);
  await page.locator("#not-right").click();
  await expect(page.locator("#correct-panel")).toBeVisible();
  // The top 5 are offered; the second guess is the correction.
  await expect(page.locator("#correct-choices button")).toHaveCount(5);
  const second = page.locator("#correct-choices button").nth(1);
  const label = await second.getAttribute("data-label");
  await second.click();
  await expect(page.locator("#correct-status")).toContainText(`Kept as your example of “${label}”`);
  await expect(page.locator("#correct-panel")).toBeHidden();

  // A new symbol, typed: kept, and the page says it needs 3 examples to be learnt.
  await clearPad(page);
  await drawAndRecognise(page, SHAPES.plus);
  await page.locator("#not-right").click();
  await page.locator("#correct-label").fill("π");
  await page.locator("#correct-typed button[type=submit]").click();
  await expect(page.locator("#correct-status")).toContainText("needs at least 3 examples");

  await openMyExamples(page);
  expect(await listedLabels(page)).toEqual(["π", label]);
  await expect(page.locator("#examples-count")).toHaveText("(2)");
  await expect(page.locator("#examples-labels li[data-label='π']")).toHaveClass(/needs/);
  // The thumbnail of the corrected drawing is its 28×28 input: some ink on white.
  const ink = await page.locator(`#examples-list li[data-label='${label}'] canvas`).evaluate((canvas) => {
    const data = canvas.getContext("2d").getImageData(0, 0, canvas.width, canvas.height).data;
    let dark = 0;
    for (let i = 0; i < data.length; i += 4) if (data[i] < 128) dark++;
    return { dark, side: canvas.width };
  });
  expect(ink.side).toBe(28);
  expect(ink.dark).toBeGreaterThan(10);
  // The worker can learn (its info lists the learning requests): learning is offered.
  await expect(page.locator("#learn")).toBeEnabled();
  await expect(page.locator("#learn-note")).toContainText("Learns from your 2 examples");

  await page.reload();
  await openTeach(page);
  await openMyExamples(page);
  expect(await listedLabels(page)).toEqual(["π", label]);

  // Offline: the service worker serves the page and IndexedDB still has the examples.
  await expect(page.locator("#offline")).toBeVisible({ timeout: 120_000 });
  await context.setOffline(true);
  await page.reload();
  await openTeach(page);
  await openMyExamples(page);
  expect(await listedLabels(page)).toEqual(["π", label]);
  // Delete one: the other stays, after a reload too.
  await page.locator(`#examples-list li[data-label='π'] .delete`).click();
  await expect(page.locator("#examples-status")).toContainText("Deleted an example of “π”");
  expect(await listedLabels(page)).toEqual([label]);
  await page.reload();
  await openTeach(page);
  await openMyExamples(page);
  expect(await listedLabels(page)).toEqual([label]);
  await context.setOffline(false);
});

test("export, delete all, import gives the same examples; a bad file changes nothing", async ({ page }, testInfo) => {
  await openTeach(page);
  await drawAndRecognise(page, SHAPES.seven);
  await correctTyped(page, "T");
  await clearPad(page);
  await drawAndRecognise(page, SHAPES.circle);
  await correctTyped(page, "smiley");
  await openMyExamples(page);
  expect(await listedLabels(page)).toEqual(["smiley", "T"]);

  const exportFile = async () => {
    const [download] = await Promise.all([page.waitForEvent("download"), page.locator("#examples-export").click()]);
    expect(download.suggestedFilename()).toMatch(/^pycnn-examples-\d{4}-\d{2}-\d{2}\.json$/);
    return fs.readFileSync(await download.path(), "utf-8");
  };
  const text = await exportFile();
  const file = JSON.parse(text);
  expect(Object.keys(file)).toEqual(["format", "version", "examples"]);
  expect(file.format).toBe("pycnn-examples");
  expect(file.version).toBe(1);
  expect(file.examples.map((e) => e.label)).toEqual(["T", "smiley"]);
  for (const example of file.examples) {
    expect(Object.keys(example)).toEqual(["label", "strokes", "pad_side", "created"]);
    expect(example.pad_side).toBeGreaterThan(0);
    expect(Date.parse(example.created)).not.toBeNaN();
    for (const stroke of example.strokes) {
      expect(Object.keys(stroke)).toEqual(["brush", "points"]);
      expect(stroke.brush).toBeCloseTo(0.045, 5);
      for (const [x, y] of stroke.points) {
        expect(x).toBeGreaterThanOrEqual(0);
        expect(y).toBeLessThanOrEqual(1);
      }
    }
  }
  expect(file.examples[0].strokes).toHaveLength(2); // the seven's two strokes
  const exported = testInfo.outputPath("examples.json");
  fs.writeFileSync(exported, text);

  await page.locator("#examples-clear").click();
  await expect(page.locator("#examples-confirm")).toBeVisible();
  await page.locator("#examples-confirm-yes").click();
  await expect(page.locator("#examples-list li")).toHaveCount(0);
  await expect(page.locator("#examples-status")).toHaveText("Deleted all 2 examples.");

  await page.locator("#examples-import").setInputFiles(exported);
  await expect(page.locator("#examples-status")).toHaveText("Imported 2 examples.");
  expect(await listedLabels(page)).toEqual(["smiley", "T"]);
  expect(JSON.parse(await exportFile())).toEqual(file);
  // The same file again adds nothing twice.
  await page.locator("#examples-import").setInputFiles(exported);
  await expect(page.locator("#examples-status")).toHaveText("Imported 0 examples (2 examples already here, skipped).");

  // Bad files: each is refused with one sentence, and the examples are as before.
  const good = file.examples[0];
  const bad = {
    "cut.json": text.slice(0, Math.floor(text.length / 2)),
    "nan.json": text.replace(/"pad_side":\d+/, '"pad_side":NaN'),
    "newer.json": JSON.stringify({ ...file, version: 2 }),
    "other.json": JSON.stringify({ format: "something-else", version: 1, examples: [] }),
    "proto.json": `{"format":"pycnn-examples","version":1,"examples":[{"__proto__":{"polluted":1},"label":"x","strokes":[],"pad_side":1,"created":"2026-11-29T19:00:00Z"}]}`,
    "deep.json": "[".repeat(200_000) + "]".repeat(200_000),
    "types.json": JSON.stringify({ ...file, examples: [good, { ...good, label: 7 }] }),
    "long-label.json": JSON.stringify({ ...file, examples: [{ ...good, label: "x".repeat(17) }] }),
    "far.json": JSON.stringify({ ...file, examples: [{ ...good, strokes: [{ brush: 0.04, points: [[1e300, 0]] }] }] }),
    "many-points.json": JSON.stringify({ ...file, examples: [{ ...good, strokes: [{ brush: 0.04, points: Array(6000).fill([0.5, 0.5]) }] }] }),
    "date.json": JSON.stringify({ ...file, examples: [{ ...good, created: "yesterday" }] }),
    "extra.json": JSON.stringify({ ...file, examples: [{ ...good, input: [0] }] }),
    "huge.json": JSON.stringify({ ...file, padding: "x".repeat(9 * 1024 * 1024) }),
  };
  for (const [name, content] of Object.entries(bad)) {
    await page.locator("#examples-import").setInputFiles({ name, mimeType: "application/json", buffer: Buffer.from(content) });
    const error = page.locator("#examples-error");
    await expect(error, name).toBeVisible();
    await expect(error, name).toContainText(`${name} was not imported: `);
    const sentence = (await error.textContent()).split(" was not imported: ")[1];
    expect(sentence, name).toMatch(/^[A-Z“].*\.$/); // one sentence
    expect(await listedLabels(page), name).toEqual(["smiley", "T"]);
    await page.evaluate(() => {
      document.querySelector("#examples-error").hidden = true;
    });
  }
  expect(await page.evaluate(() => ({}).polluted)).toBeUndefined();
  // After all that, a reload still has the same two.
  await page.reload();
  await openTeach(page);
  await openMyExamples(page);
  expect(await listedLabels(page)).toEqual(["smiley", "T"]);
});

test("without IndexedDB a notice says nothing is kept, and corrections work for the visit", async ({ page }) => {
  await page.addInitScript(() => {
    IDBFactory.prototype.open = function open() {
      throw new DOMException("The user denied permission to access the database.", "SecurityError");
    };
  });
  await openTeach(page);
  await expect(page.locator("#storage-notice")).toBeVisible();
  await expect(page.locator("#storage-notice")).toContainText("nothing will be kept");
  await drawAndRecognise(page, SHAPES.seven);
  await correctTyped(page, "Z");
  await openMyExamples(page);
  expect(await listedLabels(page)).toEqual(["Z"]);
  // Export works from memory too.
  const [download] = await Promise.all([page.waitForEvent("download"), page.locator("#examples-export").click()]);
  const file = JSON.parse(fs.readFileSync(await download.path(), "utf-8"));
  expect(file.examples.map((e) => e.label)).toEqual(["Z"]);
});

test("the keyboard alone corrects through the picker and runs the teaching mode", async ({ page }) => {
  await openTeach(page);
  await drawAndRecognise(page, SHAPES.seven); // drawing needs a pointer; the rest is keys
  await tabTo(page, "#not-right");
  await page.keyboard.press("Enter");
  await expect(page.locator("#correct-panel")).toBeVisible();
  expect(await page.evaluate(() => document.activeElement.closest("#correct-choices") !== null)).toBe(true);
  // Escape closes the panel and gives focus back to "Not right?".
  await page.keyboard.press("Escape");
  await expect(page.locator("#correct-panel")).toBeHidden();
  expect(await focusedId(page)).toBe("not-right");
  await page.keyboard.press("Enter");
  await tabTo(page, "#picker-open");
  await page.keyboard.press("Enter");
  await expect(page.locator("#picker")).toBeVisible();
  const groups = await page.locator("#picker h4").allTextContents();
  expect(groups.slice(0, 3)).toEqual(["Digits", "Capital letters", "Small letters"]);
  const labels = await page.evaluate(() => window.pycnnTest.labels());
  const focusedLabel = () => page.evaluate(() => document.activeElement.dataset.label);
  expect(await focusedLabel()).toBe("0");
  // One Tab stop for the whole picker; arrows move within it, a typed character jumps to it.
  await page.keyboard.press("ArrowRight");
  expect(await focusedLabel()).toBe("1");
  await page.keyboard.press("ArrowDown");
  expect(await focusedLabel()).not.toBe("1");
  await page.keyboard.press("End");
  expect(await focusedLabel()).toBe(labels[labels.length - 1]);
  await page.keyboard.press("Home");
  expect(await focusedLabel()).toBe("0");
  await page.keyboard.press("k");
  expect(await focusedLabel()).toBe("k");
  await page.keyboard.press("K");
  expect(await focusedLabel()).toBe("K");
  await expect(page.locator("#picker button[tabindex='0']")).toHaveCount(1);
  await page.keyboard.press("Enter");
  await expect(page.locator("#correct-status")).toContainText("Kept as your example of “K”");
  expect(await focusedId(page)).toBe("not-right");

  // Teaching mode: type the characters, start, keep, redo, next, stop.
  await tabTo(page, "#teach-chars");
  await page.keyboard.type("ab");
  await page.keyboard.press("Enter");
  await expect(page.locator("#teach-session")).toBeVisible();
  expect(await focusedId(page)).toBe("teach-prompt");
  await expect(page.locator("#teach-label")).toHaveText("a");
  await expect(page.locator("#teach-count")).toHaveAttribute("data-kept", "0");
  await expect(page.locator("#teach-keep")).toBeDisabled(); // the pad was cleared for it
  await drawAndRecognise(page, [line([0.3, 0.5], [0.6, 0.5]), line([0.6, 0.4], [0.6, 0.75])]);
  await tabTo(page, "#teach-keep");
  await page.keyboard.press("Enter");
  await expect(page.locator("#teach-count")).toHaveAttribute("data-kept", "1");
  await expect(page.locator("#teach-count")).toContainText("1 of 5 drawings of “a” kept");
  expect(await page.evaluate(() => window.pycnnTest.strokeCount())).toBe(0); // cleared for the next
  expect(await focusedId(page)).toBe("pad");
  await tabTo(page, "#teach-redo");
  await page.keyboard.press("Enter");
  await expect(page.locator("#teach-count")).toHaveAttribute("data-kept", "0");
  await expect(page.locator("#teach-count")).toContainText("removed: draw it again");
  await drawAndRecognise(page, SHAPES.circle);
  await tabTo(page, "#teach-keep");
  await page.keyboard.press("Enter");
  await expect(page.locator("#teach-count")).toHaveAttribute("data-kept", "1");
  await tabTo(page, "#teach-next");
  await page.keyboard.press("Enter");
  await expect(page.locator("#teach-label")).toHaveText("b");
  await expect(page.locator("#teach-next")).toHaveText("Finish");
  await tabTo(page, "#teach-stop");
  await page.keyboard.press("Enter");
  await expect(page.locator("#teach-setup")).toBeVisible();
  await expect(page.locator("#teach-status")).toHaveText("Teaching done: 1 drawing kept in My examples.");
  await openMyExamples(page);
  expect(await listedLabels(page)).toEqual(["a", "K"]);

  // "The ones it gets wrong" are the corrections: K.
  await tabTo(page, "#teach-wrong");
  await page.keyboard.press("Enter");
  await expect(page.locator("#teach-label")).toHaveText("K");
  await page.locator("#teach-stop").click();
});

test("a new symbol: a name of up to 16 characters, and it shows it needs 3 examples", async ({ page }) => {
  await openTeach(page);
  await page.locator("#teach-new").fill("a name far too long");
  await page.locator("#teach-new").press("Enter");
  await expect(page.locator("#teach-error")).toContainText("a label has at most 16");
  await page.locator("#teach-new").fill("heart");
  await page.locator("#teach-new").press("Enter");
  await expect(page.locator("#teach-error")).toBeHidden();
  await expect(page.locator("#teach-label")).toHaveText("heart");
  await expect(page.locator("#teach-count")).toContainText("New symbol: it needs at least 3 examples, 0 so far.");
  for (let i = 0; i < 3; i++) {
    await drawAndRecognise(page, SHAPES.circle);
    await page.locator("#teach-keep").click();
    await expect(page.locator("#teach-count")).toHaveAttribute("data-kept", String(i + 1));
  }
  await expect(page.locator("#teach-count")).toContainText("New symbol: it has enough examples to be learnt.");
  await page.locator("#teach-stop").click();
  await openMyExamples(page);
  await expect(page.locator("#examples-labels li[data-label='heart']")).toHaveText("heart × 3 (new)");
  // The picker offers it among "Your own".
  await drawAndRecognise(page, SHAPES.circle);
  await page.locator("#not-right").click();
  await page.locator("#picker-open").click();
  await expect(page.locator("#picker h4").last()).toHaveText("Your own");
  await expect(page.locator("#picker button[data-label='heart']")).toBeVisible();
});

async function axeViolations(page) {
  await page.addScriptTag({ path: path.join(ROOT, "node_modules", "axe-core", "axe.min.js") });
  const result = await page.evaluate(() => window.axe.run(document, { resultTypes: ["violations"] }));
  return result.violations.map((v) => `${v.id} (${v.impact}): ${v.nodes.map((n) => n.target.join(" ")).join(", ")}`);
}

test("axe-core finds no violations with the correction, the picker, teaching and My examples open", async ({ page }) => {
  await page.route("**/", async (route) => {
    const response = await route.fetch();
    const html = (await response.text()).replace(/<meta http-equiv="Content-Security-Policy"[^>]*>/s, "");
    await route.fulfill({ response, body: html });
  });
  await openTeach(page);
  await drawAndRecognise(page, SHAPES.seven);
  await correctTyped(page, "7");
  await page.locator("#not-right").click();
  await page.locator("#picker-open").click();
  await openMyExamples(page);
  expect(await axeViolations(page)).toEqual([]);
  await page.locator("#teach-new").fill("arrow");
  await page.locator("#teach-new").press("Enter");
  await drawAndRecognise(page, SHAPES.one);
  await page.locator("#teach-keep").click();
  await expect(page.locator("#examples-labels li.needs")).toHaveText("arrow × 1 (new: needs 3)");
  await page.locator("#examples-clear").click();
  await page.locator("#examples-import").setInputFiles({ name: "bad.json", mimeType: "application/json", buffer: Buffer.from("{") });
  await expect(page.locator("#examples-error")).toBeVisible();
  expect(await axeViolations(page)).toEqual([]);
  // The same in the dark theme (contrast of the new panels' own colours).
  await page.emulateMedia({ colorScheme: "dark" });
  expect(await axeViolations(page)).toEqual([]);
});

test("a full device: the correction gives a message, and nothing stored is lost", async ({ page }) => {
  // The browser refuses the write as a full disk would (QuotaExceededError), once asked to.
  await page.addInitScript(() => {
    const add = IDBObjectStore.prototype.add;
    IDBObjectStore.prototype.add = function addOrRefuse(...args) {
      if (window.pycnnFullDisk) throw new DOMException("The quota has been exceeded.", "QuotaExceededError");
      return add.apply(this, args);
    };
  });
  await openTeach(page);
  await drawAndRecognise(page, SHAPES.seven);
  await correctTyped(page, "T");
  await page.evaluate(() => {
    window.pycnnFullDisk = true;
  });
  await page.locator("#not-right").click();
  await page.locator("#correct-label").fill("Y");
  await page.locator("#correct-label").press("Enter");
  await expect(page.locator("#correct-status")).toContainText("no room left for this example: nothing was changed");
  expect(await page.evaluate(() => window.pycnnTest.strokeCount())).toBe(2); // the drawing is still there
  // An import of two more: refused as a whole.
  const file = { format: "pycnn-examples", version: 1, examples: ["a", "b"].map((label) => ({
    label, strokes: [{ brush: 0.045, points: [[0.3, 0.3], [0.6, 0.7]] }], pad_side: 320, created: "2026-11-29T19:00:00Z",
  })) };
  await openMyExamples(page);
  await page.locator("#examples-import").setInputFiles({ name: "two.json", mimeType: "application/json", buffer: Buffer.from(JSON.stringify(file)) });
  await expect(page.locator("#examples-error")).toContainText("no room left for these examples");
  expect(await listedLabels(page)).toEqual(["T"]);
  await page.reload();
  await openTeach(page);
  await openMyExamples(page);
  expect(await listedLabels(page)).toEqual(["T"]);
});

test("the modules: strokes off the pad are cut, long strokes thinned, and learning drives the worker's requests", async ({ page }) => {
  // A document of the site that is not the page: the modules without Pyodide. (Chromium asks
  // such a document for /favicon.ico, which the site has not.)
  await page.route("**/favicon.ico", (route) => route.fulfill({ status: 204 }));
  await page.goto("files.json");
  const result = await page.evaluate(async () => {
    const file = await import("./examples-file.js");
    const learning = await import("./learning.js");
    const out = {};
    // A stroke that leaves the box the file allows and comes back: two strokes, cut at x = 2.
    out.clipped = file.clipStroke({ brush: 0.04, points: [[0.5, 0.5], [1.5, 0.5], [5, 0.5], [5, 3], [0.5, 0.8], [0.6, 0.8]] });
    // 5000 points of a slow stroke fit the 2000 allowed, with both ends kept.
    const many = { brush: 0.045, points: Array.from({ length: 5000 }, (_, i) => [0.2 + (0.6 * i) / 4999, 0.5]) };
    const thin = file.exampleFromPad({ label: "g", strokes: [many], padSide: 320, source: "teach" });
    out.thin = { n: thin.strokes[0].points.length, first: thin.strokes[0].points[0], last: thin.strokes[0].points.at(-1) };
    out.reparsed = file.parseExamplesFile(file.examplesFileText([thin])).length;
    // learning.js against a stand-in worker: the file as bytes, slices until done, cancel.
    const calls = [];
    let steps = 0;
    const recognizer = {
      async request(type, fields = {}, data = null) {
        calls.push({ type, fields, text: data && new TextDecoder().decode(data) });
        if (type === "learn_begin") return { reply: { steps_total: 3, classes_added: 1, labels_added: ["π"], held_back: [], examples: 1, from: "original" } };
        if (type === "learn_step") {
          steps++;
          return { reply: { step: steps, steps_total: 3, loss: 1 / steps, seconds_left: 3 - steps, done: steps === 3, labels: steps === 3 ? ["0", "π"] : null } };
        }
        return { reply: { cancelled: true } };
      },
    };
    const progress = [];
    const done = await learning.learnFromExamples(recognizer, [{ ...thin, label: "π" }], { onProgress: (p) => progress.push(p) });
    out.learnt = { labels: done.labels, progress: progress.map((p) => p.step), types: calls.map((c) => c.type) };
    out.sent = JSON.parse(calls[0].text);
    out.maxMs = calls[1].fields.max_ms;
    const controller = new AbortController();
    calls.length = 0;
    steps = 0;
    const stopped = learning.learnFromExamples(recognizer, [thin], {
      signal: controller.signal, onProgress: () => controller.abort(),
    }).then(() => "finished", (error) => error.name);
    out.stopped = { how: await stopped, types: calls.map((c) => c.type) };
    out.canLearn = [learning.canLearn({ labels: [] }), learning.canLearn({ requests: ["learn_begin", "learn_step", "learn_cancel", "info"] })];
    // The store keeps a model file beside the examples (for the personal model, later).
    const { openExamplesStore } = await import("./examples-store.js");
    const store = await openExamplesStore();
    await store.putModel({ name: "mine", bytes: new Uint8Array([1, 2, 3]).buffer, labels: ["0"], saved: "2026-11-29T19:00:00Z" });
    const kept = await store.getModel("mine");
    out.model = { persistent: store.persistent, bytes: [...new Uint8Array(kept.bytes)], labels: kept.labels };
    await store.deleteModel("mine");
    out.modelGone = await store.getModel("mine");
    return out;
  });
  expect(result.clipped).toEqual([
    { brush: 0.04, points: [[0.5, 0.5], [1.5, 0.5], [2, 0.5]] },
    { brush: 0.04, points: [[2, expect.closeTo(1.5333, 3)], [0.5, 0.8], [0.6, 0.8]] },
  ]);
  expect(result.thin.n).toBeLessThanOrEqual(2000);
  expect(result.thin.first).toEqual([0.2, 0.5]);
  expect(result.thin.last).toEqual([0.8, 0.5]);
  expect(result.reparsed).toBe(1);
  expect(result.learnt).toEqual({ labels: ["0", "π"], progress: [1, 2, 3], types: ["learn_begin", "learn_step", "learn_step", "learn_step"] });
  expect(Object.keys(result.sent)).toEqual(["format", "version", "examples"]);
  expect(result.sent.examples[0].label).toBe("π");
  expect(result.maxMs).toBeGreaterThan(0);
  expect(result.stopped).toEqual({ how: "AbortError", types: ["learn_begin", "learn_step", "learn_cancel"] });
  expect(result.canLearn).toEqual([false, true]);
  expect(result.model).toEqual({ persistent: true, bytes: [1, 2, 3], labels: ["0"] });
  expect(result.modelGone).toBeNull();
});
