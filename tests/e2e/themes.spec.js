// Issue 12, "The page everywhere": the ink on the pad stays visible in a dark theme, under a
// forced (high contrast) palette and under Chrome's automatic darkening of pages, while the
// pixels the network reads stay the same in every theme (black ink in the alpha channel).
const { chromium } = require("@playwright/test");
const {
  test, expect, enableTestHooks, checkHygieneOfEachTest, openReady, drawAndRecognise, SHAPES,
} = require("./helpers");
const { CHROMIUM_PATH, CHROMIUM_ARGS } = require("./env");

checkHygieneOfEachTest(test);

/** Contrast of the pad as rendered: its paper (the commonest colour in a screenshot of it)
 * against its ink (of the colours covering at least 40 pixels, the one that contrasts most
 * with the paper), by the WCAG formula. */
async function renderedInkContrast(page) {
  const shot = await page.locator("#pad").screenshot({ animations: "disabled" });
  return page.evaluate(async (base64) => {
    const image = new Image();
    image.src = `data:image/png;base64,${base64}`;
    await image.decode();
    const canvas = document.createElement("canvas");
    canvas.width = image.naturalWidth;
    canvas.height = image.naturalHeight;
    const context = canvas.getContext("2d");
    context.drawImage(image, 0, 0);
    const data = context.getImageData(0, 0, canvas.width, canvas.height).data;
    const counts = new Map();
    for (let i = 0; i < data.length; i += 4) {
      const key = (data[i] << 16) | (data[i + 1] << 8) | data[i + 2];
      counts.set(key, (counts.get(key) || 0) + 1);
    }
    const luminance = (key) => {
      const [r, g, b] = [key >> 16, (key >> 8) & 255, key & 255].map((v) => {
        const c = v / 255;
        return c <= 0.03928 ? c / 12.92 : ((c + 0.055) / 1.055) ** 2.4;
      });
      return 0.2126 * r + 0.7152 * g + 0.0722 * b;
    };
    const ratio = (a, b) => {
      const [hi, lo] = [luminance(a), luminance(b)].sort((x, y) => y - x);
      return (hi + 0.05) / (lo + 0.05);
    };
    const sorted = [...counts].sort((a, b) => b[1] - a[1]);
    const paper = sorted[0][0];
    let best = 1;
    let ink = paper;
    for (const [key, n] of sorted) {
      if (n >= 40 && ratio(key, paper) > best) {
        best = ratio(key, paper);
        ink = key;
      }
    }
    const hex = (key) => `#${key.toString(16).padStart(6, "0")}`;
    return { contrast: best, paper: hex(paper), ink: hex(ink) };
  }, shot.toString("base64"));
}

async function sentPixels(page) {
  return page.evaluate(() => window.pycnnTest.lastPixels());
}

async function drawSeven(page) {
  await page.locator("#clear").click();
  await drawAndRecognise(page, SHAPES.seven);
}

const THEMES = [
  { name: "light", media: { colorScheme: "light", forcedColors: "none" } },
  { name: "dark", media: { colorScheme: "dark", forcedColors: "none" } },
  { name: "forced colours, dark palette", media: { colorScheme: "dark", forcedColors: "active" } },
  { name: "forced colours, light palette", media: { colorScheme: "light", forcedColors: "active" } },
];

test("the ink contrasts with the pad in light, dark and forced colours; the network gets the same pixels", async ({ page }) => {
  await openReady(page);
  let reference = null;
  for (const theme of THEMES) {
    await page.emulateMedia(theme.media);
    await drawSeven(page);
    const { contrast, paper, ink } = await renderedInkContrast(page);
    expect(contrast, `${theme.name}: ink ${ink} on ${paper}`).toBeGreaterThanOrEqual(3);
    const sent = await sentPixels(page);
    if (reference === null) reference = sent;
    expect(sent.width, theme.name).toBe(reference.width);
    expect(sent.base64 === reference.base64, `${theme.name}: the same pixels as in the light theme`).toBe(true);
  }
  // The dark theme is a theme, not just a pad: the page's own background is dark too.
  await page.emulateMedia({ colorScheme: "dark", forcedColors: "none" });
  const background = await page.evaluate(() => getComputedStyle(document.documentElement).backgroundColor);
  expect(background).not.toBe("rgb(243, 244, 246)");
});

test("Chrome's automatic dark mode leaves the ink visible", async ({ baseURL }) => {
  // Auto dark mode darkens pages by itself; it is a browser switch, so a browser of its own.
  const browser = await chromium.launch({
    executablePath: CHROMIUM_PATH,
    args: [...CHROMIUM_ARGS, "--enable-features=WebContentsForceDark"],
  });
  try {
    for (const colorScheme of ["light", "dark"]) {
      const context = await browser.newContext({ baseURL, colorScheme });
      await enableTestHooks(context);
      const page = await context.newPage();
      await openReady(page);
      await drawSeven(page);
      const { contrast, paper, ink } = await renderedInkContrast(page);
      expect(contrast, `auto dark, prefers ${colorScheme}: ink ${ink} on ${paper}`).toBeGreaterThanOrEqual(3);
      await context.close();
    }
  } finally {
    await browser.close();
  }
});
