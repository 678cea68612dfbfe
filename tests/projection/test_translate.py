"""CTranslate2 translation on the tiny Marian fixture: conversion cache, batching, memory, the step."""

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from babelforge.errors import BabelforgeError
from babelforge.manifest import check_manifest, load_manifest
from babelforge.models import ModelNotFoundError, resolve_model
from babelforge.projection.ct2 import CTranslate2Translator, Decoding, _token_batches
from babelforge.projection.memory import TranslationMemory
from babelforge.runner import run_manifest

pytestmark = pytest.mark.slow
SHORT = Decoding(beam_size=2, max_decoding_length=8)


def test_conversion_is_cached_and_translations_are_remembered(tiny_marian, tmp_path, monkeypatch):
    monkeypatch.setenv("BABELFORGE_HOME", str(tmp_path / "home"))
    memory = tmp_path / "memory.sqlite"
    first = CTranslate2Translator(str(tiny_marian["hf"]), "en", "de", SHORT, memory=memory)
    texts = ["The European Parliament", "", "Resumption of the session", "The European Parliament"]
    out = first.translate(texts)
    assert out[1] == ""
    assert out[0] == out[3]
    assert out[0]
    assert first.model_calls == 1  # the repeat was translated once, the empty text not at all
    (converted,) = (tmp_path / "home" / "ct2").iterdir()
    stamp = (converted / "model.bin").stat().st_mtime_ns
    again = CTranslate2Translator(str(tiny_marian["hf"]), "en", "de", SHORT, memory=memory)
    assert again.translate(texts) == out
    assert again.model_calls == 0
    assert len(TranslationMemory(memory)) == 2
    other = CTranslate2Translator(
        str(tiny_marian["hf"]), "en", "de", Decoding(beam_size=1, max_decoding_length=8), memory=memory
    )
    other.translate(texts[:1])
    assert other.model_calls == 1  # other decoding settings are another key
    assert (converted / "model.bin").stat().st_mtime_ns == stamp


def test_an_already_converted_model_is_used_as_is(tiny_marian, tmp_path):
    import shutil

    folder = tmp_path / "ct2-with-tokenizer"
    shutil.copytree(tiny_marian["ct2"], folder)
    for name in ("source.spm", "target.spm", "vocab.json", "tokenizer_config.json"):
        shutil.copy(tiny_marian["hf"] / name, folder / name)
    (folder / "config.json").write_text(
        json.dumps({**json.loads((folder / "config.json").read_text()), "model_type": "marian"})
    )
    translator = CTranslate2Translator(str(folder), "en", "de", SHORT, memory=None)
    assert translator.translate(["The session"])[0]


def test_batches_respect_the_token_budget():
    lengths = [3, 5, 5, 8, 20]
    batches = _token_batches(list(range(5)), lengths, budget=16)
    assert batches == [[0, 1, 2], [3], [4]]
    assert all(max(lengths[i] for i in b) * len(b) <= 16 or len(b) == 1 for b in batches)


def test_translate_step_in_a_manifest(tiny_marian, tmp_path, write_manifest, data_dir):
    manifest = {
        "name": "mt",
        "sources": [{"kind": "conll", "path": str(data_dir / "europarl-en.conll"), "language": "en", "limit": 20}],
        "steps": [
            {"translate": {"model": str(tiny_marian["hf"]), "target": "de", "beam_size": 1, "max_decoding_length": 6}}
        ],
        "output": {"path": str(tmp_path / "out"), "kind": "bitext"},
    }
    loaded = load_manifest(write_manifest(manifest))
    result = run_manifest(loaded)
    import datasets

    rows = datasets.load_dataset(str(tmp_path / "out"), split="train")
    assert len(rows) + sum(result.summary["drops"].values()) == 20
    assert all(r["target_language"] == "deu_Latn" and r["target_text"] for r in rows)
    provenance = json.loads((tmp_path / "out" / "provenance.json").read_text())
    (model,) = provenance["models"]
    from babelforge.provenance import manifest_folder

    # a local model is recorded by its path relative to the manifest: no path of this machine in the output
    assert (manifest_folder(loaded) / model["name"]).resolve() == Path(tiny_marian["hf"]).resolve()
    assert not Path(model["name"]).is_absolute()
    assert model["revision"].startswith("local:")


def test_unknown_model_fails_fast_and_names_it(tmp_path, write_manifest, data_dir):
    with pytest.raises(ModelNotFoundError, match="'no-such-org/no-such-model'"):
        resolve_model("no-such-org/no-such-model")
    manifest = {
        "name": "mt",
        "sources": [{"kind": "conll", "path": str(data_dir / "europarl-en.conll"), "language": "en"}],
        "steps": [{"translate": {"model": "no-such-org/no-such-model", "target": "hau_Latn"}}],
        "output": {"path": str(tmp_path / "out"), "kind": "bitext"},
    }
    path = write_manifest(manifest)
    assert check_manifest(path)[1] == []  # valid: the model is looked for when the run starts
    env = {**os.environ, "HF_HUB_OFFLINE": "1"}
    result = subprocess.run(
        [sys.executable, "-m", "babelforge", "run", str(path)], capture_output=True, text=True, env=env
    )
    assert result.returncode == 2
    assert "model 'no-such-org/no-such-model' is not a local folder" in result.stderr
    assert "hf download no-such-org/no-such-model" in result.stderr
    assert "Traceback" not in result.stderr


def test_translate_settings_are_validated(write_manifest, data_dir):
    manifest = {
        "name": "mt",
        "sources": [{"kind": "conll", "path": str(data_dir / "europarl-en.conll"), "language": "en"}],
        "steps": [{"translate": {"model": "x", "target": "hausa_Latn", "quantisation": "int8"}}],
        "output": {"path": "o", "kind": "bitext"},
    }
    _, problems = check_manifest(write_manifest(manifest))
    text = "\n".join(map(str, problems))
    assert "steps[0].translate.target: unknown language 'hausa_Latn'" in text
    assert "steps[0].translate.quantisation: unknown key 'quantisation': did you mean 'quantization'?" in text


def test_a_missing_model_folder_is_named():
    with pytest.raises(BabelforgeError, match="model folder '/no/such/folder' does not exist"):
        resolve_model("/no/such/folder")


def test_inputs_longer_than_the_model_takes_go_by_pieces(tiny_marian, tmp_path):
    translator = CTranslate2Translator(str(tiny_marian["hf"]), "en", "de", SHORT, memory=None)
    long_text = " ".join(["The Parliament adopted the resolution ."] * 60)  # far beyond 128 positions
    (translation,) = translator.translate([long_text])
    assert translation
    assert translator.model_calls >= 1


def test_models_convert_command(tiny_marian, tmp_path):
    env = {**os.environ, "BABELFORGE_HOME": str(tmp_path / "home")}
    command = [sys.executable, "-m", "babelforge", "models", "convert", str(tiny_marian["hf"]), "-q", "int8"]
    result = subprocess.run(command, capture_output=True, text=True, env=env)
    assert result.returncode == 0, result.stderr
    assert "(marian, revision local:" in result.stdout
    (converted,) = (tmp_path / "home" / "ct2").iterdir()
    assert converted.name.endswith("-int8")
    assert (converted / "model.bin").exists()
    missing = subprocess.run([*command[:5], "nobody/nothing"], capture_output=True, text=True, env=env)
    assert missing.returncode == 2
    assert "model 'nobody/nothing'" in missing.stderr
