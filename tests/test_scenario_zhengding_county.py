"""篇十一(c) (= 篇十二) Zhengding county scenario: rules checked on the scenario's own data."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest

import perfsim
from perfsim.consequences import apply_consequences
from perfsim.scenario import load_scenario

from conftest import SCENARIOS

# leaf → (points, standard value) as the scenario states them under the l.494-497 level-1 items
TOWNSHIP = {
    "fiscal_revenue": (15, 100),
    "fixed_investment": (15, 100),
    "investment_attraction": (10, 100),
    "farmer_income": (10, 12),
    "ncms": (10, 98),
    "family_planning": (10, 95),
    "petitions": (10, 100),
    "village_environment": (10, 100),
}
DEPARTMENT = {
    "upward_funds": (8, 100),
    "investment_attraction": (7, 100),
    "core_targets": (20, 100),
    "assessed_targets": (15, 100),
    "on_time": (5, 100),
    "complaints_closed": (5, 95),
}
OLD_TOWN = {"projects": 25, "relocation": 20, "funding": 15, "style_control": 10}
SATISFACTION = [(90, 30), (80, 26), (70, 22), (60, 18)]  # stated default tier table, < 60 → 0


@pytest.fixture(scope="module")
def scenario():
    return load_scenario(SCENARIOS / "zhengding-county.yaml")


@pytest.fixture(scope="module")
def evaluation(scenario):
    return perfsim.evaluate(scenario.compiled, scenario.data, detail=True)


@pytest.fixture(scope="module")
def rows():
    return pd.read_csv(SCENARIOS / "data" / "zhengding-county.csv").set_index("unit")


def half_up(x: float, places: int = 2) -> float:
    return math.floor(x * 10**places + 0.5 + 1e-9) / 10**places


def completion(actual: float, standard: float) -> float:
    """l.501: 达到及超过标准值的计满分,低于标准值的按实际完成比例折算计分."""
    return min(actual / standard, 1.0)


def indicator_points(row, leaves: dict, periods: tuple[str, ...]) -> float:
    per_period = [sum(p * completion(row[f"{leaf}@{t}"], std) for leaf, (p, std) in leaves.items()) for t in periods]
    return sum(per_period) / len(per_period)


def satisfaction_points(rate: float) -> float:
    return next((points for low, points in SATISFACTION if rate >= low), 0.0)


def test_48_units_in_three_classes_with_the_names_of_the_plan(rows):
    """l.487-492: 7 townships + 32 departments = 39 daily-work units, plus 9 old-town units."""
    counts = rows["class"].value_counts()
    assert (counts["township"], counts["department"], counts["old_town"]) == (7, 32, 9)
    assert len(rows) == 48
    townships = ["南牛乡", "新城铺镇", "西平乐乡", "新安镇", "南楼乡", "曲阳桥乡", "北早现乡"]
    assert list(rows.loc[rows["class"] == "township", "name"]) == townships  # l.489
    old_town = ["规划分局", "国土分局", "住建局", "发改局", "文管局", "城管局", "交通局", "正定镇", "城区街道办事处"]
    assert list(rows.loc[rows["class"] == "old_town", "name"]) == old_town  # l.492
    departments = set(rows.loc[rows["class"] == "department", "name"])
    listed = (  # l.490, as printed
        "县政府办、招商局、工信局、水务局、农牧局、畜牧水产中心、农机管理中心、林业局、商务局(粮食局)、农开办、"
        "市场办、供销总社、教育局、科技局、民政局(宗教局)、人社局、财政局、社保局、医保中心、就业局、矿管办、"
        "文广新局、卫生局、计生局、统计局、公安局、司法局、环保局、审计局、食药监局、安监局、县行政服务中心"
    )
    assert departments == set(listed.split("、"))


def test_completion_ratio_by_hand_on_a_township_row(evaluation, rows):
    """南牛乡: 指标评估 90 at mid-year and year-end, 50 % each, plus 领导评估 10 (l.501-503)."""
    row = rows.loc["T01"]
    assert row["name"] == "南牛乡"
    # the row has indicators above and below their standard value
    values = [(row[f"{leaf}@{t}"], std) for leaf, (_, std) in TOWNSHIP.items() for t in ("mid", "year_end")]
    assert any(v >= s for v, s in values) and any(v < s for v, s in values)
    frame = perfsim.results_frame(evaluation).set_index("unit")
    # farmer income growth, standard 12 %, 10 points: at or above 12 % in July → full points (capped);
    # below it at year-end → 10 × actual / 12; the two evaluations weigh 50 % each
    mid, end = row["farmer_income@mid"], row["farmer_income@year_end"]
    assert mid >= 12 > end
    assert frame.loc["T01", "score:farmer_income"] == pytest.approx(0.5 * 10 + 0.5 * 10 * end / 12)
    indicators = indicator_points(row, TOWNSHIP, ("mid", "year_end"))
    leader = 10 * (row["leader@mid"] + row["leader@year_end"]) / 2 / 100
    assert frame.loc["T01", "score:indicators"] == pytest.approx(indicators)
    assert frame.loc["T01", "total"] == pytest.approx(half_up(indicators + leader), abs=1e-9)


def test_every_township_and_department_total_by_hand(evaluation, rows):
    """Departments: 指标评估 60 (50/50) + 公众评估 30 (4 quarters × 25 %, tiers) + 领导评估 10 (50/50)."""
    total = dict(zip(evaluation.data.units, evaluation.total[0]))
    halves = ("mid", "year_end")
    for unit, row in rows[rows["class"] == "township"].iterrows():
        leader = 10 * (row["leader@mid"] + row["leader@year_end"]) / 200
        assert total[unit] == pytest.approx(half_up(indicator_points(row, TOWNSHIP, halves) + leader), abs=1e-9)
    departments = rows[rows["class"] == "department"]
    quarters = [f"public@Q{q}" for q in range(1, 5)]
    rates = departments[quarters].to_numpy()
    assert (rates < 60).any() and (rates >= 90).any()  # the lowest and the top tier occur
    for unit, row in departments.iterrows():
        public = sum(0.25 * satisfaction_points(row[q]) for q in quarters)
        leader = 10 * (row["leader@mid"] + row["leader@year_end"]) / 200
        expected = indicator_points(row, DEPARTMENT, halves) + public + leader
        assert total[unit] == pytest.approx(half_up(expected), abs=1e-9), unit


def test_old_town_units_are_the_mean_of_twelve_monthly_evaluations(evaluation, rows):
    """l.512-514: 指标评估 70 + 领导评估 30, evaluated every month; the months count equally."""
    total = dict(zip(evaluation.data.units, evaluation.total[0]))
    months = [f"m{i:02d}" for i in range(1, 13)]
    for unit, row in rows[rows["class"] == "old_town"].iterrows():
        monthly = [
            sum(p * completion(row[f"{leaf}@{m}"], 100) for leaf, p in OLD_TOWN.items()) + 30 * row[f"leader@{m}"] / 100
            for m in months
        ]
        assert total[unit] == pytest.approx(half_up(float(np.mean(monthly))), abs=1e-9), unit


def test_default_grades_and_flags_per_class(scenario, evaluation):
    """The plan has no grades: perfsim's unit convention 90/80/70 (篇四 l.192; the MoF bands are for
    projects) and default flags (优秀 commended, 不合格 criticised)."""
    grades = np.array(evaluation.grade_labels())
    total = evaluation.total[0]
    expected = np.select([total >= 90, total >= 80, total >= 70], ["优秀", "良好", "合格"], "不合格")
    assert np.array_equal(grades, expected)
    outcome, _ = apply_consequences(evaluation)
    assert np.array_equal(outcome.flags["commended"][0], grades == "优秀") and (grades == "优秀").any()
    assert np.array_equal(outcome.flags["criticised"][0], grades == "不合格")
    # the weakest department, surveyed below 60 % satisfied in every quarter, loses all 30 public
    # points (lowest tier → 0), falls below 60 and is criticised
    data = scenario.data
    department = data.class_index == scenario.compiled.class_index("department")
    worst = int(np.argmin(np.where(department, total, np.inf)))
    public = perfsim.results_frame(evaluation)["score:public"].to_numpy()[worst]
    assert 0 < public < 30
    values = {f"public@Q{q}": data.values[f"public@Q{q}"].copy() for q in range(1, 5)}
    for column in values.values():
        column[worst] = 59.9
    ev = perfsim.evaluate(scenario.compiled, data, values=values)
    assert ev.weighted[0, worst] == pytest.approx(evaluation.weighted[0, worst] - public)
    assert ev.total[0, worst] < 70 and ev.grade_labels()[worst] == "不合格"
    flagged, _ = apply_consequences(ev)
    assert flagged.flags["criticised"][0, worst]
