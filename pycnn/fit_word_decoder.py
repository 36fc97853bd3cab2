"""python -m pycnn.fit_word_decoder: choose the word decoder's weights on validation writers.

    python -m pycnn.fit_word_decoder [--model weights/words.npz] [--lexicon L] [--out FILE]
                                     [--data WORDS.npz] [--limit N] [--rounds R] [--quiet]

The lexicon decoder (`pycnn.read.word_decode`) scores a candidate word as

    log p(word | frames) + lm_weight * log_prior(word) - case_penalty(word)

and its weights (word_decode.TUNABLE: how far to trust the word list, the prior of a word
outside it and of a number or mark, the penalties for "Word", "WORD" and "MissioN", and the
rule that keeps a lone mark) trade reading what the ink says against reading a common word.
They are chosen here on the validation writers of the words file (never the test split),
as the values that read the most validation words exactly, case and all, with the lexicon.

The network's frames are computed once; then a coordinate search tries, for one weight at a
time, every value of its grid (GRID) with the others held, keeps the best, and goes round
`--rounds` times. `--limit` validation words (a seeded sample, 3,000 by default) keep a
round to minutes.
The choice is written into the model's metadata under "decoder", where
`pycnn.read.word_reader.WordReader` (the page, evaluate and predict) takes it from.

Exit status (pycnn.cli): 0 on success, 2 for a bad option, model, lexicon, words file or
--out, 130 when interrupted.
"""

import sys
import time
from argparse import ArgumentParser

import numpy as np

from .cli import ProgressBar, UsageError, check_output_file, run_cli
from .nn import save_model
from .nn.serialize import printable
from .read import word_decode

# The values tried for each weight, around word_decode's first guesses.
GRID = {
    "lm_weight": (0.2, 0.35, 0.5, 0.7, 1.0, 1.4),
    "oov_log_prior": (-10.0, -13.0, -16.0, -20.0, -25.0, -30.0, -40.0, -60.0),
    "nonword_log_prior": (-3.0, -5.0, -7.0, -10.0, -14.0),
    "title_penalty": (0.0, 0.5, 1.0, 2.0, 3.0),
    "upper_penalty": (0.0, 1.0, 2.0, 3.0, 5.0),
    "mixed_case_penalty": (1.0, 2.0, 4.0, 8.0),
    "keep_mark": (0.1, 0.3, 0.5, 0.7, 0.9, 1.01),
    "affix_log_prior": (-1.0, -2.0, -3.5, -5.0, -7.0, -10.0, -15.0),
}
assert tuple(GRID) == word_decode.TUNABLE


def parse_args(argv):
    p = ArgumentParser(prog="python -m pycnn.fit_word_decoder",
                       description=__doc__.split("\n")[0])
    p.add_argument("--model", default="weights/words.npz")
    p.add_argument("--lexicon", default=None,
                   help="the word list (default: weights/lexicon-en.tsv.gz)")
    p.add_argument("--out", default=None, help="where the model goes (default: --model)")
    p.add_argument("--data", default=None, metavar="WORDS.npz",
                   help="the words file (default: data/unipen/unipen_words_strokes.npz)")
    # 1,500 words proved too few: for the fourth-stage model they chose weights that read
    # 65.2% of all 7,404 validation words with the lexicon, where 3,000 chose 66.3%.
    p.add_argument("--limit", type=int, default=3000,
                   help="validation words to fit on, a seeded sample (0: all; default 3000)")
    p.add_argument("--rounds", type=int, default=2, help="rounds of the coordinate search")
    p.add_argument("--quiet", action="store_true", help="no progress bar")
    args = p.parse_args(argv)
    if not 0 <= args.limit <= 10 ** 7:
        raise UsageError("--limit must be between 0 and 10000000, not %d" % args.limit)
    if not 1 <= args.rounds <= 20:
        raise UsageError("--rounds must be between 1 and 20, not %d" % args.rounds)
    args.out = args.out or args.model
    return args


def accuracy(frames, truths, labels, lexicon, settings):
    """The share of words whose best word with the lexicon is the truth, case and all."""
    right = 0
    for z, truth in zip(frames, truths):
        words = word_decode.decode(z, labels, lexicon=lexicon, top=1, **settings)["words"]
        right += bool(words) and words[0][0] == truth
    return right / max(len(truths), 1)


def coordinate_search(score, start, grid, rounds, report=None):
    """Maximise score(settings) one weight at a time over its grid, `rounds` times round;
    ties keep the current value. Returns (best settings, best score, tries)."""
    best = dict(start)
    best_score = score(best)
    tries = [(dict(best), best_score)]
    for _ in range(rounds):
        changed = False
        for name, values in grid.items():
            for value in values:
                if value == best[name]:
                    continue
                trial = dict(best, **{name: value})
                trial_score = score(trial)
                tries.append((trial, trial_score))
                if report is not None:
                    report(name, value, trial_score, best_score)
                if trial_score > best_score:
                    best, best_score, changed = trial, trial_score, True
        if not changed:
            break
    return best, best_score, tries


def first_guesses():
    return {name: float(getattr(word_decode, name.upper())) for name in word_decode.TUNABLE}


def main(argv=None):
    from .cli import load_word_reader
    from .data.unipen import writer_split
    from .data.word_render import render_words
    from .data.words import default_words_path, load_words

    args = parse_args(argv)
    check_output_file(args.out, "--out")
    reader = load_word_reader(args.model, args.lexicon)
    data = load_words(args.data or default_words_path())
    val = writer_split(data)["val"]
    readable = np.array([all(label in reader.labels for label in data.label(int(i)))
                         for i in val], dtype=bool)
    val = val[readable]
    if len(val) == 0:
        raise UsageError("%s has no validation words" % printable(data.path))
    if args.limit and args.limit < len(val):
        val = np.sort(np.random.RandomState(0).choice(val, args.limit, replace=False))
    started = time.time()
    images, texts, _ = render_words(data, val, augment=False)
    frames = reader.frames_of(images)
    print("validation writers: %d words (%d give no image and are left out); frames in %.0fs"
          % (len(val), len(val) - len(images), time.time() - started), flush=True)

    bar = None if args.quiet else ProgressBar()
    total = sum(len(v) for v in GRID.values()) * args.rounds
    done = [0]

    def report(name, value, trial, best):
        done[0] += 1
        if bar is not None:
            bar.update(done[0], total, prefix="fitting",
                       suffix="%s=%g: %.4f (best %.4f)" % (name, value, trial, best),
                       final=done[0] == total)

    def score(settings):
        return accuracy(frames, texts, reader.labels, reader.lexicon, settings)

    start = first_guesses()
    chosen, best, tries = coordinate_search(score, start, GRID, args.rounds, report)
    print("word accuracy with the lexicon on validation: %.2f%% with the first guesses, "
          "%.2f%% with the chosen weights (%d settings tried)"
          % (100 * tries[0][1], 100 * best, len(tries)))
    for name in word_decode.TUNABLE:
        print("  %-20s %8g   (first guess %g)" % (name, chosen[name], start[name]))
    model = reader.model
    model.metadata["decoder"] = dict(chosen)
    model.metadata["decoder_fit"] = {
        "chosen_on": "validation writers: the most words read exactly with the lexicon",
        "words": len(images), "lexicon": reader.lexicon.name,
        "word_acc_lexicon": [round(tries[0][1], 6), round(best, 6)],
    }
    save_model(model, args.out)
    print("wrote %s" % printable(args.out))
    return 0


if __name__ == "__main__":
    sys.exit(run_cli(main))
