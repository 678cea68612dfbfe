"""The files a source reads, and whether each one starts as its kind expects.

Light on purpose (no datatrove): ``babelforge validate`` lists and sniffs every source file through
here, and the readers list and sniff through the same functions, so both agree.

The sniff reads the first :data:`HEAD_BYTES` of a file (decompressed) and checks that they decode
in the source's encoding, hold no NUL byte, and look like the format (a JSON object line for jsonl,
``{`` for squad, tab-separated columns for tsv, token and tag columns for conll, the ``PAR1`` magic
at both ends for parquet). It cannot see damage further in; the readers count or report that.
"""

from __future__ import annotations

import codecs
import glob
import lzma
import os
import stat
import zlib
from collections.abc import Callable, Iterator
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from babelforge.sources import SourceBase

HEAD_BYTES = 1 << 14
#: What a compressed stream raises when it is damaged or ends early (zstd's error is added when present).
CODEC_ERRORS: tuple[type[BaseException], ...] = (EOFError, OSError, zlib.error, lzma.LZMAError)
try:  # pragma: no cover - depends on the optional zstandard package
    from zstandard import ZstdError

    CODEC_ERRORS += (ZstdError,)
except ImportError:  # pragma: no cover
    pass


def with_compression(*endings: str) -> tuple[str, ...]:
    """``endings`` plus their ``.gz``, ``.bz2``, ``.xz`` and ``.zst`` forms."""
    return tuple(e + c for e in endings for c in ("", ".gz", ".bz2", ".xz", ".zst"))


#: When a source's path is a folder, the file endings read from it, per source kind.
EXTENSIONS = {
    "conll": with_compression(".conll", ".conll02", ".conll03", ".conllu", ".bio", ".iob", ".iob2", ".tsv", ".txt"),
    "jsonl": with_compression(".jsonl", ".json", ".ndjson"),
    "parquet": (".parquet",),
    "text": with_compression(".txt", ".text", ".md"),
    "tsv": with_compression(".tsv", ".txt"),
    "squad": with_compression(".json"),
}


def ascii_compatible(encoding: str) -> bool:
    """Whether ``encoding`` writes newlines and ASCII as single ASCII bytes (so files can be cut at newlines).

    True for UTF-8 (with or without a signature), the Latin and Windows code pages, Shift-JIS, GBK;
    false for UTF-16 and UTF-32.
    """
    name = codecs.lookup(encoding).name
    if name == "utf-8-sig":
        return True
    return "\n\r\t {}".encode(name) == b"\n\r\t {}" and not name.startswith(("utf-16", "utf-32"))


def folder_and_pattern(path: str) -> tuple[str, str | None]:
    """A source path as (folder, glob pattern); a folder has no pattern and is read recursively."""
    if os.path.isdir(path):
        return path, None
    return os.path.dirname(path) or ".", os.path.basename(path)


def path_matches(path: str) -> list[str]:
    """What a source path names: the folder itself, or the matches of its file-name pattern in its folder
    (the folder part is a name, never a pattern: ``tr[1]/de.txt`` is the file ``de.txt`` in ``tr[1]``)."""
    folder, pattern = folder_and_pattern(path)
    if pattern is None:
        return [folder]
    return glob.glob(os.path.join(glob.escape(folder), pattern), recursive=True)


def list_source_files(path: str, extensions: tuple[str, ...]) -> list[str]:
    """The regular files of a source path, sorted, relative to its folder.

    A folder gives every file under it that ends in one of ``extensions`` (hidden ones left out);
    a file or glob pattern gives the files it matches. Only regular files (or links to them) are
    listed: a named pipe would block the reader forever, and a dangling link has nothing to read
    (:func:`irregular_source_files` names what was left out).
    """
    return [name for name, problem in _candidates(path, extensions) if problem is None]


def irregular_source_files(path: str, extensions: tuple[str, ...]) -> list[tuple[str, str]]:
    """``(name, problem)`` for each entry of a source path that :func:`list_source_files` leaves out
    because it is not a regular file (a named pipe, socket or device, or a dangling link)."""
    return [(name, problem) for name, problem in _candidates(path, extensions) if problem is not None]


def _candidates(path: str, extensions: tuple[str, ...]) -> list[tuple[str, str | None]]:
    """Every entry a source path names, sorted, with why it cannot be read (``None``: a regular file)."""
    folder, pattern = folder_and_pattern(path)
    if pattern is None:
        found = sorted(_walk(folder, extensions))
    else:
        matches = [m for m in path_matches(path) if not os.path.isdir(m)]
        found = sorted((os.path.relpath(m, folder), os.path.isfile(m)) for m in matches)
    return [(name, None if regular else not_regular(os.path.join(folder, name))) for name, regular in found]


def _walk(folder: str, extensions: tuple[str, ...]) -> Iterator[tuple[str, bool]]:
    """``(name relative to folder, is a regular file)`` for each entry under ``folder`` ending in one of
    ``extensions``; hidden entries and linked folders are passed over (as :func:`os.walk` does)."""
    pending = [folder]
    while pending:
        try:
            with os.scandir(pending.pop()) as listing:
                entries = list(listing)
        except OSError:
            continue  # an unreadable subfolder is passed over, as os.walk does
        for entry in entries:
            if entry.name.startswith("."):
                continue
            if entry.is_dir():
                if not entry.is_symlink():
                    pending.append(entry.path)
            elif entry.name.lower().endswith(extensions):
                yield os.path.relpath(entry.path, folder), entry.is_file()


def not_regular(path: str) -> str | None:
    """Why the local ``path`` is not a regular file babelforge can read, or ``None`` when it is one."""
    try:
        mode = os.stat(path).st_mode
    except FileNotFoundError:
        if os.path.islink(path):
            return f"is a dangling symbolic link (to {os.readlink(path)}, which does not exist): fix or remove the link"
        return "is gone (deleted since it was listed?)"
    except OSError as error:
        return f"cannot be examined ({error.strerror or error}): check the path and its permissions"
    if stat.S_ISREG(mode):
        return None
    kind = next((name for test, name in _SPECIAL if test(mode)), "a special file")
    return f"is not a regular file but {kind}: babelforge reads only regular files; move it out of the source's folder"


_SPECIAL = (
    (stat.S_ISFIFO, "a named pipe (FIFO)"),
    (stat.S_ISSOCK, "a socket"),
    (stat.S_ISCHR, "a character device"),
    (stat.S_ISBLK, "a block device"),
)


def open_decompressed(path: str):
    """Open a local or remote file as bytes, decompressing by its ending."""
    from fsspec import open as fs_open

    return fs_open(path, "rb", compression="infer").open()


def source_problems(source: SourceBase, sniff_files: bool = True) -> list[str]:
    """One line per problem with the files of ``source``: none there, or (``sniff_files``) one that
    does not start as its kind expects (see :func:`sniff`)."""
    folder, _ = folder_and_pattern(source.path)
    candidates = _candidates(source.path, EXTENSIONS.get(source.kind, ()))
    files = [name for name, problem in candidates if problem is None]
    irregular = [f"{os.path.abspath(os.path.join(folder, n))}: {p}" for n, p in candidates if p is not None]
    if not files:
        endings = ", ".join(e for e in EXTENSIONS.get(source.kind, ()) if "." not in e[1:])
        where = f"no input files at {source.path} for a {source.kind} source"
        return [*irregular, f"{where} (a folder gives its files ending in {endings}, compressed or not)"]
    problems = list(irregular) if sniff_files else []
    for name in files if sniff_files else ():
        path = os.path.abspath(os.path.join(folder, name))
        problem = sniff(source, path, open_decompressed)
        if problem:
            problems.append(f"{path}: {problem}")
    return problems


def sniff(source: SourceBase, path: str, opener: Callable[[str], object]) -> str | None:
    """Why the file at ``path`` does not look like a ``source.kind`` file, or ``None`` when it does.

    Args:
        source: the source settings (kind, encoding, columns).
        path: the file, as ``opener`` takes it.
        opener: opens ``path`` for reading bytes, decompressed.
    """
    try:
        if source.kind == "parquet":
            return _parquet(path, opener)
        with opener(path) as f:
            head = _read_head(f)
    except PermissionError:
        return "cannot be read (permission denied): check the file's permissions"
    except FileNotFoundError:
        return "is gone (deleted since it was listed?)"
    except CODEC_ERRORS as error:
        return f"cannot be read ({type(error).__name__}: {error}): a damaged or truncated file?"
    whole = len(head) < HEAD_BYTES
    text, problem = _decode_head(head, source, whole)
    return problem or _LOOKS[source.kind](text, whole, source)


def _read_head(f) -> bytes:
    head = b""
    while len(head) < HEAD_BYTES and (more := f.read(HEAD_BYTES - len(head))):
        head += more
    return head


def _decode_head(head: bytes, source: SourceBase, whole: bool) -> tuple[str, str | None]:
    encoding = source.encoding
    nul = head.find(b"\x00") if ascii_compatible(encoding) else -1
    try:
        text = codecs.getincrementaldecoder(encoding)().decode(head, final=whole)
    except UnicodeDecodeError as error:
        if 0 <= nul < error.start:
            return "", _binary(f"byte {nul}", source.kind)
        return "", (
            f"byte {error.start} (0x{head[error.start]:02x}) is not {encoding} text: is this a {source.kind} file? "
            "If it is text in another encoding, set the source's 'encoding' (e.g. latin-1)"
        )
    if "\x00" in text:
        return "", _binary(f"byte {nul}" if nul >= 0 else f"character {text.find(chr(0))}", source.kind)
    return text, None


def _binary(where: str, kind: str) -> str:
    return f"{where} is a NUL byte: this is binary data, not a {kind} text file"


def _first_lines(text: str, whole: bool, skip: Callable[[str], bool] = lambda line: False):
    """(number, line) for each complete non-blank line of the head that ``skip`` does not pass over."""
    lines = text.splitlines()
    if not whole and lines and not text.endswith(("\n", "\r")):
        lines.pop()  # cut off by the head's end: not judged
    for number, line in enumerate(lines, 1):
        if line.strip() and not skip(line):
            yield number, line


def _jsonl(text: str, whole: bool, source) -> str | None:
    if text.startswith("\ufeff"):
        return "starts with a byte-order mark: set the source's 'encoding' to utf-8-sig"
    stripped = text.lstrip()
    if stripped and not stripped.startswith("{"):
        line = text[: len(text) - len(stripped)].count("\n") + 1
        shown = stripped.splitlines()[0][:40]
        return f"line {line} does not start a JSON object ({shown!r}): a jsonl source holds one per line"
    return None


def _squad(text: str, whole: bool, source) -> str | None:
    stripped = text.lstrip("\ufeff \t\r\n")
    if stripped and not stripped.startswith("{"):
        shown = stripped.splitlines()[0][:40]
        return f"does not start with '{{' ({shown!r}): a squad source is one JSON object with a 'data' list"
    return None


def _tsv(text: str, whole: bool, source) -> str | None:
    for number, line in _first_lines(text, whole):
        if line.count("\t") < max(source.source_column, source.target_column):
            columns = f"{source.source_column} and {source.target_column}"
            return f"line {number} has too few tabs ({line[:40]!r}): a tsv source holds tab-separated columns {columns}"
        return None
    return None


def _conll(text: str, whole: bool, source) -> str | None:
    from babelforge.builders.readers.conll_layout import detect_columns
    from babelforge.spans import split_tag

    def comment(line: str) -> bool:
        return line.startswith(("#", "-DOCSTART-"))

    token, tag, separator = detect_columns(text.splitlines(), source.delimiter, source.token_column, source.tag_column)
    for number, line in _first_lines(text, whole, comment):
        columns = line.split(separator)
        try:
            split_tag(columns[tag])
            if len(columns) < 2 or not columns[token]:
                raise ValueError(line)
        except (IndexError, ValueError):
            delimiter = "whitespace" if separator is None else repr(separator)
            return (
                f"line {number} ({line[:40]!r}) has no token in column {token} and tag in column "
                f"{tag} separated by {delimiter}: is this a conll file? (set token_column / tag_column)"
            )
        return None
    return None


def _text(text: str, whole: bool, source) -> str | None:
    return None


def _parquet(path: str, opener) -> str | None:
    with opener(path) as f:
        head = f.read(4)
        size = f.seek(0, os.SEEK_END)
        if size == 0:
            return None
        f.seek(max(0, size - 4))
        tail = f.read(4)
    if head != b"PAR1":
        return f"does not start with the Parquet magic bytes b'PAR1' (got {head!r}): is this a parquet file?"
    if tail != b"PAR1" or size < 12:
        return f"does not end with the Parquet footer b'PAR1' (got {tail!r}): a truncated file?"
    return None


_LOOKS = {"conll": _conll, "jsonl": _jsonl, "parquet": None, "squad": _squad, "text": _text, "tsv": _tsv}
