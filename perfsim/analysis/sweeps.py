"""One-at-a-time sweeps of any scheme parameter, and tornado summaries over several levers."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd
from numpy.typing import ArrayLike

from ..compile import CompiledScheme
from ..data import UnitData
from ..engine import evaluate
from .metrics import outcome_metrics
from .weights import renormalised, tier_of


def _moves(compiled: CompiledScheme, parameter: str, values: ArrayLike) -> tuple[dict, str]:
    values = np.atleast_1d(np.asarray(values, dtype=np.float64))
    compiled.parameters.resolve({parameter: values})  # unknown names and illegal ranges fail here
    if parameter.startswith("points:"):
        tier = tier_of(compiled, parameter)
        if tier is not None:
            note = f"siblings of {parameter} under '{tier.parent}' rescaled so the tier keeps its {tier.total:g} points"
            return renormalised(compiled, parameter, values), note
    return {parameter: values}, ""


def sweep(compiled: CompiledScheme, data: UnitData, parameter: str, values: ArrayLike) -> pd.DataFrame:
    """Move one parameter over ``values`` (all evaluated at once) and report outcomes per value.

    A weight (``points:…``) moves with its siblings rescaled so that its tier keeps its sum;
    the ``note`` column says so.

    Returns
    -------
    pandas.DataFrame
        ``parameter, value``, then :func:`~perfsim.analysis.metrics.outcome_metrics` columns
        (grade shares, mean total, grade changes against the nominal scheme, money), and ``note``.
    """
    moves, note = _moves(compiled, parameter, values)
    baseline = evaluate(compiled, data)
    ev = evaluate(compiled, data, moves)
    frame = outcome_metrics(ev, baseline.grade[0])
    frame.insert(0, "value", np.atleast_1d(np.asarray(values, dtype=np.float64)))
    frame.insert(0, "parameter", parameter)
    frame["note"] = note
    return frame


def tornado(
    compiled: CompiledScheme,
    data: UnitData,
    levers: Sequence[tuple[str, float, float]],
    metric: str | None = None,
) -> pd.DataFrame:
    """Swing of one outcome when each lever goes to its low and high end (others nominal).

    Parameters
    ----------
    levers
        ``(parameter, low, high)`` triples (e.g. a scenario's ``analysis.levers``).
    metric
        An :func:`~perfsim.analysis.metrics.outcome_metrics` column; default: the share of the
        lowest grade.

    Returns
    -------
    pandas.DataFrame
        ``parameter, low, high, at low, at high, nominal, swing``, largest swing first.
    """
    metric = metric or f"share {compiled.grades[compiled.lowest].zh}"
    nominal_ev = evaluate(compiled, data)
    nominal = outcome_metrics(nominal_ev, nominal_ev.grade[0])[metric].iloc[0]
    rows = []
    for parameter, low, high in levers:
        frame = sweep(compiled, data, parameter, [low, high])
        if metric not in frame:
            from ..errors import ParameterError

            raise ParameterError(f"unknown outcome '{metric}'", hint=f"use one of {', '.join(frame.columns[2:-1])}")
        at_low, at_high = frame[metric].iloc[0], frame[metric].iloc[1]
        rows.append(
            {
                "parameter": parameter,
                "low": low,
                "high": high,
                "at low": at_low,
                "at high": at_high,
                "nominal": nominal,
                "swing": abs(at_high - at_low),
            }
        )
    out = pd.DataFrame(rows)
    return out.sort_values("swing", ascending=False, kind="stable").reset_index(drop=True) if rows else out
