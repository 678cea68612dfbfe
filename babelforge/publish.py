"""Publishing an output folder to the Hugging Face Hub, once it is shown whole and free of secrets."""

from __future__ import annotations

import json
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import NamedTuple

from babelforge.errors import BabelforgeError, OutputError, brief

#: Files of an output folder that stay on this machine (babelforge's ownership marker).
LOCAL_ONLY = (".babelforge",)
_CHUNK = 1 << 20


def publishable_files(folder) -> list[Path]:
    """The files of ``folder`` (an :class:`~babelforge.outputs.OutputFolder`) that go to the Hub, relative to it."""
    return [f for f in folder.files() if f.name not in LOCAL_ONLY]


def check_publishable(folder, environ: Mapping[str, str] | None = None) -> None:
    """Refuse a folder that is not a complete babelforge output, or that holds a secret of the environment.

    Raises:
        OutputError: naming what is incomplete, or the file (and Parquet column) and the environment variable
            whose value it holds (never the value).
    """
    check_complete(folder)
    found = find_secret(folder, environ)
    if found is not None:
        raise OutputError(
            f"{found.where} holds the value of the environment variable {found.variable}, which "
            f"looks like a secret: nothing was published. {found.advice}"
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


class SecretFound(NamedTuple):
    """Where an output folder holds a secret's value: a file (relative to the folder) or its name, a Parquet
    column when the value is in the rows, and the environment variable whose value it is."""

    path: str
    variable: str
    column: str | None = None
    in_name: bool = False

    @property
    def where(self) -> str:
        if self.in_name:
            return f"the file name {self.path}"
        return f"{self.path}, column {self.column!r}," if self.column else self.path

    @property
    def advice(self) -> str:
        if self.in_name or self.column:
            return (
                "It came from the inputs or the manifest (a source name, output.config, labels ...): remove it "
                "there and rerun `babelforge run`, which refuses a secret variable outside credential settings"
            )
        return "Remove it from the file, or rerun `babelforge run` (it records ${VAR} references, never their values)"


def find_secret(folder, environ: Mapping[str, str] | None = None) -> SecretFound | None:
    """The first file of ``folder`` that holds the value of a secret environment variable, in its name, its
    bytes or (Parquet) a string column; ``None`` when none does.

    Secrets are the variables :func:`babelforge.provenance.secret_environment` picks (``HF_TOKEN``,
    ``*_API_KEY``, ``PGPASSWORD`` ...: values of 8 characters or more). Every file's bytes are searched (text
    files, and the uncompressed parts of Parquet files such as their footers); each string column of a
    Parquet file is searched too, row group by row group, since its pages are compressed.
    """
    from babelforge.provenance import scrub, secret_environment

    secrets = secret_environment(environ)
    if not secrets:
        return None
    as_bytes = {value.encode(): name for value, name in secrets.items()}
    for relative in folder.files():
        name = next((name for value, name in secrets.items() if value in str(relative)), None)
        if name is not None:
            return SecretFound(scrub(str(relative), secrets), name, in_name=True)
        path = folder.path / relative
        in_rows = _column_holding(path, secrets) if path.suffix == ".parquet" else None
        if in_rows is not None:  # searched first: the column says where it came from
            return SecretFound(str(relative), in_rows[1], column=in_rows[0])
        name = _holds(path, as_bytes)
        if name is not None:
            return SecretFound(str(relative), name)
    return None


def _holds(path: Path, secrets: dict[bytes, str]) -> str | None:
    overlap = max(map(len, secrets)) - 1
    with open(path, "rb") as f:
        tail = b""
        while block := f.read(_CHUNK):
            window = tail + block
            found = next((name for secret, name in secrets.items() if secret in window), None)
            if found is not None:
                return found
            tail = window[-overlap:] if overlap else b""
    return None


def _column_holding(path: Path, secrets: dict[str, str]) -> tuple[str, str] | None:
    """The first string column of a Parquet file with a value holding a secret, and the secret's variable."""
    import pyarrow.compute as pc
    import pyarrow.parquet as pq

    try:
        data = pq.ParquetFile(path)
    except (OSError, ValueError):
        return None  # not Parquet after all: its bytes are searched as any file's
    schema = data.schema_arrow
    for column in schema.names:
        if "string" not in str(schema.field(column).type):  # no text anywhere in it (lists, structs included)
            continue
        for group in range(data.num_row_groups):
            for values in _strings(data.read_row_group(group, columns=[column]).column(0)):
                found = next((n for s, n in secrets.items() if pc.any(pc.match_substring(values, s)).as_py()), None)
                if found is not None:
                    return column, found
    return None


def _strings(values) -> Iterator:
    """The string arrays inside ``values`` (an Arrow array or chunked array): itself, or its lists' items,
    its structs' fields, its maps' keys and items, its dictionaries' values."""
    import pyarrow as pa

    if isinstance(values, pa.ChunkedArray):
        for chunk in values.chunks:
            yield from _strings(chunk)
        return
    kind = values.type
    if pa.types.is_string(kind) or pa.types.is_large_string(kind):
        yield values
    elif pa.types.is_string_view(kind):
        yield values.cast(pa.string())
    elif pa.types.is_dictionary(kind):
        yield from _strings(values.dictionary)
    elif pa.types.is_map(kind):
        yield from _strings(values.keys)
        yield from _strings(values.items)
    elif pa.types.is_list(kind) or pa.types.is_large_list(kind) or pa.types.is_fixed_size_list(kind):
        yield from _strings(values.flatten())
    elif pa.types.is_struct(kind):
        for field in values.flatten():  # the fields of this slice only
            yield from _strings(field)


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
