"""Outcomes designers ask about, per draw: grade shares, totals, grade changes and money."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

import numpy as np
import pandas as pd
from numpy.typing import NDArray

from ..compile import CompiledScheme
from ..consequences import apply_consequences
from ..engine import Evaluation
from ..errors import SchemeError
from ..labels import check_lang
from ..labels import money as money_words
from ..money import to_yuan


def has_budget(ev: Evaluation) -> bool:
    rules = ev.compiled.scheme.consequences
    return rules is not None and rules.budget is not None


def require_grading(compiled: CompiledScheme, what: str) -> None:
    """Refuse an analysis of grades for a scheme that only totals and ranks (a self-evaluation form).

    Parameters
    ----------
    compiled
        The compiled scheme.
    what
        The analysis, as the user asked for it (``weight Monte Carlo``, ``reach``, …).

    Raises
    ------
    SchemeError
        When the scheme has neither grade bands nor rank tiers.
    """
    if not compiled.scheme.grading.graded:
        raise SchemeError(
            f"{what} needs grades, and this scheme has no grading "
            f"(scheme '{compiled.scheme.id}' only totals and ranks)",
            field="grading",
            hint="add grading.bands or grading.rank_tiers to the scheme; perfsim evaluate and explain "
            "report its totals and ranks",
        )


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


MEASURE_UNITS = {
    "units changing grade": "units",
    "mean |rank shift|": "places",
    "net budget change": "yuan",
    "gross budget moved": "yuan",
    "net pay change": "yuan",
    "gross pay moved": "yuan",
}
"""What each :func:`change_measures` column counts: units, rank places or yuan."""


def change_measures(ev: Evaluation, baseline: Evaluation, baseline_money: Money | None = None) -> pd.DataFrame:
    """How far each draw of ``ev`` moves from ``baseline`` (its first draw), in measures that fit every scheme.

    Grade shares cannot move in a rank-tier scheme (the tiers fix them) and a cut-off moves no rank,
    so a lever's effect is read from all of these together:

    - ``units changing grade``: units whose grade differs from the baseline's;
    - ``mean |rank shift|``: mean absolute change of rank, in places, over ranked units;
    - with budget rules, ``net budget change`` (Σ next year's budgets against the baseline's) and
      ``gross budget moved`` (Σ |change| per unit); with pay rules, ``net pay change`` and
      ``gross pay moved`` (yuan).

    Parameters
    ----------
    ev, baseline
        Evaluations of the same units, both with ranks (``evaluate(..., ranks=True)``).
    baseline_money
        :func:`money` of ``baseline``, when the caller has it already.

    Returns
    -------
    pandas.DataFrame
        One row per draw of ``ev``; money columns only where the scheme has such rules.
    """
    if ev.rank is None or baseline.rank is None:
        raise ValueError("change_measures needs ranks: evaluate with ranks=True")
    ranked = baseline.rank[0] > 0  # units not assessed have rank 0 and no place to lose
    out: dict[str, NDArray] = {
        "units changing grade": (ev.grade != baseline.grade[0]).sum(axis=1),
        "mean |rank shift|": (
            np.abs(ev.rank[:, ranked] - baseline.rank[0, ranked]).mean(axis=1) if ranked.any() else np.zeros(ev.n_draws)
        ),
    }
    before = baseline_money if baseline_money is not None else money(baseline)
    now = money(ev)
    # money to the fen: sums of float yuan leave 1e-9 crumbs that would read as a (tiny) change
    if now.next_budget is not None and before.next_budget is not None:
        difference = now.next_budget - before.next_budget[0]
        out["net budget change"] = np.round(difference.sum(axis=1), 2)
        out["gross budget moved"] = np.round(np.abs(difference).sum(axis=1), 2)
    if now.pay_total is not None and before.pay_total is not None:
        difference = now.pay_total - before.pay_total[0]
        out["net pay change"] = np.round(difference.sum(axis=1), 2)
        out["gross pay moved"] = np.round(np.abs(difference).sum(axis=1), 2)
    return pd.DataFrame(out)


def main_measure(compiled: CompiledScheme) -> str:
    """The measure that answers "does this lever matter" for the scheme's type of grading.

    Rank tiers fix how many units get each grade, so a weight shows its effect in the ranks
    (``mean |rank shift|``); with bands, a lever matters when it changes grades
    (``units changing grade``).
    """
    grading = compiled.scheme.grading
    return "mean |rank shift|" if grading.rank_tiers is not None or grading.quotas else "units changing grade"


_SUMMARY_WORDS = {
    "zh": {
        "units": "单位数：{n}",
        "changes": "等次变化：{n} 个单位（升 {up}，降 {down}）",
        "total": "平均总分变化：{v} 分",
        "rank": "平均名次变动：{v} 位",
        "budget": "下年预算净变化：{v}（现行方案合计 {base}）",
        "budget gross": "各单位下年预算变动之和：{v}",
        "reallocated": "改革方案经资金池调剂：{v}",
        "pay": "绩效工资净变化：{v}（现行方案合计 {base}）",
    },
    "en": {
        "units": "units: {n}",
        "changes": "units changing grade: {n} ({up} up, {down} down)",
        "total": "mean change of total: {v} points",
        "rank": "mean rank shift: {v} places",
        "budget": "net change of next year's budgets: {v} (as written: {base} in all)",
        "budget gross": "budget moved, summed over units: {v}",
        "reallocated": "reallocated through the pool under the reform: {v}",
        "pay": "net change of pay: {v} (as written: {base} in all)",
    },
}


def summary_text(summary: Mapping[str, float], lang: str = "zh") -> str:
    """A :class:`~perfsim.analysis.compare.Comparison` summary as lines a person reads, money in 万元.

    Parameters
    ----------
    summary
        ``Comparison.summary`` (counts, rank shift, money in yuan).
    lang
        ``zh`` or ``en``.
    """
    w = _SUMMARY_WORDS[check_lang(lang)]
    n = int(summary.get("units", 0))
    lines = [
        w["units"].format(n=n),
        w["changes"].format(
            n=int(summary["grade changes"]), up=int(summary.get("up", 0)), down=int(summary.get("down", 0))
        ),
        w["total"].format(v=f"{summary['mean total change']:+,.2f}".replace("-", "−")),
        w["rank"].format(v=f"{summary['mean abs rank shift']:,.2f}"),
    ]
    if "net budget change" in summary:
        lines.append(
            w["budget"].format(
                v=money_words(summary["net budget change"], lang, signed=True),
                base=money_words(summary["baseline next budgets"], lang),
            )
        )
        lines.append(w["budget gross"].format(v=money_words(summary["gross budget moved"], lang)))
        lines.append(w["reallocated"].format(v=money_words(summary["reallocated"], lang)))
    if "net pay change" in summary:
        lines.append(
            w["pay"].format(
                v=money_words(summary["net pay change"], lang, signed=True),
                base=money_words(summary["baseline pay"], lang),
            )
        )
    return "\n".join(lines)
