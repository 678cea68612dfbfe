"""``decontamination.json``: what a decontaminate step (or ``babelforge decontaminate-check``) found.

Each task of a run writes its hits as JSON lines (``HitsFile``: one row per hit, then one row with
the number of records it checked), replaced whole when the task runs again. At emit the rows of all
tasks become one report:

.. code-block:: json

    {"action": "drop", "records_checked": 1200, "records_contaminated": 14,
     "benchmarks": {"xquad": {"path": "...", "language": "eng_Latn", "items": 1427,
                              "hits": {"ngram": 9, "translated": 5, "paraphrase": 0},
                              "records": 14, "items_found": 12,
                              "examples": [{"record": "corpus/77", "item": "...", "kind": "ngram", "score": 0.92}]}},
     "hits": [{"record": "corpus/77", "source_id": "77", "benchmark": "xquad", "item": "...",
               "kind": "ngram", "score": 0.92}],
     "hits_left_out": 0, "settings": {...}}

``hits`` lists every hit, up to :data:`MAX_HITS` (``hits_left_out`` counts the rest); ``examples``
are the first :data:`EXAMPLES` of each benchmark.
"""

from __future__ import annotations

import json
from collections import Counter, defaultdict
from pathlib import Path
from typing import Any

from babelforge.curate.contamination import KINDS

MAX_HITS = 10_000
EXAMPLES = 20
REPORT = "decontamination.json"


def build_report(rows: list[dict[str, Any]], records_checked: int, benchmarks: list[dict[str, Any]],
                 action: str, settings: dict[str, Any]) -> dict[str, Any]:  # fmt: skip
    """The report for ``rows`` (hit rows: record, source_id, benchmark, item, kind, score).

    Args:
        rows: every hit, in any order (sorted here by record and benchmark, so reruns compare equal).
        records_checked: how many records were looked at.
        benchmarks: ``{name, path, language, items, skipped}`` per benchmark, in the order given.
        action: ``drop``, ``flag`` or ``check``.
        settings: the detector's settings, recorded as used.
    """
    rows = sorted(rows, key=lambda r: (str(r["record"]), r["benchmark"], str(r["item"])))
    by_benchmark: dict[str, list[dict]] = defaultdict(list)
    for row in rows:
        by_benchmark[row["benchmark"]].append(row)
    report = {
        "action": action,
        "records_checked": records_checked,
        "records_contaminated": len({row["record"] for row in rows}),
        "benchmarks": {b["name"]: _benchmark(b, by_benchmark.get(b["name"], [])) for b in benchmarks},
        "hits": rows[:MAX_HITS],
        "hits_left_out": max(len(rows) - MAX_HITS, 0),
        "settings": settings,
    }
    return report


def _benchmark(info: dict[str, Any], rows: list[dict]) -> dict[str, Any]:
    kinds = Counter(row["kind"] for row in rows)
    examples = [{k: row[k] for k in ("record", "item", "kind", "score")} for row in rows[:EXAMPLES]]
    return {
        **{k: v for k, v in info.items() if k != "name"},
        "hits": {kind: kinds.get(kind, 0) for kind in KINDS},
        "records": len({row["record"] for row in rows}),
        "items_found": len({row["item"] for row in rows}),
        "examples": examples,
    }


def read_hit_files(folder: Path) -> tuple[list[dict[str, Any]], int]:
    """The hit rows and the number of records checked, from every task's file in ``folder``."""
    rows, checked = [], 0
    for path in sorted(folder.glob("*.jsonl")) if folder.is_dir() else []:
        for line in path.read_text(encoding="utf-8").splitlines():
            row = json.loads(line)
            if "checked" in row:
                checked += int(row["checked"])
            else:
                rows.append(row)
    return rows, checked


def write_report(report: dict[str, Any], path: Path) -> None:
    path.write_text(json.dumps(report, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
