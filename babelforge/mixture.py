"""Mixture manifests: which finished outputs to combine into a training mixture, and in what proportions.

A mixture is a manifest of its own kind, read by ``babelforge mix`` and validated like a run's manifest
(every problem at once, each naming the field, the bad value and the valid choices)::

    name: mix-demo
    components:                      # babelforge outputs (folders) or Hub datasets
      - {path: out/news-en}
      - {path: out/news-ha}
      - {hf: org/dataset, config: hau, split: train, revision: 1a2b3c, language: hau_Latn}
    sampling: {by: language, temperature: 0.5}   # share_i proportional to size_i ** temperature
    max_epochs: 3                    # no component's rows repeated more than 3 times
    budget: {rows: 300}              # or {tokens: 1000000, tokenizer: path/to/tokenizer.json}
    seed: 13
    output: {path: out/mix}

``sampling`` takes one of three forms:

- ``{by: language, temperature: T}``: each language's share proportional to its size ** T (T=1: as the
  data are, T=0: every language alike); ``alpha`` is seqio's name for the same number;
- ``{shares: {hau_Latn: 0.2, eng_Latn: 0.8}}``: explicit shares (summing to at most 1); languages not
  named share what is left by ``temperature``, or are left out when nothing is left;
- ``{by: family, temperature: T, families: {Atlantic-Congo: 0.5}}``: shares per Glottolog family
  (:mod:`babelforge.families`), by temperature over the families' sizes where not given, and within a
  family by temperature over its languages.

Sizes are rows, or tokens of the budget's tokenizer when the budget is in tokens. Component paths are
read relative to the working directory (where ``babelforge run`` writes outputs), else relative to the
mixture's own folder; the output path is relative to the working directory.
"""

from __future__ import annotations

import copy
import math
import os
from pathlib import Path
from typing import Literal

import yaml
from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    PrivateAttr,
    ValidationError,
    ValidationInfo,
    field_validator,
    model_validator,
)

from babelforge.errors import BabelforgeError
from babelforge.langs import LanguageCode
from babelforge.manifest import CONFIG_NAME, ManifestError, _interpolate
from babelforge.manifest_problems import Problem, dedupe, problem_of, secret_reads, unknown_keys, without_secrets

#: Shares are floats: a sum within this of 1 is 1.
SHARE_TOLERANCE = 1e-6


class _Strict(BaseModel):
    model_config = ConfigDict(extra="ignore", frozen=True)  # unknown keys: reported by unknown_keys


class Component(_Strict):
    """One part of the mixture: a babelforge output folder (``path``) or a Hub dataset (``hf``)."""

    path: str | None = Field(None, description="a babelforge output folder")
    hf: str | None = Field(None, description="a Hub dataset id (or a local folder datasets reads)")
    config: str | None = Field(None, description="the Hub dataset's config")
    split: str = Field("train", description="the Hub dataset's split to read")
    revision: str | None = Field(None, description="the Hub dataset's revision (a commit, tag or branch)")
    language: LanguageCode | None = Field(None, description="for Hub rows without a 'language' column")
    license: str | None = Field(None, description="the licence, where the component's card does not say")
    name: str | None = Field(None, description="how the card and each row's 'component' name it")

    @model_validator(mode="after")
    def _one_origin(self) -> Component:
        if self.path is None and self.hf is None:
            raise ValueError("give 'path' (a babelforge output folder) or 'hf' (a Hub dataset id)")
        if self.path is not None and self.hf is not None:
            raise ValueError("give 'path' (a babelforge output folder) or 'hf' (a Hub dataset id), not both")
        if self.path is not None and (self.config or self.revision or self.language):
            raise ValueError(
                "'config', 'revision' and 'language' are for Hub components ('hf'); an output knows its own"
            )
        return self

    @property
    def display_name(self) -> str:
        return self.name or (Path(self.path).name if self.path else self.hf.rstrip("/").split("/")[-1])


class Sampling(_Strict):
    """How the budget is shared out: by language or by family, by temperature or explicit shares."""

    by: Literal["language", "family"] = "language"
    temperature: float | None = Field(None, ge=0, le=10, description="share ∝ size ** temperature; default 1")
    alpha: float | None = Field(None, ge=0, le=10, description="seqio's name for temperature")
    shares: dict[LanguageCode, float] | None = Field(None, description="explicit shares per language")
    families: dict[str, float] | None = Field(None, description="explicit shares per family (by: family)")

    @field_validator("families")
    @classmethod
    def _known_families(cls, value: dict[str, float] | None) -> dict[str, float] | None:
        from babelforge.families import UnknownFamilyError, resolve_family

        if value is None:
            return value
        found, unknown = {}, []
        for name, share in value.items():
            try:
                found[resolve_family(name)] = share
            except UnknownFamilyError as error:
                unknown.append(str(error))
        if unknown:
            raise ValueError("; ".join(unknown))
        return found

    @model_validator(mode="after")
    def _fits(self) -> Sampling:
        if self.temperature is not None and self.alpha is not None and self.temperature != self.alpha:
            raise ValueError(f"temperature {self.temperature} and alpha {self.alpha} disagree: give one of them")
        if self.shares is not None and self.by == "family":
            raise ValueError("'shares' are per language: with by: family, give 'families' shares")
        if self.families is not None and self.by != "family":
            raise ValueError("'families' shares need by: family")
        for what, given in (("shares", self.shares), ("families", self.families)):
            _check_shares(what, given)
        return self

    @property
    def power(self) -> float:
        """The temperature (1 when neither it nor ``alpha`` is given)."""
        return next((t for t in (self.temperature, self.alpha) if t is not None), 1.0)


def _check_shares(what: str, given: dict[str, float] | None) -> None:
    if given is None:
        return
    bad = {k: v for k, v in given.items() if not (math.isfinite(v) and 0 <= v <= 1)}
    if bad:
        raise ValueError(f"{what} are fractions between 0 and 1, got {bad}")
    total = sum(given.values())
    if total > 1 + SHARE_TOLERANCE:
        raise ValueError(f"{what} sum to {total:g}, over 1: make them sum to 1 (or less, the rest by temperature)")
    if total <= 0:
        raise ValueError(f"{what} sum to 0: give at least one a share above 0")


class Budget(_Strict):
    """How large the mixture is: rows, or tokens counted by a named tokenizer."""

    rows: int | None = Field(None, gt=0)
    tokens: int | None = Field(None, gt=0)
    tokenizer: str | None = Field(
        None, description="a tokenizer.json (or its folder), tiktoken:NAME, or a cached Hub id"
    )

    @field_validator("tokenizer")
    @classmethod
    def _usable(cls, value: str | None, info: ValidationInfo) -> str | None:
        from babelforge.llm.tokens import token_counter

        if value is None:
            return value
        local = Path((info.context or {}).get("base_dir", ".")) / value
        name = str(local.resolve()) if not Path(value).is_absolute() and local.exists() else value
        if not token_counter(name, name).exact:
            raise ValueError(
                f"tokenizer {value!r} not found offline: give a tokenizer.json path (or its folder), "
                "tiktoken:ENCODING, or a Hub id in the local cache"
            )
        return name

    @model_validator(mode="after")
    def _one_unit(self) -> Budget:
        if (self.rows is None) == (self.tokens is None):
            raise ValueError("give either 'rows' or 'tokens' (with 'tokenizer')")
        if self.tokens is not None and self.tokenizer is None:
            raise ValueError("a budget in tokens needs 'tokenizer': the tokenizer to count them with")
        if self.rows is not None and self.tokenizer is not None:
            raise ValueError("'tokenizer' counts a budget in 'tokens', not 'rows'")
        return self

    @property
    def unit(self) -> str:
        return "rows" if self.rows is not None else "tokens"

    @property
    def amount(self) -> int:
        return self.rows if self.rows is not None else self.tokens  # type: ignore[return-value]


class MixtureOutput(_Strict):
    path: str
    config: str = Field("default", description="the dataset config: a plain name (letters, digits, _, - and .)")

    @field_validator("config")
    @classmethod
    def _plain_config(cls, value: str) -> str:
        import re

        if not re.fullmatch(CONFIG_NAME, value):
            raise ValueError(f"a plain name (letters, digits, _, - and .; it names a folder), got {value!r}")
        return value


class Mixture(_Strict):
    """A mixture manifest (see the module docstring)."""

    name: str
    version: str = "1"
    description: str = ""
    license: str | None = Field(None, description="the mixture's licence; default: its components' (or 'other')")
    components: list[Component] = Field(min_length=1)
    sampling: Sampling = Sampling()
    max_epochs: float | None = Field(None, ge=1, description="no component's rows taken more than this many times")
    budget: Budget | None = Field(None, description="default: as many rows as the components hold")
    held_out: Literal["copy", "drop"] = Field("copy", description="validation/test rows: copied once, or left out")
    seed: int = 0
    output: MixtureOutput

    _file: Path | None = PrivateAttr(None)
    _written: dict | None = PrivateAttr(None)

    @property
    def folder(self) -> Path:
        """The mixture file's folder (components not found from the working directory are looked for here)."""
        return self._file.parent if self._file else Path.cwd()


def load_mixture(path: str | os.PathLike, output: str | None = None) -> Mixture:
    """Read, interpolate (``${VAR}``) and validate a mixture file.

    Raises:
        ManifestError: listing every problem found.
    """
    path = Path(path)
    data = _read(path)
    problems: list[Problem] = []
    references: dict = {}
    written = copy.deepcopy(data)
    data = _interpolate(data, (), problems, references)
    if output:
        data.setdefault("output", {})["path"] = output
        references.pop(("output", "path"), None)
    problems += secret_reads(references)
    problems += unknown_keys(Mixture, data, "", top=False)
    mixture = None
    try:
        mixture = Mixture.model_validate(data, context={"base_dir": str(path.parent)})
    except ValidationError as error:
        found = [p for p in map(problem_of, error.errors()) if p is not None]
        problems += [Problem(p.path.removesuffix(".[key]"), p.message) for p in found]  # a bad key: named by itself
    if problems:
        raise ManifestError(str(path), without_secrets(dedupe(problems), references))
    mixture._file, mixture._written = path.resolve(), written
    return mixture


def is_mixture_file(path: str | os.PathLike) -> bool:
    """Whether ``path`` reads as a mixture (``components``, no ``sources``) rather than a run's manifest."""
    try:
        data = yaml.safe_load(Path(path).read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, yaml.YAMLError):
        return False
    return isinstance(data, dict) and "components" in data and "sources" not in data


def check_mixture(path: str | os.PathLike) -> tuple[Mixture | None, list[Problem]]:
    """``(mixture, [])`` when ``path`` is a valid mixture whose components all open, else ``(None, problems)``."""
    from babelforge.mixture_components import open_components

    try:
        mixture = load_mixture(path)
        open_components(mixture)
    except ManifestError as error:
        return None, list(error.problems)
    except BabelforgeError as error:
        return None, [Problem("", str(error))]
    return mixture, []


def _read(path: Path) -> dict:
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise BabelforgeError(f"{path}: no such mixture file") from None
    except IsADirectoryError:
        raise BabelforgeError(f"{path}: is a folder: give the mixture's YAML file") from None
    except UnicodeDecodeError as error:
        raise BabelforgeError(f"{path}: not UTF-8 text (byte {error.start}): a mixture is a YAML text file") from None
    except yaml.YAMLError as error:
        mark = getattr(error, "problem_mark", None)
        where = f"{path}:{mark.line + 1}:{mark.column + 1}" if mark else str(path)
        raise BabelforgeError(f"{where}: not valid YAML: {getattr(error, 'problem', error)}") from None
    if not isinstance(data, dict):
        raise BabelforgeError(f"{path}: a mixture is a mapping of keys, got {type(data).__name__}")
    return data
