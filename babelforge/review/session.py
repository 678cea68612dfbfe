"""Opening a review: the database for an output folder, created and filled on first use, resumed after."""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

from babelforge.errors import ReviewError
from babelforge.review.items import items_from_output, stratified_sample
from babelforge.review.origin import output_identity, reviewed_version
from babelforge.review.store import ReviewStore


def default_db(output: str | Path) -> Path:
    """``OUT.review.db`` beside the output folder (inside it, it would be published with the data)."""
    output = Path(output).resolve()
    return output.with_name(output.name + ".review.db")


def open_review(
    output: str | Path,
    db: str | Path | None = None,
    sample: int | None = None,
    stratify: list[str] | None = None,
    overlap: int | None = None,
    seed: int = 0,
) -> tuple[ReviewStore, dict[str, Any]]:
    """The review database for ``output``: created with its items on first use, resumed afterwards.

    Returns:
        The store, and the output's manifest (for guidelines and labels).

    Raises:
        ReviewError: when ``db`` belongs to another output, was sampled differently, or reviews an
            earlier version of ``output`` (a run rewrote it since the review began).
        OutputError: when ``output`` is not a complete babelforge output.
    """
    from babelforge.outputs import OutputFolder

    folder = OutputFolder.open(output)
    manifest = folder.provenance.get("manifest", {})
    output = folder.path.resolve()  # recorded absolute: a later serve from elsewhere names the same output
    path = Path(db) if db else default_db(output)
    store = ReviewStore(path)
    asked = {"sample": sample, "stratify": stratify or [], "seed": seed}
    if store.is_empty():
        identity = output_identity(output)  # before the rows are read: a rewrite during the import shows later
        items = items_from_output(output)  # streamed into the database unless a sample is drawn
        if sample:
            items = stratified_sample(list(items), sample, stratify or [], seed)
        review = manifest.get("review") or {}
        meta = {
            "output": str(output),
            "kind": manifest.get("output", {}).get("kind"),
            **asked,
            "overlap": overlap or int(review.get("overlap", 1)),
            "created": time.time(),
            "output_identity": identity,
            "labels": manifest.get("output", {}).get("labels") or [],
            "manifest": manifest,
        }
        store.import_items(items, meta)
        _check_current(store)
    else:
        _check_same(store, output, asked, sample is not None)
        if overlap is not None and overlap != store.overlap:
            store.set_overlap(overlap)
    return store, manifest


def _check_same(store: ReviewStore, output: Path, asked: dict, sampling_asked: bool) -> None:
    meta = store.meta()
    if meta.get("output") != str(output):
        raise ReviewError(
            f"{store.path} reviews {meta.get('output')}, not {output}: pass --db with a new file for this output"
        )
    if sampling_asked and any(meta.get(k) != v for k, v in asked.items()):
        made = {k: meta.get(k) for k in asked}
        raise ReviewError(
            f"{store.path} was sampled with {made}, not {asked}: "
            "drop --sample to resume it, or pass --db with a new file"
        )
    _check_current(store, meta)
    if "output_identity" not in meta:  # made before identities were recorded, and its output is unchanged
        store.add_meta(output_identity=output_identity(output))


def _check_current(store: ReviewStore, meta: dict | None = None) -> None:
    version = reviewed_version(store, meta)
    if not version.current:
        raise ReviewError(version.problem(store.path, "serve"))
