// Teaching the network your handwriting, the page's side. Each job is its own
// module; this one makes them, wires them together and starts them:
//   web/correction.js      "Not right?": the top 5, the picker of every label, or typed
//   web/teach-mode.js      the teaching mode: a few drawings of each character, asked for
//   web/new-symbol.js      the "New symbol" form, and the rules about labels the model lacks
//   web/my-examples.js     the list of examples on this device, deleting one or all
//   web/learn-button.js    the Learn button, through web/learning.js
//   web/model-switch.js    My model / Original model, kept across visits, and the reset
//   web/personal-files.js  export and import of the examples file and of your model
//   web/teach-state.js     what they share: the store, the examples, the model's labels
// The examples live in web/examples-store.js (IndexedDB, this device only), their checks and
// file format in web/examples-file.js.
//
// web/app.js owns the pad and the answer; it tells this module what is on screen:
//   const teach = new Teach({recognizer, drawing, answerIsCurrent, clearPad, focusPad,
//                            onModelChanged});
//   onModelChanged(info): the model in use changed (learnt, restored, switched, reset,
//   imported); info is the worker's new "info" reply (labels, network, filters, sets, in_use)
//   teach.showAnswer(result)   // an answer for the drawing on the pad ({top5, input, ...})
//   teach.showEmpty()          // the pad is empty

import { Correction } from "./correction.js";
import { openExamplesStore } from "./examples-store.js";
import { LearnButton } from "./learn-button.js";
import { canLearn } from "./learning.js";
import { ModelSwitch } from "./model-switch.js";
import { MyExamples } from "./my-examples.js";
import { NewSymbolForm } from "./new-symbol.js";
import { PersonalFiles } from "./personal-files.js";
import { TeachMode } from "./teach-mode.js";
import { TeachState } from "./teach-state.js";
import { $, showError } from "./ui-helpers.js";

// app.js says labels for screen readers with the same function as these panels.
export { spokenLabel } from "./ui-helpers.js";

export class Teach {
  constructor({ recognizer, drawing, answerIsCurrent, clearPad, focusPad, onModelChanged = async () => {}, padBusy = () => false }) {
    const state = new TeachState({ recognizer, drawing, answerIsCurrent });
    this.state = state;
    this.correction = new Correction(state);
    this.myExamples = new MyExamples(state);
    this.teachMode = new TeachMode({
      state, clearPad, focusPad, deleteExample: (id) => this.myExamples.deleteExample(id, false),
    });
    this.newSymbol = new NewSymbolForm({ state, startSession: (labels) => this.teachMode.startSession(labels) });
    this.modelSwitch = new ModelSwitch({ state, renderExamples: () => this.myExamples.render(), onModelChanged });
    this.learnButton = new LearnButton({ state, modelSwitch: this.modelSwitch, padBusy });
    this.files = new PersonalFiles({ state, modelSwitch: this.modelSwitch });
    // Whenever the examples change (here or in another tab), in this order.
    state.onExamplesChanged(() => this.myExamples.render());
    state.onExamplesChanged(() => this.teachMode.renderWrong());
    state.onExamplesChanged(() => this.learnButton.update());
    this.ready = this.start();
    state.ready = this.ready;
  }

  // -------------------------------------------------------------------------------------
  // What app.js tells us.
  showAnswer(result) {
    this.state.answer = result;
    this.correction.showAnswer();
    this.teachMode.showAnswer();
  }

  showEmpty() {
    this.state.answer = null;
    this.correction.showEmpty();
    this.teachMode.showEmpty();
  }

  // -------------------------------------------------------------------------------------
  /** Open the store and read the examples while the network loads; then restore your model,
   * if the worker can learn, and show everything. */
  async start() {
    const { state } = this;
    const [store, info] = await Promise.all([
      openExamplesStore(),
      state.recognizer.ready.catch(() => null),
    ]);
    state.store = store;
    if (!store.persistent) {
      const notice = $("#storage-notice");
      notice.textContent = "This browser does not let the page keep anything " +
        "(a private window, or storage turned off), so your examples work for this visit only: " +
        "nothing will be kept after you close the page.";
      notice.hidden = false;
      console.info("pycnn examples kept in memory:", store.reason);
    }
    try {
      state.examples = await store.list();
    } catch (error) {
      showError($("#examples-error"), `Your examples could not be read: ${error.message}.`);
    }
    if (info) {
      state.labels = info.labels;
      state.learnable = canLearn(info);
      if (state.learnable) await this.modelSwitch.restore();
    }
    this.modelSwitch.render();
    state.followOtherTabs();
    state.examplesShown();
    document.body.dataset.examplesReady = "true";
  }
}
