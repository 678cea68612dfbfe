"""Cost before running: the estimate against what the ledger then spends, and the confirm_above gate."""

import pytest

from babelforge.errors import BabelforgeError
from babelforge.llm.estimate import StepCost, confirm_costs, cost_lines, estimate_step_costs
from babelforge.llm.ledger import SharedBudget
from babelforge.llm.tokens import token_counter
from babelforge.manifest import load_manifest
from babelforge.pipeline import work_dir_for
from babelforge.runner import run_manifest

PAIRS = "tatoeba-eng-swh.tsv"


@pytest.fixture(scope="module")
def tokenizer(minilm_path) -> str:
    """A real tokenizer that ships offline (English WordPiece: Swahili costs it more tokens a word)."""
    return str(minilm_path / "tokenizer.json")


def pairs(data_dir) -> list[tuple[str, str]]:
    return [tuple(line.split("\t")) for line in (data_dir / PAIRS).read_text().splitlines()]


def xl_manifest(tmp_path, lines: list[str], server, tokenizer: str, name: str, **llm) -> dict:
    (tmp_path / f"{name}.txt").write_text("\n".join(lines) + "\n")
    options = {"tokenizer": tokenizer, "price_in": 0.5, "price_out": 1.5, "max_budget": 100.0, **llm}
    return {
        "name": name,
        "sources": [{"kind": "text", "path": str(tmp_path / f"{name}.txt"), "language": "en"}],
        "steps": [{"instruct": {"mode": "xl_instruct", "model": f"openai:{name}@{server.base_url}",
                                "response_language": "en", "llm": options}}],
        "output": {"path": str(tmp_path / name), "kind": "chat"},
        "executor": {"local": {"tasks": 2, "workers": 1}},
    }  # fmt: skip


def spent_by_the_run(manifest, monkeypatch, tmp_path) -> float:
    """The run's ledger (the budget file every task shares), from a cache of its own."""
    monkeypatch.setenv("BABELFORGE_HOME", str(tmp_path / "run-home"))
    run_manifest(manifest, keep_work=True)
    step = manifest.step_settings[0]
    path = step.llm.for_run(work_dir_for(manifest.output.path)).budget_file(step.model)
    return SharedBudget(path).totals()[0]


def estimate(manifest, monkeypatch, tmp_path, **kwargs):
    monkeypatch.setenv("BABELFORGE_HOME", str(tmp_path / "estimate-home"))
    (cost,) = estimate_step_costs(manifest, **kwargs)
    return cost


def test_the_estimate_of_english_prompts_is_within_10_percent(
    data_dir, tmp_path, write_manifest, llm_server, tokenizer, monkeypatch
):
    counter = token_counter("anything", tokenizer)
    llm_server.count_tokens = counter.count
    llm_server.reply = lambda request: request["messages"][-1]["content"]  # answers as long as the question
    english = [e for e, _ in pairs(data_dir)]
    manifest = load_manifest(write_manifest(xl_manifest(tmp_path, english, llm_server, tokenizer, "english")))
    cost = estimate(manifest, monkeypatch, tmp_path, sample=20)
    assert llm_server.requests == []  # nothing was sent to estimate
    assert cost.records == 40
    assert cost.requests == 40
    assert cost.tokenizer == f"tokenizer:{tokenizer}"
    actual = spent_by_the_run(manifest, monkeypatch, tmp_path)
    assert cost.cost_usd == pytest.approx(actual, rel=0.10)


def test_the_estimate_of_swahili_prompts_with_a_pilot_is_within_10_percent(
    data_dir, tmp_path, write_manifest, llm_server, tokenizer, monkeypatch
):
    counter = token_counter("anything", tokenizer)
    english_of = {s: e for e, s in pairs(data_dir)}
    llm_server.count_tokens = counter.count
    llm_server.reply = lambda request: english_of.get(request["messages"][-1]["content"], "?")
    swahili = [s for _, s in pairs(data_dir)]
    words = sum(len(s.split()) for s in swahili)
    assert sum(counter.count(s) for s in swahili) / words > 1.3 * sum(
        counter.count(e) for e, _ in pairs(data_dir)
    ) / sum(len(e.split()) for e, _ in pairs(data_dir))  # more tokens a word than English
    manifest = load_manifest(write_manifest(xl_manifest(tmp_path, swahili, llm_server, tokenizer, "swahili")))
    cost = estimate(manifest, monkeypatch, tmp_path, sample=40, pilot=20)
    assert "measured on 20 pilot" in cost.output
    assert len(llm_server.chat_paths()) == 20
    actual = spent_by_the_run(manifest, monkeypatch, tmp_path)
    assert cost.cost_usd == pytest.approx(actual, rel=0.10)


def test_long_answers_are_bounded_unmeasured_then_measured_on_the_cached_pilot(
    data_dir, tmp_path, write_manifest, llm_server, tokenizer, monkeypatch
):
    """Answers four times their questions: no pilot says so and bounds it; a pilot's cache measures it."""
    counter = token_counter("anything", tokenizer)
    llm_server.count_tokens = counter.count
    llm_server.reply = lambda request: " ".join([request["messages"][-1]["content"]] * 4)
    english = [e for e, _ in pairs(data_dir)]
    spec = xl_manifest(tmp_path, english, llm_server, tokenizer, "long", max_tokens=400)
    manifest = load_manifest(write_manifest(spec))
    plain = estimate(manifest, monkeypatch, tmp_path, sample=40)
    assert not plain.measured
    assert llm_server.requests == []
    assert "answers not measured" in plain.line()
    assert "at most ~" in plain.line()
    piloted = estimate(manifest, monkeypatch, tmp_path, sample=40, pilot=8)
    assert piloted.measured
    assert len(llm_server.chat_paths()) == 8
    again = estimate(manifest, monkeypatch, tmp_path, sample=40)  # nothing sent: the pilot's answers are cached
    assert again.measured
    assert "cached answer" in again.output
    assert len(llm_server.chat_paths()) == 8
    actual = spent_by_the_run(manifest, monkeypatch, tmp_path)
    assert plain.cost_usd < 0.6 * actual < actual <= plain.worst_usd
    assert piloted.cost_usd == pytest.approx(actual, rel=0.10)
    per_request = again.cost_usd / (again.requests - again.cached)  # the pilot's cached answers cost the run nothing
    assert 0 < again.cached < again.requests
    assert per_request == pytest.approx(actual / again.requests, rel=0.10)


def test_the_pilot_draw_is_apart_from_the_priced_sample_and_nested(data_dir, tmp_path, write_manifest):
    from babelforge.llm.estimate import _sample

    spec = {
        "name": "draws",
        "sources": [{"kind": "text", "path": str(data_dir / PAIRS), "language": "en"}],
        "output": {"path": str(tmp_path / "out"), "kind": "text"},
    }
    manifest = load_manifest(write_manifest(spec))
    records, (priced, small) = _sample(manifest, (10, 5), seed=0)
    _, (priced_again, large) = _sample(manifest, (10, 12), seed=0)
    texts = lambda docs: [d.text for d in docs]  # noqa: E731
    assert records == len((data_dir / PAIRS).read_text().splitlines())
    assert texts(priced) == texts(priced_again)  # deterministic
    assert texts(small) == texts(large)[:5]  # a smaller pilot draw is the head of a larger one
    assert texts(large)[:10] != texts(priced)  # the pilot is drawn apart from the priced sample


def test_a_manifest_without_llm_steps_has_no_estimate(data_dir, tmp_path, write_manifest):
    spec = {
        "name": "plain",
        "sources": [{"kind": "conll", "path": str(data_dir / "europarl-en.conll"), "language": "en", "limit": 3}],
        "output": {"path": str(tmp_path / "out"), "kind": "ner"},
    }
    assert estimate_step_costs(load_manifest(write_manifest(spec))) == []


def cost(usd: float, above: float | None, worst: float | None = None) -> StepCost:
    return StepCost(2, "instruct", "m", "http://x/v1", 10, 10, 10, 0, 100, 100, usd, "characters/4", False,
                    "assumed", confirm_above=above, measured=worst is None, worst_usd=worst)  # fmt: skip


def test_confirm_above_guards_the_worst_case_while_answers_are_unmeasured():
    with pytest.raises(BabelforgeError, match=r"up to ~30.0000 USD with answers unmeasured .*--pilot 20"):
        confirm_costs([cost(5.0, 10.0, worst=30.0)], interactive=False)
    confirm_costs([cost(5.0, 10.0, worst=8.0)], interactive=False)


def test_confirm_above_refuses_without_a_terminal_in_one_line():
    with pytest.raises(BabelforgeError, match=r"steps\[2\].instruct ~12.0000 USD > confirm_above 10.0000") as found:
        confirm_costs([cost(12.0, 10.0)], interactive=False)
    assert "\n" not in str(found.value)
    confirm_costs([cost(9.0, 10.0), cost(50.0, None)], interactive=False)  # under the line, or no line


def test_confirm_above_asks_on_a_terminal():
    asked = []
    confirm_costs([cost(12.0, 10.0)], interactive=True, ask=lambda q: asked.append(q) or "y")
    assert "Run anyway?" in asked[0]
    with pytest.raises(BabelforgeError, match="run cancelled"):
        confirm_costs([cost(12.0, 10.0)], interactive=True, ask=lambda q: "")


def test_cost_lines_print_one_line_a_step_and_a_total():
    lines = cost_lines([cost(1.0, None), cost(2.5, None)])
    assert len(lines) == 3
    assert "~1.0000 USD" in lines[0]
    assert lines[-1] == "llm total: ~3.5000 USD"


def test_yes_approves_a_cost_above_confirm_above_and_says_so(data_dir, tmp_path, write_manifest, llm_server, tokenizer):
    import os
    import subprocess
    import sys

    llm_server.reply = lambda request: "jibu"
    english = [e for e, _ in pairs(data_dir)][:4]
    spec = xl_manifest(tmp_path, english, llm_server, tokenizer, "approved", confirm_above=0.0)
    path = write_manifest(spec)
    env = {**os.environ, "BABELFORGE_HOME": str(tmp_path / "home")}
    run = [sys.executable, "-m", "babelforge", "run", str(path)]
    refused = subprocess.run(run, capture_output=True, text=True, env=env, stdin=subprocess.DEVNULL)
    assert refused.returncode == 2
    assert "pass --yes to approve it" in refused.stderr
    approved = subprocess.run([*run, "--yes"], capture_output=True, text=True, env=env, stdin=subprocess.DEVNULL)
    assert approved.returncode == 0, approved.stderr
    assert "yes (--yes)" in approved.stdout


def test_the_run_accounts_for_its_requests_in_provenance_and_the_summary(
    data_dir, tmp_path, write_manifest, llm_server, tokenizer, monkeypatch
):
    import json

    from babelforge.llm.accounting import usage_rows

    llm_server.count_tokens = token_counter("anything", tokenizer).count
    llm_server.reply = lambda request: request["messages"][-1]["content"]
    english = [e for e, _ in pairs(data_dir)]
    manifest = load_manifest(write_manifest(xl_manifest(tmp_path, english, llm_server, tokenizer, "accounted")))
    actual = spent_by_the_run(manifest, monkeypatch, tmp_path)
    steps = json.loads((tmp_path / "accounted" / "provenance.json").read_text())["steps"]
    ((name, usage),) = usage_rows(steps)
    assert name == "instruct"
    assert usage["llm_requests"] == len(english)
    assert usage["llm_usd"] == pytest.approx(actual, rel=1e-4)
    assert usage["llm_prompt_tokens"] > 0
    assert usage["llm_completion_tokens"] > 0
