// Look inside in Word mode: every layer's output for the word on the pad, from the same
// input as the reading, asked for only while the panel is open, and following the word.
const {
  test, expect, checkHygieneOfEachTest, openWordMode, writeWord, shownWord, wordSamples,
} = require("./helpers");

checkHygieneOfEachTest(test);

test("Look inside shows every layer of the word network for the word on the pad, from the pass that made the reading", async ({ page }) => {
  test.setTimeout(5 * 60_000);
  const samples = wordSamples(["--count", "2"]);
  await openWordMode(page);
  await writeWord(page, samples[0].strokes);
  const inspected = () => page.evaluate(() => window.pycnnTest.word.inside());
  // Closed: nothing asked.
  expect(await inspected()).toBeNull();
  await page.locator("#word-inside > summary").click();
  await expect.poll(async () => (await inspected()) !== null).toBe(true);
  let reading = await shownWord(page);
  let layers = await inspected();
  expect(layers.id).toBe(reading.id);
  // The input first, then one section per layer, the per-frame probabilities last.
  await expect(page.locator("#word-inside-layers > section")).toHaveCount(layers.layers.length + 1);
  expect(layers.layers[0].name).toBe("Conv2D");
  expect(layers.layers[layers.layers.length - 1].name).toBe("Probabilities");
  expect(layers.layers[0].shape.slice(1)).toEqual(reading.input_shape);
  // Each frame's likeliest class in Probabilities is the strip's: the same computation.
  expect(layers.best).toEqual(reading.frames);
  // The first convolution's maps are drawn with some ink, not blank.
  const inked = await page.locator('#word-inside-layers section[data-index="0"] canvas').first().evaluate((canvas) => {
    const { data } = canvas.getContext("2d").getImageData(0, 0, canvas.width, canvas.height);
    let dark = 0;
    for (let i = 0; i < data.length; i += 4) if (data[i] < 200) dark++;
    return dark;
  });
  expect(inked).toBeGreaterThan(10);
  await expect(page.locator("#word-inside-status")).toContainText(`for “${reading.words[0][0]}”`);

  // Another word: the panel follows it.
  await page.locator("#word-clear").click();
  await expect(page.locator("#word-inside-status")).toContainText("Write a word");
  await writeWord(page, samples[1].strokes);
  reading = await shownWord(page);
  await expect.poll(async () => (await inspected()).id).toBe(reading.id);
  layers = await inspected();
  expect(layers.best).toEqual(reading.frames);
});
