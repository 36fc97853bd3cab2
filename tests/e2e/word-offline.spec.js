// Word mode offline: once Word mode has been used, its files are in the offline copy, so a
// reload with the network off still reads words (and a visitor who never used it never
// downloaded them; tests/e2e/word-mode.spec.js checks that).
const { test, expect, watchHygiene, writeWord, wordSamples } = require("./helpers");

test("after the first use of Word mode, a reload with the network off still reads a word", async ({ context, page, baseURL, request }) => {
  test.setTimeout(6 * 60_000);
  const hygiene = watchHygiene(context, baseURL);
  const [sample] = wordSamples(["--count", "1"]);
  const manifest = await (await request.get("files.json")).json();
  await page.goto("./?mode=word");
  await expect(page.locator("body")).toHaveAttribute("data-words-ready", "true", { timeout: 120_000 });
  await expect(page.locator("#offline")).toBeVisible({ timeout: 120_000 });
  await writeWord(page, sample.strokes);
  const online = (await page.evaluate(() => window.pycnnTest.word.shown())).words;
  // Word mode's files reach the offline copy once fetched.
  await expect.poll(async () => page.evaluate(async (paths) => {
    const names = await caches.keys();
    const cache = await caches.open(names.find((n) => n.startsWith("pycnn-")));
    const cached = new Set((await cache.keys()).map((r) => new URL(r.url).pathname));
    return paths.filter((p) => !cached.has(`/${p}`));
  }, manifest.words), { timeout: 60_000 }).toEqual([]);

  await context.setOffline(true);
  const problemsBefore = hygiene.problems.length;
  const uncached = await page.evaluate(() => fetch("not-cached-" + Date.now()).then(() => "ok", () => "failed"));
  expect(uncached).toBe("failed"); // the network is really off (Chromium logs it: excused)
  await page.waitForTimeout(100);
  hygiene.problems.splice(problemsBefore);

  await page.reload();
  await expect(page.locator("body")).toHaveAttribute("data-words-ready", "true", { timeout: 120_000 });
  expect(await page.evaluate(() => navigator.serviceWorker.controller !== null)).toBe(true);
  await writeWord(page, sample.strokes);
  await expect(page.locator("#word-reading")).toHaveAttribute("data-empty", "false");
  expect((await page.evaluate(() => window.pycnnTest.word.shown())).words).toEqual(online);
  await context.setOffline(false);
  hygiene.check();
});
