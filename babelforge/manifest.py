"""Manifests: YAML recipes, validated into a manifest model, every problem reported at once.

A manifest names sources, languages, an ordered list of steps, the output and the executor::

    name: quickstart
    languages: {source: en, targets: [hau_Latn]}
    sources:
      - {kind: conll, path: data/en.conll, language: en}
    steps:
      - map_labels: {mapping: {MISC: null}}
    output: {path: out/quickstart, kind: ner}
    executor: {local: {tasks: 2}}

Strings may use ``${VAR}`` or ``${VAR:-default}`` to read the environment; ``$${VAR}`` is a literal
``${VAR}``. The loaded manifest keeps the mapping as written (:attr:`ManifestBase.as_written`) and
which strings read the environment (:attr:`ManifestBase.env_references`), so that provenance can
record references instead of values.

A variable named like a secret (``HF_TOKEN``, ``PGPASSWORD``, ``GH_PAT``: see
:func:`babelforge.provenance.is_secret_variable`) may be read only where its value stays out of the
dataset: by a setting named like a credential (``api_key``, ``token``, ``password``, ``authorization``
...) or by an executor setting. Anywhere else (a source's name, the output's path, config or labels, a
description, a step's text) its value could reach the rows, the file names or the card, so the manifest
is refused, naming the setting and the variable. No problem message shows such a variable's value:
it reads ``${NAME}`` instead.

Source paths are relative to the manifest's folder; the output path to the working directory. Unknown
keys, unknown step kinds, unknown languages and missing files are all reported together by
:func:`check_manifest`.
"""

from __future__ import annotations

import copy
import math
import os
import re
import typing
from functools import cache
from pathlib import Path
from typing import Annotated, Any, Literal, NamedTuple

import yaml
from pydantic import (
    BaseModel,
    ConfigDict,
    Discriminator,
    Field,
    PrivateAttr,
    Tag,
    ValidationError,
    ValidationInfo,
    create_model,
    field_validator,
)

from babelforge.errors import BabelforgeError
from babelforge.langs import LanguageCode
from babelforge.manifest_problems import (
    Problem,
    cross_checks,
    dedupe,
    path_of,
    problem_of,
    secret_reads,
    unknown_keys,
    without_secrets,
)
from babelforge.registry import StepSettings, step_kinds
from babelforge.sources import SPLIT_NAME, Source

EXECUTORS = ("local", "ray", "slurm")
#: A config name may also hold dashes (``wikitext-103-v1``), never a path separator or ``..``.
CONFIG_NAME = r"^[A-Za-z0-9_]+([.-][A-Za-z0-9_]+)*$"
#: An extra output column's name (``output.columns``).
COLUMN_NAME = re.compile(r"[A-Za-z][A-Za-z0-9_]*")
#: More tasks than this is a typo, not a plan (each task has its own files and process start).
MAX_TASKS = 100_000
#: ``${VAR}``, ``${VAR:-default}``; with a second ``$`` in front, the same text taken literally.
_ENV = re.compile(r"(\$?)\$\{([A-Za-z_][A-Za-z0-9_]*)(?::-([^}]*))?\}")


class EnvReference(NamedTuple):
    """A manifest string that read the environment: the string as written, and the variables it read."""

    written: str
    names: tuple[str, ...]


class ManifestError(BabelforgeError):
    """A manifest with problems; ``problems`` lists every one."""

    def __init__(self, source: str, problems: list[Problem]):
        self.problems = problems
        if len(problems) == 1:  # one problem, one line
            problem = str(problems[0])
            super().__init__(problem if problem.startswith(f"{source}:") else f"{source}: {problem}")
            return
        lines = "\n".join(f"  {p}" for p in problems)
        super().__init__(f"{source}: {len(problems)} problem(s)\n{lines}")


class _Strict(BaseModel):
    # Unknown keys are reported by manifest_problems.unknown_keys with a did-you-mean; pydantic ignores them.
    model_config = ConfigDict(extra="ignore", frozen=True)


class Languages(_Strict):
    """The anchor (source) language and the languages to forge data for."""

    source: LanguageCode = "eng_Latn"
    targets: list[LanguageCode] = Field(default_factory=list)


class OutputSettings(_Strict):
    """Where and how the dataset is written."""

    path: str
    kind: Literal["ner", "spans", "qa", "chat", "text", "bitext", "codemix", "preference"] = "ner"
    format: Literal["parquet"] = "parquet"
    config: str = Field("default", description="the dataset config: a plain name (letters, digits, _, - and .)")
    splits: dict[str, float] | None = Field(
        None, description="re-split records by a stable hash of their id, e.g. {train: 0.9, test: 0.1}"
    )
    tag_scheme: Literal["BIO", "IOB1", "BIOES"] = "BIO"
    labels: list[str] | None = Field(None, description="the entity labels, in order; default: those seen")
    write_rejects: bool = Field(False, description="also write every dropped record under rejects/")
    columns: list[str] = Field(
        default_factory=list,
        description="more string columns, read from each record's fields of those names (a source's kept "
        "columns, a translated field's target_<name>), e.g. [hypothesis, target_hypothesis]",
    )

    @field_validator("columns")
    @classmethod
    def _extra_columns(cls, value: list[str], info: ValidationInfo) -> list[str]:
        from babelforge.shards import shard_schema

        bad = [name for name in value if not COLUMN_NAME.fullmatch(name)]
        if bad:
            raise ValueError(f"column names are letters, digits and '_' (e.g. target_hypothesis), got {bad}")
        twice = sorted({name for name in value if value.count(name) > 1})
        if twice:
            raise ValueError(f"columns names {', '.join(map(repr, twice))} more than once")
        kind = info.data.get("kind")
        own = set(shard_schema(kind).names) if kind else set()
        taken = [name for name in value if name in own]
        if taken:
            raise ValueError(f"a {kind} output has its own {', '.join(map(repr, taken))} column(s): list other names")
        return value

    @field_validator("config")
    @classmethod
    def _plain_config(cls, value: str) -> str:
        if not re.fullmatch(CONFIG_NAME, value):
            raise ValueError(f"a plain name (letters, digits, _, - and .; it names a folder), got {value!r}")
        return value

    @field_validator("splits")
    @classmethod
    def _fractions(cls, value: dict[str, float] | None) -> dict[str, float] | None:
        if value is None:
            return value
        bad = [name for name in value if not SPLIT_NAME.fullmatch(name)]
        if bad:
            raise ValueError(f"split names are plain names (letters, digits, _ and .), got {bad}")
        fractions = list(value.values())
        if not all(math.isfinite(f) and f >= 0 for f in fractions) or abs(sum(fractions) - 1) > 1e-6:
            raise ValueError(f"split fractions must be >= 0 and sum to 1, got {value}")
        return value


class ReviewSettings(_Strict):
    """How ``babelforge review serve`` presents this output to annotators."""

    guidelines: str = Field("", description="markdown shown beside each item, or a path to a .md file")
    overlap: int = Field(1, ge=1, description="annotators who judge each item (>1 measures agreement)")

    @field_validator("guidelines")
    @classmethod
    def _read_file(cls, value: str, info: ValidationInfo) -> str:
        if value.endswith(".md") and "\n" not in value and not (info.context or {}).get("recorded"):
            path = Path((info.context or {}).get("base_dir", ".")) / value
            if not path.is_file():
                raise ValueError(f"guidelines file {value!r} not found (looked at {path})")
            return path.read_text(encoding="utf-8")
        return value


class LocalExecutor(_Strict):
    tasks: int = Field(1, ge=1, le=MAX_TASKS)
    workers: int = Field(-1, description="tasks run at once; -1: as many as tasks")


class RayExecutor(_Strict):
    address: str | None = Field(None, description="Ray cluster address; default: start a local Ray")
    tasks: int = Field(1, ge=1, le=MAX_TASKS)
    workers: int = -1
    cpus_per_task: int = Field(1, ge=1)
    gpus_per_task: float = Field(0, ge=0)
    mem_per_cpu_gb: float = Field(2, gt=0)


class SlurmExecutor(_Strict):
    partition: str | None = None
    time: str = "01:00:00"
    tasks: int = Field(1, ge=1, le=MAX_TASKS)
    workers: int = -1
    cpus_per_task: int = Field(1, ge=1)
    gpus_per_task: int = Field(0, ge=0)
    mem_per_cpu_gb: int = Field(2, ge=1, description="whole gigabytes, as sbatch takes them")
    job_name: str | None = None
    sbatch: list[str] = Field(default_factory=list, description="extra '#SBATCH' lines, e.g. '--qos=high'")
    env_command: str | None = Field(None, description="shell line that sets up the job's Python; default: this venv")


class ExecutorSettings(_Strict):
    use: Literal["local", "ray", "slurm"] = "local"
    local: LocalExecutor = LocalExecutor()
    ray: RayExecutor = RayExecutor()
    slurm: SlurmExecutor = SlurmExecutor()


class ManifestBase(_Strict):
    """The manifest's fixed part; ``steps`` is added from the registry by :func:`manifest_model`."""

    name: str
    version: str = "1"
    description: str = ""
    license: str = Field(
        "unknown",
        description="the dataset's licence (a Hugging Face licence id, e.g. cc-by-4.0), copied to the card; "
        "unknown unless said: a card never claims a licence the sources did not give",
    )
    seed: int = 0
    languages: Languages = Languages()
    sources: list[Source] = Field(min_length=1)
    output: OutputSettings
    executor: ExecutorSettings = ExecutorSettings()
    review: ReviewSettings = ReviewSettings()
    on_error: Literal["fail", "skip"] = Field("fail", description="default for sources that do not say")

    _written: dict | None = PrivateAttr(None)
    _env_references: dict[tuple, EnvReference] = PrivateAttr(default_factory=dict)

    @property
    def as_written(self) -> dict[str, Any]:
        """The manifest as its file holds it (``${VAR}`` unexpanded); for a manifest not read from a
        file (one read back from provenance), its settings."""
        return self._written if self._written is not None else self.model_dump(mode="json")

    @property
    def env_references(self) -> dict[tuple, EnvReference]:
        """The strings whose value came from the environment, by location (``("steps", 2, "translate",
        "model")``): never write their values out, write the references."""
        return dict(self._env_references)

    @property
    def step_settings(self) -> list[StepSettings]:
        return [next(iter(entry.__dict__.values())) for entry in self.steps]  # type: ignore[attr-defined]


def _step_tag(value: Any) -> str | None:
    if isinstance(value, dict) and len(value) == 1:
        return next(iter(value))
    if isinstance(value, BaseModel):
        return next(iter(type(value).model_fields))
    return None


@cache
def manifest_model() -> type[ManifestBase]:
    """The manifest model with one tagged-union member per registered step kind."""
    members = []
    for kind, settings in step_kinds().items():
        wrapper = create_model(
            f"Step[{kind}]", __config__=ConfigDict(extra="forbid", frozen=True), **{kind: (settings, ...)}
        )
        members.append(Annotated[wrapper, Tag(kind)])
    if not members:
        step_union: Any = dict
    else:
        step_union = Annotated[typing.Union[tuple(members)], Discriminator(_step_tag)]  # noqa: UP007
    return create_model("Manifest", __base__=ManifestBase, steps=(list[step_union], Field(default_factory=list)))


def load_manifest(path: str | os.PathLike, output: str | None = None, executor: str | None = None) -> ManifestBase:
    """Read, interpolate and validate a manifest file.

    Args:
        path: the YAML file.
        output: overrides ``output.path``.
        executor: overrides ``executor.use`` (``local``, ``ray`` or ``slurm``).

    Raises:
        ManifestError: listing every problem found.
    """
    manifest, problems = check_manifest(path, output=output, executor=executor)
    if problems:
        raise ManifestError(str(path), problems)
    return manifest


def check_manifest(
    path: str | os.PathLike, output: str | None = None, executor: str | None = None
) -> tuple[ManifestBase | None, list[Problem]]:
    """Validate a manifest file; return the manifest (``None`` if invalid) and every problem."""
    path = Path(path)
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        return None, [Problem(str(path), "no such manifest file")]
    except IsADirectoryError:
        return None, [Problem(str(path), "is a folder: give the manifest's YAML file")]
    except UnicodeDecodeError as error:
        return None, [Problem(str(path), f"not UTF-8 text (byte {error.start}): a manifest is a YAML text file")]
    except yaml.YAMLError as error:
        mark = getattr(error, "problem_mark", None)
        where = f"{path}:{mark.line + 1}:{mark.column + 1}" if mark else str(path)
        return None, [Problem(where, f"not valid YAML: {getattr(error, 'problem', error)}")]
    if not isinstance(data, dict):
        return None, [Problem(str(path), f"a manifest is a mapping of keys, got {type(data).__name__}")]
    if "components" in data and "sources" not in data:
        return None, [Problem(str(path), f"is a mixture (it has components, no sources): run `babelforge mix {path}`")]
    problems: list[Problem] = []
    references: dict[tuple, EnvReference] = {}
    written = copy.deepcopy(data)
    data = _interpolate(data, (), problems, references)
    if output:
        data.setdefault("output", {})["path"] = output
        references.pop(("output", "path"), None)
    if executor:
        data.setdefault("executor", {})["use"] = executor
    problems.extend(secret_reads(references))
    manifest, problems = _validate(data, path.parent, problems)
    if manifest is not None:
        manifest._written = written
        manifest._env_references = references
    return manifest, without_secrets(problems, references)


def _validate(data: dict, base_dir: Path, problems: list[Problem]) -> tuple[ManifestBase | None, list[Problem]]:
    model = manifest_model()
    problems.extend(unknown_keys(model, data, "", top=True))
    try:
        manifest = model.model_validate(data, context={"base_dir": str(base_dir)})
    except ValidationError as error:
        problems.extend(p for p in map(problem_of, error.errors()) if p is not None)
        manifest = None
    if manifest is not None:
        problems.extend(cross_checks(manifest))
    return (None if problems else manifest), dedupe(problems)


def _interpolate(value: Any, loc: tuple, problems: list[Problem], references: dict[tuple, EnvReference]) -> Any:
    """``value`` with ``${VAR}`` expanded in every string; ``references`` gains each string that read a
    variable set in the environment (a default taken is the manifest's own text, not the environment's)."""
    if isinstance(value, dict):
        return {k: _interpolate(v, (*loc, k), problems, references) for k, v in value.items()}
    if isinstance(value, list):
        return [_interpolate(v, (*loc, i), problems, references) for i, v in enumerate(value)]
    if not isinstance(value, str):
        return value
    read: list[str] = []

    def substitute(match: re.Match) -> str:
        escaped, name, default = match.groups()
        if escaped:
            return match.group(0)[1:]
        if name in os.environ:
            read.append(name)
            return os.environ[name]
        if default is not None:
            return default
        problems.append(
            Problem(
                path_of(list(loc)),
                f"environment variable ${{{name}}} is not set (set it, write ${{{name}:-default}}, "
                f"or $${{{name}}} for the text itself)",
            )
        )
        return match.group(0)

    expanded = _ENV.sub(substitute, value)
    if read:
        references[loc] = EnvReference(value, tuple(dict.fromkeys(read)))
    return expanded
