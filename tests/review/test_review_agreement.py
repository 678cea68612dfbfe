"""Agreement figures against independent implementations and textbook values."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from babelforge.review import agreement_report, cohen_kappa, fleiss_kappa


@settings(max_examples=60, deadline=None)
@given(st.lists(st.tuples(st.sampled_from("ar"), st.sampled_from("ar")), min_size=2, max_size=40))
def test_cohen_kappa_matches_scikit_learn(pairs):
    from sklearn.metrics import cohen_kappa_score

    a, b = [p[0] for p in pairs], [p[1] for p in pairs]
    ours = cohen_kappa(a, b)
    if ours is None:  # one category used by both: scikit-learn answers nan
        assert len(set(a) | set(b)) == 1
    else:
        assert ours == pytest.approx(cohen_kappa_score(a, b))


def test_fleiss_kappa_textbook_example():
    # Fleiss (1971) as worked on Wikipedia: 10 items, 14 raters, 5 categories, kappa 0.210
    table = [
        [0, 0, 0, 0, 14],
        [0, 2, 6, 4, 2],
        [0, 0, 3, 5, 6],
        [0, 3, 9, 2, 0],
        [2, 2, 8, 1, 1],
        [7, 7, 0, 0, 0],
        [3, 2, 6, 3, 0],
        [2, 5, 3, 2, 2],
        [6, 5, 2, 1, 0],
        [0, 2, 2, 3, 7],
    ]
    ratings = [[str(c) for c, n in enumerate(row) for _ in range(n)] for row in table]
    assert fleiss_kappa(ratings) == pytest.approx(0.2099, abs=1e-3)


def test_fleiss_equals_cohen_like_figures_on_perfect_and_chance_agreement():
    assert fleiss_kappa([["a", "a"], ["r", "r"], ["a", "a"]]) == pytest.approx(1.0)
    assert fleiss_kappa([["a", "r"], ["r", "a"]]) < 0
    assert fleiss_kappa([["a"], ["r"]]) is None


def test_report_per_language_and_label():
    items = {
        1: {"language": "hau", "spans": [[0, 3, "PER"]]},
        2: {"language": "hau", "spans": [[0, 3, "LOC"]]},
        3: {"language": "yor", "spans": []},
    }
    decisions = [
        {"n": 1, "annotator": "a", "decision": "accept", "spans": None},
        {"n": 1, "annotator": "b", "decision": "accept", "spans": [[0, 3, "PER"], [5, 7, "LOC"]]},
        {"n": 2, "annotator": "a", "decision": "accept", "spans": None},
        {"n": 2, "annotator": "b", "decision": "reject", "spans": None},
        {"n": 3, "annotator": "a", "decision": "reject", "spans": None},
        {"n": 3, "annotator": "b", "decision": "reject", "spans": None},
    ]
    report = agreement_report(decisions, items)
    assert report["items_with_overlap"] == 3
    assert report["overall"]["span_f1"] == pytest.approx(2 * 1 / 3)
    assert report["labels"] == {"LOC": 0.0, "PER": 1.0}
    assert report["languages"]["yor"]["items"] == 1
    assert report["overall"]["cohen_kappa"]["a|b"] == pytest.approx(
        cohen_kappa(["accept", "accept", "reject"], ["accept", "reject", "reject"])
    )
