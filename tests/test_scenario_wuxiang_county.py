"""篇十一(a) Wuxiang county scenario (weights borrowed from 篇十一(b)): rules checked on its own data."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest

import perfsim
from perfsim.consequences import apply_consequences
from perfsim.scenario import load_scenario

from conftest import SCENARIOS

NA = "不适用"
KEY = [f"key_{k}" for k in range(1, 4)]
TARGETS = [f"target_{k}" for k in range(1, 7)]
# 篇十一(b) l.477-480, typed from the source: category → (points, columns scored as marks)
DEPARTMENT = {"key_work": 30, "annual_targets": 30, "conduct": 20, "public": 10, "special": 10}
TOWNSHIP = {
    "key_work": 15,
    "economy": 20,
    "society": 15,
    "public_service": 20,
    "conduct": 10,
    "special": 10,
    "public": 10,
}
SECTION = {"key_work": 35, "annual_targets": 35, "conduct": 20, "public": 10}
CONDUCT = {
    "township": ["rule_of_law", "efficiency", "integrity", "team"],
    "department": ["rule_of_law", "service", "efficiency", "integrity", "team"],
    "vertical": ["rule_of_law", "service", "efficiency", "integrity", "team"],
    "section": ["rule_of_law", "fair_enforcement", "efficiency", "integrity", "team"],
}


@pytest.fixture(scope="module")
def scenario():
    return load_scenario(SCENARIOS / "wuxiang-county.yaml")


@pytest.fixture(scope="module")
def evaluation(scenario):
    return perfsim.evaluate(scenario.compiled, scenario.data, detail=True)


@pytest.fixture(scope="module")
def rows():
    return pd.read_csv(SCENARIOS / "data" / "wuxiang-county.csv", dtype={c: str for c in KEY + TARGETS}).set_index(
        "unit"
    )


def half_up(x: float, places: int = 2) -> float:
    return math.floor(x * 10**places + 0.5 + 1e-9) / 10**places


def items_fraction(row, columns: list[str]) -> float:
    """Items listed by the unit (1-3 or 1-6), equal weight, each capped at its target; 不适用 left out."""
    listed = [float(row[c]) for c in columns if row[c] != NA]
    assert listed, "a unit lists at least one item"
    return sum(min(v / 100, 1) for v in listed) / len(listed)


def total_by_hand(row) -> float:
    cls = row["class"]
    table = {"township": TOWNSHIP, "department": DEPARTMENT, "vertical": DEPARTMENT, "section": SECTION}[cls]
    out = 0.0
    for category, points in table.items():
        if category == "key_work":
            frac = items_fraction(row, KEY)
        elif category == "annual_targets":
            frac = items_fraction(row, TARGETS)
        elif category == "conduct":
            frac = float(np.mean([row[c] for c in CONDUCT[cls]])) / 100
        else:
            frac = row[category] / 100
        out += points * frac
    return out


def test_unit_levels_two_and_three_as_classes(rows):
    """l.462-463: townships, departments and vertically managed units (level 2) and their sections (3);
    cadres (level 4) are individuals, graded and treated as individuals in the wuxiang-cadres scenario."""
    counts = rows["class"].value_counts().to_dict()
    assert counts == {"township": 14, "department": 26, "vertical": 8, "section": 12}
    assert set(rows.loc[rows["class"] == "section", "level"]) == {3}


def test_public_appraisal_is_ten_points_at_every_level(scenario):
    """篇十一(b) l.477-480: 公众评议 10 % in every weight table; each class sums to 100."""
    for cc in scenario.compiled.classes:
        assert cc.nominal_points[cc.index("public")] == 10
        assert sum(cc.nominal_points[c] for c in cc.children[0]) == 100


def test_every_total_by_hand_from_the_borrowed_weight_tables(evaluation, rows):
    total = dict(zip(evaluation.data.units, evaluation.total[0]))
    for unit, row in rows.iterrows():
        assert total[unit] == pytest.approx(half_up(total_by_hand(row)), abs=1e-9), unit


def test_key_work_rescaled_to_the_items_a_unit_lists(scenario, evaluation, rows):
    """1-3 key-work items (l.477): a department listing two is scored on those two only."""
    two = rows[(rows["class"] == "department") & (rows["key_3"] == NA) & (rows["key_2"] != NA)]
    assert len(two) > 0
    unit = two.index[0]
    row = two.loc[unit]
    frame = perfsim.results_frame(evaluation).set_index("unit")
    expected = 30 * (min(float(row.key_1) / 100, 1) + min(float(row.key_2) / 100, 1)) / 2
    assert frame.loc[unit, "score:key_work"] == pytest.approx(expected)
    # had the third slot been an item at 0 % done, the section would have lost a third
    frame_in = pd.read_csv(SCENARIOS / "data" / "wuxiang-county.csv", dtype={c: str for c in KEY + TARGETS})
    frame_in.loc[frame_in["unit"] == unit, "key_3"] = "0"
    data = perfsim.load_units(frame_in, scenario.compiled)
    ev = perfsim.evaluate(scenario.compiled, data, detail=True)
    assert perfsim.results_frame(ev).set_index("unit").loc[unit, "score:key_work"] == pytest.approx(expected * 2 / 3)


def test_reward_the_excellent_deal_with_the_mediocre_punish_the_bad(scenario, evaluation):
    """l.459 奖优、治庸、罚劣 as stated defaults; two years 不合格 → organisational handling."""
    grades = np.array(evaluation.grade_labels())
    assert {"优秀", "合格", "不合格"} <= set(grades)
    year1, state = apply_consequences(evaluation)
    assert np.array_equal(year1.flags["reward_excellent"][0], grades == "优秀")
    assert np.array_equal(year1.flags["deal_with_mediocre"][0], grades == "合格")
    assert np.array_equal(year1.flags["punish_poor"][0], grades == "不合格")
    assert not year1.flags["organisational_handling"].any()
    # a second year with the same results: the units 不合格 twice face organisational handling
    year2, state = apply_consequences(evaluation, state)
    assert np.array_equal(year2.flags["organisational_handling"][0], grades == "不合格")
    # a third year in which the 不合格 unit reaches 合格 breaks its run
    failing = np.flatnonzero(grades == "不合格")
    data = scenario.data
    values = {name: data.values[name].copy() for name in ("public", "special", "target_1", "key_1")}
    for column in values.values():
        column[failing] = 100
    ev3 = perfsim.evaluate(scenario.compiled, data, values=values)
    assert all(ev3.grade_labels()[i] != "不合格" for i in failing)
    year3, _ = apply_consequences(ev3, state)
    assert not year3.flags["organisational_handling"][0][failing].any()
