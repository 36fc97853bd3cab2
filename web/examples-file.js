// Personal examples as data: the limits, the one JSON file they are exported to and imported
// from, and the checks every example passes before it is stored. No DOM, no IndexedDB, so the
// same checks hold for a correction, a teaching drawing and an import.
//
// The file (shared with pycnn.learn.examples, which reads the same schema; keep the two in step):
//
//   {"format": "pycnn-examples", "version": 1,
//    "examples": [
//      {"label": "g",
//       "strokes": [{"brush": 0.045, "points": [[0.31, 0.42], [0.33, 0.47]]}],
//       "pad_side": 320,
//       "created": "2026-11-29T19:00:00Z"}],
//    "words": [["zorp", 2]]}
//
// label: the character or a name (1 to LIMITS.labelLength characters, no control characters,
// no spaces at either end). strokes: in drawing order; points are [x, y] in fractions of the
// pad side (0 to 1 on the pad, a little beyond when a stroke left it); brush is the pen width
// as a fraction of the side. pad_side: the pad's side in CSS pixels when it was drawn.
// created: when, ISO 8601 in UTC. words (optional, written only when there are some): the
// personal words Word mode learnt from "Not right?", each [word, times it was written], a word
// being 1 to LIMITS.wordLength printable ASCII characters without spaces (what the word
// reader can spell). pycnn.learn.examples reads examples only and passes over "words".
// Nothing else is allowed in version 1: a key this page does not know is refused rather than
// silently dropped.

export const FORMAT = "pycnn-examples";
export const VERSION = 1;

// Every limit in one place. They are pycnn.learn.examples' (MAX_TEXT_BYTES, MAX_EXAMPLES, ...), so
// a file this page writes is one pycnn.learn.examples reads, and the reverse; keep the two in step.
export const LIMITS = Object.freeze({
  fileBytes: 16 * 1024 * 1024, // an import file larger than this is refused before it is read
  examples: 2000, // examples kept on the device, all labels together
  labelLength: 16, // characters (Unicode code points) in a label
  newLabels: 64, // labels the shipped model does not know, at most
  strokesPerExample: 100,
  pointsPerExample: 2000, // all strokes of one example together (the pad thins its strokes to fit)
  minNewLabelExamples: 3, // a new symbol is learnt from at least this many examples
  nesting: 7, // file → examples → example → strokes → stroke → points → point
  coordinateMin: -1, // x and y in pad sides: a stroke may leave the pad a little
  coordinateMax: 2,
  brushMin: 0.005, // the pen's width in pad sides (the page's slider covers 0.025 to 0.08)
  brushMax: 0.25,
  padSideMin: 16, // CSS pixels
  padSideMax: 4096,
  decimals: 4, // coordinates saved from the pad are rounded to 1/10,000 of its side
  // Personal words (Word mode): as many as a person could teach in years, each as long as
  // the word list's longest (pycnn.read.lexicon.MAX_WORD_CHARS), counted up to a million.
  words: 10_000,
  wordLength: 48,
  wordCount: 1_000_000,
});

const EXAMPLE_KEYS = ["label", "strokes", "pad_side", "created"];
const STROKE_KEYS = ["brush", "points"];
const FILE_KEYS = ["format", "version", "examples"];
const OPTIONAL_FILE_KEYS = ["words"];
const ISO_DATE = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d{1,9})?)?(Z|[+-]\d{2}:\d{2})$/;

/** A problem with an example or a file, as one sentence a person can act on. */
export class ExampleError extends Error {
  constructor(message) {
    super(message);
    this.name = "ExampleError";
  }
}

/** Why `label` can't be a label (a sentence), or null when it can. */
export function labelProblem(label) {
  if (typeof label !== "string") return "A label must be text.";
  if (label.length === 0 || label.trim().length === 0) return "The label is empty: type a character or a short name.";
  const length = [...label].length;
  if (length > LIMITS.labelLength) {
    return `“${[...label].slice(0, LIMITS.labelLength).join("")}…” is ${length} characters long; a label has at most ${LIMITS.labelLength}.`;
  }
  // What Python's str.isprintable() allows (pycnn.learn.examples checks it): no control, format or
  // unassigned characters, and no separator but the plain space.
  if (/[\p{C}\p{Zl}\p{Zp}]|(?! )\p{Zs}/u.test(label)) {
    return "A label can't contain control characters, line breaks or special spaces.";
  }
  if (label !== label.trim()) return "A label can't start or end with a space.";
  return null;
}

function isPlainObject(value) {
  return value !== null && typeof value === "object" && !Array.isArray(value) &&
    Object.getPrototypeOf(value) === Object.prototype;
}

// Refuses keys other than `allowed` and `optional`; names prototype tricks on their own.
function checkKeys(object, allowed, where, optional = []) {
  for (const key of Object.keys(object)) {
    if (key === "__proto__" || key === "constructor" || key === "prototype") {
      throw new ExampleError(`${where} has a key named “${key}”, which is not allowed.`);
    }
    if (!allowed.includes(key) && !optional.includes(key)) {
      throw new ExampleError(`${where} has an unknown field “${key.slice(0, 40)}”.`);
    }
  }
  for (const key of allowed) {
    if (!Object.prototype.hasOwnProperty.call(object, key)) throw new ExampleError(`${where} has no “${key}”.`);
  }
}

function finite(value) {
  return typeof value === "number" && Number.isFinite(value);
}

/** A clean copy of one example ({label, strokes, pad_side, created}), or an ExampleError
 * naming what is wrong. `where` names it in the sentence ("Example 3"). Accepts only plain
 * data: the copy shares nothing with `raw`. */
export function checkExample(raw, where = "The example") {
  if (!isPlainObject(raw)) throw new ExampleError(`${where} is not an object.`);
  checkKeys(raw, EXAMPLE_KEYS, where);
  const problem = labelProblem(raw.label);
  if (problem) throw new ExampleError(`${where}: ${problem}`);
  if (!finite(raw.pad_side) || raw.pad_side < LIMITS.padSideMin || raw.pad_side > LIMITS.padSideMax) {
    throw new ExampleError(`${where} has a pad_side that is not a size from ${LIMITS.padSideMin} to ${LIMITS.padSideMax} pixels.`);
  }
  if (typeof raw.created !== "string" || !ISO_DATE.test(raw.created) || Number.isNaN(Date.parse(raw.created))) {
    throw new ExampleError(`${where} has a “created” that is not an ISO 8601 date and time.`);
  }
  if (!Array.isArray(raw.strokes) || raw.strokes.length === 0) {
    throw new ExampleError(`${where} has no strokes: it is not a drawing.`);
  }
  if (raw.strokes.length > LIMITS.strokesPerExample) {
    throw new ExampleError(`${where} has ${raw.strokes.length} strokes; at most ${LIMITS.strokesPerExample} are allowed.`);
  }
  let points = 0;
  const strokes = raw.strokes.map((stroke, s) => {
    const at = `${where}, stroke ${s + 1},`;
    if (!isPlainObject(stroke)) throw new ExampleError(`${at} is not an object.`);
    checkKeys(stroke, STROKE_KEYS, at.slice(0, -1));
    if (!finite(stroke.brush) || stroke.brush < LIMITS.brushMin || stroke.brush > LIMITS.brushMax) {
      throw new ExampleError(`${at} has a brush width outside ${LIMITS.brushMin} to ${LIMITS.brushMax} of the pad.`);
    }
    if (!Array.isArray(stroke.points) || stroke.points.length === 0) throw new ExampleError(`${at} has no points.`);
    points += stroke.points.length;
    if (points > LIMITS.pointsPerExample) {
      throw new ExampleError(`${where} has more than ${LIMITS.pointsPerExample} points.`);
    }
    return {
      brush: stroke.brush,
      points: stroke.points.map((point) => {
        if (!Array.isArray(point) || point.length !== 2 || !finite(point[0]) || !finite(point[1])) {
          throw new ExampleError(`${at} has a point that is not two numbers.`);
        }
        if (Math.min(...point) < LIMITS.coordinateMin || Math.max(...point) > LIMITS.coordinateMax) {
          throw new ExampleError(`${at} has a point outside ${LIMITS.coordinateMin} to ${LIMITS.coordinateMax} pad sides.`);
        }
        return [point[0], point[1]];
      }),
    };
  });
  return { label: raw.label, strokes, pad_side: raw.pad_side, created: raw.created };
}

/** The deepest nesting of arrays and objects in JSON `text`, counted without parsing it, so a
 * hostile file of a million brackets never reaches JSON.parse's recursion. */
function nestingDepth(text, limit) {
  let depth = 0;
  let inString = false;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (inString) {
      if (c === 92) i++; // backslash: skip the escaped character
      else if (c === 34) inString = false;
    } else if (c === 34) {
      inString = true;
    } else if (c === 123 || c === 91) {
      if (++depth > limit) return depth;
    } else if (c === 125 || c === 93) {
      depth--;
    }
  }
  return depth;
}

/** Why `word` can't be a personal word (a sentence), or null when it can: the word reader
 * spells printable ASCII only (pycnn.read.lexicon's rule), and a word has no spaces. */
export function wordProblem(word) {
  if (typeof word !== "string") return "A word must be text.";
  if (word.length === 0) return "The word is empty: type the word you wrote.";
  if (/\s/u.test(word)) return `“${word.slice(0, LIMITS.wordLength)}” has a space in it: type one word at a time.`;
  if (word.length > LIMITS.wordLength) {
    return `“${word.slice(0, LIMITS.wordLength)}…” is ${word.length} characters long; a word has at most ${LIMITS.wordLength}.`;
  }
  // The printable characters other than the space: what the word model reads.
  if (!/^[!-~]+$/.test(word)) {
    return "A word can hold only the characters the reader knows: unaccented letters, digits and " +
      "printable ASCII marks, with no control characters.";
  }
  return null;
}

/** A clean copy of a list of personal words, [[word, count], ...] (the same word twice keeps
 * the larger count), or an ExampleError naming what is wrong. */
export function checkWords(raw, where = "The file's “words”") {
  if (!Array.isArray(raw)) throw new ExampleError(`${where} is not a list.`);
  if (raw.length > LIMITS.words) {
    throw new ExampleError(`${where} has ${raw.length} words; at most ${LIMITS.words} can be kept.`);
  }
  const counts = new Map();
  raw.forEach((entry, i) => {
    const at = `${where}, entry ${i + 1},`;
    if (!Array.isArray(entry) || entry.length !== 2) throw new ExampleError(`${at} is not a [word, count] pair.`);
    const [word, count] = entry;
    const problem = wordProblem(word);
    if (problem) throw new ExampleError(`${at.slice(0, -1)}: ${problem}`);
    if (!Number.isInteger(count) || count < 1 || count > LIMITS.wordCount) {
      throw new ExampleError(`${at} has a count that is not a whole number from 1 to ${LIMITS.wordCount}.`);
    }
    counts.set(word, Math.max(count, counts.get(word) || 0));
  });
  return [...counts];
}

/** Parse an examples file's text into clean examples, or throw an ExampleError with one
 * sentence. Checks everything before returning: the caller stores all or nothing. */
export function parseExamplesFile(text) {
  return parseExamplesAndWords(text).examples;
}

/** Parse an examples file's text: {examples, words: [[word, count], ...]} (no "words": []),
 * or an ExampleError with one sentence. Checks everything before returning. */
export function parseExamplesAndWords(text) {
  if (typeof text !== "string") throw new ExampleError("The file could not be read as text.");
  if (text.length > LIMITS.fileBytes) {
    throw new ExampleError(`The file is larger than ${LIMITS.fileBytes / 1024 / 1024} MB, the most an examples file may be.`);
  }
  if (nestingDepth(text, LIMITS.nesting) > LIMITS.nesting) {
    throw new ExampleError("The file is nested deeper than an examples file is: it is not one.");
  }
  let data;
  try {
    data = JSON.parse(text);
  } catch {
    throw new ExampleError("The file is not valid JSON, so it is not a pycnn examples file.");
  }
  if (!isPlainObject(data) || data.format !== FORMAT) {
    throw new ExampleError("This is not a pycnn examples file (its “format” is not “pycnn-examples”).");
  }
  if (!Number.isInteger(data.version) || data.version < 1) {
    throw new ExampleError("The file's “version” is not a version number.");
  }
  if (data.version > VERSION) {
    throw new ExampleError(`The file was made by a newer pycnn (examples version ${data.version}); this page reads version ${VERSION}.`);
  }
  checkKeys(data, FILE_KEYS, "The file", OPTIONAL_FILE_KEYS);
  if (!Array.isArray(data.examples)) throw new ExampleError("The file's “examples” is not a list.");
  if (data.examples.length > LIMITS.examples) {
    throw new ExampleError(`The file has ${data.examples.length} examples; at most ${LIMITS.examples} can be kept.`);
  }
  const words = "words" in data ? checkWords(data.words) : [];
  return { examples: data.examples.map((raw, i) => checkExample(raw, `Example ${i + 1}`)), words };
}

/** The file's text for `examples` (records with at least the schema's four fields) and the
 * personal `words` ([[word, count], ...]; left out of the file when there are none, so a
 * file without them is exactly what it was before Word mode). */
export function examplesFileText(examples, words = []) {
  const file = {
    format: FORMAT,
    version: VERSION,
    examples: examples.map(({ label, strokes, pad_side: side, created }) => ({
      label,
      strokes: strokes.map(({ brush, points }) => ({ brush, points })),
      pad_side: side,
      created,
    })),
  };
  if (words.length) file.words = words.map(([word, count]) => [word, count]);
  return JSON.stringify(file);
}

/** The same drawing of the same label made at the same time: an import of a file exported
 * from this device adds nothing twice. */
export function exampleKey({ label, strokes, created }) {
  return JSON.stringify([label, created, strokes.map(({ brush, points }) => [brush, points])]);
}

/** The parts of segment a→b inside the box [min, max]² (Liang–Barsky), or null. */
function clipSegment(a, b, min, max) {
  let t0 = 0;
  let t1 = 1;
  const d = [b[0] - a[0], b[1] - a[1]];
  for (let axis = 0; axis < 2; axis++) {
    for (const [p, q] of [[-d[axis], a[axis] - min], [d[axis], max - a[axis]]]) {
      if (p === 0) {
        if (q < 0) return null;
      } else if (p < 0) {
        t0 = Math.max(t0, q / p);
      } else {
        t1 = Math.min(t1, q / p);
      }
    }
  }
  if (t0 > t1) return null;
  const at = (t) => (t === 0 ? a : t === 1 ? b : [a[0] + t * d[0], a[1] + t * d[1]]);
  return [at(t0), at(t1)];
}

/** A stroke cut to the box the file allows: the parts outside it are dropped (their ink
 * could never reach the pad: the box reaches a whole pad side beyond it, the widest brush a
 * quarter), so one stroke may become several. */
export function clipStroke({ brush, points }) {
  const [min, max] = [LIMITS.coordinateMin, LIMITS.coordinateMax];
  const inside = ([x, y]) => x >= min && x <= max && y >= min && y <= max;
  if (points.every(inside)) return [{ brush, points: points.map((p) => [p[0], p[1]]) }];
  const pieces = [];
  let current = null;
  if (points.length === 1) return inside(points[0]) ? [{ brush, points: [points[0]] }] : [];
  for (let i = 1; i < points.length; i++) {
    const clipped = clipSegment(points[i - 1], points[i], min, max);
    if (!clipped) {
      current = null;
      continue;
    }
    const [from, to] = clipped;
    const joined = current && current.points[current.points.length - 1];
    if (!joined || joined[0] !== from[0] || joined[1] !== from[1]) {
      current = { brush, points: [from] };
      pieces.push(current);
    }
    current.points.push(to);
    if (to[0] !== points[i][0] || to[1] !== points[i][1]) current = null; // it left the box
  }
  return pieces;
}

/** Strokes with at most `budget` points in all: points closer than `step` (pad sides) to the
 * last one kept are dropped first (a fast mouse reports hundreds a second), then every n-th.
 * The ends of each stroke stay. */
function thinned(strokes, budget) {
  const count = () => strokes.reduce((n, s) => n + s.points.length, 0);
  for (let step = 0.002; count() > budget && step < 0.1; step *= 2) {
    strokes = strokes.map(({ brush, points }) => {
      const kept = [points[0]];
      for (let i = 1; i < points.length; i++) {
        const last = kept[kept.length - 1];
        if (i === points.length - 1 || Math.hypot(points[i][0] - last[0], points[i][1] - last[1]) >= step) {
          kept.push(points[i]);
        }
      }
      return { brush, points: kept };
    });
  }
  return strokes;
}

/** An example from the pad, so that it passes checkExample: strokes are copied, cut to the
 * box of LIMITS.coordinateMin..Max (a stroke may leave the pad far), thinned to
 * LIMITS.pointsPerExample and rounded to LIMITS.decimals. */
export function exampleFromPad({ label, strokes, padSide, input = null, source, now = new Date() }) {
  const scale = 10 ** LIMITS.decimals;
  const round = (v) => Math.round(v * scale) / scale;
  const clipped = thinned(strokes.flatMap(clipStroke), LIMITS.pointsPerExample);
  const example = {
    label,
    strokes: clipped.map(({ brush, points }) => ({ brush: round(brush), points: points.map(([x, y]) => [round(x), round(y)]) })),
    pad_side: Math.round(Math.min(LIMITS.padSideMax, Math.max(LIMITS.padSideMin, padSide))),
    created: now.toISOString(),
  };
  if (!example.strokes.length) throw new ExampleError("The drawing is all outside the pad: draw the character on it.");
  const clean = checkExample(example);
  return { ...clean, input: input ? Float32Array.from(input) : null, source };
}
