"""Messages a user reads before any work: the plan with a missing model marked, the stop it causes, extras."""

import os
import subprocess
import sys

import pytest

from babelforge.errors import MissingDependencyError, brief
from babelforge.manifest import load_manifest
from babelforge.models import ModelNotFoundError, check_model, require_models
from babelforge.pipeline import compile_manifest

MISSING = "no-such-org/no-such-model"


def babelforge(*args, env=None):
    env = {**os.environ, "HF_HUB_OFFLINE": "1", **(env or {})}
    return subprocess.run(
        [sys.executable, "-m", "babelforge", *map(str, args)], capture_output=True, text=True, env=env
    )


@pytest.fixture
def translate_manifest(write_manifest, data_dir, tmp_path):
    def write(model: str) -> os.PathLike:
        return write_manifest(
            {
                "name": "mt",
                "sources": [{"kind": "conll", "path": str(data_dir / "europarl-en.conll"), "language": "en"}],
                "steps": [
                    {"translate": {"model": model, "target": "hau_Latn"}},
                    {"project": {"method": "constrained", "model": model}},
                ],
                "output": {"path": str(tmp_path / "out"), "kind": "ner"},
                "executor": {"local": {"tasks": 2}},
            }
        )

    return write


def test_dry_run_prints_the_plan_with_the_missing_model_marked(translate_manifest):
    result = babelforge("run", translate_manifest(MISSING), "--dry-run")
    assert result.returncode == 0, result.stderr
    lines = result.stdout.splitlines()
    assert lines[0] == "manifest mt v1: 1 source(s), 2 step(s)"
    marked = [line.strip() for line in lines if line.strip().startswith(f"model {MISSING}:")]
    assert len(marked) == 2  # under translate and under project
    assert marked[0].startswith(
        f"model {MISSING}: MISSING (not cached, hub offline): get it with `hf download {MISSING}`"
    )
    assert any(line.startswith("output: ") for line in lines)
    assert lines[-1] == f"missing model(s): {MISSING}: a run stops before any work until they are at hand"


def test_dry_run_shows_a_found_model(translate_manifest, tmp_path):
    folder = tmp_path / "model"
    folder.mkdir()
    (folder / "config.json").write_text("{}")
    plan = compile_manifest(load_manifest(translate_manifest(str(folder))))
    lines = [line.strip() for line in plan.describe()]
    assert f"model {folder}: found (revision local:" in "\n".join(lines)
    assert not any(line.startswith("missing model(s)") for line in lines)
    require_models(plan)  # nothing missing: no error


def test_a_run_with_a_missing_model_stops_before_any_work_in_one_line(translate_manifest, tmp_path):
    plan = compile_manifest(load_manifest(translate_manifest(MISSING)))
    with pytest.raises(ModelNotFoundError, match=f"model '{MISSING}' is not a local folder"):
        require_models(plan)  # what a run does before its work starts
    result = babelforge("run", translate_manifest(MISSING))
    assert result.returncode == 2
    errors = [line for line in result.stderr.splitlines() if line.strip()]
    assert len(errors) == 1, result.stderr
    assert errors[0].startswith(f"error: model '{MISSING}' is not a local folder, not in the Hugging Face cache")
    assert f"hf download {MISSING}" in errors[0]
    assert not (tmp_path / "out").exists()


def test_a_missing_model_message_is_whole(monkeypatch):
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    check = check_model(MISSING)
    assert check.resolved is None
    message = str(check.error)
    assert "the Hub is switched off here (HF_HUB_OFFLINE)" in message
    assert message.endswith("or check the id's spelling")
    with pytest.raises(ModelNotFoundError, match="model folder '/no/such/folder' does not exist: check the path"):
        check_model("/no/such/folder").require()


def test_a_missing_extra_names_the_install_command_for_a_clone_and_for_pypi():
    error = MissingDependencyError("the ray executor", ["ray"], "ray")
    assert (
        str(error)
        == 'the ray executor needs ray: pip install -e ".[ray]" (in a clone) or pip install "babelforge[ray]"'
    )
    assert isinstance(error, ImportError)


def test_brief_keeps_the_first_line_whole_or_cuts_between_words():
    assert brief("403 Forbidden: no rights.\nCannot access content at: url") == "403 Forbidden: no rights."
    assert brief("\n\n  first  \nsecond") == "first"
    assert brief("hello wonderful world", 12) == "hello…"
    assert brief("hello wonderful world", 15) == "hello wonderful…"
    assert brief("abcdefghij", 4) == "abcd…"


def test_a_pilot_without_dry_run_is_refused_in_one_line(translate_manifest, tmp_path):
    result = babelforge("run", translate_manifest(MISSING), "--pilot", "5")
    assert result.returncode != 0
    assert result.stderr.strip().splitlines() == [
        "error: --pilot measures answers for the --dry-run estimate: give it with --dry-run"
    ]
    assert not (tmp_path / "out").exists()
