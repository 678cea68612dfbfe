"""Issue 16 faults: preference pairs that teach nothing are not published as pairs."""

import json

import pytest
import yaml

from babelforge.errors import InputFormatError
from babelforge.manifest import load_manifest
from babelforge.runner import run_manifest

GOOD = {"prompt": "Swali: mji mkuu wa Kenya?", "chosen": "Nairobi.", "rejected": "Mombasa."}
BAD = {
    "equal answers": ({"chosen": "Nairobi.", "rejected": "Nairobi."}, "got the same one twice"),
    "empty prompt": ({"prompt": ""}, "the prompt is empty"),
    "blank answer": ({"chosen": "   "}, "an answer with text in 'chosen'"),
}


def _manifest(tmp_path, bad: dict, on_error: str = "fail"):
    rows = [{"id": f"r{i}", **GOOD} for i in range(4)] + [{"id": "bad", **GOOD, **bad}]
    (tmp_path / "pairs.jsonl").write_text("\n".join(json.dumps(r) for r in rows))
    fields = {"prompt": "prompt", "chosen": "chosen", "rejected": "rejected"}
    source = {"kind": "jsonl", "path": "pairs.jsonl", "language": "sw", "fields": fields, "on_error": on_error}
    manifest = {"name": "p", "sources": [source], "output": {"path": str(tmp_path / "out"), "kind": "preference"}}
    (tmp_path / "p.yaml").write_text(yaml.safe_dump(manifest))
    return load_manifest(tmp_path / "p.yaml")


@pytest.mark.parametrize("case", sorted(BAD))
def test_a_pair_that_teaches_nothing_stops_the_run_naming_the_line(tmp_path, case):
    bad, message = BAD[case]
    with pytest.raises(InputFormatError, match=message) as raised:
        run_manifest(_manifest(tmp_path, bad))
    assert "pairs.jsonl:5" in str(raised.value)
    assert not (tmp_path / "out" / "README.md").exists()


@pytest.mark.parametrize("case", sorted(BAD))
def test_with_on_error_skip_the_pair_is_counted_not_published(tmp_path, case):
    import datasets

    run_manifest(_manifest(tmp_path, BAD[case][0], "skip"))
    rows = datasets.load_dataset(str(tmp_path / "out"))["train"]
    assert sorted(rows["id"]) == [f"pairs/r{i}" for i in range(4)]
    provenance = json.loads((tmp_path / "out" / "provenance.json").read_text())
    assert "malformed_input" in json.dumps(provenance)
