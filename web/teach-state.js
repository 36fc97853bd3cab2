// What the teaching panels share (web/teach.js makes one and hands it to each): the examples
// store, every example kept, the model's labels, the answer on screen, and whether learning is
// offered or running. With them, the rules that need them: the limits a new example must
// respect, keeping the drawing on the pad, and telling every panel (and other tabs of the
// page) that the examples changed.

import { ExampleError, LIMITS, exampleFromPad } from "./examples-file.js";
import { newLabelProblem } from "./new-symbol.js";

export class TeachState {
  constructor({ recognizer, drawing, answerIsCurrent }) {
    this.recognizer = recognizer;
    this.drawing = drawing; // () => {strokes, padSide}
    this.answerIsCurrent = answerIsCurrent;
    this.answer = null; // the answer on screen, null when the pad is empty
    this.labels = []; // the model's labels, once it has loaded
    this.examples = []; // every stored record, oldest first
    this.store = null;
    this.ready = null; // teach.js's start-up: the store is open once it resolves
    this.learnable = false;
    this.learning = null; // an AbortController while learning
    this.channel = null; // a BroadcastChannel to the page's other tabs, when the store is kept
    this.listeners = [];
  }

  /** `listener()` runs whenever the examples change, here or in another tab. */
  onExamplesChanged(listener) {
    this.listeners.push(listener);
  }

  /** The panels show the examples as they are now. */
  examplesShown() {
    for (const listener of this.listeners) listener();
  }

  /** The examples changed here: other tabs of the page are told. */
  changed() {
    if (this.channel) this.channel.postMessage("changed");
    this.examplesShown();
  }

  /** Another tab of the page changed the examples: read them again. Only a kept store is
   * shared with other tabs. */
  followOtherTabs() {
    if (!this.store.persistent || typeof BroadcastChannel !== "function") return;
    this.channel = new BroadcastChannel("pycnn-examples");
    this.channel.onmessage = async () => {
      this.examples = await this.store.list();
      this.examplesShown();
    };
  }

  /** Why one more example of `label` can't be kept (a sentence), or null when it can. */
  limitProblem(label) {
    if (this.examples.length >= LIMITS.examples) {
      return `You have ${LIMITS.examples} examples, the most the page keeps: delete some in My examples first.`;
    }
    return newLabelProblem(label, this.examples, this.labels);
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
}
