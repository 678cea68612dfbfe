"""Evaluate label projection over a parallel corpus with gold spans on both sides (no MT).

The source file's gold spans are projected onto the target file's text and compared with the
target's own gold: exact-span precision, recall and F1 (overall and per label), the yield (fraction
of sentences whose every span was projected) and sentences per second.

Where each language was annotated on its own (UniversalNER's PUD files), the two sides disagree, and
no projection can score 1. The **ceiling** says how high it can go: per sentence and label, at most
``min(source spans, target spans)`` projected spans can match, so the best F1 is
``2 * sum(min) / (sum(source) + sum(target))``; ``f1_of_ceiling`` is the F1 as a share of it.

``thresholds`` says, for each score a ``project`` step's ``min_score`` could take, the precision of the
spans kept and how much is kept (:func:`~babelforge.projection.confidence.confidence_table`).
"""

from __future__ import annotations

import glob
import time
from collections import Counter
from pathlib import Path

from babelforge.errors import BabelforgeError
from babelforge.projection.align import align_pairs
from babelforge.projection.confidence import confidence_table
from babelforge.projection.projector import ProjectionInput, Projector

BATCH = 64


def read_gold(
    path: str | Path, fmt: str, token_column: int | None = None, tag_column: int | None = None
) -> list[tuple[str, list]]:
    """``(text, spans)`` per sentence of a CoNLL/IOB2 file (columns found from the file unless given)."""
    from pydantic import TypeAdapter

    from babelforge.sources import Source

    if fmt not in ("conll", "iob2"):
        raise BabelforgeError(f"unknown format {fmt!r}: valid: conll, iob2")
    if not Path(path).is_file():
        raise BabelforgeError(f"no file at {path}")
    # a source's file name is a glob pattern: this file is named as it is, [ ] * ? included
    settings = {"kind": "conll", "path": str(Path(path).parent / glob.escape(Path(path).name)),
                "token_column": token_column, "tag_column": tag_column}  # fmt: skip
    source = TypeAdapter(Source).validate_python(settings)
    reader = source.reader(0)
    return [(doc.text, doc.metadata["spans"]) for doc in reader.run(None, 0, 1)]


def span_scores(gold: list[set], predicted: list[set]) -> dict:
    """Exact-span precision, recall and F1, overall and per label, over sentence-aligned span sets."""
    counts: dict[str, Counter] = {}
    for g, p in zip(gold, predicted, strict=True):
        for label in {s[2] for s in g | p}:
            c = counts.setdefault(label, Counter())
            gl, pl = {s for s in g if s[2] == label}, {s for s in p if s[2] == label}
            c["tp"] += len(gl & pl)
            c["fp"] += len(pl - gl)
            c["fn"] += len(gl - pl)
    total = sum(counts.values(), Counter())
    return {**_prf(total), "per_label": {label: _prf(c)["f1"] for label, c in sorted(counts.items())}}


def ceiling(source: list[list], target: list[list]) -> float:
    """The best exact-span F1 any projection can reach, given both sides' gold (see the module)."""
    matched = total = 0
    for s_spans, t_spans in zip(source, target, strict=True):
        s_labels, t_labels = Counter(s[2] for s in s_spans), Counter(t[2] for t in t_spans)
        matched += sum((s_labels & t_labels).values())
        total += len(s_spans) + len(t_spans)
    return round(2 * matched / total, 4) if total else 1.0


def _prf(c: Counter) -> dict[str, float]:
    precision = c["tp"] / (c["tp"] + c["fp"]) if c["tp"] + c["fp"] else 0.0
    recall = c["tp"] / (c["tp"] + c["fn"]) if c["tp"] + c["fn"] else 0.0
    f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
    return {"precision": round(precision, 4), "recall": round(recall, 4), "f1": round(f1, 4)}


def evaluate_projection(
    source_file: str, target_file: str, fmt: str, projector: Projector, limit: int | None = None, **columns
) -> dict:
    """Project the source gold onto the target text and score it against the target gold.

    Args:
        limit: score the first ``limit`` sentences only.
        columns: ``token_column`` / ``tag_column`` of both files (default: found from each file).
    """
    if projector.translates:
        raise BabelforgeError(
            f"method {projector.name!r} writes its own translation, so it cannot be scored against a given one"
        )
    source, target = read_gold(source_file, fmt, **columns), read_gold(target_file, fmt, **columns)
    if len(source) != len(target):
        raise BabelforgeError(
            f"{source_file} has {len(source)} sentences but {target_file} has {len(target)}: they must be parallel"
        )
    source, target = (source[:limit], target[:limit]) if limit else (source, target)
    inputs = [
        ProjectionInput(s_text, s_spans, t_text) for (s_text, s_spans), (t_text, _) in zip(source, target, strict=True)
    ]
    started = time.perf_counter()
    projector.observe(inputs)
    size = batch_size(projector)
    results = [r for i in range(0, len(inputs), size) for r in projector.project(inputs[i : i + size])]
    seconds = time.perf_counter() - started
    gold = [{tuple(s) for s in spans} for _, spans in target]
    predicted = [{tuple(s) for s in r.projected} for r in results]
    statuses = Counter(r.status for r in results)
    scores = span_scores(gold, predicted)
    best = ceiling([spans for _, spans in source], [spans for _, spans in target])
    confidence = confidence_table(
        [
            (len(item.source_spans), [(_score(r, i), tuple(s) in g) for i, s in enumerate(r.spans) if s is not None])
            for item, r, g in zip(inputs, results, gold, strict=True)
        ]
    )
    return {
        "method": projector.name,
        "sentences": len(inputs),
        **scores,
        "ceiling_f1": best,
        "f1_of_ceiling": round(scores["f1"] / best, 4) if best else 0.0,
        "yield": round(statuses["complete"] / max(len(results), 1), 4),
        "status": dict(statuses),
        "sentences_per_second": round(len(inputs) / max(seconds, 1e-9), 2),
        "thresholds": confidence,
    }


def batch_size(projector: Projector) -> int:
    """Inputs to hand ``projector`` at once: its own ``batch_size`` where it has one (eflomal learns from
    its batch), else :data:`BATCH`."""
    return int(getattr(projector, "batch_size", BATCH))


def _score(result, i: int) -> float:
    return float(result.scores[i]) if i < len(result.scores) else 0.0


def read_pharaoh_gold(path: str | Path) -> list[tuple[set, set]]:
    """``(sure, possible)`` 0-indexed link sets per line of a gold file (``i-j`` sure, ``ipj`` possible, 1-indexed).

    Sure links are possible links too, as in the AER definition.
    """
    gold = []
    for number, line in enumerate(Path(path).read_text(encoding="utf-8").splitlines(), 1):
        sure, possible = set(), set()
        for item in line.split():
            separator = "-" if "-" in item else "p"
            try:
                i, j = (int(x) - 1 for x in item.split(separator))
            except ValueError:
                raise BabelforgeError(f"{path}:{number}: expected links like 3-4 or 3p4, got {item!r}") from None
            possible.add((i, j))
            if separator == "-":
                sure.add((i, j))
        gold.append((sure, possible))
    return gold


def evaluate_alignment(pairs_file: str, gold_file: str, word_aligner) -> dict:
    """Alignment error rate, precision and recall of ``word_aligner`` on ``src ||| tgt`` pairs."""
    pairs = []
    for number, line in enumerate(Path(pairs_file).read_text(encoding="utf-8").splitlines(), 1):
        if "|||" not in line:
            raise BabelforgeError(f"{pairs_file}:{number}: expected 'source words ||| target words'")
        source, target = line.split("|||", 1)
        pairs.append((source.split(), target.split()))
    gold = read_pharaoh_gold(gold_file)
    if len(gold) != len(pairs):
        raise BabelforgeError(f"{pairs_file} has {len(pairs)} pairs but {gold_file} has {len(gold)} lines")
    started = time.perf_counter()
    predicted = [set(links) for links in align_pairs(word_aligner, pairs)]  # eflomal: the file as one corpus
    seconds = time.perf_counter() - started
    a = sum(len(p) for p in predicted)
    s = sum(len(sure) for sure, _ in gold)
    a_s = sum(len(p & sure) for p, (sure, _) in zip(predicted, gold, strict=True))
    a_p = sum(len(p & possible) for p, (_, possible) in zip(predicted, gold, strict=True))
    return {
        "aligner": word_aligner.spec,
        "pairs": len(pairs),
        "aer": round(1 - (a_s + a_p) / max(a + s, 1), 4),
        "precision": round(a_p / max(a, 1), 4),
        "recall": round(a_s / max(s, 1), 4),
        "pairs_per_second": round(len(pairs) / max(seconds, 1e-9), 2),
    }
