// Export and import of what you made here: the examples file (web/examples-file.js's format,
// which pycnn.learn.examples reads) from My examples, and your model's file (a pycnn .npz that
// `python -m pycnn.predict --model my-model.npz` reads) from the model controls. An import is
// checked whole before anything changes: refused with one sentence, or taken. The examples
// file carries Word mode's personal words too (web/personal-words.js), so one file moves
// everything a person taught the page; Word mode's own Export and Import call the same two
// methods with its own status lines.

import { ExampleError, LIMITS, exampleKey, examplesFileText, parseExamplesAndWords } from "./examples-file.js";
import { sentence } from "./learning.js";
import { newLabels } from "./new-symbol.js";
import { $, plural, showError } from "./ui-helpers.js";

/** Your words (web/personal-words.js), imported when a file is exported or imported, so
 * Character mode's start-up loads nothing of Word mode. */
async function openPersonalWords() {
  return (await import("./personal-words.js")).openPersonalWords();
}

const MODEL_FILE = "my-model.npz"; // the exported personal model
const MAX_MODEL_BYTES = 64 * 1024 * 1024; // an imported model file larger than this is refused unread

/** Hand `blob` to the browser as a download named `name`. */
function saveFile(blob, name) {
  const url = URL.createObjectURL(blob);
  const link = document.createElement("a");
  link.href = url;
  link.download = name;
  document.body.append(link);
  link.click();
  link.remove();
  setTimeout(() => URL.revokeObjectURL(url), 10_000);
}

/** A file input, opened by its button, that hands the chosen file to `use`; emptied at once,
 * so choosing the same file again is a new change. */
export function chooseFile(openButton, input, use) {
  openButton.addEventListener("click", () => input.click());
  input.addEventListener("change", () => {
    const [file] = input.files;
    input.value = "";
    if (file) use(file);
  });
}

export class PersonalFiles {
  /** modelSwitch: web/model-switch.js, which takes an imported model as yours. */
  constructor({ state, modelSwitch }) {
    this.state = state; // web/teach-state.js
    this.modelSwitch = modelSwitch;
    this.el = {
      examplesExport: $("#examples-export"),
      examplesStatus: $("#examples-status"),
      examplesError: $("#examples-error"),
      modelExport: $("#model-export"),
      modelStatus: $("#model-status"),
      modelError: $("#model-error"),
    };
    this.el.examplesExport.addEventListener("click", () => this.exportExamples());
    chooseFile($("#examples-import-button"), $("#examples-import"), (file) => this.importExamples(file));
    this.el.modelExport.addEventListener("click", () => this.exportModel());
    chooseFile($("#model-import-button"), $("#model-import"), (file) => this.importModel(file));
  }

  /** Download the examples and the personal words as one file; say so in `status`. */
  async exportExamples({ status = this.el.examplesStatus } = {}) {
    const { examples } = this.state;
    const words = (await openPersonalWords()).list();
    const name = `pycnn-examples-${new Date().toISOString().slice(0, 10)}.json`;
    saveFile(new Blob([examplesFileText(examples, words)], { type: "application/json" }), name);
    status.textContent = `Exported ${plural(examples.length, "example")}` +
      (words.length ? ` and ${plural(words.length, "word")}` : "") + ` to ${name}.`;
  }

  /** Read, check every example and word, then store the examples in one transaction and the
   * words in another, or nothing. `status` and `error` say how it went. */
  async importExamples(file, { status = this.el.examplesStatus, error: errorEl = this.el.examplesError } = {}) {
    const { state } = this;
    const el = { examplesStatus: status, examplesError: errorEl };
    el.examplesError.hidden = true;
    el.examplesStatus.textContent = "";
    try {
      if (file.size > LIMITS.fileBytes) {
        throw new ExampleError(`The file is larger than ${LIMITS.fileBytes / 1024 / 1024} MB, the most an examples file may be.`);
      }
      const { examples, words } = parseExamplesAndWords(await file.text());
      const personalWords = await openPersonalWords();
      const wordsProblem = personalWords.mergeProblem(words);
      if (wordsProblem) throw new ExampleError(wordsProblem);
      const have = new Set(state.examples.map(exampleKey));
      const fresh = [];
      for (const example of examples) {
        const key = exampleKey(example);
        if (have.has(key)) continue; // already here (or twice in the file)
        have.add(key);
        fresh.push({ ...example, input: null, source: "import" });
      }
      if (state.examples.length + fresh.length > LIMITS.examples) {
        throw new ExampleError(`With these ${fresh.length} examples you would have ${state.examples.length + fresh.length}, more than the ${LIMITS.examples} the page keeps: nothing was imported.`);
      }
      const newCount = newLabels([...state.examples, ...fresh], state.labels).size;
      if (state.labels.length && newCount > LIMITS.newLabels) {
        throw new ExampleError(`The file would bring you to ${newCount} new symbols, more than the ${LIMITS.newLabels} the page keeps: nothing was imported.`);
      }
      if (!state.store) await state.ready; // the store opens in milliseconds
      const ids = fresh.length ? await state.store.addAll(fresh, "these examples") : [];
      fresh.forEach((example, i) => {
        example.id = ids[i];
      });
      state.examples.push(...fresh);
      state.changed();
      const newWords = await personalWords.merge(words);
      const skipped = examples.length - fresh.length;
      el.examplesStatus.textContent = `Imported ${plural(fresh.length, "example")}` +
        (words.length ? ` and ${plural(newWords, "new word")}` : "") +
        (skipped ? ` (${plural(skipped, "example")} already here, skipped).` : ".");
    } catch (error) {
      const why = error instanceof ExampleError ? error.message : error.message || String(error);
      showError(el.examplesError, `${file.name} was not imported: ${why}`);
    }
  }

  async exportModel() {
    const { el } = this;
    try {
      const { data } = await this.state.recognizer.request("model_export", { which: "mine" });
      saveFile(new Blob([data], { type: "application/octet-stream" }), MODEL_FILE);
      el.modelStatus.textContent = `Exported your model to ${MODEL_FILE}: python -m pycnn.predict --model ${MODEL_FILE} reads it.`;
    } catch (error) {
      showError(el.modelError, `Your model could not be exported: ${sentence(error)}`);
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
      await this.state.recognizer.request("model_load", { use: true }, bytes.slice(0));
    } catch (error) {
      showError(el.modelError, `${file.name} was not imported: ${sentence(error)} Nothing was changed.`);
      return;
    }
    await this.modelSwitch.adopt(`Imported ${file.name}: it is your model now, and it is reading your drawings.`);
  }
}
