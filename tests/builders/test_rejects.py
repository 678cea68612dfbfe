"""Rejects files: one per step position and task, never overwritten by a same-kind step, never doubled."""

import json

from datatrove.data import Document

from babelforge.manifest import load_manifest
from babelforge.runner import run_manifest
from babelforge.steps.base import RejectsFile
from babelforge.steps.length import LengthFilter


def rows(path) -> list[dict]:
    return [json.loads(line) for line in path.read_text().splitlines()]


def rows_of(folder, pattern: str) -> list[dict]:
    return [row for path in sorted(folder.glob(pattern)) for row in rows(path)]


def test_two_steps_of_one_kind_keep_their_own_rejects(tmp_path, write_manifest, data_dir):
    bad = tmp_path / "bad.conll"
    bad.write_text("Ada\tB-PER\n\nBroken\n")
    manifest = {
        "name": "two",
        "sources": [
            {"kind": "conll", "path": str(data_dir / "europarl-en.conll"), "language": "en"},
            {"kind": "conll", "path": str(bad), "language": "en", "on_error": "skip"},
        ],
        "steps": [{"filter_length": {"min_tokens": 5}}, {"filter_length": {"max_tokens": 20}}],
        "output": {"path": str(tmp_path / "out"), "kind": "ner", "write_rejects": True},
        "executor": {"local": {"tasks": 2}},
    }
    result = run_manifest(load_manifest(write_manifest(manifest)))
    folder = tmp_path / "out" / "rejects"
    names = sorted(p.name for p in folder.glob("*.jsonl"))
    assert {n.rsplit("-", 1)[0] for n in names} == {"01-filter_length", "02-filter_length", "source1-conll_bad"}
    first, second = rows_of(folder, "01-filter_length-*.jsonl"), rows_of(folder, "02-filter_length-*.jsonl")
    assert {r["reason"] for r in first} == {"too_few_tokens"}
    assert {r["reason"] for r in second} == {"too_many_tokens"}
    drops = result.summary["drops"]
    assert len(first) + len(second) == drops["filter_length: too_few_tokens"] + drops["filter_length: too_many_tokens"]
    assert not list(folder.glob(".*"))  # no half-written files left


def test_a_rerun_task_replaces_its_rejects(tmp_path):
    step = LengthFilter(min_tokens=2)
    step.rejects_folder, step.rejects_position = str(tmp_path), 3
    docs = [Document("one", "a"), Document("two words", "b"), Document("three", "c")]
    for _ in range(2):  # the same task run twice, as a resumed run does
        kept = list(step.run(iter(docs), rank=1))
    assert [d.id for d in kept] == ["b"]
    (path,) = tmp_path.glob("*.jsonl")
    assert path.name == "03-filter_length-00001.jsonl"
    assert [r["id"] for r in rows(path)] == ["a", "c"]


def test_a_rejects_file_appears_only_when_closed(tmp_path):
    rejects = RejectsFile(str(tmp_path), "filter_length", 0, "02")
    rejects.write_row({"reason": "x"})
    assert not (tmp_path / "02-filter_length-00000.jsonl").exists()
    rejects.close()
    assert rows(tmp_path / "02-filter_length-00000.jsonl") == [{"reason": "x"}]
