"""Calibration's sample-size-aware edges and the language share of a document."""

import math
from fractions import Fraction

import pytest
from datatrove.data import Document

from babelforge.curate.calibrate import Bounds, calibrate
from babelforge.curate.quality import QualityStep
from babelforge.curate.quality_filters import build_filters
from babelforge.curate.quality_language import folded_words, frequent_words, language_share, segment_coverage
from babelforge.steps import Drop

BOILERPLATE = [
    "Home | News | Sport | Business | Entertainment | Contact us",
    "Privacy Policy · Terms of Use · Cookie Policy",
    "Share this article: WhatsApp Facebook Twitter Email",
    "Follow us on Facebook, Twitter and Instagram",
    "This website uses cookies to improve your experience. Accept",
]


@pytest.fixture(scope="module")
def swahili(data_dir) -> list[str]:
    lines = (data_dir / "tatoeba-eng-swh.tsv").read_text(encoding="utf-8").splitlines()
    sentences = [line.split("\t")[1] for line in lines]
    return [" ".join(sentences[i : i + 4]) for i in range(0, len(sentences) - 3, 4)]


def _beyond(n: int, k: int, p: float) -> float:
    """P(Binomial(n, p) >= k), in exact fractions."""
    q = Fraction(p).limit_denominator(10**6)
    return float(1 - sum(math.comb(n, j) * q**j * (1 - q) ** (n - j) for j in range(k)))


@pytest.mark.parametrize("n", [5, 112, 229, 230, 283, 1000, 5000])
def test_edge_rank_is_the_largest_sure_order_statistic(n):
    bounds = Bounds(tail=0.01, confidence=0.9)
    k = bounds.rank(n)
    if k > 1 or _beyond(n, 1, 0.01) >= 0.9:
        assert _beyond(n, k, 0.01) >= 0.9
    assert _beyond(n, k + 1, 0.01) < 0.9  # one rank further in is no longer that sure
    assert k <= max(1, n * 0.01)


def test_small_references_take_the_extreme_and_large_ones_move_in():
    assert Bounds(tail=0.01).rank(112) == 1  # Amharic's 112 articles: no rank is 90% sure
    assert Bounds(tail=0.01).rank(1000) == 6  # 1000 documents: the 6th, not the 10th
    assert Bounds(tail=0.01, confidence=0.5).rank(1000) > Bounds(tail=0.01, confidence=0.9).rank(1000)
    values = list(range(1000))
    assert Bounds(tail=0.01, fence=0).upper(values, share=False) == 994
    assert Bounds(tail=0.01, fence=0).lower([v + 1 for v in values]) == 6


def test_folding_joins_tone_marked_and_bare_spellings():
    assert folded_words("Àwọn ọmọ NÍ ilé, 2023") == ["awon", "omo", "ni", "ile"]
    assert frequent_words(["a a a a b b c", "a b d"], cover=0.5) == ["a"]
    assert frequent_words(["a a a a b b c", "a b d"], cover=0.8) == ["a", "b"]


def test_language_share_counts_words_in_segments_of_the_language():
    frequent = {"na", "ya", "kwa", "wa", "ni"}
    text = "\n".join([BOILERPLATE[0], "Rais wa nchi ya Kenya ni mgeni", *BOILERPLATE[1:]])
    segments = segment_coverage(text, frequent)
    assert len(segments) == 7  # the cookie line is two sentences
    assert [round(c, 2) for _, c in segments][:2] == [0.0, 0.43]
    assert language_share(text, frequent, 0.2) == pytest.approx(7 / sum(n for n, _ in segments))
    assert language_share("Rais wa nchi ya Kenya ni mgeni. Alisema kwa furaha.", frequent, 0.2) == 1.0
    assert language_share("!!! ???", frequent, 0.2) == 0.0


def test_calibrated_config_drops_foreign_boilerplate_and_keeps_the_language(swahili):
    config = calibrate(swahili, "swh_Latn", "tatoeba")
    share = config.language_share
    assert share is not None
    assert 0 <= share.min_coverage < 1
    assert 0.3 <= share.min_share <= 0.5
    assert {"ni", "kwa"} <= set(share.frequent_words)
    assert config.derived_from.confidence == 0.9
    step = QualityStep(config)
    page = "\n".join([*BOILERPLATE[:2], swahili[3], *BOILERPLATE[2:]])
    assert isinstance(step.process(Document(page, "page")), Drop)
    alone = dict(build_filters(config))["language_share"]  # the stop-word share may reject it first
    assert alone.filter(Document(page, "page")) == (False, "low_language_share")
    assert alone.filter(Document(swahili[3], "own")) is True
    kept = [d for i, d in enumerate(swahili) if not isinstance(step.process(Document(d, str(i))), Drop)]
    assert kept == swahili  # ten documents: every edge is the most extreme one, so all of the reference passes


def test_yes_no_checks_follow_the_edge_rule(swahili):
    config = calibrate(swahili, "swh_Latn", "tatoeba")
    assert config.c4.filter_curly_bracket  # no reference document holds a brace: the check stays on
    braced = calibrate([*swahili[:-1], swahili[-1] + " {x}"], "swh_Latn", "tatoeba")
    assert not braced.c4.filter_curly_bracket  # one of ten does: the most extreme document is the edge
