"""One indicator input made of several data columns, combined before scoring, vectorised.

Three rules of published forms read one value from several columns: raters' marks combined
(mean, median, or the mean after dropping the highest and lowest marks, 去掉最高分和最低分),
sub-items summed before the ratio (先汇总完成数，再计算得分), and blocks of deductions
(each block's events × its points, capped, summed). The combined value is what the
indicator's scoring method reads; the data layer stores it under the indicator's column
name, and the engine combines again when a draw replaces a part's values.

Every function takes values of shape (..., U, K) (K parts) with a mask of the parts given
(an empty cell is a rater who gave no mark or a sub-item the unit does not have) and
returns shape (..., U). No loop runs over units or draws.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray

from . import scheme as s

Array = NDArray[np.float64]
Mask = NDArray[np.bool_]

RATER_TAG = "r"
SUB_ITEM_TAG = "s"


def mean(values: Array, given: Mask) -> Array:
    """Mean of the given marks (NaN where none is given)."""
    count = given.sum(axis=-1)
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.where(count > 0, np.where(given, values, 0.0).sum(axis=-1) / count, np.nan)


def _sorted_given(values: Array, given: Mask) -> tuple[Array, NDArray[np.int64]]:
    """Given marks sorted ascending to the front of the last axis (empty places +inf), and their count."""
    return np.sort(np.where(given, values, np.inf), axis=-1), given.sum(axis=-1)


def median(values: Array, given: Mask) -> Array:
    """Median of the given marks: the middle one, or the mean of the middle two (NaN where none is given)."""
    ordered, count = _sorted_given(values, given)
    low = np.maximum((count - 1) // 2, 0)[..., None]
    high = np.maximum(count // 2, 0)[..., None]
    pair = np.take_along_axis(ordered, low, axis=-1)[..., 0] + np.take_along_axis(ordered, high, axis=-1)[..., 0]
    return np.where(count > 0, pair / 2.0, np.nan)


def trimmed_mean(values: Array, given: Mask, trim: int, more_than: int) -> Array:
    """Mean after dropping the ``trim`` highest and ``trim`` lowest marks, where more than ``more_than`` are given.

    Parameters
    ----------
    values, given
        Marks (..., U, K) and which of them were given.
    trim
        Marks dropped at each end.
    more_than
        Drop only when the count of given marks exceeds this (at least ``2 * trim``, so a mark is left).

    Returns
    -------
    numpy.ndarray
        (..., U); the plain mean where too few marks are given, NaN where none is.
    """
    ordered, count = _sorted_given(values, given)
    cut = np.where(count > more_than, trim, 0)[..., None]
    place = np.arange(values.shape[-1])
    keep = (place >= cut) & (place < count[..., None] - cut)
    kept = keep.sum(axis=-1)
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.where(kept > 0, np.where(keep, ordered, 0.0).sum(axis=-1) / kept, np.nan)


@dataclass(frozen=True)
class Parts:
    """The data columns that make one input of a score column, and how they combine.

    ``rule`` is ``mean``, ``median``, ``trimmed_mean`` (raters), ``sum`` (sub-items) or
    ``deductions`` (blocks: events × ``per_event``, each capped at ``caps``, summed).
    """

    columns: tuple[str, ...]
    rule: str
    trim: int = 0
    more_than: int = 0
    per_event: tuple[float, ...] = ()
    caps: tuple[float, ...] = ()

    def combine(self, values: Array, given: Mask) -> Array:
        """The combined value, (..., U), from parts (..., U, K); NaN for a rater rule with no mark given."""
        if self.rule == "mean":
            return mean(values, given)
        if self.rule == "median":
            return median(values, given)
        if self.rule == "trimmed_mean":
            return trimmed_mean(values, given, self.trim, self.more_than)
        if self.rule == "deductions":
            taken = np.minimum(values * np.array(self.per_event), np.array(self.caps))
            return np.where(given, taken, 0.0).sum(axis=-1)
        return np.where(given, values, 0.0).sum(axis=-1)

    def combine_columns(self, columns: Mapping[str, Array], given: Mapping[str, Mask]) -> Array:
        """Combine named columns (each (..., U)) with their masks of given cells (each (U,))."""
        stacked = np.stack(np.broadcast_arrays(*(columns[c] for c in self.columns)), axis=-1)
        mask = np.stack([given[c] for c in self.columns], axis=-1)
        return self.combine(stacked, np.broadcast_to(mask, stacked.shape))

    def words(self) -> s.Label:
        """How the parts combine, for traces."""
        if self.rule == "trimmed_mean":
            return s.Label(
                zh=f"评分人多于 {self.more_than} 人时去掉 {self.trim} 个最高分和 {self.trim} 个最低分后取平均",
                en=f"mean after dropping the {self.trim} highest and {self.trim} lowest marks "
                f"when more than {self.more_than} are given",
            )
        return {
            "mean": s.Label(zh="各评分人评分的平均值", en="mean of the raters' marks"),
            "median": s.Label(zh="各评分人评分的中位数", en="median of the raters' marks"),
            "sum": s.Label(zh="各子项先汇总再计分", en="sub-items summed before scoring"),
            "deductions": s.Label(zh="各扣分项合计（每项不超过其上限）", en="deductions summed, each within its cap"),
        }[self.rule]


def parts_of(node: s.Indicator, names: Mapping[str, str]) -> dict[str, Parts]:
    """The parts of each input of a leaf's score column (input name → parts), empty when it reads one column each.

    Parameters
    ----------
    node
        The leaf indicator.
    names
        Input name → the data column the input is stored under (``x``, ``x.standard``, ``x@MID``).
    """
    m = node.method
    value = names["value"]
    if isinstance(m, s.DeductionBlocks):
        return {
            "value": Parts(
                tuple(f"{value}.{b.id}" for b in m.blocks),
                "deductions",
                per_event=tuple(b.per_event for b in m.blocks),
                caps=tuple(np.inf if b.cap is None else b.cap for b in m.blocks),
            )
        }
    if node.raters is not None:
        r = node.raters
        columns = tuple(f"{value}.{RATER_TAG}{k}" for k in range(1, r.count + 1))
        return {"value": Parts(columns, r.aggregate, trim=r.trim, more_than=r.trim_when_more_than)}
    if node.sub_items is not None:
        out = {}
        for inp in names:
            suffix = "" if inp == "value" else f".{inp}"
            cols = tuple(f"{value}.{SUB_ITEM_TAG}{k}{suffix}" for k in range(1, node.sub_items.count + 1))
            out[inp] = Parts(cols, "sum")
        return out
    return {}
