"""A mixture's plan: how much of the budget each language, and each component's rows of it, receive.

Pure arithmetic on sizes (rows, or tokens of the budget's tokenizer): no rows are read here, so a plan
for ten million rows takes milliseconds.

1. **Target shares.** By language: share_l ∝ size_l ** T, or explicit shares with the rest by temperature.
   By family: share_f ∝ size_f ** T (or explicit), then within a family share_l ∝ size_l ** T.
2. **Epoch cap.** A language gets at most ``max_epochs`` × its size. What a capped language cannot take
   goes to the others in proportion to their shares (water-filling), and the plan says so; when every
   language is capped, the mixture is smaller than the budget, and the plan says that too.
3. **Components.** A language's amount is split over the components holding it in proportion to their
   sizes, so every component of a language is taken the same number of epochs. Row budgets are
   apportioned in whole rows (largest remainder), summing to the budget exactly.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field

#: Below this, a share or an amount is nothing.
EPSILON = 1e-9


@dataclass(frozen=True)
class Cell:
    """The rows of one language in one component: how many, and their size in budget units."""

    component: int
    language: str
    rows: int
    size: float


@dataclass
class LanguagePlan:
    language: str
    family: str | None
    size: float
    target: float  # the share sampling asks for
    amount: float = 0.0  # budget units planned
    capped: bool = False

    @property
    def epochs(self) -> float:
        return self.amount / self.size if self.size else 0.0


@dataclass
class MixturePlan:
    """What each language and each cell gets; ``notes`` say where the plan departs from the targets."""

    unit: str
    budget: float
    max_epochs: float | None
    languages: dict[str, LanguagePlan]
    cells: dict[tuple[int, str], float]  # (component, language) -> budget units
    notes: list[str] = field(default_factory=list)

    @property
    def total(self) -> float:
        return sum(self.cells.values())


class PlanProblem(ValueError):
    """Sampling settings that do not fit the components' languages; ``where`` is the manifest field."""

    def __init__(self, where: str, message: str):
        self.where = where
        super().__init__(message)


def split_shares(
    sizes: Mapping[str, float], given: Mapping[str, float] | None, power: float, what: str
) -> dict[str, float]:
    """Shares (summing to 1) for the keys of ``sizes``: ``given`` ones as given, the rest ∝ size ** power.

    Raises:
        PlanProblem: a given key absent from ``sizes``, or given shares below 1 that name every key.
    """
    present = {k: v for k, v in sizes.items() if v > 0}
    given = dict(given or {})
    absent = sorted(k for k in given if k not in present)
    if absent:
        shown = ", ".join(sorted(present))
        raise PlanProblem(
            f"sampling.{what}.{absent[0]}", f"no component holds {', '.join(absent)}: {what} present: {shown}"
        )
    rest = 1.0 - sum(given.values())
    others = [k for k in present if k not in given]
    if given and not others and rest > 1e-6:
        raise PlanProblem(
            f"sampling.{what}", f"{what} sum to {1 - rest:g} and name every one present: make them sum to 1"
        )
    shares = {k: given.get(k, 0.0) for k in present}
    weights = {k: present[k] ** power for k in others}
    total = sum(weights.values())
    for k in others:
        shares[k] = max(rest, 0.0) * weights[k] / total if total else 0.0
    return shares


def target_shares(
    sizes: Mapping[str, float], sampling, family_of: Callable[[str], str | None]
) -> tuple[dict[str, float], dict[str, str | None]]:
    """Each language's target share, and its family (``None`` where Glottolog has none)."""
    families = {language: family_of(language) for language in sizes}
    if sampling.by == "language":
        return split_shares(sizes, sampling.shares, sampling.power, "shares"), families
    groups: dict[str, dict[str, float]] = {}
    for language, size in sizes.items():
        groups.setdefault(families[language] or language, {})[language] = size
    by_family = split_shares(
        {f: sum(g.values()) for f, g in groups.items()}, sampling.families, sampling.power, "families"
    )
    shares = {}
    for family, members in groups.items():
        within = split_shares(members, None, sampling.power, "shares")
        shares.update({language: by_family.get(family, 0.0) * s for language, s in within.items()})
    return shares, families


def water_fill(shares: Mapping[str, float], caps: Mapping[str, float], budget: float) -> dict[str, float]:
    """Amounts ∝ ``shares`` summing to ``budget``, none above its cap; what a capped key cannot take goes to
    the others in proportion to their shares (the sum falls short of ``budget`` only when all are capped)."""
    amounts = {k: 0.0 for k in shares}
    free = {k for k, s in shares.items() if s > EPSILON}
    remaining = budget
    while free:
        weight = sum(shares[k] for k in free)
        over = {k for k in free if remaining * shares[k] / weight > caps[k]}
        if not over:
            amounts.update({k: remaining * shares[k] / weight for k in free})
            break
        for k in over:
            amounts[k] = caps[k]
            remaining -= caps[k]
        free -= over
    return amounts


def largest_remainder(amounts: Mapping[tuple, float], caps: Mapping[tuple, int], total: int) -> dict[tuple, int]:
    """Whole numbers near ``amounts`` summing to ``total`` (or to the caps' sum, if smaller), none above its cap."""
    whole = {k: min(math.floor(v + EPSILON), caps[k]) for k, v in amounts.items()}
    left = min(total, sum(caps.values())) - sum(whole.values())
    order = sorted(amounts, key=lambda k: (-(amounts[k] - whole[k]), k))
    while left > 0:
        moved = 0
        for k in order:
            if left and whole[k] < caps[k]:
                whole[k] += 1
                left -= 1
                moved += 1
        if not moved:
            break
    return whole


def plan_mixture(
    cells: list[Cell],
    sampling,
    unit: str,
    budget: float | None,
    max_epochs: float | None,
    family_of: Callable[[str], str | None],
) -> MixturePlan:
    """The plan for ``cells`` (see the module docstring). ``budget`` ``None``: the cells' total size.

    Raises:
        PlanProblem: shares or families that do not fit the languages present.
    """
    sizes: dict[str, float] = {}
    for cell in cells:
        sizes[cell.language] = sizes.get(cell.language, 0.0) + cell.size
    budget = float(sum(sizes.values()) if budget is None else budget)
    targets, families = target_shares(sizes, sampling, family_of)
    caps = {k: (max_epochs * v if max_epochs else math.inf) for k, v in sizes.items()}
    amounts = water_fill(targets, caps, budget)
    languages = {
        k: LanguagePlan(
            k, families[k], sizes[k], targets[k], amounts[k], bool(max_epochs) and amounts[k] >= caps[k] - EPSILON
        )
        for k in sorted(sizes)
    }
    per_cell = {
        (c.component, c.language): amounts[c.language] * c.size / sizes[c.language] if sizes[c.language] else 0.0
        for c in cells
    }
    if unit == "rows":
        limits = {(c.component, c.language): _row_cap(c.rows, max_epochs) for c in cells}
        per_cell = {k: float(v) for k, v in largest_remainder(per_cell, limits, round(budget)).items()}
        for language in languages.values():
            language.amount = sum(v for (_, lang), v in per_cell.items() if lang == language.language)
    plan = MixturePlan(unit, budget, max_epochs, languages, per_cell)
    plan.notes = plan_notes(plan)
    return plan


def _row_cap(rows: int, max_epochs: float | None) -> int:
    return math.floor(rows * max_epochs + EPSILON) if max_epochs else 10**15


def plan_notes(plan: MixturePlan) -> list[str]:
    """Where the plan departs from the targets: capped languages, what the others took instead, a shortfall."""
    notes = []
    total = plan.total or 1.0
    capped = [p for p in plan.languages.values() if p.capped and p.target * plan.budget > p.amount + 0.5]
    for p in capped:
        wanted = p.target * plan.budget
        notes.append(
            f"{p.language}: capped at max_epochs {plan.max_epochs:g}: {p.amount:,.0f} {plan.unit} "
            f"instead of {wanted:,.0f} (target share {p.target:.1%}, planned {p.amount / total:.1%})"
        )
    shortfall = plan.budget - plan.total
    if capped and shortfall < 0.5:
        moved = sum(p.target * plan.budget - p.amount for p in capped)
        notes.append(f"{moved:,.0f} {plan.unit} the capped languages could not take went to the others")
    if shortfall >= 0.5:
        notes.append(
            f"budget not reached: {plan.total:,.0f} of {plan.budget:,.0f} {plan.unit}: every language is "
            f"at max_epochs {plan.max_epochs:g}; raise max_epochs or lower the budget"
        )
    left_out = [p.language for p in plan.languages.values() if p.target <= EPSILON]
    if left_out:
        notes.append(f"left out (share 0): {', '.join(left_out)}")
    return notes
