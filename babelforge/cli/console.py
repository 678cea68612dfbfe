"""The CLI's consoles and error printing."""

from __future__ import annotations

from rich.console import Console

out = Console()
err = Console(stderr=True)


def print_error(error: BaseException) -> None:
    """One error, in red, without a traceback."""
    err.print(f"[bold red]error:[/] {error}", highlight=False, markup=True, soft_wrap=True)
