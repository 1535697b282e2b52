"""One inverse per scoring method (issue 13): simulated years score as the data do, for every method.

With noise, shocks and the budget link off, a simulation rebuilds each year's raw values from the
data's own scores through the inverse of each method's scorer; the property tests below draw the
method's parameters and the data and check that every simulated year reproduces the data's
indicator scores, year after year (exactly for continuous methods; discrete methods land on their
own levels, so exactly too).
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

import perfsim
from perfsim.inverse import build_inverse
from perfsim.population import BehaviourModel
from perfsim.scoring import make_scorer
from perfsim.simulate import simulate

from conftest import leaf, make_scheme

QUIET = BehaviourModel(year_sd=0, default_noise=0, rater_noise={}, capacity_elasticity=0, veto_events="fixed")
N = 12
finite = {"allow_nan": False, "allow_infinity": False}


def _floats(low: float, high: float) -> st.SearchStrategy[float]:
    return st.floats(low, high, **finite).map(lambda x: round(x, 3))


@st.composite
def method_case(draw: st.DrawFn) -> tuple[dict, float, str, dict[str, list]]:
    """A leaf method with drawn parameters, its points, direction and N units' data."""
    points = draw(st.sampled_from([5.0, 10.0, 20.0, 100.0]))
    kind = draw(
        st.sampled_from(
            [
                "score",
                "completion_ratio",
                "per_unit",
                "quantity_decrement",
                "veto_scoring",
                "base_add_subtract",
                "cumulative",
                "direct_deduction",
                "bands",
                "lookup",
                "tier_points",
                "rubric_5pt",
                "time_limit",
            ]
        )
    )
    direction = "higher"
    values = st.lists
    data: dict[str, list] = {}
    if kind == "score":
        scale = draw(_floats(1, 1000))
        method = {"method": "score", "scale": scale}
        data["x"] = draw(values(_floats(0, scale), min_size=N, max_size=N))
    elif kind in ("completion_ratio", "per_unit"):
        direction = draw(st.sampled_from(["higher", "lower"]))
        cap = draw(st.sampled_from([1.0, 1.2, 1.5]))
        if kind == "per_unit":
            method = {"method": "completion_ratio", "standard": "per_unit", "cap": cap}
            std = draw(values(_floats(1, 500), min_size=N, max_size=N))
            data["x.standard"] = std
            data["x"] = [s * draw(_floats(0.05, 2.5)) for s in std]
        else:
            std1 = draw(_floats(1, 500))
            method = {"method": "completion_ratio", "standard": std1, "cap": cap}
            data["x"] = draw(values(_floats(0.05 * std1, 2.5 * std1), min_size=N, max_size=N))
    elif kind == "quantity_decrement":
        direction = draw(st.sampled_from(["higher", "lower"]))
        target = draw(_floats(-100, 100))
        method = {"method": "quantity_decrement", "target": target, "decrement": draw(_floats(0.1, 10))}
        data["x"] = draw(values(_floats(target - 60, target + 60), min_size=N, max_size=N))
    elif kind == "veto_scoring":
        method = {"method": "veto_scoring"}
        data["x"] = draw(values(st.integers(0, 3), min_size=N, max_size=N))
    elif kind == "base_add_subtract":
        direction = draw(st.sampled_from(["higher", "lower"]))
        target = draw(_floats(-50, 50))
        method = {
            "method": "base_add_subtract",
            "target": target,
            "base": draw(_floats(0, points)),
            "add_per_unit": draw(_floats(0, 5)),
            "subtract_per_unit": draw(_floats(0, 5)),
        }
        data["x"] = draw(values(_floats(target - 40, target + 40), min_size=N, max_size=N))
    elif kind == "cumulative":
        method = {"method": "cumulative", "per_event": draw(_floats(0.5, points))}
        data["x"] = draw(values(st.integers(0, 40), min_size=N, max_size=N))
    elif kind == "direct_deduction":
        method = {
            "method": "direct_deduction",
            "per_violation": draw(_floats(0.5, points)),
            "floor": draw(_floats(0, points / 2)),
        }
        data["x"] = draw(values(st.integers(0, 30), min_size=N, max_size=N))
    elif kind == "bands":
        mins = sorted(draw(st.lists(_floats(-50, 150), min_size=1, max_size=4, unique=True)), reverse=True)
        bands = []
        for m in mins:
            if draw(st.booleans()):
                low = draw(_floats(0, points))
                band_points: object = [low, draw(_floats(low, points))]
            else:
                band_points = draw(_floats(0, points))
            bands.append({"min": m, "min_inclusive": draw(st.booleans()), "points": band_points})
        if draw(st.booleans()):
            bands.append({"points": draw(_floats(0, points))})
        method = {
            "method": "bands",
            "bands": bands,
            "pick": draw(st.sampled_from(["low", "mid", "high", "interpolate"])),
        }
        data["x"] = draw(values(_floats(-80, 180), min_size=N, max_size=N))
    elif kind == "lookup":
        labels = ["优秀", "良好", "合格", "基本合格", "不合格"][: draw(st.integers(2, 5))]
        method = {"method": "lookup", "map": {name: draw(_floats(0, points)) for name in labels}}
        data["x"] = draw(values(st.sampled_from(labels), min_size=N, max_size=N))
    elif kind == "tier_points":
        k = draw(st.integers(1, 4))
        method = {
            "method": "tier_points",
            "tiers": {i: draw(_floats(0, points)) for i in range(1, k + 1)},
            "other": draw(_floats(0, points)),
        }
        data["x"] = draw(values(st.integers(1, k + 2), min_size=N, max_size=N))
    elif kind == "rubric_5pt":
        two = draw(st.integers(0, 4))
        method = {
            "method": "rubric_5pt",
            "flaws_two_up_to": two,
            "flaws_zero_from": draw(st.integers(two + 1, 8)),
            "errors_one_up_to": draw(st.integers(0, 3)),
        }
        data["x"] = draw(values(st.integers(1, 5), min_size=N, max_size=N))
        data["x.count"] = draw(values(st.integers(0, 9), min_size=N, max_size=N))
    else:
        limit = draw(_floats(1, 120))
        method = {"method": "time_limit", "limit": limit}
        data["x"] = draw(values(_floats(0, 2 * limit), min_size=N, max_size=N))
    return method, points, direction, data


def _one_leaf(method: dict, points: float, direction: str, data: dict[str, list]):
    scheme = make_scheme([leaf("x", points, method, direction=direction)], total=points)
    compiled = perfsim.compile_scheme(scheme)
    frame = pd.DataFrame({"unit": [f"u{i:02d}" for i in range(N)], **data})
    return compiled, perfsim.load_units(frame, compiled)


NOT_MONOTONE = (  # an interpolating band whose points span the fixed points of the band below it
    {
        "method": "bands",
        "bands": [
            {"min": 2.0, "min_inclusive": False, "points": 0.0},
            {"min": 0.5, "min_inclusive": False, "points": [0.0, 2.0]},
            {"min": 0.0, "min_inclusive": False, "points": 1.0},
        ],
        "pick": "interpolate",
    },
    5.0,
    "higher",
    {"x": [0.0, 0.25, 0.75, 1.0, 1.5, 2.5, 0.0, 1.0, 0.0, 0.0, 0.0, 1.0]},
)


@given(method_case(), st.integers(0, 2**31))
@example(NOT_MONOTONE, 0)
@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
def test_quiet_simulated_years_reproduce_the_datas_indicator_scores(case, seed):
    """Every method, its parameters drawn: with noise, shocks and budget effects off, each simulated
    year scores each unit exactly as the data do (the data's scores are levels of the method)."""
    method, points, direction, data = case
    compiled, units = _one_leaf(method, points, direction, data)
    ev = perfsim.evaluate(compiled, units)
    sim = simulate(compiled, units, years=4, draws=3, seed=seed, model=QUIET, workers=1)
    expected = np.broadcast_to(ev.total[0], sim.total.shape)
    assert np.allclose(sim.total, expected, rtol=0, atol=1e-6), (method, ev.total[0], sim.total[:, 0])


@given(method_case(), st.floats(0, 1.5, **finite))
@settings(max_examples=300, deadline=None)
def test_the_inverse_earns_its_target_or_its_neighbouring_levels_on_average(case, target):
    """Any target: continuous methods earn it exactly (within their range); discrete ones dither between
    the two neighbouring levels so that the mean score is the target."""
    method, points, direction, _ = case
    node = make_scheme([leaf("x", points, method, direction=direction)], total=points).classes[0].indicators[0]
    inverse = build_inverse(node, points)
    inverse.verify(node, points)
    scorer = make_scorer(node, points)
    draws = 20_000
    u = np.random.default_rng(0).random(draws)
    got = scorer(inverse(np.full(draws, target), u))
    if inverse.completion is not None:
        reachable = min(max(target, 1e-6 if direction == "lower" else 0.0), inverse.completion[2])
    else:
        reachable = min(max(target, inverse.fractions[0]), inverse.fractions[-1])
    assert abs(got.mean() - reachable) < 0.02 + 1e-9
    if not inverse.discrete:
        assert np.allclose(got, reachable, atol=1e-9)


def test_rubric_level_three_is_reached_where_it_scores():
    """The old rebuild made level 3 need quality ≥ 70 although it scores 60 %: employee-rubric decayed."""
    node = make_scheme([leaf("x", 10, {"method": "rubric_5pt"})], total=10).classes[0].indicators[0]
    inverse = build_inverse(node, 10)
    raw = inverse(np.array([0.6, 0.8, 1.0, 0.4]))
    assert list(raw["value"]) == [3, 4, 5, 2]
    assert make_scorer(node, 10)(raw).tolist() == pytest.approx([0.6, 0.8, 1.0, 0.4])


def test_bands_on_a_change_rebuild_values_on_the_bands_own_scale():
    """A % change scored by bands (hospital finance items): a middling score gives a middling change,
    not a value on a 0-100 scale that falls in the top band."""
    bands = [{"min": 0, "points": 10}, {"min": -5, "points": 7}, {"min": -10, "points": 4}, {"points": 0}]
    node = make_scheme([leaf("x", 10, {"method": "bands", "bands": bands})], total=10).classes[0].indicators[0]
    raw = build_inverse(node, 10)(np.array([0.7, 0.4, 0.0, 1.0]))["value"]
    assert -5 <= raw[0] < 0 and -10 <= raw[1] < -5 and raw[2] < -10 and raw[3] >= 0


def test_employee_rubric_does_not_decay_on_its_own():
    """Issue 13: with noise, shocks and budget effects off the employee rubric keeps its mean and its 不合格."""
    from perfsim.scenario import load_scenario

    from conftest import SCENARIOS

    sc = load_scenario(SCENARIOS / "employee-rubric.yaml")
    ev = perfsim.evaluate(sc.compiled, sc.data)
    sim = simulate(sc.compiled, sc.data, years=6, draws=4, seed=3, model=QUIET, workers=1)
    assert np.allclose(sim.total, ev.total[0], atol=1e-6)
    assert np.array_equal(sim.grade, np.broadcast_to(ev.grade[0], sim.grade.shape))
