"""The three ways the ``transliterate`` step turns a word into another script: uroman, ICU, a table.

- ``uroman`` (the ``uroman`` package, Hermjakob et al., ACL 2018): the universal romaniser, any
  script to Latin, with the language's own rules where it has them (it is told the ISO 639-3 code).
  Its data loads once per process, in a few seconds, on the first word.
- ``icu``: an ICU transform (PyICU, from the ``pyicu-wheels`` package): ``FROM-TO`` by ISO 15924 codes
  by default (``Cyrl-Latn``, ``Latn-Arab``), or any ICU transform ID (``Kazakh-Latin/BGN``,
  ``Any-Latin; Latin-ASCII``). Both directions, for every script pair ICU knows.
- ``table``: a language's own letter table (:mod:`~babelforge.augment.transliterate_tables`).

Each backend is a callable ``word -> word`` that pickles (models load on first use) and remembers
the words it has seen.

Example:
    >>> from babelforge.langs import resolve
    >>> backend("table", resolve("srp_Cyrl"), "Cyrl", "Latn")("Београд")
    'Beograd'
"""

from __future__ import annotations

import importlib.util
from functools import cache

from babelforge.augment.transliterate_tables import Table, table_for, table_names
from babelforge.errors import BabelforgeError, MissingDependencyError, did_you_mean
from babelforge.langs import Language

SCHEMES = ("uroman", "icu", "table")
#: Words remembered per backend (the same words come back in every record of a corpus).
CACHE_SIZE = 200_000


class NoBackend(BabelforgeError):
    """No way to transliterate a record's language as asked; ``reason`` names it for the counts."""

    def __init__(self, reason: str, message: str):
        self.reason = reason
        super().__init__(message)


class TransliterationFailed(BabelforgeError):
    """A backend raised on a word (a romaniser's own bug): the record fails under ``transliterator_error``."""


class Backend:
    """A ``word -> word`` transliteration with a cache; subclasses write :meth:`convert`."""

    name = ""

    def __init__(self) -> None:
        self._seen: dict[str, str] = {}

    def __getstate__(self) -> dict:
        return {**self.__dict__, "_seen": {}}

    def __call__(self, word: str) -> str:
        done = self._seen.get(word)
        if done is None:
            try:
                done = self.convert(word)
            except Exception as error:  # a third-party romaniser's failure on one word is counted, not fatal
                failure = f"{self.name} failed on {word!r}: {type(error).__name__}: {error}"
                raise TransliterationFailed(failure) from error
            if len(self._seen) >= CACHE_SIZE:
                self._seen.clear()
            self._seen[word] = done
        return done

    def convert(self, word: str) -> str:
        raise NotImplementedError


class UromanBackend(Backend):
    """uroman, with the language's ISO 639-3 code (``None``: uroman's language-independent rules)."""

    def __init__(self, language: str | None):
        super().__init__()
        self.language, self.name = language, f"uroman:{language or 'any'}"

    def convert(self, word: str) -> str:
        return _uroman().romanize_string(word, lcode=self.language)


class IcuBackend(Backend):
    """An ICU transform by its ID."""

    def __init__(self, transform: str):
        super().__init__()
        self.transform, self.name = transform, f"icu:{transform}"

    def convert(self, word: str) -> str:
        return _icu_transform(self.transform).transliterate(word)


class TableBackend(Backend):
    """One of the languages' own tables."""

    def __init__(self, table: Table):
        super().__init__()
        self.table, self.name = table, f"table:{table.name}"

    def convert(self, word: str) -> str:
        return self.table.transliterate(word)


def backend(
    scheme: str | None, language: Language | None, source: str | None, target: str, transform: str | None = None
) -> Backend:
    """The backend for words of ``language`` in script ``source`` going to ``target``.

    Args:
        scheme: ``uroman``, ``icu``, ``table``, or ``None``: the language's table where there is one,
            else uroman to Latin and ICU to any other script.
        language: the words' language, or ``None`` when unknown. uroman is told its macrolanguage
            where it has one (``fas`` for ``pes``: uroman's rules use those codes).
        source: ISO 15924 code of the words' script, or ``None`` (any script).
        target: ISO 15924 code.
        transform: for ``icu``, the transform ID (default ``SOURCE-TARGET``, or ``Any-TARGET``).

    Raises:
        NoBackend: with reason ``no_table`` or ``no_transform``.
    """
    codes = [c for c in (language.iso639_3, language.macro) if c] if language else [None]
    table = next((t for c in codes if source and (t := table_for(c, source, target))), None)
    if scheme == "table" or (scheme is None and table is not None):
        if table is None:
            raise NoBackend(
                "no_table",
                f"no transliteration table for {language or 'records of no language'} from {source} to {target}: "
                f"tables: {', '.join(table_names())}; use scheme: uroman or icu",
            )
        return TableBackend(table)
    if scheme == "uroman" or (scheme is None and target == "Latn"):
        return UromanBackend(codes[-1])
    transform = transform or f"{source or 'Any'}-{target}"
    check_transform(transform)
    return IcuBackend(transform)


def check_transform(transform: str) -> None:
    """Raise :class:`NoBackend` (``no_transform``) unless ICU knows ``transform``; needs PyICU."""
    import icu

    try:
        _icu_transform(transform)
    except icu.ICUError:
        close = did_you_mean(transform, list(icu.Transliterator.getAvailableIDs()))
        hint = f"did you mean {', '.join(close)}? " if close else ""
        raise NoBackend(
            "no_transform", f"ICU has no transform {transform!r}: {hint}see icu.Transliterator.getAvailableIDs()"
        ) from None


def require(scheme: str, what: str) -> None:
    """Raise :class:`MissingDependencyError` (naming ``what`` needs it) unless the package of a scheme is installed."""
    module, package = {"uroman": ("uroman", "uroman"), "icu": ("icu", "pyicu-wheels")}.get(scheme, (None, None))
    if module and importlib.util.find_spec(module) is None:
        raise MissingDependencyError(what, [package], "translit")


@cache
def _uroman():
    import uroman

    return uroman.Uroman()


@cache
def _icu_transform(transform: str):
    import icu

    return icu.Transliterator.createInstance(transform)
