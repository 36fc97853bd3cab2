// The line of text in Word mode: Add, Enter and a tap on another reading append a word and
// clear the pad; Backspace (off the text line) and "⌫ Word" remove the last word; the line is
// edited with the keyboard like any text box, survives a reload, and Copy puts it on the
// clipboard.
const {
  test, expect, checkHygieneOfEachTest, openWordMode, writeWord, drawWordStrokes, shownWord,
  wordSamples,
} = require("./helpers");

checkHygieneOfEachTest(test);

const line = (page) => page.locator("#text-line");

test("Add, Enter and a tap on another reading append words; Backspace and ⌫ Word remove them; the line is edited by keyboard and survives a reload", async ({ page }) => {
  test.setTimeout(8 * 60_000);
  const samples = wordSamples(["--count", "3"]);
  await openWordMode(page);
  await expect(line(page)).toHaveValue("");

  // Add: the best word, and the pad is cleared for the next one.
  await writeWord(page, samples[0].strokes);
  const first = (await shownWord(page)).words[0][0];
  await expect(page.locator("#word-add")).toBeEnabled();
  await page.locator("#word-add").click();
  await expect(line(page)).toHaveValue(first);
  await expect(page.locator("#word-reading")).toHaveAttribute("data-empty", "true");
  expect(await page.evaluate(() => window.pycnnTest.word.strokeCount())).toBe(0);
  await expect(page.locator("#text-status")).toContainText(`Added “${first}”`);

  // Enter on the pad, pressed at once after the last stroke: the word added is the reading of
  // all the ink (the same pixels as in a reading awaited first), not a reading still on its way.
  await writeWord(page, samples[1].strokes);
  const second = (await shownWord(page)).words[0][0];
  await page.locator("#word-clear").click();
  await drawWordStrokes(page, samples[1].strokes);
  await page.keyboard.press("Enter");
  await expect(line(page)).toHaveValue(`${first} ${second}`);
  expect(await page.evaluate(() => window.pycnnTest.word.strokeCount())).toBe(0);

  // A tap on one of the other readings adds that one instead.
  await writeWord(page, samples[2].strokes);
  const { words } = await shownWord(page);
  expect(words.length, "the reading offers other words").toBeGreaterThan(1);
  const other = words[1][0];
  await page.locator("#word-others .word-choice").first().click();
  await expect(line(page)).toHaveValue(`${first} ${second} ${other}`);
  await expect(page.locator("#word-reading")).toHaveAttribute("data-empty", "true");

  // Backspace off the text line removes the last word; in the text line it deletes a character.
  await page.locator("#word-pad").focus();
  await page.keyboard.press("Backspace");
  await expect(line(page)).toHaveValue(`${first} ${second}`);
  await line(page).focus();
  await page.keyboard.press("End");
  await page.keyboard.press("Backspace");
  await expect(line(page)).toHaveValue(`${first} ${second.slice(0, -1)}`);
  // Typing: the line is an ordinary text box.
  await page.keyboard.type(" typed");
  await expect(line(page)).toHaveValue(`${first} ${second.slice(0, -1)} typed`);
  // "⌫ Word" removes the last word, typed or written.
  await page.locator("#word-backspace").click();
  await expect(line(page)).toHaveValue(`${first} ${second.slice(0, -1)}`);
  await expect(page.locator("#text-status")).toContainText("Removed “typed”");

  // The line survives a reload.
  await page.reload();
  await expect(page.locator("body")).toHaveAttribute("data-words-ready", "true", { timeout: 120_000 });
  await expect(line(page)).toHaveValue(`${first} ${second.slice(0, -1)}`);

  // Backspace on an empty pad with an empty line says so, and nothing breaks.
  await page.locator("#word-backspace").click();
  await page.locator("#word-backspace").click();
  await expect(line(page)).toHaveValue("");
  await page.locator("#word-backspace").click();
  await expect(page.locator("#text-status")).toContainText("The text is empty");
  // Add with nothing on the pad adds nothing.
  await page.locator("#word-pad").focus();
  await page.keyboard.press("Enter");
  await expect(line(page)).toHaveValue("");
  await expect(page.locator("#text-status")).toContainText("Write a word on the pad first");
});

test("Copy puts the line on the clipboard and says Copied", async ({ page, context, baseURL }) => {
  await context.grantPermissions(["clipboard-read", "clipboard-write"], { origin: new URL(baseURL).origin });
  await openWordMode(page);
  await line(page).fill("written by hand, read by NumPy");
  await page.locator("#text-copy").click();
  await expect(page.locator("#text-status")).toHaveText("Copied");
  expect(await page.evaluate(() => navigator.clipboard.readText())).toBe("written by hand, read by NumPy");
  // Editing the line clears the old "Copied".
  await line(page).press("!");
  await expect(page.locator("#text-status")).toHaveText("");
});

test("without the Clipboard API, Copy falls back to the copy command", async ({ page }) => {
  await page.addInitScript(() => {
    Object.defineProperty(navigator, "clipboard", { value: undefined, configurable: true });
    window.copiedByCommand = null;
    document.addEventListener("copy", () => {
      window.copiedByCommand = String(document.getSelection()) ||
        (document.activeElement && document.activeElement.value.slice(
          document.activeElement.selectionStart, document.activeElement.selectionEnd));
    });
  });
  await openWordMode(page);
  await line(page).fill("fallback");
  await page.locator("#text-copy").click();
  await expect(page.locator("#text-status")).toHaveText("Copied");
  expect(await page.evaluate(() => window.copiedByCommand)).toBe("fallback");
});
