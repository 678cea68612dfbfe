"""Function words of any language, found in the text at hand: no list written by hand for a language.

Function words (articles, prepositions, pronouns, auxiliaries, conjunctions) are a closed class with
three traits a corpus shows in any language (Zipf; Manning and Schütze ch. 1):

- **frequent**: they make up the head of the frequency list; a word qualifies when it is among the
  most frequent types that together cover :data:`COVERAGE` of the running words, or, further down
  to :data:`EXTENDED`, when it is also **short**: no longer (in grapheme clusters) than the mean of
  those found in the head plus :data:`SHORTER` (Zipf's law of abbreviation: ``by``, ``was``, ``can``
  in a sample where ``report`` is as frequent);
- **spread evenly**: they occur in every stretch of text, where a topic word (``safety`` in a debate
  on safety) comes in bursts. The texts are cut into :data:`STRETCHES` consecutive stretches; a word
  qualifies when it occurs in at least :data:`MIN_SPREAD` of the stretches its count lets it reach;
- **not names**: in a script with case, they are written in lower case inside a sentence; a word
  capitalised in most of its non-initial occurrences (``Commission``, and every German noun) is not
  one.

Which way they attach is read from the same text: where function words open sentences more often than
they close them (articles, prepositions, pronouns: English, German, French, Swahili), a function word
governs the phrase that follows it (:attr:`FunctionWords.governs_right`); where they close them more
often (postpositions, particles, final auxiliaries: Hindi, Japanese, Turkish), the phrase before it.

Words are case-folded (``str.lower``) tokens of :mod:`babelforge.words`, letters and marks only.

Example:
    >>> nouns, verbs = "cat dog bird fish cow goat hen pig fox owl ant bee".split(), "saw met fed hid led bit".split()
    >>> texts = [f"The {nouns[i // 6]} {verbs[i // 11]} a {nouns[i // 6 + 1]}." for i in range(66)]  # topics in bursts
    >>> found = FunctionWords.derive(texts)
    >>> sorted(found.words), found.governs_right
    (['a', 'the'], True)
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass

import regex

from babelforge.words import is_alphabetic, word_spans

#: Share of the running words that the head of the frequency list covers (in 150 Europarl sentences,
#: English's commonest words that cover half the running words are nearly all function words).
COVERAGE = 0.5
#: How far down the frequency list (as a share of running words) a short word may still qualify.
EXTENDED = 0.65
#: How much longer than the head's function words, on average, such a short word may be.
SHORTER = 0.5

#: How many consecutive stretches the texts are cut into to measure how evenly a word is spread.
STRETCHES = 10
#: Share of the reachable stretches a function word occurs in.
MIN_SPREAD = 0.6
#: A word seen fewer times than this is never called a function word (no evidence either way).
MIN_COUNT = 3
#: Fewer running words than this show no function words (a few near-identical sentences would make
#: their every word frequent and evenly spread): none is found, and every word counts as content.
MIN_WORDS = 300


@dataclass(frozen=True)
class FunctionWords:
    """A language's function words (lower-cased), as found in a sample of its text."""

    words: frozenset[str]
    #: Whether a function word governs the words after it (head-initial) rather than those before it.
    governs_right: bool = True

    def __contains__(self, word: str) -> bool:
        return word.lower() in self.words

    def __len__(self) -> int:
        return len(self.words)

    @classmethod
    def derive(cls, texts: Iterable[str], coverage: float = COVERAGE) -> FunctionWords:
        """Find the function words of ``texts`` (one language) by frequency, spread and case.

        Args:
            texts: sentences or documents of one language, in their order (the spread is measured
                over consecutive stretches of them).
            coverage: the share of running words the candidates' head of the frequency list covers.

        Returns:
            The function words; empty for text too short to show any.
        """
        stats = _WordStats.of(list(texts))
        if sum(stats.counts.values()) < MIN_WORDS:
            return cls(frozenset(), True)
        core = {w for w in stats.head(coverage) if stats.closed_class(w)}
        if core:
            short = sum(map(_clusters, core)) / len(core) + SHORTER
            core |= {w for w in stats.head(max(coverage, EXTENDED)) if _clusters(w) <= short and stats.closed_class(w)}
        return cls(frozenset(core), stats.governs_right(frozenset(core)))

    @classmethod
    def translated(cls, words: FunctionWords, lexicon) -> FunctionWords:
        """The other language's side: the lexicon's translations of these function words."""
        return cls(frozenset(t.lower() for w in words.words if w in lexicon for t in lexicon[w]), words.governs_right)


class _WordStats:
    """Counts, stretches and capitalisation of each case-folded word of a sample."""

    def __init__(self) -> None:
        self.counts: Counter[str] = Counter()
        self.stretches: dict[str, set[int]] = {}
        self.inner: Counter[str] = Counter()  # occurrences not first in their text
        self.capitalised: Counter[str] = Counter()  # of those, written with a capital
        self.sequences: list[list[str]] = []

    @classmethod
    def of(cls, texts: list[str]) -> _WordStats:
        stats = cls()
        for number, text in enumerate(texts):
            stretch = number * STRETCHES // max(len(texts), 1)
            first, sequence = True, []
            for a, b in word_spans(text):
                token = text[a:b]
                if not is_alphabetic(token):
                    first = first and not token.isalnum()
                    continue
                stats.add(token, stretch, first)
                sequence.append(token.lower())
                first = False
            stats.sequences.append(sequence)
        return stats

    def add(self, token: str, stretch: int, first: bool) -> None:
        word = token.lower()
        self.counts[word] += 1
        self.stretches.setdefault(word, set()).add(stretch)
        if not first and token != token.upper():  # a cased script, inside a sentence
            self.inner[word] += 1
            self.capitalised[word] += token[0] != word[0]

    def head(self, coverage: float) -> list[str]:
        """The most frequent words, in order, until they cover ``coverage`` of all words."""
        total, covered, head = sum(self.counts.values()), 0, []
        for word, count in self.counts.most_common():
            if covered >= coverage * total or count < MIN_COUNT:
                break
            head.append(word)
            covered += count
        return head

    def governs_right(self, words: frozenset[str]) -> bool:
        """Whether function words open sentences more often than they close them (``The ...``, ``... です``)."""
        opening = sum(sequence[0] in words for sequence in self.sequences if sequence)
        closing = sum(sequence[-1] in words for sequence in self.sequences if sequence)
        return opening >= closing

    def closed_class(self, word: str) -> bool:
        count = self.counts[word]
        reachable = min(count, STRETCHES)
        if len(self.stretches[word]) < MIN_SPREAD * reachable:
            return False
        inner = self.inner[word]
        return not inner or self.capitalised[word] <= inner / 2


def _clusters(word: str) -> int:
    return len(_CLUSTER.findall(word))


_CLUSTER = regex.compile(r"\X")
