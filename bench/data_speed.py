"""Throughput of the training data path: render strokes like the page + preprocess to 28x28.

Usage: .venv/bin/python bench/data_speed.py [--samples 2048] [--pad-size 96]
Runs on one core (the data path is single-threaded NumPy) and prints samples per second,
with and without augmentation.
"""

import argparse
import os
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

import numpy as np  # noqa: E402

from pycnn.data.dataset import render_batch  # noqa: E402
from pycnn.data.unipen import load_unipen  # noqa: E402


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--samples", type=int, default=2048)
    parser.add_argument("--pad-size", type=int, default=96)
    parser.add_argument("--data", default=None, help="stroke .npz (default: the shared copy)")
    args = parser.parse_args()

    data = load_unipen(args.data)
    indices = np.random.default_rng(0).choice(len(data), size=args.samples, replace=False)
    render_batch(data, indices[:64], rng=0, pad_size=args.pad_size, augment=True)  # warm-up
    for augment in (False, True):
        start = time.perf_counter()
        render_batch(data, indices, rng=1, pad_size=args.pad_size, augment=augment)
        seconds = time.perf_counter() - start
        print(
            "render+preprocess, pad %d px, augment=%s: %.0f samples/s (%d samples in %.2f s)"
            % (args.pad_size, augment, args.samples / seconds, args.samples, seconds)
        )
    print(
        "command: .venv/bin/python bench/data_speed.py --samples %d --pad-size %d"
        % (args.samples, args.pad_size)
    )


if __name__ == "__main__":
    main()
