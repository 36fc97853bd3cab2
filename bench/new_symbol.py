"""Issue 11, "Learning a new symbol": teach a model a symbol it has never seen from K
drawings, and score it on other writers' drawings of it and on its old classes.

    nice .venv/bin/python bench/new_symbol.py [--model bench/models/model62.npz]
        [--symbols '+=?#%&@$' | --all-symbols] [--ks 3,5,10] [--train head] [--seed 0]

The model must never have seen the symbols: bench/models/model62.npz is the 62-class model
(digits and letters) shipped before the symbols were trained in. For each symbol and K, the
K examples come from the training-split writers of the UNIPEN symbols file, as few writers
as possible (the writer with most drawings of it first; --spread: each from another
writer), turned into the page's personal
examples; each symbol is taught alone, as the page's "add a symbol" does, with
`pycnn.learn.adaptation.Adaptation`. Scores, in percent: the symbol's drawings by the
--split writers (never those who taught it) read as that symbol, top-1 over every class; the
62 old classes on the --split writers' digits and letters, top-1 over all classes and within
section, before and after. Floors (issue 11): >= 85% top-1 for a symbol taught from 5
examples; the 62 classes <= 0.5 point lower.
"""

import argparse
import time

import numpy as np
from adapt_common import command_line, head_logits, scores, to_example, trunk_features

from pycnn.data.unipen import SYMBOLS_FILE_NAME, default_data_path, load_unipen, writer_split
from pycnn.learn.adaptation import Adaptation
from pycnn.learn.rehearsal import load_rehearsal
from pycnn.nn import load_model

DEFAULT_SYMBOLS = "+=?#%&@$"


def teaching_samples(data, train, c, k, spread=False, seed=0):
    """k training-split samples of class c from as few writers as possible (the writer with
    most drawings of it first), or, with `spread`, each from another writer (seeded)."""
    members = train[data.labels[train] == c]
    if spread:
        rng = np.random.RandomState([seed, int(c)])
        writers = sorted(set(data.writers[members].tolist()))
        rng.shuffle(writers)
        chosen = [int(rng.choice(members[data.writers[members] == w])) for w in writers[:k]]
        return chosen, len(chosen)
    writers, counts = np.unique(data.writers[members], return_counts=True)
    order = writers[np.lexsort((writers, -counts))]
    chosen = []
    for writer in order:
        chosen.extend(int(i) for i in members[data.writers[members] == writer])
        if len(chosen) >= k:
            break
    return chosen[:k], len(set(data.writers[chosen[:k]].tolist()))


def together(args, ks, model, rehearsal, alnum, old, old_features, before, symbols, split,
             mapping, wanted, scored, sym_features, options):
    """Every wanted symbol taught at once, K drawings each; one adapted model per K."""
    for k in ks:
        examples = []
        for symbol in wanted:
            chosen, _ = teaching_samples(symbols, split["train"], mapping.index(symbol), k,
                                         spread=args.spread, seed=args.seed)
            examples.extend(to_example(symbols, i) for i in chosen)
        begin = time.time()
        adapted = Adaptation(model, examples, rehearsal=rehearsal, seed=args.seed,
                             **options).run()
        seconds = time.time() - begin
        answers = np.array(adapted.labels)[head_logits(adapted, sym_features).argmax(axis=1)]
        truth = np.array(mapping)[symbols.labels[scored]]
        rights = []
        for symbol in wanted:
            here = truth == symbol
            rights.append(100 * np.mean(answers[here] == symbol))
            print("%-6s %3d %6d | %7.1f%%" % (symbol, k, int(here.sum()), rights[-1]))
        after = scores(adapted, old_features, alnum, old)
        print("K=%d, %d symbols taught together: mean %.1f%%, worst %.1f%%, all their drawings "
              "%.1f%%; %.1f s" % (k, len(wanted), np.mean(rights), min(rights),
                                  100 * np.mean(answers[np.isin(truth, wanted)]
                                                == truth[np.isin(truth, wanted)]), seconds))
        print("old classes, top-1 over all classes, points lost: digits %.2f, capitals %.2f, "
              "small letters %.2f; within section %.2f" % (
                  tuple(before[s] - after[s] for s in ("1a", "1b", "1c"))
                  + (before["within"] - after["within"],)))
        if args.stolen:
            stolen(model, adapted, alnum, old, old_features)
    print("command: " + command_line())


def stolen(model, adapted, alnum, old, old_features):
    """Which old classes' drawings, read right before, the new symbols took (the most)."""
    truth = np.array([alnum.label_char(int(i)) for i in old])
    was = np.array(model.labels)[head_logits(model, old_features).argmax(axis=1)]
    now = np.array(adapted.labels)[head_logits(adapted, old_features).argmax(axis=1)]
    lost = (was == truth) & (now != truth)
    pairs = {}
    for drawn, read in zip(truth[lost], now[lost]):
        pairs[(drawn, read)] = pairs.get((drawn, read), 0) + 1
    top = sorted(pairs.items(), key=lambda item: (-item[1], item[0]))[:12]
    print("taken from the old classes (drawn > read: drawings): " + ", ".join(
        "%s > %s: %d" % (drawn, read, n) for (drawn, read), n in top)
        + "; %d of them in all" % int(lost.sum()))


def main():
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--model", default="bench/models/model62.npz")
    p.add_argument("--symbols", default=DEFAULT_SYMBOLS)
    p.add_argument("--all-symbols", action="store_true")
    p.add_argument("--ks", default="3,5,10")
    p.add_argument("--train", default="head")
    p.add_argument("--steps", type=int, default=None)
    p.add_argument("--lr", type=float, default=None)
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--spread", action="store_true",
                   help="each example from another writer (default: as few writers as can)")
    p.add_argument("--split", default="test", choices=("val", "test"),
                   help="the writers to score on (val: to choose the recipe)")
    p.add_argument("--together", action="store_true",
                   help="teach every symbol at once (one model), not each alone")
    p.add_argument("--stolen", action="store_true",
                   help="with --together: which old classes' drawings the symbols took")
    p.add_argument("--negative-weight", type=float, default=None)
    p.add_argument("--no-prototypes", action="store_true")
    p.add_argument("--nearest", type=int, default=None)
    p.add_argument("--rehearsal-used", type=int, default=None)
    p.add_argument("--augmented-images", type=int, default=None)
    args = p.parse_args()
    ks = [int(k) for k in args.ks.split(",")]
    options = {"train": args.train, "steps": args.steps}
    if args.lr is not None:
        options["learning_rate"] = args.lr
    if args.negative_weight is not None:
        options["negative_weight"] = args.negative_weight
    if args.no_prototypes:
        options["prototypes"] = False
    if args.nearest is not None:
        options["nearest"] = args.nearest
    if args.rehearsal_used is not None:
        options["rehearsal_used"] = args.rehearsal_used
    if args.augmented_images is not None:
        options["augmented_images"] = args.augmented_images

    model = load_model(args.model)
    rehearsal = load_rehearsal()
    alnum = load_unipen()
    old = writer_split(alnum)[args.split]
    symbols = load_unipen(default_data_path(SYMBOLS_FILE_NAME))
    split = writer_split(symbols)
    mapping = [str(m) for m in symbols.mapping]
    wanted = [m for m in mapping if m not in model.labels] if args.all_symbols \
        else [s for s in args.symbols if s in mapping and s not in model.labels]
    started = time.time()
    old_features = trunk_features(model, alnum, old)
    scored = split[args.split]
    sym_features = trunk_features(model, symbols, scored)
    print("%d old-class and %d symbol samples (%s split) through the trunk in %.0f s"
          % (len(old), len(scored), args.split, time.time() - started))
    before = scores(model, old_features, alnum, old)
    print("the 62 classes before: top-1 %.2f, within section %.2f" % (before["top1"],
                                                                      before["within"]))
    print("before, top-1 over all classes: digits %.2f, capitals %.2f, small letters %.2f"
          % tuple(before[s] for s in ("1a", "1b", "1c")))
    if args.together:
        return together(args, ks, model, rehearsal, alnum, old, old_features, before, symbols,
                        split, mapping, wanted, scored, sym_features, options)
    print("%-6s %3s %7s %6s | %8s | %-24s | %5s" % ("symbol", "K", "writers", "scored",
                                                    "top-1", "old top-1 / within (diff)",
                                                    "s"))
    rows = []
    for symbol in wanted:
        c = mapping.index(symbol)
        rows_here = np.flatnonzero(symbols.labels[scored] == c)
        if not len(rows_here):
            continue
        for k in ks:
            chosen, n_writers = teaching_samples(symbols, split["train"], c, k,
                                                 spread=args.spread, seed=args.seed)
            examples = [to_example(symbols, i) for i in chosen]
            begin = time.time()
            adapted = Adaptation(model, examples, rehearsal=rehearsal, seed=args.seed,
                                 **options).run()
            seconds = time.time() - begin
            answers = head_logits(adapted, sym_features[rows_here]).argmax(axis=1)
            right = 100 * np.mean(np.array(adapted.labels)[answers] == symbol)
            after = scores(adapted, old_features, alnum, old)
            rows.append((k, right, before["top1"] - after["top1"],
                         before["within"] - after["within"])
                        + tuple(before[s] - after[s] for s in ("1a", "1b", "1c")))
            print("%-6s %3d %7d %6d | %7.1f%% | %6.2f / %6.2f (%+.2f/%+.2f) | %5.1f" % (
                symbol, k, n_writers, len(rows_here), right, after["top1"], after["within"],
                after["top1"] - before["top1"], after["within"] - before["within"], seconds),
                flush=True)
    print()
    print("K   mean top-1 on the symbol  worst   old classes lost: top-1 / within (mean, worst)"
          "   top-1 lost: digits / capitals / small (mean, worst)")
    for k in ks:
        chosen = np.array([r for r in rows if r[0] == k])
        print("%-3d %6.1f%%                  %5.1f%%   %.2f / %.2f   (%.2f / %.2f)"
              "   %.2f / %.2f / %.2f  (%.2f / %.2f / %.2f)" % (
                  (k, chosen[:, 1].mean(), chosen[:, 1].min(), chosen[:, 2].mean(),
                   chosen[:, 3].mean(), chosen[:, 2].max(), chosen[:, 3].max())
                  + tuple(chosen[:, 4:7].mean(axis=0)) + tuple(chosen[:, 4:7].max(axis=0))))
    print("command: " + command_line())


if __name__ == "__main__":
    main()
