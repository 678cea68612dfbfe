"""The record contract: the metadata keys steps share, and each output kind's Hugging Face ``Features``.

Records travel as datatrove ``Document``s: ``text`` plus ``metadata``. The metadata keys below are the
contract between steps; each step documents which it reads and writes.

Metadata keys every record carries:
    ``language``: canonical language code (``hau_Latn``): what the record is (see below).
    ``split``: dataset split (``train``, ``validation``, ``test``).
    ``source``: the manifest source the record came from; ``source_id``: its id there.
    ``lineage``: list of ``{"step": ..., **details}``, one entry per step that changed the record.
    ``split_group`` (optional): records made from one record (its pairs in several languages) carry
    its id here, and an output re-split by ``splits`` puts them in the same split (no held-out pair
    has its translation in train).

Span records add ``spans`` (list of :class:`~babelforge.spans.Span`) and, when they came from tokens,
``token_offsets`` (``[(start, end), ...]``). Chat records add ``messages``.

Preference records (the ``preference`` kind, what DPO trains on) add ``prompt`` (the turns before the
answer: ``[{role, content}, ...]``, system and user turns and any earlier exchange), ``chosen`` and
``rejected`` (the two answers, as text), ``prompt_lang``, ``chosen_lang`` and ``rejected_lang``, and
``chosen_by`` / ``rejected_by`` (``{"method": ..., "model": ...}``: how each side was made). Their text
is the last user turn. The output row is TRL's conversational preference format with an explicit
prompt: ``prompt`` a list of messages, ``chosen`` and ``rejected`` each a one-message list (the
assistant's answer), so ``DPOTrainer`` applies the model's chat template and never trains the prompt;
``prompt_text``, ``chosen_text``, ``rejected_text`` and ``system`` repeat them as plain strings, for
reading and for trainers that take strings (LLaMA-Factory's ranking datasets).

Languages of an output row, for a trainer filtering by language:
    ``language``: what the row is: the language of its text for monolingual rows (the target of a
    projected row), the anchor of an interleaved sample (the language it opens with), the matrix
    language of a code-mixed sentence, the source side of a bitext pair, the language a preference
    pair's prompt asks in. Filter on it to keep rows
    *of* a language.
    ``languages``: every language with text in the row, ``language`` first, then the others in the
    order they appear (an interleaved sample's segments, a code-mixed sentence's token labels other
    than ``other``, a pair's target, a chat's prompt and response, a preference pair's prompt, chosen
    and rejected answers). Filter on it to keep rows that *hold* a language. Emit derives it from the
    row itself (:func:`with_languages`).
"""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    import datasets

#: The record kinds an output can hold, one ``Features`` layout each.
RECORD_KINDS = ("ner", "spans", "qa", "chat", "text", "bitext", "codemix", "preference")

LANGUAGE, SPLIT, SOURCE, SOURCE_ID, LINEAGE = "language", "split", "source", "source_id", "lineage"
LANGUAGES = "languages"
SPLIT_GROUP = "split_group"
#: The token label of a code-mixed token in no language (numbers, punctuation, names).
NO_LANGUAGE = "other"
SPANS, TOKEN_OFFSETS, MESSAGES = "spans", "token_offsets", "messages"
TARGET_TEXT, TARGET_LANGUAGE = "target_text", "target_language"
QUESTION, TITLE, TARGET_QUESTION = "question", "title", "target_question"
PROMPT_LANG, RESPONSE_LANG = "prompt_lang", "response_lang"
#: Interleaved samples' parts; code-mixed sentences' tokens, their languages, metrics and the text before mixing.
SEGMENTS = "segments"
MIX_TOKENS, MIX_LANGS, MIX_METRICS, SOURCE_TEXT = "mix_tokens", "mix_langs", "mix_metrics", "source_text"
#: A mined pair's margin score.
SCORE = "score"
PROMPT, CHOSEN, REJECTED = "prompt", "chosen", "rejected"
CHOSEN_LANG, REJECTED_LANG = "chosen_lang", "rejected_lang"
#: ``{"method": ..., "model": ...}``: how each side of a preference pair was made.
CHOSEN_BY, REJECTED_BY = "chosen_by", "rejected_by"


def features_for(
    kind: str, tag_names: list[str] | None = None, columns: tuple[str, ...] | list[str] = ()
) -> datasets.Features:
    """The ``datasets.Features`` layout of an output of record ``kind``.

    Args:
        kind: one of :data:`RECORD_KINDS`.
        tag_names: the NER tag inventory (``ClassLabel`` names), required for ``ner``.
        columns: more string columns (``output.columns``), before ``source`` and ``lineage``.
    """
    from datasets import ClassLabel, Features, List, Value

    common = {"id": Value("string"), "language": Value("string"), "languages": List(Value("string"))}
    provenance = {"source": Value("string"), "lineage": Value("string")}
    span = {"start": Value("int32"), "end": Value("int32"), "label": Value("string")}
    message = {"role": Value("string"), "content": Value("string")}
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
        "preference": lambda: {  # TRL's conversational preference format, explicit prompt; plain strings beside
            "prompt": List(message),
            "chosen": List(message),
            "rejected": List(message),
            "prompt_text": Value("string"),
            "chosen_text": Value("string"),
            "rejected_text": Value("string"),
            "system": Value("string"),
            "prompt_lang": Value("string"),
            "chosen_lang": Value("string"),
            "rejected_lang": Value("string"),
            "chosen_method": Value("string"),
            "chosen_model": Value("string"),
            "rejected_method": Value("string"),
            "rejected_model": Value("string"),
        },
    }
    if kind not in layouts:
        raise ValueError(f"unknown record kind {kind!r}: valid: {', '.join(RECORD_KINDS)}")
    extra = {name: Value("string") for name in columns}
    return Features({**common, **layouts[kind](), **extra, **provenance})


def with_languages(table):
    """One shard's rows (a ``pyarrow.Table`` of any record kind) with their ``languages`` column.

    Each row's own ``language`` comes first, then every other language its parts carry, in order
    (see the module docstring); nulls and :data:`NO_LANGUAGE` are left out. A table that already
    has the column is returned as it is.
    """
    import numpy as np
    import pyarrow as pa
    import pyarrow.compute as pc

    if LANGUAGES in table.column_names:
        return table
    rows, values = [np.arange(table.num_rows)], [table.column(LANGUAGE).combine_chunks()]
    for row_of, value in _part_languages(table):
        rows.append(np.asarray(row_of, dtype=np.int64))
        values.append(value)
    parts = pa.table({"row": np.concatenate(rows), "language": pa.concat_arrays([v.cast(pa.string()) for v in values])})
    parts = parts.append_column("order", pa.array(np.arange(parts.num_rows)))
    parts = parts.filter(pc.and_(pc.is_valid(parts["language"]), pc.not_equal(parts["language"], NO_LANGUAGE)))
    first = parts.group_by(["row", "language"], use_threads=False).aggregate([("order", "min")])
    first = first.sort_by([("row", "ascending"), ("order_min", "ascending")])
    counts = np.bincount(first.column("row").to_numpy(), minlength=table.num_rows)
    offsets = pa.array(np.concatenate([[0], np.cumsum(counts)]).astype(np.int32))
    column = pa.ListArray.from_arrays(offsets, first.column("language").combine_chunks())
    return table.add_column(table.column_names.index(LANGUAGE) + 1, LANGUAGES, column)


def _part_languages(table):
    """``(row index per value, language values)`` for each column of ``table`` that names its parts' languages."""
    import numpy as np
    import pyarrow.compute as pc

    names = table.column_names
    for column, field in (("segments", "language"), ("langs", None)):  # interleaved samples, code-mixed tokens
        if column in names:
            lists = table.column(column).combine_chunks()
            flat = pc.list_flatten(lists)
            yield pc.list_parent_indices(lists), (pc.struct_field(flat, field) if field else flat)
    for column in (TARGET_LANGUAGE, PROMPT_LANG, RESPONSE_LANG, CHOSEN_LANG, REJECTED_LANG):
        if column in names:
            yield np.arange(table.num_rows), table.column(column).combine_chunks()


def lineage_json(metadata: dict[str, Any]) -> str:
    """The record's lineage as compact JSON (the column type in every output)."""
    lineage = metadata.get(LINEAGE)
    if not lineage:
        return "[]"
    return json.dumps(lineage, ensure_ascii=False, separators=(",", ":"), default=str)


def add_lineage(metadata: dict[str, Any], step: str, **details: Any) -> None:
    """Append one lineage entry for ``step`` to a record's metadata."""
    metadata.setdefault(LINEAGE, []).append({"step": step, **details})
