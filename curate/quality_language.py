"""How much of a document is written in the language, judged by the reference corpus's own frequent words.

Gopher's stop-word checks count words of the language anywhere in a document, so one headline of
the language inside a page of navigation text in another language passes them. FineWeb-2 scores
documents by how many of their words belong to the language (its precision filtering counts words
seen almost only in that language); with a reference of one language only, the words a reference
offers are its *frequent* ones, and the unit that can be judged is a piece of the document:

- **frequent words**: the folded words (:func:`babelforge.curate.folding.fold`: case and the accents
  of Latin, Greek and Cyrillic letters dropped, since tone marks are written by one publisher and
  left out by the next) that, most frequent first, make up :data:`COVER` of the reference's words;
- a **segment**: a line, or a sentence within one (``QualityTokenizer``'s sentences); its
  *coverage* is the share of its words (with a letter) that are frequent words;
- a segment is **in the language** when its coverage reaches ``min_coverage``, the
  :data:`SEGMENT_TAIL` quantile of the reference segments' coverage (each segment counted once, so
  a long foreign list inside one reference article does not move it much), and it holds at least
  one frequent word;
- a document's **language share** is the share of its words that stand in segments in the language.

Clean text of the language scores near 1; navigation, cookie and sharing lines in another language
around one sentence of the language score near that sentence's share of the words. The document
threshold is derived like every other lower bound (:mod:`~babelforge.curate.calibrate`).

Example:
    >>> frequent = {"ni", "ti", "awon"}
    >>> round(language_share("Awọn ti ni o.\\nPrivacy Policy · Terms of Use\\nRead more", frequent, 0.3), 2)
    0.36
"""

from __future__ import annotations

from collections import Counter

from babelforge.curate.folding import fold
from babelforge.curate.quality_stats import TOKENIZER
from babelforge.words import words

#: Share of the reference's words the frequent words make up.
COVER = 0.5
#: Quantile of the reference segments' coverage under which a segment is not in the language.
SEGMENT_TAIL = 0.05
#: A document keeps at least this share of the reference's median language share (most of its words).
MAJORITY = 0.5


def folded_words(text: str) -> list[str]:
    """The folded words of ``text`` that hold a letter."""
    return [w for w in words(fold(text)) if any(c.isalpha() for c in w)]


def frequent_words(texts: list[str], cover: float = COVER) -> list[str]:
    """The most frequent folded words that together make up ``cover`` of the words of ``texts`` (ties by the word)."""
    counts = Counter(w for text in texts for w in folded_words(text))
    total, chosen, reached = sum(counts.values()), [], 0
    for word, n in sorted(counts.items(), key=lambda item: (-item[1], item[0])):
        if reached >= cover * total:
            break
        chosen.append(word)
        reached += n
    return chosen


def segment_coverage(text: str, frequent: set[str]) -> list[tuple[int, float]]:
    """``(words, coverage)`` of each segment of ``text`` that holds a word."""
    found = []
    for segment in TOKENIZER.sent_tokenize(text):
        seen = folded_words(segment)
        if seen:
            found.append((len(seen), sum(w in frequent for w in seen) / len(seen)))
    return found


def language_share(text: str, frequent: set[str], min_coverage: float) -> float:
    """The share of the words of ``text`` in segments whose coverage reaches ``min_coverage`` and is above 0
    (0: no words)."""
    segments = segment_coverage(text, frequent)
    total = sum(n for n, _ in segments)
    return sum(n for n, c in segments if c >= min_coverage and c > 0) / total if total else 0.0
