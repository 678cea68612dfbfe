"""Issue 16 faults: a prefer step whose endpoint was down stops the run, and the rerun makes the pairs."""

import json
import sys
from pathlib import Path

import datasets
import pytest

from babelforge.errors import BabelforgeError
from babelforge.manifest import load_manifest
from babelforge.runner import run_manifest

sys.path.insert(0, str(Path(__file__).parents[1] / "augment"))
from test_prefer import SWAHILI, asked, chat_source, spec

#: Fail fast: one retry, no waiting, the breaker closes again at once.
FAST = {"max_retries": 1, "backoff": 0.01, "backoff_max": 0.01, "breaker_cooldown": 0.01}


def reply(body):
    _, sent = asked(body)
    return json.dumps({"prompt": [SWAHILI[t] for t in sent["prompt"]], "answer": SWAHILI[sent["answer"]]})


def _manifest(tmp_path, write_manifest, llm_server, name: str):
    model = f"openai:{name}@{llm_server.base_url}"  # a name per test: the session shares one LLM cache
    steps = [{"prefer": {"mode": "language_confusion", "model": model, "targets": ["swh_Latn"],
                         "rejected": {"wrong_language": 1}, "llm": FAST}}]  # fmt: skip
    return load_manifest(write_manifest(spec(tmp_path, chat_source(tmp_path), steps)))


@pytest.mark.parametrize("fault", ["500", "429"])
def test_an_endpoint_down_for_every_request_stops_the_run_and_the_rerun_makes_the_pairs(
    tmp_path, write_manifest, llm_server, fault
):
    manifest = _manifest(tmp_path, write_manifest, llm_server, f"outage16-{fault}")
    llm_server.mode = fault
    with pytest.raises(BabelforgeError, match=r"prefer: the LLM endpoint at .* answered no request for 3 ") as raised:
        run_manifest(manifest)
    assert "\n" not in str(raised.value)
    assert "run the same command again" in str(raised.value)
    assert not (tmp_path / "out").exists()
    llm_server.reset()
    llm_server.reply = reply
    run_manifest(manifest)
    rows = datasets.load_dataset(str(tmp_path / "out"), split="train")
    assert len(rows) == 3  # before: the rerun resumed a task that had dropped every record, and wrote nothing
    assert len(llm_server.chat_paths()) == 3


def test_garbage_answers_are_still_counted_per_record(tmp_path, write_manifest, llm_server):
    manifest = _manifest(tmp_path, write_manifest, llm_server, "garbage16")
    llm_server.mode = "garbage"
    with pytest.raises(BabelforgeError, match=r"no record reached the output .*llm_invalid_output 3"):
        run_manifest(manifest)


def test_a_judge_endpoint_down_names_the_judge_and_hides_credentials(tmp_path, write_manifest, llm_server):
    (tmp_path / "p.jsonl").write_text(json.dumps({"id": "a", "text": "Mji mkuu wa Nigeria ni upi?"}))
    source = {"kind": "jsonl", "path": str(tmp_path / "p.jsonl"), "language": "swh_Latn"}
    judge_url = llm_server.base_url.replace("://", "://user:s3cret@")
    steps = [{"prefer": {"mode": "judge", "model": f"openai:answerer16@{llm_server.base_url}",
                         "judge": f"openai:judge16@{judge_url}", "llm": FAST}}]  # fmt: skip
    manifest = load_manifest(write_manifest(spec(tmp_path, source, steps)))
    llm_server.reply = lambda body: f"Mji mkuu ni Abuja (jibu {body.get('seed')}, {body.get('temperature')})."
    llm_server.script(*["ok"] * 2, *["500"] * 20)  # the two answers come, then the judge is down
    with pytest.raises(BabelforgeError, match=r"answered no request for 1 of 1 .*\(judge_server_error") as raised:
        run_manifest(manifest)
    assert "s3cret" not in str(raised.value)


def test_an_answer_left_untranslated_is_no_pair(tmp_path, write_manifest, llm_server):
    def lazy(body):  # the first prompt's answer comes back in English: the same text as the rejected side
        _, sent = asked(body)
        answer = sent["answer"] if sent["prompt"][0].startswith("What") else SWAHILI[sent["answer"]]
        return json.dumps({"prompt": [SWAHILI[t] for t in sent["prompt"]], "answer": answer})

    llm_server.reply = lazy
    model = f"openai:lazy16@{llm_server.base_url}"
    steps = [{"prefer": {"mode": "language_confusion", "model": model, "targets": ["swh_Latn"],
                         "rejected": {"wrong_language": 1}}}]  # fmt: skip
    result = run_manifest(load_manifest(write_manifest(spec(tmp_path, chat_source(tmp_path), steps))))
    rows = datasets.load_dataset(str(tmp_path / "out"), split="train")
    assert len(rows) == 2
    assert all(r["chosen_text"] != r["rejected_text"] for r in rows)
    assert result.summary["drops"] == {"prefer: same_answers": 1}
