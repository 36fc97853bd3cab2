"""The words file: its loader (label cleaning, drop rules, hostile files) and the writer split
that spans the alnum, symbols and words files."""

import hashlib
import io
import json
import zipfile

import numpy as np
import pytest

from pycnn.data import unipen, words
from pycnn.data.unipen import DataFileError, load_unipen, writer_split
from pycnn.data.words import WordData, load_words

SPLITS = ("train", "val", "test")


def word_arrays(texts, writers=None, suspect=None, seed=0):
    """A small words file in the shared format; each word is 1 to 3 strokes that move right,
    so no word's ink is long for its box."""
    rng = np.random.RandomState(seed)
    points, stroke_offsets, sample_offsets = [], [0], [0]
    for _ in texts:
        for _stroke in range(rng.randint(1, 4)):
            n = rng.randint(2, 30)
            steps = np.stack([rng.randint(1, 10, n), rng.randint(-10, 11, n)], axis=1)
            points.append(np.cumsum(steps, axis=0) + 500)
            stroke_offsets.append(stroke_offsets[-1] + n)
        sample_offsets.append(len(stroke_offsets) - 1)
    n = len(texts)
    return {
        "text": np.array(texts),
        "section": np.array(["6", "7"] * (n // 2) + ["6"] * (n % 2)),
        "source": np.full(n, "kai"),
        "writer": np.array(writers if writers is not None else ["w%d" % (i % 4)
                                                                for i in range(n)]),
        "datfile": np.zeros(n, dtype=np.int32),
        "datfile_names": np.array(["data/7/kai/kai0/w.dat"]),
        "points": np.concatenate(points).astype(np.int16),
        "stroke_offsets": np.array(stroke_offsets, dtype=np.int64),
        "sample_stroke_offsets": np.array(sample_offsets, dtype=np.int64),
        "suspect": np.array(suspect if suspect is not None else [False] * n),
    }


def save_lzma(path, **arrays):
    """Write arrays as the words file is written: .npy members, LZMA, points column-major."""
    with zipfile.ZipFile(path, "w", compression=zipfile.ZIP_LZMA) as archive:
        for name, array in arrays.items():
            if name == "points":
                array = np.asfortranarray(array)
            buffer = io.BytesIO()
            np.lib.format.write_array(buffer, np.asanyarray(array), allow_pickle=False)
            archive.writestr(name + ".npy", buffer.getvalue())


# Raw labels as UNIPEN stores them -> what the loader makes of them.
SAMPLE_TEXTS = [
    ("car\t\t\t", "car"),  # ape: trailing tabs
    ("m\\@usi\\@c\\@", "music"),  # kai: \@ tags for ligatures and delayed strokes
    ('\\"off\\"', '"off"'),  # escaped double quotes
    ("back\\\\slash", "back\\slash"),  # an escaped backslash
    ("a\\\\@", "a\\@"),  # read left to right: an escaped backslash, then @, not a tag
    ("XXX", None),  # hpp/hpb placeholder
    ("\\@", None),  # nothing but a tag: empty
    ("a b", None),  # a space: not one word
    ("caf\u00e9", None),  # outside printable ASCII
    ("ok", "ok"),
    ("late", None),  # flagged suspect below
]


@pytest.fixture
def sample_arrays():
    texts = [raw for raw, _ in SAMPLE_TEXTS]
    return word_arrays(texts, suspect=[raw == "late" for raw in texts])


# --- labels ---------------------------------------------------------------------------------


def test_unescape_is_the_one_rule_for_symbols_and_words():
    assert unipen.unescape('\\"') == '"' and unipen.unescape("\\\\") == "\\"
    assert unipen.unescape('say \\"hi\\"') == 'say "hi"'
    assert unipen.unescape("\\@") == "\\@"  # the tag stays, so StrokeData can drop it...
    assert unipen.unescape("m\\@usi\\@c\\@", drop_tags=True) == "music"  # ...words lose it
    assert unipen.unescape("\\\\@", drop_tags=True) == "\\@"
    assert unipen.unescape("a\\x") == "a\\x"  # any other pair stays as it is
    # On the symbols' class names it does what the old lookup did.
    names = list("!#$%&'()*+,-./:;<=>?@[]^_`{|}~") + ['\\"', "\\@", "\\\\"]
    assert [unipen.unescape(n) for n in names] == [
        unipen.UNIPEN_ESCAPES.get(n, n) for n in names]


@pytest.mark.parametrize("raw, expected", SAMPLE_TEXTS[:-1])
def test_clean_text_and_drop_reason(raw, expected):
    text = words.clean_text(raw)
    if expected is None:
        assert words.drop_reason(text) in ("placeholder", "empty", "unprintable")
    else:
        assert text == expected and words.drop_reason(text) is None
    assert words.drop_reason(text, suspect=True) == "suspect"  # suspect comes first


@pytest.mark.parametrize("save", [np.savez, np.savez_compressed, save_lzma])
def test_a_small_words_file_loads_cleaned_with_its_ink(tmp_path, sample_arrays, save):
    path = tmp_path / "words.npz"
    save(path, **sample_arrays)
    data = load_words(path)
    kept = [i for i, (_, text) in enumerate(SAMPLE_TEXTS) if text is not None]
    assert data.text.tolist() == [SAMPLE_TEXTS[i][1] for i in kept]
    assert data.original_index.tolist() == kept
    assert data.dropped == {"suspect": 1, "placeholder": 1, "empty": 1, "unprintable": 2}
    np.testing.assert_array_equal(data.writers, sample_arrays["writer"][kept])
    np.testing.assert_array_equal(data.section, sample_arrays["section"][kept])
    a = sample_arrays
    for i, original in enumerate(kept):
        first, stop = a["sample_stroke_offsets"][original:original + 2]
        expected = [a["points"][a["stroke_offsets"][k]:a["stroke_offsets"][k + 1]]
                    for k in range(first, stop)]
        got = data.strokes(i)
        assert len(got) == len(expected)
        assert all(np.array_equal(g, e) and g.dtype == np.float32
                   for g, e in zip(got, expected))
    xy, connects, owner = data.gather_points([2, 0])
    np.testing.assert_array_equal(xy[owner == 0], np.concatenate(data.strokes(2)))
    assert not connects[owner == 0][-1]
    assert data.alphabet() == list("abcfhiklmorsu") + ['"', "@", "\\"]
    everything = load_words(path, keep_all=True)
    assert len(everything) == len(SAMPLE_TEXTS) and sum(everything.dropped.values()) == 0
    assert everything.text.tolist()[5:9] == ["XXX", "", "a b", "caf\u00e9"]


def test_words_of_unknown_writers_are_split_on_the_spot(tmp_path):
    arrays = word_arrays(["w%d" % i for i in range(40)],
                         writers=["nobody%d" % (i % 10) for i in range(40)])
    np.savez(tmp_path / "w.npz", **arrays)
    data = load_words(tmp_path / "w.npz")
    split = writer_split(data)
    assert sorted(np.concatenate(list(split.values())).tolist()) == list(range(40))
    sides = [set(data.writers[split[name]]) for name in SPLITS]
    assert not (sides[0] & sides[1]) and not (sides[0] & sides[2]) and not (sides[1] & sides[2])


# --- hostile files ----------------------------------------------------------------------------


def _long_word(n_points=0, n_strokes=0):
    def change(a):
        if n_points:
            new = np.stack([np.arange(n_points), np.zeros(n_points)], axis=1).astype(np.int16)
            offsets = [0, n_points]
        else:
            new = np.zeros((n_strokes, 2), np.int16)
            offsets = list(range(n_strokes + 1))
        a["points"] = np.concatenate([new, a["points"]])
        a["stroke_offsets"] = np.concatenate([offsets[:-1], a["stroke_offsets"] + len(new)])
        a["sample_stroke_offsets"] = np.concatenate(
            [[0], a["sample_stroke_offsets"] + len(offsets) - 1])
        for key in ("text", "section", "source", "writer", "datfile", "suspect"):
            a[key] = np.concatenate([a[key][:1], a[key]])
    return change


BAD_WORDS = {
    "no_text": (lambda a: a.pop("text"), "not a UNIPEN words file: missing array\\(s\\) text"),
    "no_writer": (lambda a: a.pop("writer"), "missing array\\(s\\) writer"),
    "text_of_numbers": (lambda a: a.update(text=np.arange(len(a["text"]))),
                        "text must be a 1-D array of strings"),
    "text_2d": (lambda a: a.update(text=a["text"].reshape(-1, 1)), "text must be a 1-D"),
    "text_too_long": (lambda a: a.update(text=a["text"].astype("<U500")),
                      "labels of up to 500 characters; the limit is 100"),
    "text_short": (lambda a: a.update(text=a["text"][:-2]), "sample_stroke_offsets has"),
    "writer_not_ascii": (lambda a: a.update(writer=np.array([b"\xff"] * len(a["text"]))),
                         "writer holds bytes that are not ASCII"),
    "writer_short": (lambda a: a.update(writer=a["writer"][:3]), "writer has shape"),
    "offsets_out_of_order": (lambda a: a["stroke_offsets"].__setitem__(2, 10 ** 6),
                             "offsets out of order|must run from"),
    "nan_points": (lambda a: a.update(points=np.full(a["points"].shape, np.nan)),
                   "NaN or infinite"),
    "word_of_9000_points": (_long_word(n_points=9000), "word 0 has 9000 points; the limit is 8000"),
    "word_of_250_strokes": (_long_word(n_strokes=250), "word 0 has 250 strokes; the limit is 200"),
    "all_dropped": (lambda a: a.update(suspect=np.ones(len(a["text"]), bool)),
                    "all 11 words were dropped \\(11 suspect\\): nothing left"),
}


@pytest.mark.parametrize("case", sorted(BAD_WORDS))
def test_hostile_words_files_are_refused_with_a_sentence(tmp_path, sample_arrays, case):
    change, message = BAD_WORDS[case]
    change(sample_arrays)
    path = tmp_path / "bad.npz"
    np.savez(path, **sample_arrays)
    with pytest.raises(DataFileError, match="bad.npz: .*(%s)" % message):
        load_words(path)


def test_foreign_and_broken_files_are_refused_with_a_sentence(tmp_path, sample_arrays):
    with pytest.raises(DataFileError, match="absent.npz: no such file"):
        load_words(tmp_path / "absent.npz")
    with pytest.raises(DataFileError, match="is a folder"):
        load_words(tmp_path)
    single = tmp_path / "single.npy"
    np.save(single, np.arange(3))
    with pytest.raises(DataFileError, match="single .npy array"):
        load_words(single)
    text = tmp_path / "notes.npz"
    text.write_text("not words\n" * 10)
    with pytest.raises(DataFileError, match="not an .npz archive"):
        load_words(text)
    whole = tmp_path / "whole.npz"
    save_lzma(whole, **sample_arrays)
    cut = tmp_path / "cut.npz"
    cut.write_bytes(whole.read_bytes()[:-40])
    with pytest.raises(DataFileError, match="cut.npz: .*(truncated or corrupt|damaged)"):
        load_words(cut)
    pickled = tmp_path / "pickled.npz"
    np.savez(pickled, **dict(sample_arrays, text=np.array([{"a": 1}] * 11, dtype=object)))
    with pytest.raises(DataFileError, match="Python objects.*pickle"):
        load_words(pickled)
    bzip = tmp_path / "bzip.npz"
    with zipfile.ZipFile(bzip, "w", compression=zipfile.ZIP_BZIP2) as archive:
        archive.writestr("text.npy", b"x" * 100)
    with pytest.raises(DataFileError, match="compression method 12; only stored, deflated and "
                                            "LZMA"):
        load_words(bzip)


def test_lzma_members_are_unpacked_a_little_at_a_time(tmp_path, monkeypatch):
    """zipfile hands the LZMA decoder all the compressed bytes a read asks for and keeps all
    that comes out: a megabyte could unpack to gigabytes. No read may ask for more than 4 KiB."""
    path = tmp_path / "big.npz"
    arrays = word_arrays(["big"] * 4)
    arrays["filler"] = np.zeros(3 * 2 ** 20, np.uint8)  # read (and ignored) like char_parts
    save_lzma(path, **arrays)
    asked = []
    original = zipfile.ZipExtFile.read

    def spy(self, n=-1):
        asked.append(n)
        return original(self, n)

    monkeypatch.setattr(zipfile.ZipExtFile, "read", spy)
    arrays_read = words.read_word_arrays(path)
    assert arrays_read["filler"].shape == (3 * 2 ** 20,) and not arrays_read["filler"].any()
    assert 0 < max(asked) <= zipfile.ZipExtFile.MIN_READ_SIZE


# --- the shipped words file -------------------------------------------------------------------


@pytest.fixture(scope="module")
def word_file_arrays():
    return words.read_word_arrays(words.default_words_path())  # read once: LZMA takes seconds


@pytest.fixture(scope="module")
def shipped_words(word_file_arrays):
    return WordData(word_file_arrays, path=words.default_words_path())


@pytest.fixture(scope="module")
def shipped_words_all(word_file_arrays):
    return WordData(word_file_arrays, path=words.default_words_path(), keep_all=True)


def test_shipped_words_file_is_carried_and_cleaned(shipped_words, shipped_words_all,
                                                    word_file_arrays):
    assert words.default_words_path().endswith("data/unipen/unipen_words_strokes.npz")
    assert len(shipped_words_all) == 74254
    # The counts data/unipen/README.md gives.
    assert shipped_words.dropped == {"suspect": 68, "placeholder": 46, "empty": 0,
                                     "unprintable": 0}
    assert len(shipped_words) == 74254 - 68 - 46 == 74140
    raw = word_file_arrays["text"]
    assert int(np.sum(raw == "XXX")) == 52  # 6 of them are also suspect
    text = shipped_words.text.tolist()
    assert all(words._PRINTABLE_ASCII.match(t) for t in text)
    assert not any("\\@" in t or '\\"' in t for t in text)
    assert sum('"' in t for t in text) > 100
    kai = shipped_words_all.text[np.flatnonzero(np.char.find(raw, "\\@") >= 0)]
    assert len(kai) == 650 and "music" in kai.tolist()
    assert {"car", "steadily", "now", "name?"} <= set(
        shipped_words_all.text[np.char.find(raw, "\t") >= 0].tolist())
    assert len(set(shipped_words_all.writers)) == 279
    i = 1000
    k = int(shipped_words.original_index[i])
    sso, so = word_file_arrays["sample_stroke_offsets"], word_file_arrays["stroke_offsets"]
    expected = [word_file_arrays["points"][so[s]:so[s + 1]] for s in range(sso[k], sso[k + 1])]
    assert all(np.array_equal(a, b) for a, b in zip(shipped_words.strokes(i), expected))


# --- the split over the three files -----------------------------------------------------------


def test_deal_keeps_fixed_writers_and_deals_one_person_as_one():
    writers = (["old"] * 50 + ["new%d" % (i // 10) for i in range(200)]
               + ["bam11"] * 5 + ["bam12"] * 5)
    dealt = unipen.deal_writers(writers, ["6"] * len(writers),
                                fixed={"old": "test", "absent": "val"})
    assert set(dealt) == set(writers) and dealt["old"] == "test"
    assert dealt["bam11"] == dealt["bam12"]  # one person (unipen.SAME_PERSON)
    # "old" alone holds 19% of the words, more than test's 10%: no one else joins it.
    assert [w for w, side in dealt.items() if side == "test"] == ["old"]
    with pytest.raises(ValueError, match="one person are fixed to different splits"):
        unipen.deal_writers(writers, ["6"] * len(writers),
                            fixed={"bam11": "train", "bam12": "val"})


# sha256 of the character writers' sides, as the table held them before the words came
# (json.dumps of the sorted [writer, split] pairs of every writer of the alnum and symbols
# files, 211 writers). It pins the character split: the shipped character model was trained
# and tested on it, and moving one of these writers would leak.
CHARACTER_SPLIT_SHA256 = "1623d0b928c5cadf15b82b01f732d120f7f72409c8bb3cce71129c1e6010c50d"


@pytest.fixture(scope="module")
def character_files_all():
    return [load_unipen(unipen.default_data_path(), keep_all_samples=True),
            load_unipen(unipen.default_data_path(unipen.SYMBOLS_FILE_NAME),
                        keep_all_samples=True)]


def test_split_table_is_what_the_deal_gives(character_files_all, shipped_words_all):
    table = unipen.load_split_table()
    dealt = unipen.deal_files(character_files_all, [shipped_words_all])
    assert table == dealt
    with open(unipen.SPLIT_TABLE, encoding="utf-8") as handle:
        shipped = json.load(handle)
    assert shipped["files"] == [unipen.FILE_NAME, unipen.SYMBOLS_FILE_NAME,
                                unipen.WORDS_FILE_NAME]
    listed = [writer for name in SPLITS for writer in shipped["splits"][name]]
    assert len(listed) == len(set(listed)) == len(table)  # no writer in two splits


def test_character_writers_keep_their_sides(character_files_all):
    table = unipen.load_split_table()
    characters = set().union(*(set(data.writers.tolist()) for data in character_files_all))
    assert len(characters) == 211
    pairs = sorted((writer, table[writer]) for writer in characters)
    assert hashlib.sha256(json.dumps(pairs).encode()).hexdigest() == CHARACTER_SPLIT_SHA256


def test_no_writer_crosses_splits_within_or_across_the_three_files(
        character_files_all, shipped_words, shipped_words_all):
    table = unipen.load_split_table()
    files = list(character_files_all) + [shipped_words_all]
    assert all(writer in table for data in files for writer in data.writers.tolist())
    sides = {}
    for data in files + [shipped_words]:
        split = writer_split(data)
        assert sorted(np.concatenate(list(split.values())).tolist()) == list(range(len(data)))
        for name, indices in split.items():
            for writer in set(data.writers[indices].tolist()):
                assert sides.setdefault(writer, name) == name, writer
    for group in unipen.SAME_PERSON:  # ids of one person are on one side
        assert len({table[writer] for writer in group}) == 1, group
    # gb2911 wrote at cea, ceb and cec: one id, one side.
    assert set(shipped_words_all.source[shipped_words_all.writers == "gb2911"]) == {
        "cea", "ceb", "cec"}


def test_words_are_split_about_80_10_10(shipped_words, character_files_all):
    split = writer_split(shipped_words)
    for section in ("6", "7"):
        total = np.sum(shipped_words.section == section)
        shares = [np.sum(shipped_words.section[split[name]] == section) / total
                  for name in SPLITS]
        assert shares == pytest.approx([0.8, 0.1, 0.1], abs=0.01)
    # 90 word writers also wrote characters (89 of them letters and digits): they kept their
    # side, and the deal of the 189 others made up the shares.
    characters = set().union(*(set(data.writers.tolist()) for data in character_files_all))
    shared = set(shipped_words.writers.tolist()) & characters
    assert len(shared) == 90
    assert len(shared & set(character_files_all[0].writers.tolist())) == 89
