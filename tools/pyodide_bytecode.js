// Makes web/pyodide-bytecode.gz: the Python bytecode of every module of Pyodide's standard
// library, NumPy and the pyodide package that the page imports, so that a first visit need
// not compile them from source (Pyodide 0.17.1 ships sources only).
//
//   node tools/pyodide_bytecode.js [--port 18739]
//
// It builds and serves the site, opens it in Debian's Chromium, and compiles, inside the
// page's own worker (Python 3.8 of Pyodide 0.17.1), each imported module under /lib/python3.8
// to a checked-hash .pyc (PEP 552): Python uses one only while the source it was made from
// is unchanged, byte for byte, and compiles the source otherwise, so an archive left behind
// by an upgrade of Pyodide costs time, never correctness. pycnn's own modules stay out (they
// change with every commit); the worker keeps their bytecode after the first visit.
// Run it again after upgrading Pyodide. The archive's format is web/worker.js's
// restoreBytecode: [header length, u32 LE][JSON [[path, size], ...]][the files' bytes],
// gzipped (4.1 MB to 1.5 MB; the worker unzips it with DecompressionStream).
"use strict";

const fs = require("node:fs");
const zlib = require("node:zlib");
const path = require("node:path");
const { option, startServer, launchChromium } = require("../bench/browser");

const PORT = option("port", 18739);
const OUT = path.join(__dirname, "..", "web", "pyodide-bytecode.gz");

const COMPILE = `
import base64, importlib.util, json, py_compile, struct, sys

def _shipped_bytecode():
    paths, blobs = [], []
    for name, module in sorted(list(sys.modules.items())):
        spec = getattr(module, "__spec__", None)
        origin = getattr(spec, "origin", None)
        if not (origin and origin.endswith(".py") and origin.startswith("/lib/python3.8/")
                and getattr(spec, "cached", None)):
            continue
        target = importlib.util.cache_from_source(origin)
        py_compile.compile(origin, cfile=target, doraise=True,
                           invalidation_mode=py_compile.PycInvalidationMode.CHECKED_HASH)
        with open(target, "rb") as f:
            blobs.append(f.read())
        paths.append(target)
    header = json.dumps([[p, len(b)] for p, b in zip(paths, blobs)]).encode()
    return base64.b64encode(struct.pack("<I", len(header)) + header + b"".join(blobs)).decode()
`;

async function main() {
  if (fs.existsSync(OUT)) fs.rmSync(OUT); // the page must import everything from source
  const server = await startServer(PORT);
  const browser = await launchChromium();
  try {
    const page = await browser.newPage();
    await page.goto(`http://127.0.0.1:${PORT}/`);
    await page.waitForFunction(() => document.body.dataset.ready === "true", null, { timeout: 300_000 });
    const [worker] = page.workers();
    const archive = Buffer.from(await worker.evaluate((code) => {
      self.pyodide.runPython(code);
      return self.pyodide.globals.get("_shipped_bytecode")();
    }, COMPILE), "base64");
    const zipped = zlib.gzipSync(archive, { level: 9 });
    fs.writeFileSync(OUT, zipped);
    const count = JSON.parse(archive.subarray(4, 4 + archive.readUInt32LE(0)).toString()).length;
    console.log(`wrote ${path.relative(path.join(__dirname, ".."), OUT)}: ${count} modules, ${(archive.length / 1e6).toFixed(2)} MB, ` +
      `${(zipped.length / 1e6).toFixed(2)} MB gzipped`);
  } finally {
    await browser.close();
    server.kill();
  }
}

main().catch((error) => {
  console.error(`pyodide_bytecode: ${error.stack}`);
  process.exitCode = 1;
});
