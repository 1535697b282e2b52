"""One-at-a-time sweeps of any scheme parameter, and tornado summaries over several levers."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd
from numpy.typing import ArrayLike

from ..compile import CompiledScheme
from ..data import UnitData
from ..engine import evaluate
from ..errors import ParameterError
from .metrics import MEASURE_UNITS, change_measures, main_measure, money, outcome_metrics, require_grading
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

    Parameters
    ----------
    compiled, data
        The compiled scheme and its unit data.
    parameter
        A parameter name from ``compiled.parameters`` (``points:…``, ``cutoff:…``, ``cap:…``).
    values
        The values to try.

    Returns
    -------
    pandas.DataFrame
        ``parameter, value``, then :func:`~perfsim.analysis.metrics.outcome_metrics` columns
        (grade shares, mean total, grade changes against the nominal scheme, money),
        :func:`~perfsim.analysis.metrics.change_measures` columns (units changing grade, mean
        |rank shift|, money against the nominal scheme), and ``note``.
    """
    moves, note = _moves(compiled, parameter, values)
    baseline = evaluate(compiled, data, ranks=True)
    baseline_money = money(baseline)
    ev = evaluate(compiled, data, moves, ranks=True)
    frame = outcome_metrics(ev, baseline.grade[0])
    changes = change_measures(ev, baseline, baseline_money)
    for column in changes:
        frame[column] = changes[column].to_numpy()
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
    """Swing of the outcomes when each lever goes to its low and high end (others nominal).

    Every scheme gets the :func:`~perfsim.analysis.metrics.change_measures` (units changing
    grade, mean |rank shift|, money against the nominal scheme); band schemes also get the share
    of the lowest grade (rank tiers fix it). Levers are ordered by their swing on
    :func:`~perfsim.analysis.metrics.main_measure`, the same order in every measure.

    Parameters
    ----------
    levers
        ``(parameter, low, high)`` triples (e.g. a scenario's ``analysis.levers``).
    metric
        Only this measure (a column of :func:`sweep`); default: every measure above.

    Returns
    -------
    pandas.DataFrame
        ``measure, parameter, low, high, at low, at high, nominal, swing`` (the span of the outcome
        over the low end, the nominal value and the high end), one row per measure and lever.
    """
    require_grading(compiled, "a tornado")
    nominal_ev = evaluate(compiled, data, ranks=True)
    nominal = outcome_metrics(nominal_ev, nominal_ev.grade[0])
    changes = change_measures(nominal_ev, nominal_ev)
    for column in changes:
        nominal[column] = changes[column].to_numpy()
    measures = tornado_measures(compiled, nominal) if metric is None else [metric]
    if metric is not None and metric not in nominal:
        raise ParameterError(f"unknown outcome '{metric}'", hint=f"use one of {', '.join(nominal.columns)}")
    rows = []
    for parameter, low, high in levers:
        frame = sweep(compiled, data, parameter, [low, high])
        for measure in measures:
            at_low, at_high = float(frame[measure].iloc[0]), float(frame[measure].iloc[1])
            centre = float(nominal[measure].iloc[0])
            rows.append(
                {
                    "measure": measure,
                    "parameter": parameter,
                    "low": low,
                    "high": high,
                    "at low": at_low,
                    "at high": at_high,
                    "nominal": centre,
                    # the span of the three: a measure of change (≥ 0) can rise at both ends
                    "swing": max(at_low, at_high, centre) - min(at_low, at_high, centre),
                }
            )
    columns = ["measure", "parameter", "low", "high", "at low", "at high", "nominal", "swing"]
    out = pd.DataFrame(rows, columns=columns)
    if out.empty:
        return out
    key = main_measure(compiled) if main_measure(compiled) in measures else measures[0]
    swing = out[out["measure"] == key].set_index("parameter")["swing"]
    order = list(swing.sort_values(ascending=False, kind="stable").index)
    out["_lever"] = out["parameter"].map({p: i for i, p in enumerate(order)})
    out["_measure"] = out["measure"].map({m: i for i, m in enumerate(measures)})
    return (
        out.sort_values(["_measure", "_lever"], kind="stable")
        .drop(columns=["_lever", "_measure"])
        .reset_index(drop=True)
    )


def tornado_measures(compiled: CompiledScheme, frame: pd.DataFrame | None = None) -> list[str]:
    """The measures a tornado shows for ``compiled``: its main measure first, then the others.

    ``frame`` is a :func:`sweep` (or outcome) table, to know which money measures the scheme has;
    without it every money measure is listed.
    """
    money_columns = [m for m in MEASURE_UNITS if MEASURE_UNITS[m] == "yuan" and (frame is None or m in frame)]
    measures = ["units changing grade", "mean |rank shift|", *money_columns]
    if compiled.scheme.grading.rank_tiers is None:
        measures.insert(1, f"share {compiled.grades[compiled.lowest].zh}")
    main = main_measure(compiled)
    return [main, *(m for m in measures if m != main)]
