// The browser side of `make compat`: load Pyodide 0.17.1 and its NumPy, copy the repository's
// files and pytest's wheels into Pyodide's file system, and run pytest there (run_pytest.py).
// tests/compat/run.js serves this page and calls runCompat; pytest's output reaches it through
// window.compatWrite, which run.js exposes. Nothing here talks to any other origin.
"use strict";

const REPO = "/home/pyodide/repo"; // the repository's files, at their relative paths
const WHEELS = "/home/pyodide/wheels";

async function fetchBytes(url) {
  const response = await fetch(url);
  if (!response.ok) throw new Error(`${url}: HTTP ${response.status}`);
  return new Uint8Array(await response.arrayBuffer());
}

function writeFile(FS, target, bytes) {
  FS.mkdirTree(target.slice(0, target.lastIndexOf("/")));
  FS.writeFile(target, bytes);
}

/**
 * files: repository-relative paths (served under files/), wheels: wheel file names (served
 * under wheels/), args: pytest's arguments, version: Pyodide's npm version (its own
 * pyodide.__version__ says 0.17.0). Returns pytest's exit code.
 */
window.runCompat = async function runCompat({ files, wheels, args, version }) {
  const pyodide = await loadPyodide({ indexURL: "pyodide/" });
  const problems = [];
  // Only NumPy from Pyodide: its own pytest (3.6.3) and pluggy are too old for today's tests.
  await pyodide.loadPackage(["numpy"], () => {}, (message) => problems.push(message));
  if (problems.length) throw new Error(`loading NumPy: ${problems.join("; ")}`);
  const FS = pyodide._module.FS; // Pyodide 0.17 exposes the file system only here
  const fetched = await Promise.all([
    ...files.map((f) => fetchBytes(`files/${f}`)),
    ...wheels.map((w) => fetchBytes(`wheels/${w}`)),
    fetchBytes("run_pytest.py"),
  ]);
  files.forEach((f, i) => writeFile(FS, `${REPO}/${f}`, fetched[i]));
  wheels.forEach((w, i) => writeFile(FS, `${WHEELS}/${w}`, fetched[files.length + i]));
  writeFile(FS, "/home/pyodide/run_pytest.py", fetched[fetched.length - 1]);
  const config = { repo: REPO, wheels: WHEELS, args, pyodide: version };
  FS.writeFile("/home/pyodide/compat.json", JSON.stringify(config));
  return pyodide.runPython(`
import sys
sys.path.insert(0, "/home/pyodide")
import run_pytest
run_pytest.main("/home/pyodide/compat.json")
`);
};
