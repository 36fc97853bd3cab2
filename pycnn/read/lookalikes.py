"""Look-alikes: characters that are the same shape once a drawing is cropped and scaled.

0/O/o, 1/I/l, C/c and their like are drawn alike, so a reader can't tell them apart by shape
alone; a good reader says so instead of guessing. The groups live in one table,
`pycnn/read/lookalikes.json`, checked in as data and derived from the shipped model's confusion
matrix on the **validation** writers (never the test split):

    python -m pycnn.derive_lookalikes --model weights/model.npz

Two classes a, b are look-alikes when the model reads at least `THRESHOLD` of either one's
validation samples as the other: max(C[a,b] / n_a, C[b,a] / n_b) >= THRESHOLD, where C is
the confusion matrix (rows: truth, columns: answer). Symbols that differ only by size or
position (`SAME_ONCE_SCALED`: "-" "_", and ". , ' `") are linked too, by construction. In a
group every two members are linked (complete linkage, strongest pairs first), so being in
one group always means looking alike.

The page and the CLI use `leading_lookalikes` to show "0 or O" when the leading answers are
look-alikes of each other and the runner-up has at least `min_share` of the probability.
That share is chosen on the validation writers too, as the smallest one at which the leading
answer, when "0 or O" is shown, is right at most `MAX_LEADER_ACCURACY` of the time: below
it, the page would hedge answers it gets right. It is stored in the table, and
`pycnn.evaluate` counts an answer in the truth's group as right for `top1_lookalike`.

"I'm not sure" judges what is shown, not the first label alone: "0 or O" at 48% + 41% is a
sure answer that the drawing is one of them. `shown_answer` gives the labels shown and their
summed probability, and `choose_unsure_below` picks the threshold on the same validation
drawings, after the share (so it lives in the same step; the model's
`calibration.unsure_below` records it). This module runs on the page's Python (3.8, NumPy
1.17).
"""

import json
import os

import numpy as np

TABLE_PATH = os.path.join(os.path.dirname(os.path.abspath(__file__)), "lookalikes.json")
THRESHOLD = 0.10
MIN_SHARES = (0.05, 0.10, 0.15, 0.20, 0.25, 0.30, 0.35, 0.40)
MAX_LEADER_ACCURACY = 2 / 3
UNSURE_GRID = tuple(round(0.05 * k, 2) for k in range(2, 17))  # 0.10 .. 0.80
# Symbols that differ only by size or by where they sit on the line: preprocessing crops and
# scales every drawing, which removes both, so they are look-alikes by construction, however
# seldom the validation writers happen to be confused. A dash high or low ("-" "_"); a small
# mark low or high (". , ' `": a quick comma is a dot, a comma raised is an apostrophe).
SAME_ONCE_SCALED = ("-_", ".,'`")


def groups_from_confusion(confusion, labels, threshold=THRESHOLD, same=SAME_ONCE_SCALED):
    """Look-alike groups (strings of labels, in model order) from a confusion matrix, with
    the labels of each string in `same` linked whatever the confusion says.

    Every two members of a group are linked themselves (complete linkage): pairs join in
    order of strength, and two groups merge only when each member of one is linked to each
    member of the other. Chaining links instead (e with l, l with ', ' with ,) made one group
    of twenty unrelated shapes once rare symbols, with a few validation samples each, came in.
    """
    confusion = np.asarray(confusion, dtype=np.float64)
    n = np.maximum(confusion.sum(axis=1, keepdims=True), 1.0)
    rate = confusion / n
    np.fill_diagonal(rate, 0.0)
    strength = np.maximum(rate, rate.T)
    index = {str(label): i for i, label in enumerate(labels)}
    for chars in same:
        present = [index[c] for c in chars if c in index]
        strength[np.ix_(present, present)] = np.inf  # strongest: they are the same shape
    np.fill_diagonal(strength, 0.0)
    linked = strength >= threshold
    a_idx, b_idx = np.nonzero(np.triu(linked, 1))
    order = sorted(zip(a_idx.tolist(), b_idx.tolist()), key=lambda ab: (-strength[ab], ab))
    group = list(range(len(labels)))
    members = {i: [i] for i in range(len(labels))}
    for a, b in order:
        ga, gb = group[a], group[b]
        if ga == gb or not linked[np.ix_(members[ga], members[gb])].all():
            continue
        for i in members[gb]:
            group[i] = ga
        members[ga] = sorted(members[ga] + members.pop(gb))
    groups = [m for m in members.values() if len(m) > 1]
    groups.sort(key=lambda m: m[0])
    return ["".join(str(labels[i]) for i in m) for m in groups]


def table_from_confusion(confusion, labels, threshold=THRESHOLD, same=SAME_ONCE_SCALED):
    """The JSON-ready table: the groups, the evidence for every linked pair, and the groups
    that are look-alikes by construction."""
    confusion = np.asarray(confusion, dtype=np.float64)
    rate = confusion / np.maximum(confusion.sum(axis=1, keepdims=True), 1.0)
    pairs = []
    for a in range(len(labels)):
        for b in range(a + 1, len(labels)):
            if max(rate[a, b], rate[b, a]) >= threshold:
                pairs.append({"a": str(labels[a]), "b": str(labels[b]),
                              "a_read_as_b": round(float(rate[a, b]), 4),
                              "b_read_as_a": round(float(rate[b, a]), 4)})
    return {"threshold": threshold,
            "groups": groups_from_confusion(confusion, labels, threshold, same),
            "pairs": pairs, "same_once_scaled": list(same)}


def load_table(path=TABLE_PATH):
    """The checked-in table as a dict; {} when there is none."""
    if not os.path.exists(path):
        return {}
    with open(path, encoding="utf-8") as handle:
        return json.load(handle)


def load_groups(path=TABLE_PATH):
    """The checked-in groups as a list of strings; [] when there is no table."""
    return [str(group) for group in load_table(path).get("groups", [])]


# Read once at import: the page starts faster without a second parse of the same file.
_TABLE = load_table()
GROUPS = tuple(str(group) for group in _TABLE.get("groups", []))
# The runner-up's least probability for "0 or O", chosen on validation (see above).
MIN_SHARE = float(_TABLE.get("min_share", MIN_SHARES[-1]))


def choose_min_share(tops, truths, groups, shares=MIN_SHARES,
                     max_leader_accuracy=MAX_LEADER_ACCURACY):
    """(chosen share, [(share, how often shown, leader right when shown), ...]).

    tops: per sample, [[label, probability], ...] most likely first; truths: the labels.
    """
    tried = []
    for share in shares:
        shown = [leading_lookalikes(top, groups, share) is not None for top in tops]
        right = [str(top[0][0]) == str(truth) for top, truth in zip(tops, truths)]
        n_shown = sum(shown)
        accuracy = (sum(r for r, s in zip(right, shown) if s) / n_shown) if n_shown else None
        tried.append((share, n_shown / max(len(tops), 1), accuracy))
    for share, _, accuracy in tried:
        if accuracy is None or accuracy <= max_leader_accuracy:
            return share, tried
    return shares[-1], tried


def group_of(groups):
    """{label: the string of its group} for every label that has look-alikes."""
    return {label: group for group in groups for label in group}


def leading_lookalikes(top, groups, min_share=MIN_SHARE):
    """The leading answers that look alike, e.g. ["0", "O"], or None.

    top: [[label, probability], ...], most likely first. The first answer is joined by the
    answers right after it that are in its group and have at least `min_share`; fewer than
    two means the answer stands alone.
    """
    if not top:
        return None
    same = group_of(groups).get(str(top[0][0]), "")
    leading = [str(top[0][0])]
    for label, probability in top[1:]:
        if str(label) not in same or probability < min_share:
            break
        leading.append(str(label))
    return leading if len(leading) > 1 else None


def shown_answer(top, groups, min_share=MIN_SHARE):
    """What the page shows for `top` ([[label, probability], ...], most likely first):
    (labels, confidence). labels are the leading look-alikes ("0 or O") or the first answer
    alone, and confidence is their summed probability: the chance that the drawing is one
    of the characters shown, which is what "I'm not sure" must judge."""
    if not top:
        return [], 0.0
    labels = leading_lookalikes(top, groups, min_share) or [str(top[0][0])]
    return labels, float(sum(p for _, p in top[: len(labels)]))


def choose_unsure_below(confidences, rights, grid=UNSURE_GRID):
    """(threshold, [(c, share of answers below c, their accuracy), ...]).

    confidences and rights: per validation drawing, the confidence of what is shown and
    whether the truth is among it (`shown_answer`). The threshold is the largest c under
    which the answers shown are right at most half the time: below it an answer is more
    likely wrong than right. 0 (never unsure) when even the least confident are mostly right.
    """
    confidences = np.asarray(confidences, dtype=np.float64)
    rights = np.asarray(rights, dtype=bool)
    tried, chosen = [], 0.0
    for c in grid:
        below = confidences < c
        accuracy = float(rights[below].mean()) if below.any() else None
        tried.append((c, float(below.mean()) if len(below) else 0.0, accuracy))
        if accuracy is not None and accuracy <= 0.5:
            chosen = c
    return chosen, tried


def hits(predicted, truth, labels, groups):
    """Boolean per sample: is the answer the truth or one of its look-alikes?"""
    lookup = group_of(groups)
    names = [str(label) for label in labels]
    return np.array([p == t or names[p] in lookup.get(names[t], "")
                     for p, t in zip(np.asarray(predicted), np.asarray(truth))], dtype=bool)
