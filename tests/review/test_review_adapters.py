"""Argilla, Label Studio and doccano: exports and imports lose no span and no label on hard scripts."""

from __future__ import annotations

import json

import pytest
from kit.hard_scripts import RECORDS

from babelforge.errors import ReviewError
from babelforge.review import open_review
from babelforge.review.adapters import READERS, WRITERS, export_items, import_decisions, to_labelstudio


def _answered(fmt: str, row: dict, spans: list, who: str) -> dict:
    """The tool's export after an annotator accepted the suggestion as it was."""
    if fmt == "argilla":
        value = [{"start": s, "end": e, "label": label} for s, e, label in spans]
        return {**row, "responses": {"spans": [{"value": value, "user_id": who, "status": "submitted"}]}}
    if fmt == "labelstudio":
        return {**row, "annotations": [{"completed_by": {"email": who}, "result": row["predictions"][0]["result"]}]}
    return {**row, "annotator": who}


@pytest.mark.parametrize("fmt", sorted(WRITERS))
def test_round_trip_keeps_every_span_and_label(review_output, tmp_path, fmt):
    store, _ = open_review(review_output)
    items = [store.item(n) for n in store.item_numbers()]
    main = export_items(store, fmt, tmp_path / fmt)
    text = main.read_text(encoding="utf-8")
    rows = json.loads(text) if fmt == "labelstudio" else [json.loads(x) for x in text.splitlines()]
    answered = [_answered(fmt, row, item["spans"], "tool-user") for row, item in zip(rows, items, strict=True)]
    back = tmp_path / f"{fmt}-answered.json"
    back.write_text(json.dumps(answered, ensure_ascii=False), encoding="utf-8")
    counts = import_decisions(store, back, fmt)
    assert counts == {"decisions": len(items), "items": len(items)}
    surfaces = {r["text"]: sorted((r["text"][s:e], label) for s, e, label in r["spans"]) for r in RECORDS}
    total = 0
    for item, decision in zip(items, store.decisions(), strict=True):
        assert decision["decision"] == "accept"
        assert decision["annotator"] == "tool-user"
        assert decision["spans"] == sorted(item["spans"])
        got = sorted((item["text"][s:e], label) for s, e, label in decision["spans"])
        assert got == surfaces[item["text"]]  # text[start:end] is the span's surface, label kept
        total += len(got)
    assert total == sum(len(r["spans"]) for r in RECORDS) > 0


def test_surfaces_survive_every_writer(review_output):
    store, _ = open_review(review_output)
    for n in store.item_numbers():
        item = store.item(n)
        task = to_labelstudio(item)
        for result, (s, e, label) in zip(task["predictions"][0]["result"], item["spans"], strict=True):
            assert result["value"]["text"] == item["text"][s:e]
            assert result["value"]["labels"] == [label]
        for fmt, reader in READERS.items():
            row = _answered(fmt, WRITERS[fmt](item), item["spans"], "x")
            assert [a["spans"] for a in reader(row)] == [sorted(item["spans"])]


def test_utf16_offsets_from_old_tools_are_repaired_by_surface():
    text = "🚀 Ada met 👩🏽‍🚀 Grace"
    start = text.index("Grace")
    units = len(text[:start].encode("utf-16-le")) // 2
    task = {
        "data": {"text": text, "babelforge_id": "x"},
        "annotations": [
            {
                "completed_by": 1,
                "result": [
                    {"type": "labels", "value": {"start": units, "end": units + 5, "text": "Grace", "labels": ["PER"]}}
                ],
            }
        ],
    }
    assert READERS["labelstudio"](task)[0]["spans"] == [[start, start + 5, "PER"]]


def test_a_span_that_fits_nothing_is_an_error_naming_the_record(review_output, tmp_path):
    task = {
        "data": {"text": "Ada Lovelace", "babelforge_id": "rec-7"},
        "annotations": [
            {
                "completed_by": 1,
                "result": [{"type": "labels", "value": {"start": 0, "end": 3, "text": "Bob", "labels": ["PER"]}}],
            }
        ],
    }
    with pytest.raises(ReviewError, match="rec-7"):
        READERS["labelstudio"](task)
    store, _ = open_review(review_output)
    path = tmp_path / "unknown.jsonl"
    path.write_text(json.dumps({"text": "x", "label": [], "babelforge_id": "nope"}) + "\n")
    with pytest.raises(ReviewError, match="not an item"):
        import_decisions(store, path, "doccano", "ann")
    assert store.decisions() == []


def test_rejections_come_back_from_label_studio_and_argilla(review_output, tmp_path):
    store, _ = open_review(review_output)
    item = store.item(1)
    task = {
        **to_labelstudio(item),
        "annotations": [
            {
                "completed_by": {"email": "ls"},
                "result": [
                    {"type": "choices", "value": {"choices": ["reject"]}},
                    {"type": "textarea", "value": {"text": ["wrong language"]}},
                ],
            }
        ],
    }
    path = tmp_path / "ls.json"
    path.write_text(json.dumps([task]))
    import_decisions(store, path, "labelstudio")
    assert store.decisions(1)[0]["decision"] == "reject"
    assert store.decisions(1)[0]["reason"] == "wrong language"
    record = {
        **WRITERS["argilla"](item),
        "responses": {"spans": [{"value": [], "user_id": "u", "status": "discarded"}]},
    }
    assert READERS["argilla"](record)[0]["decision"] == "reject"
