"""Pictures of a training run: learning curves and a confusion matrix (training side only;
matplotlib is imported here and never by the page)."""

import numpy as np


def _pyplot():
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    return plt


def plot_history(history, path, loss_label="cross-entropy", scores=None,
                 score_label="top-1 accuracy", score_title="Accuracy"):
    """Loss (train and validation) on the left; on the right the curves `scores` names,
    [(history key, legend)], by default the training and validation accuracy (a word
    model shows its validation character error rate and word accuracy there)."""
    plt = _pyplot()
    epochs = history.get("epoch", list(range(1, len(history["loss"]) + 1)))
    if scores is None:
        scores = [("acc", "train (augmented)"), ("val_acc", "validation (held-out writers)")]
    fig, (ax_loss, ax_acc) = plt.subplots(1, 2, figsize=(10, 4))
    ax_loss.plot(epochs, history["loss"], label="train")
    if "val_loss" in history:
        ax_loss.plot(epochs, history["val_loss"], label="validation")
    ax_loss.set_xlabel("epoch")
    ax_loss.set_ylabel(loss_label)
    ax_loss.set_title("Loss")
    ax_loss.legend()
    for key, label in scores:
        if key in history:
            ax_acc.plot(epochs, history[key], label=label)
    ax_acc.set_xlabel("epoch")
    ax_acc.set_ylabel(score_label)
    ax_acc.set_title(score_title)
    ax_acc.legend()
    for ax in (ax_loss, ax_acc):
        ax.grid(alpha=0.3)
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)


def plot_confusion(matrix, labels, path, title="Confusion matrix (validation)"):
    plt = _pyplot()
    totals = np.maximum(matrix.sum(axis=1, keepdims=True), 1)
    rates = matrix / totals
    n = len(labels)
    fig, ax = plt.subplots(figsize=(12, 11))
    image = ax.imshow(rates, cmap="viridis", vmin=0, vmax=1)
    ax.set_xticks(range(n))
    ax.set_yticks(range(n))
    ax.set_xticklabels(labels, fontsize=7)
    ax.set_yticklabels(labels, fontsize=7)
    ax.set_xlabel("predicted")
    ax.set_ylabel("true")
    ax.set_title(title)
    fig.colorbar(image, ax=ax, fraction=0.046, pad=0.04, label="fraction of the true class")
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)


def plot_word_readings(examples, path):
    """How a word model reads: for each (title, image, reading) of `examples`, the word's
    (32, W) input image with, under it, each frame's best class (a dot for the blank) placed
    under the columns it stems from, shaded by its probability, and the raw reading and the
    best words in the title. reading: a `pycnn.read.word_reader` reading dict."""
    plt = _pyplot()
    widths = [image.shape[1] for _, image, _ in examples]
    fig, axes = plt.subplots(len(examples), 1, figsize=(min(12, max(widths) / 22 + 1.5),
                                                        1.9 * len(examples)), squeeze=False)
    for ax, (title, image, reading) in zip(axes[:, 0], examples):
        height, width = image.shape
        ax.imshow(1.0 - image, cmap="gray", vmin=0, vmax=1, extent=(0, width, height, 0))
        step = reading["columns_per_frame"]
        strip_top = height + 2
        for t, (label, p) in enumerate(zip(reading["frames"], reading["frame_confidence"])):
            x = (t + 0.5) * step
            ax.axvline(t * step, ymin=0, ymax=1, color="#dddddd", lw=0.4, zorder=0)
            ax.text(x, strip_top + 6, label or "\u00b7", ha="center", va="center",
                    fontsize=9, family="monospace", color=(0, 0, 0.6, 0.25 + 0.75 * p),
                    fontweight="bold" if label else "normal")
        ax.set_xlim(0, width)
        ax.set_ylim(strip_top + 12, 0)
        ax.set_xticks([])
        ax.set_yticks([])
        words = ", ".join("%s" % w for w, _ in reading["words"][:3])
        ax.set_title("%s   raw: %r   best words: %s" % (title, reading["raw"], words),
                     fontsize=9, loc="left")
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)
