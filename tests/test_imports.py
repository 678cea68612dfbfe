"""`import babelforge` and `babelforge --help` stay light: no models, no faiss, no torch."""

import subprocess
import sys

HEAVY = ["torch", "transformers", "faiss", "ctranslate2", "sentence_transformers", "datasets", "ray", "polars"]


MARK = "LOADED-MODULES:"


def loaded_after(code: str) -> set[str]:
    """Top-level modules imported by ``code``, read from one marked line (help text may name modules too)."""
    names = "' '.join(sorted({m.split('.')[0] for m in sys.modules}))"
    probe = f"{code}\nimport sys\nprint('\\n{MARK}', {names})"
    result = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, check=True)
    (line,) = [line for line in result.stdout.splitlines() if line.startswith(MARK)]
    return set(line.removeprefix(MARK).split())


def test_import_loads_no_heavy_library():
    assert loaded_after("import babelforge") & set(HEAVY) == set()


def test_cli_help_loads_no_heavy_library():
    code = (
        "import sys, contextlib\nsys.argv = ['babelforge', '--help']\nfrom babelforge.cli import app\n"
        "with contextlib.suppress(SystemExit):\n    app()"
    )
    assert loaded_after(code) & set(HEAVY) == set()


def test_version():
    result = subprocess.run([sys.executable, "-m", "babelforge", "--version"], capture_output=True, text=True)
    from babelforge import __version__

    assert result.stdout.strip() == f"babelforge {__version__}"
