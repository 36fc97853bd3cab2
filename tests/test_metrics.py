"""Accuracy measures: top-k, the 47-class case merge, look-alikes, per section and within set."""

import numpy as np

from pycnn.measure.metrics import accuracy_report, confusion_matrix, merge_label, merged_index

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


def test_report_counts_top1_top3_merge_lookalikes_and_sections():
    probs = one_hot_scores([
        {"o": 0.6, "O": 0.3},            # true O: wrong, but right once merged or as look-alike
        {"7": 0.5, "1": 0.4},            # true 1: wrong, top-3 right
        {"a": 0.9},                      # true a: right
        {"b": 0.4, "6": 0.5},            # true b: wrong; within lowercase it is right
    ])
    targets = [LABELS.index(c) for c in "O1ab"]
    groups = ["0Oo", "1Il"]
    report = accuracy_report(probs, targets, LABELS, sections=["1b", "1a", "1c", "1c"],
                             groups=groups)
    assert report["n"] == 4
    assert report["top1"] == 0.25
    assert report["top1_merged"] == 0.5
    assert report["top1_lookalike"] == 0.5  # o for O; 7 is no look-alike of 1
    assert report["top3"] == 1.0
    assert report["top1_within"] == 0.75  # O within capitals, a and b within lowercase
    sec = report["sections"]
    assert sec["1b"] == {"n": 1, "top1": 0.0, "top3": 1.0, "top1_merged": 1.0,
                         "top1_lookalike": 1.0, "top1_within": 1.0}
    assert sec["1a"]["top1_within"] == 0.0  # 7 beats 1 among digits too
    assert sec["1c"]["top1"] == 0.5 and sec["1c"]["top1_within"] == 1.0
    # Logits give the same report as the probabilities they make.
    again = accuracy_report(np.log(probs), targets, LABELS, ["1b", "1a", "1c", "1c"], groups)
    assert again == report


def test_within_is_none_for_a_section_whose_set_the_model_lacks():
    probs = one_hot_scores([{"a": 0.9}, {"7": 0.9}])
    report = accuracy_report(probs, [LABELS.index("a"), LABELS.index("7")], LABELS,
                             sections=["1d", "1a"], groups=[])
    assert report["sections"]["1d"]["top1_within"] is None  # no symbols among 62 classes
    assert report["sections"]["1a"]["top1_within"] == 1.0
    assert report["top1_within"] == 1.0  # over the samples that have a readable set


def test_confusion_matrix_counts_pairs():
    m = confusion_matrix([0, 0, 1, 2], [0, 1, 1, 2], 3)
    assert m.tolist() == [[1, 1, 0], [0, 1, 0], [0, 0, 1]]


def test_top3_counts_a_target_third_and_not_one_fourth():
    probs = one_hot_scores([
        {"a": 0.4, "b": 0.3, "c": 0.2, "d": 0.1},  # true c: third, in the top 3
        {"a": 0.4, "b": 0.3, "c": 0.2, "d": 0.1},  # true d: fourth, not
    ])
    report = accuracy_report(probs, [LABELS.index("c"), LABELS.index("d")], LABELS, groups=[])
    assert report["top3"] == 0.5 and report["top1"] == 0.0


def test_within_reads_each_section_in_its_own_set_only():
    # Each true class loses to a character of another section, and wins within its own.
    probs = one_hot_scores([
        {"C": 0.5, "c": 0.3},   # true c (1c): a capital C beats it
        {"l": 0.5, "7": 0.3},   # true 7 (1a): a small l beats it
        {"2": 0.5, "Z": 0.3},   # true Z (1b): a digit 2 beats it
        {"x": 0.5, "y": 0.3},   # true y (1c): a small x beats it, wrong within 1c too
    ])
    targets = [LABELS.index(c) for c in "c7Zy"]
    report = accuracy_report(probs, targets, LABELS, sections=["1c", "1a", "1b", "1c"],
                             groups=[])
    sections = report["sections"]
    assert report["top1"] == 0.0 and report["top1_within"] == 0.75
    assert sections["1a"]["top1_within"] == 1.0
    assert sections["1b"]["top1_within"] == 1.0
    assert sections["1c"]["top1_within"] == 0.5
