"""Issue 11's first use: correct one misread drawing and learn from it alone. Is the
drawing then read as the correction, and what does that one correction cost the others?

    nice .venv/bin/python bench/correction.py [--model bench/models/model62.npz] [--n 25]
        [--split test] [--seed 1]

Drawings of the --split writers are taken in a seeded random order; each that the model
misreads (top-1 over all classes) is learnt alone, with its true label, by
`pycnn.learn.adaptation.Adaptation` exactly as the page's "Not right?" does. Reported: how
many of the --n corrections then read right, the same drawing and its VARIATIONS (turned by
-5 and +5 degrees, 10% smaller and larger, drawn with a brush of 0.03 and 0.07 of the pad
instead of 0.045: what the same person drawing it again does) read as the correction, and
the points the split's other drawings (every third) lose, within section and over all
classes. Floor: >= 95% of the drawings and their variations read as corrected.
"""

import argparse

import numpy as np
from adapt_common import command_line, scores, to_example, trunk_features

from pycnn.data.unipen import load_unipen, writer_split
from pycnn.learn.adaptation import Adaptation
from pycnn.learn.examples import Example
from pycnn.learn.rehearsal import load_rehearsal
from pycnn.learn.render import render_examples
from pycnn.nn import load_model

VARIATIONS = (("turned -5", {"turn": -5}), ("turned +5", {"turn": 5}),
              ("10% smaller", {"size": 0.9}), ("10% larger", {"size": 1.1}),
              ("brush 0.03", {"brush": 0.03}), ("brush 0.07", {"brush": 0.07}))


def varied(example, turn=0.0, size=1.0, brush=None):
    """The example's strokes turned by `turn` degrees and scaled by `size` about the ink's
    centre, drawn with `brush` (pad fractions) instead of their own."""
    points = np.concatenate([p for _, p in example.strokes])
    centre = (points.min(axis=0) + points.max(axis=0)) / 2
    a = np.radians(turn)
    rotation = np.array([[np.cos(a), -np.sin(a)], [np.sin(a), np.cos(a)]])
    strokes = [(brush if brush is not None else b, (p - centre) @ rotation.T * size + centre)
               for b, p in example.strokes]
    return Example(example.label, strokes, example.pad_side)


def main():
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--model", default="bench/models/model62.npz")
    p.add_argument("--n", type=int, default=25)
    p.add_argument("--split", default="test", choices=("val", "test"))
    p.add_argument("--seed", type=int, default=1)
    p.add_argument("--old-prototypes", action="store_true")
    p.add_argument("--no-old-prototypes", action="store_true")
    p.add_argument("--lr", type=float, default=None)
    args = p.parse_args()
    options = {}
    if args.old_prototypes or args.no_old_prototypes:
        options["old_prototypes"] = bool(args.old_prototypes)
    if args.lr is not None:
        options["learning_rate"] = args.lr
    model = load_model(args.model)
    rehearsal = load_rehearsal()
    data = load_unipen()
    split = writer_split(data)[args.split]
    others = split[::3]
    features = trunk_features(model, data, others)
    before = scores(model, features, data, others)
    right, lost, variations = 0, [], []
    print("label  read as  after  variations | others lost: within  all classes")
    for i in np.random.RandomState(args.seed).permutation(split):
        example = to_example(data, int(i))
        x = render_examples([example])
        read = model.labels[int(model.predict(x)[0])]
        if read == example.label:
            continue
        adapted = Adaptation(model, [example], rehearsal=rehearsal, seed=args.seed,
                             **options).run()
        now = adapted.labels[int(adapted.predict(x)[0])]
        right += now == example.label
        xv = render_examples([varied(example, **change) for _, change in VARIATIONS])
        read_varied = [adapted.labels[int(k)] for k in adapted.predict(xv)]
        variations.append([r == example.label for r in read_varied])
        after = scores(adapted, features, data, others)
        lost.append((before["within"] - after["within"], before["top1"] - after["top1"]))
        print("%-6s %-8s %-6s %d of %d     | %+.2f  %+.2f" % (
            example.label, read, now, sum(variations[-1]), len(VARIATIONS), -lost[-1][0],
            -lost[-1][1]), flush=True)
        if len(lost) == args.n:
            break
    lost = np.array(lost)
    print()
    print("read as the correction after learning: %d of %d" % (right, len(lost)))
    variations = np.array(variations)
    print("its variations read as the correction: %d of %d (%s); with the drawings: %.1f%%" % (
        variations.sum(), variations.size, ", ".join(
            "%s %d" % (name, n) for (name, _), n in zip(VARIATIONS, variations.sum(axis=0))),
        100 * (variations.sum() + right) / (variations.size + len(lost))))
    print("points the others lose, within section: mean %.2f, worst %.2f; all classes: "
          "mean %.2f, worst %.2f" % (lost[:, 0].mean(), lost[:, 0].max(), lost[:, 1].mean(),
                                     lost[:, 1].max()))
    print("command: " + command_line())


if __name__ == "__main__":
    main()
