"""篇十六 hospital departments on the scenario's data: section veto, monthly first/last, the year's most last places."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

import perfsim
from perfsim.consequences import apply_consequences
from perfsim.population import BehaviourModel
from perfsim.scenario import load_scenario
from perfsim.simulate import simulate

from conftest import SCENARIOS

SCENARIO = SCENARIOS / "hospital-departments.yaml"
DATA = SCENARIOS / "data" / "hospital-departments.csv"
SECTIONS = ["admin", "insurance", "core", "quality", "infection", "safety", "finance"]


@pytest.fixture(scope="module")
def scenario():
    return load_scenario(Path(SCENARIO))


def evaluate_rows(scenario, rows: pd.DataFrame):
    data = perfsim.load_units(rows, scenario.compiled)
    return perfsim.results_frame(perfsim.evaluate(scenario.compiled, data, detail=True)).set_index("unit")


def test_safety_veto_zeroes_only_the_safety_section_of_the_department_with_a_major_dispute(scenario):
    """l.680: 单项否决 → 项目所属部分得分为零分. 外一科 (D13) had a major dispute this month."""
    rows = pd.read_csv(DATA, dtype=str, keep_default_na=False)
    row = rows.set_index("unit").loc["D13"]
    assert row["name"] == "外一科" and row["veto_safety"] == "1" and row["dispute_type"] == "重大纠纷"
    vetoed = evaluate_rows(scenario, rows)
    cleared_rows = rows.copy()
    cleared_rows.loc[cleared_rows["unit"] == "D13", "veto_safety"] = "0"
    cleared = evaluate_rows(scenario, cleared_rows)
    assert vetoed.loc["D13", "score:safety"] == 0
    # without the veto the safety section is what its three items give (clinical sheet: 6 + 5 + 4 points)
    safety = (
        max(6 - 2 * int(row["complaints"]), 0)
        + {"无": 5, "一般纠纷": 3, "重大纠纷": 0}[row["dispute_type"]]
        + max(4 - 2 * float(row["compensation"]), 0)
    )
    assert safety > 0  # the veto costs something on this row
    assert cleared.loc["D13", "score:safety"] == pytest.approx(safety)
    for section in [s for s in SECTIONS if s != "safety"]:
        assert vetoed.loc["D13", f"score:{section}"] == pytest.approx(cleared.loc["D13", f"score:{section}"])
    assert cleared.loc["D13", "total"] - vetoed.loc["D13", "total"] == pytest.approx(safety, abs=0.01)
    others = vetoed.index != "D13"
    assert np.allclose(vetoed.loc[others, "total"], cleared.loc[others, "total"])
    # the planned whole-assessment veto (scope total) sets the department's total to 0 and nothing else
    whole = rows.copy()
    whole.loc[whole["unit"] == "D13", "veto_whole"] = "1"
    planned = evaluate_rows(scenario, whole)
    assert planned.loc["D13", "total"] == 0
    assert np.allclose(planned.loc[others, "total"], vetoed.loc[others, "total"])


def test_first_and_last_place_are_flagged_within_each_class(scenario):
    """l.682: 第一名进行奖励，末尾一名进行处罚 — ranked within functional, clinical and medical-technology classes."""
    ev = perfsim.evaluate(scenario.compiled, scenario.data)
    outcome, _ = apply_consequences(ev)
    total = ev.total[0]
    classes = scenario.data.class_index
    for c in range(3):
        members = np.flatnonzero(classes == c)
        assert set(np.flatnonzero(outcome.flags["first"][0])) & set(members) == {
            int(members[np.argmax(total[members])])
        }
        assert set(np.flatnonzero(outcome.flags["last"][0])) & set(members) == {int(members[np.argmin(total[members])])}
    assert not outcome.flags["barred"].any()  # one month is not a year


def test_twelve_month_simulation_bars_the_most_last_places_only_in_month_twelve(scenario):
    """l.683: 排名末尾次数最多的科室不能参加先进科室评选 — counted over 12 simulated months, per class."""
    years = scenario.spec.analysis.simulation.years
    assert years == 12
    sim = simulate(
        scenario.compiled,
        scenario.data,
        years=years,
        draws=40,
        seed=7,
        model=BehaviourModel(year_sd=4.0, capacity_elasticity=0.0),
        workers=1,
    )
    last, first, barred = sim.flags["last"], sim.flags["first"], sim.flags["barred"]
    classes = scenario.data.class_index
    assert not barred[:11].any()
    ties_seen = 0
    for d in range(sim.draws):
        for c in range(3):
            members = np.flatnonzero(classes == c)
            totals = sim.total[:, d][:, members]
            # each month, last (first) place is the class's lowest (highest) total, ties all flagged
            assert np.array_equal(last[:, d][:, members], totals == totals.min(axis=1, keepdims=True))
            assert np.array_equal(first[:, d][:, members], totals == totals.max(axis=1, keepdims=True))
            counts = last[:, d][:, members].sum(axis=0)
            most = counts == counts.max()
            if most.sum() > 1:
                ties_seen += 1
                year_sum = np.zeros(len(members))
                for month in range(12):
                    year_sum = year_sum + totals[month]
                lowest = year_sum[most].min()
                most &= year_sum == lowest
            expected = set(members[most])
            assert set(np.flatnonzero(barred[11, d])) & set(members) == expected, (d, c)
    assert ties_seen > 0  # the tie rule (lowest sum of monthly totals) was exercised
