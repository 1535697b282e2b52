"""Scheme explorer (issue 6): the model and its widgets, in-process."""

from __future__ import annotations

import numpy as np
import pytest

import perfsim
from perfsim.analysis import tiers
from perfsim.explorer import Explorer, scheme_with
from perfsim.scenario import load_scenario

from conftest import SCENARIOS


@pytest.fixture
def scenario():
    return load_scenario(SCENARIOS / "qitai-county.yaml")


def test_moving_a_weight_keeps_its_tier_sum(scenario):
    ex = Explorer(scenario)
    changed = ex.set("points:department/public", 20)
    assert changed["points:department/key"] == pytest.approx(80)
    ex.set("points:department/centralised", 70)
    for tier in tiers(scenario.compiled):
        now = [ex.moved.get(p, n) for p, n in zip(tier.params, tier.nominal)]
        assert sum(now) == pytest.approx(tier.total)


def test_view_recomputes_counts_table_and_chart(scenario):
    ex = Explorer(scenario)
    before = ex.view()
    assert list(before.counts["now"]) == list(before.counts["baseline"])
    assert not before.table["changed"].any()
    ex.set("cutoff:优秀", 85)
    after = ex.view()
    direct = perfsim.evaluate(scenario.compiled, scenario.data, {"cutoff:优秀": 85.0})
    assert list(after.counts["now"]) == [(direct.grade[0] == g).sum() for g in range(4)]
    assert after.counts["now"].iloc[0] > before.counts["now"].iloc[0]
    assert set(after.table.loc[after.table["changed"], "grade"]) == {"优秀"}
    values = after.chart.to_dict()["datasets"]
    now = [row for rows in values.values() for row in rows if row["setting"] == "now"]
    assert {row["grade"]: row["units"] for row in now}["优秀"] == after.counts["now"].iloc[0]


def test_out_of_range_and_unknown_sliders_are_refused(scenario):
    ex = Explorer(scenario)
    with pytest.raises(perfsim.ParameterError, match="outside"):
        ex.set("cutoff:优秀", 120)
    with pytest.raises(perfsim.ParameterError, match="no slider"):
        ex.set("points:nowhere", 1)


def test_save_writes_a_scenario_that_reproduces_the_view(scenario, tmp_path):
    ex = Explorer(scenario)
    ex.set("points:department/public", 15)
    ex.set("cutoff:合格", 72)
    view = ex.view()
    saved = load_scenario(ex.save(tmp_path, "variant"))
    ev = perfsim.evaluate(saved.compiled, saved.data)
    assert np.array_equal(ev.total[0], view.evaluation.total[0])
    assert np.array_equal(ev.grade[0], view.evaluation.grade[0])
    assert saved.scheme.grading.bands[2].min == 72


def test_scheme_with_moves_a_section_and_keeps_scale(scenario):
    moved = scheme_with(scenario.scheme, {"points:department/key": 80, "points:department/public": 20})
    compiled = perfsim.compile_scheme(moved)
    direct = perfsim.evaluate(
        scenario.compiled, scenario.data, {"points:department/key": 80.0, "points:department/public": 20.0}
    )
    assert np.array_equal(perfsim.evaluate(compiled, scenario.data).total, direct.total)


def test_widget_sliders_drive_the_explorer(scenario, tmp_path):
    from perfsim.widgets import ExplorerWidget

    widget = ExplorerWidget(scenario, chart_mode="svg", save_folder=tmp_path)
    first = widget.counts.value
    widget.sliders["points:department/public"].value = 20.0
    assert widget.sliders["points:department/key"].value == pytest.approx(80.0)  # linked slider moved
    widget.sliders["cutoff:优秀"].value = 85.0
    assert widget.counts.value != first
    assert widget.view.counts["now"].iloc[0] == (widget.view.evaluation.grade[0] == 0).sum()
    widget.name.value = "from-widget"
    widget.save_button.click()
    assert (tmp_path / "from-widget.yaml").exists() and "saved" in widget.status.value
    widget.reset_button.click()
    assert widget.sliders["cutoff:优秀"].value == 90.0 and widget.explorer.current() == {}
