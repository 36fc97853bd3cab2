// The Learn button: offered once the worker can learn and there are examples; pressed, it
// learns from every example through web/learning.js, with a note and a progress bar, and
// pressed again it stops. What it learnt becomes your model (web/model-switch.js).

import { LIMITS } from "./examples-file.js";
import { learnFromExamples } from "./learning.js";
import { $, plural } from "./ui-helpers.js";

export class LearnButton {
  /** padBusy(): a stroke is being drawn or read, and the next slice of learning waits for it. */
  constructor({ state, modelSwitch, padBusy }) {
    this.state = state; // web/teach-state.js
    this.modelSwitch = modelSwitch;
    this.padBusy = padBusy;
    this.slices = []; // the worker's ms for each slice of the last learning (for bench/)
    this.el = { learn: $("#learn"), note: $("#learn-note"), bar: $("#learn-bar") };
    this.el.learn.addEventListener("click", () => this.learn());
  }

  /** The button and its note follow the examples (learning has its own while it runs). */
  update() {
    const { el, state } = this;
    if (state.learning) return; // its own button ("Stop learning") and note while it runs
    el.learn.disabled = !(state.learnable && state.examples.length > 0);
    if (!state.learnable) {
      const why = "Learning in the page is not available yet: this version of the network can only read. Your examples are kept for when it can.";
      el.learn.title = why;
      el.note.textContent = why;
    } else if (!state.examples.length) {
      el.learn.title = "Keep some examples first: correct an answer or teach it some characters.";
      el.note.textContent = el.learn.title;
    } else {
      el.learn.removeAttribute("title");
      el.note.textContent = `Learns from your ${plural(state.examples.length, "example")} on this device.`;
    }
  }

  /** Learn from every example (pycnn.learn.adaptation holds back a new symbol with fewer than
   * LIMITS.minNewLabelExamples and says so); pressed again while learning, it stops. */
  async learn() {
    const { el, state } = this;
    if (state.learning) {
      state.learning.abort();
      return;
    }
    if (!state.learnable || !state.examples.length) return;
    state.learning = new AbortController();
    el.learn.textContent = "Stop learning";
    el.bar.hidden = false;
    el.bar.value = 0;
    let heldBack = [];
    try {
      this.slices = [];
      const { begun, labels } = await learnFromExamples(state.recognizer, state.examples, {
        signal: state.learning.signal,
        turn: async () => {
          while (this.padBusy()) await new Promise((resolve) => setTimeout(resolve, 10));
        },
        onBegin: (reply) => {
          heldBack = reply.held_back || [];
        },
        onProgress: ({ step, steps, loss, secondsLeft, ms }) => {
          this.slices.push(ms);
          el.bar.max = steps || 1;
          el.bar.value = step;
          const left = secondsLeft == null ? "" : `, about ${Math.ceil(secondsLeft)} s left`;
          el.note.textContent = `Learning: step ${step} of ${steps}, loss ${Number(loss).toFixed(3)}${left}.`;
        },
      });
      if (Array.isArray(labels)) state.labels = labels;
      const held = heldBack.map((h) => (typeof h === "string" ? h : h.label)).filter(Boolean);
      el.note.textContent = `Learnt from ${plural(begun.examples, "example")}.` +
        (held.length ? ` Not yet: ${held.join(", ")} (each needs ${LIMITS.minNewLabelExamples} examples).` : "");
      await this.modelSwitch.adopt("Your model is reading your drawings now.");
    } catch (error) {
      el.note.textContent = error.name === "AbortError" ? "Learning stopped; the model is as it was."
        : `Learning failed: ${error.message}.`;
    } finally {
      state.learning = null;
      el.learn.textContent = "Learn from my examples";
      el.bar.hidden = true;
      el.learn.disabled = !(state.learnable && state.examples.length);
      this.modelSwitch.render();
    }
  }
}
