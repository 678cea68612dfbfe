"""`babelforge mix`: mixtures of real outputs written by small manifests, through the CLI and in-process."""

import json
import shutil
import subprocess
import sys
from pathlib import Path

import numpy as np
import pyarrow.parquet as pq
import pytest
import yaml

from babelforge.manifest import ManifestError, load_manifest
from babelforge.mixture import load_mixture
from babelforge.mixture_run import mix, prepare
from babelforge.runner import run_manifest

REPO = Path(__file__).parent.parent
TOKENIZER = REPO / "manifests" / "data" / "tokenizer" / "tokenizer.json"
#: name: (language, train rows before the validation split, licence)
OUTPUTS = {
    "news-en": ("en", 200, "cc-by-4.0"),
    "news-ha": ("ha", 20, "cc-by-nc-4.0"),
    "news-yo": ("yo", 40, "cc-by-4.0"),
    "news-sw": ("sw", 60, "cc-by-sa-4.0"),
}
#: The issue's mixture, as written there.
ISSUE_YAML = """\
name: mix-demo
components:                      # babelforge outputs (folders) or Hub ids (with config, split, revision)
  - {path: out/news-en}
  - {path: out/news-ha}
sampling: {by: language, temperature: 0.5}   # share_i proportional to rows_i ** temperature;
                                             # or {by: family, ...}; or shares: {hau_Latn: 0.2, ...}
max_epochs: 3                    # no component repeated more than 3 times
budget: {rows: 300}              # or {tokens: N, tokenizer: NAME_OR_PATH}
seed: 13
output: {path: out/mix}
"""


def babelforge(*args, cwd=None):
    return subprocess.run(
        [sys.executable, "-m", "babelforge", *map(str, args)], capture_output=True, text=True, cwd=cwd
    )


@pytest.fixture(scope="session")
def outputs(tmp_path_factory) -> Path:
    """A folder ``out/`` of four text outputs written by `babelforge run`'s own code (10% held out)."""
    folder = tmp_path_factory.mktemp("mix-inputs")
    for name, (language, n, license) in OUTPUTS.items():
        rows = [{"id": f"{language}{i}", "text": f"{language} sentence {i} " + "word " * (i % 9)} for i in range(n)]
        (folder / f"{name}.jsonl").write_text("".join(json.dumps(r) + "\n" for r in rows))
        manifest = {
            "name": name, "license": license,
            "sources": [{"kind": "jsonl", "path": f"{name}.jsonl", "language": language}],
            "output": {"path": str(folder / "out" / name), "kind": "text", "splits": {"train": 0.9, "validation": 0.1}},
        }  # fmt: skip
        (folder / f"{name}.yaml").write_text(yaml.safe_dump(manifest))
        run_manifest(load_manifest(folder / f"{name}.yaml"))
    return folder / "out"


@pytest.fixture
def workdir(outputs, tmp_path, monkeypatch) -> Path:
    """A working directory holding ``out/`` with copies of the outputs, as after `babelforge run`."""
    shutil.copytree(outputs, tmp_path / "out")
    monkeypatch.chdir(tmp_path)
    return tmp_path


def write_mixture(folder: Path, **settings) -> Path:
    mixture = {"name": "m", "components": [{"path": f"out/{n}"} for n in OUTPUTS], "output": {"path": "out/mix"}}
    mixture.update(settings)
    path = folder / "mixture.yaml"
    path.write_text(yaml.safe_dump(mixture, sort_keys=False))
    return path


def train_rows(output: Path) -> list[dict]:
    return pq.read_table(sorted((output / "data" / "default").glob("train-*.parquet"))).to_pylist()


def shares(prepared) -> dict[str, float]:
    return {p["language"]: p["share"] for p in _report(prepared)["languages"]}


def _report(prepared):
    from babelforge.mixture_report import mixture_report

    return mixture_report(prepared)


def test_the_issue_yaml_works_as_written(workdir):
    import datasets

    (workdir / "mix.yaml").write_text(ISSUE_YAML)
    result = babelforge("mix", "mix.yaml", cwd=workdir)
    assert result.returncode == 0, result.stderr
    out = workdir / "out" / "mix"
    rows = train_rows(out)
    assert len(rows) == 300
    by_language = {lang: sum(r["language"] == lang for r in rows) for lang in ("eng_Latn", "hau_Latn")}
    assert by_language == {"eng_Latn": 255, "hau_Latn": 45}  # hau capped at 3 x its 15 train rows
    repeats = {}
    for row in rows:
        repeats[row["id"]] = repeats.get(row["id"], 0) + 1
    assert max(repeats.values()) <= 3
    assert "capped at max_epochs 3" in result.stdout
    loaded = datasets.load_dataset(str(out))
    assert set(loaded) == {"train", "validation"}
    assert loaded["train"].features["non_commercial"].dtype == "bool"
    card = (out / "README.md").read_text()
    assert "| hau_Latn | Afro-Asiatic | 45 | 15.0% | 22.3% | 3 (capped) |" in card
    assert "| eng_Latn | Indo-European | 255 | 85.0% | 77.7% | 2 |" in card
    provenance = json.loads((out / "provenance.json").read_text())
    components = {c["name"]: c for c in provenance["mixture"]["components"]}
    assert components["news-ha"]["license"] == "cc-by-nc-4.0"
    assert len(components["news-en"]["sha256"]) == 64
    assert provenance["inputs"]["news-en"] == components["news-en"]["sha256"]
    assert provenance["manifest"]["output"]["kind"] == "text"
    shown = babelforge("inspect", "out/mix", cwd=workdir)
    assert shown.returncode == 0, shown.stderr
    assert "capped at max_epochs 3" in shown.stdout  # inspect shows the shares reached against the plan


def test_export_trainer_works_on_a_mixture(workdir):
    from babelforge.finetune.handoff import export_trainer

    prepared = prepare(load_mixture(write_mixture(workdir, budget={"rows": 100})))
    output = mix(prepared)["output"]
    (path,) = export_trainer(output, "trl", model="some/model")
    config = yaml.safe_load(path.read_text())
    assert config["dataset_name"] == str(output)
    assert config["dataset_text_field"] == "text"
    assert config["dataset_test_split"] == "validation"


def test_temperature_one_is_proportional_and_zero_uniform(workdir):
    one = prepare(load_mixture(write_mixture(workdir, sampling={"temperature": 1.0})))  # budget: every row once
    train = {p["language"]: p["rows_available"] for p in _report(one)["languages"]}
    total = sum(train.values())
    assert shares(one) == pytest.approx({k: v / total for k, v in train.items()}, abs=1e-6)
    zero = prepare(load_mixture(write_mixture(workdir, sampling={"alpha": 0}, budget={"rows": 400})))
    assert shares(zero) == pytest.approx(dict.fromkeys(train, 0.25), abs=1e-6)
    assert {p["language"]: p["rows"] for p in _report(zero)["languages"]} == dict.fromkeys(train, 100)


def test_max_epochs_cap_holds_and_the_shortfall_goes_to_the_others(workdir):
    prepared = prepare(
        load_mixture(write_mixture(workdir, sampling={"temperature": 0}, max_epochs=2, budget={"rows": 400}))
    )
    report = _report(prepared)
    rows = {p["language"]: p["rows"] for p in report["languages"]}
    available = {p["language"]: p["rows_available"] for p in report["languages"]}
    assert rows["hau_Latn"] == 2 * available["hau_Latn"]  # not 100
    assert sum(rows.values()) == 400
    assert all(c["epochs"] <= 2 for c in report["components"])
    assert any("capped at max_epochs 2" in note for note in report["notes"])
    small = prepare(load_mixture(write_mixture(workdir, max_epochs=1, budget={"rows": 10_000})))
    assert _report(small)["rows"] == sum(available.values())  # every row once: the budget cannot be met
    assert any(note.startswith("budget not reached") for note in _report(small)["notes"])


def test_token_budget_meets_its_shares_within_one_percent(workdir):
    from babelforge.llm.tokens import token_counter

    settings = {
        "sampling": {"shares": {"hau_Latn": 0.3, "eng_Latn": 0.4}},
        "budget": {"tokens": 3000, "tokenizer": str(TOKENIZER)},
    }
    prepared = prepare(load_mixture(write_mixture(workdir, **settings)))
    output = mix(prepared)["output"]
    counter = token_counter(str(TOKENIZER), str(TOKENIZER))
    tokens: dict[str, int] = {}
    for row in train_rows(output):
        tokens[row["language"]] = tokens.get(row["language"], 0) + counter.count(row["text"])
    total = sum(tokens.values())
    assert total == pytest.approx(3000, rel=0.01)
    assert tokens["hau_Latn"] / total == pytest.approx(0.3, abs=0.01)
    assert tokens["eng_Latn"] / total == pytest.approx(0.4, abs=0.01)
    assert json.loads((output / "provenance.json").read_text())["models"][0]["kind"] == "tokenizer"


def test_the_same_seed_gives_the_same_rows(workdir):
    def ids(seed: int) -> list[str]:
        prepared = prepare(load_mixture(write_mixture(workdir, seed=seed, budget={"rows": 150})))
        return [r["id"] for r in train_rows(mix(prepared)["output"])]

    first = ids(7)
    assert ids(7) == first
    assert ids(8) != first


def test_non_commercial_rows_are_flagged_on_the_card_and_each_row(workdir):
    prepared = prepare(load_mixture(write_mixture(workdir, budget={"rows": 200})))
    output = mix(prepared)["output"]
    rows = train_rows(output)
    assert {r["non_commercial"] for r in rows if r["component"] == "news-ha"} == {True}
    assert {r["non_commercial"] for r in rows if r["component"] != "news-ha"} == {False}
    assert {r["license"] for r in rows if r["component"] == "news-sw"} == {"cc-by-sa-4.0"}
    card = (output / "README.md").read_text()
    header = yaml.safe_load(card.split("---")[1])
    assert "non-commercial" in header["tags"]
    assert header["license"] == "other"
    assert "`news-ha` (cc-by-nc-4.0)" in card


def test_family_sampling_meets_family_targets(workdir):
    settings = {"sampling": {"by": "family", "families": {"atlantic-congo": 0.5, "Afro-Asiatic": 0.2}}}
    prepared = prepare(load_mixture(write_mixture(workdir, budget={"rows": 1000}, **settings)))
    got = shares(prepared)
    available = {p["language"]: p["rows_available"] for p in _report(prepared)["languages"]}
    assert got["yor_Latn"] + got["swh_Latn"] == pytest.approx(0.5, abs=1e-3)
    assert got["hau_Latn"] == pytest.approx(0.2, abs=1e-3)
    assert got["eng_Latn"] == pytest.approx(0.3, abs=1e-3)  # the one family not named takes the rest
    ratio = available["swh_Latn"] / available["yor_Latn"]
    assert got["swh_Latn"] / got["yor_Latn"] == pytest.approx(ratio, rel=0.01)  # within a family: temperature 1


def test_validation_problems_are_one_line_each_naming_the_field(workdir):
    path = write_mixture(workdir, sampling={"by": "language", "shares": {"hau": 0.7, "xqz": 0.1, "eng_Latn": 0.5}},
                         budget={"tokens": 10}, max_epochs=0)  # fmt: skip
    result = babelforge("mix", path, cwd=workdir)
    assert result.returncode == 2
    assert "Traceback" not in result.stderr
    lines = result.stderr.splitlines()
    assert "3 problem(s)" in lines[0]
    for expected in (
        "sampling.shares.xqz: unknown language 'xqz'",
        "budget: Value error, a budget in tokens needs 'tokenizer'",
        "max_epochs: Input should be greater than or equal to 1 (got 0)",
    ):
        assert any(expected.replace("Value error, ", "") in line for line in lines), (expected, lines)
    one = babelforge("mix", write_mixture(workdir, sampling={"shares": {"yor_Latn": 0.5, "zul": 0.5}}), cwd=workdir)
    assert one.returncode == 2
    (line,) = [line for line in one.stderr.splitlines() if line.strip()]
    assert "sampling.shares.zul_Latn: no component holds zul_Latn" in line


def test_a_missing_component_is_named_with_where_it_was_looked_for(workdir):
    path = write_mixture(workdir, components=[{"path": "out/news-en"}, {"path": "out/nothing"}])
    with pytest.raises(ManifestError, match=r"components\[1\]\.path: no output folder at 'out/nothing'"):
        prepare(load_mixture(path))


def test_dry_run_prints_the_plan_and_writes_nothing(workdir):
    path = write_mixture(workdir, sampling={"temperature": 0}, max_epochs=3, budget={"rows": 300})
    before = sorted(p.relative_to(workdir) for p in workdir.rglob("*"))
    result = babelforge("mix", path, "--dry-run", cwd=workdir)
    assert result.returncode == 0, result.stderr
    for expected in ("news-ha", "hau_Latn", "repeats", "capped at max_epochs 3"):
        assert expected in result.stdout
    assert "nothing written" in result.stdout
    assert sorted(p.relative_to(workdir) for p in workdir.rglob("*")) == before


def test_a_folder_babelforge_did_not_make_is_never_overwritten(workdir):
    foreign = workdir / "out" / "mix"
    foreign.mkdir()
    (foreign / "notes.txt").write_text("mine")
    result = babelforge("mix", write_mixture(workdir, budget={"rows": 50}), cwd=workdir)
    assert result.returncode == 2
    (line,) = [line for line in result.stderr.splitlines() if line.strip()]
    assert "babelforge did not make" in line
    assert "--overwrite" in line
    assert (foreign / "notes.txt").read_text() == "mine"
    again = babelforge("mix", write_mixture(workdir, budget={"rows": 50}), "--output", "out/mix2", cwd=workdir)
    assert again.returncode == 0, again.stderr
    rerun = babelforge("mix", write_mixture(workdir, budget={"rows": 60}), "--output", "out/mix2", cwd=workdir)
    assert rerun.returncode == 0, rerun.stderr  # its own earlier output is replaced
    assert len(train_rows(workdir / "out" / "mix2")) == 60


def test_a_hub_dataset_component_offline_fails_at_once_in_one_line(workdir):
    path = write_mixture(workdir, components=[{"hf": "someone/not-cached", "config": "hau", "split": "train"}])
    result = babelforge("mix", path, cwd=workdir)
    assert result.returncode == 2
    (line,) = [line for line in result.stderr.splitlines() if line.strip()]
    assert "components[0].hf: could not load 'someone/not-cached'" in line
    assert "Traceback" not in result.stderr


def test_a_local_dataset_folder_mixes_with_outputs(workdir):
    import datasets

    folder = workdir / "hub-like"
    folder.mkdir()
    datasets.Dataset.from_dict({"text": [f"sentensi {i}" for i in range(30)], "language": ["ha"] * 30}).to_parquet(
        folder / "train.parquet"
    )
    path = write_mixture(workdir, components=[{"path": "out/news-en"}, {"hf": str(folder), "license": "cc0-1.0"}],
                         budget={"rows": 60}, sampling={"temperature": 0})  # fmt: skip
    rows = train_rows(mix(prepare(load_mixture(path)))["output"])
    hub = [r for r in rows if r["component"] == "hub-like"]
    assert len(hub) == 30
    assert {r["language"] for r in hub} == {"hau_Latn"}  # 'ha' resolved
    assert {r["license"] for r in hub} == {"cc0-1.0"}
    assert all(r["id"].startswith("hub-like:") for r in hub)


def test_repeats_count_up_per_row(workdir):
    prepared = prepare(
        load_mixture(write_mixture(workdir, sampling={"temperature": 0}, max_epochs=3, budget={"rows": 200}))
    )
    rows = [r for r in train_rows(mix(prepared)["output"]) if r["language"] == "hau_Latn"]
    by_id: dict[str, list[int]] = {}
    for row in rows:
        by_id.setdefault(row["id"], []).append(row["repeat"])
    assert all(sorted(found) == list(range(len(found))) for found in by_id.values())
    assert np.bincount([len(found) for found in by_id.values()]).nonzero()[0].max() <= 3


@pytest.fixture(scope="session")
def ner_outputs(tmp_path_factory) -> Path:
    """Two NER outputs whose tag sets differ (LOC only; PER and ORG), written by `babelforge run`'s code."""
    folder = tmp_path_factory.mktemp("mix-ner")
    tagged = {
        "ner-ha": ("ha", [(["Abuja", "birni", "ne"], ["B-LOC", "O", "O"])]),
        "ner-en": ("en", [(["Ada", "joined", "UNESCO"], ["B-PER", "O", "B-ORG"])]),
    }
    for name, (language, sentences) in tagged.items():
        rows = [{"id": f"{name}-{i}", "tokens": t, "tags": g} for i in range(12) for t, g in sentences]
        (folder / f"{name}.jsonl").write_text("".join(json.dumps(r) + "\n" for r in rows))
        fields = {"tokens": "tokens", "tags": "tags", "text": None}
        manifest = {
            "name": name,
            "sources": [{"kind": "jsonl", "path": f"{name}.jsonl", "language": language, "fields": fields}],
            "output": {"path": str(folder / "out" / name), "kind": "ner"},
        }
        (folder / f"{name}.yaml").write_text(yaml.safe_dump(manifest))
        run_manifest(load_manifest(folder / f"{name}.yaml"))
    return folder / "out"


def test_ner_tags_are_renumbered_into_one_label_set(ner_outputs, workdir):
    import datasets

    components = [{"path": str(ner_outputs / "ner-ha")}, {"path": str(ner_outputs / "ner-en")}]
    path = write_mixture(workdir, components=components, budget={"rows": 24})
    loaded = datasets.load_dataset(str(mix(prepare(load_mixture(path)))["output"]))["train"]
    names = loaded.features["ner_tags"].feature.names
    assert set(names) == {"O", "B-LOC", "I-LOC", "B-PER", "I-PER", "B-ORG", "I-ORG"}
    tags = {tuple(row["tokens"]): [names[t] for t in row["ner_tags"]] for row in loaded}
    assert tags == {("Abuja", "birni", "ne"): ["B-LOC", "O", "O"], ("Ada", "joined", "UNESCO"): ["B-PER", "O", "B-ORG"]}


def test_components_of_different_kinds_are_refused(ner_outputs, workdir):
    path = write_mixture(workdir, components=[{"path": str(ner_outputs / "ner-ha")}, {"path": "out/news-en"}])
    with pytest.raises(ManifestError, match=r"components\[1\]: news-en holds 'text' rows, but ner-ha holds 'ner'"):
        prepare(load_mixture(path))


def test_a_budget_too_small_for_one_row_fails_and_leaves_nothing(workdir):
    path = write_mixture(workdir, budget={"tokens": 1, "tokenizer": str(TOKENIZER)})
    result = babelforge("mix", path, cwd=workdir)
    assert result.returncode == 2
    assert "takes no whole row" in result.stderr
    assert not [p.name for p in (workdir / "out").iterdir() if p.name.startswith("mix")]
