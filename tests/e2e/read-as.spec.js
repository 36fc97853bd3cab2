// The "Read as" control: a labelled select beside the answer that works from the keyboard, is
// kept across visits, is chosen by a link's ?set= (which wins over the stored choice), falls
// back to All with a notice for a set the model can't read, and re-reads the drawing already
// on the pad at once, from the scores the worker kept, without running the network again.
const {
  test, expect, checkHygieneOfEachTest, openReady, settle, drawAndRecognise, SHAPES, top5,
} = require("./helpers");

const hygiene = checkHygieneOfEachTest(test);

// Every printable ASCII character but letters, digits and space (pycnn.read.charsets.SYMBOLS).
const SYMBOLS = "!\"#$%&'()*+,-./:;<=>?@[\\]^_`{|}~";
const IN_SET = {
  digits: /^[0-9]$/,
  upper: /^[A-Z]$/,
  lower: /^[a-z]$/,
  letters: /^[A-Za-z]$/,
};

const readAs = (page) => page.getByRole("combobox", { name: "Read as" });

/** The set the page reads within, once the answer on screen is read within it. */
async function settledSet(page) {
  await settle(page);
  return page.evaluate(() => window.pycnnTest.readAs());
}

test("Read as is labelled, works from the keyboard, and is kept across a reload", async ({ page }) => {
  await openReady(page);
  const select = readAs(page);
  await expect(select).toHaveValue("all");
  await expect(select).toBeEnabled();

  // Reached with Tab from the pad, with a visible focus ring.
  await page.locator("#pad").focus();
  for (let i = 0; i < 10 && !(await select.evaluate((el) => el === document.activeElement)); i++) {
    await page.keyboard.press("Tab");
  }
  await expect(select).toBeFocused();
  const outline = await select.evaluate((el) => getComputedStyle(el).outlineStyle);
  expect(outline).not.toBe("none");

  // Arrow keys move through the sets; the page reads within the one chosen.
  await page.keyboard.press("ArrowDown");
  await expect(select).toHaveValue("digits");
  expect(await settledSet(page)).toBe("digits");
  await drawAndRecognise(page, SHAPES.circle);
  await expect(page.locator("#prediction")).toHaveText(IN_SET.digits);
  await expect(page.locator("#announce")).toContainText("Read as Digits. Top guess:");

  // Kept across visits.
  await page.reload();
  await expect(page.locator("body")).toHaveAttribute("data-ready", "true", { timeout: 120_000 });
  await expect(select).toHaveValue("digits");
  expect(await settledSet(page)).toBe("digits");
  await expect(page.locator("#set-notice")).toBeHidden();
});

test("Symbols is offered exactly when the model's labels hold every symbol", async ({ page }) => {
  await openReady(page);
  const labels = await page.evaluate(() => window.pycnnTest.labels());
  const readsSymbols = [...SYMBOLS].every((c) => labels.includes(c));
  const symbols = readAs(page).locator("option[value=symbols]");
  if (readsSymbols) {
    await expect(symbols).toBeEnabled();
  } else {
    // Today's 62-class model: off, and the option says why.
    await expect(symbols).toBeDisabled();
    await expect(symbols).toHaveText("Symbols (not in this model)");
    expect(await symbols.getAttribute("title")).toContain("does not know");
  }
  for (const name of ["all", "digits", "upper", "lower", "letters"]) {
    await expect(readAs(page).locator(`option[value=${name}]`)).toBeEnabled();
  }
});

test("changing the set re-reads the drawing on the pad at once, without a second pass", async ({ page }) => {
  await openReady(page);
  await drawAndRecognise(page, SHAPES.circle);
  const sent = await page.evaluate(() => window.pycnnTest.recognitionsSent());
  const prediction = page.locator("#prediction");
  const labels = await page.evaluate(() => window.pycnnTest.labels());

  // The Look inside panel follows the set too.
  await page.locator("#inside > summary").click();
  for (const set of ["digits", "upper", "lower", "letters"]) {
    await readAs(page).selectOption(set);
    expect(await settledSet(page)).toBe(set);
    await expect(prediction).toHaveAttribute("data-set", set);
    await expect(prediction).toHaveText(IN_SET[set]);
    const guesses = await top5(page);
    expect(guesses).toHaveLength(5);
    for (const [label] of guesses) expect(label).toMatch(IN_SET[set]);
    expect(guesses[0][0]).toBe(await prediction.textContent());

    await page.waitForFunction(() => window.pycnnTest.insideCurrent(), null, { timeout: 60_000 });
    const excluded = page.locator("#inside .classes li.excluded");
    await expect(excluded).toHaveCount(labels.filter((l) => !IN_SET[set].test(l)).length);
    await expect(excluded.first()).toContainText("left out");
    await expect(page.locator("#inside .classes li.top")).toHaveAttribute("data-label", guesses[0][0]);
  }
  // The drawing went through the network once; every set after that was a re-read.
  expect(await page.evaluate(() => window.pycnnTest.recognitionsSent())).toBe(sent);
  expect(await page.evaluate(() => window.pycnnTest.rereadRequests())).toBeGreaterThanOrEqual(4);

  // Back to All: every character competes again.
  await readAs(page).selectOption("all");
  expect(await settledSet(page)).toBe("all");
  await page.waitForFunction(() => window.pycnnTest.insideCurrent(), null, { timeout: 60_000 });
  await expect(page.locator("#inside .classes li.excluded")).toHaveCount(0);
});

test("?set=digits in the link reads digits and wins over the stored choice", async ({ page }) => {
  await openReady(page);
  await readAs(page).selectOption("lower");

  await openReady(page, "./?set=digits");
  await expect(readAs(page)).toHaveValue("digits");
  await drawAndRecognise(page, SHAPES.circle);
  await expect(page.locator("#prediction")).toHaveText(IN_SET.digits);
  await expect(page.locator("#set-notice")).toBeHidden();

  // An explicit set: an option of its own, and only its characters are read.
  await openReady(page, "./?set=0123456789ABCDEF");
  await expect(readAs(page)).toHaveValue("0123456789ABCDEF");
  await expect(readAs(page).locator("option:checked")).toHaveText("From the link: 0123456789ABCDEF");
  await drawAndRecognise(page, SHAPES.circle);
  await expect(page.locator("#prediction")).toHaveText(/^[0-9A-F]$/);
  for (const [label] of await top5(page)) expect(label).toMatch(/^[0-9A-F]$/);

  // A link's set is not stored: without one, the visitor's own choice is back.
  await openReady(page, "./");
  await expect(readAs(page)).toHaveValue("lower");
});

test("a bad ?set= falls back to All with a visible notice, never a blank page", async ({ page }) => {
  await openReady(page);
  const labels = await page.evaluate(() => window.pycnnTest.labels());
  const bad = [
    ["", "empty"], // ?set= with nothing after it
    ["€", "does not know '€'"],
    ["capital letters", "does not know ' '"], // not a set's name, and a space is no character
    ["7".repeat(5000), "too long"],
  ];
  if (![...SYMBOLS].every((c) => labels.includes(c))) bad.push(["symbols", "does not know"]);
  for (const [value, reason] of bad) {
    await openReady(page, `./?set=${encodeURIComponent(value)}`);
    const notice = page.locator("#set-notice");
    await expect(notice).toBeVisible();
    await expect(notice).toContainText(reason);
    await expect(notice).toContainText("Reading all characters instead");
    expect((await notice.textContent()).length).toBeLessThan(400);
    await expect(readAs(page)).toHaveValue("all");
    await drawAndRecognise(page, SHAPES.seven);
    await expect(page.locator("#top5 li")).toHaveCount(5);
  }
});

test("with storage blocked the control still works, for this visit", async ({ page }) => {
  await page.addInitScript(() => {
    Object.defineProperty(window, "localStorage", {
      get() {
        throw new DOMException("The operation is insecure.", "SecurityError");
      },
    });
  });
  await openReady(page);
  await readAs(page).selectOption("upper");
  expect(await settledSet(page)).toBe("upper");
  await drawAndRecognise(page, SHAPES.circle);
  await expect(page.locator("#prediction")).toHaveText(IN_SET.upper);
  await expect(page.locator("#error")).toBeHidden();
  expect(hygiene.problems).toEqual([]);
});
