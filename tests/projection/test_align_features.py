"""Alignment agreement of a candidate span with a source span: the features a span scorer can use."""

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays

from babelforge.projection.align_features import link_agreement, soft_agreement

# "the European Parliament met" -> "le Parlement européen a siégé": European 1 <-> européen 2, Parliament 2 <-> 1
LINKS = [(0, 0), (1, 2), (2, 1), (3, 3), (3, 4)]


def test_link_agreement_rewards_the_candidate_that_holds_the_linked_words():
    assert link_agreement(LINKS, range(1, 3), range(1, 3)) == (1.0, 1.0, 1.0)
    precision, recall, f1 = link_agreement(LINKS, range(1, 3), range(1, 4))  # one word too many, linked elsewhere
    assert (precision, recall) == (pytest.approx(2 / 3), 1.0)
    assert f1 == pytest.approx(0.8)
    assert link_agreement(LINKS, range(1, 3), range(2, 3)) == (1.0, 0.5, pytest.approx(2 / 3))
    assert link_agreement([], range(1, 3), range(1, 3)) == (0.0, 0.0, 0.0)


def test_soft_agreement_is_relative_to_each_words_best_match():
    similarity = np.full((4, 5), 0.5)
    for i, j in LINKS:
        similarity[i, j] = 0.9
    assert soft_agreement(similarity, range(1, 3), range(1, 3)) == pytest.approx((1.0, 1.0, 1.0))
    precision, recall, _ = soft_agreement(similarity, range(1, 3), range(2, 3))
    assert precision == pytest.approx(1.0)
    assert recall == pytest.approx((1 + 0.5 / 0.9) / 2)
    assert soft_agreement(similarity, range(0), range(1, 3)) == (0.0, 0.0, 0.0)


@settings(max_examples=60, deadline=None)
@given(
    arrays(np.float64, (5, 6), elements=st.floats(0.01, 1)),
    st.integers(0, 4),
    st.integers(1, 5),
    st.integers(0, 5),
    st.integers(1, 6),
)
def test_agreements_stay_in_the_unit_interval(similarity, s0, s_len, c0, c_len):
    source, candidate = range(s0, min(s0 + s_len, 5)), range(c0, min(c0 + c_len, 6))
    links = [(i, int(similarity[i].argmax())) for i in range(5)]
    for value in (*soft_agreement(similarity, source, candidate), *link_agreement(links, source, candidate)):
        assert 0.0 <= value <= 1.0 + 1e-9
