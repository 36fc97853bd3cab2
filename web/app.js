// The drawing page: a pad that records strokes, a worker that runs pycnn, and the answer.
// Strokes are drawn the way training draws them: black ink (#000) on a transparent canvas,
// round caps and joins, brush width = pad size (CSS px) x fraction. The ink is therefore in
// the alpha channel, which is what pycnn.preprocess reads.

import { InsideView, percent } from "./inside.js";
import { RecognizerClient } from "./recognizer-client.js";
import { installTestHooks } from "./test-hooks.js";

const BRUSH_MIN = 0.025;
const BRUSH_MAX = 0.08;
const BRUSH_DEFAULT = 0.045;
// The pad's backing store never exceeds this many device pixels a side, whatever the zoom:
// recognition time grows with the pixel count, and pycnn refuses sides above 4096.
const PAD_MAX_BACKING = 2048;

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
let drawingVersion = 0; // bumped on every change of the drawing
let brush = BRUSH_DEFAULT;
let shownVersion = 0; // the drawingVersion that the answer on screen belongs to

function resizePad() {
  const side = pad.clientWidth;
  const ratio = window.devicePixelRatio || 1;
  const backing = Math.min(PAD_MAX_BACKING, Math.max(1, Math.round(side * ratio)));
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
  activeStroke = { brush, points: [pointFrom(event)] };
  strokes.push(activeStroke);
  drawingVersion++;
  recognizer.discard(); // an answer for the drawing before this stroke is stale now
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
  recognise();
}
pad.addEventListener("pointerup", endStroke);
pad.addEventListener("pointercancel", endStroke);

function undo() {
  if (activeStroke || strokes.length === 0) return;
  strokes.pop();
  drawingVersion++;
  render();
  if (strokes.length) recognise();
  else onPadEmptied();
}

function clearPad() {
  if (activeStroke) return;
  strokes.length = 0;
  drawingVersion++;
  render();
  onPadEmptied();
}

// The pad is empty: no recognition needed, and none under way is wanted any more.
function onPadEmptied() {
  recognizer.discard();
  showEmpty();
  shownVersion = drawingVersion;
}

function setBrush(value) {
  brush = Math.min(BRUSH_MAX, Math.max(BRUSH_MIN, Number(value) || BRUSH_DEFAULT));
  const px = brush * (padSide || pad.clientWidth);
  brushOutput.textContent = `${px.toFixed(0)} px`;
}

// ---------------------------------------------------------------------------------------
// Recognition, through the worker's client: it keeps at most one drawing in the worker and
// one waiting, and resolves a recognition that a newer drawing made stale to null.
const recognizer = new RecognizerClient(new URL("./worker.js", import.meta.url));
const inside = new InsideView({
  details: $("#inside"),
  recognizer,
  onRendered: (id, activations) => testHooks?.insideRendered(id, activations),
});
let ready = false;
let loadFailed = false;
let recognitions = 0;
let strokeEndedAt = null; // when the stroke the next recognition reads ended, for timings

// Test hooks (web/test-hooks.js): only in a page that a test marked before it loaded.
const testHooks = window.pycnnTestHooks === true
  ? installTestHooks({
    recognizer,
    inside,
    pad,
    // True when no recognition is pending and the answer shown belongs to the drawing shown.
    settled: () => ready && recognizer.idle && !activeStroke && shownVersion === drawingVersion,
    strokeCount: () => strokes.length,
    padInfo: () => ({ side: padSide, width: pad.width, height: pad.height, brush }),
  })
  : null;

async function recognise() {
  if (loadFailed) return;
  if (queuedFrame !== null) render(); // the pixels sent must hold every point drawn so far
  const { width, height } = pad;
  const pixels = padContext.getImageData(0, 0, width, height).data;
  const version = drawingVersion;
  const endedAt = strokeEndedAt;
  strokeEndedAt = null;
  testHooks?.sending(pixels, width, height);
  let result;
  try {
    result = await recognizer.recognise(pixels, width, height);
  } catch (error) {
    if (!ready) return; // the worker did not start: onLoadFailed says so
    showError(`That drawing could not be read: ${error.message}. Clear the pad and try again.`);
    console.warn("pycnn worker:", error.detail);
    return;
  }
  if (!result) return; // a newer drawing replaced this one
  errorEl.hidden = true;
  recognitions++;
  shownVersion = version;
  if (result.empty) showEmpty();
  else {
    showPrediction(result);
    inside.showResult(result.id, result.input);
  }
  predictionEl.dataset.count = String(recognitions);
  testHooks?.shown(result, endedAt);
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
  loadStepEl.textContent = `Step ${step} of ${steps}: ${label}…`;
  loadBarEl.max = total || 1;
  loadBarEl.value = loaded;
  loadBytesEl.textContent = `${megabytes(loaded)} of ${megabytes(total)} MB`;
}

function onReady({ labels, network, filters }) {
  ready = true;
  inside.setNetwork({ network, filters, labels });
  loadEl.hidden = true;
  recogniseButton.disabled = false;
  statusEl.textContent = `Ready. The network knows ${labels.length} characters.`;
  document.body.dataset.ready = "true";
  // A drawing made while loading is already waiting in the client; it is sent now.
  if (!strokes.length) showEmpty();
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

function onLoadFailed(error) {
  loadFailed = true;
  noteEl.textContent = "";
  loadEl.hidden = true;
  statusEl.textContent = "The network could not start.";
  showError(
    `The handwriting reader could not start: ${plainWords(error.message)}. ` +
      "Check your connection and reload the page.",
  );
  console.warn("pycnn worker:", error.detail);
}

recognizer.addEventListener("progress", (event) => onProgress(event.detail));
recognizer.ready.then(onReady, onLoadFailed);
// The worker stopped after loading: nothing more can be read.
recognizer.addEventListener("error", (event) => {
  showError(`The handwriting reader stopped: ${plainWords(event.detail.message)}. Reload the page.`);
  console.warn("pycnn worker:", event.detail.detail);
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
recogniseButton.addEventListener("click", () => recognise());
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
    recognise();
  }
});

new ResizeObserver(resizePad).observe(pad);
window.addEventListener("resize", resizePad); // also fires when zoom changes devicePixelRatio
resizePad();
setBrush(BRUSH_DEFAULT);
brushInput.value = String(BRUSH_DEFAULT);
showEmpty();
