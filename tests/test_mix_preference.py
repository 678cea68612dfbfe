"""Mixtures of preference outputs: still preference data, mixed by language or tokens, handed to DPO trainers."""

import json
from pathlib import Path

import datasets
import pytest
import yaml

from babelforge.finetune.handoff import export_trainer, output_kind
from babelforge.manifest import load_manifest
from babelforge.mixture import load_mixture
from babelforge.mixture_components import _kind_of_columns
from babelforge.mixture_run import mix, prepare
from babelforge.runner import run_manifest

TOKENIZER = Path(__file__).parent.parent / "manifests" / "data" / "tokenizer" / "tokenizer.json"
#: name: (language, pairs, the chosen answer, the rejected one)
OUTPUTS = {
    "pairs-sw": ("swh_Latn", 80, "Mji mkuu wa Kenya ni Nairobi.", "The capital of Kenya is Nairobi."),
    "pairs-yo": ("yor_Latn", 40, "Olú ìlú Nàìjíríà ni Abuja.", "The capital of Nigeria is Abuja."),
}


@pytest.fixture(scope="module")
def outputs(tmp_path_factory) -> Path:
    """Two preference outputs written by `babelforge run` from JSON Lines pairs (20% held out)."""
    folder = tmp_path_factory.mktemp("pairs")
    for name, (language, n, chosen, rejected) in OUTPUTS.items():
        rows = [
            {"id": f"{name}-{i}", "prompt": f"Question {i}: which city?", "chosen": f"{chosen} ({i})",
             "rejected": f"{rejected} ({i})"}
            for i in range(n)
        ]  # fmt: skip
        (folder / f"{name}.jsonl").write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in rows))
        manifest = {
            "name": name, "license": "cc-by-4.0",
            "sources": [{"kind": "jsonl", "path": f"{name}.jsonl", "language": language,
                         "fields": {"prompt": "prompt", "chosen": "chosen", "rejected": "rejected"}}],
            "output": {"path": str(folder / "out" / name), "kind": "preference",
                       "splits": {"train": 0.8, "validation": 0.2}},
        }  # fmt: skip
        (folder / f"{name}.yaml").write_text(yaml.safe_dump(manifest))
        run_manifest(load_manifest(folder / f"{name}.yaml"))
    return folder / "out"


def mixed(outputs: Path, folder: Path, **settings) -> Path:
    mixture = {
        "name": "pairs-mix",
        "components": [{"path": str(outputs / name)} for name in OUTPUTS],
        "sampling": {"by": "language", "temperature": 0.0},
        "max_epochs": 3,
        "seed": 7,
        "output": {"path": str(folder / "mix")},
        **settings,
    }
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / "mixture.yaml"
    path.write_text(yaml.safe_dump(mixture))
    prepared = prepare(load_mixture(path))
    assert prepared.kind == "preference"
    return mix(prepared)["output"]


def test_a_mixture_of_preference_outputs_is_a_preference_output(outputs, tmp_path):
    output = mixed(outputs, tmp_path, budget={"rows": 100})
    train = datasets.load_dataset(str(output), split="train")
    by_language = {lang: train["language"].count(lang) for lang in ("swh_Latn", "yor_Latn")}
    assert by_language == {"swh_Latn": 50, "yor_Latn": 50}  # temperature 0: alike; yor's few pairs repeated
    row = next(r for r in train if r["language"] == "yor_Latn")
    assert row["prompt"][-1]["role"] == "user"
    assert row["chosen"] == [{"role": "assistant", "content": row["chosen_text"]}]
    assert row["rejected_text"].startswith("The capital of Nigeria")
    assert (row["chosen_lang"], row["component"], row["license"]) == ("yor_Latn", "pairs-yo", "cc-by-4.0")
    assert output_kind(output) == "preference"
    held_out = datasets.load_dataset(str(output), split="validation")
    parts = [datasets.load_dataset(str(outputs / name), split="validation") for name in OUTPUTS]
    assert sorted(held_out["id"]) == sorted(i for part in parts for i in part["id"])  # copied once, never up-sampled


def test_a_mixture_of_a_preference_mixture_keeps_its_kind(outputs, tmp_path):
    first = mixed(outputs, tmp_path / "a", budget={"rows": 20})
    again = tmp_path / "again.yaml"
    again.write_text(yaml.safe_dump({"name": "again", "components": [{"path": str(first)}],
                                     "output": {"path": str(tmp_path / "again")}}))  # fmt: skip
    prepared = prepare(load_mixture(again))
    assert prepared.kind == "preference"
    assert mix(prepared)["output"].exists()


def test_kind_of_columns_knows_preference_pairs():
    assert _kind_of_columns({"id", "prompt", "chosen", "rejected", "language"}) == "preference"
    assert _kind_of_columns({"id", "messages", "prompt", "completion"}) == "chat"


def test_a_token_budget_counts_prompt_and_both_answers(outputs, tmp_path):
    from babelforge.llm.tokens import token_counter

    output = mixed(outputs, tmp_path, budget={"tokens": 10000, "tokenizer": str(TOKENIZER)})
    counter = token_counter(str(TOKENIZER), str(TOKENIZER))
    tokens: dict[str, int] = {}
    for row in datasets.load_dataset(str(output), split="train"):
        text = "\n".join([m["content"] for m in row["prompt"]] + [row["chosen_text"], row["rejected_text"]])
        tokens[row["language"]] = tokens.get(row["language"], 0) + counter.count(text)
    total = sum(tokens.values())
    assert total == pytest.approx(10000, rel=0.01)
    assert tokens["yor_Latn"] / total == pytest.approx(0.5, abs=0.01)


def test_export_trainer_writes_dpo_configs_for_a_preference_mixture(outputs, tmp_path):
    from trl import DPOConfig, ModelConfig, ScriptArguments, TrlParser

    output = mixed(outputs, tmp_path, budget={"rows": 100})
    (trl,) = export_trainer(output, "trl", model="some/model")
    script, config, _ = TrlParser((ScriptArguments, DPOConfig, ModelConfig)).parse_args_and_config(
        ["--config", str(trl), "--bf16", "false"]
    )
    assert config.beta == 0.1
    train = datasets.load_dataset(script.dataset_name, split=script.dataset_train_split)
    assert len(train) == 100
    assert train[0]["chosen"][-1]["role"] == "assistant"

    (axolotl,) = export_trainer(output, "axolotl", model="some/model")
    settings = yaml.safe_load(axolotl.read_text())
    assert (settings["rl"], settings["datasets"][0]["type"]) == ("dpo", "chat_template.default")

    info, factory = export_trainer(output, "llamafactory")
    registration = json.loads(info.read_text())[yaml.safe_load(factory.read_text())["dataset"]]
    assert yaml.safe_load(factory.read_text())["stage"] == "dpo"
    assert registration["ranking"] is True


def test_train_dpo_reads_a_preference_mixture(outputs, tmp_path):
    from babelforge.finetune.dpo import train_dpo
    from babelforge.finetune.dpo_tiny import build_tiny_chat_model, corpus
    from babelforge.finetune.options import TrainOptions

    output = mixed(outputs, tmp_path, budget={"rows": 100})
    model = build_tiny_chat_model(tmp_path / "tiny", corpus(str(output)))
    options = TrainOptions(dataset=str(output), model=str(model), output=str(tmp_path / "run"), max_steps=2,
                           batch_size=8, save_steps=100, max_length=128)  # fmt: skip
    metrics = train_dpo(options)
    assert metrics["pair_audit"]["prompt_share"] == 0.0
    assert set(metrics["validation"]["per_language"]) == {"swh_Latn", "yor_Latn"}


def test_a_hub_preference_set_in_trls_layouts_mixes_with_outputs(outputs, tmp_path):
    folder = tmp_path / "hub"
    folder.mkdir()
    rows = [
        {"prompt": f"Swali {i}?", "chosen": f"Jibu zuri {i}.", "rejected": f"Bad answer {i}.", "language": "sw"}
        for i in range(6)
    ] + [
        {"prompt": [{"role": "user", "content": "Swali la mwisho?"}],
         "chosen": [{"role": "assistant", "content": "Jibu."}],
         "rejected": [{"role": "assistant", "content": "Answer."}], "language": "sw"},
    ]  # fmt: skip
    strings, talks = rows[:6], rows[6:]
    (folder / "strings").mkdir()
    (folder / "strings" / "train.jsonl").write_text("".join(json.dumps(r) + "\n" for r in strings))
    (folder / "talks").mkdir()
    (folder / "talks" / "train.jsonl").write_text("".join(json.dumps(r) + "\n" for r in talks))
    components = [{"path": str(outputs / "pairs-yo")}, {"hf": str(folder / "strings"), "license": "cc0-1.0"},
                  {"hf": str(folder / "talks"), "license": "cc0-1.0"}]  # fmt: skip
    output = mixed(outputs, tmp_path, components=components, budget={"rows": 20}, sampling={"by": "language"})
    train = datasets.load_dataset(str(output), split="train")
    hub = [r for r in train if r["component"] == "strings"]
    assert hub
    assert hub[0]["prompt"] == [{"role": "user", "content": hub[0]["prompt_text"]}]
    assert hub[0]["chosen"] == [{"role": "assistant", "content": hub[0]["chosen_text"]}]
    assert hub[0]["chosen_text"].startswith("Jibu zuri")
    assert hub[0]["language"] == "swh_Latn"
    assert any(r["component"] == "talks" and r["rejected_text"] == "Answer." for r in train)


def test_a_hub_row_that_is_no_pair_names_its_component_and_row(outputs, tmp_path):
    from babelforge.manifest import ManifestError

    folder = tmp_path / "broken"
    folder.mkdir()
    answer, user = {"role": "assistant", "content": "A."}, {"role": "user", "content": "More?"}
    other = {"role": "assistant", "content": "B."}  # (equal answers are no pair either: the reader says so)
    lines = [{"prompt": "Q?", "chosen": [answer], "rejected": [other], "language": "sw"},
             {"prompt": "Q?", "chosen": [answer], "rejected": [user], "language": "sw"}]  # fmt: skip
    (folder / "train.jsonl").write_text("".join(json.dumps(r) + "\n" for r in lines))
    with pytest.raises(ManifestError, match=r"components\[1\].*broken: row 2 is no preference pair"):
        mixed(outputs, tmp_path, components=[{"path": str(outputs / "pairs-yo")}, {"hf": str(folder)}])
