"""Threshold and cliff analysis: grade shares against a cut-off, units on the edge, and margins."""

from __future__ import annotations

import numpy as np
import pandas as pd
from numpy.typing import ArrayLike, NDArray

from .. import scheme as s
from ..compile import CompiledScheme
from ..data import UnitData
from ..engine import Evaluation, evaluate
from ..errors import ParameterError
from ..scoring import LABEL_METHODS, NONNEGATIVE
from .metrics import require_grading


def _cutoff_names(compiled: CompiledScheme) -> list[str]:
    return [n for n in compiled.parameters.names("cutoff")]


def threshold_sweep(compiled: CompiledScheme, data: UnitData, grade: str, values: ArrayLike) -> pd.DataFrame:
    """Grade distribution as the lower bound of ``grade`` moves over ``values`` (one evaluation).

    Parameters
    ----------
    compiled, data
        The compiled scheme and its unit data.
    grade
        The grade whose cut-off moves (its Chinese name, as in ``cutoff:优秀``).
    values
        The cut-offs to try, in the grading basis.

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


def _unit_scale(ev: Evaluation) -> NDArray:
    """Each unit's grading-basis units per point (its class's full mark where classes state their own)."""
    scheme = ev.compiled.scheme
    return np.array([s.basis_factor(scheme, cc.id) for cc in ev.compiled.classes])[ev.data.class_index]


def near_cutoffs(ev: Evaluation, eps: float, draw: int = 0) -> pd.DataFrame:
    """Units whose total lies within ``eps`` (in the grading basis: % or points) of a cut-off.

    Parameters
    ----------
    ev
        An evaluation (:func:`perfsim.evaluate`) of a scheme graded by bands.
    eps
        The distance that counts as near, in % or points as the grading basis is.
    draw
        Which draw to read.

    Returns
    -------
    pandas.DataFrame
        ``unit, total, cutoff grade, cutoff, distance`` (signed: total − cut-off), one row per
        unit and cut-off it is near, nearest first.
    """
    compiled = ev.compiled
    bands = compiled.scheme.grading.bands or []
    names = [b.grade.zh for b in bands if b.min is not None]
    scale = _unit_scale(ev)
    total = ev.total[draw] * scale
    cuts = ev.cutoff_table(draw) * scale[:, None]
    distance = total[:, None] - cuts
    unit_idx, cut_idx = np.nonzero(np.abs(distance) <= eps + 1e-9)
    frame = pd.DataFrame(
        {
            "unit": np.asarray(ev.data.units)[unit_idx],
            "total": ev.total[draw][unit_idx],
            "cutoff grade": np.asarray(names, dtype=object)[cut_idx] if names else [],
            "cutoff": cuts[unit_idx, cut_idx],
            "distance": distance[unit_idx, cut_idx],
        }
    )
    return frame.reindex(frame["distance"].abs().sort_values(kind="stable").index).reset_index(drop=True)


def grade_margins(ev: Evaluation, draw: int = 0) -> pd.DataFrame:
    """For each unit, the smallest change of its total that changes its band grade (up and down).

    Parameters
    ----------
    ev
        An evaluation (:func:`perfsim.evaluate`) of a scheme graded by bands.
    draw
        Which draw to read.

    Returns
    -------
    pandas.DataFrame
        ``unit, total, grade, up`` (points to add to reach the next grade; NaN at the top) and
        ``down`` (points that may be lost before dropping a grade, plus the smallest step; NaN at
        the bottom), in total points.
    """
    compiled = ev.compiled
    require_grading(compiled, "the grade-margin table")
    cuts = ev.cutoff_table(draw)  # each unit's own, in its points
    bands = [b for b in compiled.scheme.grading.bands or [] if b.min is not None]
    band = np.asarray(ev.band_grade[min(draw, ev.band_grade.shape[0] - 1)]).astype(int)
    total = ev.total[draw]
    up = np.full(len(total), np.nan)
    down = np.full(len(total), np.nan)
    has_up = band > 0
    rows = np.arange(len(total))
    up[has_up] = cuts[rows[has_up], band[has_up] - 1] - total[has_up]
    has_down = band < cuts.shape[1]
    down[has_down] = total[has_down] - cuts[rows[has_down], band[has_down]]
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


INTEGER_METHODS = ("rubric_5pt", "tier_points")
"""Methods whose data are whole numbers (a rubric level or mistake count, a rank tier)."""


def value_bounds(compiled: CompiledScheme, column: str) -> tuple[float, float, bool]:
    """The values a data column may hold, from the scoring methods that read it.

    A ``score`` mark runs from 0 to its scale, a rubric level from 1 to 5, counts, amounts and
    other marks are zero or more (as :func:`perfsim.load_units` checks them), other methods take
    any number. A column read by several classes gets the narrowest range.

    Returns
    -------
    (low, high, whole)
        Bounds (±inf where there is none) and whether the values are whole numbers.
    """
    low, high, whole = -np.inf, np.inf, False
    for cc in compiled.classes:
        for col in cc.columns:
            node = cc.indicators[col.leaf]
            assert node is not None and node.method is not None
            for inp, name in col.data_columns.items():
                if name != column:
                    continue
                m = node.method
                if isinstance(m, s.DirectScore):
                    lo, hi = 0.0, m.scale
                elif isinstance(m, s.Rubric5pt) and inp == "value":
                    lo, hi = 1.0, 5.0
                elif m.method in NONNEGATIVE or inp != "value":
                    lo, hi = 0.0, np.inf
                else:
                    lo, hi = -np.inf, np.inf
                low, high = max(low, lo), min(high, hi)
                whole = whole or m.method in INTEGER_METHODS
    return float(low), float(high), whole


def indicator_margins(
    compiled: CompiledScheme,
    data: UnitData,
    columns: list[str] | None = None,
    *,
    iterations: int = 40,
    span: float | None = None,
) -> pd.DataFrame:
    """For each unit and data column, the smallest change of the raw value that changes its grade.

    Bisection on all units and columns at once (each step is one evaluation, one draw per
    column), assuming the grade is monotone in the value (true for every scoring method;
    direction-aware). A change never takes a value outside what its method admits
    (:func:`value_bounds`: a mark stays within its scale), and whole-number columns (rubric
    levels, rank tiers) change by whole numbers.

    Parameters
    ----------
    columns
        Data columns to probe (default: every numeric indicator column).
    span
        Largest change searched, in the column's units (default: the column's range in the data
        plus its largest absolute value), within the column's bounds.

    Returns
    -------
    pandas.DataFrame
        ``unit, column, value, raise_by, lower_by``: the change (up or down) that first changes the
        grade, NaN when no admissible change within the span does.
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
    for name in names:
        if name not in data.values or name in labels:
            raise ParameterError(
                f"'{name}' is not a numeric indicator column",
                field=name,
                hint=f"use one of {', '.join([c for c in data.values if c not in labels][:10])}",
            )
    if not names:
        return pd.DataFrame(columns=["unit", "column", "value", "raise_by", "lower_by"])
    value = np.stack([data.values[n] for n in names])  # columns × units
    bounds = [value_bounds(compiled, n) for n in names]
    low = np.array([b[0] for b in bounds])[:, None]
    high = np.array([b[1] for b in bounds])[:, None]
    whole = np.array([b[2] for b in bounds])[:, None]
    width = (
        np.full((len(names), 1), float(span))
        if span is not None
        else (np.ptp(value, axis=1) + np.abs(value).max(axis=1) + 1.0)[:, None]
    )

    def changed(step: NDArray[np.float64], sign: float) -> NDArray[np.bool_]:
        # draw k moves column k only; every other column keeps its data
        values = {}
        for k, n in enumerate(names):
            moved = np.broadcast_to(data.values[n], value.shape).copy()
            moved[k] = value[k] + sign * step[k]
            values[n] = moved
        return evaluate(compiled, data, values=values).grade != grade0[None, :]

    result = {}
    for sign, key in ((1.0, "raise_by"), (-1.0, "lower_by")):
        room = np.clip(high - value if sign > 0 else value - low, 0.0, None)
        lo = np.zeros(value.shape)
        hi = np.minimum(np.broadcast_to(width, value.shape), room)
        found = changed(hi, sign)
        for _ in range(iterations):
            mid = (lo + hi) / 2
            moved = changed(mid, sign)
            hi = np.where(moved, mid, hi)
            lo = np.where(moved, lo, mid)
        if whole.any():
            # the smallest whole step at or past the edge, if it stays within bounds
            step = np.where(whole, np.ceil(hi - 1e-9), hi)
            step = np.where(whole & ~changed(step, sign), step + 1, step)
            fits = ~whole | ((step <= room) & changed(np.minimum(step, room), sign))
            found &= fits
            hi = step
        result[key] = np.where(found, hi, np.nan)
    return pd.DataFrame(
        {
            "unit": np.tile(np.asarray(data.units, dtype=object), len(names)),
            "column": np.repeat(np.asarray(names, dtype=object), len(data)),
            "value": value.ravel(),
            "raise_by": result["raise_by"].ravel(),
            "lower_by": result["lower_by"].ravel(),
        }
    )


def tier_boundaries(ev: Evaluation, draw: int = 0) -> pd.DataFrame:
    """Rank-tier (and quota) edges: in each group, the last unit of a grade and the first of the next.

    Returns
    -------
    pandas.DataFrame
        ``group, upper unit, upper grade, upper total, lower unit, lower grade, lower total, gap``
        (points between the two totals), smallest gap first: a gap this small is all that keeps
        the units apart.
    """
    total = ev.total[draw]
    grade = ev.grade[min(draw, ev.grade.shape[0] - 1)].astype(np.int64)
    graded = len(ev.compiled.grades) - (1 if ev.compiled.scheme.grading.not_assessed else 0)
    names = [g.zh for g in ev.compiled.grades]
    rows = []
    for g in np.unique(ev.groups):
        members = np.flatnonzero((ev.groups == g) & (grade < graded))
        order = members[np.argsort(-total[members], kind="stable")]
        for a, b in zip(order[:-1], order[1:]):
            if grade[a] != grade[b]:
                rows.append(
                    (
                        ev.group_names[g],
                        ev.data.units[a],
                        names[grade[a]],
                        total[a],
                        ev.data.units[b],
                        names[grade[b]],
                        total[b],
                    )
                )
    frame = pd.DataFrame(
        rows,
        columns=["group", "upper unit", "upper grade", "upper total", "lower unit", "lower grade", "lower total"],
    )
    frame["gap"] = frame["upper total"] - frame["lower total"]
    return frame.sort_values("gap", kind="stable").reset_index(drop=True)


def heaviest_column(compiled: CompiledScheme, data: UnitData) -> str:
    """The numeric data column of the leaf indicator with the most points (the first such, on a tie).

    A sensible column to probe with :func:`indicator_margins` when none is named.
    """
    best, points = "", -np.inf
    for cc in compiled.classes:
        for col in cc.columns:
            name = col.data_columns["value"]
            if cc.method_of(col.leaf) in LABEL_METHODS or name not in data.values:
                continue
            if cc.nominal_points[col.leaf] > points:
                best, points = name, float(cc.nominal_points[col.leaf])
    if not best:
        raise ParameterError("the scheme has no numeric indicator column", hint="name a column to probe")
    return best
