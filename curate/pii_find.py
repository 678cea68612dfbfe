"""All PII in one text: every enabled finder runs on its ASCII-digit copy, overlaps are settled by kind.

Where two findings overlap, the kind first in :data:`PRIORITY` wins: a value that passed a checksum
(an IBAN, a national ID, a card) outranks a phone number, which ``phonenumbers`` accepts by layout
alone, and an email keeps the digits of its local part. Among findings of one kind the earlier wins.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator

from babelforge.curate.pii_ids import NATIONAL_IDS, find_ids
from babelforge.curate.pii_patterns import Found, ascii_digits, find_cards, find_emails, find_ibans, find_ips
from babelforge.curate.pii_phone import find_phones, regions_for

#: The PII kinds the ``pii`` step knows (``id`` stands for the national identifiers chosen with ``ids``).
KINDS = ("email", "phone", "ip", "iban", "card", "id")
#: Which kind wins an overlap, first to last.
PRIORITY = ("email", "iban", "id", "card", "ip", "phone")


class PiiFinder:
    """Finds the PII of the chosen kinds in texts.

    Args:
        kinds: a subset of :data:`KINDS`.
        ids: names of :data:`~babelforge.curate.pii_ids.NATIONAL_IDS` (used when ``id`` is a kind).
        regions: phone regions for every record; ``None``: from each record's language.

    Example:
        >>> PiiFinder(["email", "card"]).find("mail ada@example.org, card 4111 1111 1111 1111")
        [Found(start=5, end=20, kind='email'), Found(start=27, end=46, kind='card')]
    """

    def __init__(self, kinds: Iterable[str], ids: Iterable[str] = tuple(NATIONAL_IDS), regions=None):
        self.kinds = frozenset(kinds)
        self.ids = tuple(ids)
        self.regions = tuple(regions) if regions is not None else None

    def find(self, text: str, language: str | None = None) -> list[Found]:
        """The PII values in ``text``, in text order, none overlapping another.

        Args:
            text: any text; digits of every script are matched as digits.
            language: the record's canonical language code, for the phone regions.
        """
        if not text:
            return []
        plain = ascii_digits(text)
        kept: list[Found] = []
        for kind in (k for k in PRIORITY if k in self.kinds):
            for found in self._finder(kind, plain, language):
                if not _overlaps(found, kept):
                    kept.append(found)
        return sorted(kept)

    def _finder(self, kind: str, text: str, language: str | None) -> Iterator[Found]:
        if kind == "email":
            return find_emails(text)
        if kind == "iban":
            return find_ibans(text)
        if kind == "id":
            return find_ids(text, self.ids)
        if kind == "card":
            return find_cards(text)
        if kind == "ip":
            return find_ips(text)
        return find_phones(text, self.regions if self.regions is not None else regions_for(language))


def _overlaps(found: Found, kept: list[Found]) -> bool:
    return any(found.start < other.end and other.start < found.end for other in kept)
