"""Review items: an output row seen the way an annotator reviews it.

Every record kind becomes one :class:`dict` with the same keys, so the store, the page and the
adapters need no per-kind code:

    ``id``, ``kind``, ``language``, ``split``, ``source``: the row's identity.
    ``text``: what the annotator reads and marks (NER tokens joined by spaces, a QA context, a
        code-mixed sentence, an instruction's response).
    ``spans``: ``[[start, end, label], ...]`` in code points of ``text`` (QA answers carry ``ANSWER``).
    ``editable``: whether spans can be edited (span kinds) or only the row accepted or rejected.
    ``source_side``: ``{"language", "text", "spans"}`` of the sentence a projection started from.
    ``prompt``: the instruction for chat rows; ``metrics``: measured figures (CMI, margins, scores).
    ``method``, ``score``: how the row was made and its lowest confidence, for filters and ordering.
    ``row``: the output row itself (class ids as tag strings), re-emitted by ``review export``.
"""

from __future__ import annotations

import json
import random
from collections import defaultdict
from collections.abc import Iterator
from typing import Any

from babelforge.errors import ReviewError
from babelforge.spans import join_tokens, tags_to_spans

ANSWER = "ANSWER"
SPAN_KINDS = ("ner", "spans", "codemix", "qa")
STRATA = ("language", "method", "split", "source", "kind")


def items_from_output(path) -> Iterator[dict[str, Any]]:
    """Every row of an output folder as a review item, split by split."""
    import pyarrow.parquet as pq

    from babelforge.outputs import OutputFolder

    folder = OutputFolder.open(path)
    names = folder.class_names("ner_tags")
    kind = _kind_of(folder)
    for split, files in folder.split_files().items():
        for file in files:
            for batch in pq.ParquetFile(file).iter_batches(batch_size=4096):
                for row in batch.to_pylist():
                    yield item_from_row(row, kind, split, names)


def _kind_of(folder) -> str:
    kind = folder.provenance.get("manifest", {}).get("output", {}).get("kind")
    if not kind:
        raise ReviewError(f"{folder.path}/provenance.json names no output kind: is it a babelforge output?")
    return kind


def item_from_row(row: dict[str, Any], kind: str, split: str, names: list[str] | None = None) -> dict[str, Any]:
    """One output row of record ``kind`` as a review item (see the module docstring)."""
    lineage = json.loads(row.get("lineage") or "[]")
    if kind == "ner" and names:
        row = {**row, "ner_tags": [names[t] for t in row["ner_tags"]]}
    text, spans, extra = _KIND_VIEWS.get(kind, _plain)(row)
    method, score, metrics, source_side = _from_lineage(lineage)
    metrics.update(extra.pop("metrics", {}))
    return {
        "id": row["id"],
        "kind": kind,
        "language": row.get("language"),
        "split": split,
        "source": row.get("source"),
        "text": text,
        "spans": [list(s) for s in spans],
        "editable": kind in SPAN_KINDS,
        "source_side": extra.pop("source_side", None) or source_side,
        "prompt": extra.pop("prompt", None),
        "metrics": metrics,
        "method": method,
        "score": score,
        "row": row,
    }


def _ner(row):
    text, offsets = join_tokens(row["tokens"])
    return text, [tuple(s) for s in tags_to_spans(row["ner_tags"], offsets)], {"metrics": {"tokens": len(offsets)}}


def _spans(row):
    return row["text"], [(s["start"], s["end"], s["label"]) for s in row.get("spans") or []], {}


def _codemix(row):
    metrics = {k: round(row[k], 3) for k in ("cmi", "m_index", "i_index") if row.get(k) is not None}
    source = {"language": None, "text": row.get("source_text") or "", "spans": []}
    return (*_spans(row)[:2], {"metrics": metrics, "source_side": source})


def _qa(row):
    answers = row.get("answers") or {"text": [], "answer_start": []}
    spans = [(s, s + len(t), ANSWER) for t, s in zip(answers["text"], answers["answer_start"], strict=True)]
    return row["context"], spans, {"prompt": row.get("question")}


def _chat(row):
    metrics = {k: row[k] for k in ("prompt_lang", "response_lang") if row.get(k)}
    return row.get("completion") or "", [], {"prompt": row.get("prompt"), "metrics": metrics}


def _bitext(row):
    side = {"language": row.get("language"), "text": row["text"], "spans": []}
    return row.get("target_text") or "", [], {"source_side": side, "metrics": {"score": row.get("score")}}


def _plain(row):
    return row.get("text") or "", [], {}


_KIND_VIEWS = {"ner": _ner, "spans": _spans, "codemix": _codemix, "qa": _qa, "chat": _chat, "bitext": _bitext}


def _from_lineage(lineage: list[dict]) -> tuple[str | None, float | None, dict, dict | None]:
    """The method that made the row, its lowest score, other measured figures, and the projection source."""
    method = score = source_side = None
    metrics: dict[str, Any] = {}
    for entry in lineage:
        step = entry.get("step")
        if "method" in entry:
            method = str(entry["method"])
        elif step in ("instruct", "mine", "interleave") and method is None:
            method = step
        scores = [s for s in entry.get("scores") or [] if isinstance(s, int | float)]
        for key in ("margin", "similarity", "score", "cmi"):
            if isinstance(entry.get(key), int | float):
                metrics[key] = entry[key]
        scores += [entry[k] for k in ("margin", "similarity", "score") if isinstance(entry.get(k), int | float)]
        if scores:
            score = min(scores) if score is None else min(score, *scores)
        if isinstance(entry.get("source"), dict):
            source_side = entry["source"]
        if entry.get("status"):
            metrics["status"] = entry["status"]
    return method, score, metrics, source_side


def stratified_sample(items: list[dict], n: int, strata: list[str], seed: int = 0) -> list[dict]:
    """``n`` items drawn so that each stratum keeps its share (largest remainders), in input order.

    Raises:
        ReviewError: for a stratum key that items do not have.
    """
    unknown = [s for s in strata if s not in STRATA]
    if unknown:
        raise ReviewError(f"--stratify {','.join(unknown)}: unknown; valid: {', '.join(STRATA)}")
    if n >= len(items):
        return items
    groups: dict[tuple, list[int]] = defaultdict(list)
    for i, item in enumerate(items):
        groups[tuple(item.get(s) for s in strata)].append(i)
    quotas = {key: n * len(rows) / len(items) for key, rows in groups.items()}
    counts = {key: int(q) for key, q in quotas.items()}
    by_remainder = sorted(groups, key=lambda key: (counts[key] - quotas[key], str(key)))
    for key in by_remainder[: n - sum(counts.values())]:
        counts[key] += 1
    rng = random.Random(seed)
    chosen = sorted(i for key, rows in groups.items() for i in rng.sample(rows, counts[key]))
    return [items[i] for i in chosen]
