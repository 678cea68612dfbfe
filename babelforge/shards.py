"""Per-task Parquet shards: the last step of every pass writes its records here, atomically.

Each task writes ``<folder>/<split>/<rank>.parquet`` through a ``.partial`` file renamed when the task
ends, so a task killed half-way leaves nothing that looks finished, and its rerun starts clean.
Rows already have the output's layout (tokens and tag strings for NER, spans for span records);
:mod:`babelforge.emit` only turns tag strings into class ids and types the columns. An NER shard's
footer lists its tags (:data:`NER_TAGS_KEY`), so emit learns the labels without reading the rows.
"""

from __future__ import annotations

import glob
import hashlib
import json
import os
import time
from collections import defaultdict
from typing import Any

from datatrove.data import Document, DocumentsPipeline
from datatrove.pipeline.base import PipelineStep
from datatrove.pipeline.readers import JsonlReader
from datatrove.pipeline.writers import JsonlWriter

from babelforge.records import (
    CHOSEN,
    CHOSEN_BY,
    LANGUAGE,
    MESSAGES,
    MIX_LANGS,
    MIX_METRICS,
    MIX_TOKENS,
    PROMPT,
    PROMPT_LANG,
    QUESTION,
    REJECTED,
    REJECTED_BY,
    RESPONSE_LANG,
    SCORE,
    SEGMENTS,
    SOURCE,
    SOURCE_TEXT,
    SPANS,
    SPLIT,
    SPLIT_GROUP,
    TARGET_LANGUAGE,
    TARGET_TEXT,
    TITLE,
    TOKEN_OFFSETS,
    lineage_json,
)
from babelforge.spans import Span, spans_to_tags, tokenize

FLUSH_ROWS = 10_000
#: The string columns of a preference row, after its three lists of messages.
PREFERENCE_STRINGS = (
    "prompt_text", "chosen_text", "rejected_text", "system", "prompt_lang", "chosen_lang", "rejected_lang",
    "chosen_method", "chosen_model", "rejected_method", "rejected_model",
)  # fmt: skip
#: Footer key of an NER shard: the JSON list of its distinct tags other than ``O`` (emit reads the labels there).
NER_TAGS_KEY = b"babelforge.ner_tags"


def shard_schema(kind: str, columns: tuple[str, ...] | list[str] = ()):
    """The Arrow schema of a shard of record ``kind`` (before class ids and Features).

    Args:
        columns: more string columns (``output.columns``), before ``source`` and ``lineage``.
    """
    import pyarrow as pa

    span = pa.struct([("start", pa.int32()), ("end", pa.int32()), ("label", pa.string())])
    message = pa.struct([("role", pa.string()), ("content", pa.string())])
    layout = {
        "ner": [("tokens", pa.list_(pa.string())), ("ner_tags", pa.list_(pa.string()))],
        "spans": [("text", pa.string()), ("spans", pa.list_(span))],
        "qa": [
            ("title", pa.string()),
            ("context", pa.string()),
            ("question", pa.string()),
            ("answers", pa.struct([("text", pa.list_(pa.string())), ("answer_start", pa.list_(pa.int32()))])),
        ],
        "chat": [
            ("messages", pa.list_(message)),
            ("prompt", pa.string()),
            ("completion", pa.string()),
            ("prompt_lang", pa.string()),
            ("response_lang", pa.string()),
        ],
        "text": [
            ("text", pa.string()),
            (
                "segments",
                pa.list_(
                    pa.struct(
                        [
                            ("language", pa.string()),
                            ("source_id", pa.string()),
                            ("start", pa.int32()),
                            ("end", pa.int32()),
                            ("offset", pa.int32()),
                        ]
                    )
                ),
            ),
        ],
        "codemix": [
            ("text", pa.string()),
            ("tokens", pa.list_(pa.string())),
            ("langs", pa.list_(pa.string())),
            ("spans", pa.list_(span)),
            ("cmi", pa.float32()),
            ("m_index", pa.float32()),
            ("i_index", pa.float32()),
            ("source_text", pa.string()),
        ],
        "bitext": [
            ("text", pa.string()),
            ("target_text", pa.string()),
            ("target_language", pa.string()),
            ("score", pa.float32()),
        ],
        "preference": [
            *((side, pa.list_(message)) for side in ("prompt", "chosen", "rejected")),
            *((name, pa.string()) for name in PREFERENCE_STRINGS),
        ],
    }[kind]
    common = [("id", pa.string()), ("language", pa.string())]
    extra = [(name, pa.string()) for name in columns]
    return pa.schema(common + layout + extra + [("source", pa.string()), ("lineage", pa.string())])


class ShardWriter(PipelineStep):
    """Write records as rows of the output's ``kind``, one Parquet file per split and task.

    Args:
        folder: where the shards go.
        kind: the output record kind (``ner``, ``spans``, ``chat``, ``text``, ``bitext``).
        tag_scheme: the NER tag scheme.
        splits: optional ``{split: fraction}``; records are then assigned to splits by a stable hash of
            their id (or of their ``split_group``), whatever split their source gave them.
        columns: more string columns, each read from the record's metadata key of that name (a value
            that is not a string is written as JSON; a missing one is null).
    """

    type = "💽 - WRITER"
    name = "shards"

    def __init__(
        self,
        folder: str,
        kind: str,
        tag_scheme: str = "BIO",
        splits: dict[str, float] | None = None,
        columns: tuple[str, ...] | list[str] = (),
    ):
        super().__init__()
        self.folder, self.kind, self.tag_scheme = folder, kind, tag_scheme
        self.splits, self.columns = splits, tuple(columns)

    def run(self, data: DocumentsPipeline, rank: int = 0, world_size: int = 1) -> DocumentsPipeline:
        self._remove_stale(rank)
        self._seconds = 0.0
        self._add_kind = getattr(self, f"_add_{self.kind}")
        columns: dict[str, dict[str, list]] = defaultdict(lambda: defaultdict(list))
        self._tags_by_split: dict[str, set[str]] = defaultdict(set)
        writers: dict[str, Any] = {}
        try:
            for doc in data or ():
                started = time.perf_counter()
                split = self._split = self._split_of(doc)
                self._add_row(columns[split], doc)
                if len(columns[split]["id"]) >= FLUSH_ROWS:
                    self._flush(writers, columns, split, rank)
                self._seconds += time.perf_counter() - started
                yield doc
            for split in list(columns):
                self._flush(writers, columns, split, rank)
            if self.kind == "ner":
                for split, writer in writers.items():
                    writer.add_key_value_metadata(
                        {NER_TAGS_KEY: json.dumps(sorted(self._tags_by_split[split] - {"O"}))}
                    )
            self.stats.time_stats.update(self._seconds)
        finally:
            for writer in writers.values():
                writer.close()
        for split in writers:
            partial = self._path(split, rank) + ".partial"
            os.replace(partial, self._path(split, rank))

    def _remove_stale(self, rank: int) -> None:
        # the folder is a name, not a pattern: "out[1].work" must not match "out1.work" and leave stale shards
        for stale in glob.glob(os.path.join(glob.escape(self.folder), "*", f"{rank:05d}.parquet*")):
            os.remove(stale)

    def _path(self, split: str, rank: int) -> str:
        return os.path.join(self.folder, split, f"{rank:05d}.parquet")

    def _split_of(self, doc: Document) -> str:
        if not self.splits:
            return doc.metadata.get(SPLIT, "train")
        key = doc.metadata.get(SPLIT_GROUP) or doc.id  # one record's versions in several languages stay together
        point = int.from_bytes(hashlib.blake2b(str(key).encode(), digest_size=8).digest(), "big") / 2**64
        cumulative = 0.0
        for split, fraction in sorted(self.splits.items()):  # by name: key order must not matter
            cumulative += fraction
            if point < cumulative:
                return split
        return split

    def _flush(self, writers: dict, columns: dict, split: str, rank: int) -> None:
        import pyarrow as pa
        import pyarrow.parquet as pq

        if not columns[split]["id"]:
            return
        schema = shard_schema(self.kind, self.columns)
        rows = len(columns[split]["id"])
        self.stat_update("written", f"split:{split}", value=rows)
        arrays = {name: columns[split][name] for name in schema.names}
        for name in _SPACE_JOINED.get(self.kind, ()):
            arrays[name] = _split_at_spaces(arrays[name])
        table = pa.table(arrays, schema=schema)
        if split not in writers:
            os.makedirs(os.path.join(self.folder, split), exist_ok=True)
            # no min/max statistics: nothing filters a shard, and they cost a third of writing one
            writers[split] = pq.ParquetWriter(self._path(split, rank) + ".partial", schema, write_statistics=False)
        writers[split].write_table(table)
        columns[split] = defaultdict(list)

    def _add_row(self, row: dict[str, list], doc: Document) -> None:
        md = doc.metadata
        row["id"].append(doc.id)
        row["language"].append(md.get(LANGUAGE))
        row["source"].append(md.get(SOURCE))
        self._add_kind(row, doc)
        for name in self.columns:
            value = md.get(name)
            row[name].append(
                value if value is None or isinstance(value, str) else json.dumps(value, ensure_ascii=False)
            )
        row["lineage"].append(lineage_json(md))

    def _add_ner(self, row: dict[str, list], doc: Document) -> None:
        """Tokens and tags, each as one space-joined string where that splits back exactly (see :func:`_joined`)."""
        text, spans = doc.text, doc.metadata.get(SPANS) or ()
        if spans and set(map(type, spans)) != {Span}:  # spans read back from JSON are lists
            spans = [Span(*s) for s in spans]
        offsets = doc.metadata.get(TOKEN_OFFSETS) or tokenize(text, spans)
        if spans:
            tagged = spans_to_tags(spans, offsets, self.tag_scheme)
            if tagged.kept_aside:
                self.stat_update("spans_kept_aside", value=len(tagged.kept_aside))
                doc.metadata.setdefault("lineage", []).append(
                    {"step": self.name, "kept_aside": [list(s) for s in tagged.kept_aside]}
                )
            tags = _joined(tagged.tags)
            self._tags_by_split[self._split].update(tagged.tags)
        else:
            tags = "O" + " O" * (len(offsets) - 1) if offsets else []
        # fast path: the text is its tokens joined by single spaces (the count of spaces and the last token agree)
        last = offsets[-1] if offsets else None
        if last and text.count(" ") + 1 == len(offsets) and len(text) - 1 - text.rfind(" ") == last[1] - last[0]:
            tokens = text
        else:
            tokens = _joined([text[start:end] for start, end in offsets])
        row["tokens"].append(tokens)
        row["ner_tags"].append(tags)

    def _add_spans(self, row: dict[str, list], doc: Document) -> None:
        row["text"].append(doc.text)
        row["spans"].append([{"start": s[0], "end": s[1], "label": s[2]} for s in doc.metadata.get(SPANS, ())])

    def _add_qa(self, row: dict[str, list], doc: Document) -> None:
        spans = sorted(Span(*s) for s in doc.metadata.get(SPANS, ()))
        row["title"].append(doc.metadata.get(TITLE, ""))
        row["context"].append(doc.text)
        row["question"].append(doc.metadata.get(QUESTION, ""))
        row["answers"].append(
            {"text": [doc.text[s.start : s.end] for s in spans], "answer_start": [s.start for s in spans]}
        )

    def _add_codemix(self, row: dict[str, list], doc: Document) -> None:
        md = doc.metadata
        metrics = md.get(MIX_METRICS) or {}
        row["text"].append(doc.text)
        row["tokens"].append(md.get(MIX_TOKENS) or doc.text.split())
        row["langs"].append(md.get(MIX_LANGS) or [])
        row["spans"].append([{"start": s[0], "end": s[1], "label": s[2]} for s in md.get(SPANS, ())])
        for metric in ("cmi", "m_index", "i_index"):
            row[metric].append(metrics.get(metric))
        row["source_text"].append(md.get(SOURCE_TEXT))

    def _add_chat(self, row: dict[str, list], doc: Document) -> None:
        md = doc.metadata
        messages = md.get(MESSAGES, [])
        last = max((i for i, m in enumerate(messages) if m["role"] == "user"), default=None)
        answer = next((m["content"] for m in messages[(last or 0) + 1 :] if m["role"] == "assistant"), None)
        row["messages"].append(messages)
        row["prompt"].append(messages[last]["content"] if last is not None else None)
        row["completion"].append(answer if last is not None else None)
        row["prompt_lang"].append(md.get(PROMPT_LANG) or md.get(LANGUAGE))
        row["response_lang"].append(md.get(RESPONSE_LANG) or md.get(LANGUAGE))

    def _add_preference(self, row: dict[str, list], doc: Document) -> None:
        """TRL's conversational preference row (explicit prompt), its plain strings and each side's provenance."""
        md = doc.metadata
        prompt = md.get(PROMPT) or []
        users = [m["content"] for m in prompt if m["role"] == "user"]
        row["prompt"].append(prompt)
        row["prompt_text"].append(users[-1] if users else None)
        row["system"].append(next((m["content"] for m in prompt if m["role"] == "system"), None))
        for side, by in ((CHOSEN, CHOSEN_BY), (REJECTED, REJECTED_BY)):
            answer = md.get(side)
            row[side].append([{"role": "assistant", "content": answer}] if answer is not None else [])
            row[f"{side}_text"].append(answer)
            row[f"{side}_lang"].append(md.get(f"{side}_lang") or md.get(LANGUAGE))
            made = md.get(by) or {}
            row[f"{side}_method"].append(made.get("method"))
            row[f"{side}_model"].append(made.get("model"))
        row["prompt_lang"].append(md.get(PROMPT_LANG) or md.get(LANGUAGE))

    def _add_text(self, row: dict[str, list], doc: Document) -> None:
        row["text"].append(doc.text)
        row["segments"].append(doc.metadata.get(SEGMENTS) or [])

    def _add_bitext(self, row: dict[str, list], doc: Document) -> None:
        md = doc.metadata
        row["text"].append(doc.text)
        row["target_text"].append(md.get(TARGET_TEXT))
        row["target_language"].append(md.get(TARGET_LANGUAGE))
        row["score"].append(md.get(SCORE))


#: Columns of list<string> that rows hold as one space-joined string where possible (split in Arrow at flush).
_SPACE_JOINED = {"ner": ("tokens", "ner_tags")}


def _joined(items: list[str]) -> str | list[str]:
    """``items`` as one string joined by spaces when splitting it at spaces gives them back, else the list.

    That holds unless an item has a space of its own (or there are none): the count of spaces tells.
    """
    joined = " ".join(items)
    return joined if items and joined.count(" ") == len(items) - 1 else items


def _split_at_spaces(values: list):
    """A list<string> Arrow array from :func:`_joined` values: split in Arrow when all are strings."""
    import pyarrow as pa
    import pyarrow.compute as pc

    if set(map(type, values)) == {str}:
        return pc.split_pattern(pa.array(values, pa.string()), " ")
    return pa.array([value.split(" ") if type(value) is str else value for value in values], pa.list_(pa.string()))


class RecordJsonlWriter(JsonlWriter):
    """Records between passes: datatrove JSON lines, with spans as plain lists."""

    name = "records"

    def _default_adapter(self, document: Document) -> dict:
        data = super()._default_adapter(document)
        metadata = data.get("metadata", {})
        if SPANS in metadata:
            metadata[SPANS] = [list(span) for span in metadata[SPANS]]
        return data


class RecordJsonlReader(JsonlReader):
    """The records a :class:`RecordJsonlWriter` wrote, listed by name in their local folder: datatrove's listing
    takes the folder's path for a glob pattern, and the work folder of an output named ``out[1]`` would show none.
    Each task reads every ``world_size``-th file, as datatrove shards files."""

    def run(self, data: DocumentsPipeline = None, rank: int = 0, world_size: int = 1) -> DocumentsPipeline:
        if data:
            yield from data
        names = sorted(n for n in os.listdir(self.data_folder.path) if n.endswith(".jsonl.gz"))
        for document in self.read_files_shard(names[rank::world_size]):
            self.update_doc_stats(document)
            yield document
