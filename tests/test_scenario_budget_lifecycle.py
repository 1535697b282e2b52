"""budget-lifecycle (篇一, 篇三, 篇七, 篇十): the plans' rules checked on the scenario's own data."""

from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal

import numpy as np
import pandas as pd
import pytest

import perfsim
from perfsim.consequences import apply_consequences
from perfsim.scenario import load_scenario
from perfsim.simulate import simulate

from conftest import SCENARIOS, cents, d

BUNDLE = SCENARIOS / "budget-lifecycle.yaml"
DATA = SCENARIOS / "data" / "budget-lifecycle.csv"

# leaf → points, as written in the scheme (决策 20 / 过程 20 / 产出 30 / 效益 30)
MARKS = {  # method score, scale 100
    "basis": 3,
    "procedure": 3,
    "target_fit": 3,
    "target_clarity": 3,
    "budgeting": 4,
    "allocation": 4,
    "rules": 4,
    "rules_applied": 4,
    "on_time": 6,
    "economic": 5,
    "social": 7,
    "ecological": 5,
    "sustainable": 3,
    "satisfaction": 10,
}
RATES = {"arrival": 4, "execution": 4, "completion": 10, "quality_rate": 8}  # completion ratio vs 100 %, capped
GRADE_CHANGE = {"优": 0.10, "良": 0.0, "中": -0.10, "差": -0.30}
URGENT = ["W35", "W36", "W37", "W38", "W03", "W02"]


def hand_total(row: pd.Series) -> float:
    """The total from the data row in exact decimals, rounded half-up to 2 places."""
    total = sum(points * d(row[leaf]) / 100 for leaf, points in MARKS.items())
    total += sum(points * min(d(row[leaf]) / 100, Decimal(1)) for leaf, points in RATES.items())
    total += 6 * min(100 / d(row["cost_index"]), Decimal(1))  # actual/planned cost: lower is better
    total += max(4 - 1 * d(row["compliance"]), 0)  # 1 point off per violation found
    return float(total.quantize(Decimal("0.01"), rounding=ROUND_HALF_UP))


@pytest.fixture(scope="module")
def scenario():
    sc = load_scenario(BUNDLE)
    ev = perfsim.evaluate(sc.compiled, sc.data, detail=True)
    outcome, _ = apply_consequences(ev)
    frame = pd.read_csv(DATA).set_index("unit")
    return sc, ev, outcome, frame


def at(sc, unit: str) -> int:
    return sc.data.units.index(unit)


def test_totals_equal_a_hand_computation_of_the_common_framework(scenario):
    sc, ev, _, frame = scenario
    for unit in ("W01", "W09", "W29", "W42"):  # W29 has 3 fund-use violations, W09 a low execution rate
        assert ev.total[0, at(sc, unit)] == pytest.approx(hand_total(frame.loc[unit]), abs=1e-9), unit
    grades = ev.grade_labels()
    for unit in frame.index:
        t = hand_total(frame.loc[unit])
        expected = "优" if t >= 90 else "良" if t >= 80 else "中" if t >= 60 else "差"
        assert grades[at(sc, unit)] == expected, unit


def test_ex_ante_and_precondition_gates_give_no_budget_whatever_the_grade(scenario):
    sc, ev, o, frame = scenario
    failing = frame.index[(frame["ex_ante"] == 0) | (frame["shortboard"] == 0)].tolist()
    assert failing == ["W15", "W20"]  # the generator's set-up cases: precondition and ex-ante
    for unit in failing:
        i = at(sc, unit)
        assert ev.grade_labels()[i] in ("优", "良")  # a good project: only the gate stops it
        assert o.gated[0, i] and o.next_budget[0, i] == 0 and o.received[0, i] == 0
    assert o.gated[0].sum() == len(failing)


def test_dual_monitoring_stops_mismatched_and_low_projects_and_frees_unspent_money(scenario):
    sc, ev, o, frame = scenario
    total = pd.Series(ev.total[0], index=sc.data.units)
    mismatch = (frame["spend"] - frame["progress"]).abs() > 0.3
    low = total < 60
    expected = frame.index[(mismatch | low) & (frame["ex_ante"] == 1) & (frame["shortboard"] == 1)].tolist()
    assert expected == ["W09", "W24", "W29"]  # behind, ahead of the works, expected low performance
    assert [u for u in sc.data.units if o.suspended[0, at(sc, u)]] == expected
    for unit in expected:
        i = at(sc, unit)
        row = frame.loc[unit]
        assert o.released[0, i] == cents(row["budget"] * (1 - row["spend"]))  # the unspent part
        assert o.next_budget[0, i] == 0  # stopped
    assert o.released[0].sum() == sum(o.released[0, at(sc, u)] for u in expected)


def test_freed_money_goes_to_urgent_projects_in_order_up_to_half_their_budget(scenario):
    sc, ev, o, frame = scenario
    grades = ev.grade_labels()
    pool = int(o.released[0].sum())  # grade cuts return to the treasury, so only released money
    left = pool
    expected = {}
    for unit in URGENT:
        i = at(sc, unit)
        grade = grades[i]
        if GRADE_CHANGE[grade] < 0 or o.suspended[0, i] or o.gated[0, i]:
            expected[unit] = 0  # a cut or stopped project is not urgent enough to receive
            continue
        base = cents(frame.loc[unit, "budget"] * (1 + GRADE_CHANGE[grade]))
        expected[unit] = min(left, cents(base / 100 * 0.5))
        left -= expected[unit]
    assert expected["W37"] == 0  # 水毁工程修复 W37 is graded 中 and skipped
    got = {unit: int(o.received[0, at(sc, unit)]) for unit in URGENT}
    assert got == expected
    assert o.received[0].sum() == sum(expected.values())  # nobody else receives
    assert o.returned[0] == pool - sum(expected.values()) > 0


def test_next_budgets_follow_the_grade_link_and_money_is_accounted_to_the_cent(scenario):
    sc, ev, o, frame = scenario
    grades = ev.grade_labels()
    for unit in frame.index:
        i = at(sc, unit)
        if o.gated[0, i] or o.suspended[0, i]:
            continue
        base = cents(frame.loc[unit, "budget"] * (1 + GRADE_CHANGE[grades[i]]))
        assert o.next_budget[0, i] - o.received[0, i] == base, unit
    assert o.next_budget.sum() == o.budget.sum() - o.cut.sum() + o.increase.sum() + o.received.sum()
    ledger = o.ledger().loc[0]
    assert ledger["gate: not arranged"] == pytest.approx(frame.loc[["W15", "W20"], "budget"].sum())


def test_stopped_and_gated_projects_stay_unfunded_in_a_simulation(scenario):
    sc, _, o, _ = scenario
    sim = simulate(sc.compiled, sc.data, years=3, draws=4, seed=1, workers=1)
    assert sim.budget is not None and sim.next_budget is not None
    assert np.array_equal(sim.budget[1:], sim.next_budget[:-1])  # each year starts from last year's decision
    for unit in ("W15", "W20"):  # the gates do not depend on the draw
        assert (sim.budget[1:, :, at(sc, unit)] == 0).all()
    stopped_first_year = sim.next_budget[0] == 0
    assert stopped_first_year[:, at(sc, "W15")].all()
    assert (sim.budget[2][stopped_first_year] == 0).all()  # nothing revives a stopped project
