// The drawing page in a real Chromium: loading, drawing, controls, touch, keyboard, hygiene.
const {
  test, expect, checkHygieneOfEachTest, openReady, recognitions, settle, drawStrokes, drawAndRecognise,
  line, SHAPES, top5,
} = require("./helpers");

const hygiene = checkHygieneOfEachTest(test);

test("loads with progress by step and by bytes, then says it is ready", async ({ page, request }) => {
  const manifest = await (await request.get("files.json")).json();
  await openReady(page);
  await expect(page.locator("#status")).toContainText("Ready");
  await expect(page.locator("#load")).toBeHidden();
  await expect(page.locator("#recognise")).toBeEnabled();
  await expect(page.locator("#error")).toBeHidden();

  const log = await page.evaluate(() => window.pycnnTest.progressLog());
  const steps = [...new Set(log.map((entry) => entry.step))];
  expect(steps).toEqual([1, 2, 3, 4]);
  // Bytes: the total is what the worker downloads at start-up (Pyodide, pycnn but what only
  // learning or Word mode needs, the model, the shipped bytecode), and it gets there.
  const learning = new Set([...(manifest.learning || []), ...(manifest.words || [])]);
  const expected = manifest.files
    .filter((f) => !learning.has(f.path) && (/^(pyodide|pycnn)\//.test(f.path) ||
      ["weights/model.npz", "pyodide-bytecode.gz"].includes(f.path)))
    .reduce((sum, f) => sum + f.size, 0);
  expect(log[log.length - 1].total).toBe(expected);
  expect(log[log.length - 1].loaded).toBe(expected);
  const midway = log.filter((e) => e.loaded > 0 && e.loaded < e.total);
  expect(midway.length).toBeGreaterThan(0);
  for (let i = 1; i < log.length; i++) expect(log[i].loaded).toBeGreaterThanOrEqual(log[i - 1].loaded);
});

test("mouse drawing gives a prediction with a top 5 and the 28x28 input", async ({ page }) => {
  await openReady(page);
  await expect(page.locator("#prediction")).toHaveAttribute("data-count", "0");
  await drawAndRecognise(page, SHAPES.seven);

  const prediction = page.locator("#prediction");
  await expect(prediction).toHaveAttribute("data-empty", "false");
  expect(await recognitions(page)).toBeGreaterThanOrEqual(1);
  const guesses = await top5(page);
  expect(guesses).toHaveLength(5);
  await expect(page.locator("#top5 li")).toHaveCount(5);
  expect(await prediction.textContent()).toBe(guesses[0][0]);
  for (let i = 1; i < 5; i++) expect(guesses[i][1]).toBeLessThanOrEqual(guesses[i - 1][1]);
  const total = guesses.reduce((sum, [, p]) => sum + p, 0);
  expect(total).toBeGreaterThan(0);
  expect(total).toBeLessThanOrEqual(1.0001);
  expect(new Set(guesses.map(([label]) => label)).size).toBe(5);

  // The small canvas shows the network's input: some dark ink on white.
  const seen = await page.evaluate(() => {
    const data = document.querySelector("#seen").getContext("2d").getImageData(0, 0, 28, 28).data;
    let dark = 0;
    for (let i = 0; i < data.length; i += 4) if (data[i] < 128) dark++;
    return dark;
  });
  expect(seen).toBeGreaterThan(10);
  expect(seen).toBeLessThan(28 * 28 / 2);

  // The pixels sent are the pad's backing store: RGBA, ink in alpha, nothing else.
  const sent = await page.evaluate(() => window.pycnnTest.lastPixels());
  const info = await page.evaluate(() => window.pycnnTest.padInfo());
  expect([sent.width, sent.height]).toEqual([info.width, info.height]);
  const bytes = Buffer.from(sent.base64, "base64");
  expect(bytes.length).toBe(sent.width * sent.height * 4);
  let ink = 0;
  let coloured = 0;
  for (let i = 0; i < bytes.length; i += 4) {
    if (bytes[i + 3] > 0) ink++;
    if (bytes[i] || bytes[i + 1] || bytes[i + 2]) coloured++;
  }
  expect(ink).toBeGreaterThan(100);
  expect(coloured).toBe(0); // black ink (#000) on a transparent canvas
});

test("a visitor's page has no test hooks, and still reads a drawing", async ({ browser, baseURL }) => {
  // A context of its own, without the flag that tests/e2e/helpers.js sets in every other.
  const context = await browser.newContext({ baseURL });
  const page = await context.newPage();
  await openReady(page);
  await drawStrokes(page, SHAPES.seven);
  // One answer per stroke that finished before the next one began: one or two for a 7.
  await expect.poll(async () => Number(await page.locator("#prediction").getAttribute("data-count")))
    .toBeGreaterThanOrEqual(1);
  await expect(page.locator("#top5 li")).toHaveCount(5);
  expect(await page.evaluate(() => typeof window.pycnnTest)).toBe("undefined");
  await context.close();
});

test("an empty pad asks for a drawing instead of predicting", async ({ page }) => {
  await openReady(page);
  await page.locator("#recognise").click();
  await expect(page.locator("#prediction")).toHaveAttribute("data-count", "1");
  await expect(page.locator("#prediction")).toHaveAttribute("data-empty", "true");
  await expect(page.locator("#prediction")).toHaveText("");
  await expect(page.locator("#top5 li")).toHaveCount(0);
  await expect(page.locator("#prediction-note")).toContainText("draw");
});

test("Clear and Undo work from buttons and from the keyboard", async ({ page }) => {
  await openReady(page);
  const prediction = page.locator("#prediction");
  const strokeCount = () => page.evaluate(() => window.pycnnTest.strokeCount());

  // Clear button.
  await drawAndRecognise(page, SHAPES.one);
  await page.locator("#clear").click();
  expect(await strokeCount()).toBe(0);
  await expect(prediction).toHaveAttribute("data-empty", "true");
  await expect(page.locator("#top5 li")).toHaveCount(0);
  const inkLeft = await page.evaluate(() => {
    const pad = document.querySelector("#pad");
    const data = pad.getContext("2d").getImageData(0, 0, pad.width, pad.height).data;
    return data.some((v, i) => i % 4 === 3 && v > 0);
  });
  expect(inkLeft).toBe(false);

  // Undo button: two strokes, undo one, the answer is for the remaining stroke.
  await drawAndRecognise(page, SHAPES.plus);
  expect(await strokeCount()).toBe(2);
  const before = await recognitions(page);
  await page.locator("#undo").click();
  expect(await strokeCount()).toBe(1);
  await expect.poll(() => recognitions(page)).toBeGreaterThan(before);
  await settle(page);
  await expect(prediction).toHaveAttribute("data-empty", "false");
  await page.locator("#undo").click();
  expect(await strokeCount()).toBe(0);
  await expect(prediction).toHaveAttribute("data-empty", "true");
  // The pad is empty, but Undo can still bring back the drawing that Clear took.
  await expect(page.locator("#undo")).toBeEnabled();

  // Keyboard: Ctrl+Z undoes, Escape and Delete clear.
  await drawAndRecognise(page, SHAPES.plus);
  await page.keyboard.press("Control+z");
  expect(await strokeCount()).toBe(1);
  await settle(page);
  await page.keyboard.press("Escape");
  expect(await strokeCount()).toBe(0);
  await expect(prediction).toHaveAttribute("data-empty", "true");
  await drawAndRecognise(page, SHAPES.one);
  await page.keyboard.press("Delete");
  expect(await strokeCount()).toBe(0);
  await expect(prediction).toHaveAttribute("data-empty", "true");
});

test("every control is reachable and usable from the keyboard, with visible focus", async ({ page }) => {
  await openReady(page);
  const reached = [];
  for (let i = 0; i < 8; i++) {
    await page.keyboard.press("Tab");
    const id = await page.evaluate(() => document.activeElement && document.activeElement.id);
    reached.push(id);
    if (["pad", "recognise", "clear", "brush"].includes(id)) {
      const outline = await page.evaluate(() => {
        // The pad's ring is drawn by its frame: the pad's colour filter would clip its own.
        const focused = document.activeElement;
        const style = getComputedStyle(focused.id === "pad" ? focused.parentElement : focused);
        return { style: style.outlineStyle, width: parseFloat(style.outlineWidth) };
      });
      expect(outline.style, `focus ring on #${id}`).not.toBe("none");
      expect(outline.width).toBeGreaterThanOrEqual(2);
    }
  }
  for (const id of ["pad", "recognise", "clear", "brush"]) expect(reached).toContain(id);

  // The brush slider moves with the arrow keys and stays in its range.
  await page.locator("#brush").focus();
  const start = Number(await page.locator("#brush").inputValue());
  await page.keyboard.press("ArrowRight");
  expect(Number(await page.locator("#brush").inputValue())).toBeGreaterThan(start);
  for (let i = 0; i < 20; i++) await page.keyboard.press("ArrowRight");
  expect(Number(await page.locator("#brush").inputValue())).toBeCloseTo(0.08, 5);
  for (let i = 0; i < 30; i++) await page.keyboard.press("ArrowLeft");
  expect(Number(await page.locator("#brush").inputValue())).toBeCloseTo(0.025, 5);
  expect((await page.evaluate(() => window.pycnnTest.padInfo())).brush).toBeCloseTo(0.025, 5);

  // Recognise with the keyboard on the focused button, then clear with Enter on #clear.
  await drawStrokes(page, SHAPES.one);
  await settle(page);
  const before = await recognitions(page);
  await page.locator("#recognise").focus();
  await page.keyboard.press("Enter");
  await expect.poll(() => recognitions(page)).toBe(before + 1);
  await page.locator("#clear").focus();
  await page.keyboard.press("Enter");
  await expect(page.locator("#prediction")).toHaveAttribute("data-empty", "true");
});

test("the brush width is the pad size times the slider's fraction", async ({ page }) => {
  await openReady(page);
  await page.locator("#brush").fill("0.08");
  await drawAndRecognise(page, [line([0.2, 0.5], [0.8, 0.5])]);
  const { width, side } = await page.evaluate(() => window.pycnnTest.padInfo());
  const sent = await page.evaluate(() => window.pycnnTest.lastPixels());
  const bytes = Buffer.from(sent.base64, "base64");
  // Count the opaque rows in the middle column: the horizontal line's thickness.
  const column = Math.round(sent.width / 2);
  let rows = 0;
  for (let y = 0; y < sent.height; y++) if (bytes[(y * sent.width + column) * 4 + 3] > 127) rows++;
  const expected = 0.08 * side * (width / side);
  expect(Math.abs(rows - expected)).toBeLessThanOrEqual(2);
});

test.describe("on a phone with a touch screen", () => {
  test.use({ viewport: { width: 390, height: 740 }, hasTouch: true, isMobile: true, deviceScaleFactor: 2 });

  test("a finger draws without scrolling, on a sharp high-DPI pad", async ({ page }) => {
    await openReady(page);
    const info = await page.evaluate(() => window.pycnnTest.padInfo());
    expect(info.width).toBe(Math.round(info.side * 2)); // backing store = CSS size x DPR
    // The page is taller than the screen, so a swipe that scrolled would move it.
    const scrollable = await page.evaluate(() => document.documentElement.scrollHeight > innerHeight);
    expect(scrollable).toBe(true);
    const noSideways = await page.evaluate(() => document.documentElement.scrollWidth <= innerWidth);
    expect(noSideways).toBe(true);

    const box = await page.locator("#pad").boundingBox();
    const client = await page.context().newCDPSession(page);
    const touch = (type, x, y) => client.send("Input.dispatchTouchEvent", {
      type,
      touchPoints: type === "touchEnd" ? [] : [{ x: box.x + x * box.width, y: box.y + y * box.height }],
    });
    const scrollBefore = await page.evaluate(() => window.scrollY);
    const before = await recognitions(page);
    await touch("touchStart", 0.5, 0.15);
    for (let i = 1; i <= 15; i++) await touch("touchMove", 0.5, 0.15 + i * 0.045);
    await touch("touchEnd");
    await expect.poll(() => recognitions(page)).toBeGreaterThan(before);
    await settle(page);
    expect(await page.evaluate(() => window.pycnnTest.lastPointerType())).toBe("touch");
    expect(await page.evaluate(() => window.scrollY)).toBe(scrollBefore);
    await expect(page.locator("#top5 li")).toHaveCount(5);
    await expect(page.locator("#prediction")).toHaveAttribute("data-empty", "false");
  });
});

test("a Content-Security-Policy keeps requests on the page's own origin", async ({ page }) => {
  await openReady(page);
  const policy = await page.locator('meta[http-equiv="Content-Security-Policy"]').getAttribute("content");
  expect(policy).toContain("default-src 'self'");
  expect(policy).toContain("connect-src 'self'");
  // The browser enforces it: a fetch to another origin is refused before it leaves.
  const outcome = await page.evaluate(async () => {
    const violations = [];
    document.addEventListener("securitypolicyviolation", (e) => violations.push(e.violatedDirective));
    try {
      await fetch("http://127.0.0.2:9/blocked");
      return { fetched: true, violations };
    } catch (error) {
      await new Promise((resolve) => setTimeout(resolve, 50));
      return { fetched: false, violations };
    }
  });
  expect(outcome.fetched).toBe(false);
  expect(outcome.violations).toContain("connect-src");
  // That refusal is logged by Chromium as a console error on purpose; nothing else may be.
  hygiene.problems.splice(0, hygiene.problems.length,
    ...hygiene.problems.filter((p) => !p.includes("127.0.0.2") && !p.includes("Content Security Policy")));
});

test("every URL is relative: the site works under a sub-path", async ({ page, baseURL }) => {
  // Serve the same files under /some/sub/path/ by forwarding to the real server.
  const prefix = "/some/sub/path/";
  await page.context().route((url) => url.pathname.startsWith(prefix), async (route) => {
    const url = new URL(route.request().url());
    url.pathname = "/" + url.pathname.slice(prefix.length);
    const response = await route.fetch({ url: url.toString() });
    await route.fulfill({ response });
  });
  await page.context().route((url) => !url.pathname.startsWith(prefix) && url.origin === new URL(baseURL).origin,
    (route) => route.abort());
  await openReady(page, prefix);
  await drawAndRecognise(page, SHAPES.one);
  await expect(page.locator("#top5 li")).toHaveCount(5);
  // The service worker keeps fetching in the background (its install copies the site):
  // let it finish, and let every forwarded request settle before the page closes, or a
  // forward still in flight fails as its response is disposed with the context.
  await page.evaluate(() => navigator.serviceWorker.ready);
  await page.context().unrouteAll({ behavior: "wait" });
  const outside = [...hygiene.requested].filter((u) => !new URL(u).pathname.startsWith(prefix));
  expect(outside).toEqual([]);
});

test("a failure while loading is shown in plain words", async ({ page }) => {
  await page.route("**/pyodide/numpy.data", (route) => route.abort());
  await page.goto("./");
  const error = page.locator("#error");
  await expect(error).toBeVisible({ timeout: 120_000 });
  await expect(error).toContainText("could not start");
  await expect(error).toContainText("pyodide/numpy.data could not be downloaded");
  await expect(error).not.toContainText("Traceback");
  await expect(error).not.toContainText("Uncaught");
  await expect(page.locator("body")).toHaveAttribute("data-ready", "false");
  await expect(page.locator("#recognise")).toBeDisabled();
  await expect(page.locator("#load")).toBeHidden();
  // The aborted download is logged by Chromium (and re-thrown in the worker) on purpose here.
  hygiene.problems.length = 0;
});
