"""Every scenario loads, evaluates, lints clean and regenerates its data byte for byte (issue 4)."""

from __future__ import annotations

import sys

import numpy as np
import pytest
import yaml

import perfsim
from perfsim.cli import main
from perfsim.consequences import apply_consequences
from perfsim.scenario import list_scenarios, load_scenario

from conftest import SCENARIOS

# one scenario per row of the table in shared/seeds/README.md
SEED_TABLE = {
    "budget-lifecycle": "篇一, 篇三, 篇七, 篇十",
    "county-housing-projects": "篇二",
    "qitai-county": "篇四",
    "yunlong-zone-budget": "篇五",
    "transport-bureau": "篇六 (= 篇十五)",
    "yanghe-township": "篇八",
    "department-budget-rules": "篇九",
    "wuxiang-county": "篇十一 a",
    "zhengding-county": "篇十一 c (= 篇十二)",
    "employee-rubric": "篇十三",
    "compulsory-school-pay": "篇十四",
    "hospital-departments": "篇十六",
    "vocational-school-pay": "篇十七",
}
FILES = sorted(SCENARIOS.glob("*.yaml"))


def present() -> list[str]:
    return [spec.id for _, spec in list_scenarios(SCENARIOS)]


def test_every_seed_scheme_has_a_scenario():
    missing = sorted(set(SEED_TABLE) - set(present()))
    assert missing == [], f"scenarios still missing: {missing}"


@pytest.mark.parametrize("path", FILES, ids=[p.stem for p in FILES])
def test_scenario_loads_evaluates_and_applies_consequences(path):
    scenario = load_scenario(path)
    assert scenario.spec.id == path.stem
    assert scenario.spec.defaults, "a scenario states the defaults it chose"
    ev = perfsim.evaluate(scenario.compiled, scenario.data, detail=True)
    assert np.all(np.isfinite(ev.total))
    frame = perfsim.results_frame(ev)
    assert len(frame) == len(scenario.data) and frame["grade"].notna().all()
    outcome, _ = apply_consequences(ev)
    if outcome.pay:
        assert all(np.all(np.isfinite(v)) for v in outcome.pay.values())
    unit = scenario.spec.analysis.focus_unit or scenario.data.units[0]
    assert str(perfsim.explain(ev, unit))


@pytest.mark.parametrize("path", FILES, ids=[p.stem for p in FILES])
def test_scenario_lints_without_errors_and_levers_move(path):
    scenario = load_scenario(path)
    perfsim.lint(scenario.scheme)  # errors would have stopped load_scenario
    for lever in scenario.spec.analysis.levers:
        ev = perfsim.evaluate(scenario.compiled, scenario.data, {lever.parameter: [lever.low, lever.high]})
        assert ev.total.shape[0] == 2


@pytest.mark.parametrize("path", FILES, ids=[p.stem for p in FILES])
def test_cli_evaluates_scenario_without_further_arguments(path, capsys):
    assert main(["evaluate", str(path)]) == 0
    assert "units" in capsys.readouterr().out.splitlines()[-1]


def test_data_generation_is_reproducible(tmp_path):
    sys.path.insert(0, str(SCENARIOS))
    import generate_data

    generate_data.main(["--out", str(tmp_path)])
    for produced in sorted(tmp_path.glob("*.csv")):
        committed = SCENARIOS / "data" / produced.name
        assert committed.read_bytes() == produced.read_bytes(), f"{produced.name} differs from the committed file"
    referenced = {(path.parent / spec.data).name for path, spec in list_scenarios(SCENARIOS)}
    assert {p.name for p in tmp_path.glob("*.csv")} == referenced  # a generator for every scenario's data


def test_list_shows_every_scenario(capsys):
    assert main(["list", str(SCENARIOS)]) == 0
    out = capsys.readouterr().out
    for name in present():
        assert f"{name}.yaml" in out


def test_qitai_literal_period_reading_is_flagged():
    scheme_path = SCENARIOS / "schemes" / "qitai-county.yaml"
    data = yaml.safe_load(scheme_path.read_text(encoding="utf-8"))
    for unit_class in data["unit_classes"]:
        unit_class["indicators"][0]["children"][0]["period_shares"] = "literal"
    warnings = [f.message for f in perfsim.lint(perfsim.scheme_from_data(data))]
    assert any("add up to 90%" in w for w in warnings)


def test_scenarios_readme_is_current():
    sys.path.insert(0, str(SCENARIOS))
    import make_readme

    assert (SCENARIOS / "README.md").read_text(encoding="utf-8") == make_readme.render()
    for name in SEED_TABLE:
        assert f"[`{name}`]" in make_readme.render()
