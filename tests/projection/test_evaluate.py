"""`eval projection`: the ceiling that independent annotations set, --limit, and QA projection on SQuAD files."""

import json

import pytest

from babelforge.projection.evaluate import ceiling, evaluate_projection
from babelforge.projection.evaluate_squad import evaluate_squad_projection, exact_match, normalise_answer, token_f1
from babelforge.projection.spanmatch import SpanMatchProjector
from babelforge.spans import Span


def test_the_ceiling_counts_spans_both_sides_can_match_per_sentence_and_label():
    source = [[Span(0, 3, "PER"), Span(5, 9, "LOC")], [Span(0, 2, "ORG")]]
    target = [[Span(0, 3, "PER")], [Span(0, 2, "LOC")]]
    assert ceiling(source, target) == pytest.approx(2 * 1 / 5, abs=1e-4)  # one PER matches; LOC, ORG cannot
    assert ceiling(source, source) == 1.0
    assert ceiling([[]], [[]]) == 1.0


def test_projection_reports_the_ceiling_and_limits_sentences(llm_server, data_dir):
    projector = SpanMatchProjector(f"openai:fake@{llm_server.base_url}")
    path = str(data_dir / "europarl-en.conll")
    report = evaluate_projection(path, path, "conll", projector, limit=20)
    assert report["sentences"] == 20
    assert (report["ceiling_f1"], report["f1_of_ceiling"]) == (1.0, report["f1"])


@pytest.mark.parametrize(
    ("prediction", "gold", "em", "f1"),
    [
        ("The Panthers", "panthers", 1.0, 1.0),  # case, articles
        ("Denver Broncos.", "the Denver Broncos", 1.0, 1.0),  # punctuation
        ("北京大学", "北京", 0.0, 2 * 0.5 / 1.5),  # characters are tokens where no spaces separate words
        ("भारत की", "भारत", 0.0, 2 * 0.5 / 1.5),  # vowel signs stay in their word
        ("", "x", 0.0, 0.0),
    ],
)
def test_squad_answer_scores(prediction, gold, em, f1):
    assert exact_match(prediction, gold) == em
    assert token_f1(prediction, gold) == pytest.approx(f1)


def test_normalisation_keeps_words_of_every_script():
    assert normalise_answer("« Zoë, l'été »") == ["zoë", "l", "été"]  # SQuAD drops punctuation


def squad(path, items):
    def qa(qid: str, context: str, answer: str) -> dict:
        return {"id": qid, "question": "?", "answers": [{"text": answer, "answer_start": context.index(answer)}]}

    paragraphs = [{"context": context, "qas": [qa(qid, context, a)]} for qid, context, a in items]
    path.write_text(json.dumps({"data": [{"title": "t", "paragraphs": paragraphs}]}))
    return str(path)


def test_qa_projection_is_scored_against_the_target_files_own_answers(llm_server, tmp_path):
    english = [
        ("q1", "Ada lives in Paris now.", "Paris"),
        ("q2", "Bob met Carol.", "Carol"),
        ("q3", "Only here.", "here"),
    ]
    german = [
        ("q2", "Bob traf Carol.", "Carol"),
        ("q1", "Ada wohnt jetzt in Paris.", "Paris"),
        ("q9", "Nicht da.", "da"),
    ]
    source, target = squad(tmp_path / "en.json", english), squad(tmp_path / "de.json", german)
    projector = SpanMatchProjector(f"openai:fake@{llm_server.base_url}")
    report = evaluate_squad_projection(source, target, projector)
    assert report["questions"] == 2  # q3 and q9 have no counterpart
    assert set(report) >= {"exact_match", "f1", "placed"}
    assert 0 <= report["exact_match"] <= report["f1"] <= 1
    assert report["placed"] == 1.0
    assert evaluate_squad_projection(source, target, projector, limit=1)["questions"] == 1


def test_eval_projection_prints_precision_and_yield_by_min_score(llm_server, data_dir):
    from typer.testing import CliRunner

    from babelforge.cli import app

    path = str(data_dir / "europarl-en.conll")
    args = ["eval", "projection", "--source-file", path, "--target-file", path, "--limit", "10"]
    args += ["--embedder", f"openai:fake@{llm_server.base_url}"]
    shown = CliRunner().invoke(app, args)
    assert shown.exit_code == 0, shown.output
    assert "min_score 0.5: precision" in shown.output
    report = json.loads(CliRunner().invoke(app, [*args, "--json"]).output.strip().splitlines()[-1])
    assert set(report["thresholds"]) == {"0.3", "0.5", "0.7", "0.9"}
    for row in report["thresholds"].values():
        assert 0 <= row["precision"] <= 1
        assert 0 <= row["span_yield"] <= 1
    higher = [report["thresholds"][t]["span_yield"] for t in ("0.3", "0.5", "0.7", "0.9")]
    assert higher == sorted(higher, reverse=True)  # a higher min_score keeps no more


def test_gold_files_named_with_glob_characters_are_read_as_named(tmp_path):
    from babelforge.projection.evaluate import read_gold

    (tmp_path / "s[1].conll").write_text("Kano O\nis O\nbig O\n\nAbuja B-LOC\n")
    (tmp_path / "s1.conll").write_text("Not B-PER\n")  # what the name would read as a pattern
    assert read_gold(tmp_path / "s[1].conll", "conll") == [("Kano is big", []), ("Abuja", [Span(0, 5, "LOC")])]
