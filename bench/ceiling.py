"""Is the shipped model limited by its size or by the data? A PyTorch oracle answers.

Usage: .venv/bin/python bench/ceiling.py [--epochs 10] [--arch deep|default|default-bn|four-conv]
                                         [--save-probs F]

Trains a PyTorch CNN on exactly the images pycnn trains on (the same strokes, the same
seeded augmentation, rendered like the page and passed through `pycnn.read.preprocess`) and
scores it on the validation writers with pycnn's own metrics. `--arch deep` is about four
times the shipped model's compute, with six convolutions and batch normalisation: far more
than the page's 20 ms budget allows. If it reads validation no better than the shipped
model, the accuracy gap is in the data (look-alike classes, noisy labels), not in pycnn.
`default` is the shipped architecture, `default-bn` the same with batch norm (which would fold
into the convolutions for the page), and `four-conv` a deeper, narrower network that fits
the budget (1.2x the multiply-adds).

PyTorch is allowed here as an oracle only; nothing in pycnn imports it. The test split is
never touched.
"""

import argparse
import os
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

import numpy as np  # noqa: E402
import torch  # noqa: E402
from torch import nn  # noqa: E402

from pycnn.data.dataset import render_batch  # noqa: E402
from pycnn.data.unipen import load_unipen, writer_split  # noqa: E402
from pycnn.measure.metrics import accuracy_report  # noqa: E402
from pycnn.train import EpochData  # noqa: E402


def conv_block(c_in, c_out):
    return [nn.Conv2d(c_in, c_out, 3, padding=1, bias=False), nn.BatchNorm2d(c_out), nn.ReLU()]


def build(arch, n_classes):
    if arch == "default":  # the shipped architecture, layer for layer
        return nn.Sequential(
            nn.Conv2d(1, 32, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2),
            nn.Conv2d(32, 64, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2),
            nn.Conv2d(64, 128, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2),
            nn.Flatten(), nn.Linear(1152, 256), nn.ReLU(), nn.Dropout(0.4),
            nn.Linear(256, n_classes))
    if arch == "default-bn":  # the same, with batch norm after each convolution
        return nn.Sequential(
            *conv_block(1, 32), nn.MaxPool2d(2), *conv_block(32, 64), nn.MaxPool2d(2),
            *conv_block(64, 128), nn.MaxPool2d(2),
            nn.Flatten(), nn.Linear(1152, 256), nn.ReLU(), nn.Dropout(0.4),
            nn.Linear(256, n_classes))
    if arch == "four-conv":  # deeper but narrower, 1.2x the multiply-adds: within the budget
        return nn.Sequential(
            nn.Conv2d(1, 32, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2),
            nn.Conv2d(32, 48, 3, padding=1), nn.ReLU(),
            nn.Conv2d(48, 48, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2),
            nn.Conv2d(48, 96, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2),
            nn.Flatten(), nn.Linear(864, 256), nn.ReLU(), nn.Dropout(0.4),
            nn.Linear(256, n_classes))
    return nn.Sequential(  # deep: six convolutions with batch norm
        *conv_block(1, 32), *conv_block(32, 32), nn.MaxPool2d(2),
        *conv_block(32, 64), *conv_block(64, 64), nn.MaxPool2d(2),
        *conv_block(64, 128), *conv_block(128, 128), nn.MaxPool2d(2),
        nn.Flatten(), nn.Linear(1152, 256), nn.ReLU(), nn.Dropout(0.4),
        nn.Linear(256, n_classes))


def predict_proba(model, x, batch=1024):
    model.eval()
    with torch.no_grad():
        out = [torch.softmax(model(torch.from_numpy(x[i:i + batch])), 1).numpy()
               for i in range(0, len(x), batch)]
    return np.concatenate(out)


def main():
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--arch", choices=("deep", "default", "default-bn", "four-conv"), default="deep")
    p.add_argument("--epochs", type=int, default=10)
    p.add_argument("--batch-size", type=int, default=128)
    p.add_argument("--lr", type=float, default=2e-3)
    p.add_argument("--weight-decay", type=float, default=1e-4)
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--limit-train", type=int, default=0, help="for a quick smoke run")
    p.add_argument("--threads", type=int, default=2)
    p.add_argument("--data", default=None)
    p.add_argument("--save-probs", default=None, help="write validation probabilities here")
    args = p.parse_args()

    torch.manual_seed(args.seed)
    torch.set_num_threads(args.threads)
    data = load_unipen(args.data)
    split = writer_split(data)
    train_idx = split["train"]
    if args.limit_train:
        train_idx = np.sort(np.random.RandomState(args.seed).choice(train_idx, args.limit_train,
                                                                    replace=False))
    val_idx = split["val"]
    labels = [str(c) for c in data.mapping]
    x_val, y_val = render_batch(data, val_idx, augment=False)

    model = build(args.arch, len(labels))
    n_params = sum(t.numel() for t in model.parameters())
    decay = [t for t in model.parameters() if t.ndim > 1]
    no_decay = [t for t in model.parameters() if t.ndim <= 1]
    opt = torch.optim.AdamW([{"params": decay, "weight_decay": args.weight_decay},
                             {"params": no_decay, "weight_decay": 0.0}], lr=args.lr)
    steps_per_epoch = -(-len(train_idx) // args.batch_size)
    sched = torch.optim.lr_scheduler.OneCycleLR(
        opt, args.lr, total_steps=args.epochs * steps_per_epoch,
        pct_start=min(0.3, 1.0 / args.epochs), anneal_strategy="cos")
    epoch_data = EpochData(data, train_idx, args.seed, args.epochs)
    print("torch %s, arch %s, %d parameters, %d training samples, %d validation"
          % (torch.__version__, args.arch, n_params, len(train_idx), len(val_idx)))
    for epoch in range(args.epochs):
        start = time.perf_counter()
        x, y = epoch_data(epoch)
        order = np.random.RandomState([args.seed, epoch, 2]).permutation(len(x))
        model.train()
        total, correct, loss_sum = 0, 0, 0.0
        for b in range(steps_per_epoch):
            batch = order[b * args.batch_size:(b + 1) * args.batch_size]
            xb, yb = torch.from_numpy(x[batch]), torch.from_numpy(y[batch])
            logits = model(xb)
            loss = nn.functional.cross_entropy(logits, yb)
            opt.zero_grad()
            loss.backward()
            opt.step()
            sched.step()
            total += len(batch)
            correct += int((logits.argmax(1) == yb).sum())
            loss_sum += loss.item() * len(batch)
        probs = predict_proba(model, x_val)
        r = accuracy_report(probs, y_val, labels, data.section[val_idx])
        print("epoch %d/%d  loss %.4f acc %.4f  val top-1 %.4f merged %.4f top-3 %.4f  %.0fs"
              % (epoch + 1, args.epochs, loss_sum / total, correct / total, r["top1"],
                 r["top1_merged"], r["top3"], time.perf_counter() - start), flush=True)

    s = r["sections"]
    print("validation (held-out writers), %s arch, %d epochs:" % (args.arch, args.epochs))
    print("  top-1 %.2f%%  merged %.2f%%  top-3 %.2f%%" % (100 * r["top1"], 100 * r["top1_merged"],
                                                       100 * r["top3"]))
    for name in sorted(s):
        print("  %s top-1 %.2f%%  merged %.2f%%  top-3 %.2f%%  within section %.2f%%" % (
            name, 100 * s[name]["top1"], 100 * s[name]["top1_merged"], 100 * s[name]["top3"],
            100 * s[name]["top1_within"]))
    if args.save_probs:
        np.savez(args.save_probs, probs=probs, targets=y_val, section=data.section[val_idx],
                 labels=np.array(labels))
    print("command: .venv/bin/python bench/ceiling.py --arch %s --epochs %d --batch-size %d --lr %g"
          % (args.arch, args.epochs, args.batch_size, args.lr))


if __name__ == "__main__":
    main()
