"""python -m pycnn.evaluate: accuracy of a model on UNIPEN-format pen strokes.

    python -m pycnn.evaluate --model weights/model.npz --split test [--set SET] [--json]
    python -m pycnn.evaluate --model weights/model.npz --strokes other.npz [--set SET] [--json]

Strokes are rendered the canonical way (no augmentation) and go through the page's
preprocessing. Reports, overall and per section (1a digits, 1b capitals, 1c small letters,
1d symbols, as in `pycnn.measure.metrics`):
  top1            the answer over the model's classes (or within --set);
  top3            the truth among the three leading answers;
  top1_merged     top-1 with the EMNIST "balanced" case merge (47 classes);
  top1_lookalike  the answer is the truth or one of its look-alikes (pycnn/read/lookalikes.json);
  top1_within     each sample read within its own section's set: UNIPEN's benchmark task.
--set NAME_OR_CHARS (a name of `pycnn.read.charsets`, or the characters themselves) reads every
answer within that set, as the page's "Read as" does; top1_within is always the section's
own set. The symbols file (`--strokes data/unipen/unipen_symbols_strokes.npz`) is section
1d, read within `symbols` for top1_within. With --json the last line is one JSON object.

Handwritten words (--words, with a word model, default weights/words.npz, and a lexicon,
default weights/lexicon-en.tsv.gz):

    python -m pycnn.evaluate --words --split test [--data WORDS.npz] [--model M] [--lexicon L]
    python -m pycnn.evaluate --words --strokes WORDS.npz [--model M] [--lexicon L] [--json]
    python -m pycnn.evaluate --words --split train --limit 4000  (a seeded sample of 4,000)

The words (of a words file: `pycnn.data.words`) are drawn canonically (`render_words`, no
augmentation) and read by `pycnn.read.word_reader.WordReader`, the page's path. Reports,
overall, per site (UNIPEN source) and per kind of word (`word_kind`: in the list in small
letters, in the list capitalised or in capitals, a list word with marks around it, other
letters, a number, marks only):
  n                          words evaluated;
  cer                        the raw (greedy) readings' edit distances over the truths'
                             lengths, summed over the words (the trainer's validation CER);
  word_acc                   the raw reading equals the truth;
  word_acc_lexicon           the decoder's best word, with the lexicon, equals the truth;
  word_acc_lexicon_in_vocab  the same over the words whose truth is in the lexicon;
  oov_rate                   the share of words whose truth is not in the lexicon.
A word equals its truth exactly, case included ("The" read as "the" is wrong); the table
also shows both accuracies ignoring case (Aa). The lexicon's words are looked up ignoring
case, as the decoder reads an entry as written, capitalised and in capitals. A word that
gives no image (too long for one word, or no ink) counts as read "". With --json the last
line is one JSON object: those six keys, per_site: {site: the six keys} and per_kind: {kind:
the six keys}.

Exit status (pycnn.cli): 0 on success, 2 for a bad option, set, model, lexicon or stroke
file, or a model whose output is not a number, 130 when interrupted.
"""

import json
import sys

import numpy as np

from .cli import (
    DATA_FOR_MODEL_HELP,
    WORD_MODEL,
    ArgumentParser,
    ProgressBar,
    UsageError,
    add_data_option,
    add_set_option,
    add_word_options,
    check_word_options,
    data_for_model,
    load_usable_model,
    run_cli,
    set_mask_of,
)
from .data.dataset import render_batch
from .data.unipen import SECTION_NAMES, load_stroke_files, load_unipen, writer_split
from .measure.metrics import accuracy_report
from .nn.serialize import inference_cost, printable
from .read.charsets import edit_distance, restrict

CHUNK = 1024
# Values a batch may hold in its largest layer buffer: 256 images for the shipped model, and
# a smaller batch for a model that needs more per image, so memory stays bounded.
BATCH_VALUES = 16000000


def parse_args(argv):
    p = ArgumentParser(prog="python -m pycnn.evaluate", description=__doc__.split("\n")[0])
    p.add_argument("--model", default=None,
                   help="the model file (default: weights/model.npz, or %s with --words)"
                   % WORD_MODEL)
    source = p.add_mutually_exclusive_group(required=True)
    source.add_argument("--strokes", metavar="FILE.npz",
                        help="evaluate on every sample of this stroke file (a words file "
                        "with --words)")
    source.add_argument("--split", choices=("train", "val", "test"),
                        help="evaluate on this writer-disjoint split of --data")
    add_data_option(p, DATA_FOR_MODEL_HELP + "; with --words, the words file "
                    "data/unipen/unipen_words_strokes.npz")
    add_set_option(p)
    add_word_options(p)
    p.add_argument("--limit", type=int, default=0, metavar="N",
                   help="with --words: read only N of the words, a seeded sample (0: all)")
    p.add_argument("--json", action="store_true", help="end with one JSON line")
    p.add_argument("--quiet", action="store_true", help="no progress bar")
    args = p.parse_args(argv)
    check_word_options(args, "weights/model.npz")
    if args.limit and not args.words:
        raise UsageError("--limit is for reading words: add --words")
    if not 0 <= args.limit <= 10 ** 9:
        raise UsageError("--limit must be between 0 and 1000000000, not %d" % args.limit)
    return args


def model_targets(model, data, indices):
    """Data labels as indices into the model's labels (the two may order classes differently)."""
    position = {label: i for i, label in enumerate(model.labels)}
    chars = data.mapping[data.labels[indices]]
    unknown = sorted(set(str(c) for c in chars) - set(position))
    if unknown:
        raise UsageError("the data has labels the model does not know: %s" % " ".join(unknown))
    return np.array([position[str(c)] for c in chars], dtype=np.int64)


def batch_size_for(model):
    """The largest batch (at most 256) whose biggest layer buffer holds BATCH_VALUES."""
    return int(max(1, min(256, BATCH_VALUES // inference_cost(model)["largest_buffer"])))


def predict_strokes(model, data, indices, progress=None, logits=False):
    """Class probabilities (or with `logits`, the scores before the final softmax) for the
    given samples, rendered and preprocessed in chunks. A model whose output is not a number
    (NaN or infinite) is refused with a UsageError."""
    out = []
    batch_size = batch_size_for(model)
    for start in range(0, len(indices), CHUNK):
        x, _ = render_batch(data, indices[start:start + CHUNK], augment=False)
        predict = model.predict_logits if logits else model.predict_proba
        probs = predict(x, batch_size=batch_size)
        if not np.all(np.isfinite(probs)):
            raise UsageError("the model's output is not a number (NaN or infinite) for some "
                             "of the samples: the model is broken")
        out.append(probs)
        if progress:
            progress.update(min(start + CHUNK, len(indices)), len(indices), prefix="evaluating",
                            final=start + CHUNK >= len(indices))
    if not out:
        return np.zeros((0, len(model.labels)), dtype=np.float32)
    return np.concatenate(out)


def format_report(report):
    columns = ("top-1", "top-3", "merged", "look-alike", "within set")
    keys = ("top1", "top3", "top1_merged", "top1_lookalike", "top1_within")
    lines = ["%-16s %7s " % ("", "n") + " ".join("%10s" % c for c in columns)]

    def row(name, r):
        cells = ["%10s" % ("-" if r[k] is None else "%.2f%%" % (100 * r[k])) for k in keys]
        return "%-16s %7d " % (name, r["n"]) + " ".join(cells)

    for section, r in sorted(report.get("sections", {}).items()):
        lines.append(row("%s %s" % (section, SECTION_NAMES.get(section, "")), r))
    lines.append(row("overall", report))
    return "\n".join(lines)


def main(argv=None):
    args = parse_args(argv)
    if args.words:
        return evaluate_words(args)
    model = load_usable_model(args.model)
    mask = set_mask_of(args.set, model.labels)
    if args.strokes:
        data = load_unipen(args.strokes)
        indices = np.arange(len(data))
        what = args.strokes
    else:
        data = load_stroke_files(data_for_model(args.data, model.labels))
        indices = writer_split(data)[args.split]
        what = "%s split of %s" % (args.split, data.path)
    if len(indices) == 0:
        raise UsageError("%s holds no samples to evaluate" % what)
    targets = model_targets(model, data, indices)
    progress = None if args.quiet else ProgressBar()
    logits = predict_strokes(model, data, indices, progress, logits=True)
    report = accuracy_report(restrict(logits, mask), targets, model.labels,
                             data.section[indices], within_scores=logits)
    print("model %s on %s%s" % (printable(args.model), printable(what),
                                "" if args.set == "all" else ", read as %s" % printable(args.set)))
    print(format_report(report))
    if args.json:
        print(json.dumps(report, sort_keys=True, allow_nan=False))
    return 0


# --- handwritten words (--words) ----------------------------------------------------------------

WORD_CHUNK = 256  # words rendered, then read, together
WORD_KEYS = ("n", "cer", "word_acc", "word_acc_lexicon", "word_acc_lexicon_in_vocab", "oov_rate")


def load_word_data(args):
    """(words, indices, what) for --strokes FILE or --split of the words file (--data)."""
    from .data.words import default_words_path, load_words

    if args.strokes:
        data = load_words(args.strokes)
        indices, what = np.arange(len(data)), args.strokes
    else:
        paths = args.data or [default_words_path()]
        if len(paths) != 1:
            raise UsageError("--data: --words reads one words file, not %d files"
                             % len(paths))
        data = load_words(paths[0])
        indices = writer_split(data)[args.split]
        what = "%s split of %s" % (args.split, data.path)
    if args.limit and args.limit < len(indices):
        # A seeded sample, in the file's order: the same words on every run.
        chosen = np.random.RandomState(0).choice(len(indices), args.limit, replace=False)
        indices = indices[np.sort(chosen)]
        what = "%d words sampled from the %s" % (args.limit, what)
    return data, indices, what


def read_stroke_words(reader, data, indices, charset, progress=None):
    """(raw readings, best words, how many gave no image) of the words `indices`, drawn
    canonically (`render_words`, no augmentation) and read by `reader` (a WordReader). A word
    that gives no image (too long for one word, or no ink) reads as "", a misreading."""
    from .data.word_render import render_words
    from .read.word_reader import WordModelError

    raws, bests = [""] * len(indices), [""] * len(indices)
    unread = 0
    position = {int(index): k for k, index in enumerate(indices)}
    for start in range(0, len(indices), WORD_CHUNK):
        chunk = indices[start:start + WORD_CHUNK]
        images, _, kept = render_words(data, chunk, augment=False)
        unread += len(chunk) - len(kept)
        try:
            readings = reader.read_inputs(images, charset)
        except WordModelError as err:
            raise UsageError(str(err)) from None
        for index, reading in zip(kept, readings):
            k = position[int(index)]
            raws[k] = reading["raw"]
            bests[k] = reading["words"][0][0] if reading["words"] else ""
        if progress:
            done = min(start + WORD_CHUNK, len(indices))
            progress.update(done, len(indices), prefix="reading words",
                            final=done >= len(indices))
    return raws, bests, unread


WORD_KINDS = ("list word", "List word, other case", "list word, marks", "other letters",
              "number", "marks only")


def word_kind(text, vocabulary):
    """Which of WORD_KINDS a truth is, by the lexicon's words in small letters
    (vocabulary): where the words with the lexicon are won and lost."""
    from .read.word_decode import strip_marks

    if text.lower() in vocabulary:
        return "list word" if text == text.lower() else "List word, other case"
    core, affixed = strip_marks(text)
    if affixed and core.lower() in vocabulary:
        return "list word, marks"
    if any(c.isalpha() for c in text):
        return "other letters"
    return "number" if any(c.isdigit() for c in text) else "marks only"


def _share(hits):
    return float(np.mean(hits)) if len(hits) else None


def word_scores(truths, raws, bests, vocabulary):
    """The figures of `python -m pycnn.evaluate --words` (see WORD_KEYS) for these words,
    plus their case-insensitive word accuracies (word_acc_nocase, word_acc_lexicon_nocase).
    vocabulary: the lexicon's words in small letters (a set)."""
    truths, raws, bests = list(truths), list(raws), list(bests)
    in_vocab = np.array([t.lower() in vocabulary for t in truths], dtype=bool)
    raw_right = np.array([r == t for r, t in zip(raws, truths)], dtype=bool)
    best_right = np.array([b == t for b, t in zip(bests, truths)], dtype=bool)
    characters = sum(len(t) for t in truths)
    errors = sum(edit_distance(r, t) for r, t in zip(raws, truths))
    return {
        "n": len(truths),
        "cer": errors / characters if characters else None,
        "word_acc": _share(raw_right),
        "word_acc_lexicon": _share(best_right),
        "word_acc_lexicon_in_vocab": _share(best_right[in_vocab]),
        "oov_rate": _share(~in_vocab),
        "word_acc_nocase": _share([r.lower() == t.lower() for r, t in zip(raws, truths)]),
        "word_acc_lexicon_nocase": _share([b.lower() == t.lower()
                                           for b, t in zip(bests, truths)]),
    }


def word_report(truths, raws, bests, sites, vocabulary):
    """word_scores overall, per site (UNIPEN source) under "per_site" and per word_kind
    under "per_kind"."""
    report = word_scores(truths, raws, bests, vocabulary)
    groups = {"per_site": np.asarray(sites).astype(str),
              "per_kind": np.array([word_kind(t, vocabulary) for t in truths], dtype=object)}
    for name, keys in groups.items():
        report[name] = {}
        for key in sorted(set(keys.tolist())):
            chosen = np.flatnonzero(keys == key)
            report[name][key] = word_scores([truths[i] for i in chosen],
                                            [raws[i] for i in chosen],
                                            [bests[i] for i in chosen], vocabulary)
    return report


WORD_COLUMNS = (("CER", "cer"), ("raw", "word_acc"), ("raw Aa", "word_acc_nocase"),
                ("lexicon", "word_acc_lexicon"), ("lex Aa", "word_acc_lexicon_nocase"),
                ("lex in-voc", "word_acc_lexicon_in_vocab"), ("OOV", "oov_rate"))


def format_word_report(report):
    """The tables, in percent: one row per site and one overall, then one per kind of word
    with its share of the words."""
    columns = " ".join("%10s" % c for c, _ in WORD_COLUMNS)
    lines = ["%-22s %7s " % ("site", "n") + columns]

    def row(name, r, share=""):
        cells = ["%10s" % ("-" if r[k] is None else "%.2f%%" % (100 * r[k]))
                 for _, k in WORD_COLUMNS]
        return "%-22s %7d " % (name, r["n"]) + " ".join(cells) + share

    for site, r in sorted(report["per_site"].items()):
        lines.append(row(site, r))
    lines.append(row("overall", report))
    lines += ["", "%-22s %7s " % ("kind of word", "n") + columns + "   share"]
    for kind in WORD_KINDS:
        r = report["per_kind"].get(kind)
        if r is not None:
            lines.append(row(kind, r, " %6.1f%%" % (100.0 * r["n"] / max(report["n"], 1))))
    return "\n".join(lines)


def evaluate_words(args):
    """--words: read the words of --strokes or --split with a word model and a lexicon."""
    from .cli import load_word_reader

    reader = load_word_reader(args.model, args.lexicon, args.set)
    data, indices, what = load_word_data(args)
    if len(indices) == 0:
        raise UsageError("%s holds no words to evaluate" % what)
    progress = None if args.quiet else ProgressBar()
    raws, bests, unread = read_stroke_words(reader, data, indices, args.set, progress)
    truths = [data.label(int(i)) for i in indices]
    vocabulary = set(word.lower() for word in reader.lexicon.words)
    report = word_report(truths, raws, bests, data.source[indices], vocabulary)
    print("word model %s with %s on %s%s" % (
        printable(args.model), printable(reader.lexicon.name), printable(what),
        "" if args.set == "all" else ", read as %s" % printable(args.set)))
    print(format_word_report(report))
    print("CER: the raw (greedy) reading's edit distance over the truth's length. raw, "
          "lexicon: the raw reading,\nthe decoder's best word equal to the truth, case "
          "and all (Aa: ignoring case). lex in-voc: the best word\non the words in the "
          "lexicon. OOV: the words not in the lexicon (ignoring case).")
    if unread:
        print("%d of the %d words gave no image (too long to read as one word, or no ink) "
              "and count as misread" % (unread, len(indices)))
    if args.json:
        out = {key: report[key] for key in WORD_KEYS}
        for group in ("per_site", "per_kind"):
            out[group] = {name: {key: r[key] for key in WORD_KEYS}
                          for name, r in report[group].items()}
        print(json.dumps(out, sort_keys=True, allow_nan=False))
    return 0


if __name__ == "__main__":
    sys.exit(run_cli(main))
