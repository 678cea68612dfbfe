"""``babelforge mix``: open a mixture's components, plan it, pick its rows, and write it as an output folder.

:func:`prepare` does everything but write (what ``--dry-run`` prints); :func:`mix` writes the folder
under the ownership rules of every output (:mod:`babelforge.workspace`): only where nothing is, or
where babelforge's own earlier output is, staged in the work folder and published by one rename.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from babelforge.manifest_problems import Problem
from babelforge.mixture_components import OpenComponent, open_components
from babelforge.mixture_plan import Cell, MixturePlan, PlanProblem, plan_mixture
from babelforge.mixture_sample import Selection, cell_rng, select


@dataclass
class Prepared:
    """A mixture ready to write: its components, their kind, the plan, and each cell's rows."""

    mixture: Any
    components: list[OpenComponent]
    kind: str
    names: list[str] | None
    features: Any
    plan: MixturePlan
    rows: dict[tuple[int, str], np.ndarray]  # (component, language) -> its rows' indices in the train split
    selections: dict[tuple[int, str], Selection]
    tokenizer: str | None = None
    timings: dict[str, float] = field(default_factory=dict)

    def taken(self, key: tuple[int, str]) -> np.ndarray:
        """The train rows ``key`` takes, as indices into its component's train split."""
        return self.rows[key][self.selections[key].indices]


def prepare(mixture) -> Prepared:
    """Open, plan and pick rows; nothing is written.

    Raises:
        ManifestError: every component that cannot be used, or sampling that does not fit them.
    """
    from babelforge.families import family_of
    from babelforge.manifest import ManifestError
    from babelforge.mixture_rows import mixture_features, own_columns, token_sizes, union_names

    started = time.perf_counter()
    source = str(mixture._file or "mixture")
    components = open_components(mixture)
    kind = _one_kind(components, source)
    names = union_names(components)
    features = mixture_features(kind, names, own_columns(components, kind, names))
    counter = _counter(mixture)
    cells, rows, sizes = [], {}, {}
    for component in components:
        table = conformed_train(component, mixture, features, names)
        per_row = token_sizes(table, kind, counter) if counter else np.ones(table.num_rows)
        for language, indices in _by_language(table).items():
            rows[component.index, language], sizes[component.index, language] = indices, per_row[indices]
            cells.append(Cell(component.index, language, len(indices), float(per_row[indices].sum())))
    budget = mixture.budget
    try:
        plan = plan_mixture(
            cells,
            mixture.sampling,
            budget.unit if budget else "rows",
            budget.amount if budget else None,
            mixture.max_epochs,
            family_of,
        )
    except PlanProblem as problem:
        raise ManifestError(source, [Problem(problem.where, str(problem))]) from None
    selections = {key: select(sizes[key], plan.cells[key], cell_rng(mixture.seed, *key)) for key in rows}
    prepared = Prepared(
        mixture, components, kind, names, features, plan, rows, selections, counter.name if counter else None
    )
    prepared.timings["plan"] = time.perf_counter() - started
    return prepared


def _one_kind(components: list[OpenComponent], source: str) -> str:
    from babelforge.manifest import ManifestError

    kind = components[0].kind
    other = [c for c in components if c.kind != kind]
    if other:
        problems = [
            Problem(
                f"components[{c.index}]",
                f"{c.name} holds {c.kind!r} rows, but {components[0].name} "
                f"holds {kind!r}: a mixture's components are of one kind",
            )
            for c in other
        ]
        raise ManifestError(source, problems)
    return kind


def _counter(mixture):
    from babelforge.llm.tokens import token_counter

    budget = mixture.budget
    return token_counter(budget.tokenizer, budget.tokenizer) if budget and budget.unit == "tokens" else None


def conformed_train(component: OpenComponent, mixture, features, names):
    """The component's train rows in the mixture's layout (:func:`babelforge.mixture_rows.conform`).

    Raises:
        ManifestError: rows whose language no code resolves, under the component's field.
    """
    from babelforge.errors import BabelforgeError
    from babelforge.manifest import ManifestError
    from babelforge.mixture_rows import conform

    spec = mixture.components[component.index]
    try:
        return conform(component.table("train"), component, features, names, spec.language)
    except BabelforgeError as error:
        raise ManifestError(str(mixture._file), [Problem(f"components[{component.index}]", str(error))]) from None


def _by_language(table) -> dict[str, np.ndarray]:
    """Row indices per language, in row order."""
    import pyarrow.compute as pc

    encoded = pc.dictionary_encode(table.column("language")).combine_chunks()
    codes = np.asarray(encoded.indices.to_numpy(zero_copy_only=False))
    order = np.argsort(codes, kind="stable")
    bounds = np.searchsorted(codes[order], np.arange(len(encoded.dictionary) + 1))
    return {
        str(language): order[bounds[i] : bounds[i + 1]] for i, language in enumerate(encoded.dictionary.to_pylist())
    }


def mix(prepared: Prepared, overwrite: bool = False, protected: tuple[Path, ...] = ()) -> dict[str, Any]:
    """Write the mixture's output folder; return its summary (rows per split and language, the plan).

    Raises:
        OutputError: the output path is not babelforge's to write.
        OutputBusyError: another run is writing it.
    """
    from babelforge.mixture_write import write_staged
    from babelforge.workspace import Workspace

    mixture = prepared.mixture
    folders = [c.folder.path for c in prepared.components if c.folder is not None]
    workspace = Workspace(
        mixture.output.path, protected=(*protected, *folders), overwrite=overwrite, read_folders=folders
    )
    with workspace.open():
        try:
            staging = workspace.attempt_dir / "final"
            summary = write_staged(prepared, staging)
            workspace.publish(staging)
        finally:  # a mixture has nothing to resume: its work folder goes, whatever happened
            workspace.close(remove_work=True)
    summary["output"] = workspace.output
    summary["notes"] = list(workspace.notes)
    return summary
