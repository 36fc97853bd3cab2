"""Accuracy measures used by training, `pycnn.evaluate`, `pycnn.prior` and the tests.

The 47-class merge follows EMNIST "balanced": the lowercase letters whose shape is the
uppercase one written smaller (c i j k l m o p s u v w x y z) count as that uppercase
letter, because once a drawing is cropped and scaled nobody can tell them apart.

UNIPEN's benchmarks 1a, 1b, 1c and 1d are each a recognition task of its own: digits only,
capitals only, small letters only, symbols only. `top1_within` scores that task by reading
each sample within its section's character set (`SECTION_SETS`, through `pycnn.read.charsets`,
the one function that restricts a prediction); plain `top1` is the page's "All" task.
`top1_lookalike` counts an answer as right when it is the truth or one of its look-alikes
(`pycnn.read.lookalikes`).
"""

import numpy as np

from ..read.charsets import CharsetError, restrict, set_mask
from ..read.lookalikes import hits as lookalike_hits
from ..read.lookalikes import load_groups

MERGED_LOWERCASE = "cijklmopsuvwxyz"

SECTION_SETS = {"1a": "digits", "1b": "upper", "1c": "lower", "1d": "symbols"}


def merge_label(label):
    return label.upper() if label in MERGED_LOWERCASE else label


def merged_index(labels):
    """Map class index -> merged class index (as an int array) for a list of labels."""
    merged = [merge_label(lab) for lab in labels]
    names = sorted(set(merged), key=merged.index)
    return np.array([names.index(m) for m in merged], dtype=np.int64)


def topk_hits(probabilities, targets, k):
    """Boolean per row: is the target among the k most probable classes?"""
    top = np.argsort(-probabilities, axis=1, kind="stable")[:, :k]
    return (top == np.asarray(targets)[:, None]).any(axis=1)


def within_set_predictions(scores, labels, sections):
    """Per sample, the argmax within its section's set (-1 where the model lacks that set).

    scores: (N, C) logits or probabilities (only their order within a set matters).
    """
    sections = np.asarray(sections)
    predicted = np.full(len(sections), -1, dtype=np.int64)
    for name in sorted(set(sections.tolist())):
        charset = SECTION_SETS.get(str(name))
        if charset is None:
            continue
        try:
            mask = set_mask(charset, labels)
        except CharsetError:
            continue
        rows = sections == name
        predicted[rows] = restrict(scores[rows], mask).argmax(axis=1)
    return predicted


def accuracy_report(scores, targets, labels, sections=None, groups=None, within_scores=None):
    """{"n", "top1", "top3", "top1_merged", "top1_lookalike", "top1_within",
    "sections": {name: {...}}} as fractions.

    scores: (N, C) logits or probabilities. groups: look-alike groups (default: the
    checked-in table). `top1_within` needs `sections`; it covers the samples whose section
    has a set the model reads wholly, and is None where there are none. It reads
    `within_scores` (default: `scores`), so scores already restricted to another set (the
    CLI's --set) can still be read within each section's own set.
    """
    scores = np.asarray(scores, dtype=np.float64)
    targets = np.asarray(targets)
    groups = load_groups() if groups is None else groups
    merge = merged_index(labels)
    pred = scores.argmax(axis=1) if len(scores) else np.zeros(0, dtype=np.int64)
    top1 = pred == targets
    top3 = topk_hits(scores, targets, 3)
    merged = merge[pred] == merge[targets]
    lookalike = lookalike_hits(pred, targets, labels, groups)
    if sections is not None:
        sections = np.asarray(sections)
        within_pred = within_set_predictions(
            scores if within_scores is None else np.asarray(within_scores, np.float64),
            labels, sections)
    else:
        within_pred = np.full(len(targets), -1, dtype=np.int64)

    def summary(mask):
        n = int(mask.sum())
        if n == 0:
            return {"n": 0, "top1": None, "top3": None, "top1_merged": None,
                    "top1_lookalike": None, "top1_within": None}
        scored = mask & (within_pred >= 0)
        return {"n": n, "top1": float(top1[mask].mean()), "top3": float(top3[mask].mean()),
                "top1_merged": float(merged[mask].mean()),
                "top1_lookalike": float(lookalike[mask].mean()),
                "top1_within": float((within_pred[scored] == targets[scored]).mean())
                if scored.any() else None}

    report = summary(np.ones(len(targets), dtype=bool))
    if sections is not None:
        report["sections"] = {str(name): summary(sections == name)
                              for name in sorted(set(sections.tolist()))}
    return report


def confusion_matrix(targets, predictions, n_classes):
    matrix = np.zeros((n_classes, n_classes), dtype=np.int64)
    np.add.at(matrix, (np.asarray(targets), np.asarray(predictions)), 1)
    return matrix
