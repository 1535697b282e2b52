"""Grading models: grade bands, rank tiers, quotas, tie rules and units not assessed."""

from __future__ import annotations

from typing import Literal

from pydantic import Field, model_validator

from ..models import Label, Model
from .base import Id


class GradeBand(Model):
    """A grade and its lower bound (in the grading basis); the lowest grade may omit ``min``.

    ``max`` is optional and only serves literal readings such as "80-89": it must meet the
    next band up without a gap that a total can fall into, and without overlap.
    """

    grade: Label
    """The grade's name (优秀), plain text or ``{zh, en}``."""
    min: float | None = None
    """The lower bound in the grading basis; the lowest grade may omit it."""
    min_inclusive: bool = True
    """Whether a total equal to ``min`` gets this grade (default true: ≥)."""
    max: float | None = None
    """An upper bound as literally written ("80-89"); it must meet the band above without a gap."""
    max_inclusive: bool = True
    """Whether a total equal to ``max`` gets this grade (default true: ≤)."""
    sections_min: float | None = Field(None, gt=0, le=1)
    """A compound condition: besides ``min``, every first-level section must reach this share of its
    points (0.7 = 70 %; with 不适用 items, of the points that apply). A unit that misses it takes the
    best lower grade whose conditions it meets (水利安全生产标准化: 一级 needs 90 points and 70 % of
    every first-level item's points)."""
    indicators_min: dict[Id, float] = Field(default_factory=dict)
    """A compound condition: named indicators (any level, by id) must reach these points, in the
    indicator's own points (满意度 at least 8 of 10 for 优秀). Missing it works as ``sections_min``
    does; in a class without the indicator the condition does not apply."""


class Quota(Model):
    """Limits on how many units of a group hold ``grade``: at most a share or a count (overflow drops one
    grade, best-ranked units keep it), or at least a count at this grade or below.

    Give at least one of ``max_share``, ``max_count`` and ``min_count``; with both maxima the smaller
    number of places applies. Ballot rules read like "≥ 90 分的不超过3人，< 70 分的不少于2人".
    """

    grade: str
    """The grade the limit applies to."""
    max_share: float | None = Field(None, gt=0, le=1)
    """At most this share of a group (0.2 = 20 %), turned into places by ``rounding``."""
    max_count: int | None = Field(None, ge=0)
    """At most this many units of a group (优秀不超过3个)."""
    min_count: int | None = Field(None, ge=1)
    """At least this many units of a group at this grade or below (较差不少于1个, "< 70 分的不少于2人"):
    when fewer hold it, the lowest-ranked units above it are moved down to it. Applied after the maxima."""
    rounding: Literal["floor", "half_up", "ceil"] = "floor"
    """How ``max_share`` of a group becomes whole places."""
    ties: Literal["include_all", "exclude_all"] = "exclude_all"
    """Units tied at the limit: all counted in the grade (``include_all``; a maximum may be exceeded, a
    minimum met with more) or all left out (``exclude_all``; a maximum may be under-filled, a minimum
    missed)."""

    @model_validator(mode="after")
    def _some_limit(self) -> Quota:
        if self.max_share is None and self.max_count is None and self.min_count is None:
            raise ValueError("give max_share, max_count or min_count")
        return self


class RankTier(Model):
    """A grade given by rank: ``share`` of the group (or ``count`` units) more than the tiers above.

    Tiers fill best first; tied units at a tier's last place all stay in it. The last tier
    takes the rest.
    """

    grade: Label
    """The grade the tier gives."""
    share: float | None = Field(None, gt=0, le=1)
    """The share of the group (0 to 1) placed in this tier; give this or ``count`` (not on the last tier)."""
    count: int | None = Field(None, ge=1)
    """The number of units placed in this tier; give this or ``share`` (not on the last tier)."""
    rounding: Literal["floor", "half_up", "ceil", "cumulative"] = "floor"
    """How a share becomes places: ``cumulative`` rounds half-up where the tier ends (its share plus the
    shares above) and gives the tier the places between, so rounding leftovers do not all fall into
    the last tier (10/20/60 % of 12 units: 1, 3, 7 and 1 left, not 1, 2, 7 and 2)."""


class Ranking(Model):
    """How ties rank: competition (1, 1, 3), dense (1, 1, 2) or ordinal after ``break_by``."""

    ties: Literal["competition", "dense", "ordinal"] = "competition"
    """How tied totals rank: ``competition`` (1, 1, 3), ``dense`` (1, 1, 2) or ``ordinal`` (broken by ``break_by``)."""
    break_by: list[Id] = Field(default_factory=list)
    """Indicators whose scores break ties, in order."""


class NotAssessed(Model):
    """Units scored and paid but not graded: those whose text ``attribute`` is one of ``values``
    (篇十四's retired and departed staff). They get the grade ``label``, take no rank, no quota place
    and no share of a group."""

    attribute: str
    """The text attribute that marks units not assessed."""
    values: list[str] = Field(min_length=1)
    """The attribute values that mean not assessed (退休, 离岗)."""
    label: Label = Field(default_factory=lambda: Label(zh="不参加考核", en="not assessed"))
    """What these units show instead of a grade (default 不参加考核)."""


class TopList(Model):
    """A named list of the best (or worst) ``k`` units of each group, as a monthly notice publishes it
    (前三名, 后三名): every unit tied at place ``k`` is on the list, so it may hold more than ``k``."""

    id: Id
    """The list's column name in results (``list:<id>``)."""
    name: Label
    """The list's name in notices and traces (前三名)."""
    k: int = Field(ge=1)
    """Places on the list: units whose place is ``k`` or better (ties at ``k`` included)."""
    end: Literal["top", "bottom"] = "top"
    """``top`` lists the best ``k`` places, ``bottom`` the worst ``k`` (后三名, 末位)."""
    ties: Literal["tied", "unordered"] = "tied"
    """How the notice names ties: ``tied`` (并列: tied units share a place, "并列第3名") or ``unordered``
    (不分先后: the list is printed without places, "排名不分先后")."""
    source: str | None = None
    """Where the list is published (the notice and its line)."""


class Grading(Model):
    """How totals become grades and ranks. Without ``bands`` and ``rank_tiers`` a scheme only totals
    and ranks (a self-evaluation form that grades nothing)."""

    basis: Literal["percent", "points"] = "percent"
    """What bands compare: the total as ``percent`` of the full points (default; each unit's own class's full
    mark where classes state one) or in ``points``."""
    points_of: Id | None = None
    """With ``basis: points`` and classes of different full marks: the class whose full mark the band points
    are written in (街道, out of 100); the other classes' cut-offs are the same share of their own full mark
    (90 of 100 → 108 of 120). Without it such bands are refused, since 90 points mean different things."""
    bands: list[GradeBand] | None = Field(None, min_length=2)
    """Grades by score, best first, each with its lower bound; give this or ``rank_tiers``."""
    rank_tiers: list[RankTier] | None = Field(None, min_length=2)
    """Grades by rank within a group (a share or count of units per grade); give this or ``bands``."""
    quotas: list[Quota] = Field(default_factory=list)
    """Limits on how many units of a group may hold a grade (比例控制); overflow drops one grade."""
    group_by: str | None = None
    """What a group is for quotas, ranks and tiers: ``class`` or a text attribute; default: all units."""
    ranking: Ranking = Field(default_factory=Ranking)
    """How ties rank and what breaks them."""
    veto_timing: Literal["before_quota", "after_quota"] = "before_quota"
    """Whether a veto's forced grade applies ``before_quota`` (default) or ``after_quota``."""
    not_assessed: NotAssessed | None = None
    """Units scored and paid but not graded (e.g. retired staff), by a text attribute."""
    from_indicator: Id | None = None
    """A ``lookup`` indicator whose label is the unit's grade (篇十七: the school's annual assessment
    grades the person; the total only shares the pay). Its labels must be grade names; units whose
    cell is empty or 不适用 are graded by the bands."""
    vetoed_rank: Literal["keep", "last"] = "keep"
    """Where a unit hit by a ``total`` or ``grade_lowest`` veto ranks: by its total (``keep``) or after
    every unit not vetoed in its group (``last``)."""
    top_lists: list[TopList] = Field(default_factory=list)
    """Published lists of the best or worst places of each group (前三名, 后三名)."""

    @model_validator(mode="after")
    def _one_kind(self) -> Grading:
        if self.bands is not None and self.rank_tiers is not None:
            raise ValueError("give one of bands or rank_tiers, not both")
        if self.rank_tiers is not None and self.quotas:
            raise ValueError("quotas apply to bands; rank tiers already fix each grade's share")
        return self

    @property
    def graded(self) -> bool:
        """Whether the scheme gives grades (bands or rank tiers), not only totals and ranks."""
        return self.bands is not None or self.rank_tiers is not None

    @property
    def grades(self) -> list[Label]:
        """Grade labels, best first; empty for a scheme without grading."""
        rows = self.bands if self.bands is not None else self.rank_tiers
        return [row.grade for row in rows or []]
