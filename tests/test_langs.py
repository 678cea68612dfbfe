import pytest

from babelforge import langs
from babelforge.errors import UnknownLanguageError


def nllb_codes():
    return [lang.nllb for lang in langs.all_languages() if lang.nllb]


def test_every_nllb200_language_is_covered_and_canonical():
    codes = nllb_codes()
    assert len(codes) == 202
    for code in codes:
        assert langs.resolve(code).code == code


@pytest.mark.parametrize(
    ("spelling", "code"),
    [
        ("ha", "hau_Latn"),
        ("hau", "hau_Latn"),
        ("Hausa", "hau_Latn"),
        ("HAUSA", "hau_Latn"),
        ("hau-Latn", "hau_Latn"),
        ("am", "amh_Ethi"),
        ("sw", "swh_Latn"),
        ("swa", "swh_Latn"),
        ("Swahili", "swh_Latn"),
        ("ar", "arb_Arab"),
        ("Persian", "pes_Arab"),
        ("zh-Hans", "zho_Hans"),
        ("Chinese (Traditional)", "zho_Hant"),
        ("en", "eng_Latn"),
    ],
)
def test_accepted_spellings(spelling, code):
    assert langs.resolve(spelling).code == code


@pytest.mark.parametrize(("value", "choices"), [("zh", {"zho_Hans", "zho_Hant"}), ("ace", {"ace_Arab", "ace_Latn"})])
def test_ambiguous_codes_fail_with_every_reading(value, choices):
    with pytest.raises(UnknownLanguageError) as error:
        langs.resolve(value)
    assert set(error.value.suggestions) == choices
    assert "ambiguous" in str(error.value)


def test_unknown_code_suggests_close_codes():
    with pytest.raises(UnknownLanguageError) as error:
        langs.resolve("hausa_Latn")
    assert error.value.suggestions == ["hau_Latn"]
    assert "did you mean 'hau_Latn'" in str(error.value)


def test_tags_per_model_family():
    hausa = langs.resolve("hau_Latn")
    assert hausa.tag("nllb") == "hau_Latn"
    assert hausa.tag("m2m100") == "__ha__"
    assert hausa.tag("marian") is None
    assert hausa.tag("glotlid") == "__label__hau_Latn"
    assert hausa.tag("fasttext") == "__label__ha"
    assert langs.resolve("sw").tag("lingua") == "SWAHILI"
    assert langs.resolve("nso").tag("m2m100") == "__ns__"
    with pytest.raises(ValueError, match="valid: nllb"):
        hausa.tag("opus")


def test_every_lingua_and_m2m100_language_maps():
    lingua = {lang.lingua for lang in langs.all_languages() if lang.lingua}
    m2m = {lang.m2m100 for lang in langs.all_languages() if lang.m2m100}
    assert len(lingua) == 75
    assert len(m2m) == 100


@pytest.mark.parametrize(
    ("value", "code", "name"),
    [("pcm", "pcm_Latn", "Nigerian Pidgin"), ("kri_Latn", "kri_Latn", "Krio"), ("bss", "bss_Latn", "Akoose")],
)
def test_languages_outside_the_table_resolve_by_their_iso_code(value, code, name):
    lang = langs.resolve(value)
    assert (lang.code, lang.name) == (code, name)
    assert lang.tag("glotlid") == f"__label__{code}"
    assert lang.tag("nllb") is None  # no model family's tag is made up


@pytest.mark.parametrize("value", ["zzz", "qaa", "pcm_Xxxx", "Nigerian Pidgin", "p"])
def test_codes_cldr_does_not_know_and_names_outside_the_table_stay_unknown(value):
    with pytest.raises(UnknownLanguageError):
        langs.resolve(value)
