// The "Read as" control: the character set the network reads the drawing within (All,
// Digits, Capital letters, ...). A person filling in a field knows what it holds; choosing
// Digits makes the network pick the likeliest digit, so a round "0" is never read as "O".
//
// The choice is kept across visits in localStorage (when the browser allows it). A link's
// ?set= wins over it: a pycnn.read.charsets name (?set=digits) or the characters themselves
// (?set=0123456789ABCDEF), so the page can serve as a digits-only field. A ?set= the model
// can't read falls back to All with a notice. Which sets the model reads is the worker's
// word (the "info" reply), so Symbols turns on by itself when a model that reads them ships.

const STORAGE_KEY = "pycnn.readAs";
const SHOWN_LENGTH = 40; // a link's set longer than this is shortened in what the page says

/** `text` cut to SHOWN_LENGTH characters, for a sentence. */
function shortened(text) {
  const chars = [...text];
  return chars.length > SHOWN_LENGTH ? `${chars.slice(0, SHOWN_LENGTH).join("")}…` : text;
}

function stored() {
  try {
    return window.localStorage.getItem(STORAGE_KEY);
  } catch {
    return null; // storage is off (private mode, blocked cookies): start from All
  }
}

function store(value) {
  try {
    window.localStorage.setItem(STORAGE_KEY, value);
  } catch {
    // Not kept for the next visit; the choice still holds for this one.
  }
}

export class ReadAs extends EventTarget {
  /** select: the <select> whose options are the menu's sets (value: a pycnn.read.charsets name);
   * notice: the element that explains a link's set the model can't read. Dispatches
   * "change" when the set changes after `start`. */
  constructor({ select, notice }) {
    super();
    this.select = select;
    this.notice = notice;
    // The menu's own names for its sets ("upper" -> "Capital letters"), before any change.
    this.titles = new Map([...select.options].map((o) => [o.value, o.textContent.trim()]));
    this.set = "all"; // what recognitions use; All until the model says what it can read
    select.addEventListener("change", () => {
      if (this.titles.has(select.value)) store(select.value); // a link's own set is not kept
      this.choose(select.value);
    });
  }

  /** The menu's name for set `name` ("Digits"), or the set itself. */
  title(name) {
    return this.titles.get(name) || name;
  }

  /** The model is loaded. sets: the worker's {name: {error}} for every named set;
   * checkSet(set): the worker's verdict on a link's set, {error: a sentence | null}. */
  async start({ sets, checkSet, search = window.location.search }) {
    for (const option of this.select.options) {
      const error = sets[option.value] && sets[option.value].error;
      if (!error) continue;
      option.disabled = true;
      option.textContent = `${this.title(option.value)} (not in this model)`;
      option.title = `Not available: ${error}.`;
    }
    const fromLink = new URLSearchParams(search).get("set");
    let chosen = "all";
    if (fromLink !== null) {
      const { error } = await checkSet(fromLink);
      if (error) this.showNotice(fromLink, error);
      else chosen = this.linkOption(fromLink).value;
    } else if (this.usable(stored())) {
      chosen = stored();
    }
    this.select.value = chosen;
    this.select.disabled = false;
    this.choose(chosen);
  }

  // -------------------------------------------------------------------------------------
  usable(value) {
    return [...this.select.options].some((o) => o.value === value && !o.disabled);
  }

  /** The menu's option for a link's set, added when the menu has none (?set=0123456789ABCDEF). */
  linkOption(value) {
    const existing = [...this.select.options].find((o) => o.value === value);
    if (existing) return existing;
    const option = new Option(`From the link: ${shortened(value)}`, value);
    this.select.append(option);
    return option;
  }

  showNotice(value, error) {
    this.notice.textContent = `This link asks to read “${shortened(value)}”, which can't be ` +
      `used: ${error}. Reading all characters instead.`;
    this.notice.hidden = false;
  }

  choose(value) {
    if (value === this.set) return;
    this.set = value;
    this.dispatchEvent(new Event("change"));
  }
}
