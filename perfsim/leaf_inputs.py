"""What a leaf's scorer reads, and what replaces the score of an empty or 不适用 cell (engine step 1).

A score column reads its data columns, or values a draw puts in their place. An input made of
several columns (raters, sub-items, deduction blocks: :mod:`perfsim.parts`) is combined again
when a draw replaces one of its parts. Every scorer also gets the mask of units with a value
(``rank_points`` ranks only them).

An empty cell scores 0 (``missing_values: zero``) or the mean score of the other units of the
class that have a value (``missing_values: mean``); a 不适用 cell is rescaled away (the engine's
step 2) or, with ``not_applicable.rescale: mean``, scores that mean too.
"""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np
from numpy.typing import NDArray

from . import scheme as s
from .compile import ScoreColumn
from .scoring import GIVEN
from .unit_data import UnitData

Array = NDArray[np.float64]
Mask = NDArray[np.bool_]


def column_inputs(
    col: ScoreColumn, data: UnitData, units: NDArray[np.int64], replaced: Mapping[str, Array]
) -> dict[str, Array]:
    """The arrays one score column's scorer reads, for the given units of its class.

    Parameters
    ----------
    col
        The score column.
    data
        The unit data.
    units
        Positions of the class's units in ``data``.
    replaced
        Data column → values (U,) or (S, U) a draw puts in place of the data's.

    Returns
    -------
    dict
        Input name → (U,) or (S, U) array over ``units``, plus the mask of units with a value.
    """
    inputs: dict[str, Array] = {}
    for inp, name in col.data_columns.items():
        parts = col.parts.get(inp)
        if parts is not None and name not in replaced and any(c in replaced for c in parts.columns):
            columns = {c: (replaced[c] if c in replaced else data.values[c])[..., units] for c in parts.columns}
            given = {c: ~(data.missing[c][units] | data.not_applicable[c][units]) for c in parts.columns}
            inputs[inp] = parts.combine_columns(columns, given)
        else:
            inputs[inp] = (replaced[name] if name in replaced else data.values[name])[..., units]
    value = col.data_columns["value"]
    inputs[GIVEN] = ~(data.missing[value][units] | data.not_applicable[value][units])  # type: ignore[assignment]
    return inputs


def missing_cells(col: ScoreColumn, data: UnitData, units: NDArray[np.int64]) -> Mask:
    """Units of the class with an empty cell in any input of the column."""
    out = np.zeros(units.size, dtype=bool)
    for name in col.data_columns.values():
        out |= data.missing[name][units]
    return out


def filled_by_mean(scheme: s.Scheme, col: ScoreColumn, data: UnitData, units: NDArray[np.int64]) -> Mask:
    """Units whose cell scores the mean of the other units (empty under ``missing_values: mean``,
    不适用 under ``not_applicable.rescale: mean``)."""
    out = np.zeros(units.size, dtype=bool)
    if scheme.missing_values == "mean":
        out |= missing_cells(col, data, units)
    if scheme.not_applicable is not None and scheme.not_applicable.rescale == "mean":
        out |= data.not_applicable[col.data_columns["value"]][units]
    return out


def mean_of_others(fraction: Array, has_value: Mask) -> tuple[Array, NDArray[np.int64]]:
    """Mean share of full points of the units with a value, per draw: ((S or 1) × 1, their count).

    Units without a value take the mean of those with one (all of them the other units); with no
    unit to take it from, the mean is 0.
    """
    count = int(has_value.sum())
    total = np.where(has_value, fraction, 0.0).sum(axis=-1, keepdims=True)
    mean = total / count if count else np.zeros_like(total)
    return np.atleast_2d(mean), np.array(count)


def leaf_fraction(
    scheme: s.Scheme,
    col: ScoreColumn,
    data: UnitData,
    units: NDArray[np.int64],
    fraction: Array,
    vetoed: Mask | np.bool_ | None,
) -> tuple[Array, Mask]:
    """A column's shares of full points after empty, 不适用 and vetoed cells, and where the column applies.

    Empty and 不适用 cells score 0, or the mean of the other units where the scheme says so; an
    indicator-scope veto zeroes the cell whatever it would score. The applicability mask is False
    only where the engine rescales a 不适用 item away.
    """
    value = col.data_columns["value"]
    not_applicable = data.not_applicable[value][units]
    empty = missing_cells(col, data, units)
    dead = empty | not_applicable
    zeroed = dead if vetoed is None else dead | vetoed
    out = np.where(zeroed, 0.0, fraction) if zeroed.any() else fraction
    filled = filled_by_mean(scheme, col, data, units)
    if filled.any():
        mean, _ = mean_of_others(out, ~dead)  # a vetoed unit's 0 is its score and counts
        out = np.where(filled if vetoed is None else filled & ~vetoed, mean, out)
    applicable = ~not_applicable | filled
    return out, applicable
