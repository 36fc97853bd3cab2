"""Accuracy measures used by training, `pycnn.evaluate` and the tests.

The 47-class merge follows EMNIST "balanced": the lowercase letters whose shape is the
uppercase one written smaller (c i j k l m o p s u v w x y z) count as that uppercase
letter, because once a drawing is cropped and scaled nobody can tell them apart.
"""

import numpy as np

MERGED_LOWERCASE = "cijklmopsuvwxyz"

# UNIPEN's benchmarks 1a, 1b and 1c are each a recognition task of its own: digits only,
# uppercase only, lowercase only. "top1_within_section" scores that task by restricting the
# argmax to the section's classes; plain "top1" is the page's task, all 62 classes at once.
SECTION_CLASSES = {"1a": str.isdigit, "1b": str.isupper, "1c": str.islower}


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


def accuracy_report(probabilities, targets, labels, sections=None):
    """{"n", "top1", "top3", "top1_merged", "sections": {name: {...}}} as fractions."""
    targets = np.asarray(targets)
    merge = merged_index(labels)
    pred = probabilities.argmax(axis=1)
    top1 = pred == targets
    top3 = topk_hits(probabilities, targets, 3)
    merged = merge[pred] == merge[targets]

    def summary(mask):
        n = int(mask.sum())
        if n == 0:
            return {"n": 0, "top1": None, "top3": None, "top1_merged": None}
        return {"n": n, "top1": float(top1[mask].mean()), "top3": float(top3[mask].mean()),
                "top1_merged": float(merged[mask].mean())}

    report = summary(np.ones(len(targets), dtype=bool))
    if sections is not None:
        sections = np.asarray(sections)
        report["sections"] = {}
        for name in sorted(set(sections.tolist())):
            mask = sections == name
            entry = summary(mask)
            in_class = SECTION_CLASSES.get(str(name))
            if in_class is not None and entry["n"]:
                allowed = np.array([in_class(lab) for lab in labels])
                restricted = np.where(allowed, probabilities[mask], -1.0).argmax(axis=1)
                entry["top1_within_section"] = float((restricted == targets[mask]).mean())
            report["sections"][str(name)] = entry
    return report


def confusion_matrix(targets, predictions, n_classes):
    matrix = np.zeros((n_classes, n_classes), dtype=np.int64)
    np.add.at(matrix, (np.asarray(targets), np.asarray(predictions)), 1)
    return matrix
