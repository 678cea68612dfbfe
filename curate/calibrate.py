"""Thresholds for a language derived from a trusted reference corpus of it, the way FineWeb-2 adapts them.

FineWeb-2 keeps FineWeb's filters (Gopher quality and repetition, FineWeb quality) and moves their
thresholds per language to where the language's own distribution of each statistic puts them, with
stop words taken from the language's frequent words. This module does that on a reference corpus
that is trusted to be clean (news, Wikipedia, a Bible, FLORES): each document is measured as the
filters measure it (:mod:`~babelforge.curate.quality_stats`), and each threshold is set at the edge of
what clean text of the language shows, so the filters remove what falls beyond it.

Formulas, for a statistic with reference values ``X`` (one per document, ``n`` of them), median
``M``, and edges ``E_hi`` and ``E_lo``, the ``k``-th largest and the ``k``-th smallest value:

- an upper bound (``max_*``, the repetition shares, ``new_line_ratio`` ...)::

      t = E_hi + fence * (E_hi - M)

- a lower bound (``min_doc_words``, ``min_avg_word_length``, the alphabetic-word share ...), the same
  rule on a ratio scale (every such statistic is positive; 0 where ``E_lo`` is 0)::

      t = E_lo * (E_lo / M) ** fence

- counts (``min_doc_words``, ``min_stop_words``, ``min_num_sentences``) are floored to whole
  numbers; shares are clipped to ``[0, 1]``; bounds are rounded outwards (lower ones down, upper
  ones up) to 3 decimals.

The edge's rank ``k`` accounts for the size of the reference: it is the largest ``k`` (at least 1)
with ``P(Binomial(n, tail) >= k) >= confidence``, which is the chance that ``k`` of ``n`` clean
documents fall beyond the language's true ``tail`` quantile, so the edge stands at or beyond that
quantile with the given confidence (a distribution-free bound from order statistics). With a large
reference ``k`` comes close to ``n * tail``; with a small one (under about 230 documents for ``tail``
0.01 and ``confidence`` 0.9) no rank is that sure, and the edge is the most extreme document. So a
small reference never cuts into its own tail on the strength of two or three documents. Then the
threshold stands further out by ``fence`` times the reach of the edge from the middle (for lower
bounds as a ratio: with the edge at a third of the median, fence 1 puts the bound at a ninth): with
some thirty statistics, a new clean document's chances of landing beyond one edge add up, so the
margin is wide where clean text itself spreads far (repeated n-grams in news) and narrow where it
does not (word length). ``tail``, ``fence`` and ``confidence`` are the meta-parameters; the
defaults of ``tail`` and ``fence`` (0.02 and 1.5, with ``confidence`` 0.9) are the grid point with
the best worst-case margin to the targets (keep 95% of clean text, remove 90% of planted junk) over
six MasakhaNEWS languages and four benchmark seeds (13, 7, 1, 2); the benchmark
(``benchmarks/curate_quality.py``) scores each language with a point picked without it.

Where an upper bound comes out 0 (the reference never shows the feature: no bullet lines, no
repeated lines), it says nothing about how much a good document may have, and datatrove's default
stays (for the script share, which datatrove lacks, ``gate``'s 0.1). Line statistics (bullet and
ellipsis lines, repeated lines and paragraphs, FineWeb's four) are measured on the reference
documents of at least three lines only, a one-line document's shares being all-or-nothing; with
fewer than 20 such documents (news without its paragraph breaks) the reference says nothing of
lines: the upper bounds stay datatrove's, and ``line_punct_thr`` is 0 (off), since a floor on
punctuated lines that no reference supports would reject clean one-line documents.
``max_doc_words`` stays datatrove's (length is not a property of a language). C4's ``{`` and
``lorem ipsum`` checks are yes/no statistics under the same rule: each stays on when fewer
reference documents trip it than the edge's rank ``k`` (so that its edge is "no").

Stop words: the ``stop_words`` words that occur in the most reference documents (words with a letter;
ties by total count, then by the word), as FineWeb-2 takes them from the language's own frequent
words instead of English ones; ``min_stop_words`` is a lower bound on how many distinct ones a
reference document holds.

Language share (:mod:`~babelforge.curate.quality_language`): the frequent words are the folded
reference words that make up half its words; a segment (line or sentence) is in the language when
the share of frequent words in it reaches the 5% quantile of the reference segments' shares; a
document keeps at least half the reference's median share of its words in such segments
(``MAJORITY``; the median is close to 1, so: most of its words). That median-based floor, not an
edge, because a share that sits at 1 for nearly every clean document has no tail to speak of,
and because one foreign list inside a reference article (a page of English award names in Yoruba
news) would otherwise be the edge.

The language-score floor (with an identifier): ``max(0.3, min(0.9, median(S) - std(S)))`` over the
identifier's scores ``S`` for the language on the reference documents (FineWeb-2's formula).
"""

from __future__ import annotations

import math
from collections import Counter
from dataclasses import dataclass, field

import numpy as np

from babelforge.curate import quality_config as qc
from babelforge.curate.quality_stats import (
    DUP_N_GRAMS,
    LINE_STATS,
    MIN_LINES,
    TOKENIZER,
    TOP_N_GRAMS,
    document_stats,
    foreign_share,
    lines_of,
    stop_word_count,
    stop_word_share,
)

#: Defaults of the two meta-parameters (picked on MasakhaNEWS by benchmarks/curate_quality.py) and stop words.
TAIL, FENCE, STOP_WORDS = 0.02, 1.5, 24
#: How sure the edge is to stand no further in than the ``tail`` quantile of the language's clean text.
CONFIDENCE = 0.9
#: Reference documents of at least MIN_LINES lines needed before line statistics are derived.
MIN_LINED = 20
#: The foreign-letter share allowed where the reference has no letter outside its script (``gate``'s default).
FOREIGN_SCRIPT = 0.1


@dataclass(frozen=True)
class Bounds:
    """How thresholds are placed on one statistic's reference values (see the module docstring)."""

    tail: float = TAIL
    fence: float = FENCE
    confidence: float = CONFIDENCE

    def upper(self, values, default: float | None = None, share: bool = True) -> float:
        """The upper bound on ``values``; ``default`` where there are none or the bound is 0; ``share``: at most 1."""
        if len(values) == 0 and default is not None:
            return default
        x = np.sort(np.asarray(values, dtype=float))
        edge, middle = float(x[-self.rank(len(x))]), float(np.median(x))
        t = edge + self.fence * (edge - middle)
        if t <= 0 and default is not None:
            return default
        return _ceil(min(t, 1.0) if share else t)

    def lower(self, values) -> float:
        """The lower bound on ``values`` (positive statistics), 0 (off) where there are none or the edge is 0."""
        if len(values) == 0:
            return 0.0
        x = np.sort(np.asarray(values, dtype=float))
        edge, middle = float(x[self.rank(len(x)) - 1]), float(np.median(x))
        if edge <= 0 or middle <= 0:
            return 0.0
        return _floor(edge * (edge / middle) ** self.fence)

    def rank(self, n: int) -> int:
        """Which value from the end is the edge: the largest ``k`` (at least 1) with
        ``P(Binomial(n, tail) >= k) >= confidence`` (see the module docstring)."""
        k, at_least = 0, 1.0  # at_least: P(Binomial(n, tail) >= k)
        while k < n:
            beyond = at_least - _binomial_pmf(n, k, self.tail)
            if beyond < self.confidence:
                break
            k, at_least = k + 1, beyond
        return max(k, 1)


def _binomial_pmf(n: int, k: int, p: float) -> float:
    if p <= 0:
        return float(k == 0)
    if p >= 1:
        return float(k == n)
    log = math.lgamma(n + 1) - math.lgamma(k + 1) - math.lgamma(n - k + 1) + k * math.log(p) + (n - k) * math.log1p(-p)
    return math.exp(log)


def calibrate(
    documents: list[str],
    language: str,
    reference: str,
    bounds: Bounds = Bounds(),
    stop_words: int = STOP_WORDS,
    identifier: str | None = None,
) -> qc.QualityConfig:
    """A language's quality config from reference documents of it: :func:`measure`, then :func:`derive`.

    Args:
        documents: the reference documents (see :mod:`~babelforge.curate.reference`).
        language: the language's code (``hau_Latn``; codes outside babelforge's table such as ``pcm_Latn`` too).
        reference: where the documents came from, recorded in ``derived_from``.
        bounds: the ``tail`` and ``fence`` meta-parameters.
        stop_words: how many stop words to take.
        identifier: a language identifier spec (``lid176``, ``fasttext:PATH``, ...) for the language-score
            floor; ``None`` leaves the floor out.

    Raises:
        BabelforgeError: for an unknown language, or documents without a single word.
    """
    return derive(measure(documents, language, stop_words), reference, bounds, identifier)


@dataclass
class Measurements:
    """Every filter statistic of every reference document with a word, and the stop words chosen."""

    language: str
    texts: list[str]
    stats: dict[str, list[float]]
    stop_words: list[str]
    frequent_words: list[str] = field(default_factory=list)
    min_coverage: float = 0.0


def measure(documents: list[str], language: str, stop_words: int = STOP_WORDS) -> Measurements:
    """Measure reference documents as the filters will (documents without a word are left out)."""
    from babelforge.errors import BabelforgeError

    code = qc.canonical_language(language)
    measured = [(text, s) for text in documents if (s := document_stats(text)) is not None]
    if not measured:
        raise BabelforgeError(f"the reference holds no words ({len(documents)} document(s)): nothing to calibrate on")
    texts = [text for text, _ in measured]
    stats = {key: [s[key] for _, s in measured] for key in measured[0][1]}
    lined = [s for text, s in measured if lines_of(text) >= MIN_LINES]
    for key in LINE_STATS:  # single-line documents say nothing of lines: measured on the others, or not at all
        stats[key] = [s[key] for s in lined] if len(lined) >= MIN_LINED else []
    words = top_words(texts, stop_words)
    stats["stop_words"] = [stop_word_count(t, set(words)) for t in texts]
    stats["stop_word_share"] = [stop_word_share(t, set(words)) for t in texts]
    script = code.partition("_")[2]
    stats["foreign_script"] = [s for t in texts if (s := foreign_share(t, script)) is not None]
    frequent, min_coverage, stats["language_share"] = _language_shares(texts)
    return Measurements(code, texts, stats, words, frequent, min_coverage)


def _language_shares(texts: list[str]) -> tuple[list[str], float, list[float]]:
    """The frequent words, the segment floor and each text's language share (see quality_language)."""
    from babelforge.curate import quality_language as ql

    frequent = ql.frequent_words(texts)
    known = set(frequent)
    coverage = [c for text in texts for _, c in ql.segment_coverage(text, known)]
    floor = _floor(float(np.quantile(coverage, ql.SEGMENT_TAIL, method="lower"))) if coverage else 0.0
    return frequent, floor, [ql.language_share(text, known, floor) for text in texts]


def derive(
    m: Measurements, reference: str, bounds: Bounds = Bounds(), identifier: str | None = None
) -> qc.QualityConfig:
    """Thresholds from measurements, by the formulas of the module docstring."""
    from babelforge import __version__

    derivation = qc.Derivation(
        reference=reference, documents=len(m.texts), tail=bounds.tail, fence=bounds.fence, confidence=bounds.confidence,
        stop_words=len(m.stop_words), created=_today(), babelforge=__version__,
    )  # fmt: skip
    return qc.QualityConfig(
        language=m.language,
        derived_from=derivation,
        gopher_quality=_gopher(m.stats, bounds, m.stop_words),
        gopher_repetition=_repetition(m.stats, bounds),
        fineweb_quality=_fineweb(m.stats, bounds),
        c4=_c4(m.stats, bounds),
        stop_word_share=_share(m.stats, bounds),
        language_share=_language(m, bounds),
        script=_script(m.stats["foreign_script"], m.language, bounds),
        language_score=language_floor(m.texts, m.language, identifier) if identifier else None,
    )


def top_words(texts: list[str], n: int) -> list[str]:
    """The ``n`` words (with a letter) found in the most documents; ties by total count, then the word."""
    documents, total = Counter(), Counter()
    for text in texts:
        found = [w for w in TOKENIZER.word_tokenize(text) if any(c.isalpha() for c in w)]
        total.update(found)
        documents.update(set(found))
    return sorted(documents, key=lambda w: (-documents[w], -total[w], w))[:n]


def language_floor(texts: list[str], language: str, spec: str, k: int = 5) -> qc.LanguageScore:
    """FineWeb-2's floor ``max(0.3, min(0.9, median - std))`` of ``spec``'s scores for ``language``."""
    from babelforge.curate.identifiers import load_identifier

    identifier = load_identifier(spec)
    scores = [dict(identifier.predict(text, k)).get(language, 0.0) for text in texts]
    floor = max(0.3, min(0.9, float(np.median(scores) - np.std(scores))))
    return qc.LanguageScore(identifier=spec, min_score=_floor(floor), k=k)


def _gopher(stats: dict, b: Bounds, words: list[str]) -> qc.GopherQuality:
    default = qc.GopherQuality()
    return qc.GopherQuality(
        min_doc_words=max(1, int(b.lower(stats["words"]))),
        min_avg_word_length=b.lower(stats["avg_word_length"]),
        max_avg_word_length=b.upper(stats["avg_word_length"], share=False),
        max_symbol_word_ratio=b.upper(stats["symbol_word_ratio"], default.max_symbol_word_ratio),
        max_bullet_lines_ratio=b.upper(stats["bullet_lines_ratio"], default.max_bullet_lines_ratio),
        max_ellipsis_lines_ratio=b.upper(stats["ellipsis_lines_ratio"], default.max_ellipsis_lines_ratio),
        max_non_alpha_words_ratio=b.lower(stats["alpha_words_ratio"]),
        min_stop_words=int(b.lower(stats["stop_words"])),
        stop_words=words,
    )


def _repetition(stats: dict, b: Bounds) -> qc.GopherRepetition:
    default = qc.GopherRepetition()
    fields = ("dup_line_frac", "dup_para_frac", "dup_line_char_frac", "dup_para_char_frac")
    top, dup = dict(default.top_n_grams), dict(default.dup_n_grams)
    return qc.GopherRepetition(
        **{name: b.upper(stats[name], getattr(default, name)) for name in fields},
        top_n_grams=[(n, b.upper(stats[f"top_{n}_gram"], top[n])) for n in TOP_N_GRAMS],
        dup_n_grams=[(n, b.upper(stats[f"dup_{n}_gram"], dup[n])) for n in DUP_N_GRAMS],
    )


def _fineweb(stats: dict, b: Bounds) -> qc.FineWebQuality:
    default = qc.FineWebQuality()
    return qc.FineWebQuality(
        line_punct_thr=b.lower(stats["line_punct_ratio"]),
        short_line_thr=b.upper(stats["short_line_ratio"], default.short_line_thr),
        char_duplicates_ratio=b.upper(stats["char_dup_ratio"], default.char_duplicates_ratio),
        new_line_ratio=b.upper(stats["new_line_ratio"], default.new_line_ratio, share=False),
    )


def _c4(stats: dict, b: Bounds) -> qc.C4:
    sentences = int(b.lower(stats["sentences"]))
    return qc.C4(
        min_num_sentences=sentences if sentences >= 1 else -1,
        filter_curly_bracket=_never_at_the_edge(stats["curly_bracket"], b),
        filter_lorem_ipsum=_never_at_the_edge(stats["lorem_ipsum"], b),
    )


def _never_at_the_edge(flags: list[float], b: Bounds) -> bool:
    """A yes/no check stays on when fewer reference documents trip it than the edge's rank (its edge is 0)."""
    return sum(flags) < b.rank(len(flags))


def _share(stats: dict, b: Bounds) -> qc.StopWordShare | None:
    share = b.lower(stats["stop_word_share"])
    return qc.StopWordShare(min_share=share) if share > 0 else None


def _language(m: Measurements, b: Bounds) -> qc.LanguageShare | None:
    from babelforge.curate.quality_language import MAJORITY

    share = _floor(MAJORITY * float(np.median(m.stats["language_share"])))
    if share <= 0 or not m.frequent_words:
        return None
    return qc.LanguageShare(min_share=share, min_coverage=m.min_coverage, frequent_words=m.frequent_words)


def _script(shares: list[float], code: str, b: Bounds) -> qc.Script | None:
    if not shares:
        return None  # a script babelforge cannot check (see babelforge.augment.gate.SCRIPT_NAMES)
    return qc.Script(script=code.partition("_")[2], max_foreign_share=b.upper(shares, default=FOREIGN_SCRIPT))


def _ceil(value: float) -> float:
    return math.ceil(round(value * 1000, 6)) / 1000


def _floor(value: float) -> float:
    return math.floor(round(value * 1000, 6)) / 1000


def _today():
    from datetime import date

    return date.today()


def removals(config: qc.QualityConfig, texts: list[str]) -> Counter:
    """How many of ``texts`` the config's filters remove, per ``FILTER:REASON`` (the first filter to reject counts)."""
    from datatrove.data import Document

    from babelforge.curate.quality import QualityStep
    from babelforge.steps import Drop

    step, lost = QualityStep(config), Counter()
    for i, text in enumerate(texts):
        result = step.process(Document(text, str(i)))
        if isinstance(result, Drop):
            lost[result.reason] += 1
    return lost
