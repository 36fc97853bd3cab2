"""python -m pycnn.predict: read the character in one or more images.

    python -m pycnn.predict drawing.png photo.jpg [--model weights/model.npz] [--json]

Each image holds one character: a canvas export (ink in the alpha channel), a photo or
scan of dark ink on paper, or light ink on a dark background. Prints the top 5 labels with
their probabilities. With --json the last line is a JSON list with one entry per image.
Exits non-zero only if every image failed.
"""

import argparse
import json
import sys

import numpy as np

from .cli import load_usable_model, run_cli
from .preprocess import EmptyImageError, preprocess

TOP = 5


def read_image(path):
    """The image as a uint8 array: (H, W, 4) when it has transparency, else (H, W, 3)."""
    from PIL import Image, UnidentifiedImageError

    try:
        with Image.open(path) as image:
            image.load()
            has_alpha = image.mode in ("RGBA", "LA", "PA") or "transparency" in image.info
            return np.asarray(image.convert("RGBA" if has_alpha else "RGB"))
    except FileNotFoundError:
        raise ValueError("no such file") from None
    except IsADirectoryError:
        raise ValueError("is a folder, not an image") from None
    except UnidentifiedImageError:
        raise ValueError("not a PNG or JPEG image (or damaged)") from None
    except (OSError, SyntaxError) as err:
        raise ValueError("cannot read the image (%s)" % err) from None


def top_labels(model, probabilities, k=TOP):
    order = np.argsort(-probabilities, kind="stable")[:k]
    return [[model.labels[i], round(float(probabilities[i]), 6)] for i in order]


def predict_file(model, path):
    try:
        x = preprocess(read_image(path))
    except EmptyImageError:
        return {"file": path, "error": "the image is empty: no character found"}
    except ValueError as err:
        return {"file": path, "error": str(err)}
    probs = model.predict_proba(x[None, None])[0]
    return {"file": path, "top5": top_labels(model, probs)}


def main(argv=None):
    p = argparse.ArgumentParser(prog="python -m pycnn.predict", description=__doc__.split("\n")[0])
    p.add_argument("images", nargs="+", metavar="IMAGE")
    p.add_argument("--model", default="weights/model.npz")
    p.add_argument("--json", action="store_true", help="end with one JSON line")
    args = p.parse_args(argv)
    model = load_usable_model(args.model)
    results = [predict_file(model, path) for path in args.images]
    for r in results:
        if "error" in r:
            print("%s: error: %s" % (r["file"], r["error"]))
        else:
            print("%s: %s" % (r["file"], "  ".join("%s %.1f%%" % (lab, 100 * p)
                                                    for lab, p in r["top5"])))
    if args.json:
        print(json.dumps(results))
    return 1 if all("error" in r for r in results) else 0


if __name__ == "__main__":
    sys.exit(run_cli(main))
