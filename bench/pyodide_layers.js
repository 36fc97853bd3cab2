// Where a recognition's time goes inside the page's Pyodide (Python 3.8, NumPy 1.17.5, WebAssembly,
// one thread): preprocessing of the canvas pixels, then every layer's forward pass.
//
//   node bench/pyodide_layers.js [--repeats 50] [--port 18733]
//
// Builds and serves dist/ with build.py, opens the page in Debian's Chromium, waits until it
// is ready, and then times, inside the page's own Web Worker, the recognizer the page uses on
// a drawn "8" (the median of --repeats runs, after as many runs of warm-up). It prints a table
// and the command.
"use strict";

const { option, startServer, launchChromium } = require("./browser");


const REPEATS = option("repeats", 50);
const PORT = option("port", 18733);

// Runs in the worker's Python: `page_api.recognizer` is the page's own Recognizer.
const PROFILE = `
import json, time
import numpy as np
from pycnn.read.preprocess import ink_from_pixels, preprocess, preprocess_ink

def _profile(repeats, side):
    # An "8" of two rings on a pad the size of the page's (CSS 280 px at device ratio 2).
    yy, xx = np.mgrid[0:side, 0:side]
    rgba = np.zeros((side, side, 4), np.uint8)
    for cy, r in ((0.35, 0.14), (0.66, 0.17)):
        d = np.hypot(xx - side / 2, yy - cy * side)
        rgba[..., 3] = np.maximum(rgba[..., 3], (np.abs(d - r * side) < 0.02 * side) * 255)
    flat = rgba.reshape(-1)
    model = page_api.recognizer.model

    # Chromium first runs WebAssembly through its baseline compiler and swaps in optimised
    # code a little later: warm up, or the first rows pay for that.
    for _ in range(repeats):
        page_api.recognizer.recognise_rgba(flat, side, side, trace=True)

    def median_ms(fn):
        times = []
        for _ in range(repeats):
            t = time.perf_counter()
            fn()
            times.append(1000 * (time.perf_counter() - t))
        return float(np.median(times))

    ink = ink_from_pixels(flat, side, side)
    rows = [["preprocess %dx%d RGBA" % (side, side), median_ms(lambda: preprocess(flat, side, side))],
            ["  of which ink_from_pixels", median_ms(lambda: ink_from_pixels(flat, side, side))],
            ["  of which preprocess_ink", median_ms(lambda: preprocess_ink(ink))]]
    x = np.asarray(preprocess(flat, side, side), np.float32).reshape(1, 1, 28, 28)
    for i, layer in enumerate(model.layers):
        y = layer.forward(x)
        rows.append(["%d %s %s" % (i, type(layer).__name__, "x".join(map(str, y.shape[1:]))),
                     median_ms(lambda: layer.forward(x))])
        x = y
    rows.append(["whole recognise_rgba", median_ms(lambda: page_api.recognizer.recognise_rgba(flat, side, side, trace=True))])
    return json.dumps(rows)
`;


async function main() {
  const server = await startServer(PORT);
  const browser = await launchChromium();
  try {
    const page = await browser.newPage();
    await page.goto(`http://127.0.0.1:${PORT}/`);
    await page.waitForFunction(() => document.body.dataset.ready === "true", null, { timeout: 120_000 });
    const [worker] = page.workers();
    // Pyodide 0.17's loadPyodide leaves `pyodide` on the worker's global object.
    const rows = JSON.parse(await worker.evaluate(([code, repeats]) => {
      self.pyodide.runPython(code);
      return self.pyodide.globals.get("_profile")(repeats, 560);
    }, [PROFILE, REPEATS]));
    const layerSum = rows.slice(3, -1).reduce((sum, [, ms]) => sum + ms, 0);
    console.log(`In the page's Web Worker (Pyodide 0.17.1, NumPy 1.17.5), median of ${REPEATS} runs:`);
    for (const [name, ms] of rows) console.log(`  ${name.padEnd(34)} ${ms.toFixed(2).padStart(7)} ms`);
    console.log(`  ${"sum of the layers".padEnd(34)} ${layerSum.toFixed(2).padStart(7)} ms`);
    console.log(`command: node bench/pyodide_layers.js --repeats ${REPEATS}`);
  } finally {
    await browser.close();
    server.kill();
  }
}

main().catch((error) => {
  console.error(error);
  process.exit(1);
});
