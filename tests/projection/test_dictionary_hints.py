"""Chain-of-dictionary hints in LLM translation prompts: chained entries, rare words first, bounded, counted."""

import json

import pytest
from datatrove.data import Document

from babelforge.errors import BabelforgeError
from babelforge.manifest import check_manifest
from babelforge.pipeline import BuildContext
from babelforge.projection.dictionary_hints import DictionaryHints, header_languages, read_lexicon
from babelforge.projection.translate_settings import TranslateSettings

#: Most frequent first, as MUSE's dictionaries are: 'liver' is the rarest word, 'doctor' the commonest.
MULTI = """eng_Latn\thau_Latn\tfra_Latn\tdeu_Latn
the\tda\tle\tder
doctor\tlikita\tmédecin\tArzt
blood\tjini\tsang\tBlut
city\tbirni\tville\tStadt
prime minister\tfiraminista\tpremier ministre\tPremierminister
liver\thanta\tfoie\tLeber
"""


def lexicon_file(tmp_path, text=MULTI, name="multi.tsv"):
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def system_prompts(llm_server) -> list[str]:
    return [b["messages"][0]["content"] for b in llm_server.chat_paths()]


def build(tmp_path, **settings):
    validated = TranslateSettings.model_validate(settings, context={"base_dir": str(tmp_path)})
    return validated.build(BuildContext(manifest=None, work_dir=tmp_path))


def test_hints_are_chained_rarest_first_and_bounded(tmp_path):
    hints = DictionaryHints({"*": str(lexicon_file(tmp_path))}, "hau_Latn", ["fra_Latn", "deu_Latn"], max_hints=3)
    found = hints.for_text("The doctor says the prime minister has a liver problem; blood tests follow.", "eng_Latn")
    assert found.lines == [
        '"liver" means "hanta" in Hausa, means "foie" in French, means "Leber" in German.',
        '"prime minister" means "firaminista" in Hausa, means "premier ministre" in French, '
        'means "Premierminister" in German.',
        '"blood" means "jini" in Hausa, means "sang" in French, means "Blut" in German.',
    ]
    assert found.cut == 1  # 'doctor', the commonest, did not fit; 'the' is never hinted


def test_counts_in_the_file_rank_rarity_before_its_order(tmp_path):
    path = lexicon_file(tmp_path, "liver\thanta\t900\ncity\tbirni\t5\ndoctor\tlikita\t50\n", "counts.tsv")
    hints = DictionaryHints({"hau_Latn": str(path)}, "hau_Latn", max_hints=8)
    lines = hints.for_text("doctor liver city", "eng_Latn").lines
    assert [line.split('"')[1] for line in lines] == ["city", "doctor", "liver"]


def test_bilingual_files_per_language_chain_together(tmp_path):
    hausa = lexicon_file(tmp_path, "liver\thanta\n", "en-ha.tsv")
    french = lexicon_file(tmp_path, "liver foie\nblood sang\n", "en-fr.txt")  # MUSE: space-separated
    hints = DictionaryHints({"hau_Latn": str(hausa), "fra_Latn": str(french)}, "hau_Latn", ["fra_Latn"])
    assert hints.for_text("Liver and blood.", "eng_Latn").lines == [
        '"blood" means "sang" in French.',  # after 'liver' in the French file: rarer
        '"liver" means "hanta" in Hausa, means "foie" in French.',
    ]


def test_a_malformed_line_names_the_file_and_line(tmp_path):
    path = lexicon_file(tmp_path, "liver\thanta\nnothing-here\n", "bad.tsv")
    with pytest.raises(BabelforgeError, match=r"bad.tsv:2: expected 'source<TAB>target'"):
        read_lexicon({"hau_Latn": str(path)}, "eng_Latn")
    assert header_languages(lexicon_file(tmp_path)) == ["eng_Latn", "hau_Latn", "fra_Latn", "deu_Latn"]


def test_hints_reach_the_prompt_and_are_counted(tmp_path, llm_server):
    llm_server.reply = lambda request: "fassara"
    step = build(tmp_path, model=f"openai:hints@{llm_server.base_url}", target="hau_Latn",
                 dictionary=str(lexicon_file(tmp_path)), auxiliary=["fra_Latn", "deu_Latn"], max_hints=2)  # fmt: skip
    docs = [
        Document(text="The doctor checked the liver and the blood.", id="a", metadata={"language": "eng_Latn"}),
        Document(text="Nothing known here.", id="b", metadata={"language": "eng_Latn"}),
    ]
    assert [d.metadata["target_text"] for d in step.run(iter(docs))] == ["fassara", "fassara"]
    prompts = {b["messages"][1]["content"]: b["messages"][0]["content"] for b in llm_server.chat_paths()}
    hinted = prompts[docs[0].text]
    assert "Dictionary hints" in hinted
    assert hinted.index('"liver" means "hanta" in Hausa, means "foie" in French') < hinted.index('"blood" means')
    assert '"doctor"' not in hinted  # bounded at two: the commonest word is left out
    assert "Dictionary hints" not in prompts[docs[1].text]
    counts = {k: v.total for k, v in step.stats.stats.items()}
    assert counts["dictionary_hints"] == 2
    assert counts["dictionary_hinted"] == 1
    assert counts["dictionary_hints_cut"] == 1


def test_joint_requests_carry_hints_for_every_field(tmp_path, llm_server):
    def reply(request):
        return json.dumps({k: "fassara" for k in json.loads(request["messages"][1]["content"])})

    llm_server.reply = reply
    step = build(tmp_path, model=f"openai:hints-joint@{llm_server.base_url}", target="hau_Latn",
                 dictionary=str(lexicon_file(tmp_path)), fields=["premise", "hypothesis"], joint=True)  # fmt: skip
    doc = Document(text="", id="a", metadata={"language": "eng_Latn", "premise": "The city.", "hypothesis": "Blood."})
    list(step.run(iter([doc])))
    (system,) = system_prompts(llm_server)
    assert '"city" means "birni" in Hausa.' in system
    assert '"blood" means "jini" in Hausa.' in system


@pytest.mark.parametrize(
    ("settings", "message"),
    [
        ({"auxiliary": ["fra_Latn"]}, "auxiliary languages need dictionary"),
        ({"dictionary": "DICT", "auxiliary": ["swh_Latn"]}, "dictionary has nothing for swh_Latn: it gives deu_Latn"),
        ({"dictionary": "DICT", "model": "some/mt-model", "auxiliary": ["fra_Latn"]}, "model must be openai:MODEL@URL"),
        ({"dictionary": "no-such.tsv"}, "no file or folder at 'no-such.tsv'"),
    ],
)
def test_dictionary_settings_are_checked_where_they_enter(settings, message, tmp_path, write_manifest, data_dir):
    path = lexicon_file(tmp_path)
    step = {"model": "openai:m@http://127.0.0.1:9/v1", "target": "ha"}
    step.update({k: (str(path) if v == "DICT" else v) for k, v in settings.items()})
    manifest = {
        "name": "mt",
        "sources": [{"kind": "conll", "path": str(data_dir / "europarl-en.conll"), "language": "en"}],
        "steps": [{"translate": step}],
        "output": {"path": "o", "kind": "bitext"},
    }
    _, problems = check_manifest(write_manifest(manifest))
    assert message in "\n".join(map(str, problems))
