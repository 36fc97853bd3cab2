/* The recognizer's home: Pyodide, NumPy, pycnn and the model live in this Web Worker so the
 * page never freezes while they load or while the network computes. The page talks to it
 * only through web/recognizer-client.js; what each request does is Python, in
 * pycnn/page_api.py. This file loads everything, reports progress, and passes requests on.
 *
 * Messages in:  {type, id, ...fields, data: ArrayBuffer (transferred) | null}
 *               A request for PageApi.handle(type, JSON of {id, ...fields}, data). `set` is a
 *               character set: a pycnn.charsets name ("all", "digits", "upper", "lower",
 *               "letters", "symbols", "alnum") or the characters themselves. Today:
 *               {type: "info", id, data: null}
 *               {type: "check_set", id, set, data: null}
 *               {type: "recognise", id, width, height, set, data: RGBA pixels, row-major}
 *               {type: "reread", id, recognition, set, data: null}: recognition
 *                `recognition` (the id of a "recognise" request) read again within `set`
 *               {type: "inspect", id, recognition, set, data: null}: the layers of
 *                recognition `recognition`, its probabilities within `set`
 * Messages out: {type: "progress", step, steps, label, loaded, total}
 *               {type: "ready", startup}: loaded and warmed up; requests are answered from
 *                now on. startup: {timeOrigin, marks: [[name, ms], ...]}, when each start-up
 *                phase ended, in ms since this worker's timeOrigin (bench/page_timings.js)
 *               {type: "reply", id, reply, data: ArrayBuffer (transferred) | null, ms}
 *                reply is page_api's JSON, parsed:
 *                 info       {labels, network: {input_shape, layers, parameters},
 *                             filters: {index, shape} | null,
 *                             sets: {name: {set, size, error: sentence | null}}};
 *                            data: the filters, float32
 *                 check_set  {set, size, error: sentence | null}
 *                 recognise  {empty, top5: [[label, p], ...] (only labels in the set), set,
 *                             lookalikes: {labels, sets} | null (only in set "all"),
 *                             unsure: below the model's calibrated confidence threshold,
 *                             input_shape: [28, 28] | null};
 *                            data: the network's input, float32, null when empty
 *                 reread     {top5, set, lookalikes, unsure}: top5 null unless `recognition` is the
 *                            latest recognition with ink; computed from the scores it kept,
 *                            without running the network again
 *                 inspect    {layout: [{index, name, shape, offset}, ...] | null,
 *                             in_set: [bool per label] | null}; data: every layer's output,
 *                            float32, null unless `recognition` is the latest recognition
 *                            with ink
 *                ms: the time the worker spent on the request
 *               {type: "error", id, message, detail}: id is null when loading failed;
 *                message is one line for people, detail the whole Python traceback
 *
 * A classic worker, because Pyodide 0.17's pyodide.js loads its parts with importScripts.
 * Every URL is relative to this file, so the site works under any sub-path.
 */
"use strict";

const PYODIDE_DIR = "./pyodide/";
const MODEL_PATH = "weights/model.npz";
const STEPS = [
  "Downloading the Python runtime",
  "Loading NumPy",
  "Loading pycnn and the model",
  "Warming up the network",
];

let handle = null; // PageApi.handle, a Python function, set once everything is loaded

// When each start-up phase ended (ms since this worker's timeOrigin), posted with "ready".
const marks = [["worker", performance.now()]];
const mark = (name) => marks.push([name, performance.now()]);

// ---------------------------------------------------------------------------------------
// Progress by bytes. Pyodide fetches its parts three ways (importScripts for the JS,
// fetch for the wasm, XMLHttpRequest for the .data archives); each is wrapped only while
// loading, to count the bytes as they arrive.
const progress = { step: 0, loaded: 0, total: 0, sizes: new Map(), lastPost: 0 };

function report(force) {
  const now = performance.now();
  if (!force && now - progress.lastPost < 50) return;
  progress.lastPost = now;
  postMessage({
    type: "progress",
    step: progress.step + 1,
    steps: STEPS.length,
    label: STEPS[progress.step],
    loaded: Math.min(progress.loaded, progress.total),
    total: progress.total,
  });
}

function countBytes(n) {
  progress.loaded += n;
  report(false);
}

function startStep(index) {
  progress.step = index;
  report(true);
}

function sizeOf(url) {
  const path = new URL(url, self.location.href).pathname;
  for (const [name, size] of progress.sizes) {
    if (path.endsWith("/" + name)) return size;
  }
  return 0;
}

const nativeFetch = self.fetch.bind(self);
const nativeImportScripts = self.importScripts.bind(self);
const NativeXHR = self.XMLHttpRequest;

async function countingFetch(input, init) {
  const response = await nativeFetch(input, init);
  if (!response.ok || !response.body) return response;
  const counter = new TransformStream({
    transform(chunk, controller) {
      countBytes(chunk.byteLength);
      controller.enqueue(chunk);
    },
  });
  // Same status and headers (application/wasm matters for streaming compilation).
  return new Response(response.body.pipeThrough(counter), {
    status: response.status,
    statusText: response.statusText,
    headers: response.headers,
  });
}

class CountingXHR extends NativeXHR {
  constructor() {
    super();
    let seen = 0;
    this.addEventListener("progress", (event) => {
      countBytes(event.loaded - seen);
      seen = event.loaded;
    });
  }
}

function countingImportScripts(...urls) {
  nativeImportScripts(...urls);
  for (const url of urls) {
    countBytes(sizeOf(url));
    mark(`imported ${url.slice(url.lastIndexOf("/") + 1)}`);
  }
}

// Times the runtime's WebAssembly compilation (pyodide.asm.js calls instantiateStreaming).
for (const name of ["instantiateStreaming", "compileStreaming"]) {
  const native = WebAssembly[name];
  if (typeof native !== "function") continue;
  WebAssembly[name] = (...args) => {
    mark(`wasm ${name} called`);
    return native.apply(WebAssembly, args).then((result) => {
      mark("wasm compiled");
      return result;
    });
  };
}

function installCounters(on) {
  self.fetch = on ? countingFetch : nativeFetch;
  self.XMLHttpRequest = on ? CountingXHR : NativeXHR;
  self.importScripts = on ? countingImportScripts : nativeImportScripts;
}

// ---------------------------------------------------------------------------------------
async function fetchBytes(path) {
  const response = await fetch(path);
  if (!response.ok) {
    throw new Error(`the file ${path} could not be downloaded (HTTP ${response.status})`);
  }
  return new Uint8Array(await response.arrayBuffer());
}

async function load() {
  const listResponse = await nativeFetch("files.json");
  if (!listResponse.ok) {
    throw new Error(`the site's file list (files.json) is missing (HTTP ${listResponse.status})`);
  }
  const manifest = await listResponse.json();
  const pycnnFiles = manifest.files.filter((f) => f.path.startsWith("pycnn/"));
  for (const f of manifest.files) {
    if (f.path.startsWith("pyodide/") || f.path.startsWith("pycnn/") || f.path === MODEL_PATH) {
      progress.sizes.set(f.path, f.size);
      progress.total += f.size;
    }
  }

  installCounters(true);
  try {
    startStep(0);
    if (typeof WebAssembly !== "object") {
      throw new Error("this browser cannot run WebAssembly, which the recognizer needs");
    }
    importScripts(PYODIDE_DIR + "pyodide.js");
    const pyodide = await loadPyodide({ indexURL: PYODIDE_DIR });
    mark("runtime");

    startStep(1);
    const problems = [];
    await pyodide.loadPackage(manifest.pyodide_packages, () => {}, (message) => problems.push(message));
    if (problems.length) throw new Error("NumPy did not load: " + problems.join("; "));
    mark("numpy");

    startStep(2);
    const FS = pyodide._module.FS; // Pyodide 0.17 exposes the file system only here
    const site = "/home/pyodide/site";
    const files = await Promise.all(pycnnFiles.map((f) => fetchBytes(f.path)));
    pycnnFiles.forEach((f, i) => {
      const target = `${site}/${f.path}`;
      FS.mkdirTree(target.slice(0, target.lastIndexOf("/")));
      FS.writeFile(target, files[i]);
    });
    FS.writeFile("/home/pyodide/model.npz", await fetchBytes(MODEL_PATH));
    mark("pycnn files");
    pyodide.runPython(`
import sys
sys.path.insert(0, "${site}")
import importlib
importlib.invalidate_caches()
from pycnn.page_api import PageApi
`);
    mark("pycnn import");
    const api = pyodide.runPython(`
page_api = PageApi("/home/pyodide/model.npz")
page_api
`);
    mark("model");
    handle = api.handle;
    api.destroy();

    startStep(3);
    // One throwaway recognition so the first real one is not slowed by first-call costs.
    const side = 64;
    const warm = new Uint8Array(side * side * 4);
    for (let i = 0; i < side; i++) warm[(i * side + i) * 4 + 3] = 255;
    callPage("recognise", { id: 0, width: side, height: side }, warm.buffer);
    mark("first answer");

    progress.loaded = progress.total;
    report(true);
    postMessage({ type: "ready", startup: { timeOrigin: performance.timeOrigin, marks } });
  } finally {
    installCounters(false);
  }
}

// One request to PageApi.handle: {reply: parsed JSON, data: ArrayBuffer | null}.
function callPage(type, fields, data) {
  const proxy = handle(type, JSON.stringify(fields), data ? new Uint8Array(data) : null);
  try {
    // [JSON text, bytes or None] -> [string, Uint8Array with a buffer of its own, or undefined]
    const [replyJson, payload] = proxy.toJs();
    return { reply: JSON.parse(replyJson), data: payload ? payload.buffer : null };
  } finally {
    proxy.destroy();
  }
}

function plainError(error) {
  // A Python exception's message ends with its traceback; keep the last line for people.
  const text = String((error && error.message) || error);
  const lines = text.trim().split("\n").filter((l) => l.trim());
  return { message: lines[lines.length - 1] || "unknown error", detail: text };
}

const loading = load().catch((error) => {
  postMessage({ type: "error", id: null, ...plainError(error) });
  throw error;
});

self.onmessage = async (event) => {
  const { type, id, data, ...fields } = event.data;
  try {
    await loading;
  } catch (error) {
    postMessage({ type: "error", id, message: "the recognizer did not start", detail: "" });
    return;
  }
  const started = performance.now();
  try {
    const result = callPage(type, { id, ...fields }, data);
    const reply = { type: "reply", id, ...result, ms: performance.now() - started };
    postMessage(reply, result.data ? [result.data] : []);
  } catch (error) {
    postMessage({ type: "error", id, ...plainError(error) });
  }
};
