"""Year-by-year measures of a multi-year simulation: budgets, pay and grade churn, with their spread over draws."""

from __future__ import annotations

import numpy as np
import pandas as pd
from numpy.typing import NDArray

from ..compile import CompiledScheme
from ..engine import evaluate
from ..money import to_yuan
from ..simulate import Simulation


def _spread(out: dict[str, NDArray], name: str, per_draw: NDArray[np.float64]) -> None:
    """Mean, 5 % and 95 % over draws of a (years × draws) array."""
    out[name] = per_draw.mean(axis=1)
    out[f"{name} p5"] = np.percentile(per_draw, 5, axis=1)
    out[f"{name} p95"] = np.percentile(per_draw, 95, axis=1)


def yearly_measures(sim: Simulation) -> pd.DataFrame:
    """Per simulated year: money and grade churn, as means over draws with their 5-95 % spread.

    Only units present in a year count (a stopped or completed project has no grade, budget or pay).

    Returns
    -------
    pandas.DataFrame
        ``year``; ``units changing grade from last year`` (units present both years; year 1
        against the data's own evaluation); with budget rules ``budget total`` (Σ the year's
        budgets, yuan) and ``budget gini`` (their concentration, 0 = equal); with pay rules
        ``pay total`` (yuan); ``money moved`` (yuan); each with ``p5`` and ``p95`` columns.
    """
    first = evaluate(sim.compiled, sim.data).grade[0]
    shape = (1, *sim.grade.shape[1:])
    previous = np.concatenate([np.broadcast_to(first, shape), sim.grade[:-1]])
    present = sim.present
    both = present & np.concatenate([np.ones(shape, dtype=bool), present[:-1]])
    out: dict[str, NDArray] = {"year": np.arange(1, sim.years + 1)}
    churn = ((sim.grade != previous) & both).sum(axis=2).astype(np.float64)
    _spread(out, "units changing grade from last year", churn)
    if sim.budget is not None:
        _spread(out, "budget total", to_yuan(np.where(present, sim.budget, 0).sum(axis=2)))
        _spread(out, "budget gini", sim.gini())
    if sim.pay:
        _spread(out, "pay total", np.sum([np.where(present, p, 0.0).sum(axis=2) for p in sim.pay.values()], axis=0))
    _spread(out, "money moved", to_yuan(sim.moved))
    return pd.DataFrame(out)


def yearly_main_measures(compiled: CompiledScheme) -> list[str]:
    """The :func:`yearly_measures` columns that show what a scheme's consequences do over the years.

    Where grades move budgets: the total budget (flat under a fixed envelope), how concentrated
    budgets become, and the money moved; where they move pay: total pay; otherwise how many units
    change grade from one year to the next.
    """
    rules = compiled.scheme.consequences
    if rules is not None and rules.budget is not None:
        return ["budget total", "budget gini", "money moved"]
    if rules is not None and rules.pay is not None:
        return ["pay total", "units changing grade from last year"]
    return ["units changing grade from last year"]
