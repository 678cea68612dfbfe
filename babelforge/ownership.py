"""The folders babelforge writes are its own: it never replaces what it did not create.

An output folder (and its work folder) carries a marker file that babelforge writes; a path may be
written when nothing is there, when it is an empty folder, or when it holds babelforge's marker.
Anything else is refused before any work starts, unless the user asks with ``--overwrite``; even then
never the current folder, the home folder, or a folder that holds the manifest or an input (nor any
of their ancestors).
"""

from __future__ import annotations

import json
import os
import time
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

from babelforge import __version__
from babelforge.errors import OutputError

#: The marker in every folder babelforge made: an output, a work folder, a review export.
MARKER = ".babelforge"


@dataclass(frozen=True)
class Claim:
    """What a path holds now: ``absent``, ``empty``, ``ours`` (a babelforge folder of ``role``) or ``foreign``."""

    path: Path
    state: str


def write_marker(folder: Path, role: str, **details) -> None:
    """Mark ``folder`` as babelforge's own (``role``: ``output``, ``work`` or ``export``)."""
    record = {"role": role, "babelforge": __version__, "created": time.strftime("%Y-%m-%dT%H:%M:%S%z"), **details}
    partial = folder / f"{MARKER}.{os.getpid()}.partial"
    partial.write_text(json.dumps(record, indent=1) + "\n", encoding="utf-8")
    os.replace(partial, folder / MARKER)  # whole or absent: a run starting beside this one never reads half of it


def read_marker(folder: Path) -> dict | None:
    """The marker of a babelforge folder, or ``None`` when ``folder`` has none (or an unreadable one)."""
    try:
        record = json.loads((folder / MARKER).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    return record if isinstance(record, dict) and "role" in record else None


def inspect_path(path: Path, role: str) -> Claim:
    """Classify ``path`` for writing a babelforge folder of ``role`` there."""
    if path.is_symlink():
        return Claim(path, "foreign")
    if not path.exists():
        return Claim(path, "absent")
    if not path.is_dir():
        return Claim(path, "foreign")
    marker = read_marker(path)
    if marker is not None and marker.get("role") == role:
        return Claim(path, "ours")
    if marker is None and not any(p for p in path.iterdir() if not p.name.startswith(MARKER)):
        return Claim(path, "empty")  # (a marker being written by a run starting beside this one counts as empty)
    return Claim(path, "foreign")


def claim_folder(path: str | os.PathLike, role: str, *, protected: Iterable[Path] = (), overwrite: bool = False,
                 option: str = "--output", read_folders: Iterable[Path] = ()) -> Claim:  # fmt: skip
    """Check that babelforge may write a folder of ``role`` at ``path``; nothing is written here.

    Args:
        path: the folder to (re)write.
        role: ``output``, ``work`` or ``export``: a folder of one role never stands in for another.
        protected: paths that must survive whatever happens (the manifest, the inputs).
        overwrite: the user asked to replace a folder babelforge did not make.
        option: the command-line option that names ``path``, for the messages.
        read_folders: folders the run reads recursively (a source's folder): nothing may be written inside.

    Raises:
        OutputError: one line naming the path, what is there and the fix.
    """
    if "\0" in str(path) or not str(path).strip():
        raise OutputError(f"{option} {str(path)!r}: not a usable path; give a folder name")
    absolute = Path(os.path.abspath(os.path.expanduser(path)))
    shown = f"{option} {path}" + (f" ({absolute})" if str(path) != str(absolute) else "")
    _refuse_protected(absolute, [Path(os.path.abspath(p)) for p in protected], shown)
    _refuse_inside(absolute, [Path(os.path.abspath(p)) for p in read_folders], shown)
    claim = inspect_path(absolute, role)
    if claim.state != "foreign" or (overwrite and absolute.is_dir() and not absolute.is_symlink()):
        return claim
    raise OutputError(f"{shown}: {_what_is_there(absolute, role)}; {_fix(absolute, option)}")


def _refuse_protected(path: Path, protected: list[Path], shown: str) -> None:
    """Refuse the places that are never replaced, ``--overwrite`` or not."""
    real = Path(os.path.realpath(path))
    cwd, home = Path.cwd().resolve(), Path.home().resolve()
    reasons = [
        (_holds(real, cwd), "the current folder or one that holds it"),
        (_holds(real, home), "the home folder or one that holds it"),
        (real == Path(real.anchor), "the root of the file system"),
    ]
    reasons += [(_holds(real, Path(os.path.realpath(p))), f"it holds {p}") for p in protected]
    for hit, why in reasons:
        if hit:
            raise OutputError(f"{shown}: refusing to write there ({why}); choose a new folder")


def _refuse_inside(path: Path, read_folders: list[Path], shown: str) -> None:
    """Refuse a path inside a folder the run reads, inside another babelforge folder, or under a file."""
    real = Path(os.path.realpath(path))
    for folder in read_folders:
        if _holds(Path(os.path.realpath(folder)), real):
            raise OutputError(f"{shown}: lies inside {folder}, which the run reads; choose a folder outside it")
    for parent in real.parents:
        if parent.exists() and not parent.is_dir():
            raise OutputError(f"{shown}: {parent} is a file, not a folder; choose another path")
        marker = read_marker(parent) if parent.is_dir() else None
        if marker is not None:
            raise OutputError(
                f"{shown}: lies inside {parent}, a babelforge {marker['role']} folder that a later run replaces "
                "whole; choose a folder outside it"
            )


def _holds(folder: Path, inner: Path) -> bool:
    """Whether ``inner`` is ``folder`` or lies inside it."""
    return inner == folder or folder in inner.parents


def _what_is_there(path: Path, role: str) -> str:
    if path.is_symlink():
        return "is a symbolic link, not a folder babelforge made"
    if not path.is_dir():
        return "is a file, not a folder babelforge made"
    marker = read_marker(path)
    if marker is not None:
        return f"holds a babelforge {marker['role']} folder, not an {role} folder"
    entries = sorted(p.name for p in path.iterdir())
    shown = ", ".join(entries[:3]) + (", ..." if len(entries) > 3 else "")
    count = f"{len(entries)} {'entry' if len(entries) == 1 else 'entries'}"
    older = {"provenance.json", "dataset_info.json"} <= set(entries) or "fingerprint.json" in entries
    hint = ", though it looks like one an earlier babelforge made before outputs carried a marker" if older else ""
    return f"is a folder babelforge did not make ({count}: {shown}){hint}"


def _fix(path: Path, option: str) -> str:
    if path.is_symlink() or (path.exists() and not path.is_dir()):
        return f"give {option} a path that does not exist yet"
    return f"give {option} a path that does not exist yet, or add --overwrite to replace it"
