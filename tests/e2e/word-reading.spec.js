// Word mode reads real handwriting: UNIPEN test-split words (writers no model saw) replayed as
// mouse drags on the word pad. The page's reading must be what CPython pycnn's WordReader reads
// from the very same pixels with the model and word list the page was served, within All and
// within another Read as set; and the reading shows which ink made which letter (the band over
// the pad, the strip of frames under it).
const fs = require("node:fs");
const path = require("node:path");
const {
  test, expect, checkHygieneOfEachTest, runPython, openWordMode, writeWord, shownWord,
  servedWordModel, wordSamples, drawWordStrokes, settleWord, wordReadings,
} = require("./helpers");

checkHygieneOfEachTest(test);

/** What CTC's best path spells: repeats merged, blanks ("") dropped. */
function collapse(frames) {
  return frames.filter((label, t) => label && label !== frames[t - 1]).join("");
}

/** Save the pixels the page sent for its last reading; the item for word_check.py. */
async function savePixels(page, dir, name, set) {
  const sent = await page.evaluate(() => window.pycnnTest.word.lastPixels());
  fs.writeFileSync(path.join(dir, name), Buffer.from(sent.base64, "base64"));
  return { file: name, width: sent.width, height: sent.height, set };
}

test("test-split words written with the mouse read as CPython reads the same pixels, in All and within a set", async ({ page, request }) => {
  test.setTimeout(10 * 60_000);
  const samples = wordSamples(["--count", "4"]);
  expect(samples.length).toBe(4);
  const served = await servedWordModel(request);
  await openWordMode(page);
  await expect(page.locator("#word-status")).toContainText("Ready");
  await expect(page.locator("#word-reading")).toHaveAttribute("data-count", "0");

  const items = [];
  const shown = [];
  for (const [i, sample] of samples.entries()) {
    await page.locator("#word-clear").click();
    await expect(page.locator("#word-reading")).toHaveAttribute("data-empty", "true");
    await writeWord(page, sample.strokes);
    const reading = await shownWord(page);
    shown.push(reading);
    items.push(await savePixels(page, served.dir, `${i}.rgba`, "all"));
    // On screen: the best word large, its letters one by one; up to 3 others; the raw reading.
    const best = reading.words[0][0];
    await expect(page.locator("#word-reading")).toHaveAttribute("data-word", best);
    await expect(page.locator("#word-best .letter")).toHaveCount([...best].length);
    expect(await page.locator("#word-best").textContent()).toBe(best);
    await expect(page.locator("#word-others .word-choice")).toHaveCount(reading.words.length - 1);
    expect(reading.words.length).toBeLessThanOrEqual(3);
    await expect(page.locator("#word-raw-line")).toContainText("what the ink says, letter by letter", { ignoreCase: true });
    expect(await page.locator("#word-raw").textContent()).toBe(reading.raw);
    await expect(page.locator("#word-announce")).toContainText(best);
    // Worded as a guess exactly when the reading is unsure.
    await expect(page.locator("#word-reading")).toHaveAttribute("data-unsure", String(reading.unsure));
    if (!reading.unsure) await expect(page.locator("#word-note")).not.toContainText("Not sure");
  }

  // Read as: the last word decoded again within Capital letters, from the frames the worker
  // kept (no new reading is sent), then back to All.
  const sentBefore = await page.evaluate(() => window.pycnnTest.word.readingsSent());
  const readings = await wordReadings(page);
  await page.getByLabel("Read as", { exact: true }).selectOption("upper");
  await expect.poll(() => wordReadings(page)).toBeGreaterThan(readings);
  await settleWord(page);
  await expect(page.locator("#word-reading")).toHaveAttribute("data-set", "upper");
  const upper = await shownWord(page);
  expect(upper.words[0][0]).toMatch(/^[A-Z]+$/);
  // The set stays said, and the reading is worded as a guess exactly when it is unsure.
  await expect(page.locator("#word-note")).toContainText("Read as Capital letters");
  if (upper.unsure) await expect(page.locator("#word-note")).toContainText(`Not sure — maybe “${upper.words[0][0]}”`);
  else await expect(page.locator("#word-note")).not.toContainText("Not sure");
  expect(await page.evaluate(() => window.pycnnTest.word.readingsSent())).toBe(sentBefore);
  items.push({ ...items[items.length - 1], set: "upper" });
  shown.push(upper);
  await page.getByLabel("Read as", { exact: true }).selectOption("all");
  await settleWord(page);
  await expect(page.locator("#word-reading")).toHaveAttribute("data-set", "all");
  expect((await shownWord(page)).words).toEqual(shown[samples.length - 1].words);

  fs.writeFileSync(path.join(served.dir, "index.json"), JSON.stringify({ items }));
  const { readings: cpython } = JSON.parse(runPython("word_check.py", [
    served.dir, "--model", served.model, "--lexicon", served.lexicon]));
  const summary = [];
  for (const [i, page] of shown.entries()) {
    const theirs = cpython[i];
    summary.push(`${samples[Math.min(i, samples.length - 1)].text} (${items[i].set}): page ${page.words[0][0]}, CPython ${theirs.words[0][0]}`);
    expect(page.raw, summary[i]).toBe(theirs.raw);
    expect(page.words.map(([word]) => word), summary[i]).toEqual(theirs.words.map(([word]) => word));
    page.words.forEach(([, score], k) => expect(score).toBeCloseTo(theirs.words[k][1], 3));
    expect(page.frames).toEqual(theirs.frames);
    expect(page.spans).toEqual(theirs.spans);
    expect(page.word_spans).toEqual(theirs.word_spans);
  }
  console.log(`Word mode read ${shown.length} test-split words as CPython does: ${summary.join("; ")}`);
  fs.rmSync(served.dir, { recursive: true, force: true });
});

test("an unsure reading is worded as a guess, on screen and aloud, with the other words still offered", async ({ page, request }) => {
  test.setTimeout(5 * 60_000);
  const served = await servedWordModel(request);
  // Test-split words that CPython, drawing them as the page does, reads as unsure with the
  // served model: the closest calls first.
  const samples = wordSamples(["--count", "3", "--unsure", served.model, served.lexicon]);
  expect(samples.length, "test-split words read as unsure").toBeGreaterThan(0);
  await openWordMode(page);
  let unsure = null;
  for (const sample of samples) {
    await page.locator("#word-clear").click();
    await writeWord(page, sample.strokes);
    const reading = await shownWord(page);
    if (reading.unsure) {
      unsure = reading;
      break;
    }
  }
  expect(unsure, "one of the closest calls is unsure in the page too").not.toBeNull();
  const best = unsure.words[0][0];
  await expect(page.locator("#word-reading")).toHaveAttribute("data-unsure", "true");
  await expect(page.locator("#word-note")).toContainText(`Not sure — maybe “${best}”`);
  await expect(page.locator("#word-announce")).toContainText(`Not sure. Maybe ${best}.`);
  await expect(page.locator("#word-others .word-choice")).toHaveCount(unsure.words.length - 1);
  fs.rmSync(served.dir, { recursive: true, force: true });
});

test("a letter's band: hovering, focusing or tapping a letter paints the pad over that letter's frames, and the strip lines up with the pad", async ({ page }) => {
  test.setTimeout(5 * 60_000);
  const [sample] = wordSamples(["--count", "1", "--min-letters", "4"]);
  await openWordMode(page);
  await writeWord(page, sample.strokes);
  const reading = await shownWord(page);
  const pad = await page.locator("#word-pad").boundingBox();
  const { width: sentWidth } = await page.evaluate(() => window.pycnnTest.word.lastPixels());
  const cssX = (x) => (x / sentWidth) * pad.width; // picture pixels -> CSS px from the pad's left

  // The strip: a cell per frame, holding its best class (a dot for the blank), under its band.
  const cells = page.locator("#word-strip .cell");
  await expect(cells).toHaveCount(reading.frames.length);
  const texts = await cells.allTextContents();
  expect(texts).toEqual(reading.frames.map((label) => label || "·"));
  expect(collapse(reading.frames)).toBe(reading.raw);
  for (const t of [0, Math.floor(reading.frames.length / 2), reading.frames.length - 1]) {
    const box = await cells.nth(t).boundingBox();
    const left = pad.x + cssX(reading.pad.x0 + t * reading.pad.dx);
    if (left < pad.x || left + 1 > pad.x + pad.width) continue; // a margin frame off the pad
    expect(Math.abs(box.x - left), `cell ${t} at ${box.x}, its band at ${left}`).toBeLessThanOrEqual(1.5);
    expect(Math.abs(box.width - cssX(reading.pad.dx))).toBeLessThanOrEqual(1.5);
  }

  /** The overlay's painted columns, in CSS px from the pad's left: [first, last] or null. */
  const painted = () => page.evaluate(() => {
    const overlay = document.querySelector("#word-overlay");
    const { data, width, height } = overlay.getContext("2d").getImageData(0, 0, overlay.width, overlay.height);
    let first = null;
    let last = null;
    const row = Math.floor(height / 2);
    for (let x = 0; x < width; x++) {
      if (data[4 * (row * width + x) + 3] > 0) {
        if (first === null) first = x;
        last = x;
      }
    }
    const scale = width / overlay.getBoundingClientRect().width;
    return first === null ? null : [first / scale, (last + 1) / scale];
  });
  /** Does the pad hold ink between CSS px a and b? */
  const inkBetween = (a, b) => page.evaluate(([from, to]) => {
    const canvas = document.querySelector("#word-pad");
    const scale = canvas.width / canvas.getBoundingClientRect().width;
    const x0 = Math.max(0, Math.floor(from * scale));
    const x1 = Math.min(canvas.width, Math.ceil(to * scale));
    const { data } = canvas.getContext("2d").getImageData(x0, 0, Math.max(1, x1 - x0), canvas.height);
    return data.some((v, i) => i % 4 === 3 && v > 0);
  }, [a, b]);

  expect(await painted()).toBeNull();
  const letters = page.locator("#word-raw .letter");
  await expect(letters).toHaveCount([...reading.raw].length);
  for (const [i, [start, stop]] of reading.spans.entries()) {
    await letters.nth(i).hover();
    const band = [cssX(reading.pad.x0 + start * reading.pad.dx), cssX(reading.pad.x0 + stop * reading.pad.dx)];
    const seen = await painted();
    expect(seen, `letter ${i} (${reading.raw[i]}) paints the pad`).not.toBeNull();
    expect(seen[0]).toBeGreaterThanOrEqual(Math.max(0, band[0]) - 1);
    expect(seen[1]).toBeLessThanOrEqual(Math.min(pad.width, band[1]) + 1);
    expect(seen[1] - seen[0]).toBeGreaterThan(0.5 * (Math.min(pad.width, band[1]) - Math.max(0, band[0])));
    // The strip marks the same frames.
    const on = await page.locator("#word-strip .cell.on").evaluateAll((els) => els.map((el) => Number(el.dataset.frame)));
    expect(on).toEqual(Array.from({ length: stop - start }, (_, k) => start + k));
    // A letter read from ink has ink under its band.
    expect(await inkBetween(...seen), `ink under letter ${i}`).toBe(true);
  }
  // Away from the letters: nothing painted.
  await page.mouse.move(1, 1);
  expect(await painted()).toBeNull();

  // The keyboard: the letters are one Tab stop, arrows move; the focused letter is painted.
  await letters.nth(0).focus();
  expect(await painted()).not.toBeNull();
  const firstBand = await painted();
  if (reading.spans.length > 1) {
    await page.keyboard.press("ArrowRight");
    await expect(letters.nth(1)).toBeFocused();
    expect(await painted()).not.toEqual(firstBand);
  }
  await page.locator("#word-clear").focus();
  expect(await painted()).toBeNull();

  // A tap pins a letter's band (touch has no hover): it stays after the pointer leaves.
  await letters.nth(0).click();
  await expect(letters.nth(0)).toHaveAttribute("aria-pressed", "true");
  await page.locator("#word-clear").focus();
  await page.mouse.move(1, 1);
  expect(await painted()).toEqual(firstBand);

  // The best word's letters have bands too when the word is aligned with the frames.
  if (reading.word_spans) {
    await page.locator("#word-best .letter").nth(0).hover();
    const [start, stop] = reading.word_spans[0];
    const seen = await painted();
    expect(seen[0]).toBeGreaterThanOrEqual(Math.max(0, cssX(reading.pad.x0 + start * reading.pad.dx)) - 1);
    expect(seen[1]).toBeLessThanOrEqual(cssX(reading.pad.x0 + stop * reading.pad.dx) + 1);
  }
});

test("an empty pad clears the reading; Undo and Clear work on the word pad, from buttons and keys", async ({ page }) => {
  test.setTimeout(5 * 60_000);
  const [sample] = wordSamples(["--count", "1"]);
  await openWordMode(page);
  const reading = page.locator("#word-reading");
  await expect(page.locator("#word-undo")).toBeDisabled();
  await writeWord(page, sample.strokes);
  await expect(reading).toHaveAttribute("data-empty", "false");
  const strokes = () => page.evaluate(() => window.pycnnTest.word.strokeCount());
  const count = await strokes();
  expect(count).toBe(sample.strokes.length);

  await page.locator("#word-clear").click();
  expect(await strokes()).toBe(0);
  await expect(reading).toHaveAttribute("data-empty", "true");
  await expect(page.locator("#word-best .letter")).toHaveCount(0);
  await expect(page.locator("#word-strip .cell")).toHaveCount(0);
  await expect(page.locator("#word-not-right")).toBeHidden();
  await expect(page.locator("#word-add")).toBeDisabled();
  // Undo brings the cleared word back, and it is read again.
  await page.locator("#word-undo").click();
  expect(await strokes()).toBe(count);
  await settleWord(page);
  await expect(reading).toHaveAttribute("data-empty", "false");
  // Ctrl+Z removes the last stroke (and the rest is read); Escape clears.
  await page.locator("#word-pad").focus();
  await page.keyboard.press("Control+z");
  expect(await strokes()).toBe(count - 1);
  await settleWord(page);
  await page.keyboard.press("Escape");
  expect(await strokes()).toBe(0);
  await expect(reading).toHaveAttribute("data-empty", "true");
});

test("writing past the pad's edge is read; a pad full of 300 zigzag strokes gets a reading or the too-long message within a second, and the page stays responsive", async ({ page }) => {
  test.setTimeout(10 * 60_000);
  const [sample] = wordSamples(["--count", "1", "--min-letters", "5"]);
  await openWordMode(page);
  // The word moved right until its last third leaves the pad.
  const pad = await page.locator("#word-pad").boundingBox();
  const shift = pad.width / pad.height / 2 - sample.width / 6;
  const moved = sample.strokes.map((stroke) => stroke.map(([x, y]) => [x + shift, y]));
  await writeWord(page, moved);
  await expect(page.locator("#word-reading")).toHaveAttribute("data-empty", "false");
  await expect(page.locator("#word-error")).toBeHidden();
  expect((await shownWord(page)).raw.length).toBeGreaterThan(0);

  // 300 strokes back and forth over the whole pad.
  await page.locator("#word-clear").click();
  const aspect = pad.width / pad.height;
  const strokes = Array.from({ length: 300 }, (_, i) => {
    const x = -aspect / 2 + (aspect * (i + 0.5)) / 300;
    return i % 2 ? [[x, 0.05], [x + aspect / 150, 0.95]] : [[x, 0.95], [x + aspect / 150, 0.05]];
  });
  let longest = 0;
  await drawWordStrokes(page, strokes, async () => {
    // Responsive: the page answers a script between strokes at once.
    const t = Date.now();
    await page.evaluate(() => 1);
    longest = Math.max(longest, Date.now() - t);
  });
  const start = Date.now();
  await settleWord(page);
  const waited = Date.now() - start;
  const reading = page.locator("#word-reading");
  const tooLong = await reading.getAttribute("data-too-long");
  if (tooLong === "true") {
    await expect(page.locator("#word-note")).toContainText("Too long");
  } else {
    await expect(reading).toHaveAttribute("data-empty", "false");
  }
  console.log(`300 strokes: settled ${waited} ms after the last one (too long: ${tooLong}); ` +
    `slowest script round trip while drawing ${longest} ms; readings sent ` +
    `${await page.evaluate(() => window.pycnnTest.word.readingsSent())}`);
  expect(waited).toBeLessThan(1000);
  expect(longest).toBeLessThan(1000);
  // Coalesced: never more readings than strokes (and one after the last).
  expect(await page.evaluate(() => window.pycnnTest.word.readingsSent())).toBeLessThanOrEqual(301);
});
