"""``lexicon`` code-mixing: substitute dictionary translations until a requested CMI is reached.

For an utterance of ``n`` language tokens in the matrix language, replacing ``s`` of them with
translations in the embedded language gives CMI ``100 * min(s, n - s) / n``; the mixer picks ``s``
for the requested CMI, chooses which substitutable tokens to replace, re-measures, and keeps the
sample only when the CMI lies within the tolerance. Numbers, punctuation and the words of labelled
spans (named entities) stay as they are and are labelled ``other``; spans move with the text (their
offsets are recomputed). Every token gets a language label.

Which tokens (:mod:`~babelforge.augment.codemix_choice`): content words, runs of adjacent content
words as one phrase before single words, in a random order among equals, seeded per record; function
words not at all by default (``function_share``): a word-by-word lexicon cannot make an article or a
preposition agree with the words around it ("von die Bericht"), while an inserted noun reads as
people mix ("the Sitzung"). With ``function_share`` above 0 a function word is switched only together
with the content word it governs, up to that share of the switched tokens. Function words come
from :meth:`LexiconMixer.prepare` (found in the texts to mix, :mod:`~babelforge.augment.function_words`);
before it is called every word counts as a content word. A translation that is itself a word of the
matrix texts is never substituted (``what`` -> ``was``, ``into`` -> ``in`` in English): it would read as
the matrix word, a wrong one.
A sample whose content words cannot reach the CMI is rejected as ``cmi_unreachable``.
"""

from __future__ import annotations

import random
from dataclasses import dataclass, field

from babelforge.augment.cmi import CodeMixing, measure
from babelforge.augment.codemix_choice import choose, function_budget, word_units
from babelforge.augment.codemix_report import SwitchReport, switch_report
from babelforge.augment.function_words import FunctionWords
from babelforge.augment.lexicon import Lexicon
from babelforge.spans import Span
from babelforge.words import word_spans
from babelforge.words import words as text_words


@dataclass
class Mixed:
    """A code-mixed utterance: text, tokens with their offsets and language labels, spans, metrics."""

    text: str
    tokens: list[str]
    offsets: list[tuple[int, int]]
    langs: list[str]
    spans: list[Span]
    metrics: CodeMixing
    report: SwitchReport = field(default_factory=SwitchReport)


@dataclass
class Rejected:
    reason: str
    detail: str = ""


class LexiconMixer:
    """Mix ``matrix``-language text with ``embedded``-language words from a lexicon.

    Args:
        lexicon: matrix-language word -> embedded-language translations.
        matrix, embedded: the labels written for the two languages (e.g. ``eng_Latn``, ``hin_Deva``).
        cmi: the requested Code-Mixing Index (0 to 50 with two languages).
        tolerance: how far from ``cmi`` a kept sample may be.
        seed: the base seed; each record's choice depends on it, the record's id and the function words.
        function_share: the most function words a sample may switch, as a share of its switched tokens.

    Example:
        >>> mixer = LexiconMixer(Lexicon({"water": ["ruwa"], "cold": ["sanyi"]}), "en", "ha", cmi=40, tolerance=10)
        >>> mixer.mix("The water is cold", [], "r1").text  # doctest: +SKIP
        'The ruwa is cold'
    """

    def __init__(self, lexicon: Lexicon, matrix: str, embedded: str, cmi: float, tolerance: float = 5.0,
                 seed: int = 13, function_share: float = 0.0):  # fmt: skip
        if not 0 <= cmi <= 50:
            raise ValueError(f"cmi {cmi}: with two languages the CMI lies between 0 and 50")
        self.lexicon, self.matrix, self.embedded = lexicon, matrix, embedded
        self.cmi, self.tolerance, self.seed, self.function_share = cmi, tolerance, seed, function_share
        self.function_words = self.embedded_function_words = FunctionWords(frozenset())
        self.matrix_words: frozenset[str] = frozenset()
        self._known: dict[str, bool] = {}  # word -> mixable (a sentence's words repeat across a corpus)

    def prepare(self, texts: list[str], translations: list[str] | None = None) -> None:
        """Find the matrix language's function words in ``texts`` (the embedded side's through the lexicon).

        Args:
            texts: matrix-language texts, in their order: those to mix, or a sample of them.
            translations: unused (the alignment mixer's signature).
        """
        self.function_words = FunctionWords.derive(texts)
        self.embedded_function_words = FunctionWords.translated(self.function_words, self.lexicon)
        self.matrix_words = frozenset(w.lower() for text in texts for w in text_words(text))
        self._known = {}

    def _mixable(self, word: str) -> bool:
        """In the lexicon, with a translation that differs from the word (``in`` -> ``in`` mixes nothing) and is
        no matrix word (``what`` -> ``was`` would read as English ``was``)."""
        known = self._known.get(word)
        if known is None:
            translation = self.lexicon[word][0] if word in self.lexicon else None
            known = translation is not None and not _same(translation, word)
            self._known[word] = known = known and translation.lower() not in self.matrix_words
        return known

    def mix(self, text: str, spans: list[Span], key: str) -> Mixed | Rejected:
        """Mix one utterance; ``key`` (the record id) seeds the choice of words."""
        offsets = word_spans(text)
        if not offsets:
            return Rejected("empty_text")
        inside = [any(s.start < b and a < s.end for s in spans) for a, b in offsets]
        words = [text[a:b] for a, b in offsets]
        neutral = [entity or not w[0].isalpha() for w, entity in zip(words, inside, strict=True)]
        language = [i for i, n in enumerate(neutral) if not n]
        candidates = [i for i in language if self._mixable(words[i])]
        wanted = round(self.cmi * len(language) / 100)
        if wanted > len(candidates):
            return Rejected("cmi_unreachable", f"{len(candidates)} of {len(language)} words in the lexicon")
        function = {i: words[i] in self.function_words for i in candidates}
        budget = function_budget(wanted, self.function_share)
        usable = [i for i in candidates if budget or not function[i]]
        if language and 100 * (len(usable) + 0.5) / len(language) < self.cmi - self.tolerance:  # all fall short
            return Rejected("cmi_unreachable", f"{len(usable)} content words of {len(language)} in the lexicon")
        units = word_units(usable, function, self.function_words.governs_right)
        rng = random.Random(f"{self.seed}:{key}")
        picked = choose(units, wanted, budget, rng)
        chosen = {i for unit in picked for i in range(unit.first, unit.last + 1)}
        pieces, tokens, new_offsets, langs, changes = [], [], [], [], []
        cursor = position = 0
        for i, ((a, b), word) in enumerate(zip(offsets, words, strict=True)):
            token = _cased(self.lexicon[word][0], word) if i in chosen else word
            pieces += [text[cursor:a], token]
            position += a - cursor
            new_offsets.append((position, position + len(token)))
            position += len(token)
            cursor = b
            tokens.append(token)
            langs.append("other" if neutral[i] else self.embedded if i in chosen else self.matrix)
            if len(token) != len(word):
                changes.append((b, len(token) - len(word)))
        pieces.append(text[cursor:])
        metrics = measure(langs)
        if abs(metrics.cmi - self.cmi) > self.tolerance:
            if len(chosen) < wanted:
                return Rejected("cmi_unreachable", f"{len(usable)} content words of {len(language)} in the lexicon")
            return Rejected("cmi_out_of_tolerance", f"{metrics.cmi:.1f} for {self.cmi} +/- {self.tolerance}")
        moved = [moved_span(s, changes) for s in spans]
        report = switch_report(langs, self.embedded, [i in chosen and function[i] for i in range(len(words))])
        return Mixed("".join(pieces), tokens, new_offsets, langs, moved, metrics, report)


def _same(a: str, b: str) -> bool:
    return a.casefold() == b.casefold()


def _cased(translation: str, original: str) -> str:
    """The translation with the original's capitalisation (``Water`` -> ``Ruwa``)."""
    if original.isupper() and len(original) > 1:
        return translation.upper()
    if original[:1].isupper():
        return translation[:1].upper() + translation[1:]
    return translation


def moved_span(span: Span, changes: list[tuple[int, int]]) -> Span:
    """A span after substitution: shifted by the length changes of the words before it (its own never change)."""
    start = span.start + sum(d for end, d in changes if end <= span.start)
    end = span.end + sum(d for end, d in changes if end <= span.end)
    return Span(start, end, span.label)
