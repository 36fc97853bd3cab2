"""The page's personal examples for bench/page_learning.js, as examples files the page imports.

    .venv/bin/python bench/learning_examples.py --model MODEL --out DIR [--per-class 3]
        [--seed 0]

DIR/hand.json: --per-class examples of each of the model's digits and letters (3 x 62 =
186), from the writer-disjoint test split of the UNIPEN alnum file, each from a randomly
chosen writer (seeded), drawn as the page keeps them (bench/adapt_common.to_example).
DIR/symbol.json: 5 examples of one symbol MODEL does not read, from the training-split
writers of the UNIPEN symbols file (the first of "+=?#%&@$" it lacks), or, when MODEL reads
them all, 5 synthesised drawings of an arrow labelled "arrow" (varied in position and size).
Prints one JSON line: {"hand": n, "symbol": label}.
"""

import argparse
import json
import os

import numpy as np
from adapt_common import to_example

from pycnn.data.render import DEFAULT_LINE_WIDTH_FRACTION
from pycnn.data.unipen import SYMBOLS_FILE_NAME, default_data_path, load_unipen, writer_split
from pycnn.learn.examples import Example, examples_json
from pycnn.nn import load_model

CREATED = "2026-11-29T20:00:00Z"
SYMBOLS = "+=?#%&@$"


def write(path, examples):
    obj = examples_json(examples)
    for i, example in enumerate(obj["examples"]):
        # Distinct times, so the page's duplicate check keeps every one.
        example["created"] = "2026-11-29T20:%02d:%02dZ" % (i // 60 % 60, i % 60)
    with open(path, "w", encoding="utf-8") as f:
        json.dump(obj, f)


def arrow(dx, dy, s):
    def line(a, b, n=12):
        return np.array([[a[0] + (b[0] - a[0]) * t, a[1] + (b[1] - a[1]) * t]
                         for t in np.linspace(0, 1, n)])
    parts = [line((0.2, 0.5), (0.8, 0.5)), line((0.62, 0.33), (0.8, 0.5), 8),
             line((0.8, 0.5), (0.62, 0.67), 8)]
    return Example("arrow", [(DEFAULT_LINE_WIDTH_FRACTION, 0.5 + (p - 0.5) * s + (dx, dy))
                             for p in parts], 320)


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--model", required=True)
    parser.add_argument("--out", required=True)
    parser.add_argument("--per-class", type=int, default=3)
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args()
    labels = set(load_model(args.model).labels)
    rng = np.random.RandomState(args.seed)

    data = load_unipen()
    test = writer_split(data)["test"]
    hand = []
    for c, char in enumerate(data.mapping):
        if char not in labels:
            continue
        members = test[data.labels[test] == c]
        chosen = rng.choice(members, args.per_class, replace=False)
        hand += [to_example(data, int(i)) for i in chosen]
    write(os.path.join(args.out, "hand.json"), hand)

    missing = [s for s in SYMBOLS if s not in labels]
    if missing:
        symbols = load_unipen(default_data_path(SYMBOLS_FILE_NAME))
        train = writer_split(symbols)["train"]
        c = list(symbols.mapping).index(missing[0])
        members = train[symbols.labels[train] == c]
        symbol = [to_example(symbols, int(i)) for i in rng.choice(members, 5, replace=False)]
    else:
        symbol = [arrow(dx, dy, s) for dx, dy, s in
                  [(0, 0, 1), (0.04, -0.03, 0.9), (-0.05, 0.02, 1.1), (0.02, 0.05, 0.8),
                   (-0.03, -0.04, 1.05)]]
    write(os.path.join(args.out, "symbol.json"), symbol)
    print(json.dumps({"hand": len(hand), "symbol": symbol[0].label}))


if __name__ == "__main__":
    main()
