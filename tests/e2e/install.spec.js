// Issue 12, "The page everywhere": the page installs as an app. Chromium's own
// installability check passes (web app manifest, icons, a service worker in control), and
// every URL in the manifest is relative, so it installs from whatever sub-path serves it.
const fs = require("node:fs");
const os = require("node:os");
const path = require("node:path");
const { chromium } = require("@playwright/test");
const { test, expect, enableTestHooks, watchHygiene, openReady } = require("./helpers");
const { CHROMIUM_PATH, CHROMIUM_ARGS } = require("./env");

/** Width and height from a PNG's IHDR chunk. */
function pngSize(bytes) {
  expect(bytes.subarray(1, 4).toString("latin1")).toBe("PNG");
  return [bytes.readUInt32BE(16), bytes.readUInt32BE(20)];
}

test("Chromium finds the page installable, with a manifest that works from any sub-path", async ({ request, baseURL }) => {
  // Chromium never offers to install from an incognito profile, which is what a test's
  // context is: this test runs in a profile of its own, on disk.
  const profile = fs.mkdtempSync(path.join(os.tmpdir(), "pycnn-install-"));
  const context = await chromium.launchPersistentContext(profile, {
    executablePath: CHROMIUM_PATH, args: CHROMIUM_ARGS, baseURL, serviceWorkers: "allow",
  });
  try {
    await enableTestHooks(context);
    const hygiene = watchHygiene(context, baseURL);
    const page = await context.newPage();
    await checkInstallable(page, request, baseURL);
    hygiene.check();
  } finally {
    await context.close();
    fs.rmSync(profile, { recursive: true, force: true });
  }
});

async function checkInstallable(page, request, baseURL) {
  await openReady(page);
  // The service worker registers once the network is ready, and then takes control.
  await page.waitForFunction(() => navigator.serviceWorker.controller !== null, null, { timeout: 60_000 });

  const cdp = await page.context().newCDPSession(page);
  const { installabilityErrors } = await cdp.send("Page.getInstallabilityErrors");
  expect(installabilityErrors).toEqual([]);
  const { url, errors } = await cdp.send("Page.getAppManifest");
  expect(url).toBe(new URL("manifest.webmanifest", baseURL).href);
  expect(errors).toEqual([]);

  const manifest = await (await request.get("manifest.webmanifest")).json();
  expect(manifest.name).toBeTruthy();
  expect(manifest.short_name.length).toBeLessThanOrEqual(12);
  expect(manifest.display).toBe("standalone");
  expect(manifest.theme_color).toMatch(/^#[0-9a-f]{6}$/i);
  expect(manifest.background_color).toMatch(/^#[0-9a-f]{6}$/i);
  // Relative to the manifest: no scheme, no leading slash.
  for (const key of ["start_url", "scope", "id"]) expect(manifest[key], key).toBe("./");
  for (const icon of manifest.icons) expect(icon.src, icon.src).not.toMatch(/^(\/|[a-z]+:)/i);

  // PNG icons of 192 and 512 pixels, plain and maskable, each as large as it says.
  const pngs = manifest.icons.filter((icon) => icon.type === "image/png");
  for (const purpose of ["any", "maskable"]) {
    for (const size of [192, 512]) {
      const icon = pngs.find((i) => i.purpose === purpose && i.sizes === `${size}x${size}`);
      expect(icon, `${purpose} ${size}px icon`).toBeTruthy();
      const response = await request.get(icon.src);
      expect(response.ok()).toBe(true);
      expect(response.headers()["content-type"]).toBe("image/png");
      expect(pngSize(await response.body())).toEqual([size, size]);
    }
  }

  await expect(page.locator('meta[name="theme-color"]').first()).toHaveAttribute("content", /^#[0-9a-f]{6}$/i);
  // The build's list of files is not called manifest.json any more: it is files.json.
  expect((await request.get("files.json")).ok()).toBe(true);
}
