"""Synthetic words: one writer's isolated characters (UNIPEN 1a-1c) set side by side.

The character files hold the digits, capitals and small letters of writers of whom the words
file has few or no words. A synthetic word takes a real word's text and spells it with one
writer's own characters, each a random sample of that character by that writer, at the size
the writer gave it (UNIPEN keeps tablet units: their "l" and "A" stand about 1.9 times their
"a"), so the word has that writer's letter shapes and proportions:

- the writer's x-height is the median height of their small letters without ascenders or
  descenders (X_HEIGHT_LETTERS);
- every character stands on one baseline (its ink box's bottom), except the descenders
  (DESCENDERS), whose top is put at the x-height instead;
- letters follow each other with a gap of GAP x-heights (a uniform draw per gap).

What it cannot make: joined (cursive) writing, and the way letters change shape inside a
word. `python -m pycnn.train --task words --synthetic N` adds N of these words, made from the
training writers' characters only, to the training words.
"""

import numpy as np

from .words import WordData

DESCENDERS = frozenset("gjpqy")
X_HEIGHT_LETTERS = frozenset("acemnorsuvwxz")
GAP = (0.15, 0.6)  # space between two letters, in x-heights
MIN_LETTERS = 20  # a writer with fewer distinct characters lends none
TRIES = 20  # texts tried per synthetic word before giving up on that writer's draw


def spellable(texts, alphabet):
    """The texts made only of characters in `alphabet` (a set)."""
    return [t for t in texts if t and set(t) <= alphabet]


def _boxes(chars):
    """Each character's ink box (x0, y0, x1, y1) in tablet units (y down)."""
    start, stop = chars.point_start, chars.point_stop
    boxes = np.zeros((len(start), 4))
    has = stop > start
    xy = chars.points.astype(np.float64)
    for i in np.flatnonzero(has):
        p = xy[start[i]:stop[i]]
        boxes[i] = (p[:, 0].min(), p[:, 1].min(), p[:, 0].max(), p[:, 1].max())
    return boxes, has


def writers_alphabets(chars, indices):
    """{(source, writer): {character: sample indices}} over the character samples `indices`
    that have ink, for the writers with at least MIN_LETTERS distinct characters and an
    x-height; and {(source, writer): x-height}."""
    boxes, has = _boxes(chars)
    sources = np.asarray(chars.source).astype(str)
    writers = np.asarray(chars.writers).astype(str)
    per_writer = {}
    for i in np.asarray(indices, dtype=np.int64):
        if has[i]:
            key = (sources[i], writers[i])
            per_writer.setdefault(key, {}).setdefault(chars.label_char(int(i)), []).append(int(i))
    alphabets, x_heights = {}, {}
    for key, samples in per_writer.items():
        heights = [boxes[i, 3] - boxes[i, 1] for c, found in samples.items()
                   if c in X_HEIGHT_LETTERS for i in found]
        if len(samples) >= MIN_LETTERS and heights and np.median(heights) > 0:
            alphabets[key] = samples
            x_heights[key] = float(np.median(heights))
    return alphabets, x_heights, boxes


def synthetic_word_arrays(chars, indices, texts, count, seed):
    """The arrays of a words file (`pycnn.data.words`) holding `count` synthetic words (fewer
    when no writer can spell any text), spelled from `texts` with the characters `indices`
    of `chars` (a `unipen.StrokeData`); seeded."""
    rng = np.random.RandomState(seed)
    alphabets, x_heights, boxes = writers_alphabets(chars, indices)
    keys = sorted(alphabets)
    texts = [str(t) for t in texts]
    words, out_text, out_writer, out_source = [], [], [], []
    for _ in range(count if keys else 0):
        key = keys[rng.randint(len(keys))]
        alphabet = alphabets[key]
        text = None
        for _try in range(TRIES):
            candidate = texts[rng.randint(len(texts))]
            if set(candidate) <= set(alphabet):
                text = candidate
                break
        if text is None:
            continue
        x_height = x_heights[key]
        cursor = 0.0
        strokes = []
        for char in text:
            found = alphabet[char]
            i = found[rng.randint(len(found))]
            x0, y0, x1, y1 = boxes[i]
            dy = -x_height - y0 if char in DESCENDERS else -y1
            dx = cursor - x0
            strokes += [stroke.astype(np.float64) + (dx, dy) for stroke in chars.strokes(i)]
            cursor += (x1 - x0) + rng.uniform(GAP[0], GAP[1]) * x_height
        words.append(strokes)
        out_text.append(text)
        out_source.append(key[0])
        out_writer.append(key[1])
    return _word_arrays(words, out_text, out_writer, out_source, ["7"] * len(words))


def _word_arrays(words, texts, writers, sources, sections):
    """The arrays of a words file holding these words: words[k] is word k's strokes (lists
    of (n, 2) points in tablet units, rounded to whole units)."""
    strokes = [stroke for word in words for stroke in word]
    return {
        "text": np.array(texts, dtype=str), "writer": np.array(writers, dtype=str),
        "source": np.array(sources, dtype=str), "section": np.array(sections, dtype=str),
        "points": (np.round(np.concatenate(strokes)) if strokes
                   else np.zeros((0, 2))).astype(np.int32),
        "stroke_offsets": np.concatenate([[0], np.cumsum([len(s) for s in strokes])])
        .astype(np.int64),
        "sample_stroke_offsets": np.concatenate([[0], np.cumsum([len(w) for w in words])])
        .astype(np.int64),
    }


def _clean_word_data(arrays, path):
    """A words.WordData of arrays whose texts are clean already: never unescaped twice."""
    data = WordData(arrays, path=path, keep_all=True)
    data.text = arrays["text"]
    return data


def synthetic_words(chars, indices, texts, count, seed):
    """`synthetic_word_arrays` as a `words.WordData`."""
    return _clean_word_data(synthetic_word_arrays(chars, indices, texts, count, seed),
                            "<synthetic words>")


def join_words(first, second):
    """One WordData holding the words of `first` and then those of `second` (their ink,
    texts, writers, sources and sections), for training on both."""
    both = (first, second)
    arrays = _word_arrays(
        [data.strokes(i) for data in both for i in range(len(data))],
        [t for data in both for t in data.text.tolist()],
        [w for data in both for w in np.asarray(data.writers).astype(str).tolist()],
        [s for data in both for s in np.asarray(data.source).astype(str).tolist()],
        [s for data in both for s in np.asarray(data.section).astype(str).tolist()])
    return _clean_word_data(arrays, "%s + %s" % (first.path, second.path))
