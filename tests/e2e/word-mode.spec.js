// The Character / Word switch: Character mode starts as it always did (no word file fetched),
// Word mode loads the word reader on its first use with a status saying so, the mode is kept
// across visits and a link can ask for it, the switch works from the keyboard, and axe-core
// finds nothing wrong in Word mode.
const path = require("node:path");
const {
  test, expect, checkHygieneOfEachTest, openReady, openWordMode, writeWord, wordSamples,
} = require("./helpers");
const { ROOT } = require("./env");

const hygiene = checkHygieneOfEachTest(test);

/** The paths of Word mode's files (files.json's "words") among the URLs requested so far. */
async function wordFilesRequested(request) {
  const manifest = await (await request.get("files.json")).json();
  expect(manifest.words.length).toBeGreaterThan(0);
  const words = new Set(manifest.words.map((p) => `/${p}`));
  return [...hygiene.requested].map((url) => new URL(url).pathname).filter((p) => words.has(p));
}

test("Character mode starts as before, without Word mode's files; the first visit to Word mode loads them, saying so", async ({ page, request }) => {
  // What the page itself requests (the service worker's install copies every file of the
  // site for offline use, modules too, but runs none of them).
  const pageRequests = [];
  page.on("request", (r) => {
    if (!r.serviceWorker()) pageRequests.push(new URL(r.url()).pathname);
  });
  await openReady(page);
  await expect(page.locator("#mode-character")).toHaveAttribute("aria-pressed", "true");
  await expect(page.locator("#mode-word")).toHaveAttribute("aria-pressed", "false");
  await expect(page.locator("#word-panel")).toBeHidden();
  await expect(page.locator("#pad")).toBeVisible();
  await expect(page.locator("#status")).toContainText("Ready. The network knows");
  // Wait until the offline copy is made: its install must not fetch Word mode's files either.
  await expect(page.locator("#offline")).toBeVisible({ timeout: 120_000 });
  expect(await wordFilesRequested(request)).toEqual([]);
  expect(await page.evaluate(() => document.body.dataset.wordsReady)).toBeUndefined();
  // Nor does the page load Word mode's own modules (only the switch, web/word-mode.js).
  const wordModules = () => pageRequests
    .filter((p) => /^\/(word-(?!mode)[a-z-]+|text-line|personal-words)\.js$/.test(p));
  expect(wordModules()).toEqual([]);

  // Every status line Word mode shows while it loads.
  await page.evaluate(() => {
    window.wordStatuses = [];
    const status = document.querySelector("#word-status");
    new MutationObserver(() => window.wordStatuses.push(status.textContent))
      .observe(status, { childList: true, characterData: true, subtree: true });
  });
  await page.locator("#mode-word").click();
  await expect(page.locator("#mode-word")).toHaveAttribute("aria-pressed", "true");
  await expect(page.locator("#word-panel")).toBeVisible();
  await expect(page.locator("#pad")).toBeHidden();
  await expect(page.locator("body")).toHaveAttribute("data-words-ready", "true", { timeout: 120_000 });
  await expect(page.locator("#word-status")).toContainText("Ready");
  const statuses = await page.evaluate(() => window.wordStatuses);
  expect(statuses).toContain("Loading the word reader…");
  expect((await wordFilesRequested(request)).length).toBeGreaterThan(0);
  expect(wordModules()).toContain("/word-panel.js");
  // "Read as" moved with the mode: one control, beside the reading it changes.
  await expect(page.locator("#word-panel #read-as")).toBeVisible();
  await expect(page.locator("#read-as")).toHaveCount(1);

  // Back to characters: the character pad reads again, its Read as back beside its answer.
  await page.locator("#mode-character").click();
  await expect(page.locator("#word-panel")).toBeHidden();
  await expect(page.locator(".result-panel #read-as")).toBeVisible();
});

test("the mode is kept across visits, ?mode=word links to Word mode, and the switch works from the keyboard", async ({ page }) => {
  await openReady(page);
  // From the keyboard: Tab to the switch, Enter.
  await page.locator("#mode-word").focus();
  await page.keyboard.press("Enter");
  await expect(page.locator("#mode-word")).toHaveAttribute("aria-pressed", "true");
  await expect(page.locator("body")).toHaveAttribute("data-words-ready", "true", { timeout: 120_000 });
  await page.reload();
  await expect(page.locator("body")).toHaveAttribute("data-ready", "true", { timeout: 120_000 });
  await expect(page.locator("#mode-word")).toHaveAttribute("aria-pressed", "true");
  await expect(page.locator("#word-panel")).toBeVisible();
  await expect(page.locator("body")).toHaveAttribute("data-words-ready", "true", { timeout: 120_000 });

  await page.locator("#mode-character").press("Space");
  await expect(page.locator("#mode-character")).toHaveAttribute("aria-pressed", "true");
  await page.reload();
  await expect(page.locator("body")).toHaveAttribute("data-ready", "true", { timeout: 120_000 });
  await expect(page.locator("#mode-character")).toHaveAttribute("aria-pressed", "true");
  await expect(page.locator("#word-panel")).toBeHidden();

  // A link asks for Word mode; it does not change the kept mode.
  await openWordMode(page, "./?mode=word");
  await expect(page.locator("#mode-word")).toHaveAttribute("aria-pressed", "true");
  await page.goto("./");
  await expect(page.locator("body")).toHaveAttribute("data-ready", "true", { timeout: 120_000 });
  await expect(page.locator("#mode-character")).toHaveAttribute("aria-pressed", "true");
  // A bad mode in a link is the kept one.
  await page.goto("./?mode=sideways");
  await expect(page.locator("body")).toHaveAttribute("data-ready", "true", { timeout: 120_000 });
  await expect(page.locator("#mode-character")).toHaveAttribute("aria-pressed", "true");
});

async function axeViolations(page) {
  await page.addScriptTag({ path: path.join(ROOT, "node_modules", "axe-core", "axe.min.js") });
  const result = await page.evaluate(() => window.axe.run(document, { resultTypes: ["violations"] }));
  return result.violations.map((v) => `${v.id}: ${v.nodes.map((n) => n.target.join(" ")).join(", ")}`);
}

for (const scheme of ["light", "dark"]) {
  test(`axe-core finds no violations in Word mode, with a reading, Not right? and Your words open (${scheme})`, async ({ page }) => {
    test.setTimeout(5 * 60_000);
    await page.emulateMedia({ colorScheme: scheme });
    // axe.min.js is injected as a script of the page: the test's copy of the page allows it.
    await page.route((url) => url.pathname === "/", async (route) => {
      const response = await route.fetch();
      const html = (await response.text()).replace(/<meta http-equiv="Content-Security-Policy"[^>]*>/s, "");
      await route.fulfill({ response, body: html });
    });
    const [sample] = wordSamples(["--count", "1"]);
    await openWordMode(page);
    expect(await axeViolations(page)).toEqual([]);
    await writeWord(page, sample.strokes);
    await page.locator("#word-raw .letter").first().hover();
    expect(await axeViolations(page)).toEqual([]);
    await page.locator("#word-not-right").click();
    await expect(page.locator("#word-typed")).toBeFocused();
    await page.locator("#your-words > summary").click();
    expect(await axeViolations(page)).toEqual([]);
  });
}

test("a word reader that can't be downloaded says so in a sentence, and choosing Word again tries again", async ({ page }) => {
  // The word model's download fails once (the connection drops).
  let failed = 0;
  await page.context().route("**/weights/words.npz", async (route) => {
    if (failed++ === 0) await route.abort("connectionreset");
    else await route.continue();
  });
  await openReady(page);
  await page.locator("#mode-word").click();
  await expect(page.locator("#word-error")).toBeVisible({ timeout: 120_000 });
  await expect(page.locator("#word-error")).toContainText("The word reader could not be loaded");
  await expect(page.locator("#word-status")).toHaveText("Word mode could not start.");
  // The browser reports the dropped download as a console error: expected here.
  hygiene.problems.splice(0);
  await page.locator("#mode-character").click();
  await page.locator("#mode-word").click();
  await expect(page.locator("body")).toHaveAttribute("data-words-ready", "true", { timeout: 120_000 });
  await expect(page.locator("#word-error")).toBeHidden();
  await expect(page.locator("#word-status")).toContainText("Ready");
  expect(failed).toBe(2);
});
