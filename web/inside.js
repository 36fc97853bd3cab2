// The "Look inside" panel: what every layer of the network computed for the drawing on the
// pad. The numbers are the outputs the worker kept from the very forward pass that made the
// answer; they are asked for only while the panel is open, so a closed panel costs nothing.
//
// Layout comes from the model's own `Sequential.layer_table()` (the table `summary()`
// prints), so the panel follows whatever architecture the shipped model has.

function shapeText(shape) {
  return shape.join("×");
}

function count(n) {
  return n.toLocaleString("en-US");
}

function element(tag, className, text) {
  const node = document.createElement(tag);
  if (className) node.className = className;
  if (text !== undefined) node.textContent = text;
  return node;
}

// Explanations are built from text nodes and a few <sub>/<var> elements, never from HTML
// strings: [text, ["sub", "f"], node, ...].
function rich(tag, className, parts) {
  const node = element(tag, className);
  for (const part of parts) {
    if (typeof part === "string" || part instanceof Node) node.append(part);
    else node.append(element(part[0], null, part[1]));
  }
  return node;
}

function formula(parts) {
  return rich("p", "formula", parts);
}

// ---------------------------------------------------------------------------------------
// Words for each kind of layer. `first` is the layer's first appearance: the full text;
// later layers of the same kind get the sentences that differ (sizes, parameter counts).
function explainInput(inputShape) {
  return [
    rich("p", "explain", [
      "Your drawing after the same preprocessing used in training: cropped to its ink, " +
        "scaled so its longest side is 20 pixels, centred on its centre of mass in a " +
        `${shapeText(inputShape.slice(1))} square, and scaled so the strongest ink is 1. ` +
        `The network receives these ${count(inputShape.reduce((a, b) => a * b, 1))} numbers ` +
        "(between 0 and 1) and nothing else.",
    ]),
  ];
}

function explainConv(row, inputShape, first) {
  const { filters, kernel_size: [kh, kw], stride, padding } = row.config;
  const channels = inputShape[0];
  const s = stride > 1 ? `${stride}` : "";
  const at = (v, u) => (s ? `${v}·${s}+${u}` : `${v}+${u}`);
  const out = [];
  if (first) {
    out.push(rich("p", "explain", [
      `A convolution slides each of its ${filters} small filters over every position of its ` +
        "input. At each position it multiplies the filter's weights with the values under " +
        "it, adds everything up and adds the filter's bias. Each filter gives one feature " +
        "map, which is large (dark) where the input looks like the filter.",
    ]));
    out.push(formula([
      "y[f, i, j] = b[f] + Σ", ["sub", "c,u,v"], ` x[c, ${at("i", "u")}, ${at("j", "v")}] · w[f, c, u, v]`,
    ]));
  }
  const paddingText = padding === "same"
    ? "The input gets a border of zeros first (“same” padding), so the maps keep its height and width."
    : padding === "valid"
      ? `There is no padding, so each map is ${kh - 1} pixels narrower and shorter than the input.`
      : "The input gets a border of zeros first, as set in the model file.";
  out.push(rich("p", "explain", [
    `Here: ${filters} filters of ${channels}×${kh}×${kw}` +
      (channels > 1 ? `, each looking at all ${channels} input maps at once` : "") +
      `, stride ${stride}. ${paddingText} Parameters: ${filters} × (${channels}·${kh}·${kw} ` +
      `weights + 1 bias) = ${count(row.params)}.`,
  ]));
  return out;
}

function explainReLU(first) {
  if (!first) return [rich("p", "explain", ["Negative values become 0, positive ones pass: y = max(0, x)."])];
  return [
    rich("p", "explain", [
      "ReLU (rectified linear unit) keeps every positive value and replaces every negative " +
        "one by zero, one number at a time. It has no parameters. Without it, the layers " +
        "would add up to a single linear function, however many there are.",
    ]),
    formula(["y = max(0, x)"]),
  ];
}

function explainPool(row, inputShape, first) {
  const { pool_size: k, stride: s } = row.config;
  const out = [];
  if (first) {
    out.push(rich("p", "explain", [
      `Max pooling cuts each map into ${k}×${k} windows, ${s} pixels apart, and keeps only ` +
        "the largest value of each window. The strongest responses survive, the maps get " +
        "smaller, and the next layer cares less about exactly where a stroke is.",
    ]));
    out.push(formula([
      "y[c, i, j] = max", ["sub", `u,v < ${k}`], ` x[c, ${s}i+u, ${s}j+v]`,
    ]));
  }
  const [, h] = inputShape;
  const oh = row.output_shape[1];
  const odd = (h - k) % s !== 0 ? ` The last row and column of a ${h}-pixel map fit no window and are dropped (${h} → ${oh}).` : "";
  out.push(rich("p", "explain", [`No parameters; each map goes from ${h}×${inputShape[2]} to ${oh}×${row.output_shape[2]}.${odd}`]));
  return out;
}

function explainFlatten(inputShape, row) {
  return [rich("p", "explain", [
    `Flatten lays the ${shapeText(inputShape)} numbers out in one row of ` +
      `${count(row.output_shape[0])}, map after map, so that a dense layer can take them. ` +
      "It changes no value.",
  ])];
}

function explainDense(row, inputShape, first) {
  const d = inputShape[0];
  const u = row.output_shape[0];
  const out = [];
  if (first) {
    out.push(rich("p", "explain", [
      "A dense (fully connected) layer computes each of its outputs as a weighted sum of " +
        "all its inputs, plus a bias. The weights are what training learned.",
    ]));
    out.push(formula(["y", ["sub", "k"], " = b", ["sub", "k"], " + Σ", ["sub", "j"], " x", ["sub", "j"], " · W", ["sub", "jk"]]));
  }
  out.push(rich("p", "explain", [
    `Here: ${count(d)} inputs → ${count(u)} units, ${count(d)}·${count(u)} weights + ${count(u)} biases = ` +
      `${count(row.params)} parameters. Outputs can be negative (light) or positive (dark).`,
  ]));
  return out;
}

function explainDropout(row) {
  const p = row.config.rate;
  return [
    rich("p", "explain", [
      `During training, dropout sets each unit to 0 with probability p = ${p} and multiplies ` +
        `the others by 1/(1−p), so the network cannot lean on any single unit. `,
      element("strong", null, "It is switched off when reading your drawing:"),
      " its output is exactly its input.",
    ]),
    formula(["y = x   (at inference)"]),
  ];
}

function explainSoftmax(classes, implicit) {
  return [
    rich("p", "explain", [
      `Softmax turns the ${classes} scores z of the last layer into probabilities that are ` +
        "positive and add up to 1. The largest score gets the largest probability; the " +
        "answer above is the character with the highest p." +
        (implicit ? " (This model outputs scores; the page applies softmax after its last layer.)" : ""),
    ]),
    formula(["p", ["sub", "k"], " = exp(z", ["sub", "k"], ") / Σ", ["sub", "j"], " exp(z", ["sub", "j"], ")"]),
    rich("p", "explain", [
      "“Read as” keeps only the characters of the chosen set: the sum then runs over their " +
        "scores alone, and every other character gets p = 0 and is left out below.",
    ]),
  ];
}

// ---------------------------------------------------------------------------------------
// Drawing numbers as colours. Dark means large, as ink on paper, like the 28×28 input, and
// white is 0. A layer with negative values shows them in blue, so the zeros stay paper-white
// and the few strong responses stand out instead of drowning in mid-grey.
function rangeOf(values, start, end) {
  let lo = Infinity;
  let hi = -Infinity;
  for (let i = start; i < end; i++) {
    const v = values[i];
    if (v < lo) lo = v;
    if (v > hi) hi = v;
  }
  return { lo, hi };
}

const NEGATIVE_RGB = [37, 99, 235];

function colourScale({ lo, hi }) {
  const rgb = [0, 0, 0];  // reused: painting allocates nothing per pixel
  const signed = lo < 0;
  const max = (signed ? Math.max(-lo, hi) : hi) || 1;
  return {
    signed,
    max,
    rgb(v) {
      const t = Math.min(1, Math.abs(v) / max);
      for (let c = 0; c < 3; c++) rgb[c] = 255 - t * (255 - (v < 0 ? NEGATIVE_RGB[c] : 0));
      return rgb;
    },
  };
}

function paint(canvas, values, offset, length, scale) {
  const context = canvas.getContext("2d");
  if (!canvas._image) canvas._image = context.createImageData(canvas.width, canvas.height);
  const data = canvas._image.data;
  for (let i = 0; i < length; i++) {
    const [r, g, b] = scale.rgb(values[offset + i]);
    data[4 * i] = r;
    data[4 * i + 1] = g;
    data[4 * i + 2] = b;
    data[4 * i + 3] = 255;
  }
  context.putImageData(canvas._image, 0, 0);
}

function legend() {
  const node = element("p", "legend small");
  node.append(element("span", "ramp"), element("span", "legend-text"));
  return node;
}

function setLegend(node, scale) {
  node.querySelector(".ramp").classList.toggle("signed", scale.signed);
  const m = scale.max.toPrecision(3);
  node.querySelector(".legend-text").textContent = scale.signed
    ? `blue = negative, white = 0, black = positive; the extremes are −${m} and +${m}, the largest magnitude in this layer`
    : `white = 0, black = ${m}, the largest value in this layer`;
}

// A grid of tiles, one canvas per map.
function tileGrid(shape, label) {
  const [c, h, w] = shape;
  const grid = element("div", "tiles");
  grid.setAttribute("role", "img");
  grid.setAttribute("aria-label", label);
  const size = h >= 28 ? 48 : h >= 14 ? 32 : 24;
  grid.style.setProperty("--tile", `${size}px`);
  const canvases = [];
  for (let k = 0; k < c; k++) {
    const canvas = element("canvas", "tile");
    canvas.width = w;
    canvas.height = h;
    canvas.title = `map ${k + 1} of ${c}`;
    canvases.push(canvas);
  }
  grid.append(...canvases);
  return { grid, canvases };
}

function tilesView(shape, caption) {
  const figure = element("figure", "maps");
  const { grid, canvases } = tileGrid(shape, `${shape[0]} ${caption}, ${shape[1]}×${shape[2]} pixels each`);
  const key = legend();
  const heading = element("figcaption", "small", `${shape[0]} ${caption}, ${shape[1]}×${shape[2]} each`);
  figure.append(heading, grid, key);
  figure.dataset.channels = String(shape[0]);
  return {
    node: figure,
    // A few tiles per job: painting a layer's hundreds of tiles at once held up the page
    // (and the next stroke) for up to 280 ms.
    jobs(values, offset) {
      const size = shape[1] * shape[2];
      const scale = colourScale(rangeOf(values, offset, offset + shape[0] * size));
      const jobs = [];
      for (let first = 0; first < canvases.length; first += TILES_PER_JOB) {
        jobs.push(() => {
          const last = Math.min(canvases.length, first + TILES_PER_JOB);
          for (let k = first; k < last; k++) paint(canvases[k], values, offset + k * size, size, scale);
        });
      }
      jobs.push(() => setLegend(key, scale));
      return jobs;
    },
  };
}

const STRIP_COLUMNS = 128;
const TILES_PER_JOB = 8;
// The longest the panel paints before it lets the page handle input and draw a frame.
const SLICE_MS = 4;

/** Let the browser run input and paint before the next slice of work. */
function yieldToBrowser() {
  // A macrotask, not scheduler.yield(): its continuations jump the queue ahead of rendering,
  // so a frame (and the stroke it shows) waited for the whole panel.
  return new Promise((resolve) => {
    const channel = new MessageChannel();
    channel.port1.onmessage = () => resolve();
    channel.port2.postMessage(null);
  });
}

/** A view whose drawing is one job. */
function oneJob(view) {
  view.jobs = (...args) => [() => view.draw(...args)];
  return view;
}

function stripView(units, caption) {
  return oneJob(stripViewOf(units, caption));
}

function stripViewOf(units, caption) {
  const figure = element("figure", "strip");
  const columns = Math.min(units, STRIP_COLUMNS);
  const rows = Math.ceil(units / columns);
  const canvas = element("canvas", "strip-canvas");
  canvas.width = columns;
  canvas.height = rows;
  canvas.style.height = `${rows * 14}px`;
  canvas.setAttribute("role", "img");
  canvas.setAttribute("aria-label", `${units} ${caption}, one cell each`);
  const key = legend();
  figure.append(
    element("figcaption", "small", `${count(units)} ${caption}, one cell each` +
      (rows > 1 ? `, ${columns} to a row` : "")),
    canvas,
    key,
  );
  figure.dataset.units = String(units);
  return {
    node: figure,
    draw(values, offset) {
      const scale = colourScale(rangeOf(values, offset, offset + units));
      if (!canvas._image) canvas._image = canvas.getContext("2d").createImageData(columns, rows);
      canvas._image.data.fill(255); // cells past the last unit stay white
      paint(canvas, values, offset, units, scale);
      setLegend(key, scale);
    },
  };
}

function classesView(labels) {
  return oneJob(classesViewOf(labels));
}

function classesViewOf(labels) {
  const figure = element("figure", "probabilities");
  const setNote = element("figcaption", "small set-note");
  const list = element("ol", "classes");
  list.setAttribute("aria-label", `Probability of each of the ${labels.length} characters`);
  const items = labels.map((label) => {
    const item = element("li");
    item.dataset.label = label;
    const name = element("span", "label", label);
    const bar = element("span", "bar");
    bar.setAttribute("aria-hidden", "true");
    const fill = element("span");
    bar.append(fill);
    const value = element("span", "value");
    item.append(name, bar, value);
    list.append(item);
    return { item, fill, value };
  });
  figure.append(setNote, list);
  return {
    node: figure,
    /** inSet: one bool per label, false for a character the chosen set leaves out. */
    draw(values, offset, inSet) {
      const kept = inSet.filter(Boolean).length;
      setNote.textContent = kept === labels.length
        ? `Read as All: all ${labels.length} characters compete.`
        : `Read within the chosen set: its ${kept} characters compete, and the other ` +
          `${labels.length - kept} are left out (p = 0).`;
      let best = inSet.indexOf(true);
      for (let k = 0; k < labels.length; k++) if (inSet[k] && values[offset + k] > values[offset + best]) best = k;
      items.forEach(({ item, fill, value }, k) => {
        const p = values[offset + k];
        item.classList.toggle("excluded", !inSet[k]);
        fill.style.width = `${Math.max(0, Math.min(100, 100 * p)).toFixed(1)}%`;
        value.textContent = inSet[k] ? percent(p) : "left out";
        item.dataset.probability = String(p);
        item.classList.toggle("top", k === best);
        if (k === best) item.setAttribute("aria-current", "true");
        else item.removeAttribute("aria-current");
      });
    },
  };
}

export function percent(p) {
  if (p < 0.001) return "<0.1%";
  return `${(100 * p).toFixed(p >= 0.995 ? 0 : 1)}%`;
}

// ---------------------------------------------------------------------------------------
export class InsideView {
  /** details: the <details> element; recognizer: the RecognizerClient (asked to inspect);
   * onRendered(id, activations): called when the panel shows recognition `id`. */
  constructor({ details, recognizer, onRendered }) {
    this.details = details;
    this.recognizer = recognizer;
    this.onRendered = onRendered || (() => {});
    this.status = details.querySelector("#inside-status");
    this.error = details.querySelector("#inside-error");
    this.diagram = details.querySelector("#inside-diagram");
    this.total = details.querySelector("#inside-total");
    this.layers = details.querySelector("#inside-layers");
    this.views = new Map(); // trace index -> {draw(values, offset)}
    this.network = null;
    this.currentId = null; // recognition whose answer is on screen (null: empty pad)
    this.currentSet = "all"; // the character set it was read within
    this.currentInput = null;
    this.requested = null; // {id, set} asked of the worker and not answered yet
    this.rendered = null; // {id, set} the panel shows
    this.rendering = null; // {id, set} being painted, slice by slice
    this.renderToken = 0; // bumped to cancel a paint that a newer drawing made stale
    this.sections = new Map(); // trace index -> its <section>
    this.onScreen = new Set(); // sections in or near the viewport: painted first
    this.observer = typeof IntersectionObserver === "function"
      ? new IntersectionObserver((entries) => {
        for (const entry of entries) {
          if (entry.isIntersecting) this.onScreen.add(entry.target);
          else this.onScreen.delete(entry.target);
        }
      }, { rootMargin: "200px 0px" })
      : null;
    details.addEventListener("toggle", () => this.refresh());
  }

  get open() {
    return this.details.open;
  }

  /** The model is loaded: build the diagram and an empty section per layer. */
  setNetwork({ network, filters, labels }) {
    this.network = network;
    this.build(network, filters, labels);
    this.status.textContent = "Draw a character to see what each layer makes of it.";
    this.refresh();
  }

  /** A new answer is on screen for recognition `id`, made from `input` (28×28), read
   * within character set `set`. */
  showResult(id, input, set = "all") {
    this.cancelRender();
    this.currentId = id;
    this.currentSet = set;
    this.currentInput = input;
    this.refresh();
  }

  /** True when `shown` ({id, set} or null) is what the pad shows. */
  isShowing(shown) {
    return shown !== null && shown.id === this.currentId && shown.set === this.currentSet;
  }

  showEmpty() {
    this.cancelRender();
    this.currentId = null;
    this.currentInput = null;
    this.refresh();
  }

  /** True when the panel shows what the pad shows (or is closed, so there is nothing to show). */
  isCurrent() {
    return !this.open || !this.network ||
      (this.currentId === null ? this.rendered === null : this.isShowing(this.rendered));
  }

  refresh() {
    if (!this.network) return;
    if (this.currentId === null) {
      this.rendered = null;
      this.layers.hidden = true;
      this.status.textContent = "The pad is empty: draw a character to see what each layer makes of it.";
      return;
    }
    if (!this.open || this.isShowing(this.rendered) || this.isShowing(this.requested) ||
      this.isShowing(this.rendering)) return;
    const asked = { id: this.currentId, set: this.currentSet };
    this.requested = asked;
    this.recognizer.inspect(asked.id, asked.set).then(
      (activations) => this.onActivations(asked, activations),
      (error) => this.onError(asked, error),
    );
  }

  cancelRender() {
    this.renderToken++;
    this.rendering = null;
  }

  async onActivations(asked, activations) {
    if (asked === this.requested) this.requested = null;
    if (!this.isShowing(asked)) {
      this.refresh(); // a newer drawing or set is on screen: ask for that instead
      return;
    }
    // null: the worker has read a newer drawing since; its answer will ask again.
    if (!activations) return;
    this.error.hidden = true;
    this.layers.hidden = false;
    this.rendering = asked;
    if (!(await this.render(activations))) return; // a newer drawing cancelled it
    this.rendering = null;
    if (!this.isShowing(asked)) return;
    this.rendered = asked;
    this.status.textContent = "Showing the layers for the drawing on the pad.";
    this.onRendered(asked.id, activations);
  }

  onError(asked, error) {
    if (asked === this.requested) this.requested = null;
    this.error.hidden = false;
    this.error.textContent = `The layers could not be shown: ${error.message}.`;
    console.warn("pycnn worker:", error.detail || error);
  }

  /** Paint every layer's view in slices of SLICE_MS, the sections on screen first, so the
   * page keeps answering the pen. Resolves to false if a newer drawing cancelled it. */
  async render({ layout, values, inSet }) {
    const token = ++this.renderToken;
    const input = this.currentInput;
    const work = [{ index: "input", args: [input, 0] },
      ...layout.map((entry) => ({ index: entry.index, args: [values, entry.offset, inSet] }))]
      .filter(({ index }) => this.views.has(index));
    const visible = (item) => this.onScreen.has(this.sections.get(item.index));
    // Stable sort: the on-screen ones first, each group in the network's order.
    work.sort((a, b) => Number(visible(b)) - Number(visible(a)));
    let sliceStart = performance.now();
    for (const { index, args } of work) {
      for (const job of this.views.get(index).jobs(...args)) {
        if (performance.now() - sliceStart > SLICE_MS) {
          await yieldToBrowser();
          if (token !== this.renderToken) return false;
          sliceStart = performance.now();
        }
        job();
      }
    }
    return token === this.renderToken;
  }

  // -------------------------------------------------------------------------------------
  build(network, filters, labels) {
    const rows = network.layers.slice();
    const last = rows[rows.length - 1];
    if (last && last.name !== "Softmax") {
      // forward_trace appends softmax after a model that ends in scores.
      rows.push({ index: rows.length, name: "Softmax", config: {}, output_shape: last.output_shape,
        params: 0, implicit: true });
    }

    // The diagram: input, then one box per layer.
    const boxes = [this.diagramBox("inside-input", "Input", network.input_shape, null)];
    for (const row of rows) {
      boxes.push(this.diagramBox(`inside-layer-${row.index}`, `${row.index} ${row.name}`,
        row.output_shape, row.implicit ? null : row.params));
    }
    this.diagram.replaceChildren(...boxes);
    this.total.textContent = `${count(network.parameters)} learned parameters in all ` +
      "(the same table as the model's summary()).";

    // One section per layer.
    const sections = [];
    const input = this.section("inside-input", "Input", `${shapeText(network.input_shape)}`,
      explainInput(network.input_shape));
    const [, ih, iw] = network.input_shape;
    const inputCanvas = element("canvas", "input-tile");
    inputCanvas.width = iw;
    inputCanvas.height = ih;
    inputCanvas.setAttribute("role", "img");
    inputCanvas.setAttribute("aria-label", `The ${ih} by ${iw} image the network received`);
    input.append(inputCanvas, this.backLink());
    this.views.set("input", oneJob({
      draw(values) {
        paint(inputCanvas, values, 0, ih * iw, colourScale({ lo: 0, hi: 1 }));
      },
    }));
    this.sections.set("input", input);
    sections.push(input);

    const seen = new Set();
    let inputShape = network.input_shape;
    for (const row of rows) {
      const first = !seen.has(row.name);
      seen.add(row.name);
      const shape = row.output_shape;
      const spatial = shape.length === 3;
      const shapes = `${shapeText(inputShape)} → ${shapeText(shape)}` +
        (row.implicit ? "" : ` · ${count(row.params)} parameters`);
      let words = [];
      let view = null;
      const extra = [];
      if (row.name === "Conv2D") {
        words = explainConv(row, inputShape, first);
        if (filters && filters.index === row.index) extra.push(this.filtersView(filters));
        view = tilesView(shape, "feature maps after the convolution");
      } else if (row.name === "ReLU") {
        words = explainReLU(first);
        view = spatial ? tilesView(shape, "feature maps after ReLU") : stripView(shape[0], "units after ReLU");
      } else if (row.name === "MaxPool2D") {
        words = explainPool(row, inputShape, first);
        view = tilesView(shape, "pooled maps");
      } else if (row.name === "Flatten") {
        words = explainFlatten(inputShape, row);
        view = stripView(shape[0], "numbers");
      } else if (row.name === "Dense") {
        words = explainDense(row, inputShape, first);
        const scores = rows[rows.indexOf(row) + 1];
        view = stripView(shape[0], scores && scores.name === "Softmax" ? "scores (the z that softmax reads)" : "units");
      } else if (row.name === "Dropout") {
        words = explainDropout(row);
        view = spatial ? tilesView(shape, "maps (unchanged)") : stripView(shape[0], "units (unchanged)");
      } else if (row.name === "Softmax") {
        words = explainSoftmax(shape[0], row.implicit);
        view = classesView(labels);
      } else {
        view = spatial ? tilesView(shape, "maps") : stripView(shape[0], "units");
      }
      const section = this.section(`inside-layer-${row.index}`, `Layer ${row.index}: ${row.name}`, shapes, words);
      section.dataset.layerIndex = String(row.index);
      section.dataset.layerName = row.name;
      section.append(...extra, view.node, this.backLink());
      this.views.set(row.index, view);
      this.sections.set(row.index, section);
      sections.push(section);
      inputShape = shape;
    }
    this.layers.replaceChildren(...sections);
    if (this.observer) for (const section of sections) this.observer.observe(section);
    this.layers.hidden = true;
  }

  // The way back up from a layer, and the next stop for Tab after a jump to one.
  backLink() {
    const link = element("a", "back small", "↑ Back to the network diagram");
    link.href = "#diagram-heading";
    link.addEventListener("click", (event) => {
      event.preventDefault();
      const heading = document.getElementById("diagram-heading");
      heading.focus({ preventScroll: true });
      heading.scrollIntoView({ block: "start" });
    });
    return link;
  }

  diagramBox(target, name, shape, params) {
    const item = element("li");
    const link = element("a");
    link.href = `#${target}`;
    // Focus goes to the layer's heading, so Tab carries on from that layer instead of
    // from the top of the diagram (where a plain fragment link leaves it).
    link.addEventListener("click", (event) => {
      const heading = document.getElementById(`${target}-heading`);
      if (!heading) return;
      event.preventDefault();
      heading.focus({ preventScroll: true });
      heading.scrollIntoView({ block: "start" });
      history.replaceState(null, "", `#${target}`);
    });
    link.append(element("span", "box-name", name), element("span", "box-shape", shapeText(shape)));
    if (params !== null) link.append(element("span", "box-params", params ? `${count(params)} params` : "no params"));
    item.append(link);
    return item;
  }

  section(id, title, shapes, words) {
    const section = element("section", "layer");
    section.id = id;
    section.setAttribute("aria-labelledby", `${id}-heading`);
    const heading = element("h3", null, title);
    heading.id = `${id}-heading`;
    heading.tabIndex = -1; // the diagram's links move focus here
    section.append(heading, element("p", "shapes", shapes), ...words);
    return section;
  }

  filtersView({ shape, values }) {
    const [f, c, kh, kw] = shape;
    const figure = element("figure", "maps filters");
    const { grid, canvases } = tileGrid([f, kh, kw], `${f} learned filters of ${kh}×${kw} weights`);
    grid.style.setProperty("--tile", "36px");
    const key = legend();
    figure.append(
      element("figcaption", "small", `The ${f} learned filters, ${kh}×${kw} weights each` +
        (c > 1 ? ` (first of ${c} input channels)` : "") + ": each map below is its input matched against one of these."),
      grid,
      key,
    );
    figure.dataset.channels = String(f);
    // Channel 0 of each filter; the first conv layer of a grey-scale model has just that one.
    const size = kh * kw;
    const picked = new Float32Array(f * size);
    for (let k = 0; k < f; k++) picked.set(values.subarray(k * c * size, k * c * size + size), k * size);
    const scale = colourScale(rangeOf(picked, 0, picked.length));
    canvases.forEach((canvas, k) => paint(canvas, picked, k * size, size, scale));
    setLegend(key, scale);
    return figure;
  }
}
