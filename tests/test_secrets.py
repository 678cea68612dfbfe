"""No secret leaves the machine: secrets planted in the environment and the manifest never reach an output."""

import os
import subprocess
import sys
from pathlib import Path
from types import SimpleNamespace

import pytest

from babelforge.manifest import ManifestError, check_manifest, load_manifest, manifest_model
from babelforge.provenance import (
    REDACTED,
    build_provenance,
    is_secret_variable,
    redact,
    scrub,
    secret_environment,
)
from babelforge.registry import StepSettings, register_step
from babelforge.runner import run_manifest
from babelforge.steps import RecordStep

DATA = Path(__file__).parent / "data"
TOKEN = "hf_planted_secret_0123"
PASSWORD = "ray-planted-password"
LITERAL = "literal-credential-4567"
API_KEY = "sekrit-ABCDEF123456"


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
                "attribution": f"fetched with {TOKEN}",  # pasted: only a credential setting may read ${HF_TOKEN}
            }
        ],
        "steps": [
            {"map_labels": {"mapping": {"MISC": None}}},
            {"test_keys": {"api_key": "${HF_TOKEN}", "hf_token": LITERAL, "note": f"key {TOKEN}"}},
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
    """A run of a manifest that reads two secrets from the environment (into a credential setting and executor
    settings, where the manifest allows it), writes a credential literally, and pastes a secret's value."""
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
        "steps[1].test_keys.api_key": REDACTED,
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


@pytest.mark.parametrize(
    ("name", "secret"),
    [
        *[
            (name, True)
            for name in (
                "HF_TOKEN",
                "HFTOKEN",
                "GITHUBTOKEN",
                "OPENAI_API_KEY",
                "OPENAIKEY",
                "my_api_key",
                "PGPASSWORD",
                "MYSQL_PWD",
                "DB_PASSWD",
                "SSH_PASSPHRASE",
                "GH_PAT",
                "AZURE_DEVOPS_PAT_VALUE",
                "AWS_SECRET_ACCESS_KEY",
                "AWS_SESSION_TOKEN",
                "GOOGLE_APPLICATION_CREDENTIALS",
                "HTTP_AUTHORIZATION",
                "BASIC_AUTH",
                "SESSION_COOKIE",
                "SSH_PRIVATE_KEY",
            )
        ],
        *[
            (name, False)
            for name in (
                "PATH",
                "PYTHONPATH",
                "LD_LIBRARY_PATH",
                "PATTERN",
                "SPATIAL",
                "PWD",
                "OLDPWD",
                "HOME",
                "USER",
                "LANG",
                "KEYBOARD",
                "XKB_KEYMAP",
                "TOKENIZERS_PARALLELISM",
                "GIT_AUTHOR_NAME",
                "XAUTHORITY",
                "SSH_AUTH_SOCK",
                "XDG_SESSION_TYPE",
                "DESKTOP_SESSION",
                "DBUS_SESSION_BUS_ADDRESS",
                "BABELFORGE_OUT",
                "NLLB_MODEL",
            )
        ],
    ],
)
def test_secret_variables_are_known_by_name(name, secret):
    assert is_secret_variable(name) is secret


def secret_reading(data_dir: Path, **overrides) -> dict:
    manifest = {
        "name": "leaky",
        "languages": {"source": "en", "targets": ["hau_Latn"]},
        "sources": [{"kind": "conll", "path": str(data_dir / "europarl-en.conll"), "language": "en"}],
        "steps": [{"test_keys": {"api_key": "${MY_API_KEY}"}}],  # a credential setting: allowed
        "output": {"path": "out/leaky", "kind": "ner"},
        "executor": {"ray": {"address": "ray://user:${MY_API_KEY}@head:10001"}},  # an executor setting: allowed
    }
    for key, value in overrides.items():
        manifest[key] = {**manifest[key], **value} if isinstance(manifest.get(key), dict) else value
    return manifest


@pytest.mark.parametrize(
    ("overrides", "where"),
    [
        (
            {"sources": [{"kind": "conll", "path": "${BF_DATA}", "language": "en", "name": "src-${MY_API_KEY}"}]},
            "sources[0].name",
        ),
        ({"output": {"config": "cfg-${MY_API_KEY}"}}, "output.config"),
        ({"output": {"path": "out/${MY_API_KEY}"}}, "output.path"),
        ({"output": {"labels": ["PER", "${MY_API_KEY}"]}}, "output.labels[1]"),
        ({"description": "made with ${MY_API_KEY}"}, "description"),
        ({"steps": [{"test_keys": {"note": "${MY_API_KEY}"}}]}, "steps[0].test_keys.note"),
    ],
)
def test_a_secret_variable_is_refused_where_it_could_reach_the_dataset(
    write_manifest, data_dir, monkeypatch, overrides, where
):
    monkeypatch.setenv("MY_API_KEY", API_KEY)
    monkeypatch.setenv("BF_DATA", str(data_dir / "europarl-en.conll"))
    _, problems = check_manifest(write_manifest(secret_reading(data_dir, **overrides)))
    (problem,) = problems
    assert problem.path == where
    assert problem.message.startswith("reads ${MY_API_KEY}, which is named like a secret")
    assert "only a credential setting" in problem.message
    assert API_KEY not in str(problem)


def test_credential_and_executor_settings_may_read_a_secret_variable(write_manifest, data_dir, monkeypatch):
    monkeypatch.setenv("MY_API_KEY", API_KEY)
    manifest = load_manifest(write_manifest(secret_reading(data_dir)))
    assert manifest.step_settings[0].api_key == API_KEY


@pytest.mark.parametrize("secret", [API_KEY, "sek12"])  # short values too: the message is about this one
def test_problems_show_a_secret_variable_as_its_reference(write_manifest, data_dir, monkeypatch, secret):
    monkeypatch.setenv("MY_API_KEY", secret)
    leaky = secret_reading(
        data_dir, languages={"source": "${MY_API_KEY}"}, steps=[{"test_keys": {"max_tokens": "x${MY_API_KEY}"}}]
    )
    path = write_manifest(leaky)
    _, problems = check_manifest(path)
    text = "\n".join(map(str, problems))
    assert "languages.source: unknown language '${MY_API_KEY}'" in text
    assert "steps[0].test_keys.max_tokens" in text
    assert "'x${MY_API_KEY}'" in text
    assert secret not in text
    with pytest.raises(ManifestError) as error:  # what `babelforge run` prints
        load_manifest(path)
    assert secret not in str(error.value)
    if secret == API_KEY:
        env = {**os.environ, "MY_API_KEY": secret}
        result = subprocess.run(
            [sys.executable, "-m", "babelforge", "validate", str(path)], capture_output=True, text=True, env=env
        )
        assert result.returncode == 2
        assert "unknown language '${MY_API_KEY}'" in result.stderr
        assert secret not in result.stdout + result.stderr


def test_dataset_info_holds_no_secret_written_into_the_manifest(write_manifest, data_dir, monkeypatch, tmp_path):
    from babelforge.emit import _write_metadata
    from babelforge.records import features_for
    from babelforge.spans import tag_names

    monkeypatch.setenv("HF_TOKEN", TOKEN)
    monkeypatch.setenv("MY_API_KEY", API_KEY)
    pasted = secret_reading(data_dir, output={"config": f"cfg-{TOKEN}"})  # pasted: no ${VAR} to refuse
    plan = SimpleNamespace(manifest=load_manifest(write_manifest(pasted)), passes=[])
    summary = {"rows": {"train": {"eng_Latn": 1}}, "labels": ["PER"], "steps": [], "drops": {}}
    split_info = {"train": {"num_bytes": 10, "num_examples": 1}}
    _write_metadata(plan, tmp_path, features_for("ner", tag_names(["PER"])), split_info, summary, {})
    assert "cfg-${HF_TOKEN}" in (tmp_path / "dataset_info.json").read_text(encoding="utf-8")
    for name in ("dataset_info.json", "README.md", "provenance.json"):
        assert TOKEN not in (tmp_path / name).read_text(encoding="utf-8"), name


def test_a_password_written_into_an_endpoint_url_is_redacted_everywhere(tmp_path, write_manifest, llm_server):
    (tmp_path / "seeds.txt").write_text("hello there\nhow are you\n")
    url = llm_server.base_url.replace("://", "://bob:hunter2pw@")
    spec = {
        "name": "url-password",
        "sources": [{"kind": "text", "path": str(tmp_path / "seeds.txt"), "language": "en"}],
        "steps": [{"instruct": {"mode": "xl_instruct", "model": f"openai:url-pw@{url}", "response_language": "de"}}],
        "output": {"path": str(tmp_path / "out"), "kind": "chat"},
    }
    run_manifest(load_manifest(write_manifest(spec)))
    written = [p for p in (tmp_path / "out").rglob("*") if p.is_file() and p.suffix != ".parquet"]
    assert any("bob:<redacted>@" in p.read_text(encoding="utf-8") for p in written)  # the endpoint, recorded
    for path in written:
        assert "hunter2pw" not in path.read_text(encoding="utf-8"), path
    text = "see https://a:b@c.d/x and user@example.org"
    assert scrub(text, {}) == "see https://a:<redacted>@c.d/x and user@example.org"
