// "My examples": every example kept on this device, newest first, as thumbnails with their
// label, a count per label (and whether a new symbol has enough), deleting one or all. Their
// export and import are in web/personal-files.js.

import { LIMITS } from "./examples-file.js";
import { isNewLabel } from "./new-symbol.js";
import { $, button, plural, showError, spokenLabel } from "./ui-helpers.js";

const LIST_PAGE = 120; // examples "My examples" shows before "Show more"
const THUMB = 56; // thumbnail side in pixels

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

export class MyExamples {
  constructor(state) {
    this.state = state; // web/teach-state.js
    this.shown = LIST_PAGE;
    this.el = {
      count: $("#examples-count"),
      summary: $("#examples-labels"),
      list: $("#examples-list"),
      more: $("#examples-more"),
      exportButton: $("#examples-export"),
      importButton: $("#examples-import-button"),
      clearAll: $("#examples-clear"),
      confirmClear: $("#examples-confirm"),
      confirmText: $("#examples-confirm-text"),
      confirmYes: $("#examples-confirm-yes"),
      confirmNo: $("#examples-confirm-no"),
      status: $("#examples-status"),
      error: $("#examples-error"),
    };
    this.wire();
  }

  wire() {
    const { el } = this;
    el.more.addEventListener("click", () => {
      this.shown += LIST_PAGE;
      this.render();
    });
    el.clearAll.addEventListener("click", () => {
      el.confirmText.textContent = `Delete all ${plural(this.state.examples.length, "example")} from this device? This can't be undone.`;
      el.confirmClear.hidden = false;
      el.confirmNo.focus();
    });
    el.confirmNo.addEventListener("click", () => {
      el.confirmClear.hidden = true;
      el.clearAll.focus();
    });
    el.confirmYes.addEventListener("click", () => this.deleteAll());
  }

  render() {
    const { el } = this;
    const { examples, labels } = this.state;
    const count = examples.length;
    el.count.textContent = `(${count})`;
    el.exportButton.disabled = count === 0;
    el.clearAll.disabled = count === 0;
    if (count === 0) el.confirmClear.hidden = true;

    // Per label: how many, and whether a new symbol has enough.
    const byLabel = new Map();
    for (const e of examples) byLabel.set(e.label, (byLabel.get(e.label) || 0) + 1);
    el.summary.replaceChildren(...[...byLabel].map(([label, n]) => {
      const item = document.createElement("li");
      item.dataset.label = label;
      const fresh = isNewLabel(label, labels);
      const needs = fresh && n < LIMITS.minNewLabelExamples;
      item.textContent = `${label} × ${n}${fresh ? (needs ? ` (new: needs ${LIMITS.minNewLabelExamples})` : " (new)") : ""}`;
      if (needs) item.classList.add("needs");
      return item;
    }));

    const newest = examples.slice().reverse().slice(0, this.shown);
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

  /** Delete one example; `announce`: say so, and move focus on (the teaching mode's Redo
   * deletes without either). */
  async deleteExample(id, announce) {
    const { state } = this;
    const index = state.examples.findIndex((e) => e.id === id);
    if (index < 0) return;
    const [example] = state.examples.splice(index, 1);
    try {
      await state.store.delete(id);
    } catch (error) {
      state.examples.splice(index, 0, example);
      showError(this.el.error, `That example could not be deleted: ${error.message}.`);
      return;
    }
    // Keep the keyboard's place: focus moves to the next Delete button (or the list's tools).
    const listItem = this.el.list.querySelector(`li[data-id="${id}"]`);
    const next = listItem && (listItem.nextElementSibling || listItem.previousElementSibling);
    state.changed();
    if (announce) {
      this.el.status.textContent = `Deleted an example of “${example.label}”.`;
      const target = next && this.el.list.querySelector(`li[data-id="${next.dataset.id}"] .delete`);
      (target || this.el.exportButton).focus();
    }
  }

  async deleteAll() {
    const { el, state } = this;
    try {
      await state.store.clear();
    } catch (error) {
      showError(el.error, `Your examples could not be deleted: ${error.message}.`);
      return;
    }
    const n = state.examples.length;
    state.examples = [];
    el.confirmClear.hidden = true;
    state.changed();
    el.status.textContent = `Deleted all ${plural(n, "example")}.`;
    el.importButton.focus();
  }
}
