"""The output a review was made from: which version of it the review holds, and where an export may go.

A review database keeps its items' own text, so it can still be read after its output changes; but
once ``babelforge run`` rewrites the output, its decisions are about rows that are no longer there.
So a database records the output's identity when it is made (:func:`output_identity`: when the
output was made, and a digest of its provenance and of its data files' names and sizes, which every
run rewrites), and ``serve``, ``stats`` and ``export`` compare it with the folder as it is now
(:func:`reviewed_version`): a review of a rewritten output is refused unless asked for (``--stale-ok``),
and then its export says that it reviewed a previous version.

An export is never written over the reviewed output or inside it, where the next run of that output
would delete it and ``publish`` would upload it (:func:`export_protected`).
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

from babelforge.errors import OutputError, ReviewError
from babelforge.outputs import output_identity

#: What to do about a review of a rewritten output, by the command that found it.
STALE_FIX = {
    "serve": "start a new review with --db NEW, or export the old one first "
    "(`babelforge review export {db} -o FOLDER --stale-ok`)",
    "export": "start a new review (`babelforge review serve OUTPUT --db NEW`), or pass --stale-ok to export "
    "the old decisions as a review of the previous version",
    "stats": "start a new review (`babelforge review serve OUTPUT --db NEW`), or pass --stale-ok to see its figures",
    "import": "start a new review (`babelforge review serve OUTPUT --db NEW`), or pass --stale-ok to add to it",
}


@dataclass(frozen=True)
class ReviewedVersion:
    """The output a review was made from, compared with what its folder holds now.

    Args:
        path: the output folder, as the database records it.
        began: when the review began (UTC, ISO 8601).
        made: when the reviewed version of the output was made (None for a database made before
            babelforge recorded it).
        now: when the output in the folder now was made (None when there is none).
        current: whether the folder still holds the version reviewed.
    """

    path: str
    began: str
    made: str | None
    now: str | None
    current: bool

    def reviewed_from(self, folder: Path | None = None) -> str:
        """The output reviewed, for an export's provenance: the path, or what became of that version.

        Args:
            folder: give the path relative to this folder (the export's), so that no path of the
                machine is written into what may be published.
        """
        from babelforge.provenance import relative_path

        path = self.path if folder is None else relative_path(self.path, folder)
        if self.current:
            return path
        made = f"made {self.made}" if self.made else f"reviewed from {self.began}"
        fate = "rewritten since" if self.now else "no longer there"
        return f"{path} (a previous version, {made}; {fate})"

    def problem(self, db: Path, command: str) -> str:
        """One line saying why this review refers to rows the output no longer holds, and what to do."""
        if self.now is None:
            what = f"the output {self.path} this review was made from is no longer there"
        else:
            what = f"the output {self.path} was rewritten (made {self.now}) since this review began ({self.began})"
        fix = STALE_FIX[command].format(db=db)
        return f"{db}: {what}; its decisions refer to the old rows: {fix}"


def reviewed_version(store, meta: dict[str, Any] | None = None) -> ReviewedVersion:
    """Compare the output recorded in ``store`` with the folder as it is now."""
    from babelforge.outputs import OutputFolder

    meta = store.meta() if meta is None else meta
    if not meta.get("output"):
        raise ReviewError(f"{store.path} names no output: it was not made by `babelforge review serve`")
    path = str(meta["output"])
    try:
        now = output_identity(OutputFolder.open(path).path)
    except (OutputError, OSError, ValueError):
        now = None
    recorded = meta.get("output_identity")
    began = _iso(meta.get("created"))
    if now is None:
        current = False
    elif recorded:
        current = recorded.get("digest") == now["digest"]
    else:  # a database made before identities were recorded: an output made after the review began is newer
        current = _timestamp(now["created"]) <= float(meta.get("created") or 0)
    made = recorded.get("created") if recorded else None
    return ReviewedVersion(path, began, made, now and now["created"], current)


def require_current(store, command: str, stale_ok: bool = False) -> ReviewedVersion:
    """The reviewed version of ``store``'s output; refused when it is gone or rewritten, unless ``stale_ok``.

    Raises:
        ReviewError: one line saying when the output changed and what to do.
    """
    version = reviewed_version(store)
    if not (version.current or stale_ok):
        raise ReviewError(version.problem(store.path, command))
    return version


def export_protected(store, export: str | Path, option: str = "--output") -> list[Path]:
    """The paths an export at ``export`` must leave alone: the database, the reviewed output and its work folder.

    ``ownership.claim_folder`` refuses a folder that holds one of them; this refuses one inside them.

    Raises:
        OutputError: when ``export`` is the reviewed output (or its work folder) or lies inside it.
    """
    reviewed = store.meta().get("output")
    if not reviewed:
        return [store.path]
    reviewed = Path(reviewed)
    places = {
        reviewed: "the next run of that output would delete it, and publishing it would upload it with the data",
        reviewed.with_name(reviewed.name + ".work"): "the next run of the reviewed output works and deletes there",
    }
    real = Path(os.path.realpath(export))
    for place, why in places.items():
        home = Path(os.path.realpath(place))
        if real == home or home in real.parents:
            what = "the reviewed output" if place == reviewed else "the reviewed output's work folder"
            raise OutputError(
                f"{option} {export}: refusing to write there (it is {what} {place}, or lies inside it: {why}); "
                "choose a folder outside it"
            )
    return [store.path, *places]


def _iso(created: Any) -> str:
    if not isinstance(created, int | float):
        return "an unknown time"
    return datetime.fromtimestamp(created, timezone.utc).isoformat(timespec="seconds")


def _timestamp(iso: str) -> float:
    try:
        return datetime.fromisoformat(iso).timestamp()
    except ValueError:
        return float("inf")  # an unreadable date cannot show the output is the one reviewed
