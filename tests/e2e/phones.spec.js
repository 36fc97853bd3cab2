// Issue 12, "The page everywhere": on a phone, upright or on its side, the pad and the answer
// share the first screen, so a visitor sees what the network read without scrolling (and the
// pad, which takes every touch for drawing, never has to be scrolled past to get there).
const {
  test, expect, checkHygieneOfEachTest, openReady, drawAndRecognise, SHAPES,
} = require("./helpers");

checkHygieneOfEachTest(test);

test.use({ viewport: { width: 360, height: 640 }, hasTouch: true, isMobile: true, deviceScaleFactor: 2 });

/** The element's box lies inside the viewport (its whole box, not just a corner). */
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
  { width: 375, height: 667 },
  { width: 390, height: 844, top: 3 },
  { width: 844, height: 390 },
  { width: 640, height: 360 },
];

test("the pad, the answer and its confidence fit the first screen on phones, both ways up", async ({ page }) => {
  await openReady(page);
  for (const viewport of VIEWPORTS) {
    await page.setViewportSize(viewport);
    await page.evaluate(() => window.scrollTo(0, 0));
    await page.locator("#clear").click();
    await drawAndRecognise(page, SHAPES.seven);
    expect(await page.evaluate(() => window.scrollY), "drawing did not scroll").toBe(0);
    await expectOnScreen(page, "#pad", viewport);
    await expectOnScreen(page, "#prediction", viewport);
    await expect(page.locator("#prediction-note")).toContainText("sure");
    await expectOnScreen(page, "#prediction-note", viewport);
    for (let rank = 1; rank <= (viewport.top || 0); rank++) {
      await expectOnScreen(page, `#top5 li:nth-child(${rank})`, viewport);
    }
    // The pad stays a usable size: a finger can draw a character on it.
    const pad = await page.locator("#pad").boundingBox();
    expect(pad.width).toBeGreaterThanOrEqual(180);
  }
});
