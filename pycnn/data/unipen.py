"""Load the UNIPEN stroke files and split them so that no writer crosses train/val/test.

The files and their format are described in data/unipen/README.md. They are read with
`numpy.load(path, allow_pickle=False)`: nothing is ever unpickled.

Writer-disjoint split
---------------------
Each sample carries its `writer`, the `.WRITER_ID` recorded with the ink. A data file is not a
writer: at several sites one person filled hundreds of files (site `apa`: 9 writers in 712
files), so the split is by this id and nothing else.

The shipped split is a table, `data/unipen/writer_split.json`, made once by
`python -m pycnn.data.unipen --write-split` from the alnum **and** symbols files together (168
of the symbol writers also wrote letters and digits), so a person is on one side of the split
whichever file their ink comes from. Writers are dealt largest first (ties in a seeded random
order), each to the split that most lacks samples of the sections that writer brings: the
greedy deal keeps every section near 80/10/10 even though one writer holds 4,885 samples and
another 20.

A stroke file whose writers are not all in the table (a file of your own, the tests' synthetic
ones) is dealt the same way on the spot. Files without a `writer` array fall back to writer ids
derived from the data file names (`writer_key`), and, without those, one "writer" per sample.
"""

import json
import os
import re
import zipfile

import numpy as np

ENV_VAR = "PYCNN_UNIPEN"
FILE_NAME = "unipen_alnum_strokes.npz"
SYMBOLS_FILE_NAME = "unipen_symbols_strokes.npz"
SPLIT_SEED = 20240603
SPLIT_FRACTIONS = (("train", 0.8), ("val", 0.1), ("test", 0.1))
SECTIONS = ("1a", "1b", "1c")
DATA_DIR = os.path.join(
    os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__)))), "data", "unipen"
)
SPLIT_TABLE = os.path.join(DATA_DIR, "writer_split.json")
SECTION_NAMES = {"1a": "digits", "1b": "uppercase", "1c": "lowercase"}
# EMNIST "byclass" order, used when a stroke file carries no `mapping`.
DEFAULT_MAPPING = tuple("0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz")

REQUIRED_ARRAYS = ("labels", "points", "stroke_offsets", "sample_stroke_offsets")


class DataFileError(Exception):
    """The stroke file is missing, unreadable, or not in the expected format."""


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


class StrokeData:
    """The samples of a stroke file (suspect ones dropped unless asked otherwise).

    Sample i (0 <= i < len(data)) has label `labels[i]` (index into `mapping`), `section[i]`,
    `source[i]`, writer `writers[i]` (the file's `writer` array) and strokes `strokes(i)`. Its
    points are the contiguous rows `points[point_start[i]:point_stop[i]]`; `connects_next[j]` says
    whether point j and j+1 belong to the same stroke (pen down between them).
    """

    def __init__(self, arrays, path="<memory>", drop_suspect=True):
        self.path = path
        n_total = len(arrays["labels"])
        keep = np.ones(n_total, dtype=bool)
        if drop_suspect and "suspect" in arrays:
            keep &= ~arrays["suspect"].astype(bool)
        self.original_index = np.flatnonzero(keep)
        self.n_suspect_dropped = int(n_total - keep.sum())

        self.mapping = np.asarray(arrays.get("mapping", np.array(DEFAULT_MAPPING)))
        self.labels = arrays["labels"].astype(np.int64)[keep]
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

        if "section" in arrays:
            self.section = arrays["section"].astype(str)[keep]
        else:
            self.section = _sections_from_labels(self.labels, self.mapping)
        if "source" in arrays:
            self.source = arrays["source"].astype(str)[keep]
        else:
            self.source = np.full(len(self.labels), "unknown")
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

    def __len__(self):
        return len(self.labels)

    def label_char(self, i):
        return str(self.mapping[self.labels[i]])

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


def _sections_from_labels(labels, mapping):
    chars = np.asarray(mapping).astype(str)[labels] if len(labels) else np.array([], dtype=str)
    section = np.full(len(labels), "1c", dtype="<U2")
    section[np.char.isdigit(chars)] = "1a"
    section[np.char.isupper(chars)] = "1b"
    return section


def _fail(path, problem):
    raise DataFileError("%s: %s" % (path, problem))


def load_unipen(path=None, drop_suspect=True):
    """Load a stroke file in the UNIPEN format of data/unipen/; raise DataFileError if unusable.

    path: defaults to `default_data_path()` ($PYCNN_UNIPEN, else data/unipen/ in the repository).
    Required arrays: labels, points, stroke_offsets, sample_stroke_offsets. Optional:
    mapping (default EMNIST byclass), section (default from the label), source, datfile and
    datfile_names (needed for the writer split), suspect (default none).
    """
    path = os.fspath(path) if path is not None else default_data_path()
    if not os.path.exists(path):
        _fail(path, "no such file (set %s or pass a path to the stroke .npz)" % ENV_VAR)
    if os.path.isdir(path):
        _fail(path, "is a directory, expected the stroke .npz file")
    try:
        archive = np.load(path, allow_pickle=False)
        if not isinstance(archive, np.lib.npyio.NpzFile):
            _fail(path, "holds a single array (.npy), expected an .npz archive of arrays")
        with archive:
            arrays = {name: archive[name] for name in archive.files}
    except DataFileError:
        raise
    except zipfile.BadZipFile as error:
        _fail(path, "not a readable .npz archive (truncated or corrupt zip: %s)" % error)
    except (ValueError, OSError, EOFError, KeyError) as error:
        _fail(path, "not a readable .npz archive of plain arrays (%s)" % error)
    except Exception as error:  # zlib.error and friends from a damaged member
        _fail(path, "damaged .npz archive (%s: %s)" % (type(error).__name__, error))
    _validate(path, arrays)
    return StrokeData(arrays, path=path, drop_suspect=drop_suspect)


def _validate(path, arrays):
    missing = [name for name in REQUIRED_ARRAYS if name not in arrays]
    if missing:
        _fail(
            path,
            "not a UNIPEN stroke file: missing array(s) %s (has: %s)"
            % (", ".join(missing), ", ".join(sorted(arrays)) or "nothing"),
        )
    labels, points = arrays["labels"], arrays["points"]
    strokes, samples = arrays["stroke_offsets"], arrays["sample_stroke_offsets"]
    for name in ("labels", "stroke_offsets", "sample_stroke_offsets", "datfile"):
        if name in arrays and arrays[name].dtype.kind not in "iu":
            _fail(path, "array %r must hold integers, has dtype %s" % (name, arrays[name].dtype))
    if points.ndim != 2 or points.shape[1] != 2 or points.dtype.kind not in "iuf":
        _fail(
            path, "points must be a numeric (P, 2) array, got %s %r" % (points.dtype, points.shape)
        )
    if labels.ndim != 1 or strokes.ndim != 1 or samples.ndim != 1:
        _fail(path, "labels, stroke_offsets and sample_stroke_offsets must be 1-D")
    n = len(labels)
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
    mapping = arrays.get("mapping", np.array(DEFAULT_MAPPING))
    if n and (labels.min() < 0 or labels.max() >= len(mapping)):
        _fail(path, "labels out of range 0..%d" % (len(mapping) - 1))
    for name in ("section", "source", "datfile", "suspect", "writer"):
        if name in arrays and arrays[name].shape != (n,):
            _fail(path, "%s has shape %r, expected (%d,)" % (name, arrays[name].shape, n))
    if "datfile" in arrays:
        if "datfile_names" not in arrays:
            _fail(path, "datfile is present without datfile_names")
        names = arrays["datfile_names"]
        if n and (arrays["datfile"].min() < 0 or arrays["datfile"].max() >= len(names)):
            _fail(path, "datfile indices out of range 0..%d" % (len(names) - 1))


def deal_writers(writers, sections, seed=SPLIT_SEED, fractions=SPLIT_FRACTIONS):
    """Deal writers into splits: {writer id: split name}.

    writers, sections: (N,) per-sample writer id and section. Largest writers first, ties in an
    order fixed by `seed`; each goes to the split furthest below its target share, measured
    in the sections the writer brings (each section's samples count as one unit).
    """
    names = [name for name, _ in fractions]
    targets = np.array([share for _, share in fractions], dtype=np.float64)
    targets = targets / targets.sum()
    writer_ids, writer_of_sample = np.unique(np.asarray(writers), return_inverse=True)
    section_ids, section_of_sample = np.unique(np.asarray(sections), return_inverse=True)
    per_writer = np.zeros((len(writer_ids), len(section_ids)))
    np.add.at(per_writer, (writer_of_sample.reshape(-1), section_of_sample.reshape(-1)), 1.0)
    share = per_writer / np.maximum(per_writer.sum(axis=0), 1.0)

    filled = np.zeros((len(names), len(section_ids)))
    tie_break = np.random.RandomState(seed).permutation(len(writer_ids))
    order = np.lexsort((tie_break, -per_writer.sum(axis=1)))
    dealt = {}
    for writer in order:
        lack = (targets[:, None] - filled) @ share[writer]
        choice = int(np.argmax(lack))
        dealt[str(writer_ids[writer])] = names[choice]
        filled[choice] += share[writer]
    return dealt


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


def write_split_table(paths, out=SPLIT_TABLE, seed=SPLIT_SEED):
    """Deal the writers of several stroke files together and save the table as JSON."""
    writers, sections, counts = [], [], {}
    for path in paths:
        data = load_unipen(path, drop_suspect=False)
        writers.append(np.asarray(data.writers).astype(str))
        sections.append(np.asarray(data.section).astype(str))
    writers, sections = np.concatenate(writers), np.concatenate(sections)
    dealt = deal_writers(writers, sections, seed=seed)
    splits = {name: sorted(w for w, s in dealt.items() if s == name) for name, _ in SPLIT_FRACTIONS}
    for name, ids in splits.items():
        chosen = np.isin(writers, ids)
        counts[name] = {
            str(section): int(np.sum(chosen & (sections == section)))
            for section in np.unique(sections)
        }
    table = {
        "about": "Writer-disjoint split of the UNIPEN stroke files; made by "
        "python -m pycnn.data.unipen --write-split (see pycnn/data/unipen.py).",
        "seed": seed,
        "files": [os.path.basename(str(p)) for p in paths],
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
    made = write_split_table([default_data_path(FILE_NAME), default_data_path(SYMBOLS_FILE_NAME)])
    for name, per_section in made["samples"].items():
        print(name, len(made["splits"][name]), "writers", per_section)
