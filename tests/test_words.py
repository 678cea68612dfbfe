"""babelforge.words: every script of the languages table, real sentences, and random Unicode text."""

import random
import sys
import unicodedata
from functools import cache
from pathlib import Path

import pytest
import regex
from hypothesis import given, settings
from hypothesis import strategies as st

import babelforge
from babelforge import words as module
from babelforge.words import NO_SPACE_SCRIPTS, is_word, word_spans, words

#: The languages table's ISO 15924 codes, as Unicode script names (Jpan writes three scripts).
SCRIPTS = {
    "Arab": ["Arabic"], "Armn": ["Armenian"], "Beng": ["Bengali"], "Cyrl": ["Cyrillic"], "Deva": ["Devanagari"],
    "Ethi": ["Ethiopic"], "Geor": ["Georgian"], "Grek": ["Greek"], "Gujr": ["Gujarati"], "Guru": ["Gurmukhi"],
    "Hang": ["Hangul"], "Hans": ["Han"], "Hant": ["Han"], "Hebr": ["Hebrew"], "Jpan": ["Han", "Hiragana", "Katakana"],
    "Khmr": ["Khmer"], "Knda": ["Kannada"], "Laoo": ["Lao"], "Latn": ["Latin"], "Mlym": ["Malayalam"],
    "Mymr": ["Myanmar"], "Orya": ["Oriya"], "Sinh": ["Sinhala"], "Taml": ["Tamil"], "Telu": ["Telugu"],
    "Tfng": ["Tifinagh"], "Thai": ["Thai"], "Tibt": ["Tibetan"],
}  # fmt: skip

#: Real sentences; in the spaced scripts every space-separated chunk (less its punctuation) is one word.
SENTENCES = {
    "Latn": "The well-known village's shops aren't closing, said Zoë.",
    "Arab": "اللغة العربية جميلة جدا.",
    "Cyrl": "Москва — столица России.",
    "Deva": "भारत एक विशाल देश है।",
    "Beng": "আমি বাংলায় গান গাই।",
    "Taml": "தமிழ் ஒரு பழமையான மொழி.",
    "Telu": "తెలుగు ఒక భాష.",
    "Knda": "ಕನ್ನಡ ಒಂದು ಭಾಷೆ.",
    "Mlym": "മലയാളം ഒരു ഭാഷയാണ്.",
    "Gujr": "ગુજરાતી એક ભાષા છે.",
    "Guru": "ਪੰਜਾਬੀ ਇੱਕ ਭਾਸ਼ਾ ਹੈ।",
    "Orya": "ଓଡ଼ିଆ ଏକ ଭାଷା।",
    "Sinh": "සිංහල භාෂාව ලස්සනයි.",
    "Hebr": "שלום עולם, מה שלומך?",
    "Ethi": "አዲስ አበባ የኢትዮጵያ ዋና ከተማ ናት።",
    "Grek": "Η Αθήνα είναι η πρωτεύουσα της Ελλάδας.",
    "Geor": "საქართველო ლამაზი ქვეყანაა.",
    "Armn": "Հայաստանը գեղեցիկ երկիր է։",
    "Hang": "한국어는 아름다운 언어입니다.",
    "Tfng": "ⵜⴰⵎⴰⵣⵉⵖⵜ ⵜⴰⵏⴰⵎⵉⵔⵜ.",
    "Hans": "我爱北京天安门。",
    "Hant": "我愛臺北。",
    "Jpan": "東京は日本の首都です。",
    "Thai": "ภาษาไทยเป็นภาษาที่สวยงาม",
    "Laoo": "ພາສາລາວເປັນພາສາທີ່ສວຍງາມ",
    "Khmr": "ភាសាខ្មែរគឺជាភាសាផ្លូវការ",
    "Mymr": "မြန်မာဘာသာစကားသည် လှပသည်။",
    "Tibt": "བོད་ཀྱི་སྐད་ཡིག།",
}
NO_SPACE = {"Hans", "Hant", "Jpan", "Thai", "Laoo", "Khmr", "Mymr", "Tibt"}


#: What a combining mark cannot attach to: a token may start with a mark that follows one of these.
NO_BASE = r"[\s\p{Grapheme_Cluster_Break=Control}\p{Grapheme_Cluster_Break=CR}\p{Grapheme_Cluster_Break=LF}]"


def check_tokens(text: str) -> None:
    """What every tokenization must hold, in any script."""
    spans = word_spans(text)
    clusters = {0} | {m.end() for m in regex.finditer(r"\X", text)}
    glued = {i for m in regex.finditer(r"\X", text) if regex.match(r"\s", m.group()) for i in range(*m.span())}
    covered = set()
    previous = 0
    for start, end in spans:
        assert previous <= start < end <= len(text), (text, spans)
        token = text[start:end]
        assert not regex.fullmatch(r"\s+", token), (text, token)  # Unicode White_Space
        # a cut inside a cluster only where it begins with whitespace (a space and a stray mark)
        assert start in clusters or start in glued, (text, token)
        assert end in clusters or end - 1 in glued, (text, token)
        if unicodedata.category(text[start]).startswith("M"):
            assert start == 0 or regex.match(NO_BASE, text[start - 1]), (text, token)
        covered.update(range(start, end))
        previous = end
    for i, character in enumerate(text):
        assert i in covered or regex.match(r"\s", character), (text, i, character)


@cache
def characters(script: str) -> tuple[str, str]:
    """The letters and the combining marks of a script, from Unicode's data (those Python also knows)."""
    every = "".join(chr(c) for c in range(0x30000) if not 0xD800 <= c < 0xE000)
    found = regex.findall(rf"\p{{Script={script}}}", every)
    letters = "".join(c for c in found if unicodedata.category(c).startswith("L") and not _prepends(c))
    marks = "".join(c for c in found if unicodedata.category(c) in ("Mn", "Mc"))
    return letters, marks or "\u0301"


def _prepends(character: str) -> bool:
    return regex.match(r"\p{Grapheme_Cluster_Break=Prepend}", character) is not None


def generated(script: str, count: int = 40) -> list[str]:
    """Words of letters, each but the first perhaps with a mark, drawn from the whole script."""
    letters, marks = characters(script)
    rng = random.Random(script)
    out = []
    for _ in range(count):
        word = rng.choice(letters)
        for _ in range(rng.randint(0, 3)):
            word += rng.choice(marks) * rng.randint(0, 1) + rng.choice(letters)
        out.append(word + rng.choice(marks) * rng.randint(0, 1))
    return out


def table_scripts() -> list[str]:
    table = Path(babelforge.__file__).parent / "data" / "languages.tsv"
    rows = [line.split("\t") for line in table.read_text(encoding="utf-8").splitlines()]
    column = rows[0].index("script")
    return sorted({row[column] for row in rows[1:]})


def test_every_script_of_the_languages_table_is_covered_here():
    assert set(table_scripts()) <= set(SCRIPTS), "add the new script to SCRIPTS and SENTENCES"
    assert set(table_scripts()) <= set(SENTENCES)


@pytest.mark.parametrize("code", sorted(SCRIPTS))
def test_words_generated_from_each_script_keep_clusters_and_marks_whole(code):
    for script in SCRIPTS[code]:
        sample = generated(script)
        text = " ".join(sample)
        check_tokens(text)
        if script not in NO_SPACE_SCRIPTS:
            assert words(text) == sample  # every mark stays in its word
        else:
            tokens = [text[a:b] for a, b in word_spans(text)]
            assert "".join(tokens) == "".join(sample)


@pytest.mark.parametrize("code", sorted(SENTENCES))
def test_real_sentences(code):
    text = SENTENCES[code]
    check_tokens(text)
    if code not in NO_SPACE:
        chunks = [regex.sub(r"^\W+|\W+$", "", chunk) for chunk in text.split()]
        assert words(text) == [c for c in chunks if c]


def test_hindi_keeps_its_vowel_signs():
    assert words("भारत की राजधानी") == ["भारत", "की", "राजधानी"]
    assert word_spans("भारत।") == [(0, 4), (4, 5)]


def test_chinese_gives_a_boundary_between_every_two_characters():
    text = "我爱北京天安门。"
    assert [text[a:b] for a, b in word_spans(text)] == list(text)
    assert words(text) == list("我爱北京天安门")


def test_latin_words_hyphens_apostrophes_and_symbols():
    text = "Well-known l'homme's £5 “quote” — x² e\u0301t\u00e9 😀👍🏽 _x_"
    tokens = [text[a:b] for a, b in word_spans(text)]
    assert tokens == ["Well-known", "l'homme's", "£", "5", "“", "quote", "”", "—", "x", "²", "e\u0301té", "😀", "👍🏽",
                      "_x_"]  # fmt: skip
    assert [is_word(t) for t in ("²", "—", "5", "_x_")] == [False, False, True, True]


THAI = "ภาษาไทยเป็นภาษาที่สวยงาม"


def clusters(text: str) -> list[str]:
    return regex.findall(r"\X", text)


def test_thai_lao_khmer_myanmar_get_dictionary_words_with_icu():
    pytest.importorskip("icu4py")
    assert words(THAI) == ["ภาษา", "ไทย", "เป็น", "ภาษา", "ที่", "สวยงาม"]
    for code in ("Laoo", "Khmr", "Mymr"):
        text = SENTENCES[code]
        assert len(words(text)) < len([c for c in clusters(text) if is_word(c)]) / 2, code
    # a letter from outside the BMP inside a run: ICU counts UTF-16 units, the spans code points
    text = "ภาษา\U0001d167ไทย 𝐀"
    check_tokens(text)
    assert words(text)[-1] == "𝐀"


def test_without_icu_the_dictionary_scripts_fall_back_to_clusters(monkeypatch, caplog):
    monkeypatch.setitem(sys.modules, "icu4py.breakers", None)
    module._word_breaker.cache_clear()
    try:
        tokens = [THAI[a:b] for a, b in word_spans(THAI)]
        assert tokens == clusters(THAI)
        assert "ที่" in tokens  # a consonant keeps its vowel sign and tone mark
        assert "pip install icu4py" in caplog.text
        assert module.tokenizer_info()["icu"] is None
    finally:
        module._word_breaker.cache_clear()


def test_text_that_needs_clusters_is_always_recognised():
    every = "".join(chr(c) for c in range(0x110000) if not 0xD800 <= c < 0xE000)
    closed = "".join(f"\\p{{Script={s}}}" for s in NO_SPACE_SCRIPTS)
    found = regex.findall(rf"[{closed}]|[\w&&\p{{Grapheme_Cluster_Break=Prepend}}]", every, flags=regex.V1)
    assert {"ൎ", "ก"} <= set(found)
    assert not [c for c in found if module._NEEDS_CLUSTERS.match(c) is None]


def test_the_simple_range_tokenizes_as_the_general_pattern():
    simple = [chr(c) for c in range(0x110000) if module._BEYOND_SIMPLE.match(chr(c)) is None]
    for character in simple:
        for text in (character, f"a{character}b", f"{character}x-{character}'y"):
            assert word_spans(text) == module._any_spans(text), repr(text)


INTERESTING = (
    "aZé\u0301\u0308'’- \t\n_.,!²😀👍🏽\u200d\u200c🇧🇷中文かナ한ภาษาไทยໄທ\u0e33ខ្មែរမြန်भारतمرحباשלום\U0001d167\u0600𝐀ൎ"
)
TEXT = st.text(st.one_of(st.sampled_from(INTERESTING), st.characters(exclude_categories=["Cs"])), max_size=40)


@settings(max_examples=300, deadline=None)
@given(TEXT)
def test_random_text_keeps_every_property(text):
    check_tokens(text)
    assert word_spans(text) == module._any_spans(text)  # the fast paths change nothing


@settings(max_examples=200, deadline=None)
@given(st.text(st.characters(max_codepoint=0x2FF, exclude_categories=["Cs"]), max_size=30))
def test_random_latin_text_takes_the_fast_path_unchanged(text):
    assert word_spans(text) == module._any_spans(text)
