// "Not right?" in Word mode: type the word you wrote. It goes into your text instead of the
// misreading, and into your words (web/personal-words.js), which the word reader prefers from
// then on, so the same writing reads as it next time.

import { wordProblem } from "./examples-file.js";

export class WordCorrection {
  /** words: a promise of web/personal-words.js's store; onCorrected(word): put it in the text
   * and clear the pad. */
  constructor({ words, onCorrected }) {
    this.words = words;
    this.onCorrected = onCorrected;
    this.el = {
      open: document.querySelector("#word-not-right"),
      form: document.querySelector("#word-correct"),
      input: document.querySelector("#word-typed"),
      cancel: document.querySelector("#word-correct-cancel"),
      status: document.querySelector("#word-correct-status"),
    };
    const { el } = this;
    el.open.addEventListener("click", () => (el.form.hidden ? this.openForm() : this.close(true)));
    el.cancel.addEventListener("click", () => this.close(true));
    el.form.addEventListener("submit", (event) => {
      event.preventDefault();
      this.correct(el.input.value);
    });
    el.form.addEventListener("keydown", (event) => {
      if (event.key === "Escape") {
        event.preventDefault();
        this.close(true);
      }
    });
  }

  /** A reading is on screen (it can be corrected) or not. */
  showReading(reading) {
    const can = !!reading && !reading.empty && !reading.too_long;
    this.el.open.hidden = !can;
    if (!can) this.close(false);
  }

  openForm() {
    const { el } = this;
    el.form.hidden = false;
    el.open.setAttribute("aria-expanded", "true");
    el.status.textContent = "";
    el.input.focus();
  }

  close(returnFocus) {
    const { el } = this;
    const wasOpen = !el.form.hidden;
    el.form.hidden = true;
    el.open.setAttribute("aria-expanded", "false");
    el.input.value = "";
    if (wasOpen && returnFocus && !el.open.hidden) el.open.focus();
  }

  async correct(typed) {
    const { el } = this;
    const word = typed.trim();
    const problem = wordProblem(word);
    if (problem) {
      el.status.textContent = problem;
      el.input.focus();
      return;
    }
    const words = await this.words;
    let count = null;
    try {
      count = await words.add(word);
    } catch (error) {
      // Not kept, but the text still gets the right word.
      el.status.textContent = `“${word}” is in your text, but not kept in your words: ${error.message}`;
    }
    this.close(false);
    this.onCorrected(word);
    if (count !== null) {
      el.status.textContent = count === 1
        ? `“${word}” is in your text, and kept in your words: the reader prefers it from now on.`
        : `“${word}” is in your text; you have written it ${count} times.`;
    }
  }
}
