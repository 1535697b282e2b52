"""What-if analysis (issue 5): analytic truth, structure-preserving sampling, cliffs, stability, errors."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import perfsim
from perfsim import analysis as a
from perfsim.analysis.weights import fit_tier

from conftest import ROOT, label, leaf, make_scheme, run


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


@settings(max_examples=60, deadline=None)
@given(
    rows=st.lists(
        st.lists(st.floats(0, 1e3, allow_subnormal=False), min_size=3, max_size=3).filter(lambda r: sum(r) > 1e-6),
        min_size=1,
        max_size=8,
    ),
    total=st.floats(1, 200),
)
def test_property_fit_tier_keeps_the_tier_sum_and_the_proportions(rows, total):
    # review finding 5: the one tier-sum helper used by the sampler, reach's levers and its instability draws
    tier = a.Tier("all", "(total)", ("points:x", "points:y", "points:z"), (total / 2, total / 4, total / 4))
    points = np.array(rows)
    fitted = fit_tier(tier, points.copy())
    assert np.all(fitted >= 0)
    assert np.allclose(fitted.sum(axis=1), total, rtol=1e-12, atol=0)
    expected = points * (total / points.sum(axis=1, keepdims=True))
    assert np.allclose(fitted, expected, rtol=1e-9, atol=1e-9 * total)


def test_reach_levers_keep_every_tier_sum_through_the_shared_helpers(qitai):
    from perfsim.analysis.reach_levers import parse_levers

    compiled, _ = qitai
    free = parse_levers(["weights:*"], compiled, None)
    one = parse_levers(["points:department/public"], compiled, None)
    rng = np.random.default_rng(3)
    for levers in (free, one):
        values = levers.decode(rng.uniform(0, 1, (50, sum(b.size for b in levers.blocks))))
        for tier in a.tiers(compiled):
            if all(p in values for p in tier.params):
                block = np.stack([np.broadcast_to(values[p], 50) for p in tier.params], axis=1)
                assert np.all(block >= 0)
                assert np.allclose(block.sum(axis=1), tier.total, rtol=0, atol=1e-9)


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
    frame = a.tornado(compiled, data, [("cap:complaints", 1.9, 2.1), ("cutoff:合格", 60, 80)])
    # the main measure of a band scheme first; 篇四 pays bonus months, so pay is a measure too
    measures = ["units changing grade", "share 不合格", "mean |rank shift|", "net pay change", "gross pay moved"]
    assert list(frame["measure"].drop_duplicates()) == measures
    main = frame[frame["measure"] == "units changing grade"]
    assert list(main["parameter"]) == ["cutoff:合格", "cap:complaints"]
    assert main["swing"].iloc[0] > 0
    assert set(frame["parameter"]) == {"cutoff:合格", "cap:complaints"}
    for _, rows in frame.groupby("measure"):  # every panel keeps the same lever order
        assert list(rows["parameter"]) == ["cutoff:合格", "cap:complaints"]
    only = a.tornado(compiled, data, [("cutoff:合格", 60, 80)], metric="share 不合格")
    assert list(only["measure"]) == ["share 不合格"] and only["at high"].iloc[0] > only["nominal"].iloc[0]
    with pytest.raises(perfsim.ParameterError, match="unknown outcome"):
        a.tornado(compiled, data, [("cutoff:合格", 60, 80)], metric="share 差")


def test_tornado_on_a_rank_tier_scheme_is_never_flat_for_a_lever_that_moves_ranks():
    """Issue 12: grade shares are fixed by rank tiers, so a share tornado was flat for every lever."""
    from perfsim.scenario import find_file, load_scenario

    sc = load_scenario(find_file(str(ROOT / "scenarios" / "transport-bureau.yaml")))
    compiled, data = sc.compiled, sc.data
    levers = [(lever.parameter, lever.low, lever.high) for lever in sc.spec.analysis.levers]
    frame = a.tornado(compiled, data, levers)
    assert a.main_measure(compiled) == "mean |rank shift|" == frame["measure"].iloc[0]
    assert not frame["measure"].str.startswith("share ").any()  # the tiers fix every share
    ranks = frame[frame["measure"] == "mean |rank shift|"].set_index("parameter")
    for parameter, low, high in levers:
        ev = perfsim.evaluate(compiled, data, a.sweeps._moves(compiled, parameter, [low, high])[0], ranks=True)
        nominal = perfsim.evaluate(compiled, data, ranks=True)
        moves_ranks = bool((ev.rank != nominal.rank).any())
        assert (ranks.loc[parameter, "swing"] > 0) == moves_ranks, parameter
    assert (ranks["swing"] > 0).any()


def test_change_measures_count_grades_ranks_and_money():
    scheme = make_scheme(
        [leaf("a", 100)],
        attributes=[{"id": "budget", "name": label("预算")}],
        consequences={  # cuts return to the treasury: no envelope shares them out again
            "budget": {"amount": "budget", "by_grade": {"不合格": {"percent": -10}}, "envelope": {"treasury": True}}
        },
    )
    compiled, data, _ = run(scheme, [{"unit": f"u{i}", "a": 60 + 5 * i, "budget": 1000} for i in range(6)])
    base = perfsim.evaluate(compiled, data, ranks=True)
    moved = perfsim.evaluate(compiled, data, {"cutoff:合格": [60, 80]}, ranks=True)
    frame = a.change_measures(moved, base)
    assert list(frame["units changing grade"]) == [2, 2]  # u0, u1 pass at 60; u2, u3 fail at 80
    assert list(frame["mean |rank shift|"]) == [0, 0]  # a cut-off moves no rank
    assert list(frame["net budget change"]) == [200, -200]
    assert list(frame["gross budget moved"]) == [200, 200]
    assert "net pay change" not in frame
    with pytest.raises(ValueError, match="ranks=True"):
        a.change_measures(perfsim.evaluate(compiled, data), base)
    swept = a.sweep(compiled, data, "cutoff:合格", [60, 80])
    assert list(swept["units changing grade"]) == [2, 2] and list(swept["net budget change"]) == [200, -200]
    weights = a.change_measures(perfsim.evaluate(compiled, data, {"cutoff:合格": 70}, ranks=True), base)
    assert weights.iloc[0].tolist() == [0, 0, 0, 0]


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


def test_indicator_margins_stay_within_each_methods_scale():
    """Issue 12: 80.5 + 28.85 on a 100-point mark was offered as a margin; a mark ends at its scale."""
    scheme = make_scheme([leaf("a", 60), leaf("b", 40)])
    rows = [{"unit": "w", "a": 80.5, "b": 60}, {"unit": "x", "a": 80.5, "b": 20}]
    compiled, data, _ = run(scheme, rows)
    assert a.value_bounds(compiled, "a") == (0.0, 100.0, False)
    probe = a.indicator_margins(compiled, data, ["a"]).set_index("unit")
    assert probe.loc["w", "raise_by"] == pytest.approx((80 - 72.3) / 0.6, rel=1e-6)  # 合格 → 良好 within the scale
    assert np.isnan(probe.loc["x", "raise_by"])  # 70 would need a mark of 103.3
    assert (probe["value"] + probe["raise_by"].fillna(0) <= 100).all()
    assert (probe["value"] - probe["lower_by"].fillna(0) >= 0).all()


def test_indicator_margins_of_whole_number_columns_are_whole():
    rubric = leaf("r", 50, {"method": "rubric_5pt"})
    scheme = make_scheme([rubric, leaf("a", 50)])
    rows = [
        {"unit": "u", "r": 3, "r.count": 0, "a": 80},  # 30 + 40 = 70: 合格, one level more is 80: 良好
        {"unit": "v", "r": 3, "r.count": 0, "a": 78},  # 69: a tenth of a level would do, a level is the least
        {"unit": "w", "r": 5, "r.count": 0, "a": 40},  # at the top level already
    ]
    compiled, data, _ = run(scheme, rows)
    assert a.value_bounds(compiled, "r") == (1.0, 5.0, True)
    assert a.value_bounds(compiled, "r.count") == (0.0, np.inf, True)
    probe = a.indicator_margins(compiled, data, ["r"]).set_index("unit")
    assert probe.loc["u", "raise_by"] == 1 and probe.loc["v", "raise_by"] == 1
    assert np.isnan(probe.loc["w", "raise_by"])
    assert probe.loc["u", "lower_by"] == 1  # 60: 不合格


def test_a_mark_above_its_scale_is_refused_through_values_as_in_a_file(qitai):
    compiled, data = qitai
    marks = data.values["public"].copy()
    marks[3] = 100.5
    with pytest.raises(perfsim.ParameterError, match=r"mark 100\.5 of unit U004 is outside the scale of 0 to 100"):
        perfsim.evaluate(compiled, data, values={"public": marks})
    with pytest.raises(perfsim.ParameterError, match="outside the scale"):
        perfsim.evaluate(compiled, data, values={"public": np.tile(marks.clip(0, 100), (2, 1)) - 101})
    frame = pd.DataFrame({"unit": ["u"], "a": [100.5]})
    with pytest.raises(perfsim.DataError, match="above the scale"):
        perfsim.load_units(frame, perfsim.compile_scheme(make_scheme([leaf("a", 100)])))
    # a systematic error in a global sensitivity analysis stops at the scale instead
    factors = [a.Factor("value:public", -20.0, 20.0)]
    ev = a.gsa._evaluate_rows(compiled, data, factors, np.array([[20.0], [-20.0]]))
    top = data.values["public"] == data.values["public"].max()
    assert np.isfinite(ev.total).all() and top.any()


def test_tier_boundaries_pair_the_units_across_each_tier_edge():
    from perfsim.scenario import find_file, load_scenario

    sc = load_scenario(find_file(str(ROOT / "scenarios" / "transport-bureau.yaml")))
    ev = perfsim.evaluate(sc.compiled, sc.data)
    edges = a.tier_boundaries(ev)
    grades = [g.zh for g in sc.compiled.grades]
    assert len(edges) == 2 * 3  # two groups, four tiers each: three edges per group
    assert (edges["gap"] >= 0).all() and edges["gap"].is_monotonic_increasing
    assert all(grades.index(lo) == grades.index(up) + 1 for up, lo in zip(edges["upper grade"], edges["lower grade"]))
    totals = dict(zip(sc.data.units, ev.total[0]))
    assert np.allclose(edges["gap"], [totals[u] - totals[w] for u, w in zip(edges["upper unit"], edges["lower unit"])])


def test_yearly_measures_and_summary_text(qitai):
    from perfsim.simulate import simulate

    compiled, data = qitai
    sim = simulate(compiled, data, years=3, draws=8, seed=2)
    yearly = a.yearly_measures(sim)
    assert list(yearly["year"]) == [1, 2, 3]
    assert a.yearly_main_measures(compiled) == ["pay total", "units changing grade from last year"]
    for measure in ("pay total", "units changing grade from last year", "money moved"):
        assert (yearly[f"{measure} p5"] <= yearly[measure] + 1e-9).all()
        assert (yearly[measure] <= yearly[f"{measure} p95"] + 1e-9).all()
    assert "budget total" not in yearly
    assert yearly["units changing grade from last year"].gt(0).any()  # yearly shocks move grades
    base = perfsim.evaluate(compiled, data, ranks=True)
    result = a.compare(base, perfsim.evaluate(compiled, data, {"cutoff:优秀": 85.0}, ranks=True))
    text = a.summary_text(result.summary, "zh")
    assert f"等次变化：{len(result.changed)} 个单位（升 {len(result.changed)}，降 0）" in text
    assert "绩效工资净变化：+" in text and "万元" in text
    english = a.summary_text(result.summary, "en")
    assert "units changing grade" in english and "CNY 10k" in english and "万" not in english


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
        consequences={  # cuts return to the treasury: no envelope shares them out again
            "budget": {"amount": "budget", "by_grade": {"不合格": {"percent": -10}}, "envelope": {"treasury": True}}
        },
    )
    compiled, data, _ = run(scheme, [{"unit": f"u{i}", "a": 60 + 5 * i, "budget": 1000} for i in range(6)])
    frame = a.sweep(compiled, data, "cutoff:合格", [60, 70, 80])
    assert list(frame["units losing budget"]) == [0, 2, 4]
    assert list(frame["budget cut"]) == [0, 200, 400]
    mc = a.weight_monte_carlo(compiled, data, 10)
    assert mc.budget_loss is not None and list(mc.budget_loss.round(6)) == [1, 1, 0, 0, 0, 0]
