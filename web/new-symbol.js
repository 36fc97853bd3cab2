// New symbols: labels the model does not know yet. The "New symbol" form that starts teaching
// one, and the rules about them that the correction, the teaching mode, My examples and the
// import all follow: at most LIMITS.newLabels of them, each learnt from at least
// LIMITS.minNewLabelExamples examples (pycnn.learn.adaptation holds back one with fewer).

import { LIMITS, labelProblem } from "./examples-file.js";
import { $, showError } from "./ui-helpers.js";

/** The labels of `examples` that the model (its `labels`) does not know, in order of first use. */
export function newLabels(examples, labels) {
  const known = new Set(labels);
  return new Set(examples.map((e) => e.label).filter((l) => !known.has(l)));
}

/** Whether `label` is new to the model; false while the model's labels are not known yet. */
export function isNewLabel(label, labels) {
  return labels.length > 0 && !labels.includes(label);
}

/** Why `label` can't be one more new symbol (a sentence), or null when it can. */
export function newLabelProblem(label, examples, labels) {
  const fresh = newLabels(examples, labels);
  if (!labels.includes(label) && !fresh.has(label) && fresh.size >= LIMITS.newLabels) {
    return `You already have ${LIMITS.newLabels} new symbols, the most the page keeps: delete the examples of one first.`;
  }
  return null;
}

/** The form: a label checked as any label and as a new symbol, then taught in the teaching
 * mode (`startSession`, web/teach-mode.js). */
export class NewSymbolForm {
  constructor({ state, startSession }) {
    const form = $("#teach-new-form");
    const input = $("#teach-new");
    const error = $("#teach-error");
    form.addEventListener("submit", (event) => {
      event.preventDefault();
      const label = input.value.trim().normalize("NFC");
      const problem = labelProblem(label) || newLabelProblem(label, state.examples, state.labels);
      if (problem) {
        showError(error, problem);
        input.focus();
        return;
      }
      input.value = "";
      startSession([label]);
    });
  }
}
