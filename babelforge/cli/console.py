"""The CLI's consoles and error printing."""

from __future__ import annotations

from rich.console import Console
from rich.text import Text

#: No markup and no emoji codes: paths, names and messages are the user's, printed as written (``[/b]`` in a
#: folder name is no closing tag, ``:fire:`` in a column name no emoji). A print that styles its own words
#: passes :class:`rich.text.Text` (:func:`styled`).
out = Console(soft_wrap=True, markup=False, emoji=False)
err = Console(stderr=True, soft_wrap=True, markup=False, emoji=False)


def styled(*parts: str | tuple[str, str]) -> Text:
    """Text from plain strings and ``(text, style)`` pairs: no part is ever read as markup."""
    return Text.assemble(*parts)


def print_error(error: BaseException) -> None:
    """One error, in red, without a traceback."""
    # the message is the user's to read as written: "[models]" in a pip command is not markup
    err.print(styled(("error:", "bold red"), " ", str(error)), highlight=False, soft_wrap=True)


def quiet_library_logs() -> None:
    """Keep datatrove's per-file INFO lines off the console (warnings and errors still show)."""
    import sys

    import datatrove.utils.logging  # noqa: F401 - it installs its own sink on import; replace it after
    from loguru import logger

    logger.remove()
    logger.add(sys.stderr, level="WARNING")
