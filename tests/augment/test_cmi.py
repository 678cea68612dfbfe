"""Code-mixing metrics: hand-computed values, bounds, and `babelforge metrics codemix`."""

import json
import math
import subprocess
import sys

import pytest
from hypothesis import given
from hypothesis import strategies as st

from babelforge.augment.cmi import measure, measure_corpus


def test_values_worked_by_hand():
    m = measure(["en", "hi", "hi", "other", "en", "en"])
    # n=6, u=1, w_en=3: CMI = 100 * (1 - 3/5) = 40; p = (3/5, 2/5): M = (1 - 0.52) / (1 * 0.52)
    assert m.cmi == pytest.approx(40.0)
    assert m.m_index == pytest.approx(0.48 / 0.52)
    assert m.i_index == pytest.approx(2 / 4)  # switches en|hi and hi|en over 4 places between 5 language tokens
    assert m.switch_points == 2
    assert m.entropy == pytest.approx(-(0.6 * math.log2(0.6) + 0.4 * math.log2(0.4)))
    # runs: en(1) hi(2) en(2): mean 5/3, population sd sqrt(2/9)
    mean, sd = 5 / 3, (2 / 9) ** 0.5
    assert m.burstiness == pytest.approx((sd - mean) / (sd + mean))


def test_balanced_mixing_reaches_the_maxima():
    m = measure(["a", "b", "a", "b"])
    assert (m.cmi, m.m_index, m.i_index, m.entropy) == pytest.approx((50.0, 1.0, 1.0, 1.0))
    three = measure(["a", "b", "c"])
    assert three.cmi == pytest.approx(100 * (1 - 1 / 3))
    assert three.m_index == pytest.approx(1.0)


def test_monolingual_and_neutral_only_lines_are_zero():
    for labels in (["en"] * 5, ["other", "univ", "OTHER"], [], ["en", "other", "en"]):
        m = measure(labels)
        assert (m.cmi, m.m_index, m.i_index, m.switch_points) == (0.0, 0.0, 0.0, 0)


def test_neutral_tokens_count_in_n_but_do_not_break_runs():
    assert measure(["en", "univ", "en", "hi"]).switch_points == 1
    assert measure(["en", "univ", "en", "hi"]).cmi == pytest.approx(100 * (1 - 2 / 3))


@given(st.lists(st.sampled_from(["en", "hi", "es", "other", "univ"]), max_size=60))
def test_bounds(labels):
    m = measure(labels)
    k = m.languages
    assert 0.0 <= m.cmi <= 100 * (1 - 1 / k) + 1e-9 if k else m.cmi == 0.0
    assert 0.0 <= m.m_index <= 1.0 + 1e-9
    assert 0.0 <= m.i_index <= 1.0
    assert -1.0 <= m.burstiness <= 1.0


def test_corpus_level_pools_tokens():
    corpus = measure_corpus([["en", "en"], ["hi", "hi"]])
    assert corpus.m_index == pytest.approx(1.0)  # the corpus is balanced, no line is mixed
    assert corpus.cmi == 0.0
    assert corpus.i_index == 0.0


def run_metrics_command(source, target) -> subprocess.CompletedProcess:
    """``babelforge metrics codemix`` in its own process, as a user runs it."""
    command = [
        sys.executable,
        "-m",
        "babelforge",
        "metrics",
        "codemix",
        "--input",
        str(source),
        "--output",
        str(target),
    ]
    return subprocess.run(command, capture_output=True, text=True)


def test_the_command_keeps_order_and_fields(tmp_path):
    source = tmp_path / "in.jsonl"
    lines = [{"id": "a", "langs": ["en", "hi"]}, {"id": "b", "langs": ["en"]}, {"id": "c", "langs": ["hi", "other"]}]
    source.write_text("\n".join(json.dumps(x) for x in lines) + "\n")
    target = tmp_path / "out.jsonl"
    result = run_metrics_command(source, target)
    assert result.returncode == 0, result.stderr
    rows = [json.loads(x) for x in target.read_text().splitlines()]
    assert [r["id"] for r in rows] == ["a", "b", "c"]
    assert [r["cmi"] for r in rows] == [50.0, 0.0, 0.0]
    assert all({"cmi", "m_index", "i_index"} <= set(r) for r in rows)


def test_a_malformed_line_is_named_and_nothing_is_written(tmp_path):
    source = tmp_path / "in.jsonl"
    source.write_text('{"langs": ["en"]}\n{"langs": "en hi"}\n')
    target = tmp_path / "out.jsonl"
    result = run_metrics_command(source, target)
    assert result.returncode == 2
    assert 'in.jsonl:2: expected "langs": a list of label strings' in result.stderr
    assert not target.exists()
