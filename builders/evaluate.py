"""Evaluate mining on parallel lines (Tatoeba format): does each source line find its own translation?"""

from __future__ import annotations

import time
from pathlib import Path

from babelforge.errors import BabelforgeError


def read_lines(path: str | Path) -> list[str]:
    path = Path(path)
    if not path.is_file():
        raise BabelforgeError(f"no file at {path}")
    return path.read_text(encoding="utf-8").splitlines()


def evaluate_mining(source_file: str, target_file: str, embedder_spec: str, index: str = "auto", k: int = 4) -> dict:
    """Accuracy of the default strategy (max-score, one-to-one), of forward margin and of plain cosine."""
    from babelforge.builders.margin import MarginMiner, MarginSettings
    from babelforge.embedders import embedder

    source, target = read_lines(source_file), read_lines(target_file)
    if len(source) != len(target):
        raise BabelforgeError(
            f"{source_file} has {len(source)} lines but {target_file} has {len(target)}: "
            "line i of one must translate line i of the other"
        )
    started = time.perf_counter()
    model = embedder(embedder_spec)
    vectors = model.embed(source + target)
    source_vectors, target_vectors = vectors[: len(source)], vectors[len(source) :]
    embedded = time.perf_counter()
    report = {"embedder": embedder_spec, "sentences": len(source), "index": index, "k": k}
    neighbours = MarginMiner(MarginSettings(k=k, index=index)).neighbourhoods(source_vectors, target_vectors)
    for strategy in ("max-score", "forward", "intersection"):  # one search, scored three ways
        pairs = MarginMiner(MarginSettings(k=k, strategy=strategy, index=index)).pairs(
            source_vectors, target_vectors, *neighbours
        )
        chosen = {p.source: p.target for p in pairs}
        accuracy = round(sum(chosen.get(i) == i for i in range(len(source))) / max(len(source), 1), 4)
        if strategy == "max-score":
            report["accuracy"] = accuracy
        elif strategy == "forward":
            report["accuracy_margin_forward"] = accuracy
        else:
            report["intersection_pairs"] = len(pairs)
            report["intersection_precision"] = round(sum(p.source == p.target for p in pairs) / max(len(pairs), 1), 4)
    # plain cosine: each source's nearest target, the first of its neighbours
    report["accuracy_cosine"] = round(
        sum(int(neighbours[1][i, 0]) == i for i in range(len(source))) / max(len(source), 1), 4
    )
    seconds = time.perf_counter() - started
    report["seconds_embedding"] = round(embedded - started, 2)
    report["sentences_per_second"] = round(2 * len(source) / max(seconds, 1e-9), 1)
    report["strategy"] = "max-score (margin, both directions, one-to-one)"
    return report
