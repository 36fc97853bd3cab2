// Reading the word pad as you write, and showing the reading: the best word large, up to three
// others to choose from, and the raw reading, "what the ink says, letter by letter". Each
// letter is its own button: hovering, tapping or focusing it shows its ink on the pad
// (web/word-strip.js).
//
// One reading at a time: a stroke that ends while the worker reads asks for one more reading,
// of the latest ink, once the first is back; never a queue. A reading of ink that has since
// grown is still shown (the letters it read are still on the pad), then replaced.

import { spokenLabel } from "./ui-helpers.js";

function listed(items, word = "and") {
  return items.length < 2 ? items.join("") : `${items.slice(0, -1).join(", ")} ${word} ${items[items.length - 1]}`;
}

export class WordReading extends EventTarget {
  /** recognizer: web/recognizer-client.js; pad: web/word-pad.js; strip: web/word-strip.js;
   * readAs: web/read-as.js; onChoose(word): a word of the reading was chosen (to add it). */
  constructor({ recognizer, pad, strip, readAs, onChoose }) {
    super();
    this.recognizer = recognizer;
    this.pad = pad;
    this.strip = strip;
    this.readAs = readAs;
    this.onChoose = onChoose;
    this.el = {
      reading: document.querySelector("#word-reading"),
      best: document.querySelector("#word-best"),
      note: document.querySelector("#word-note"),
      others: document.querySelector("#word-others"),
      rawLine: document.querySelector("#word-raw-line"),
      raw: document.querySelector("#word-raw"),
      announce: document.querySelector("#word-announce"),
      error: document.querySelector("#word-error"),
    };
    this.loaded = false; // the word reader is loaded in the worker
    this.wanted = false; // the pad changed since the last reading was asked for
    this.inFlight = false;
    this.rereading = 0;
    this.shown = null; // the reading on screen ({id, words, raw, spans, ...}), null: none
    this.shownVersion = -1; // the pad version it read
    this.count = 0;
    this.letters = { hovered: null, focused: null, pinned: null };
    readAs.addEventListener("change", () => this.rereadShown());
    this.showEmpty();
  }

  /** The word reader is loaded: the pad can be read. */
  start() {
    this.loaded = true;
    this.request();
  }

  /** True when the reading on screen belongs to the ink on the pad, in the set chosen. */
  get settled() {
    return this.loaded && !this.inFlight && !this.wanted && !this.rereading && !this.pad.drawing &&
      this.shownVersion === this.pad.version && (this.shown === null || this.shown.set === this.readAs.set);
  }

  /** The best word of the reading of the ink on the pad, once read (null: nothing to add). */
  async bestWord() {
    await this.whenSettled();
    const words = this.shown && this.shown.words;
    return words && words.length ? words[0][0] : null;
  }

  whenSettled() {
    if (this.settled || !this.loaded) return Promise.resolve();
    return new Promise((resolve) => {
      const check = () => {
        if (!this.settled) return;
        this.removeEventListener("shown", check);
        resolve();
      };
      this.addEventListener("shown", check);
    });
  }

  /** The pad changed: read it, now or after the reading under way. */
  request() {
    this.wanted = true;
    if (this.pad.empty) {
      // Nothing to read: clear at once, and drop whatever reading is under way (the client
      // resolves it to null).
      this.wanted = false;
      this.recognizer.discardWord();
      this.showEmpty();
      this.shownVersion = this.pad.version;
      this.dispatchEvent(new Event("shown"));
      return;
    }
    if (!this.inFlight && this.loaded) this.run();
  }

  async run() {
    while (this.wanted && !this.pad.drawing && !this.pad.empty) {
      this.wanted = false;
      const version = this.pad.version;
      const { pixels, width, height } = this.pad.pixels();
      this.dispatchEvent(new CustomEvent("sending", { detail: { pixels, width, height } }));
      this.inFlight = true;
      let result;
      try {
        result = await this.recognizer.readWord(pixels, width, height, this.readAs.set);
        // The set changed while the worker read: the same frames decoded within the new one.
        while (result && !result.empty && !result.too_long && result.set !== this.readAs.set) {
          const again = await this.recognizer.rereadWord(result.id, this.readAs.set);
          result = again && again.words ? { ...result, ...again } : null;
          if (!result) this.wanted = true;
        }
      } catch (error) {
        this.inFlight = false;
        this.showError(`That writing could not be read: ${error.message}. Clear the pad and try again.`);
        console.warn("pycnn worker:", error.detail || error);
        this.shownVersion = version;
        this.dispatchEvent(new Event("shown"));
        continue;
      }
      this.inFlight = false;
      // Superseded, or the pad was emptied meanwhile: nothing of it belongs on screen.
      if (!result || this.pad.empty) continue;
      this.el.error.hidden = true;
      this.show({ ...result, width }, version);
    }
    if (this.pad.empty && !this.inFlight) {
      this.showEmpty();
      this.shownVersion = this.pad.version;
    }
    this.dispatchEvent(new Event("shown"));
  }

  /** "Read as" changed: the reading on screen decoded again within the new set, from the
   * frames the worker kept; no second pass of the network. */
  async rereadShown() {
    if (!this.shown || !this.shown.words || this.shownVersion !== this.pad.version || this.inFlight) return;
    const { shown } = this;
    this.rereading++;
    try {
      const again = await this.recognizer.rereadWord(shown.id, this.readAs.set);
      if (this.shown !== shown) return; // a newer reading came meanwhile
      if (again && again.words) this.show({ ...shown, ...again }, this.shownVersion);
      else this.request(); // the worker no longer holds it: read the pad again
    } catch (error) {
      this.showError(`The word could not be read as ${this.readAs.title(this.readAs.set)}: ${error.message}.`);
    } finally {
      this.rereading--;
      this.dispatchEvent(new Event("shown"));
    }
  }

  showError(text) {
    this.el.error.textContent = text;
    this.el.error.hidden = false;
  }

  // -------------------------------------------------------------------------------------
  show(result, version) {
    this.shown = result;
    this.shownVersion = version;
    this.count++;
    const { el } = this;
    el.reading.dataset.count = String(this.count);
    el.reading.dataset.set = result.set;
    this.letters = { hovered: null, focused: null, pinned: null };
    // Too long: the worker read nothing (its reading is empty), and says why.
    if (result.too_long) {
      this.resetReading({ tooLong: true });
      el.note.textContent = result.message || "That is too long to read as one word: write one word at a time.";
      el.announce.textContent = el.note.textContent;
      this.dispatchEvent(new Event("change"));
      return;
    }
    if (result.empty) {
      this.showEmpty(false);
      return;
    }
    const words = result.words || [];
    const [best] = words.length ? words[0] : [result.raw];
    el.reading.dataset.empty = "false";
    el.reading.dataset.tooLong = "false";
    el.reading.dataset.word = best;
    el.reading.dataset.raw = result.raw;
    const unsure = result.unsure === true;
    el.reading.dataset.unsure = String(unsure);
    el.best.replaceChildren(...this.letterButtons(best, result.word_spans, "word"));
    el.rawLine.hidden = !result.raw;
    el.raw.replaceChildren(...this.letterButtons(result.raw, result.spans, "raw"));
    const others = words.slice(1).map(([word]) => word);
    el.others.hidden = others.length === 0;
    el.others.replaceChildren(...(others.length ? [Object.assign(document.createElement("span"), {
      className: "small", textContent: "Or:",
    })] : []), ...others.map((word) => {
      const choice = document.createElement("button");
      choice.type = "button";
      choice.className = "word-choice";
      choice.textContent = word;
      choice.dataset.word = word;
      choice.setAttribute("aria-label", `Add ${word} instead`);
      choice.addEventListener("click", () => this.onChoose(word));
      return choice;
    }));
    const readAsWords = result.set === "all" ? "" : `Read as ${this.readAs.title(result.set)}. `;
    // As for characters: below the threshold what is shown is more often wrong than right, so
    // it is worded as a guess, on screen and aloud; the set it was read within stays said.
    const guess = unsure ? `Not sure — maybe “${best}”` +
      (others.length ? `, or one of the others below.` : ".") : "";
    el.note.textContent = `${readAsWords}${guess}`.trim();
    const rawAloud = result.raw && result.raw !== best
      ? ` Letter by letter, the ink says ${[...result.raw].map(spokenLabel).join(", ")}.` : "";
    const othersAloud = others.length ? ` Or ${listed(others, "or")}.` : "";
    el.announce.textContent = `${readAsWords}${unsure ? "Not sure. Maybe" : "Reading:"} ${best}.${othersAloud}${rawAloud}`;
    this.strip.show(result, result.width);
    this.dispatchEvent(new Event("change"));
  }

  showEmpty(clear = true) {
    if (clear) this.shown = null;
    this.resetReading({ tooLong: false });
    this.el.note.textContent = this.loaded ? "Write a word on the pad: it is read while you write." : "";
    this.el.announce.textContent = "";
    this.dispatchEvent(new Event("change"));
  }

  /** No word shown: the hooks say empty (or too long), and the letters, the other words and
   * the strip are cleared. The note is the caller's. */
  resetReading({ tooLong }) {
    const { el } = this;
    el.reading.dataset.empty = String(!tooLong);
    el.reading.dataset.tooLong = String(tooLong);
    el.reading.dataset.word = "";
    el.reading.dataset.raw = "";
    el.reading.dataset.unsure = "false";
    el.best.replaceChildren();
    el.others.replaceChildren();
    el.others.hidden = true;
    el.raw.replaceChildren();
    el.rawLine.hidden = true;
    this.strip.clear();
  }

  /** One button per letter of `text`; spans[i]: the frames of letter i, or null for none.
   * One Tab stop for the group, arrows move between its letters. */
  letterButtons(text, spans, kind) {
    const letters = [...text];
    const buttons = letters.map((letter, i) => {
      const span = spans && spans[i] ? spans[i] : null;
      const button = document.createElement("button");
      button.type = "button";
      button.className = "letter";
      button.textContent = letter;
      button.tabIndex = i === 0 ? 0 : -1;
      button.dataset.index = String(i);
      button.dataset.kind = kind;
      if (span) button.dataset.span = `${span[0]},${span[1]}`;
      button.setAttribute("aria-label", `${spokenLabel(letter)}, letter ${i + 1} of ${letters.length}` +
        (span ? "" : ", not placed on the pad"));
      button.setAttribute("aria-pressed", "false");
      const key = `${kind}:${i}`;
      button.addEventListener("pointerenter", () => this.point("hovered", key, span));
      button.addEventListener("pointerleave", () => this.point("hovered", null, null));
      button.addEventListener("focus", () => this.point("focused", key, span));
      button.addEventListener("blur", () => this.point("focused", null, null));
      button.addEventListener("click", () => {
        // A tap pins the band (a touch has no hover, and some browsers give no focus on a tap).
        const pinned = this.letters.pinned && this.letters.pinned.key === key;
        this.point("pinned", pinned ? null : key, span);
        for (const other of this.el.reading.querySelectorAll(".letter")) {
          other.setAttribute("aria-pressed", String(other === button && !pinned));
        }
      });
      button.addEventListener("keydown", (event) => {
        const step = { ArrowRight: 1, ArrowDown: 1, ArrowLeft: -1, ArrowUp: -1 }[event.key];
        const jump = { Home: 0, End: letters.length - 1 }[event.key];
        if (step === undefined && jump === undefined) return;
        event.preventDefault();
        const target = jump !== undefined ? jump : Math.max(0, Math.min(letters.length - 1, i + step));
        buttons[i].tabIndex = -1;
        buttons[target].tabIndex = 0;
        buttons[target].focus();
      });
      return button;
    });
    return buttons;
  }

  /** The letter hovered, focused or pinned changed: the band shown is the hovered letter's,
   * else the focused one's, else the pinned one's. */
  point(how, key, span) {
    this.letters[how] = key ? { key, span } : null;
    const { hovered, focused, pinned } = this.letters;
    const shown = hovered || focused || pinned;
    this.strip.highlight(shown ? shown.span : null);
  }
}
