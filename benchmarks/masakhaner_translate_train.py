"""MasakhaNER 2.0 translate-train, end to end: translate CoNLL-2003 English, project, train, test.

For each language and projection method: run ``manifests/masakhaner-translate-train.yaml`` (NLLB-200
translation, then ``constrained`` or ``markers`` projection), train a tagger on the result with
``babelforge train ner`` (XLM-R large by default), and score it on the language's MasakhaNER 2.0 test
set (DATE, which CoNLL-2003 lacks, is scored as O). Prints F1 per language and method, and the
averages beside the published ones over 8 languages (EasyProject 66.7, T-Projection 70.3).

Needs the Hub (NLLB, XLM-R, CoNLL-2003; or local copies: --mt-model, --tagger, --conll03) and a GPU
for a useful speed; MasakhaNER itself is never shipped: point --masakhaner at a folder holding
``LANG/test.txt`` (``../shared/data/masakhaner2`` here has hau, swa, yor).

    python benchmarks/masakhaner_translate_train.py --masakhaner ../shared/data/masakhaner2 \\
        [--languages hau,yor,swa] [--methods constrained,markers] [--limit N] [--epochs 3]
"""

from __future__ import annotations

import argparse
import json
import os
import time
from pathlib import Path

HERE = Path(__file__).parent
#: MasakhaNER 2.0 folder names and their NLLB-200 codes.
NLLB_CODES = {
    "bam": "bam_Latn", "bbj": None, "ewe": "ewe_Latn", "fon": "fon_Latn", "hau": "hau_Latn", "ibo": "ibo_Latn",
    "kin": "kin_Latn", "lug": "lug_Latn", "luo": "luo_Latn", "mos": "mos_Latn", "nya": "nya_Latn",
    "pcm": None, "sna": "sna_Latn", "swa": "swh_Latn", "tsn": "tsn_Latn", "twi": "twi_Latn", "wol": "wol_Latn",
    "xho": "xho_Latn", "yor": "yor_Latn", "zul": "zul_Latn",
}  # fmt: skip
PUBLISHED = {"EasyProject": 66.7, "T-Projection": 70.3}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--masakhaner", required=True, help="folder with LANG/test.txt")
    parser.add_argument("--languages", default="hau,yor,swa")
    parser.add_argument("--methods", default="constrained,markers")
    parser.add_argument("--mt-model", default="facebook/nllb-200-distilled-600M")
    parser.add_argument("--tagger", default="FacebookAI/xlm-roberta-large")
    parser.add_argument("--conll03", default=None, help="a local copy of eriktks/conll2003")
    parser.add_argument("--quantization", default="int8_float16", help="CTranslate2 compute type (GPU: int8_float16)")
    parser.add_argument("--limit", type=int, default=-1, help="CoNLL-2003 sentences per task (-1: all)")
    parser.add_argument("--epochs", type=float, default=3.0)
    parser.add_argument("--max-steps", type=int, default=-1)
    parser.add_argument("--lr", type=float, default=2e-5)
    parser.add_argument("--work", default="runs/masakhaner")
    args = parser.parse_args()

    from babelforge.finetune.ner import evaluate_tagger, train_ner
    from babelforge.finetune.options import TrainOptions
    from babelforge.manifest import load_manifest
    from babelforge.runner import run_manifest

    work = Path(args.work).resolve()
    results: dict[str, dict[str, dict]] = {}
    for language in args.languages.split(","):
        code = NLLB_CODES.get(language)
        if code is None:
            print(f"{language}: NLLB-200 has no code for it; skipped")
            continue
        test = Path(args.masakhaner) / language / "test.txt"
        for method in args.methods.split(","):
            started = time.perf_counter()
            os.environ.update(
                TARGET=code, METHOD=method, NLLB_MODEL=args.mt_model, QUANTIZATION=args.quantization,
                LIMIT=str(args.limit), BABELFORGE_OUT=str(work / "data"),
            )  # fmt: skip
            if args.conll03:
                os.environ["CONLL03"] = args.conll03
            run = run_manifest(load_manifest(HERE.parent / "manifests" / "masakhaner-translate-train.yaml"))
            data = work / "data" / f"masakhaner-{code}-{method}"
            kept = sum(sum(v.values()) for v in run.summary["rows"].values())
            tagger = work / "taggers" / f"{language}-{method}"
            train_ner(
                TrainOptions(
                    dataset=str(data), model=args.tagger, output=str(tagger), epochs=args.epochs,
                    max_steps=args.max_steps, lr=args.lr, batch_size=16, eval_steps=500, save_steps=500,
                )
            )  # fmt: skip
            scores = evaluate_tagger(str(tagger), str(test), code, relabel={"DATE": None})
            scores.update(
                kept=kept, dropped=run.summary["drops"], minutes=round((time.perf_counter() - started) / 60, 1)
            )
            results.setdefault(language, {})[method] = scores
            print(f"{language} {method}: F1 {scores['f1']:.4f} ({kept} training sentences)", flush=True)
    methods = args.methods.split(",")
    print(f"\n{'language':10}" + "".join(f"{m:>14}" for m in methods))
    for language, by_method in results.items():
        print(f"{language:10}" + "".join(f"{100 * by_method[m]['f1']:>14.1f}" for m in methods if m in by_method))
    averages = {m: sum(100 * r[m]["f1"] for r in results.values()) / max(len(results), 1) for m in methods}
    print(f"{'average':10}" + "".join(f"{averages[m]:>14.1f}" for m in methods))
    print("published averages over 8 languages: " + ", ".join(f"{k} {v}" for k, v in PUBLISHED.items()))
    (work / "results.json").write_text(json.dumps({"results": results, "averages": averages}, indent=2))


if __name__ == "__main__":
    main()
