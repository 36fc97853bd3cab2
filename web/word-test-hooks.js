// What the end-to-end tests read from Word mode, as window.pycnnTest.word. Installed only in
// a page a test marked before it loaded (window.pycnnTestHooks, as web/test-hooks.js is), so
// a visitor's page keeps no copy of the pixels it sends.

function toBase64(bytes) {
  let text = "";
  for (let i = 0; i < bytes.length; i += 0x8000) {
    text += String.fromCharCode.apply(null, bytes.subarray(i, i + 0x8000));
  }
  return btoa(text);
}

/** wordMode: web/word-mode.js's WordMode, its parts made. */
export function installWordTestHooks(wordMode) {
  const { pad, reading, strip } = wordMode.parts;
  let lastSent = null;
  let sent = 0;
  let inside = null; // the layers Look inside last drew: {id, layout, values}
  document.querySelector("#word-inside").addEventListener("rendered", ({ detail }) => {
    inside = detail;
  });
  reading.addEventListener("sending", ({ detail }) => {
    sent++;
    lastSent = { width: detail.width, height: detail.height, pixels: detail.pixels.slice() };
  });
  window.pycnnTest = window.pycnnTest || {};
  window.pycnnTest.word = {
    // The reading on screen belongs to the ink on the pad, read within the set chosen.
    settled: () => reading.settled,
    // The exact pixels of the last reading sent, for CPython to read the same writing.
    lastPixels: () => lastSent &&
      { width: lastSent.width, height: lastSent.height, base64: toBase64(lastSent.pixels) },
    readingsSent: () => sent,
    // The reading on screen, without its input image.
    shown: () => {
      if (!reading.shown) return null;
      const { input, ...rest } = reading.shown;
      return rest;
    },
    padInfo: () => ({ cssWidth: pad.cssWidth, cssHeight: pad.cssHeight, width: pad.canvas.width,
      height: pad.canvas.height }),
    strokeCount: () => pad.strokes.length,
    // The highlighted band in CSS pixels from the pad's left edge, or null.
    band: () => strip.bandPixels(),
    // What Look inside drew: the reading's id, each layer's name and shape, and each frame's
    // likeliest class from its Probabilities ("" for the blank).
    inside: () => {
      if (!inside) return null;
      const { id, layout, values } = inside;
      const last = layout[layout.length - 1];
      const [frames, classes] = last.shape;
      const best = [];
      for (let t = 0; t < frames; t++) {
        let k = 0;
        for (let c = 1; c < classes; c++) {
          if (values[last.offset + t * classes + c] > values[last.offset + t * classes + k]) k = c;
        }
        best.push(k === 0 ? "" : wordMode.characters[k - 1]);
      }
      return { id, layers: layout.map(({ name, shape }) => ({ name, shape })), best };
    },
  };
}
