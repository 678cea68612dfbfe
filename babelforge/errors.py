"""Errors a user can act on. Each names the thing, the bad value and the fix.

The CLI prints these as one line each and exits non-zero; anything else is a bug and keeps its
traceback.
"""

from __future__ import annotations

import difflib
from collections.abc import Iterable


class BabelforgeError(Exception):
    """Base class for every error that is the user's to fix (bad input, missing model or package)."""

    def __reduce__(self):
        # Errors cross process boundaries (task pools, Ray): rebuild them without re-running __init__.
        return (_restore, (type(self), self.args, self.__dict__))


def _restore(cls: type, args: tuple, state: dict) -> BabelforgeError:
    error = cls.__new__(cls)
    Exception.__init__(error, *args)
    error.__dict__.update(state)
    return error


class UnknownLanguageError(BabelforgeError, ValueError):
    """A language code or name that babelforge cannot resolve to one canonical code."""

    def __init__(self, value: str, suggestions: list[str], reason: str = "unknown language"):
        self.value = value
        self.suggestions = suggestions
        hint = f": did you mean {', '.join(repr(s) for s in suggestions)}?" if suggestions else ""
        super().__init__(f"{reason} {value!r}{hint} (codes are ISO 639-3 plus script, e.g. 'hau_Latn')")


class MissingDependencyError(BabelforgeError, ImportError):
    """An optional package that a step needs is not installed."""

    def __init__(self, what: str, packages: Iterable[str], extra: str):
        names = ", ".join(packages)
        self.extra = extra
        super().__init__(f"{what} needs {names}: {install_command(extra)}")


def install_command(extra: str) -> str:
    """How to install an extra, in a clone (the README's way) and from PyPI."""
    return f'pip install -e ".[{extra}]" (in a clone) or pip install "babelforge[{extra}]"'


class InputFormatError(BabelforgeError, ValueError):
    """A malformed line or record in an input file."""

    def __init__(self, path: str, line: int, expected: str, got: str = ""):
        self.path, self.line = path, line
        shown = f", got {got[:80]!r}" if got else ""
        super().__init__(f"{path}:{line}: expected {expected}{shown}")


class OutputError(BabelforgeError):
    """An output folder that is missing, incomplete or cannot be written."""


def brief(text: str, limit: int = 300) -> str:
    """The first non-empty line of ``text``, cut at a word boundary with an ellipsis when over ``limit``.

    For quoting another program's error (the Hub, a server) inside one line of ours.
    """
    line = next((part.strip() for part in str(text).splitlines() if part.strip()), "")
    if len(line) <= limit:
        return line
    cut = line[:limit]
    if not line[limit].isspace() and any(c.isspace() for c in cut):
        cut = cut.rsplit(None, 1)[0]  # the word the limit fell inside goes whole
    return cut.rstrip(" ,;:.") + "…"


def did_you_mean(value: str, choices: Iterable[str], n: int = 3) -> list[str]:
    """Return up to ``n`` choices close to ``value``, closest first (case-insensitive)."""
    by_lower = {c.lower(): c for c in choices}
    return [by_lower[m] for m in difflib.get_close_matches(value.lower(), list(by_lower), n=n, cutoff=0.6)]


class ReviewError(BabelforgeError, ValueError):
    """A review database, decision or exchange file that cannot be used as given."""


class Interrupted(BabelforgeError):
    """The user stopped a run (Ctrl-C); its finished tasks are kept for the next attempt."""
