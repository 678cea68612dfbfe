"""Languages' own transliteration tables: small, documented, and exact where a standard is.

Each :class:`Table` turns one word of a script into another script, letter by letter (longest
match first), keeping the word's capitalisation (``Љубав`` -> ``Ljubav``, ``ЉУБАВ`` -> ``LJUBAV``).
Decomposed input (``c`` + combining caron) reads as its composed letter.

Tables:

- ``srp_Cyrl-Latn`` and ``srp_Latn-Cyrl``: Serbian Cyrillic and Gaj's Latin alphabet, the one-to-one
  correspondence of the official Serbian orthography (Pravopis srpskoga jezika, Matica srpska; the
  30 letters of Vuk Karadžić's alphabet, ``Љ Њ Џ`` as ``Lj Nj Dž``). Latin to Cyrillic reads
  ``lj nj dž`` as one letter, so the rare word where they are two (``nadživeti``) comes out wrong;
  letters outside the alphabet (``q w x y``) stay Latin.
- ``uzb_Cyrl-Latn``: Uzbek Cyrillic to the Latin alphabet of 1995 (Cabinet of Ministers of
  Uzbekistan, decree 339 of 24 August 1995, "Asosiy imlo qoidalari"): ``Ў Ғ`` as ``Oʻ Gʻ`` (U+02BB),
  ``Ъ`` as ``ʼ`` (U+02BC), ``Ь`` dropped, ``Е`` as ``ye`` at the start of a word and after a vowel,
  ``Ц`` as ``ts`` after a vowel and ``s`` elsewhere (rules 4 and 9 of the decree).
- ``Deva-Latn``: any Devanagari language to ISO 15919 (2001), "Transliteration of Devanagari and
  related Indic scripts into Latin characters": long vowels with macrons, ``ē ō`` for ``ए ओ``,
  ``ṁ`` for anusvara, ``m̐`` for candrabindu, the inherent ``a`` written everywhere it is not
  cancelled by a virama or replaced by a vowel sign (strict ISO: no schwa deletion, so ``भारत`` is
  ``bhārata``), nukta letters as ``q k͟h ġ z ṛ ṛh f ẏ``, danda as a full stop.

Example:
    >>> table_for("srp", "Cyrl", "Latn").transliterate("Ђорђе")
    'Đorđe'
    >>> table_for("hin", "Deva", "Latn").transliterate("नमस्ते")
    'namastē'
"""

from __future__ import annotations

import unicodedata
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field


@dataclass(frozen=True)
class Table:
    """A letter table from one script to another, for some languages (``None``: any language of the script).

    Attributes:
        name: ``srp_Cyrl-Latn``, ``Deva-Latn``.
        source, target: ISO 15924 script codes.
        languages: ISO 639-3 codes it is for; ``None`` for every language written in ``source``.
        rules: lower-case source letters (or letter groups) to their target.
        context: an override for a rule given the lower-cased word and the rule's position, or ``None``.
    """

    name: str
    source: str
    target: str
    languages: frozenset[str] | None
    rules: Mapping[str, str]
    context: Callable[[str, int, str], str | None] | None = None
    _longest: int = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        decomposed = {unicodedata.normalize("NFD", k): v for k, v in self.rules.items()}
        object.__setattr__(self, "rules", {**decomposed, **self.rules})
        object.__setattr__(self, "_longest", max(map(len, self.rules)))

    def transliterate(self, word: str) -> str:
        """``word`` in the target script; characters the table has no rule for stay as they are."""
        lower, out, i = "".join(c.lower() if len(c.lower()) == 1 else c for c in word), [], 0
        all_caps = sum(c.isalpha() for c in word) > 1 and word.isupper()
        while i < len(word):
            key = next((lower[i : i + n] for n in range(self._longest, 0, -1) if lower[i : i + n] in self.rules), None)
            if key is None:
                out.append(word[i])
                i += 1
                continue
            value = (self.context and self.context(lower, i, key)) or self.rules[key]
            out.append(_cased(value, word[i : i + len(key)], all_caps))
            i += len(key)
        return "".join(out)


def _cased(value: str, source: str, all_caps: bool) -> str:
    """``value`` with the case of the ``source`` letters it replaces, in a word that is ``all_caps`` or not."""
    if not source[:1].isupper():
        return value
    if all_caps or (len(source) > 1 and source.isupper()):
        return value.upper()
    return value[:1].upper() + value[1:]


def _letters(sources: str, targets: str) -> dict[str, str]:
    """Each letter of ``sources`` to the word of ``targets`` (space-separated) in the same place."""
    return dict(zip(sources, targets.split(), strict=True))


_SERBIAN = _letters("абвгдђежзијклљмнњопрстћуфхцчџш", "a b v g d đ e ž z i j k l lj m n nj o p r s t ć u f h c č dž š")

_UZBEK = {
    "а": "a", "б": "b", "в": "v", "г": "g", "д": "d", "е": "e", "ё": "yo", "ж": "j", "з": "z", "и": "i",
    "й": "y", "к": "k", "л": "l", "м": "m", "н": "n", "о": "o", "п": "p", "р": "r", "с": "s", "т": "t",
    "у": "u", "ф": "f", "х": "x", "ц": "s", "ч": "ch", "ш": "sh", "щ": "sh", "ъ": "\u02bc", "ь": "",
    "ы": "i", "э": "e", "ю": "yu", "я": "ya", "ў": "o\u02bb", "қ": "q", "ғ": "g\u02bb", "ҳ": "h",
}  # fmt: skip
_UZBEK_VOWELS = set("аеёиоуэюяў")


def _uzbek_context(word: str, i: int, key: str) -> str | None:
    """Rules 4 and 9 of the 1995 decree: ``е`` is ``ye`` word-initially and after a vowel (or ``ъ ь``),
    ``ц`` is ``ts`` after a vowel."""
    before = word[i - 1] if i else ""
    if key == "е" and (not before or before in _UZBEK_VOWELS or before in "ъь"):
        return "ye"
    if key == "ц" and before in _UZBEK_VOWELS:
        return "ts"
    return None


_VOWELS = "a ā i ī u ū r̥ r̥̄ l̥ l̥̄ ê e ē ai ô o ō au"
_DEVANAGARI_VOWELS = _letters("अआइईउऊऋॠऌॡऍऎएऐऑऒओऔ", _VOWELS)
_DEVANAGARI_SIGNS = _letters(
    "\u093e\u093f\u0940\u0941\u0942\u0943\u0944\u0962\u0963\u0945\u0946\u0947\u0948\u0949\u094a\u094b\u094c",
    _VOWELS.partition(" ")[2],
)
_DEVANAGARI_CONSONANTS = _letters(
    "कखगघङचछजझञटठडढणतथदधनऩपफबभमयरऱलळऴवशषसह",
    "k kh g gh ṅ c ch j jh ñ ṭ ṭh ḍ ḍh ṇ t th d dh n ṉ p ph b bh m y r ṟ l ḷ ḻ v ś ṣ s h",
)
_NUKTA = _letters("कखगजडढफय", "q k͟h ġ z ṛ ṛh f ẏ")
_DEVANAGARI_OTHER = {
    "ं": "ṁ", "ँ": "m̐", "ः": "ḥ", "ऽ": "’", "ॐ": "ōṁ", "।": ".", "॥": ".",
    **{chr(0x0966 + d): str(d) for d in range(10)},
}  # fmt: skip


def _devanagari_rules() -> dict[str, str]:
    """Every syllable shape as one rule: consonant (with nukta) plus a vowel sign, a virama, or the inherent ``a``."""
    bases = dict(_DEVANAGARI_CONSONANTS)
    bases.update({letter + "\u093c": value for letter, value in _NUKTA.items()})
    for precomposed in map(chr, range(0x0958, 0x0960)):  # क़ ख़ ग़ ज़ ड़ ढ़ फ़ य़ written as one code point
        bases[precomposed] = bases[unicodedata.normalize("NFD", precomposed)]
    rules = {**_DEVANAGARI_VOWELS, **_DEVANAGARI_OTHER}
    for base, value in bases.items():
        rules[base] = value + "a"
        rules[base + "\u094d"] = value
        rules.update({base + sign: value + vowel for sign, vowel in _DEVANAGARI_SIGNS.items()})
    return rules


TABLES = (
    Table("srp_Cyrl-Latn", "Cyrl", "Latn", frozenset({"srp"}), _SERBIAN),
    Table("srp_Latn-Cyrl", "Latn", "Cyrl", frozenset({"srp"}), {v: k for k, v in _SERBIAN.items()}),
    Table("uzb_Cyrl-Latn", "Cyrl", "Latn", frozenset({"uzb", "uzn"}), _UZBEK, _uzbek_context),
    Table("Deva-Latn", "Deva", "Latn", None, _devanagari_rules()),
)


def table_for(language: str | None, source: str, target: str) -> Table | None:
    """The table for a language (ISO 639-3) from one script to another, or ``None`` where there is none."""
    for table in TABLES:
        for_language = table.languages is None or language in table.languages
        if (table.source, table.target) == (source, target) and for_language:
            return table
    return None


def table_names() -> list[str]:
    """The names of every table, for error messages."""
    return [table.name for table in TABLES]
