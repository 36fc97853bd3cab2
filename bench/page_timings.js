// Page timings in this machine's Chromium: cold load to ready, and stroke end to prediction
// shown, with real UNIPEN test-split characters replayed as mouse drags.
//
//   node bench/page_timings.js [--loads 3] [--samples 30] [--port 18732] [--screenshot FILE]
//
// Builds and serves dist/ with build.py (on the model in weights/model.npz), then prints
// the figures and the command. Each cold load uses a fresh browser context (no HTTP cache,
// no service worker). "Stroke end to prediction" runs in the page, from the pointerup
// handler to the DOM holding the answer ("dom") and to the next animation frame, which
// paints it ("painted"); the worker's own compute time is reported beside it.
"use strict";

const { chromium } = require("@playwright/test");
const { spawn, execFileSync } = require("node:child_process");
const fs = require("node:fs");
const os = require("node:os");
const path = require("node:path");

const ROOT = path.resolve(__dirname, "..");
const PYTHON = process.env.PYCNN_PYTHON || path.join(ROOT, ".venv", "bin", "python");

function option(name, fallback) {
  const at = process.argv.indexOf(`--${name}`);
  return at > 0 ? Number(process.argv[at + 1]) : fallback;
}
const LOADS = option("loads", 3);
const SAMPLES = option("samples", 30);
const PORT = option("port", 18732);
const shotAt = process.argv.indexOf("--screenshot");
const SCREENSHOT = shotAt > 0 ? process.argv[shotAt + 1] : null; // PNG of the page, for the README

const CHROMIUM_ARGS = [
  "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
  "--disable-background-networking", "--disable-component-update", "--disable-sync",
];

function quantile(values, q) {
  const sorted = [...values].sort((a, b) => a - b);
  if (!sorted.length) return NaN;
  const pos = (sorted.length - 1) * q;
  const lo = Math.floor(pos);
  const hi = Math.ceil(pos);
  return sorted[lo] + (sorted[hi] - sorted[lo]) * (pos - lo);
}

const fmt = (ms) => `${ms.toFixed(1)} ms`;

async function startServer() {
  const server = spawn(PYTHON, ["build.py", "--serve", "--port", String(PORT)], {
    cwd: ROOT,
    stdio: ["ignore", "pipe", "inherit"],
  });
  await new Promise((resolve, reject) => {
    let output = "";
    server.stdout.on("data", (chunk) => {
      output += chunk;
      if (output.includes("Serving")) resolve();
    });
    server.on("exit", (code) => reject(new Error(`build.py exited with ${code}`)));
  });
  return server;
}

async function drag(page, strokes) {
  const box = await page.locator("#pad").boundingBox();
  const at = ([x, y]) => [box.x + x * box.width, box.y + y * box.height];
  for (const stroke of strokes) {
    await page.mouse.move(...at(stroke[0]));
    await page.mouse.down();
    for (const point of stroke.slice(1)) await page.mouse.move(...at(point));
    await page.mouse.up();
    // One stroke at a time: wait for its answer, so each latency is one stroke's.
    await page.waitForFunction(() => window.pycnnTest.settled());
  }
}

async function main() {
  const samplesFile = path.join(fs.mkdtempSync(path.join(os.tmpdir(), "pycnn-bench-")), "s.json");
  execFileSync(PYTHON, ["tests/e2e/export_samples.py", "--count", String(SAMPLES), "--seed", "11",
    "--out", samplesFile], { cwd: ROOT, stdio: "ignore" });
  const { samples } = JSON.parse(fs.readFileSync(samplesFile, "utf-8"));

  const server = await startServer();
  const browser = await chromium.launch({ executablePath: "/usr/bin/chromium", args: CHROMIUM_ARGS });
  const url = `http://127.0.0.1:${PORT}/`;
  try {
    const loads = [];
    let page;
    for (let i = 0; i < LOADS; i++) {
      const context = await browser.newContext({ viewport: { width: 1280, height: 800 } });
      page = await context.newPage();
      await page.goto(url);
      await page.waitForFunction(() => document.body.dataset.ready === "true", null, { timeout: 120_000 });
      loads.push(await page.evaluate(() => window.pycnnTest.readyAt()));
      if (i < LOADS - 1) await context.close();
    }

    for (const sample of samples) {
      await page.keyboard.press("Escape");
      await drag(page, sample.strokes);
    }
    await page.waitForTimeout(100); // let the last "painted" frame land
    if (SCREENSHOT) {
      await page.screenshot({ path: SCREENSHOT });
      console.log(`screenshot of the page with the last character: ${SCREENSHOT}`);
    }
    const latencies = await page.evaluate(() => window.pycnnTest.latencies());
    const computeMs = await page.evaluate(() => window.pycnnTest.lastResult().ms);
    const dom = latencies.map((l) => l.dom);
    const painted = latencies.map((l) => l.painted).filter((v) => v !== null);

    console.log(`Chromium ${browser.version()}, ${os.cpus().length} cores, load average ` +
      `${os.loadavg().map((v) => v.toFixed(1)).join(" ")}`);
    console.log(`cold load to ready (${LOADS} fresh contexts, localhost): median ${fmt(quantile(loads, 0.5))}, ` +
      `min ${fmt(Math.min(...loads))}, max ${fmt(Math.max(...loads))}`);
    console.log(`stroke end to prediction in the DOM (${dom.length} strokes of ${samples.length} ` +
      `test-split characters): median ${fmt(quantile(dom, 0.5))}, p95 ${fmt(quantile(dom, 0.95))}`);
    console.log(`stroke end to the frame that paints it: median ${fmt(quantile(painted, 0.5))}, ` +
      `p95 ${fmt(quantile(painted, 0.95))}`);
    console.log(`worker compute for the last recognition (preprocess + network): ${fmt(computeMs)}`);
    console.log(`command: node bench/page_timings.js --loads ${LOADS} --samples ${SAMPLES} --port ${PORT}`);
  } finally {
    await browser.close();
    server.kill();
  }
}

main().catch((error) => {
  console.error(`page_timings: ${error.message}`);
  process.exitCode = 1;
});
