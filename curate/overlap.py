"""Word n-gram overlap with benchmark items: verbatim and lightly edited leaks, in any script.

Each item's folded words (:func:`~babelforge.curate.folding.normalized_words`) are cut into
n-grams of ``n = min(ngram, max(min_ngram, words // 3))`` words: 13 for long items, fewer for short
ones, so that an item with a few words changed still shares whole n-grams with its copy. The n-grams
only find candidates: an item whose n-grams found close together in the text (within one window about
the item's length) cover at least :data:`CANDIDATE_SHARE` of its words is then aligned with that
stretch of the text, and its *overlap* is the share of the item's words the text repeats in order
(difflib's matching blocks): a changed, dropped or added word costs one word, and a long document that
holds a few of an item's phrases far apart does not repeat it. A record repeats an item when the
overlap reaches ``threshold`` (0.75, set with ``benchmarks/curate_decontaminate.py``).

Items shorter than ``min_ngram`` words are found whole: a text whose folded words are exactly the
item's, or a sentence of a text, when the item has at least :data:`SENTENCE_WORDS` words (a sentence as
common as "How about you?" inside a document says nothing).

A short item has too few n-grams for one changed word to leave any: an item of ``edit_words`` (4) words
or more, and shorter than two of its n-grams, is also found *one edit away*: a text, or a sentence of a
text, that is the item with one word replaced, dropped or added (apostrophes left out: "I'm", "Im").
Candidates come from symmetric deletion keys (each word sequence and its copies with one word left
out, SymSpell's method: two sequences one edit apart share a key), checked with difflib; the score is
the share of the longer side's words in order (0.75 for four words, one changed). A sentence one edit
away from two or more items is a common pattern ("I don't want to today." from "I don't want to go.",
"... to talk." ...), not a leak of any of them.

N-grams are 64-bit hashes, looked up with ``numpy.searchsorted`` in one sorted table per n: a text
costs a few vector operations per distinct n, whatever the number of items.

Example:
    >>> index = NgramIndex(["the quick brown fox jumps over the lazy dog near the river bank"], min_ngram=4)
    >>> index.find("Yesterday THE quick brown fox jumped over the lazy dog, near the river bank.")
    [(0, 0.923)]
"""

from __future__ import annotations

from collections import defaultdict

import numpy as np

from babelforge.curate.folding import normalized_words, sentences

NGRAM = 13
MIN_NGRAM = 5
THRESHOLD = 0.75
#: The share of an item's words its matched n-grams must cover before the text is aligned with it.
CANDIDATE_SHARE = 0.2
#: The fewest words an item needs to be found as one sentence of a longer text.
SENTENCE_WORDS = 4
#: The fewest words an item needs to be found one word edit away (replaced, dropped or added).
EDIT_WORDS = 4
_PRIME = np.uint64(0x9E3779B97F4A7C15)
_MASK = (1 << 64) - 1


def item_ngram(words: int, ngram: int = NGRAM, min_ngram: int = MIN_NGRAM) -> int:
    """The n-gram length used for an item of ``words`` words (0: the item is matched only whole)."""
    if words < min_ngram:
        return 0
    return min(ngram, max(min_ngram, words // 3))


def _ids(words: list[str]) -> np.ndarray:
    return np.fromiter((hash(w) & _MASK for w in words), dtype=np.uint64, count=len(words))


def ngram_hashes(ids: np.ndarray, n: int) -> np.ndarray:
    """One 64-bit hash per n-gram of the token hashes ``ids`` (position ``i``: words ``i .. i+n-1``)."""
    count = len(ids) - n + 1
    if count <= 0:
        return np.zeros(0, dtype=np.uint64)
    hashes = ids[:count].copy()
    with np.errstate(over="ignore"):
        for j in range(1, n):
            hashes = hashes * _PRIME + ids[j : j + count]
    return hashes


class NgramIndex:
    """The n-grams of benchmark items; :meth:`find` says which items a text repeats, and how much.

    Args:
        items: the items' texts.
        ngram: the longest n-gram (for long items).
        min_ngram: the shortest; items with fewer words are matched only whole.
        threshold: the share of an item's words a text must cover to repeat it.
    """

    def __init__(self, items: list[str], ngram: int = NGRAM, min_ngram: int = MIN_NGRAM,
                 threshold: float = THRESHOLD, edit_words: int = EDIT_WORDS):  # fmt: skip
        self.threshold = threshold
        self.edits = EditIndex()
        self.lengths = np.zeros(len(items), dtype=np.int64)
        self.words: list[tuple[str, ...]] = []
        self.sizes = np.zeros(len(items), dtype=np.int64)
        self._whole: dict[int, list[int]] = defaultdict(list)
        self._sentence: dict[int, list[int]] = defaultdict(list)
        rows: dict[int, list[tuple[np.ndarray, int]]] = defaultdict(list)
        for number, text in enumerate(items):
            words = normalized_words(text)
            self.words.append(tuple(words))
            self.lengths[number] = len(words)
            if words:
                self._whole[hash(tuple(words))].append(number)
            if len(words) >= SENTENCE_WORDS:
                self._sentence[hash(tuple(words))].append(number)
            n = self.sizes[number] = item_ngram(len(words), ngram, min_ngram)
            if edit_words and edit_words <= len(words) < 2 * max(n, min_ngram):
                self.edits.add(words, number)
            if n:
                rows[n].append((ngram_hashes(_ids(words), n), number))
        self._tables = {n: _table(found) for n, found in sorted(rows.items())}

    def find(self, text: str) -> list[tuple[int, float]]:
        """``(item, overlap)`` for each item ``text`` repeats (overlap >= threshold), by item number."""
        words = normalized_words(text)
        found = {item: 1.0 for item in self._whole_matches(text, words)}
        for item, score in self.edits.find([words, *(normalized_words(s) for s in sentences(text))]):
            found.setdefault(item, score)
        ids = _ids(words)
        for n, (keys, owners, starts) in self._tables.items():
            for item, pairs in _matches(ngram_hashes(ids, n), keys, owners, starts).items():
                if item in found:
                    continue
                covered, first, last = _coverage(pairs, n, int(self.lengths[item]))
                if covered < CANDIDATE_SHARE:
                    continue
                score = _aligned(self.words[item], words, first, last + n)
                if score >= self.threshold:
                    found[item] = round(score, 3)
        return sorted(found.items())

    def _whole_matches(self, text: str, words: list[str]) -> set[int]:
        found = set(self._whole.get(hash(tuple(words)), ()))
        for sentence in sentences(text):
            found.update(self._sentence.get(hash(tuple(normalized_words(sentence))), ()))
        return found


class EditIndex:
    """Short items found one word edit away from a word sequence (see the module docstring)."""

    def __init__(self):
        self.keys: dict[tuple[str, ...], set[int]] = defaultdict(set)
        self.words: dict[int, tuple[str, ...]] = {}
        self.longest = 0

    def add(self, words: list[str], number: int) -> None:
        own = _bare(words)
        self.words[number] = own
        self.longest = max(self.longest, len(own))
        for key in _deletions(own):
            self.keys[key].add(number)

    def find(self, sequences: list[list[str]]) -> list[tuple[int, float]]:
        """``(item, score)`` of each item one edit away from one of ``sequences`` (best score per item)."""
        found: dict[int, float] = {}
        for sequence in sequences:
            if not self.keys or not 1 < len(sequence) <= self.longest + 1:
                continue
            own = _bare(sequence)
            near = {n for key in _deletions(own) for n in self.keys.get(key, ())}
            scored = [(n, score) for n in near if (score := _one_edit(self.words[n], own))]
            if len(scored) == 1:  # one edit from several items: a common pattern ("I don't want to ..."), no leak
                number, score = scored[0]
                found[number] = max(found.get(number, 0.0), score)
        return sorted(found.items())


def _bare(words: list[str]) -> tuple[str, ...]:
    """Words with their apostrophes left out (an edit that drops punctuation turns "I'm" into "Im")."""
    return tuple(bare for w in words if (bare := w.replace("'", "")))


def _deletions(words: tuple[str, ...]) -> set[tuple[str, ...]]:
    return {words, *(words[:i] + words[i + 1 :] for i in range(len(words)))}


def _one_edit(item: tuple[str, ...], text: tuple[str, ...]) -> float:
    """The share of the longer side's words that both hold in order, where they are one edit apart; else 0."""
    from difflib import SequenceMatcher

    longest = max(len(item), len(text))
    same = sum(b.size for b in SequenceMatcher(None, item, text, autojunk=False).get_matching_blocks())
    return round(same / longest, 3) if same >= longest - 1 and abs(len(item) - len(text)) <= 1 else 0.0


def _table(found: list[tuple[np.ndarray, int]]) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Keys sorted, with the item and start position of each."""
    keys = np.concatenate([hashes for hashes, _ in found])
    owners = np.concatenate([np.full(len(hashes), item, dtype=np.int64) for hashes, item in found])
    starts = np.concatenate([np.arange(len(hashes), dtype=np.int64) for hashes, _ in found])
    order = np.argsort(keys, kind="stable")
    return keys[order], owners[order], starts[order]


def _matches(hashes: np.ndarray, keys: np.ndarray, owners: np.ndarray, starts: np.ndarray) -> dict[int, list]:
    """``{item: [(start in item, start in text), ...]}`` for the text n-grams found in the table."""
    if not len(hashes) or not len(keys):
        return {}
    left = np.searchsorted(keys, hashes, side="left")
    right = np.searchsorted(keys, hashes, side="right")
    hit = np.nonzero(right > left)[0]
    pairs: dict[int, list] = defaultdict(list)
    for position in hit:
        for k in range(left[position], right[position]):
            pairs[int(owners[k])].append((int(starts[k]), int(position)))
    return pairs


def _coverage(pairs: list[tuple[int, int]], n: int, length: int) -> tuple[float, int, int]:
    """The largest share of the item's words covered by matched n-grams lying within one window of the text,
    and where in the text that window's first and last n-grams start.

    The window is the item's length and half again (edits insert words); it slides over the matches
    in text order, adding and removing each n-gram's words from a count per item word.
    """
    pairs.sort(key=lambda pair: pair[1])
    width = length + max(length // 2, n)
    counts = np.zeros(length, dtype=np.int64)
    covered = best = first = 0
    span = (pairs[0][1], pairs[0][1])
    for item_start, text_start in pairs:
        covered += _add(counts, item_start, n, 1)
        while text_start - pairs[first][1] > width - n:
            covered -= _add(counts, pairs[first][0], n, -1)
            first += 1
        if covered > best:
            best, span = covered, (pairs[first][1], text_start)
    return (best / length if length else 0.0), span[0], span[1]


def _aligned(item: tuple[str, ...], text: list[str], start: int, end: int) -> float:
    """The share of the item's words that the text repeats in order around ``text[start:end]``.

    The matched region is widened by the item's length on both sides (a changed word at either end of
    the item is still looked for), and the words in order are counted with difflib's matching blocks:
    a changed, dropped or added word costs one word, where it cost a whole n-gram of coverage.
    """
    from difflib import SequenceMatcher

    window = text[max(start - len(item), 0) : end + len(item)]
    blocks = SequenceMatcher(None, item, window, autojunk=False).get_matching_blocks()
    return sum(block.size for block in blocks) / len(item)


def _add(counts: np.ndarray, start: int, n: int, step: int) -> int:
    """Add ``step`` to the counts of words ``start .. start+n-1``; return how many became (un)covered."""
    window = counts[start : start + n]
    before = int(np.count_nonzero(window))
    window += step
    return (int(np.count_nonzero(window)) - before) * step
