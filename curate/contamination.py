"""Which benchmark items a text leaks: n-gram overlap and translated leaks, for the step and the check command.

:class:`ContaminationDetector` holds every benchmark's items in one :class:`~babelforge.curate.overlap.NgramIndex`
and (with an embedder) one :class:`~babelforge.curate.translated.TranslationIndex`, and gives each
text its :class:`Hit` s. A hit's kind is

- ``ngram``: the text repeats the item's words (verbatim, or lightly edited);
- ``translated``: a chunk of the text is a translation of (a chunk of) the item, by embedding and
  anchors, or by embedding and word alignment (:mod:`~babelforge.curate.translation_verify`), and the
  text's language is not the item's;
- ``paraphrase``: the same test, where the languages are the same or not known (a reworded copy).

An item found both ways is reported once, as ``ngram``.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import TYPE_CHECKING, NamedTuple

from babelforge.curate.overlap import EDIT_WORDS, MIN_NGRAM, NGRAM, THRESHOLD, NgramIndex
from babelforge.curate.translated import Candidate, Thresholds, TranslationIndex, confirmed_items, plausible

if TYPE_CHECKING:
    from babelforge.curate.benchmarks import Benchmark, BenchmarkItem
    from babelforge.embedders import Embedder

KINDS = ("ngram", "translated", "paraphrase")


class Hit(NamedTuple):
    """One benchmark item found in one text."""

    benchmark: str
    item: str
    kind: str
    score: float


@dataclass(frozen=True)
class DetectorSettings:
    """How hard the detector looks (see :mod:`~babelforge.curate.overlap` and :mod:`~babelforge.curate.translated`)."""

    ngram: int = NGRAM
    min_ngram: int = MIN_NGRAM
    ngram_threshold: float = THRESHOLD
    thresholds: Thresholds = field(default_factory=Thresholds)
    min_words: int = 2
    max_words: int = 48
    edit_words: int = EDIT_WORDS
    verify: bool = False

    def as_dict(self) -> dict:
        return asdict(self)


class ContaminationDetector:
    """Finds benchmark items in texts.

    Args:
        benchmarks: the loaded benchmarks (:func:`~babelforge.curate.benchmarks.load_benchmark`).
        settings: thresholds and sizes.
        embedder: for translated leaks; ``None`` looks for n-gram overlap only.
        cache: a folder for the items' vectors, shared by tasks and reruns.

    Example:
        >>> from babelforge.curate.benchmarks import Benchmark, BenchmarkItem
        >>> item = BenchmarkItem("quiz", "q1", "Which river flows through the city of Kano in northern Nigeria?", None)
        >>> detector = ContaminationDetector([Benchmark("quiz", [item], 0, 0)])
        >>> detector.check(["Q: which river flows through the city of Kano in northern Nigeria"], [None])
        [[Hit(benchmark='quiz', item='q1', kind='ngram', score=1.0)]]
    """

    def __init__(self, benchmarks: list[Benchmark], settings: DetectorSettings | None = None,
                 embedder: Embedder | None = None, cache: str | None = None):  # fmt: skip
        self.settings = settings or DetectorSettings()
        self.items: list[BenchmarkItem] = [item for b in benchmarks for item in b.items]
        texts = [item.text for item in self.items]
        s = self.settings
        self.ngrams = NgramIndex(texts, s.ngram, s.min_ngram, s.ngram_threshold, s.edit_words)
        self.translations = (
            TranslationIndex(texts, embedder, min_words=s.min_words, max_words=s.max_words, cache=cache)
            if embedder is not None
            else None
        )
        self.verifier = None
        if embedder is not None and s.verify:
            from babelforge.curate.translation_verify import AlignmentVerifier

            self.verifier = AlignmentVerifier()  # loads its encoder on first use

    def check(self, texts: list[str], languages: list[str | None]) -> list[list[Hit]]:
        """The hits of each text, n-gram hits first, then by item order.

        Args:
            texts: what to check (a record's text, question, turns ... joined by line breaks).
            languages: each text's language code, or ``None`` where it is not known.
        """
        found = [self._ngram_hits(text) for text in texts]
        if self.translations is not None:
            scored = self.verified(self.translations.candidates(texts), languages)
            for hits, candidates, language in zip(found, scored, languages, strict=True):
                hits += self._translated_hits(candidates, language, {number for (_, number), _ in hits})
        return [[hit for _, hit in sorted(hits)] for hits in found]

    def _ngram_hits(self, text: str) -> list[tuple[tuple[int, int], Hit]]:
        return [((0, number), self._hit(number, "ngram", score)) for number, score in self.ngrams.find(text)]

    def verified(self, candidates: list[list[Candidate]], languages: list[str | None]) -> list[list[Candidate]]:
        """The candidates, each one the word aligner checks with its coverage: in another language than its
        record's, at :attr:`Thresholds.verify_margin` or more, and plausible (see :func:`confirm`)."""
        t = self.settings.thresholds
        todo = [
            (row, k)
            for row, found in enumerate(candidates)
            for k, c in enumerate(found)
            if c.margin >= t.verify_margin and plausible(c, t) and not self._same_language(c.item, languages[row])
        ]
        if self.verifier is None or not todo:
            return candidates
        pairs = [(candidates[r][k].chunk, self.translations.texts[candidates[r][k].target]) for r, k in todo]
        for (row, k), coverage in zip(todo, self.verifier.coverage(pairs), strict=True):
            candidates[row][k] = candidates[row][k]._replace(coverage=coverage)
        return candidates

    def _same_language(self, number: int, language: str | None) -> bool:
        """Whether item ``number`` is in ``language``; not known: as strict as the same language."""
        item_language = self.items[number].language
        return not language or not item_language or item_language == language

    def _translated_hits(
        self, candidates, language: str | None, already: set[int]
    ) -> list[tuple[tuple[int, int], Hit]]:
        best = confirmed_items(candidates, self.settings.thresholds, lambda n: self._same_language(n, language))
        hits = []
        for number, score in best.items():
            item = self.items[number]
            if number in already:
                continue
            kind = "translated" if language and item.language and language != item.language else "paraphrase"
            hits.append(((1, number), self._hit(number, kind, score)))
        return hits

    def _hit(self, number: int, kind: str, score: float) -> Hit:
        item = self.items[number]
        return Hit(item.benchmark, item.id, kind, round(float(score), 3))
