"""The pii finders: each kind planted in several scripts, digits of other scripts, hard negatives, regions."""

import doctest
from typing import get_args

import pytest
from datatrove.data import Document

from babelforge.curate import pii, pii_edit, pii_find, pii_ids, pii_patterns, pii_phone
from babelforge.curate.pii import IdName, Kind, PiiStep
from babelforge.curate.pii_find import KINDS, PiiFinder
from babelforge.curate.pii_ids import NATIONAL_IDS
from babelforge.curate.pii_phone import FALLBACK_REGIONS, regions_for

# One valid value per kind (stdnum's own examples for the identifiers).
VALUES = {
    "email": "amina.bello@example.com",
    "phone": "+234 803 123 4567",
    "ip": "2001:db8::8a2e:370:7334",
    "iban": "GB82 WEST 1234 5698 7654 32",
    "card": "4111 1111 1111 1111",
    "id_za": "7503305044089",
    "id_in": "2341 2341 2346",
    "id_br": "390.533.447-05",
    "id_es": "54362315K",
    "id_cn": "360426199101010071",
    "id_tr": "17291716060",
}
# Sentences in five scripts; Chinese has no spaces, so the value is glued to Han letters.
CONTEXTS = {
    "hau_Latn": "Don ƙarin bayani a tuntuɓi {} a yau.",
    "arb_Arab": "للمزيد من المعلومات اتصل على {} اليوم.",
    "hin_Deva": "अधिक जानकारी के लिए {} पर संपर्क करें।",
    "amh_Ethi": "ለበለጠ መረጃ {} ይደውሉ።",
    "zho_Hans": "如需更多信息请联系{}谢谢。",
}
DIGITS = {"arabic-indic": "٠", "devanagari": "०", "bengali": "০", "fullwidth": "０", "persian": "۰"}


def in_digits(value: str, zero: str) -> str:
    return "".join(chr(ord(zero) + int(ch)) if ch.isdigit() else ch for ch in value)


def replaced(text: str, language: str | None = None, **settings) -> tuple[str, dict]:
    doc = PiiStep(**settings).process(Document(text, "1", metadata={"language": language}))
    return doc.text, doc.metadata["pii"]


@pytest.mark.parametrize("language", CONTEXTS)
@pytest.mark.parametrize("kind", VALUES)
def test_each_kind_is_replaced_in_each_script(kind, language):
    context = CONTEXTS[language]
    text, counts = replaced(context.format(VALUES[kind]), language)
    assert text == context.format(f"<{kind.upper()}>")
    assert counts == {kind: 1}


@pytest.mark.parametrize("zero", DIGITS.values(), ids=DIGITS)
@pytest.mark.parametrize("kind", ["phone", "card", "id_za", "id_in", "id_br", "id_cn", "id_tr"])
def test_digits_of_other_scripts_are_found_and_the_original_characters_replaced(kind, zero):
    value = in_digits(VALUES[kind], zero)
    text, counts = replaced(f"رقم {value} هنا", "arb_Arab")
    assert text == f"رقم <{kind.upper()}> هنا"
    assert counts == {kind: 1}


@pytest.mark.parametrize(
    "address",
    ["अजय.कुमार@डाटामेल.भारत", "用户@例子.广告", "müller@münchen.de", "ሰላም@ኢትዮ.com", "user@xn--fiqs8s.xn--55qx5d"],
)
def test_internationalised_emails(address):
    assert replaced(f"Write to {address} today", "eng_Latn") == ("Write to <EMAIL> today", {"email": 1})


def test_an_email_glued_to_han_letters_ends_where_the_script_changes():
    assert (
        replaced("请联系john.doe@example.com获取资料。由：ሰላም@example.org二世")[0]
        == "请联系<EMAIL>获取资料。由：<EMAIL>二世"
    )


@pytest.mark.parametrize(
    ("language", "number"),
    [
        ("hau_Latn", "0803 123 4567"),
        ("swh_Latn", "0712 345678"),
        ("amh_Ethi", "0911 234 567"),
        ("eng_Latn", "+44 20 7946 0958"),
    ],
)
def test_national_phone_numbers_are_found_in_the_regions_of_the_language(language, number):
    assert replaced(f"Call {number} now.", language) == ("Call <PHONE> now.", {"phone": 1})


def test_a_national_number_needs_its_region():
    assert replaced("Piga 0712 345678 leo", regions=["KE"])[1] == {"phone": 1}
    assert replaced("Piga 0712 345678 leo", regions=["BR"])[1] == {}
    assert replaced("Piga +254 712 345678 leo", regions=["BR"])[1] == {"phone": 1}  # international form: any region


def test_two_phone_numbers_in_a_row_need_more_than_a_space_between():
    assert replaced("0803 123 4567, 0805 765 4321", "hau_Latn")[0] == "<PHONE>, <PHONE>"
    assert replaced("08031234567 08057654321", "hau_Latn")[0] == "<PHONE> <PHONE>"
    assert replaced("0803 123 4567 0805 765 4321", "hau_Latn")[1] == {}  # the matcher reads one long number


NEGATIVES = [
    "12/03/2024", "2024-03-15", "15.03.2024", "05.01.2022", "12:30:45",  # dates, times
    "$1,234,567.89", "₦3,500,000", "1 234 567,89 €", "1,000,000",  # prices, counts
    "978-3-16-148410-0", "ISBN 0-306-40615-2", "0-306-40615-2", "ISBN: 0306406152", "9783161484100",  # ISBNs
    "v2.14.4", "3.10.12", "v1.2.3.4",  # versions
    "4111 1111 1111 1112", "7349 2839 1029 3847", "5500-0000-0000-0005",  # 16 digits failing Luhn
    "GB82 WEST 1234 5698 7654 33", "DE89 3704 0044 0532 0130 01",  # IBANs with a bad checksum
    "7503305044088", "234123412345", "390.533.447-06", "54362315J", "360426199101010072",  # bad check digits
    "999.1.2.3", "00:1A:2B:3C:4D:5E", "6-4 3-6 6-1 3-6 6-3", "2019-2020", "2020 2005", "2017-2021 - 36",
    "user@localhost", "@handle", "+234 123",
]  # fmt: skip


@pytest.mark.parametrize("language", ["eng_Latn", "hau_Latn", "swh_Latn", "arb_Arab", "hin_Deva", "zho_Hans", None])
def test_hard_negatives_are_left_alone(language):
    for value in NEGATIVES:
        assert replaced(f"On {value} they met.", language) == (f"On {value} they met.", {}), value


def test_a_card_number_must_be_the_whole_run_of_digit_groups():
    assert replaced("4111 1111 1111 1111 2025")[1] == {}
    assert replaced("4111-1111-1111-1111 2025")[0] == "<CARD> 2025"


def test_a_grouped_id_inside_a_longer_number_is_not_taken():
    assert replaced("acct 1111 2341 2341 2346", kinds=["id"])[1] == {}  # ends in a valid Aadhaar
    assert replaced("born 1980, id 7503305044089 2020", kinds=["id"])[0] == "born 1980, id <ID_ZA> 2020"


def test_a_value_after_a_plus_is_a_phone_number_not_an_id():
    assert replaced("+12015550437", "eng_Latn") == ("<PHONE>", {"phone": 1})


def test_overlaps_go_to_the_checked_kind_and_the_email():
    finder = PiiFinder(KINDS)
    assert [f.kind for f in finder.find("08031234567@gmail.com and 7503305044089", "hau_Latn")] == ["email", "id_za"]


def test_kinds_and_ids_select_what_is_found():
    text = "ada@example.org 7503305044089 54362315K 192.168.0.1"
    assert replaced(text, kinds=["ip"])[0] == "ada@example.org 7503305044089 54362315K <IP>"
    assert replaced(text, kinds=["id"], ids=["es.dni"])[0] == "ada@example.org 7503305044089 <ID_ES> 192.168.0.1"


def test_regions_come_from_the_language():
    assert regions_for("swh_Latn") == ("TZ", "CD", "KE", "UG")
    assert regions_for("amh_Ethi") == ("ET",)
    assert regions_for("hau_Latn") == ("NG", "NE")
    assert regions_for("pcm_Latn") == ("NG",)  # outside babelforge's table, but CLDR places it
    assert regions_for("xyz_Latn") == regions_for(None) == FALLBACK_REGIONS


def test_settings_name_exactly_the_finders_kinds_and_ids():
    assert get_args(Kind) == KINDS
    assert get_args(IdName) == tuple(NATIONAL_IDS)


def test_docstring_examples():
    for module in (pii, pii_edit, pii_find, pii_ids, pii_patterns, pii_phone):
        assert doctest.testmod(module).failed == 0, module.__name__
