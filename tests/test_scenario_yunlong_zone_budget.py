"""yunlong-zone-budget (篇五): the plan's rules checked on the scenario's own data."""

from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal

import numpy as np
import pandas as pd
import pytest

import perfsim
from perfsim.consequences import apply_consequences
from perfsim.scenario import load_scenario

from conftest import SCENARIOS, cents, d

BUNDLE = SCENARIOS / "yunlong-zone-budget.yaml"
DATA = SCENARIOS / "data" / "yunlong-zone-budget.csv"
STANCE = {"优": 0.10, "良": 0.05, "中": -0.10, "低": 0.0}  # l.297 as written


def round2(x: Decimal) -> float:
    return float(x.quantize(Decimal("0.01"), rounding=ROUND_HALF_UP))


def ratio(part: Decimal, whole: Decimal) -> Decimal:
    return min(part / whole, Decimal(1))


def project_total(r: pd.Series) -> float:
    economy = d(r["budgeting"]) / 10 + 10 * ratio(Decimal(100), d(r["cost"])) + max(10 - 2 * d(r["compliance"]), 0)
    efficiency = 10 * ratio(d(r["execution"]), Decimal(100)) + 10 * ratio(d(r["completion"]), Decimal(100))
    efficiency += d(r["timeliness"]) / 10
    effect = (15 * d(r["social"]) + 10 * d(r["economic"]) + 5 * d(r["sustainable"]) + 10 * d(r["satisfaction"])) / 100
    return round2(economy + efficiency + effect)


def department_total(r: pd.Series) -> float:
    economy = 10 * ratio(Decimal(5), d(r["budget_adjust"])) + 10 * ratio(Decimal(100), d(r["general_costs"]))
    economy += d(r["assets"]) / 10
    efficiency = 15 * ratio(d(r["execution"]), Decimal(100)) + 15 * ratio(d(r["key_tasks"]), Decimal(100))
    return round2(economy + efficiency + (25 * d(r["duty"]) + 15 * d(r["satisfaction"])) / 100)


@pytest.fixture(scope="module")
def scenario():
    sc = load_scenario(BUNDLE)
    ev = perfsim.evaluate(sc.compiled, sc.data, detail=True)
    outcome, state = apply_consequences(ev)
    return sc, ev, outcome, state, pd.read_csv(DATA).set_index("unit")


def test_both_classes_are_scored_on_their_own_3e_tree(scenario):
    sc, ev, _, _, frame = scenario
    for i, unit in enumerate(sc.data.units):
        row = frame.loc[unit]
        expected = project_total(row) if row["class"] == "project" else department_total(row)
        assert ev.total[0, i] == pytest.approx(expected, abs=1e-9), unit
    assert (frame["class"] == "department").sum() == 12 and (frame["class"] == "project").sum() == 36


def test_stance_is_applied_as_written_so_fair_is_cut_while_low_is_not(scenario):
    sc, ev, o, _, frame = scenario
    grades = ev.grade_labels()
    budget = frame["budget"]
    fair = [u for u, g in zip(sc.data.units, grades) if g == "中" and not o.stopped[0, sc.data.units.index(u)]]
    assert fair and "P05" not in fair and grades[sc.data.units.index("P05")] == "低"
    for unit in [*fair, "P05"]:
        i = sc.data.units.index(unit)
        assert o.received[0, i] == 0  # neither 中 nor 低 may receive reallocated money
        assert o.claim[0, i] == cents(budget[unit] * (1 + STANCE[grades[i]])), unit
    p05 = sc.data.units.index("P05")
    assert o.claim[0, p05] == o.budget[0, p05]  # 低: 列入重点监控, no money change
    assert o.flags["key_monitoring"][0, p05]
    warnings = [f.message for f in perfsim.lint(sc.scheme)]
    assert any("中 is cut while 低 is not" in w for w in warnings)


def test_no_performance_and_serious_deviation_stop_the_project(scenario):
    sc, ev, o, _, frame = scenario
    gap = (frame["progress"] - frame["spend"]).abs()
    total = pd.Series(ev.total[0], index=sc.data.units)
    stopped = (total < 40) | (gap > 0.5)
    assert stopped[stopped].index.tolist() == ["P11", "P22"]  # deviation 0.58; total 32.37
    assert o.stopped[0].tolist() == stopped.tolist()
    for unit in ("P11", "P22"):
        i = sc.data.units.index(unit)
        assert o.next_budget[0, i] == 0 and o.ended[0, i]  # 不予安排预算资金 / 停止: the project leaves
        assert o.released[0, i] == cents(frame.loc[unit, "budget"] * (1 - frame.loc[unit, "spend"]))


def test_mid_term_review_adjusts_by_severity(scenario):
    sc, _, o, _, frame = scenario
    gap = (frame["progress"] - frame["spend"]).abs()
    for i, unit in enumerate(sc.data.units):
        if o.stopped[0, i]:
            continue
        rate = 0.30 if gap[unit] > 0.3 else 0.10 if gap[unit] > 0.15 else 0.0
        if frame.loc[unit, "class"] == "department":
            rate = 0.0  # l.289 调整该项目预算: projects only
        assert o.released[0, i] == cents(frame.loc[unit, "budget"] * rate), unit
    adjusted = [u for i, u in enumerate(sc.data.units) if o.released[0, i] and not o.stopped[0, i]]
    assert adjusted == ["P17", "P30"]  # −30 %, −10 %; D07's gap is 0.16 but a department is not adjusted


def test_withdrawn_money_goes_to_good_units_within_the_cap_and_is_conserved(scenario):
    sc, ev, o, _, frame = scenario
    grades = np.array(ev.grade_labels())
    pool = o.released[0].sum()
    assert pool > 0 and o.cut_to_pool.sum() == 0
    assert o.received[0].sum() + o.returned[0] == pool
    good = np.isin(grades, ["优", "良"]) & ~o.stopped[0] & (o.released[0] == 0)  # payers do not draw
    assert (o.received[0][~good] == 0).all()
    base = o.claim[0] - o.received[0]
    assert (o.received[0][good] <= np.ceil(base[good] * 0.2)).all()
    # pro rata: received ∝ next-year budget before reallocation (to the cent)
    share = o.received[0][good] / pool
    assert share == pytest.approx(base[good] / base[good].sum(), abs=1e-6)


def test_a_unit_that_stays_low_is_monitored_then_cut_then_given_nothing(scenario):
    sc, ev, _, _, frame = scenario
    p05 = sc.data.units.index("P05")
    claims, budgets, steps, state = [], [], [], None
    for _ in range(4):  # the same evaluation year after year: P05 stays 低
        outcome, state = apply_consequences(ev, state)
        budgets.append(int(outcome.budget[0, p05]))  # this year's, after last year's envelope share
        claims.append(int(outcome.claim[0, p05]))
        steps.append(int(outcome.ladder_step[0, p05]))
    assert budgets[0] == cents(frame.loc["P05", "budget"])
    assert steps == [1, 2, 3, 3]
    cut = int((Decimal(budgets[1]) * Decimal("0.7")).quantize(Decimal(1), rounding=ROUND_HALF_UP))
    assert claims == [budgets[0], cut, 0, 0]  # 重点监控 → 调减 −30 % → 不予安排


def test_project_rules_leave_department_budgets_alone(scenario):
    """l.287 "低绩效或无绩效的项目" and l.289 "暂缓或停止该项目的执行…调整该项目预算" are about projects:
    a budget unit graded 低 year after year is monitored (l.297) but never cut or zeroed by them."""
    sc, ev, _, _, frame = scenario
    departments = (frame["class"] == "department").to_numpy()
    columns = [name for col in sc.compiled.classes[1].columns for name in col.data_columns.values()]
    zeroed = {name: np.where(departments, 0.0, sc.data.values[name]) for name in columns}
    low = perfsim.evaluate(sc.compiled, sc.data, values=zeroed)
    assert {g for g, dept in zip(low.grade_labels(), departments) if dept} == {"低"}
    state, claims = None, []
    for _ in range(3):
        o, state = apply_consequences(low, state)
        assert not (o.ladder_step[0][departments]).any() and not o.stopped[0][departments].any()
        claims.append(o.claim[0][departments])
    assert (claims[-1] > 0).all()


def test_budgets_stay_inside_the_zones_envelope_for_ten_years(scenario):
    """量入为出: 重点支持/优先保障 are priority inside the total; the total does not grow (+93 % before)."""
    from perfsim.simulate import simulate

    sc = scenario[0]
    sim = simulate(sc.compiled, sc.data, years=10, draws=20, seed=1)
    assert sim.envelope is not None and sim.budget is not None
    assert (sim.budget.sum(axis=2) == sim.budget[0].sum(axis=1)).all()
    assert (sim.next_budget.sum(axis=2) == sim.envelope).all()
