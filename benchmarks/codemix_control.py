"""Does lexicon code-mixing hit the CMI asked for? Measured with an independent language identifier.

Mixes English Europarl sentences (with their gold entities) into German with the bundled lexicon at
each requested CMI, then re-labels every word of each accepted sample with an identifier of its own
(numbers, punctuation and entity words stay ``other``, as CMI defines them) and computes the CMI from
those labels alone. Identifiers: ``wordfreq`` (the language in which the word is more frequent, by
wordfreq's Zipf frequencies, lingua for words neither list knows; ``pip install wordfreq``) and
``lingua`` alone (English vs German, word by word: weak on short words). Prints, per requested CMI,
the share of accepted samples whose independently measured CMI lies within +/- 5 (target >= 90%),
and the same by the generator's own labels. The mixer finds its function words in the sample first,
as the ``codemix`` step does in each task. Beside the control (issue 14): the share of switched
tokens that are function words (judged by wordfreq: among the ``--judge-top`` most frequent German
words; target <= 30%) and the mean length of the switched runs.

    python benchmarks/codemix_control.py --conll ../shared/data/europarl-ner/en-europarl.test.conll02
"""

from __future__ import annotations

import argparse
from pathlib import Path

REPO = Path(__file__).parents[1]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--conll", default=str(REPO / "tests" / "data" / "europarl-en.conll"))
    parser.add_argument("--lexicon", default=str(REPO / "manifests" / "data" / "lexicons" / "en-de.tsv"))
    parser.add_argument("--targets", default="10,20,30,40")
    parser.add_argument("--tolerance", type=float, default=5.0)
    parser.add_argument("--identifier", choices=("wordfreq", "lingua"), default="wordfreq")
    parser.add_argument("--judge-top", type=int, default=100)
    args = parser.parse_args()
    from lingua import Language, LanguageDetectorBuilder

    from babelforge.augment.cmi import measure
    from babelforge.augment.lexicon import Lexicon
    from babelforge.augment.mix_lexicon import LexiconMixer, Mixed
    from babelforge.projection.evaluate import read_gold

    detector = LanguageDetectorBuilder.from_languages(Language.ENGLISH, Language.GERMAN).build()
    names = {Language.ENGLISH: "en", Language.GERMAN: "de"}

    def by_lingua(token: str) -> str:
        return names.get(detector.detect_language_of(token), "other")

    def by_frequency(token: str) -> str:
        from wordfreq import zipf_frequency

        english, german = zipf_frequency(token, "en"), zipf_frequency(token, "de")
        if english == german:
            return by_lingua(token)
        return "en" if english > german else "de"

    identify = by_frequency if args.identifier == "wordfreq" else by_lingua
    sample = read_gold(args.conll, "conll")
    lexicon = Lexicon.read(args.lexicon)
    print(f"{len(sample)} sentences from {args.conll}; lexicon {len(lexicon)} words; tolerance +/- {args.tolerance}")
    print(f"independent identifier: {args.identifier}")
    from wordfreq import top_n_list

    judge = set(top_n_list("de", args.judge_top))
    header = f"{'CMI asked':>10} {'accepted':>9} {'within (independent)':>21} {'within (own labels)':>20}"
    print(f"{header} {'mean |error|':>13} {'function share':>15} {'mean run':>9}")
    for target in (float(t) for t in args.targets.split(",")):
        mixer = LexiconMixer(lexicon, "en", "de", target, args.tolerance)
        if hasattr(mixer, "prepare"):
            mixer.prepare([text for text, _ in sample])
        accepted = within = own = switched = function = runs = 0
        error = 0.0
        for i, (text, spans) in enumerate(sample):
            result = mixer.mix(text, spans, str(i))
            if not isinstance(result, Mixed):
                continue
            accepted += 1
            labels = [
                "other" if own_label == "other" else identify(token)
                for token, own_label in zip(result.tokens, result.langs, strict=True)
            ]
            measured = measure(labels).cmi
            error += abs(measured - target)
            within += abs(measured - target) <= args.tolerance
            own += abs(result.metrics.cmi - target) <= args.tolerance
            mixed = [token for token, label in zip(result.tokens, result.langs, strict=True) if label == "de"]
            switched += len(mixed)
            function += sum(token.lower() in judge for token in mixed)
            runs += sum(
                1 for k, label in enumerate(result.langs) if label == "de" and (k == 0 or result.langs[k - 1] != "de")
            )
        share = within / accepted if accepted else 0.0
        print(
            f"{target:>10.0f} {accepted:>9} {share:>20.1%} {own / max(accepted, 1):>19.1%} "
            f"{error / max(accepted, 1):>13.2f} {function / max(switched, 1):>14.1%} {switched / max(runs, 1):>9.2f}"
        )


if __name__ == "__main__":
    main()
