"""Outcomes designers ask about, per draw: grade shares, totals, grade changes and money."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd
from numpy.typing import NDArray

from ..consequences import apply_consequences
from ..engine import Evaluation
from ..money import to_yuan


def has_budget(ev: Evaluation) -> bool:
    rules = ev.compiled.scheme.consequences
    return rules is not None and rules.budget is not None


def budget_change(ev: Evaluation) -> NDArray[np.float64] | None:
    """Next year's budget minus this year's, per draw and unit (yuan), or None without budget rules."""
    if not has_budget(ev):
        return None
    outcome, _ = apply_consequences(ev, parts=("budget",))
    return to_yuan(outcome.next_budget - outcome.budget)


@dataclass
class Money:
    """What an evaluation's consequence rules do with money, per draw and unit, in yuan.

    ``budget`` is this year's budget and ``next_budget`` next year's (None without budget rules);
    ``received`` what reallocation hands each unit out of the pool; ``pay`` each pay part
    (``bonus`` months, pool ``base``, ``departed``, ``incentive``). Everything comes from
    :func:`perfsim.consequences.apply_consequences`, so it equals the ledger to the fen.
    """

    budget: NDArray[np.float64] | None
    next_budget: NDArray[np.float64] | None
    received: NDArray[np.float64] | None
    pay: dict[str, NDArray[np.float64]]

    @property
    def budget_change(self) -> NDArray[np.float64] | None:
        """Next year's budget minus this year's (yuan)."""
        if self.budget is None or self.next_budget is None:
            return None
        return self.next_budget - self.budget

    @property
    def pay_total(self) -> NDArray[np.float64] | None:
        """All pay parts added (yuan), or None for a scheme without pay rules."""
        if not self.pay:
            return None
        return np.sum(list(self.pay.values()), axis=0)  # type: ignore[no-any-return]


def money(ev: Evaluation) -> Money:
    """Budgets and pay that ``ev``'s grades lead to (see :class:`Money`)."""
    rules = ev.compiled.scheme.consequences
    parts = tuple(p for p in ("budget", "pay") if rules is not None and getattr(rules, p) is not None)
    if not parts:
        return Money(None, None, None, {})
    outcome, _ = apply_consequences(ev, parts=parts)
    budgeted = "budget" in parts
    return Money(
        to_yuan(outcome.budget) if budgeted else None,
        to_yuan(outcome.next_budget) if budgeted else None,
        to_yuan(outcome.received) if budgeted else None,
        dict(outcome.pay),
    )


def outcome_metrics(
    ev: Evaluation, baseline_grade: NDArray[np.int8] | None = None, baseline_money: Money | None = None
) -> pd.DataFrame:
    """One row per draw: ``share <grade>``, ``mean total``, ``grade changes`` (vs a baseline) and, with
    budget rules, ``budget cut`` (sum of reductions), ``budget moved`` and ``units losing budget``.

    With ``baseline_money`` (:func:`money` of the scheme as written), also ``net budget change``
    (Σ next year's budgets against the baseline's) and ``net pay change`` (yuan), as in the notes.
    """
    grades = ev.compiled.grades
    out: dict[str, NDArray] = {}
    for g, label in enumerate(grades):
        out[f"share {label.zh}"] = (ev.grade == g).mean(axis=1)
    out["mean total"] = ev.total.mean(axis=1)
    if baseline_grade is not None:
        out["grade changes"] = (ev.grade != baseline_grade).sum(axis=1)
    now = money(ev)
    change = now.budget_change
    if change is not None:
        out["budget cut"] = np.maximum(-change, 0).sum(axis=1)
        out["budget moved"] = np.abs(change).sum(axis=1)
        out["units losing budget"] = (change < 0).sum(axis=1)
    if baseline_money is not None:
        if now.next_budget is not None and baseline_money.next_budget is not None:
            out["net budget change"] = now.next_budget.sum(axis=1) - baseline_money.next_budget[0].sum()
        if now.pay_total is not None and baseline_money.pay_total is not None:
            out["net pay change"] = now.pay_total.sum(axis=1) - baseline_money.pay_total[0].sum()
    return pd.DataFrame(out)


def lowest_share(ev: Evaluation) -> NDArray[np.float64]:
    return (ev.grade == ev.compiled.lowest).mean(axis=1)
