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
