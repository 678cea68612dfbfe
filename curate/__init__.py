"""Curate: language identification, quality filters, deduplication, decontamination and PII.

Each step kind lives in its own module and registers itself when this package is imported
(the registry imports ``babelforge.curate`` on its first lookup).
"""

from __future__ import annotations

import importlib

#: Modules of this package whose import registers a step kind (each adds itself when written).
STEP_MODULES: tuple[str, ...] = ("pii", "dedup", "decontaminate", "lid", "quality")

for _name in STEP_MODULES:
    importlib.import_module(f"babelforge.curate.{_name}")
