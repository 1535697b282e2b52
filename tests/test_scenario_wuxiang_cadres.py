"""wuxiang-cadres (篇十一(a) level 4): cadres graded as individuals, with the civil servants' consequences."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

import perfsim
from perfsim.consequences import apply_consequences
from perfsim.national import entry
from perfsim.scenario import load_scenario

from conftest import SCENARIOS

WEIGHTS = {"comprehensive": 20, "post_targets": 40, "work_style": 30, "public": 10}  # 篇十一(b) l.480


@pytest.fixture(scope="module")
def scenario():
    return load_scenario(SCENARIOS / "wuxiang-cadres.yaml")


@pytest.fixture(scope="module")
def rows():
    return pd.read_csv(SCENARIOS / "data" / "wuxiang-cadres.csv").set_index("unit")


def test_cadres_are_graded_as_individuals(scenario):
    """篇四 l.191: 对干部考核等次为：优秀、称职、基本称职、不称职 — not the unit grades 优秀/良好/合格/不合格."""
    assert [g.zh for g in scenario.compiled.grades] == ["优秀", "称职", "基本称职", "不称职"]
    assert entry("civil_servant_grades").matches(scenario.scheme)
    wuxiang = load_scenario(SCENARIOS / "wuxiang-county.yaml")
    assert "cadre" not in [c.id for c in wuxiang.compiled.classes]  # no unit grades for individuals


def test_totals_by_hand_and_at_most_a_fifth_excellent(scenario, rows):
    ev = perfsim.evaluate(scenario.compiled, scenario.data)
    for i, unit in enumerate(scenario.data.units):
        r = rows.loc[unit]
        total = sum(p * (min(r[c] / 100, 1) if c == "post_targets" else r[c] / 100) for c, p in WEIGHTS.items())
        assert ev.total[0, i] == pytest.approx(round(total + 1e-9, 2), abs=1e-9), unit
    grades = np.array(ev.grade_labels())
    assert (grades == "优秀").sum() == int(0.2 * len(grades))  # 3 of 15
    assert (ev.total[0] >= 90).sum() > 3  # the quota binds: 90 points alone are not enough
    assert grades[scenario.data.units.index("C04")] == "不称职"


def test_two_years_incompetent_lead_to_dismissal(scenario):
    """公务员法: 不称职 → moved down one post or rank level; two consecutive years 不称职 → 辞退."""
    ev = perfsim.evaluate(scenario.compiled, scenario.data)
    c04 = scenario.data.units.index("C04")
    year1, state = apply_consequences(ev)
    assert year1.flags["demoted"][0, c04] and not year1.flags["dismissed"][0, c04]
    year2, _ = apply_consequences(ev, state)
    assert year2.flags["dismissed"][0, c04]
    assert year2.flags["dismissed"][0].sum() == 1
