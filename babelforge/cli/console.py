"""The CLI's consoles and error printing."""

from __future__ import annotations

from rich.console import Console

out = Console(soft_wrap=True)
err = Console(stderr=True, soft_wrap=True)


def print_error(error: BaseException) -> None:
    """One error, in red, without a traceback."""
    err.print(f"[bold red]error:[/] {error}", highlight=False, markup=True, soft_wrap=True)
