// The "Look inside" panel: every layer of the served model, drawn from the forward pass that
// made the answer. The architecture the checks expect comes from CPython reading the model
// file the page was served, not from the page and not from constants in this file.
const fs = require("node:fs");
const path = require("node:path");
const {
  test, expect, runPython, servedModel, checkHygieneOfEachTest, openReady, recognitions,
  drawAndRecognise, settleInside, SHAPES,
} = require("./helpers");

function python(args) {
  return JSON.parse(runPython("inside_check.py", args));
}

/** Open the panel with the keyboard, as a visitor without a mouse would. */
async function openPanel(page) {
  await page.locator("#inside > summary").focus();
  await page.keyboard.press("Enter");
  await expect(page.locator("#inside")).toHaveAttribute("open", "");
  await settleInside(page);
}

/** Every [r, g, b] pixel of one layer's map tiles: what a visitor sees there. */
async function tilePixels(page, index) {
  return page.locator(`#inside-layer-${index} figure.maps:not(.filters) canvas`).evaluateAll((canvases) =>
    canvases.flatMap((c) => {
      const data = c.getContext("2d").getImageData(0, 0, c.width, c.height).data;
      const pixels = [];
      for (let i = 0; i < data.length; i += 4) pixels.push([data[i], data[i + 1], data[i + 2]]);
      return pixels;
    }));
}

checkHygieneOfEachTest(test);

test("the panel opens from the keyboard and shows every layer with one tile per channel", async ({ page, request }) => {
  const model = await servedModel(request);
  const { input_shape: inputShape, layers } = python(["layers", "--model", model.file]);
  await openReady(page);
  await expect(page.locator("#inside")).not.toHaveAttribute("open", "");
  await expect(page.locator("#inside-layers")).toBeHidden();

  // With the panel closed, recognising asks the worker for nothing more.
  await drawAndRecognise(page, SHAPES.seven);
  expect(await page.evaluate(() => window.pycnnTest.inspectRequests())).toBe(0);

  // Opening it shows that same recognition's pass: one inspect request, no new pass.
  const count = await recognitions(page);
  await openPanel(page);
  expect(await recognitions(page)).toBe(count);
  expect(await page.evaluate(() => window.pycnnTest.inspectRequests())).toBe(1);
  await expect(page.locator("#inside-layers")).toBeVisible();

  // The diagram: input plus one box per layer, with each layer's output shape and params.
  const boxes = page.locator("#inside-diagram li");
  await expect(boxes).toHaveCount(layers.length + 1);
  await expect(boxes.first()).toContainText(inputShape.join("×"));
  for (const layer of layers) {
    const box = boxes.nth(layer.index + 1);
    await expect(box).toContainText(layer.name);
    await expect(box).toContainText(layer.output_shape.join("×"));
    await expect(box).toContainText(layer.params ? `${layer.params.toLocaleString("en-US")} params` : "no params");
  }

  // The input the network received.
  await expect(page.locator("#inside-input canvas")).toBeVisible();

  const labels = await page.evaluate(() => window.pycnnTest.labels());
  let firstConv = true;
  for (const layer of layers) {
    const section = page.locator(`#inside-layer-${layer.index}`);
    await expect(section, `layer ${layer.index} ${layer.name}`).toBeVisible();
    await expect(section.locator(".explain").first()).not.toBeEmpty();
    const shape = layer.output_shape;
    if (layer.name === "Softmax") {
      await expect(section.locator(".classes li")).toHaveCount(labels.length);
      await expect(section.locator(".classes li.top")).toHaveCount(1);
      const top = await section.locator(".classes li.top").getAttribute("data-label");
      expect(top).toBe(await page.locator("#prediction").textContent());
      const total = await section.locator(".classes li").evaluateAll((items) =>
        items.reduce((sum, li) => sum + Number(li.dataset.probability), 0));
      expect(total).toBeCloseTo(1, 4);
    } else if (shape.length === 3) {
      const maps = section.locator("figure.maps:not(.filters) canvas");
      await expect(maps).toHaveCount(shape[0]);
      const [w, h] = await maps.first().evaluate((c) => [c.width, c.height]);
      expect([h, w]).toEqual([shape[1], shape[2]]);
      if (layer.name === "MaxPool2D") {
        const before = layers[layer.index - 1].output_shape.join("×");
        await expect(section.locator(".shapes")).toContainText(`${before} → ${shape.join("×")}`);
      }
      if (layer.name === "Conv2D" && firstConv) {
        firstConv = false;
        await expect(section.locator("figure.filters canvas")).toHaveCount(layer.config.filters);
      }
    } else {
      await expect(section.locator("figure.strip")).toHaveAttribute("data-units", String(shape[0]));
      await expect(section.locator("figure.strip figcaption")).toContainText(shape[0].toLocaleString("en-US"));
    }
    if (layer.name === "Dropout") await expect(section).toContainText("switched off when reading");
  }

  // The first layer's maps are not blank: the drawing reached them. Before ReLU its negative
  // values are blue and zero is white; after ReLU nothing is negative, so every pixel is grey.
  const conv = await tilePixels(page, layers[0].index);
  const reds = conv.map(([r]) => r);
  expect(Math.min(...reds)).toBeLessThan(Math.max(...reds));
  expect(conv.some(([r, g, b]) => b > r + 20)).toBe(true);
  const relu = layers.find((l) => l.name === "ReLU");
  const afterRelu = await tilePixels(page, relu.index);
  expect(afterRelu.every(([r, g, b]) => r === g && g === b)).toBe(true);
  expect(afterRelu.some(([r]) => r === 255)).toBe(true);

  // A diagram box takes the keyboard to its layer.
  const target = layers[2].index;
  await page.locator(`#inside-diagram a[href="#inside-layer-${target}"]`).focus();
  await page.keyboard.press("Enter");
  await expect(page.locator(`#inside-layer-${target}`)).toBeInViewport();
  fs.rmSync(model.dir, { recursive: true, force: true });
});

test("another character changes the maps, and the first maps equal CPython's activations", async ({ page, request }) => {
  const model = await servedModel(request);
  const { layers } = python(["layers", "--model", model.file]);
  const conv = layers.find((l) => l.name === "Conv2D").index;
  await openReady(page);
  await openPanel(page); // open before drawing: every new answer updates the panel

  const items = [];
  const maps = [];
  for (const [i, shape] of [SHAPES.seven, SHAPES.circle].entries()) {
    await page.keyboard.press("Escape");
    await drawAndRecognise(page, shape);
    await settleInside(page);
    maps.push(await tilePixels(page, conv));
    const sent = await page.evaluate(() => window.pycnnTest.lastPixels());
    const activations = await page.evaluate(() => window.pycnnTest.lastActivations());
    expect(activations.shape).toEqual(layers[conv].output_shape);
    fs.writeFileSync(path.join(model.dir, `${i}.rgba`), Buffer.from(sent.base64, "base64"));
    fs.writeFileSync(path.join(model.dir, `${i}.f32`), Buffer.from(activations.base64, "base64"));
    items.push({ pixels: `${i}.rgba`, activations: `${i}.f32`, width: sent.width, height: sent.height, index: conv });
  }
  // Different drawings, different feature maps: in at least half of the tiles.
  const changed = maps[0].filter((tile, k) => tile.some((g, p) => g !== maps[1][k][p])).length;
  expect(changed).toBeGreaterThanOrEqual(maps[0].length / 2);

  fs.writeFileSync(path.join(model.dir, "index.json"), JSON.stringify({ items }));
  const check = python(["compare", model.dir, "--model", model.file]);
  console.log(`first conv layer, page vs CPython: largest difference ` +
    check.items.map((r) => `${r.max_abs_diff} (values up to ${r.max_abs.toFixed(3)})`).join(", "));
  for (const result of check.items) {
    expect(result.shape).toEqual(layers[conv].output_shape);
    expect(result.page_size).toBe(result.shape.reduce((a, b) => a * b, 1));
    expect(result.max_abs).toBeGreaterThan(0);
    // float32 sums of a few products: Pyodide's NumPy and CPython's may round the last bit
    // differently, nothing more.
    expect(result.max_abs_diff).toBeLessThanOrEqual(1e-5 * Math.max(1, result.max_abs));
  }
  fs.rmSync(model.dir, { recursive: true, force: true });
});

test.describe("on a phone", () => {
  test.use({ viewport: { width: 360, height: 740 }, hasTouch: true, isMobile: true, deviceScaleFactor: 2 });

  test("the open panel fits the width: no sideways scrolling", async ({ page }) => {
    await openReady(page);
    await drawAndRecognise(page, SHAPES.plus);
    await page.locator("#inside > summary").tap();
    await expect(page.locator("#inside")).toHaveAttribute("open", "");
    await settleInside(page);
    const widths = await page.evaluate(() => ({
      scroll: document.documentElement.scrollWidth,
      client: document.documentElement.clientWidth,
    }));
    expect(widths.scroll).toBeLessThanOrEqual(widths.client);
    const overflowing = await page.locator("#inside *").evaluateAll((nodes) =>
      nodes.filter((n) => n.getBoundingClientRect().right > document.documentElement.clientWidth + 0.5)
        .map((n) => n.className || n.tagName));
    expect(overflowing).toEqual([]);
  });
});
