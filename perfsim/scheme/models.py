"""The scheme itself: the indicator tree, unit classes, periods, adjustments, vetoes, rounding and attributes."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Literal

from pydantic import Field, model_validator

from ..models import Label, Model
from ..rules import Consequences
from .base import Id, Loc
from .grading import Grading
from .methods import Conversion, Method
from .roll_up import RollUp
from .template import Template
from .value_parts import Raters, SubItems, check_value_parts


class Indicator(Model):
    """A node of the indicator tree: a leaf with a scoring method, or a section with children.

    Give ``points`` (in the parent's points) or ``weight`` (% of the parent's points).
    A section's children must add up to its points, unless it states ``scale`` (the
    children's own full points), in which case the section score is rescaled.
    """

    id: Id
    """The indicator's id, unique in its class; a leaf's data column is named after it."""
    name: Label
    """The indicator's name as the form writes it (plain Chinese text, or ``{zh, en}``)."""
    points: float | None = Field(None, ge=0)
    """Full points, in the parent's points (or the scheme total at the top); give this or ``weight``."""
    weight: float | None = Field(None, ge=0, le=100)
    """Share of the parent's points, in percent; give this or ``points``."""
    direction: Literal["higher", "lower"] = "higher"
    """``higher`` (more is better) or ``lower`` (less is better: a cost), for methods that compare with a target."""
    method: Method | None = None
    """How a leaf's data value becomes points (``method: score``, ``completion_ratio`` …)."""
    children: list[Indicator] | None = None
    """Sub-indicators; the indicator is then scored from them and their points add up to its own."""
    scale: float | None = Field(None, gt=0)
    """The children's own full points when the form scores them on another scale (e.g. out of 100); the sum is rescaled
    to the indicator's points."""
    convert: Conversion | None = None
    """Bands that convert the section's score (as % of its points) into points, e.g. 90 %+ → 10, 80-89 % → 8-9."""
    periods: dict[Id, float] | None = None
    """Period id → share (%) of the points earned in that period; the data then have one column per period."""
    period_shares: Literal["exact", "normalise", "literal"] = "exact"
    """How period shares are read: ``exact`` (must add up to 100), ``normalise`` (scaled to 100 %), ``literal`` (used
    as written)."""
    rater: str | None = None
    """Who scores the indicator (考核主体), free text for traces and listings."""
    raters: Raters | None = Field(
        None, description="Several raters' marks combined into the value (mean, median, trimmed mean)."
    )
    sub_items: SubItems | None = Field(None, description="Sub-items summed before scoring (先汇总完成数，再计算得分).")
    unit: str | None = None
    """The unit of the data value (%, 件, 万元), free text for traces."""
    source: str | None = None
    """Where the indicator and its rule are published."""
    note: str | None = None
    """Free text: the scoring standard (评分标准) as written, or a remark."""

    @model_validator(mode="after")
    def _shape(self) -> Indicator:
        if (self.points is None) == (self.weight is None):
            raise ValueError("give exactly one of points or weight")
        is_leaf = not self.children
        if self.children is not None and not self.children:
            raise ValueError("children is empty; remove it or list the sub-indicators")
        if is_leaf and (self.method is None or self.method.method == "composite"):
            raise ValueError("a leaf indicator needs a scoring method (or children for composite)")
        if not is_leaf and self.method is not None and self.method.method != "composite":
            raise ValueError(
                f"an indicator with children is scored from them; drop method '{self.method.method}' or the children"
            )
        if is_leaf and (self.scale is not None or self.convert is not None):
            raise ValueError("scale and convert apply to indicators with children")
        check_value_parts(self.raters, self.sub_items, self.method.method if is_leaf and self.method else None)
        if self.periods is not None:
            if not self.periods:
                raise ValueError("periods is empty")
            if any(v < 0 for v in self.periods.values()):
                raise ValueError("period shares must not be negative")
        return self

    def walk(self, loc: Loc, depth: int = 1) -> Iterator[tuple[Indicator, Loc, int]]:
        yield self, loc, depth
        for i, child in enumerate(self.children or ()):
            yield from child.walk((*loc, "children", i), depth + 1)

    @property
    def is_leaf(self) -> bool:
        return not self.children


class UnitClass(Model):
    """A class of units sharing one indicator tree (townships, departments, old-town units)."""

    id: Id
    """The class id, written in the data's ``class`` column."""
    name: Label
    """The class's name (乡镇, 部门)."""
    indicators: list[Indicator] = Field(min_length=1)
    """The class's indicator tree; its top-level points add up to the class's full mark."""
    total: float | None = Field(None, gt=0)
    """The class's own full mark (满分) when classes are scored out of different totals (街道 out of 100,
    乡镇 out of 120 with an extra block); default the scheme ``total``. Percent grading, the clamp's
    ``max: total`` and traces then use each unit's own class's full mark; such classes are ranked apart."""


class Period(Model):
    id: Id
    """The period's id; data columns of a split indicator are ``<indicator>@<id>``."""
    name: Label
    """The period's name (年中, 第一季度)."""


class AdjustmentItem(Model):
    """A bonus (加分) or deduction (扣分) item applied after the weighted sum.

    The data give points directly, or a count of events when ``per_event`` is set.
    """

    id: Id
    """The item's id; its data column is named after it."""
    name: Label
    """The item's name as the plan writes it (上级表彰, 通报批评)."""
    kind: Literal["bonus", "deduction"]
    """``bonus`` (adds points) or ``deduction`` (takes points off)."""
    per_event: float | None = Field(None, gt=0)
    """Points per event: the data then give a count of events, not points."""
    cap: float | None = Field(None, ge=0)
    """The most points this item may add or take off."""
    source: str | None = None
    """Where the item is published."""


class Adjustments(Model):
    items: list[AdjustmentItem] = Field(min_length=1)
    """The bonus and deduction items; each reads the data column named by its id."""
    bonus_cap: float | None = Field(None, ge=0)
    """The most bonus points all items together may add."""
    deduction_cap: float | None = Field(None, ge=0)
    """The most points all deductions together may take off."""
    apply: Literal["before_clamp", "after_clamp"] = "before_clamp"
    """Whether adjustments are applied ``before_clamp`` (default) or ``after_clamp``."""


class Clamp(Model):
    """Bounds on the total after adjustments; ``max: total`` means the full points (each class's own
    full mark where classes state one)."""

    min: float | None = 0.0
    """The lowest total (default 0; empty for no lower bound)."""
    max: float | Literal["total"] | None = "total"
    """The highest total: a number, ``total`` for the full points (default; a class's own ``total`` where
    it states one), or empty for none."""


class Veto(Model):
    """一票否决 item: when triggered, zero an indicator, a section or the total, force the lowest grade,
    or lower the grade by exactly one (降一档, ``grade_down``) whatever the score."""

    id: Id
    """The veto's id; its data column (true when triggered) is named after it."""
    name: Label
    """The veto item as the plan names it (重大安全事故)."""
    scope: Literal["indicator", "section", "total", "grade_lowest", "grade_down"]
    """What a triggered veto does: zero an ``indicator``, a ``section`` or the ``total``, or force the lowest grade
    (``grade_lowest``)."""
    target: Id | None = None
    """The indicator (scope ``indicator``) or section (scope ``section``) the veto zeroes."""
    source: str | None = None
    """Where the veto rule is published."""

    @model_validator(mode="after")
    def _target(self) -> Veto:
        needs = self.scope in ("indicator", "section")
        if needs and self.target is None:
            raise ValueError(f"a veto with scope '{self.scope}' needs a target indicator id")
        if not needs and self.target is not None:
            raise ValueError(f"a veto with scope '{self.scope}' takes no target")
        return self


class Rounding(Model):
    """Decimal places for indicator scores and the total, rounded half-up (四舍五入) or truncated."""

    indicator: int | None = Field(None, ge=0, le=6)
    """Decimal places of each indicator's score (half-up, 四舍五入); empty: not rounded."""
    total: int | None = Field(None, ge=0, le=6)
    """Decimal places of the total; empty: not rounded."""
    mode: Literal["half_up", "truncate"] = "half_up"
    """``half_up`` (四舍五入) or ``truncate`` (digits beyond the places dropped, 直接舍去, as some
    publications do: 89.996 → 89.99)."""


class NotApplicable(Model):
    """Indicators a unit may mark 不适用, and what replaces their points.

    ``rescale: section`` (the default) rescales each section to the points of its items that apply,
    so every section keeps its weight in the total (a plan's 90/10 split holds for every unit).
    ``rescale: total`` sums the points earned on the items that apply and rescales that sum to the
    full points once (用适用指标得分汇总后按百分制折算): a section with a 不适用 item then weighs less.
    ``rescale: mean`` rescales nothing: a 不适用 item scores the mean of the other units of its class
    that have it (其他单位平均得分).
    """

    indicators: list[Id] | Literal["all"] = Field(
        description="The leaf indicators a unit may mark 不适用 (or ``all``)."
    )
    rescale: Literal["section", "total", "mean"] = Field(
        "section",
        description="How 不适用 items are replaced: rescale each ``section`` (default), rescale the whole "
        "form once (``total``), or score the ``mean`` of the other units.",
    )


class Attribute(Model):
    """An extra per-unit data column the scheme uses (a group, a budget, a head count)."""

    id: Id
    """The attribute's id, also its data column."""
    name: Label
    """The attribute's name (年度预算, 在编人数)."""
    kind: Literal["number", "text"] = "number"
    """``number`` (default) or ``text`` (a status, a group)."""


class Scheme(Model):
    """A whole scoring scheme, as written in a scheme file."""

    perfsim_scheme: Literal[1]
    """The format version; write 1 as the file's first key."""
    id: Id
    """The scheme's id (letters, digits, ``_``, ``-`` or Chinese); names output files and columns."""
    version: str
    """The version of the scheme as published (e.g. the year of the plan); shown in traces."""
    name: Label
    """The scheme's name (plain Chinese text, or ``{zh, en}``)."""
    description: str | None = None
    """Free text about the scheme, shown in listings."""
    source: str | None = None
    """Where the scheme is published (document, article, line numbers)."""
    total: float = Field(gt=0)
    """Full points of the whole scheme (usually 100); top-level points add up to it (to a class's own
    ``total`` where a class states one)."""
    periods: list[Period] = Field(default_factory=list)
    """Periods within a year (年中, 年底) that indicators may split their points over."""
    unit_classes: list[UnitClass] | None = Field(None, min_length=1)
    """Classes of units with their own indicator trees; give this or ``indicators``."""
    indicators: list[Indicator] | None = Field(None, min_length=1)
    """The indicator tree when every unit is scored the same way; give this or ``unit_classes``."""
    adjustments: Adjustments | None = None
    """Bonus (加分) and deduction (扣分) items applied after the weighted sum."""
    clamp: Clamp = Field(default_factory=Clamp)
    """Bounds the total is kept within after adjustments (default 0 to the full points)."""
    vetoes: list[Veto] = Field(default_factory=list)
    """一票否决 items: when triggered they zero an indicator, a section or the total, or force the lowest grade."""
    rounding: Rounding = Field(default_factory=Rounding)
    """Decimal places of indicator scores and of the total (default: no rounding)."""
    missing_values: Literal["error", "zero", "mean"] = Field(
        "error",
        description="An empty indicator cell: an ``error`` (default), scored ``zero``, or scored the "
        "``mean`` of the other units of its class that have a value (缺项按其他单位平均得分).",
    )
    not_applicable: NotApplicable | None = None
    """Indicators a unit may mark 不适用, and how the points that apply are rescaled."""
    attributes: list[Attribute] = Field(default_factory=list)
    """Extra per-unit data columns the rules read (a budget, a head count, a group)."""
    roll_up: RollUp | None = Field(None, description="Units made of units: parents scored from their members.")
    grading: Grading = Field(default_factory=Grading)
    """Bands or rank tiers, quotas and ranking; leave it out for a form that only totals and ranks."""
    consequences: Consequences | None = None
    """What grades and ranks lead to: budgets, pay, rewards and fines, flags."""
    template: Template | None = None
    """First-level points a published form prescribes (a template, floors), checked by ``perfsim lint``."""

    @model_validator(mode="after")
    def _one_tree(self) -> Scheme:
        if (self.unit_classes is None) == (self.indicators is None):
            raise ValueError("give exactly one of indicators (one class of units) or unit_classes")
        return self

    @property
    def classes(self) -> list[UnitClass]:
        """The unit classes; a single-tree scheme has one class with id ``all``."""
        if self.unit_classes is not None:
            return self.unit_classes
        assert self.indicators is not None
        return [UnitClass(id="all", name=Label(zh="全部", en="all"), indicators=self.indicators)]

    def class_loc(self, index: int) -> Loc:
        return ("unit_classes", index, "indicators") if self.unit_classes is not None else ("indicators",)

    def nodes(self) -> Iterator[tuple[UnitClass, Indicator, Loc, int]]:
        """Every indicator of every class with its location in the file and its depth (1 = top)."""
        for c, unit_class in enumerate(self.classes):
            for i, top in enumerate(unit_class.indicators):
                for node, loc, depth in top.walk((*self.class_loc(c), i)):
                    yield unit_class, node, loc, depth

    @property
    def clamp_max(self) -> float | None:
        return self.total if self.clamp.max == "total" else self.clamp.max

    def full_mark(self, class_id: str) -> float:
        """A class's full mark (满分): its own ``total``, else the scheme's."""
        for unit_class in self.unit_classes or []:
            if unit_class.id == class_id and unit_class.total is not None:
                return unit_class.total
        return self.total

    @property
    def full_marks(self) -> dict[str, float]:
        """Class id → full mark, in class order (a single tree: ``all`` → the scheme total)."""
        if self.unit_classes is None:
            return {"all": self.total}
        return {c.id: c.total if c.total is not None else self.total for c in self.unit_classes}

    @property
    def full_marks_differ(self) -> bool:
        """Whether classes are scored out of different full marks (and so are graded and ranked apart)."""
        return len(set(self.full_marks.values())) > 1

    def class_clamp_max(self, class_id: str) -> float | None:
        """The clamp's upper bound for a class: ``max: total`` is the class's own full mark."""
        return self.full_mark(class_id) if self.clamp.max == "total" else self.clamp.max
