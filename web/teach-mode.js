// The teaching mode: the page asks for TEACH_PER_LABEL drawings of each character to teach
// (typed, the ones corrected with "Not right?", or a new symbol from web/new-symbol.js), in a
// prompt beside the pad, and keeps each drawing as an example.

import { LIMITS, labelProblem } from "./examples-file.js";
import { isNewLabel } from "./new-symbol.js";
import { $, plural, showError, spokenLabel } from "./ui-helpers.js";

const TEACH_PER_LABEL = 5; // drawings the teaching mode asks for, of each character

export class TeachMode {
  /** deleteExample(id): takes back a kept drawing (web/my-examples.js), for "Redo". */
  constructor({ state, clearPad, focusPad, deleteExample }) {
    this.state = state; // web/teach-state.js
    this.clearPad = clearPad;
    this.focusPad = focusPad;
    this.deleteExample = deleteExample;
    this.session = null; // {queue, index, kept: [{id, label}]}
    this.el = {
      error: $("#teach-error"),
      status: $("#teach-status"),
      setup: $("#teach-setup"),
      charsForm: $("#teach-chars-form"),
      charsInput: $("#teach-chars"),
      wrong: $("#teach-wrong"),
      session: $("#teach-session"),
      prompt: $("#teach-prompt"),
      promptLabel: $("#teach-label"),
      promptSpoken: $("#teach-label-spoken"),
      count: $("#teach-count"),
      keep: $("#teach-keep"),
      redo: $("#teach-redo"),
      next: $("#teach-next"),
      stop: $("#teach-stop"),
    };
    this.wire();
  }

  /** A drawing is on the pad (with its answer): it can be kept. */
  showAnswer() {
    this.el.keep.disabled = false;
  }

  showEmpty() {
    this.el.keep.disabled = true;
  }

  wire() {
    const { el } = this;
    el.charsForm.addEventListener("submit", (event) => {
      event.preventDefault();
      const chars = [...new Set([...el.charsInput.value.normalize("NFC")].filter((c) => c.trim()))];
      if (!chars.length) {
        showError(el.error, "Type the characters you want to teach, for example gq9.");
        el.charsInput.focus();
        return;
      }
      this.startSession(chars);
    });
    el.wrong.addEventListener("click", () => {
      const wrong = this.wrongLabels();
      if (wrong.length) this.startSession(wrong);
    });
    el.keep.addEventListener("click", () => this.keepDrawing());
    el.redo.addEventListener("click", () => this.redoLast());
    el.next.addEventListener("click", () => this.advance());
    el.stop.addEventListener("click", () => this.endSession());
  }

  /** The characters corrected with "Not right?". */
  wrongLabels() {
    return [...new Set(this.state.examples.filter((e) => e.source === "correction").map((e) => e.label))];
  }

  /** "Teach the ones it gets wrong" follows the examples: offered once there are corrections. */
  renderWrong() {
    const { el } = this;
    const wrong = this.wrongLabels();
    el.wrong.disabled = wrong.length === 0;
    el.wrong.title = wrong.length ? `Teach ${wrong.join(" ")}` : "Correct an answer first: these are the characters you corrected.";
  }

  startSession(labels) {
    const problem = labels.map((l) => labelProblem(l) || this.state.limitProblem(l)).find(Boolean);
    if (problem) {
      showError(this.el.error, problem);
      return;
    }
    this.el.error.hidden = true;
    this.el.status.textContent = `Teaching ${labels.map((l) => `“${l}”`).join(", ")}: the pad asks for each drawing.`;
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
    $("#pad").scrollIntoView({ block: "nearest" });
    this.el.session.scrollIntoView({ block: "nearest" });
  }

  get sessionLabel() {
    return this.session && this.session.queue[this.session.index];
  }

  renderSession() {
    const { session, el, state } = this;
    const label = this.sessionLabel;
    el.promptLabel.textContent = label;
    el.promptSpoken.textContent = spokenLabel(label);
    const kept = session.kept.filter((k) => k.label === label).length;
    const position = session.queue.length > 1 ? ` (character ${session.index + 1} of ${session.queue.length})` : "";
    let note = "";
    if (isNewLabel(label, state.labels)) {
      const total = state.examples.filter((e) => e.label === label).length;
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
    const problem = this.state.limitProblem(label);
    if (problem) {
      showError(this.el.error, problem);
      return;
    }
    const saved = await this.state.save(label, "teach", this.el.count);
    if (!saved) return;
    this.el.error.hidden = true;
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
    await this.deleteExample(last.id);
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
    this.el.status.textContent = `Teaching done: ${plural(kept, "drawing")} kept in My examples.`;
    this.el.charsInput.focus();
  }
}
