"""Issue 11, "Adapting to a hand": does learning from K drawings per class of a site's
writers help that site's other writers, and what does it cost the other sites?

    nice .venv/bin/python bench/adapt_hand.py [--model weights/model.npz] [--sites apb,ibm,mot
        | --all-sites] [--ks 1,3,5] [--by site | --by writer] [--split test] [--seed 0]

UNIPEN writers each wrote about one example per character, so the "hand" is a contributing
site (one tablet, one population of writers). For each test-split site with at least two
test writers, its writers are shuffled (seeded) and split in two: K examples per class are
drawn from the first half's samples (fewer where they wrote fewer), turned into the page's
personal examples (`adapt_common.to_example`) and learnt with
`pycnn.learn.adaptation.Adaptation`, exactly as the page and `python -m pycnn.adapt` do; the
second half's samples are scored with the shipped model and the adapted one. Forgetting:
every other test-split site, before and after. Scores, in percent: top-1 within the sample's
section (UNIPEN's task), look-alike tolerant, and over all the model's classes. Floors
(issue 11): at K=3, errors within section cut by >= 10% on average and no site worse;
forgetting <= 0.5 point.

`--by writer` takes the hand to be one person instead, which is what the page meets: every
writer of the split with at least MIN_WRITER_SAMPLES samples teaches K of their own drawings
per class and is scored on the rest of their drawings; forgetting is measured on every
other writer of the split.

Only the test split is read; nothing here chose anything in pycnn.learn (the recipe was set
on validation writers while writing it).
"""

import argparse
import time

import numpy as np
from adapt_common import command_line, same_trunk, scores, to_example, trunk_features

from pycnn.data.unipen import load_unipen, writer_split
from pycnn.learn.adaptation import Adaptation
from pycnn.learn.rehearsal import load_rehearsal
from pycnn.nn import load_model

DEFAULT_SITES = "apb,ced,ibm,lav,mot,syn"  # the test split's sites with two writers or more
MIN_WRITER_SAMPLES = 250


def main():
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--model", default="weights/model.npz")
    p.add_argument("--sites", default=DEFAULT_SITES)
    p.add_argument("--all-sites", action="store_true")
    p.add_argument("--ks", default="1,3,5")
    p.add_argument("--train", default="head")
    p.add_argument("--steps", type=int, default=None)
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--by", default="site", choices=("site", "writer"))
    p.add_argument("--split", default="test", choices=("val", "test"),
                   help="the writers to measure on (val: to choose the recipe)")
    p.add_argument("--lr", type=float, default=None)
    p.add_argument("--rehearsal-used", type=int, default=None)
    p.add_argument("--negative-weight", type=float, default=None)
    p.add_argument("--no-prototypes", action="store_true")
    p.add_argument("--old-prototypes", choices=("all", "misread"), default=None)
    p.add_argument("--nearest", type=int, default=None)
    p.add_argument("--augmented-images", type=int, default=None)
    args = p.parse_args()
    options = {"train": args.train, "steps": args.steps}
    if args.lr is not None:
        options["learning_rate"] = args.lr
    if args.rehearsal_used is not None:
        options["rehearsal_used"] = args.rehearsal_used
    if args.negative_weight is not None:
        options["negative_weight"] = args.negative_weight
    if args.no_prototypes:
        options["prototypes"] = False
    if args.old_prototypes:
        options["old_prototypes"] = True if args.old_prototypes == "all" else "misread"
    if args.nearest is not None:
        options["nearest"] = args.nearest
    if args.augmented_images is not None:
        options["augmented_images"] = args.augmented_images
    ks = [int(k) for k in args.ks.split(",")]

    model = load_model(args.model)
    rehearsal = load_rehearsal()
    data = load_unipen()
    test = writer_split(data)[args.split]
    test = test[np.isin(data.mapping[data.labels[test]], model.labels)]
    started = time.time()
    features = trunk_features(model, data, test)
    print("%d %s-split samples through the trunk in %.0f s" % (len(test), args.split,
                                                               time.time() - started))
    site_of = data.source[test] if args.by == "site" else data.writers[test]
    sites = sorted(set(site_of.tolist()))
    if args.by == "writer":
        sites = [s for s in sites if (site_of == s).sum() >= MIN_WRITER_SAMPLES]
    else:
        sites = [s for s in sites if len(set(data.writers[test[site_of == s]].tolist())) >= 2]
        if not args.all_sites:
            sites = [s for s in args.sites.split(",") if s in sites]
    rng = np.random.RandomState(args.seed)
    rows = []
    print("%-8s %2s %5s %6s | %-20s %-7s| %-15s | %-15s | %-20s | %5s" % (
        args.by, "K", "shown", "scored", "within before->after", "cut", "look-alike",
        "all classes", "other %ss within" % args.by, "s"))
    for site in sites:
        here = site_of == site
        if args.by == "writer":  # K of their drawings per class teach, the rest are scored
            teaching = np.zeros(len(test), dtype=bool)
            for c in np.unique(data.labels[test[here]]):
                drawn = np.flatnonzero(here & (data.labels[test] == c))
                teaching[np.random.RandomState([args.seed, int(c)]).permutation(drawn)
                         [:max(ks)]] = True
        else:
            writers = sorted(set(data.writers[test[here]].tolist()))
            rng.shuffle(writers)
            teach = writers[:max(1, len(writers) // 2)]
            teaching = here & np.isin(data.writers[test], teach)
        scored = here & ~teaching
        others = ~here
        before = scores(model, features[scored], data, test[scored])
        before_other = scores(model, features[others], data, test[others])
        pool = test[teaching]
        for k in ks:
            chosen = []
            for c in np.unique(data.labels[pool]):
                members = pool[data.labels[pool] == c]
                pick = np.random.RandomState([args.seed, k, int(c)]).permutation(members)[:k]
                chosen.extend(int(i) for i in pick)
            examples = [to_example(data, i) for i in chosen]
            begin = time.time()
            adapted = Adaptation(model, examples, rehearsal=rehearsal, seed=args.seed,
                                 **options).run()
            seconds = time.time() - begin
            assert same_trunk(model, adapted)
            after = scores(adapted, features[scored], data, test[scored])
            after_other = scores(adapted, features[others], data, test[others])
            cut = 100 * (after["within"] - before["within"]) / max(100 - before["within"], 1e-9)
            forgetting = before_other["within"] - after_other["within"]
            rows.append((site, k, cut, forgetting, after["within"] - before["within"]))
            print("%-8.8s %2d %5d %6d | %6.2f -> %6.2f     %+6.1f%% | %5.2f -> %5.2f | "
                  "%5.2f -> %5.2f | %6.2f -> %6.2f (%+.2f) | %5.1f" % (
                      site, k, len(examples), int(scored.sum()), before["within"],
                      after["within"], cut, before["lookalike"], after["lookalike"],
                      before["top1"], after["top1"], before_other["within"],
                      after_other["within"], -forgetting, seconds), flush=True)
    print()
    print("K  mean error cut (within)  %ss worse  mean forgetting (points)  worst" % args.by)
    for k in ks:
        chosen = [r for r in rows if r[1] == k]
        print("%d  %+6.1f%%                  %d of %d       %+.2f                  %+.2f" % (
            k, np.mean([r[2] for r in chosen]), sum(r[4] < 0 for r in chosen), len(chosen),
            np.mean([r[3] for r in chosen]), max(r[3] for r in chosen)))
    print("(error cut: share of the within-section errors removed; forgetting: points lost "
          "on the other %ss)" % args.by)
    print("command: " + command_line())


if __name__ == "__main__":
    main()
