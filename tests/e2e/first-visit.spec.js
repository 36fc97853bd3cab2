// A first visit downloads each file once, and later visits come from the service worker's
// cache, with the runtime's WebAssembly from Chromium's code cache and the Python bytecode the
// worker kept.
// A counting proxy in front of the site (counting-proxy.js) sees every request that reaches
// the network; being another origin, it also gives every test a site never visited before.
const fs = require("node:fs");
const os = require("node:os");
const path = require("node:path");
const { chromium } = require("@playwright/test");
const { test, expect, enableTestHooks, watchHygiene, drawAndRecognise, SHAPES } = require("./helpers");
const { startCountingProxy, tally } = require("./counting-proxy");
const { CHROMIUM_PATH, CHROMIUM_ARGS } = require("./env");

const WASM = "pyodide/pyodide.asm.wasm";

async function openAndKeepOffline(page, url) {
  await page.goto(url);
  await expect(page.locator("body")).toHaveAttribute("data-ready", "true", { timeout: 120_000 });
  await expect(page.locator("#offline")).toBeVisible({ timeout: 120_000 });
  // Installed: every file of the build is in its cache, but Word mode's, which are fetched
  // (and then kept) only when Word mode is first used.
  await page.waitForFunction(async () => {
    const manifest = await (await fetch("files.json")).json();
    const words = new Set(manifest.words || []);
    const cache = await caches.open(`pycnn-${manifest.build}`);
    const held = new Set((await cache.keys()).map((r) => new URL(r.url).pathname));
    return manifest.files.every((f) => words.has(f.path) ||
      held.has(new URL(f.path, location.href).pathname));
  }, null, { timeout: 120_000, polling: 250 });
}

/** Open the site through a new counting proxy in `context`; the requests per path. */
async function firstVisit(context, baseURL) {
  const proxy = await startCountingProxy(baseURL);
  try {
    const hygiene = watchHygiene(context, proxy.url);
    const page = await context.newPage();
    await openAndKeepOffline(page, proxy.url);
    const manifest = await page.evaluate(async () => (await fetch("files.json")).json());
    const marks = (await page.evaluate(() => window.pycnnTest.startup())).map(([name]) => name);
    hygiene.check();
    // Downloads: a 304 (the service worker's install revalidating what the HTTP cache holds,
    // such as pyodide.asm.js, which the worker loads with importScripts) carries no body.
    const downloads = proxy.requests.filter((r) => r.status !== 304);
    return { manifest, counts: tally(downloads).byPath, page, proxy, marks };
  } catch (error) {
    await proxy.close();
    throw error;
  }
}

function expectEachLargeFileOnce(manifest, counts) {
  // Word mode's files (the word model is over 1 MB) are never downloaded by a visit that
  // does not use Word mode; every other large file is downloaded exactly once.
  const words = new Set(manifest.words || []);
  expect(words.size).toBeGreaterThan(0);
  for (const file of words) expect(counts["/" + file], `${file} was downloaded`).toBeUndefined();
  const large = manifest.files.filter((f) => f.size > 1e6 && !words.has(f.path)).map((f) => f.path);
  expect(large).toContain(WASM);
  for (const file of large) {
    const seen = counts["/" + file];
    expect(seen, `${file} was never downloaded`).toBeTruthy();
    expect(seen.count, `${file} was downloaded ${seen.count} times`).toBe(1);
  }
  const total = Object.values(counts).reduce((sum, e) => sum + e.bytes, 0);
  expect(total).toBeLessThan(manifest.total_size * 1.05);
}

test("a first visit in a fresh private context downloads each large file once", async ({ browser, baseURL }) => {
  const context = await browser.newContext();
  await enableTestHooks(context);
  const { manifest, counts, proxy, marks } = await firstVisit(context, baseURL);
  await proxy.close();
  await context.close();
  expectEachLargeFileOnce(manifest, counts);
  // The shipped bytecode (web/pyodide-bytecode.gz): even a first visit does not compile the
  // standard library and NumPy from source.
  const restored = marks.map((name) => /^bytecode restored \((\d+) modules\)$/.exec(name)).find(Boolean);
  expect(restored, `no bytecode on a first visit: ${marks.join(", ")}`).toBeTruthy();
  expect(Number(restored[1])).toBeGreaterThan(100);
});

test("a first visit in a fresh normal profile downloads each large file once", async ({ baseURL }) => {
  const profile = fs.mkdtempSync(path.join(os.tmpdir(), "pycnn-profile-"));
  const context = await chromium.launchPersistentContext(profile, {
    executablePath: CHROMIUM_PATH, args: CHROMIUM_ARGS, serviceWorkers: "allow",
  });
  try {
    await enableTestHooks(context);
    const { manifest, counts, proxy } = await firstVisit(context, baseURL);
    await proxy.close();
    expectEachLargeFileOnce(manifest, counts);
  } finally {
    await context.close();
    fs.rmSync(profile, { recursive: true, force: true });
  }
});

test("later visits take the site from the service worker and the compiled wasm from the code cache", async ({ browser, baseURL }) => {
  const context = await browser.newContext();
  await enableTestHooks(context);
  const { page, proxy } = await firstVisit(context, baseURL);
  try {
    const hygiene = watchHygiene(context, proxy.url);
    const before = proxy.requests.length;
    // Chromium keeps a module's compiled code beside the cached file it was compiled from
    // once enough of it is optimised; a second visit (from the service worker's cache) writes
    // it there, and the third reads it back.
    const visit = async (wait) => {
      await browser.startTracing(page, { categories: ["disabled-by-default-devtools.timeline"] });
      await page.reload();
      await expect(page.locator("body")).toHaveAttribute("data-ready", "true", { timeout: 120_000 });
      await page.waitForTimeout(wait);
      const events = JSON.parse((await browser.stopTracing()).toString()).traceEvents;
      return (name) => events.some((e) => e.name === name && (!e.args?.url || e.args.url.endsWith(WASM)));
    };
    const second = await visit(10_000);
    expect(second("v8.wasm.cachedModule"), "the second visit kept no compiled wasm").toBe(true);
    // The worker keeps the Python bytecode it compiled once it is idle (web/worker.js).
    await page.waitForFunction(async () => {
      const manifest = await (await fetch("files.json")).json();
      return !!(await (await caches.open(`pycnn-${manifest.build}`)).match("python-bytecode.bin"));
    }, null, { timeout: 120_000, polling: 500 });
    const third = await visit(0);
    expect(third("v8.wasm.moduleCacheHit"), "the third visit compiled the wasm again").toBe(true);
    const marks = (await page.evaluate(() => window.pycnnTest.startup())).map(([name]) => name);
    const restored = marks.map((name) => /^bytecode restored \((\d+) modules\)$/.exec(name)).find(Boolean);
    expect(restored, `no bytecode restored: ${marks.join(", ")}`).toBeTruthy();
    expect(Number(restored[1])).toBeGreaterThan(100);

    const later = tally(proxy.requests.slice(before)).byPath;
    expect(Object.keys(later).filter((p) => !p.endsWith("/sw.js"))).toEqual([]); // all from the cache
    expect(await page.evaluate(() => navigator.serviceWorker.controller !== null)).toBe(true);
    await drawAndRecognise(page, SHAPES.seven);
    await expect(page.locator("#top5 li")).toHaveCount(5);
    hygiene.check();
  } finally {
    await proxy.close();
    await context.close();
  }
});
