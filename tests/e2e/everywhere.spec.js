// Issue 12, "The page everywhere", the smaller findings: strokes that leave the pad, keys
// that belong to the pad and an undoable Clear, a change of pixel density alone, what a
// screen reader hears, focus after a jump from the network diagram, and axe-core's audit.
const path = require("node:path");
const {
  test, expect, checkHygieneOfEachTest, openReady, recognitions, settle, settleInside, drawStrokes,
  drawAndRecognise, line, SHAPES,
} = require("./helpers");
const { ROOT } = require("./env");

checkHygieneOfEachTest(test);

const strokeCount = (page) => page.evaluate(() => window.pycnnTest.strokeCount());

/** Alpha of the pad's backing store at pad fractions (x, y): the ink there, 0 to 255. */
async function inkAt(page, x, y) {
  return page.evaluate(([fx, fy]) => {
    const pad = document.querySelector("#pad");
    const px = Math.min(pad.width - 1, Math.floor(fx * pad.width));
    const py = Math.min(pad.height - 1, Math.floor(fy * pad.height));
    return pad.getContext("2d").getImageData(px, py, 1, 1).data[3];
  }, [x, y]);
}

test("a stroke that leaves the pad leaves no ink along the border", async ({ page }) => {
  await openReady(page);
  // In at the middle, out through the right edge, down outside the pad, back in low down.
  await drawAndRecognise(page, [[
    ...line([0.5, 0.3], [1.4, 0.3], 8), ...line([1.4, 0.3], [1.4, 0.8], 8).slice(1),
    ...line([1.4, 0.8], [0.6, 0.8], 8).slice(1),
  ]]);
  expect(await inkAt(page, 0.75, 0.3)).toBeGreaterThan(200); // where the pointer went
  expect(await inkAt(page, 0.75, 0.8)).toBeGreaterThan(200);
  // Along the right border between the two crossings the pointer was outside: no ink.
  for (const y of [0.45, 0.55, 0.65]) expect(await inkAt(page, 0.995, y), `border at y=${y}`).toBe(0);
});

test("Esc and Delete clear only from the pad, and Undo brings a cleared drawing back", async ({ page }) => {
  await openReady(page);
  await drawAndRecognise(page, SHAPES.plus);
  // Keys pressed elsewhere leave the drawing alone: the slider, the set menu, the panel.
  for (const selector of ["#brush", "#read-as", "#inside > summary"]) {
    await page.locator(selector).focus();
    await page.keyboard.press("Escape");
    await page.keyboard.press("Delete");
    expect(await strokeCount(page), `keys on ${selector}`).toBe(2);
  }
  // On the pad, Escape clears, and Ctrl+Z undoes the clear and reads the drawing again.
  await page.locator("#pad").focus();
  await page.keyboard.press("Escape");
  expect(await strokeCount(page)).toBe(0);
  await expect(page.locator("#prediction")).toHaveAttribute("data-empty", "true");
  let before = await recognitions(page);
  await page.keyboard.press("Control+z");
  expect(await strokeCount(page)).toBe(2);
  await expect.poll(() => recognitions(page)).toBeGreaterThan(before);
  await settle(page);
  await expect(page.locator("#prediction")).toHaveAttribute("data-empty", "false");
  // The Clear button too, undone with the Undo button.
  await page.locator("#clear").click();
  expect(await strokeCount(page)).toBe(0);
  before = await recognitions(page);
  await page.locator("#undo").click();
  expect(await strokeCount(page)).toBe(2);
  await expect.poll(() => recognitions(page)).toBeGreaterThan(before);
  await settle(page);
  await expect(page.locator("#top5 li")).toHaveCount(5);
  // After drawing with the mouse the pad has focus, so its keys work at once; a pointer's
  // focus draws no ring, the keyboard's does.
  await drawAndRecognise(page, SHAPES.one);
  const ring = () => page.evaluate(() => getComputedStyle(document.querySelector("#pad").parentElement).outlineStyle);
  expect(await ring()).toBe("none");
  await page.keyboard.press("Delete");
  expect(await strokeCount(page)).toBe(0);
});

test("a change of pixel density alone gives the pad a new backing store with the same strokes", async ({ page }) => {
  // Chromium's emulation changes devicePixelRatio without telling the media queries, as a
  // move to another screen would: the test keeps the page's resolution queries and tells
  // them itself, the way the browser does.
  await page.addInitScript(() => {
    const original = window.matchMedia.bind(window);
    window.pycnnResolutionQueries = [];
    window.matchMedia = (text) => {
      const query = original(text);
      if (/resolution/.test(text)) window.pycnnResolutionQueries.push(query);
      return query;
    };
  });
  const tellQueries = () => page.evaluate(() => {
    for (const query of window.pycnnResolutionQueries.splice(0)) {
      if (!query.matches) query.dispatchEvent(new Event("change"));
      else window.pycnnResolutionQueries.push(query);
    }
  });
  await openReady(page);
  await drawAndRecognise(page, SHAPES.seven);
  const before = await page.evaluate(() => window.pycnnTest.padInfo());
  const viewport = page.viewportSize();
  // The window moves to a screen with twice the density: same CSS size, new ratio.
  const cdp = await page.context().newCDPSession(page);
  await cdp.send("Emulation.setDeviceMetricsOverride", {
    width: viewport.width, height: viewport.height, deviceScaleFactor: 2, mobile: false,
  });
  await tellQueries();
  await expect.poll(() => page.evaluate(() => window.pycnnTest.padInfo().width)).toBe(Math.round(before.side * 2));
  const after = await page.evaluate(() => window.pycnnTest.padInfo());
  expect(after.side).toBe(before.side);
  expect(await strokeCount(page)).toBe(2);
  expect(await inkAt(page, 0.5, 0.25)).toBeGreaterThan(200); // the 7's bar, redrawn
  // And back: the query for the new ratio is watched too.
  await cdp.send("Emulation.setDeviceMetricsOverride", {
    width: viewport.width, height: viewport.height, deviceScaleFactor: 1, mobile: false,
  });
  await tellQueries();
  await expect.poll(() => page.evaluate(() => window.pycnnTest.padInfo().width)).toBe(before.side);
  expect(await inkAt(page, 0.5, 0.25)).toBeGreaterThan(200);
});

test("the live region says the character and how sure the network is", async ({ page }) => {
  await openReady(page);
  await drawAndRecognise(page, SHAPES.seven);
  const announce = page.locator("#announce");
  await expect(announce).toHaveAttribute("aria-live", "polite");
  const note = await page.locator("#prediction-note").textContent();
  if (await page.locator("#prediction").getAttribute("data-lookalikes") === "true") {
    await expect(announce).toContainText(/percent/);
  } else {
    // "Top guess: 7, 98 percent sure.": the same number as the note on screen ("98% sure").
    const label = await page.locator("#prediction").textContent();
    const number = /^(<?)([\d.]+)% sure$/.exec(note);
    expect(number, note).not.toBeNull();
    const said = /^\d$/.test(label) ? label : `(capital|small)? ?${label}`;
    await expect(announce).toHaveText(new RegExp(
      `Top guess: ${said}, ${number[1] ? "less than " : ""}${number[2].replace(".", "\\.")} percent sure\\.`));
  }
});

test("a jump from the network diagram takes focus to that layer's heading", async ({ page }) => {
  await openReady(page);
  await drawAndRecognise(page, SHAPES.seven);
  await page.locator("#inside > summary").click();
  await settleInside(page);
  const links = page.locator("#inside-diagram a");
  const target = await links.nth(3).getAttribute("href");
  await links.nth(3).focus();
  await page.keyboard.press("Enter");
  const focused = () => page.evaluate(() => document.activeElement && document.activeElement.id);
  await expect.poll(focused).toBe(`${target.slice(1)}-heading`);
  await expect(page.locator(target)).toBeInViewport();
  // Tab carries on from that layer (to its link back up), not from the top of the diagram.
  await page.keyboard.press("Tab");
  const inLayer = await page.evaluate((id) => !!document.activeElement.closest(id), target);
  expect(inLayer).toBe(true);
  await page.keyboard.press("Enter");
  await expect.poll(focused).toBe("diagram-heading");
});

async function axeViolations(page) {
  await page.addScriptTag({ path: path.join(ROOT, "node_modules", "axe-core", "axe.min.js") });
  const result = await page.evaluate(() => window.axe.run(document, { resultTypes: ["violations"] }));
  return result.violations.map((v) => `${v.id} (${v.impact}): ${v.nodes.map((n) => n.target.join(" ")).join(", ")}`);
}

test("axe-core finds no violations, with the panel closed and open", async ({ page }) => {
  // axe.min.js is injected as a script of the page: the test's copy of the page allows it.
  await page.route("**/", async (route) => {
    const response = await route.fetch();
    const html = (await response.text()).replace(/<meta http-equiv="Content-Security-Policy"[^>]*>/s, "");
    await route.fulfill({ response, body: html });
  });
  await openReady(page);
  await drawAndRecognise(page, SHAPES.seven);
  expect(await axeViolations(page)).toEqual([]);
  await page.locator("#inside > summary").click();
  await settleInside(page);
  expect(await axeViolations(page)).toEqual([]);
});
