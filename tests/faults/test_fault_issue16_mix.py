"""Issue 16 faults: `babelforge mix` messages name each place once."""

import pytest

from babelforge.manifest import ManifestError
from babelforge.mixture import load_mixture
from babelforge.mixture_components import open_components


def test_a_missing_component_names_the_folder_looked_in_once(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    (tmp_path / "mix.yaml").write_text("name: m\ncomponents: [{path: out/nope}]\noutput: {path: out/mix}\n")
    with pytest.raises(ManifestError, match=r"no output folder at 'out/nope' \(looked in [^ ]+\): write it") as raised:
        open_components(load_mixture(tmp_path / "mix.yaml"))
    assert str(raised.value).count(str(tmp_path.resolve())) == 2  # the mixture file, then the one folder


def _output(folder, name: str, language: str, columns: list[str], keep: list[str]):
    import json

    import yaml

    from babelforge.manifest import load_manifest
    from babelforge.runner import run_manifest

    rows = [{"id": f"{name}{i}", "text": f"{name} {i}", "premise": f"p{i}", "label": i} for i in range(12)]
    (folder / f"{name}.jsonl").write_text("".join(json.dumps(r) + "\n" for r in rows))
    source = {"kind": "jsonl", "path": str(folder / f"{name}.jsonl"), "language": language}
    manifest = {"name": name, "sources": [{**source, "fields": {"keep": keep}} if keep else source],
                "output": {"path": str(folder / name), "kind": "text", "columns": columns}}  # fmt: skip
    (folder / f"{name}.yaml").write_text(yaml.safe_dump(manifest))
    run_manifest(load_manifest(folder / f"{name}.yaml"))


def test_a_components_own_columns_stay_in_the_mixture(tmp_path):
    import datasets

    from babelforge.mixture_run import mix, prepare

    _output(tmp_path, "xnli", "en", ["premise", "label"], ["premise", "label"])
    _output(tmp_path, "plain", "ha", [], [])
    mixture = tmp_path / "mix.yaml"
    mixture.write_text(
        f"name: m\ncomponents: [{{path: {tmp_path / 'xnli'}}}, {{path: {tmp_path / 'plain'}}}]\n"
        f"output: {{path: {tmp_path / 'mix'}}}\n"
    )
    mix(prepare(load_mixture(mixture)))
    rows = datasets.load_dataset(str(tmp_path / "mix"), split="train")
    assert {"premise", "label"} <= set(rows.column_names)  # before: dropped, a row without its hypothesis
    for row in rows:
        if row["component"] == "xnli":
            assert row["premise"] == f"p{row['id'].removeprefix('xnli/xnli')}"
            assert row["label"] == row["id"].removeprefix("xnli/xnli")
        else:
            assert row["premise"] is None
            assert row["label"] is None
