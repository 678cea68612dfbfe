"""Language families from Glottolog's classification, for mixing data by family.

``babelforge/data/families.tsv`` gives the top-level Glottolog family of every ISO 639-3 code that
Glottolog classifies (about 7,800: every language of :func:`babelforge.langs.all_languages`, and the
languages outside that table that :func:`babelforge.langs.resolve` accepts by ISO code). An isolate is a
family of its own, named as the language (``Basque``); Glottolog's pseudo-families (``Pidgin``, ``Sign
Language``, ``Artificial Language``) are kept as they are. Creoles sit with their lexifier's family, as
Glottolog puts them (Nigerian Pidgin and Krio: Indo-European).

The table is derived from Glottolog (Hammarström, Forkel, Haspelmath, Bank and contributors, CC BY 4.0)
as the ``urielplus`` package ships it (CC BY-SA 4.0); ``babelforge/data/build_families.py`` regenerates it.

Example:
    >>> family_of("hau_Latn")
    'Afro-Asiatic'
    >>> resolve_family("atlantic-congo")
    'Atlantic-Congo'
"""

from __future__ import annotations

import csv
from functools import cache
from importlib import resources

from babelforge.errors import BabelforgeError, did_you_mean

#: Where the table comes from, for cards and provenance.
SOURCE = "Glottolog (CC BY 4.0) via URIEL+ 1.3.2 (CC BY-SA 4.0)"


@cache
def _table() -> dict[str, tuple[str, str]]:
    """``{iso639_3: (glottocode, family)}``."""
    with resources.files("babelforge").joinpath("data/families.tsv").open(encoding="utf-8") as f:
        return {row["iso639_3"]: (row["glottocode"], row["family"]) for row in csv.DictReader(f, delimiter="\t")}


@cache
def all_families() -> tuple[str, ...]:
    """Every family name of the table, sorted."""
    return tuple(sorted({family for _, family in _table().values()}))


def family_of(code: str) -> str | None:
    """The Glottolog family of a language (any spelling :func:`babelforge.langs.resolve` takes), or ``None``.

    Raises:
        UnknownLanguageError: when ``code`` names no language.
    """
    from babelforge.langs import resolve

    found = _table().get(resolve(code).iso639_3)
    return found[1] if found else None


def glottocode_of(code: str) -> str | None:
    """The Glottolog code of a language, or ``None`` where the table has none."""
    from babelforge.langs import resolve

    found = _table().get(resolve(code).iso639_3)
    return found[0] if found else None


class UnknownFamilyError(BabelforgeError, ValueError):
    """A family name the table does not hold."""


def resolve_family(name: str) -> str:
    """A family's name as the table writes it, given any capitalisation.

    Raises:
        UnknownFamilyError: an unknown family, with the closest names.
    """
    by_lower = {family.lower(): family for family in all_families()}
    found = by_lower.get(str(name).strip().lower())
    if found is None:
        close = did_you_mean(str(name), all_families())
        hint = f"did you mean {', '.join(repr(c) for c in close)}? " if close else ""
        raise UnknownFamilyError(
            f"unknown language family {name!r}: {hint}families are Glottolog's, e.g. "
            "'Atlantic-Congo', 'Afro-Asiatic', 'Indo-European', 'Austronesian'"
        )
    return found
