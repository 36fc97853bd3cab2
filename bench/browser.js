// What the browser benchmarks share: the built site served by build.py, Debian's Chromium
// launched with the project's flags, `--name value` options, and quantiles.
"use strict";

const { chromium } = require("@playwright/test");
const { execSync, spawn } = require("node:child_process");
const fs = require("node:fs");
const os = require("node:os");
const path = require("node:path");
const { ROOT, PYTHON, CHROMIUM_PATH, CHROMIUM_ARGS } = require("../tests/e2e/env");

/** The value after `--name` on the command line, read by `parse`; `fallback` without it. */
function option(name, fallback, parse = Number) {
  const at = process.argv.indexOf(`--${name}`);
  return at > 0 ? parse(process.argv[at + 1]) : fallback;
}

/** Build dist/ and serve it on 127.0.0.1:port; resolves once build.py says it is serving.
 * `root`: another checkout to build and serve (see checkoutRevision). */
async function startServer(port, root = ROOT) {
  const server = spawn(PYTHON, ["build.py", "--serve", "--port", String(port)], {
    cwd: root,
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

/** The files of git revision `rev` in a new temporary folder, sharing this checkout's
 * node_modules and .venv, for a before/after comparison in one run. */
function checkoutRevision(rev) {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "pycnn-rev-"));
  execSync(`git archive ${rev} | tar -x -C "${dir}"`, { cwd: ROOT, stdio: ["ignore", "ignore", "inherit"] });
  for (const name of ["node_modules", ".venv"]) fs.symlinkSync(path.join(ROOT, name), path.join(dir, name));
  return dir;
}

function launchChromium() {
  return chromium.launch({ executablePath: CHROMIUM_PATH, args: CHROMIUM_ARGS });
}

/** The q-quantile of values (linear between the two nearest ranks), NaN for none. */
function quantile(values, q) {
  const sorted = [...values].sort((a, b) => a - b);
  if (!sorted.length) return NaN;
  const pos = (sorted.length - 1) * q;
  const lo = Math.floor(pos);
  const hi = Math.ceil(pos);
  return sorted[lo] + (sorted[hi] - sorted[lo]) * (pos - lo);
}

module.exports = { option, startServer, checkoutRevision, launchChromium, quantile };
