/* The recognizer's home: Pyodide, NumPy, pycnn and the model live in this Web Worker so the
 * page never freezes while they load or while the network computes. The page talks to it
 * only through web/recognizer-client.js; what each request does is Python, in
 * pycnn/page/api.py. This file loads everything, reports progress, and passes requests on.
 *
 * Messages in:  {type, id, ...fields, data: ArrayBuffer (transferred) | null}
 *               A request for PageApi.handle(type, JSON of {id, ...fields}, data). `set` is a
 *               character set: a pycnn.read.charsets name ("all", "digits", "upper", "lower",
 *               "letters", "symbols", "alnum") or the characters themselves. Today:
 *               {type: "info", id, data: null}
 *               {type: "check_set", id, set, data: null}
 *               {type: "recognise", id, width, height, set, data: RGBA pixels, row-major}
 *               {type: "reread", id, recognition, set, data: null}: recognition
 *                `recognition` (the id of a "recognise" request) read again within `set`
 *               {type: "inspect", id, recognition, set, data: null}: the layers of
 *                recognition `recognition`, its probabilities within `set`
 *               and the learning requests (learn_begin, learn_step, learn_cancel,
 *               model_export, model_load, model_use, model_forget; pycnn/page/api.py and
 *               web/learning.js): the first learn_begin first fetches what only learning
 *               needs (files.json's "learning"), so start-up never does
 *               and the word requests (words_load, words_read, words_reread,
 *               words_personal, words_inspect; docs/worker-protocol.md): the first of them
 *               first fetches what only Word mode needs (files.json's "words": the word
 *               model, the word list, the word modules) and loads it; words_load's paths
 *               are the worker's own
 * Messages out: {type: "progress", step, steps, label, loaded, total}
 *               {type: "words_progress", loaded, total}: bytes of Word mode's files so far,
 *                while the first word request fetches them
 *               {type: "ready", startup}: loaded and warmed up; requests are answered from
 *                now on. startup: {timeOrigin, marks: [[name, ms], ...]}, when each start-up
 *                phase ended, in ms since this worker's timeOrigin (bench/page_timings.js)
 *               {type: "kept"}: after "ready", what the worker downloaded is in the offline
 *                cache (or could not be put there); the page registers the service worker
 *               {type: "reply", id, reply, data: ArrayBuffer (transferred) | null, ms}
 *                reply is page_api's JSON, parsed:
 *                 info       {labels, network: {input_shape, layers, parameters},
 *                             filters: {index, shape} | null,
 *                             sets: {name: {set, size, error: sentence | null}},
 *                             requests, in_use, words: whether this build ships Word mode
 *                             (added here, from files.json)};
 *                            data: the filters, float32
 *                 check_set  {set, size, error: sentence | null}
 *                 recognise  {empty, top5: [[label, p], ...] (only labels in the set), set,
 *                             lookalikes: {labels, sets} | null (only in set "all"),
 *                             unsure: what is shown is below the model's unsure threshold,
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
let runtime = null; // the Pyodide instance, once loaded

// When each start-up phase ended (ms since this worker's timeOrigin), posted with "ready".
const marks = [["worker", performance.now()]];
const mark = (name) => marks.push([name, performance.now()]);

// ---------------------------------------------------------------------------------------
// Progress by bytes: every large file is fetched here, by readAll, which counts its chunks;
// Pyodide's scripts and package list count once loaded.
const progress = { step: 0, loaded: 0, total: 0, lastPost: 0, sizes: new Map() };

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

function startStep(index) {
  progress.step = index;
  report(true);
}

const nativeImportScripts = self.importScripts.bind(self);
const imported = new Set();

// pyodide.js imports pyodide.asm.js itself; the worker imports it first (while the wasm and
// the standard library download), so the second import is skipped.
self.importScripts = (...urls) => {
  for (const url of urls) {
    const name = url.slice(url.lastIndexOf("/") + 1);
    if (imported.has(name)) continue;
    nativeImportScripts(url);
    imported.add(name);
    mark(`imported ${name}`);
    progress.loaded += progress.sizes.get(name) || 0; // scripts are counted once loaded
    report(false);
  }
};

// ---------------------------------------------------------------------------------------
// Downloads. Everything starts at once, as soon as this worker runs, instead of one file
// after another as Pyodide would ask for them.
//
// A first visit fetches each file once: once the page is ready, the worker puts what it
// fetched from the network into the service worker's cache (the cache for the build named
// in files.json) and then says "kept"; only then does the page register the service worker,
// whose install adds only what is still missing (web/sw.js). Writing 27 MB while Python
// starts would compete with it for the CPU, so the copies wait. Files that came from that
// cache already (a second visit) are not written again.

const filesJson = fetch("files.json").then((response) => {
  if (!response.ok) {
    throw new Error(`the site's file list (files.json) is missing (HTTP ${response.status})`);
  }
  return response.json();
});

// The cache this build's files belong in, and the paths it already holds (null: no caching).
const offlineCache = filesJson.then(async (manifest) => {
  if (!self.caches || !manifest.build) return null;
  try {
    const cache = await caches.open(`pycnn-${manifest.build}`);
    const held = new Set((await cache.keys()).map((request) => new URL(request.url).pathname));
    return { cache, held };
  } catch (error) {
    return null; // storage refused (a private window may): the service worker fetches it
  }
});
const toKeep = []; // [path, Headers, ArrayBuffer] of every file fetched here

function notDownloaded(path, response) {
  return new Error(`the file ${path.replace(/^\.\//, "")} could not be downloaded (HTTP ${response.status})`);
}

/** Put what this worker downloaded into the offline cache, one file at a time, skipping what
 * the cache already holds. A file that could not be kept is left to the service worker. */
async function keepOffline() {
  const offline = await offlineCache.catch(() => null);
  while (toKeep.length) {
    const [path, headers, bytes] = toKeep.shift();
    const url = new URL(path, self.location.href);
    if (!offline || offline.held.has(url.pathname)) continue;
    await offline.cache.put(url, new Response(bytes, { headers })).catch(() => {});
  }
}

/** A fetched body as one ArrayBuffer, counting bytes as they arrive. */
async function readAll(response) {
  const reader = response.body.getReader();
  const chunks = [];
  let size = 0;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    chunks.push(value);
    size += value.byteLength;
    progress.loaded += value.byteLength;
    report(false);
  }
  const bytes = new Uint8Array(size);
  let at = 0;
  for (const chunk of chunks) {
    bytes.set(chunk, at);
    at += chunk.byteLength;
  }
  return bytes.buffer;
}

/** fetch(path), with a failure of the network itself said in words a visitor can act on. */
async function fetchFile(path) {
  try {
    return await fetch(path);
  } catch (error) {
    throw new Error(`the file ${path.replace(/^\.\//, "")} could not be downloaded (${error.message})`);
  }
}

/** Fetch `path` (relative to this worker): its bytes as an ArrayBuffer, kept for the cache. */
async function download(path) {
  const response = await fetchFile(path);
  if (!response.ok) throw notDownloaded(path, response);
  const bytes = await readAll(response);
  toKeep.push([path, response.headers, bytes]);
  return bytes;
}

/** Compile the runtime's WebAssembly while it downloads. A streaming compilation of the
 * response as fetched (not a copy: a constructed Response has no URL and no code cache) lets
 * Chromium keep the compiled code with the cached file and reuse it on the next visit. */
async function compileRuntime() {
  const path = PYODIDE_DIR + "pyodide.asm.wasm";
  const response = await fetchFile(path);
  if (!response.ok) throw notDownloaded(path, response);
  const copy = response.clone(); // for the progress bar and the offline cache
  const bytes = readAll(copy);
  const module = await WebAssembly.compileStreaming(response);
  toKeep.push([path, copy.headers, await bytes]);
  mark("wasm compiled");
  return module;
}

const runtimeWasm = compileRuntime();
const runtimeData = download(PYODIDE_DIR + "pyodide.asm.data");
runtimeWasm.catch(() => {});
runtimeData.catch(() => {});

// ---------------------------------------------------------------------------------------
// Python bytecode. Pyodide 0.17 ships sources only and writes no bytecode, so every start
// compiled each module it imports (over 200: the standard library's start-up, NumPy, pycnn)
// from source. After the first start the worker compiles them once more, in slices between
// requests, into .pyc files that Python loads without checking their source (PEP 552
// "unchecked hash": the files belong to one build, and the cache they are kept in is this
// build's: a new build starts without them), and keeps them, one archive, in the offline
// cache. Later starts write them into the file system before Python starts.
//
// A first visit has no such archive yet; it gets web/pyodide-bytecode.gz, made by
// tools/pyodide_bytecode.js: the standard library's and NumPy's modules as checked-hash .pyc files,
// which Python uses only while their source is unchanged (pycnn's modules are not in it).
const BYTECODE = "python-bytecode.bin"; // a cache entry beside the site's files, not a file of it
const SHIPPED_BYTECODE = "pyodide-bytecode.gz"; // a file of the site, when the build has it
const savedBytecode = offlineCache.then(async (offline) => {
  const hit = offline && (await offline.cache.match(new URL(BYTECODE, self.location.href)));
  return hit ? hit.arrayBuffer() : null;
}).catch(() => null);

function gunzip(bytes) {
  return new Response(new Blob([bytes]).stream().pipeThrough(new DecompressionStream("gzip"))).arrayBuffer();
}

/** Write an archive of .pyc files ([header length: u32 LE][JSON [[path, size], ...]][bytes])
 * into Emscripten's file system `FS`. */
function restoreBytecode(FS, archive) {
  const headerLength = new DataView(archive).getUint32(0, true);
  const index = JSON.parse(new TextDecoder().decode(new Uint8Array(archive, 4, headerLength)));
  let at = 4 + headerLength;
  for (const [path, size] of index) {
    FS.mkdirTree(path.slice(0, path.lastIndexOf("/")));
    FS.writeFile(path, new Uint8Array(archive, at, size));
    at += size;
  }
  return index.length;
}

const COMPILE_BYTECODE = `
import importlib.util, py_compile, sys

def _bytecode_todo():
    todo = set()
    for module in list(sys.modules.values()):
        spec = getattr(module, "__spec__", None)
        origin = getattr(spec, "origin", None)
        if origin and origin.endswith(".py") and getattr(spec, "cached", None):
            todo.add(origin)
    return sorted(todo)

def _bytecode_step(todo, count):
    """Compile up to count of the sources in todo (a list, emptied as it goes); the .pyc paths."""
    done = []
    for _ in range(min(count, len(todo))):
        source = todo.pop()
        target = importlib.util.cache_from_source(source)
        try:
            py_compile.compile(source, cfile=target, doraise=True,
                               invalidation_mode=py_compile.PycInvalidationMode.UNCHECKED_HASH)
            done.append(target)
        except Exception:
            pass  # that module is compiled from source next time, as before
    return done
`;

/** Compile every imported module to bytecode, a few at a time so requests get through, and
 * keep the archive in the offline cache. Runs once per build and browser. */
async function keepBytecode(pyodide) {
  const offline = await offlineCache;
  if (!offline || (await savedBytecode)) return;
  pyodide.runPython(COMPILE_BYTECODE);
  const todo = pyodide.globals.get("_bytecode_todo")();
  const step = pyodide.globals.get("_bytecode_step");
  const paths = [];
  try {
    while (todo.length) {
      await new Promise((resolve) => setTimeout(resolve, 20)); // a request waiting goes first
      const done = step(todo, 6);
      paths.push(...done.toJs());
      done.destroy();
    }
  } finally {
    todo.destroy();
    step.destroy();
  }
  const FS = pyodide._module.FS;
  const files = paths.map((path) => FS.readFile(path));
  const header = new TextEncoder().encode(JSON.stringify(paths.map((path, i) => [path, files[i].length])));
  const length = new Uint8Array(4);
  new DataView(length.buffer).setUint32(0, header.length, true);
  await offline.cache.put(new URL(BYTECODE, self.location.href), new Response(new Blob([length, header, ...files]),
    { headers: { "Content-Type": "application/octet-stream" } }));
  mark(`bytecode kept (${paths.length} modules)`);
}

// Pyodide 0.17.1's loader takes no options for these, so its module factory is wrapped: the
// compiled WebAssembly is instantiated through Emscripten's instantiateWasm hook, and the
// .data archives come from getPreloadedPackage (both part of Emscripten's Module API).
const preloaded = new Map(); // file name -> ArrayBuffer, taken once
let runtimeFailed = null; // rejects when the hooked instantiation fails
function hookRuntime(bytecode) {
  const create = self._createPyodideModule;
  let fail;
  runtimeFailed = new Promise((_, reject) => {
    fail = reject;
  });
  self._createPyodideModule = (Module) => {
    Module.instantiateWasm = (imports, receiveInstance) => {
      runtimeWasm
        .then((module) => WebAssembly.instantiate(module, imports).then((instance) => {
          mark("wasm instantiated");
          receiveInstance(instance, module);
        }))
        .catch(fail);
      return {}; // the exports arrive through receiveInstance
    };
    // Before Python starts (Emscripten runs preRun once the file system exists).
    Module.preRun = [() => {
      if (bytecode) mark(`bytecode restored (${restoreBytecode(Module.FS, bytecode)} modules)`);
    }];
    Module.getPreloadedPackage = (url) => {
      const name = url.slice(url.lastIndexOf("/") + 1);
      const bytes = preloaded.get(name) || null;
      preloaded.delete(name);
      return bytes;
    };
    return create(Module);
  };
}

// ---------------------------------------------------------------------------------------
async function load() {
  if (typeof WebAssembly !== "object") {
    throw new Error("this browser cannot run WebAssembly, which the recognizer needs");
  }
  startStep(0);
  const manifest = await filesJson;
  // Fetched when learning starts, and when Word mode is first used.
  const later = new Set([...(manifest.learning || []), ...(manifest.words || [])]);
  for (const f of manifest.files) {
    if (later.has(f.path)) continue;
    if (f.path.startsWith("pycnn/") || f.path.startsWith("pyodide/") || f.path === MODEL_PATH ||
        f.path === SHIPPED_BYTECODE) {
      progress.total += f.size;
      progress.sizes.set(f.path.slice(f.path.lastIndexOf("/") + 1), f.size);
    }
  }
  const packageData = manifest.pyodide_packages.map((name) => download(`${PYODIDE_DIR}${name}.data`));
  packageData.forEach((p) => p.catch(() => {}));
  const pycnnFiles = manifest.files.filter((f) => f.path.startsWith("pycnn/") && !later.has(f.path));
  const pycnnBytes = Promise.all(pycnnFiles.map((f) => download(f.path)));
  const modelBytes = download(MODEL_PATH);
  const shippedBytecode = manifest.files.some((f) => f.path === SHIPPED_BYTECODE)
    ? download(SHIPPED_BYTECODE).then(gunzip).catch(() => null) : Promise.resolve(null);
  pycnnBytes.catch(() => {});
  modelBytes.catch(() => {});

  importScripts(PYODIDE_DIR + "pyodide.js", PYODIDE_DIR + "pyodide.asm.js");
  hookRuntime((await savedBytecode) || (await shippedBytecode));
  preloaded.set("pyodide.asm.data", await runtimeData);
  mark("runtime downloaded");
  const pyodide = await Promise.race([loadPyodide({ indexURL: PYODIDE_DIR }), runtimeFailed]);
  mark("runtime");
  runtime = pyodide;
  progress.loaded += progress.sizes.get("packages.json") || 0; // the loader fetched it

  startStep(1);
  const data = await Promise.all(packageData);
  manifest.pyodide_packages.forEach((name, i) => preloaded.set(`${name}.data`, data[i]));
  const problems = [];
  await pyodide.loadPackage(manifest.pyodide_packages, () => {}, (message) => problems.push(message));
  if (problems.length) throw new Error("NumPy did not load: " + problems.join("; "));
  mark("numpy");

  startStep(2);
  const FS = pyodide._module.FS; // Pyodide 0.17 exposes the file system only here
  const site = "/home/pyodide/site";
  const files = await pycnnBytes;
  pycnnFiles.forEach((f, i) => {
    const target = `${site}/${f.path}`;
    FS.mkdirTree(target.slice(0, target.lastIndexOf("/")));
    FS.writeFile(target, new Uint8Array(files[i]));
  });
  FS.writeFile("/home/pyodide/model.npz", new Uint8Array(await modelBytes));
  mark("pycnn files");
  // NumPy's __init__ imports numpy.ma and numpy.polynomial, which the page never uses (about
  // 15% of importing NumPy here): they load on first use instead (importlib's LazyLoader).
  pyodide.runPython(`
import sys
sys.path.insert(0, "${site}")
import importlib, importlib.abc, importlib.machinery, importlib.util

class _LoadOnFirstUse(importlib.abc.MetaPathFinder):
    names = {"numpy.ma", "numpy.polynomial"}

    def find_spec(self, name, path, target=None):
        if name not in self.names:
            return None
        spec = importlib.machinery.PathFinder.find_spec(name, path)
        if spec is not None and spec.loader is not None:
            spec.loader = importlib.util.LazyLoader(spec.loader)
        return spec

sys.meta_path.insert(0, _LoadOnFirstUse())
importlib.invalidate_caches()
import numpy
`);
  mark("numpy import");
  pyodide.runPython("from pycnn.page.api import PageApi");
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

  afterReady(pyodide); // not awaited: requests are answered meanwhile
}

/** In the background once ready: the offline copy of what was downloaded (the page
 * registers the service worker on "kept", which then finds these files in its cache instead
 * of downloading them a second time), then the Python bytecode. */
async function afterReady(pyodide) {
  await keepOffline().catch(() => {});
  postMessage({ type: "kept" });
  await keepBytecode(pyodide).catch((error) => console.warn("pycnn worker: no bytecode kept:", error.message));
}

// What only learning needs (pycnn/learn/, the pycnn.data modules it imports, the rehearsal
// set: files.json's "learning"), fetched and written into the file system on the first
// learn_begin, so start-up neither downloads nor unpacks them. The service worker keeps them
// offline with the rest of the site.
let learningFiles = null;
function loadLearningFiles() {
  if (!learningFiles) {
    learningFiles = (async () => {
      const paths = (await filesJson).learning || [];
      const bytes = await Promise.all(paths.map(async (path) => {
        const response = await fetch(path);
        if (!response.ok) throw notDownloaded(path, response);
        return response.arrayBuffer();
      }));
      const FS = runtime._module.FS;
      paths.forEach((path, i) => {
        // The rehearsal set goes beside the model, where pycnn.page.api looks for it.
        const target = path.startsWith("pycnn/") ? `/home/pyodide/site/${path}`
          : `/home/pyodide/${path.slice(path.lastIndexOf("/") + 1)}`;
        FS.mkdirTree(target.slice(0, target.lastIndexOf("/")));
        FS.writeFile(target, new Uint8Array(bytes[i]));
      });
      runtime.runPython("import importlib; importlib.invalidate_caches()");
    })();
    learningFiles.catch(() => {
      learningFiles = null; // a later attempt downloads them again
    });
  }
  return learningFiles;
}

// What only Word mode needs (files.json's "words": the word model, the word list, and the
// modules only word reading imports), fetched on the first word request, with progress
// ("words_progress"), written into the file system, and loaded (words_load), so start-up
// neither downloads nor imports any of it. What was fetched goes into this build's offline
// cache, from where later visits (and the service worker, offline) take it: the service
// worker's install leaves these files out, so a visitor who never writes a word never
// downloads them. A failed fetch rejects with a sentence, and the next word request tries
// again.
const WORDS_MODEL_FILE = "/home/pyodide/words.npz";
const LEXICON_FILE = "/home/pyodide/lexicon-en.tsv.gz";
let wordFiles = null;
function loadWordFiles() {
  if (!wordFiles) {
    wordFiles = (async () => {
      const manifest = await filesJson;
      const paths = manifest.words || [];
      const model = paths.find((path) => path.endsWith(".npz"));
      const lexicon = paths.find((path) => path.endsWith(".tsv.gz"));
      if (!model || !lexicon) throw new Error("this site was built without Word mode's files, so it cannot read words");
      const sizes = new Map(manifest.files.map((f) => [f.path, f.size]));
      const fetched = { loaded: 0, total: paths.reduce((sum, path) => sum + (sizes.get(path) || 0), 0) };
      const tell = () => postMessage({ type: "words_progress", loaded: Math.min(fetched.loaded, fetched.total), total: fetched.total });
      tell();
      let lastTold = performance.now();
      const files = await Promise.all(paths.map(async (path) => {
        const response = await fetchFile(path);
        if (!response.ok) throw notDownloaded(path, response);
        const reader = response.body.getReader();
        const chunks = [];
        for (;;) {
          const { done, value } = await reader.read();
          if (done) break;
          chunks.push(value);
          fetched.loaded += value.byteLength;
          if (performance.now() - lastTold >= 50) {
            lastTold = performance.now();
            tell();
          }
        }
        return { path, headers: response.headers, bytes: await new Blob(chunks).arrayBuffer() };
      }));
      tell();
      const FS = runtime._module.FS;
      for (const { path, bytes } of files) {
        const target = path === model ? WORDS_MODEL_FILE : path === lexicon ? LEXICON_FILE
          : `/home/pyodide/site/${path}`;
        FS.mkdirTree(target.slice(0, target.lastIndexOf("/")));
        FS.writeFile(target, new Uint8Array(bytes));
      }
      runtime.runPython("import importlib; importlib.invalidate_caches()");
      callPage("words_load", { id: 0, model: WORDS_MODEL_FILE, lexicon: LEXICON_FILE });
      keepWordFiles(files); // not awaited: reading starts now
    })();
    wordFiles.catch(() => {
      wordFiles = null; // a later attempt downloads them again
    });
  }
  return wordFiles;
}

/** Put Word mode's files into this build's offline cache, unless it holds them already. */
async function keepWordFiles(files) {
  const offline = await offlineCache.catch(() => null);
  if (!offline) return;
  for (const { path, headers, bytes } of files) {
    const url = new URL(path, self.location.href);
    if (await offline.cache.match(url).catch(() => null)) continue;
    await offline.cache.put(url, new Response(bytes, { headers })).catch(() => {});
  }
}

/** A word request's failure to fetch or load Word mode's files, said as a sentence for
 * people (`detail` keeps a Python traceback). */
function wordsUnavailable(error) {
  const { message, detail } = plainError(error);
  const failure = new Error(`Word mode could not be loaded: ${message.replace(/\.$/, "")}.`);
  failure.detail = detail;
  return failure;
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
  return { message: lines[lines.length - 1] || "unknown error", detail: (error && error.detail) || text };
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
    if (type === "learn_begin") await loadLearningFiles();
    if (type.startsWith("words_")) {
      await loadWordFiles().catch((error) => {
        throw wordsUnavailable(error);
      });
      if (type === "words_load") Object.assign(fields, { model: WORDS_MODEL_FILE, lexicon: LEXICON_FILE });
    }
    const result = callPage(type, { id, ...fields }, data);
    if (type === "info") result.reply.words = ((await filesJson).words || []).length > 0;
    const reply = { type: "reply", id, ...result, ms: performance.now() - started };
    postMessage(reply, result.data ? [result.data] : []);
  } catch (error) {
    postMessage({ type: "error", id, ...plainError(error) });
  }
};
