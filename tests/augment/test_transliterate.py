"""The transliterate step: scripts, tables, one origin only, offsets that stay right, counts, manifests."""

import json
import subprocess
import sys
from pathlib import Path

import pyarrow.parquet as pq
import pytest
from datatrove.data import Document
from hypothesis import given, settings
from hypothesis import strategies as st
from pydantic import ValidationError

from babelforge.augment.transliterate import TransliterateStep
from babelforge.augment.transliterate_settings import TransliterateSettings
from babelforge.augment.transliterate_tables import table_for
from babelforge.augment.transliterators import TransliterationFailed
from babelforge.errors import BabelforgeError
from babelforge.spans import Span, join_tokens, tags_to_spans
from babelforge.steps import Drop
from babelforge.words import word_spans

REPO = Path(__file__).parents[2]
CYRILLIC = [  # hand-written for these tests (CC0): token, tag
    [("Вук", "B-PER"), ("Караџић", "I-PER"), ("је", "O"), ("рођен", "O"), ("у", "O"), ("Тршићу", "B-LOC"), (".", "O")],
    [("Ђорђе", "B-PER"), ("живи", "O"), ("у", "O"), ("Новом", "B-LOC"), ("Саду", "I-LOC"), ("!", "O")],
]


def record(text, language, spans=(), **metadata):
    return Document(text, "r1", metadata={"language": language, "spans": list(spans), **metadata})


def conll_records(text: str) -> list[tuple[str, list[Span], str]]:
    """``(text, spans, sentence id)`` of each sentence of a CoNLL text with ``# sent_id`` comments."""
    out = []
    for block in text.strip().split("\n\n"):
        lines = block.splitlines()
        pairs = [line.split("\t") for line in lines if not line.startswith("#")]
        joined, offsets = join_tokens([token for token, _ in pairs])
        out.append((joined, tags_to_spans([tag for _, tag in pairs], offsets), lines[0].split("= ")[1]))
    return out


def assert_spans_follow(step, before: Document, after: Document, language: str) -> None:
    """Every span covers the transliteration of exactly the text it covered."""
    assert len(after.metadata["spans"]) == len(before.metadata["spans"])
    for old, new in zip(before.metadata["spans"], map(Span._make, after.metadata["spans"]), strict=True):
        assert new.label == old[2]
        assert after.text[new.start : new.end] == step.transliterate(before.text[old[0] : old[1]], language)


def count(step, key: str) -> float:
    """A step's count under ``key`` (0 when it never counted it)."""
    return step.stats.stats[key].total if key in step.stats.stats else 0


def copy(doc: Document) -> Document:
    return Document(doc.text, doc.id, metadata=json.loads(json.dumps(doc.metadata)))


@pytest.fixture(scope="module")
def romanise():
    pytest.importorskip("uroman")
    return TransliterateStep("Latn")


# -- tables -----------------------------------------------------------------------------------------


def test_serbian_both_ways_with_its_digraphs_and_case():
    to_latin, to_cyrillic = table_for("srp", "Cyrl", "Latn"), table_for("srp", "Latn", "Cyrl")
    words = ["Љубав", "ЉУБАВ", "Ђорђе", "џемпер", "Њива"]
    assert [to_latin.transliterate(w) for w in words] == ["Ljubav", "LJUBAV", "Đorđe", "džemper", "Njiva"]
    assert [to_cyrillic.transliterate(to_latin.transliterate(w)) for w in words] == words
    assert to_cyrillic.transliterate("c\u030cas") == "час"  # a decomposed č reads as č
    assert to_cyrillic.transliterate("quiz") == "qуиз"  # no Serbian letter for q: left, and counted (below)


def test_uzbek_follows_the_1995_rules():
    uzbek = table_for("uzn", "Cyrl", "Latn")
    assert [uzbek.transliterate(w) for w in ["Ўзбекистон", "ердан", "поезд", "цирк", "Ғалаба", "маъно", "ЧОЙ"]] == [
        "Oʻzbekiston", "yerdan", "poyezd", "sirk", "Gʻalaba", "maʼno", "CHOY",
    ]  # fmt: skip


def test_devanagari_is_iso_15919():
    deva = table_for("hin", "Deva", "Latn")
    assert table_for("mar", "Deva", "Latn") is deva  # one table for every Devanagari language
    words = ["नमस्ते", "भारत", "हिंदी", "संस्कृत", "क\u093cिला", "\u0958िला", "आँख", "२०२४"]
    assert [deva.transliterate(w) for w in words] == [
        "namastē", "bhārata", "hiṁdī", "saṁskr̥ta", "qilā", "qilā", "ām̐kha", "2024",
    ]  # fmt: skip


# -- whole records, several scripts ----------------------------------------------------------------


@pytest.mark.parametrize(
    ("language", "text", "expected", "new_language"),
    [
        ("rus_Cyrl", "Привет, Москва!", "Privet, Moskva!", "rus_Latn"),
        ("srp_Cyrl", "Београд је главни град.", "Beograd je glavni grad.", "srp_Latn"),  # the Serbian table
        ("hin_Deva", "सीता दिल्ली में रहती है।", "sītā dillī mēṁ rahatī hai.", "hin_Latn"),  # ISO 15919
        ("hau_Arab", "يعيش محمد في القاهرة.", "y'ysh mhmd fy alqahra.", "hau_Latn"),
        ("amh_Ethi", "አበበ በአዲስ አበባ ይኖራል።", "ababa baadise ababaa yenoraale.", "amh_Latn"),
        ("ell_Grek", "Ο Γιάννης μένει στην Αθήνα.", "O Giannes menei sten Athena.", "ell_Latn"),
    ],
)
def test_each_script_is_romanised_and_the_language_changes_script(romanise, language, text, expected, new_language):
    doc = romanise.process(record(text, language))
    assert (doc.text, doc.metadata["language"], doc.metadata["original_text"]) == (expected, new_language, text)
    assert doc.metadata["lineage"][-1]["step"] == "transliterate"


def test_uroman_is_told_the_macrolanguage_its_rules_are_written_for():
    from babelforge.augment.transliterators import UromanBackend, backend
    from babelforge.langs import resolve

    persian = backend(None, resolve("pes_Arab"), "Arab", "Latn")
    assert isinstance(persian, UromanBackend)
    assert persian.language == "fas"
    assert backend(None, resolve("rus_Cyrl"), "Cyrl", "Latn").language == "rus"
    assert backend(None, resolve("uzn_Cyrl"), "Cyrl", "Latn").name == "table:uzb_Cyrl-Latn"


def test_icu_transforms_both_ways():
    pytest.importorskip("icu")
    to_latin = TransliterateStep("Latn", scheme="icu")
    assert to_latin.process(record("Καλημέρα κόσμε", "ell_Grek")).text == "Kalēméra kósme"
    to_cyrillic = TransliterateStep("Cyrl", scheme="icu", from_script="Latn")
    assert to_cyrillic.process(record("Zdravo svete", "srp_Latn")).text == "Здраво свете"


def test_spans_cover_the_same_words_in_every_script_of_the_samples(romanise, data_dir):
    samples = conll_records((data_dir / "hard-scripts.conll").read_text(encoding="utf-8"))
    languages = {"amh": "amh_Ethi", "ara": "arb_Arab", "hin": "hin_Deva", "heb": "heb_Hebr", "tha": "tha_Thai"}
    samples = [(text, spans, languages[sid.split("-")[0]]) for text, spans, sid in samples if sid[:3] in languages]
    for sentence in CYRILLIC:
        text, offsets = join_tokens([t for t, _ in sentence])
        samples.append((text, tags_to_spans([tag for _, tag in sentence], offsets), "srp_Cyrl"))
    assert {language[-4:] for *_, language in samples} >= {"Ethi", "Arab", "Deva", "Cyrl"}
    for text, spans, language in samples:
        before = record(text, language, spans)
        after = romanise.process(copy(before))
        assert after.text != text
        assert_spans_follow(romanise, before, after, language)


def test_a_span_inside_a_word_lands_inside_its_transliteration(romanise):
    before = record("يعيش محمد في القاهرة", "arb_Arab", [(14, 20, "LOC")])  # لقاهرة: inside القاهرة
    after = romanise.process(copy(before))
    assert after.text[slice(*after.metadata["spans"][0][:2])] == romanise.transliterate("لقاهرة", "arb_Arab")
    assert count(romanise, "spans_widened") == 0


def test_a_span_cutting_a_syllable_is_widened_and_counted():
    step = TransliterateStep("Latn", scheme="table")
    doc = step.process(record("नमस्ते", "hin_Deva", [(0, 3, "X")]))  # नमस: ends between स and its virama
    assert doc.metadata["spans"] == [Span(0, len("namastē"), "X")]
    assert count(step, "spans_widened") == 1
    assert doc.metadata["lineage"][-1]["spans_widened"] == 1


def test_token_offsets_and_segments_move_with_the_text():
    step = TransliterateStep("Latn", scheme="table")
    tokens = ["Вук", "Караџић", "је", "рођен", "."]
    text, offsets = join_tokens(tokens)
    segments = [{"language": "srp_Cyrl", "source_id": "a", "start": 0, "end": 11, "offset": 0},
                {"language": "srp_Cyrl", "source_id": "a", "start": 12, "end": 20, "offset": 12}]  # fmt: skip
    doc = step.process(record(text, "srp_Cyrl", token_offsets=offsets, segments=segments))
    moved = [doc.text[a:b] for a, b in doc.metadata["token_offsets"]]
    assert moved == ["Vuk", "Karadžić", "je", "rođen", "."]
    assert [s["offset"] for s in doc.metadata["segments"]] == [0, doc.text.index("je")]
    assert {s["language"] for s in doc.metadata["segments"]} == {"srp_Latn"}


# -- offsets, as a property -------------------------------------------------------------------------

SERBIAN_WORDS = st.text("абвгдђежзијклљмнњопрстћуфхцчџш", min_size=1, max_size=6).flatmap(
    lambda w: st.sampled_from([w, w[:1].upper() + w[1:]])
)
ANY_WORD = st.one_of(
    SERBIAN_WORDS,
    st.sampled_from(["नमस्ते", "दिल्ली", "क़िला", "Beograd", "2024", "l'homme", "—", ",", "।", "😀", "Ђорђе"]),
)


@st.composite
def text_and_spans(draw, words=ANY_WORD, anywhere=False):
    parts = draw(st.lists(words, min_size=1, max_size=8))
    text = "".join(p + draw(st.sampled_from([" ", "", ", ", "\n"])) for p in parts)
    bounds = sorted({0, len(text), *(b for span in word_spans(text) for b in span)})
    choices = range(len(text) + 1) if anywhere else bounds
    spans = []
    for _ in range(draw(st.integers(0, 4))):
        start, end = sorted(draw(st.lists(st.sampled_from(choices), min_size=2, max_size=2)))
        if start < end:
            spans.append((start, end, draw(st.sampled_from(["PER", "LOC"]))))
    return text, spans


@settings(max_examples=150, deadline=None)
@given(text_and_spans())
def test_spans_on_word_boundaries_cover_exactly_the_transliteration_of_what_they_covered(sample):
    text, spans = sample
    step = TransliterateStep("Latn", scheme="table", from_script="Cyrl")
    before = record(text, "srp_Cyrl", spans)
    assert_spans_follow(step, before, step.process(copy(before)), "srp_Cyrl")


@settings(max_examples=150, deadline=None)
@given(text_and_spans(words=st.text("абвгдђежзијклљмнњопрстћуфхцчџш", min_size=1, max_size=6), anywhere=True))
def test_spans_anywhere_in_a_letter_by_letter_table_stay_exact(sample):
    """Lower case only: in ``ЉУ`` the ``Љ`` is ``LJ``, alone ``Lj``, so a cut inside an upper-case word widens."""
    text, spans = sample
    step = TransliterateStep("Latn", scheme="table")
    before = record(text, "srp_Cyrl", spans)
    assert_spans_follow(step, before, step.process(copy(before)), "srp_Cyrl")
    assert count(step, "spans_widened") == 0


@settings(max_examples=60, deadline=None)
@given(text_and_spans(words=st.sampled_from(["يعيش", "محمد", "القاهرة", "አበበ", "በአዲስ", "Привет", "ok", "."])))
def test_uroman_spans_on_word_boundaries_follow(romanise, sample):
    text, spans = sample
    for language in ("arb_Arab", "amh_Ethi", "rus_Cyrl"):
        before = record(text, language, spans)
        assert_spans_follow(romanise, before, romanise.process(copy(before)), language)


# -- one origin only --------------------------------------------------------------------------------


def test_only_the_words_of_a_lexicon_change_and_the_language_stays(tmp_path):
    lexicon = tmp_path / "srp-words.tsv"
    lexicon.write_text("# Serbian words\nbeograd\tBelgrade\nje\tis\n", encoding="utf-8")
    settings = TransliterateSettings(to="Cyrl", scheme="table", from_script="Latn", only={"lexicon": str(lexicon)})
    step = settings.build(None)
    doc = step.process(record("Beograd je big, Beograd!", "srp_Latn", [(0, 7, "LOC"), (16, 23, "LOC")]))
    assert doc.text == "Београд је big, Београд!"
    assert [doc.text[s.start : s.end] for s in doc.metadata["spans"]] == ["Београд", "Београд"]
    assert doc.metadata["language"] == "srp_Latn"  # two scripts now: the record keeps its language
    assert count(step, "words_transliterated") == 3
    assert doc.metadata["lineage"][-1]["only"] == "lexicon:srp-words.tsv"


def test_maltese_words_of_arabic_origin_in_arabic_script(tmp_path):
    pytest.importorskip("icu")
    lexicon = tmp_path / "arabic-origin.txt"
    lexicon.write_text("qattus\nkbir\nfuq\n", encoding="utf-8")
    step = TransliterateSettings(to="Arab", scheme="icu", only={"lexicon": str(lexicon)}).build(None)
    doc = step.process(record("Qattus kbir fuq il-mejda", "mlt_Latn"))
    changed = doc.text.split()
    assert all("\u0600" <= c <= "\u06ff" for word in changed[:3] for c in word)
    assert changed[3] == "il-mejda"


def test_only_the_words_an_identifier_assigns_to_a_language(fasttext_model):
    pytest.importorskip("icu")
    step = TransliterateSettings(
        to="Cyrl", scheme="icu", only={"identifier": fasttext_model, "language": "deu_Latn"}
    ).build(None)
    doc = step.process(record("the Parliament for die Kommission und den Bericht", "eng_Latn"))
    english, german = doc.text.split()[:3], doc.text.split()[3:]
    assert english == ["the", "Parliament", "for"]
    assert all(not any("a" <= c.lower() <= "z" for c in word) for word in german), german


# -- counts and failures ----------------------------------------------------------------------------


def test_records_already_in_the_target_script_are_counted_unchanged(romanise):
    doc = romanise.process(record("Hello world", "eng_Latn"))
    assert doc.text == "Hello world"
    assert "original_text" not in doc.metadata
    assert count(romanise, "unchanged:already_target_script") >= 1
    mixed = romanise.process(record("We said спасибо", "eng_Latn"))
    assert (mixed.text, mixed.metadata["language"]) == ("We said spasibo", "eng_Latn")


def test_a_language_without_a_table_is_dropped_or_kept_under_its_reason():
    dropped = TransliterateStep("Latn", scheme="table").process(record("Привет", "rus_Cyrl"))
    assert isinstance(dropped, Drop)
    assert dropped.reason == "no_table"
    assert "tables: srp_Cyrl-Latn" in dropped.detail
    assert "scheme: uroman or icu" in dropped.detail
    keeping = TransliterateStep("Latn", scheme="table", on_failure="keep")
    kept = keeping.process(record("Привет", "rus_Cyrl"))
    assert kept.text == "Привет"
    assert count(keeping, "kept_untransliterated:no_table") == 1


def test_a_romaniser_that_fails_on_a_word_fails_the_record_with_its_reason(monkeypatch):
    step = TransliterateStep("Latn", scheme="table")
    plan = step.plan("srp_Cyrl")

    def broken(word):
        raise TransliterationFailed(f"table failed on {word!r}")

    monkeypatch.setattr(step, "_plans", {"srp_Cyrl": plan._replace(backend=broken)})
    result = step.process(record("Београд", "srp_Cyrl"))
    assert isinstance(result, Drop)
    assert result.reason == "transliterator_error"
    assert "'Београд'" in result.detail


def test_words_left_in_the_source_script_are_counted():
    step = TransliterateStep("Cyrl", scheme="table", from_script="Latn")
    assert step.process(record("quiz", "srp_Latn")).text == "qуиз"
    assert count(step, "words_incomplete") == 1


def test_the_original_is_kept_once_or_not_at_all():
    first = TransliterateStep("Latn", scheme="table").process(record("Ђорђе", "srp_Cyrl"))
    back = TransliterateStep("Cyrl", scheme="table").process(first)
    assert (back.text, back.metadata["original_text"]) == ("Ђорђе", "Ђорђе")
    plain = TransliterateStep("Latn", scheme="table", keep_original=False).process(record("Ђорђе", "srp_Cyrl"))
    assert "original_text" not in plain.metadata


def test_chat_turns_and_questions_in_the_records_language_follow():
    step = TransliterateStep("Latn", scheme="table")
    chat = record("", "srp_Cyrl", messages=[{"role": "user", "content": "Где је Београд?"},
                                            {"role": "assistant", "content": "Belgrade is in Serbia."}],
                  prompt_lang="srp_Cyrl", response_lang="eng_Latn")  # fmt: skip
    doc = step.process(chat)
    assert [m["content"] for m in doc.metadata["messages"]] == ["Gde je Beograd?", "Belgrade is in Serbia."]
    assert (doc.metadata["prompt_lang"], doc.metadata["response_lang"]) == ("srp_Latn", "eng_Latn")
    qa = step.process(record("Београд је град.", "srp_Cyrl", [(0, 7, "answer")], question="Шта је Београд?"))
    assert qa.metadata["question"] == "Šta je Beograd?"


# -- settings ---------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("settings", "message"),
    [
        ({"to": "Latin"}, "to takes a four-letter ISO 15924 code such as Latn, Cyrl"),
        ({"to": "Xyzw"}, "unknown script 'Xyzw' in to"),
        ({"to": "Cyrl", "scheme": "uroman"}, "scheme uroman only romanises (to: Latn), got to: Cyrl"),
        ({"scheme": "table", "from_script": "Arab"}, "no table from Arab to Latn: tables: srp_Cyrl-Latn"),
        ({"only": {"identifier": "lingua"}}, "only.identifier 'lingua' needs language"),
        ({"only": {}}, "either lexicon: FILE or identifier: SPEC"),
        ({"transform": "Cyrl-Latn", "scheme": "table"}, "transform is an ICU transform ID"),
    ],
)
def test_settings_name_the_field_the_value_and_the_fix(settings, message):
    with pytest.raises(ValidationError, match=message.replace("(", r"\(").replace(")", r"\)")):
        TransliterateSettings(**settings)


def test_an_unknown_icu_transform_fails_when_the_step_is_built():
    pytest.importorskip("icu")
    with pytest.raises(BabelforgeError, match=r"ICU has no transform 'Cyrillic-Latinx': did you mean"):
        TransliterateSettings(scheme="icu", transform="Cyrillic-Latinx").build(None)


def test_a_missing_romaniser_says_how_to_install_it(monkeypatch):
    import importlib.util

    from babelforge.errors import MissingDependencyError

    found = importlib.util.find_spec
    monkeypatch.setattr(importlib.util, "find_spec", lambda name, *a: None if name == "uroman" else found(name, *a))
    with pytest.raises(MissingDependencyError, match=r"scheme uroman, used where a language has no table.*translit"):
        TransliterateSettings(to="Latn").build(None)
    TransliterateSettings(to="Latn", scheme="table").build(None)  # tables need nothing more


def test_a_missing_lexicon_is_a_manifest_problem(tmp_path, write_manifest, data_dir):
    from babelforge.manifest import check_manifest

    manifest = {
        "name": "x",
        "sources": [{"kind": "conll", "path": str(data_dir / "europarl-en.conll"), "language": "en"}],
        "steps": [{"transliterate": {"to": "Cyrl", "scheme": "icu", "only": {"lexicon": "nope.txt"}}}],
        "output": {"path": str(tmp_path / "o"), "kind": "ner"},
    }
    loaded, problems = check_manifest(write_manifest(manifest))
    assert loaded is None
    assert any(p.path.startswith("steps[0].transliterate.only") and "nope.txt" in p.message for p in problems)


# -- through babelforge run -------------------------------------------------------------------------


def test_a_manifest_transliterates_span_data_through_babelforge_run(tmp_path, write_manifest):
    rows = []
    for i, sentence in enumerate(CYRILLIC):
        text, offsets = join_tokens([t for t, _ in sentence])
        spans = [list(s) for s in tags_to_spans([tag for _, tag in sentence], offsets)]
        rows.append({"id": f"s{i}", "text": text, "spans": spans, "lang": "srp_Cyrl"})
    rows.append({"id": "h0", "text": "सीता दिल्ली में रहती है।", "spans": [[0, 4, "PER"], [5, 11, "LOC"]], "lang": "hin"})
    rows.append({"id": "e0", "text": "Ada lives in London.", "spans": [[0, 3, "PER"]], "lang": "eng"})
    source = tmp_path / "in.jsonl"
    source.write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in rows), encoding="utf-8")
    manifest = write_manifest({
        "name": "translit",
        "sources": [{"kind": "jsonl", "path": str(source), "fields": {"spans": "spans", "language": "lang"}}],
        "steps": [{"transliterate": {"to": "Latn", "scheme": "table", "on_failure": "keep"}}],
        "output": {"path": str(tmp_path / "out"), "kind": "spans"},
    })  # fmt: skip
    result = subprocess.run(
        [sys.executable, "-m", "babelforge", "run", str(manifest)], capture_output=True, text=True, timeout=300
    )
    assert result.returncode == 0, result.stderr
    out = {
        row["id"].split("/")[-1]: row  # ids are SOURCE/ID
        for path in sorted((tmp_path / "out" / "data").glob("*/*.parquet"))
        for row in pq.read_table(path).to_pylist()
    }
    assert out["s0"]["text"] == "Vuk Karadžić je rođen u Tršiću ."
    assert [out["s0"]["text"][s["start"] : s["end"]] for s in out["s0"]["spans"]] == ["Vuk Karadžić", "Tršiću"]
    assert [out["h0"]["text"][s["start"] : s["end"]] for s in out["h0"]["spans"]] == ["sītā", "dillī"]
    languages = {key: row["language"] for key, row in out.items()}
    assert languages == {"s0": "srp_Latn", "s1": "srp_Latn", "h0": "hin_Latn", "e0": "eng_Latn"}
    provenance = json.loads((tmp_path / "out" / "provenance.json").read_text())
    counts = next(s for s in provenance["steps"] if s["name"] == "transliterate")["counts"]
    assert counts["records_changed"] == 3
    assert counts["records_unchanged"] == 1
    assert counts["unchanged:already_target_script"] == 1


def test_transliterated_records_feed_code_mixing(tmp_path, write_manifest):
    import datasets

    from babelforge.manifest import load_manifest
    from babelforge.runner import run_manifest

    sentences = ["Београд је главни град Србије.", "Нови Сад је велики град.", "Ђорђе живи у Београду."]
    source = tmp_path / "in.jsonl"
    source.write_text("".join(json.dumps({"id": str(i), "text": t}) + "\n" for i, t in enumerate(sentences)))
    lexicon = tmp_path / "srp-eng.tsv"
    lexicon.write_text("grad\tcity\nje\tis\nglavni\tmain\nveliki\tbig\nživi\tlives\n", encoding="utf-8")
    manifest = write_manifest({
        "name": "translit-codemix",
        "sources": [{"kind": "jsonl", "path": str(source), "language": "srp_Cyrl"}],
        "steps": [{"transliterate": {"to": "Latn", "scheme": "table"}},
                  {"codemix": {"lexicon": str(lexicon), "embedded": "eng_Latn", "cmi": 25, "tolerance": 25}}],
        "output": {"path": str(tmp_path / "out"), "kind": "codemix"},
    })  # fmt: skip
    run_manifest(load_manifest(manifest))
    rows = datasets.load_dataset(str(tmp_path / "out"), split="train")
    assert len(rows) == 3
    for row in rows:
        assert row["language"] == "srp_Latn"
        assert set(row["langs"]) <= {"srp_Latn", "eng_Latn", "other"}
        assert "eng_Latn" in row["langs"]
        assert not any("\u0400" <= c <= "\u04ff" for c in row["text"] + row["source_text"])
