"""manifests/preference-confusion.yaml against the loopback LLM server, then `train dpo` on what it wrote."""

import json
from pathlib import Path

import datasets

from babelforge.finetune.dpo import train_dpo
from babelforge.finetune.options import TrainOptions
from babelforge.manifest import load_manifest
from babelforge.runner import run_manifest

RECIPE = Path(__file__).parents[2] / "manifests" / "preference-confusion.yaml"


def confusion_reply(request: dict) -> str:
    """A Swahili prompt and answer, and the answer in English, numbered by the seed asked (distinct pairs)."""
    system = request["messages"][0]["content"]
    sent = json.loads(request["messages"][1]["content"])
    assert "- `prompt`" in system
    assert "- `translation`" in system
    assert "into English" in system
    n = sum(map(ord, sent["prompt"][0])) % 9973
    return json.dumps({
        "prompt": [f"Tafadhali eleza jambo hili muhimu kwa Kiswahili, swali namba {n}."],
        "answer": f"Hili ni jibu la swali namba {n}. Watu wengi wanapenda kusoma habari hizi kila siku.",
        "translation": f"This is the answer to question number {n}. Many people like to read this news every day.",
    })  # fmt: skip


def test_the_recipe_writes_pairs_that_train_dpo_reads(tmp_path, monkeypatch, llm_server, chat_models):
    llm_server.reply = confusion_reply
    monkeypatch.setenv("BABELFORGE_OUT", str(tmp_path))
    monkeypatch.setenv("LLM", f"openai:confuser@{llm_server.base_url}")
    result = run_manifest(load_manifest(RECIPE))
    output = tmp_path / "preference-confusion-swh_Latn"
    rows = datasets.load_dataset(str(output))
    assert result.summary["drops"] == {}
    assert sum(len(split) for split in rows.values()) == 20  # every seed instruction made a pair
    train = rows["train"]
    assert set(train["chosen_lang"]) == {"swh_Latn"}
    assert set(train["rejected_lang"]) == {"eng_Latn"}
    assert set(train["rejected_method"]) == {"wrong_language", "mixed"}
    prefer = next(s for s in result.summary["steps"] if s["name"] == "prefer")
    assert prefer["counts"]["llm_requests"] == 20

    options = TrainOptions(
        dataset=str(output), model=str(chat_models["turn"]), output=str(tmp_path / "dpo"),
        max_steps=3, lr=1e-3, batch_size=8, save_steps=100, max_length=128,
    )  # fmt: skip
    train_dpo(options)
    metrics = json.loads((tmp_path / "dpo" / "metrics.json").read_text())
    assert metrics["pair_audit"]["prompt_share"] == 0.0
    assert set(metrics["validation"]["per_language"]) == {"swh_Latn"}
    assert "reward_accuracy" in metrics["validation"]["per_language"]["swh_Latn"]
