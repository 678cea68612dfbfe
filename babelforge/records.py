"""The record contract: the metadata keys steps share, and each output kind's Hugging Face ``Features``.

Records travel as datatrove ``Document``s: ``text`` plus ``metadata``. The metadata keys below are the
contract between steps; each step documents which it reads and writes.

Metadata keys every record carries:
    ``language``: canonical language code (``hau_Latn``).
    ``split``: dataset split (``train``, ``validation``, ``test``).
    ``source``: the manifest source the record came from; ``source_id``: its id there.
    ``lineage``: list of ``{"step": ..., **details}``, one entry per step that changed the record.

Span records add ``spans`` (list of :class:`~babelforge.spans.Span`) and, when they came from tokens,
``token_offsets`` (``[(start, end), ...]``). Chat records add ``messages``.
"""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    import datasets

#: The record kinds an output can hold, one ``Features`` layout each.
RECORD_KINDS = ("ner", "spans", "qa", "chat", "text", "bitext", "codemix")

LANGUAGE, SPLIT, SOURCE, SOURCE_ID, LINEAGE = "language", "split", "source", "source_id", "lineage"
SPANS, TOKEN_OFFSETS, MESSAGES = "spans", "token_offsets", "messages"
TARGET_TEXT, TARGET_LANGUAGE = "target_text", "target_language"
QUESTION, TITLE, TARGET_QUESTION = "question", "title", "target_question"
PROMPT_LANG, RESPONSE_LANG = "prompt_lang", "response_lang"


def features_for(kind: str, tag_names: list[str] | None = None) -> datasets.Features:
    """The ``datasets.Features`` layout of an output of record ``kind``.

    Args:
        kind: one of :data:`RECORD_KINDS`.
        tag_names: the NER tag inventory (``ClassLabel`` names), required for ``ner``.
    """
    from datasets import ClassLabel, Features, List, Value

    common = {"id": Value("string"), "language": Value("string")}
    provenance = {"source": Value("string"), "lineage": Value("string")}
    span = {"start": Value("int32"), "end": Value("int32"), "label": Value("string")}
    layouts = {
        "ner": lambda: {
            "tokens": List(Value("string")),
            "ner_tags": List(ClassLabel(names=list(tag_names or ["O"]))),
        },
        "spans": lambda: {"text": Value("string"), "spans": List(span)},
        "qa": lambda: {  # SQuAD's own layout: answers as a dict of lists
            "title": Value("string"),
            "context": Value("string"),
            "question": Value("string"),
            "answers": {"text": List(Value("string")), "answer_start": List(Value("int32"))},
        },
        "chat": lambda: {
            "messages": List({"role": Value("string"), "content": Value("string")}),
            "prompt": Value("string"),  # the last user turn, and the answer to it: prompt/completion form
            "completion": Value("string"),
            "prompt_lang": Value("string"),
            "response_lang": Value("string"),
        },
        "text": lambda: {  # segments: where each part of an interleaved sample comes from (else empty)
            "text": Value("string"),
            "segments": List(
                {
                    "language": Value("string"),
                    "source_id": Value("string"),
                    "start": Value("int32"),
                    "end": Value("int32"),
                    "offset": Value("int32"),
                }
            ),
        },
        "codemix": lambda: {
            "text": Value("string"),
            "tokens": List(Value("string")),
            "langs": List(Value("string")),
            "spans": List(span),
            "cmi": Value("float32"),
            "m_index": Value("float32"),
            "i_index": Value("float32"),
            "source_text": Value("string"),
        },
        "bitext": lambda: {
            "text": Value("string"),
            "target_text": Value("string"),
            "target_language": Value("string"),
            "score": Value("float32"),
        },
    }
    if kind not in layouts:
        raise ValueError(f"unknown record kind {kind!r}: valid: {', '.join(RECORD_KINDS)}")
    return Features({**common, **layouts[kind](), **provenance})


def lineage_json(metadata: dict[str, Any]) -> str:
    """The record's lineage as compact JSON (the column type in every output)."""
    lineage = metadata.get(LINEAGE)
    if not lineage:
        return "[]"
    return json.dumps(lineage, ensure_ascii=False, separators=(",", ":"), default=str)


def add_lineage(metadata: dict[str, Any], step: str, **details: Any) -> None:
    """Append one lineage entry for ``step`` to a record's metadata."""
    metadata.setdefault(LINEAGE, []).append({"step": step, **details})
