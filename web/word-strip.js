// Which ink made which letter. The word network reads the pad's picture as a row of frames,
// each a narrow band of the pad's width, and says for each the likeliest character or a blank
// (CTC). This module shows that row as a strip of cells under the pad, each cell under the
// band of ink it read, and paints the band of a letter's frames on a canvas laid over the pad
// when a letter of the reading is hovered, tapped or focused.
//
// The worker gives the bands in pixels of the picture it read: frame t covers pad x from
// pad.x0 + t * pad.dx to pad.x0 + (t + 1) * pad.dx. They are kept as fractions of that
// picture's width, so the strip and the band stay under the ink if the pad changes size.

export class WordStrip {
  /** pad: web/word-pad.js; strip: the element the cells go in; overlay: a canvas over the pad. */
  constructor({ pad, strip, overlay }) {
    this.pad = pad;
    this.strip = strip;
    this.overlay = overlay;
    this.reading = null; // {frames, confidence, x0, dx} in fractions of the width read
    this.band = null; // [start, stop) frames highlighted
    pad.addEventListener("resize", () => this.paint());
  }

  /** Show the frames of `reading` ({frames, frame_confidence, pad: {x0, dx}}), read from a
   * picture `width` pixels wide. */
  show(reading, width) {
    const { frames, frame_confidence: confidence, pad } = reading;
    if (!pad || !frames || !frames.length || !width) {
      this.clear();
      return;
    }
    this.reading = { frames, confidence: confidence || [], x0: pad.x0 / width, dx: pad.dx / width };
    this.band = null;
    const cells = frames.map((label, t) => {
      const cell = document.createElement("span");
      cell.className = label ? "cell" : "cell blank";
      cell.textContent = label || "·";
      cell.style.left = `${(100 * (this.reading.x0 + t * this.reading.dx)).toFixed(4)}%`;
      cell.style.width = `${(100 * this.reading.dx).toFixed(4)}%`;
      // A confident frame is drawn in full ink, a hesitant one fainter.
      const p = Number(this.reading.confidence[t]);
      cell.style.setProperty("--p", Number.isFinite(p) ? String(Math.max(0.25, Math.min(1, p))) : "1");
      cell.dataset.frame = String(t);
      return cell;
    });
    this.strip.replaceChildren(...cells);
    // One sentence for a screen reader: the characters the frames read, in order, with the
    // blanks between them counted as dots.
    const spoken = frames.map((label) => label || "·").join("");
    this.strip.setAttribute("aria-label", `What each column of the pad reads, left to right ` +
      `(a dot is a blank): ${spoken}`);
    this.strip.dataset.frames = String(frames.length);
    this.paint();
  }

  clear() {
    this.reading = null;
    this.band = null;
    this.strip.replaceChildren();
    this.strip.setAttribute("aria-label", "What each column of the pad reads: nothing yet.");
    this.strip.dataset.frames = "0";
    this.paint();
  }

  /** Highlight frames [start, stop) on the pad and in the strip; null: none. */
  highlight(span) {
    this.band = span && this.reading ? [span[0], span[1]] : null;
    for (const cell of this.strip.children) {
      const t = Number(cell.dataset.frame);
      cell.classList.toggle("on", !!this.band && t >= this.band[0] && t < this.band[1]);
    }
    this.paint();
  }

  /** The highlighted band in CSS pixels from the pad's left edge, [left, right], or null. */
  bandPixels() {
    if (!this.band || !this.reading) return null;
    const width = this.pad.cssWidth;
    const { x0, dx } = this.reading;
    return [width * (x0 + this.band[0] * dx), width * (x0 + this.band[1] * dx)];
  }

  paint() {
    const { overlay, pad } = this;
    const width = Math.round(pad.cssWidth * (window.devicePixelRatio || 1));
    const height = Math.round(pad.cssHeight * (window.devicePixelRatio || 1));
    if (overlay.width !== width || overlay.height !== height) {
      overlay.width = Math.max(1, width);
      overlay.height = Math.max(1, height);
    }
    const context = overlay.getContext("2d");
    context.clearRect(0, 0, overlay.width, overlay.height);
    const band = this.bandPixels();
    overlay.dataset.band = band ? band.map((x) => x.toFixed(2)).join(",") : "";
    if (!band) return;
    const scale = overlay.width / (pad.cssWidth || 1);
    const left = Math.max(0, Math.floor(band[0] * scale));
    const right = Math.min(overlay.width, Math.ceil(band[1] * scale));
    if (right <= left) return;
    // The accent colour of the theme (the overlay's CSS colour), translucent over the ink.
    context.fillStyle = getComputedStyle(overlay).color;
    context.globalAlpha = 0.3;
    context.fillRect(left, 0, right - left, overlay.height);
    context.globalAlpha = 1;
  }
}
