"""budget-lifecycle (篇一, 篇三, 篇七, 篇十): the plans' rules checked on the scenario's own data."""

from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal

import numpy as np
import pandas as pd
import pytest

import perfsim
from perfsim.consequences import apply_consequences
from perfsim.lifecycle import OUTSIDE, STOPPED, SUSPENDED
from perfsim.national import entry
from perfsim.scenario import load_scenario
from perfsim.simulate import simulate

from conftest import SCENARIOS, cents, d

BUNDLE = SCENARIOS / "budget-lifecycle.yaml"
DATA = SCENARIOS / "data" / "budget-lifecycle.csv"

# leaf → points, the national self-evaluation template (产出 50 / 效益 30 / 满意度 10 / 预算执行率 10)
MARKS = {"on_time": 10, "economic": 8, "social": 10, "ecological": 7, "sustainable": 5, "satisfaction": 10}
RATES = {"completion": 15, "quality_rate": 15, "execution": 10}  # completion ratio vs 100 %, capped
GRADE_CHANGE = {"优": 0.10, "良": 0.0, "中": -0.10, "差": -0.20}
URGENT = ["W35", "W36", "W37", "W38", "W03", "W02"]


def hand_total(row: pd.Series) -> float:
    """The total from the data row in exact decimals, rounded half-up to 2 places."""
    total = sum(points * d(row[leaf]) / 100 for leaf, points in MARKS.items())
    total += sum(points * min(d(row[leaf]) / 100, Decimal(1)) for leaf, points in RATES.items())
    total += 10 * min(100 / d(row["cost_index"]), Decimal(1))  # actual/planned cost: lower is better
    return float(total.quantize(Decimal("0.01"), rounding=ROUND_HALF_UP))


@pytest.fixture(scope="module")
def scenario():
    sc = load_scenario(BUNDLE)
    ev = perfsim.evaluate(sc.compiled, sc.data, detail=True)
    outcome, _ = apply_consequences(ev)
    frame = pd.read_csv(DATA).set_index("unit")
    return sc, ev, outcome, frame


@pytest.fixture(scope="module")
def ten_years(scenario):
    """Issue 13's acceptance run: ten years, default noise, the scenario's own draws."""
    sc = scenario[0]
    sim_spec = sc.spec.analysis.simulation
    return simulate(sc.compiled, sc.data, years=sim_spec.years, draws=sim_spec.draws, seed=sim_spec.seed)


def at(sc, unit: str) -> int:
    return sc.data.units.index(unit)


def test_the_tree_is_the_national_self_evaluation_template(scenario):
    """篇三 l.114 asks for self-evaluation (自评) of every fund: 产出 50 / 效益 30 / 满意度 10 / 预算执行率 10."""
    sc = scenario[0]
    assert entry("self_evaluation_template").matches(sc.scheme)
    assert entry("project_bands").matches(sc.scheme)
    used = {x.uses for x in sc.spec.defaults if x.uses}
    assert {"self_evaluation_template", "project_bands", "project_grade_budget"} <= used


def test_totals_equal_a_hand_computation_of_the_template(scenario):
    sc, ev, _, frame = scenario
    for unit in ("W01", "W09", "W29", "W42"):
        assert ev.total[0, at(sc, unit)] == pytest.approx(hand_total(frame.loc[unit]), abs=1e-9), unit
    grades = ev.grade_labels()
    for unit in frame.index:
        t = hand_total(frame.loc[unit])
        expected = "优" if t >= 90 else "良" if t >= 80 else "中" if t >= 60 else "差"
        if frame.loc[unit, "fund_use"] == "非水利":
            expected = "不在范围"  # l.101: outside water performance management, not graded
        assert grades[at(sc, unit)] == expected, unit


def test_ex_ante_and_precondition_gates_give_no_budget_whatever_the_grade(scenario):
    sc, ev, o, frame = scenario
    failing = frame.index[(frame["ex_ante"] == 0) | (frame["shortboard"] == 0)].tolist()
    assert failing == ["W15", "W20"]  # the generator's set-up cases: precondition and ex-ante
    for unit in failing:
        i = at(sc, unit)
        assert ev.grade_labels()[i] in ("优", "良")  # a good project: only the gate stops it
        assert o.gated[0, i] and o.next_budget[0, i] == 0 and o.received[0, i] == 0 and o.ended[0, i]
    assert o.gated[0].sum() == len(failing)


def test_mismatch_suspends_and_low_performance_stops(scenario):
    """篇三 l.110: 严重不匹配 → 暂缓 (money withheld, the project stays); 预期无绩效、低绩效 → 停止 (it leaves)."""
    sc, ev, o, frame = scenario
    total = pd.Series(ev.total[0], index=sc.data.units)
    mismatch = (frame["spend"] - frame["progress"]).abs() > 0.3
    assert frame.index[mismatch].tolist() == ["W09", "W24"]  # behind and ahead of the works
    assert total.index[total < 60].tolist() == ["W29"]
    for unit in ("W09", "W24"):
        i = at(sc, unit)
        row = frame.loc[unit]
        assert o.suspended[0, i] and not o.stopped[0, i] and not o.ended[0, i]
        assert o.released[0, i] == cents(row["budget"] * (1 - row["spend"]))  # this year's unspent part
        grade = ev.grade_labels()[i]
        assert o.claim[0, i] == cents(row["budget"] * (1 + GRADE_CHANGE[grade]))  # next year as graded
    w29 = at(sc, "W29")
    assert o.stopped[0, w29] and o.ended[0, w29] and o.next_budget[0, w29] == 0
    assert o.released[0, w29] == cents(frame.loc["W29", "budget"] * (1 - frame.loc["W29", "spend"]))


def test_freed_money_goes_to_urgent_projects_in_order_up_to_half_their_claim(scenario):
    sc, ev, o, frame = scenario
    grades = ev.grade_labels()
    assert frame.index[frame["urgent"] == 1].tolist() == sorted(URGENT)
    assert frame.loc[URGENT, "urgency"].tolist() == [6, 5, 4, 3, 2, 1]
    pool = int(o.released[0].sum())  # grade cuts stay in the envelope, so only withheld money
    left = pool
    expected = {}
    for unit in URGENT:
        i = at(sc, unit)
        grade = grades[i]
        if GRADE_CHANGE[grade] < 0 or o.suspended[0, i] or o.gated[0, i]:
            expected[unit] = 0  # a cut or suspended project is not urgent enough to receive
            continue
        base = cents(frame.loc[unit, "budget"] * (1 + GRADE_CHANGE[grade]))
        expected[unit] = min(left, cents(base / 100 * 0.5))
        left -= expected[unit]
    assert expected["W36"] == 0  # 抗旱应急供水 W36 is graded 中 and skipped
    got = {unit: int(o.received[0, at(sc, unit)]) for unit in URGENT}
    assert got == expected
    assert o.received[0].sum() == sum(expected.values())  # nobody else receives


def test_claims_follow_the_grade_link_and_next_budgets_fill_the_envelope_to_the_fen(scenario):
    sc, ev, o, frame = scenario
    grades = ev.grade_labels()
    in_scope = frame["fund_use"] == "水利"
    for unit in frame.index[in_scope]:
        i = at(sc, unit)
        if o.gated[0, i] or o.stopped[0, i]:
            continue
        base = cents(frame.loc[unit, "budget"] * (1 + GRADE_CHANGE[grades[i]]))
        assert o.claim[0, i] - o.received[0, i] == base, unit
    envelope = sum(cents(b) for b in frame.loc[in_scope, "budget"])
    assert o.envelope[0] == envelope == o.next_budget.sum()  # 量入为出: nothing from nowhere
    assert o.claim.sum() == o.budget.sum() - o.cut.sum() + o.increase.sum() + o.received.sum()
    ledger = o.ledger().loc[0]
    assert ledger["gate: not arranged"] == pytest.approx(frame.loc[["W15", "W20"], "budget"].sum())
    assert ledger["envelope: shared pro rata"] == pytest.approx((o.next_budget.sum() - o.claim.sum()) / 100)


def test_a_water_fund_used_for_other_construction_is_out_of_scope(scenario):
    """篇三 l.101: 水利专项预算资金被统筹整合用于非水利建设的，不再纳入水利预算绩效管理."""
    sc, _, o, frame = scenario
    assert frame.loc["W44", "fund_use"] == "非水利" and frame.loc["W45", "fund_use"] == "水利"
    i = at(sc, "W44")
    assert not o.present[0, i] and o.budget[0, i] == 0 and o.next_budget[0, i] == 0
    assert not any(flag[0, i] for flag in o.flags.values())
    assert o.present[0, at(sc, "W45")]  # a non-water fund integrated into water construction is in


def test_falsified_indicators_are_criticised(scenario):
    """篇三 l.115: 擅自调整绩效指标、弄虚作假造成不良影响的给予通报批评."""
    sc, _, o, frame = scenario
    flagged = [u for u in sc.data.units if o.flags["criticised"][0, at(sc, u)]]
    assert flagged == frame.index[frame["falsified"] == 1].tolist() == ["W33"]


def test_poor_share_stays_near_the_first_year(ten_years):
    """Issue 13 acceptance: with default noise the 差 share of years 2-10 stays within ±2 points of year 1."""
    share = ten_years.summary()["share 差"].to_numpy()
    assert np.all(np.abs(share[1:] - share[0]) <= 0.02), share


def test_no_unit_present_without_money_and_stopped_units_stay_gone(ten_years):
    """Issue 13 acceptance: a unit present has a budget (a rule puts it to zero only for the year after,
    when the unit has left); a stopped unit appears in no later year's grades or flags."""
    sim = ten_years
    assert sim.status is not None and sim.budget is not None
    present = sim.present
    assert (sim.budget[present] > 0).all()
    assert (sim.budget[~present] == 0).all()
    stopped = sim.status == STOPPED
    gone = np.maximum.accumulate(stopped, axis=0)  # stopped in this or an earlier year
    assert gone.any() and (stopped == gone).all()  # nothing comes back
    assert (sim.grade[gone] == -1).all() and np.isnan(sim.total[gone]).all()
    for flag in sim.flags.values():
        assert not flag[gone].any()
    assert (sim.status[:, :, at_unit(sim, "W44")] == OUTSIDE).all()
    assert (sim.status == SUSPENDED).any()  # 暂缓 happens and is recorded


def at_unit(sim, unit: str) -> int:
    return sim.data.units.index(unit)


def test_envelope_holds_every_year_of_the_simulation(ten_years):
    sim = ten_years
    assert sim.envelope is not None and sim.next_budget is not None and sim.budget is not None
    assert (sim.next_budget.sum(axis=2) == sim.envelope).all()
    assert (sim.envelope == sim.budget[0].sum(axis=1)).all()  # fixed: no growth stated
    assert np.array_equal(sim.budget[1:], sim.next_budget[:-1])
    counted = sim.summary()["units present"]
    assert counted.min() > 35 and counted.max() < 65  # completions and entrants keep the portfolio's size
