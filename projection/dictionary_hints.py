"""Chain-of-dictionary hints for LLM translation (Lu et al. 2023, "Chain-of-Dictionary Prompting Elicits
Translation in Large Language Models").

For the words of a source text that a lexicon knows, the translation prompt carries one chained entry
each: ``"liver" means "hanta" in Hausa, means "foie" in French, means "Leber" in German.`` Rare words
come first and at most ``max_hints`` go into one request (the rest are counted as cut).

Lexicon files (``translate: {dictionary: ...}``):

- bilingual: ``source<TAB>target`` lines, an optional third column a count (TSV), or ``source target``
  lines (MUSE). ``dictionary: FILE`` is source-to-target; ``dictionary: {hau_Latn: FILE, fra_Latn: FILE2}``
  gives one bilingual file per language (the target's and the auxiliary languages').
- multilingual: a first line naming each column with a language code in babelforge's form
  (``eng_Latn<TAB>hau_Latn<TAB>fra_Latn<TAB>deu_Latn``, optionally a ``count`` column), then one entry
  per line; an empty cell is a gap. The source column is the one in the record's language, else the first.

Rarity: a count where the file has one (fewer is rarer), else the line's place in the file, later
being rarer: MUSE's dictionaries and most published lexicons are sorted most frequent first. Source
entries may be phrases of up to :data:`MAX_PHRASE` words; matching is case-folded, on the words of
:mod:`babelforge.words`, longest phrase first; English function words are never hinted.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path

from babelforge import langs
from babelforge.errors import BabelforgeError
from babelforge.projection.content_words import is_content_word, is_english
from babelforge.words import words

#: Words in the longest source phrase matched.
MAX_PHRASE = 3
#: A multilingual header's cells: language codes in babelforge's form, or a count column.
_HEADER_CELL = re.compile(r"[a-z]{2,3}_[A-Z][a-z]{3}|count")


@dataclass
class ChainLexicon:
    """Source phrase (case-folded) -> ``{language code: [translations, best first]}``, and its rarity."""

    entries: dict[str, dict[str, list[str]]] = field(default_factory=dict)
    rarity: dict[str, float] = field(default_factory=dict)

    def add(self, source: str, language: str, target: str, rarity: float) -> None:
        key = " ".join(words(source.casefold())) or source.casefold().strip()
        options = self.entries.setdefault(key, {}).setdefault(language, [])
        if target not in options:
            options.append(target)
        self.rarity[key] = min(self.rarity.get(key, rarity), rarity)

    @property
    def languages(self) -> set[str]:
        return {language for by_language in self.entries.values() for language in by_language}


def header_languages(path: str | Path) -> list[str] | None:
    """The column languages of a multilingual lexicon (canonical codes), or ``None`` for a bilingual file."""
    with open(path, encoding="utf-8") as file:
        for line in file:
            if line.strip() and not line.startswith("#"):
                cells = [c.strip() for c in line.rstrip("\n").split("\t")]
                if len(cells) >= 2 and all(_HEADER_CELL.fullmatch(c) for c in cells):
                    return [c if c == "count" else langs.resolve(c).code for c in cells]
                return None
    return None


def read_lexicon(files: dict[str, str], source: str) -> ChainLexicon:
    """Read bilingual files (``{language: path}``) and multilingual ones (key ``"*"``) into one lexicon.

    Raises:
        BabelforgeError: for a missing file or a line that is no entry, naming the file and line.
    """
    lexicon = ChainLexicon()
    for language, path in files.items():
        if not Path(path).is_file():
            raise BabelforgeError(f"no dictionary file at {path}")
        columns = header_languages(path)
        if columns is not None:
            _read_multilingual(lexicon, Path(path), columns, langs.resolve(source).code)
        else:
            _read_bilingual(lexicon, Path(path), language)
    return lexicon


def _lines(path: Path) -> list[tuple[int, str]]:
    return [
        (number, line)
        for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1)
        if line.strip() and not line.startswith("#")
    ]


def _read_bilingual(lexicon: ChainLexicon, path: Path, language: str) -> None:
    lines = _lines(path)
    counted = []
    for number, line in lines:
        cells = line.split("\t") if "\t" in line else line.split(" ", 1)
        if len(cells) < 2 or not cells[0].strip() or not cells[1].strip():
            raise BabelforgeError(f"{path}:{number}: expected 'source<TAB>target' or 'source target', got {line!r}")
        count = _number(cells[2]) if len(cells) > 2 else None
        counted.append((cells[0].strip(), cells[1].strip(), count, number))
    rarity = _rarity([(count, number) for _, _, count, number in counted], len(lines))
    for (source, target, _, _), rare in zip(counted, rarity, strict=True):
        lexicon.add(source, language, target, rare)


def _read_multilingual(lexicon: ChainLexicon, path: Path, columns: list[str], source: str) -> None:
    lines = _lines(path)[1:]
    at = columns.index(source) if source in columns else 0
    count_at = columns.index("count") if "count" in columns else None
    rows = [line.split("\t") for _, line in lines]
    counts = [_number(row[count_at]) if count_at is not None and count_at < len(row) else None for row in rows]
    rarity = _rarity([(c, n) for c, (n, _) in zip(counts, lines, strict=True)], len(lines))
    for row, rare in zip(rows, rarity, strict=True):
        if at >= len(row) or not row[at].strip():
            continue
        for k, cell in enumerate(row):
            if k not in (at, count_at) and k < len(columns) and cell.strip():
                lexicon.add(row[at], columns[k], cell.strip(), rare)


def _number(cell: str) -> float | None:
    try:
        return float(cell)
    except ValueError:
        return None


def _rarity(keys: list[tuple[float | None, int]], total: int) -> list[float]:
    """0 (most frequent) to 1 (rarest): by count where every line has one, else by place in the file."""
    if keys and all(count is not None for count, _ in keys):
        order = sorted(range(len(keys)), key=lambda i: -keys[i][0])
    else:
        order = list(range(len(keys)))
    rarity = [0.0] * len(keys)
    for rank, i in enumerate(order):
        rarity[i] = rank / max(1, total - 1)
    return rarity


@dataclass(frozen=True)
class Hints:
    """The chained entries for one request, and how many known words the bound left out."""

    lines: list[str]
    cut: int = 0


class DictionaryHints:
    """Choose and write chain-of-dictionary hints; the lexicon loads on first use.

    Args:
        files: ``{language: path}`` for bilingual files, ``{"*": path}`` for a multilingual one.
        target: the target language; auxiliary: the chained languages after it, in order.
        max_hints: entries per request at most.

    Example:
        >>> hints = DictionaryHints({"hau_Latn": "en-ha.tsv"}, "hau_Latn", ["fra_Latn"])  # doctest: +SKIP
        >>> hints.for_text("The liver filters blood.", "eng_Latn").lines  # doctest: +SKIP
        ['"liver" means "hanta" in Hausa, means "foie" in French.']
    """

    def __init__(self, files: dict[str, str], target: str, auxiliary: list[str] = (), max_hints: int = 8):
        self.files, self.target, self.auxiliary = dict(files), langs.resolve(target).code, list(auxiliary)
        self.max_hints = max_hints
        self._lexicons: dict[str, ChainLexicon] = {}

    def __getstate__(self) -> dict:
        return {**self.__dict__, "_lexicons": {}}

    def lexicon(self, source: str) -> ChainLexicon:
        if source not in self._lexicons:
            self._lexicons[source] = read_lexicon(self.files, source)
        return self._lexicons[source]

    def for_text(self, text: str, source: str) -> Hints:
        """Hints for the words of ``text`` the lexicon knows, rarest first, at most ``max_hints``."""
        lexicon = self.lexicon(source)
        known = [p for p in dict.fromkeys(known_phrases(text, lexicon, is_english(source))) if self._chain(lexicon, p)]
        known.sort(key=lambda p: -lexicon.rarity.get(p, 0.0))  # stable: equally rare ones keep text order
        chosen = known[: self.max_hints]
        return Hints([self._line(lexicon, p) for p in chosen], len(known) - len(chosen))

    def _chain(self, lexicon: ChainLexicon, phrase: str) -> list[tuple[str, str]]:
        by_language = lexicon.entries.get(phrase, {})
        return [(lang, by_language[lang][0]) for lang in [self.target, *self.auxiliary] if by_language.get(lang)]

    def _line(self, lexicon: ChainLexicon, phrase: str) -> str:
        chain = self._chain(lexicon, phrase)
        links = ", ".join(f'means "{word}" in {langs.resolve(lang).name}' for lang, word in chain)
        return f'"{phrase}" {links}.'


def known_phrases(text: str, lexicon: ChainLexicon, english: bool) -> list[str]:
    """Case-folded phrases of ``text`` that are lexicon entries, longest match first, in text order."""
    tokens = [w.casefold() for w in words(text)]
    found, i = [], 0
    while i < len(tokens):
        for n in range(min(MAX_PHRASE, len(tokens) - i), 0, -1):
            phrase = " ".join(tokens[i : i + n])
            if phrase in lexicon.entries and (n > 1 or is_content_word(phrase, english)):
                found.append(phrase)
                i += n
                break
        else:
            i += 1
    return found


def hint_block(hints: Hints) -> str:
    """The hints as they are added to the translation instructions ("" for none)."""
    if not hints.lines:
        return ""
    return "\n\nDictionary hints for some words of the text (use them where they fit):\n" + "\n".join(hints.lines)
