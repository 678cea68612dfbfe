"""An LLM endpoint down for some records of a task: the task stops, nothing is published, the rerun
makes every record and asks only what was not answered; ``on_outage: drop`` publishes without them."""

import time

import datasets
import pytest

from babelforge.errors import BabelforgeError
from babelforge.manifest import load_manifest
from babelforge.runner import run_manifest

#: Fail fast: no retry, no waiting, a breaker that never opens (each request meets the scripted fault itself).
FAST = {"max_retries": 0, "backoff": 0.01, "backoff_max": 0.01, "breaker_threshold": 100, "max_concurrency": 1}
QUESTIONS = [f"question number {i}" for i in range(4)]


def _manifest(tmp_path, write_manifest, llm_server, name: str, **llm):
    (tmp_path / "seeds.txt").write_text("".join(f"{q}\n" for q in QUESTIONS))
    spec = {
        "name": "outage",
        "sources": [{"kind": "text", "path": str(tmp_path / "seeds.txt"), "language": "en"}],
        "steps": [{"instruct": {"mode": "xl_instruct", "model": f"openai:{name}@{llm_server.base_url}",
                                "response_language": "de", "llm": {**FAST, **llm}}}],
        "output": {"path": str(tmp_path / "out"), "kind": "chat"},
    }  # fmt: skip
    return load_manifest(write_manifest(spec))


def _asked(llm_server) -> list[str]:
    return [str(body["messages"]) for body in llm_server.chat_paths()]


@pytest.mark.parametrize("fault", ["500", "429", "timeout"])
def test_a_partial_outage_stops_the_task_and_the_rerun_asks_only_what_was_not_answered(
    tmp_path, write_manifest, llm_server, fault
):
    manifest = _manifest(tmp_path, write_manifest, llm_server, f"outage-{fault}", timeout=0.5)
    if fault == "timeout":
        llm_server.slow_seconds = 3
    llm_server.script("ok", "slow" if fault == "timeout" else fault, "ok", "ok")
    with pytest.raises(BabelforgeError, match=r"instruct: the LLM endpoint at http://127\.0\.0\.1:\d+/v1 answered no "
                       r"request for 1 of 4 record\(s\) after every retry \(llm_") as raised:  # fmt: skip
        run_manifest(manifest)
    assert "\n" not in str(raised.value)
    assert "run the same command again" in str(raised.value)
    assert not (tmp_path / "out").exists()  # nothing published: before, 3 of 4 rows went out as a finished run
    first = _asked(llm_server)
    llm_server.reset()
    run_manifest(manifest)
    assert len(datasets.load_dataset(str(tmp_path / "out"), split="train")) == 4
    again = _asked(llm_server)
    assert len(again) == 1  # the three answered requests came from the cache
    assert again[0] in first


def test_on_outage_drop_publishes_without_the_records_and_counts_them(tmp_path, write_manifest, llm_server):
    manifest = _manifest(tmp_path, write_manifest, llm_server, "outage-drop", on_outage="drop")
    llm_server.script("ok", "500", "ok", "ok")
    result = run_manifest(manifest)
    assert len(datasets.load_dataset(str(tmp_path / "out"), split="train")) == 3
    assert result.summary["drops"] == {"instruct: llm_server_error": 1}


def test_on_outage_takes_stop_or_drop_only(tmp_path, write_manifest, llm_server):
    with pytest.raises(BabelforgeError, match=r"on_outage"):
        _manifest(tmp_path, write_manifest, llm_server, "outage-bad", on_outage="ignore")


def test_an_outage_in_one_task_lets_the_other_tasks_finish_and_keeps_them(tmp_path, write_manifest, llm_server):
    from babelforge.pipeline import work_dir_for

    (tmp_path / "a.txt").write_text("".join(f"alpha question {i}\n" for i in range(6)))
    (tmp_path / "b.txt").write_text("poison question\n")
    spec = {
        "name": "two-tasks",
        "sources": [{"kind": "text", "path": str(tmp_path / name), "language": "en"} for name in ("a.txt", "b.txt")],
        "steps": [{"instruct": {"mode": "xl_instruct", "model": f"openai:outage-tasks@{llm_server.base_url}",
                                "response_language": "de", "llm": FAST}}],
        "output": {"path": str(tmp_path / "out"), "kind": "chat"},
        "executor": {"local": {"tasks": 2, "workers": 2}},
    }  # fmt: skip
    manifest = load_manifest(write_manifest(spec))
    down = {"poison": True}

    def reply(body):
        content = body["messages"][-1]["content"]
        if "poison" in content and down["poison"]:
            raise ConnectionAbortedError("the server hangs up on this one")  # no answer: llm_connection
        if "alpha" in content:
            time.sleep(0.3)  # the healthy task is still asking when the other one stops
        return f"Antwort: {content}"

    llm_server.reply = reply
    with pytest.raises(BabelforgeError, match=r"answered no request for 1 of \d record.*1 of 2 tasks stopped so; "
                       r"1 finished and kept") as raised:  # fmt: skip
        run_manifest(manifest)
    assert "\n" not in str(raised.value)
    assert not (tmp_path / "out").exists()
    assert len(list(work_dir_for(tmp_path / "out").rglob("completions/*"))) == 1  # the healthy task ran to its end
    down["poison"] = False
    llm_server.requests.clear()
    run_manifest(manifest)
    assert len(datasets.load_dataset(str(tmp_path / "out"), split="train")) == 7
    assert ["poison" in str(body["messages"]) for body in llm_server.chat_paths()] == [True]  # only what failed


def test_markers_projection_through_an_llm_stops_on_an_outage_and_takes_llm_options(
    data_dir, tmp_path, write_manifest, llm_server
):
    llm_server.reply = lambda body: [m["content"] for m in body["messages"] if m["role"] == "user"][-1]  # a copy
    spec = {
        "name": "markers-outage",
        "sources": [{"kind": "conll", "path": str(data_dir / "europarl-en.conll"), "language": "en", "limit": 4}],
        "steps": [{"project": {"method": "markers", "model": f"openai:markers-outage@{llm_server.base_url}",
                               "target": "de", "keep_partial": True, "llm": FAST}}],
        "output": {"path": str(tmp_path / "out"), "kind": "ner"},
    }  # fmt: skip
    manifest = load_manifest(write_manifest(spec))
    llm_server.mode = "500"
    with pytest.raises(BabelforgeError, match=r"project: .* \(llm_server_error: translation failed: server_error: 500"):
        run_manifest(manifest)  # before: published with the records dropped as projection_failed
    assert not (tmp_path / "out").exists()
    llm_server.reset()
    llm_server.reply = lambda body: [m["content"] for m in body["messages"] if m["role"] == "user"][-1]
    run_manifest(manifest)
    assert len(datasets.load_dataset(str(tmp_path / "out"), split="train")) == 4
