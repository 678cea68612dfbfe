"""constrained, markers and ensemble on the tiny random Marian: mechanics, statuses, offsets.

The tiny model translates nothing (its weights are random), so these tests check what holds for any
model: every span lands on the given text's word boundaries, every record has a status and a reason,
the search is batched, and the step writes and counts what it should.
"""

import itertools
import re

import datasets
import pytest

from babelforge.manifest import load_manifest
from babelforge.projection.constrained import ConstrainedProjector
from babelforge.projection.ensemble import EnsembleProjector
from babelforge.projection.markers import MarkersProjector, _match, mark, unmark
from babelforge.projection.name_case import REASON
from babelforge.projection.projector import ProjectionInput, ProjectionResult, Projector
from babelforge.runner import run_manifest
from babelforge.spans import Span

HARD = [
    ProjectionInput(
        "The Council met in Berlin .", [Span(4, 11, "ORG"), Span(19, 25, "LOC")], "Der Rat tagte in Berlin ."
    ),
    ProjectionInput("No entity here .", [], "Keine Entität hier ."),
    ProjectionInput("Paris", [Span(0, 5, "LOC")], ""),
    ProjectionInput("I saw [ Rome ] and 😀 Zoë .", [Span(21, 24, "PER")], "Ich sah ( Rom ) und 😀 Zoë ."),
    ProjectionInput("Bangkok is big", [Span(0, 7, "LOC")], "กรุงเทพมหานครใหญ่มาก"),
    ProjectionInput("Cairo is big", [Span(0, 5, "LOC")], "القاهرة مدينة كبيرة"),
    ProjectionInput(
        " ".join(f"Name{i}" for i in range(12)),
        [Span(6 * i, 6 * i + 5, "PER") for i in range(10)] + [Span(60, 66, "PER"), Span(67, 73, "PER")],
        " ".join(f"Nom{i}" for i in range(12)),
    ),
]


@pytest.fixture(scope="module")
def constrained(tiny_marian):
    return ConstrainedProjector(str(tiny_marian["hf"]), "en", "de")


def word_edges(text: str) -> tuple[set[int], set[int]]:
    words = [m.span() for m in re.finditer(r"\S+", text)]
    return {a for a, _ in words}, {b for _, b in words}


def test_constrained_spans_sit_on_the_template_words(constrained):
    results = constrained.project(HARD)
    # the tiny model's choice is arbitrary: a name placed on a lower-case word is not projected (name_case)
    statuses = [r.status if REASON not in r.reason else "complete" for r in results[:6]]
    assert statuses == ["complete", "complete", "failed", "complete", "failed", "complete"]
    many = results[6]  # 12 entities on 12 words: the kept choices may collide; what is lost says why
    assert many.status == "complete" or (many.status == "partial" and many.reason == "overlapping choices")
    assert results[2].reason == "empty target"
    assert results[4].reason == "target has no spaces between words"
    for item, result in zip(HARD, results, strict=True):
        assert len(result.spans) == len(item.source_spans) == len(result.scores)
        starts, _ = word_edges(item.target_text)
        taken = sorted((s.start, s.end) for s in result.projected)
        assert all(b <= c for (_, b), (c, _) in itertools.pairwise(taken)), "spans overlap"
        for span, source in zip(result.spans, item.source_spans, strict=True):
            if span is None:
                continue
            assert span.start in starts
            assert span.label == source.label
            assert 0 < span.end <= len(item.target_text)
        assert all(0.0 <= s <= 1.0 for s in result.scores)


def test_constrained_search_is_two_batched_scoring_passes(constrained):
    mt = constrained.translator("en", "de")
    before = mt.model_calls
    constrained.project(HARD)
    assert mt.model_calls - before == 2  # pass 1 and pass 2, across every sentence and entity


def test_constrained_keeps_no_loaded_model_when_pickled(constrained):
    import pickle

    constrained.project(HARD[:1])
    copy = pickle.loads(pickle.dumps(constrained))
    assert copy._translators == {}
    again = copy.project(HARD[:1])[0]
    assert again.status == "complete" or REASON in again.reason


def test_markers_round_trip_and_bracket_variants():
    assert mark("a [x] Rome b", [Span(6, 10, "LOC")]) == "a (x) [Rome] b"
    text, spans = unmark("Der 【Rat】 tagte in [ Berlin ]  heute .")
    assert text == "Der Rat tagte in Berlin heute ."
    assert [text[a:b] for a, b in spans] == ["Rat", "Berlin"]
    text, spans = unmark("「東京」に行った")
    assert [text[a:b] for a, b in spans] == ["東京"]
    text, spans = unmark("no markers ] at all [")
    assert (text, spans) == ("no markers at all", [])


def test_markers_match_by_likeness_when_counts_differ():
    order, scores = _match(["Berlin", "Rat", "extra"], ["Rat", "Berlin"])
    assert order == [1, 0]
    assert scores[0] > 0.5
    order, _ = _match(["Zürich"], ["Rat", "Berlin"])
    assert order == [None, None]


def test_markers_on_the_tiny_model_give_every_record_a_status(tiny_marian):
    projector = MarkersProjector(str(tiny_marian["hf"]), "en", "de")
    results = projector.project(HARD)
    for item, result in zip(HARD, results, strict=True):
        assert result.target_text is not None
        assert "[" not in result.target_text
        assert len(result.spans) == len(item.source_spans)
        assert result.status in {"complete", "partial", "failed"}
        if result.status != "complete":
            assert "marked spans" in result.reason
        for span in result.projected:
            assert 0 <= span.start < span.end <= len(result.target_text)


class Fixed(Projector):
    """A member that answers fixed spans (the ensemble's own logic is what is under test)."""

    def __init__(self, name: str, spans: list):
        self.name, self.spans = name, spans

    def project(self, inputs):
        return [ProjectionResult(list(self.spans), [0.5] * len(self.spans), self.name) for _ in inputs]


def test_ensemble_votes_then_falls_back_in_order():
    a, b, c = Span(0, 3, "PER"), Span(4, 8, "PER"), Span(9, 12, "LOC")
    members = [Fixed("one", [a, None, None]), Fixed("two", [b, c, None]), Fixed("three", [b, None, None])]
    item = ProjectionInput("x", [Span(0, 1, "PER"), Span(2, 3, "LOC"), Span(4, 5, "ORG")], "y")
    (result,) = EnsembleProjector(members).project([item])
    assert result.spans == [b, c, None]  # two votes beat the first member; one member is enough
    assert result.scores[0] == pytest.approx(2 / 3 * 0.5)
    assert result.status == "partial"
    with pytest.raises(ValueError, match="members that project onto a given target"):
        EnsembleProjector([MarkersProjector("m", "en", "de")])


def test_constrained_in_a_manifest_after_translate(tiny_marian, tmp_path, write_manifest, data_dir):
    manifest = {
        "name": "codec",
        "sources": [{"kind": "conll", "path": str(data_dir / "europarl-en.conll"), "language": "en", "limit": 12}],
        "steps": [
            {"translate": {"model": str(tiny_marian["hf"]), "target": "de", "beam_size": 1, "max_decoding_length": 12}},
            {"project": {"method": "constrained", "model": str(tiny_marian["hf"]), "keep_partial": True}},
        ],
        "output": {"path": str(tmp_path / "out"), "kind": "ner", "write_rejects": True},
    }
    result = run_manifest(load_manifest(write_manifest(manifest)))
    rows = datasets.load_dataset(str(tmp_path / "out"), split="train")
    assert len(rows) + sum(result.summary["drops"].values()) == 12
    assert set(rows["language"]) == {"deu_Latn"}
    project = next(s for s in result.summary["steps"] if s["name"] == "project")
    assert (
        sum(v for k, v in project["counts"].items() if k.startswith("status:"))
        + sum(v for k, v in result.summary["drops"].items() if k.startswith("translate"))
        == 12
    )


def test_markers_in_a_manifest_translate_themselves(tiny_marian, tmp_path, write_manifest, data_dir):
    manifest = {
        "name": "easyproject",
        "sources": [{"kind": "conll", "path": str(data_dir / "europarl-en.conll"), "language": "en", "limit": 12}],
        "steps": [
            {"project": {"method": "markers", "model": str(tiny_marian["hf"]), "target": "de", "keep_partial": True}}
        ],
        "output": {"path": str(tmp_path / "out"), "kind": "ner", "write_rejects": True},
    }
    result = run_manifest(load_manifest(write_manifest(manifest)))
    dropped = result.summary["drops"]
    assert sum(sum(v.values()) for v in result.summary["rows"].values()) + sum(dropped.values()) == 12
    assert set(dropped) <= {"project: projection_failed", "project: projection_partial", "project: empty_translation"}
