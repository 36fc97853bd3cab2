// Look inside the word network: every layer's output for the word on the pad, from the
// worker's inspectWord (the layers run again on the very input that made the reading). The
// character panel (web/inside.js) is built around a 28×28 picture and a top 5; a word's
// layers are as wide as the word and end in one prediction per frame, so they get this
// smaller view of their own: each layer's first maps as wide tiles, the sequence layers as
// one picture each with the frames left to right, under the word as the strip shows them.
//
// Tiles are pictures of numbers, as in the character panel: white is 0, the darker a pixel
// the larger its value, negative values blue, on one scale per layer.

const MAPS_SHOWN = 6; // of a convolution's maps: enough to see them differ, few enough to paint at once
const NEGATIVE_RGB = [37, 99, 235];

function element(tag, className, text) {
  const node = document.createElement(tag);
  if (className) node.className = className;
  if (text !== undefined) node.textContent = text;
  return node;
}

/** Paint values[offset + row * cols + col] (rows x cols) on a new canvas; `transpose` draws
 * column c of the picture from row c of the values (frames left to right). */
function picture(values, offset, rows, cols, scale, transpose = false) {
  const canvas = element("canvas", "word-inside-tile");
  const width = transpose ? rows : cols;
  const height = transpose ? cols : rows;
  canvas.width = width;
  canvas.height = height;
  const context = canvas.getContext("2d");
  const image = context.createImageData(width, height);
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      const v = transpose ? values[offset + x * cols + y] : values[offset + y * cols + x];
      const t = Math.min(1, Math.abs(v) / scale);
      const i = 4 * (y * width + x);
      for (let c = 0; c < 3; c++) image.data[i + c] = 255 - t * (255 - (v < 0 ? NEGATIVE_RGB[c] : 0));
      image.data[i + 3] = 255;
    }
  }
  context.putImageData(image, 0, 0);
  return canvas;
}

function largest(values, start, end) {
  let most = 0;
  let negative = false;
  for (let i = start; i < end; i++) {
    const a = Math.abs(values[i]);
    if (a > most) most = a;
    if (values[i] < 0) negative = true;
  }
  return { scale: most || 1, negative };
}

function scaleNote({ scale, negative }) {
  const m = scale.toPrecision(3);
  return negative ? `blue = negative, white = 0, black = positive, up to ${m} either way`
    : `white = 0, black = ${m}, the largest value here`;
}

export class WordInside {
  /** recognizer: web/recognizer-client.js; reading: web/word-reading.js; readAs: web/read-as.js. */
  constructor({ recognizer, reading, readAs }) {
    this.recognizer = recognizer;
    this.reading = reading;
    this.readAs = readAs;
    this.details = document.querySelector("#word-inside");
    this.status = document.querySelector("#word-inside-status");
    this.layers = document.querySelector("#word-inside-layers");
    this.shownId = null; // the reading the layers on screen belong to
    this.asked = 0;
    this.details.addEventListener("toggle", () => this.refresh());
    reading.addEventListener("change", () => this.refresh());
  }

  /** The layers for the reading on screen, asked for only while the panel is open. */
  async refresh() {
    if (!this.details.open) return;
    const shown = this.reading.shown;
    if (!shown || shown.empty || shown.too_long || !shown.input) {
      this.shownId = null;
      this.layers.replaceChildren();
      this.status.textContent = "Write a word on the pad to see what each layer computes for it.";
      return;
    }
    if (shown.id === this.shownId && shown.set === this.shownSet) return;
    const asked = ++this.asked;
    this.status.textContent = "Reading the layers…";
    let layers;
    try {
      layers = await this.recognizer.inspectWord(shown.id, shown.set);
    } catch (error) {
      this.status.textContent = `The layers could not be shown: ${error.message}.`;
      return;
    }
    if (asked !== this.asked || this.reading.shown !== shown) return; // a newer word came
    if (!layers) {
      this.status.textContent = "The word changed: write on, and the layers follow.";
      return;
    }
    this.shownId = shown.id;
    this.shownSet = shown.set;
    this.render(shown, layers);
    this.dispatchRendered(shown, layers);
  }

  render(shown, { layout, values }) {
    const [height, width] = shown.input_shape || [32, shown.input.length / 32];
    // Every picture as wide as the input shown at twice its size, whatever its own width, so
    // a column of ink sits above the same column of every layer (and above its frames).
    this.layers.style.setProperty("--word-width", `${2 * width}px`);
    const sections = [];
    const input = element("section", "word-inside-layer");
    input.dataset.name = "Input";
    input.append(element("h4", null, `The input: ${height}×${width}`),
      element("p", "small", "Your word cropped to its ink and scaled to 32 pixels high, as in training."));
    const inputRange = largest(shown.input, 0, shown.input.length);
    const inputTile = picture(shown.input, 0, height, width, inputRange.scale);
    inputTile.setAttribute("role", "img");
    inputTile.setAttribute("aria-label", `The network's input, ${height} by ${width} pixels`);
    input.append(inputTile);
    sections.push(input);
    for (const { index, name, shape, offset } of layout) {
      const section = element("section", "word-inside-layer");
      section.dataset.name = name;
      section.dataset.index = String(index);
      const size = shape.reduce((a, b) => a * b, 1);
      const range = largest(values, offset, offset + size);
      section.append(element("h4", null, `${index + 1}. ${name}: ${shape.join("×")}`));
      if (shape.length === 3) {
        const [maps, rows, cols] = shape;
        const shownMaps = Math.min(maps, MAPS_SHOWN);
        section.append(element("p", "small", `The first ${shownMaps} of ${maps} maps, ${rows}×${cols} each; ${scaleNote(range)}.`));
        const tiles = element("div", "word-inside-maps");
        tiles.setAttribute("role", "img");
        tiles.setAttribute("aria-label", `${shownMaps} of the ${maps} maps of ${name}`);
        for (let k = 0; k < shownMaps; k++) tiles.append(picture(values, offset + k * rows * cols, rows, cols, range.scale));
        section.append(tiles);
      } else if (shape.length === 2) {
        const [frames, features] = shape;
        const what = name === "Probabilities"
          ? `Each column is a frame, each row a class (the blank at the top, then the characters): the darker, the likelier. The strip under the pad shows each column's darkest row.`
          : `Each column is a frame (${frames} in all, left to right as on the pad), each row one of ${features} features; ${scaleNote(range)}.`;
        section.append(element("p", "small", what));
        const tile = picture(values, offset, frames, features, range.scale, true);
        tile.setAttribute("role", "img");
        tile.setAttribute("aria-label", `${name}: ${features} rows by ${frames} frames`);
        section.append(tile);
      }
      sections.push(section);
    }
    this.layers.replaceChildren(...sections);
    this.status.textContent = `${layout.length} layers for “${shown.words && shown.words.length ? shown.words[0][0] : shown.raw}”, from the pass that made the reading.`;
  }

  dispatchRendered(shown, layers) {
    this.details.dispatchEvent(new CustomEvent("rendered", { detail: { id: shown.id, ...layers } }));
  }
}
