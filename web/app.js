// The drawing page: a pad that records strokes, a worker that runs pycnn, and the answer.
// Strokes are drawn the way training draws them: black ink (#000) on a transparent canvas,
// round caps and joins, brush width = pad size (CSS px) x fraction. The ink is therefore in
// the alpha channel, which is what pycnn.preprocess reads.

import { InsideView, percent, toBase64 } from "./inside.js";

const BRUSH_MIN = 0.025;
const BRUSH_MAX = 0.08;
const BRUSH_DEFAULT = 0.045;

const $ = (selector) => document.querySelector(selector);
const pad = $("#pad");
const padContext = pad.getContext("2d", { willReadFrequently: true });
const predictionEl = $("#prediction");
const noteEl = $("#prediction-note");
const top5El = $("#top5");
const seenCanvas = $("#seen");
const statusEl = $("#status");
const loadEl = $("#load");
const loadStepEl = $("#load-step");
const loadBarEl = $("#load-bar");
const loadBytesEl = $("#load-bytes");
const errorEl = $("#error");
const brushInput = $("#brush");
const brushOutput = $("#brush-value");
const recogniseButton = $("#recognise");
const undoButton = $("#undo");
const clearButton = $("#clear");
const offlineEl = $("#offline");

// ---------------------------------------------------------------------------------------
// Drawing. Points are stored as fractions of the pad side, so a resize or a change of
// devicePixelRatio redraws the same strokes at the new size.
const strokes = []; // [{brush, points: [[x, y], ...]}]
let activeStroke = null;
let activePointer = null;
let padSide = 0; // CSS px
let drawingVersion = 0; // bumped on every change, so stale answers are dropped
let brush = BRUSH_DEFAULT;
let shownVersion = 0; // the drawingVersion that the answer on screen belongs to
let lastPointerType = null;

function resizePad() {
  const side = pad.clientWidth;
  const ratio = window.devicePixelRatio || 1;
  const backing = Math.max(1, Math.round(side * ratio));
  if (side === padSide && pad.width === backing) return;
  padSide = side;
  pad.width = backing;
  pad.height = backing;
  render();
  setBrush(brush); // its label is in pixels of the pad, which just changed size
}

function render() {
  if (queuedFrame !== null) {
    cancelAnimationFrame(queuedFrame); // this draw makes the queued one redundant
    queuedFrame = null;
  }
  const ratio = pad.width / (padSide || 1);
  padContext.setTransform(1, 0, 0, 1, 0, 0);
  padContext.clearRect(0, 0, pad.width, pad.height);
  padContext.setTransform(ratio, 0, 0, ratio, 0, 0);
  padContext.strokeStyle = "#000";
  padContext.fillStyle = "#000";
  padContext.lineCap = "round";
  padContext.lineJoin = "round";
  for (const stroke of strokes) drawStroke(stroke);
  pad.classList.toggle("has-ink", strokes.length > 0);
  undoButton.disabled = strokes.length === 0;
}

function drawStroke(stroke) {
  const width = stroke.brush * padSide;
  const [first, ...rest] = stroke.points;
  if (rest.length === 0) {
    // A tap: a round dot as wide as the brush, like a zero-length round-capped line.
    padContext.beginPath();
    padContext.arc(first[0] * padSide, first[1] * padSide, width / 2, 0, 2 * Math.PI);
    padContext.fill();
    return;
  }
  padContext.lineWidth = width;
  padContext.beginPath();
  padContext.moveTo(first[0] * padSide, first[1] * padSide);
  for (const [x, y] of rest) padContext.lineTo(x * padSide, y * padSide);
  padContext.stroke();
}

let queuedFrame = null; // a pending requestAnimationFrame id: the pad lags the strokes
function queueRender() {
  if (queuedFrame !== null) return;
  queuedFrame = requestAnimationFrame(() => {
    queuedFrame = null;
    render();
  });
}

function pointFrom(event) {
  const box = pad.getBoundingClientRect();
  const x = (event.clientX - box.left) / box.width;
  const y = (event.clientY - box.top) / box.height;
  return [Math.min(1, Math.max(0, x)), Math.min(1, Math.max(0, y))];
}

pad.addEventListener("pointerdown", (event) => {
  if (activeStroke || (event.pointerType === "mouse" && event.button !== 0)) return;
  event.preventDefault();
  pad.setPointerCapture(event.pointerId);
  activePointer = event.pointerId;
  lastPointerType = event.pointerType;
  activeStroke = { brush, points: [pointFrom(event)] };
  strokes.push(activeStroke);
  drawingVersion++;
  queueRender();
});

pad.addEventListener("pointermove", (event) => {
  if (!activeStroke || event.pointerId !== activePointer) return;
  const events = event.getCoalescedEvents ? event.getCoalescedEvents() : [];
  for (const e of events.length ? events : [event]) activeStroke.points.push(pointFrom(e));
  drawingVersion++;
  queueRender();
});

function endStroke(event) {
  if (!activeStroke || event.pointerId !== activePointer) return;
  activeStroke = null;
  activePointer = null;
  strokeEndedAt = performance.now();
  render();
  requestRecognition();
}
pad.addEventListener("pointerup", endStroke);
pad.addEventListener("pointercancel", endStroke);

function undo() {
  if (activeStroke || strokes.length === 0) return;
  strokes.pop();
  drawingVersion++;
  render();
  if (strokes.length) requestRecognition();
  else {
    showEmpty();
    shownVersion = drawingVersion;
  }
}

function clearPad() {
  if (activeStroke) return;
  strokes.length = 0;
  drawingVersion++;
  render();
  showEmpty();
  shownVersion = drawingVersion;
}

function setBrush(value) {
  brush = Math.min(BRUSH_MAX, Math.max(BRUSH_MIN, Number(value) || BRUSH_DEFAULT));
  const px = brush * (padSide || pad.clientWidth);
  brushOutput.textContent = `${px.toFixed(0)} px`;
}

// ---------------------------------------------------------------------------------------
// Recognition. At most one request is in flight; strokes that end meanwhile are folded into
// one follow-up request, so a fast writer never builds a queue.
const worker = new Worker(new URL("./worker.js", import.meta.url));
const inside = new InsideView({
  details: $("#inside"),
  worker,
  onRendered(id) {
    const entry = latencies.find((e) => e.id === id);
    if (entry && entry.inside === null) entry.inside = performance.now() - entry.strokeEndedAt;
  },
});
let ready = false;
let busy = false;
let wanted = false;
let nextId = 1;
let strokeEndedAt = null;
let recognitions = 0;
let lastSent = null; // {id, version, width, height, pixels, requestedAt, strokeEndedAt}
let lastResult = null;
const latencies = []; // stroke end -> prediction shown, ms: {id, dom, painted, inside}
const progressLog = [];
let readyAt = null;
let loadFailed = false;

function requestRecognition() {
  wanted = true;
  if (ready && !busy) sendRecognition();
}

function sendRecognition() {
  wanted = false;
  busy = true;
  if (queuedFrame !== null) render(); // the pixels sent must hold every point drawn so far
  const { width, height } = pad;
  const image = padContext.getImageData(0, 0, width, height);
  lastSent = {
    id: nextId++,
    version: drawingVersion,
    width,
    height,
    pixels: image.data.slice(),
    requestedAt: performance.now(),
    strokeEndedAt,
  };
  strokeEndedAt = null;
  const buffer = image.data.buffer;
  worker.postMessage({ type: "recognise", id: lastSent.id, width, height, pixels: buffer }, [buffer]);
}

function onResult(message) {
  busy = false;
  const sent = lastSent;
  const stale = !sent || sent.id !== message.id || sent.version !== drawingVersion;
  if (!stale) {
    recognitions++;
    shownVersion = sent.version;
    lastResult = { empty: message.empty, top5: message.top5, input: message.input, ms: message.ms };
    if (message.empty) showEmpty();
    else {
      showPrediction(message);
      inside.showResult(sent.id, message.input);
    }
    predictionEl.dataset.count = String(recognitions);
    if (sent.strokeEndedAt !== null) {
      // Once with the DOM updated, once in the next frame, which paints it.
      const entry = {
        id: sent.id,
        dom: performance.now() - sent.strokeEndedAt,
        painted: null,
        inside: null, // stroke end -> Look inside panel drawn, when it is open
        insideOpen: inside.open,
        strokeEndedAt: sent.strokeEndedAt,
      };
      latencies.push(entry);
      requestAnimationFrame(() => {
        entry.painted = performance.now() - sent.strokeEndedAt;
      });
    }
  }
  // A stale answer is replaced at once, unless a stroke is under way: its end will ask.
  if (wanted || (stale && strokes.length && !activeStroke)) sendRecognition();
}

function showPrediction({ top5, input }) {
  const [label, probability] = top5[0];
  predictionEl.textContent = label;
  predictionEl.dataset.empty = "false";
  predictionEl.setAttribute("aria-label", `Top guess: ${label}, ${percent(probability)}`);
  noteEl.textContent = `${percent(probability)} sure`;
  top5El.replaceChildren(...top5.map(([name, p], rank) => top5Item(name, p, rank)));
  drawSeen(input);
}

function showEmpty() {
  predictionEl.textContent = "";
  predictionEl.dataset.empty = "true";
  predictionEl.removeAttribute("aria-label");
  if (loadFailed) noteEl.textContent = "";
  else if (ready) noteEl.textContent = "The pad is empty: draw a digit or a letter.";
  else noteEl.textContent = "Draw a digit or a letter while the network loads.";
  top5El.replaceChildren();
  drawSeen(null);
  inside.showEmpty();
}

function top5Item(label, probability, rank) {
  const item = document.createElement("li");
  const name = document.createElement("span");
  name.className = "label";
  name.textContent = label;
  const bar = document.createElement("span");
  bar.className = "bar";
  bar.setAttribute("aria-hidden", "true");
  const fill = document.createElement("span");
  fill.style.width = `${(100 * probability).toFixed(1)}%`;
  bar.append(fill);
  const value = document.createElement("span");
  value.className = "value";
  value.textContent = percent(probability);
  item.dataset.label = label;
  item.dataset.probability = String(probability);
  if (rank === 0) item.classList.add("top");
  item.append(name, bar, value);
  return item;
}

function drawSeen(input) {
  const context = seenCanvas.getContext("2d");
  const image = context.createImageData(28, 28);
  for (let i = 0; i < 28 * 28; i++) {
    // Ink is 1, paper is 0; shown as dark ink on white like the pad.
    const v = input ? Math.min(1, Math.max(0, input[i])) : 0;
    const grey = Math.round(255 * (1 - v));
    image.data.set([grey, grey, grey, 255], 4 * i);
  }
  context.putImageData(image, 0, 0);
}

// ---------------------------------------------------------------------------------------
// Loading and errors.
function megabytes(bytes) {
  return (bytes / 1e6).toFixed(1);
}

function onProgress({ step, steps, label, loaded, total }) {
  progressLog.push({ step, steps, label, loaded, total });
  loadStepEl.textContent = `Step ${step} of ${steps}: ${label}…`;
  loadBarEl.max = total || 1;
  loadBarEl.value = loaded;
  loadBytesEl.textContent = `${megabytes(loaded)} of ${megabytes(total)} MB`;
}

function onReady({ labels, loadMs, network, filters }) {
  ready = true;
  window.pycnnTest.network = network;
  inside.setNetwork({ network, filters, labels });
  readyAt = performance.now();
  window.pycnnTest.loadMs = loadMs;
  window.pycnnTest.labels = labels;
  loadEl.hidden = true;
  recogniseButton.disabled = false;
  statusEl.textContent = `Ready. The network knows ${labels.length} characters.`;
  document.body.dataset.ready = "true";
  if (strokes.length || wanted) requestRecognition();
  else showEmpty();
  registerServiceWorker();
}

function showError(text) {
  errorEl.hidden = false;
  errorEl.textContent = text;
}

// Turn the runtime's wording into words a visitor can act on.
function plainWords(text) {
  const download = /NetworkError for: (\S+)/.exec(text);
  if (download) return `the file ${download[1].replace(/^\.\//, "")} could not be downloaded`;
  return text.replace(/^Uncaught (\w*Error: )?/, "");
}

function onWorkerError(message) {
  message = { ...message, message: plainWords(message.message) };
  if (message.phase === "load") {
    loadFailed = true;
    noteEl.textContent = "";
    loadEl.hidden = true;
    statusEl.textContent = "The network could not start.";
    showError(
      `The handwriting reader could not start: ${message.message}. ` +
        "Check your connection and reload the page.",
    );
    console.warn("pycnn worker:", message.detail);
    return;
  }
  if (message.phase === "inspect") {
    inside.onError(message);
    console.warn("pycnn worker:", message.detail);
    return;
  }
  busy = false;
  showError(`That drawing could not be read: ${message.message}. Clear the pad and try again.`);
  console.warn("pycnn worker:", message.detail);
  if (wanted) sendRecognition();
}

worker.addEventListener("message", (event) => {
  const message = event.data;
  if (message.type === "progress") onProgress(message);
  else if (message.type === "ready") onReady(message);
  else if (message.type === "result") {
    errorEl.hidden = true;
    onResult(message);
  } else if (message.type === "activations") inside.onActivations(message);
  else if (message.type === "error") onWorkerError(message);
});

worker.addEventListener("error", (event) => {
  event.preventDefault();
  onWorkerError({
    phase: "load",
    message: event.message || "its script failed to load",
    detail: event.message,
  });
});

function registerServiceWorker() {
  if (!("serviceWorker" in navigator)) return;
  navigator.serviceWorker
    .register("./sw.js")
    .then(() => navigator.serviceWorker.ready)
    .then(() => {
      offlineEl.hidden = false;
    })
    .catch((error) => console.warn("Offline copy not available:", error.message));
}

// ---------------------------------------------------------------------------------------
// Controls and keyboard.
clearButton.addEventListener("click", clearPad);
undoButton.addEventListener("click", undo);
recogniseButton.addEventListener("click", () => requestRecognition());
brushInput.min = String(BRUSH_MIN);
brushInput.max = String(BRUSH_MAX);
brushInput.addEventListener("input", () => setBrush(brushInput.value));

document.addEventListener("keydown", (event) => {
  const inField = event.target instanceof HTMLInputElement;
  if ((event.ctrlKey || event.metaKey) && !event.shiftKey && event.key.toLowerCase() === "z") {
    event.preventDefault();
    undo();
  } else if (event.key === "Escape" || (event.key === "Delete" && !inField)) {
    event.preventDefault();
    clearPad();
  } else if (event.key === "Enter" && event.target === pad) {
    event.preventDefault();
    requestRecognition();
  }
});

// ---------------------------------------------------------------------------------------
// Test hooks: the exact pixels of the last recognition, and timings.
window.pycnnTest = {
  lastPixels: () =>
    lastSent && { width: lastSent.width, height: lastSent.height, base64: toBase64(lastSent.pixels) },
  lastResult: () =>
    lastResult && {
      empty: lastResult.empty,
      top5: lastResult.top5,
      input: lastResult.input && Array.from(lastResult.input),
      ms: lastResult.ms,
    },
  latencies: () => latencies.map(({ id, dom, painted, inside: shown, insideOpen }) =>
    ({ id, dom, painted, inside: shown, insideOpen })),
  // The Look inside panel: the float32 output of trace entry `index` (default: the first
  // convolution) for the drawing it shows, and whether it shows the drawing on the pad.
  lastActivations: (index) => {
    const layer = index ?? window.pycnnTest.network.layers.find((l) => l.name === "Conv2D").index;
    return inside.activationsBase64(layer);
  },
  insideCurrent: () => inside.isCurrent(),
  insideMessages: () => inside.messages,
  progressLog: () => progressLog.slice(),
  readyAt: () => readyAt,
  lastPointerType: () => lastPointerType,
  // True when no recognition is pending and the answer shown belongs to the drawing shown.
  settled: () => ready && !busy && !wanted && !activeStroke && shownVersion === drawingVersion,
  strokeCount: () => strokes.length,
  padInfo: () => ({ side: padSide, width: pad.width, height: pad.height, brush }),
  loadMs: null,
  labels: null,
};

new ResizeObserver(resizePad).observe(pad);
window.addEventListener("resize", resizePad); // also fires when zoom changes devicePixelRatio
resizePad();
setBrush(BRUSH_DEFAULT);
brushInput.value = String(BRUSH_DEFAULT);
showEmpty();
