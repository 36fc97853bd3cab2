// After one visit the service worker holds the whole site: with the network off, a reload
// still loads Pyodide, NumPy, pycnn and the model, and still recognises.
const { test, expect, watchHygiene, openReady, drawAndRecognise, SHAPES } = require("./helpers");

test("after the first visit, a reload with the network off still recognises", async ({ context, page, baseURL }) => {
  const hygiene = watchHygiene(context, baseURL);
  await openReady(page);
  await expect(page.locator("#offline")).toBeVisible({ timeout: 120_000 });
  const cached = await page.evaluate(async () => {
    const names = await caches.keys();
    const cache = await caches.open(names.find((n) => n.startsWith("pycnn-")));
    return (await cache.keys()).map((r) => new URL(r.url).pathname);
  });
  const manifest = await page.evaluate(async () => (await fetch("files.json")).json());
  // Everything but Word mode's files, which are kept once Word mode is first used
  // (word-offline.spec.js).
  const words = new Set(manifest.words || []);
  for (const file of manifest.files) {
    if (words.has(file.path)) expect(cached).not.toContain("/" + file.path);
    else expect(cached).toContain("/" + file.path);
  }

  await context.setOffline(true);
  // Prove the network is really off for this page: an uncached URL fails (and Chromium logs
  // that failure as a console error, which is expected here and only here).
  const problemsBefore = hygiene.problems.length;
  const uncached = await page.evaluate(() => fetch("not-cached-" + Date.now()).then(() => "ok", () => "failed"));
  expect(uncached).toBe("failed");
  await page.waitForTimeout(100);
  hygiene.problems.splice(problemsBefore);

  await page.reload();
  await expect(page.locator("body")).toHaveAttribute("data-ready", "true", { timeout: 120_000 });
  expect(await page.evaluate(() => navigator.serviceWorker.controller !== null)).toBe(true);
  await drawAndRecognise(page, SHAPES.seven);
  await expect(page.locator("#top5 li")).toHaveCount(5);
  await expect(page.locator("#prediction")).toHaveAttribute("data-empty", "false");
  await context.setOffline(false);
  hygiene.check();
});
