"""No secret leaves the machine: secrets planted in the environment and the manifest never reach an output."""

from pathlib import Path

import pytest

from babelforge.manifest import load_manifest, manifest_model
from babelforge.provenance import REDACTED, build_provenance, redact, scrub, secret_environment
from babelforge.registry import StepSettings, register_step
from babelforge.runner import run_manifest
from babelforge.steps import RecordStep

DATA = Path(__file__).parent / "data"
TOKEN = "hf_planted_secret_0123"
PASSWORD = "ray-planted-password"
LITERAL = "literal-credential-4567"


class Passthrough(RecordStep):
    name = "passthrough"

    def process(self, doc):
        return doc


@register_step("test_keys")
class CredentialSettings(StepSettings):
    """A step with settings named like credentials, and settings that only look alike."""

    api_key: str | None = None
    hf_token: str | None = None
    token_column: int = 0
    max_tokens: int = 10
    note: str = ""

    def build(self, ctx):
        return Passthrough()


def planted_manifest(output: Path) -> dict:
    return {
        "name": "planted",
        "description": "made for ${BF_TARGET}",
        "languages": {"source": "en", "targets": ["${BF_TARGET}"]},
        "sources": [
            {
                "kind": "conll",
                "path": str(DATA / "europarl-en.conll"),
                "language": "en",
                "attribution": "fetched with ${HF_TOKEN}",
            }
        ],
        "steps": [
            {"map_labels": {"mapping": {"MISC": None}}},
            {"test_keys": {"api_key": "${HF_TOKEN}", "hf_token": LITERAL, "note": "key ${HF_TOKEN}"}},
        ],
        "output": {"path": str(output), "kind": "ner"},
        "executor": {
            "use": "local",
            "local": {"tasks": 1},
            "slurm": {"env_command": "export HF_TOKEN=${HF_TOKEN}"},
            "ray": {"address": "ray://user:${RAY_PASSWORD}@head:10001"},
        },
    }


@pytest.fixture(scope="module")
def planted(tmp_path_factory):
    """A run of a manifest that reads two secrets from the environment and writes a credential literally."""
    import yaml

    folder = tmp_path_factory.mktemp("planted")
    path = folder / "manifest.yaml"
    path.write_text(yaml.safe_dump(planted_manifest(folder / "out"), sort_keys=False))
    with pytest.MonkeyPatch.context() as env:
        env.setenv("HF_TOKEN", TOKEN)
        env.setenv("RAY_PASSWORD", PASSWORD)
        env.setenv("BF_TARGET", "yor_Latn")
        manifest = load_manifest(path)
        run_manifest(manifest, keep_work=True)
        yield folder / "out", manifest


def read_json(path: Path):
    import json

    return json.loads(path.read_text(encoding="utf-8"))


def test_no_planted_secret_is_in_any_file_of_the_output(planted):
    out, _ = planted
    files = [p for p in out.rglob("*") if p.is_file()]
    assert len(files) >= 4
    for path in files:
        content = path.read_bytes()
        for secret in (TOKEN, PASSWORD, LITERAL):
            assert secret.encode() not in content, f"{secret} in {path.relative_to(out)}"


def test_provenance_records_references_and_no_executor_settings(planted):
    out, _ = planted
    provenance = read_json(out / "provenance.json")
    written, settings = provenance["manifest_as_written"], provenance["manifest"]
    assert written["sources"][0]["attribution"] == "fetched with ${HF_TOKEN}"
    assert written["languages"]["targets"] == ["${BF_TARGET}"]
    assert written["executor"] == settings["executor"] == {"use": "local"}
    assert settings["sources"][0]["attribution"] == "fetched with ${HF_TOKEN}"
    assert settings["description"] == "made for ${BF_TARGET}"
    # a language code cannot hold a secret, and it is what the rows were made for: recorded resolved
    assert settings["languages"]["targets"] == ["yor_Latn"]
    assert provenance["from_environment"] == {
        "description": "made for ${BF_TARGET}",
        "languages.targets[0]": "${BF_TARGET}",
        "sources[0].attribution": "fetched with ${HF_TOKEN}",
        "steps[1].test_keys.api_key": REDACTED,
        "steps[1].test_keys.note": "key ${HF_TOKEN}",
    }


def test_credential_settings_are_redacted_even_when_written_literally(planted):
    out, _ = planted
    provenance = read_json(out / "provenance.json")
    for manifest in (provenance["manifest"], provenance["manifest_as_written"]):
        step = manifest["steps"][1]["test_keys"]
        assert step["api_key"] == step["hf_token"] == REDACTED
        assert step["note"] == "key ${HF_TOKEN}"
    step = provenance["manifest"]["steps"][1]["test_keys"]
    assert (step["token_column"], step["max_tokens"]) == (0, 10)  # named alike, not credentials


def test_the_card_shows_the_manifest_but_no_secret(planted):
    out, _ = planted
    card = (out / "README.md").read_text(encoding="utf-8")
    assert "made for yor_Latn" in card  # an ordinary variable is expanded for the reader
    assert "fetched with ${HF_TOKEN}" in card  # a secret's value is not
    assert "${VAR}" in card


def test_a_recorded_manifest_validates_again_with_its_references(planted):
    from babelforge.review.export import _manifest

    out, _ = planted
    recorded = read_json(out / "provenance.json")["manifest"]
    manifest = manifest_model().model_validate(recorded, context={"recorded": True})
    assert manifest.sources[0].attribution == "fetched with ${HF_TOKEN}"  # read back, not expanded
    assert manifest.languages.targets == ["yor_Latn"]
    exported = _manifest({"manifest": recorded}, out.with_name("reviewed"))  # review export's reader
    assert exported.output.path == str(out.with_name("reviewed"))
    summary = {"rows": {}, "steps": [], "drops": {}}
    again = build_provenance(exported, summary, {}, [])
    assert again["manifest"]["description"] == "made for ${BF_TARGET}"
    assert again["manifest"]["steps"][1]["test_keys"]["api_key"] == REDACTED


def test_secret_variables_are_picked_by_name_and_length():
    environ = {
        "HF_TOKEN": TOKEN,
        "OPENAI_API_KEY": "sk-0123456789",
        "RAY_REDIS_PASSWORD": PASSWORD,
        "GITHUB_TOKEN": "short",
        "TOKENIZERS_PARALLELISM": "false-but-long",
        "HOME": "/home/someone",
    }
    assert secret_environment(environ) == {
        PASSWORD: "RAY_REDIS_PASSWORD",
        TOKEN: "HF_TOKEN",
        "sk-0123456789": "OPENAI_API_KEY",
    }


def test_redact_and_scrub():
    settings = {
        "api_key": "x",
        "OPENAI_API_KEY": "y",
        "headers": {"Authorization": "Bearer z"},
        "items": [{"password": "p", "secret_key": "s"}],
        "credentials": {"user": "u", "password": "p"},
        "hf_token": None,
        "max_tokens": 5,
        "token_column": 1,
        "tokens": "t",
    }
    assert redact(settings) == {
        "api_key": REDACTED,
        "OPENAI_API_KEY": REDACTED,
        "headers": {"Authorization": REDACTED},
        "items": [{"password": REDACTED, "secret_key": REDACTED}],
        "credentials": {"user": "u", "password": REDACTED},
        "hf_token": None,
        "max_tokens": 5,
        "token_column": 1,
        "tokens": "t",
    }
    found = {TOKEN: "HF_TOKEN"}
    assert scrub({f"k {TOKEN}": [f"a{TOKEN}b", 3]}, found) == {"k ${HF_TOKEN}": ["a${HF_TOKEN}b", 3]}
