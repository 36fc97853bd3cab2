// The page's default reading, "All", on clear drawings of digits, letters and symbols made
// with the mouse. All reads every class at once, with symbols weighed as the rarer drawings
// they are at a one-character pad (pycnn.prior), so a clear digit or letter must not be
// taken by a symbol that looks a little like it (5 -> $, l -> /, S -> 5), and a clear
// symbol must still be read as itself.
const {
  test, expect, watchHygiene, openReady, drawAndRecognise, line, arc,
} = require("./helpers");

const CLEAR = {
  7: [line([0.3, 0.25], [0.7, 0.25]), line([0.7, 0.25], [0.42, 0.8])],
  4: [line([0.6, 0.2], [0.25, 0.6]), line([0.25, 0.6], [0.75, 0.6]), line([0.6, 0.2], [0.6, 0.8])],
  3: [arc(0.5, 0.35, 0.17, 0.13, 150, -90), arc(0.5, 0.63, 0.19, 0.15, 90, -150)],
  A: [line([0.3, 0.8], [0.5, 0.2]), line([0.5, 0.2], [0.7, 0.8]), line([0.38, 0.58], [0.62, 0.58])],
  E: [line([0.65, 0.2], [0.35, 0.2]), line([0.35, 0.2], [0.35, 0.8]), line([0.35, 0.8], [0.65, 0.8]),
    line([0.35, 0.5], [0.6, 0.5])],
  H: [line([0.3, 0.2], [0.3, 0.8]), line([0.7, 0.2], [0.7, 0.8]), line([0.3, 0.5], [0.7, 0.5])],
  T: [line([0.25, 0.2], [0.75, 0.2]), line([0.5, 0.2], [0.5, 0.8])],
  "=": [line([0.3, 0.42], [0.7, 0.42]), line([0.3, 0.58], [0.7, 0.58])],
  "#": [line([0.4, 0.25], [0.35, 0.75]), line([0.6, 0.25], [0.55, 0.75]), line([0.25, 0.42], [0.75, 0.42]),
    line([0.25, 0.6], [0.72, 0.6])],
  "?": [[...arc(0.5, 0.33, 0.16, 0.13, 160, -60), ...line([0.58, 0.44], [0.5, 0.6], 4).slice(1)],
    line([0.5, 0.76], [0.5, 0.78], 1)],
  "@": [[...arc(0.52, 0.52, 0.09, 0.11, 0, 360), ...line([0.61, 0.52], [0.61, 0.62], 4).slice(1),
    ...arc(0.5, 0.5, 0.25, 0.28, -30, 330)]],
};

test("All reads clear digits, capitals and symbols drawn with the mouse as themselves", async ({ context, page, baseURL }) => {
  const hygiene = watchHygiene(context, baseURL);
  await openReady(page);
  await expect(page.getByLabel("Read as")).toHaveValue("all");
  const prediction = page.locator("#prediction");
  for (const [label, strokes] of Object.entries(CLEAR)) {
    await page.keyboard.press("Escape");
    await drawAndRecognise(page, strokes);
    await expect(prediction, `"${label}" drawn`).toHaveAttribute("data-set", "all");
    // Shown alone: no look-alike stands beside any of these shapes.
    expect((await prediction.textContent()).split(" or "), `"${label}" drawn`).toEqual([label]);
  }
  hygiene.check();
});
