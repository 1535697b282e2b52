"""篇六 (= 篇十五) city transport bureau scenario: rules checked on the scenario's own data."""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

import perfsim
from perfsim.consequences import apply_consequences
from perfsim.scenario import load_scenario

from conftest import SCENARIOS

PATH = Path(SCENARIOS / "transport-bureau.yaml")
TIER_POINTS = {1: 600, 2: 500, 3: 400}  # l.323
CLASSES = ["综合优胜", "优胜", "达标", "不达标"]  # l.325


@pytest.fixture(scope="module")
def scenario():
    return load_scenario(PATH)


@pytest.fixture(scope="module")
def evaluation(scenario):
    return perfsim.evaluate(scenario.compiled, scenario.data, detail=True)


@pytest.fixture(scope="module")
def rows():
    return pd.read_csv(SCENARIOS / "data" / "transport-bureau.csv").set_index("unit")


def half_up(x: float, places: int = 1) -> float:
    return math.floor(x * 10**places + 0.5 + 1e-9) / 10**places


def adjustments(row) -> float:
    """l.322 as chosen: +10 per commendation (at most 50), −20 per incident (at most 100)."""
    return min(10 * row.contribution, 50) - min(20 * row.bad_influence, 100)


def affiliated_by_hand(row) -> float:
    """The seven methods of l.320 with the scenario's parameters, written out from the rules."""
    pts = 120 * min(row.prov_tasks / 100, 1)  # 完成比例法, capped
    pts += 60 if row.safety == 0 else 0  # 否决计分法
    pts += max(0.0, 100 - 20 * row.city_tasks)  # 数量递减法: −20 per unfinished item
    pts += 80 * min(row.upward_funds / 100, 1)
    pts += min(10 * row.key_projects, 50)  # 累积计分法
    diff = row.business_growth - 6  # 基础加减法: 40 at 6 %, +2 / −4 per point
    pts += min(max(40 + 2 * max(diff, 0) - 4 * max(-diff, 0), 0), 50)
    pts += 30 * min(row.on_time / 100, 1) + 20 * row.satisfaction / 100  # 综合计分法 (政务服务)
    pts += max(30 - 10 * row.law, 0)  # 直接扣分法
    pts += 30 * row.party_building / 100 + max(30 - 15 * row.integrity, 0)
    pts += 200 * row.leader / 100 + 100 * row.temporary / 100 + 100 * row.public / 100  # 综合评价 (l.321)
    return pts


def test_unit_kinds_and_counts(scenario, rows):
    assert (rows["class"] == "affiliated").sum() == 12
    county = rows[rows["class"] == "county"]
    assert len(county) == 11
    assert county["name"].str.endswith("交通局").sum() == 10
    assert county["name"].str.contains("区经贸").sum() == 1  # l.310 区经贸(信)局


def test_county_bureau_total_is_comprehensive_400_plus_tier_points(evaluation, rows):
    """l.323: 市公路、运管部门综合评价 400 + tier 1/2/3 → 600/500/400, bonus/deduction on top (l.322)."""
    total = dict(zip(evaluation.data.units, evaluation.total[0]))
    county = rows[rows["class"] == "county"]
    assert set(county["county_tier"].astype(int)) == {1, 2, 3}  # every tier occurs in the data
    for unit, row in county.iterrows():
        comprehensive = 200 * row.highway / 100 + 200 * row.transport_mgmt / 100
        expected = half_up(comprehensive + TIER_POINTS[int(row.county_tier)] + adjustments(row))
        assert total[unit] == pytest.approx(expected, abs=1e-9), unit


def test_full_marks_county_bureau_reaches_the_1000_point_standard(scenario):
    """l.320 and l.323: 400 + 600 = 1000; a bureau in no tier keeps only its 400."""
    data, units = scenario.data, scenario.data.units
    county = np.flatnonzero(data.class_index == scenario.compiled.class_index("county"))
    values = {name: data.values[name].copy() for name in ("highway", "transport_mgmt", "county_tier")}
    values["highway"][county] = 100
    values["transport_mgmt"][county] = 100
    values["county_tier"][county] = 1
    values["county_tier"][county[0]] = 4  # outside the three tiers
    ev = perfsim.evaluate(scenario.compiled, data, values=values, detail=True)
    frame = perfsim.results_frame(ev).set_index("unit")
    assert frame.loc[units[county[1]], "weighted"] == pytest.approx(1000)
    assert frame.loc[units[county[0]], "weighted"] == pytest.approx(400)


def test_affiliated_totals_by_hand_with_the_seven_methods(evaluation, rows):
    affiliated = rows[rows["class"] == "affiliated"]
    # the data exercise the special cases of the methods
    assert (affiliated.safety > 0).any() and (affiliated.upward_funds > 100).any()
    assert (affiliated.key_projects > 5).any() and (affiliated.business_growth < 6).any()
    assert (affiliated.city_tasks > 0).any() and (affiliated.law > 0).any()
    total = dict(zip(evaluation.data.units, evaluation.total[0]))
    for unit, row in affiliated.iterrows():
        expected = half_up(affiliated_by_hand(row) + adjustments(row))
        assert total[unit] == pytest.approx(expected, abs=1e-9), unit


def test_veto_scoring_zeroes_only_the_safety_indicator(scenario, evaluation, rows):
    """否决计分法: an accident costs the indicator's 60 points and nothing else."""
    unit = rows.index[rows.safety > 0][0]
    i = scenario.data.unit_position(unit)
    frame = perfsim.results_frame(evaluation).set_index("unit")
    assert frame.loc[unit, "score:safety"] == 0
    safety = scenario.data.values["safety"].copy()
    safety[i] = 0
    ev = perfsim.evaluate(scenario.compiled, scenario.data, values={"safety": safety})
    assert ev.weighted[0, i] - evaluation.weighted[0, i] == pytest.approx(60)
    others = np.arange(len(scenario.data)) != i
    assert np.allclose(ev.weighted[0, others], evaluation.weighted[0, others], rtol=0, atol=1e-9)


def test_four_classes_by_rank_within_each_class(scenario, evaluation):
    """l.325 as chosen: 10 % / 20 % / 60 % / 10 %, ranked within each class; places rounded where each
    tier ends, so about 10 % fail — not 17 %, as when every tier was rounded down on its own."""
    grades = np.array(evaluation.grade_labels())
    total = evaluation.total[0]
    failing = 0
    for cls in ("affiliated", "county"):
        members = scenario.data.class_index == scenario.compiled.class_index(cls)
        n = int(members.sum())
        ends = [math.floor(share * n + 0.5) for share in (0.1, 0.3, 0.9)]  # half-up where each tier ends
        expected = [ends[0], ends[1] - ends[0], ends[2] - ends[1], n - ends[2]]
        assert abs(expected[-1] / n - 0.1) < 0.5 / n + 1e-9  # within half a place of the stated 10 %
        failing += expected[-1]
        assert [int((grades[members] == g).sum()) for g in CLASSES] == expected
        for better, worse in zip(CLASSES, CLASSES[1:]):
            assert total[members & (grades == better)].min() > total[members & (grades == worse)].max()
    assert failing / len(scenario.data) < 0.12  # 2 of 23 units (8.7 %), not 4 (17 %)


def test_rewards_go_to_directly_affiliated_winners_only(scenario, evaluation):
    """l.325: rewards for 综合优胜/优胜 directly affiliated units; the winner's leader recommended."""
    outcome, _ = apply_consequences(evaluation)
    grades = np.array(evaluation.grade_labels())
    affiliated = scenario.data.class_index == scenario.compiled.class_index("affiliated")
    winners = np.isin(grades, ["综合优胜", "优胜"])
    assert (winners & ~affiliated).any()  # a county winner exists and is not rewarded
    assert np.array_equal(outcome.flags["reward"][0], winners & affiliated)
    assert np.array_equal(outcome.flags["advanced_individual"][0], grades == "综合优胜")


def test_two_consecutive_years_below_standard_reassign_the_main_leader(scenario, evaluation):
    """l.326: 不达标 → no 评优 and an admonishment talk; two years running → reassignment."""
    data = scenario.data
    year1, state = apply_consequences(evaluation)
    failed1 = np.array(evaluation.grade_labels()) == "不达标"
    assert failed1.sum() == 2  # one per class of unit (about 10 %)
    assert np.array_equal(year1.flags["no_excellence_rating"][0], failed1)
    assert np.array_equal(year1.flags["admonishment"][0], failed1)
    assert not year1.flags["reassignment"].any()

    # year 2: the same results, except that one failing affiliated unit turns round
    recovered = next(
        i for i in np.flatnonzero(failed1) if data.class_index[i] == scenario.compiled.class_index("affiliated")
    )
    values = {name: data.values[name].copy() for name in ("leader", "temporary", "public", "prov_tasks")}
    for name in values:
        values[name][recovered] = 100
    ev2 = perfsim.evaluate(scenario.compiled, data, values=values)
    year2, _ = apply_consequences(ev2, state)
    failed2 = np.array(ev2.grade_labels()) == "不达标"
    assert not failed2[recovered]
    assert np.array_equal(year2.flags["reassignment"][0], failed1 & failed2)
    newly = failed2 & ~failed1  # ranking: someone else drops into 不达标 in its place
    assert newly.any()
    assert year2.flags["admonishment"][0][newly].all() and not year2.flags["reassignment"][0][newly].any()
