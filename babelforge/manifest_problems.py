"""What is wrong with a manifest, said so a user can fix it: where, the bad value, the valid choices.

:func:`unknown_keys` finds keys no model knows (with a did-you-mean), :func:`problem_of` turns a
pydantic error into a :class:`Problem`, :func:`cross_checks` finds settings that do not fit together,
:func:`secret_reads` finds secrets read where their value would reach the dataset, and :func:`without_secrets`
keeps the values of secret variables out of every message.
"""

from __future__ import annotations

import os
import types
import typing
from typing import Annotated, Any, NamedTuple

from pydantic import BaseModel

from babelforge.errors import did_you_mean
from babelforge.provenance import CREDENTIAL_KEY, is_secret_variable, scrub
from babelforge.registry import step_kinds
from babelforge.sources import SOURCE_MODELS


class Problem(NamedTuple):
    """One thing wrong with a manifest: where (``steps[1].translate.target``) and what."""

    path: str
    message: str

    def __str__(self) -> str:
        return f"{self.path}: {self.message}"


def join(where: str, key: Any) -> str:
    if isinstance(key, int):
        return f"{where}[{key}]"
    return f"{where}.{key}" if where else str(key)


def unknown_keys(model: type[BaseModel], data: Any, where: str, top: bool = False) -> list[Problem]:
    """Every key of ``data`` that ``model`` (and the models nested in it) does not know, with a did-you-mean.

    ``top``: ``model`` is the manifest itself, whose ``steps`` are checked by their registered kinds.
    """
    if not isinstance(data, dict):
        return []
    fields = model.model_fields
    problems = []
    for key, value in data.items():
        if key not in fields:
            guess = did_you_mean(str(key), fields)
            hint = f"did you mean {guess[0]!r}? " if guess else ""
            problems.append(Problem(join(where, key), f"unknown key {key!r}: {hint}valid: {', '.join(fields)}"))
        elif key == "steps" and top:
            problems.extend(_step_problems(value))
        else:
            problems.extend(_nestedunknown_keys(fields[key].annotation, value, join(where, key)))
    return problems


def _nestedunknown_keys(annotation: Any, value: Any, where: str) -> list[Problem]:
    origin, args = typing.get_origin(annotation), typing.get_args(annotation)
    if origin is Annotated:
        return _nestedunknown_keys(args[0], value, where)
    if origin is list and isinstance(value, list):
        return [p for i, item in enumerate(value) for p in _nestedunknown_keys(args[0], item, f"{where}[{i}]")]
    if origin in (typing.Union, types.UnionType):
        if isinstance(value, dict) and value.get("kind") in SOURCE_MODELS and _has_sources(args):
            return unknown_keys(SOURCE_MODELS[value["kind"]], value, where)
        models = [a for a in args if isinstance(a, type) and issubclass(a, BaseModel)]
        return unknown_keys(models[0], value, where) if len(models) == 1 else []
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return unknown_keys(annotation, value, where)
    return []


def _has_sources(args: tuple) -> bool:
    return any(a in SOURCE_MODELS.values() for a in args)


def _step_problems(steps: Any) -> list[Problem]:
    if not isinstance(steps, list):
        return []
    kinds = step_kinds()
    problems = []
    for i, entry in enumerate(steps):
        where = f"steps[{i}]"
        if not isinstance(entry, dict) or len(entry) != 1:
            problems.append(
                Problem(where, f"a step is one 'kind: {{settings}}' mapping, got {entry!r}; kinds: {', '.join(kinds)}")
            )
            continue
        kind, settings = next(iter(entry.items()))
        if kind not in kinds:
            guess = did_you_mean(str(kind), kinds)
            hint = f"did you mean {guess[0]!r}? " if guess else ""
            problems.append(Problem(where, f"unknown step kind {kind!r}: {hint}valid: {', '.join(kinds)}"))
            continue
        problems.extend(unknown_keys(kinds[kind], settings or {}, f"{where}.{kind}"))
    return problems


def error_location(error: dict) -> tuple:
    """Where a pydantic error is, as a location in the manifest's own mapping (union tags removed)."""
    loc = list(error["loc"])
    if len(loc) > 2 and loc[0] == "sources" and loc[2] in SOURCE_MODELS:
        del loc[2]  # the discriminator's tag
    if len(loc) > 3 and loc[0] == "steps" and loc[2] == loc[3]:
        del loc[2]  # the tagged-union member repeats the kind
    return tuple(loc)


def problem_of(error: dict) -> Problem | None:
    loc = list(error["loc"])
    if error["type"] == "extra_forbidden" or (
        error["type"] in {"union_tag_invalid", "union_tag_not_found"} and loc[:1] == ["steps"]
    ):
        return None  # reported with a did-you-mean by _unknown_keys and _step_problems
    if error["type"] in {"union_tag_invalid", "union_tag_not_found"} and loc[:1] == ["sources"]:
        got = error.get("input", {}).get("kind") if isinstance(error.get("input"), dict) else None
        return Problem(path_of(loc) + ".kind", _choice_message("source kind", got, SOURCE_MODELS))
    loc = list(error_location(error))
    message = error["msg"].removeprefix("Value error, ")
    value = error.get("input")
    if error["type"] == "missing":
        message = "required, but missing"
    elif error["type"] == "literal_error":
        valid = error.get("ctx", {}).get("expected", "")
        message = f"bad value {value!r}: valid: {valid}"
    elif isinstance(value, str | int | float) and repr(value) not in message and str(value) not in message:
        message = f"{message} (got {value!r})"
    return Problem(path_of(loc), message)


def _choice_message(what: str, got: Any, choices: Any) -> str:
    guess = did_you_mean(str(got), choices) if got else []
    hint = f"did you mean {guess[0]!r}? " if guess else ""
    return f"unknown {what} {got!r}: {hint}valid: {', '.join(choices)}"


def path_of(loc: list) -> str:
    """``steps[1].translate.target`` for a location in the manifest's mapping."""
    where = ""
    for part in loc:
        where = join(where, part)
    return where or "(manifest)"


def cross_checks(manifest) -> list[Problem]:
    problems = []
    kind = manifest.output.kind
    from_steps = frozenset().union(*(s.produces for s in manifest.step_settings))
    for i, source in enumerate(manifest.sources):
        if kind not in source.record_kinds() | from_steps:
            problems.append(
                Problem(
                    f"sources[{i}]",
                    f"a {source.kind!r} source with these fields cannot feed output.kind {kind!r} "
                    f"(it gives: {', '.join(sorted(source.record_kinds() | from_steps))})",
                )
            )
        if source.language is None and not (getattr(source, "fields", None) and source.fields.language):
            problems.append(
                Problem(
                    f"sources[{i}].language", "required: name the language (e.g. 'hau_Latn'), or a field that holds it"
                )
            )
    output = os.path.realpath(os.path.expanduser(manifest.output.path))
    for i, source in enumerate(manifest.sources):
        folder = os.path.realpath(source.path) if source.kind != "hf" and os.path.isdir(source.path) else None
        if folder and (output == folder or output.startswith(folder + os.sep)):
            why = f"lies inside sources[{i}]'s folder {source.path}, which the run reads: choose a folder outside it"
            problems.append(Problem("output.path", why))
    names = [s.display_name for s in manifest.sources]
    for name in {n for n in names if names.count(n) > 1}:
        problems.append(Problem("sources", f"two sources are named {name!r}: give each a distinct 'name'"))
    return problems + _lost_translations(manifest)


#: Fields whose translation every output kind that holds them writes in its own columns.
_OWN_FIELDS = frozenset({"text", "context", "question", "title"})


def _lost_translations(manifest) -> list[Problem]:
    """A ``translate`` step's field whose translation no output column would hold: refused, not lost."""
    problems = []
    columns = set(manifest.output.columns)
    for i, step in enumerate(manifest.step_settings):
        fields = getattr(step, "fields", None) if step.kind == "translate" else None
        lost = [f for f in fields or () if f not in _OWN_FIELDS and f"target_{f}" not in columns]
        if lost:
            wanted = ", ".join(x for f in lost for x in (f, f"target_{f}"))
            problems.append(
                Problem(
                    f"steps[{i}].translate.fields",
                    f"the translation of {', '.join(map(repr, lost))} would not be written: a {manifest.output.kind} "
                    f"output has no column for it; add output: {{columns: [{wanted}]}}",
                )
            )
    return problems


def dedupe(problems: list[Problem]) -> list[Problem]:
    return list(dict.fromkeys(problems))


def secret_reads(references: dict[tuple, Any]) -> list[Problem]:
    """A problem for each variable named like a secret that a setting reads, unless the setting is an
    executor setting or one named like a credential (see :mod:`babelforge.manifest`)."""
    problems = []
    for loc, reference in references.items():
        if loc[:1] == ("executor",) or _is_credential_setting(loc):
            continue
        problems.extend(
            Problem(
                path_of(list(loc)),
                f"reads ${{{name}}}, which is named like a secret, but this setting's value can reach the rows, "
                "file names or card: only a credential setting (api_key, token, password ...) or an executor "
                "setting may read a secret",
            )
            for name in reference.names
            if is_secret_variable(name)
        )
    return problems


def _is_credential_setting(loc: tuple) -> bool:
    key = next((k for k in reversed(loc) if isinstance(k, str)), "")  # a list item is its setting's
    return bool(CREDENTIAL_KEY.search(key))


def without_secrets(problems: list[Problem], references: dict[tuple, Any]) -> list[Problem]:
    """``problems`` with the value of every variable named like a secret that the manifest read shown as
    ``${NAME}``, whatever its length and wherever the message quotes it."""
    names = {name for reference in references.values() for name in reference.names if is_secret_variable(name)}
    found = {os.environ[name]: name for name in names if os.environ.get(name)}
    secrets = dict(sorted(found.items(), key=lambda item: -len(item[0])))  # longest first: no partial replacement
    return [Problem(scrub(p.path, secrets), scrub(p.message, secrets)) for p in problems]
