"""Issue 11's first use: correct one misread drawing and learn from it alone. Is the
drawing then read as the correction, and what does that one correction cost the others?

    nice .venv/bin/python bench/correction.py [--model bench/models/model62.npz] [--n 25]
        [--split test] [--seed 1]

Drawings of the --split writers are taken in a seeded random order; each that the model
misreads (top-1 over all classes) is learnt alone, with its true label, by
`pycnn.learn.adaptation.Adaptation` exactly as the page's "Not right?" does. Reported: how
many of the --n corrections then read right, and the points the split's other drawings
(every third) lose, within section and over all classes.
"""

import argparse

import numpy as np
from adapt_common import command_line, scores, to_example, trunk_features

from pycnn.data.unipen import load_unipen, writer_split
from pycnn.learn.adaptation import Adaptation
from pycnn.learn.rehearsal import load_rehearsal
from pycnn.learn.render import render_examples
from pycnn.nn import load_model


def main():
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--model", default="bench/models/model62.npz")
    p.add_argument("--n", type=int, default=25)
    p.add_argument("--split", default="test", choices=("val", "test"))
    p.add_argument("--seed", type=int, default=1)
    args = p.parse_args()
    model = load_model(args.model)
    rehearsal = load_rehearsal()
    data = load_unipen()
    split = writer_split(data)[args.split]
    others = split[::3]
    features = trunk_features(model, data, others)
    before = scores(model, features, data, others)
    right, lost = 0, []
    print("label  read as  after  | others lost: within  all classes")
    for i in np.random.RandomState(args.seed).permutation(split):
        example = to_example(data, int(i))
        x = render_examples([example])
        read = model.labels[int(model.predict(x)[0])]
        if read == example.label:
            continue
        adapted = Adaptation(model, [example], rehearsal=rehearsal, seed=args.seed).run()
        now = adapted.labels[int(adapted.predict(x)[0])]
        right += now == example.label
        after = scores(adapted, features, data, others)
        lost.append((before["within"] - after["within"], before["top1"] - after["top1"]))
        print("%-6s %-8s %-6s | %+.2f  %+.2f" % (example.label, read, now, -lost[-1][0],
                                                  -lost[-1][1]), flush=True)
        if len(lost) == args.n:
            break
    lost = np.array(lost)
    print()
    print("read as the correction after learning: %d of %d" % (right, len(lost)))
    print("points the others lose, within section: mean %.2f, worst %.2f; all classes: "
          "mean %.2f, worst %.2f" % (lost[:, 0].mean(), lost[:, 0].max(), lost[:, 1].mean(),
                                     lost[:, 1].max()))
    print("command: " + command_line())


if __name__ == "__main__":
    main()
