"""National identifiers with a public layout and a check digit, validated by python-stdnum.

Each entry names the stdnum module that validates it, how the number is written (a regular
expression over ASCII digits, the usual separators allowed) and the country it belongs to, which
names its PII kind (``id_za``, placeholder ``<ID_ZA>``). Numbers without a check digit (Nigeria's
NIN, Kenya's ID) are left out: any run of digits of the right length would match them.
"""

from __future__ import annotations

import importlib
import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from functools import cached_property

from babelforge.curate.pii_patterns import Found

# Not glued to a letter or a digit, nor to the + of a phone number.
_BEFORE, _AFTER = r"(?<![A-Za-z0-9+])", r"(?![A-Za-z0-9])"
_EIGHT_DIGITS = re.compile(r"[0-9](?:[ .-]?[0-9]){7}")


@dataclass(frozen=True)
class NationalId:
    """One identifier: the stdnum module that checks it, its written form, and its country."""

    module: str
    pattern: str
    country: str
    what: str

    @property
    def kind(self) -> str:
        return f"id_{self.country}"

    @cached_property
    def regex(self) -> re.Pattern[str]:
        return re.compile(_BEFORE + self.pattern + _AFTER)

    @cached_property
    def is_valid(self):
        return importlib.import_module(f"stdnum.{self.module}").is_valid

    def find(self, text: str) -> Iterator[Found]:
        """Values of this identifier in ``text`` (ASCII digits) that pass the stdnum check."""
        for match in self.regex.finditer(text):
            if not _continued(text, match) and self.is_valid(match.group()):
                yield Found(match.start(), match.end(), self.kind)


#: The identifiers the ``pii`` step knows, by the name ``ids:`` takes.
NATIONAL_IDS = {
    "za.idnr": NationalId("za.idnr", r"[0-9]{6} ?[0-9]{4} ?[0-9]{2} ?[0-9]", "za", "South African ID number (Luhn)"),
    "in.aadhaar": NationalId("in_.aadhaar", r"[2-9][0-9]{3}([ -]?)[0-9]{4}\1[0-9]{4}", "in", "Aadhaar (Verhoeff)"),
    "br.cpf": NationalId("br.cpf", r"[0-9]{3}\.?[0-9]{3}\.?[0-9]{3}-?[0-9]{2}", "br", "Brazilian CPF (mod 11)"),
    "es.dni": NationalId("es.dni", r"[0-9]{8}-?[A-Z]", "es", "Spanish DNI (check letter)"),
    "cn.ric": NationalId("cn.ric", r"[0-9]{17}[0-9X]", "cn", "Chinese resident ID (ISO 7064, birth date and place)"),
    "tr.tckimlik": NationalId("tr.tckimlik", r"[1-9][0-9]{10}", "tr", "Turkish T.C. Kimlik No. (two check digits)"),
}  # fmt: skip


def _continued(text: str, match: re.Match) -> bool:
    """Whether a number written in groups goes on, with one of its own separators, into more digits:
    ``2345 6789 0123`` in ``1111 2345 6789 0123`` is the end of a longer number, not an Aadhaar."""
    separators = set(match.group()) & set(" .-")
    start, end = match.span()
    before = text[max(0, start - 2) : start]
    after = text[end : end + 2]
    return any(
        (len(before) == 2 and before[1] == sep and before[0].isdigit())
        or (len(after) == 2 and after[0] == sep and after[1].isdigit())
        for sep in separators
    )


def find_ids(text: str, names: Iterable[str]) -> Iterator[Found]:
    """Values of the named identifiers (keys of :data:`NATIONAL_IDS`) in ``text`` (ASCII digits)."""
    if not _EIGHT_DIGITS.search(text):  # every identifier here has at least eight
        return
    for name in names:
        yield from NATIONAL_IDS[name].find(text)
