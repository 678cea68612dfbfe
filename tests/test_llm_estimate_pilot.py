"""A pilot against an endpoint that answers nothing says why, before the run finds out."""

import pytest

from babelforge.llm.estimate import estimate_step_costs
from babelforge.manifest import load_manifest


def manifest(tmp_path, write_manifest, server):
    (tmp_path / "seeds.txt").write_text("".join(f"question number {i}\n" for i in range(6)))
    options = {"price_in": 1.0, "price_out": 1.0, "max_retries": 0, "backoff": 0.01}
    model = f"openai:pilot@{server.base_url}"
    step = {"mode": "xl_instruct", "model": model, "response_language": "de", "llm": options}
    spec = {
        "name": "pilot",
        "sources": [{"kind": "text", "path": str(tmp_path / "seeds.txt"), "language": "en"}],
        "steps": [{"instruct": step}],
        "output": {"path": str(tmp_path / "out"), "kind": "chat"},
    }
    return load_manifest(write_manifest(spec))


FAILURES = [("400", "2 rejected (400: no such model)"), ("html", "2 malformed_response")]


@pytest.mark.parametrize(
    ("mode", "said"), [("400", "2 rejected (400: no such model)"), ("html", "2 malformed_response")]
)
def test_a_pilot_that_got_no_answer_names_the_failure(tmp_path, write_manifest, llm_server, monkeypatch, mode, said):
    monkeypatch.setenv("BABELFORGE_HOME", str(tmp_path / "home"))
    llm_server.mode = mode
    (cost,) = estimate_step_costs(manifest(tmp_path, write_manifest, llm_server), sample=4, pilot=2)
    assert "pilot request(s)" in cost.line()
    assert f"got no answer: {said}" in cost.line()
    assert not cost.measured
