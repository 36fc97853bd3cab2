// Where things are for the browser tests and benchmarks: the repository, its Python, and
// Debian's Chromium with the flags this project launches it with (its own download does not
// work here). No Playwright import, so the config can read it too.
"use strict";

const path = require("node:path");

const ROOT = path.resolve(__dirname, "..", "..");
const PYTHON = process.env.PYCNN_PYTHON || path.join(ROOT, ".venv", "bin", "python");
const CHROMIUM_PATH = "/usr/bin/chromium";
const CHROMIUM_ARGS = [
  "--no-sandbox",
  "--disable-gpu",
  "--disable-quic",
  "--no-first-run",
  "--disable-background-networking",
  "--disable-component-update",
  "--disable-sync",
];

module.exports = { ROOT, PYTHON, CHROMIUM_PATH, CHROMIUM_ARGS };
