"""Load the UNIPEN stroke files and split them so that no writer crosses train/val/test.

The files and their format are described in data/unipen/README.md. They are read as hostile
input (`load_unipen`, which lists the limits): nothing is ever unpickled.

Writer-disjoint split
---------------------
Each sample carries its `writer`, the `.WRITER_ID` recorded with the ink. A data file is not a
writer: at several sites one person filled hundreds of files (site `apa`: 9 writers in 712
files), so the split is by this id, with a few ids of one person dealt as one (SAME_PERSON).

The shipped split is a table, `data/unipen/writer_split.json`, made by
`python -m pycnn.data.unipen --write-split` (`deal_files`). It covers the alnum, symbols and
words files, so a person is on one side of the split whichever file their ink comes from.
Writers are dealt largest first (ties in a seeded random order), each to the split that most
lacks samples of the sections that writer brings: the greedy deal keeps every section near
80/10/10 even though one writer holds 4,885 samples and another 20. The alnum and symbols
files are dealt first, together (168 of the symbol writers also wrote letters and digits),
exactly as before the words came: the character model was trained and tested on that split.
Then only the writers new in the words file are dealt; the 90 word writers who also wrote
characters keep their side, and their words count toward the 80/10/10 the new ones fill.

A stroke file whose writers are not all in the table (a file of your own, the tests' synthetic
ones) is dealt the same way on the spot. Files without a `writer` array fall back to writer ids
derived from the data file names (`writer_key`), and, without those, one "writer" per sample.
"""

import json
import os
import re

import numpy as np

from ..nn.serialize import printable, read_npz

ENV_VAR = "PYCNN_UNIPEN"
FILE_NAME = "unipen_alnum_strokes.npz"
SYMBOLS_FILE_NAME = "unipen_symbols_strokes.npz"
WORDS_FILE_NAME = "unipen_words_strokes.npz"
SPLIT_SEED = 20240603
SPLIT_FRACTIONS = (("train", 0.8), ("val", 0.1), ("test", 0.1))
SECTIONS = ("1a", "1b", "1c")
DATA_DIR = os.path.join(
    os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__)))), "data", "unipen"
)
SPLIT_TABLE = os.path.join(DATA_DIR, "writer_split.json")
SECTION_NAMES = {"1a": "digits", "1b": "uppercase", "1c": "lowercase", "1d": "symbols"}
# EMNIST "byclass" order, used when a stroke file carries no `mapping`.
DEFAULT_MAPPING = tuple("0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz")

# UNIPEN writes two symbols with a backslash escape; the labels here are the characters.
UNIPEN_ESCAPES = {'\\"': '"', "\\\\": "\\"}
NOT_CHARACTERS = ("\\@",)
_BACKSLASH_PAIR = re.compile(r"\\.", re.DOTALL)

REQUIRED_ARRAYS = ("labels", "points", "stroke_offsets", "sample_stroke_offsets")


class DataFileError(Exception):
    """The stroke file is missing, unreadable, or not in the expected format."""


def unescape(label, drop_tags=False):
    """A label as UNIPEN writes it -> the characters it stands for.

    `\\"` is the double quote and `\\\\` the backslash, wherever they occur (a symbol label is
    one of them, a word label may hold several). `\\@` is no character but site kai's tag for
    a ligature or delayed stroke (NOT_CHARACTERS): it is removed if `drop_tags`, else kept as
    it is, so that a caller can still recognise it. The label is read left to right, so
    `\\\\@` is a backslash followed by `@`, not a tag. Any other backslash pair stays as it is.
    """
    def one(match):
        pair = match.group(0)
        if pair in NOT_CHARACTERS:
            return "" if drop_tags else pair
        return UNIPEN_ESCAPES.get(pair, pair)

    return _BACKSLASH_PAIR.sub(one, label)


def default_data_path(file_name=FILE_NAME):
    """$PYCNN_UNIPEN if set (for the alnum file), else the copy the repository carries."""
    override = os.environ.get(ENV_VAR)
    if override and file_name == FILE_NAME:
        return override
    return os.path.join(DATA_DIR, file_name)


def writer_key(datfile_name):
    """A writer id guessed from a data file name such as 'data/1b/kai/kai0/hykim1.dat'.

    Only for stroke files without a `writer` array: file names over-split writers (the shared
    file gives 1,695 "writers" this way, where its `writer` array has 209).
    """
    parts = str(datfile_name).replace("\\", "/").split("/")
    if parts and parts[0] == "data":
        parts = parts[1:]
    if parts and parts[0] in SECTIONS:
        parts = parts[1:]
    if len(parts) < 2:
        return "/".join(parts)
    site, rest = parts[0], parts[1:]
    stem = re.sub(r"\.dat$", "", rest[-1], flags=re.IGNORECASE)
    if site in ("apa", "apb", "app"):
        return "apple/" + stem
    if site in ("cea", "ceb"):
        return "ce/" + stem
    if site == "art":
        return "art/" + re.sub(r"(trn|tst)$", "", stem)
    if site in ("kai", "mot"):
        return site + "/" + (re.sub(r"\d+$", "", stem) or stem)
    if site == "lav":
        return "lav/" + stem.split("_")[0]
    if site == "sie" and len(rest) >= 2:
        return "sie/" + rest[-2]
    if site == "syn":
        return "syn/" + stem.split("-dig")[0]
    if site == "val":
        match = re.match(r"[A-Za-z]+", stem)
        return "val/" + (match.group(0) if match else stem)
    return site + "/" + "/".join(rest[:-1] + [stem])


class InkData:
    """The pen-down ink of the samples a stroke file keeps (`keep`, a bool mask over the
    file's samples), shared by the character (StrokeData) and word (words.WordData) loaders.

    Sample i's points are the contiguous rows `points[point_start[i]:point_stop[i]]`;
    `connects_next[j]` says whether point j and j+1 belong to the same stroke (pen down
    between them). `original_index[i]` is the sample's index in the file.
    """

    def __init__(self, arrays, keep, path="<memory>"):
        self.path = path
        self.original_index = np.flatnonzero(keep)
        self.points = arrays["points"]
        stroke_offsets = arrays["stroke_offsets"].astype(np.int64)
        sample_offsets = arrays["sample_stroke_offsets"].astype(np.int64)
        self._stroke_offsets = stroke_offsets
        self._first_stroke = sample_offsets[:-1][keep]
        self._stop_stroke = sample_offsets[1:][keep]
        self.point_start = stroke_offsets[self._first_stroke]
        self.point_stop = stroke_offsets[self._stop_stroke]

        connects = np.ones(len(self.points), dtype=bool)
        stroke_ends = stroke_offsets[1:] - 1
        connects[stroke_ends[stroke_ends >= 0]] = False
        if len(connects):
            connects[-1] = False
        self.connects_next = connects

    def __len__(self):
        return len(self.original_index)

    def strokes(self, i):
        """Sample i's pen-down strokes: a list of float32 (n, 2) arrays of x, y (y down)."""
        bounds = self._stroke_offsets[self._first_stroke[i] : self._stop_stroke[i] + 1]
        return [
            self.points[a:b].astype(np.float32) for a, b in zip(bounds[:-1], bounds[1:]) if b > a
        ]

    def gather_points(self, indices):
        """Points of several samples, concatenated, for vectorised rendering.

        Returns (xy float64 (P, 2), connects_next bool (P,), sample_of_point int64 (P,) with
        values 0..len(indices)-1). The last point of each sample never connects onward.
        """
        indices = np.asarray(indices, dtype=np.int64).reshape(-1)
        start, stop = self.point_start[indices], self.point_stop[indices]
        counts = stop - start
        total = int(counts.sum())
        sample_of_point = np.repeat(np.arange(len(indices)), counts)
        first = np.cumsum(counts) - counts
        rows = np.arange(total) - np.repeat(first, counts) + np.repeat(start, counts)
        xy = self.points[rows].astype(np.float64)
        connects = self.connects_next[rows].copy()
        last = first + counts - 1
        connects[last[counts > 0]] = False
        return xy, connects, sample_of_point


class StrokeData(InkData):
    """The samples of a stroke file: those flagged `suspect` and those whose label is no
    character (NOT_CHARACTERS) are dropped, unless `keep_all_samples`. Labels written with a
    UNIPEN escape (`\\"`, `\\\\`) are the characters themselves in `mapping` (`unescape`).

    Sample i (0 <= i < len(data)) has label `labels[i]` (index into `mapping`), `section[i]`,
    `source[i]`, writer `writers[i]` (the file's `writer` array) and strokes `strokes(i)`; the
    ink itself is laid out as InkData says.
    """

    def __init__(self, arrays, path="<memory>", keep_all_samples=False):
        n_total = len(arrays["labels"])
        keep = np.ones(n_total, dtype=bool)
        if not keep_all_samples and "suspect" in arrays:
            keep &= ~arrays["suspect"].astype(bool)
        self.n_suspect_dropped = int(n_total - keep.sum())
        raw_mapping = [str(label) for label in arrays.get("mapping", np.array(DEFAULT_MAPPING))]
        # `\@` is not a character but site kai's tag for ligatures and stray strokes (the data
        # README): such samples are dropped, as suspect ones are. The mapping keeps the tag, so
        # label indices stay those of the file.
        tagged = np.array([label in NOT_CHARACTERS for label in raw_mapping], dtype=bool)
        not_character = tagged[arrays["labels"].astype(np.int64)] & keep
        if keep_all_samples:
            not_character[:] = False
        keep &= ~not_character
        self.n_not_characters_dropped = int(not_character.sum())
        InkData.__init__(self, arrays, keep, path)

        self.mapping = np.array([unescape(label) for label in raw_mapping])
        self.labels = arrays["labels"].astype(np.int64)[keep]
        if "section" in arrays:
            self.section = arrays["section"].astype(str)[keep]
        else:
            self.section = _sections_from_labels(self.labels, self.mapping)
        self.source = per_sample_strings(arrays, "source", keep, "unknown")
        if "writer" in arrays:
            self.writers = arrays["writer"].astype(str)[keep]
        elif "datfile" in arrays and "datfile_names" in arrays:
            names = arrays["datfile_names"].astype(str)
            datfile = arrays["datfile"].astype(np.int64)[keep]
            file_writers = np.array([writer_key(name) for name in names])
            self.writers = file_writers[datfile] if len(names) else self.source.copy()
        else:
            # Without writer ids or file names every sample is its own "writer": only a file
            # with either can be split by writer.
            self.writers = np.array(["sample%d" % i for i in self.original_index])

    def label_char(self, i):
        return str(self.mapping[self.labels[i]])


def per_sample_strings(arrays, name, keep, default):
    """The kept entries of the per-sample string array `name`, or `default` for each."""
    if name in arrays:
        return arrays[name].astype(str)[keep]
    return np.full(int(np.count_nonzero(keep)), default)


def combine(parts, mapping, path=None):
    """One StrokeData holding the samples of several, with labels indexing `mapping`.

    parts: loaded StrokeData (their dropped samples stay dropped); mapping: the class list of
    the result, which must hold every label of every part. Points keep their dtype, so the
    strokes are exactly those of the parts.
    """
    mapping = [str(label) for label in mapping]
    position = {label: i for i, label in enumerate(mapping)}
    arrays = {name: [] for name in ("labels", "points", "section", "source", "writer")}
    strokes_per_sample, connects_next = [], []
    for part in parts:
        chars = [str(c) for c in part.mapping[part.labels]]
        unknown = sorted(set(chars) - set(position))
        if unknown:
            _fail(part.path, "labels %s are not among the combined classes" % " ".join(unknown))
        xy, connects, sample_of_point = part.gather_points(np.arange(len(part)))
        arrays["labels"].append(np.array([position[c] for c in chars], dtype=np.int64))
        arrays["points"].append(xy.astype(part.points.dtype))
        # Every sample's last point ends a stroke, so stroke ends count strokes per sample.
        strokes_per_sample.append(np.bincount(sample_of_point[~connects], minlength=len(part)))
        connects_next.append(connects)
        arrays["section"].append(np.asarray(part.section).astype(str))
        arrays["source"].append(np.asarray(part.source).astype(str))
        arrays["writer"].append(np.asarray(part.writers).astype(str))
    combined = {name: np.concatenate(values) for name, values in arrays.items()}
    connects = np.concatenate(connects_next)
    combined["stroke_offsets"] = np.concatenate([[0], np.flatnonzero(~connects) + 1])
    combined["sample_stroke_offsets"] = np.concatenate(
        [[0], np.cumsum(np.concatenate(strokes_per_sample))]).astype(np.int64)
    combined["mapping"] = np.array(mapping)
    name = path or " + ".join(str(part.path) for part in parts)
    return StrokeData(combined, path=name, keep_all_samples=True)


def class_order(labels):
    """Labels in the order models use: digits, capitals, small letters, symbols (as in
    `pycnn.read.charsets`), then anything else in file order."""
    from ..read.charsets import DIGITS, LOWER, SYMBOLS, UPPER

    rank = {c: i for i, c in enumerate(DIGITS + UPPER + LOWER + SYMBOLS)}
    labels = list(dict.fromkeys(str(label) for label in labels))
    return sorted(labels, key=lambda c: (rank.get(c, len(rank)), labels.index(c)))


def load_stroke_files(paths):
    """One stroke file as `load_unipen` reads it, or several combined (`combine`), with the
    classes the samples use in `class_order`."""
    paths = [paths] if paths is None or isinstance(paths, (str, os.PathLike)) else list(paths)
    if len(paths) == 1:
        return load_unipen(paths[0])
    parts = [load_unipen(path) for path in paths]
    used = [str(c) for part in parts for c in part.mapping[np.unique(part.labels)]]
    return combine(parts, class_order(used))


def _sections_from_labels(labels, mapping):
    chars = np.asarray(mapping).astype(str)[labels] if len(labels) else np.array([], dtype=str)
    section = np.full(len(labels), "1c", dtype="<U2")
    section[np.char.isdigit(chars)] = "1a"
    section[np.char.isupper(chars)] = "1b"
    return section


def _fail(path, problem):
    raise DataFileError("%s: %s" % (printable(path), problem))


# Limits on a stroke file, all checked before a sample is used. For scale, the shared alnum
# file holds 28 MB of arrays and 3.9 million points; its largest sample has 693 points and
# 11 strokes, and no sample's ink is longer than 22 times the longest side of its box.
MAX_FILE_BYTES = 256 * 2 ** 20  # on disk
MAX_ARRAY_BYTES = 256 * 2 ** 20  # uncompressed, all arrays together
MAX_POINTS_PER_SAMPLE = 2000
MAX_STROKES_PER_SAMPLE = 100
# Pen-down path length over the longest side of the sample's box. Rendering densifies every
# segment to sub-pixel steps, so a sample that zigzags across its box thousands of times
# would become millions of points in memory.
MAX_INK_LENGTH = 100
MAX_COORDINATE = 1e9
MAX_CLASSES = 4096  # a model has at most this many outputs (pycnn.nn.serialize.MAX_UNITS)
_CHECK_CHUNK = 2 ** 20  # points measured at a time, so checking needs little memory


def load_unipen(path=None, keep_all_samples=False):
    """Load a stroke file in the UNIPEN format of data/unipen/; raise DataFileError if unusable.

    path: defaults to `default_data_path()` ($PYCNN_UNIPEN, else data/unipen/ in the repository).
    Required arrays: labels, points, stroke_offsets, sample_stroke_offsets. Optional:
    mapping (default EMNIST byclass), section (default from the label), source, datfile and
    datfile_names (needed for the writer split), suspect (default none).

    The file is treated as hostile: it is read by `pycnn.nn.serialize.read_npz` (a regular
    file of at most MAX_FILE_BYTES, plain .npy members of at most MAX_ARRAY_BYTES together,
    sizes checked before decompressing, never a pickle), and then every array is checked:
    dtypes and dimensions, offsets that start at 0, never decrease and end at the data's
    end (unsigned ones converted without wrapping), finite points within +-MAX_COORDINATE,
    labels within a mapping of distinct printable strings, at least one sample, and per
    sample at most MAX_POINTS_PER_SAMPLE (2,000) points, MAX_STROKES_PER_SAMPLE (100)
    strokes and ink at most MAX_INK_LENGTH (100) times the longest side of its box.
    """
    path = os.fspath(path) if path is not None else default_data_path()
    if not os.path.lexists(path):
        _fail(path, "no such file (set %s or pass a path to the stroke .npz)" % ENV_VAR)
    arrays = read_npz(path, DataFileError, MAX_FILE_BYTES, MAX_ARRAY_BYTES,
                      what="a stroke .npz file")
    _validate(path, arrays)
    data = StrokeData(arrays, path=path, keep_all_samples=keep_all_samples)
    if len(data) == 0:
        _fail(path, "all %d samples are marked suspect: nothing left to use"
              % data.n_suspect_dropped)
    return data


def _offsets(path, name, offsets):
    """Offsets as int64. Unsigned ones are range-checked first: a uint64 above 2**63 would
    wrap to a negative number, and uint64 differences never look negative."""
    if offsets.dtype.kind == "u" and offsets.size and offsets.max() > np.iinfo(np.int64).max:
        _fail(path, "%s holds an offset beyond 2**63" % name)
    return offsets.astype(np.int64)


def _validate(path, arrays):
    require_arrays(path, arrays, REQUIRED_ARRAYS, "a UNIPEN stroke file")
    labels = arrays["labels"]
    if labels.dtype.kind not in "iu":
        _fail(path, "array 'labels' must hold integers, has dtype %s" % labels.dtype)
    if labels.ndim != 1:
        _fail(path, "labels must be 1-D, has shape %r" % (labels.shape,))
    validate_ink(path, arrays, len(labels))
    mapping = arrays.get("mapping", np.array(DEFAULT_MAPPING))
    if mapping.ndim != 1 or mapping.dtype.kind != "U" or not 1 <= len(mapping) <= MAX_CLASSES:
        _fail(path, "mapping must be a list of 1 to %d strings, got %s %r"
              % (MAX_CLASSES, mapping.dtype, mapping.shape))
    names = [str(c) for c in mapping]
    if len(set(names)) != len(names) or not all(c and c.isprintable() for c in names):
        _fail(path, "mapping must hold distinct, non-empty, printable class names")
    if labels.min() < 0 or labels.max() >= len(mapping):
        _fail(path, "labels out of range 0..%d" % (len(mapping) - 1))


def require_arrays(path, arrays, names, what):
    """DataFileError unless every array in `names` is in `arrays`."""
    missing = [name for name in names if name not in arrays]
    if missing:
        _fail(
            path,
            "not %s: missing array(s) %s (has: %s)"
            % (what, ", ".join(missing), printable(", ".join(sorted(arrays))) or "nothing"),
        )


def validate_ink(path, arrays, n, max_points=MAX_POINTS_PER_SAMPLE,
                 max_strokes=MAX_STROKES_PER_SAMPLE, noun="sample"):
    """Check the ink of a file of `n` samples (characters or words) and its per-sample
    arrays; DataFileError with a sentence at the first problem.

    points, stroke_offsets and sample_stroke_offsets (required): dtypes and dimensions,
    offsets that start at 0, never decrease and end at the data's end (unsigned ones converted
    without wrapping), finite points within +-MAX_COORDINATE, at least one sample, and per
    sample at most `max_points` points, `max_strokes` strokes and ink at most MAX_INK_LENGTH
    times the longest side of its box. section, source, writer, datfile, suspect (optional):
    one entry per sample, of a string, integer or bool dtype as fits; strings ASCII if they
    are bytes. datfile: indices into datfile_names.
    """
    points = arrays["points"]
    for name in ("stroke_offsets", "sample_stroke_offsets", "datfile"):
        if name in arrays and arrays[name].dtype.kind not in "iu":
            _fail(path, "array %r must hold integers, has dtype %s" % (name, arrays[name].dtype))
    if points.ndim != 2 or points.shape[1] != 2 or points.dtype.kind not in "iuf":
        _fail(
            path, "points must be a numeric (P, 2) array, got %s %r" % (points.dtype, points.shape)
        )
    if arrays["stroke_offsets"].ndim != 1 or arrays["sample_stroke_offsets"].ndim != 1:
        _fail(path, "stroke_offsets and sample_stroke_offsets must be 1-D")
    if n == 0:
        _fail(path, "holds no samples")
    strokes = _offsets(path, "stroke_offsets", arrays["stroke_offsets"])
    samples = _offsets(path, "sample_stroke_offsets", arrays["sample_stroke_offsets"])
    if len(samples) != n + 1:
        _fail(path, "sample_stroke_offsets has %d entries, expected %d" % (len(samples), n + 1))
    if len(strokes) < 1:
        _fail(path, "stroke_offsets is empty")
    for name, offsets, end in (
        ("stroke_offsets", strokes, len(points)),
        ("sample_stroke_offsets", samples, len(strokes) - 1),
    ):
        if offsets[0] != 0 or offsets[-1] != end:
            _fail(
                path,
                "%s must run from 0 to %d, runs from %d to %d"
                % (name, end, offsets[0], offsets[-1]),
            )
        if np.any(np.diff(offsets) < 0):
            _fail(path, "%s decreases somewhere (offsets out of order)" % name)
    if points.size:
        if points.dtype.kind == "f" and not np.all(np.isfinite(points)):
            _fail(path, "points hold NaN or infinite coordinates")
        if float(points.min()) < -MAX_COORDINATE or float(points.max()) > MAX_COORDINATE:
            _fail(path, "points hold coordinates beyond +-%g" % MAX_COORDINATE)
    for name, kinds in (("section", "US"), ("source", "US"), ("writer", "US"),
                        ("datfile", "iu"), ("suspect", "biu")):
        if name in arrays and arrays[name].shape != (n,):
            _fail(path, "%s has shape %r, expected (%d,)" % (name, arrays[name].shape, n))
        if name in arrays and arrays[name].dtype.kind not in kinds:
            _fail(path, "%s has dtype %s" % (name, arrays[name].dtype))
    if "datfile" in arrays:
        if "datfile_names" not in arrays:
            _fail(path, "datfile is present without datfile_names")
        names = arrays["datfile_names"]
        if names.ndim != 1 or names.dtype.kind not in "US":
            _fail(path, "datfile_names must be a 1-D array of strings")
        if arrays["datfile"].min() < 0 or arrays["datfile"].max() >= len(names):
            _fail(path, "datfile indices out of range 0..%d" % (len(names) - 1))
    for name in ("section", "source", "writer", "datfile_names"):
        # Bytes become str as ASCII: anything else would raise UnicodeDecodeError later.
        if name in arrays and arrays[name].dtype.kind == "S" and arrays[name].size \
                and np.frombuffer(arrays[name].tobytes(), np.uint8).max() > 127:
            _fail(path, "%s holds bytes that are not ASCII" % name)
    _check_samples(path, points, strokes, samples, max_points, max_strokes, noun)


def _check_samples(path, points, stroke_offsets, sample_offsets, max_points, max_strokes, noun):
    """Per-sample limits: strokes, points, and ink length relative to the sample's box."""
    per_sample = np.diff(sample_offsets)
    worst = int(np.argmax(per_sample))
    if per_sample[worst] > max_strokes:
        _fail(path, "%s %d has %d strokes; the limit is %d"
              % (noun, worst, per_sample[worst], max_strokes))
    starts = stroke_offsets[sample_offsets[:-1]]
    stops = stroke_offsets[sample_offsets[1:]]
    counts = stops - starts
    worst = int(np.argmax(counts))
    if counts[worst] > max_points:
        _fail(path, "%s %d has %d points; the limit is %d"
              % (noun, worst, counts[worst], max_points))
    pen_down = np.ones(len(points), dtype=bool)  # point j joins point j + 1
    ends = stroke_offsets[1:] - 1
    pen_down[ends[ends >= 0]] = False
    first = 0
    while first < len(starts):
        last = max(int(np.searchsorted(stops, starts[first] + _CHECK_CHUNK, side="right")),
                   first + 1)
        begin, end = int(starts[first]), int(stops[last - 1])
        inked = np.flatnonzero(counts[first:last] > 0)
        if inked.size:
            # Samples with points tile [begin, end), so reduceat sums each one's own steps.
            at = starts[first:last][inked] - begin
            xy = points[begin:end].astype(np.float64)
            step = np.zeros(end - begin)
            step[:-1] = np.hypot(np.diff(xy[:, 0]), np.diff(xy[:, 1])) * pen_down[begin:end - 1]
            length = np.add.reduceat(step, at)
            extent = (np.maximum.reduceat(xy, at, axis=0)
                      - np.minimum.reduceat(xy, at, axis=0)).max(axis=1)
            bad = np.flatnonzero(length > MAX_INK_LENGTH * extent)
            if bad.size:
                i = first + int(inked[bad[0]])
                _fail(path, "%s %d's strokes are %.0f times as long as its bounding box; "
                      "the limit is %d (real characters and words stay under 25)"
                      % (noun, i, length[bad[0]] / extent[bad[0]], MAX_INK_LENGTH))
        first = last


# Writer ids that are, or may be, one person: each group is dealt as one writer. Every other
# id names one person (the same person at several sites has one id: `gb2911` at cea, ceb and
# cec). All of these are word writers (data/unipen/README.md says how they were found).
SAME_PERSON = (
    # apd: one name, numbered sessions.
    ("Chuck_Chaffee_1", "Chuck_Chaffee_2"),
    ("Eric_Behnke_1", "Eric_Behnke_2"),
    ("Mark_Pontarelli_1", "Mark_Pontarelli_2"),
    # ibm: initials, then a session number.
    ("bam11", "bam12"),
    # lex: the first letters of a surname, an initial, a session number. One surname with two
    # initials may be two people or one; kept together, which costs nothing if they are two.
    ("phamd1", "phamn1"),
    ("robie1", "robip1"),
    ("rounc1", "rounp1"),
)
_PERSON = {writer: group[0] for group in SAME_PERSON for writer in group}


def deal_writers(writers, sections, seed=SPLIT_SEED, fractions=SPLIT_FRACTIONS, fixed=None):
    """Deal writers into splits: {writer id: split name} for every writer in `writers`.

    writers, sections: (N,) per-sample writer id and section. Largest writers first, ties in an
    order fixed by `seed`; each goes to the split furthest below its target share, measured
    in the sections the writer brings (each section's samples count as one unit). The ids of
    a SAME_PERSON group are dealt as one writer.

    fixed: {writer id: split} of writers whose side is already decided (by another file);
    those among `writers` keep it, and their samples count toward the shares before anyone
    else is dealt, so the others are dealt to bring every split to its target.
    """
    names = [name for name, _ in fractions]
    targets = np.array([share for _, share in fractions], dtype=np.float64)
    targets = targets / targets.sum()
    writers = np.asarray(writers).astype(str)
    people = np.array([_PERSON.get(writer, writer) for writer in writers.tolist()])
    person_ids, person_of_sample = np.unique(people, return_inverse=True)
    section_ids, section_of_sample = np.unique(np.asarray(sections), return_inverse=True)
    per_person = np.zeros((len(person_ids), len(section_ids)))
    np.add.at(per_person, (person_of_sample.reshape(-1), section_of_sample.reshape(-1)), 1.0)
    share = per_person / np.maximum(per_person.sum(axis=0), 1.0)

    decided = {}
    for writer, split in (fixed or {}).items():
        person = _PERSON.get(str(writer), str(writer))
        if decided.setdefault(person, split) != split:
            raise ValueError("writers of one person are fixed to different splits: %s"
                             % ", ".join(w for w in fixed if _PERSON.get(w, w) == person))
    filled = np.zeros((len(names), len(section_ids)))
    for person in np.flatnonzero([str(p) in decided for p in person_ids]):
        filled[names.index(decided[str(person_ids[person])])] += share[person]
    tie_break = np.random.RandomState(seed).permutation(len(person_ids))
    order = np.lexsort((tie_break, -per_person.sum(axis=1)))
    for person in order:
        key = str(person_ids[person])
        if key in decided:
            continue
        lack = (targets[:, None] - filled) @ share[person]
        choice = int(np.argmax(lack))
        decided[key] = names[choice]
        filled[choice] += share[person]
    return {writer: decided[_PERSON.get(writer, writer)] for writer in np.unique(writers).tolist()}


def load_split_table(path=SPLIT_TABLE):
    """The shipped {writer id: split} table, or {} if the file is absent."""
    if not os.path.exists(path):
        return {}
    with open(path, encoding="utf-8") as handle:
        table = json.load(handle)
    return {str(writer): str(split) for split, ids in table["splits"].items() for writer in ids}


def writer_split(data, seed=SPLIT_SEED, fractions=SPLIT_FRACTIONS, table=None):
    """Writer-disjoint split: {'train': indices, 'val': indices, 'test': indices}.

    The shipped table decides when it knows every writer of `data`; otherwise the writers of
    `data` are dealt on the spot (`deal_writers`). Every sample is in exactly one split, and
    indices are sorted. See the module docstring.
    """
    names = [name for name, _ in fractions]
    table = load_split_table() if table is None else table
    writers = np.asarray(data.writers).astype(str)
    if not (table and all(writer in table for writer in np.unique(writers))):
        table = deal_writers(writers, data.section, seed=seed, fractions=fractions)
    split_of_sample = np.array([table[writer] for writer in writers], dtype=object)
    return {name: np.flatnonzero(split_of_sample == name) for name in names}


def deal_files(character_data, word_data=(), seed=SPLIT_SEED):
    """{writer id: split} over stroke files loaded with every sample (`keep_all_samples`).

    The character files (StrokeData) are dealt together, exactly as they were before words
    came: the character model was trained and tested on that split. Then the word files
    (words.WordData) are dealt, with every writer already placed keeping its side: only
    writers new in them are dealt, largest first, toward 80/10/10 of the words."""
    writers = [np.asarray(data.writers).astype(str) for data in character_data]
    sections = [np.asarray(data.section).astype(str) for data in character_data]
    dealt = deal_writers(np.concatenate(writers), np.concatenate(sections), seed=seed)
    if word_data:
        writers = np.concatenate([np.asarray(data.writers).astype(str) for data in word_data])
        sections = np.concatenate([np.asarray(data.section).astype(str) for data in word_data])
        dealt.update(deal_writers(writers, sections, seed=seed, fixed=dealt))
    return dealt


def write_split_table(paths, out=SPLIT_TABLE, seed=SPLIT_SEED, word_paths=()):
    """Deal the writers of several stroke files (`deal_files`) and save the table as JSON.

    Every sample of the files counts, suspect and tagged ones too, so the deal does not move
    when a loader's idea of a usable sample changes."""
    from .words import load_words

    character_data = [load_unipen(path, keep_all_samples=True) for path in paths]
    word_data = [load_words(path, keep_all=True) for path in word_paths]
    dealt = deal_files(character_data, word_data, seed=seed)
    everything = list(character_data) + list(word_data)
    writers = np.concatenate([np.asarray(data.writers).astype(str) for data in everything])
    sections = np.concatenate([np.asarray(data.section).astype(str) for data in everything])
    splits = {name: sorted(w for w, s in dealt.items() if s == name) for name, _ in SPLIT_FRACTIONS}
    counts = {}
    for name, ids in splits.items():
        chosen = np.isin(writers, ids)
        counts[name] = {
            str(section): int(np.sum(chosen & (sections == section)))
            for section in np.unique(sections)
        }
    table = {
        "about": "Writer-disjoint split of the UNIPEN stroke files; made by "
        "python -m pycnn.data.unipen --write-split (see pycnn/data/unipen.py). samples: "
        "per split and section (1a-1d characters, 6 and 7 words), every sample counted.",
        "seed": seed,
        "files": [os.path.basename(str(p)) for p in list(paths) + list(word_paths)],
        "samples": counts,
        "splits": splits,
    }
    tmp = str(out) + ".tmp"
    with open(tmp, "w", encoding="utf-8") as handle:
        json.dump(table, handle, indent=1, sort_keys=True)
        handle.write("\n")
    os.replace(tmp, out)
    return table


if __name__ == "__main__":
    import sys

    if sys.argv[1:] != ["--write-split"]:
        sys.exit("usage: python -m pycnn.data.unipen --write-split")
    made = write_split_table([default_data_path(FILE_NAME), default_data_path(SYMBOLS_FILE_NAME)],
                             word_paths=[default_data_path(WORDS_FILE_NAME)])
    for name, per_section in made["samples"].items():
        print(name, len(made["splits"][name]), "writers", per_section)
