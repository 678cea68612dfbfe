"""``babelforge review export``: the reviewed dataset, written through the same emit path as ``run``.

Accepted items become rows again, with the spans as corrected (NER rows are re-tagged, tokens cut
at a corrected boundary that fell inside a word); each row's lineage gains a ``review`` entry with
the verdict, the votes and the comments. Rejected and unreviewed items are counted as drops under
their reason, and the provenance carries the acceptance rates per method and language.
"""

from __future__ import annotations

import json
import time
from collections import defaultdict
from pathlib import Path
from typing import Any

from babelforge.errors import ReviewError
from babelforge.review.origin import ReviewedVersion, export_protected, require_current
from babelforge.review.outcome import Outcome, acceptance, outcomes
from babelforge.review.store import ReviewStore
from babelforge.spans import Span, join_tokens, spans_to_tags, tokenize


def export_reviewed(
    store: ReviewStore, output: str | Path, overwrite: bool = False, stale_ok: bool = False
) -> dict[str, Any]:
    """Write the accepted items of ``store`` as an output folder at ``output``; return the emit summary.

    ``output`` follows the rules of a run's output (:mod:`babelforge.workspace`): a new path, an empty
    folder or babelforge's own output, else refused unless ``overwrite``. Never, even so, the database,
    the reviewed output or a folder inside it (:func:`~babelforge.review.origin.export_protected`).

    Args:
        stale_ok: export a review whose output was rewritten (or removed) since it began; the
            provenance's ``reviewed_from`` then says it reviewed a previous version.

    Raises:
        ReviewError: when the reviewed output was rewritten since the review began, without ``stale_ok``.
        OutputError: when ``output`` may not be written.
    """
    from babelforge.workspace import Workspace

    version = require_current(store, "export", stale_ok)
    workspace = Workspace(output, protected=export_protected(store, output), overwrite=overwrite)
    with workspace.open():
        summary = _export(store, output, workspace, version)
        workspace.close(remove_work=True)
    return summary


def _export(store: ReviewStore, output: str | Path, workspace, version: ReviewedVersion) -> dict[str, Any]:
    import pyarrow as pa
    import pyarrow.parquet as pq

    from babelforge.emit import emit
    from babelforge.pipeline import Pass, Plan
    from babelforge.provenance import relative_path
    from babelforge.shards import shard_schema

    started = time.perf_counter()
    folder = Path(output).resolve()  # paths in the provenance are relative to it
    meta = store.meta()
    manifest = _manifest(meta, output)
    kind = manifest.output.kind
    results = outcomes(store.decisions())
    items = {n: store.item(n) for n in results}
    splits: dict[str, list[dict]] = defaultdict(list)
    for n, outcome in results.items():
        if outcome.decision == "accept":
            splits[items[n]["split"]].append(reviewed_row(items[n], outcome, kind, manifest.output.tag_scheme))
    plan = Plan(manifest, workspace.work_dir, [Pass("review", [], 1)], input_size=len(results))
    schema = shard_schema(kind, manifest.output.columns)
    for split, rows in splits.items():
        (plan.shards_dir / split).mkdir(parents=True, exist_ok=True)
        table = pa.table({name: [row[name] for row in rows] for name in schema.names}, schema=schema)
        pq.write_table(table, plan.shards_dir / split / "00000.parquet")
    total = store.total_items()
    rejected = sum(o.decision == "reject" for o in results.values())
    drops = {"review: rejected": rejected, "review: not_reviewed": total - len(results)}
    drops = {k: v for k, v in drops.items() if v}
    kept = len(results) - rejected
    step = {
        "name": "review",
        "type": "review",
        "counts": {"in": total, "kept": kept},
        "drops": {k.removeprefix("review: "): v for k, v in drops.items()},
        "seconds": round(time.perf_counter() - started, 3),
    }
    account = {
        "database": relative_path(store.path, folder),
        "reviewed_from": version.reviewed_from(folder),
        "reviewed_version": {"made": version.made, "current": version.current},
        "items": total,
        "acceptance": acceptance(results, items),
        "annotators": sorted({a for o in results.values() for a in o.annotators}),
    }
    return emit(plan, [step], drops, {"review": time.perf_counter() - started}, review=account, workspace=workspace)


def _manifest(meta: dict, output: str | Path):
    """The reviewed output's manifest, now writing to ``output``."""
    from pydantic import ValidationError

    from babelforge.manifest import manifest_model

    if "manifest" not in meta:
        raise ReviewError("this review database holds no manifest: it was not made by `babelforge review serve`")
    data = json.loads(json.dumps(meta["manifest"]))
    data["output"]["path"] = str(output)
    try:
        return manifest_model().model_validate(data, context={"recorded": True})
    except ValidationError as error:
        raise ReviewError(
            f"the reviewed output's manifest no longer validates here ({error.error_count()} problem(s), first: "
            f"{error.errors()[0]['msg']}): export on the machine and checkout that made the output"
        ) from None


def reviewed_row(item: dict, outcome: Outcome, kind: str, tag_scheme: str = "BIO") -> dict[str, Any]:
    """The output row of an accepted item, with corrected spans and a ``review`` lineage entry."""
    row = dict(item["row"])
    spans = [Span(*s) for s in (outcome.spans if outcome.spans is not None else item["spans"])]
    if outcome.spans is not None:
        _apply_spans(row, item["text"], spans, kind, tag_scheme)
    lineage = json.loads(row.get("lineage") or "[]")
    lineage.append(
        {
            "step": "review",
            "decision": outcome.decision,
            "votes": outcome.votes,
            "edited": outcome.spans is not None,
            "comments": outcome.comments,
        }
    )
    row["lineage"] = json.dumps(lineage, ensure_ascii=False, separators=(",", ":"))
    return row


def _apply_spans(row: dict, text: str, spans: list[Span], kind: str, tag_scheme: str) -> None:
    if kind == "ner":
        _, offsets = join_tokens(row["tokens"])
        bounds = {b for o in offsets for b in o}
        if not all(s.start in bounds and s.end in bounds for s in spans):
            offsets = tokenize(text, spans)  # a corrected boundary inside a word cuts that word
        row["tokens"] = [text[s:e] for s, e in offsets]
        row["ner_tags"] = spans_to_tags(spans, offsets, tag_scheme).tags
    elif kind in ("spans", "codemix"):
        row["spans"] = [{"start": s.start, "end": s.end, "label": s.label} for s in spans]
    elif kind == "qa":
        row["answers"] = {"text": [text[s.start : s.end] for s in spans], "answer_start": [s.start for s in spans]}
