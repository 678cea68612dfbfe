"""The mixture plan's arithmetic and row selection, on sizes alone (no outputs): properties and a 10M-row plan."""

import math
import time

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from babelforge.families import all_families, family_of, resolve_family
from babelforge.langs import all_languages
from babelforge.mixture import Sampling
from babelforge.mixture_plan import Cell, PlanProblem, largest_remainder, plan_mixture, split_shares, water_fill
from babelforge.mixture_sample import cell_rng, select

sizes_strategy = st.dictionaries(st.sampled_from(["a", "b", "c", "d", "e"]), st.integers(1, 10_000), min_size=1)


@given(sizes_strategy, st.integers(1, 100_000), st.floats(1, 5))
def test_water_fill_meets_the_budget_and_never_passes_a_cap(sizes, budget, epochs):
    shares = split_shares(sizes, None, 0.5, "shares")
    caps = {k: epochs * v for k, v in sizes.items()}
    amounts = water_fill(shares, caps, budget)
    assert all(amounts[k] <= caps[k] + 1e-6 for k in sizes)
    assert sum(amounts.values()) == pytest.approx(min(budget, sum(caps.values())), rel=1e-9)


@given(st.dictionaries(st.integers(0, 20), st.floats(0, 1000), min_size=1), st.integers(0, 20_000))
def test_largest_remainder_sums_exactly_within_caps(amounts, extra):
    caps = {k: math.floor(v) + 1 for k, v in amounts.items()}
    total = round(sum(amounts.values())) + extra  # a plan's amounts sum to its budget, or less where capped
    whole = largest_remainder(amounts, caps, total)
    assert sum(whole.values()) == min(total, sum(caps.values()))
    assert all(0 <= whole[k] <= caps[k] for k in amounts)


@settings(max_examples=50)
@given(st.integers(1, 500), st.floats(0, 4000), st.integers(0, 2**31))
def test_a_cell_takes_whole_epochs_then_a_sample_and_never_more(rows, amount, seed):
    sizes = np.random.default_rng(seed).integers(1, 40, rows).astype(float)
    selection = select(sizes, amount, cell_rng(seed, 0, "hau_Latn"))
    assert selection.epochs <= math.ceil(amount / sizes.sum()) if amount else selection.epochs == 0
    assert abs(selection.units - amount) <= sizes.max() / 2 + 1e-9
    assert selection.units == pytest.approx(sizes[selection.indices].sum())
    counts = np.bincount(selection.indices, minlength=rows)
    assert counts.max() - counts.min() <= 1  # whole epochs first: no row twice before all once


def test_shares_name_what_is_wrong():
    with pytest.raises(PlanProblem, match="no component holds zul_Latn") as found:
        split_shares({"hau_Latn": 5}, {"zul_Latn": 0.5}, 1, "shares")
    assert found.value.where == "sampling.shares.zul_Latn"
    with pytest.raises(PlanProblem, match=r"sum to 0\.8 and name every one present"):
        split_shares({"a": 5, "b": 5}, {"a": 0.4, "b": 0.4}, 1, "shares")
    assert split_shares({"a": 5, "b": 5}, {"a": 1.0}, 1, "shares") == {"a": 1.0, "b": 0.0}


def test_a_ten_million_row_plan_takes_under_ten_seconds():
    rng = np.random.default_rng(0)
    languages = [lang.code for lang in all_languages()[:40]]
    cells = [
        Cell(i, lang, int(rows), float(rows))
        for i, (lang, rows) in enumerate(zip(languages, rng.integers(1_000, 500_000, 40), strict=True))
    ]
    started = time.perf_counter()
    plan = plan_mixture(cells, Sampling(temperature=0.3), "rows", 10_000_000, 4, family_of)
    taken = 0
    for c in cells:
        taken += len(
            select(np.ones(c.rows), plan.cells[c.component, c.language], cell_rng(1, c.component, c.language)).indices
        )
    assert time.perf_counter() - started < 10
    assert taken == 10_000_000


def test_every_language_babelforge_knows_has_a_family():
    assert all(family_of(lang.code) for lang in all_languages())
    assert family_of("hau_Latn") == "Afro-Asiatic"
    assert family_of("yo") == family_of("swh_Latn") == "Atlantic-Congo"
    assert (
        family_of("pcm") == "Indo-European"
    )  # outside the table, by ISO code: Glottolog puts creoles with their lexifier
    assert resolve_family("indo-european") == "Indo-European"
    assert "Austronesian" in all_families()
