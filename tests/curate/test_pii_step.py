"""The pii step: spans, tokens and segments moved with the text, the three actions, settings, a whole run."""

import json
import pickle
import subprocess
import sys

import pyarrow.parquet as pq
import pytest
from datatrove.data import Document
from hypothesis import given
from hypothesis import strategies as st
from pydantic import ValidationError

from babelforge.curate.pii import PiiSettings, PiiStep
from babelforge.curate.pii_edit import Edit, Replacement
from babelforge.manifest import ManifestError, load_manifest
from babelforge.runner import run_manifest
from babelforge.spans import Span, tokenize
from babelforge.steps import Drop

TEXT = "Mail Ada at ada@example.org or call +254 712 345678 today"


def spans_on(text: str, *surfaces: tuple[str, str]) -> list[Span]:
    return [Span(text.index(s), text.index(s) + len(s), label) for s, label in surfaces]


def test_spans_move_with_the_text_and_those_inside_or_across_a_value_are_removed():
    spans = spans_on(
        TEXT, ("Ada", "PER"), ("ada@example.org", "EMAIL"), ("ada", "PER"), ("call +254 712 345678", "CONTACT"),
        ("or call +254", "X"), ("today", "DATE"),
    )  # fmt: skip
    step = PiiStep()
    doc = step.process(Document(TEXT, "1", metadata={"spans": spans}))
    assert doc.text == "Mail Ada at <EMAIL> or call <PHONE> today"
    surfaces = [(doc.text[s.start : s.end], s.label) for s in doc.metadata["spans"]]
    assert surfaces == [("Ada", "PER"), ("<EMAIL>", "EMAIL"), ("call <PHONE>", "CONTACT"), ("today", "DATE")]
    assert step.stats["spans_removed"].total == 2
    assert doc.metadata["lineage"][-1] == {"step": "pii", "replaced": {"email": 1, "phone": 1}, "spans_removed": 2}


def test_with_span_overlap_drop_a_record_that_would_lose_a_span_is_dropped():
    doc = Document(TEXT, "1", metadata={"spans": spans_on(TEXT, ("ada", "PER"))})
    result = PiiStep(span_overlap="drop").process(doc)
    assert result == Drop("pii_span_overlap", "1 span(s) inside or across a replaced value")
    assert "<EMAIL>" in doc.text  # the rejects row never holds the value


def test_tokens_that_touch_a_value_become_one_token():
    doc = Document(TEXT, "1", metadata={"token_offsets": tokenize(TEXT)})
    doc = PiiStep().process(doc)
    tokens = [doc.text[s:e] for s, e in doc.metadata["token_offsets"]]
    assert tokens == doc.text.split(" ")
    assert "<PHONE>" in tokens


def test_segment_offsets_move_with_the_text():
    text = "Ada ada@example.org\n\nBob 0712 345678"
    segments = [{"language": "eng_Latn", "source_id": "a", "start": 0, "end": 19, "offset": 0},
                {"language": "swh_Latn", "source_id": "b", "start": 0, "end": 15, "offset": 21}]  # fmt: skip
    doc = PiiStep(regions=["KE"]).process(Document(text, "1", metadata={"segments": segments}))
    assert doc.text == "Ada <EMAIL>\n\nBob <PHONE>"
    assert [s["offset"] for s in doc.metadata["segments"]] == [0, doc.text.index("Bob")]


def test_chat_turns_and_target_text_are_searched_too():
    messages = [
        {"role": "user", "content": "My card is 4111 1111 1111 1111"},
        {"role": "assistant", "content": "Noted."},
    ]
    doc = Document("", "1", metadata={"messages": messages, "target_text": "Andika ada@example.org"})
    doc = PiiStep().process(doc)
    assert doc.metadata["messages"][0]["content"] == "My card is <CARD>"
    assert doc.metadata["target_text"] == "Andika <EMAIL>"
    assert doc.metadata["pii"] == {"card": 1, "email": 1}


def test_drop_and_flag():
    text = "Write to ada@example.org"
    dropped_doc = Document(text, "1")
    assert PiiStep(action="drop").process(dropped_doc) == Drop("pii", "1 email")
    assert dropped_doc.text == "Write to <EMAIL>"  # what the rejects shard would hold
    flagged = PiiStep(action="flag").process(Document(text, "2"))
    assert flagged.text == text
    assert flagged.metadata["pii"] == {"email": 1}
    clean = PiiStep(action="drop").process(Document("nothing here", "3"))
    assert clean.metadata["pii"] == {}


def test_the_placeholder_format_is_configurable():
    doc = PiiStep(placeholder="[{kind}]").process(Document("id 7503305044089", "1"))
    assert doc.text == "id [id_za]"


def test_counts_per_kind_go_to_the_stats():
    step = PiiStep()
    list(step.run([Document(TEXT, "1"), Document("a@b.org c@d.org", "2"), Document("none", "3")]))
    counts = {key: value.total for key, value in step.stats.stats.items()}
    assert counts == {"in": 3, "kept": 3, "email": 3, "phone": 1, "with_pii": 2}


def test_the_step_pickles_without_its_finder():
    step = PiiStep(regions=["NG"])
    step.process(Document("0803 123 4567", "1"))
    copy = pickle.loads(pickle.dumps(step))
    assert copy._finder is None
    assert copy.process(Document("0803 123 4567", "1")).text == "<PHONE>"


@pytest.mark.parametrize(
    ("settings", "message"),
    [
        ({"kinds": ["email", "passport"]}, "'email', 'phone', 'ip', 'iban', 'card' or 'id'"),
        ({"regions": ["NGA"]}, "unknown phone region 'NGA': did you mean NG"),
        ({"regions": []}, "at least 1 item"),
        ({"ids": ["za.idnr", "ng.nin"]}, "'za.idnr', 'in.aadhaar'"),
        ({"placeholder": "<{TYPE}>"}, "its fields may be {KIND} or {kind}"),
        ({"action": "mask"}, "'replace', 'drop' or 'flag'"),
    ],
)
def test_settings_are_checked_where_they_enter(settings, message):
    with pytest.raises(ValidationError) as error:
        PiiSettings(**settings)
    assert message in str(error.value)


def test_regions_are_written_in_capitals():
    assert PiiSettings(regions=["ng", " ke"]).regions == ["NG", "KE"]


@given(st.text(alphabet="ab 😀é\u0301字", max_size=30), st.data())
def test_spans_outside_every_value_keep_their_surface(text, data):
    cuts = sorted(data.draw(st.lists(st.integers(0, len(text)), max_size=6, unique=True)))
    pairs = zip(cuts[::2], cuts[1::2], strict=False)
    replacements = [Replacement(a, b, data.draw(st.sampled_from(["", "<X>", "<LONGER>"]))) for a, b in pairs]
    edit = Edit(text, replacements)
    start = data.draw(st.integers(0, len(text)))
    end = data.draw(st.integers(start, len(text)))
    moved, removed = edit.spans([Span(start, end, "L")])
    clear = all(end <= r.start or start >= r.end for r in replacements)
    if clear:
        assert removed == 0
        assert edit.text[moved[0].start : moved[0].end] == text[start:end]
    holds = all((start <= r.start and r.end <= end) or end <= r.start or start >= r.end for r in replacements)
    assert removed == (0 if holds else 1)


def test_a_run_replaces_values_and_counts_them_in_the_summary(tmp_path, write_manifest):
    rows = [
        {"id": "a", "text": "Andika kwa ada@example.org au piga 0712 345678.", "spans": [[11, 26, "EMAIL"]]},
        {"id": "b", "text": "IBAN GB82 WEST 1234 5698 7654 32, Ada.", "spans": [[34, 37, "PER"]]},
        {"id": "c", "text": "Hakuna kitu hapa, 12/03/2024.", "spans": []},
    ]
    source = tmp_path / "corpus.jsonl"
    source.write_text("".join(json.dumps(row) + "\n" for row in rows))
    fields = {"text": "text", "id": "id", "spans": "spans"}
    manifest = {
        "name": "pii",
        "sources": [{"kind": "jsonl", "path": str(source), "language": "sw", "fields": fields}],
        "steps": [{"pii": {}}],
        "output": {"path": str(tmp_path / "out"), "kind": "spans"},
    }
    result = subprocess.run(
        [sys.executable, "-m", "babelforge", "run", write_manifest(manifest)], capture_output=True, text=True
    )
    assert result.returncode == 0, result.stderr
    (shard,) = (tmp_path / "out" / "data").glob("*/*.parquet")
    out = {row["text"]: row["spans"] for row in pq.read_table(shard).to_pylist()}
    assert out == {
        "Andika kwa <EMAIL> au piga <PHONE>.": [{"start": 11, "end": 18, "label": "EMAIL"}],
        "IBAN <IBAN>, Ada.": [{"start": 13, "end": 16, "label": "PER"}],
        "Hakuna kitu hapa, 12/03/2024.": [],
    }
    provenance = json.loads((tmp_path / "out" / "provenance.json").read_text())
    (step,) = [s for s in provenance["steps"] if s["name"] == "pii"]
    assert step["counts"] == {"in": 3, "kept": 3, "email": 1, "phone": 1, "iban": 1, "with_pii": 2}


def test_drop_is_counted_under_pii_in_the_summary(tmp_path, write_manifest):
    source = tmp_path / "corpus.jsonl"
    source.write_text(json.dumps({"text": "card 4111 1111 1111 1111"}) + "\n" + json.dumps({"text": "clean"}) + "\n")
    manifest = {
        "name": "pii-drop",
        "sources": [{"kind": "jsonl", "path": str(source), "language": "en"}],
        "steps": [{"pii": {"action": "drop"}}],
        "output": {"path": str(tmp_path / "out"), "kind": "text", "write_rejects": True},
    }
    result = run_manifest(load_manifest(write_manifest(manifest)))
    assert result.summary["drops"] == {"pii: pii": 1}
    (rejects,) = (tmp_path / "out" / "rejects").glob("*.jsonl")
    assert json.loads(rejects.read_text())["text"] == "card <CARD>"


def test_an_unknown_region_in_a_manifest_names_the_field(tmp_path, write_manifest):
    source = tmp_path / "corpus.jsonl"
    source.write_text(json.dumps({"text": "x"}) + "\n")
    manifest = {
        "name": "bad",
        "sources": [{"kind": "jsonl", "path": str(source), "language": "en"}],
        "steps": [{"pii": {"regions": ["NGR"]}}],
        "output": {"path": str(tmp_path / "out"), "kind": "text"},
    }
    with pytest.raises(ManifestError) as error:
        load_manifest(write_manifest(manifest))
    assert "steps[0].pii.regions" in str(error.value)
    assert "unknown phone region 'NGR'" in str(error.value)
