"""The CLI's consoles and error printing."""

from __future__ import annotations

from rich.console import Console

#: Markup is off unless a call asks for it: paths, names and messages are the user's, and ``[/b]`` in a
#: folder name is not a closing tag (a print that styles its own words says ``markup=True`` and escapes the rest).
out = Console(soft_wrap=True, markup=False)
err = Console(stderr=True, soft_wrap=True, markup=False)


def print_error(error: BaseException) -> None:
    """One error, in red, without a traceback."""
    from rich.markup import escape

    # the message is the user's to read as written: "[models]" in a pip command is not markup
    err.print(f"[bold red]error:[/] {escape(str(error))}", highlight=False, markup=True, soft_wrap=True)


def quiet_library_logs() -> None:
    """Keep datatrove's per-file INFO lines off the console (warnings and errors still show)."""
    import sys

    import datatrove.utils.logging  # noqa: F401 - it installs its own sink on import; replace it after
    from loguru import logger

    logger.remove()
    logger.add(sys.stderr, level="WARNING")
