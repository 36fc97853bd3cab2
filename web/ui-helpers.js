// Small helpers the page's panels share: how a label is said, a count in words, a button, an
// error shown. No state, so every module imports them from here instead of writing its own.

export const $ = (selector) => document.querySelector(selector);

/** How a screen reader should say a label: "capital O", not "O". */
export function spokenLabel(label) {
  if (/^[A-Z]$/.test(label)) return `capital ${label}`;
  if (/^[a-z]$/.test(label)) return `small ${label}`;
  return label;
}

/** "1 example", "2 examples". */
export function plural(n, word) {
  return `${n} ${word}${n === 1 ? "" : "s"}`;
}

/** A plain button (type="button", so it never submits a form). */
export function button(text, { className, label, onClick } = {}) {
  const element = document.createElement("button");
  element.type = "button";
  element.textContent = text;
  if (className) element.className = className;
  if (label) element.setAttribute("aria-label", label);
  if (onClick) element.addEventListener("click", onClick);
  return element;
}

/** Say `text` in an error paragraph (role="alert") and show it. */
export function showError(element, text) {
  element.textContent = text;
  element.hidden = false;
}
