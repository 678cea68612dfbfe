"""How far a projector's scores can be trusted: precision and yield at thresholds, and reliability.

A projected span's score is meant as the probability that it is right (``spanmatch``'s calibrated
confidence). :func:`confidence_table` says, for each threshold a ``project`` step's ``min_score`` could
take, how precise the spans kept are and how much is kept: the share of source spans kept, and the
share of records kept whole (a record with a span dropped is ``partial``, and dropped unless
``keep_partial``). :func:`reliability` compares the scores with how often spans so scored are right.
"""

from __future__ import annotations

THRESHOLDS = (0.3, 0.5, 0.7, 0.9)


def confidence_table(records: list[tuple[int, list[tuple[float, bool]]]], thresholds=THRESHOLDS) -> dict:
    """Precision and yield at each threshold.

    Args:
        records: per record, ``(source spans, [(score, right) per projected span])``.
        thresholds: the scores to cut at.

    Returns:
        ``{threshold: {"precision", "span_yield", "record_yield"}}`` with the thresholds as strings.
    """
    out = {}
    spans = sum(n for n, _ in records)
    for t in thresholds:
        kept = [right for _, found in records for score, right in found if score >= t]
        whole = sum(len([s for s, _ in found if s >= t]) == n for n, found in records)
        out[f"{t:g}"] = {
            "precision": round(sum(kept) / len(kept), 4) if kept else 0.0,
            "span_yield": round(len(kept) / spans, 4) if spans else 0.0,
            "record_yield": round(whole / len(records), 4) if records else 0.0,
        }
    return out


def reliability(scored: list[tuple[float, bool]], bins: int = 10) -> dict:
    """Expected calibration error and, per score bin, the mean score against the share right."""
    table, error = [], 0.0
    for b in range(bins):
        low, high = b / bins, (b + 1) / bins
        inside = [(s, r) for s, r in scored if low <= s < high or (b == bins - 1 and s == 1.0)]
        if not inside:
            continue
        mean, right = sum(s for s, _ in inside) / len(inside), sum(r for _, r in inside) / len(inside)
        error += len(inside) / len(scored) * abs(mean - right)
        table.append({"bin": f"{low:.1f}-{high:.1f}", "spans": len(inside), "score": round(mean, 3),
                      "right": round(right, 3)})  # fmt: skip
    return {"ece": round(error, 4), "bins": table}


def describe(table: dict) -> list[str]:
    """One line per threshold of a :func:`confidence_table`, for a terminal."""
    return [
        f"  min_score {t}: precision {row['precision']:.3f}, spans kept {row['span_yield']:.3f}, "
        f"records whole {row['record_yield']:.3f}"
        for t, row in table.items()
    ]
