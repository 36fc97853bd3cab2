// The line of text the words are added to: an ordinary text box the user can also edit with
// the keyboard, kept across visits (localStorage), with "⌫ Word" and Copy.

const STORAGE_KEY = "pycnn.textLine";
const MAX_LENGTH = 10_000; // characters kept: a line, not a document

function stored() {
  try {
    return window.localStorage.getItem(STORAGE_KEY) || "";
  } catch {
    return ""; // storage is off (a private window): the line lives for this visit
  }
}

function store(text) {
  try {
    window.localStorage.setItem(STORAGE_KEY, text);
  } catch {
    // Not kept for the next visit; the line still holds for this one.
  }
}

export class TextLine {
  /** input: the text box; status: where "Copied" is said. */
  constructor({ input, status }) {
    this.input = input;
    this.status = status;
    input.maxLength = MAX_LENGTH;
    input.value = stored().slice(0, MAX_LENGTH);
    input.addEventListener("input", () => {
      store(input.value);
      this.status.textContent = "";
    });
  }

  get text() {
    return this.input.value;
  }

  set(text) {
    this.input.value = text.slice(0, MAX_LENGTH);
    store(this.input.value);
    this.status.textContent = "";
  }

  /** `word` at the end of the line, after one space. */
  append(word) {
    const before = this.input.value.replace(/\s+$/u, "");
    this.set(before ? `${before} ${word}` : word);
  }

  /** The last word removed (whatever follows the last space); false when the line is empty. */
  removeLastWord() {
    const text = this.input.value.replace(/\s+$/u, "");
    if (!text) return false;
    this.set(text.replace(/\S+$/u, "").replace(/\s+$/u, ""));
    return true;
  }

  /** The line on the clipboard: the Clipboard API, or, where it is refused or missing (an
   * insecure origin, an old browser), the selection and the copy command. */
  async copy() {
    const text = this.input.value;
    let copied = false;
    try {
      if (navigator.clipboard && navigator.clipboard.writeText) {
        await navigator.clipboard.writeText(text);
        copied = true;
      }
    } catch {
      copied = false;
    }
    if (!copied) {
      const { selectionStart, selectionEnd } = this.input;
      this.input.select();
      try {
        copied = document.execCommand("copy");
      } catch {
        copied = false;
      }
      this.input.setSelectionRange(selectionStart, selectionEnd);
    }
    this.status.textContent = copied
      ? (text ? "Copied" : "Copied (the line is empty)")
      : "The browser did not allow copying: select the text and copy it yourself.";
    return copied;
  }
}
