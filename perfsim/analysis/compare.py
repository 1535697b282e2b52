"""Reform against baseline: grade transitions, units that change grade, rank shifts, budgets and pay."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from ..engine import Evaluation
from ..errors import PerfsimError
from .metrics import money, require_grading


@dataclass
class Comparison:
    """Results of :func:`compare`."""

    transitions: pd.DataFrame
    """Units per baseline grade (rows) and reform grade (columns)."""
    units: pd.DataFrame
    """Every unit: totals, grades, ranks, next year's budget and pay under both, and the differences (yuan)."""
    summary: dict[str, float]
    """Counts, and money in yuan: ``net budget change`` (Σ reform next budgets − Σ baseline next budgets),
    ``gross budget moved`` (Σ |difference| per unit), ``baseline next budgets``, ``reallocated`` (through
    the pool, reform), ``net pay change``, ``baseline pay``; money keys only where the schemes have such rules."""

    @property
    def changed(self) -> pd.DataFrame:
        """Units whose grade differs between baseline and reform."""
        return self.units[self.units["baseline grade"] != self.units["reform grade"]]


def compare(baseline: Evaluation, reform: Evaluation, draw: int = 0) -> Comparison:
    """Compare two evaluations of the same units (matched by unit id), e.g. a reform and the baseline.

    The grade vocabularies must match (same grades in the same order).

    Parameters
    ----------
    baseline, reform
        Evaluations of the same units (:func:`perfsim.evaluate`).
    draw
        Which draw of each evaluation to compare.

    Returns
    -------
    Comparison
        Who changes grade and rank, grade counts before and after, and money against the baseline.
    """
    for ev in (baseline, reform):
        require_grading(ev.compiled, "a comparison")
    if [g.zh for g in baseline.compiled.grades] != [g.zh for g in reform.compiled.grades]:
        raise PerfsimError("the two schemes grade differently", hint="compare schemes with the same grades")
    base_units, reform_units = baseline.data.units, reform.data.units
    if set(base_units) != set(reform_units):
        missing = sorted(set(base_units) ^ set(reform_units))[:5]
        raise PerfsimError(
            f"the two evaluations cover different units (e.g. {', '.join(missing)})",
            hint="compare on the same unit data",
        )
    order = np.array([reform_units.index(u) for u in base_units])
    grades = [g.zh for g in baseline.compiled.grades]

    def pick(ev: Evaluation, arr: np.ndarray | None, idx: np.ndarray | None = None) -> np.ndarray:
        if arr is None:
            return np.full(len(base_units), np.nan)
        row = np.asarray(arr)[min(draw, arr.shape[0] - 1)]
        return row if idx is None else row[idx]

    b_grade = pick(baseline, baseline.grade).astype(int)
    r_grade = pick(reform, reform.grade, order).astype(int)
    b_rank = pick(baseline, baseline.rank)
    r_rank = pick(reform, reform.rank, order)
    b_money, r_money = money(baseline), money(reform)
    units = pd.DataFrame(
        {
            "unit": base_units,
            "baseline total": pick(baseline, baseline.total),
            "reform total": pick(reform, reform.total, order),
            "baseline grade": [grades[g] for g in b_grade],
            "reform grade": [grades[g] for g in r_grade],
            "baseline rank": b_rank,
            "reform rank": r_rank,
        }
    )
    units["total change"] = units["reform total"] - units["baseline total"]
    units["rank shift"] = units["reform rank"] - units["baseline rank"]
    b_change, r_change = b_money.budget_change, r_money.budget_change
    if b_change is not None and r_change is not None:
        assert b_money.next_budget is not None and r_money.next_budget is not None
        units["baseline budget change"] = pick(baseline, b_change)
        units["reform budget change"] = pick(reform, r_change, order)
        units["budget difference"] = pick(reform, r_money.next_budget, order) - pick(baseline, b_money.next_budget)
    b_pay, r_pay = b_money.pay_total, r_money.pay_total
    if b_pay is not None or r_pay is not None:
        units["baseline pay"] = pick(baseline, b_pay) if b_pay is not None else 0.0
        units["reform pay"] = pick(reform, r_pay, order) if r_pay is not None else 0.0
        units["pay difference"] = units["reform pay"] - units["baseline pay"]
    matrix = np.zeros((len(grades), len(grades)), dtype=np.int64)
    np.add.at(matrix, (b_grade, r_grade), 1)
    transitions = pd.DataFrame(matrix, index=pd.Index(grades, name="baseline"), columns=pd.Index(grades, name="reform"))
    summary = {
        "units": float(len(base_units)),
        "grade changes": float((b_grade != r_grade).sum()),
        "up": float((r_grade < b_grade).sum()),
        "down": float((r_grade > b_grade).sum()),
        "mean total change": float(units["total change"].mean()),
        "mean abs rank shift": float(units["rank shift"].abs().mean()),
    }
    if "budget difference" in units:
        assert b_money.next_budget is not None and r_money.received is not None
        summary["net budget change"] = float(units["budget difference"].sum())
        summary["gross budget moved"] = float(units["budget difference"].abs().sum())
        summary["baseline next budgets"] = float(pick(baseline, b_money.next_budget).sum())
        summary["reallocated"] = float(pick(reform, r_money.received).sum())
    if "pay difference" in units:
        summary["net pay change"] = float(units["pay difference"].sum())
        summary["baseline pay"] = float(units["baseline pay"].sum())
    return Comparison(transitions, units, summary)
