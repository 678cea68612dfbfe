"""spanmatch and `babelforge eval projection`, on the Europarl sample and loopback embeddings."""

import json
import subprocess
import sys

import pytest

from babelforge.projection.evaluate import evaluate_projection, span_scores
from babelforge.projection.projector import ProjectionInput
from babelforge.projection.spanmatch import SpanMatchProjector
from babelforge.spans import Span


def test_span_scores_are_exact_span_prf():
    gold = [{(0, 4, "PER"), (10, 14, "LOC")}, set()]
    predicted = [{(0, 4, "PER"), (10, 13, "LOC")}, {(1, 2, "ORG")}]
    scores = span_scores(gold, predicted)
    assert (scores["precision"], scores["recall"]) == (pytest.approx(1 / 3, abs=1e-4), 0.5)
    assert scores["per_label"] == {"LOC": 0.0, "ORG": 0.0, "PER": 1.0}


def test_every_record_gets_a_status(llm_server):
    projector = SpanMatchProjector(f"openai:fake@{llm_server.base_url}")
    items = [
        ProjectionInput("Ada met Rome", [Span(0, 3, "PER"), Span(8, 12, "LOC")], "Ada traf Rome"),
        ProjectionInput("No entity here", [], "Keine Entität"),
        ProjectionInput("Paris", [Span(0, 5, "LOC")], ""),
        ProjectionInput("[Brackets] and 😀 Zoë", [Span(17, 20, "PER")], "« Klammern » und 😀 Zoë"),
    ]
    results = projector.project(items)
    assert [r.status for r in results] == ["complete", "complete", "failed", "complete"]
    assert results[0].spans[0] == Span(0, 3, "PER")
    assert items[3].target_text[results[3].spans[0].start : results[3].spans[0].end] == "Zoë"


def test_projection_onto_itself_is_perfect(llm_server, data_dir):
    report = evaluate_projection(
        str(data_dir / "europarl-en.conll"),
        str(data_dir / "europarl-en.conll"),
        "conll",
        SpanMatchProjector(f"openai:fake@{llm_server.base_url}"),
    )
    assert report["f1"] == 1.0
    assert report["yield"] == 1.0


@pytest.mark.slow
def test_eval_projection_command_on_europarl_en_de(data_dir, minilm_path):
    command = [
        sys.executable, "-m", "babelforge", "eval", "projection",
        "--source-file", str(data_dir / "europarl-en.conll"), "--target-file", str(data_dir / "europarl-de.conll"),
        "--format", "conll", "--method", "spanmatch", "--embedder", f"st:{minilm_path}", "--json",
    ]  # fmt: skip
    result = subprocess.run(command, capture_output=True, text=True)
    assert result.returncode == 0, result.stderr
    report = json.loads(result.stdout.strip().splitlines()[-1])
    assert set(report) >= {"precision", "recall", "f1", "per_label", "yield", "sentences_per_second"}
    assert report["sentences"] == 150
    assert 0.3 < report["f1"] <= 1.0  # an English encoder on German: a floor, not the target
    bad = subprocess.run(
        [*command[:5], "--source-file", "x", "--target-file", "y", "--method", "nope"], capture_output=True, text=True
    )
    assert bad.returncode == 2
    assert "unknown projection method 'nope': valid: best, spanmatch" in bad.stderr
