"""Exchange with the annotation tools teams already run: Argilla v2, Label Studio and doccano.

``review export --format X`` writes the review's items with their spans as suggestions
(predictions), and ``review import`` reads the tool's export back as decisions. All three tools take
spans as character offsets of a Python string, which are babelforge's code points. Older versions
of these tools counted JavaScript UTF-16 units instead (offsets shifted after an emoji); where an
export carries each span's surface text, a span whose offsets miss it is re-read as UTF-16 offsets,
and a span that still does not match is an error naming the record, never a silently shifted label.

Formats written:
    argilla: ``records.jsonl`` (``rg.Record`` dicts: ``fields.text``, a ``spans`` suggestion with
        score and agent, metadata) and ``settings.json`` (fields, questions, labels).
    labelstudio: ``tasks.json`` (tasks with ``predictions``) and ``config.xml`` (the labelling config).
    doccano: ``dataset.jsonl`` (``text`` and ``label: [[start, end, label]]``) and ``label_config.json``.
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path
from typing import Any

from babelforge.errors import ReviewError

ID_KEY = "babelforge_id"


def to_argilla(item: dict) -> dict[str, Any]:
    spans = [{"start": s, "end": e, "label": label} for s, e, label in item["spans"]]
    suggestion = {"value": spans, "agent": f"babelforge:{item.get('method') or 'output'}"}
    if item.get("score") is not None:
        suggestion["score"] = item["score"]
    return {
        "id": item["id"],
        "fields": {"text": item["text"]},
        "metadata": {ID_KEY: item["id"], "language": item.get("language"), "method": item.get("method")},
        "suggestions": {"spans": suggestion},
        "responses": {},
    }


def from_argilla(record: dict) -> list[dict]:
    text = record["fields"]["text"]
    answers = []
    for response in (record.get("responses") or {}).get("spans", []):
        status = response.get("status", "submitted")
        if status == "draft":
            continue
        spans = [_checked(text, s["start"], s["end"], s["label"], None, record) for s in response.get("value") or []]
        answers.append(_answer(status == "submitted", spans, response.get("user_id"), "discarded in Argilla"))
    return answers


def to_labelstudio(item: dict) -> dict[str, Any]:
    result = [
        {
            "id": f"s{i}",
            "from_name": "label",
            "to_name": "text",
            "type": "labels",
            "value": {"start": s, "end": e, "text": item["text"][s:e], "labels": [label]},
        }
        for i, (s, e, label) in enumerate(item["spans"])
    ]
    prediction = {"model_version": f"babelforge:{item.get('method') or 'output'}", "result": result}
    if item.get("score") is not None:
        prediction["score"] = item["score"]
    data = {"text": item["text"], ID_KEY: item["id"], "language": item.get("language")}
    return {"data": data, "predictions": [prediction]}


def from_labelstudio(task: dict) -> list[dict]:
    text = task["data"]["text"]
    answers = []
    for annotation in task.get("annotations") or []:
        if annotation.get("was_cancelled"):
            continue
        spans, choices, reason = [], [], None
        for r in annotation.get("result") or []:
            value = r.get("value", {})
            if r.get("type") == "labels":
                spans += [
                    _checked(text, value["start"], value["end"], label, value.get("text"), task)
                    for label in value.get("labels", [])
                ]
            elif r.get("type") == "choices":
                choices += value.get("choices", [])
            elif r.get("type") == "textarea":
                reason = " ".join(value.get("text", [])) or reason
        user = annotation.get("completed_by")
        user = user.get("email") if isinstance(user, dict) else user
        answers.append(_answer("reject" not in choices, spans, user, reason or "rejected in Label Studio"))
    return answers


def to_doccano(item: dict) -> dict[str, Any]:
    return {
        "text": item["text"],
        "label": [list(s) for s in item["spans"]],
        ID_KEY: item["id"],
        "language": item.get("language"),
        "method": item.get("method"),
    }


def from_doccano(line: dict) -> list[dict]:
    text = line["text"]
    spans = [_checked(text, s, e, label, None, line) for s, e, label in line.get("label") or []]
    return [_answer(True, spans, line.get("annotator"), "")]


WRITERS = {"argilla": to_argilla, "labelstudio": to_labelstudio, "doccano": to_doccano}
READERS = {"argilla": from_argilla, "labelstudio": from_labelstudio, "doccano": from_doccano}


def _answer(accepted: bool, spans: list, annotator, reason: str) -> dict:
    return {
        "decision": "accept" if accepted else "reject",
        "spans": sorted(spans),
        "annotator": None if annotator is None else str(annotator),
        "reason": None if accepted else reason,
    }


def _checked(text: str, start: int, end: int, label: str, surface: str | None, record: dict) -> list:
    """A span in code points, repaired from UTF-16 offsets when its surface says so."""
    if surface is not None and text[start:end] != surface:
        start, end = _utf16_to_code_points(text, start), _utf16_to_code_points(text, end)
    if not 0 <= start < end <= len(text) or (surface is not None and text[start:end] != surface):
        raise ReviewError(
            f"record {_record_id(record)}: span {start}-{end} {label!r} does not fit its text"
            + (f" (expected {surface!r})" if surface is not None else "")
            + ": was it exported from the same items?"
        )
    return [start, end, label]


def _utf16_to_code_points(text: str, units: int) -> int:
    seen = 0
    for i, ch in enumerate(text):
        if seen >= units:
            return i
        seen += 2 if ord(ch) > 0xFFFF else 1
    return len(text)


def _record_id(record: dict) -> str:
    for where in (record, record.get("data") or {}, record.get("metadata") or {}, record.get("meta") or {}):
        if where.get(ID_KEY):
            return str(where[ID_KEY])
    return "?"


def export_items(store, fmt: str, folder: str | Path, overwrite: bool = False, stale_ok: bool = False) -> Path:
    """Write every item of ``store`` for tool ``fmt`` into ``folder``; return the main file.

    ``folder`` must be new, empty or an earlier export (babelforge's marker), unless ``overwrite``;
    never the database, the reviewed output or a folder inside it. A review whose output was
    rewritten since it began is refused unless ``stale_ok``.
    """
    from babelforge.ownership import claim_folder, write_marker
    from babelforge.review.origin import export_protected, require_current

    require_current(store, "export", stale_ok)
    claim = claim_folder(folder, "export", protected=export_protected(store, folder), overwrite=overwrite)
    folder = Path(folder)
    if claim.state == "foreign":  # only with overwrite
        shutil.rmtree(folder) if folder.is_dir() else folder.unlink()
    folder.mkdir(parents=True, exist_ok=True)
    write_marker(folder, "export", format=fmt)
    items = [store.item(n) for n in store.item_numbers()]
    labels = sorted({s[2] for item in items for s in item["spans"]} | set(store.meta().get("labels") or []))
    rows = [WRITERS[fmt](item) for item in items]
    if fmt == "labelstudio":
        main = folder / "tasks.json"
        main.write_text(json.dumps(rows, ensure_ascii=False, indent=1), encoding="utf-8")
        (folder / "config.xml").write_text(_labelstudio_config(labels), encoding="utf-8")
        return main
    main = folder / ("records.jsonl" if fmt == "argilla" else "dataset.jsonl")
    main.write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in rows), encoding="utf-8")
    if fmt == "argilla":
        settings = {
            "fields": [{"name": "text", "type": "text"}],
            "questions": [{"name": "spans", "type": "span", "field": "text", "labels": labels}],
            "metadata": [{"name": "language", "type": "terms"}, {"name": "method", "type": "terms"}],
        }
        (folder / "settings.json").write_text(json.dumps(settings, indent=1), encoding="utf-8")
    else:
        (folder / "label_config.json").write_text(json.dumps([{"text": label} for label in labels], indent=1))
    return main


def _labelstudio_config(labels: list[str]) -> str:
    from xml.sax.saxutils import quoteattr

    options = "".join(f"\n    <Label value={quoteattr(label)}/>" for label in labels)
    return (
        '<View>\n  <Labels name="label" toName="text">' + options + "\n  </Labels>\n"
        '  <Text name="text" value="$text"/>\n'
        '  <Choices name="decision" toName="text"><Choice value="accept"/><Choice value="reject"/></Choices>\n'
        '  <TextArea name="reason" toName="text" placeholder="why rejected"/>\n</View>\n'
    )


def read_exchange(path: str | Path, fmt: str) -> list[dict]:
    """The records of a tool's export file (JSON list or JSON lines)."""
    if fmt not in READERS:
        raise ReviewError(f"--format {fmt!r}: valid: {', '.join(READERS)}")
    text = Path(path).read_text(encoding="utf-8")
    try:
        data = (
            json.loads(text)
            if text.lstrip().startswith("[")
            else [json.loads(x) for x in text.splitlines() if x.strip()]
        )
    except json.JSONDecodeError as error:
        raise ReviewError(f"{path}: not JSON or JSON lines ({error})") from None
    return data


def import_decisions(store, path: str | Path, fmt: str, annotator: str | None = None) -> dict[str, int]:
    """Record the answers found in a tool's export as decisions; return how many, on how many items.

    Raises:
        ReviewError: for a record whose id is not in the review, an answer without an annotator
            (when ``annotator`` is not given), or a span that does not fit its text.
    """
    records = read_exchange(path, fmt)
    planned = []
    for record in records:
        item = store.item_by_id(_record_id(record))
        if item is None:
            raise ReviewError(f"{path}: record {_record_id(record)} is not an item of {store.path}")
        for answer in READERS[fmt](record):
            name = answer["annotator"] or annotator
            if not name:
                raise ReviewError(f"{path}: record {_record_id(record)} names no annotator: pass --annotator")
            planned.append((item["n"], name, answer))
    for n, name, answer in planned:  # everything checked before the first write
        store.decide(n, name, answer["decision"], reason=answer["reason"], spans=answer["spans"])
    return {"decisions": len(planned), "items": len({p[0] for p in planned})}
