"""The review's account: progress, acceptance per method and language, and agreement."""

from __future__ import annotations

from typing import Any

from babelforge.review.agreement import agreement_report
from babelforge.review.outcome import acceptance, outcomes
from babelforge.review.store import ReviewStore


def review_report(store: ReviewStore) -> dict[str, Any]:
    """Everything ``review stats`` prints and the page's statistics panel shows."""
    decisions = store.decisions()
    items = {n: store.item(n) for n in sorted({d["n"] for d in decisions})}
    results = outcomes(decisions)
    total = store.total_items()
    counts = {k: sum(d["decision"] == k for d in decisions) for k in ("accept", "reject", "skip")}
    per_annotator: dict[str, dict[str, int]] = {}
    for d in decisions:
        per_annotator.setdefault(d["annotator"], {"accept": 0, "reject": 0, "skip": 0})[d["decision"]] += 1
    return {
        "items": total,
        "reviewed": len(results),
        "decisions": counts,
        "annotators": per_annotator,
        "acceptance": acceptance(results, items),
        "reject_reasons": _reasons(results),
        "agreement": agreement_report(decisions, items),
    }


def _reasons(results) -> dict[str, int]:
    from collections import Counter

    return dict(Counter(r for o in results.values() if o.decision == "reject" for r in o.reasons).most_common())
