// Real handwriting from writers the model never saw, replayed as mouse drags on the pad.
// For every drawing the page's top label must equal what CPython pycnn predicts for the very
// same canvas pixels, and the page must read most of them right (47-class merge).
//
// The accuracy floor comes from validation, not from this test: the shipped model reads
// 87.4% of held-out writers' characters right under the merge when the three sections weigh
// the same, as they do here (weights/README.md). 0.79 leaves three standard deviations of
// sampling noise for 150 drawings. The goal of 90% is not reached: 0/O, 1/I/l, 5/S
// and 2/Z stay apart under the 47-class merge and cannot be told apart from the shape.
const fs = require("node:fs");
const path = require("node:path");
const {
  test, expect, runPython, servedModel, watchHygiene, openReady, drawAndRecognise,
} = require("./helpers");

const COUNT = Number(process.env.PYCNN_E2E_SAMPLES || 150);
const MIN_ACCURACY = 0.79;

test("real UNIPEN test-split drawings: read right by the page, same answer as CPython", async ({ context, page, baseURL, request }) => {
  test.setTimeout(20 * 60_000);
  const hygiene = watchHygiene(context, baseURL);
  // CPython reads the model the page was served, not whatever is on disk.
  const { dir: runDir, file: modelFile } = await servedModel(request);
  const samplesFile = path.join(runDir, "samples.json");
  runPython("export_samples.py", ["--count", String(COUNT), "--out", samplesFile]);
  const { samples } = JSON.parse(fs.readFileSync(samplesFile, "utf-8"));
  expect(samples.length).toBeGreaterThanOrEqual(150);
  const sections = new Set(samples.map((s) => s.section));
  expect([...sections].sort()).toEqual(["1a", "1b", "1c"]);

  await openReady(page);
  const items = [];
  for (const [i, sample] of samples.entries()) {
    await page.keyboard.press("Escape");
    await drawAndRecognise(page, sample.strokes);
    const pageTop = await page.locator("#prediction").textContent();
    const sent = await page.evaluate(() => window.pycnnTest.lastPixels());
    const file = `${i}.rgba`;
    fs.writeFileSync(path.join(runDir, file), Buffer.from(sent.base64, "base64"));
    items.push({ file, width: sent.width, height: sent.height, label: sample.label, page_top: pageTop });
  }
  fs.writeFileSync(path.join(runDir, "index.json"), JSON.stringify({ items }));

  const check = JSON.parse(runPython("cpython_check.py", [runDir, "--model", modelFile]));
  const mismatches = items
    .map((item, i) => ({ i, label: item.label, page: item.page_top, cpython: check.cpython_top[i] }))
    .filter((m) => m.page !== m.cpython);
  const correct = check.page_correct_merged.filter(Boolean).length;
  const accuracy = correct / items.length;
  console.log(`page accuracy (47-class merge) on ${items.length} test-split drawings: ` +
    `${(100 * accuracy).toFixed(1)}%; page/CPython disagreements: ${mismatches.length}`);

  expect(mismatches, JSON.stringify(mismatches.slice(0, 10))).toEqual([]);
  expect(accuracy, `page accuracy ${(100 * accuracy).toFixed(1)}% on ${items.length} drawings`)
    .toBeGreaterThanOrEqual(MIN_ACCURACY);
  fs.rmSync(runDir, { recursive: true, force: true });
  hygiene.check();
});
