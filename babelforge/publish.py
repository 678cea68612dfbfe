"""Publishing an output folder to the Hugging Face Hub, once it is shown whole and free of secrets."""

from __future__ import annotations

import json
from collections.abc import Mapping
from pathlib import Path

from babelforge.errors import BabelforgeError, OutputError, brief

#: Files of an output folder that stay on this machine (babelforge's ownership marker).
LOCAL_ONLY = (".babelforge",)
#: How much of a file decides whether it is text (no NUL byte in it) and is scanned for secrets.
_SNIFF = 8192
_CHUNK = 1 << 20


def publishable_files(folder) -> list[Path]:
    """The files of ``folder`` (an :class:`~babelforge.outputs.OutputFolder`) that go to the Hub, relative to it."""
    return [f for f in folder.files() if f.name not in LOCAL_ONLY]


def check_publishable(folder, environ: Mapping[str, str] | None = None) -> None:
    """Refuse a folder that is not a complete babelforge output, or that holds a secret of the environment.

    Raises:
        OutputError: naming what is incomplete, or the file and the environment variable whose value it
            holds (never the value).
    """
    check_complete(folder)
    found = find_secret(folder, environ)
    if found is not None:
        path, name = found
        raise OutputError(
            f"{path} holds the value of the environment variable {name}, which looks like a secret: nothing "
            "was published. Remove it from the file, or rerun `babelforge run` (it records ${VAR} references, "
            "never their values)"
        )


def check_complete(folder) -> None:
    """Each split that ``dataset_info.json`` lists has its Parquet files with as many rows, and the card and
    provenance are babelforge's.

    Raises:
        OutputError: naming the file or split that is wrong, and what to do.
    """
    incomplete = f"{folder.path} is not a complete babelforge output"
    provenance = _json(folder.path / "provenance.json", incomplete)
    if not isinstance(provenance, dict) or not {"manifest", "rows"} <= provenance.keys():
        raise OutputError(f"{incomplete}: provenance.json is not babelforge's (no 'manifest' or 'rows'): rerun it")
    if not (folder.path / "README.md").read_text(encoding="utf-8", errors="replace").startswith("---"):
        raise OutputError(f"{incomplete}: README.md has no YAML header (the dataset card): rerun it")
    splits = _json(folder.path / "dataset_info.json", incomplete).get("splits") or []
    if not splits:
        raise OutputError(f"{incomplete}: dataset_info.json lists no split: rerun it")
    files = folder.split_files()
    for split in splits:
        name, expected = split.get("name"), split.get("num_examples")
        found = _parquet_rows(files.get(name, []))
        if found != expected:
            raise OutputError(
                f"{incomplete}: split {name!r} has {found} row(s) in data/ but dataset_info.json says {expected}: "
                "rerun `babelforge run` to rewrite it"
            )


def _json(path: Path, incomplete: str):
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as error:
        raise OutputError(f"{incomplete}: {path.name} cannot be read ({brief(str(error), 120)}): rerun it") from None


def _parquet_rows(paths: list[Path]) -> int:
    import pyarrow.parquet as pq

    try:
        return sum(pq.ParquetFile(p).metadata.num_rows for p in paths)
    except (OSError, ValueError) as error:
        raise OutputError(f"a data file cannot be read as Parquet ({brief(str(error), 120)}): rerun it") from None


def find_secret(folder, environ: Mapping[str, str] | None = None) -> tuple[Path, str] | None:
    """The first text file of ``folder`` holding the value of a secret environment variable, and that variable.

    Secrets are the variables :func:`babelforge.provenance.secret_environment` picks (``HF_TOKEN``,
    ``*_API_KEY``, ``*_PASSWORD`` ...: values of 8 characters or more). Text files are those with no NUL
    byte in their first 8 KiB (the card, provenance, dataset info, rejects); Parquet data is not read.
    """
    from babelforge.provenance import secret_environment

    secrets = {value.encode(): name for value, name in secret_environment(environ).items()}
    if not secrets:
        return None
    for relative in folder.files():
        name = _holds(folder.path / relative, secrets)
        if name is not None:
            return relative, name
    return None


def _holds(path: Path, secrets: dict[bytes, str]) -> str | None:
    overlap = max(map(len, secrets)) - 1
    with open(path, "rb") as f:
        if b"\0" in f.read(_SNIFF):
            return None  # binary (Parquet): not text
        f.seek(0)
        tail = b""
        while block := f.read(_CHUNK):
            window = tail + block
            found = next((name for secret, name in secrets.items() if secret in window), None)
            if found is not None:
                return found
            tail = window[-overlap:] if overlap else b""
    return None


def publish_output(folder, repo: str, private: bool = False, message: str | None = None) -> str:
    """Create (or reuse) the dataset repository ``repo`` and upload ``folder`` in a single commit.

    The folder is checked first (:func:`check_publishable`). The token comes from ``HF_TOKEN`` or
    ``hf auth login``; the endpoint from ``HF_ENDPOINT``.

    Returns:
        The commit's URL.

    Raises:
        OutputError: when the folder is incomplete or holds a secret (nothing is sent).
        BabelforgeError: when the Hub refuses (no token, no rights, bad id) or cannot be reached.
    """
    check_publishable(folder)
    from huggingface_hub import HfApi
    from huggingface_hub.errors import HfHubHTTPError

    api = HfApi()
    name = folder.provenance.get("manifest", {}).get("name", folder.path.name)
    try:
        api.create_repo(repo, repo_type="dataset", private=private, exist_ok=True)
        commit = api.upload_folder(
            folder_path=str(folder.path),
            repo_id=repo,
            repo_type="dataset",
            commit_message=message or f"babelforge: publish {name}",
            ignore_patterns=list(LOCAL_ONLY),
        )
    except HfHubHTTPError as error:
        raise BabelforgeError(
            f"the Hub refused publishing to {repo!r}{_hub_reason(error)}. "
            "Check the id and your token (HF_TOKEN or `hf auth login`)"
        ) from None
    except (OSError, ValueError) as error:
        raise BabelforgeError(f"could not publish to {repo!r}: {brief(str(error)).rstrip('.')}") from None
    return getattr(commit, "commit_url", str(commit))


def _hub_reason(error) -> str:
    """`` (HTTP 403): the server's own words`` in one line, whole up to 300 characters, else cut between words."""
    status = getattr(getattr(error, "response", None), "status_code", None)
    words = brief(getattr(error, "server_message", None) or str(error)).rstrip(".")
    return (f" (HTTP {status})" if status else "") + (f": {words}" if words else "")
