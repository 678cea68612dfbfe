"""Quality thresholds per language: calibration, the config file, the ``quality`` step, and inspect."""

import json
import subprocess
import sys

import pytest
import yaml
from datatrove.data import Document
from datatrove.pipeline.filters import GopherQualityFilter
from datatrove.utils.text import split_into_words

from babelforge.curate.calibrate import Bounds, calibrate
from babelforge.curate.quality import QualitySettings, QualityStep
from babelforge.curate.quality_config import QualityConfig, builtin_config, load_quality_config, parse_quality_config
from babelforge.curate.quality_filters import build_filters
from babelforge.curate.quality_words import QualityTokenizer
from babelforge.curate.reference import read_reference
from babelforge.errors import BabelforgeError
from babelforge.steps import Drop
from babelforge.words import words

JUNK = {
    "menu": "Home\nNews\nSport\nWeather\nContact\nAbout us\nLogin",
    "repeated": "\n".join(["Bonyeza hapa kusoma habari zaidi leo."] * 12),
    "short": "Ni nyumba",
    "symbols": "### $$$ %%% @@@ !!! *** ^^^ &&& ((( ))) ### $$$ 12 34",
}


def documents(sentences: list[str], per: int = 4) -> list[str]:
    """Consecutive sentences joined into documents of ``per`` sentences."""
    return [" ".join(sentences[i : i + per]) for i in range(0, len(sentences) - per + 1, per)]


@pytest.fixture(scope="module")
def swahili(data_dir) -> list[str]:
    lines = (data_dir / "tatoeba-eng-swh.tsv").read_text(encoding="utf-8").splitlines()
    return documents([line.split("\t")[1] for line in lines])


@pytest.fixture(scope="module")
def amharic(data_dir) -> list[str]:
    return documents((data_dir / "tatoeba-amh.txt").read_text(encoding="utf-8").splitlines())


def test_datatrove_filters_count_babelforge_words():
    text = "हिन्दी में लिखा गया पाठ। 北京大学"
    assert split_into_words(text, QualityTokenizer()) == words(text)
    assert len(words(text)) == 9  # five Hindi words, marks kept inside; four Han clusters
    stop = {"stop_words": ["में", "गया"], "min_stop_words": 2}
    assert GopherQualityFilter(min_doc_words=9, **stop, language=QualityTokenizer()).filter(Document(text, "1"))
    short = GopherQualityFilter(min_doc_words=10, **stop, language=QualityTokenizer())
    assert short.filter(Document(text, "1")) == (False, "gopher_short_doc")


def test_calibrate_writes_a_valid_config(tmp_path, swahili):
    reference = tmp_path / "swh.jsonl"
    reference.write_text("".join(json.dumps({"id": i, "body": t}) + "\n" for i, t in enumerate(swahili)))
    output = tmp_path / "configs" / "swh_Latn.yaml"
    args = ["--reference", reference, "--field", "body", "--language", "swa", "--output", output]
    result = subprocess.run([sys.executable, "-m", "babelforge", "curate", "calibrate", *map(str, args)],
                            capture_output=True, text=True)  # fmt: skip
    assert result.returncode == 0, result.stderr
    assert f"wrote {output}" in result.stdout
    assert output.read_text().startswith("# Quality thresholds for swh_Latn")
    config = load_quality_config(output)
    assert config.language == "swh_Latn"
    assert config.derived_from.documents == len(swahili)
    assert 0 < config.derived_from.reference_kept <= 1
    assert {"ni", "ya"} <= set(config.gopher_quality.stop_words)
    assert not {"the", "of", "and"} & set(config.gopher_quality.stop_words)  # from the reference, not English
    assert config.script.script == "Latn"
    again = subprocess.run([sys.executable, "-m", "babelforge", "curate", "calibrate", *map(str, args)],
                           capture_output=True, text=True)  # fmt: skip
    assert again.returncode == 2
    assert "exists: pass --overwrite" in again.stderr
    assert "Traceback" not in again.stderr


def test_thresholds_move_with_the_language(swahili, amharic):
    swh = calibrate(swahili, "swh_Latn", "tatoeba")
    amh = calibrate(amharic, "amh_Ethi", "tatoeba")
    # an Ethiopic letter is a syllable: Amharic words are shorter in characters than Swahili ones
    assert amh.gopher_quality.max_avg_word_length < swh.gopher_quality.max_avg_word_length
    assert amh.gopher_quality.min_avg_word_length < swh.gopher_quality.min_avg_word_length
    english = builtin_config("eng_Latn").gopher_quality
    assert amh.gopher_quality.max_avg_word_length < english.max_avg_word_length
    assert all("\u1200" <= w[0] <= "\u139f" for w in amh.gopher_quality.stop_words)
    assert (amh.script.script, swh.script.script) == ("Ethi", "Latn")
    assert swh.gopher_quality.min_doc_words < english.min_doc_words  # four Tatoeba sentences are short documents


def test_bounds_stand_beyond_the_reference_edges():
    values = [0.1, 0.2, 0.2, 0.3, 0.9]
    narrow, wide = Bounds(tail=0.01, fence=0), Bounds(tail=0.01, fence=1)
    assert narrow.upper(values) == 0.9  # tail under 1/n: the most extreme document
    assert wide.upper(values) == 1.0  # 0.9 + (0.9 - 0.2), clipped: shares stop at 1
    assert wide.upper(values, share=False) == 1.6
    assert narrow.lower(values) == 0.1
    assert wide.lower(values) == 0.05  # on a ratio scale: the edge is half the median, the bound half the edge
    assert Bounds().upper([0, 0, 0], default=0.3) == 0.3  # the reference never shows it: the default stays


def test_config_errors_name_the_field_and_the_value():
    text = "version: 1\nlanguage: hau\ngopher_quality: {min_doc_words: 0, stop_word: [da]}\nc4: {min_num_sentences: x}"
    with pytest.raises(BabelforgeError) as error:
        parse_quality_config(text, "hau.yaml")
    message = str(error.value)
    assert "hau.yaml: " in message
    assert "gopher_quality.stop_word: unknown key 'stop_word': did you mean 'stop_words'?" in message
    assert "gopher_quality.min_doc_words: Input should be greater than or equal to 1 (got 0)" in message
    assert "c4.min_num_sentences" in message
    with pytest.raises(BabelforgeError, match="version 2 is not one this babelforge reads"):
        parse_quality_config("version: 2\nlanguage: hau", "x.yaml")
    with pytest.raises(BabelforgeError, match="no built-in quality config for 'xho_Latn': built in: "):
        builtin_config("xho")


def test_english_defaults_are_datatrove_defaults():
    filters = dict(build_filters(builtin_config("en")))
    ours, theirs = filters["gopher_quality"], GopherQualityFilter()
    for key in ("min_doc_words", "max_avg_word_length", "max_non_alpha_words_ratio", "min_stop_words", "stop_words"):
        assert getattr(ours, key) == getattr(theirs, key)
    assert set(filters) == {"gopher_quality", "gopher_repetition", "fineweb_quality", "c4"}


def test_step_names_the_filter_and_never_edits_text(swahili):
    step = QualityStep(calibrate(swahili, "swh_Latn", "tatoeba"))
    kept = step.process(Document("  " + swahili[0] + "\n\n  " + swahili[1], "1"))
    assert isinstance(kept, Document)
    assert kept.text == "  " + swahili[0] + "\n\n  " + swahili[1]
    reasons = {name: step.process(Document(text, name)) for name, text in JUNK.items()}
    assert all(isinstance(r, Drop) for r in reasons.values()), reasons
    assert all(":" in r.reason for r in reasons.values())
    assert step.process(Document("!!! ???", "x")) == Drop("no_words")
    other = Document("Hello there", "y", metadata={"language": "eng_Latn"})
    assert step.process(other) is other  # another language's thresholds say nothing about it
    assert step.stats["other_language"].total == 1


def test_settings_take_a_config_or_a_builtin(tmp_path):
    with pytest.raises(ValueError, match="give either config"):
        QualitySettings()
    with pytest.raises(ValueError, match="no built-in quality config"):
        QualitySettings(language="xho_Latn")
    bad = tmp_path / "bad.yaml"
    bad.write_text("version: 1\nlanguage: hau\ngopher_quality: {max_bullet_lines_ratio: 2}\n")
    with pytest.raises(ValueError, match=r"gopher_quality\.max_bullet_lines_ratio"):
        QualitySettings(config=str(bad))
    assert isinstance(QualitySettings(language="eng_Latn").build(None), QualityStep)


def test_reference_reader(tmp_path):
    (tmp_path / "ref").mkdir()
    (tmp_path / "ref" / "a.tsv").write_text('category\ttext\nsport\t"two\nlines"\nnews\tone\n')
    (tmp_path / "ref" / "b.txt").write_text("first\n\nsecond\n")
    (tmp_path / "ref" / ".hidden.txt").write_text("never read\n")
    reference = read_reference(tmp_path / "ref")
    assert reference.documents == ["two\nlines", "one", "first", "second"]
    assert (reference.files, reference.empty) == (2, 1)
    (tmp_path / "bad.jsonl").write_text('{"body": "x"}\n')
    expected = r"bad\.jsonl:1: expected a string under 'text' \(--field; keys here: body\)"
    with pytest.raises(BabelforgeError, match=expected):
        read_reference(tmp_path / "bad.jsonl")
    with pytest.raises(BabelforgeError, match="no column 'body' in the header"):
        read_reference(tmp_path / "ref" / "a.tsv", "body")


def test_language_score_floor(fasttext_model, data_dir):
    from babelforge.curate.calibrate import language_floor

    english = [
        " ".join(line.split("\t")[0] for line in block.splitlines())
        for block in (data_dir / "europarl-en.conll").read_text().strip().split("\n\n")
    ]
    floor = language_floor(english[:60], "eng_Latn", fasttext_model)
    assert 0.3 <= floor.min_score <= 0.9
    only = dict.fromkeys(("gopher_quality", "gopher_repetition", "fineweb_quality", "c4"))
    config = QualityConfig(language="eng_Latn", language_score=floor, **only)
    assert QualityStep(config).process(Document(english[0], "en")).id == "en"
    german = "Die Kommission hat heute einen Vorschlag zur Reform der gemeinsamen Agrarpolitik vorgelegt. " * 6
    result = QualityStep(config).process(Document(german, "de"))
    assert result == Drop("language_score:low_language_score")


def test_cli_defaults_are_the_modules():
    from babelforge.cli import curate_cmd
    from babelforge.curate import calibrate as module

    cli = (curate_cmd.TAIL, curate_cmd.FENCE, curate_cmd.STOP_WORDS, curate_cmd.CONFIDENCE)
    assert cli == (module.TAIL, module.FENCE, module.STOP_WORDS, module.CONFIDENCE)


def test_run_counts_removals_per_filter_and_inspect_shows_them(tmp_path, swahili, write_manifest):
    from babelforge.manifest import load_manifest
    from babelforge.runner import run_manifest

    config = tmp_path / "swh_Latn.yaml"
    config.write_text(calibrate(swahili, "swh_Latn", "tatoeba").to_yaml())
    rows = [{"id": f"clean-{i}", "text": t} for i, t in enumerate(swahili)]
    rows += [{"id": f"junk-{name}", "text": text} for name, text in JUNK.items()]
    corpus = tmp_path / "corpus.jsonl"
    corpus.write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in rows))
    manifest = {
        "name": "q",
        "sources": [{"kind": "jsonl", "path": str(corpus), "language": "swa"}],
        "steps": [{"quality": {"config": config.name}}],
        "output": {"path": str(tmp_path / "out"), "kind": "text", "write_rejects": True},
        "executor": {"local": {"tasks": 1, "workers": 1}},
    }
    result = run_manifest(load_manifest(write_manifest(manifest)))
    drops = result.summary["drops"]
    assert sum(drops.values()) >= len(JUNK)
    assert all(key.startswith("quality: ") and ":" in key.removeprefix("quality: ") for key in drops)
    provenance = json.loads((tmp_path / "out" / "provenance.json").read_text())
    assert provenance["drops"] == drops
    rejected = [json.loads(line) for path in (tmp_path / "out" / "rejects").glob("*.jsonl") for line in path.open()]
    assert {r["id"].rpartition("/")[2] for r in rejected} >= {f"junk-{name}" for name in JUNK}

    shown = subprocess.run([sys.executable, "-m", "babelforge", "inspect", str(tmp_path / "out")],
                           capture_output=True, text=True)  # fmt: skip
    assert shown.returncode == 0, shown.stderr
    reason, n = next(iter(drops.items()))
    assert reason in shown.stdout
    assert f"{n / len(rows):.1%}" in shown.stdout  # the rate: of the records that reached the step
    assert "dropped records" in shown.stdout
    assert "junk-" in shown.stdout  # samples from rejects/


def test_builtin_configs_load_and_differ_by_language():
    from babelforge.curate.quality_config import builtin_configs

    shipped = {code: builtin_config(code) for code in builtin_configs()}
    assert set(shipped) >= {"eng_Latn", "hau_Latn", "swh_Latn", "amh_Ethi", "yor_Latn", "pcm_Latn"}
    assert shipped["eng_Latn"].derived_from is None  # datatrove's defaults, nothing derived
    for code, config in shipped.items():
        assert config.language == code
        assert yaml.safe_load(config.to_yaml())["language"] == code
    hausa, amharic = shipped["hau_Latn"].gopher_quality, shipped["amh_Ethi"].gopher_quality
    assert amharic.max_avg_word_length < hausa.max_avg_word_length
    assert "da" in hausa.stop_words
    assert QualitySettings(language="ha").language == "hau_Latn"
