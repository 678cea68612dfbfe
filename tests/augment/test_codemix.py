"""Lexicon code-mixing: the requested CMI, labels for every token, spans that survive, the step."""

import json
from pathlib import Path

import datasets
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from babelforge.augment.cmi import measure
from babelforge.augment.lexicon import Lexicon
from babelforge.augment.mix_lexicon import LexiconMixer, Mixed, Rejected
from babelforge.errors import BabelforgeError
from babelforge.manifest import load_manifest
from babelforge.runner import run_manifest
from babelforge.spans import Span

REPO = Path(__file__).parents[2]
LEXICON = Lexicon({w: [t] for w, t in [("the", "die"), ("water", "ruwa"), ("is", "ne"), ("cold", "sanyi"),
                                      ("very", "sosai"), ("in", "a"), ("we", "mu"), ("drink", "sha")]})  # fmt: skip


def test_the_requested_cmi_is_reached_and_labels_cover_every_token():
    mixer = LexiconMixer(LEXICON, "en", "ha", cmi=40, tolerance=5)
    result = mixer.mix("We drink the water in Kano, 25.", [Span(22, 26, "LOC")], "r1")
    assert isinstance(result, Mixed)
    assert len(result.langs) == len(result.tokens) == len(result.offsets)
    assert result.metrics.cmi == pytest.approx(40.0)
    assert measure(result.langs) == result.metrics
    assert [result.text[a:b] for a, b in result.offsets] == result.tokens
    labels = dict(zip(result.tokens, result.langs, strict=True))
    assert labels["Kano"] == labels["25"] == labels[","] == "other"  # entities, numbers, punctuation
    (kano,) = result.spans
    assert result.text[kano.start : kano.end] == "Kano"


def test_the_same_seed_and_id_give_the_same_mix():
    one = LexiconMixer(LEXICON, "en", "ha", cmi=40, tolerance=5, seed=1)
    text = "The water is very cold in the well we drink from"
    assert one.mix(text, [], "a").text == one.mix(text, [], "a").text
    outputs = {one.mix(text, [], key).text for key in "abcdefgh"}
    assert len(outputs) > 1  # another record id, another choice of words


def test_capitalisation_follows_the_original():
    result = LexiconMixer(LEXICON, "en", "ha", cmi=50, tolerance=0).mix("Water Water", [], "k")
    assert result.text == "Ruwa Water" or result.text == "Water Ruwa"


def test_unreachable_and_out_of_tolerance_are_reasons_not_silence():
    mixer = LexiconMixer(LEXICON, "en", "ha", cmi=40, tolerance=5)
    assert mixer.mix("Nothing here matches anything", [], "x") == Rejected(
        "cmi_unreachable", "0 of 4 words in the lexicon"
    )
    assert mixer.mix("", [], "x") == Rejected("empty_text")
    short = mixer.mix("the water", [], "x")  # 2 words: CMI can be 0 or 50, never 40 +/- 5
    assert isinstance(short, Rejected)
    assert short.reason == "cmi_out_of_tolerance"


words = st.sampled_from(["the", "water", "is", "cold", "very", "in", "we", "drink", "😀", "Zoë", "東京", "ܫܠܡܐ", "é"])


@settings(max_examples=200)
@given(st.lists(words, min_size=1, max_size=30), st.integers(0, 50))
def test_spans_keep_their_surface_whatever_is_mixed(tokens, cmi):
    text = " ".join(tokens)
    spans, cursor = [], 0
    for i, token in enumerate(tokens):
        if i % 4 == 1:
            spans.append(Span(cursor, cursor + len(token), "X"))
        cursor += len(token) + 1
    result = LexiconMixer(LEXICON, "en", "ha", cmi=cmi, tolerance=50).mix(text, spans, "h")
    if isinstance(result, Mixed):
        assert [result.text[s.start : s.end] for s in result.spans] == [text[s.start : s.end] for s in spans]


def test_lexicon_files_tsv_and_muse(tmp_path):
    tsv = tmp_path / "l.tsv"
    tsv.write_text("# comment\nwater\truwa\t3\nwater\tpani\t9\nice cream\tx\n")
    assert Lexicon.read(tsv)["Water"] == ["pani", "ruwa"]  # ranked by the score column
    muse = tmp_path / "l.txt"
    muse.write_text("water ruwa\ncold sanyi\n")
    assert len(Lexicon.read(muse)) == 2
    bad = tmp_path / "bad.tsv"
    bad.write_text("water\n")
    with pytest.raises(BabelforgeError, match=r"bad.tsv:1: expected 'source<TAB>target'"):
        Lexicon.read(bad)


def test_the_bundled_codemix_manifest_runs_offline(tmp_path, monkeypatch):
    monkeypatch.setenv("BABELFORGE_OUT", str(tmp_path))
    result = run_manifest(load_manifest(REPO / "manifests" / "codemix-europarl.yaml"))
    rows = datasets.load_dataset(str(tmp_path / "codemix-en-de"), split="train")
    kept = sum(sum(v.values()) for v in result.summary["rows"].values())
    assert kept + sum(result.summary["drops"].values()) == 300
    assert set(result.summary["drops"]) <= {"codemix: cmi_out_of_tolerance", "codemix: cmi_unreachable"}
    assert all(abs(c - 20) <= 5 + 1e-4 for c in rows["cmi"])
    for row in rows:
        assert len(row["tokens"]) == len(row["langs"])
        assert set(row["langs"]) <= {"eng_Latn", "deu_Latn", "other"}
        for span in row["spans"]:
            assert row["text"][span["start"] : span["end"]] in row["source_text"]
    assert json.loads(rows[0]["lineage"])[-1]["step"] == "codemix"
    assert kept >= 200  # phrases from the translation reach the CMI in most sentences
    (step,) = [s for s in result.summary["steps"] if s["name"] == "codemix"]
    counts = step["counts"]  # what it switched, reported
    assert counts["switched_function_words"] / counts["switched_tokens"] <= 0.30
    assert counts["switched_tokens"] / counts["switched_runs"] > 1.5  # phrases, not single words
    assert sum(r.count("deu_Latn") for r in rows["langs"]) <= counts["switched_tokens"]


def test_a_missing_lexicon_is_a_validation_problem(tmp_path, write_manifest, data_dir):
    from babelforge.manifest import check_manifest

    manifest = {
        "name": "x",
        "sources": [{"kind": "conll", "path": str(data_dir / "europarl-en.conll"), "language": "en"}],
        "steps": [{"codemix": {"lexicon": "nope.tsv", "embedded": "de"}}],
        "output": {"path": str(tmp_path / "o"), "kind": "codemix"},
    }
    loaded, problems = check_manifest(write_manifest(manifest))
    assert loaded is None
    where = [p for p in problems if p.path == "steps[0].codemix.lexicon"]
    assert where, problems
    assert "no file or folder at 'nope.tsv'" in where[0].message


def test_code_mixed_ner_data_keeps_its_tags(tmp_path, write_manifest, data_dir):
    lexicon = tmp_path / "lex.tsv"
    lexicon.write_text((REPO / "manifests" / "data" / "lexicons" / "en-de.tsv").read_text())
    manifest = {
        "name": "mixed-ner",
        "sources": [{"kind": "conll", "path": str(data_dir / "europarl-en.conll"), "language": "en"}],
        "steps": [{"codemix": {"lexicon": str(lexicon), "embedded": "de", "cmi": 20, "tolerance": 5}}],
        "output": {"path": str(tmp_path / "out"), "kind": "ner"},
    }
    run_manifest(load_manifest(write_manifest(manifest)))
    rows = datasets.load_dataset(str(tmp_path / "out"), split="train")
    names = rows.features["ner_tags"].feature.names
    german = {t for ts in Lexicon.read(lexicon).entries.values() for t in ts} - {"in", "so"}
    row = next(r for r in rows if "Parliament" in r["tokens"] and german & set(r["tokens"]))
    tags = [names[t] for t in row["ner_tags"]]
    assert tags[row["tokens"].index("European")] == "B-ORG"
    assert tags[row["tokens"].index("Parliament")] == "I-ORG"
    assert tags[row["tokens"].index(sorted(german & set(row["tokens"]))[0])] == "O"
