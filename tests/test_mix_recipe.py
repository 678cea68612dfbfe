"""manifests/mixture-instructions.yaml as a new user runs it: `babelforge mix`, then `babelforge inspect`."""

import json
import os
import subprocess
import sys
from pathlib import Path

import datasets
import pytest

RECIPE = Path(__file__).parent.parent / "manifests" / "mixture-instructions.yaml"
LANGUAGES = ("amh_Ethi", "deu_Latn", "fra_Latn", "spa_Latn", "swh_Latn", "xho_Latn")


def babelforge(*args, cwd: Path) -> subprocess.CompletedProcess:
    env = {**os.environ, "BABELFORGE_OUT": str(cwd / "out")}
    return subprocess.run([sys.executable, "-m", "babelforge", *map(str, args)], capture_output=True, text=True,
                          cwd=cwd, env=env)  # fmt: skip


@pytest.fixture(scope="module")
def written(tmp_path_factory) -> Path:
    folder = tmp_path_factory.mktemp("mixture-recipe")
    result = babelforge("mix", RECIPE, cwd=folder)  # from another folder: the sample is found beside the recipe
    assert result.returncode == 0, result.stderr
    return folder / "out" / "mixture-instructions"


def test_the_recipe_writes_a_mixture_whose_card_lists_each_languages_share(written):
    rows = datasets.load_dataset(str(written), split="train")
    assert len(rows) == 400
    assert sorted(set(rows["language"])) == list(LANGUAGES)
    assert set(rows["component"]) == {"tatoeba-europe", "tatoeba-africa"}
    assert all(r["prompt"] and r["completion"] for r in rows)  # filled from the messages of the sample's rows
    assert max(rows["repeat"]) <= 2  # max_epochs 3
    card = (written / "README.md").read_text()
    assert "| tatoeba-africa | `data/instructions-sample/africa` @ local folder | cc-by-2.0 |" in card
    provenance = json.loads((written / "provenance.json").read_text())
    assert all(len(digest) == 64 for digest in provenance["inputs"].values())  # the sample's files, hashed
    plan = provenance["mixture"]
    for entry in plan["languages"]:
        assert entry["share"] == pytest.approx(entry["target_share"], abs=0.01)
        assert f"| {entry['language']} | {entry['family']} | {entry['rows']} |" in card
    families: dict[str, float] = {}
    for entry in plan["languages"]:
        families[entry["family"]] = families.get(entry["family"], 0.0) + entry["share"]
    sizes = {"Indo-European": 260, "Atlantic-Congo": 72, "Afro-Asiatic": 24}  # rows in the sample
    total = sum(n**0.5 for n in sizes.values())
    for family, n in sizes.items():  # temperature 0.5 over the families' sizes
        assert families[family] == pytest.approx(n**0.5 / total, abs=0.01)


def test_inspect_shows_shares_against_targets(written):
    shown = babelforge("inspect", written, cwd=written.parent)
    assert shown.returncode == 0, shown.stderr
    assert "target" in shown.stdout
    for language in LANGUAGES:
        assert language in shown.stdout


def test_validate_knows_a_mixture_from_a_manifest(tmp_path):
    checked = babelforge("validate", RECIPE, cwd=tmp_path)
    assert checked.returncode == 0, checked.stderr
    assert "valid mixture (2 component(s); sampling by family, temperature 0.5" in checked.stdout
    bad = tmp_path / "bad.yaml"
    bad.write_text("name: x\ncomponents: [{path: out/nowhere}]\nsampling: {by: famly}\noutput: {path: out/x}\n")
    checked = babelforge("validate", bad, cwd=tmp_path)
    assert checked.returncode == 2
    assert "sampling.by: bad value 'famly'" in checked.stderr
    bad.write_text("name: x\ncomponents: [{path: out/nowhere}]\noutput: {path: out/x}\n")
    checked = babelforge("validate", bad, cwd=tmp_path)
    assert checked.returncode == 2
    assert "components[0].path: no output folder at 'out/nowhere'" in checked.stderr
    assert "Traceback" not in checked.stderr
