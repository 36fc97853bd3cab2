// Teaching the network your handwriting, the page's side (issue 11): correct an answer
// ("Not right?"), a teaching mode that asks for a few drawings of each character, new
// symbols, "My examples" with export and import, and the Learn button. The examples live in
// web/examples-store.js (IndexedDB, this device only), their checks and file format in
// web/examples-file.js, and learning itself goes through web/learning.js.
//
// web/app.js owns the pad and the answer; it tells this module what is on screen:
//   const teach = new Teach({recognizer, drawing, answerIsCurrent, clearPad, focusPad,
//                            onModelChanged});
//   onModelChanged(info): the model in use changed (learnt, restored, switched, reset,
//   imported); info is the worker's new "info" reply (labels, network, filters, sets, in_use)
//   teach.showAnswer(result)   // an answer for the drawing on the pad ({top5, input, ...})
//   teach.showEmpty()          // the pad is empty

import {
  ExampleError, LIMITS, exampleFromPad, exampleKey, examplesFileText, labelProblem, parseExamplesFile,
} from "./examples-file.js";
import { openExamplesStore } from "./examples-store.js";
import { canLearn, learnFromExamples, modelInfo, sentence } from "./learning.js";
import { $, button, plural, spokenLabel } from "./ui-helpers.js";

// app.js says labels for screen readers with the same function as these panels.
export { spokenLabel } from "./ui-helpers.js";

const TEACH_PER_LABEL = 5; // drawings the teaching mode asks for, of each character
const LIST_PAGE = 120; // examples "My examples" shows before "Show more"
const THUMB = 56; // thumbnail side in pixels
const MODEL_FILE = "my-model.npz"; // the exported personal model
const MAX_MODEL_BYTES = 64 * 1024 * 1024; // an imported model file larger than this is refused unread

const DIGITS = "0123456789";
const UPPER = "ABCDEFGHIJKLMNOPQRSTUVWXYZ";
const LOWER = "abcdefghijklmnopqrstuvwxyz";

/** Paint an example on a canvas: its 28×28 input when it has one, otherwise its strokes. */
export function drawThumbnail(canvas, example) {
  const context = canvas.getContext("2d");
  if (example.input && example.input.length === 28 * 28) {
    canvas.width = 28;
    canvas.height = 28;
    const image = context.createImageData(28, 28);
    for (let i = 0; i < 28 * 28; i++) {
      const grey = Math.round(255 * (1 - Math.min(1, Math.max(0, example.input[i]))));
      image.data.set([grey, grey, grey, 255], 4 * i);
    }
    context.putImageData(image, 0, 0);
    return;
  }
  // The strokes, fitted to the thumbnail by their extent, as the network's input would be.
  canvas.width = THUMB;
  canvas.height = THUMB;
  context.fillStyle = "#fff";
  context.fillRect(0, 0, THUMB, THUMB);
  const all = example.strokes.flatMap((s) => s.points);
  const xs = all.map((p) => p[0]);
  const ys = all.map((p) => p[1]);
  const [x0, x1, y0, y1] = [Math.min(...xs), Math.max(...xs), Math.min(...ys), Math.max(...ys)];
  const extent = Math.max(x1 - x0, y1 - y0, 0.05);
  const scale = (THUMB * 0.75) / extent;
  const ox = THUMB / 2 - ((x0 + x1) / 2) * scale;
  const oy = THUMB / 2 - ((y0 + y1) / 2) * scale;
  context.strokeStyle = "#000";
  context.fillStyle = "#000";
  context.lineCap = "round";
  context.lineJoin = "round";
  for (const { brush, points } of example.strokes) {
    const width = Math.max(1, brush * scale);
    const [first, ...rest] = points;
    context.beginPath();
    if (rest.length === 0) {
      context.arc(ox + first[0] * scale, oy + first[1] * scale, width / 2, 0, 2 * Math.PI);
      context.fill();
      continue;
    }
    context.lineWidth = width;
    context.moveTo(ox + first[0] * scale, oy + first[1] * scale);
    for (const [x, y] of rest) context.lineTo(ox + x * scale, oy + y * scale);
    context.stroke();
  }
}

export class Teach {
  constructor({ recognizer, drawing, answerIsCurrent, clearPad, focusPad, onModelChanged = async () => {}, padBusy = () => false }) {
    this.recognizer = recognizer;
    this.drawing = drawing; // () => {strokes, padSide}
    this.answerIsCurrent = answerIsCurrent;
    this.clearPad = clearPad;
    this.focusPad = focusPad;
    this.answer = null; // the answer on screen, null when the pad is empty
    this.labels = []; // the model's labels, once it has loaded
    this.examples = []; // every stored record, oldest first
    this.store = null;
    this.shown = LIST_PAGE;
    this.session = null; // teaching mode: {queue, index, kept: [{id, label}]}
    this.learnable = false;
    this.learning = null; // an AbortController while learning
    this.onModelChanged = onModelChanged;
    this.padBusy = padBusy; // a stroke is being drawn or read: learning waits for it
    this.slices = []; // the worker's ms for each slice of the last learning (for bench/)
    this.hasMine = false; // the worker holds a personal model
    this.inUse = "original"; // which model reads the drawings: "mine" or "original"

    this.el = {
      notRight: $("#not-right"),
      correctPanel: $("#correct-panel"),
      correctChoices: $("#correct-choices"),
      correctForm: $("#correct-typed"),
      correctInput: $("#correct-label"),
      pickerOpen: $("#picker-open"),
      picker: $("#picker"),
      correctCancel: $("#correct-cancel"),
      correctStatus: $("#correct-status"),
      storageNotice: $("#storage-notice"),
      teachError: $("#teach-error"),
      teachStatus: $("#teach-status"),
      setup: $("#teach-setup"),
      charsForm: $("#teach-chars-form"),
      charsInput: $("#teach-chars"),
      wrong: $("#teach-wrong"),
      newForm: $("#teach-new-form"),
      newInput: $("#teach-new"),
      session: $("#teach-session"),
      prompt: $("#teach-prompt"),
      promptLabel: $("#teach-label"),
      promptSpoken: $("#teach-label-spoken"),
      count: $("#teach-count"),
      keep: $("#teach-keep"),
      redo: $("#teach-redo"),
      next: $("#teach-next"),
      stop: $("#teach-stop"),
      learn: $("#learn"),
      learnNote: $("#learn-note"),
      learnBar: $("#learn-bar"),
      examplesCount: $("#examples-count"),
      summary: $("#examples-labels"),
      list: $("#examples-list"),
      more: $("#examples-more"),
      exportButton: $("#examples-export"),
      importButton: $("#examples-import-button"),
      importInput: $("#examples-import"),
      clearAll: $("#examples-clear"),
      confirmClear: $("#examples-confirm"),
      confirmText: $("#examples-confirm-text"),
      confirmYes: $("#examples-confirm-yes"),
      confirmNo: $("#examples-confirm-no"),
      examplesStatus: $("#examples-status"),
      examplesError: $("#examples-error"),
      modelSwitch: $("#model-switch"),
      modelMine: $("#model-mine"),
      modelOriginal: $("#model-original"),
      modelExport: $("#model-export"),
      modelImportButton: $("#model-import-button"),
      modelImport: $("#model-import"),
      modelReset: $("#model-reset"),
      modelError: $("#model-error"),
      modelStatus: $("#model-status"),
    };
    this.wire();
    this.ready = this.start();
  }

  // -------------------------------------------------------------------------------------
  // What app.js tells us.
  showAnswer(result) {
    this.answer = result;
    this.el.notRight.hidden = false;
    if (!this.el.correctPanel.hidden) this.fillChoices();
    this.el.keep.disabled = false;
  }

  showEmpty() {
    this.answer = null;
    this.el.notRight.hidden = true;
    this.closeCorrection(false);
    this.el.keep.disabled = true;
  }

  // -------------------------------------------------------------------------------------
  async start() {
    const [store, info] = await Promise.all([
      openExamplesStore(),
      this.recognizer.ready.catch(() => null),
    ]);
    this.store = store;
    if (!store.persistent) {
      this.el.storageNotice.textContent = "This browser does not let the page keep anything " +
        "(a private window, or storage turned off), so your examples work for this visit only: " +
        "nothing will be kept after you close the page.";
      this.el.storageNotice.hidden = false;
      console.info("pycnn examples kept in memory:", store.reason);
    }
    try {
      this.examples = await store.list();
    } catch (error) {
      this.showError(this.el.examplesError, `Your examples could not be read: ${error.message}.`);
    }
    if (info) {
      this.labels = info.labels;
      this.learnable = canLearn(info);
      if (this.learnable) await this.restoreModel();
    }
    this.renderModel();
    // Another tab of the page changed the examples: read them again.
    if (store.persistent && typeof BroadcastChannel === "function") {
      this.channel = new BroadcastChannel("pycnn-examples");
      this.channel.onmessage = async () => {
        this.examples = await store.list();
        this.renderExamples();
        this.updateLearn();
      };
    }
    this.renderExamples();
    this.updateLearn();
    document.body.dataset.examplesReady = "true";
  }

  wire() {
    const el = this.el;
    el.notRight.addEventListener("click", () => {
      if (el.correctPanel.hidden) this.openCorrection();
      else this.closeCorrection(true);
    });
    el.correctCancel.addEventListener("click", () => this.closeCorrection(true));
    el.correctForm.addEventListener("submit", (event) => {
      event.preventDefault();
      this.correct(el.correctInput.value);
    });
    el.pickerOpen.addEventListener("click", () => {
      const open = el.picker.hidden;
      el.picker.hidden = !open;
      el.pickerOpen.setAttribute("aria-expanded", String(open));
      if (open) {
        this.fillPicker();
        const first = el.picker.querySelector("button[tabindex='0']");
        if (first) first.focus();
      }
    });
    el.picker.addEventListener("keydown", (event) => this.pickerKey(event));
    el.correctPanel.addEventListener("keydown", (event) => {
      if (event.key === "Escape") {
        event.preventDefault();
        this.closeCorrection(true);
      }
    });

    el.charsForm.addEventListener("submit", (event) => {
      event.preventDefault();
      const chars = [...new Set([...el.charsInput.value.normalize("NFC")].filter((c) => c.trim()))];
      if (!chars.length) {
        this.showError(el.teachError, "Type the characters you want to teach, for example gq9.");
        el.charsInput.focus();
        return;
      }
      this.startSession(chars);
    });
    el.wrong.addEventListener("click", () => {
      const wrong = this.wrongLabels();
      if (wrong.length) this.startSession(wrong);
    });
    el.newForm.addEventListener("submit", (event) => {
      event.preventDefault();
      const label = el.newInput.value.trim().normalize("NFC");
      const problem = labelProblem(label) || this.newLabelProblem(label);
      if (problem) {
        this.showError(el.teachError, problem);
        el.newInput.focus();
        return;
      }
      el.newInput.value = "";
      this.startSession([label]);
    });
    el.keep.addEventListener("click", () => this.keepDrawing());
    el.redo.addEventListener("click", () => this.redoLast());
    el.next.addEventListener("click", () => this.advance());
    el.stop.addEventListener("click", () => this.endSession());

    el.learn.addEventListener("click", () => this.learn());
    el.more.addEventListener("click", () => {
      this.shown += LIST_PAGE;
      this.renderExamples();
    });
    el.exportButton.addEventListener("click", () => this.exportExamples());
    el.importButton.addEventListener("click", () => el.importInput.click());
    el.importInput.addEventListener("change", () => {
      const [file] = el.importInput.files;
      el.importInput.value = "";
      if (file) this.importExamples(file);
    });
    el.clearAll.addEventListener("click", () => {
      el.confirmText.textContent = `Delete all ${plural(this.examples.length, "example")} from this device? This can't be undone.`;
      el.confirmClear.hidden = false;
      el.confirmNo.focus();
    });
    el.confirmNo.addEventListener("click", () => {
      el.confirmClear.hidden = true;
      el.clearAll.focus();
    });
    el.confirmYes.addEventListener("click", () => this.deleteAll());

    for (const radio of [el.modelMine, el.modelOriginal]) {
      radio.addEventListener("change", () => {
        if (radio.checked) this.useModel(radio.value);
      });
    }
    el.modelExport.addEventListener("click", () => this.exportModel());
    el.modelImportButton.addEventListener("click", () => el.modelImport.click());
    el.modelImport.addEventListener("change", () => {
      const [file] = el.modelImport.files;
      el.modelImport.value = "";
      if (file) this.importModel(file);
    });
    el.modelReset.addEventListener("click", () => this.resetModel());
  }

  // -------------------------------------------------------------------------------------
  // Correcting an answer.
  openCorrection() {
    const el = this.el;
    el.correctPanel.hidden = false;
    el.notRight.setAttribute("aria-expanded", "true");
    el.correctStatus.textContent = "";
    this.fillChoices();
    const first = el.correctChoices.querySelector("button");
    (first || el.correctInput).focus();
  }

  closeCorrection(returnFocus) {
    const el = this.el;
    const wasOpen = !el.correctPanel.hidden;
    el.correctPanel.hidden = true;
    el.picker.hidden = true;
    el.pickerOpen.setAttribute("aria-expanded", "false");
    el.notRight.setAttribute("aria-expanded", "false");
    el.correctInput.value = "";
    if (wasOpen && returnFocus && !el.notRight.hidden) el.notRight.focus();
  }

  fillChoices() {
    const top5 = this.answer ? this.answer.top5 : [];
    this.el.correctChoices.replaceChildren(...top5.map(([label]) => {
      const choice = button(label, { className: "choice", label: spokenLabel(label), onClick: () => this.correct(label) });
      choice.dataset.label = label;
      return choice;
    }));
  }

  /** The picker: every class the model has, by set, then the user's own labels. */
  fillPicker() {
    const known = new Set(this.labels);
    const groups = [
      ["Digits", this.labels.filter((l) => DIGITS.includes(l))],
      ["Capital letters", this.labels.filter((l) => UPPER.includes(l))],
      ["Small letters", this.labels.filter((l) => LOWER.includes(l))],
      ["Symbols", this.labels.filter((l) => !DIGITS.includes(l) && !UPPER.includes(l) && !LOWER.includes(l))],
      ["Your own", [...new Set(this.examples.map((e) => e.label))].filter((l) => !known.has(l))],
    ].filter(([, labels]) => labels.length);
    let first = true;
    this.el.picker.replaceChildren(...groups.map(([title, labels], g) => {
      const group = document.createElement("div");
      group.className = "picker-group";
      group.setAttribute("role", "group");
      const heading = document.createElement("h4");
      heading.id = `picker-group-${g}`;
      heading.textContent = title;
      group.setAttribute("aria-labelledby", heading.id);
      const grid = document.createElement("div");
      grid.className = "picker-grid";
      grid.append(...labels.map((label) => {
        const choice = button(label, { className: "choice", label: spokenLabel(label), onClick: () => this.correct(label) });
        choice.dataset.label = label;
        choice.tabIndex = first ? 0 : -1; // one stop in the Tab order; arrows move within
        first = false;
        return choice;
      }));
      group.append(heading, grid);
      return group;
    }));
  }

  /** Arrow keys, Home and End move through the picker; typing a character jumps to it. */
  pickerKey(event) {
    const buttons = [...this.el.picker.querySelectorAll("button")];
    const index = buttons.indexOf(document.activeElement);
    if (index < 0) return;
    let target = null;
    if (event.key === "ArrowRight") target = buttons[index + 1];
    else if (event.key === "ArrowLeft") target = buttons[index - 1];
    else if (event.key === "Home") target = buttons[0];
    else if (event.key === "End") target = buttons[buttons.length - 1];
    else if (event.key === "ArrowDown" || event.key === "ArrowUp") {
      // The button in the next (or previous) row nearest in x.
      const here = buttons[index].getBoundingClientRect();
      const down = event.key === "ArrowDown";
      let best = null;
      let bestScore = Infinity;
      for (const candidate of buttons) {
        const box = candidate.getBoundingClientRect();
        const dy = down ? box.top - here.top : here.top - box.top;
        if (dy < here.height / 2) continue;
        const score = dy * 1000 + Math.abs(box.left - here.left);
        if (score < bestScore) [best, bestScore] = [candidate, score];
      }
      target = best;
    } else if (event.key.length <= 2 && [...event.key].length === 1 && !event.ctrlKey && !event.metaKey && !event.altKey) {
      target = buttons.find((b) => b.dataset.label === event.key) || null;
    } else {
      return;
    }
    event.preventDefault();
    if (!target) return;
    buttons[index].tabIndex = -1;
    target.tabIndex = 0;
    target.focus();
  }

  async correct(rawLabel) {
    // NFC: "é" typed as e + accent is the same label as "é" picked.
    const label = typeof rawLabel === "string" ? rawLabel.trim().normalize("NFC") : rawLabel;
    const el = this.el;
    const problem = labelProblem(label) || this.limitProblem(label);
    if (problem) {
      el.correctStatus.textContent = problem;
      el.correctInput.focus();
      return;
    }
    if (!this.answer) {
      el.correctStatus.textContent = "The pad is empty: draw the character first.";
      return;
    }
    const saved = await this.save(label, "correction", el.correctStatus);
    if (!saved) return;
    this.closeCorrection(true);
    el.correctStatus.textContent = `Kept as your example of “${label}”. ${this.countSentence(label)}`;
  }

  // -------------------------------------------------------------------------------------
  // Keeping examples.
  newLabels() {
    const known = new Set(this.labels);
    return new Set(this.examples.map((e) => e.label).filter((l) => !known.has(l)));
  }

  newLabelProblem(label) {
    const fresh = this.newLabels();
    if (!this.labels.includes(label) && !fresh.has(label) && fresh.size >= LIMITS.newLabels) {
      return `You already have ${LIMITS.newLabels} new symbols, the most the page keeps: delete the examples of one first.`;
    }
    return null;
  }

  limitProblem(label) {
    if (this.examples.length >= LIMITS.examples) {
      return `You have ${LIMITS.examples} examples, the most the page keeps: delete some in My examples first.`;
    }
    return this.newLabelProblem(label);
  }

  /** "4 examples of g." plus, for a new symbol, how many more it needs. */
  countSentence(label) {
    const count = this.examples.filter((e) => e.label === label).length;
    let sentence = `You have ${plural(count, "example")} of “${label}”.`;
    if (this.labels.length && !this.labels.includes(label)) {
      const short = LIMITS.minNewLabelExamples - count;
      sentence += short > 0
        ? ` It is new to the network, which needs at least ${LIMITS.minNewLabelExamples} examples to learn it (${short} more).`
        : " It is new to the network, and has enough examples to be learnt.";
    }
    return sentence;
  }

  /** The drawing on the pad kept as an example of `label`; its record, or null (the reason is
   * shown in `statusEl`). */
  async save(label, source, statusEl) {
    if (!this.store) await this.ready; // the store opens in milliseconds; the network takes seconds
    const { strokes, padSide } = this.drawing();
    if (!strokes.length) {
      statusEl.textContent = "The pad is empty: draw the character first.";
      return null;
    }
    let example;
    try {
      const input = this.answer && this.answerIsCurrent() ? this.answer.input : null;
      example = exampleFromPad({ label, strokes, padSide, input, source });
    } catch (error) {
      statusEl.textContent = error instanceof ExampleError ? error.message : String(error);
      return null;
    }
    try {
      example.id = await this.store.add(example);
    } catch (error) {
      statusEl.textContent = error.message;
      return null;
    }
    this.examples.push(example);
    this.changed();
    return example;
  }

  // -------------------------------------------------------------------------------------
  // Teaching mode.
  wrongLabels() {
    return [...new Set(this.examples.filter((e) => e.source === "correction").map((e) => e.label))];
  }

  startSession(labels) {
    const problem = labels.map((l) => labelProblem(l) || this.limitProblem(l)).find(Boolean);
    if (problem) {
      this.showError(this.el.teachError, problem);
      return;
    }
    this.el.teachError.hidden = true;
    this.el.teachStatus.textContent = `Teaching ${labels.map((l) => `“${l}”`).join(", ")}: the pad asks for each drawing.`;
    this.session = { queue: labels, index: 0, kept: [] };
    this.el.setup.hidden = true;
    this.el.session.hidden = false;
    this.clearPad();
    this.renderSession();
    this.focusPrompt();
  }

  /** The prompt takes focus (a screen reader says what to draw), and the pad and the prompt
   * under it are scrolled into view together. */
  focusPrompt() {
    this.el.prompt.focus({ preventScroll: true });
    document.querySelector("#pad").scrollIntoView({ block: "nearest" });
    this.el.session.scrollIntoView({ block: "nearest" });
  }

  get sessionLabel() {
    return this.session && this.session.queue[this.session.index];
  }

  renderSession() {
    const { session, el } = this;
    const label = this.sessionLabel;
    el.promptLabel.textContent = label;
    el.promptSpoken.textContent = spokenLabel(label);
    const kept = session.kept.filter((k) => k.label === label).length;
    const position = session.queue.length > 1 ? ` (character ${session.index + 1} of ${session.queue.length})` : "";
    let note = "";
    if (this.labels.length && !this.labels.includes(label)) {
      const total = this.examples.filter((e) => e.label === label).length;
      note = total < LIMITS.minNewLabelExamples
        ? ` New symbol: it needs at least ${LIMITS.minNewLabelExamples} examples, ${total} so far.`
        : " New symbol: it has enough examples to be learnt.";
    }
    el.count.textContent = `${kept} of ${TEACH_PER_LABEL} drawings of “${label}” kept${position}.${note}`;
    el.count.dataset.kept = String(kept);
    el.redo.disabled = session.kept.length === 0;
    el.next.textContent = session.index + 1 < session.queue.length ? "Next character" : "Finish";
  }

  async keepDrawing() {
    const label = this.sessionLabel;
    if (!label) return;
    const problem = this.limitProblem(label);
    if (problem) {
      this.showError(this.el.teachError, problem);
      return;
    }
    const saved = await this.save(label, "teach", this.el.count);
    if (!saved) return;
    this.el.teachError.hidden = true;
    this.session.kept.push({ id: saved.id, label });
    this.clearPad();
    if (this.session.kept.filter((k) => k.label === label).length >= TEACH_PER_LABEL) {
      this.advance();
    } else {
      this.renderSession();
      this.focusPad();
    }
  }

  async redoLast() {
    const last = this.session && this.session.kept.pop();
    if (!last) return;
    await this.deleteExample(last.id, false);
    this.session.index = Math.max(0, this.session.queue.indexOf(last.label));
    this.clearPad();
    this.renderSession();
    this.el.count.textContent = `The last drawing of “${last.label}” was removed: draw it again. ${this.el.count.textContent}`;
    this.focusPad();
  }

  advance() {
    if (!this.session) return;
    if (this.session.index + 1 >= this.session.queue.length) {
      this.endSession();
      return;
    }
    this.session.index++;
    this.clearPad();
    this.renderSession();
    this.focusPrompt();
  }

  endSession() {
    const kept = this.session ? this.session.kept.length : 0;
    this.session = null;
    this.el.session.hidden = true;
    this.el.setup.hidden = false;
    this.el.teachStatus.textContent = `Teaching done: ${plural(kept, "drawing")} kept in My examples.`;
    this.el.charsInput.focus();
  }

  // -------------------------------------------------------------------------------------
  // My examples.
  /** The examples changed here: other tabs of the page are told. */
  changed() {
    if (this.channel) this.channel.postMessage("changed");
    this.renderExamples();
    this.updateLearn();
  }

  renderExamples() {
    const { el } = this;
    const count = this.examples.length;
    el.examplesCount.textContent = `(${count})`;
    el.exportButton.disabled = count === 0;
    el.clearAll.disabled = count === 0;
    if (count === 0) el.confirmClear.hidden = true;
    const wrong = this.wrongLabels();
    el.wrong.disabled = wrong.length === 0;
    el.wrong.title = wrong.length ? `Teach ${wrong.join(" ")}` : "Correct an answer first: these are the characters you corrected.";

    // Per label: how many, and whether a new symbol has enough.
    const byLabel = new Map();
    for (const e of this.examples) byLabel.set(e.label, (byLabel.get(e.label) || 0) + 1);
    el.summary.replaceChildren(...[...byLabel].map(([label, n]) => {
      const item = document.createElement("li");
      item.dataset.label = label;
      const fresh = this.labels.length && !this.labels.includes(label);
      const needs = fresh && n < LIMITS.minNewLabelExamples;
      item.textContent = `${label} × ${n}${fresh ? (needs ? ` (new: needs ${LIMITS.minNewLabelExamples})` : " (new)") : ""}`;
      if (needs) item.classList.add("needs");
      return item;
    }));

    const newest = this.examples.slice().reverse().slice(0, this.shown);
    el.list.replaceChildren(...newest.map((example) => this.exampleItem(example)));
    el.more.hidden = count <= this.shown;
    if (!el.more.hidden) el.more.textContent = `Show more (${count - this.shown} not shown)`;
  }

  exampleItem(example) {
    const item = document.createElement("li");
    item.dataset.label = example.label;
    item.dataset.id = String(example.id);
    const canvas = document.createElement("canvas");
    canvas.className = "thumb";
    canvas.setAttribute("role", "img");
    canvas.setAttribute("aria-label", `Your drawing of ${spokenLabel(example.label)}`);
    drawThumbnail(canvas, example);
    const label = document.createElement("span");
    label.className = "label";
    label.textContent = example.label;
    const when = document.createElement("time");
    when.className = "small";
    when.dateTime = example.created;
    const date = new Date(example.created);
    when.textContent = date.toLocaleDateString(undefined, { month: "short", day: "numeric" });
    const remove = button("Delete", {
      className: "delete",
      label: `Delete this example of ${spokenLabel(example.label)}`,
      onClick: () => this.deleteExample(example.id, true),
    });
    item.append(canvas, label, when, remove);
    return item;
  }

  async deleteExample(id, announce) {
    const index = this.examples.findIndex((e) => e.id === id);
    if (index < 0) return;
    const [example] = this.examples.splice(index, 1);
    try {
      await this.store.delete(id);
    } catch (error) {
      this.examples.splice(index, 0, example);
      this.showError(this.el.examplesError, `That example could not be deleted: ${error.message}.`);
      return;
    }
    // Keep the keyboard's place: focus moves to the next Delete button (or the list's tools).
    const listItem = this.el.list.querySelector(`li[data-id="${id}"]`);
    const next = listItem && (listItem.nextElementSibling || listItem.previousElementSibling);
    this.changed();
    if (announce) {
      this.el.examplesStatus.textContent = `Deleted an example of “${example.label}”.`;
      const target = next && this.el.list.querySelector(`li[data-id="${next.dataset.id}"] .delete`);
      (target || this.el.exportButton).focus();
    }
  }

  async deleteAll() {
    const { el } = this;
    try {
      await this.store.clear();
    } catch (error) {
      this.showError(el.examplesError, `Your examples could not be deleted: ${error.message}.`);
      return;
    }
    const n = this.examples.length;
    this.examples = [];
    el.confirmClear.hidden = true;
    this.changed();
    el.examplesStatus.textContent = `Deleted all ${plural(n, "example")}.`;
    el.importButton.focus();
  }

  exportExamples() {
    const text = examplesFileText(this.examples);
    const url = URL.createObjectURL(new Blob([text], { type: "application/json" }));
    const link = document.createElement("a");
    link.href = url;
    link.download = `pycnn-examples-${new Date().toISOString().slice(0, 10)}.json`;
    document.body.append(link);
    link.click();
    link.remove();
    setTimeout(() => URL.revokeObjectURL(url), 10_000);
    this.el.examplesStatus.textContent = `Exported ${plural(this.examples.length, "example")} to ${link.download}.`;
  }

  /** Read, check every example, then store them all in one transaction, or nothing. */
  async importExamples(file) {
    const { el } = this;
    el.examplesError.hidden = true;
    el.examplesStatus.textContent = "";
    try {
      if (file.size > LIMITS.fileBytes) {
        throw new ExampleError(`The file is larger than ${LIMITS.fileBytes / 1024 / 1024} MB, the most an examples file may be.`);
      }
      const examples = parseExamplesFile(await file.text());
      const have = new Set(this.examples.map(exampleKey));
      const fresh = [];
      for (const example of examples) {
        const key = exampleKey(example);
        if (have.has(key)) continue; // already here (or twice in the file)
        have.add(key);
        fresh.push({ ...example, input: null, source: "import" });
      }
      if (this.examples.length + fresh.length > LIMITS.examples) {
        throw new ExampleError(`With these ${fresh.length} examples you would have ${this.examples.length + fresh.length}, more than the ${LIMITS.examples} the page keeps: nothing was imported.`);
      }
      const known = new Set(this.labels);
      const newLabels = new Set([...this.examples, ...fresh].map((e) => e.label).filter((l) => !known.has(l)));
      if (this.labels.length && newLabels.size > LIMITS.newLabels) {
        throw new ExampleError(`The file would bring you to ${newLabels.size} new symbols, more than the ${LIMITS.newLabels} the page keeps: nothing was imported.`);
      }
      const ids = await this.store.addAll(fresh, "these examples");
      fresh.forEach((example, i) => {
        example.id = ids[i];
      });
      this.examples.push(...fresh);
      this.changed();
      const skipped = examples.length - fresh.length;
      el.examplesStatus.textContent = `Imported ${plural(fresh.length, "example")}` +
        (skipped ? ` (${plural(skipped, "example")} already here, skipped).` : ".");
    } catch (error) {
      const sentence = error instanceof ExampleError ? error.message : error.message || String(error);
      this.showError(el.examplesError, `${file.name} was not imported: ${sentence}`);
    }
  }

  // -------------------------------------------------------------------------------------
  // Learning (web/learning.js): offered once the worker can learn.
  updateLearn() {
    const { el } = this;
    if (this.learning) return; // its own button ("Stop learning") and note while it runs
    el.learn.disabled = !(this.learnable && this.examples.length > 0);
    if (!this.learnable) {
      const why = "Learning in the page is not available yet: this version of the network can only read. Your examples are kept for when it can.";
      el.learn.title = why;
      el.learnNote.textContent = why;
    } else if (!this.examples.length) {
      el.learn.title = "Keep some examples first: correct an answer or teach it some characters.";
      el.learnNote.textContent = el.learn.title;
    } else {
      el.learn.removeAttribute("title");
      el.learnNote.textContent = `Learns from your ${plural(this.examples.length, "example")} on this device.`;
    }
  }

  /** Learn from every example (pycnn.adapt holds back a new symbol with fewer than
   * LIMITS.minNewLabelExamples and says so); pressed again while learning, it stops. */
  async learn() {
    const { el } = this;
    if (this.learning) {
      this.learning.abort();
      return;
    }
    if (!this.learnable || !this.examples.length) return;
    this.learning = new AbortController();
    el.learn.textContent = "Stop learning";
    el.learnBar.hidden = false;
    el.learnBar.value = 0;
    let heldBack = [];
    try {
      this.slices = [];
      const { begun, labels } = await learnFromExamples(this.recognizer, this.examples, {
        signal: this.learning.signal,
        turn: async () => {
          while (this.padBusy()) await new Promise((resolve) => setTimeout(resolve, 10));
        },
        onBegin: (reply) => {
          heldBack = reply.held_back || [];
        },
        onProgress: ({ step, steps, loss, secondsLeft, ms }) => {
          this.slices.push(ms);
          el.learnBar.max = steps || 1;
          el.learnBar.value = step;
          const left = secondsLeft == null ? "" : `, about ${Math.ceil(secondsLeft)} s left`;
          el.learnNote.textContent = `Learning: step ${step} of ${steps}, loss ${Number(loss).toFixed(3)}${left}.`;
        },
      });
      if (Array.isArray(labels)) this.labels = labels;
      const held = heldBack.map((h) => (typeof h === "string" ? h : h.label)).filter(Boolean);
      el.learnNote.textContent = `Learnt from ${plural(begun.examples, "example")}.` +
        (held.length ? ` Not yet: ${held.join(", ")} (each needs ${LIMITS.minNewLabelExamples} examples).` : "");
      this.hasMine = true;
      await this.keepModel(true);
      await this.modelChanged("Your model is reading your drawings now.");
    } catch (error) {
      el.learnNote.textContent = error.name === "AbortError" ? "Learning stopped; the model is as it was."
        : `Learning failed: ${error.message}.`;
    } finally {
      this.learning = null;
      el.learn.textContent = "Learn from my examples";
      el.learnBar.hidden = true;
      el.learn.disabled = !(this.learnable && this.examples.length);
      this.renderModel();
    }
  }

  // -------------------------------------------------------------------------------------
  // The personal model: kept in the store as its model file, restored on the next visit,
  // switched, reset, exported and imported.
  renderModel() {
    const { el } = this;
    const busy = !!this.learning;
    el.modelSwitch.disabled = !this.hasMine || busy;
    el.modelMine.checked = this.inUse === "mine";
    el.modelOriginal.checked = this.inUse !== "mine";
    el.modelExport.disabled = !this.hasMine || busy;
    el.modelReset.disabled = !this.hasMine || busy;
    el.modelImportButton.disabled = !this.learnable || busy;
    document.body.dataset.model = this.inUse;
  }

  /** The worker's model changed: read its labels and network again, and tell the page. */
  async modelChanged(message) {
    const info = await modelInfo(this.recognizer);
    this.labels = info.labels;
    this.inUse = info.in_use || "original";
    this.renderModel();
    this.renderExamples();
    if (message) this.el.modelStatus.textContent = message;
    await this.onModelChanged(info);
  }

  /** Keep the worker's personal model in the store ({name: "mine", bytes, labels, saved, use}). */
  async keepModel(use) {
    let exported;
    try {
      exported = await this.recognizer.request("model_export", { which: "mine" });
      await this.store.putModel({
        name: "mine", bytes: exported.data, labels: exported.reply.labels, saved: new Date().toISOString(), use,
      });
    } catch (error) {
      this.showError(this.el.modelError, `Your model works for this visit, but could not be kept on this device: ${sentence(error)}`);
    }
  }

  /** On start: the personal model kept by an earlier visit, checked by the worker as any
   * model file; a model it refuses leaves the original in use, and the page says so. */
  async restoreModel() {
    let record = null;
    try {
      record = await this.store.getModel("mine");
    } catch (error) {
      console.warn("pycnn: the kept model could not be read:", error);
    }
    if (!record) return;
    const use = record.use !== false;
    try {
      await this.recognizer.request("model_load", { use }, record.bytes.slice(0));
    } catch (error) {
      this.showError(this.el.modelError, `Your model kept on this device could not be used (${sentence(error).replace(/\.$/, "")}), ` +
        "so the original model is reading your drawings. Learn again from your examples to make a new one.");
      return;
    }
    this.hasMine = true;
    await this.modelChanged(use ? "Your model, kept on this device, is reading your drawings." : "");
  }

  async useModel(which) {
    const { el } = this;
    el.modelError.hidden = true;
    try {
      await this.recognizer.request("model_use", { which });
      const record = await this.store.getModel("mine").catch(() => null);
      if (record) await this.store.putModel({ ...record, use: which === "mine" }).catch(() => {});
    } catch (error) {
      this.showError(el.modelError, `The model could not be switched: ${sentence(error)}`);
    }
    await this.modelChanged(which === "mine" ? "Your model is reading your drawings." : "The original model is reading your drawings.");
  }

  async resetModel() {
    const { el } = this;
    el.modelError.hidden = true;
    try {
      await this.recognizer.request("model_forget");
      await this.store.deleteModel("mine");
    } catch (error) {
      this.showError(el.modelError, `Your model could not be deleted: ${sentence(error)}`);
    }
    this.hasMine = false;
    await this.modelChanged("Back to the original model: your model was deleted from this device. Your examples are kept.");
    el.modelImportButton.focus();
  }

  async exportModel() {
    const { el } = this;
    try {
      const { data } = await this.recognizer.request("model_export", { which: "mine" });
      const url = URL.createObjectURL(new Blob([data], { type: "application/octet-stream" }));
      const link = document.createElement("a");
      link.href = url;
      link.download = MODEL_FILE;
      document.body.append(link);
      link.click();
      link.remove();
      setTimeout(() => URL.revokeObjectURL(url), 10_000);
      el.modelStatus.textContent = `Exported your model to ${MODEL_FILE}: python -m pycnn.predict --model ${MODEL_FILE} reads it.`;
    } catch (error) {
      this.showError(el.modelError, `Your model could not be exported: ${sentence(error)}`);
    }
  }

  /** A model file: checked by the worker's safe loader; refused with a sentence and nothing
   * changed, or kept as your model and put in use. */
  async importModel(file) {
    const { el } = this;
    el.modelError.hidden = true;
    el.modelStatus.textContent = "";
    try {
      if (file.size > MAX_MODEL_BYTES) {
        throw new Error(`The file is larger than ${MAX_MODEL_BYTES / 1024 / 1024} MB, more than a model file may be.`);
      }
      const bytes = await file.arrayBuffer();
      await this.recognizer.request("model_load", { use: true }, bytes.slice(0));
    } catch (error) {
      this.showError(el.modelError, `${file.name} was not imported: ${sentence(error)} Nothing was changed.`);
      return;
    }
    this.hasMine = true;
    await this.keepModel(true);
    await this.modelChanged(`Imported ${file.name}: it is your model now, and it is reading your drawings.`);
  }

  showError(element, text) {
    element.textContent = text;
    element.hidden = false;
  }
}
