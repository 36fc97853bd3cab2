// "Your words": the personal words (web/personal-words.js) listed with how often each was
// written and a Delete button, the notice when some could not be read from storage, and
// Export / Import, which move them with the character examples in one file
// (web/personal-files.js).

import { chooseFile } from "./personal-files.js";
import { button, plural } from "./ui-helpers.js";

const SHOWN = 200; // words listed; the rest are counted (a list, not a database browser)

export class WordList {
  /** words: a promise of the store; files: web/personal-files.js's PersonalFiles, or null
   * when the page has no teaching panels. */
  constructor({ words, files }) {
    this.el = {
      count: document.querySelector("#words-count"),
      list: document.querySelector("#words-list"),
      notice: document.querySelector("#words-notice"),
      error: document.querySelector("#words-error"),
      status: document.querySelector("#words-status"),
      exportButton: document.querySelector("#words-export"),
      importButton: document.querySelector("#words-import-button"),
      importInput: document.querySelector("#words-import"),
    };
    this.words = null;
    const { el } = this;
    if (files) {
      const where = { status: el.status, error: el.error };
      el.exportButton.addEventListener("click", () => files.exportExamples(where));
      chooseFile(el.importButton, el.importInput, (file) => files.importExamples(file, where));
    } else {
      el.exportButton.disabled = true;
      el.importButton.disabled = true;
    }
    words.then((store) => {
      this.words = store;
      this.notice(store);
      store.addEventListener("change", () => this.render());
      this.render();
    });
  }

  notice(store) {
    const { notice } = this.el;
    if (!store.persistent) {
      notice.textContent = `Your words can't be kept on this device (${store.reason}), so the ones you ` +
        "add last for this visit only.";
    } else if (store.setAside) {
      const entries = store.setAside === 1 ? "1 entry" : `${store.setAside} entries`;
      notice.textContent = `${entries} of your words on this device could not be ` +
        "read (the storage was damaged or written by another version), so they were set aside and " +
        "are not used. Your other words work as before.";
    } else {
      return;
    }
    notice.hidden = false;
  }

  render() {
    const { el, words } = this;
    const list = words.list();
    el.count.textContent = list.length ? `(${list.length})` : "";
    const items = list.slice(0, SHOWN).map(([word, count]) => {
      const item = document.createElement("li");
      item.dataset.word = word;
      const name = document.createElement("span");
      name.className = "word";
      name.textContent = word;
      const times = document.createElement("span");
      times.className = "small";
      times.textContent = `×${count}`;
      times.title = `written ${plural(count, "time")}`;
      const remove = button("Delete", {
        className: "delete",
        label: `Delete ${word} from your words`,
        onClick: () => this.remove(word),
      });
      item.append(name, times, remove);
      return item;
    });
    if (!list.length) {
      const empty = document.createElement("li");
      empty.className = "small";
      empty.textContent = "None yet. Correct a reading with “Not right?” to add one.";
      items.push(empty);
    } else if (list.length > SHOWN) {
      const more = document.createElement("li");
      more.className = "small";
      more.textContent = `and ${plural(list.length - SHOWN, "more word")}`;
      items.push(more);
    }
    el.list.replaceChildren(...items);
  }

  async remove(word) {
    const { el } = this;
    // Focus goes where the deleted word's button was: the next word's, or Export.
    const items = [...el.list.querySelectorAll("li[data-word]")];
    const at = items.findIndex((item) => item.dataset.word === word);
    try {
      await this.words.remove(word);
      el.status.textContent = `Deleted “${word}” from your words.`;
      const next = el.list.querySelectorAll("li[data-word] .delete")[at];
      (next || el.exportButton).focus();
    } catch (error) {
      el.error.textContent = `“${word}” could not be deleted: ${error.message}.`;
      el.error.hidden = false;
    }
  }
}
