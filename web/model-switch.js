// Which model reads the drawings: your model or the original. Yours is kept in the examples
// store as its model file and restored on the next visit; the switch moves between the two,
// and the reset deletes yours. A new model of yours comes from learning (web/learn-button.js)
// or an imported file (web/personal-files.js): both hand it over with adopt().

import { modelInfo, sentence } from "./learning.js";
import { $, showError } from "./ui-helpers.js";

export class ModelSwitch {
  /** renderExamples(): My examples again (which labels are new depends on the model);
   * onModelChanged(info): app.js's, with the worker's new "info" reply. */
  constructor({ state, renderExamples, onModelChanged }) {
    this.state = state; // web/teach-state.js
    this.renderExamples = renderExamples;
    this.onModelChanged = onModelChanged;
    this.hasMine = false; // the worker holds a personal model
    this.inUse = "original"; // which model reads the drawings: "mine" or "original"
    this.el = {
      fieldset: $("#model-switch"),
      mine: $("#model-mine"),
      original: $("#model-original"),
      exportButton: $("#model-export"),
      importButton: $("#model-import-button"),
      reset: $("#model-reset"),
      error: $("#model-error"),
      status: $("#model-status"),
    };
    for (const radio of [this.el.mine, this.el.original]) {
      radio.addEventListener("change", () => {
        if (radio.checked) this.use(radio.value);
      });
    }
    this.el.reset.addEventListener("click", () => this.reset());
  }

  /** The model controls as things are: nothing to switch to, export or reset without a model
   * of yours, and nothing at all while learning. */
  render() {
    const { el, state } = this;
    const busy = !!state.learning;
    el.fieldset.disabled = !this.hasMine || busy;
    el.mine.checked = this.inUse === "mine";
    el.original.checked = this.inUse !== "mine";
    el.exportButton.disabled = !this.hasMine || busy;
    el.reset.disabled = !this.hasMine || busy;
    el.importButton.disabled = !state.learnable || busy;
    document.body.dataset.model = this.inUse;
  }

  /** The worker's model changed: read its labels and network again, and tell the page. */
  async changed(message) {
    const info = await modelInfo(this.state.recognizer);
    this.state.labels = info.labels;
    this.inUse = info.in_use || "original";
    this.render();
    this.renderExamples();
    if (message) this.el.status.textContent = message;
    await this.onModelChanged(info);
  }

  /** The worker holds a new model of yours, in use: kept on this device, and the page told. */
  async adopt(message) {
    this.hasMine = true;
    await this.keep(true);
    await this.changed(message);
  }

  /** Keep the worker's personal model in the store ({name: "mine", bytes, labels, saved, use}). */
  async keep(use) {
    const { recognizer, store } = this.state;
    let exported;
    try {
      exported = await recognizer.request("model_export", { which: "mine" });
      await store.putModel({
        name: "mine", bytes: exported.data, labels: exported.reply.labels, saved: new Date().toISOString(), use,
      });
    } catch (error) {
      showError(this.el.error, `Your model works for this visit, but could not be kept on this device: ${sentence(error)}`);
    }
  }

  /** On start: the personal model kept by an earlier visit, checked by the worker as any
   * model file; a model it refuses leaves the original in use, and the page says so. */
  async restore() {
    const { recognizer, store } = this.state;
    let record = null;
    try {
      record = await store.getModel("mine");
    } catch (error) {
      console.warn("pycnn: the kept model could not be read:", error);
    }
    if (!record) return;
    const use = record.use !== false;
    try {
      await recognizer.request("model_load", { use }, record.bytes.slice(0));
    } catch (error) {
      showError(this.el.error, `Your model kept on this device could not be used (${sentence(error).replace(/\.$/, "")}), ` +
        "so the original model is reading your drawings. Learn again from your examples to make a new one.");
      return;
    }
    this.hasMine = true;
    await this.changed(use ? "Your model, kept on this device, is reading your drawings." : "");
  }

  async use(which) {
    const { el, state } = this;
    el.error.hidden = true;
    try {
      await state.recognizer.request("model_use", { which });
      const record = await state.store.getModel("mine").catch(() => null);
      if (record) await state.store.putModel({ ...record, use: which === "mine" }).catch(() => {});
    } catch (error) {
      showError(el.error, `The model could not be switched: ${sentence(error)}`);
    }
    await this.changed(which === "mine" ? "Your model is reading your drawings." : "The original model is reading your drawings.");
  }

  async reset() {
    const { el, state } = this;
    el.error.hidden = true;
    try {
      await state.recognizer.request("model_forget");
      await state.store.deleteModel("mine");
    } catch (error) {
      showError(el.error, `Your model could not be deleted: ${sentence(error)}`);
    }
    this.hasMine = false;
    await this.changed("Back to the original model: your model was deleted from this device. Your examples are kept.");
    el.importButton.focus();
  }
}
