// Word mode: the switch between reading one character and reading whole words. The mode is
// kept across visits (localStorage) and a link can ask for it (?mode=word). The character
// page starts exactly as before: nothing of Word mode is imported, opened or fetched until
// Word mode is first shown; then web/word-panel.js is imported, makes the panel's parts, and
// has the worker load the word model and its word list.

const STORAGE_KEY = "pycnn.mode";
const MODES = ["character", "word"];

function stored() {
  try {
    return window.localStorage.getItem(STORAGE_KEY);
  } catch {
    return null; // storage is off: Character mode, as the page always started
  }
}

function store(mode) {
  try {
    window.localStorage.setItem(STORAGE_KEY, mode);
  } catch {
    // Not kept for the next visit; the mode still holds for this one.
  }
}

const $ = (selector) => document.querySelector(selector);

export class WordMode {
  /** recognizer: web/recognizer-client.js; readAs: web/read-as.js (one set for both modes);
   * files: web/personal-files.js's PersonalFiles (export and import of your words), or null. */
  constructor({ recognizer, readAs, files = null }) {
    this.recognizer = recognizer;
    this.readAs = readAs;
    this.files = files;
    this.mode = "character";
    this.panel = null; // a promise of web/word-panel.js's WordPanel, from the first visit
    this.buttons = [...document.querySelectorAll("#mode-switch button")];
    this.readAsBox = $(".read-as");
    this.readAsHome = this.readAsBox.parentElement;
    for (const button of this.buttons) {
      button.addEventListener("click", () => this.choose(button.dataset.mode, true));
    }
    const fromLink = new URLSearchParams(window.location.search).get("mode");
    const start = MODES.includes(fromLink) ? fromLink : (MODES.includes(stored()) ? stored() : "character");
    this.choose(start, false);
  }

  /** Show `mode`; `byUser`: keep it for the next visit (a link's choice is not kept, as a
   * link's ?set= is not). */
  choose(mode, byUser) {
    if (!MODES.includes(mode)) return;
    if (byUser) {
      store(mode);
      // A link's ?mode= would undo the choice on reload: the address follows the switch.
      const url = new URL(window.location.href);
      if (url.searchParams.has("mode")) {
        url.searchParams.set("mode", mode);
        history.replaceState(history.state, "", url);
      }
    }
    if (mode === this.mode && this.panel) return;
    this.mode = mode;
    document.body.dataset.mode = mode;
    for (const button of this.buttons) button.setAttribute("aria-pressed", String(button.dataset.mode === mode));
    const word = mode === "word";
    $("#word-panel").hidden = !word;
    // One "Read as" for both modes, placed beside the reading it changes.
    (word ? $("#word-read-as-slot") : this.readAsHome).append(this.readAsBox);
    if (!word) return;
    if (!this.panel) {
      const { recognizer, readAs, files } = this;
      this.panel = import("./word-panel.js").then(({ WordPanel }) =>
        new WordPanel({ recognizer, readAs, files, isShown: () => this.mode === "word" }));
      this.panel.catch((error) => {
        $("#word-status").textContent = "Word mode could not start.";
        console.warn("pycnn word mode:", error);
      });
    }
    this.panel.then((panel) => panel.shown(), () => {});
  }
}

