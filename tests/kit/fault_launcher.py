"""Run the babelforge CLI with a fault planted at a named point: ``python fault_launcher.py POINT ARGS...``.

The process (and its task processes) is killed with SIGKILL when the run reaches ``POINT``, as a power
cut or the OOM killer would. ``none`` plants nothing. A ``test_barrier`` step kind is registered so
that manifests can have several passes without any model.
"""

from __future__ import annotations

import os
import signal
import sys


def _die(*_args, **_kwargs):
    os.killpg(os.getpgrp(), signal.SIGKILL)


def _after(module, name: str, calls: int = 1):
    """Kill right after the ``calls``-th call of ``module.name`` returns."""
    original = getattr(module, name)
    seen = {"n": 0}

    def wrapped(*args, **kwargs):
        result = original(*args, **kwargs)
        seen["n"] += 1
        if seen["n"] >= calls:
            _die()
        return result

    setattr(module, name, wrapped)


def _before(module, name: str, calls: int = 1):
    """Kill at the ``calls``-th call of ``module.name``, before it runs."""
    original = getattr(module, name)
    seen = {"n": 0}

    def wrapped(*args, **kwargs):
        seen["n"] += 1
        if seen["n"] >= calls:
            _die()
        return original(*args, **kwargs)

    setattr(module, name, wrapped)


def _inside(owner, method: str, module, name: str, calls: int = 1):
    """Kill at the ``calls``-th call of ``module.name`` made while ``owner.method`` runs."""
    original_method, original = getattr(owner, method), getattr(module, name)

    def wrapped_method(*args, **kwargs):
        seen = {"n": 0}

        def counting(*inner, **inner_kwargs):
            seen["n"] += 1
            if seen["n"] >= calls:
                _die()
            return original(*inner, **inner_kwargs)

        setattr(module, name, counting)
        try:
            return original_method(*args, **kwargs)
        finally:
            setattr(module, name, original)

    setattr(owner, method, wrapped_method)


def plant(point: str) -> None:
    import babelforge.emit as emit
    import babelforge.runner as runner
    import babelforge.workspace as workspace

    points = {
        "none": lambda: None,
        "after-claim": lambda: _after(runner, "prepare_work_dir"),
        "before-execute": lambda: _before(runner, "_execute"),
        "after-execute": lambda: _before(runner, "_require_inputs_unchanged"),
        "during-emit": lambda: _before(emit, "_write_metadata"),
        "before-publish": lambda: _before(workspace.Workspace, "publish"),
        "between-renames": lambda: _inside(workspace.Workspace, "publish", workspace.os, "replace", calls=2),
        "after-publish": lambda: _before(workspace.Workspace, "close"),
        "during-cleanup": lambda: _inside(workspace.Workspace, "close", workspace.shutil, "rmtree"),
    }
    points[point]()


if __name__ == "__main__":
    point, args = sys.argv[1], sys.argv[2:]
    import kit.steps  # noqa: F401 - registers the test_barrier step kind

    plant(point)
    sys.argv = ["babelforge", *args]
    from babelforge.cli import main

    main()
