"""Agreement between annotators: Cohen's and Fleiss' kappa on accept/reject, span-level F1.

Only each annotator's latest accept or reject counts (skips are not judgements). Figures are given
overall, per language and per label; a figure that cannot be computed (fewer than two annotators on
any item, or one category only) is ``None``, never a made-up number.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Iterable, Sequence
from itertools import combinations
from typing import Any


def cohen_kappa(a: Sequence[str], b: Sequence[str]) -> float | None:
    """Cohen's kappa of two raters' labels on the same items (``None`` when undefined)."""
    if not a or len(a) != len(b):
        return None
    n = len(a)
    observed = sum(x == y for x, y in zip(a, b, strict=True)) / n
    ca, cb = Counter(a), Counter(b)
    expected = sum(ca[k] * cb[k] for k in ca.keys() | cb.keys()) / (n * n)
    if expected == 1:
        return None
    return (observed - expected) / (1 - expected)


def fleiss_kappa(ratings: Iterable[Sequence[str]]) -> float | None:
    """Fleiss' kappa over items rated by two or more raters each (counts may differ between items).

    Each item's agreement is the share of agreeing rater pairs; chance agreement comes from the
    overall category shares (the usual extension to unequal rater counts).
    """
    items = [Counter(r) for r in ratings if len(r) >= 2]
    if not items:
        return None
    totals: Counter = Counter()
    agreement = 0.0
    for counts in items:
        n = sum(counts.values())
        totals.update(counts)
        agreement += sum(c * (c - 1) for c in counts.values()) / (n * (n - 1))
    observed = agreement / len(items)
    grand = sum(totals.values())
    expected = sum((c / grand) ** 2 for c in totals.values())
    if expected == 1:
        return None
    return (observed - expected) / (1 - expected)


def span_f1(a: Iterable[Sequence], b: Iterable[Sequence]) -> tuple[int, int, int]:
    """Exact-match counts between two annotators' spans: (matched, only in a + matched, only in b + matched)."""
    sa, sb = {tuple(s) for s in a}, {tuple(s) for s in b}
    return len(sa & sb), len(sa), len(sb)


def agreement_report(decisions: list[dict], items: dict[int, dict]) -> dict[str, Any]:
    """Kappas and span F1, overall and per language and label.

    Args:
        decisions: latest decisions (``n``, ``annotator``, ``decision``, ``spans``).
        items: item payloads by ``n`` (for languages, labels and the spans as proposed).
    """
    judged: dict[int, dict[str, dict]] = defaultdict(dict)
    for d in decisions:
        if d["decision"] != "skip":
            judged[d["n"]][d["annotator"]] = d
    shared = {n: by for n, by in judged.items() if len(by) >= 2}
    report = {"annotators": sorted({d["annotator"] for d in decisions}), "items_with_overlap": len(shared)}
    report["overall"] = _figures(shared, items, lambda n: True)
    languages = sorted({items[n]["language"] for n in shared if items[n].get("language")})
    report["languages"] = {
        lang: _figures(shared, items, lambda n, lang=lang: items[n]["language"] == lang) for lang in languages
    }
    report["labels"] = _label_f1(shared, items)
    return report


def _figures(shared: dict[int, dict], items: dict[int, dict], keep) -> dict[str, Any]:
    chosen = {n: by for n, by in shared.items() if keep(n)}
    pairs: dict[tuple[str, str], tuple[list, list]] = defaultdict(lambda: ([], []))
    for by in chosen.values():
        for x, y in combinations(sorted(by), 2):
            pairs[(x, y)][0].append(by[x]["decision"])
            pairs[(x, y)][1].append(by[y]["decision"])
    cohen = {f"{x}|{y}": cohen_kappa(a, b) for (x, y), (a, b) in sorted(pairs.items())}
    defined = [k for k in cohen.values() if k is not None]
    matched = in_a = in_b = 0
    for n, by in chosen.items():
        for x, y in combinations(sorted(by), 2):
            if by[x]["decision"] == by[y]["decision"] == "accept":
                m, a, b = span_f1(_spans(by[x], items[n]), _spans(by[y], items[n]))
                matched, in_a, in_b = matched + m, in_a + a, in_b + b
    return {
        "items": len(chosen),
        "cohen_kappa": cohen,
        "cohen_kappa_mean": sum(defined) / len(defined) if defined else None,
        "fleiss_kappa": fleiss_kappa([d["decision"] for d in by.values()] for by in chosen.values()),
        "accept_rate": _accept_rate(chosen),
        "span_f1": _f1(matched, in_a, in_b),
    }


def _label_f1(shared: dict[int, dict], items: dict[int, dict]) -> dict[str, float | None]:
    counts: dict[str, list[int]] = defaultdict(lambda: [0, 0, 0])
    for n, by in shared.items():
        for x, y in combinations(sorted(by), 2):
            if by[x]["decision"] == by[y]["decision"] == "accept":
                sa, sb = _spans(by[x], items[n]), _spans(by[y], items[n])
                for label in {s[2] for s in sa} | {s[2] for s in sb}:
                    m, a, b = span_f1([s for s in sa if s[2] == label], [s for s in sb if s[2] == label])
                    counts[label] = [counts[label][0] + m, counts[label][1] + a, counts[label][2] + b]
    return {label: _f1(*c) for label, c in sorted(counts.items())}


def _spans(decision: dict, item: dict) -> list:
    """The spans an accepting annotator stands behind: their edit, or the proposal left as it was."""
    return decision["spans"] if decision.get("spans") is not None else item["spans"]


def _accept_rate(chosen: dict[int, dict]) -> float | None:
    votes = [d["decision"] for by in chosen.values() for d in by.values()]
    return votes.count("accept") / len(votes) if votes else None


def _f1(matched: int, in_a: int, in_b: int) -> float | None:
    if in_a + in_b == 0:
        return None
    return 2 * matched / (in_a + in_b)
