// "Not right?": the drawing on the pad kept as an example of the right label, picked from the
// top 5, from a picker of every label the model has (by set, then your own new symbols), or
// typed. web/teach.js shows and hides it with the answer.

import { LIMITS, labelProblem } from "./examples-file.js";
import { isNewLabel, newLabels } from "./new-symbol.js";
import { $, button, plural, spokenLabel } from "./ui-helpers.js";

const DIGITS = "0123456789";
const UPPER = "ABCDEFGHIJKLMNOPQRSTUVWXYZ";
const LOWER = "abcdefghijklmnopqrstuvwxyz";

export class Correction {
  constructor(state) {
    this.state = state; // web/teach-state.js
    this.el = {
      notRight: $("#not-right"),
      panel: $("#correct-panel"),
      choices: $("#correct-choices"),
      form: $("#correct-typed"),
      input: $("#correct-label"),
      pickerOpen: $("#picker-open"),
      picker: $("#picker"),
      cancel: $("#correct-cancel"),
      status: $("#correct-status"),
    };
    this.wire();
  }

  /** An answer is on screen: it can be corrected, and an open panel offers its top 5. */
  showAnswer() {
    this.el.notRight.hidden = false;
    if (!this.el.panel.hidden) this.fillChoices();
  }

  /** The pad is empty: nothing to correct. */
  showEmpty() {
    this.el.notRight.hidden = true;
    this.close(false);
  }

  wire() {
    const { el } = this;
    el.notRight.addEventListener("click", () => {
      if (el.panel.hidden) this.open();
      else this.close(true);
    });
    el.cancel.addEventListener("click", () => this.close(true));
    el.form.addEventListener("submit", (event) => {
      event.preventDefault();
      this.correct(el.input.value);
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
    el.panel.addEventListener("keydown", (event) => {
      if (event.key === "Escape") {
        event.preventDefault();
        this.close(true);
      }
    });
  }

  open() {
    const { el } = this;
    el.panel.hidden = false;
    el.notRight.setAttribute("aria-expanded", "true");
    el.status.textContent = "";
    this.fillChoices();
    const first = el.choices.querySelector("button");
    (first || el.input).focus();
  }

  close(returnFocus) {
    const { el } = this;
    const wasOpen = !el.panel.hidden;
    el.panel.hidden = true;
    el.picker.hidden = true;
    el.pickerOpen.setAttribute("aria-expanded", "false");
    el.notRight.setAttribute("aria-expanded", "false");
    el.input.value = "";
    if (wasOpen && returnFocus && !el.notRight.hidden) el.notRight.focus();
  }

  /** A button that keeps the drawing as an example of `label`. */
  choice(label) {
    const choice = button(label, { className: "choice", label: spokenLabel(label), onClick: () => this.correct(label) });
    choice.dataset.label = label;
    return choice;
  }

  fillChoices() {
    const { answer } = this.state;
    const top5 = answer ? answer.top5 : [];
    this.el.choices.replaceChildren(...top5.map(([label]) => this.choice(label)));
  }

  /** The picker: every class the model has, by set, then the user's own labels. */
  fillPicker() {
    const { labels, examples } = this.state;
    const groups = [
      ["Digits", labels.filter((l) => DIGITS.includes(l))],
      ["Capital letters", labels.filter((l) => UPPER.includes(l))],
      ["Small letters", labels.filter((l) => LOWER.includes(l))],
      ["Symbols", labels.filter((l) => !DIGITS.includes(l) && !UPPER.includes(l) && !LOWER.includes(l))],
      ["Your own", [...newLabels(examples, labels)]],
    ].filter(([, members]) => members.length);
    let first = true;
    this.el.picker.replaceChildren(...groups.map(([title, members], g) => {
      const group = document.createElement("div");
      group.className = "picker-group";
      group.setAttribute("role", "group");
      const heading = document.createElement("h4");
      heading.id = `picker-group-${g}`;
      heading.textContent = title;
      group.setAttribute("aria-labelledby", heading.id);
      const grid = document.createElement("div");
      grid.className = "picker-grid";
      grid.append(...members.map((label) => {
        const choice = this.choice(label);
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
    const { el, state } = this;
    const problem = labelProblem(label) || state.limitProblem(label);
    if (problem) {
      el.status.textContent = problem;
      el.input.focus();
      return;
    }
    if (!state.answer) {
      el.status.textContent = "The pad is empty: draw the character first.";
      return;
    }
    const saved = await state.save(label, "correction", el.status);
    if (!saved) return;
    this.close(true);
    el.status.textContent = `Kept as your example of “${label}”. ${this.countSentence(label)}`;
  }

  /** "4 examples of g." plus, for a new symbol, how many more it needs. */
  countSentence(label) {
    const { examples, labels } = this.state;
    const count = examples.filter((e) => e.label === label).length;
    let sentence = `You have ${plural(count, "example")} of “${label}”.`;
    if (isNewLabel(label, labels)) {
      const short = LIMITS.minNewLabelExamples - count;
      sentence += short > 0
        ? ` It is new to the network, which needs at least ${LIMITS.minNewLabelExamples} examples to learn it (${short} more).`
        : " It is new to the network, and has enough examples to be learnt.";
    }
    return sentence;
  }
}
