"""department-budget-rules (篇九): the measures' rules checked on the scenario's own data."""

from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal

import pandas as pd
import pytest

import perfsim
from perfsim.consequences import apply_consequences
from perfsim.scenario import load_scenario

from conftest import SCENARIOS, cents, d

BUNDLE = SCENARIOS / "department-budget-rules.yaml"
DATA = SCENARIOS / "data" / "department-budget-rules.csv"

# leaf → points as written in the scheme: 业务指标 70, 财务指标 30
BUSINESS_MARKS = {
    "target_basis": 5,
    "target_feasible": 5,
    "timeliness": 5,
    "plan_quality": 5,
    "management_rules": 5,
    "social": 8,
    "economic": 4,
    "environmental": 3,
    "sustainable": 4,
    "satisfaction": 6,
}
FINANCIAL_MARKS = {"arrival_time": 4, "spending_match": 3, "finance_rules": 3, "asset_allocation": 3, "asset_use": 3}


def business(r: pd.Series) -> Decimal:
    out = sum(p * d(r[k]) / 100 for k, p in BUSINESS_MARKS.items())
    out += 8 * min(d(r["quantity"]) / 100, Decimal(1)) + 7 * min(d(r["quality"]) / 100, Decimal(1))
    return out + 5 * min(100 / d(r["cost"]), Decimal(1))  # 数量 8, 质量 7, 成本 5 (lower is better)


def financial(r: pd.Series) -> Decimal:
    out = sum(p * d(r[k]) / 100 for k, p in FINANCIAL_MARKS.items())
    out += 4 * min(d(r["arrival"]) / 100, Decimal(1)) + 5 * min(d(r["execution"]) / 100, Decimal(1))
    return out + max(5 - d(r["fund_compliance"]), 0)  # 1 point off per violation found


@pytest.fixture(scope="module")
def scenario():
    sc = load_scenario(BUNDLE)
    ev = perfsim.evaluate(sc.compiled, sc.data, detail=True)
    return sc, ev, pd.read_csv(DATA).set_index("unit")


def test_business_and_financial_indicators_add_up_to_the_total(scenario):
    sc, ev, frame = scenario
    cc = sc.compiled.classes[0]
    detail = ev.details[0]
    grades = ev.grade_labels()
    for i, unit in enumerate(sc.data.units):
        row = frame.loc[unit]
        assert detail.scores[cc.index("business")][0, i] == pytest.approx(float(business(row)), abs=1e-9)
        assert detail.scores[cc.index("financial")][0, i] == pytest.approx(float(financial(row)), abs=1e-9)
        total = float((business(row) + financial(row)).quantize(Decimal("0.01"), rounding=ROUND_HALF_UP))
        assert ev.total[0, i] == pytest.approx(total, abs=1e-9), unit
        assert grades[i] == ("好" if total >= 80 else "中" if total >= 60 else "较差"), unit


def test_a_project_not_refiled_is_excluded_from_the_budget_request(scenario):
    sc, ev, frame = scenario
    o, _ = apply_consequences(ev)
    m15 = sc.data.units.index("M15")
    assert frame.loc["M15", "refiled"] == 0 and ev.grade_labels()[m15] == "好"  # a good result does not help
    assert o.gated[0].tolist() == (frame["refiled"] == 0).tolist()
    assert o.next_budget[0, m15] == 0
    assert o.ledger().loc[0, "gate: left out of the request"] == frame.loc["M15", "budget"]
    others = [i for i, u in enumerate(sc.data.units) if u not in ("M15", "M23")]
    assert all(o.next_budget[0, i] == o.budget[0, i] for i in others)  # 好 and 中: funding continues


def test_a_poor_project_is_rectified_then_cut_then_cancelled(scenario):
    sc, ev, frame = scenario
    m23 = sc.data.units.index("M23")
    assert ev.grade_labels()[m23] == "较差"
    state, budgets, steps = None, [], []
    for _ in range(3):  # 较差 three years running: rectification never takes hold
        o, state = apply_consequences(ev, state)
        budgets.append(int(o.next_budget[0, m23]))
        steps.append(int(o.ladder_step[0, m23]))
        assert o.flags["criticised_poor"][0, m23]
    b = frame.loc["M23", "budget"]
    assert steps == [1, 2, 3]
    assert budgets == [cents(b), cents(b * 0.7), 0]  # 限期整改 → 相应调减 30 % → 取消该项目


def test_a_rectified_year_ends_the_ladder(scenario):
    sc, ev, frame = scenario
    m23 = sc.data.units.index("M23")
    total = ev.total[0, m23]
    # a year in which M23 is not 较差: the 中 cut-off lowered just below its total
    rectified = perfsim.evaluate(sc.compiled, sc.data, {"cutoff:中": float(total) - 1}, detail=True)
    assert rectified.grade_labels()[m23] == "中"
    state, steps, budgets = None, [], []
    for year in (ev, rectified, ev):
        o, state = apply_consequences(year, state)
        steps.append(int(o.ladder_step[0, m23]))
        budgets.append(int(o.next_budget[0, m23]))
    assert steps == [1, 0, 1]  # back to 限期整改, not on to 调减
    assert budgets == [cents(frame.loc["M23", "budget"])] * 3


def target_completion(r: pd.Series) -> Decimal:
    """目标完成程度 as % of its 25 points: 数量 8, 质量 7, 成本 5 (lower is better), 时效 5."""
    points = 8 * min(d(r["quantity"]) / 100, Decimal(1)) + 7 * min(d(r["quality"]) / 100, Decimal(1))
    points += 5 * min(100 / d(r["cost"]), Decimal(1)) + 5 * d(r["timeliness"]) / 100
    return points / 25 * 100


def test_criticism_for_poor_results_or_missed_targets_and_praise_for_good_ones(scenario):
    """l.427: 对绩效评价达不到预期目标或评价结果较差的，予以通报批评 — the target read on the evaluation's own
    目标完成程度 section (below its 60 % pass line), not as any quantity short of 100 %."""
    sc, ev, frame = scenario
    o, _ = apply_consequences(ev)
    grades = ev.grade_labels()
    missed = [u for u in frame.index if target_completion(frame.loc[u]) < 60]
    assert missed == ["M02"] and grades[sc.data.units.index("M02")] == "中"
    assert [u for i, u in enumerate(sc.data.units) if o.flags["criticised_target"][0, i]] == missed
    assert o.flags["criticised_poor"][0].tolist() == [g == "较差" for g in grades]
    assert o.flags["praised"][0].tolist() == [g == "好" for g in grades]
    criticised = o.flags["criticised_target"][0] | o.flags["criticised_poor"][0]
    assert criticised.mean() < 0.1  # not 46 % of the projects
    assert not (criticised & o.flags["praised"][0]).any()  # nobody praised and criticised at once
    assert (frame["quantity"] < 100).mean() > 0.3  # the old reading would have caught a third or more


def test_a_cancelled_project_leaves_and_is_not_graded_again():
    """l.426 直至取消该项目: a cancelled project is gone — no later grade, criticism or budget."""
    from perfsim.lifecycle import STOPPED
    from perfsim.population import BehaviourModel
    from perfsim.simulate import simulate

    sc = load_scenario(BUNDLE)
    quiet = BehaviourModel(year_sd=0, default_noise=0, rater_noise={}, capacity_elasticity=0, veto_events="fixed")
    sim = simulate(sc.compiled, sc.data, years=5, draws=2, seed=0, model=quiet, workers=1)
    m23 = sc.data.units.index("M23")
    assert sim.status is not None and sim.budget is not None
    assert sim.status[:, 0, m23].tolist() == [0, 0, 0, STOPPED, STOPPED]  # cancelled after the third 较差 year
    assert (sim.grade[3:, :, m23] == -1).all() and not sim.flags["criticised_poor"][3:, :, m23].any()
    assert (sim.budget[3:, :, m23] == 0).all()
    m15 = sc.data.units.index("M15")
    assert (sim.status[1:, :, m15] == STOPPED).all()  # not re-filed: out of the request, and out
