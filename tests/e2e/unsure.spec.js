// "I'm not sure": when the worker's answer carries unsure (what is shown
// below the model's threshold, chosen by pycnn.derive_lookalikes), the page still shows the
// guesses but words them as guesses, on screen and in the screen-reader announcement. The
// page follows the flag, whatever the threshold: the shipped model's own threshold decides
// the first test; the second sets the live recognizer's threshold in the worker, so it does
// not depend on which model is shipped.
const { test, expect, checkHygieneOfEachTest, openReady, drawAndRecognise, line } = require("./helpers");

checkHygieneOfEachTest(test);

const DOT = [[[0.5, 0.5]]];
const SCRIBBLE = [[...line([0.25, 0.3], [0.75, 0.7], 6), ...line([0.75, 0.7], [0.3, 0.75], 6),
  ...line([0.3, 0.75], [0.7, 0.25], 6), ...line([0.7, 0.25], [0.35, 0.45], 6)]];

async function shown(page) {
  return {
    result: await page.evaluate(() => window.pycnnTest.lastResult()),
    unsure: await page.locator("#prediction").getAttribute("data-unsure"),
    note: await page.locator("#prediction-note").textContent(),
    announce: await page.locator("#announce").textContent(),
    top: await page.locator("#top5 li").count(),
    firstShare: await page.locator("#top5 li .value").first().textContent(), // as the page writes it
  };
}

function expectWording({ result, unsure, note, announce, top, firstShare }) {
  const [label] = result.top5[0];
  expect(top).toBe(result.top5.length);
  if (result.unsure) {
    expect(unsure).toBe("true");
    expect(note).toMatch(/^Not sure — maybe /);
    expect(note).toContain(label);
    expect(note).toContain(`(${firstShare}`);
    expect(announce).toMatch(/^(Read as [^.]*\. )?Not sure\. Maybe /);
  } else {
    expect(unsure).toBe("false");
    expect(note).not.toContain("Not sure");
    expect(announce).not.toContain("Not sure");
  }
}

test("the page words an answer as unsure exactly when the worker says so (shipped model)", async ({ page }) => {
  await openReady(page);
  for (const drawing of [DOT, SCRIBBLE]) {
    await page.locator("#pad").focus();
    await page.keyboard.press("Escape");
    await drawAndRecognise(page, drawing);
    const state = await shown(page);
    console.log(`shipped model: ${JSON.stringify(state.result.top5[0])}, unsure ${state.result.unsure}`);
    expectWording(state);
  }
});

test("below the threshold a dot reads 'Not sure — maybe ...', the top guesses stay, and the announcement says so", async ({ page }) => {
  await openReady(page);
  const [worker] = page.workers();
  const threshold = (value) => worker.evaluate((v) => {
    self.pyodide.runPython(`page_api.recognizer.unsure_below = ${v}`);
  }, value);
  await threshold(1.0); // every answer is below 100%
  await drawAndRecognise(page, DOT);
  let state = await shown(page);
  expect(state.result.unsure).toBe(true);
  expect(state.top).toBe(5);
  expectWording(state);
  await expect(page.locator("#prediction")).not.toBeEmpty();

  await threshold(0.0); // never unsure
  await page.locator("#pad").focus();
  await page.keyboard.press("Escape");
  await drawAndRecognise(page, DOT);
  state = await shown(page);
  expect(state.result.unsure).toBe(false);
  expectWording(state);
  // Worded as an answer: its confidence, or, when the leaders are look-alikes (the shipped
  // model reads a lone dot as "o or 0" in All, symbols being rare there), the sets that tell
  // them apart.
  if ((await page.locator("#prediction").textContent()).includes(" or ")) {
    expect(state.note).toMatch(/look the same .*Choose /);
  } else {
    expect(state.note).toMatch(/sure$/);
  }
});
