"""Scoring methods: how one leaf indicator turns its data value into points."""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import Field

from ..models import Label, Model
from .form_methods import DeductionBlocks, Linear, RankPoints, Stepwise


class DirectScore(Model):
    """The value is already a score on ``scale`` (a rater's 0-100 mark): fraction = value / scale."""

    method: Literal["score"]
    """Names the scoring method (the value of ``method:`` that selects this entry)."""
    scale: float = Field(100.0, gt=0)
    """The scale of the mark (default 100): points = mark / scale × full points."""


class CompletionRatio(Model):
    """完成比例法: full points at the standard value, pro rata below; ``cap`` > 1 credits over-completion.

    ``standard: per_unit`` reads each unit's own standard (标准值, its assigned target) from the
    data column ``<indicator>.standard``.
    """

    method: Literal["completion_ratio"]
    """Names the scoring method (the value of ``method:`` that selects this entry)."""
    standard: Annotated[float, Field(gt=0)] | Literal["per_unit"]
    """The standard (标准值) that earns full points, or ``per_unit`` to read each unit's own from
    ``<indicator>.standard``."""
    cap: float = Field(1.0, ge=1.0)
    """The most earned as a share of full points (default 1; above 1 credits over-completion)."""


class QuantityDecrement(Model):
    """数量递减法: full points minus ``decrement`` points per unit of shortfall against ``target``."""

    method: Literal["quantity_decrement"]
    """Names the scoring method (the value of ``method:`` that selects this entry)."""
    target: float
    """The quantity that earns full points."""
    decrement: float = Field(gt=0)
    """Points taken off per unit of shortfall against the target."""


class VetoScoring(Model):
    """否决计分法: the value counts red-line events; none gives full points, any gives zero."""

    method: Literal["veto_scoring"]
    """Names the scoring method (the value of ``method:`` that selects this entry)."""


class BaseAddSubtract(Model):
    """基础加减法: ``base`` points at target, plus or minus points per unit above or below it."""

    method: Literal["base_add_subtract"]
    """Names the scoring method (the value of ``method:`` that selects this entry)."""
    target: float
    """The value that earns the base points."""
    base: float = Field(ge=0)
    """Points at the target (at most the indicator's points)."""
    add_per_unit: float = Field(0.0, ge=0)
    """Points added per unit above the target (capped at full points)."""
    subtract_per_unit: float = Field(0.0, ge=0)
    """Points taken off per unit below the target (not below 0)."""


class Cumulative(Model):
    """累积计分法: ``per_event`` points for each event or achievement, capped at full points."""

    method: Literal["cumulative"]
    """Names the scoring method (the value of ``method:`` that selects this entry)."""
    per_event: float = Field(gt=0)
    """Points per event or achievement, up to full points."""


class DirectDeduction(Model):
    """直接扣分法: full points minus ``per_violation`` for each violation, not below ``floor``."""

    method: Literal["direct_deduction"]
    """Names the scoring method (the value of ``method:`` that selects this entry)."""
    per_violation: float = Field(gt=0)
    """Points taken off per violation."""
    floor: float = Field(0.0, ge=0)
    """The fewest points the indicator falls to (default 0)."""


class Band(Model):
    """One row of a band table: values from ``min`` (to the next band's min) give ``points``.

    ``points`` is one number or a range ``[low, high]`` (篇四's "8-9 points"), in which case
    the table's ``pick`` says which value in the range is credited.
    """

    min: float | None = None
    """The band's lower bound; the last band may omit it (it then takes everything below)."""
    min_inclusive: bool = True
    """Whether a value equal to ``min`` falls in this band (default true)."""
    points: float | tuple[float, float]
    """The points the band gives: one number, or a range ``[low, high]`` read by the table's ``pick``."""
    grade: Label | None = None
    """A label for the band (优, 良), shown in traces."""


class BandTable(Model):
    """Bands, best first, that turn a value into points."""

    bands: list[Band] = Field(min_length=1)
    """The bands, best first: values from a band's ``min`` up to the next band's give its points."""
    pick: Literal["low", "mid", "high", "interpolate"] = "mid"
    """Which value a range ``[low, high]`` of points credits: ``low``, ``mid``, ``high`` or ``interpolate``."""


class BandLookup(BandTable):
    """Value band → points (e.g. a satisfaction rate band → points)."""

    method: Literal["bands"]
    """Names the scoring method (the value of ``method:`` that selects this entry)."""


class CategoryLookup(Model):
    """A label → points (e.g. a sub-assessment's grade 良好 → 8.5 points)."""

    method: Literal["lookup"]
    """Names the scoring method (the value of ``method:`` that selects this entry)."""
    map: dict[str, float] = Field(min_length=1)
    """Label → points (优秀: 10, 良好: 8.5); the data give the label."""


class TierPoints(Model):
    """Rank tier → points (篇六: tier 1/2/3 → 600/500/400); tiers not listed get ``other``."""

    method: Literal["tier_points"]
    """Names the scoring method (the value of ``method:`` that selects this entry)."""
    tiers: dict[int, float] = Field(min_length=1)
    """Tier number → points; the data give each unit's tier."""
    other: float = Field(0.0, ge=0)
    """Points for tiers not listed (default 0)."""


class Rubric5pt(Model):
    """篇十三 5-point rubric: a rated level 3-5 scores itself; levels 2 and 1 are set by counts.

    Level 2 (flaws): up to ``flaws_two_up_to`` flaws → 2, more → 1, ``flaws_zero_from`` or
    more → 0. Level 1 (errors): up to ``errors_one_up_to`` errors → 1, more → 0. The data
    give the level in the indicator's column and the count in ``<indicator>.count``.
    """

    method: Literal["rubric_5pt"]
    """Names the scoring method (the value of ``method:`` that selects this entry)."""
    flaws_two_up_to: int = Field(3, ge=0)
    """At level 2: up to this many flaws still score 2 (default 3)."""
    flaws_zero_from: int = Field(5, ge=1)
    """At level 2: this many flaws or more score 0 (default 5)."""
    errors_one_up_to: int = Field(1, ge=0)
    """At level 1: up to this many errors still score 1 (default 1)."""


class TimeLimit(Model):
    """Pass/fail time limit: full points when the time taken is at most ``limit``, else zero."""

    method: Literal["time_limit"]
    """Names the scoring method (the value of ``method:`` that selects this entry)."""
    limit: float = Field(gt=0)
    """The longest time that earns full points."""
    unit: str = "minutes"
    """The unit of the time (default minutes), for traces."""


class Composite(Model):
    """综合计分法: an indicator made of sub-criteria; give them as ``children``."""

    method: Literal["composite"]
    """Names the scoring method (the value of ``method:`` that selects this entry)."""


Method = Annotated[
    DirectScore
    | CompletionRatio
    | QuantityDecrement
    | VetoScoring
    | BaseAddSubtract
    | Cumulative
    | DirectDeduction
    | BandLookup
    | CategoryLookup
    | TierPoints
    | Rubric5pt
    | TimeLimit
    | Stepwise
    | Linear
    | RankPoints
    | DeductionBlocks
    | Composite,
    Field(discriminator="method"),
]

METHODS_WITH_DIRECTION = ("completion_ratio", "quantity_decrement", "base_add_subtract", "stepwise", "rank_points")


class Conversion(BandTable):
    """Convert a node's score (% of its full points) through bands, e.g. 篇四 special track → 10/8-9/5-6/0."""
