"""Stroke loading, the writer-disjoint split, rendering like the page, augmentation, batches."""

import os

import numpy as np
import pytest

from pycnn.data import unipen
from pycnn.data.augment import augment_strokes
from pycnn.data.dataset import render_batch
from pycnn.data.render import rasterize, render_strokes
from pycnn.data.unipen import DataFileError, load_unipen, writer_key, writer_split
from pycnn.read.preprocess import preprocess_ink


def stroke_arrays(n_writers=12, per_writer=5, seed=0):
    """A small stroke file in the shared format: each writer has one file per section."""
    rng = np.random.default_rng(seed)
    names, labels, sections, sources, datfiles, suspect = [], [], [], [], [], []
    points, stroke_offsets, sample_offsets = [], [0], [0]
    for writer in range(n_writers):
        for section, first_label in (("1a", 0), ("1b", 10), ("1c", 36)):
            names.append("data/%s/ced/w%03d_s.dat" % (section, writer))
            for _ in range(per_writer):
                for _stroke in range(int(rng.integers(1, 3))):
                    n_points = int(rng.integers(1, 8))
                    points.append(rng.integers(-500, 3000, size=(n_points, 2)))
                    stroke_offsets.append(stroke_offsets[-1] + n_points)
                sample_offsets.append(len(stroke_offsets) - 1)
                labels.append(first_label + int(rng.integers(0, 10)))
                sections.append(section)
                sources.append("ced")
                datfiles.append(len(names) - 1)
                suspect.append(rng.random() < 0.1)
    return {
        "labels": np.array(labels, dtype=np.uint8),
        "mapping": np.array(list(unipen.DEFAULT_MAPPING)),
        "section": np.array(sections),
        "source": np.array(sources),
        "datfile": np.array(datfiles, dtype=np.int32),
        "datfile_names": np.array(names),
        "points": np.concatenate(points).astype(np.int16),
        "stroke_offsets": np.array(stroke_offsets, dtype=np.int64),
        "sample_stroke_offsets": np.array(sample_offsets, dtype=np.int64),
        "suspect": np.array(suspect),
    }


@pytest.fixture
def stroke_file(tmp_path):
    path = tmp_path / "strokes.npz"
    np.savez_compressed(path, **stroke_arrays())
    return path


@pytest.fixture(scope="module")
def shared_data(unipen_path):
    return load_unipen(unipen_path)


# --- loading ------------------------------------------------------------------------------


def test_loads_a_stroke_file_and_drops_suspect_samples(stroke_file):
    arrays = stroke_arrays()
    data = load_unipen(stroke_file)
    keep = np.flatnonzero(~arrays["suspect"])
    assert len(data) == len(keep) and data.n_suspect_dropped == arrays["suspect"].sum() > 0
    np.testing.assert_array_equal(data.labels, arrays["labels"][keep])
    # Strokes of a kept sample are its rows of `points`, one array per stroke.
    i = 3
    original = keep[i]
    first, stop = arrays["sample_stroke_offsets"][original : original + 2]
    expected = [
        arrays["points"][arrays["stroke_offsets"][k] : arrays["stroke_offsets"][k + 1]]
        for k in range(first, stop)
    ]
    got = data.strokes(i)
    assert len(got) == len(expected)
    for a, b in zip(got, expected):
        assert a.dtype == np.float32
        np.testing.assert_array_equal(a, b)


def test_gather_points_marks_stroke_and_sample_ends(stroke_file):
    data = load_unipen(stroke_file)
    xy, connects, owner = data.gather_points([4, 0, 7])
    for position, i in enumerate([4, 0, 7]):
        mine = owner == position
        strokes = data.strokes(i)
        np.testing.assert_array_equal(xy[mine], np.concatenate(strokes))
        expected = np.concatenate([np.arange(len(s)) < len(s) - 1 for s in strokes])
        np.testing.assert_array_equal(connects[mine], expected)


def test_default_path_is_the_copy_in_the_repository_unless_overridden(monkeypatch, tmp_path):
    monkeypatch.delenv(unipen.ENV_VAR, raising=False)
    path = unipen.default_data_path()
    repo = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    assert path == os.path.join(repo, "data", "unipen", "unipen_alnum_strokes.npz")
    assert os.path.exists(path)
    symbols = unipen.default_data_path(unipen.SYMBOLS_FILE_NAME)
    assert symbols == os.path.join(repo, "data", "unipen", "unipen_symbols_strokes.npz")
    assert os.path.exists(symbols)
    monkeypatch.setenv(unipen.ENV_VAR, str(tmp_path / "elsewhere.npz"))
    assert unipen.default_data_path() == str(tmp_path / "elsewhere.npz")
    with pytest.raises(DataFileError, match="elsewhere.npz: no such file"):
        load_unipen()


def test_missing_file_is_a_clear_error(tmp_path):
    with pytest.raises(DataFileError, match="no such file"):
        load_unipen(tmp_path / "absent.npz")
    with pytest.raises(DataFileError, match="is a folder"):
        load_unipen(tmp_path)


def test_truncated_file_is_a_clear_error(tmp_path, stroke_file):
    whole = stroke_file.read_bytes()
    for cut in (len(whole) // 2, len(whole) - 30):
        truncated = tmp_path / ("truncated%d.npz" % cut)
        truncated.write_bytes(whole[:cut])
        with pytest.raises(DataFileError, match="truncated or corrupt"):
            load_unipen(truncated)


def test_foreign_files_are_clear_errors(tmp_path):
    text = tmp_path / "notes.npz"
    text.write_text("these are not strokes\n" * 20)
    with pytest.raises(DataFileError, match="not an .npz archive"):
        load_unipen(text)

    single = tmp_path / "single.npy"
    np.save(single, np.arange(10))
    with pytest.raises(DataFileError, match="single .npy array"):
        load_unipen(single)

    other = tmp_path / "other.npz"
    np.savez(other, weights=np.zeros(3))
    with pytest.raises(DataFileError, match="missing array.*labels.*points"):
        load_unipen(other)

    pickled = tmp_path / "pickled.npz"
    arrays = stroke_arrays()
    arrays["labels"] = np.array([{"a": 1}] * len(arrays["labels"]), dtype=object)
    np.savez(pickled, **arrays)
    with pytest.raises(DataFileError, match="Python objects.*pickle"):
        load_unipen(pickled)


@pytest.mark.parametrize(
    "change, message",
    [
        (lambda a: a.update(points=a["points"][:, :1]), "points must be a numeric \\(P, 2\\)"),
        (lambda a: a.update(stroke_offsets=a["stroke_offsets"] + 1), "stroke_offsets must run"),
        (
            lambda a: a.update(sample_stroke_offsets=a["sample_stroke_offsets"][:-3]),
            "sample_stroke_offsets has",
        ),
        (lambda a: a["stroke_offsets"].__setitem__(5, 10**6), "offsets out of order"),
        (lambda a: a["labels"].__setitem__(0, 99), "labels out of range"),
        (lambda a: a["datfile"].__setitem__(0, 10**4), "datfile indices out of range"),
        (lambda a: a.update(section=a["section"][:5]), "section has shape"),
    ],
)
def test_inconsistent_arrays_are_clear_errors(tmp_path, change, message):
    arrays = stroke_arrays()
    change(arrays)
    path = tmp_path / "bad.npz"
    np.savez(path, **arrays)
    with pytest.raises(DataFileError, match=message):
        load_unipen(path)


def test_minimal_file_without_optional_arrays_loads(tmp_path):
    arrays = stroke_arrays()
    path = tmp_path / "minimal.npz"
    np.savez(path, **{k: arrays[k] for k in unipen.REQUIRED_ARRAYS})
    data = load_unipen(path)
    assert len(data) == len(arrays["labels"])
    expected = np.where(arrays["labels"] < 10, "1a", np.where(arrays["labels"] < 36, "1b", "1c"))
    np.testing.assert_array_equal(data.section, expected)


# --- writers and the split ----------------------------------------------------------------


@pytest.mark.parametrize(
    "name, writer",
    [
        ("data/1a/ced/aaaa9018_s_2h.dat", "ced/aaaa9018_s_2h"),
        ("data/1c/ced/aaaa9018_s_2h.dat", "ced/aaaa9018_s_2h"),
        ("data/1a/apb/apb02/app0237.dat", "apple/app0237"),
        ("data/1c/app/app02/app0237.dat", "apple/app0237"),
        ("data/1b/cea/Balgi.dat", "ce/Balgi"),
        ("data/1c/ceb/Balgi.dat", "ce/Balgi"),
        ("data/1b/art/art01tst.dat", "art/art01"),
        ("data/1c/art/art01trn.dat", "art/art01"),
        ("data/1b/kai/kai0/hykim1.dat", "kai/hykim"),
        ("data/1c/kai/kai1/hykim5.dat", "kai/hykim"),
        ("data/1c/lav/lav3/cl_0001.dat", "lav/cl"),
        ("data/1c/sie/char/gsaa/gsaa4501.dat", "sie/gsaa"),
        ("data/1a/syn/syn1/bek-dig2.dat", "syn/bek"),
        ("data/1b/val/yannis4a.dat", "val/yannis"),
        ("data/1a/ibm/ibm0/r0007.dat", "ibm/ibm0/r0007"),
    ],
)
def test_writer_key_from_file_names(name, writer):
    assert writer_key(name) == writer


def check_split(data, split):
    assert list(split) == ["train", "val", "test"]
    together = np.concatenate(list(split.values()))
    np.testing.assert_array_equal(np.sort(together), np.arange(len(data)))  # each sample once
    writers = [set(data.writers[idx]) for idx in split.values()]
    assert not (writers[0] & writers[1]) and not (writers[0] & writers[2])
    assert not (writers[1] & writers[2])


def test_split_of_a_small_file_is_writer_disjoint_and_seeded(stroke_file):
    data = load_unipen(stroke_file)
    split = writer_split(data, seed=3)
    check_split(data, split)
    again = writer_split(load_unipen(stroke_file), seed=3)
    for name in split:
        np.testing.assert_array_equal(split[name], again[name])
    # A writer's digits and letters (separate files) stay together.
    assert len(set(data.writers)) == 12
    assert all(len(idx) > 0 for idx in split.values())


def test_split_of_the_shared_data(shared_data):
    data = shared_data
    assert not data.labels.size or data.n_suspect_dropped == 112
    # Writers are the file's `writer` array (.WRITER_ID), not guesses from file names.
    assert len(set(data.writers)) == 209
    split = writer_split(data)
    check_split(data, split)
    again = writer_split(data)
    assert all(np.array_equal(split[k], again[k]) for k in split)
    # The shipped table decides, so a seed changes nothing for the shipped data...
    reseeded = writer_split(data, seed=unipen.SPLIT_SEED + 1)
    assert all(np.array_equal(split[k], reseeded[k]) for k in split)
    # ...and dealing on the spot with another seed would give another split.
    other = writer_split(data, seed=unipen.SPLIT_SEED + 1, table={})
    assert not np.array_equal(split["test"], other["test"])
    for section in unipen.SECTIONS:
        total = (data.section == section).sum()
        shares = [(data.section[idx] == section).sum() / total for idx in split.values()]
        assert shares[0] == pytest.approx(0.8, abs=0.03)
        assert shares[1] == pytest.approx(0.1, abs=0.03)
        assert shares[2] == pytest.approx(0.1, abs=0.03)
    # Site apa's 712 data files hold 9 writers: each writer is on one side only.
    apa = data.source == "apa"
    assert len(set(data.writers[apa])) == 9


def test_split_table_is_what_the_deal_gives_and_spans_both_files(shared_data, tmp_path):
    symbols = load_unipen(unipen.default_data_path(unipen.SYMBOLS_FILE_NAME))
    table = unipen.load_split_table()
    characters = set(shared_data.writers) | set(symbols.writers)
    assert characters <= set(table)  # the words file's writers are in it too
    remade = unipen.write_split_table(
        [unipen.default_data_path(), unipen.default_data_path(unipen.SYMBOLS_FILE_NAME)],
        out=tmp_path / "split.json",
    )
    # Dealt alone, the character files give exactly the characters' part of the shipped table:
    # dealing the words after them moved no one (tests/test_words_data.py checks the rest).
    assert unipen.load_split_table(tmp_path / "split.json") == {w: table[w] for w in characters}
    assert remade["samples"]["test"]["1d"] > 900
    # A person who wrote letters and symbols is on the same side in both files.
    by_file = [writer_split(shared_data), writer_split(symbols)]
    sides = [{name: set(data.writers[idx]) for name, idx in split.items()}
             for data, split in zip((shared_data, symbols), by_file)]
    for name in ("train", "val", "test"):
        for other in ("train", "val", "test"):
            if other != name:
                assert not sides[0][name] & sides[1][other]


# --- rendering ----------------------------------------------------------------------------


def distance_to_segment(shape, a, b):
    rows, cols = np.indices(shape)
    p = np.stack([cols + 0.5, rows + 0.5], axis=-1)
    a, b = np.asarray(a, float), np.asarray(b, float)
    t = np.clip(((p - a) @ (b - a)) / ((b - a) @ (b - a)), 0.0, 1.0)
    return np.linalg.norm(p - (a + t[..., None] * (b - a)), axis=-1)


@pytest.mark.parametrize("a, b", [((50, 100), (150, 100)), ((40.3, 60.7), (150.2, 140.9))])
def test_straight_stroke_has_the_line_width_and_round_caps(a, b):
    width = 20.0
    alpha = rasterize(np.array([a, b]), np.array([True, False]), np.zeros(2, int), 1, 200, width)[0]
    distance = distance_to_segment(alpha.shape, a, b)
    assert alpha[distance < width / 2 - 0.5].min() > 0.98
    assert alpha[distance > width / 2 + 0.5].max() == 0.0
    edge = alpha[np.abs(distance - width / 2) < 0.2]
    assert 0.3 < edge.mean() < 0.7  # anti-aliased edge
    # Round cap: the disc past the end point is inked, a square cap's corner is not.
    direction = (np.array(b) - np.array(a)) / np.linalg.norm(np.subtract(b, a))
    normal = np.array([-direction[1], direction[0]])
    beyond = np.array(b) + direction * 7.0
    corner = np.array(b) + direction * 8.5 + normal * 8.5
    assert alpha[int(beyond[1]), int(beyond[0])] > 0.9
    assert alpha[int(corner[1]), int(corner[0])] == 0.0


def test_render_strokes_uses_the_page_line_width_and_fill():
    size, fraction = 280, 0.045
    alpha = render_strokes([np.array([[0, 0], [1000, 0]])], pad_size=size, fill=0.5)
    column = alpha[:, size // 2]
    assert column.sum() == pytest.approx(size * fraction, abs=0.15)  # thickness = S * f
    row = alpha[size // 2 - 1 : size // 2 + 1].max(axis=0)
    inked = np.flatnonzero(row > 0.5)
    assert inked[-1] - inked[0] + 1 == pytest.approx(size * 0.5 + size * fraction, abs=2)


def test_one_point_stroke_is_a_dot_of_the_line_width():
    size = 300
    alpha = render_strokes([np.array([[12, 34]])], pad_size=size, line_width_fraction=0.05)
    assert alpha.sum() == pytest.approx(np.pi * (size * 0.05 / 2) ** 2, rel=0.02)
    out = preprocess_ink(alpha)
    assert out.shape == (28, 28) and np.isfinite(out).all()


def test_huge_and_negative_coordinates_render_like_small_ones():
    small = [np.array([[0.0, 0.0], [10.0, 30.0]]), np.array([[10.0, 0.0], [0.0, 25.0]])]
    shifted = [s * 5000.0 - 1e6 for s in small]
    a = render_strokes(small, pad_size=120)
    b = render_strokes(shifted, pad_size=120)
    np.testing.assert_allclose(a, b, atol=1e-3)
    np.testing.assert_allclose(preprocess_ink(a), preprocess_ink(b), atol=1e-3)


def test_canvas_clips_ink_outside_the_pad():
    alpha = rasterize(
        np.array([[-50.0, 10.0], [150.0, 10.0]]),
        np.array([True, False]),
        np.zeros(2, int),
        1,
        40,
        6,
    )[0]
    assert alpha.shape == (40, 40)
    assert alpha[10, 0] > 0.98 and alpha[10, -1] > 0.98 and alpha[30].max() == 0


# --- augmentation and batches -------------------------------------------------------------


def test_augmentation_is_seeded_and_changes_the_drawing():
    strokes = [np.array([[0, 0], [10, 40], [20, 0]]), np.array([[5, 20], [15, 20]])]
    one = augment_strokes(strokes, np.random.default_rng(5))
    two = augment_strokes(strokes, np.random.default_rng(5))
    other = augment_strokes(strokes, np.random.RandomState(6))
    assert [len(s) for s in one] == [3, 2]
    for a, b in zip(one, two):
        np.testing.assert_array_equal(a, b)
    assert any(not np.allclose(a, b) for a, b in zip(one, other))


def test_render_batch_shapes_and_canonical_rendering(stroke_file):
    data = load_unipen(stroke_file)
    indices = np.array([0, 5, 9, 2])
    images, labels = render_batch(data, indices)
    assert images.shape == (4, 1, 28, 28) and images.dtype == np.float32
    np.testing.assert_array_equal(labels, data.labels[indices])
    assert labels.dtype == np.int64
    again, _ = render_batch(data, indices[::-1])
    np.testing.assert_array_equal(images, again[::-1])  # each sample renders on its own
    single = render_strokes(data.strokes(5), pad_size=96)
    np.testing.assert_allclose(
        images[1, 0], preprocess_ink(np.round(single * 255) / 255), atol=1e-5
    )


def test_augmented_batches_are_deterministic_and_differ_from_canonical(stroke_file):
    data = load_unipen(stroke_file)
    indices = np.arange(12)
    plain, _ = render_batch(data, indices)
    one, _ = render_batch(data, indices, rng=7, augment=True)
    two, _ = render_batch(data, indices, rng=np.random.default_rng(7), augment=True)
    other, _ = render_batch(data, indices, rng=8, augment=True)
    np.testing.assert_array_equal(one, two)
    assert np.abs(one - plain).mean() > 0.01
    assert np.abs(one - other).mean() > 0.01
    with pytest.raises(ValueError, match="rng"):
        render_batch(data, indices, augment=True)


def test_shared_data_renders_centred_inputs(shared_data):
    indices = np.linspace(0, len(shared_data) - 1, 64).astype(int)
    images, labels = render_batch(shared_data, indices, rng=0, augment=True)
    assert np.isfinite(images).all() and (images.max(axis=(1, 2, 3)) > 0.99).all()
    mass = images.sum(axis=(1, 2, 3))
    rows = np.arange(28) + 0.5
    centre_y = (images.sum(axis=(1, 3)) * rows).sum(axis=1) / mass
    assert np.abs(centre_y - 14.0).max() < 1.5


def test_symbols_file_labels_are_the_characters_and_tags_are_dropped():
    raw = np.load(unipen.default_data_path(unipen.SYMBOLS_FILE_NAME), allow_pickle=False)
    raw_labels = raw["mapping"][raw["labels"]]
    data = load_unipen(unipen.default_data_path(unipen.SYMBOLS_FILE_NAME))
    chars = set(data.mapping[data.labels].tolist())
    assert chars == set("!\"#$%&'()*+,-./:;<=>?@[\\]^_`{|}~")  # all 32, escapes undone
    assert set(data.section) == {"1d"}
    tagged = raw_labels == "\\@"
    assert data.n_not_characters_dropped == int((tagged & ~raw["suspect"]).sum()) > 0
    assert len(data) == int((~tagged & ~raw["suspect"]).sum())
    everything = load_unipen(unipen.default_data_path(unipen.SYMBOLS_FILE_NAME),
                             keep_all_samples=True)
    assert len(everything) == len(raw_labels)


def test_combined_files_keep_every_stroke_label_and_writer(shared_data):
    symbols = load_unipen(unipen.default_data_path(unipen.SYMBOLS_FILE_NAME))
    both = unipen.load_stroke_files([unipen.default_data_path(),
                                     unipen.default_data_path(unipen.SYMBOLS_FILE_NAME)])
    assert len(both) == len(shared_data) + len(symbols)
    assert "".join(both.mapping) == ("0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ"
                                     "abcdefghijklmnopqrstuvwxyz!\"#$%&'()*+,-./:;<=>?@[\\]^_`{|}~")
    rng = np.random.RandomState(0)
    for part, offset in ((shared_data, 0), (symbols, len(shared_data))):
        for i in rng.choice(len(part), 25, replace=False):
            j = offset + int(i)
            assert both.label_char(j) == part.label_char(i)
            assert both.writers[j] == part.writers[i] and both.section[j] == part.section[i]
            mine, theirs = both.strokes(j), part.strokes(i)
            assert len(mine) == len(theirs)
            assert all(np.array_equal(a, b) for a, b in zip(mine, theirs))
    # The shipped table splits the combined data too, writer-disjoint across both files.
    check_split(both, writer_split(both))


def test_combining_refuses_labels_outside_the_classes(shared_data):
    with pytest.raises(DataFileError, match="not among the combined classes"):
        unipen.combine([shared_data], list("0123456789"))


def test_class_order_is_digits_capitals_small_letters_symbols_then_the_rest():
    assert unipen.class_order(list("a+A0é!a")) == list("0Aa!+é")


def test_a_vanishingly_small_sample_renders_as_a_dot_not_an_overflow():
    strokes = [np.array([[0.0, 0.0], [5e-324, 0.0], [5e-324, 5e-324]])]
    with np.errstate(over="raise", invalid="raise", divide="raise"):
        alpha = render_strokes(strokes, pad_size=64)
    assert np.isfinite(alpha).all() and alpha.max() > 0
    assert alpha.sum() < render_strokes([np.array([[0.0, 0.0], [1.0, 1.0]])], pad_size=64).sum()
