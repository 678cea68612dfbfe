"""Multi-field translation: fields of a record translated together, checked, re-split or counted as a fallback."""

import hashlib
import json

import datasets
import pytest
from datatrove.data import Document

from babelforge.llm.client import Failure
from babelforge.manifest import check_manifest, load_manifest
from babelforge.pipeline import BuildContext
from babelforge.projection.joint import SeparatorJoiner, resplit, translate_joint
from babelforge.projection.translate_settings import TranslateSettings
from babelforge.runner import run_manifest

NLI = [
    ("The doctor said the liver was healthy.", "The liver of the patient is healthy."),
    ("A doctor examined the liver in Kano.", "Nobody in Kano saw a doctor."),
    ("The liver cleans the blood of the body.", "Blood is cleaned by the liver."),
    ("Her doctor works at the hospital in Zaria.", "The hospital in Zaria has no doctor."),
    ("The old doctor studied the liver for years.", "The doctor never studied the liver."),
    ("Kano is a large city with an old market.", "The market of Kano is old."),
]


def user_text(request: dict) -> str:
    return [m["content"] for m in request["messages"] if m["role"] == "user"][-1]


def is_joint(request: dict) -> bool:
    return "JSON object" in request["messages"][0]["content"]


def llm_reply(translate):
    """A fake LLM: ``translate`` on plain requests, and on each value of a joint request's JSON object."""

    def reply(request: dict) -> str:
        text = user_text(request)
        if is_joint(request):
            return json.dumps({k: translate(v, text) for k, v in json.loads(text).items()}, ensure_ascii=False)
        return translate(text, text)

    return reply


def toy_hausa(text: str, request_text: str) -> str:
    """Word by word: 'doctor' and 'liver' have two renderings, chosen by the request's text (so a joint
    request renders a term once, while separate requests may render it differently); other words get an 'a'."""
    synonyms = {"doctor": ("likita", "boka"), "liver": ("hanta", "kurciya")}
    pick = hashlib.sha256(request_text.encode()).digest()
    out = []
    for n, word in enumerate(text.rstrip(".").split()):
        options = synonyms.get(word.lower())
        out.append(options[pick[len(word) + n % 2] % 2] if options else word + "a")
    return " ".join(out) + "."


def nli_docs() -> list[Document]:
    return [
        Document(text="", id=f"r{i}", metadata={"language": "eng_Latn", "premise": p, "hypothesis": h})
        for i, (p, h) in enumerate(NLI)
    ]


def build(tmp_path, **settings):
    validated = TranslateSettings.model_validate(settings, context={"base_dir": str(tmp_path)})
    return validated.build(BuildContext(manifest=None, work_dir=tmp_path))


def spec(llm_server, name: str) -> str:
    return f"openai:{name}@{llm_server.base_url}"  # one model name per test: nothing cached from another


def count(step, key: str) -> int:
    stats = step.stats.stats  # a dict; the Stats around it has no __contains__
    return stats[key].total if key in stats else 0


def total(step, prefix: str) -> int:
    return sum(v.total for k, v in step.stats.stats.items() if k.startswith(prefix))


def test_joint_llm_request_is_one_json_object_per_record_and_re_split(tmp_path, llm_server):
    llm_server.reply = llm_reply(lambda text, _: f"HA {text}")
    step = build(tmp_path, model=spec(llm_server, "joint-shape"), target="hau_Latn",
                 fields=["premise", "hypothesis"], joint=True)  # fmt: skip
    docs = list(step.run(iter(nli_docs())))
    assert len(docs) == len(NLI)
    bodies = llm_server.chat_paths()
    assert len(bodies) == len(NLI)  # one request per record, nothing field by field
    system = bodies[0]["messages"][0]["content"]
    assert "(premise, hypothesis)" in system
    assert "from English into Hausa" in system
    users = [json.loads(body["messages"][1]["content"]) for body in bodies]  # sent concurrently: any order
    assert all(list(user) == ["premise", "hypothesis"] for user in users)
    assert sorted((user["premise"], user["hypothesis"]) for user in users) == sorted(NLI)
    for doc, (premise, hypothesis) in zip(docs, NLI, strict=True):
        assert doc.metadata["target_premise"] == f"HA {premise}"
        assert doc.metadata["target_hypothesis"] == f"HA {hypothesis}"
        assert doc.metadata["target_language"] == "hau_Latn"
        assert "target_text" not in doc.metadata  # the text was not among the fields
        lineage = doc.metadata["lineage"][-1]
        assert lineage["joint"] is True
        assert lineage["fields"] == ["premise", "hypothesis"]
    assert count(step, "joint_records") == len(NLI)


def test_a_broken_joint_answer_falls_back_field_by_field_and_is_counted(tmp_path, llm_server):
    def reply(request):
        return "Sure! Here you go: premise=..." if is_joint(request) else f"HA {user_text(request)}"

    llm_server.reply = reply
    step = build(tmp_path, model=spec(llm_server, "joint-broken"), target="hau_Latn",
                 fields=["premise", "hypothesis"], joint=True)  # fmt: skip
    docs = list(step.run(iter(nli_docs()[:2])))
    assert [d.metadata["target_hypothesis"] for d in docs] == [f"HA {h}" for _, h in NLI[:2]]
    assert count(step, "joint_fallback:invalid_output") == 2
    assert count(step, "joint_records") == 0
    assert docs[0].metadata["lineage"][-1]["joint_fallback"] == "invalid_output"
    joint_asks = [b for b in llm_server.chat_paths() if "JSON object" in b["messages"][0]["content"]]
    assert len(joint_asks) == 2 * 3  # each record's joint request, re-asked twice, then given up


def test_a_joint_answer_that_moves_text_between_fields_falls_back(tmp_path, llm_server):
    def reply(request):
        if is_joint(request):
            fields = json.loads(user_text(request))
            return json.dumps({"premise": f"{fields['premise']} {fields['hypothesis']}", "hypothesis": "ok"})
        return f"HA {user_text(request)}"

    llm_server.reply = reply
    step = build(tmp_path, model=spec(llm_server, "joint-moved"), target="hau_Latn",
                 fields=["premise", "hypothesis"], joint=True)  # fmt: skip
    docs = list(step.run(iter(nli_docs()[:3])))
    assert count(step, "joint_fallback:length_mismatch") == 3
    assert all(d.metadata["target_hypothesis"].startswith("HA ") for d in docs)


def test_a_record_without_a_named_field_is_dropped_and_counted(tmp_path, llm_server):
    llm_server.reply = llm_reply(lambda text, _: f"HA {text}")
    step = build(tmp_path, model=spec(llm_server, "joint-missing"), target="hau_Latn",
                 fields=["premise", "hypothesis"], joint=True)  # fmt: skip
    docs = nli_docs()[:2]
    del docs[1].metadata["hypothesis"]
    kept = list(step.run(iter(docs)))
    assert [d.id for d in kept] == ["r0"]
    assert count(step, "dropped:missing_field:hypothesis") == 1


def test_term_consistency_joint_against_separate(tmp_path, llm_server):
    """The same sample through the toy LLM: joint requests render each shared term once."""
    llm_server.reply = llm_reply(toy_hausa)
    shares = {}
    for joint in (True, False):
        step = build(tmp_path, model=spec(llm_server, "toy"), target="hau_Latn",
                     fields=["premise", "hypothesis"], joint=joint)  # fmt: skip
        docs = list(step.run(iter(nli_docs())))
        shared, identical = count(step, "terms_shared"), count(step, "terms_identical")
        assert shared == sum(d.metadata["term_consistency"]["shared"] for d in docs) > 0
        assert docs[0].metadata["lineage"][-1]["term_consistency"] == docs[0].metadata["term_consistency"]
        shares[joint] = identical / (shared - count(step, "terms_undecided"))
    assert shares[True] == 1.0
    assert shares[False] < 0.9


def test_qa_question_and_context_joint_then_projected(data_dir, tmp_path, write_manifest, llm_server, tiny_bert):
    llm_server.reply = llm_reply(lambda text, _: text)  # a copying LLM: the answers stay findable
    manifest = {
        "name": "qa-joint",
        "sources": [{"kind": "squad", "path": str(data_dir / "squad-mini.json"), "language": "en", "on_error": "skip"}],
        "steps": [
            {"translate": {"model": spec(llm_server, "qa-copy"), "target": "ha", "fields": ["question", "context"],
                           "joint": True}},
            {"project": {"method": "align", "aligner": f"simalign-argmax:{tiny_bert}"}},
        ],
        "output": {"path": str(tmp_path / "out"), "kind": "qa", "splits": {"train": 1.0}},
    }  # fmt: skip
    result = run_manifest(load_manifest(write_manifest(manifest)))
    rows = {r["id"]: r for r in datasets.load_dataset(str(tmp_path / "out"), split="train")}
    translate = next(s for s in result.summary["steps"] if s["name"] == "translate")
    assert translate["counts"]["joint_records"] == 6
    assert rows["q2"]["answers"]["text"] == ["Ado Bayero"]
    assert rows["q2"]["question"] == "Who ruled Kano from 1963?"
    joint_requests = [b for b in llm_server.chat_paths() if "JSON object" in b["messages"][0]["content"]]
    assert list(json.loads(joint_requests[0]["messages"][1]["content"])) == ["question", "context"]
    lineage = json.loads(rows["q2"]["lineage"])
    translated = next(e for e in lineage if e["step"] == "translate")
    assert translated["joint"] is True
    assert translated["term_consistency"]["shared"] >= 1


class Upper:
    """A stand-in MT model: upper-cases what it gets, keeps separators, drops the newline's."""

    def __init__(self, keeps_newline: bool = False, lose_separators: bool = False):
        self.keeps_newline, self.lose_separators, self.seen = keeps_newline, lose_separators, []

    def keeps(self, separator: str) -> bool:
        return separator != "\n" or self.keeps_newline

    def translate(self, texts):
        self.seen += texts
        return [t.replace("|", " ").upper() if self.lose_separators else t.upper() for t in texts]


def test_mt_joint_joins_with_a_kept_separator_and_re_splits():
    records = [{"premise": "a | b", "hypothesis": "c"}, {"premise": "the liver", "hypothesis": "a liver"}]
    model = Upper()
    results = translate_joint(model, records)
    assert model.seen == ["a | b • c", "the liver | a liver"]  # '|' is in the first record: the next candidate
    assert results[0].fields == {"premise": "A | B", "hypothesis": "C"}
    assert results[1].fields == {"premise": "THE LIVER", "hypothesis": "A LIVER"}
    newline = Upper(keeps_newline=True)
    translate_joint(newline, records[1:])
    assert newline.seen == ["the liver\na liver"]


def test_mt_joint_counts_a_lost_separator():
    results = translate_joint(Upper(lose_separators=True), [{"premise": "the liver", "hypothesis": "a liver"}])
    assert results[0].fields is None
    assert results[0].fallback == "separator_lost"


def test_resplit_tolerates_doubled_and_respaced_separators():
    assert resplit("A ||B|  C", ["x", "y", "z"], " | ") == {"x": "A", "y": "B", "z": "C"}
    assert resplit("A\n\n B", ["x", "y"], "\n") == {"x": "A", "y": "B"}
    assert resplit("A | | ", ["x", "y"], " | ").reason == "separator_lost"
    assert resplit(Failure("timeout"), ["x"], " | ").reason == "timeout"


def test_no_separator_the_tokenizer_keeps_is_counted():
    class Nothing(Upper):
        def keeps(self, separator):
            return False

    (result,) = SeparatorJoiner(Nothing()).translate([{"a": "x", "b": "y"}])
    assert result.reason == "no_separator"


@pytest.mark.slow
def test_mt_joint_on_the_tiny_marian_re_splits_or_counts_every_record(tiny_marian, tmp_path):
    from babelforge.projection.ct2 import CTranslate2Translator, Decoding

    translator = CTranslate2Translator(str(tiny_marian["hf"]), "en", "de", Decoding(1, 24), memory=None)
    assert not translator.keeps("\n")  # SentencePiece turns a newline into a space
    assert not translator.keeps(" | ")  # not in the tiny vocabulary: <unk>
    assert translator.keeps(" ( ")
    for separator, expected in ((None, "joint_fallback:no_separator"), (" ( ", None)):
        step = build(tmp_path, model=str(tiny_marian["hf"]), target="de", beam_size=1, max_decoding_length=24,
                     memory=False, fields=["premise", "hypothesis"], joint=True, separator=separator)  # fmt: skip
        docs = list(step.run(iter(nli_docs())))
        assert count(step, "joint_records") + total(step, "joint_fallback:") == len(NLI)  # re-split, or counted
        assert len(docs) + total(step, "dropped:") == len(NLI)
        if expected:
            assert count(step, expected) == len(NLI)


@pytest.mark.parametrize(
    ("settings", "message"),
    [
        ({"fields": ["premise"], "joint": True}, "joint translates two fields or more together"),
        ({"fields": ["premise", "premise"]}, "fields names 'premise' more than once"),
        ({"fields": ["spans"]}, "field 'spans' holds no text to translate"),
        ({"fields": ["target_text"]}, "field 'target_text' holds no text to translate"),
        ({"fields": ["a b"]}, "field 'a b' is no record field name"),
        ({"separator": " | ", "joint": True}, "separator is for joint: true with an MT model"),
    ],
)
def test_field_settings_are_checked_where_they_enter(settings, message, write_manifest, data_dir):
    manifest = {
        "name": "mt",
        "sources": [{"kind": "conll", "path": str(data_dir / "europarl-en.conll"), "language": "en"}],
        "steps": [{"translate": {"model": "openai:m@http://127.0.0.1:9/v1", "target": "ha", **settings}}],
        "output": {"path": "o", "kind": "bitext"},
    }
    _, problems = check_manifest(write_manifest(manifest))
    assert message in "\n".join(map(str, problems))


def test_a_cost_estimate_takes_stand_in_answers_without_a_length_check():
    from babelforge.llm.recording import recording

    class StandIn:  # what an estimate's recording client answers: the smallest value the schema allows
        def translate_joint(self, records):
            return [dict.fromkeys(r, "x") for r in records]

    record = {"question": "Who wrote the paragraph?", "context": "A paragraph that goes on and on for a while. " * 5}
    assert translate_joint(StandIn(), [record])[0].fallback == "length_mismatch"
    with recording():
        assert translate_joint(StandIn(), [record])[0].fields == {"question": "x", "context": "x"}
