// Page timings in this machine's Chromium: cold load to ready, and stroke end to prediction
// shown, with real UNIPEN test-split characters replayed as mouse drags.
//
//   node bench/page_timings.js [--loads 3] [--warm 4] [--samples 30] [--port 18732]
//                              [--startup-only] [--baseline REV|DIR]
//                              [--screenshot FILE] [--inside-screenshot FILE]
//
// Builds and serves dist/ with build.py (on the model in weights/model.npz), then prints
// the figures and the command. Each cold load uses a fresh browser context (no HTTP cache,
// no service worker). Warm loads (--warm N) are reloads of the last cold load's page once
// its service worker holds the site: a second visit. For both, the start-up timeline: when
// each phase the worker reports (web/worker.js `marks`) ended, in ms since navigation,
// median over the loads. --startup-only stops there. --baseline REV also builds git revision
// REV (from its committed files; or a folder holding a checkout) and serves it on --port + 1;
// its cold and warm loads alternate with this checkout's, so both see the same machine.
//
// Bytes downloaded on a first visit, counted by a proxy in front of the server
// (tests/e2e/counting-proxy.js) until the service worker holds the whole site: in a fresh
// private context (Playwright's default, like a private window) and in a fresh persistent
// profile (a normal window). "Stroke end to prediction" runs in the page, from the pointerup
// handler to the DOM holding the answer ("dom") and to the next animation frame, which
// paints it ("painted"); the worker's own compute time is reported beside it.
//
// Every character is drawn twice, once with the "Look inside" panel closed and once with it
// open (in alternating order, so drift in the machine's load hits both alike). With the
// panel open the answer is shown first and the layers follow; "stroke end to panel drawn"
// is when the last tile of that same recognition is on the canvas.
//
// Stutter while drawing (--stutter-samples N characters, panel closed, then open): each
// character is drawn as soon as the previous answer is on screen, so with the panel open its
// layers are being painted under the pen. Reported: the longest gap between animation frames
// during a stroke (what a visitor sees as the ink lagging; the goal is 20 ms with the panel
// open) and the longest main-thread long task (> 50 ms, PerformanceObserver) during a stroke.
"use strict";

const fs = require("node:fs");
const os = require("node:os");
const path = require("node:path");
const { drawStrokes, enableTestHooks, runPython, settleInside } = require("../tests/e2e/helpers");
const { option, startServer, checkoutRevision, launchChromium, quantile } = require("./browser");
const { startCountingProxy, tally } = require("../tests/e2e/counting-proxy");
const { CHROMIUM_PATH, CHROMIUM_ARGS } = require("../tests/e2e/env");
const { chromium } = require("@playwright/test");


const LOADS = option("loads", 3);
const WARM = option("warm", 4);
const STARTUP_ONLY = process.argv.includes("--startup-only");
// A git revision (or a folder with a checkout) to compare with: built from its files and
// served on --port + 1, its loads alternating with this checkout's.
const BASELINE = option("baseline", null, String);
const SAMPLES = option("samples", 30);
const STUTTER_SAMPLES = option("stutter-samples", 20);
const PORT = option("port", 18732);
const SCREENSHOT = option("screenshot", null, String); // PNG of the page, for the README
// PNG of the open Look inside panel (its diagram and first layers), for the README
const INSIDE_SCREENSHOT = option("inside-screenshot", null, String);

const fmt = (ms) => `${ms.toFixed(1)} ms`;

// One stroke at a time: wait for its answer, so each latency is one stroke's.
function drag(page, strokes) {
  return drawStrokes(page, strokes, () => settleInside(page));
}

async function setPanel(page, open) {
  await page.evaluate((value) => {
    document.querySelector("#inside").open = value;
  }, open);
  await settleInside(page);
}

/** Draw `samples` back to back with the panel `open`; the longest frame gap and long task
 * (ms) during strokes. */
async function stutter(page, samples, open) {
  await setPanel(page, open);
  const before = await page.evaluate(() => {
    window.pycnnFrames = [];
    const tick = (t) => {
      window.pycnnFrames.push(t);
      if (window.pycnnFrames) requestAnimationFrame(tick);
    };
    requestAnimationFrame(tick);
    return window.pycnnTest.strokeWindows().length;
  });
  for (const sample of samples) {
    await page.locator("#pad").focus();
    await page.keyboard.press("Escape");
    // Next character as soon as the answer is on screen, not when the panel has caught up.
    await drawStrokes(page, sample.strokes, () => page.waitForFunction(() => window.pycnnTest.settled()));
  }
  await settleInside(page);
  return page.evaluate((first) => {
    const frames = window.pycnnFrames;
    window.pycnnFrames = null;
    const windows = window.pycnnTest.strokeWindows().slice(first);
    let gap = 0;
    for (let i = 1; i < frames.length; i++) {
      const [a, b] = [frames[i - 1], frames[i]];
      if (windows.some((w) => a < w.end && b > w.start)) gap = Math.max(gap, b - a);
    }
    const tasks = window.pycnnTest.longTasksWhileDrawing()
      .filter((task) => windows.some((w) => task.start < w.end && task.start + task.duration > w.start));
    return { strokes: windows.length, gap, task: tasks.reduce((most, t) => Math.max(most, t.duration), 0) };
  }, before);
}

/** Wait until the service worker controls nothing yet but holds every file of the site. */
async function waitForOfflineCopy(page) {
  await page.locator("#offline").waitFor({ state: "visible", timeout: 120_000 });
  await page.waitForFunction(async () => {
    const manifest = await (await fetch("files.json")).json();
    const name = (await caches.keys()).find((n) => n.startsWith("pycnn-"));
    if (!name) return false;
    const cached = new Set((await (await caches.open(name)).keys()).map((r) => new URL(r.url).pathname));
    return manifest.files.every((f) => cached.has(new URL(f.path, location.href).pathname));
  }, null, { timeout: 120_000, polling: 250 });
}

async function loadTimes(page) {
  await page.waitForFunction(() => document.body.dataset.ready === "true", null, { timeout: 120_000 });
  return { ready: await page.evaluate(() => window.pycnnTest.readyAt()),
    marks: await page.evaluate(() => window.pycnnTest.startup()) };
}

/** The start-up timeline of several loads: each mark's median time since navigation, in the
 * order of the medians, with the step from the previous mark. */
function timeline(loads) {
  const times = new Map();
  for (const { marks } of loads) {
    const seen = new Map();
    for (const [name, ms] of marks) {
      const n = (seen.get(name) || 0) + 1; // a name can repeat (two imports of one script)
      seen.set(name, n);
      const key = n > 1 ? `${name} #${n}` : name;
      if (!times.has(key)) times.set(key, []);
      times.get(key).push(ms);
    }
  }
  const rows = [...times].map(([name, values]) => [name, quantile(values, 0.5)]).sort((a, b) => a[1] - b[1]);
  return rows.map(([name, ms], i) => `    ${name.padEnd(36)} ${fmt(ms).padStart(10)}  ` +
    `(+${(ms - (i ? rows[i - 1][1] : 0)).toFixed(0)})`).join("\n");
}

/** Bytes fetched from the network on a first visit, until the offline copy is complete.
 * `persistent`: a fresh normal profile (disk cache) instead of a private context. */
async function firstVisitBytes(browser, siteUrl, persistent) {
  const proxy = await startCountingProxy(siteUrl);
  let context;
  let profile = null;
  try {
    if (persistent) {
      profile = fs.mkdtempSync(path.join(os.tmpdir(), "pycnn-profile-"));
      context = await chromium.launchPersistentContext(profile, {
        executablePath: CHROMIUM_PATH, args: CHROMIUM_ARGS, viewport: { width: 1280, height: 800 },
      });
    } else {
      context = await browser.newContext({ viewport: { width: 1280, height: 800 } });
    }
    await enableTestHooks(context);
    const page = await context.newPage();
    await page.goto(proxy.url);
    await loadTimes(page);
    await waitForOfflineCopy(page);
    await page.waitForTimeout(500);
    return tally(proxy.requests);
  } finally {
    if (context) await context.close();
    await proxy.close();
    if (profile) fs.rmSync(profile, { recursive: true, force: true });
  }
}

function bytesReport(name, { byPath, total }) {
  const big = Object.entries(byPath).filter(([, e]) => e.bytes > 1e6)
    .map(([p, e]) => `${p.slice(p.lastIndexOf("/") + 1)} ${e.count}x ${(e.bytes / 1e6).toFixed(1)} MB`);
  const twice = Object.values(byPath).filter((e) => e.count > 1).length;
  return `first visit, ${name}: ${(total / 1e6).toFixed(1)} MB from the network ` +
    `(${Object.keys(byPath).length} paths, ${twice} fetched more than once; files over 1 MB: ${big.join(", ")})`;
}

function figures(values) {
  return `median ${fmt(quantile(values, 0.5))}, p95 ${fmt(quantile(values, 0.95))}`;
}

async function main() {
  let samples = [];
  if (!STARTUP_ONLY) {
    const samplesFile = path.join(fs.mkdtempSync(path.join(os.tmpdir(), "pycnn-bench-")), "s.json");
    runPython("export_samples.py", ["--count", String(SAMPLES), "--seed", "11", "--out", samplesFile]);
    ({ samples } = JSON.parse(fs.readFileSync(samplesFile, "utf-8")));
  }

  const baselineRoot = BASELINE && (fs.existsSync(BASELINE) ? path.resolve(BASELINE) : checkoutRevision(BASELINE));
  const server = await startServer(PORT);
  const baseline = BASELINE ? { server: await startServer(PORT + 1, baselineRoot).catch((error) => {
    server.kill();
    throw error;
  }), url: `http://127.0.0.1:${PORT + 1}/` } : null;
  const browser = await launchChromium();
  const url = `http://127.0.0.1:${PORT}/`;
  try {
    // This checkout last, so its page is the one the stroke timings below use.
    const sites = [...(baseline ? [{ name: `baseline ${BASELINE}`, url: baseline.url }] : []),
      { name: "this checkout", url }];
    for (const site of sites) Object.assign(site, { cold: [], warm: [], page: null });
    // Loads alternate between the sites (in alternating order), so drift in the machine's load
    // hits both alike.
    const rounds = (i) => (i % 2 ? [...sites].reverse() : sites);
    const open = async (site) => {
      const context = await browser.newContext({ viewport: { width: 1280, height: 800 } });
      await enableTestHooks(context); // the timings are read through the test hooks
      site.page = await context.newPage();
      await site.page.goto(site.url);
      return loadTimes(site.page);
    };
    for (let i = 0; i < LOADS; i++) {
      for (const site of rounds(i)) {
        site.cold.push(await open(site));
        // Closed at once: what a page does once ready (its service worker's install, the
        // worker keeping bytecode) must not slow the next load.
        await site.page.context().close();
      }
    }
    if (WARM === 0) await open(sites[sites.length - 1]); // the page the strokes are drawn on
    if (WARM > 0) {
      // A first visit for each site, left until it is idle: the site held by its service
      // worker, the bytecode kept (when the worker keeps it), the compiled wasm cached.
      for (const site of sites) {
        await open(site);
        await waitForOfflineCopy(site.page);
        // (A worker that keeps bytecode marks "runtime downloaded"; an older one does not.)
        const keeps = (await site.page.evaluate(() => window.pycnnTest.startup()))
          .some(([name]) => name === "runtime downloaded");
        if (keeps) {
          await site.page.waitForFunction(async () => {
            const name = (await caches.keys()).find((n) => n.startsWith("pycnn-"));
            return !!(await (await caches.open(name)).match("python-bytecode.bin"));
          }, null, { timeout: 120_000, polling: 500 });
        }
        await site.page.waitForTimeout(3000);
      }
      for (let i = 0; i < WARM; i++) {
        for (const site of rounds(i)) {
          await site.page.reload();
          site.warm.push(await loadTimes(site.page));
          await site.page.waitForTimeout(3000);
        }
      }
    }
    console.log(`Chromium ${browser.version()}, ${os.cpus().length} cores, load average ` +
      `${os.loadavg().map((v) => v.toFixed(1)).join(" ")}`);
    for (const site of sites) {
      const cold = site.cold.map((l) => l.ready);
      console.log(`== ${site.name}`);
      console.log(`cold load to ready (${LOADS} fresh contexts, localhost): median ${fmt(quantile(cold, 0.5))}, ` +
        `min ${fmt(Math.min(...cold))}, max ${fmt(Math.max(...cold))}`);
      console.log(`  timeline, median of the cold loads (ms since navigation; +step):\n${timeline(site.cold)}`);
      if (site.warm.length) {
        const warm = site.warm.map((l) => l.ready);
        console.log(`warm load to ready (${warm.length} reloads served by the service worker): median ` +
          `${fmt(quantile(warm, 0.5))}, each: ${warm.map((v) => v.toFixed(0)).join(", ")} ms`);
        console.log(`  timeline, median of the warm loads:\n${timeline(site.warm)}`);
      }
      console.log(bytesReport("private context", await firstVisitBytes(browser, site.url, false)));
      console.log(bytesReport("normal profile", await firstVisitBytes(browser, site.url, true)));
    }
    const page = sites[sites.length - 1].page;
    const command = `node bench/page_timings.js --loads ${LOADS} --warm ${WARM}` +
      (BASELINE ? ` --baseline ${BASELINE}` : "");
    if (STARTUP_ONLY) {
      console.log(`command: ${command} --startup-only`);
      return;
    }

    for (const [i, sample] of samples.entries()) {
      for (const open of i % 2 ? [true, false] : [false, true]) {
        await setPanel(page, open);
        await page.keyboard.press("Escape");
        await drag(page, sample.strokes);
        await page.waitForTimeout(50); // let the "painted" frame land
      }
    }
    const stutterSamples = samples.slice(0, STUTTER_SAMPLES);
    const stutterClosed = await stutter(page, stutterSamples, false);
    const stutterOpen = await stutter(page, stutterSamples, true);
    await setPanel(page, false);
    if (SCREENSHOT) {
      await page.screenshot({ path: SCREENSHOT });
      console.log(`screenshot of the page with the last character: ${SCREENSHOT}`);
    }
    if (INSIDE_SCREENSHOT) {
      await setPanel(page, true);
      const box = await page.locator("#inside").boundingBox();
      const top = (await page.locator("header").boundingBox()).y;
      await page.setViewportSize({ width: 1280, height: Math.ceil(box.y + box.height) + 40 });
      // Down to the end of the third section (input, first convolution, its ReLU).
      const last = await page.locator("#inside-layers .layer").nth(2).boundingBox();
      await page.screenshot({
        path: INSIDE_SCREENSHOT,
        clip: { x: 0, y: top - 8, width: 1280, height: last.y + last.height + 16 - (top - 8) },
      });
      console.log(`screenshot of the open Look inside panel: ${INSIDE_SCREENSHOT}`);
      await setPanel(page, false);
    }
    const latencies = await page.evaluate(() => window.pycnnTest.latencies());
    const computeMs = await page.evaluate(() => window.pycnnTest.lastResult().ms);
    const closed = latencies.filter((l) => !l.insideOpen);
    const opened = latencies.filter((l) => l.insideOpen);
    const dom = closed.map((l) => l.dom);
    const painted = closed.map((l) => l.painted).filter((v) => v !== null);
    const openDom = opened.map((l) => l.dom);
    const openPainted = opened.map((l) => l.painted).filter((v) => v !== null);
    const openInside = opened.map((l) => l.inside).filter((v) => v !== null);

    console.log(`Look inside panel CLOSED (${dom.length} strokes of ${samples.length} test-split characters):`);
    console.log(`  stroke end to prediction in the DOM: ${figures(dom)}`);
    console.log(`  stroke end to the frame that paints it: ${figures(painted)}`);
    console.log(`Look inside panel OPEN (${openDom.length} strokes, the same characters):`);
    console.log(`  stroke end to prediction in the DOM: ${figures(openDom)}`);
    console.log(`  stroke end to the frame that paints it: ${figures(openPainted)}`);
    console.log(`  stroke end to every layer drawn in the panel: ${figures(openInside)}`);
    for (const [name, s] of [["CLOSED", stutterClosed], ["OPEN", stutterOpen]]) {
      console.log(`Stutter, panel ${name} (${s.strokes} strokes of ${stutterSamples.length} characters drawn back ` +
        `to back): longest frame gap during a stroke ${fmt(s.gap)}, longest long task during a stroke ` +
        `${s.task ? fmt(s.task) : "none (no task over 50 ms)"}`);
    }
    console.log(`worker compute for the last recognition (preprocess + network): ${fmt(computeMs)}`);
    console.log(`command: ${command} --samples ${SAMPLES} ` +
      `--stutter-samples ${STUTTER_SAMPLES} --port ${PORT}`);
  } finally {
    await browser.close();
    server.kill();
    if (baseline) baseline.server.kill();
  }
}

main().catch((error) => {
  console.error(`page_timings: ${error.stack}`);
  process.exitCode = 1;
});
