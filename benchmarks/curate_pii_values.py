"""Generated PII values and hard negatives for ``curate_pii.py``, made valid (or invalid) by the libraries.

Valid values: emails with internationalised local parts and domains; phone numbers from
``phonenumbers``' example numbers with new subscriber digits (national form for the language's own
regions, international or E.164 for others); IPv4 and IPv6; IBANs on stdnum's country layouts with
computed check digits; Luhn-valid card numbers on real issuer prefixes; national IDs with stdnum's
check digits, kept only when valid as one identifier alone (1% of 11-digit Turkish numbers are
also valid CPFs, and the kind of such a number cannot be told).

Hard negatives: dates, times, prices, counts, ISBNs, version numbers, 16-digit numbers failing
Luhn, cards failing Luhn, IBANs and IDs with a wrong check digit, invalid IPs, MAC addresses, set
scores, years in a row, handles, addresses without a domain, short numbers. A candidate that is
in fact a valid phone number in the language's regions (a spoiled CPF can be a valid US number) or
a valid ID is not used.
"""

from __future__ import annotations

import ipaddress
import random
import re
import string

from babelforge.curate.pii_phone import regions_for

ID_MODULES = {
    "id_za": "za.idnr", "id_in": "in_.aadhaar", "id_br": "br.cpf", "id_es": "es.dni", "id_cn": "cn.ric",
    "id_tr": "tr.tckimlik",
}  # fmt: skip
ID_KINDS = tuple(ID_MODULES)
PLANTED_KINDS = ("email", "phone", "ip", "iban", "card", *ID_KINDS)
DIGITS = {"arabic-indic": "٠", "persian": "۰", "devanagari": "०", "bengali": "০", "fullwidth": "０"}

LOCALS = ["amina.bello", "chinedu", "tesfaye_a", "wanjiru.k", "oluwaseun", "musa.ibrahim", "zanele", "kofi.mensah"]
IDN_LOCALS = ["用户", "अजय.कुमार", "ሰላም", "müller", "josé.garcía", "أحمد", "δοκιμή", "аня"]
DOMAINS = ["gmail.com", "yahoo.co.uk", "mail.co.ke", "unilag.edu.ng", "aau.edu.et", "example.org", "outlook.fr"]
IDN_DOMAINS = ["例子.广告", "डाटामेल.भारत", "ኢትዮ.com", "münchen.de", "مثال.مصر", "пример.рф", "xn--fiqs8s.xn--55qx5d"]


def email(rng: random.Random) -> str:
    local = rng.choice(IDN_LOCALS) if rng.random() < 0.3 else rng.choice(LOCALS) + str(rng.randrange(100))
    return f"{local}@{rng.choice(IDN_DOMAINS) if rng.random() < 0.3 else rng.choice(DOMAINS)}"


def phone(rng: random.Random, regions: tuple[str, ...]) -> str:
    import phonenumbers
    from phonenumbers import PhoneNumberFormat, PhoneNumberType

    national = rng.random() < 0.6
    region = rng.choice(regions) if national else rng.choice(("GB", "FR", "DE", "BR", "EG", "CN", "US", "ZA", "KE"))
    line = rng.choice((PhoneNumberType.MOBILE, PhoneNumberType.FIXED_LINE))
    example = phonenumbers.example_number_for_type(region, line)
    for _ in range(50):
        digits = str(example.national_number)
        number = phonenumbers.parse(digits[:-4] + "".join(rng.choices(string.digits, k=4)), region)
        if phonenumbers.is_valid_number(number):
            break
    else:
        number = example
    forms = (PhoneNumberFormat.NATIONAL,) if national else (PhoneNumberFormat.INTERNATIONAL, PhoneNumberFormat.E164)
    return phonenumbers.format_number(number, rng.choice(forms))


def ip(rng: random.Random) -> str:
    if rng.random() < 0.6:
        return str(ipaddress.IPv4Address(rng.randrange(1 << 24, 224 << 24)))
    groups = [rng.randrange(1 << 16) if rng.random() < 0.7 else 0 for _ in range(8)]
    address = ipaddress.IPv6Address(sum(g << (16 * (7 - i)) for i, g in enumerate(groups)))
    return address.compressed if rng.random() < 0.7 else address.exploded


IBAN_COUNTRIES = ("DE", "GB", "FR", "NL", "EG", "TN", "MU", "SA", "AE", "BR")


def iban(rng: random.Random) -> str:
    from stdnum import iban as stdiban
    from stdnum import numdb

    country = rng.choice(IBAN_COUNTRIES)
    layout = numdb.get("iban").info(country)[0][1]["bban"]
    pools = {"n": string.digits, "a": string.ascii_uppercase, "c": string.ascii_uppercase + string.digits}
    while True:
        bban = "".join("".join(rng.choices(pools[kind], k=int(n))) for n, kind in re.findall(r"(\d+)!([nac])", layout))
        number = country + stdiban.calc_check_digits(country + "00" + bban) + bban
        if stdiban.is_valid(number):
            return stdiban.format(number) if rng.random() < 0.7 else number


CARD_PREFIXES = [
    ("4", 16), ("51", 16), ("55", 16), ("2221", 16), ("2720", 16), ("34", 15), ("37", 15), ("6011", 16), ("62", 16),
    ("62", 19), ("3530", 16), ("5061", 19), ("2200", 16),
]  # fmt: skip


def card(rng: random.Random, luhn_ok: bool = True) -> str:
    from stdnum import luhn

    prefix, length = rng.choice(CARD_PREFIXES)
    body = prefix + "".join(rng.choices(string.digits, k=length - len(prefix) - 1))
    check = int(luhn.calc_check_digit(body))
    number = body + str(check if luhn_ok else (check + rng.randrange(1, 10)) % 10)
    sep = rng.choice([" ", "-", ""])
    sizes = {15: (4, 6, 5), 16: (4, 4, 4, 4), 19: (4, 4, 4, 4, 3)}[length]
    parts, at = [], 0
    for size in sizes:
        parts.append(number[at : at + size])
        at += size
    return sep.join(parts)


def national_id(kind: str, rng: random.Random, valid: bool = True) -> str:
    import datetime

    from stdnum import luhn, verhoeff
    from stdnum.br import cpf
    from stdnum.cn import ric
    from stdnum.es import dni
    from stdnum.tr import tckimlik

    def digits(k: int) -> str:
        return "".join(rng.choices(string.digits, k=k))

    born = datetime.date(1950, 1, 1) + datetime.timedelta(days=rng.randrange(20000))
    while True:
        if kind == "id_za":
            body = born.strftime("%y%m%d") + digits(4) + rng.choice("01") + "8"
            number = body + luhn.calc_check_digit(body)
            shown = number if rng.random() < 0.6 else f"{number[:6]} {number[6:10]} {number[10:]}"
        elif kind == "id_in":
            body = rng.choice("23456789") + digits(10)
            number = body + verhoeff.calc_check_digit(body)
            sep = rng.choice([" ", "", "-"])
            shown = sep.join((number[:4], number[4:8], number[8:]))
        elif kind == "id_br":
            body = digits(9)
            number = next(n for n in (f"{body}{c:02d}" for c in range(100)) if cpf.is_valid(n))
            shown = cpf.format(number) if rng.random() < 0.7 else number
        elif kind == "id_es":
            body = digits(8)
            shown = number = body + dni.calc_check_digit(body)
        elif kind == "id_cn":
            body = rng.choice(("110101", "310104", "440305", "510107", "420102")) + born.strftime("%Y%m%d") + digits(3)
            shown = number = body + ric.calc_check_digit(body + "0")
        else:
            body = rng.choice("123456789") + digits(8)
            shown = number = body + tckimlik.calc_check_digits(body)
        checks = [__import__(f"stdnum.{m}", fromlist=["is_valid"]).is_valid(number) for m in ID_MODULES.values()]
        if checks[list(ID_MODULES).index(kind)] and sum(checks) == 1:  # valid as this ID only
            return shown if valid else _spoil(shown, rng, ID_MODULES[kind])


def _spoil(value: str, rng: random.Random, module: str) -> str:
    """``value`` with its last digit changed so that its check fails."""
    checker = __import__(f"stdnum.{module}", fromlist=["is_valid"])
    positions = [i for i, ch in enumerate(value) if ch.isdigit()]
    while True:
        i = positions[-1]
        spoiled = value[:i] + str((int(value[i]) + rng.randrange(1, 10)) % 10) + value[i + 1 :]
        if not checker.is_valid(spoiled):
            return spoiled


def valid_value(kind: str, rng: random.Random, language: str) -> str:
    if kind == "email":
        return email(rng)
    if kind == "phone":
        return phone(rng, regions_for(language))
    if kind == "ip":
        return ip(rng)
    if kind == "iban":
        return iban(rng)
    if kind == "card":
        return card(rng)
    return national_id(kind, rng)


def negative(rng: random.Random, language: str) -> tuple[str, str]:
    """A hard negative: a string that is no PII of any kind (a valid phone number in the language's regions, or
    a valid national ID, is not taken)."""
    while True:
        name, value = _negative(rng)
        if not _valid_phone(value, regions_for(language)) and not _valid_id(value):
            return name, value


def _valid_phone(value: str, regions: tuple[str, ...]) -> bool:
    import phonenumbers

    for region in regions:
        try:
            if phonenumbers.is_valid_number(phonenumbers.parse(value, region)):
                return True
        except phonenumbers.NumberParseException:
            pass
    return False


def _valid_id(value: str) -> bool:
    return any(__import__(f"stdnum.{m}", fromlist=["is_valid"]).is_valid(value) for m in ID_MODULES.values())


def _negative(rng: random.Random) -> tuple[str, str]:
    from stdnum import ean, isbn, luhn
    from stdnum import iban as stdiban

    name = rng.choice(NEGATIVES)
    r = rng.randrange
    if name in ("isbn13", "isbn10"):
        body = "978" + "".join(rng.choices(string.digits, k=9))
        number = body + ean.calc_check_digit(body)
        number = isbn.to_isbn10(number) if name == "isbn10" else number
        shown = isbn.format(number) if rng.random() < 0.7 else number
        return name, f"ISBN {shown}" if rng.random() < 0.5 else shown
    if name == "card_bad_luhn":
        return name, card(rng, luhn_ok=False)
    if name == "random_16":
        number = "".join(rng.choices(string.digits, k=16))
        while luhn.is_valid(number):
            number = number[:-1] + str((int(number[-1]) + 1) % 10)
        return name, " ".join(number[i : i + 4] for i in range(0, 16, 4))
    if name == "iban_bad_checksum":
        good = iban(rng).replace(" ", "")
        bad = good[:2] + f"{(int(good[2:4]) + r(1, 90)) % 98 + 2:02d}" + good[4:]
        return name, bad if not stdiban.is_valid(bad) else bad[:-1] + str((int(bad[-1]) + 1) % 10)
    if name.startswith("id_"):
        return name, national_id(name.removesuffix("_bad_check"), rng, valid=False)
    return name, {
        "date_slash": f"{r(1, 29):02d}/{r(1, 13):02d}/{r(1990, 2026)}",
        "date_iso": f"{r(1990, 2026)}-{r(1, 13):02d}-{r(1, 29):02d}",
        "date_dots": f"{r(1, 29):02d}.{r(1, 13):02d}.{r(1990, 2026)}",
        "time": f"{r(24):02d}:{r(60):02d}:{r(60):02d}",
        "price_usd": f"${r(1, 999)},{r(1000):03d},{r(1000):03d}.{r(100):02d}",
        "price_ksh": f"KSh {r(1, 999)},{r(1000):03d}",
        "price_ngn": f"₦{r(1, 99)},{r(1000):03d},{r(1000):03d}",
        "price_eur": f"{r(1, 999)} {r(1000):03d} {r(1000):03d},{r(100):02d} €",
        "version": f"v{r(10)}.{r(30)}.{r(30)}" if rng.random() < 0.5 else f"version {r(10)}.{r(30)}.{r(30)}",
        "version_v4": f"v{r(10)}.{r(10)}.{r(10)}.{r(10)}",
        "ip_invalid": f"{r(256, 999)}.{r(256)}.{r(256)}.{r(256)}",
        "mac": ":".join(f"{r(256):02X}" for _ in range(6)),
        "scores": " ".join(f"{r(8)}-{r(8)}" for _ in range(r(3, 6))),
        "years": f"{r(1990, 2020)}-{r(2020, 2026)}" if rng.random() < 0.5 else f"{r(1990, 2020)} {r(2020, 2026)}",
        "count": f"{r(1, 999)},{r(1000):03d},{r(1000):03d}",
        "handle": f"@{rng.choice(LOCALS).split('.')[0]}",
        "email_no_tld": f"{rng.choice(LOCALS)}@localhost",
        "short_phone": f"+{r(20, 999)} {r(10, 999)}",
    }[name]


NEGATIVES = (
    "isbn13", "isbn10", "card_bad_luhn", "iban_bad_checksum", *(f"{k}_bad_check" for k in ID_KINDS), "date_slash",
    "date_iso", "date_dots", "time", "price_usd", "price_ksh", "price_ngn", "price_eur", "version", "version_v4",
    "random_16", "ip_invalid", "mac", "scores", "years", "count", "handle", "email_no_tld", "short_phone",
)  # fmt: skip


def in_digits(value: str, script: str) -> str:
    """``value`` with its ASCII digits written in ``script`` (a key of :data:`DIGITS`)."""
    zero = ord(DIGITS[script])
    return "".join(chr(zero + int(ch)) if ch.isdigit() and ch.isascii() else ch for ch in value)
