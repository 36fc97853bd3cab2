// The word pad: a wide canvas that records strokes, as the character pad in web/app.js does
// (same ink: black #000 on a transparent canvas, round caps and joins, so the ink is in the
// alpha channel that pycnn.read.word_preprocess reads). It differs in shape only: as wide as
// the page allows and a few words high, with the brush a fraction of its height, the way
// pycnn.data.word_render draws training words.
//
//   const pad = new WordPad(canvas);
//   pad.addEventListener("strokeend", ...);  // a stroke ended: read the pad
//   pad.addEventListener("change", ...);     // strokes added, undone or cleared
//   pad.pixels()   // {pixels, width, height}: the backing store's RGBA, for the worker
//   pad.undo(); pad.clear(); pad.reset();    // reset: empty, and no Undo back (after Add)

// The brush, as a fraction of the pad's height: training's default line width
// (pycnn.data.render.DEFAULT_LINE_WIDTH_FRACTION), which word_render scales by pad height.
export const WORD_BRUSH = 0.045;
// The backing store's longest side, whatever the zoom: the worker's time grows with the
// pixels, and pycnn refuses canvas sides above 4096.
const MAX_BACKING = 2048;

export class WordPad extends EventTarget {
  constructor(canvas) {
    super();
    this.canvas = canvas;
    this.context = canvas.getContext("2d", { willReadFrequently: true });
    // Points are kept in pad heights (x and y divided by the CSS height), so a resize or a
    // new pixel ratio redraws the same word at the new size.
    this.strokes = []; // [{brush, points: [[x, y], ...]}]
    this.cleared = []; // drawings Clear took, newest last: Undo on an empty pad brings one back
    this.active = null;
    this.pointer = null;
    this.cssWidth = 0;
    this.cssHeight = 0;
    this.version = 0; // bumped on every change of the drawing
    this.frame = null;
    this.wire();
    new ResizeObserver(() => this.resize()).observe(canvas);
    window.addEventListener("resize", () => this.resize());
    this.resize();
  }

  get empty() {
    return this.strokes.length === 0;
  }

  get drawing() {
    return this.active !== null;
  }

  get canUndo() {
    return this.strokes.length > 0 || this.cleared.length > 0;
  }

  /** Backing-store pixels per CSS pixel along x (the worker's pad x is in backing pixels). */
  get ratio() {
    return this.canvas.width / (this.cssWidth || 1);
  }

  resize() {
    const width = this.canvas.clientWidth;
    const height = this.canvas.clientHeight;
    if (!width || !height) return; // hidden (Character mode): nothing to size yet
    const dpr = window.devicePixelRatio || 1;
    const scale = Math.min(dpr, MAX_BACKING / Math.max(width, height));
    const backingWidth = Math.max(1, Math.round(width * scale));
    const backingHeight = Math.max(1, Math.round(height * scale));
    if (width === this.cssWidth && height === this.cssHeight &&
        this.canvas.width === backingWidth && this.canvas.height === backingHeight) return;
    this.cssWidth = width;
    this.cssHeight = height;
    this.canvas.width = backingWidth;
    this.canvas.height = backingHeight;
    this.render();
    this.dispatchEvent(new Event("resize"));
  }

  render() {
    if (this.frame !== null) {
      cancelAnimationFrame(this.frame);
      this.frame = null;
    }
    const { context, canvas } = this;
    const unit = this.cssHeight * this.ratio; // backing pixels per pad height
    context.setTransform(1, 0, 0, 1, 0, 0);
    context.clearRect(0, 0, canvas.width, canvas.height);
    context.strokeStyle = "#000";
    context.fillStyle = "#000";
    context.lineCap = "round";
    context.lineJoin = "round";
    for (const { brush, points } of this.strokes) {
      const [first, ...rest] = points;
      if (rest.length === 0) {
        // A tap: a dot as wide as the brush, like a zero-length round-capped line.
        context.beginPath();
        context.arc(first[0] * unit, first[1] * unit, (brush * unit) / 2, 0, 2 * Math.PI);
        context.fill();
        continue;
      }
      context.lineWidth = brush * unit;
      context.beginPath();
      context.moveTo(first[0] * unit, first[1] * unit);
      for (const [x, y] of rest) context.lineTo(x * unit, y * unit);
      context.stroke();
    }
    canvas.classList.toggle("has-ink", this.strokes.length > 0);
  }

  queueRender() {
    if (this.frame !== null) return;
    this.frame = requestAnimationFrame(() => {
      this.frame = null;
      this.render();
    });
  }

  /** The backing store's RGBA pixels, every point drawn so far included. */
  pixels() {
    if (this.frame !== null) this.render();
    const { width, height } = this.canvas;
    return { pixels: this.context.getImageData(0, 0, width, height).data, width, height };
  }

  // Where the pointer really is, even off the pad: a stroke that leaves the pad is cut at
  // its edge by the canvas, instead of running along the border where the pointer never went.
  pointFrom(event) {
    const box = this.canvas.getBoundingClientRect();
    const unit = box.height || 1;
    return [(event.clientX - box.left) / unit, (event.clientY - box.top) / unit];
  }

  changed() {
    this.version++;
    this.dispatchEvent(new Event("change"));
  }

  wire() {
    const { canvas } = this;
    canvas.addEventListener("pointerdown", (event) => {
      if (this.active || (event.pointerType === "mouse" && event.button !== 0)) return;
      event.preventDefault(); // no text selection or scrolling
      // The pad's keys work after drawing; no focus ring for a pen or a finger.
      canvas.focus({ preventScroll: true, focusVisible: false });
      canvas.setPointerCapture(event.pointerId);
      this.pointer = event.pointerId;
      this.active = { brush: WORD_BRUSH, points: [this.pointFrom(event)] };
      this.strokes.push(this.active);
      this.changed();
      this.queueRender();
    });
    canvas.addEventListener("pointermove", (event) => {
      if (!this.active || event.pointerId !== this.pointer) return;
      const events = event.getCoalescedEvents ? event.getCoalescedEvents() : [];
      for (const e of events.length ? events : [event]) this.active.points.push(this.pointFrom(e));
      this.version++;
      this.queueRender();
    });
    const end = (event) => {
      if (!this.active || event.pointerId !== this.pointer) return;
      this.active = null;
      this.pointer = null;
      this.render();
      this.dispatchEvent(new Event("strokeend"));
    };
    canvas.addEventListener("pointerup", end);
    canvas.addEventListener("pointercancel", end);
  }

  undo() {
    if (this.active) return;
    if (this.strokes.length) this.strokes.pop();
    else if (this.cleared.length) this.strokes.push(...this.cleared.pop());
    else return;
    this.render();
    this.changed();
  }

  clear() {
    if (this.active || this.strokes.length === 0) return;
    this.cleared.push(this.strokes.splice(0));
    this.render();
    this.changed();
  }

  /** Empty the pad for the next word, with no Undo back to this one (it is in the text). */
  reset() {
    if (this.active) return;
    this.strokes.length = 0;
    this.cleared.length = 0;
    this.render();
    this.changed();
  }

  /** CSS pixels from the pad's left edge for backing-store x `x`. */
  cssX(x) {
    return x / this.ratio;
  }
}
