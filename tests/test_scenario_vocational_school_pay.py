"""篇十七 vocational-school pay on the scenario's staff: base = base amount × coefficient; the incentive pool holds."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import yaml

import perfsim
from perfsim.consequences import apply_consequences
from perfsim.scenario import load_scenario

from conftest import SCENARIOS

SCENARIO = SCENARIOS / "vocational-school-pay.yaml"
SCHEME = SCENARIOS / "schemes" / "vocational-school-pay.yaml"
DATA = SCENARIOS / "data" / "vocational-school-pay.csv"


@pytest.fixture(scope="module")
def scenario():
    return load_scenario(Path(SCENARIO))


@pytest.fixture(scope="module")
def rows():
    return pd.read_csv(DATA, dtype={"unit": str}).set_index("unit")


def pay_of(compiled, data, params=None):
    ev = perfsim.evaluate(compiled, data, params)
    outcome, _ = apply_consequences(ev)
    return ev, outcome.pay


def test_base_pay_is_base_amount_times_post_coefficient(scenario, rows):
    """l.708: 基础性绩效工资 = 基数 × 岗位系数, paid monthly (12 months), whatever the assessment."""
    _, pay = pay_of(scenario.compiled, scenario.data)
    t002 = scenario.data.unit_position("T002")  # a 专业技术副高级 teacher: 1,500 × 1.5 × 12
    assert rows.loc["T002", "post"] == "专业技术副高级"
    assert pay["base"][0, t002] == pytest.approx(1500 * 1.5 * 12)
    expected = (rows["base_amount"] * rows["post_coefficient"] * 12).to_numpy()
    assert pay["base"][0] == pytest.approx(expected, abs=0.005)
    # two people with the same post are paid the same base however differently they were assessed
    same = rows[(rows["post"] == "专业技术中级") & (rows["status"] == "在岗")].index[:2]
    a, b = (scenario.data.unit_position(u) for u in same)
    ev = perfsim.evaluate(scenario.compiled, scenario.data)
    assert ev.total[0, a] != ev.total[0, b] and pay["base"][0, a] == pay["base"][0, b]


def test_incentive_pool_is_thirty_percent_shared_by_score_and_never_exceeded(scenario, rows):
    """l.710: the incentive part is paid by the assessment; 量入为出 — it never exceeds its 30 % share."""
    caps = [0.0, 10.0, 20.0]
    ev, pay = pay_of(scenario.compiled, scenario.data, {"cap:outstanding_contribution": caps})
    pool_cents = int(round((rows["pool_share"] * 100).sum()))
    for draw in range(len(caps)):
        incentive = pay["incentive"][draw]
        assert int(round(incentive.sum() * 100)) == (3 * pool_cents + 5) // 10
        assert (incentive >= 0).all()
        share = incentive / incentive.sum()
        assert share == pytest.approx(ev.total[draw] / ev.total[draw].sum(), abs=1e-6)
    # base (70 %) plus incentive (30 %) is the whole pool, to rounding of the pool shares
    assert pay["base"][0].sum() + pay["incentive"][0].sum() == pytest.approx(rows["pool_share"].sum(), abs=1.0)
    # a larger contribution bonus moves money between people, not into the pool
    t055 = scenario.data.unit_position("T055")
    assert rows.loc["T055", "outstanding_contribution"] == 12
    assert ev.bonus[:, t055].tolist() == [0.0, 10.0, 12.0]  # capped at 10 by default
    assert pay["incentive"][2, t055] > pay["incentive"][1, t055] > pay["incentive"][0, t055]


def test_off_post_staff_get_the_base_part_and_no_incentive(scenario, rows):
    """l.705: 离岗待退 staff are in scope; default: base part only."""
    _, pay = pay_of(scenario.compiled, scenario.data)
    off = rows.index[rows["status"] == "离岗待退"]
    assert len(off) == 6
    for unit in off:
        u = scenario.data.unit_position(unit)
        assert pay["incentive"][0, u] == 0
        assert pay["base"][0, u] == pytest.approx(
            12 * rows.loc[unit, "base_amount"] * rows.loc[unit, "post_coefficient"]
        )


def test_literal_each_xx_percent_reading_splits_the_pool_half_and_half(rows):
    """l.707 "各占…xx%" read literally as equal shares: 50/50, with the pool re-sized as base ÷ 0.50."""
    spec = yaml.safe_load(SCHEME.read_text(encoding="utf-8"))
    spec["consequences"]["pay"]["pool"].update(base_percent=50, incentive_percent=50)
    compiled = perfsim.compile_scheme(perfsim.scheme_from_data(spec))
    literal = rows.reset_index()
    literal["pool_share"] = np.round(12 * literal["base_amount"] * literal["post_coefficient"] / 0.50, 2)
    data = perfsim.load_units(literal, compiled)
    _, pay = pay_of(compiled, data)
    pool = literal["pool_share"].sum()
    assert pay["incentive"][0].sum() == pytest.approx(0.50 * pool, abs=0.01)
    assert pay["base"][0].sum() == pytest.approx(0.50 * pool, abs=1.0)


def test_a_persons_grade_is_their_annual_assessment_grade(scenario, rows):
    """l.713: the school's annual assessment grades its staff; the incentive total only shares the pay, so
    no person's grade may contradict their assessment (graded on its own, 11 were 不合格 on the total)."""
    ev = perfsim.evaluate(scenario.compiled, scenario.data)
    grades = np.array(ev.grade_labels())
    assessed = (rows["status"] != "离岗待退").to_numpy()
    given = rows["annual_assessment"].astype(str).to_numpy()
    assert np.array_equal(grades[assessed], given[assessed])
    assert [g.zh for g in scenario.compiled.grades][:4] == ["优秀", "合格", "基本合格", "不合格"]
    from perfsim.national import entry

    assert entry("institution_staff_grades").matches(scenario.scheme)
    # the grade follows the assessment in simulated years too: the lookup's inverse gives labels
    from perfsim.simulate import simulate

    sim = simulate(scenario.compiled, scenario.data, years=3, draws=5, seed=2, workers=1)
    codes = sim.grade[:, :, assessed]
    assert set(np.unique(codes)) <= {0, 1, 2, 3}
