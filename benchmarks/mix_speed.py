"""How fast `babelforge mix` plans and writes: rows per second, and the 10M-row plan against its 10 s target.

Builds synthetic text outputs (Parquet in an output folder's layout, with the provenance and
dataset_info a run writes; the rows are generated, not forged by a run) of skewed sizes, one language
each, then:

1. plans a 10,000,000-row mixture over 40 languages from sizes alone, rows picked (target: under 10 s);
2. mixes the synthetic outputs end to end (open, plan, pick, shuffle, write, card, provenance) with a
   row budget equal to their total, temperature 0.3, max_epochs 4, and reports rows written per second.

    python benchmarks/mix_speed.py [--rows 1000000] [--folder /tmp/mix-bench]
"""

from __future__ import annotations

import argparse
import json
import shutil
import tempfile
import time
from pathlib import Path

import numpy as np

LANGUAGES = ["eng_Latn", "hau_Latn", "yor_Latn", "swh_Latn", "amh_Ethi"]
SKEW = [0.6, 0.05, 0.1, 0.2, 0.05]


def synthetic_output(folder: Path, language: str, rows: int, seed: int) -> Path:
    import pyarrow as pa
    import pyarrow.parquet as pq

    from babelforge.records import features_for

    features = features_for("text")
    rng = np.random.default_rng(seed)
    lengths = rng.integers(5, 60, rows)
    table = pa.table({
        "id": [f"{language}-{i}" for i in range(rows)], "language": [language] * rows,
        "languages": [[language]] * rows, "text": [f"{language} " + "word " * int(n) for n in lengths],
        "segments": [[]] * rows, "source": [language] * rows, "lineage": ["[]"] * rows,
    }).cast(features.arrow_schema)  # fmt: skip
    (folder / "data" / "default").mkdir(parents=True)
    pq.write_table(table, folder / "data" / "default" / "train-00000-of-00001.parquet")
    info = {"features": [{"name": name} for name in features], "splits": [{"name": "train", "num_examples": rows}]}
    (folder / "dataset_info.json").write_text(json.dumps(info))
    manifest = {"name": folder.name, "version": "1", "license": "cc-by-4.0", "output": {"kind": "text"}}
    (folder / "provenance.json").write_text(json.dumps({"manifest": manifest, "created": "synthetic"}))
    (folder / "README.md").write_text("---\nlicense: cc-by-4.0\n---\n")
    return folder


def plan_ten_million() -> float:
    from babelforge.families import family_of
    from babelforge.langs import all_languages
    from babelforge.mixture import Sampling
    from babelforge.mixture_plan import Cell, plan_mixture
    from babelforge.mixture_sample import cell_rng, select

    rng = np.random.default_rng(0)
    sizes = rng.integers(1_000, 2_000_000, 40)
    cells = [
        Cell(i, lang.code, int(n), float(n))
        for i, (lang, n) in enumerate(zip(all_languages()[:40], sizes, strict=True))
    ]
    started = time.perf_counter()
    plan = plan_mixture(cells, Sampling(temperature=0.3), "rows", 10_000_000, 4, family_of)
    for c in cells:
        select(np.ones(c.rows), plan.cells[c.component, c.language], cell_rng(0, c.component, c.language))
    return time.perf_counter() - started


def mix_end_to_end(folder: Path, rows: int) -> tuple[int, float]:
    import yaml

    from babelforge.mixture import load_mixture
    from babelforge.mixture_run import mix, prepare

    components = []
    for i, (language, share) in enumerate(zip(LANGUAGES, SKEW, strict=True)):
        components.append({"path": str(synthetic_output(folder / language, language, int(rows * share), i))})
    mixture = {"name": "bench", "components": components, "sampling": {"temperature": 0.3}, "max_epochs": 4,
               "budget": {"rows": rows}, "seed": 1, "output": {"path": str(folder / "mix")}}  # fmt: skip
    (folder / "mix.yaml").write_text(yaml.safe_dump(mixture))
    started = time.perf_counter()
    summary = mix(prepare(load_mixture(folder / "mix.yaml")))
    return sum(summary["rows"]["train"].values()), time.perf_counter() - started


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--folder", type=Path, default=None)
    args = parser.parse_args()
    folder = args.folder or Path(tempfile.mkdtemp(prefix="mix-bench-"))
    try:
        seconds = plan_ten_million()
        print(f"10,000,000-row plan over 40 languages, rows picked: {seconds:.2f} s (target < 10 s: "
              f"{'met' if seconds < 10 else 'MISSED'})")  # fmt: skip
        written, seconds = mix_end_to_end(folder, args.rows)
        print(
            f"mixed {written:,} rows from {len(LANGUAGES)} outputs in {seconds:.2f} s: {written / seconds:,.0f} rows/s"
        )
    finally:
        if args.folder is None:
            shutil.rmtree(folder, ignore_errors=True)


if __name__ == "__main__":
    main()
