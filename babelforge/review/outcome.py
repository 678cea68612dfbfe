"""What the review decided per item, and the acceptance rates that follow.

An item's outcome is the majority of its annotators' latest accept/reject decisions; a tie goes to
the most recent one. The spans kept are those of the most recent accepting annotator who edited
them, or the proposal when nobody did.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from typing import Any


@dataclass
class Outcome:
    """One reviewed item: the verdict, the spans kept and who said what."""

    decision: str
    spans: list | None
    annotators: list[str] = field(default_factory=list)
    votes: dict[str, str] = field(default_factory=dict)
    reasons: list[str] = field(default_factory=list)
    comments: list[str] = field(default_factory=list)


def outcomes(decisions: list[dict]) -> dict[int, Outcome]:
    """Outcomes of every item with at least one accept or reject, by item ``n``."""
    by_item: dict[int, list[dict]] = defaultdict(list)
    for d in decisions:
        if d["decision"] != "skip":
            by_item[d["n"]].append(d)
    return {n: _outcome(sorted(ds, key=lambda d: d["made_at"])) for n, ds in by_item.items()}


def _outcome(ds: list[dict]) -> Outcome:
    accepts = sum(d["decision"] == "accept" for d in ds)
    rejects = len(ds) - accepts
    verdict = "accept" if accepts > rejects else "reject" if rejects > accepts else ds[-1]["decision"]
    edits = [d["spans"] for d in ds if d["decision"] == "accept" and d["spans"] is not None]
    return Outcome(
        decision=verdict,
        spans=edits[-1] if edits else None,
        annotators=sorted({d["annotator"] for d in ds}),
        votes={d["annotator"]: d["decision"] for d in ds},
        reasons=[d["reason"] for d in ds if d.get("reason")],
        comments=[d["comment"] for d in ds if d.get("comment")],
    )


def acceptance(results: dict[int, Outcome], items: dict[int, dict]) -> list[dict[str, Any]]:
    """Accepted and rejected items per method and language, with the acceptance rate."""
    counts: dict[tuple, list[int]] = defaultdict(lambda: [0, 0])
    for n, outcome in results.items():
        key = (items[n].get("method") or "-", items[n].get("language") or "-")
        counts[key][outcome.decision != "accept"] += 1
    return [
        {"method": m, "language": lang, "accepted": a, "rejected": r, "rate": a / (a + r)}
        for (m, lang), (a, r) in sorted(counts.items())
    ]
