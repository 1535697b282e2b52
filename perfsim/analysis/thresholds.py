"""Threshold and cliff analysis: grade shares against a cut-off, units on the edge, and margins."""

from __future__ import annotations

import numpy as np
import pandas as pd
from numpy.typing import ArrayLike, NDArray

from ..compile import CompiledScheme
from ..data import UnitData
from ..engine import Evaluation, evaluate
from ..errors import ParameterError
from ..scoring import LABEL_METHODS


def _cutoff_names(compiled: CompiledScheme) -> list[str]:
    return [n for n in compiled.parameters.names("cutoff")]


def threshold_sweep(compiled: CompiledScheme, data: UnitData, grade: str, values: ArrayLike) -> pd.DataFrame:
    """Grade distribution as the lower bound of ``grade`` moves over ``values`` (one evaluation).

    Returns
    -------
    pandas.DataFrame
        ``cutoff``, then ``count <grade>`` and ``share <grade>`` per grade.
    """
    name = f"cutoff:{grade}"
    if name not in compiled.parameters:
        raise ParameterError(
            f"grade '{grade}' has no cut-off",
            field=name,
            hint=f"use one of {', '.join(n.split(':', 1)[1] for n in _cutoff_names(compiled))}",
        )
    values = np.atleast_1d(np.asarray(values, dtype=np.float64))
    ev = evaluate(compiled, data, {name: values})
    out: dict[str, NDArray] = {"cutoff": values}
    for g, label in enumerate(compiled.grades):
        out[f"count {label.zh}"] = (ev.grade == g).sum(axis=1)
    for g, label in enumerate(compiled.grades):
        out[f"share {label.zh}"] = (ev.grade == g).mean(axis=1)
    return pd.DataFrame(out)


def _basis_scale(compiled: CompiledScheme) -> float:
    return 100.0 / compiled.scheme.total if compiled.scheme.grading.basis == "percent" else 1.0


def near_cutoffs(ev: Evaluation, eps: float, draw: int = 0) -> pd.DataFrame:
    """Units whose total lies within ``eps`` (in the grading basis: % or points) of a cut-off.

    Returns
    -------
    pandas.DataFrame
        ``unit, total, cutoff grade, cutoff, distance`` (signed: total − cut-off), one row per
        unit and cut-off it is near, nearest first.
    """
    compiled = ev.compiled
    bands = compiled.scheme.grading.bands or []
    names = [b.grade.zh for b in bands if b.min is not None]
    scale = _basis_scale(compiled)
    total = ev.total[draw] * scale
    cuts = ev.cutoffs[min(draw, ev.cutoffs.shape[0] - 1)] * scale
    distance = total[:, None] - cuts[None, :]
    unit_idx, cut_idx = np.nonzero(np.abs(distance) <= eps + 1e-9)
    frame = pd.DataFrame(
        {
            "unit": np.asarray(ev.data.units)[unit_idx],
            "total": ev.total[draw][unit_idx],
            "cutoff grade": np.asarray(names, dtype=object)[cut_idx] if names else [],
            "cutoff": cuts[cut_idx],
            "distance": distance[unit_idx, cut_idx],
        }
    )
    return frame.reindex(frame["distance"].abs().sort_values(kind="stable").index).reset_index(drop=True)


def grade_margins(ev: Evaluation, draw: int = 0) -> pd.DataFrame:
    """For each unit, the smallest change of its total that changes its band grade (up and down).

    Returns
    -------
    pandas.DataFrame
        ``unit, total, grade, up`` (points to add to reach the next grade; NaN at the top) and
        ``down`` (points that may be lost before dropping a grade, plus the smallest step; NaN at
        the bottom), in total points.
    """
    compiled = ev.compiled
    cuts = ev.cutoffs[min(draw, ev.cutoffs.shape[0] - 1)]
    bands = [b for b in compiled.scheme.grading.bands or [] if b.min is not None]
    band = np.asarray(ev.band_grade[min(draw, ev.band_grade.shape[0] - 1)]).astype(int)
    total = ev.total[draw]
    up = np.full(len(total), np.nan)
    down = np.full(len(total), np.nan)
    has_up = band > 0
    up[has_up] = cuts[band[has_up] - 1] - total[has_up]
    has_down = band < len(cuts)
    down[has_down] = total[has_down] - cuts[band[has_down]]
    inclusive = np.array([b.min_inclusive for b in bands] or [True])
    # reaching an exclusive bound needs to pass it; dropping below an inclusive bound needs to pass it
    up[has_up] = np.where(inclusive[np.maximum(band[has_up] - 1, 0)], up[has_up], np.nextafter(up[has_up], np.inf))
    return pd.DataFrame(
        {
            "unit": ev.data.units,
            "total": total,
            "grade": [compiled.grades[g].zh for g in ev.grade[draw]],
            "up": up,
            "down": down,
        }
    )


def indicator_margins(
    compiled: CompiledScheme,
    data: UnitData,
    columns: list[str] | None = None,
    *,
    iterations: int = 40,
    span: float | None = None,
) -> pd.DataFrame:
    """For each unit and data column, the smallest change of the raw value that changes its grade.

    Bisection on all units at once (each step is one evaluation of every unit), assuming the
    grade is monotone in the value (true for every scoring method; direction-aware).

    Parameters
    ----------
    columns
        Data columns to probe (default: every numeric indicator column).
    span
        Largest change searched, in the column's units (default: the column's range in the data
        plus its largest absolute value).

    Returns
    -------
    pandas.DataFrame
        ``unit, column, value, raise_by, lower_by``: the change (up or down) that first changes the
        grade, NaN when no change within the span does.
    """
    base = evaluate(compiled, data)
    grade0 = base.grade[0]
    labels = {
        col.data_columns["value"]
        for cc in compiled.classes
        for col in cc.columns
        if cc.method_of(col.leaf) in LABEL_METHODS
    }
    names = columns or [c for c in data.values if not c.endswith(".count") and c not in labels]
    rows = []
    for name in names:
        if name not in data.values:
            raise ParameterError(
                f"'{name}' is not an indicator column",
                field=name,
                hint=f"use one of {', '.join(list(data.values)[:10])}",
            )
        value = data.values[name]
        width = span if span is not None else float(np.ptp(value) + np.abs(value).max() + 1.0)
        result = {}
        for sign, key in ((1.0, "raise_by"), (-1.0, "lower_by")):
            lo = np.zeros(len(value))
            hi = np.full(len(value), width)
            if sign < 0:
                hi = np.minimum(hi, value)  # values do not go below zero
            changed_at_hi = evaluate(compiled, data, values={name: value + sign * hi}).grade[0] != grade0
            for _ in range(iterations):
                mid = (lo + hi) / 2
                changed = evaluate(compiled, data, values={name: value + sign * mid}).grade[0] != grade0
                hi = np.where(changed, mid, hi)
                lo = np.where(changed, lo, mid)
            result[key] = np.where(changed_at_hi, hi, np.nan)
        rows.append(pd.DataFrame({"unit": data.units, "column": name, "value": value, **result}))
    return pd.concat(rows, ignore_index=True)
