// The drawing page: a pad that records strokes, a worker that runs pycnn, and the answer.
// Strokes are drawn the way training draws them: black ink (#000) on a transparent canvas,
// round caps and joins, brush width = pad size (CSS px) x fraction. The ink is therefore in
// the alpha channel, which is what pycnn.read.preprocess reads.

import { InsideView, percent } from "./inside.js";
import { ReadAs } from "./read-as.js";
import { RecognizerClient } from "./recognizer-client.js";
import { Teach } from "./teach.js";
import { spokenLabel } from "./ui-helpers.js";
import { installTestHooks } from "./test-hooks.js";
import { WordMode } from "./word-mode.js";

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
const announceEl = $("#announce");
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
const toPadButton = $("#to-pad");

// ---------------------------------------------------------------------------------------
// Drawing. Points are stored as fractions of the pad side, so a resize or a change of
// devicePixelRatio redraws the same strokes at the new size.
const strokes = []; // [{brush, points: [[x, y], ...]}]
// Drawings that Clear took off the pad, newest last: Undo on an empty pad brings one back,
// so the history is one line (strokes, clears, strokes...) and nothing is lost by a slip.
const cleared = [];
let activeStroke = null;
let activePointer = null;
let padSide = 0; // CSS px
let drawingVersion = 0; // bumped on every change of the drawing
let brush = BRUSH_DEFAULT;
let shownVersion = 0; // the drawingVersion that the answer on screen belongs to
let shown = null; // the answer on screen ({id, top5, set, lookalikes, input}), null: none

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
  undoButton.disabled = strokes.length === 0 && cleared.length === 0;
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

// Where the pointer really is, even off the pad: a stroke that leaves the pad leaves it (the
// canvas clips it), instead of running along the border where the pointer never went.
function pointFrom(event) {
  const box = pad.getBoundingClientRect();
  return [(event.clientX - box.left) / box.width, (event.clientY - box.top) / box.height];
}

pad.addEventListener("pointerdown", (event) => {
  if (activeStroke || (event.pointerType === "mouse" && event.button !== 0)) return;
  event.preventDefault(); // no text selection or scrolling; it also keeps focus away, so:
  // The pad's keys (Ctrl+Z, Esc) work after drawing; no focus ring for a pen or a finger.
  pad.focus({ preventScroll: true, focusVisible: false });
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
  if (activeStroke) return;
  if (strokes.length) strokes.pop();
  else if (cleared.length) strokes.push(...cleared.pop()); // undo a Clear
  else return;
  drawingVersion++;
  render();
  if (strokes.length) recognise();
  else onPadEmptied();
}

function clearPad() {
  if (activeStroke || strokes.length === 0) return;
  cleared.push(strokes.splice(0));
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
const readAs = new ReadAs({ select: $("#read-as"), notice: $("#set-notice") });
// Corrections, teaching and the personal examples (web/teach.js): it reads the pad's strokes
// and the answer on screen, and clears the pad between teaching drawings.
const teach = new Teach({
  recognizer,
  drawing: () => ({ strokes: strokes.map((s) => ({ brush: s.brush, points: s.points.map((p) => p.slice()) })), padSide }),
  answerIsCurrent: () => shown !== null && shownVersion === drawingVersion,
  clearPad: () => clearPad(),
  focusPad: () => pad.focus({ preventScroll: true }),
  onModelChanged: (info) => onModelChanged(info),
  padBusy: () => activeStroke !== null || !recognizer.idle,
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
    // True when no recognition is pending and the answer shown belongs to the drawing shown,
    // read within the set chosen.
    settled: () => ready && recognizer.idle && !activeStroke && shownVersion === drawingVersion &&
      (shown === null || shown.set === readAs.set),
    readAs: () => readAs.set,
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
    result = await recognizer.recognise(pixels, width, height, readAs.set);
    // The set changed while the worker read this drawing: read its scores again.
    while (result && !result.empty && result.set !== readAs.set) {
      const again = await recognizer.reread(result.id, readAs.set);
      result = again && { ...result, ...again };
    }
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
  else showPrediction(result);
  predictionEl.dataset.count = String(recognitions);
  testHooks?.shown(result, endedAt);
}

// "Read as" changed: the drawing already on the pad is read again at once, from the scores
// the worker kept, without running the network again.
async function rereadShown() {
  // An empty pad has nothing to read; a drawing on its way is read within the new set.
  if (shown === null || shownVersion !== drawingVersion) return;
  let answer;
  try {
    answer = await recognizer.reread(shown.id, readAs.set);
  } catch (error) {
    showError(`The drawing could not be read as ${readAs.title(readAs.set)}: ${error.message}.`);
    console.warn("pycnn worker:", error.detail);
    return;
  }
  // null: the drawing changed meanwhile; another set chosen meanwhile gets its own answer.
  if (!answer || answer.set !== readAs.set || !shown || answer.id !== shown.id) return;
  showPrediction({ ...shown, ...answer });
}

// "0, O and o": how a list of things reads in a sentence.
function listed(items, word = "and") {
  return items.length < 2 ? items.join("") : `${items.slice(0, -1).join(", ")} ${word} ${items[items.length - 1]}`;
}

// "98 percent", not "98%": some screen readers skip the sign or say it oddly.
function spokenPercent(p) {
  return percent(p).replace(/^</, "less than ").replace(/%$/, " percent");
}

function showPrediction(result) {
  shown = result;
  const { top5, input, set, lookalikes } = result;
  const [label, probability] = top5[0];
  const alike = lookalikes ? lookalikes.labels : [label];
  const shares = alike.map((name) => percent(top5.find(([l]) => l === name)[1]));
  predictionEl.replaceChildren(...alike.flatMap((name, i) => {
    const char = document.createElement("span");
    char.textContent = name;
    if (i === 0) return [char];
    const or = document.createElement("span");
    or.className = "or";
    or.textContent = " or ";
    return [or, char];
  }));
  predictionEl.dataset.empty = "false";
  predictionEl.dataset.set = set;
  predictionEl.dataset.lookalikes = String(alike.length > 1);
  const readAsWords = set === "all" ? "" : `Read as ${readAs.title(set)}. `;
  // Below the model's threshold (chosen on validation by pycnn.derive_lookalikes) what is shown
  // is more often wrong than right: the guesses stay, worded as guesses, on screen and for
  // screen readers alike.
  const unsure = result.unsure === true;
  predictionEl.dataset.unsure = String(unsure);
  const spokenShares = listed(alike.map((name) => spokenPercent(top5.find(([l]) => l === name)[1])));
  if (unsure) {
    const same = alike.length > 1 ? " They look the same." : "";
    noteEl.textContent = `Not sure — maybe ${listed(alike, "or")} (${listed(shares)})`;
    announceEl.textContent = `${readAsWords}Not sure. Maybe ${listed(alike.map(spokenLabel), "or")}, ` +
      `${spokenShares}.${same}`;
  } else if (lookalikes) {
    const sets = lookalikes.sets.map((name) => readAs.title(name));
    const apart = sets.length ? ` Choose ${listed(sets, "or")} to tell them apart.` : "";
    noteEl.textContent = `${listed(alike)} look the same (${listed(shares)}).${apart}`;
    announceEl.textContent = `Top guess: ${listed(alike.map(spokenLabel), "or")}, ` +
      `${spokenShares}. They look the same.${apart}`;
  } else {
    noteEl.textContent = `${percent(probability)} sure`;
    announceEl.textContent = `${readAsWords}Top guess: ${spokenLabel(label)}, ${spokenPercent(probability)} sure.`;
  }
  top5El.replaceChildren(...top5.map(([name, p], rank) => top5Item(name, p, rank)));
  drawSeen(input);
  inside.showResult(result.id, input, set);
  teach.showAnswer(result);
}

function showEmpty() {
  shown = null;
  predictionEl.textContent = "";
  predictionEl.dataset.empty = "true";
  delete predictionEl.dataset.set;
  predictionEl.dataset.lookalikes = "false";
  predictionEl.dataset.unsure = "false";
  if (loadFailed) noteEl.textContent = "";
  else if (ready) noteEl.textContent = "The pad is empty: draw a digit or a letter.";
  else noteEl.textContent = "Draw a digit or a letter while the network loads.";
  announceEl.textContent = noteEl.textContent;
  top5El.replaceChildren();
  drawSeen(null);
  inside.showEmpty();
  teach.showEmpty();
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

async function onReady({ labels, network, filters, sets }) {
  inside.setNetwork({ network, filters, labels });
  // The set comes first (a link's ?set= is checked by the worker). A drawing made while
  // loading is read within All; its answer is read again within the set before it is shown.
  try {
    await readAs.start({ sets, checkSet: (set) => recognizer.checkSet(set) });
  } catch (error) {
    showError(`The “Read as” choice could not be set up: ${error.message}. Reading all characters.`);
    console.warn("pycnn worker:", error.detail || error);
  }
  ready = true;
  loadEl.hidden = true;
  recogniseButton.disabled = false;
  statusEl.textContent = `Ready. The network knows ${labels.length} characters.`;
  document.body.dataset.ready = "true";
  // A drawing made while loading is already waiting in the client; it is sent now.
  if (!strokes.length) showEmpty();
  recognizer.kept.then(registerServiceWorker); // after the worker's copies: nothing fetched twice
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

// The model in use changed (learnt, restored, switched, reset or imported; web/teach.js):
// its labels may have grown, so Look inside, Read as and the status follow it, and the
// drawing on the pad is read again by it.
async function onModelChanged({ labels, network, filters, sets, in_use: inUse }) {
  await readyShown;
  if (loadFailed) return;
  inside.setNetwork({ network, filters, labels });
  const select = $("#read-as");
  for (const option of select.options) {
    if (!sets[option.value]) continue; // a link's own set
    const { error } = sets[option.value];
    option.disabled = !!error;
    option.textContent = error ? `${readAs.title(option.value)} (not in this model)` : readAs.title(option.value);
    option.title = error ? `Not available: ${error}.` : "";
  }
  if (select.selectedOptions[0] && select.selectedOptions[0].disabled) {
    select.value = "all";
    readAs.choose("all");
  }
  const whose = inUse === "mine" ? "Your model" : "The network";
  statusEl.textContent = `Ready. ${whose} knows ${labels.length} characters.`;
  if (strokes.length && !activeStroke) recognise();
}

recognizer.addEventListener("progress", (event) => onProgress(event.detail));
const readyShown = recognizer.ready.then(onReady, onLoadFailed);
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
readAs.addEventListener("change", rereadShown);

// The pad's keys work on the pad only: Escape in the panel, or Delete on the slider, must
// not wipe a drawing.
pad.addEventListener("keydown", (event) => {
  if ((event.ctrlKey || event.metaKey) && !event.shiftKey && event.key.toLowerCase() === "z") {
    event.preventDefault();
    undo();
  } else if (event.key === "Escape" || event.key === "Delete") {
    event.preventDefault();
    clearPad();
  } else if (event.key === "Enter") {
    event.preventDefault();
    recognise();
  }
});

// "Back to drawing": at hand whenever the pad is out of view (far down the Look inside
// panel, say), and gone while the pad shows.
new IntersectionObserver(([entry]) => {
  toPadButton.hidden = entry.isIntersecting;
}).observe(pad);
toPadButton.addEventListener("click", () => {
  pad.scrollIntoView({ block: "center" });
  pad.focus({ preventScroll: true });
});

new ResizeObserver(resizePad).observe(pad);
window.addEventListener("resize", resizePad); // also fires when zoom changes devicePixelRatio

// A window dragged to a screen of another pixel density changes devicePixelRatio and nothing
// else: no resize, no ResizeObserver. A media query on the current ratio says when it stops
// matching; the pad then gets a new backing store, redrawn from its strokes.
function watchPixelRatio() {
  const query = matchMedia(`(resolution: ${window.devicePixelRatio || 1}dppx)`);
  query.addEventListener("change", () => {
    resizePad();
    watchPixelRatio(); // a query for the new ratio
  }, { once: true });
}
watchPixelRatio();
resizePad();
setBrush(BRUSH_DEFAULT);
brushInput.value = String(BRUSH_DEFAULT);
showEmpty();

// Word mode (web/word-mode.js): its switch, and its panel once chosen; it shares the worker,
// Read as, and the export of what you taught.
new WordMode({ recognizer, readAs, files: teach.files });
