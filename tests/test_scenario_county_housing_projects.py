"""county-housing-projects (篇二): the plan's rules checked on the scenario's own data."""

from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal

import numpy as np
import pandas as pd
import pytest

import perfsim
from perfsim.consequences import apply_consequences
from perfsim.scenario import load_scenario

from conftest import SCENARIOS, cents, d

BUNDLE = SCENARIOS / "county-housing-projects.yaml"
DATA = SCENARIOS / "data" / "county-housing-projects.csv"

# leaf → points as written in the scheme: 项目决策 20 / 项目管理 20 / 项目绩效 60
MARKS = {
    "target_content": 4,
    "decision_basis": 4,
    "decision_procedure": 4,
    "allocation_method": 4,
    "allocation_result": 4,
    "arrival_time": 2,
    "organisation": 2,
    "rules": 3,
    "rules_applied": 3,
    "timeliness": 6,
    "economic": 6,
    "social": 8,
    "ecological": 6,
    "sustainable": 4,
    "satisfaction": 6,
}
RATES = {"arrival": 4, "completion": 10, "quality": 8}


def hand_total(row: pd.Series) -> float:
    """The total from the data row in exact decimals, rounded half-up to 2 places."""
    total = sum(points * d(row[leaf]) / 100 for leaf, points in MARKS.items())
    total += sum(points * min(d(row[leaf]) / 100, Decimal(1)) for leaf, points in RATES.items())
    total += 6 * min(100 / d(row["cost"]), Decimal(1))  # actual/planned cost: lower is better
    total += max(6 - 2 * d(row["fund_use"]), 0)  # 2 points off per violation found
    return float(total.quantize(Decimal("0.01"), rounding=ROUND_HALF_UP))


def grade_of(total: float) -> str:  # l.91 with the national cut-offs, lower bounds inclusive (含)
    return "优" if total >= 90 else "良" if total >= 80 else "中" if total >= 60 else "差"


@pytest.fixture(scope="module")
def scenario():
    sc = load_scenario(BUNDLE)
    ev = perfsim.evaluate(sc.compiled, sc.data, detail=True)
    outcome, _ = apply_consequences(ev)
    return sc, ev, outcome, pd.read_csv(DATA).set_index("unit")


def test_scores_and_grades_follow_the_three_level_tree_and_national_bands(scenario):
    sc, ev, _, frame = scenario
    grades = ev.grade_labels()
    for i, unit in enumerate(sc.data.units):
        total = hand_total(frame.loc[unit])
        assert ev.total[0, i] == pytest.approx(total, abs=1e-9), unit
        assert grades[i] == grade_of(total), unit
    assert frame.loc["H07", "fund_use"] == 2 and grades[sc.data.units.index("H07")] == "差"
    detail = ev.details[0]
    cc = sc.compiled.classes[0]
    h07 = sc.data.units.index("H07")
    row = frame.loc["H07"]
    management = row["arrival"] / 100 * 4 + row["arrival_time"] / 100 * 2 + (6 - 2 * 2)
    management += sum(row[k] / 100 * p for k, p in (("organisation", 2), ("rules", 3), ("rules_applied", 3)))
    assert detail.scores[cc.index("management")][0, h07] == pytest.approx(management)


def test_poor_projects_cut_next_years_control_number_by_the_default_rate(scenario):
    sc, ev, o, frame = scenario
    grades = np.array(ev.grade_labels())
    poor = [u for u, g in zip(sc.data.units, grades) if g == "差"]
    assert poor == ["H07"]
    for i, unit in enumerate(sc.data.units):
        expected = cents(frame.loc[unit, "budget"] * 0.8) if unit in poor else cents(frame.loc[unit, "budget"])
        assert o.next_budget[0, i] == expected, unit  # only 差 changes next year's budget
    control_now = o.budget[0].sum()
    assert control_now - o.next_budget[0].sum() == cents(frame.loc[poor, "budget"].sum() * 0.2)
    assert o.flags["rectify"][0].tolist() == [g == "差" for g in grades]


def test_major_deviation_is_reported_and_only_low_performance_withdraws_money(scenario):
    """l.61: 绩效运行有重大偏离的…及时上报主管部门或财政 (a report); 无绩效或低绩效的项目…调整执行或停止执行
    (money). A major deviation moves no money; a large one is corrected by the section itself."""
    sc, ev, o, frame = scenario
    gap = (frame["progress"] - frame["spend"]).abs()
    total = pd.Series(ev.total[0], index=sc.data.units)
    low = total < 60
    assert low[low].index.tolist() == ["H07"]
    assert gap[gap > 0.4].index.tolist() == ["H12"]
    assert gap[(gap > 0.2) & (gap <= 0.4)].index.tolist() == ["H20"]
    reported = [u for u in sc.data.units if o.flags["major_deviation"][0, sc.data.units.index(u)]]
    assert reported == ["H12"]
    for i, unit in enumerate(sc.data.units):
        budget = frame.loc[unit, "budget"]
        expected = cents(budget * (1 - frame.loc[unit, "spend"])) if low[unit] else 0  # 调整执行: the unspent part
        assert o.released[0, i] == expected, unit
    assert o.suspended[0].tolist() == low.tolist()
    assert not o.ended[0].any()  # adjusted, not stopped: H07 stays under the l.91 cut
    assert o.received.sum() == 0 and o.returned[0] == o.released[0].sum()  # all back to 县财政局


def test_the_cut_comes_off_the_departments_control_number(scenario):
    """l.91 扣减下年度部门项目预算控制数: no envelope keeps the total; nothing is ever raised."""
    sc, _, o, _ = scenario
    assert sc.scheme.consequences.budget.envelope.treasury and o.envelope is None
    assert o.next_budget[0].sum() == o.budget[0].sum() - o.cut[0].sum()
    assert not [f for f in perfsim.lint(sc.scheme) if "without bound" in f.message]


def test_raising_the_poor_cut_off_widens_the_budget_cut(scenario):
    sc, _, _, frame = scenario
    ev = perfsim.evaluate(sc.compiled, sc.data, {"cutoff:中": [60.0, 70.0]})
    o, _ = apply_consequences(ev)
    budgets = frame["budget"].to_numpy()
    for draw, cut_off in enumerate((60.0, 70.0)):
        poor = ev.total[draw] < cut_off
        assert (np.array(ev.grade_labels(draw)) == "差").tolist() == poor.tolist()
        assert o.cut[draw].sum() == sum(cents(b) - cents(b * 0.8) for b in budgets[poor])
    newly_poor = [u for u, a, b in zip(sc.data.units, ev.grade_labels(0), ev.grade_labels(1)) if a != b == "差"]
    assert newly_poor == ["H25"]  # 海绵城市建设, 69.36 points
    assert o.cut[1].sum() > o.cut[0].sum()
