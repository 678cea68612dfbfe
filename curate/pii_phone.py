"""Phone numbers, by Google's libphonenumber rules (the ``phonenumbers`` port), per region.

A number written in international form (``+254 712 345678``) is found whatever the region; one in
national form (``0712 345678``) only with its region, so the regions matter. Unless the step names
them, they come from the record's language: the territories where CLDR counts at least
:data:`MIN_SHARE` of the language's speakers (its territory-language table, shipped with the core
dependency ``language-data``), most speakers first, at most :data:`MAX_REGIONS` (Hausa: NG, NE;
Swahili: TZ, CD, KE, UG; Amharic: ET). A language CLDR does not place falls back to
:data:`FALLBACK_REGIONS`.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator
from functools import cache

from babelforge.curate.pii_patterns import Found

#: Regions tried for a record whose language CLDR does not place (or that has none).
FALLBACK_REGIONS = ("NG", "KE", "ET", "ZA", "IN", "US")
#: A territory is one of a language's regions when it holds at least this share of its speakers.
MIN_SHARE = 0.05
#: At most this many regions per language (each costs a pass of the matcher).
MAX_REGIONS = 5

# Seven or more digits with at most three non-letters between neighbours: only such texts are matched.
_HINT = re.compile(r"[0-9](?:[^0-9A-Za-z\n]{0,3}[0-9]){6,}")
# Digit strings that a region's numbering plan may accept but that are something else: a date with
# dots or dashes (slashes phonenumbers rejects itself), a dotted quad, a number in the layout of a
# Brazilian CPF, years in a row; anything holding a range of years (``2017-2021 - 36``) or a list
# of set scores (``6-4 3-6 6-1``); an ISBN (after ``ISBN``, or hyphenated with a valid check digit).
_NOT_PHONES = (
    re.compile(r"(0?[1-9]|[12][0-9]|3[01])([./-])(0?[1-9]|[12][0-9]|3[01])\2([0-9]{2}|(19|20)[0-9]{2})"),
    re.compile(r"(19|20)[0-9]{2}([./-])(0?[1-9]|1[0-2])\2(0?[1-9]|[12][0-9]|3[01])"),
    re.compile(r"[0-9]{1,3}(?:\.[0-9]{1,3}){3}"),  # a dotted quad: an IP address, valid or not
    re.compile(r"[0-9]{3}\.[0-9]{3}\.[0-9]{3}-[0-9]{2}"),  # the layout of a Brazilian CPF
    re.compile(r"(1[89]|20)[0-9]{2}(?: (1[89]|20)[0-9]{2})+"),  # years, and nothing else
)
_YEARS = re.compile(r"(?<![0-9])(1[0-9]|20)[0-9]{2} ?[/\u2013-] ?(1[0-9]|20)[0-9]{2}(?![0-9])")  # 1600-1800
_AFTER_ISBN = re.compile(r"ISBN(?:-1[03])?:? ?$", re.IGNORECASE)
_SCORES = re.compile(r"(?<![0-9])[0-9]{1,2}[-\u2013][0-9]{1,2}(?:,? +[0-9]{1,2}[-\u2013][0-9]{1,2})+(?![0-9])")


def find_phones(text: str, regions: Iterable[str]) -> Iterator[Found]:
    """Phone numbers valid in one of ``regions`` (``PhoneNumberMatcher``, leniency ``VALID``), but for
    dates, years, lists of scores and ISBNs (``05.01.2022``, ``2020/2021``, ``6-4 3-6 6-1``, ``0-306-40615-2``).

    The matcher reads digits joined by spaces as one number, so a number written right after
    another with only spaces between (``0803 123 4567 0805 765 4321``, ``(2019) 0803 123 4567``) is
    not found; a comma, a slash or a word between them is enough.
    """
    if not _HINT.search(text):
        return
    from phonenumbers import Leniency, PhoneNumberMatcher

    seen: set[tuple[int, int]] = set()
    for region in regions:
        for match in PhoneNumberMatcher(text, region, leniency=Leniency.VALID):
            if (match.start, match.end) not in seen and not _something_else(text, match.start, match.raw_string):
                seen.add((match.start, match.end))
                yield Found(match.start, match.end, "phone")


def _something_else(text: str, start: int, raw: str) -> bool:
    if any(pattern.fullmatch(raw) for pattern in _NOT_PHONES) or _YEARS.search(raw) or _SCORES.search(raw):
        return True
    return bool(_AFTER_ISBN.search(text, max(0, start - 12), start)) or _hyphenated_isbn(raw)


def _hyphenated_isbn(raw: str) -> bool:
    """An ISBN in its printed form: 10 digits in four groups or 13 in five, joined by hyphens, check digit valid."""
    groups = raw.split("-")
    digits = "".join(groups)
    if not digits.isdigit() or (len(digits), len(groups)) not in ((10, 4), (13, 5)):
        return False
    from stdnum import isbn

    return isbn.is_valid(digits)


@cache
def regions_for(language: str | None) -> tuple[str, ...]:
    """The phone regions for a record in ``language`` (a canonical code such as ``hau_Latn``, or ``None``).

    Example:
        >>> regions_for("swh_Latn")
        ('TZ', 'CD', 'KE', 'UG')
    """
    if not language:
        return FALLBACK_REGIONS
    from phonenumbers import SUPPORTED_REGIONS

    for code in _cldr_codes(language):
        speakers = _territories().get(code)
        if speakers:
            total = sum(n for n, _ in speakers)
            ranked = [t for n, t in speakers if n >= MIN_SHARE * total and t in SUPPORTED_REGIONS]
            if ranked:
                return tuple(ranked[:MAX_REGIONS])
    return FALLBACK_REGIONS


def _cldr_codes(language: str) -> list[str]:
    """How CLDR may name ``language``: its ISO 639-1 code, its ISO 639-3 code, its macrolanguage."""
    from babelforge.langs import by_code

    known = by_code().get(language)
    if known is None:
        base = language.split("_")[0].lower()
        return [base]
    return [code for code in (known.iso639_1, known.iso639_3, known.macro) if code]


@cache
def _territories() -> dict[str, list[tuple[int, str]]]:
    """CLDR language code to ``[(speakers, territory), ...]``, most speakers first."""
    from language_data.population_data import LANGUAGE_SPEAKING_POPULATION

    table: dict[str, list[tuple[int, str]]] = {}
    for key, speakers in LANGUAGE_SPEAKING_POPULATION.items():
        language, _, territory = key.partition("-")
        if len(territory) == 2:
            table.setdefault(language, []).append((speakers, territory))
    return {language: sorted(rows, reverse=True) for language, rows in table.items()}
