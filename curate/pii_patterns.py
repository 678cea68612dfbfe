"""Finders for the PII kinds with a fixed written form: emails, IP addresses, IBANs and payment cards.

Each finder takes a text whose digits are ASCII (:func:`ascii_digits`, which keeps every offset) and
yields :class:`Found` values: a regular expression proposes candidates, and a check that a typo almost
always fails confirms them (``ipaddress`` for addresses, the ISO 13616 mod-97 checksum and the
country's layout through ``stdnum.iban``, the Luhn digit and an issuer prefix for cards). Numeric
boundaries are ASCII letters and digits only, so a value glued to Han, Thai or Ethiopic letters (no
spaces in those scripts) is still found.
"""

from __future__ import annotations

import ipaddress
import re
import unicodedata
from collections.abc import Iterator
from typing import NamedTuple

import regex


class Found(NamedTuple):
    """One PII value: ``text[start:end]`` in code points, of ``kind`` (``email``, ``id_za`` ...)."""

    start: int
    end: int
    kind: str


_NON_ASCII_DIGIT = re.compile(r"(?![0-9])\d")  # str patterns: \d is every Unicode decimal digit (Nd)


def ascii_digits(text: str) -> str:
    """``text`` with every decimal digit of any script (Arabic-Indic, Devanagari, Bengali, fullwidth ...)
    written as its ASCII digit; one character for one, so offsets stay valid on the original.

    Example:
        >>> ascii_digits("٠٨٠٣ १२३")
        '0803 123'
    """
    if text.isascii():
        return text
    return _NON_ASCII_DIGIT.sub(lambda m: str(unicodedata.decimal(m.group())), text)


# Emails (RFC 6531 allows letters of any script on both sides of the @; marks keep Indic letters whole).
_LOCAL = r"[\p{L}\p{M}\p{N}._+-]+"  # RFC 5322 allows more (% ! # ...); text around an address uses them
_LABEL = r"[\p{L}\p{M}\p{N}](?:[\p{L}\p{M}\p{N}-]*[\p{L}\p{M}\p{N}])?"
_TLD = r"(?:xn--[a-z0-9-]+|\p{L}[\p{L}\p{M}]+)"
_EMAIL = regex.compile(rf"{_LOCAL}@(?:{_LABEL}\.)+{_TLD}")


def find_emails(text: str) -> Iterator[Found]:
    """Email addresses, internationalised ones included.

    In scripts written without spaces the letters around an address may belong to the sentence:
    the local part ends, going left from the ``@``, where its letters change script, and the domain
    where a label's letters do (``请联系john@example.com获取`` gives ``john@example.com``; labels of
    different scripts, as in ``例子.com``, are fine). Letters of the address's own script glued to
    it cannot be told apart.
    """
    for match in _EMAIL.finditer(text):
        at = text.index("@", match.start())
        start = _skip(text, _local_start(text, match.start(), at), at, "._+-")
        end = _domain_end(text, at + 1, match.end())
        dot = text.rfind(".", at, end)
        top = text[dot + 1 : end]
        if start < at and dot > at + 1 and len(top) >= 2 and (top.startswith("xn--") or top.isalpha() or _marked(top)):
            yield Found(start, end, "email")


def _script(ch: str) -> str | None:
    """A letter's script, from its Unicode name (``LATIN``, ``CJK`` ...); ``None`` for other characters."""
    if not ch.isalpha():
        return None
    word = unicodedata.name(ch, "UNKNOWN").split(" ")[0]
    return "CJK" if word in ("CJK", "HIRAGANA", "KATAKANA") else word


def _local_start(text: str, floor: int, at: int) -> int:
    script = None
    for i in range(at - 1, floor - 1, -1):
        own = _script(text[i])
        if own and script and own != script:
            return i + 1
        script = script or own
    return floor


def _domain_end(text: str, start: int, stop: int) -> int:
    script = None
    for i in range(start, stop):
        own = None if text[i] == "." else _script(text[i])
        if own and script and own != script:
            return len(text[start:i].rstrip(".-")) + start
        script = None if text[i] == "." else script or own
    return stop


def _marked(label: str) -> bool:
    """A top-level domain of letters and combining marks (``भारत``)."""
    return label[0].isalpha() and all(ch.isalpha() or unicodedata.category(ch).startswith("M") for ch in label)


def _skip(text: str, start: int, stop: int, chars: str) -> int:
    while start < stop and text[start] in chars:
        start += 1
    return start


# IP addresses: a dotted quad, or hex groups with at least two colons (a time, 12:30:45, fails the check).
_IPV4 = re.compile(r"(?<![A-Za-z0-9.])(?:[0-9]{1,3}\.){3}[0-9]{1,3}(?![A-Za-z0-9]|\.[0-9])")
_IPV6 = re.compile(r"(?<![A-Za-z0-9:.])(?=[0-9A-Fa-f]*:[0-9A-Fa-f]*:)[0-9A-Fa-f:.]*[0-9A-Fa-f:]")


def find_ips(text: str) -> Iterator[Found]:
    """IPv4 and IPv6 addresses that ``ipaddress`` accepts (so no ``999.1.2.3``, no leading zeros).

    A bare four-part version number whose parts are all at most 255 (``1.2.3.4``) reads as an
    address; ``v1.2.3.4`` and three-part versions do not.
    """
    for match in _IPV4.finditer(text):
        if _valid(ipaddress.IPv4Address, match.group()):
            yield Found(match.start(), match.end(), "ip")
    for match in _IPV6.finditer(text):
        value = match.group()
        if value.endswith(":") and not value.endswith("::"):
            value = value[:-1]
        end = match.start() + len(value)
        if re.search("[0-9]", value) and not _ascii_alnum(text, end) and _valid(ipaddress.IPv6Address, value):
            yield Found(match.start(), end, "ip")


def _valid(kind, value: str) -> bool:
    try:
        kind(value)
    except ValueError:
        return False
    return True


def _ascii_alnum(text: str, i: int) -> bool:
    return i < len(text) and text[i].isascii() and text[i].isalnum()


# IBANs: country, check digits, then up to 30 letters and digits, in groups of four or unbroken.
_IBAN = re.compile(r"(?<![A-Za-z0-9])[A-Z]{2}[0-9]{2}(?:[ \u00a0]?[A-Z0-9]){11,30}")


def find_ibans(text: str) -> Iterator[Found]:
    """IBANs that pass ``stdnum.iban`` (mod-97 checksum, the country's length and layout).

    The candidate may run on into the next capitalised word; the longest prefix that ends between
    groups and validates is taken.
    """
    from stdnum import iban

    position = 0
    while match := _IBAN.search(text, position):
        chars = [i for i in range(match.start(), match.end()) if text[i].isalnum()]
        end = next(
            (
                chars[n - 1] + 1
                for n in range(len(chars), 14, -1)
                if not _ascii_alnum(text, chars[n - 1] + 1) and iban.is_valid(text[match.start() : chars[n - 1] + 1])
            ),
            None,
        )
        if end is None:
            position = match.start() + 1
            continue
        yield Found(match.start(), end, "iban")
        position = end


# Payment cards: runs of digit groups joined by one kind of separator (a space or a dash) or none.
_DIGIT_RUN = re.compile(r"(?<![A-Za-z0-9.,+])[0-9]+(?:([ -])[0-9]+(?:\1[0-9]+)*)?(?![A-Za-z0-9]|[.,][0-9])")

#: Issuer prefixes (IIN ranges) and the lengths each scheme issues: (first, last, lengths).
CARD_SCHEMES = (
    (4, 4, (13, 16, 19)),  # Visa
    (51, 55, (16,)), (2221, 2720, (16,)),  # Mastercard
    (2200, 2204, (16, 17, 18, 19)),  # Mir
    (34, 34, (15,)), (37, 37, (15,)),  # American Express
    (300, 305, (14, 15, 16, 17, 18, 19)), (36, 36, (14, 15, 16, 17, 18, 19)),  # Diners Club
    (38, 39, (16, 17, 18, 19)),
    (3528, 3589, (16, 17, 18, 19)),  # JCB
    (6011, 6011, (16, 17, 18, 19)), (644, 649, (16, 17, 18, 19)), (65, 65, (16, 17, 18, 19)),  # Discover, RuPay
    (62, 62, (16, 17, 18, 19)),  # UnionPay
    (50, 50, (13, 14, 15, 16, 17, 18, 19)), (56, 69, (13, 14, 15, 16, 17, 18, 19)),  # Maestro, Verve
    (60, 60, (16,)), (81, 82, (16,)),  # RuPay
)  # fmt: skip


def card_scheme_known(number: str) -> bool:
    """Whether a card scheme issues ``number``'s prefix at its length."""
    for first, last, lengths in CARD_SCHEMES:
        width = len(str(first))
        if len(number) in lengths and first <= int(number[:width]) <= last:
            return True
    return False


def find_cards(text: str) -> Iterator[Found]:
    """Payment card numbers: 13 to 19 digits, unbroken or in groups joined by spaces or by dashes,
    with a valid Luhn check digit and a prefix that a card scheme issues at that length.

    The whole run of digit groups must be the number: a card number followed by another number
    with the same separator between (``4111 1111 1111 1111 2025``) reads as one longer number and
    is not taken, while ``4111-1111-1111-1111 2025`` is.
    """
    from stdnum import luhn

    for run in _DIGIT_RUN.finditer(text):
        number = re.sub("[ -]", "", run.group())
        if 13 <= len(number) <= 19 and card_scheme_known(number) and luhn.is_valid(number):
            yield Found(run.start(), run.end(), "card")
