"""``provenance.json``: how an output was made, enough to audit or reproduce it, and never a secret.

The manifest is recorded twice:

- ``manifest_as_written``: the file's mapping, ``${VAR}`` references unexpanded, the executor reduced
  to ``use`` (its settings say where the run ran, and may hold credentials);
- ``manifest``: the validated settings that decide the rows (executor reduced the same way). A string
  that came from the environment is recorded as written (``${NLLB_MODEL:-facebook/...}``), unless the
  setting takes only a closed set of values (a language code, a choice, a number: no room for a
  secret, and they say what was made); ``from_environment`` lists every such setting. It validates
  again as a manifest (context ``recorded``), which is how ``babelforge review export`` reads it back.

In both, a setting whose name says it holds a credential (``api_key``, ``token``, ``password``,
``secret``, ``authorization``) is ``<redacted>``, and anywhere in the file the value of an environment
variable whose name says it is a secret (``HF_TOKEN``, ``OPENAI_API_KEY``, ...) becomes ``${NAME}``.
"""

from __future__ import annotations

import json
import os
import platform
import re
import sys
from collections.abc import Mapping
from datetime import datetime, timezone
from importlib.metadata import PackageNotFoundError, version
from pathlib import Path
from typing import Any

#: Setting names whose values are credentials: never recorded, even when written in the manifest itself.
CREDENTIAL_KEY = re.compile(
    r"(?i)(?:^|[_.-])(?:api[_-]?key|apikey|(?:secret|private|access)[_-]?key|token|password|passwd|secret"
    r"|authorization|credentials?)$"
)
#: Parts of an environment variable's name that say its value is a secret: anywhere in the name (``HF_TOKEN``,
#: ``HFTOKEN``, ``PGPASSWORD``, ``MYSQL_PWD``, ``OPENAIKEY``), or ``PAT`` as a whole part (``GH_PAT``, not ``PATH``).
#: Decide with :func:`is_secret_variable`, which also knows the ordinary names that hold such a part.
SECRET_VARIABLE = re.compile(
    r"(?i)token|key|secret|passw(?:or)?d|pwd|passphrase|credential|auth|cookie|session|private|(?:^|_)pat(?:_|$)"
)
#: Words that hold a secret part by chance: ``KEYBOARD``, ``TOKENIZERS_PARALLELISM``, ``GIT_AUTHOR_NAME``,
#: ``XAUTHORITY`` (``AUTHORIZATION`` is not one of them).
_INNOCENT_WORD = re.compile(r"(?i)keyboard|keymap|keyring|tokenizers?|author(?:s|ity)?(?![a-z])")
#: Variables that shells and desktop sessions set, named alike but holding no secret: ``PWD`` and ``OLDPWD``
#: are working directories, the others sockets, paths and session ids.
ORDINARY_VARIABLE = re.compile(
    r"(?i)(?:old)?pwd|ssh_auth_sock|xdg_session_\w+|desktop_session|session_manager|dbus_session_bus_address"
)
#: Shorter values are not looked for (they would match ordinary text, and are no secret worth the name).
MIN_SECRET_LENGTH = 8
REDACTED = "<redacted>"

#: Packages whose versions are recorded when installed (never imported to find out).
RECORDED_PACKAGES = (
    "babelforge",
    "datatrove",
    "datasets",
    "pyarrow",
    "polars",
    "pydantic",
    "huggingface_hub",
    "torch",
    "transformers",
    "ctranslate2",
    "sentence-transformers",
    "faiss-cpu",
    "openai",
    "ray",
)


def package_versions() -> dict[str, str]:
    versions = {"python": platform.python_version()}
    for name in RECORDED_PACKAGES:
        try:
            versions[name] = version(name)
        except PackageNotFoundError:
            continue
    return versions


def input_hashes(manifest) -> dict[str, str]:
    """SHA-256 of every input file, by path."""
    import glob

    from babelforge.inputs import file_sha256

    hashes = {}
    for source in manifest.sources:
        for match in sorted(glob.glob(source.path)):
            files = [Path(match)] if Path(match).is_file() else sorted(p for p in Path(match).rglob("*") if p.is_file())
            hashes.update({str(f): file_sha256(f) for f in files})
        if source.kind == "hf" and not glob.glob(source.path):
            hashes[source.path] = f"hub revision {getattr(source, 'revision', None) or 'main'}"
    return hashes


def build_provenance(
    manifest, summary: dict[str, Any], timings: dict[str, float], models: list[dict]
) -> dict[str, Any]:
    """The ``provenance.json`` of a finished run (see the module docstring for what it never holds)."""
    provenance = {
        "created": datetime.now(timezone.utc).isoformat(timespec="seconds"),
        "command": " ".join(sys.argv),
        "manifest": recorded_settings(manifest),
        "manifest_as_written": manifest_as_written(manifest),
        "from_environment": from_environment(manifest),
        "inputs": input_hashes(manifest),
        "packages": package_versions(),
        "models": models,
        "executor": manifest.executor.use,
        "rows": summary["rows"],
        "labels": summary.get("labels", []),
        "steps": summary["steps"],
        "drops": summary["drops"],
        "timings_s": {k: round(v, 3) for k, v in timings.items()},
        **({"review": summary["review"]} if "review" in summary else {}),
    }
    return scrub(provenance, secret_environment())


def manifest_as_written(manifest) -> dict[str, Any]:
    """The manifest's mapping as its file holds it: references unexpanded, no executor settings, no credential."""
    data = json.loads(json.dumps(manifest.as_written, default=str))
    executor = data.pop("executor", None)
    if isinstance(executor, dict) and "use" in executor:
        data["executor"] = {"use": executor["use"]}
    return redact(data)


def from_environment(manifest) -> dict[str, str]:
    """Each setting (executor settings aside) that read the environment, and its text as written."""
    references = manifest.env_references.items()
    return redact({_display(loc): ref.written for loc, ref in references if loc[:1] != ("executor",)})


def recorded_settings(manifest) -> dict[str, Any]:
    """The validated settings that decide the rows, with environment values recorded as their references."""
    data = manifest.model_dump(mode="json")
    data["executor"] = {"use": manifest.executor.use}
    resolved = {}
    for loc, reference in manifest.env_references.items():
        place = _place(data, loc)
        if place is not None and isinstance(place[0][place[1]], str):
            resolved[loc] = place[0][place[1]]
            place[0][place[1]] = reference.written
    for loc in _unreadable(data, resolved):
        container, key = _place(data, loc)
        container[key] = resolved[loc]  # a closed choice (a language, a method): what made the rows
    return redact(data)


def _unreadable(data: dict, replaced: dict[tuple, str]) -> list[tuple]:
    """Of the locations in ``replaced``, those whose reference would not validate when read back."""
    if not replaced:
        return []
    from pydantic import ValidationError

    from babelforge.manifest import manifest_model
    from babelforge.manifest_problems import error_location

    try:
        manifest_model().model_validate(data, context={"recorded": True})
        return []
    except ValidationError as error:
        failed = [error_location(e) for e in error.errors()]
    return [loc for loc in replaced if any(f[: len(loc)] == loc for f in failed)]


def _place(data: Any, loc: tuple) -> tuple[Any, Any] | None:
    """The container holding ``loc`` in ``data`` and its key there, or ``None`` where there is none."""
    container = None
    for key in loc:
        try:
            container, data = data, data[key]
        except (KeyError, IndexError, TypeError):
            return None
    return (container, loc[-1]) if loc else None


def _display(loc: tuple) -> str:
    text = ""
    for key in loc:
        text += f"[{key}]" if isinstance(key, int) else f".{key}" if text else str(key)
    return text


def redact(value: Any) -> Any:
    """``value`` with every setting named like a credential (:data:`CREDENTIAL_KEY`) replaced by ``<redacted>``."""
    if isinstance(value, dict):
        return {k: REDACTED if _is_credential(k, v) else redact(v) for k, v in value.items()}
    if isinstance(value, list):
        return [redact(v) for v in value]
    return value


def _is_credential(key: Any, value: Any) -> bool:
    # a mapping is looked into instead (its own keys say which of its values are credentials)
    return bool(CREDENTIAL_KEY.search(str(key))) and value not in (None, "") and not isinstance(value, dict)


def is_secret_variable(name: str) -> bool:
    """Whether the environment variable ``name`` is named like a secret (:data:`SECRET_VARIABLE`), and is not
    one of the ordinary names alike (:data:`ORDINARY_VARIABLE`, words such as ``KEYBOARD``)."""
    if ORDINARY_VARIABLE.fullmatch(name):
        return False
    return bool(SECRET_VARIABLE.search(_INNOCENT_WORD.sub("_", name)))


def secret_environment(environ: Mapping[str, str] | None = None) -> dict[str, str]:
    """Secrets held by the environment: ``{value: name}`` for variables named like one (:func:`is_secret_variable`)
    whose value has at least :data:`MIN_SECRET_LENGTH` characters."""
    environ = os.environ if environ is None else environ
    found = {v: k for k, v in environ.items() if is_secret_variable(k) and len(v.strip()) >= MIN_SECRET_LENGTH}
    return dict(sorted(found.items(), key=lambda item: -len(item[0])))  # longest first: no partial replacement


def scrub(value: Any, secrets: Mapping[str, str]) -> Any:
    """``value`` (JSON-like, or text) with each secret value replaced by its ``${NAME}`` reference."""
    if not secrets:
        return value
    if isinstance(value, str):
        for secret, name in secrets.items():
            value = value.replace(secret, f"${{{name}}}")
        return value
    if isinstance(value, dict):
        return {scrub(k, secrets): scrub(v, secrets) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [scrub(v, secrets) for v in value]
    return value
