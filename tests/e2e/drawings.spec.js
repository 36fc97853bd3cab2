// Real handwriting from writers the model never saw, replayed as mouse drags on the pad, each
// read with "Read as" set to its UNIPEN section's own characters (1a digits, 1b capitals,
// 1c small letters, 1d symbols): the within-section task of UNIPEN's benchmarks, and what a visitor gets
// by telling the page what a field holds. For every drawing the page's answer must equal what
// CPython pycnn reads within the same set from the very same canvas pixels.
const fs = require("node:fs");
const path = require("node:path");
const {
  test, expect, runPython, servedModel, watchHygiene, openReady, drawAndRecognise, line,
} = require("./helpers");

// 50 drawings of each section: the 150 of 1a-1c are the page measure, 1d comes on top.
const COUNT = Number(process.env.PYCNN_E2E_SAMPLES || 200);
const SECTION_SETS = { "1a": "digits", "1b": "upper", "1c": "lower", "1d": "symbols" };

// The pass floor for the page's accuracy within each drawing's section set, from validation,
// not from this test: the shipped model reads the validation writers' characters within their
// section at 96.97% / 93.30% / 87.79% / 78.33% (1a / 1b / 1c / 1d, weights/README.md), 89.10%
// with the four sections weighed the same, as here (50 drawings each). One standard deviation
// of the accuracy of n = 200 drawings is sqrt(0.8910 * 0.1090 / 200) = 2.20 points, so three
// leave 89.10 - 6.61 = 82.5%, rounded down. This is a regression floor, not the 95%
// goal. Update it from the validation figures of whichever model ships.
const MIN_ACCURACY_WITHIN_SET = 0.82;

test("real UNIPEN test-split drawings, read within their section's set: same answer as CPython", async ({ context, page, baseURL, request }) => {
  test.setTimeout(20 * 60_000);
  const hygiene = watchHygiene(context, baseURL);
  // CPython reads the model the page was served, not whatever is on disk.
  const { dir: runDir, file: modelFile } = await servedModel(request);
  const samplesFile = path.join(runDir, "samples.json");
  runPython("export_samples.py", ["--count", String(COUNT), "--model", modelFile, "--out", samplesFile]);
  const { samples } = JSON.parse(fs.readFileSync(samplesFile, "utf-8"));
  expect(samples.length).toBeGreaterThanOrEqual(COUNT);
  const sections = new Set(samples.map((s) => s.section));
  expect([...sections].sort()).toEqual(["1a", "1b", "1c", "1d"]); // the model reads symbols

  await openReady(page);
  const readAs = page.getByLabel("Read as");
  const items = [];
  for (const [i, sample] of samples.entries()) {
    const set = SECTION_SETS[sample.section];
    await page.keyboard.press("Escape");
    if ((await readAs.inputValue()) !== set) await readAs.selectOption(set);
    await drawAndRecognise(page, sample.strokes);
    await expect(page.locator("#prediction")).toHaveAttribute("data-set", set);
    const pageAnswer = await page.locator("#prediction").textContent();
    const sent = await page.evaluate(() => window.pycnnTest.lastPixels());
    const file = `${i}.rgba`;
    fs.writeFileSync(path.join(runDir, file), Buffer.from(sent.base64, "base64"));
    items.push({
      file, width: sent.width, height: sent.height, label: sample.label, section: sample.section,
      set, page_answer: pageAnswer,
    });
  }
  fs.writeFileSync(path.join(runDir, "index.json"), JSON.stringify({ items }));

  const check = JSON.parse(runPython("cpython_check.py", [runDir, "--model", modelFile]));
  const mismatches = items
    .map((item, i) => ({ i, label: item.label, set: item.set, page: item.page_answer, cpython: check.cpython_answer[i] }))
    .filter((m) => m.page !== m.cpython);
  const rate = (keep) => {
    const chosen = items.map((item, i) => [item, check.page_correct[i]]).filter(([item]) => keep(item));
    return chosen.filter(([, right]) => right).length / chosen.length;
  };
  const accuracy = rate(() => true);
  const bySection = Object.keys(SECTION_SETS)
    .map((s) => `${s} ${SECTION_SETS[s]} ${(100 * rate((item) => item.section === s)).toFixed(1)}%`);
  console.log(`page accuracy within each drawing's section set on ${items.length} test-split ` +
    `drawings: ${(100 * accuracy).toFixed(1)}% (${bySection.join(", ")}; 1a-1c together ` +
    `${(100 * rate((item) => item.section !== "1d")).toFixed(1)}%); ` +
    `page and CPython agree on ${items.length - mismatches.length} of ${items.length}`);

  expect(mismatches, JSON.stringify(mismatches.slice(0, 10))).toEqual([]);
  expect(accuracy, `page accuracy ${(100 * accuracy).toFixed(1)}% on ${items.length} drawings`)
    .toBeGreaterThanOrEqual(MIN_ACCURACY_WITHIN_SET);
  fs.rmSync(runDir, { recursive: true, force: true });
  hygiene.check();
});

// The sets the page names to tell a look-alike apart, by the kind of character it is.
function setTitleOf(label) {
  if (/^[0-9]$/.test(label)) return "Digits";
  if (/^[A-Z]$/.test(label)) return "Capital letters";
  if (/^[a-z]$/.test(label)) return "Small letters";
  return "Symbols";
}

test("in All, leading look-alikes are shown together, with the sets that tell them apart", async ({ context, page, baseURL, request }) => {
  test.setTimeout(5 * 60_000);
  const hygiene = watchHygiene(context, baseURL);
  // Test-split drawings that CPython, drawing them as the page does, reads as look-alikes
  // with the served model: whatever its groups are, the clearest few are tried in turn.
  const { dir: runDir, file: modelFile } = await servedModel(request);
  const samplesFile = path.join(runDir, "lookalikes.json");
  runPython("export_samples.py", ["--count", "60", "--model", modelFile, "--lookalikes-under", modelFile, "--out", samplesFile]);
  const { samples } = JSON.parse(fs.readFileSync(samplesFile, "utf-8"));
  expect(samples.length, "test-split drawings read as look-alikes").toBeGreaterThan(0);

  await openReady(page);
  await expect(page.getByLabel("Read as")).toHaveValue("all");
  const prediction = page.locator("#prediction");
  let drawn = null;
  for (const sample of samples.slice(0, 5)) {
    await page.keyboard.press("Escape");
    await drawAndRecognise(page, sample.strokes);
    if ((await prediction.getAttribute("data-lookalikes")) === "true") {
      drawn = sample;
      break;
    }
  }
  expect(drawn, "one of the five clearest look-alike drawings reads as look-alikes in the page").not.toBeNull();

  // "S or s": the leading answers of the top 5, in order.
  const answer = await prediction.textContent();
  const labels = answer.split(" or ");
  expect(labels.length).toBeGreaterThanOrEqual(2);
  const top = await page.locator("#top5 li").evaluateAll((items) => items.map((li) => li.dataset.label));
  expect(top.slice(0, labels.length)).toEqual(labels);

  // CPython reads the same look-alikes from the same pixels.
  const sent = await page.evaluate(() => window.pycnnTest.lastPixels());
  fs.writeFileSync(path.join(runDir, "0.rgba"), Buffer.from(sent.base64, "base64"));
  fs.writeFileSync(path.join(runDir, "index.json"), JSON.stringify({ items: [
    { file: "0.rgba", width: sent.width, height: sent.height, label: drawn.label, set: "all", page_answer: answer },
  ] }));
  const check = JSON.parse(runPython("cpython_check.py", [runDir, "--model", modelFile]));
  expect(check.cpython_answer).toEqual([answer]);

  // One line says they look the same and names the sets that tell them apart; the live
  // region says the same to a screen reader.
  const titles = [...new Set(labels.map(setTitleOf))];
  const note = page.locator("#prediction-note");
  await expect(note).toContainText(`${labels.slice(0, -1).join(", ")} and ${labels[labels.length - 1]} look the same`);
  const announce = page.locator("#announce");
  await expect(announce).toHaveAttribute("aria-live", "polite");
  await expect(announce).toContainText("look the same");
  await expect(announce).toContainText(/^Top guess: .+ or .+/);
  if (titles.length < 2) {
    // Look-alikes within one set ("n or m", both small letters): no set tells them apart,
    // so none is offered.
    await expect(note).not.toContainText("tell them apart");
    await expect(announce).not.toContainText("tell them apart");
    fs.rmSync(runDir, { recursive: true, force: true });
    hygiene.check();
    return;
  }
  for (const title of titles) {
    await expect(note).toContainText(title);
    await expect(announce).toContainText(title);
  }
  await expect(note).toContainText("to tell them apart");

  // Picking the set of the second look-alike tells them apart at once: one answer, in it.
  const second = labels[1];
  const setOfSecond = { Digits: "digits", "Capital letters": "upper", "Small letters": "lower", Symbols: "symbols" }[setTitleOf(second)];
  await page.getByLabel("Read as").selectOption(setOfSecond);
  await expect(prediction).toHaveAttribute("data-set", setOfSecond);
  await expect(prediction).toHaveAttribute("data-lookalikes", "false");
  expect(setTitleOf(await prediction.textContent())).toBe(setTitleOf(second));
  fs.rmSync(runDir, { recursive: true, force: true });
  hygiene.check();
});

// Symbols drawn with the mouse, in "All": the page reads them as symbols, where the 62-class
// model answered "+" with "t, 100% sure". "+" and "t" are drawn alike by many writers, so "+"
// may come with its look-alike ("+ or t"); the others stand alone.
test("symbols drawn with the mouse are read as symbols in All", async ({ context, page, baseURL }) => {
  const hygiene = watchHygiene(context, baseURL);
  const symbols = {
    "+": [line([0.3, 0.5], [0.7, 0.5]), line([0.5, 0.3], [0.5, 0.7])],
    "=": [line([0.3, 0.42], [0.7, 0.42]), line([0.3, 0.58], [0.7, 0.58])],
    "#": [line([0.4, 0.25], [0.35, 0.75]), line([0.6, 0.25], [0.55, 0.75]),
      line([0.25, 0.42], [0.75, 0.42]), line([0.25, 0.6], [0.72, 0.6])],
  };
  await openReady(page);
  await expect(page.getByLabel("Read as")).toHaveValue("all");
  const prediction = page.locator("#prediction");
  for (const [symbol, strokes] of Object.entries(symbols)) {
    await page.keyboard.press("Escape");
    await drawAndRecognise(page, strokes);
    const shown = (await prediction.textContent()).split(" or ");
    expect(shown, `"${symbol}" drawn`).toContain(symbol);
    if (symbol !== "+") expect(shown, `"${symbol}" drawn`).toEqual([symbol]);
  }
  hygiene.check();
});
