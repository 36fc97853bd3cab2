// `make compat`: run pytest on the page-side unit tests inside Pyodide 0.17.1 (Python 3.8,
// NumPy 1.17.5), the runtime the drawing page uses, in Debian's headless Chromium.
//
//     node tests/compat/run.js --wheels DIR [pytest arguments: test files, -k ..., -x ...]
//
// DIR holds pure-Python wheels of pytest and its dependencies for Python 3.8 (the Makefile
// downloads them). This script serves this folder, Pyodide from node_modules, the repository's
// pycnn/, tests/ (without e2e/ and compat/) and pyproject.toml, and the wheels on 127.0.0.1,
// opens index.html in Chromium, and prints pytest's output as it comes. Its exit status is pytest's (2 if the
// run could not start), so a failing test fails `make compat`.
"use strict";

const fs = require("node:fs");
const http = require("node:http");
const path = require("node:path");
const { chromium } = require("@playwright/test");
const { ROOT, CHROMIUM_PATH, CHROMIUM_ARGS } = require("../e2e/env");

const HERE = __dirname;
const PYODIDE_PACKAGE = path.join(ROOT, "node_modules", "@pyodide", "pyodide");
const PYODIDE_DIR = path.join(PYODIDE_PACKAGE, "dist");
const PYODIDE_VERSION = require(path.join(PYODIDE_PACKAGE, "package.json")).version;
// Fixed flags: no cache folder to write; no faulthandler (it wants a real stderr file
// descriptor); capture at the sys level, as pytest's output goes to a stream, not fd 1.
const PYTEST_FLAGS = ["-p", "no:cacheprovider", "-p", "no:faulthandler", "--capture=sys"];
const TIMEOUT_MS = 15 * 60 * 1000; // a hang must not eat CI's budget (a run takes ~30 s)
const TYPES = {
  ".html": "text/html; charset=utf-8",
  ".js": "text/javascript; charset=utf-8",
  ".json": "application/json",
  ".wasm": "application/wasm",
};

function usage(message) {
  process.stderr.write(`compat: ${message}\nusage: node tests/compat/run.js --wheels DIR [pytest args]\n`);
  process.exit(2);
}

function parseArgs(argv) {
  let wheelDir = null;
  const pytestArgs = [];
  for (let i = 0; i < argv.length; i++) {
    if (argv[i] === "--wheels") wheelDir = argv[++i];
    else pytestArgs.push(argv[i]);
  }
  if (!wheelDir) usage("--wheels DIR is required");
  wheelDir = path.resolve(ROOT, wheelDir);
  if (!fs.existsSync(wheelDir)) usage(`no wheel folder ${wheelDir}`);
  for (const arg of pytestArgs) {
    const file = arg.split("::")[0];
    if (file.endsWith(".py") && !fs.existsSync(path.join(ROOT, file))) usage(`no test file ${file}`);
  }
  return { wheelDir, pytestArgs };
}

/** Repository-relative paths of every file copied into Pyodide: pycnn/, tests/ with its data
 * (golden files) but not e2e/ or compat/, pyproject.toml (pytest's configuration), and the
 * word list with its licence, which the page will load and whose tests read the shipped file. */
function repositoryFiles() {
  const skip = new Set(["__pycache__", "tests/e2e", "tests/compat"]);
  const files = ["pyproject.toml", "weights/lexicon-en.tsv.gz", "weights/LEXICON-LICENSE.md"];
  const walk = (dir) => {
    for (const entry of fs.readdirSync(path.join(ROOT, dir), { withFileTypes: true })) {
      const rel = `${dir}/${entry.name}`;
      if (skip.has(entry.name) || skip.has(rel)) continue;
      if (entry.isDirectory()) walk(rel);
      else if (entry.isFile() && !entry.name.endsWith(".pyc")) files.push(rel);
    }
  };
  walk("pycnn");
  walk("tests");
  return files.sort();
}

/** A static server for exactly the files the page needs, on a free port of 127.0.0.1. */
function serve(files, wheelDir, wheels) {
  const routes = new Map([
    ["/", path.join(HERE, "index.html")],
    ["/page.js", path.join(HERE, "page.js")],
    ["/run_pytest.py", path.join(HERE, "run_pytest.py")],
  ]);
  for (const f of files) routes.set(`/files/${f}`, path.join(ROOT, f));
  for (const w of wheels) routes.set(`/wheels/${w}`, path.join(wheelDir, w));
  const server = http.createServer((request, response) => {
    const url = decodeURIComponent(new URL(request.url, "http://127.0.0.1").pathname);
    let file = routes.get(url);
    const name = url.slice("/pyodide/".length);
    if (!file && url.startsWith("/pyodide/") && /^[\w.-]+$/.test(name)) {
      file = path.join(PYODIDE_DIR, name);
    }
    fs.readFile(file || "", (error, body) => {
      if (error) {
        process.stderr.write(`compat: not served: ${url}\n`);
        response.writeHead(404).end();
        return;
      }
      const type = TYPES[path.extname(file)] || "application/octet-stream";
      response.writeHead(200, { "Content-Type": type, "Cache-Control": "no-store" }).end(body);
    });
  });
  return new Promise((resolve) => server.listen(0, "127.0.0.1", () => resolve(server)));
}

async function main() {
  const { wheelDir, pytestArgs } = parseArgs(process.argv.slice(2));
  const wheels = fs.readdirSync(wheelDir).filter((w) => w.endsWith(".whl")).sort();
  if (!wheels.some((w) => w.startsWith("pytest-"))) usage(`no pytest wheel in ${wheelDir}`);
  const files = repositoryFiles();
  const server = await serve(files, wheelDir, wheels);
  const timer = setTimeout(() => {
    process.stderr.write(`compat: no result after ${TIMEOUT_MS / 60000} minutes, giving up\n`);
    process.exit(2);
  }, TIMEOUT_MS);
  const browser = await chromium.launch({ executablePath: CHROMIUM_PATH, args: CHROMIUM_ARGS });
  try {
    const page = await browser.newPage();
    page.on("pageerror", (error) => process.stderr.write(`compat: page error: ${error.message}\n`));
    page.on("console", (message) => {
      if (message.type() === "error") process.stderr.write(`compat: console: ${message.text()}\n`);
    });
    await page.exposeFunction("compatWrite", (text) => process.stdout.write(text));
    await page.goto(`http://127.0.0.1:${server.address().port}/`);
    const code = await page.evaluate(
      (options) => window.runCompat(options),
      { files, wheels, args: [...PYTEST_FLAGS, ...pytestArgs], version: PYODIDE_VERSION },
    );
    process.exitCode = code;
  } finally {
    clearTimeout(timer);
    await browser.close();
    server.close();
  }
}

main().catch((error) => {
  process.stderr.write(`compat: could not run pytest in Pyodide: ${error.stack || error}\n`);
  process.exit(2);
});
