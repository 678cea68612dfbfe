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

No path of the machine that ran it either: ``inputs`` (the SHA-256 of every file the run read, taken
from the run's own input snapshot, :mod:`babelforge.inputs`), the recorded settings, the models'
files and the command line give paths relative to the manifest's folder (:func:`manifest_folder`),
and the program by its name alone. (A review export's ``review`` account still names the review
database and the reviewed output as they are.)
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


def recorded_inputs(plan) -> dict[str, str]:
    """SHA-256 of every local file a run read (sources, translations, files that step settings name),
    by absolute path: the hashes its input snapshot took before it ran (``fingerprint.json`` in its work
    folder, see :mod:`babelforge.inputs`), and the files that snapshot left unhashed (large ones) hashed
    now. A plan whose run took no snapshot (a review export) has its inputs snapshotted here."""
    from babelforge.inputs import file_sha256, snapshot

    stamp = Path(getattr(plan, "work_dir", None) or ".nowhere") / "fingerprint.json"
    try:
        found = json.loads(stamp.read_text())["inputs"]
    except (OSError, ValueError, KeyError, TypeError):
        found = snapshot(plan.manifest)
    return {path: entry.get("sha256") or file_sha256(Path(path)) for path, entry in sorted(found.items())}


def input_hashes(manifest, recorded: Mapping[str, str] | None = None) -> dict[str, str]:
    """SHA-256 of every input file by its path relative to the manifest's folder; a Hub dataset by its revision.

    Args:
        recorded: hashes by absolute path, as :func:`recorded_inputs` gives them; default: hashed now.
    """
    from babelforge.inputs import file_sha256, input_files

    if recorded is None:
        recorded = {str(path): file_sha256(path) for path in input_files(manifest) if path.is_file()}
    folder = manifest_folder(manifest)
    hashes = {relative_path(path, folder): digest for path, digest in recorded.items()}
    for source in manifest.sources:
        if source.kind == "hf" and not Path(source.path).exists():
            hashes[source.path] = f"hub revision {getattr(source, 'revision', None) or 'main'}"
    return hashes


def build_provenance(
    manifest,
    summary: dict[str, Any],
    timings: dict[str, float],
    models: list[dict],
    inputs: Mapping[str, str] | None = None,
) -> dict[str, Any]:
    """The ``provenance.json`` of a finished run (see the module docstring for what it never holds).

    Args:
        models: what :func:`babelforge.model_records.models_used` found.
        inputs: hashes of the files the run read, by absolute path (:func:`recorded_inputs`); default:
            the manifest's input files hashed now.
    """
    folder = manifest_folder(manifest)
    provenance = {
        "created": datetime.now(timezone.utc).isoformat(timespec="seconds"),
        "command": command_line(sys.argv, folder),
        "manifest": recorded_settings(manifest),
        "manifest_as_written": manifest_as_written(manifest),
        "from_environment": from_environment(manifest),
        "inputs": input_hashes(manifest, inputs),
        "packages": package_versions(),
        "models": models,
        "executor": manifest.executor.use,
        "rows": summary["rows"],
        "languages": summary.get("languages") or _row_languages(summary["rows"]),
        "labels": summary.get("labels", []),
        "recipe": summary.get("recipe", []),
        "steps": summary["steps"],
        "drops": summary["drops"],
        "timings_s": {k: round(v, 3) for k, v in timings.items()},
    }
    provenance = relative_paths(provenance, folder)
    if "review" in summary:  # the review's own account names the database and output it reviewed, as they are
        provenance["review"] = summary["review"]
    return scrub(provenance, secret_environment())


def _row_languages(rows: dict[str, dict[str, int]]) -> dict[str, int]:
    totals: dict[str, int] = {}
    for by_language in rows.values():
        for language, n in by_language.items():
            totals[language] = totals.get(language, 0) + n
    return dict(sorted(totals.items()))


def manifest_folder(manifest) -> Path:
    """The folder the manifest's relative paths were read against (the manifest file's folder), absolute.

    A validated path setting (a source's path, a lexicon, a tokenizer) is that folder joined with the
    path as written (resolved where it exists), so the folder is what precedes the written path; a
    manifest with no path written relative (or one read back from provenance) gives the working directory.
    """
    validated = manifest.model_dump(mode="json")
    for key in ("sources", "steps"):
        for written, value in _leaves(manifest.as_written.get(key), validated.get(key)):
            folder = _folder_before(written, value)
            if folder is not None:
                return folder
    return Path.cwd()


def _leaves(written: Any, validated: Any):
    """``(as written, as validated)`` for each string the two mappings hold at the same place."""
    if isinstance(written, str) and isinstance(validated, str):
        yield written, validated
    elif isinstance(written, dict) and isinstance(validated, dict):
        for key in written.keys() & validated.keys():
            yield from _leaves(written[key], validated[key])
    elif isinstance(written, list) and isinstance(validated, list):
        for pair in zip(written, validated, strict=False):
            yield from _leaves(*pair)


def _folder_before(written: str, validated: str) -> Path | None:
    """The folder a relative path ``written`` was joined to, when ``validated`` is that join."""
    if "$" in written or os.path.isabs(written) or written == validated or "\n" in written:
        return None
    tail, parts = Path(os.path.normpath(written)).parts, Path(validated).parts
    if not tail or ".." in tail or len(parts) <= len(tail) or parts[len(parts) - len(tail) :] != tail:
        return None
    return Path(os.path.abspath(Path(*parts[: len(parts) - len(tail)])))


def relative_path(path: str | os.PathLike, folder: Path) -> str:
    """``path`` relative to ``folder``, with ``/`` separators (``../`` where it lies outside)."""
    return Path(os.path.relpath(os.path.abspath(path), folder)).as_posix()


def relative_paths(value: Any, folder: Path) -> Any:
    """``value`` (JSON-like) with every string that is an absolute path of this machine (its top folder
    exists here) made relative to ``folder``: the places a run read leave no trace of where it ran."""
    if isinstance(value, str):
        return relative_path(value, folder) if _machine_path(value) else value
    if isinstance(value, dict):
        return {relative_paths(k, folder): relative_paths(v, folder) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [relative_paths(v, folder) for v in value]
    return value


def _machine_path(text: str) -> bool:
    if not os.path.isabs(text) or any(c.isspace() for c in text) or len(Path(text).parts) < 2:
        return False
    return os.path.isdir(os.path.join(*Path(text).parts[:2]))


def command_line(argv: list[str], folder: Path) -> str:
    """The command as typed, the program by its name and absolute paths relative to ``folder``."""
    if not argv:
        return ""
    program = Path(argv[0]).name
    program = "babelforge" if program in ("__main__.py", "-m", "-c") else program
    return " ".join([program, *(relative_paths(arg, folder) for arg in argv[1:])])


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
    """The validated settings that decide the rows, with environment values recorded as their references
    and source paths relative to the manifest's folder, as they were written."""
    data = manifest.model_dump(mode="json")
    data["executor"] = {"use": manifest.executor.use}
    folder = manifest_folder(manifest)
    for source in data.get("sources") or []:
        for place in (source, source.get("translation")):
            if isinstance(place, dict) and isinstance(place.get("path"), str) and _local(place["path"], source):
                place["path"] = relative_path(place["path"], folder)
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


def _local(path: str, source: dict) -> bool:
    """Whether a source's path names local files (a Hub dataset id does not)."""
    return source.get("kind") != "hf" or os.path.exists(path)


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


#: The password of a URL written with one (``http://user:PASSWORD@host``), wherever a text holds it.
_URL_PASSWORD = re.compile(r"(?<=://)([^/@\s:]*):[^/@\s]+@")


def scrub(value: Any, secrets: Mapping[str, str]) -> Any:
    """``value`` (JSON-like, or text) with each secret value replaced by its ``${NAME}`` reference, and the
    password of any URL written with one (an endpoint ``openai:MODEL@http://user:PASSWORD@host/v1``)
    replaced by ``<redacted>``."""
    if isinstance(value, str):
        for secret, name in secrets.items():
            value = value.replace(secret, f"${{{name}}}")
        return _URL_PASSWORD.sub(r"\1:<redacted>@", value) if "://" in value else value
    if isinstance(value, dict):
        return {scrub(k, secrets): scrub(v, secrets) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [scrub(v, secrets) for v in value]
    return value
