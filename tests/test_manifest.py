import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from babelforge.manifest import ManifestError, check_manifest, load_manifest

REPO = Path(__file__).parent.parent
QUICKSTART = REPO / "manifests" / "quickstart.yaml"


def base(data_dir, **overrides):
    manifest = {
        "name": "t",
        "languages": {"source": "en", "targets": ["hau_Latn"]},
        "sources": [{"kind": "conll", "path": str(data_dir / "europarl-en.conll"), "language": "en"}],
        "steps": [{"map_labels": {"mapping": {"MISC": None}}}],
        "output": {"path": "out/t", "kind": "ner"},
    }
    manifest.update(overrides)
    return manifest


def messages(problems):
    return "\n".join(str(p) for p in problems)


def test_quickstart_manifest_is_valid():
    manifest = load_manifest(QUICKSTART)
    assert manifest.languages.targets == ["hau_Latn"]
    assert [s.kind for s in manifest.step_settings] == ["map_labels", "filter_length"]
    assert manifest.sources[0].language == "eng_Latn"


def test_all_problems_are_reported_at_once(write_manifest, data_dir):
    bad = base(
        data_dir,
        languages={"source": "en", "targets": ["hausa_Latn"]},
        sources=[{"kind": "conll", "path": "missing/train.conll", "language": "en"}],
        steps=[{"translat": {"model": "x"}}, {"filter_length": {"min_tokens": -1}}],
    )
    manifest, problems = check_manifest(write_manifest(bad))
    text = messages(problems)
    assert manifest is None
    assert "languages.targets[0]: unknown language 'hausa_Latn'" in text
    assert "did you mean 'hau_Latn'" in text
    assert "steps[0]: unknown step kind 'translat'" in text
    assert "sources[0].path: no file or folder at 'missing/train.conll'" in text
    assert "steps[1].filter_length.min_tokens" in text
    assert len(problems) == 4


def test_unknown_keys_get_a_did_you_mean(write_manifest, data_dir):
    bad = base(data_dir, executor={"local": {"taks": 2}}, outptu={})
    _, problems = check_manifest(write_manifest(bad))
    text = messages(problems)
    assert "executor.local.taks: unknown key 'taks': did you mean 'tasks'?" in text
    assert "outptu: unknown key 'outptu': did you mean 'output'?" in text


def test_bad_choice_names_the_valid_ones(write_manifest, data_dir):
    bad = base(data_dir, output={"path": "o", "kind": "nerr"})
    bad["sources"][0]["kind"] = "conl"
    _, problems = check_manifest(write_manifest(bad))
    text = messages(problems)
    assert "output.kind: bad value 'nerr': valid: 'ner'" in text
    assert "sources[0].kind: unknown source kind 'conl': did you mean 'conll'?" in text


def test_environment_interpolation(write_manifest, data_dir, monkeypatch):
    monkeypatch.setenv("BF_OUT", "/tmp/somewhere")
    manifest = load_manifest(write_manifest(base(data_dir, output={"path": "${BF_OUT}/x", "kind": "ner"})))
    assert manifest.output.path == "/tmp/somewhere/x"
    manifest = load_manifest(write_manifest(base(data_dir, output={"path": "${BF_UNSET:-fallback}", "kind": "ner"})))
    assert manifest.output.path == "fallback"
    _, problems = check_manifest(write_manifest(base(data_dir, output={"path": "${BF_UNSET}", "kind": "ner"})))
    assert "output.path: environment variable ${BF_UNSET} is not set" in messages(problems)


def test_yaml_syntax_error_names_the_line(write_manifest):
    _, problems = check_manifest(write_manifest("name: x\nsources: [\n  - bad"))
    assert len(problems) == 1
    assert "manifest.yaml:3" in problems[0].path
    assert "not valid YAML" in problems[0].message


def test_output_kind_must_match_what_sources_give(write_manifest, data_dir):
    bad = base(data_dir, output={"path": "o", "kind": "chat"})
    _, problems = check_manifest(write_manifest(bad))
    assert "cannot feed output.kind 'chat'" in messages(problems)


def test_split_fractions_must_sum_to_one(write_manifest, data_dir):
    bad = base(data_dir, output={"path": "o", "kind": "ner", "splits": {"train": 0.5, "test": 0.2}})
    _, problems = check_manifest(write_manifest(bad))
    assert "output.splits: split fractions must be >= 0 and sum to 1" in messages(problems)


def test_load_manifest_raises_with_every_problem(write_manifest, data_dir):
    bad = base(data_dir, languages={"targets": ["xx_Fake", "zz"]})
    with pytest.raises(ManifestError) as error:
        load_manifest(write_manifest(bad))
    assert len(error.value.problems) == 2


def test_validate_command_exits_2_without_traceback(write_manifest, data_dir):
    bad = base(
        data_dir,
        languages={"targets": ["hausa_Latn"]},
        sources=[{"kind": "conll", "path": "nowhere.conll", "language": "en"}],
        steps=[{"translat": {}}],
    )
    path = write_manifest(bad)
    result = subprocess.run([sys.executable, "-m", "babelforge", "validate", str(path)], capture_output=True, text=True)
    assert result.returncode == 2
    assert "Traceback" not in result.stderr + result.stdout
    for value in ("'hausa_Latn'", "'translat'", "'nowhere.conll'"):
        assert value in result.stderr
    ok = subprocess.run(
        [sys.executable, "-m", "babelforge", "validate", str(QUICKSTART)], capture_output=True, text=True
    )
    assert ok.returncode == 0, ok.stderr


def test_interpolation_defaults_literals_and_lists(write_manifest, data_dir, monkeypatch):
    monkeypatch.setenv("BF_TARGET", "yor_Latn")
    monkeypatch.delenv("BF_UNSET", raising=False)
    settings = base(
        data_dir,
        description="for ${BF_TARGET}, literally $${BF_UNSET} and $${BF_TARGET:-x}",
        languages={"source": "en", "targets": ["${BF_TARGET}", "${BF_UNSET:-hau_Latn}"]},
    )
    manifest, problems = check_manifest(write_manifest(settings))
    assert problems == []
    assert manifest.languages.targets == ["yor_Latn", "hau_Latn"]
    assert manifest.description == "for yor_Latn, literally ${BF_UNSET} and ${BF_TARGET:-x}"


def test_the_manifest_as_written_and_its_environment_references_are_kept(write_manifest, data_dir, monkeypatch):
    monkeypatch.setenv("BF_TARGET", "yor_Latn")
    monkeypatch.delenv("BF_UNSET", raising=False)
    settings = base(
        data_dir,
        description="plain $${BF_TARGET}",
        languages={"source": "en", "targets": ["${BF_TARGET}", "${BF_UNSET:-hau_Latn}"]},
    )
    manifest = load_manifest(write_manifest(settings), output="elsewhere")
    assert manifest.as_written["languages"]["targets"] == ["${BF_TARGET}", "${BF_UNSET:-hau_Latn}"]
    assert manifest.as_written["output"]["path"] == "out/t"  # as the file says; the override is the run's
    # a default or an escape reads nothing from the environment: only the first target is a reference
    assert {loc: ref.names for loc, ref in manifest.env_references.items()} == {
        ("languages", "targets", 0): ("BF_TARGET",)
    }


def test_an_unset_variable_names_the_ways_out(write_manifest, data_dir, monkeypatch):
    monkeypatch.delenv("BF_UNSET", raising=False)
    _, problems = check_manifest(write_manifest(base(data_dir, description="x ${BF_UNSET} y")))
    (problem,) = problems
    assert problem.path == "description"
    assert "${BF_UNSET} is not set" in problem.message
    assert "${BF_UNSET:-default}" in problem.message
    assert "$${BF_UNSET}" in problem.message


def test_a_mixture_given_to_run_is_pointed_at_mix(tmp_path):
    mixture = tmp_path / "mix.yaml"
    mixture.write_text("name: m\ncomponents:\n  - {path: out/a}\noutput: {path: out/mix}\n")
    with pytest.raises(ManifestError) as caught:
        load_manifest(mixture)
    wanted = f"{mixture}: is a mixture (it has components, no sources): run `babelforge mix {mixture}`"
    assert str(caught.value) == wanted


@pytest.mark.parametrize(
    ("columns", "message"),
    [
        (["text"], "a bitext output has its own 'text' column(s)"),
        (["a b"], "column names are letters, digits and '_'"),
        (["x", "x"], "columns names 'x' more than once"),
    ],
)
def test_output_columns_are_checked(tmp_path, columns, message):
    (tmp_path / "in.jsonl").write_text('{"text": "a"}\n')
    manifest = tmp_path / "m.yaml"
    output = {"path": str(tmp_path / "out"), "kind": "bitext", "columns": columns}
    sources = [{"kind": "jsonl", "path": str(tmp_path / "in.jsonl"), "language": "en"}]
    manifest.write_text(yaml.safe_dump({"name": "m", "sources": sources, "output": output}))
    _, problems = check_manifest(manifest)
    assert any(message in str(p) for p in problems), problems


def test_a_manifest_without_a_licence_claims_none(tmp_path):
    (tmp_path / "in.jsonl").write_text('{"text": "a"}\n')
    sources = [{"kind": "jsonl", "path": str(tmp_path / "in.jsonl"), "language": "en"}]
    (tmp_path / "m.yaml").write_text(
        yaml.safe_dump({"name": "m", "sources": sources, "output": {"path": str(tmp_path / "o"), "kind": "text"}})
    )
    assert load_manifest(tmp_path / "m.yaml").license == "unknown"  # never a CC licence nobody gave


def test_a_file_named_with_glob_characters_is_found_once_escaped(tmp_path):
    (tmp_path / "x[red]y.jsonl").write_text('{"text": "a"}\n')
    manifest = {"name": "g", "sources": [{"kind": "jsonl", "path": "x[red]y.jsonl", "language": "en"}],
                "output": {"path": str(tmp_path / "out"), "kind": "text"}}  # fmt: skip
    (tmp_path / "g.yaml").write_text(yaml.safe_dump(manifest))
    (tmp_path / "xey.jsonl").write_text('{"text": "not this one"}\n')  # what the name reads as a pattern
    with pytest.raises(
        ManifestError, match=r"'x\[red\]y.jsonl' is a file, but .*reads 1 other .*'x\[\[\]red\]y.jsonl'"
    ):
        load_manifest(tmp_path / "g.yaml")
    manifest["sources"][0]["path"] = "x[[]red]y.jsonl"
    (tmp_path / "g.yaml").write_text(yaml.safe_dump(manifest))
    assert load_manifest(tmp_path / "g.yaml").sources[0].path.endswith("x[[]red]y.jsonl")


def test_a_local_dataset_folder_named_with_glob_characters_is_refused_unless_a_plain_link_names_it(tmp_path):
    (tmp_path / "ds[1]").mkdir()
    (tmp_path / "plain").symlink_to(tmp_path / "ds[1]")
    for path, problem in (("ds[1]", r"'ds\[1\]' is a local folder, .*a link will do"), ("plain", None)):
        manifest = {"name": "h", "sources": [{"kind": "hf", "path": path, "language": "en"}],
                    "output": {"path": str(tmp_path / "out"), "kind": "text"}}  # fmt: skip
        (tmp_path / "h.yaml").write_text(yaml.safe_dump(manifest))
        if problem:
            with pytest.raises(ManifestError, match=problem):
                load_manifest(tmp_path / "h.yaml")
        else:  # the link's own path, which datasets can read, not the folder it points to
            assert load_manifest(tmp_path / "h.yaml").sources[0].path == str(tmp_path / "plain")


def test_a_plain_link_to_a_file_named_with_glob_characters_reads_that_file(tmp_path):
    (tmp_path / "x[1].jsonl").write_text('{"text": "real"}\n')
    (tmp_path / "x1.jsonl").write_text('{"text": "decoy"}\n')
    (tmp_path / "link.jsonl").symlink_to("x[1].jsonl")
    manifest = {"name": "l", "sources": [{"kind": "jsonl", "path": "link.jsonl", "language": "en"}],
                "output": {"path": str(tmp_path / "out"), "kind": "text"}}  # fmt: skip
    (tmp_path / "l.yaml").write_text(yaml.safe_dump(manifest))
    source = load_manifest(tmp_path / "l.yaml").sources[0]
    assert source.path == str(tmp_path / "x[[]1].jsonl")  # the target, as a pattern that matches only it
    assert source.display_name == "x[1]"
    assert [d.text for d in source.reader(0).run(None, 0, 1)] == ["real"]


def test_only_a_source_file_name_is_a_pattern_not_its_folders(tmp_path):
    (tmp_path / "data" / "sub").mkdir(parents=True)
    (tmp_path / "data" / "sub" / "a.jsonl").write_text('{"text": "a"}\n')
    for path, problem in (("data/*/a.jsonl", r"no folder 'data/\*': only a source's file name is a pattern"),
                          ("data/sub/*.jsonl", None), ("data", None)):  # fmt: skip
        manifest = {"name": "f", "sources": [{"kind": "jsonl", "path": path, "language": "en"}],
                    "output": {"path": str(tmp_path / "out"), "kind": "text"}}  # fmt: skip
        (tmp_path / "f.yaml").write_text(yaml.safe_dump(manifest))
        if problem is None:
            load_manifest(tmp_path / "f.yaml")
        else:
            with pytest.raises(ManifestError, match=problem):
                load_manifest(tmp_path / "f.yaml")
