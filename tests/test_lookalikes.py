"""Look-alike groups from a confusion matrix, the "0 or O" rule, and look-alike scoring.

Only pytest, numpy and pycnn: this file also runs on the page's Python 3.8 + NumPy 1.17.
"""

import json

import numpy as np
import pytest

from pycnn.read import lookalikes
from pycnn.read.lookalikes import (
    choose_min_share,
    choose_unsure_below,
    groups_from_confusion,
    hits,
    leading_lookalikes,
    load_groups,
    shown_answer,
    table_from_confusion,
)

LABELS = list("0OoI1lx")


def confusion_of(pairs, n=100):
    """A confusion matrix where each (truth, answer, count) moves `count` of n samples."""
    c = np.diag(np.full(len(LABELS), float(n)))
    for truth, answer, count in pairs:
        a, b = LABELS.index(truth), LABELS.index(answer)
        c[a, a] -= count
        c[a, b] += count
    return c


def test_pairs_over_the_threshold_in_either_direction_make_groups_of_mutual_lookalikes():
    c = confusion_of([("0", "O", 30), ("o", "O", 12), ("o", "0", 11), ("1", "l", 9),
                      ("l", "1", 10), ("I", "1", 5), ("x", "0", 2)])
    # 0, O and o are each linked to each other; 1/l is linked by l->1 alone (10%); I->1 at
    # 5% and x->0 at 2% are under the 10% threshold.
    assert groups_from_confusion(c, LABELS) == ["0Oo", "1l"]
    # At 5% I joins 1 but not l (I and l are not linked): the stronger 1-l pair keeps 1.
    assert groups_from_confusion(c, LABELS, threshold=0.05) == ["0Oo", "1l"]
    assert groups_from_confusion(np.diag(np.ones(len(LABELS))), LABELS) == []


def test_links_do_not_chain_shapes_that_are_not_alike():
    # 0 looks like O and O like o, but 0 and o are never confused: o stays out of 0's group,
    # and the stronger pair (0-O, 30%) is the group.
    c = confusion_of([("0", "O", 30), ("o", "O", 12)])
    assert groups_from_confusion(c, LABELS) == ["0O"]
    # A chain l-1-I of pairs, none closing the triangle: the strongest pair wins.
    c = confusion_of([("I", "1", 20), ("1", "l", 15)])
    assert groups_from_confusion(c, LABELS) == ["I1"]


def test_rates_are_per_truth_class_so_a_rare_class_still_links():
    c = np.diag(np.full(len(LABELS), 100.0))
    x, o = LABELS.index("x"), LABELS.index("o")
    c[x, x], c[x, o] = 7, 3  # x has 10 samples and 30% of them read as o; 3 of 110 overall
    assert groups_from_confusion(c, LABELS) == ["ox"]


def test_leading_lookalikes_join_the_first_answer_with_its_close_look_alikes():
    groups = ["0Oo", "1Il"]

    def leading(top):
        return leading_lookalikes(top, groups, min_share=0.1)

    assert leading([["0", 0.48], ["O", 0.41], ["8", 0.05]]) == ["0", "O"]
    assert leading([["0", 0.40], ["O", 0.30], ["o", 0.2]]) == ["0", "O", "o"]
    # A look-alike below the share is no doubt, and one behind another answer is not leading.
    assert leading([["0", 0.95], ["O", 0.04]]) is None
    assert leading([["0", 0.5], ["8", 0.3], ["O", 0.2]]) is None
    assert leading([["7", 0.6], ["1", 0.3]]) is None
    assert leading([]) is None
    assert leading_lookalikes([["0", 0.7], ["O", 0.2]], groups, min_share=0.25) is None


def test_the_share_is_the_smallest_at_which_shown_leaders_are_often_wrong():
    groups = ["0O"]
    # Ten drawings of 0 and O: with a runner-up at 20% the leader is always right, with one
    # at 40% or more it is right half the time.
    tops = ([[["0", 0.8], ["O", 0.2]]] * 4 + [[["0", 0.55], ["O", 0.45]]] * 3
            + [[["O", 0.55], ["0", 0.45]]] * 3)
    truths = ["0"] * 4 + ["0", "0", "O"] + ["0", "0", "O"]
    share, tried = choose_min_share(tops, truths, groups, shares=(0.1, 0.3, 0.5))
    assert share == 0.3
    assert tried[0] == (0.1, 1.0, 0.7)  # shown for all ten, leader right 7 times: > 2/3
    assert tried[1] == (0.3, 0.6, 0.5)
    assert tried[2] == (0.5, 0.0, None)


def test_what_is_shown_is_the_leading_lookalikes_with_their_summed_probability():
    groups = ["0O"]
    assert shown_answer([["0", 0.48], ["O", 0.41], ["7", 0.11]], groups, 0.05) == \
        (["0", "O"], pytest.approx(0.89))
    assert shown_answer([["0", 0.48], ["O", 0.41]], [], 0.05) == (["0"], 0.48)
    assert shown_answer([["0", 0.9], ["O", 0.04]], groups, 0.05) == (["0"], 0.9)
    assert shown_answer([], groups) == ([], 0.0)


def test_unsure_below_is_the_largest_confidence_under_which_what_is_shown_is_mostly_wrong():
    confidences = [0.7] * 4 + [0.55] * 4 + [0.95] * 4
    rights = [1, 0, 0, 0] + [1, 1, 0, 0] + [1] * 4  # right: 1/4 at 0.7, 2/4 at 0.55
    chosen, tried = choose_unsure_below(confidences, rights, grid=(0.6, 0.75, 0.9, 0.96))
    # Below 0.75 and below 0.9 alike: 3 right of 8; below 0.96: 7 of 12, mostly right.
    assert chosen == 0.9
    accuracy = {c: a for c, _, a in tried}
    assert accuracy[0.6] == pytest.approx(2 / 4) and accuracy[0.9] == pytest.approx(3 / 8)
    assert accuracy[0.96] == pytest.approx(7 / 12)
    assert {c: below for c, below, _ in tried}[0.75] == pytest.approx(8 / 12)
    assert choose_unsure_below([0.9], [True], grid=(0.5, 0.95))[0] == 0.0  # never unsure


def test_hits_count_an_answer_in_the_truths_group_as_right():
    groups = ["0Oo"]
    truth = [LABELS.index(c) for c in "00Ox"]
    answer = [LABELS.index(c) for c in "0oxO"]
    assert hits(answer, truth, LABELS, groups).tolist() == [True, True, False, False]


def test_the_table_carries_the_evidence_for_each_group():
    c = confusion_of([("0", "O", 30), ("o", "O", 12), ("I", "1", 5)])
    table = table_from_confusion(c, LABELS)
    assert table["groups"] == ["0O"]  # o is linked to O only, not to 0
    assert table["pairs"] == [
        {"a": "0", "b": "O", "a_read_as_b": 0.3, "b_read_as_a": 0.0},
        {"a": "O", "b": "o", "a_read_as_b": 0.0, "b_read_as_a": 0.12},
    ]


def test_symbols_that_differ_only_by_size_or_position_are_lookalikes_by_construction():
    labels = LABELS + list("-_.,'`+")
    c = np.zeros((len(labels), len(labels)))
    np.fill_diagonal(c, 50)  # never confused on validation
    assert groups_from_confusion(c, labels) == ["-_", ".,'`"]
    assert groups_from_confusion(c, labels, same=()) == []
    n = len(LABELS)
    assert groups_from_confusion(c[:n, :n], LABELS) == []  # a model without symbols
    c[labels.index("+"), labels.index("-")] = 20  # "+" is linked to "-" but not to "_"
    assert groups_from_confusion(c, labels) == ["-_", ".,'`"]
    c[labels.index("+"), labels.index("_")] = 20  # linked to both: it joins
    assert groups_from_confusion(c, labels) == ["-_+", ".,'`"]
    assert table_from_confusion(c, labels)["same_once_scaled"] == ["-_", ".,'`"]


def test_the_checked_in_table_is_well_formed():
    with open(lookalikes.TABLE_PATH, encoding="utf-8") as handle:
        table = json.load(handle)
    groups = load_groups()
    assert groups == table["groups"] and groups
    seen = "".join(groups)
    assert len(seen) == len(set(seen)), "a character is in two groups"
    assert all(len(group) >= 2 for group in groups)
    assert table["split"] == "val", "look-alikes are chosen on validation, never on test"
    # Each group is exactly what its listed pairs, at their recorded rates, group together.
    labels = sorted(set(seen) | {p[k] for p in table["pairs"] for k in ("a", "b")})
    c = np.zeros((len(labels), len(labels)))
    for p in table["pairs"]:
        a, b = labels.index(p["a"]), labels.index(p["b"])
        c[a, b], c[b, a] = 1e4 * p["a_read_as_b"], 1e4 * p["b_read_as_a"]
    c[np.diag_indices(len(labels))] = 1e4 - c.sum(axis=1)
    regrouped = groups_from_confusion(c, labels, table["threshold"],
                                      table.get("same_once_scaled", ()))
    assert sorted(map(sorted, regrouped)) == sorted(map(sorted, groups))


def test_no_table_means_no_groups(tmp_path):
    assert load_groups(str(tmp_path / "absent.json")) == []
