"""Which part of the photo stand-in costs a model most? Each part left out in turn.

    python bench/paper_ablation.py --models weights/model.npz [OTHER ...] [--split val] [--n 400]

Reads --n characters of the split's digits and letters (a fixed random choice) as photos
from `bench/paper_standin.py`: whole, and with each part of its degradation left out (the
thin pen, the uneven light, the blur, the small crop, the JPEG), and as the page's canvas
draws them; prints each model's case-merged top-1 in All for each. When leaving a part out
moves a model by little, that part is not what the model misses on photos.
"""

import argparse
import os
import sys

import numpy as np

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

from default_reading import paper_images  # noqa: E402
from paper_standin import PARTS  # noqa: E402

from pycnn.data.dataset import render_batch  # noqa: E402
from pycnn.data.unipen import default_data_path, load_stroke_files, writer_split  # noqa: E402
from pycnn.nn import load_model  # noqa: E402


def read_all(model, images, truth):
    caseless = np.char.lower(np.asarray([str(label) for label in model.labels]))
    return 100.0 * float((caseless[model.predict_proba(images).argmax(axis=1)] == truth).mean())


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--models", nargs="+", required=True)
    parser.add_argument("--split", default="val", choices=("val", "test"))
    parser.add_argument("--n", type=int, default=400)
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args(argv)
    data = load_stroke_files([default_data_path()])
    pool = writer_split(data)[args.split]
    chosen = np.random.RandomState(args.seed).choice(pool, min(args.n, len(pool)), replace=False)
    truth = np.char.lower(np.array([data.label_char(int(i)) for i in chosen]))
    models = [load_model(path) for path in args.models]
    print("%-16s" % ("%s, %d" % (args.split, len(chosen)))
          + "".join("%18s" % os.path.basename(p)[:17] for p in args.models))
    variants = [("canvas", None), ("photo", ())] + [("photo, no " + p, (p,)) for p in PARTS]
    for name, without in variants:
        images = (render_batch(data, chosen, pad_size=280)[0] if without is None
                  else paper_images(data, chosen, without=without))
        print("%-16s" % name + "".join("%17.1f%%" % read_all(m, images, truth) for m in models),
              flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
