// Word mode on phones, upright or on its side: the pad spans the screen's width and the
// reading shows under it on the same screen, so a word is written and read without
// scrolling; a finger writes on it with touch events.
const {
  test, expect, checkHygieneOfEachTest, openWordMode, writeWord, wordSamples,
} = require("./helpers");

checkHygieneOfEachTest(test);

test.use({ viewport: { width: 360, height: 640 }, hasTouch: true, isMobile: true, deviceScaleFactor: 2 });

/** The element's whole box lies inside the viewport. */
async function expectOnScreen(page, selector, viewport) {
  const box = await page.locator(selector).boundingBox();
  expect(box, `${selector} is laid out`).not.toBeNull();
  const where = `${selector} at ${JSON.stringify(box)} in ${viewport.width}×${viewport.height}`;
  expect(box.x, where).toBeGreaterThanOrEqual(0);
  expect(box.y, where).toBeGreaterThanOrEqual(0);
  expect(box.x + box.width, where).toBeLessThanOrEqual(viewport.width + 0.5);
  expect(box.y + box.height, where).toBeLessThanOrEqual(viewport.height + 0.5);
}

const VIEWPORTS = [
  { width: 360, height: 640 },
  { width: 390, height: 844 },
  { width: 640, height: 360 },
  { width: 844, height: 390 },
];

test("the word pad spans the screen and the reading is on the same screen, both ways up", async ({ page }) => {
  test.setTimeout(6 * 60_000);
  const [sample] = wordSamples(["--count", "1", "--max-width", "2"]);
  await openWordMode(page);
  for (const viewport of VIEWPORTS) {
    await page.setViewportSize(viewport);
    await page.evaluate(() => window.scrollTo(0, 0));
    await page.locator("#word-clear").click();
    await writeWord(page, sample.strokes);
    expect(await page.evaluate(() => window.scrollY), "writing did not scroll").toBe(0);
    await expectOnScreen(page, "#word-pad", viewport);
    await expectOnScreen(page, "#word-reading", viewport);
    await expectOnScreen(page, "#word-best", viewport);
    await expectOnScreen(page, "#word-add", viewport);
    await expect(page.locator("#word-reading")).toHaveAttribute("data-empty", "false");
    // The full width, less the page's and the panel's narrow margins; high enough to write in.
    const pad = await page.locator("#word-pad").boundingBox();
    expect(pad.width, `pad width in ${viewport.width}×${viewport.height}`).toBeGreaterThanOrEqual(viewport.width - 48);
    expect(pad.height).toBeGreaterThanOrEqual(90);
    // Wider than high, but never so wide for its height that a word can't be read as one.
    expect(pad.width / pad.height).toBeLessThanOrEqual(7);
    if (process.env.PYCNN_SHOTS) await page.screenshot({ path: `${process.env.PYCNN_SHOTS}/word-${viewport.width}x${viewport.height}.png` });
  }
});

test("a finger writes on the word pad: touch strokes are read, and the page does not scroll", async ({ page }) => {
  test.setTimeout(4 * 60_000);
  await openWordMode(page);
  const pad = page.locator("#word-pad");
  const box = await pad.boundingBox();
  // A few touch strokes (a "w" and an "i" shape), sent as the browser sends a finger's.
  const client = await page.context().newCDPSession(page);
  const touch = async (points) => {
    const at = ([x, y]) => ({ x: box.x + x * box.width, y: box.y + y * box.height });
    await client.send("Input.dispatchTouchEvent", { type: "touchStart", touchPoints: [at(points[0])] });
    for (const point of points.slice(1)) {
      await client.send("Input.dispatchTouchEvent", { type: "touchMove", touchPoints: [at(point)] });
    }
    await client.send("Input.dispatchTouchEvent", { type: "touchEnd", touchPoints: [] });
  };
  const before = Number(await page.locator("#word-reading").getAttribute("data-count"));
  await touch([[0.3, 0.3], [0.35, 0.7], [0.4, 0.4], [0.45, 0.7], [0.5, 0.3]]);
  await touch([[0.58, 0.4], [0.58, 0.7]]);
  await page.waitForFunction((count) => Number(document.querySelector("#word-reading").dataset.count) > count &&
    window.pycnnTest.word.settled(), before, { timeout: 60_000 });
  expect(await page.evaluate(() => window.pycnnTest.word.strokeCount())).toBe(2);
  await expect(page.locator("#word-reading")).toHaveAttribute("data-empty", "false");
  expect(await page.evaluate(() => window.scrollY)).toBe(0);
});
