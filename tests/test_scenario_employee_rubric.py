"""篇十三 employee rubric on the scenario's data: 5-point daily items, flaw and error counts, the yearly total."""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

import perfsim
from perfsim.scenario import load_scenario

from conftest import SCENARIOS

SCENARIO = SCENARIOS / "employee-rubric.yaml"
DATA = SCENARIOS / "data" / "employee-rubric.csv"
MONTHS = [f"M{m:02d}" for m in range(1, 13)]
ITEMS = ["daily_quantitative", "daily_qualitative"]

# l.579: ≤ 3 flaws → 2; more than 3 (exclusive) → 1; 5 or more (inclusive) → 0.  l.581: 1 error → 1, ≥ 2 → 0.
FLAWS_BAND = {1: 2, 2: 2, 3: 2, 4: 1, 5: 0, 6: 0}
ERRORS_BAND = {1: 1, 2: 0, 3: 0}


def item_score(level: int, count: int) -> int:
    """The plan's 5-point item score, written out from the text (not from the engine)."""
    if level >= 3:
        return level
    return FLAWS_BAND[count] if level == 2 else ERRORS_BAND[count]


def half_up(x: float, decimals: int) -> float:
    factor = 10**decimals
    return math.floor(x * factor + 0.5 + 1e-9) / factor


@pytest.fixture(scope="module")
def scenario():
    return load_scenario(Path(SCENARIO))


@pytest.fixture(scope="module")
def evaluation(scenario):
    return perfsim.evaluate(scenario.compiled, scenario.data, detail=True)


@pytest.fixture(scope="module")
def rows():
    return pd.read_csv(DATA).set_index("unit")


def test_every_monthly_item_scores_by_the_flaw_and_error_counts(scenario, evaluation, rows):
    """Each of the 960 monthly daily-item cells earns the l.577-581 item score ÷ 5 of its points."""
    cc = scenario.compiled.classes[0]
    detail = evaluation.details[0]
    seen = set()
    for k, col in enumerate(cc.columns):
        name = col.data_columns["value"]
        if not name.startswith("daily_"):
            continue
        levels = rows[name].to_numpy()
        counts = rows[f"{name}.count"].to_numpy()
        expected = np.array([item_score(int(lv), int(c)) for lv, c in zip(levels, counts)]) / 5
        got = np.atleast_2d(detail.columns[k])[0][np.argsort(detail.units)]
        assert got == pytest.approx(expected), name
        seen.update((int(lv), int(c)) for lv, c in zip(levels, counts) if lv <= 2)
    # the data exercise every boundary of both bands, so a wrong boundary cannot pass unnoticed
    assert {(2, c) for c in FLAWS_BAND} | {(1, c) for c in ERRORS_BAND} <= seen


def hand_total(row: pd.Series) -> float:
    tasks = 45 * np.mean([row[f"annual_tasks@{q}"] for q in ("Q1", "Q2", "Q3", "Q4")]) / 100
    special = 15 * row["special_objectives"] / 100
    daily = sum(
        15 * np.mean([item_score(row[f"{item}@{m}"], row[f"{item}@{m}.count"]) for m in MONTHS]) / 5 for item in ITEMS
    )
    conduct = 10 * row["conduct"] / 100
    bonus = min(2 * row["upgrade_to_5"] + 1 * row["upgrade_to_4"], 4)
    return half_up(min(max(tasks + special + daily + conduct + bonus, 0), 100), 2)


def grade_of(total: float) -> str:
    return "优秀" if total >= 90 else "良好" if total >= 80 else "合格" if total >= 60 else "不合格"


def test_employee_with_four_and_five_flaw_months_matches_a_hand_computation(scenario, evaluation, rows):
    """A real employee with a 4-flaw month (→ 1) and a 5-flaw month (→ 0): total and grade by hand."""

    def has(row: pd.Series, level: int, count: int) -> bool:
        return any(row[f"{i}@{m}"] == level and row[f"{i}@{m}.count"] == count for i in ITEMS for m in MONTHS)

    picked = [u for u, row in rows.iterrows() if has(row, 2, 4) or has(row, 2, 5)]
    assert picked, "the data should hold employees in the 2-point band with 4 or 5 flaws"
    frame = perfsim.results_frame(evaluation).set_index("unit")
    for unit in picked:
        expected = hand_total(rows.loc[unit])
        assert frame.loc[unit, "total"] == pytest.approx(expected, abs=1e-9), unit
        assert frame.loc[unit, "grade"] == grade_of(expected), unit


def test_upgrade_bonus_is_capped_at_four_points(scenario, evaluation, rows):
    """E031 has three company praises and one superior recognition: 2·3 + 1 = 7 bonus points, capped at 4."""
    row = rows.loc["E031"]
    assert 2 * row["upgrade_to_5"] + row["upgrade_to_4"] > 4
    u = scenario.data.unit_position("E031")
    assert evaluation.bonus[0, u] == pytest.approx(4)
    uncapped = perfsim.evaluate(scenario.compiled, scenario.data, {"cap:bonus_cap": 10})
    assert uncapped.bonus[0, u] == pytest.approx(2 * row["upgrade_to_5"] + row["upgrade_to_4"])


def test_fifth_flaw_costs_one_point_of_the_item_and_grades_are_per_department(scenario, evaluation, rows):
    """Moving one real 4-flaw month to 5 flaws drops that month's item from 1 to 0: 15 × (1/5) / 12 = 0.25 points."""
    unit, column = next(
        (u, f"{i}@{m}")
        for u, row in rows.iterrows()
        for i in ITEMS
        for m in MONTHS
        if row[f"{i}@{m}"] == 2 and row[f"{i}@{m}.count"] == 4
    )
    changed = rows.reset_index()
    changed.loc[changed["unit"] == unit, f"{column}.count"] = 5
    data = perfsim.load_units(changed, scenario.compiled)
    after = perfsim.evaluate(scenario.compiled, data)
    u = scenario.data.unit_position(unit)
    before_weighted = evaluation.weighted[0, u]
    assert before_weighted - after.weighted[0, u] == pytest.approx(15 * (1 / 5) / 12)
    # ranks run within each department (group_by: department): rank 1 is the department's best total
    frame = perfsim.results_frame(evaluation)
    assert frame["group"].nunique() == 5
    for _, members in frame.groupby("group"):
        assert len(members) == 8
        expected = members["total"].rank(method="min", ascending=False).astype(int)
        assert list(members["rank"]) == list(expected)
