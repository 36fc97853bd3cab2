"""Speed of training the word model: pycnn against PyTorch on the CPU, same network, same
thread count, same batches, one run.

Usage: OPENBLAS_NUM_THREADS=1 .venv/bin/python bench/word_speed.py [--threads 1]
           [--batches 6] [--repeats 3] [--batch-size 32]

Builds the trainer's `words` network (pycnn/train_words.py) and its twin in torch.nn with
the same weights, checks that both give the same CTC loss on one batch, then times one
training step (forward, CTC loss, backward, Adam) on batches of real validation words drawn
as the trainer draws them (sorted by width, as the trainer batches them), interleaving the
two and repeating (medians reported). It reports words/s for each and their ratio. PyTorch
is an oracle here only: the product never imports it. The last line is one JSON object.
"""

import argparse
import json
import os
import statistics
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

import numpy as np  # noqa: E402

from pycnn.data.unipen import writer_split  # noqa: E402
from pycnn.data.words import load_words  # noqa: E402
from pycnn.nn import Adam  # noqa: E402
from pycnn.nn.ctc import CTCLoss  # noqa: E402
from pycnn.nn.sequence import pad_batch  # noqa: E402
from pycnn.train_words import BLANK, label_batch, new_model, render  # noqa: E402


def torch_twin(model, torch):
    """The `words` network in torch, pycnn's weights copied in: a function x -> (N, T, C)."""
    F = torch.nn.functional
    params = {key: torch.nn.Parameter(torch.from_numpy(np.array(p, dtype=np.float32)))
              for key, p, _ in model.parameters()}

    def forward(x):
        h = x
        for i, layer in enumerate(model.layers):
            name = layer.name
            if name == "Conv2D":
                h = F.conv2d(h, params["%d.weight" % i], params["%d.bias" % i], padding=1)
            elif name == "ReLU":
                h = F.relu(h)
            elif name == "MaxPool2D":
                h = F.max_pool2d(h, 2)
            elif name == "MaxPoolHeight":
                h = F.max_pool2d(h, (2, 1))
            elif name == "Collapse":
                h = h.flatten(1, 2)  # (N, C*H, T)
            elif name == "Conv1D":
                d = layer.dilation
                h = F.conv1d(h, params["%d.weight" % i], params["%d.bias" % i], padding=d,
                             dilation=d)
            elif name == "Dropout":
                h = F.dropout(h, layer.rate, training=True)
            elif name == "TimeDense":
                h = F.linear(h.transpose(1, 2), params["%d.weight" % i].T, params["%d.bias" % i])
            else:
                raise ValueError("no torch twin for %s" % name)
        return h

    return forward, list(params.values())


def main():
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--threads", type=int, default=1)
    p.add_argument("--batches", type=int, default=6)
    p.add_argument("--repeats", type=int, default=3)
    p.add_argument("--batch-size", type=int, default=32)
    args = p.parse_args()
    try:
        import torch
    except ImportError:
        sys.exit("PyTorch is the reference here: .venv/bin/pip install torch==2.13.0")
    torch.set_num_threads(args.threads)

    class Options:
        arch, seed = "words", 0

    model = new_model(Options)
    forward, twin_params = torch_twin(model, torch)
    data = load_words()
    val = writer_split(data)["val"]
    rng = np.random.RandomState(0)
    chosen = rng.choice(val, args.batch_size * args.batches, replace=False)
    images, texts = render(data, chosen, None, augment=False)
    order = np.argsort([im.shape[-1] for im in images], kind="mergesort")
    batches = []
    for b in range(args.batches):
        pick = order[b * args.batch_size:(b + 1) * args.batch_size]
        x, widths = pad_batch([images[i] for i in pick], np.float32)
        labels, lengths = label_batch([texts[i] for i in pick])
        batches.append((x, widths, labels, lengths))

    ctc = CTCLoss(blank=BLANK, reduction="mean", zero_infinity=True)
    optimizer = Adam(1e-4)
    twin_optimizer = torch.optim.Adam(twin_params, lr=1e-4)

    # The same network: the same loss on one word (dropout off on both sides). One word
    # alone, because in a padded batch torch's layers see the padding's own outputs, which
    # pycnn zeroes after every layer: the same work, slightly different numbers at the edge.
    x, widths, labels, lengths = batches[0]
    x, widths, labels, lengths = x[:1, :, :, :widths[0]], widths[:1], labels[:1], lengths[:1]
    logits, frames = model.forward_sequence(x, widths, training=False)
    ours = ctc.forward(logits, frames, labels, lengths)
    with torch.no_grad():
        saved = torch.nn.functional.dropout
        torch.nn.functional.dropout = lambda h, rate, training: h
        z = forward(torch.from_numpy(x))
        torch.nn.functional.dropout = saved
        theirs = torch.nn.functional.ctc_loss(
            z.log_softmax(2).transpose(0, 1), torch.from_numpy(labels.astype(np.int64)),
            torch.from_numpy(np.asarray(frames, np.int64)),
            torch.from_numpy(np.asarray(lengths, np.int64)), blank=BLANK, reduction="mean",
            zero_infinity=True).item()
    if not np.isclose(ours, theirs, rtol=1e-3, atol=1e-3):
        sys.exit("the torch twin's loss %.5f is not pycnn's %.5f: not the same network"
                 % (theirs, ours))

    def pycnn_step(batch):
        x, widths, labels, lengths = batch
        logits, frames = model.forward_sequence(x, widths, training=True)
        ctc.forward(logits, frames, labels, lengths)
        model.backward_sequence(ctc.backward())
        optimizer.step(model.parameters())

    tensors = [(torch.from_numpy(x), torch.from_numpy(labels.astype(np.int64)),
                torch.from_numpy(np.asarray(model.forward_sequence(x, widths)[1], np.int64)),
                torch.from_numpy(np.asarray(lengths, np.int64)))
               for x, widths, labels, lengths in batches]

    def torch_step(batch):
        x, labels, frames, lengths = batch
        twin_optimizer.zero_grad()
        z = forward(x)
        torch.nn.functional.ctc_loss(z.log_softmax(2).transpose(0, 1), labels, frames, lengths,
                                     blank=BLANK, reduction="mean",
                                     zero_infinity=True).backward()
        twin_optimizer.step()

    words = args.batch_size * args.batches
    timings = {"pycnn": [], "torch": []}
    pycnn_step(batches[0])
    torch_step(tensors[0])  # warm-up
    for _ in range(args.repeats):
        for name, step, data_batches in (("pycnn", pycnn_step, batches),
                                         ("torch", torch_step, tensors)):
            started = time.perf_counter()
            for batch in data_batches:
                step(batch)
            timings[name].append(words / (time.perf_counter() - started))
    ours, theirs = statistics.median(timings["pycnn"]), statistics.median(timings["torch"])
    mean_width = float(np.mean([b[1].mean() for b in batches]))
    print("word model training, batch %d, mean width %.0f px, %d thread(s): pycnn %.1f words/s, "
          "PyTorch %.1f words/s, ratio %.2f" % (args.batch_size, mean_width, args.threads,
                                                ours, theirs, ours / theirs))
    print(json.dumps({"pycnn_words_per_s": round(ours, 1), "torch_words_per_s": round(theirs, 1),
                      "ratio": round(ours / theirs, 3), "threads": args.threads,
                      "batch_size": args.batch_size, "mean_width": round(mean_width, 1),
                      "torch": torch.__version__}))


if __name__ == "__main__":
    main()
