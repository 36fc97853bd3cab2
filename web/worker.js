/* The recognizer's home: Pyodide, NumPy, pycnn and the model live in this Web Worker so the
 * page never freezes while they load or while the network computes.
 *
 * Messages in:  {type: "recognise", id, width, height, pixels: ArrayBuffer (RGBA, transferred)}
 *               {type: "inspect", id}: every layer's output for recognition `id`
 * Messages out: {type: "progress", step, steps, label, loaded, total}
 *               {type: "ready", labels, metadata, loadMs, network: {input_shape, layers,
 *                parameters}, filters: {index, shape, values: Float32Array} | null}
 *               {type: "result", id, empty, top5: [[label, p], ...], input: Float32Array(784), ms}
 *               {type: "activations", id, layout: [{index, name, shape, offset}, ...],
 *                values: Float32Array (transferred), ms}; values null if `id` is not the
 *                latest recognition or the pad was empty
 *               {type: "error", id?, message, detail}
 *
 * Every recognition keeps its forward pass's layer outputs (references, no copies), so the
 * "Look inside" panel is served from the pass that made the answer, never a second one.
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

let recognise = null; // Python function, set once everything is loaded
let activations = null; // Python function: the latest recognition's layer outputs, packed
let tracedId = null; // the recognition whose forward pass the recognizer keeps

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
  for (const url of urls) countBytes(sizeOf(url));
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
  const started = performance.now();
  const manifestResponse = await nativeFetch("manifest.json");
  if (!manifestResponse.ok) {
    throw new Error(`the site's file list (manifest.json) is missing (HTTP ${manifestResponse.status})`);
  }
  const manifest = await manifestResponse.json();
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

    startStep(1);
    const problems = [];
    await pyodide.loadPackage(manifest.pyodide_packages, () => {}, (message) => problems.push(message));
    if (problems.length) throw new Error("NumPy did not load: " + problems.join("; "));

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
    pyodide.runPython(`
import sys
sys.path.insert(0, "${site}")
import importlib
importlib.invalidate_caches()
from pycnn.recognizer import Recognizer

_recognizer = Recognizer("/home/pyodide/model.npz")

def _recognise_for_js(pixels, width, height):
    # A JS typed array arrives as a JsProxy; to_py() copies it into one Python buffer.
    if hasattr(pixels, "to_py"):
        pixels = pixels.to_py()
    # trace=True keeps references to the layer outputs of this very pass: no extra work.
    result = _recognizer.recognise_rgba(pixels, width, height, trace=True)
    image = result["input"]
    return [result["empty"], result["top5"],
            None if image is None else image.astype("<f4").tobytes()]

def _activations_for_js():
    import json
    packed = _recognizer.layer_activations()
    if packed is None:
        return [None, None]
    layout, values = packed
    return [json.dumps(layout), values.astype("<f4").tobytes()]

def _model_info():
    import json
    filters = _recognizer.first_conv_filters()
    return [json.dumps({"labels": _recognizer.labels, "metadata": _recognizer.metadata,
                        "network": _recognizer.network(),
                        "filters_index": None if filters is None else filters[0],
                        "filters_shape": None if filters is None else list(filters[1].shape)},
                       default=str),
            None if filters is None else filters[1].astype("<f4").tobytes()]
`);
    recognise = pyodide.globals.get("_recognise_for_js");
    activations = pyodide.globals.get("_activations_for_js");
    const [infoJson, filterBytes] = callPython(pyodide.globals.get("_model_info"));
    const info = JSON.parse(infoJson);
    const filters = filterBytes && {
      index: info.filters_index,
      shape: info.filters_shape,
      values: float32From(filterBytes),
    };

    startStep(3);
    // One throwaway recognition so the first real one is not slowed by first-call costs.
    const side = 64;
    const warm = new Uint8Array(side * side * 4);
    for (let i = 0; i < side; i++) warm[(i * side + i) * 4 + 3] = 255;
    runRecognition(warm, side, side);

    progress.loaded = progress.total;
    report(true);
    postMessage({
      type: "ready",
      labels: info.labels,
      metadata: info.metadata,
      network: info.network,
      filters,
      loadMs: performance.now() - started,
    }, filters ? [filters.values.buffer] : []);
  } finally {
    installCounters(false);
  }
}

// Python bytes of little-endian float32 -> a Float32Array with its own buffer.
function float32From(pyBytes) {
  const bytes = pyBytes instanceof Uint8Array ? pyBytes : new Uint8Array(pyBytes);
  return new Float32Array(bytes.slice().buffer);
}

// Call a Python function returning a list, convert it, free the proxy.
function callPython(fn, ...args) {
  const proxy = fn(...args);
  try {
    return proxy.toJs();
  } finally {
    proxy.destroy();
  }
}

function runRecognition(pixels, width, height) {
  const [empty, top5, inputBytes] = callPython(recognise, pixels, width, height);
  return { empty, top5, input: inputBytes ? float32From(inputBytes) : null };
}

function packActivations(id) {
  const started = performance.now();
  if (id === null || id !== tracedId) return { id, layout: null, values: null, ms: 0 };
  const [layoutJson, valueBytes] = callPython(activations);
  if (!layoutJson) return { id, layout: null, values: null, ms: 0 };
  return {
    id,
    layout: JSON.parse(layoutJson),
    values: float32From(valueBytes),
    ms: performance.now() - started,
  };
}

function plainError(error) {
  // A Python exception's message ends with its traceback; keep the last line for people.
  const text = String((error && error.message) || error);
  const lines = text.trim().split("\n").filter((l) => l.trim());
  return { message: lines[lines.length - 1] || "unknown error", detail: text };
}

const loading = load().catch((error) => {
  const { message, detail } = plainError(error);
  postMessage({ type: "error", phase: "load", message, detail });
  throw error;
});

self.onmessage = async (event) => {
  const msg = event.data;
  if (msg.type !== "recognise" && msg.type !== "inspect") return;
  try {
    await loading;
  } catch (error) {
    return; // already reported
  }
  if (msg.type === "inspect") {
    try {
      const packed = packActivations(msg.id);
      postMessage({ type: "activations", ...packed }, packed.values ? [packed.values.buffer] : []);
    } catch (error) {
      const { message, detail } = plainError(error);
      postMessage({ type: "error", phase: "inspect", id: msg.id, message, detail });
    }
    return;
  }
  const started = performance.now();
  try {
    const pixels = new Uint8Array(msg.pixels);
    tracedId = null;
    const result = runRecognition(pixels, msg.width, msg.height);
    tracedId = result.empty ? null : msg.id;
    const reply = { type: "result", id: msg.id, ...result, ms: performance.now() - started };
    postMessage(reply, result.input ? [result.input.buffer] : []);
  } catch (error) {
    const { message, detail } = plainError(error);
    postMessage({ type: "error", phase: "recognise", id: msg.id, message, detail });
  }
};
