"""``python -m babelforge``: the same as the ``babelforge`` command."""

from babelforge.cli import main

main()
