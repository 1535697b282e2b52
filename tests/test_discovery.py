"""Scenario discovery (PRIM boxes) and Pareto fronts, checked by counting over the samples."""

from __future__ import annotations

import numpy as np
import pytest

import perfsim
from perfsim.analysis.discovery import discover
from perfsim.analysis.metrics import money
from perfsim.analysis.pareto import non_dominated, pareto
from perfsim.errors import ParameterError
from perfsim.scenario import load_scenario

from conftest import ROOT


@pytest.fixture(scope="module")
def housing():
    """篇二's housing projects, on generated (simulated) project data: 差 loses part of next year's budget."""
    return load_scenario(ROOT / "scenarios" / "county-housing-projects.yaml")


@pytest.fixture(scope="module")
def found(housing):
    return discover(housing.compiled, housing.data, "budget<-50", ["rate:*=-60..0", "cutoff:*"], n=1000, max_boxes=3)


def test_boxes_state_coverage_and_density_that_counting_reproduces(found):
    samples = found.samples
    bad = samples["bad"].to_numpy()
    assert 0 < bad.sum() < bad.size
    assert found.boxes, "PRIM finds at least one box"
    taken = np.zeros(bad.size, dtype=bool)
    for box in found.boxes:
        inside = ~taken
        for name, (lo, hi) in box.limits.items():
            inside &= (samples[name].to_numpy() >= lo) & (samples[name].to_numpy() <= hi)
        assert box.samples == inside.sum()
        assert box.bad == bad[inside].sum()
        assert box.coverage == pytest.approx(bad[inside].sum() / bad.sum())
        assert box.density == pytest.approx(bad[inside].mean())
        assert box.mass == pytest.approx(inside.sum() / bad.size)
        taken |= inside


def test_bad_flags_are_the_stated_outcome_re_evaluated(housing, found):
    """A few samples re-evaluated one by one with evaluate: the bad flag is the budget cut below −50 万元."""
    compiled, data = housing.compiled, housing.data
    base = money(perfsim.evaluate(compiled, data)).next_budget[0].sum()
    params = [c for c in found.samples.columns if ":" in c]
    for i in (0, 17, 404, 999):
        row = found.samples.iloc[i]
        ev = perfsim.evaluate(compiled, data, {p: [row[p]] for p in params})
        net = money(ev).next_budget[0].sum() - base
        assert row["outcome"] == pytest.approx(net, abs=0.01)
        assert bool(row["bad"]) == (net < -50 * 10_000)


def test_sampled_cutoffs_stay_in_order(found):
    s = found.samples
    assert (s["cutoff:优"] >= s["cutoff:良"]).all() and (s["cutoff:良"] >= s["cutoff:中"]).all()


def test_box_words_in_one_language(found):
    zh, en = found.text("zh"), found.text("en")
    assert "覆盖" in zh and "covers" in en
    assert "covers" not in zh and "覆盖" not in en


def test_too_few_samples_is_a_clear_error(housing):
    with pytest.raises(ParameterError, match="at least 20 samples"):
        discover(housing.compiled, housing.data, "budget<-50", ["rate:*"], n=5)


def test_pareto_front_is_exactly_the_undominated_samples(housing):
    got = pareto(housing.compiled, housing.data, ["max:优", "min:budget"], ["rate:*=-60..0", "cutoff:*"], n=257)
    table = got.table
    a, b = -table["max:优"].to_numpy(), table["min:budget"].to_numpy()  # both to minimise
    for i in range(len(table)):
        beaten = ((a <= a[i]) & (b <= b[i]) & ((a < a[i]) | (b < b[i]))).any()
        assert bool(table["front"].iloc[i]) == (not beaten)
    assert table["as written"].iloc[0] and table["as written"].sum() == 1
    assert len(got.front) >= 1


def test_non_dominated_on_a_hand_example():
    costs = np.array([[1, 5], [2, 2], [3, 1], [3, 3], [1, 5]], dtype=float)
    assert non_dominated(costs).tolist() == [True, True, True, False, True]


def test_pareto_needs_two_objectives(housing):
    with pytest.raises(ParameterError, match="two objectives"):
        pareto(housing.compiled, housing.data, ["min:优"], ["cutoff:*"])
    with pytest.raises(ParameterError, match="cannot read the objective"):
        pareto(housing.compiled, housing.data, ["least:优", "min:budget"], ["cutoff:*"])
