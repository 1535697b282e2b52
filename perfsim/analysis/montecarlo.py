"""Monte Carlo weight uncertainty: grade probabilities, rank intervals and budget-loss risk per unit."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from ..compile import CompiledScheme
from ..data import UnitData
from ..engine import Evaluation, evaluate
from .metrics import budget_change
from .weights import sample_weights


@dataclass
class MonteCarlo:
    """Results of :func:`weight_monte_carlo`."""

    evaluation: Evaluation
    grade_probabilities: pd.DataFrame
    """unit × grade: share of draws in which the unit gets each grade."""
    rank_intervals: pd.DataFrame
    """unit: nominal rank and the 5 %, 50 % and 95 % rank over draws (ranks count within ``group``)."""
    budget_loss: pd.Series | None
    """unit: probability that next year's budget is below this year's (with budget rules)."""


def weight_monte_carlo(
    compiled: CompiledScheme,
    data: UnitData,
    n: int = 1000,
    *,
    method: str = "dirichlet",
    concentration: float = 100.0,
    spread: float = 0.2,
    seed: int = 0,
) -> MonteCarlo:
    """Sample weights within each tier (sums kept exact), evaluate all draws at once, summarise per unit.

    See :func:`~perfsim.analysis.weights.sample_weights` for ``method``, ``concentration`` and ``spread``.
    """
    draws = sample_weights(compiled, n, method=method, concentration=concentration, spread=spread, seed=seed)
    ev = evaluate(compiled, data, draws, ranks=True)
    grades = [g.zh for g in compiled.grades]
    probs = pd.DataFrame(
        {label: (ev.grade == g).mean(axis=0) for g, label in enumerate(grades)}, index=pd.Index(data.units, name="unit")
    )
    nominal = evaluate(compiled, data, ranks=True)
    assert ev.rank is not None and nominal.rank is not None
    ranks = pd.DataFrame(
        {
            "nominal rank": nominal.rank[0],
            "rank p5": np.percentile(ev.rank, 5, axis=0),
            "rank p50": np.percentile(ev.rank, 50, axis=0),
            "rank p95": np.percentile(ev.rank, 95, axis=0),
            "group": np.asarray(nominal.group_names, dtype=object)[nominal.groups],
        },
        index=pd.Index(data.units, name="unit"),
    )
    change = budget_change(ev)
    loss = None if change is None else pd.Series((change < 0).mean(axis=0), index=probs.index, name="P(budget cut)")
    return MonteCarlo(ev, probs, ranks, loss)
