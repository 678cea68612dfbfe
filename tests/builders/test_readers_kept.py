"""Columns a source carries along (`fields: {keep: ...}`), and multi-field translation fed from source files."""

import hashlib
import json

import datasets
import pyarrow as pa
import pyarrow.parquet as pq
import pytest
import yaml
from pydantic import TypeAdapter

from babelforge.errors import InputFormatError
from babelforge.manifest import ManifestError, load_manifest
from babelforge.pipeline import BuildContext
from babelforge.projection.translate_settings import TranslateSettings
from babelforge.runner import run_manifest
from babelforge.sources import Source

#: NLI rows as MultiNLI and XNLI hold them: premise, hypothesis, a label and a genre; no text column.
NLI = [
    {"id": f"n{i}", "premise": p, "hypothesis": h, "label": i % 3, "genre": "fiction"}
    for i, (p, h) in enumerate([
        ("The doctor said the liver was healthy.", "The liver of the patient is healthy."),
        ("A doctor examined the liver in Kano.", "Nobody in Kano saw a doctor."),
        ("The liver cleans the blood of the body.", "Blood is cleaned by the liver."),
        ("Her doctor works at the hospital in Zaria.", "The hospital in Zaria has no doctor."),
    ])
]  # fmt: skip
KEEP = {"keep": ["premise", "hypothesis"]}


def files(tmp_path) -> dict[str, str]:
    """The rows as a JSON Lines file, a Parquet file and a dataset folder."""
    (tmp_path / "nli.jsonl").write_text("".join(json.dumps(r) + "\n" for r in NLI))
    pq.write_table(pa.Table.from_pylist(NLI), tmp_path / "nli.parquet")
    (tmp_path / "hub" / "data").mkdir(parents=True)
    pq.write_table(pa.Table.from_pylist(NLI), tmp_path / "hub" / "data" / "train-0.parquet")
    return {"jsonl": str(tmp_path / "nli.jsonl"), "parquet": str(tmp_path / "nli.parquet"), "hf": str(tmp_path / "hub")}


def source(settings: dict):
    return TypeAdapter(Source).validate_python(settings, context={"base_dir": "/"})


def read(settings: dict) -> list:
    return list(source(settings).reader(0).run(None, 0, 1))


@pytest.mark.parametrize("kind", ["jsonl", "parquet", "hf"])
def test_named_columns_are_kept_in_the_records_metadata(tmp_path, kind):
    docs = read({"kind": kind, "path": files(tmp_path)[kind], "language": "en", "fields": KEEP})
    assert [(d.metadata["premise"], d.metadata["hypothesis"]) for d in docs] == [
        (r["premise"], r["hypothesis"]) for r in NLI
    ]
    assert all(d.text == "" for d in docs)  # no text column asked for, none read
    assert "label" not in docs[0].metadata
    assert docs[0].id.endswith("n0")


def test_keep_all_carries_every_column_the_map_does_not_read(tmp_path):
    docs = read({"kind": "jsonl", "path": files(tmp_path)["jsonl"], "language": "en",
                 "fields": {"text": "premise", "keep": "all"}})  # fmt: skip
    md = docs[1].metadata
    assert (docs[1].text, md["hypothesis"], md["label"], md["genre"]) == (NLI[1]["premise"], NLI[1]["hypothesis"], 1,
                                                                         "fiction")  # fmt: skip
    assert "premise" not in md  # read as the text
    assert "id" not in md


@pytest.mark.parametrize("kind", ["jsonl", "hf"])
def test_keep_all_counts_each_column_it_leaves_out(tmp_path, kind):
    rows = [{"premise": "A doctor.", "language": "ha", "two words": "x", "genre": "fiction"},
            {"premise": "A nurse.", "two words": None, "genre": "news"},
            {"premise": "A cook.", "two words": "y", "genre": "news"}]  # fmt: skip
    (tmp_path / "rows.jsonl").write_text("".join(json.dumps(r) + "\n" for r in rows))
    (tmp_path / "hub" / "data").mkdir(parents=True)
    pq.write_table(pa.Table.from_pylist(rows), tmp_path / "hub" / "data" / "train-0.parquet")
    path = str(tmp_path / ("rows.jsonl" if kind == "jsonl" else "hub"))
    settings = {"kind": kind, "path": path, "language": "en", "fields": {"text": "premise", "keep": "all"}, "limit": 2}
    reader = source(settings).reader(0)
    docs = list(reader.run(None, 0, 1))
    assert [d.metadata["genre"] for d in docs] == ["fiction", "news"]
    assert not any("_not_kept" in d.metadata or "two words" in d.metadata for d in docs)
    assert docs[0].metadata["language"] == "eng_Latn"  # the source's, not the row's column
    counted = {k: v.total for k, v in reader.stats.stats.items() if k.startswith("column_not_kept:")}
    # a null is no value; the third row is past the limit and not counted
    assert counted == {"column_not_kept:reserved_name:language": 1, "column_not_kept:odd_name:two words": 1}


def test_keep_all_leaves_reserved_names_odd_names_and_values_without_json_form_out_and_says_why():
    from babelforge.builders.readers.kept import kept_columns, not_kept_notes

    row = {"text": "t", "spans": [], "a-b": 1, "_x": 1, "when": b"\x00", "n": float("nan"), "ok": 2, "none": None,
           "segments": "not what interleaved samples hold"}  # fmt: skip
    found, missing, left_out = kept_columns(row, "all", {"text"})
    assert (found, missing) == ({"ok": 2}, [])
    assert left_out == [("spans", "reserved_name"), ("a-b", "odd_name"), ("_x", "odd_name"), ("when", "no_json_form"),
                        ("n", "no_json_form"), ("segments", "reserved_name")]  # fmt: skip
    counts = {f"column_not_kept:{why}:{name}": 3 for name, why in left_out}
    notes = not_kept_notes([{"name": "jsonl:rows", "counts": {"read": 3, **counts}}])
    assert len(notes) == 6
    assert "left column 'spans' out of 3 row(s): babelforge's records use this name" in notes[0]
    assert "start with a letter" in notes[2]
    assert "convert them to text first" in notes[3]


def test_left_out_names_are_escaped_scrubbed_cut_with_a_hash_and_capped(monkeypatch):
    from babelforge.builders.readers import kept

    class Step:
        def __init__(self):
            self.counts = {}

        def stat_update(self, key):
            self.counts[key] = self.counts.get(key, 0) + 1

    key = "sk-proj-" + "Q" * 100  # longer than the cut: scrubbed before it
    monkeypatch.setenv("OPENAI_API_KEY", key)
    step = Step()
    long_a, long_b = "A" * 90 + "-1", "A" * 90 + "-2"
    kept.count_not_kept(step, {kept.NOT_KEPT: [("x\n## Sources\ud800", "odd_name"), (long_a, "odd_name"),
                                               (long_b, "odd_name"), ("it's C:\\dir", "odd_name"),
                                               (f"x-{key}", "odd_name")]})  # fmt: skip
    keys = list(step.counts)
    digest = hashlib.sha1(long_a.encode()).hexdigest()[:8]
    assert f"column_not_kept:odd_name:{'A' * (kept.NAME_CHARS - 10)}…#{digest}" in keys
    assert len({k for k in keys if "AAAA" in k}) == 2  # two long names stay two
    assert "column_not_kept:odd_name:it's C:\\dir" in keys  # printable characters as written
    assert "column_not_kept:odd_name:x\\n## Sources\\ud800" in keys  # one line, writable as UTF-8
    assert "column_not_kept:odd_name:x-${OPENAI_API_KEY}" in keys
    assert not any("QQQQ" in k for k in keys)
    monkeypatch.setattr(kept, "MAX_COLUMNS", 5)
    kept.count_not_kept(step, {kept.NOT_KEPT: [(f"c-{i}", "odd_name") for i in range(60)]})
    kept.count_not_kept(step, {kept.NOT_KEPT: [("c-0", "odd_name")]})
    assert step.counts["column_not_kept:more_names"] == 2  # rows, not columns
    many = {f"column_not_kept:odd_name:c-{i}": 1 for i in range(25)} | {"column_not_kept:more_names": 3}
    notes = kept.not_kept_notes([{"name": "jsonl:rows", "counts": many}])
    assert len(notes) == kept.MAX_NOTES + 2
    assert notes[-2] == "jsonl:rows: and 15 more columns left out: the card's account lists them"
    assert notes[-1] == "jsonl:rows: keep: all left more columns (past the first 5 names) out of 3 row(s)"


def test_a_row_without_a_kept_column_names_it(tmp_path):
    path = tmp_path / "bad.jsonl"
    path.write_text(json.dumps({"premise": "A doctor."}) + "\n")
    with pytest.raises(InputFormatError, match="a field 'hypothesis' to keep"):
        read({"kind": "jsonl", "path": str(path), "language": "en", "fields": KEEP})


@pytest.mark.parametrize(
    ("keep", "message"),
    [
        (["language"], "keep cannot take 'language'"),
        (["premise", "premise"], "keep names 'premise' more than once"),
        (["two words"], "letters, digits and '_'"),
    ],
)
def test_a_column_that_cannot_be_kept_is_a_manifest_problem(tmp_path, keep, message):
    manifest = {
        "name": "nli",
        "sources": [{"kind": "jsonl", "path": files(tmp_path)["jsonl"], "language": "en", "fields": {"keep": keep}}],
        "output": {"path": str(tmp_path / "out"), "kind": "text"},
    }
    (tmp_path / "m.yaml").write_text(yaml.safe_dump(manifest))
    with pytest.raises(ManifestError, match=message) as raised:
        load_manifest(tmp_path / "m.yaml")
    assert "sources[0].fields.keep" in str(raised.value)


def hausa(request: dict) -> str:
    """A fake LLM: each value of a joint request's JSON object, prefixed."""
    user = request["messages"][-1]["content"]
    return json.dumps({k: f"HA {v}" for k, v in json.loads(user).items()}, ensure_ascii=False)


@pytest.mark.parametrize("kind", ["jsonl", "parquet", "hf"])
def test_joint_translation_of_kept_fields_from_a_source_file(tmp_path, llm_server, kind):
    llm_server.reply = hausa
    reader = source({"kind": kind, "path": files(tmp_path)[kind], "language": "en", "fields": KEEP}).reader(0)
    settings = {"model": f"openai:kept-{kind}@{llm_server.base_url}", "target": "hau_Latn",
                "fields": ["premise", "hypothesis"], "joint": True}  # fmt: skip
    step = TranslateSettings.model_validate(settings, context={"base_dir": str(tmp_path)}).build(
        BuildContext(manifest=None, work_dir=tmp_path)
    )
    docs = list(step.run(reader.run(None, 0, 1)))
    assert len(docs) == len(NLI)  # every record re-split into its fields
    assert len(llm_server.chat_paths()) == len(NLI)  # one request per record
    for doc, row in zip(docs, NLI, strict=True):
        assert doc.metadata["target_premise"] == f"HA {row['premise']}"
        assert doc.metadata["target_hypothesis"] == f"HA {row['hypothesis']}"
    assert step.stats.stats["joint_records"].total == len(NLI)


def test_a_run_translates_the_text_and_a_kept_field_together(tmp_path, llm_server):
    llm_server.reply = hausa
    manifest = {
        "name": "nli-ha",
        "languages": {"source": "en", "targets": ["hau_Latn"]},
        "sources": [{"kind": "jsonl", "path": files(tmp_path)["jsonl"], "language": "en",
                     "fields": {"text": "premise", "keep": ["hypothesis"]}}],
        "steps": [{"translate": {"model": f"openai:kept-run@{llm_server.base_url}", "target": "hau_Latn",
                                 "fields": ["text", "hypothesis"], "joint": True}}],
        "output": {"path": str(tmp_path / "out"), "kind": "bitext"},
    }  # fmt: skip
    (tmp_path / "m.yaml").write_text(yaml.safe_dump(manifest))
    with pytest.raises(ManifestError, match=r"translation of 'hypothesis' would not be written.*columns: \[hyp"):
        load_manifest(tmp_path / "m.yaml")  # refused, not lost
    manifest["output"]["columns"] = ["hypothesis", "target_hypothesis", "label"]
    manifest["sources"][0]["fields"]["keep"] = ["hypothesis", "label"]
    (tmp_path / "m.yaml").write_text(yaml.safe_dump(manifest))
    result = run_manifest(load_manifest(tmp_path / "m.yaml"))
    assert result.summary["drops"] == {}
    translate = next(s for s in result.summary["steps"] if s["name"] == "translate")
    assert translate["counts"]["joint_records"] == len(NLI)
    rows = datasets.load_dataset(str(tmp_path / "out"), split="train")
    assert sorted(rows["target_text"]) == sorted(f"HA {r['premise']}" for r in NLI)
    by_premise = {r["premise"]: r for r in NLI}
    for row in rows:  # the kept and the translated field are columns of the output, row by row
        nli = by_premise[row["text"]]
        assert (row["hypothesis"], row["target_hypothesis"]) == (nli["hypothesis"], f"HA {nli['hypothesis']}")
        assert row["label"] == json.dumps(nli["label"])  # a value that is no string is written as JSON
    assert rows.features["target_hypothesis"] == datasets.Value("string")
    lineage = json.loads(rows[0]["lineage"])
    assert next(e for e in lineage if e["step"] == "translate")["fields"] == ["text", "hypothesis"]
