"""Projection (``best``) on languages its weights never saw: XQuAD and UNER PUD beyond the dev files.

The spanmatch weights are fitted on ``../shared/data`` only (Europarl de, UNER sv and ru, XQuAD ru,
tr, vi, zh). This scores the same ``eval projection`` code on every other language given: each
XQuAD file in ``--xquad-dir`` (``xquad.LANG.json``, English answers projected onto the paragraph of
the same question id) and each UNER PUD file in ``--uner-dir`` (``LANG_pud-ud-test.iob2``, the
English gold projected onto the same sentence). Nothing here is fitted; a fresh projector per file.

    python benchmarks/projection_heldout.py --xquad-dir xquad/ --uner-dir uner/ --limit 300

The files come from XQuAD's and UniversalNER's public repositories (google-deepmind/xquad,
UniversalNER/UNER_German-PUD, ...). A UNER file whose sentences are not in the English file's order
(Chinese PUD's are not) is reported as such, not scored. Prints one line per file and the targets'
ratios: XQuAD exact match / 0.75 and UNER F1 share of its ceiling / 0.93.
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path

from babelforge.projection.evaluate import evaluate_projection, read_gold
from babelforge.projection.evaluate_squad import evaluate_squad_projection
from babelforge.projection.methods import make_projector

#: The dev languages of each corpus (never held out: the weights were fitted on them).
DEV = {"xquad": {"en", "ru", "tr", "vi", "zh"}, "uner": {"en", "sv", "ru"}}
EM_TARGET, SHARE_TARGET = 0.75, 0.93


def aligned(source_file: Path, target_file: Path) -> bool:
    """Whether two PUD files hold the same sentences in the same order (their numbers agree, sentence by sentence)."""
    source, target = read_gold(source_file, "iob2"), read_gold(target_file, "iob2")
    if len(source) != len(target):
        return False
    digits = lambda text: [c for c in text if c.isdigit()]  # noqa: E731
    agree = sum(digits(s) == digits(t) for (s, _), (t, _) in zip(source, target, strict=True))
    return agree >= 0.9 * len(source)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--xquad-dir", type=Path)
    parser.add_argument("--uner-dir", type=Path)
    parser.add_argument("--english-xquad", type=Path, default=Path("../shared/data/xquad/xquad.en.json"))
    parser.add_argument("--english-uner", type=Path, default=Path("../shared/data/uner-pud/en_pud-ud-test.iob2"))
    parser.add_argument("--limit", type=int, default=300, help="XQuAD questions per language (UNER: every sentence)")
    parser.add_argument("--json", type=Path, help="also write every report here")
    args = parser.parse_args()
    reports = {}
    for path in sorted(args.xquad_dir.glob("xquad.*.json")) if args.xquad_dir else []:
        lang = path.name.split(".")[1]
        if lang in DEV["xquad"]:
            continue
        r = evaluate_squad_projection(str(args.english_xquad), str(path), make_projector("best"), args.limit)
        reports[f"xquad {lang}"] = r
        ratio = r["exact_match"] / EM_TARGET
        print(f"xquad {lang}: questions {r['questions']}  exact match {r['exact_match']:.3f}  f1 {r['f1']:.3f}  "
              f"placed {r['placed']:.3f}  ratio to {EM_TARGET} {ratio:.2f}", flush=True)  # fmt: skip
    for path in sorted(args.uner_dir.glob("*_pud-ud-test.iob2")) if args.uner_dir else []:
        lang = path.name.split("_")[0]
        if lang in DEV["uner"]:
            continue
        if not aligned(args.english_uner, path):
            reports[f"uner {lang}"] = {"skipped": "sentences not in the English file's order"}
            print(f"uner {lang}: not scored: its sentences are not in the English file's order", flush=True)
            continue
        r = evaluate_projection(str(args.english_uner), str(path), "iob2", make_projector("best"))
        reports[f"uner {lang}"] = r
        print(f"uner {lang}: sentences {r['sentences']}  f1 {r['f1']:.4f}  ceiling {r['ceiling_f1']:.4f}  "
              f"share {r['f1_of_ceiling']:.3f}  ratio to {SHARE_TARGET} {r['f1_of_ceiling'] / SHARE_TARGET:.2f}",
              flush=True)  # fmt: skip
    if args.json:
        args.json.write_text(json.dumps(reports, indent=1))


if __name__ == "__main__":
    main()
