// Your words: "Not right?" in Word mode puts the typed word in the text and in a personal
// dictionary (IndexedDB), which the word reader then prefers, so the same writing reads as it;
// the words are listed with Delete, travel with the examples in the export file, a bad import
// is refused whole with a sentence, and damaged storage is set aside with a notice.
const fs = require("node:fs");
const os = require("node:os");
const path = require("node:path");
const {
  test, expect, checkHygieneOfEachTest, openWordMode, writeWord, shownWord, wordSamples,
} = require("./helpers");

checkHygieneOfEachTest(test);

/** Correct the reading on screen to `word`, typed into "Not right?". */
async function correctTo(page, word) {
  await page.locator("#word-not-right").click();
  await expect(page.locator("#word-typed")).toBeFocused();
  await page.keyboard.type(word);
  await page.keyboard.press("Enter");
  await expect(page.locator("#word-correct-status")).toContainText(`“${word}” is in your text`);
}

async function openYourWords(page) {
  if (!(await page.locator("#your-words").evaluate((d) => d.open))) await page.locator("#your-words > summary").click();
}

const listed = (page) => page.locator("#words-list li[data-word]").evaluateAll((items) => items.map((li) => li.dataset.word));

test("a reading corrected with Not right? goes in the text and in your words; the same writing then reads as the word you typed, until you delete it", async ({ page }) => {
  test.setTimeout(10 * 60_000);
  // A test-split word whose ink, letter by letter, spells a word the reader does not choose:
  // typing that spelling is correcting the reading to a word of the writer's own.
  const samples = wordSamples(["--count", "8"]);
  await openWordMode(page);
  let chosen = null;
  let before = null;
  for (const sample of samples) {
    await page.locator("#word-clear").click();
    await writeWord(page, sample.strokes);
    const reading = await shownWord(page);
    if (reading.raw.length >= 3 && reading.raw !== reading.words[0][0] &&
        !reading.words.some(([word]) => word === reading.raw)) {
      chosen = sample;
      before = reading;
      break;
    }
  }
  expect(chosen, "one of 8 test-split words is read as another word than its letters spell").not.toBeNull();
  const mine = before.raw;
  await expect(page.locator("#word-not-right")).toBeVisible();
  await correctTo(page, mine);
  // Instead of the misreading: in the text, and the pad cleared for the next word.
  await expect(page.locator("#text-line")).toHaveValue(mine);
  await expect(page.locator("#word-reading")).toHaveAttribute("data-empty", "true");
  await openYourWords(page);
  await expect.poll(() => listed(page)).toEqual([mine]);
  await expect(page.locator(`#words-list li[data-word="${mine}"]`)).toContainText("×1");

  // The same writing again: read as the word typed.
  await writeWord(page, chosen.strokes);
  const after = await shownWord(page);
  expect(after.words[0][0], `${chosen.text} was read ${before.words[0][0]}, corrected to ${mine}`).toBe(mine);
  await expect(page.locator("#word-reading")).toHaveAttribute("data-word", mine);
  // Corrected again: its count grows.
  await correctTo(page, mine);
  await expect(page.locator(`#words-list li[data-word="${mine}"]`)).toContainText("×2");
  await expect(page.locator("#text-line")).toHaveValue(`${mine} ${mine}`);

  // Kept across a reload, and given to the reader again.
  await page.reload();
  await expect(page.locator("body")).toHaveAttribute("data-words-ready", "true", { timeout: 120_000 });
  await writeWord(page, chosen.strokes);
  expect((await shownWord(page)).words[0][0]).toBe(mine);

  // Deleted: the reader no longer prefers it.
  await openYourWords(page);
  await page.locator(`#words-list li[data-word="${mine}"] .delete`).click();
  await expect(page.locator("#words-status")).toContainText(`Deleted “${mine}”`);
  await expect.poll(() => listed(page)).toEqual([]);
  await page.locator("#word-clear").click();
  await writeWord(page, chosen.strokes);
  expect((await shownWord(page)).words.map(([word]) => word)).toEqual(before.words.map(([word]) => word));

  // A word the reader can't spell is refused with a sentence, and nothing is kept.
  await page.locator("#word-not-right").click();
  await page.locator("#word-typed").fill("two words");
  await page.locator("#word-typed").press("Enter");
  await expect(page.locator("#word-correct-status")).toContainText("has a space in it");
  await page.locator("#word-typed").fill("café");
  await page.locator("#word-typed").press("Enter");
  await expect(page.locator("#word-correct-status")).toContainText("only the characters the reader knows");
  await expect.poll(() => listed(page)).toEqual([]);
  await page.locator("#word-typed").press("Escape");
  await expect(page.locator("#word-correct")).toBeHidden();
  await expect(page.locator("#word-not-right")).toBeFocused();
});

test("your words are exported with the examples and imported back; an import of a million words or of a word with a control character is refused whole", async ({ page }) => {
  test.setTimeout(6 * 60_000);
  const [sample] = wordSamples(["--count", "1"]);
  await openWordMode(page);
  await writeWord(page, sample.strokes);
  await correctTo(page, "Zorblat");
  await openYourWords(page);
  await expect.poll(() => listed(page)).toEqual(["Zorblat"]);

  const [download] = await Promise.all([page.waitForEvent("download"), page.locator("#words-export").click()]);
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "pycnn-e2e-words-file-"));
  const exported = path.join(dir, "exported.json");
  await download.saveAs(exported);
  const file = JSON.parse(fs.readFileSync(exported, "utf-8"));
  expect(file.format).toBe("pycnn-examples");
  expect(file.words).toEqual([["Zorblat", 1]]);
  expect(file.examples).toEqual([]);
  await expect(page.locator("#words-status")).toContainText("Exported 0 examples and 1 word");

  await page.locator('#words-list li[data-word="Zorblat"] .delete').click();
  await expect.poll(() => listed(page)).toEqual([]);
  await page.locator("#words-import").setInputFiles(exported);
  await expect(page.locator("#words-status")).toContainText("Imported 0 examples and 1 new word");
  await expect.poll(() => listed(page)).toEqual(["Zorblat"]);
  // Importing the same file again changes nothing (the larger count is kept, not added).
  await page.locator("#words-import").setInputFiles(exported);
  await expect(page.locator("#words-status")).toContainText("and 0 new words");
  await expect(page.locator('#words-list li[data-word="Zorblat"]')).toContainText("×1");

  // Refused whole, with one sentence: a million words, a control character.
  const million = path.join(dir, "million.json");
  fs.writeFileSync(million, JSON.stringify({
    format: "pycnn-examples", version: 1, examples: [],
    words: Array.from({ length: 1_000_000 }, (_, i) => [`w${i}`, 1]),
  }));
  await page.locator("#words-import").setInputFiles(million);
  await expect(page.locator("#words-error")).toBeVisible();
  await expect(page.locator("#words-error")).toContainText("million.json was not imported");
  await expect(page.locator("#words-error")).toContainText("1000000 words; at most 10000");
  const control = path.join(dir, "control.json");
  fs.writeFileSync(control, JSON.stringify({
    format: "pycnn-examples", version: 1, examples: [], words: [["fine", 1], ["be\u0007ll", 2]],
  }));
  await page.locator("#words-import").setInputFiles(control);
  await expect(page.locator("#words-error")).toContainText("control.json was not imported");
  await expect(page.locator("#words-error")).toContainText("entry 2");
  await expect.poll(() => listed(page)).toEqual(["Zorblat"]);
  fs.rmSync(dir, { recursive: true, force: true });
});

test("a damaged dictionary in storage is set aside with a notice, and the page keeps working", async ({ page }) => {
  test.setTimeout(5 * 60_000);
  const [sample] = wordSamples(["--count", "1"]);
  await openWordMode(page);
  // Records no page would have written, beside one good word, straight into IndexedDB.
  await page.evaluate(() => new Promise((resolve, reject) => {
    const request = indexedDB.open("pycnn-words");
    request.onsuccess = () => {
      const transaction = request.result.transaction("words", "readwrite");
      const words = transaction.objectStore("words");
      words.put({ word: "Zorblat", count: 3 });
      words.put({ word: "be\u0007ll", count: 1 });
      words.put({ word: "many", count: "lots" });
      words.put({ word: 42, count: 1 });
      words.put({ word: "x".repeat(500), count: 1 });
      transaction.oncomplete = () => {
        request.result.close();
        resolve();
      };
      transaction.onerror = () => reject(transaction.error);
    };
    request.onerror = () => reject(request.error);
  }));
  await page.reload();
  await expect(page.locator("body")).toHaveAttribute("data-words-ready", "true", { timeout: 120_000 });
  await openYourWords(page);
  await expect(page.locator("#words-notice")).toBeVisible();
  await expect(page.locator("#words-notice")).toContainText("4 entries of your words");
  await expect(page.locator("#words-notice")).toContainText("set aside");
  await expect.poll(() => listed(page)).toEqual(["Zorblat"]);
  // Nothing is lost: the four are kept aside; the good word stays in use.
  const stored = await page.evaluate(() => new Promise((resolve) => {
    const request = indexedDB.open("pycnn-words");
    request.onsuccess = () => {
      const transaction = request.result.transaction(["words", "set_aside"], "readonly");
      const words = transaction.objectStore("words").count();
      const aside = transaction.objectStore("set_aside").count();
      transaction.oncomplete = () => resolve({ words: words.result, aside: aside.result });
    };
  }));
  expect(stored).toEqual({ words: 1, aside: 4 });
  // The page still reads.
  await writeWord(page, sample.strokes);
  await expect(page.locator("#word-reading")).toHaveAttribute("data-empty", "false");
  await expect(page.locator("#word-error")).toBeHidden();
  // Set aside once: the next visit has no notice.
  await page.reload();
  await expect(page.locator("body")).toHaveAttribute("data-words-ready", "true", { timeout: 120_000 });
  await expect(page.locator("#words-notice")).toBeHidden();
});
