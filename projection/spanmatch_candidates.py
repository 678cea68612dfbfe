"""Where ``spanmatch`` may place a span: a target text cut into tokens, and its candidate spans.

A candidate is a run of target tokens that begins and ends on a word (:mod:`babelforge.words`), no
longer than the longest source span times the pair's tokens per source token, plus a few; edges also
fall at an inner apostrophe, take in a suspended hyphen and close a bracket, and never cut the words a
middle dot joins. Lexical units are the target's words, except in text written without spaces between
words where tokens are single characters (Han, kana): there ICU's dictionary words are the units.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import regex

from babelforge.words import is_word, word_spans

#: Scripts written without spaces whose tokens are single characters (ICU's dictionary words are the units).
CHARACTER_SCRIPTS = regex.compile(r"[\p{Han}\p{Hiragana}\p{Katakana}]")
_APOSTROPHE = regex.compile(r"(?<=\w)['’](?=\w)")
#: A middle dot between two letters (no space): it joins the parts of one name or word.
_NAME_DOT = regex.compile(r"(?<=\w)[\u00b7\u30fb\u2027\u2022\uff65](?=\w)")
_HYPHENS = frozenset("-\u2010")
#: Opening brackets and their partners.
_BRACKETS = dict(zip("([{（【「『《〈«‹", ")]}）】」』》〉»›", strict=True))
_PARTNER = {close: open_ for open_, close in _BRACKETS.items()}
#: Candidates run up to this many times the longest source span's tokens (times the pair's spread).
WIDEN = 1.5
#: The most target tokens per source token that widens candidates. Real pairs stay under 2.5 (XQuAD's
#: Chinese, a token per character: 2.46 at most); a target far longer than its source is a translation
#: that ran on (an MT loop), and without a bound its candidates grow with the square of its length (one
#: source word against 400 target words: 60,000 candidates, half a minute).
MAX_SPREAD = 4.0


@dataclass
class Target:
    """A target text cut into tokens, with the lexical unit each word token belongs to."""

    text: str
    spans: list[tuple[int, int]]
    wordy: np.ndarray  # bool per token: holds a letter or digit
    units: list[str]  # lexical units, embedded alone
    unit_of: np.ndarray  # per token: index into units, -1 for punctuation
    edges: frozenset[int] | None  # unit edges where tokens are finer than units; None: every token edge


@dataclass
class Candidates:
    """Every candidate span of one target: token index of its first and last token, character offsets."""

    first: np.ndarray
    last: np.ndarray
    start: np.ndarray
    end: np.ndarray

    def __len__(self) -> int:
        return len(self.first)

    def subset(self, keep) -> Candidates:
        return Candidates(self.first[keep], self.last[keep], self.start[keep], self.end[keep])


def prepare_target(text: str) -> Target:
    """Tokens, word flags and lexical units of a target text."""
    spans = word_spans(text)
    wordy = np.array([is_word(text[a:b]) for a, b in spans], dtype=bool)
    if CHARACTER_SCRIPTS.search(text) is None:
        units = [text[a:b] for (a, b), w in zip(spans, wordy, strict=True) if w]
        unit_of = np.where(wordy, np.cumsum(wordy) - 1, -1)
        return Target(text, spans, wordy, units, unit_of, None)
    segments = _icu_segments(text)
    starts = [a for a, _ in segments]
    unit_of, units, index = np.full(len(spans), -1), [], {}
    for t, (a, _) in enumerate(spans):
        if wordy[t]:
            s = max(0, int(np.searchsorted(starts, a, side="right")) - 1)
            unit_of[t] = index.setdefault(s, len(index))
            if len(units) < len(index):
                units.append(text[segments[s][0] : segments[s][1]].strip() or text[a : spans[t][1]])
    edges = frozenset(x for segment in segments for x in segment)
    return Target(text, spans, wordy, units, unit_of, edges)


def _icu_segments(text: str) -> list[tuple[int, int]]:
    """ICU's word segments of ``text`` (code-point offsets), or one segment per token without ICU."""
    try:
        from icu4py.breakers import WordBreaker
    except ImportError:
        return word_spans(text)
    points, index = {0: 0}, 0
    for i, character in enumerate(text, 1):  # ICU counts UTF-16 code units
        index += 2 if character > "\uffff" else 1
        points[index] = i
    return [(points.get(a, 0), points.get(b, len(text))) for a, b in WordBreaker(text, "").segments()]


def candidates(target: Target, longest: int, spread: float, extra_words: int) -> Candidates:
    """Every run of target tokens that begins and ends on a word, up to ``WIDEN * longest * spread +
    extra_words`` tokens (names written in another script, or answers, often take more words; ``spread``
    at most :data:`MAX_SPREAD`).

    A word with an inner apostrophe also gives an edge at it: Turkish writes case endings after one
    (``Steelers'ı``), French and Italian elide before one (``l'Europe``). No candidate cuts the words
    that a middle dot joins.
    """
    n, width = len(target.spans), round(WIDEN * longest * min(spread, MAX_SPREAD)) + extra_words
    firsts, lasts = [], []
    for i in np.flatnonzero(target.wordy):
        for j in range(i, min(n, i + width)):
            if target.wordy[j]:
                firsts.append(i)
                lasts.append(j)
    first, last = np.array(firsts, dtype=int), np.array(lasts, dtype=int)
    offsets = np.array(target.spans, dtype=int).reshape(-1, 2)
    start, end = (offsets[first, 0], offsets[last, 1]) if n else (first, last)
    cands = _apostrophe_cuts(target, _hyphens_and_brackets(target, Candidates(first, last, start, end)))
    dots = {m.start() for m in _NAME_DOT.finditer(target.text)}
    return cands.subset(_whole_at_dots(dots, cands)) if dots else cands


def _hyphens_and_brackets(target: Target, cands: Candidates) -> Candidates:
    """Candidates that take in a suspended hyphen after their last word, and close their brackets.

    A word followed directly by a hyphen and then a space is a word cut short, as before a conjunction,
    and keeps its hyphen (German ``Struktur- und Kohäsionsfonds``, Dutch ``land- en tuinbouw``, Czech
    ``vnitro- a zahraniční``); such a word is no candidate without it. A candidate that leaves a bracket
    open takes its partner just after it (``Komitee für Normung ( CEN )``, ``《终结战争的机器》``), and
    one that closes a bracket it did not open, the opening one just before it; one level each way.
    """
    tokens = [target.text[a:b] for a, b in target.spans]
    n = len(tokens)
    if not n or not len(cands):
        return cands
    offsets = np.array(target.spans, dtype=int).reshape(-1, 2)
    text = target.text
    suspended = np.zeros(n + 1, dtype=bool)
    for t in range(n - 1):
        after = offsets[t + 1, 1]
        suspended[t] = (target.wordy[t] and tokens[t + 1] in _HYPHENS and offsets[t + 1, 0] == offsets[t, 1]
                        and (after == len(text) or text[after].isspace()))  # fmt: skip
    first, last = cands.first.copy(), np.where(suspended[cands.last], cands.last + 1, cands.last)
    bracket = np.concatenate([[0], np.cumsum([t in _BRACKETS or t in _PARTNER for t in tokens])])
    for c in np.flatnonzero(bracket[cands.last + 1] > bracket[cands.first]).tolist():
        opened, stray = _unmatched(tokens[cands.first[c] : cands.last[c] + 1])
        j, i = int(cands.last[c]) + 1, int(cands.first[c]) - 1
        if opened and j < n and tokens[j] == _BRACKETS[opened[-1]]:
            last[c] = j
        if stray and i >= 0 and tokens[i] == _PARTNER[stray[0]]:
            first[c] = i
    if (last == cands.last).all() and (first == cands.first).all():
        return cands
    return Candidates(first, last, offsets[first, 0], offsets[last, 1])


def _unmatched(tokens: list[str]) -> tuple[list[str], list[str]]:
    """The opening brackets left open in ``tokens``, and the closing ones that close nothing."""
    opened, stray = [], []
    for token in tokens:
        if token in _BRACKETS:
            opened.append(token)
        elif token in _PARTNER:
            if opened and _BRACKETS[opened[-1]] == token:
                opened.pop()
            else:
                stray.append(token)
    return opened, stray


def _whole_at_dots(joined: set[int], cands: Candidates) -> np.ndarray:
    """Which candidates keep whole the words a middle dot at ``joined`` joins (Chinese ``卡万·肖特`` for
    Kawann Short, Japanese ``ジョン・エルウェイ``, Catalan ``col·lecció``): none may end just before one or
    start just after."""
    ends_at_dot = np.array([e in joined for e in cands.end.tolist()], dtype=bool)
    starts_after_dot = np.array([s - 1 in joined for s in cands.start.tolist()], dtype=bool)
    return ~(ends_at_dot | starts_after_dot)


def _apostrophe_cuts(target: Target, cands: Candidates) -> Candidates:
    """Add, for candidates edged by a word with an inner apostrophe, the variants cut at it."""
    ends, starts = {}, {}
    for t, (a, b) in enumerate(target.spans):
        found = _APOSTROPHE.search(target.text, a, b)
        if found and target.wordy[t] and found.start() > a:  # inside the token, not at its start
            if b - found.end() <= 5:  # a case ending: 'ı, 'da, 'nın
                ends[t] = found.start()
            if found.start() - a <= 4:  # an elided article or preposition: l', dell', d'
                starts[t] = found.end()
    if not ends and not starts:
        return cands
    cut_end = np.array([t in ends for t in cands.last.tolist()], dtype=bool)
    cut_start = np.array([t in starts for t in cands.first.tolist()], dtype=bool)
    extra_end = cands.subset(cut_end)
    extra_end.end = np.array([ends[t] for t in extra_end.last.tolist()], dtype=int)
    extra_start = cands.subset(cut_start)
    extra_start.start = np.array([starts[t] for t in extra_start.first.tolist()], dtype=int)
    extra_start = extra_start.subset(extra_start.start < extra_start.end)
    parts = (cands, extra_end, extra_start)
    return Candidates(*(np.concatenate([getattr(c, f) for c in parts]) for f in ("first", "last", "start", "end")))
