"""The values datatrove's quality filters compare with their thresholds, measured on one document.

Each value is computed as the filter computes it (datatrove's own helpers where it has them, the
same line and paragraph splits, the same denominators), with :class:`QualityTokenizer`'s words, so
that a threshold set at a quantile of these values removes what the filter will remove. Names:

- Gopher quality: ``words`` (its non-symbol words), ``avg_word_length``, ``symbol_word_ratio`` (the
  larger of the ``#`` and the ellipsis ratio: one threshold serves both), ``bullet_lines_ratio``,
  ``ellipsis_lines_ratio`` (lines ending in an ellipsis), ``alpha_words_ratio``;
- Gopher repetition: ``dup_para_frac``, ``dup_para_char_frac``, ``dup_line_frac``, ``dup_line_char_frac``,
  ``top_N_gram`` (N = 2..4) and ``dup_N_gram`` (N = 5..10), each a share of the document's characters;
- FineWeb quality: ``line_punct_ratio``, ``short_line_ratio``, ``char_dup_ratio``, ``new_line_ratio``;
- C4: ``sentences`` (over non-blank lines), ``curly_bracket`` and ``lorem_ipsum`` (0 or 1).

:func:`stop_word_count`, :func:`stop_word_share` and :func:`foreign_share` need the stop words or the
script, so they stand apart.
"""

from __future__ import annotations

import re

import numpy as np
from datatrove.pipeline.filters.gopher_repetition_filter import (
    find_all_duplicate,
    find_duplicates,
    find_top_duplicate,
    get_n_grams,
)
from datatrove.utils.text import PUNCTUATION_SET, TERMINAL_PUNCTUATION, split_into_sentences

from babelforge.curate.quality_words import QualityTokenizer

#: Statistics of a document's lines and paragraphs: a document of one or two lines says nothing of them.
LINE_STATS = (
    "bullet_lines_ratio", "ellipsis_lines_ratio", "dup_para_frac", "dup_para_char_frac", "dup_line_frac",
    "dup_line_char_frac", "line_punct_ratio", "short_line_ratio", "char_dup_ratio", "new_line_ratio",
)  # fmt: skip
#: Non-blank lines a document needs for its :data:`LINE_STATS` to count in a calibration.
MIN_LINES = 3
TOP_N_GRAMS = (2, 3, 4)
DUP_N_GRAMS = (5, 6, 7, 8, 9, 10)
#: FineWeb's line length at or under which a line is short (datatrove's default).
SHORT_LINE = 30
_PARAGRAPH, _LINES = re.compile(r"\n{2,}"), re.compile("\n+")
_STOP_CHARS = tuple(TERMINAL_PUNCTUATION)
TOKENIZER = QualityTokenizer()


def document_stats(text: str) -> dict[str, float] | None:
    """Every filter value of ``text``; ``None`` for a text without words (no ratio is defined)."""
    words = TOKENIZER.word_tokenize(text)
    if not words:
        return None
    return {**_gopher_quality(text, words), **_repetition(text, words), **_fineweb(text, words), **_c4(text)}


def lines_of(text: str) -> int:
    """How many non-blank lines ``text`` has."""
    return sum(1 for line in text.split("\n") if line.strip())


def stop_word_count(text: str, stop_words: set[str]) -> int:
    """How many distinct stop words ``text`` holds, as Gopher counts them."""
    return len(stop_words.intersection(TOKENIZER.word_tokenize(text)))


def stop_word_share(text: str, stop_words: set[str]) -> float:
    """The share of the words of ``text`` that are stop words (0 for a text without words)."""
    found = TOKENIZER.word_tokenize(text)
    return sum(w in stop_words for w in found) / len(found) if found else 0.0


def foreign_share(text: str, script: str) -> float | None:
    """The share of letters outside ``script`` (``None``: no letters, or a script babelforge cannot check)."""
    from babelforge.augment.gate import foreign_script_share

    return foreign_script_share(text, script)


def _gopher_quality(text: str, words: list[str]) -> dict[str, float]:
    plain = [w for w in words if any(ch not in PUNCTUATION_SET for ch in w)]
    lines = text.splitlines() or [text]
    symbols = max(text.count("#"), text.count("...") + text.count("…"))
    return {
        "words": len(plain),
        "avg_word_length": float(np.mean([len(w) for w in plain])) if plain else 0.0,
        "symbol_word_ratio": symbols / len(words),
        "bullet_lines_ratio": sum(s.lstrip().startswith(("•", "-")) for s in lines) / len(lines),
        "ellipsis_lines_ratio": sum(s.rstrip().endswith(("...", "…")) for s in lines) / len(lines),
        "alpha_words_ratio": sum(any(c.isalpha() for c in w) for w in words) / len(words),
    }


def _repetition(text: str, words: list[str]) -> dict[str, float]:
    paragraphs = _PARAGRAPH.split(text.strip())
    lines = _LINES.split(text)
    para_dups, para_chars = find_duplicates(paragraphs)
    line_dups, line_chars = find_duplicates(lines)
    values = {
        "dup_para_frac": para_dups / len(paragraphs),
        "dup_para_char_frac": para_chars / len(text),
        "dup_line_frac": line_dups / len(lines),
        "dup_line_char_frac": line_chars / len(text),
    }
    for n in TOP_N_GRAMS:
        grams = get_n_grams(words, n)
        values[f"top_{n}_gram"] = find_top_duplicate(grams) / len(text) if grams else 0.0
    for n in DUP_N_GRAMS:
        values[f"dup_{n}_gram"] = find_all_duplicate(words, n) / len(text)
    return values


def _fineweb(text: str, words: list[str]) -> dict[str, float]:
    lines = [line for line in text.split("\n") if line.strip()]
    flat = len(text.replace("\n", "")) or 1
    return {
        "line_punct_ratio": sum(line.endswith(_STOP_CHARS) for line in lines) / len(lines),
        "short_line_ratio": sum(len(line) <= SHORT_LINE for line in lines) / len(lines),
        "char_dup_ratio": find_duplicates(lines)[1] / flat,
        "new_line_ratio": text.count("\n") / len(words),
    }


def _c4(text: str) -> dict[str, float]:
    lines = [line.strip() for line in text.splitlines() if line.strip()]
    lowered = text.lower()
    return {
        "sentences": sum(len(split_into_sentences(line, TOKENIZER)) for line in lines),
        "curly_bracket": float("{" in text),
        "lorem_ipsum": float("lorem ipsum" in lowered),
    }
