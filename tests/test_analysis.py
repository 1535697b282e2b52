"""What-if analysis (issue 5): analytic truth, structure-preserving sampling, cliffs, stability, errors."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import perfsim
from perfsim import analysis as a

from conftest import label, leaf, make_scheme, run


def linear_unit(weights):
    scheme = make_scheme([leaf(f"x{i}", w) for i, w in enumerate(weights)], clamp={"min": None, "max": None})
    compiled = perfsim.compile_scheme(scheme)
    data = perfsim.load_units(pd.DataFrame([{"unit": "u", **{f"x{i}": 0 for i in range(len(weights))}}]), compiled)
    return compiled, data


def test_sobol_matches_analytic_indices_of_a_linear_sum():
    weights = [40, 30, 20, 10]
    compiled, data = linear_unit(weights)
    factors = [a.Factor(f"value:x{i}", 0, 100) for i in range(len(weights))]
    result = a.sobol(compiled, data, factors, 1024, outputs={"total": lambda ev: ev.total[:, 0]}, seed=3)
    truth = np.square(weights) / np.square(weights).sum()  # equal variances: w_i² / Σ w_j²
    assert np.all(np.abs(result["S1"] - truth) <= result["S1_conf"] + 0.01)
    assert np.all(np.abs(result["ST"] - truth) <= result["ST_conf"] + 0.01)  # additive: ST = S1


def test_sobol_groups_and_small_sample_errors(qitai):
    compiled, data = qitai
    with pytest.raises(perfsim.ParameterError, match="too small"):
        a.sobol(compiled, data, a.weight_factors(compiled), 32)
    with pytest.raises(perfsim.ParameterError, match="low < high"):
        a.sobol(compiled, data, [a.Factor("cutoff:优秀", 95, 85)], 64)
    result = a.sobol(compiled, data, a.weight_factors(compiled), 64)
    assert set(result["factor"]) == {f"{t.class_id}/{t.parent}" for t in a.tiers(compiled)}


def test_morris_ranks_the_influential_cutoff_first(qitai):
    compiled, data = qitai
    factors = [a.Factor("cutoff:合格", 60, 80), a.Factor("cap:complaints", 1.9, 2.1)]
    result = a.morris(compiled, data, factors, 20)
    share = result[result.output.str.startswith("share")].set_index("factor")
    assert share.loc["cutoff:合格", "mu_star"] > share.loc["cap:complaints", "mu_star"]


@pytest.mark.parametrize("method", ["dirichlet", "uniform"])
def test_tier_preserving_sampler_keeps_sums_and_means(qitai, method):
    compiled, _ = qitai
    draws = a.sample_weights(compiled, 20_000, method=method, concentration=50, spread=0.3, seed=1)
    for tier in a.tiers(compiled):
        block = np.stack([draws[p] for p in tier.params], axis=1)
        assert np.all(block >= 0)
        assert np.allclose(block.sum(axis=1), tier.total, rtol=0, atol=1e-9)
        if method == "dirichlet":
            se = block.std(axis=0) / np.sqrt(len(block))
            assert np.all(np.abs(block.mean(axis=0) - tier.nominal) <= 4 * se + 1e-12)


def test_sweep_renormalises_siblings_and_says_so(qitai):
    compiled, data = qitai
    frame = a.sweep(compiled, data, "points:department/public", [5, 10, 20])
    assert "rescaled" in frame["note"].iloc[0]
    moves = a.renormalised(compiled, "points:department/public", [20])
    assert moves["points:department/key"][0] == pytest.approx(80)
    assert frame["grade changes"].iloc[1] == 0  # 10 is the nominal weight
    with pytest.raises(perfsim.ParameterError, match="did you mean"):
        a.sweep(compiled, data, "points:department/publik", [1])
    with pytest.raises(perfsim.ParameterError, match=r"\[0, 100\]"):
        a.sweep(compiled, data, "points:department/public", [150])
    with pytest.raises(perfsim.ParameterError, match="must lie in"):
        a.sweep(compiled, data, "quota:优秀", [0.2]) if "quota:优秀" in compiled.parameters else a.sweep(
            compiled, data, "cutoff:优秀", [120]
        )


def test_tornado_orders_by_swing(qitai):
    compiled, data = qitai
    frame = a.tornado(compiled, data, [("cutoff:合格", 60, 80), ("cap:complaints", 1.9, 2.1)])
    assert list(frame["parameter"]) == ["cutoff:合格", "cap:complaints"]
    assert frame["swing"].iloc[0] > 0


def test_pian4_threshold_sweep_excellent_share_is_non_increasing_step(qitai):
    compiled, data = qitai
    values = np.round(np.linspace(80, 100, 201), 9)
    frame = a.threshold_sweep(compiled, data, "优秀", values)
    share = frame["share 优秀"].to_numpy()
    assert np.all(np.diff(share) <= 0)
    ev = perfsim.evaluate(compiled, data)
    steps = np.flatnonzero(np.diff(share))
    totals_pct = set(np.round(ev.total[0] * 100 / compiled.scheme.total, 9))
    for i in steps:  # a step means a unit with cut-off[i] ≤ total < cut-off[i + 1] (bounds are inclusive)
        assert any(values[i] <= t < values[i + 1] for t in totals_pct)


@given(st.lists(st.floats(50, 100).map(lambda x: round(x, 2)), min_size=1, max_size=25), st.floats(0, 3))
@settings(max_examples=60, deadline=None)
def test_near_cutoffs_matches_brute_force(totals, eps):
    scheme = make_scheme([leaf("a", 100)])
    compiled = perfsim.compile_scheme(scheme)
    data = perfsim.load_units(pd.DataFrame({"unit": [f"u{i}" for i in range(len(totals))], "a": totals}), compiled)
    found = a.near_cutoffs(perfsim.evaluate(compiled, data), eps)
    expected = {(f"u{i}", c) for i, t in enumerate(totals) for c in (90, 80, 70) if abs(t - c) <= eps + 1e-9}
    assert set(zip(found["unit"], found["cutoff"].round(9))) == expected


def test_grade_and_indicator_margins_are_exact_edges():
    scheme = make_scheme([leaf("a", 60), leaf("b", 40)])
    _, data, ev = run(scheme, [{"unit": "u", "a": 80, "b": 80}, {"unit": "v", "a": 100, "b": 95}])
    compiled = ev.compiled
    margins = a.grade_margins(ev).set_index("unit")
    assert margins.loc["u", "up"] == pytest.approx(10) and margins.loc["u", "down"] == pytest.approx(0)
    probe = a.indicator_margins(compiled, data, ["a"]).set_index("unit")
    raise_by = probe.loc["u", "raise_by"]
    assert raise_by == pytest.approx(10 / 0.6, rel=1e-6)  # 10 points of total need 16.7 marks on a 60-point item
    frame = pd.DataFrame({"unit": ["u"], "a": [80 + raise_by], "b": [80]})
    assert perfsim.evaluate(compiled, perfsim.load_units(frame, compiled)).grade_labels() == ["优秀"]
    frame.loc[0, "a"] = 80 + raise_by - 1e-6
    assert perfsim.evaluate(compiled, perfsim.load_units(frame, compiled)).grade_labels() == ["良好"]
    assert np.isnan(probe.loc["v", "raise_by"])  # already at the top grade


def test_noise_reliability(qitai):
    compiled, data = qitai
    quiet, confusion0 = a.noise_reliability(compiled, data, {"public": 0.0}, draws=20)
    assert np.all(quiet["P(true grade)"] == 1)
    noisy, confusion = a.noise_reliability(compiled, data, {"public": 15.0}, draws=400, seed=2)
    assert noisy["P(true grade)"].mean() < 1
    truth_counts = quiet["true grade"].value_counts()
    assert np.allclose(confusion.sum(axis=1), [truth_counts.get(g, 0) for g in confusion.index])
    with pytest.raises(perfsim.ParameterError, match="rater or column"):
        a.noise_reliability(compiled, data, {"nobody": 1.0})


def test_rank_stability_extremes():
    base = np.arange(1, 11)
    same = a.rank_stability(base, base[None, :], k=3).iloc[0]
    assert same["spearman"] == pytest.approx(1) and same["kendall"] == pytest.approx(1)
    assert same["mean abs shift"] == 0 and same["top-3 kept"] == 1
    flipped = a.rank_stability(base, base[::-1][None, :], k=3).iloc[0]
    assert flipped["spearman"] == pytest.approx(-1) and flipped["kendall"] == pytest.approx(-1)
    assert flipped["top-3 kept"] == 0


def test_monte_carlo_grade_probabilities(qitai):
    compiled, data = qitai
    mc = a.weight_monte_carlo(compiled, data, 500, seed=4)
    assert np.allclose(mc.grade_probabilities.sum(axis=1), 1)
    ranks = mc.rank_intervals
    assert np.all(ranks["rank p5"] <= ranks["rank p50"]) and np.all(ranks["rank p50"] <= ranks["rank p95"])
    assert mc.budget_loss is None  # 篇四 has no budget rule


def test_compare_reform_with_baseline(qitai):
    compiled, data = qitai
    base = perfsim.evaluate(compiled, data, ranks=True)
    reform = perfsim.evaluate(compiled, data, {"cutoff:优秀": 85.0}, ranks=True)
    result = a.compare(base, reform)
    assert result.transitions.to_numpy().sum() == len(data)
    assert result.summary["grade changes"] == len(result.changed)
    assert set(result.changed["reform grade"]) == {"优秀"} and result.summary["down"] == 0


def test_gaming_raises_score_relative_to_truth(qitai):
    compiled, data = qitai
    frame = a.gaming_check(compiled, data, [0.0, 1.0], shift=20, inefficiency=0.0)
    assert frame["grade changes"].iloc[0] == 0
    gap = frame["mean score"] - frame["mean true performance"]
    assert gap.iloc[1] > gap.iloc[0]  # measured score pulls away from true performance


def test_budget_outcomes_in_sweeps():
    scheme = make_scheme(
        [leaf("a", 100)],
        attributes=[{"id": "budget", "name": label("预算")}],
        consequences={"budget": {"amount": "budget", "by_grade": {"不合格": {"percent": -10}}}},
    )
    compiled, data, _ = run(scheme, [{"unit": f"u{i}", "a": 60 + 5 * i, "budget": 1000} for i in range(6)])
    frame = a.sweep(compiled, data, "cutoff:合格", [60, 70, 80])
    assert list(frame["units losing budget"]) == [0, 2, 4]
    assert list(frame["budget cut"]) == [0, 200, 400]
    mc = a.weight_monte_carlo(compiled, data, 10)
    assert mc.budget_loss is not None and list(mc.budget_loss.round(6)) == [1, 1, 0, 0, 0, 0]
