"""Choosing the new classes' calibration on VALIDATION writers with stand-in symbols.

    OPENBLAS_NUM_THREADS=1 nice .venv/bin/python bench/prototype_margin.py \
        [--groups '$<>[]!()' '/:;^$<>)'] [--weights 2,4,8,16,32] [--nearest 0,5] \
        [--rehearsal 300] [--augmented 300] [--ks 5]

The model is bench/models/model62.npz, which never saw a symbol, so every symbol is new to
it. Each group of stand-in symbols (never the eight of the hidden check, + = ? # @ & % *)
is taught at once, K drawings of each from the training-split writers (as few writers as
can, as bench/new_symbol.py does), and read on the validation writers: the stand-ins' own
drawings (top-1 over all classes) and the digits, capitals and small letters (points of
top-1 lost, over all classes, per section). The test split is never read here.
"""

import argparse
import itertools
import time

import numpy as np
from adapt_common import command_line, head_logits, scores, to_example, trunk_features
from new_symbol import teaching_samples

from pycnn.data.unipen import SYMBOLS_FILE_NAME, default_data_path, load_unipen, writer_split
from pycnn.learn.adaptation import Adaptation
from pycnn.learn.rehearsal import load_rehearsal
from pycnn.nn import load_model


def main():
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--model", default="bench/models/model62.npz")
    p.add_argument("--groups", nargs="+", default=["$<>[]!()", "/:;^$<>)"])
    p.add_argument("--weights", default="2,4,8,16,32")
    p.add_argument("--nearest", default="0,5")
    p.add_argument("--rehearsal", default="300")
    p.add_argument("--augmented", default="300")
    p.add_argument("--ks", default="5")
    p.add_argument("--full-ridge", default="1")
    p.add_argument("--seed", type=int, default=0)
    args = p.parse_args()
    model = load_model(args.model)
    rehearsal = load_rehearsal()
    alnum = load_unipen()
    old = writer_split(alnum)["val"]
    symbols = load_unipen(default_data_path(SYMBOLS_FILE_NAME))
    split = writer_split(symbols)
    mapping = [str(m) for m in symbols.mapping]
    old_features = trunk_features(model, alnum, old)
    sym_features = trunk_features(model, symbols, split["val"])
    truth = np.array(mapping)[symbols.labels[split["val"]]]
    before = scores(model, old_features, alnum, old)
    print("validation writers, before: digits %.2f, capitals %.2f, small letters %.2f "
          "(top-1 over all classes)" % tuple(before[s] for s in ("1a", "1b", "1c")))
    print("%-9s %2s %5s %3s %4s %5s %4s | %6s %6s | %s" % (
        "group", "K", "neg_w", "nn", "reh", "aug", "full", "mean", "worst",
        "points lost: digits capitals small"))
    grid = itertools.product([int(k) for k in args.ks.split(",")],
                             [float(w) for w in args.weights.split(",")],
                             [int(n) for n in args.nearest.split(",")],
                             [int(r) for r in args.rehearsal.split(",")],
                             [int(a) for a in args.augmented.split(",")],
                             [float(f) for f in args.full_ridge.split(",")])
    for k, weight, nearest, used, augmented, full in grid:
        for group in args.groups:
            examples = []
            for symbol in group:
                chosen, _ = teaching_samples(symbols, split["train"], mapping.index(symbol), k,
                                             seed=args.seed)
                examples.extend(to_example(symbols, i) for i in chosen)
            begin = time.time()
            adapted = Adaptation(model, examples, rehearsal=rehearsal, seed=args.seed,
                                 negative_weight=weight, nearest=nearest, rehearsal_used=used,
                                 augmented_images=augmented, full_ridge=full).run()
            seconds = time.time() - begin
            answers = np.array(adapted.labels)[head_logits(adapted, sym_features).argmax(1)]
            rights = [100 * np.mean(answers[truth == s] == s) for s in group]
            after = scores(adapted, old_features, alnum, old)
            print("%-9s %2d %5g %3d %4d %5d %4g | %5.1f%% %5.1f%% | %5.2f %5.2f %5.2f   %.1f s" % (
                group, k, weight, nearest, used, augmented, full, np.mean(rights), min(rights),
                *(before[s] - after[s] for s in ("1a", "1b", "1c")), seconds), flush=True)
    print("command: " + command_line())


if __name__ == "__main__":
    main()
