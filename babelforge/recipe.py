"""How an output was made, in the manifest's terms: each source and step, its settings, what it counted and dropped.

A run counts per pipeline step (:mod:`babelforge.stats`), and a pipeline holds more than the manifest's
steps: the plumbing that chains passes (each pass but the last writes its records, the next reads them
back) and the shard writer; a manifest step may also build several pipeline steps (``mine``: index,
search, pairs). The plan tells them apart (:mod:`babelforge.pipeline`): the progress tap after each
manifest step closes that step's group (the readers' group is 0), the first step of every pass but the
first reads the previous pass back, and the last step of every pass writes.
"""

from __future__ import annotations

from typing import Any


def recipe(plan, steps: list[dict]) -> list[dict[str, Any]]:
    """One entry per source and per manifest step, in the manifest's order.

    Each entry: ``part`` (``source`` or ``step``), ``name`` (the source's name or the step's kind),
    ``settings`` (as the manifest writes them: references unexpanded, credentials redacted), and
    ``counts`` and ``drops`` summed over the pipeline steps it built (``None`` when the run has no
    counts for it). Counts of pipeline steps that are none of these (a review) follow as steps of their own.

    Args:
        plan: the compiled :class:`~babelforge.pipeline.Plan`.
        steps: the run's counts per pipeline step, as :func:`babelforge.stats.collect_step_counts` gives them.
    """
    from babelforge.provenance import manifest_as_written

    groups, unmatched = _groups(plan, steps)
    written = manifest_as_written(plan.manifest)
    parts = []
    for i, source in enumerate(plan.manifest.sources):
        settings = (written.get("sources") or [{}])[i] if i < len(written.get("sources") or []) else {}
        counted = groups.get(0, [])[i : i + 1]
        parts.append(_entry("source", source.display_name, settings, counted or None))
    for i, settings in enumerate(plan.manifest.step_settings, 1):
        as_written = (written.get("steps") or [])[i - 1] if i <= len(written.get("steps") or []) else {}
        inner = as_written.get(settings.kind) if isinstance(as_written, dict) else None
        parts.append(_entry("step", settings.kind, inner or {}, groups.get(i)))
    parts += [_entry("step", step["name"], {}, [step]) for step in unmatched]
    return parts


def _groups(plan, steps: list[dict]) -> tuple[dict[int, list[dict]], list[dict]]:
    """The counts of each manifest step's pipeline steps, by the step's position (0: the readers), and
    the counts that belong to no manifest step (of no pipeline step of the plan, or of plumbing that dropped)."""
    from babelforge.progress import ProgressTap

    remaining = list(steps)
    groups: dict[int, list[dict]] = {}
    pending: list[dict] = []
    dropped: list[dict] = []
    for number, one_pass in enumerate(plan.passes):
        last = len(one_pass.steps) - 1
        for position, step in enumerate(one_pass.steps):
            if isinstance(step, ProgressTap):
                groups.setdefault(step.index, []).extend(pending)
                pending = []
                continue
            counted = _take(remaining, step.name)
            if (number and position == 0) or position == last:  # plumbing: shown only if it dropped something
                dropped += [counted] if counted and counted.get("drops") else []
                continue
            pending.append(counted or {"name": step.name, "counts": {}, "drops": {}})
    return groups, remaining + dropped


def _take(remaining: list[dict], name: str) -> dict | None:
    """The first counts left for a pipeline step called ``name``, taken out of ``remaining``."""
    for i, step in enumerate(remaining):
        if step.get("name") == name:
            return remaining.pop(i)
    return None


def _entry(part: str, name: str, settings: dict, counted: list[dict] | None) -> dict[str, Any]:
    entry: dict[str, Any] = {"part": part, "name": name, "settings": settings, "counts": None, "drops": None}
    if counted is None:
        return entry
    counts: dict[str, int] = {}
    drops: dict[str, int] = {}
    for step in counted:
        counts.update(step.get("counts") or {})
        for reason, n in (step.get("drops") or {}).items():
            drops[reason] = drops.get(reason, 0) + n
    first_in = next((step["counts"]["in"] for step in counted if "in" in (step.get("counts") or {})), None)
    if first_in is not None:
        counts["in"] = first_in
    entry.update(counts=counts, drops=drops)
    return entry
