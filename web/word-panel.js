// Word mode's panel, made on the first visit to Word mode (web/word-mode.js imports this
// module then, so Character mode's start-up loads none of it). It makes the parts, each a
// module of its own, and wires them together:
//   web/word-pad.js          the wide pad and its strokes
//   web/word-reading.js      reading the pad as you write, and showing the reading
//   web/word-strip.js        the network's frames under the pad, and a letter's ink on it
//   web/text-line.js         the line of text the words are added to
//   web/word-correction.js   "Not right?": type the word, kept in your words
//   web/word-list.js         "Your words", with their export and import
//   web/word-inside.js       Look inside the word network
//   web/personal-words.js    your words in IndexedDB
// Then it loads the word reader: the worker fetches the word model and its word list on the
// first loadWords.

import { TextLine } from "./text-line.js";
import { openPersonalWords } from "./personal-words.js";
import { WordCorrection } from "./word-correction.js";
import { WordInside } from "./word-inside.js";
import { WordList } from "./word-list.js";
import { WordPad } from "./word-pad.js";
import { WordReading } from "./word-reading.js";
import { WordStrip } from "./word-strip.js";
import { installWordTestHooks } from "./word-test-hooks.js";

function isEditable(target) {
  return !!target && (target.isContentEditable || ["INPUT", "TEXTAREA", "SELECT"].includes(target.tagName));
}

const $ = (selector) => document.querySelector(selector);

export class WordPanel {
  /** recognizer: web/recognizer-client.js; readAs: web/read-as.js (one set for both modes);
   * files: web/personal-files.js's PersonalFiles, or null; isShown(): Word mode is on screen. */
  constructor({ recognizer, readAs, files, isShown }) {
    this.recognizer = recognizer;
    this.readAs = readAs;
    this.files = files;
    this.isShown = isShown;
    this.characters = []; // the word model's classes after the blank, once loaded
    this.build();
  }

  /** Word mode is shown again: the pad had no size while hidden; a word reader that could
   * not load (its files could not be fetched, say) is tried again. */
  shown() {
    this.parts.pad.resize();
    if (this.parts.failed) {
      this.parts.failed = false;
      this.load();
    }
  }

  build() {
    const { recognizer, readAs } = this;
    const words = openPersonalWords();
    const pad = new WordPad($("#word-pad"));
    const strip = new WordStrip({ pad, strip: $("#word-strip"), overlay: $("#word-overlay") });
    const textLine = new TextLine({ input: $("#text-line"), status: $("#text-status") });
    const reading = new WordReading({ recognizer, pad, strip, readAs, onChoose: (word) => this.add(word) });
    const correction = new WordCorrection({
      words,
      onCorrected: (word) => {
        textLine.append(word);
        pad.reset();
      },
    });
    const list = new WordList({ words, files: this.files });
    const inside = new WordInside({ recognizer, reading, readAs });
    this.parts = { pad, strip, textLine, reading, correction, list, words, inside };
    this.wire();
    if (window.pycnnTestHooks === true) installWordTestHooks(this);
    this.load();
  }

  /** The network, then the word reader and your words, with the status saying which. */
  async load() {
    const { recognizer } = this;
    const { reading, words } = this.parts;
    const status = $("#word-status");
    const bar = $("#word-load-bar");
    // Bytes so far: the network's at start-up ("progress"), then the word reader's files,
    // which the first loadWords fetches ("wordsprogress").
    const onProgress = ({ detail }) => {
      if (!detail || !detail.total) return;
      bar.hidden = false;
      bar.max = detail.total;
      bar.value = detail.loaded;
    };
    recognizer.addEventListener("progress", onProgress);
    recognizer.addEventListener("wordsprogress", onProgress);
    try {
      if (!recognizer.loaded) status.textContent = "Loading the network…";
      const info = await recognizer.ready;
      if (typeof recognizer.loadWords !== "function" || info.words === false) {
        throw new Error("this copy of the site was built without Word mode's files");
      }
      status.textContent = "Loading the word reader…";
      bar.hidden = false;
      bar.removeAttribute("value"); // indeterminate until the worker says how far it is
      const loaded = await recognizer.loadWords();
      this.characters = loaded.characters; // the word model's classes after the blank
      await this.sendWords(await words);
      (await words).addEventListener("change", async () => this.sendWords(await words));
      status.textContent = "Ready: write a word on the pad, and it is read while you write.";
      if (Number.isFinite(loaded.lexicon_words)) {
        // Said on wide screens only: on a phone the pad and the reading need the room.
        const known = document.createElement("span");
        known.className = "word-status-more";
        known.textContent = ` It knows ${loaded.lexicon_words.toLocaleString("en")} words, and reads ` +
          "others letter by letter.";
        status.append(known);
      }
      reading.el.error.hidden = true; // a failed attempt before this one is over
      document.body.dataset.wordsReady = "true";
      reading.start();
    } catch (error) {
      status.textContent = "Word mode could not start.";
      reading.showError(`The word reader could not be loaded: ${error.message}. Check your connection, ` +
        "then reload the page or choose Word again.");
      console.warn("pycnn word reader:", error.detail || error);
      this.parts.failed = true;
    } finally {
      bar.hidden = true;
      recognizer.removeEventListener("progress", onProgress);
      recognizer.removeEventListener("wordsprogress", onProgress);
    }
  }

  /** Your words to the word reader, which prefers them from the next reading on. */
  async sendWords(store) {
    try {
      await this.recognizer.setPersonalWords(store.list());
    } catch (error) {
      this.parts.reading.showError(`Your words could not be given to the reader: ${error.message}.`);
    }
  }

  wire() {
    const { pad, reading, textLine, correction } = this.parts;
    const addButton = $("#word-add");
    const undoButton = $("#word-undo");
    pad.addEventListener("strokeend", () => reading.request());
    pad.addEventListener("change", () => {
      undoButton.disabled = !pad.canUndo;
      if (!pad.drawing) reading.request(); // undo, clear, reset; a stroke is read when it ends
    });
    reading.addEventListener("change", () => {
      const shown = reading.shown;
      addButton.disabled = !(shown && shown.words && shown.words.length);
      correction.showReading(shown);
    });
    addButton.addEventListener("click", () => this.add());
    undoButton.addEventListener("click", () => pad.undo());
    $("#word-clear").addEventListener("click", () => pad.clear());
    $("#word-backspace").addEventListener("click", () => this.removeLastWord());
    $("#text-copy").addEventListener("click", () => textLine.copy());
    pad.canvas.addEventListener("keydown", (event) => {
      if ((event.ctrlKey || event.metaKey) && !event.shiftKey && event.key.toLowerCase() === "z") {
        event.preventDefault();
        pad.undo();
      } else if (event.key === "Escape" || event.key === "Delete") {
        event.preventDefault();
        pad.clear();
      } else if (event.key === "Enter") {
        event.preventDefault();
        this.add();
      }
    });
    // Backspace removes the last word of the text, unless it is typed into a field (the text
    // line itself, the correction), where it deletes a character as everywhere.
    document.addEventListener("keydown", (event) => {
      if (!this.isShown() || event.key !== "Backspace" || event.defaultPrevented) return;
      if (isEditable(event.target) || event.ctrlKey || event.metaKey || event.altKey) return;
      event.preventDefault();
      this.removeLastWord();
    });
  }

  /** Put `word` (by default the reading's best word, once the ink is read) at the end of the
   * text, and clear the pad for the next word. */
  async add(word = null) {
    const { pad, reading, textLine } = this.parts;
    const chosen = word || await reading.bestWord();
    if (!chosen) {
      $("#text-status").textContent = pad.empty ? "Write a word on the pad first."
        : reading.loaded ? "Nothing was read to add." : "The word reader is still loading: add the word once it is read.";
      return;
    }
    textLine.append(chosen);
    $("#text-status").textContent = `Added “${chosen}”.`;
    if (!pad.drawing) pad.reset(); // a stroke begun meanwhile is the next word's
  }

  removeLastWord() {
    const { textLine } = this.parts;
    const last = textLine.text.trimEnd().split(/\s+/u).pop();
    $("#text-status").textContent = textLine.removeLastWord() ? `Removed “${last}”.` : "The text is empty.";
  }
}
