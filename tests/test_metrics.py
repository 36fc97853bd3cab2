"""Accuracy measures: top-k, the 47-class case merge, per-section and within-section scores."""

import numpy as np

from pycnn.metrics import accuracy_report, confusion_matrix, merge_label, merged_index

LABELS = list("0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz")


def one_hot_scores(rows):
    """rows: list of {label: score}; returns (N, 62) probabilities."""
    p = np.full((len(rows), len(LABELS)), 1e-4)
    for i, row in enumerate(rows):
        for label, score in row.items():
            p[i, LABELS.index(label)] = score
    return p / p.sum(axis=1, keepdims=True)


def test_merge_follows_emnist_balanced():
    assert [merge_label(c) for c in "coszabdefghnqrt"] == list("COSZabdefghnqrt")
    assert len(set(merged_index(LABELS).tolist())) == 47


def test_report_counts_top1_top3_merge_and_sections():
    probs = one_hot_scores([
        {"o": 0.6, "O": 0.3},            # true O: wrong, but right once merged
        {"7": 0.5, "1": 0.4},            # true 1: wrong, top-3 right
        {"a": 0.9},                      # true a: right
        {"b": 0.4, "6": 0.5},            # true b: wrong; within lowercase it is right
    ])
    targets = [LABELS.index(c) for c in "O1ab"]
    report = accuracy_report(probs, targets, LABELS, sections=["1b", "1a", "1c", "1c"])
    assert report["n"] == 4
    assert report["top1"] == 0.25
    assert report["top1_merged"] == 0.5
    assert report["top3"] == 1.0
    sec = report["sections"]
    assert sec["1b"] == {"n": 1, "top1": 0.0, "top3": 1.0, "top1_merged": 1.0,
                         "top1_within_section": 1.0}
    assert sec["1a"]["top1_within_section"] == 0.0  # 7 beats 1 among digits too
    assert sec["1c"]["top1"] == 0.5 and sec["1c"]["top1_within_section"] == 1.0


def test_confusion_matrix_counts_pairs():
    m = confusion_matrix([0, 0, 1, 2], [0, 1, 1, 2], 3)
    assert m.tolist() == [[1, 1, 0], [0, 1, 0], [0, 0, 1]]
