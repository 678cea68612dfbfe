"""Manifest ``sources``: where records come from, one settings model per reader kind.

Each model validates its own settings (paths exist, languages resolve, files look like their kind)
and builds its reader, a datatrove step from :mod:`babelforge.builders.readers`. Paths are relative
to the manifest's folder.
"""

from __future__ import annotations

import codecs
import glob
import re
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationInfo, field_validator, model_validator

from babelforge.langs import LanguageCode

if TYPE_CHECKING:
    from datatrove.pipeline.base import PipelineStep


#: A split name (a source's ``split``, a row's split field, ``output.splits`` keys): it names a folder,
#: and these are the names ``datasets`` accepts.
SPLIT_NAME = re.compile(r"[A-Za-z0-9_]+(\.[A-Za-z0-9_]+)*")


#: A character escaped for glob (``glob.escape``): ``[[]``, ``[*]``, ``[?]``.
_GLOB_ESCAPE = re.compile(r"\[([\[*?])\]")


def existing_path(value: str, info: ValidationInfo) -> str:
    """``value`` resolved against the manifest's folder; an error when nothing is there.

    A folder is read whole; otherwise the file name is a glob pattern in a literal folder, as the readers
    take it (:func:`~babelforge.builders.readers.files.folder_and_pattern`). A file whose own name holds
    pattern characters is refused with the escaped pattern that reads it, not read as another file.
    """
    if (info.context or {}).get("recorded"):  # a manifest read back from provenance: paths as they were
        return value
    base = Path((info.context or {}).get("base_dir", "."))
    resolved = Path(value) if Path(value).is_absolute() else base / value
    if resolved.is_dir():
        return str(resolved.resolve())
    from babelforge.builders.readers.files import path_matches

    matches = path_matches(str(resolved))  # as the readers will list it
    if resolved.exists() and glob.has_magic(resolved.name) and str(resolved) not in matches:
        escaped = str(Path(value).parent / glob.escape(Path(value).name))
        reads = f" (as a pattern it reads {len(matches)} other file(s))" if matches else ""
        raise ValueError(
            f"{value!r} is a file, but a source's file name is a glob pattern, where [ ] * ? are pattern "
            f"characters{reads}: write it as {escaped!r}"
        )
    if not matches and glob.has_magic(str(resolved.parent)) and not resolved.parent.exists():
        raise ValueError(
            f"no folder {str(Path(value).parent)!r}: only a source's file name is a pattern, not its folders; give "
            "the folder to read it whole, subfolders included, or one folder and a file-name pattern (data/*.jsonl)"
        )
    if not matches:
        raise ValueError(f"no file or folder at {value!r} (looked for {resolved}; paths are relative to the manifest)")
    if not resolved.exists():
        return str(resolved)
    real = resolved.resolve()  # a link to x[1].jsonl: the readers see the target's name, as a pattern
    return str(real.parent / glob.escape(real.name)) if real.is_file() else str(real)


class FieldMap(BaseModel):
    """Which input field holds what. Unset fields are not read.

    ``tokens`` plus ``tags`` (BIO, IOB1 or BIOES) make a span record from token-level data;
    ``spans`` reads character spans as ``{start, end, label}`` objects or ``[start, end, label]`` lists.
    ``chosen`` plus ``rejected`` (and ``prompt``) make a preference record, as TRL's preference
    formats hold it: see :mod:`babelforge.builders.readers.preference`.

    ``keep`` carries other columns along in the record's metadata, under their own names, for later
    steps to read (``translate: {fields: [premise, hypothesis]}``): a list of column names (a row
    without one of them is malformed), or ``all`` (every column the map does not read, where a row
    has it and can carry it; the columns it leaves out are counted and noted, with why:
    :mod:`babelforge.builders.readers.kept`).
    """

    model_config = ConfigDict(extra="forbid", frozen=True)
    text: str | None = "text"
    id: str | None = "id"
    language: str | None = None
    spans: str | None = None
    tokens: str | None = None
    tags: str | None = None
    messages: str | None = None
    prompt: str | None = None
    chosen: str | None = None
    rejected: str | None = None
    split: str | None = None
    keep: list[str] | Literal["all"] = Field(
        default_factory=list, description="columns carried along for later steps (e.g. [premise, hypothesis]), or all"
    )

    @field_validator("keep")
    @classmethod
    def _keepable(cls, value: list[str] | str) -> list[str] | str:
        from babelforge.builders.readers.kept import check_kept

        return value if value == "all" else check_kept(value)

    @model_validator(mode="after")
    def _not_mapped_twice(self) -> FieldMap:
        mapped = {v for k, v in self if k != "keep" and isinstance(v, str)}
        twice = [name for name in self.keep if name in mapped] if self.keep != "all" else []
        if twice:
            raise ValueError(f"keep names {', '.join(map(repr, twice))}, which the map already reads: leave it out")
        return self


def known_encoding(value: str) -> str:
    """``value`` if Python knows it as a text encoding, else an error with examples."""
    try:
        codecs.lookup(value)
    except LookupError:
        raise ValueError(
            f"unknown encoding {value!r}: use a Python codec name, e.g. utf-8, utf-8-sig, latin-1, cp1252, utf-16"
        ) from None
    return value


class SourceBase(BaseModel):
    """Settings every source shares.

    ``on_error`` decides what bad input does. ``fail`` (the default): the first malformed line,
    undecodable byte or unreadable file stops the run with one line naming the file, line and what
    was expected. ``skip``: each is counted under a reason (``malformed_input``, ``undecodable``,
    ``unreadable_file``; the rejects keep the details) and the run goes on.

    Validation (``babelforge validate``, and ``babelforge run`` before any work) lists each source's
    files and sniffs their first bytes: they must decode in ``encoding`` and look like the kind (a
    JSON object line for jsonl, ``PAR1`` for parquet, ``{`` for squad, tab-separated columns for tsv,
    token and tag columns for conll). A file that fails is a manifest problem under ``on_error: fail``;
    under ``skip`` it is only a warning from ``validate`` and the run counts it as one
    ``unreadable_file`` drop naming the file, so that one bad file among many does not stop a run.

    A large file is read by several tasks at once, each from a byte range cut at record boundaries
    (lines; blank lines for conll; row groups for parquet); compressed files are read whole.
    """

    model_config = ConfigDict(extra="forbid", frozen=True)
    name: str | None = Field(None, description="name recorded in each record's lineage; default: the file stem")
    path: str
    language: LanguageCode | None = None
    split: str = Field("train", description="the split its records go to: a plain name (letters, digits, _ and .)")
    on_error: Literal["fail", "skip"] = "fail"
    encoding: str = Field("utf-8", description="text encoding of the files (not used by parquet and hf sources)")
    limit: int = Field(-1, description="read at most this many records per task (-1: all)")
    attribution: str | None = Field(None, description="credit for the data, copied into the dataset card")

    @field_validator("path")
    @classmethod
    def _existing_path(cls, value: str, info: ValidationInfo) -> str:
        return existing_path(value, info)

    @field_validator("split")
    @classmethod
    def _plain_split(cls, value: str) -> str:
        if not SPLIT_NAME.fullmatch(value):
            raise ValueError(f"a plain name (letters, digits, _ and .; it names a folder), got {value!r}")
        return value

    @field_validator("encoding")
    @classmethod
    def _known_encoding(cls, value: str) -> str:
        return known_encoding(value)

    @model_validator(mode="after")
    def _files_look_right(self, info: ValidationInfo) -> SourceBase:
        """No files is always a problem; under ``on_error: fail``, so is a file that does not look like its kind."""
        if (info.context or {}).get("recorded"):
            return self
        problems = self.file_problems(sniff=self.on_error == "fail")
        if problems:
            more = f" (and {len(problems) - 1} more file(s) like it)" if len(problems) > 1 else ""
            raise ValueError(problems[0] + more)
        return self

    def file_problems(self, sniff: bool = True) -> list[str]:
        """One line per file that is missing, unreadable or (``sniff``) does not look like this kind."""
        from babelforge.builders.readers.files import source_problems

        return source_problems(self, sniff)

    @property
    def display_name(self) -> str:
        return self.name or _GLOB_ESCAPE.sub(r"\1", Path(self.path).name).split(".")[0]  # x[[]1].jsonl: x[1]

    def record_kinds(self) -> set[str]:
        """The output record kinds this source can feed."""
        return {"text"}

    def reader(self, index: int) -> PipelineStep:
        raise NotImplementedError


class Translation(BaseModel):
    """A parallel side: the same sentences in another language, file for file and sentence for sentence.

    An undecodable byte in a translation file always stops the run (skipping a line would pair every
    later sentence with the wrong translation).
    """

    model_config = ConfigDict(extra="forbid", frozen=True)
    path: str
    language: LanguageCode
    format: Literal["conll", "text"] = Field("conll", description="CoNLL (tags ignored) or one sentence per line")
    encoding: str = Field("utf-8", description="text encoding of the translation files")

    @field_validator("path")
    @classmethod
    def _existing_path(cls, value: str, info: ValidationInfo) -> str:
        return existing_path(value, info)

    @field_validator("encoding")
    @classmethod
    def _known_encoding(cls, value: str) -> str:
        return known_encoding(value)


class ConllSource(SourceBase):
    """CoNLL-style token-per-line files: blank lines between sentences, ``-DOCSTART-`` and ``#`` comments skipped.

    With ``translation``, each sentence also gets its translation (``target_text``) from parallel files,
    ready for a ``project`` step (annotation projection over a parallel corpus). Such a source reads
    each file whole in one task (pairs are found by order); without one, large files are split.
    """

    kind: Literal["conll"]
    token_column: int | None = Field(
        None, description="default: 1 where column 0 numbers the tokens (UniversalNER .iob2, CoNLL-U), else 0"
    )
    tag_column: int | None = Field(None, description="default: the last column whose values are all tags")
    delimiter: str | None = Field(None, description="column separator; default: any whitespace")
    translation: Translation | None = None

    def record_kinds(self) -> set[str]:
        return {"ner", "spans", "text"}

    def reader(self, index: int) -> PipelineStep:
        from babelforge.builders.readers import ConllReader

        return ConllReader(self, index)


class _MappedSource(SourceBase):
    fields: FieldMap = FieldMap()

    def record_kinds(self) -> set[str]:
        kinds = {"text"}
        if self.fields.spans or (self.fields.tokens and self.fields.tags):
            kinds |= {"ner", "spans"}
        if self.fields.messages:
            kinds.add("chat")
        if self.fields.chosen and self.fields.rejected:
            kinds.add("preference")
        return kinds


class JsonlSource(_MappedSource):
    """JSON Lines files, one record per line, fields chosen by ``fields``."""

    kind: Literal["jsonl"]

    def reader(self, index: int) -> PipelineStep:
        from babelforge.builders.readers import JsonlRecordReader

        return JsonlRecordReader(self, index)


class ParquetSource(_MappedSource):
    """Parquet files, fields chosen by ``fields``."""

    kind: Literal["parquet"]

    def reader(self, index: int) -> PipelineStep:
        from babelforge.builders.readers import ParquetRecordReader

        return ParquetRecordReader(self, index)


class TextSource(SourceBase):
    """Plain text: a record per non-empty line, or per file."""

    kind: Literal["text"]
    per: Literal["line", "file"] = "line"

    def reader(self, index: int) -> PipelineStep:
        from babelforge.builders.readers import PlainTextReader

        return PlainTextReader(self, index)


class TsvSource(SourceBase):
    """Tab-separated bitext: source text and its translation on each line."""

    kind: Literal["tsv"]
    target_language: LanguageCode
    source_column: int = 0
    target_column: int = 1

    def record_kinds(self) -> set[str]:
        return {"bitext", "text"}

    def reader(self, index: int) -> PipelineStep:
        from babelforge.builders.readers import TsvBitextReader

        return TsvBitextReader(self, index)


class SquadSource(SourceBase):
    """SQuAD-format JSON (v1.1, v2.0): a record per question, the context its text, answers its spans."""

    kind: Literal["squad"]

    def record_kinds(self) -> set[str]:
        return {"qa", "spans", "text"}

    def reader(self, index: int) -> PipelineStep:
        from babelforge.builders.readers import SquadReader

        return SquadReader(self, index)


class HubSource(_MappedSource):
    """A Hugging Face dataset by Hub id (or a local dataset folder), config and split.

    Its files are not sniffed (``datasets`` reads them); rows that do not fit ``fields`` follow ``on_error``.
    """

    kind: Literal["hf"]
    path: str = Field(description="Hub dataset id, or a local folder that datasets.load_dataset reads")
    config: str | None = None
    dataset_split: str = "train"
    revision: str | None = None

    @field_validator("path")
    @classmethod
    def _existing_path(cls, value: str, info: ValidationInfo) -> str:
        if (info.context or {}).get("recorded"):  # read back from provenance: as it was
            return value
        base = Path((info.context or {}).get("base_dir", "."))
        local = Path(value) if Path(value).is_absolute() else base / value
        if not local.exists():
            return value  # a Hub id
        # datasets.load_dataset reads [ ] * ? in a local path as a pattern: give it a path without them
        for candidate in (local.resolve(), local.absolute()):
            if not glob.has_magic(str(candidate)):
                return str(candidate)
        raise ValueError(
            f"{value!r} is a local folder, but its path ({local.absolute()}) holds [ ] * or ?, which "
            "datasets.load_dataset reads as a pattern: give the folder under a path without them (a link will do)"
        )

    def file_problems(self, sniff: bool = True) -> list[str]:
        return []

    def reader(self, index: int) -> PipelineStep:
        from babelforge.builders.readers import HubReader

        return HubReader(self, index)


SOURCE_MODELS: dict[str, type[SourceBase]] = {
    "conll": ConllSource,
    "jsonl": JsonlSource,
    "parquet": ParquetSource,
    "text": TextSource,
    "tsv": TsvSource,
    "hf": HubSource,
    "squad": SquadSource,
}
Source = Annotated[
    ConllSource | JsonlSource | ParquetSource | TextSource | TsvSource | HubSource | SquadSource,
    Field(discriminator="kind"),
]


def file_warnings(sources: list[SourceBase]) -> list[tuple[str, str]]:
    """``(where, message)`` for each file of a source with ``on_error: skip`` that does not look like its kind.

    Such files are not manifest problems (the run counts each as one ``unreadable_file`` drop), but
    ``babelforge validate`` shows them.
    """
    found = []
    for index, source in enumerate(sources):
        if source.on_error == "skip":
            for problem in source.file_problems():
                found.append(
                    (f"sources[{index}]", f"{problem} (on_error: skip, so the run counts it as unreadable_file)")
                )
    return found
