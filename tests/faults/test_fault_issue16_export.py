"""Issue 16 faults: export-trainer never hands LLaMA-Factory pairs whose earlier turns it would drop."""

import json

import pytest
import yaml

from babelforge.errors import BabelforgeError
from babelforge.finetune.handoff import export_trainer
from babelforge.manifest import load_manifest
from babelforge.runner import run_manifest

USER = {"role": "user", "content": "Mji mkuu wa Kenya?"}
SYSTEM = {"role": "system", "content": "Jibu kwa ufupi."}


def _pairs(tmp_path, earlier: list[dict]) -> str:
    rows = [
        {"id": f"r{i}", "prompt": [SYSTEM, *earlier, {**USER, "content": f"Swali {i}?"}],
         "chosen": f"Nairobi {i}.", "rejected": f"Mombasa {i}."}
        for i in range(4)
    ]  # fmt: skip
    (tmp_path / "pairs.jsonl").write_text("\n".join(json.dumps(r) for r in rows))
    fields = {"prompt": "prompt", "chosen": "chosen", "rejected": "rejected"}
    source = {"kind": "jsonl", "path": "pairs.jsonl", "language": "sw", "fields": fields}
    manifest = {"name": "p", "sources": [source], "output": {"path": str(tmp_path / "pairs"), "kind": "preference"}}
    (tmp_path / "p.yaml").write_text(yaml.safe_dump(manifest))
    run_manifest(load_manifest(tmp_path / "p.yaml"))
    return str(tmp_path / "pairs")


def test_pairs_with_earlier_turns_are_refused_for_llamafactory_and_nothing_is_written(tmp_path):
    output = _pairs(tmp_path, [USER, {"role": "assistant", "content": "Nairobi."}])
    with pytest.raises(BabelforgeError, match=r"4 of 4 pairs .* several turns.*--to trl or --to axolotl"):
        export_trainer(output, "llamafactory")
    assert not (tmp_path / "pairs.trainers").exists()
    assert export_trainer(output, "trl")  # TRL reads the whole conversation


def test_single_turn_pairs_with_a_system_turn_still_export(tmp_path):
    output = _pairs(tmp_path, [])
    written = export_trainer(output, "llamafactory")
    assert {p.name for p in written} == {"dataset_info.json", "llamafactory.yaml"}
