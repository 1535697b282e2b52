"""Indicator scoring methods: raw values → fraction of an indicator's points, vectorised.

Every function takes arrays of any shape (units, or draws × units) and returns the
fraction of the indicator's nominal points earned (1.0 = full points; above 1 only where
a method credits over-completion). Tables given in points are divided by the nominal
points, so that a sweep of an indicator's points scales them proportionally.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping

import numpy as np
from numpy.typing import NDArray

from . import scheme as s
from .grading import rank_within_groups
from .numeric import snap

Array = NDArray[np.float64]

INPUTS: dict[str, tuple[str, ...]] = {"rubric_5pt": ("value", "count")}
"""Methods that read more than one data column; the others read ``value`` only."""

LABEL_METHODS = ("lookup",)
"""Methods whose data are labels (a sub-assessment's grade), not numbers."""

NONNEGATIVE = {
    "score",
    "completion_ratio",
    "veto_scoring",
    "cumulative",
    "direct_deduction",
    "time_limit",
    "rubric_5pt",
    "tier_points",
    "deduction_blocks",
}
"""Methods whose values are counts, amounts or marks: a negative value is a data error."""


def input_names(method: s.Method) -> tuple[str, ...]:
    """The data inputs a method reads (``value`` plus e.g. ``count`` or a per-unit ``standard``)."""
    if isinstance(method, s.CompletionRatio) and method.standard == "per_unit":
        return ("value", "standard")
    return INPUTS.get(method.method, ("value",))


class BandArrays:
    """A band table as arrays: descending lower bounds with inclusivity and points ranges."""

    def __init__(self, table: s.BandTable, nominal_points: float) -> None:
        rows = table.bands
        self.mins = np.array([-np.inf if b.min is None else b.min for b in rows])
        self.inclusive = np.array([b.min_inclusive for b in rows])
        lows = [b.points[0] if isinstance(b.points, tuple) else b.points for b in rows]
        highs = [b.points[1] if isinstance(b.points, tuple) else b.points for b in rows]
        # values below every band score 0 (an implicit last row)
        self.low = np.array([*lows, 0.0]) / nominal_points
        self.high = np.array([*highs, 0.0]) / nominal_points
        self.mid = (self.low + self.high) / 2
        self.pick = table.pick
        self.labels = [b.grade for b in rows]
        uppers = [np.inf, *[b.min if b.min is not None else -np.inf for b in rows[:-1]]]
        self.uppers = np.array([*uppers, self.mins[-1]])
        self.lowers = np.array([*self.mins, -np.inf])

    def band_index(self, value: Array) -> NDArray[np.int64]:
        """Index of the band each value falls in (``len(bands)`` = below every band)."""
        finite = np.isfinite(self.mins)
        alike = self.inclusive[finite]
        if alike.all() or not alike.any():
            # the count of bounds above each value (or at it, for exclusive bounds), by one binary search
            bounds = np.sort(self.mins[finite])
            at = bounds.searchsorted(value, side="right" if alike.all() else "left")
            return np.asarray(bounds.size - at, dtype=np.int64)
        idx = np.zeros(np.shape(value), dtype=np.int64)
        for m, inc in zip(self.mins, self.inclusive):
            if np.isfinite(m):
                idx += (value < m) if inc else (value <= m)
        return idx

    def points(self, value: Array) -> Array:
        idx = self.band_index(value)
        if self.pick == "low":
            return self.low[idx]  # type: ignore[no-any-return]
        if self.pick == "high":
            return self.high[idx]  # type: ignore[no-any-return]
        if self.pick == "mid":
            return self.mid[idx]  # type: ignore[no-any-return]
        low, high = self.low[idx], self.high[idx]
        lo, up = self.lowers[idx], self.uppers[idx]
        span = up - lo
        with np.errstate(invalid="ignore", divide="ignore"):
            t = np.where(np.isfinite(span) & (span > 0), (value - lo) / span, 1.0)
        return low + np.clip(t, 0.0, 1.0) * (high - low)


Scorer = Callable[[Mapping[str, Array]], Array]


def make_scorer(node: s.Indicator, nominal_points: float) -> Scorer:
    """Build the vectorised scoring function of a leaf indicator.

    Parameters
    ----------
    node
        The leaf indicator (its method and direction).
    nominal_points
        The indicator's points in the scheme as written; tables are divided by them.

    Returns
    -------
    callable
        ``f(inputs) -> fraction`` where ``inputs`` maps input names to arrays.
    """
    m = node.method
    lower = node.direction == "lower"
    full = nominal_points if nominal_points > 0 else 1.0

    if isinstance(m, s.DirectScore):
        return lambda x: x["value"] / m.scale
    if isinstance(m, s.CompletionRatio):
        fixed = m.standard

        def standard_of(x: Mapping[str, Array]) -> Array | float:
            return x["standard"] if fixed == "per_unit" else float(fixed)

        if lower:

            def completion_lower(x: Mapping[str, Array]) -> Array:
                with np.errstate(divide="ignore"):
                    ratio = np.where(x["value"] > 0, standard_of(x) / np.maximum(x["value"], 1e-300), np.inf)
                return np.minimum(ratio, m.cap)

            return completion_lower
        return lambda x: np.minimum(x["value"] / standard_of(x), m.cap)
    if isinstance(m, s.QuantityDecrement):
        sign = -1.0 if lower else 1.0
        return lambda x: np.maximum(0.0, 1.0 - m.decrement * np.maximum(0.0, sign * (m.target - x["value"])) / full)
    if isinstance(m, s.VetoScoring):
        return lambda x: np.where(x["value"] > 0, 0.0, 1.0)
    if isinstance(m, s.BaseAddSubtract):
        sign = -1.0 if lower else 1.0

        def base_add_subtract(x: Mapping[str, Array]) -> Array:
            diff = sign * (x["value"] - m.target)
            pts = m.base + m.add_per_unit * np.maximum(diff, 0) - m.subtract_per_unit * np.maximum(-diff, 0)
            return np.clip(pts, 0.0, full) / full

        return base_add_subtract
    if isinstance(m, s.Cumulative):
        return lambda x: np.minimum(x["value"] * m.per_event, full) / full
    if isinstance(m, s.DirectDeduction):
        return lambda x: np.maximum(full - m.per_violation * x["value"], m.floor) / full
    if isinstance(m, s.BandLookup):
        table = BandArrays(m, full)
        return lambda x: table.points(x["value"])
    if isinstance(m, s.CategoryLookup):
        codes = np.array(list(m.map.values())) / full
        return lambda x: codes[x["value"].astype(np.int64)]
    if isinstance(m, s.TierPoints):
        tiers = {int(k): v / full for k, v in m.tiers.items()}
        other = m.other / full

        def tier_points(x: Mapping[str, Array]) -> Array:
            out = np.full(np.shape(x["value"]), other)
            for tier, frac in tiers.items():
                out = np.where(x["value"] == tier, frac, out)
            return out

        return tier_points
    if isinstance(m, s.Rubric5pt):

        def rubric(x: Mapping[str, Array]) -> Array:
            level, count = x["value"], x["count"]
            flaws = np.where(count <= m.flaws_two_up_to, 2.0, np.where(count >= m.flaws_zero_from, 0.0, 1.0))
            errors = np.where(count <= m.errors_one_up_to, 1.0, 0.0)
            item = np.where(level >= 3, level, np.where(level == 2, flaws, errors))
            return item / 5.0

        return rubric
    if isinstance(m, s.TimeLimit):
        return lambda x: np.where(x["value"] <= m.limit, 1.0, 0.0)
    if isinstance(m, (s.Stepwise, s.Linear, s.RankPoints, s.DeductionBlocks)):
        return form_scorer(m, full, lower)
    raise AssertionError(f"no scorer for {m!r}")  # pragma: no cover - the model admits no other


GIVEN = "given"
"""The engine passes every scorer the mask of units with a value under this name; ``rank_points`` ranks only them."""


def rank_among(value: Array, given: NDArray[np.bool_]) -> NDArray[np.int64]:
    """Competition rank (1, 1, 3) of each unit's value among the given values of the last axis, highest first.

    Parameters
    ----------
    value
        Values, (U,) or (S, U).
    given
        Units with a value, broadcastable to ``value``; the others rank after every given unit.

    Returns
    -------
    numpy.ndarray
        Ranks, the shape of ``value``.
    """
    keys = np.atleast_2d(np.where(given, value, -np.inf))
    ranks = rank_within_groups([keys], np.zeros(keys.shape[1], dtype=np.int64), ("competition",)).competition
    assert ranks is not None
    return ranks.reshape(np.shape(value)) if np.ndim(value) < 2 else ranks


def form_scorer(m: s.Stepwise | s.Linear | s.RankPoints | s.DeductionBlocks, full: float, lower: bool) -> Scorer:
    """Scorers of the methods of published forms (:mod:`perfsim.scheme.form_methods`), as fractions of full points."""
    if isinstance(m, s.Stepwise):
        sign = -1.0 if lower else 1.0
        whole = np.floor if m.partial == "ignore" else np.ceil

        def stepwise(x: Mapping[str, Array]) -> Array:
            short = np.maximum(0.0, sign * (m.target - x["value"]))
            steps = whole(snap(short / m.step))  # 10 % short of 5 % steps is 2 steps, not 1.9999999
            return np.maximum(full - m.per_step * steps, m.floor) / full

        return stepwise
    if isinstance(m, s.Linear):
        return lambda x: np.clip((x["value"] - m.zero_at) / (m.full_at - m.zero_at), m.floor / full, m.cap)
    if isinstance(m, s.RankPoints):
        ranges = sorted(m.ranks.items(), reverse=True)

        def rank_points(x: Mapping[str, Array]) -> Array:
            value = -x["value"] if lower else x["value"]
            given = np.asarray(x[GIVEN], dtype=bool) if GIVEN in x else np.ones(np.shape(value)[-1:], dtype=bool)
            place = rank_among(value, given)
            out = np.full(np.shape(value), m.other / full)
            for last, points in ranges:
                out = np.where(place <= last, points / full, out)
            return out

        return rank_points
    return lambda x: np.maximum(full - x["value"], m.floor) / full
