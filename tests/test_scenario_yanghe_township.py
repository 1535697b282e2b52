"""篇八 Yanghe township scenario: rules checked on the scenario's own data."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest

import perfsim
from perfsim.consequences import apply_consequences
from perfsim.scenario import load_scenario

from conftest import SCENARIOS

# stated defaults: the quantified part (l.360-361) and the social part (l.362-363)
QUANTIFIED = {"economy": 25, "harmony": 20, "urban_rural": 15, "self_building_q": 10}
SOCIAL = {"decisions": 10, "interests": 8, "disputes": 7, "self_building_s": 5}


@pytest.fixture(scope="module")
def scenario():
    return load_scenario(SCENARIOS / "yanghe-township.yaml")


@pytest.fixture(scope="module")
def evaluation(scenario):
    return perfsim.evaluate(scenario.compiled, scenario.data, detail=True)


@pytest.fixture(scope="module")
def rows():
    return pd.read_csv(SCENARIOS / "data" / "yanghe-township.csv").set_index("unit")


def half_up(x: float, places: int = 2) -> float:
    return math.floor(x * 10**places + 0.5 + 1e-9) / 10**places


def parts_by_hand(row) -> tuple[float, float]:
    """Quantified areas: % of the annual plan, capped at full points; social areas: marks pro rata."""
    quantified = sum(points * min(row[name] / 100, 1) for name, points in QUANTIFIED.items())
    social = sum(points * row[name] / 100 for name, points in SOCIAL.items())
    return quantified, social


def test_units_are_the_townships_offices_and_centres(rows):
    """l.373: 各室(中心)."""
    assert len(rows) == 12
    assert rows["name"].str.endswith(("办公室", "中心", "所")).all()


def test_totals_by_hand_with_over_completion_capped(evaluation, rows):
    over = rows[list(QUANTIFIED)].gt(100).any(axis=1)
    assert over.sum() >= 2  # offices that beat their annual plan
    total = dict(zip(evaluation.data.units, evaluation.total[0]))
    for unit, row in rows.iterrows():
        quantified, social = parts_by_hand(row)
        assert total[unit] == pytest.approx(half_up(quantified + social), abs=1e-9), unit
    # beating the plan earns no more than the area's points
    frame = perfsim.results_frame(evaluation).set_index("unit")
    for unit, row in rows[over].iterrows():
        for name, points in QUANTIFIED.items():
            if row[name] > 100:
                assert frame.loc[unit, f"score:{name}"] == pytest.approx(points)


def test_part_weights_move_as_a_designer_sets_them(scenario, rows):
    """Lever points:quantified / points:social: 50/50 instead of the default 70/30."""
    ev = perfsim.evaluate(scenario.compiled, scenario.data, {"points:quantified": 50, "points:social": 50})
    for i, (_, row) in enumerate(rows.iterrows()):
        quantified, social = parts_by_hand(row)
        expected = 50 * quantified / 70 + 50 * social / 30
        assert ev.total[0, i] == pytest.approx(half_up(expected), abs=1e-9)


def test_grades_and_the_link_to_the_annual_cadre_assessment(evaluation):
    """Unit convention 90/80/70 (篇四 l.192; the MoF bands are for projects); l.375: 优秀 rewarded (and
    不合格 barred from a cadre's 优秀, the stated default)."""
    grades = np.array(evaluation.grade_labels())
    total = evaluation.total[0]
    expected = np.select([total >= 90, total >= 80, total >= 70], ["优秀", "良好", "合格"], "不合格")
    assert np.array_equal(grades, expected)
    assert {"优秀", "不合格"} <= set(grades)  # both consequences occur in the data
    outcome, _ = apply_consequences(evaluation)
    assert np.array_equal(outcome.flags["reward"][0], grades == "优秀")
    assert np.array_equal(outcome.flags["no_excellent_cadre_rating"][0], grades == "不合格")
