"""An indicator's value made of several data columns: raters' marks, or sub-items summed before scoring."""

from __future__ import annotations

from typing import Literal

from pydantic import Field, model_validator

from ..models import Model

MAX_PARTS = 99
"""The most raters or sub-items one indicator reads (a column each)."""


class Raters(Model):
    """Several raters mark the indicator: the data give each rater's mark in ``<indicator>.r1`` …
    ``<indicator>.r<count>`` (an empty cell: that rater gave no mark), and the indicator's value is their
    ``aggregate``: ``mean``, ``median`` or ``trimmed_mean`` (去掉最高分和最低分: ``trim`` marks dropped at
    each end when more than ``trim_when_more_than`` marks are given, the mean of the rest otherwise)."""

    count: int = Field(ge=2, le=MAX_PARTS, description="How many rater columns the data give.")
    aggregate: Literal["mean", "median", "trimmed_mean"] = Field(
        "mean", description="How the marks become the value: mean, median or trimmed_mean."
    )
    trim: int = Field(1, ge=1, description="trimmed_mean: marks dropped at each end (1: the highest and the lowest).")
    trim_when_more_than: int = Field(
        2,
        ge=2,
        description="trimmed_mean: drop marks only when more marks than this are given (评委多于N人时去掉…).",
    )

    @model_validator(mode="after")
    def _enough(self) -> Raters:
        if self.aggregate == "trimmed_mean" and self.trim_when_more_than < 2 * self.trim:
            raise ValueError(
                f"trim_when_more_than must be at least {2 * self.trim} (twice trim) so that a mark is left"
            )
        return self


class SubItems(Model):
    """Sub-items (sub-projects) summed before scoring (先汇总完成数，再计算得分): the data give each
    sub-item's value in ``<indicator>.s1`` … ``<indicator>.s<count>`` (and, with a per-unit standard,
    ``<indicator>.s1.standard`` …); empty cells are sub-items the unit does not have. The indicator is
    scored once, on the sums, not as the mean of each sub-item's score."""

    count: int = Field(ge=2, le=MAX_PARTS, description="How many sub-item columns the data give.")


RATED_METHODS = ("score", "bands", "linear", "stepwise", "completion_ratio", "quantity_decrement", "rank_points")
"""Methods whose value may be raters' marks combined."""

SUMMED_METHODS = (
    "completion_ratio",
    "quantity_decrement",
    "base_add_subtract",
    "cumulative",
    "direct_deduction",
    "veto_scoring",
    "bands",
    "linear",
    "stepwise",
)
"""Methods whose inputs are amounts that may be summed over sub-items."""


def check_value_parts(raters: Raters | None, sub_items: SubItems | None, method: str | None) -> None:
    """Refuse raters or sub-items where they cannot apply (``method`` is None for an indicator with children).

    Raises
    ------
    ValueError
        Naming the fix, for the indicator model's validator.
    """
    if raters is None and sub_items is None:
        return
    if method is None:
        raise ValueError("raters and sub_items apply to leaf indicators (those with a method), not to sections")
    if raters is not None and sub_items is not None:
        raise ValueError("give raters or sub_items, not both")
    if raters is not None and method not in RATED_METHODS:
        raise ValueError(f"method '{method}' does not read a mark; raters apply to {', '.join(RATED_METHODS)}")
    if sub_items is not None and method not in SUMMED_METHODS:
        raise ValueError(f"method '{method}' cannot be summed over sub-items; use one of {', '.join(SUMMED_METHODS)}")
