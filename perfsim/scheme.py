"""The scheme file: pydantic models of a scoring scheme, strict loading and consistency checks.

A scheme (考核方案) is an indicator tree per unit class with points or weights and a
scoring method per leaf, bonus/deduction items with caps, veto items (一票否决),
rounding rules and grading (bands, rank tiers, quotas). Pydantic checks types and
unknown keys; :func:`check_scheme` checks what only the whole scheme can tell (points
that add up, bands without gaps or overlaps, references that resolve).
"""

from __future__ import annotations

import difflib
import math
import typing
from collections.abc import Iterator
from pathlib import Path
from typing import Annotated, Any, Literal

from pydantic import BaseModel, Field, ValidationError, model_validator

from .errors import SchemeError
from .models import Label, Model
from .rules import Consequences
from .yamlsafe import YamlDocument, load_yaml

Id = Annotated[str, Field(pattern=r"^[A-Za-z0-9_\-\u3400-\u9fff]+$", max_length=64)]
Loc = tuple[str | int, ...]
TOLERANCE = 1e-9


# --------------------------------------------------------------------------- methods


class DirectScore(Model):
    """The value is already a score on ``scale`` (a rater's 0-100 mark): fraction = value / scale."""

    method: Literal["score"]
    scale: float = Field(100.0, gt=0)


class CompletionRatio(Model):
    """完成比例法: full points at the standard value, pro rata below; ``cap`` > 1 credits over-completion.

    ``standard: per_unit`` reads each unit's own standard (标准值, its assigned target) from the
    data column ``<indicator>.standard``.
    """

    method: Literal["completion_ratio"]
    standard: Annotated[float, Field(gt=0)] | Literal["per_unit"]
    cap: float = Field(1.0, ge=1.0)


class QuantityDecrement(Model):
    """数量递减法: full points minus ``decrement`` points per unit of shortfall against ``target``."""

    method: Literal["quantity_decrement"]
    target: float
    decrement: float = Field(gt=0)


class VetoScoring(Model):
    """否决计分法: the value counts red-line events; none gives full points, any gives zero."""

    method: Literal["veto_scoring"]


class BaseAddSubtract(Model):
    """基础加减法: ``base`` points at target, plus or minus points per unit above or below it."""

    method: Literal["base_add_subtract"]
    target: float
    base: float = Field(ge=0)
    add_per_unit: float = Field(0.0, ge=0)
    subtract_per_unit: float = Field(0.0, ge=0)


class Cumulative(Model):
    """累积计分法: ``per_event`` points for each event or achievement, capped at full points."""

    method: Literal["cumulative"]
    per_event: float = Field(gt=0)


class DirectDeduction(Model):
    """直接扣分法: full points minus ``per_violation`` for each violation, not below ``floor``."""

    method: Literal["direct_deduction"]
    per_violation: float = Field(gt=0)
    floor: float = Field(0.0, ge=0)


class Band(Model):
    """One row of a band table: values from ``min`` (to the next band's min) give ``points``.

    ``points`` is one number or a range ``[low, high]`` (篇四's "8-9 points"), in which case
    the table's ``pick`` says which value in the range is credited.
    """

    min: float | None = None
    min_inclusive: bool = True
    points: float | tuple[float, float]
    grade: Label | None = None


class BandTable(Model):
    bands: list[Band] = Field(min_length=1)
    pick: Literal["low", "mid", "high", "interpolate"] = "mid"


class BandLookup(BandTable):
    """Value band → points (e.g. a satisfaction rate band → points)."""

    method: Literal["bands"]


class CategoryLookup(Model):
    """A label → points (e.g. a sub-assessment's grade 良好 → 8.5 points)."""

    method: Literal["lookup"]
    map: dict[str, float] = Field(min_length=1)


class TierPoints(Model):
    """Rank tier → points (篇六: tier 1/2/3 → 600/500/400); tiers not listed get ``other``."""

    method: Literal["tier_points"]
    tiers: dict[int, float] = Field(min_length=1)
    other: float = Field(0.0, ge=0)


class Rubric5pt(Model):
    """篇十三 5-point rubric: a rated level 3-5 scores itself; levels 2 and 1 are set by counts.

    Level 2 (flaws): up to ``flaws_two_up_to`` flaws → 2, more → 1, ``flaws_zero_from`` or
    more → 0. Level 1 (errors): up to ``errors_one_up_to`` errors → 1, more → 0. The data
    give the level in the indicator's column and the count in ``<indicator>.count``.
    """

    method: Literal["rubric_5pt"]
    flaws_two_up_to: int = Field(3, ge=0)
    flaws_zero_from: int = Field(5, ge=1)
    errors_one_up_to: int = Field(1, ge=0)


class TimeLimit(Model):
    """Pass/fail time limit: full points when the time taken is at most ``limit``, else zero."""

    method: Literal["time_limit"]
    limit: float = Field(gt=0)
    unit: str = "minutes"


class Composite(Model):
    """综合计分法: an indicator made of sub-criteria; give them as ``children``."""

    method: Literal["composite"]


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
    | Composite,
    Field(discriminator="method"),
]

METHODS_WITH_DIRECTION = ("completion_ratio", "quantity_decrement", "base_add_subtract")


class Conversion(BandTable):
    """Convert a node's score (% of its full points) through bands, e.g. 篇四 special track → 10/8-9/5-6/0."""


# --------------------------------------------------------------------------- tree


class Indicator(Model):
    """A node of the indicator tree: a leaf with a scoring method, or a section with children.

    Give ``points`` (in the parent's points) or ``weight`` (% of the parent's points).
    A section's children must add up to its points, unless it states ``scale`` (the
    children's own full points), in which case the section score is rescaled.
    """

    id: Id
    name: Label
    points: float | None = Field(None, ge=0)
    weight: float | None = Field(None, ge=0, le=100)
    direction: Literal["higher", "lower"] = "higher"
    method: Method | None = None
    children: list[Indicator] | None = None
    scale: float | None = Field(None, gt=0)
    convert: Conversion | None = None
    periods: dict[Id, float] | None = None
    period_shares: Literal["exact", "normalise", "literal"] = "exact"
    rater: str | None = None
    unit: str | None = None
    source: str | None = None
    note: str | None = None

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
    name: Label
    indicators: list[Indicator] = Field(min_length=1)


class Period(Model):
    id: Id
    name: Label


class AdjustmentItem(Model):
    """A bonus (加分) or deduction (扣分) item applied after the weighted sum.

    The data give points directly, or a count of events when ``per_event`` is set.
    """

    id: Id
    name: Label
    kind: Literal["bonus", "deduction"]
    per_event: float | None = Field(None, gt=0)
    cap: float | None = Field(None, ge=0)
    source: str | None = None


class Adjustments(Model):
    items: list[AdjustmentItem] = Field(min_length=1)
    bonus_cap: float | None = Field(None, ge=0)
    deduction_cap: float | None = Field(None, ge=0)
    apply: Literal["before_clamp", "after_clamp"] = "before_clamp"


class Clamp(Model):
    """Bounds on the total after adjustments; ``max: total`` means the scheme's full points."""

    min: float | None = 0.0
    max: float | Literal["total"] | None = "total"


class Veto(Model):
    """一票否决 item: when triggered, zero an indicator, a section or the total, or force the lowest grade."""

    id: Id
    name: Label
    scope: Literal["indicator", "section", "total", "grade_lowest"]
    target: Id | None = None
    source: str | None = None

    @model_validator(mode="after")
    def _target(self) -> Veto:
        needs = self.scope in ("indicator", "section")
        if needs and self.target is None:
            raise ValueError(f"a veto with scope '{self.scope}' needs a target indicator id")
        if not needs and self.target is not None:
            raise ValueError(f"a veto with scope '{self.scope}' takes no target")
        return self


class Rounding(Model):
    """Decimal places for indicator scores and the total, rounded half-up (四舍五入)."""

    indicator: int | None = Field(None, ge=0, le=6)
    total: int | None = Field(None, ge=0, le=6)


class NotApplicable(Model):
    """Indicators a unit may mark 不适用; the total is rescaled to the points that apply."""

    indicators: list[Id] | Literal["all"]


class GradeBand(Model):
    """A grade and its lower bound (in the grading basis); the lowest grade may omit ``min``.

    ``max`` is optional and only serves literal readings such as "80-89": it must meet the
    next band up without a gap that a total can fall into, and without overlap.
    """

    grade: Label
    min: float | None = None
    min_inclusive: bool = True
    max: float | None = None
    max_inclusive: bool = True


class Quota(Model):
    """At most ``max_share`` of a group may hold ``grade``; overflow drops one grade."""

    grade: str
    max_share: float = Field(gt=0, le=1)
    rounding: Literal["floor", "half_up", "ceil"] = "floor"
    ties: Literal["include_all", "exclude_all"] = "exclude_all"


class RankTier(Model):
    """A grade given by rank: ``share`` of the group (or ``count`` units) more than the tiers above.

    Tiers fill best first; tied units at a tier's last place all stay in it. The last tier
    takes the rest.
    """

    grade: Label
    share: float | None = Field(None, gt=0, le=1)
    count: int | None = Field(None, ge=1)
    rounding: Literal["floor", "half_up", "ceil", "cumulative"] = "floor"
    """How a share becomes places: ``cumulative`` rounds half-up where the tier ends (its share plus the
    shares above) and gives the tier the places between, so rounding leftovers do not all fall into
    the last tier (10/20/60 % of 12 units: 1, 3, 7 and 1 left, not 1, 2, 7 and 2)."""


class Ranking(Model):
    """How ties rank: competition (1, 1, 3), dense (1, 1, 2) or ordinal after ``break_by``."""

    ties: Literal["competition", "dense", "ordinal"] = "competition"
    break_by: list[Id] = Field(default_factory=list)


class NotAssessed(Model):
    """Units scored and paid but not graded: those whose text ``attribute`` is one of ``values``
    (篇十四's retired and departed staff). They get the grade ``label``, take no rank, no quota place
    and no share of a group."""

    attribute: str
    values: list[str] = Field(min_length=1)
    label: Label = Field(default_factory=lambda: Label(zh="不参加考核", en="not assessed"))


class Grading(Model):
    basis: Literal["percent", "points"] = "percent"
    bands: list[GradeBand] | None = Field(None, min_length=2)
    rank_tiers: list[RankTier] | None = Field(None, min_length=2)
    quotas: list[Quota] = Field(default_factory=list)
    group_by: str | None = None
    ranking: Ranking = Field(default_factory=Ranking)
    veto_timing: Literal["before_quota", "after_quota"] = "before_quota"
    not_assessed: NotAssessed | None = None
    from_indicator: Id | None = None
    """A ``lookup`` indicator whose label is the unit's grade (篇十七: the school's annual assessment
    grades the person; the total only shares the pay). Its labels must be grade names; units whose
    cell is empty or 不适用 are graded by the bands."""

    @model_validator(mode="after")
    def _one_kind(self) -> Grading:
        if (self.bands is None) == (self.rank_tiers is None):
            raise ValueError("give exactly one of bands or rank_tiers")
        if self.rank_tiers is not None and self.quotas:
            raise ValueError("quotas apply to bands; rank tiers already fix each grade's share")
        return self

    @property
    def grades(self) -> list[Label]:
        rows = self.bands if self.bands is not None else self.rank_tiers
        assert rows is not None
        return [row.grade for row in rows]


class Attribute(Model):
    """An extra per-unit data column the scheme uses (a group, a budget, a head count)."""

    id: Id
    name: Label
    kind: Literal["number", "text"] = "number"


class Scheme(Model):
    """A whole scoring scheme, as written in a scheme file."""

    perfsim_scheme: Literal[1]
    id: Id
    version: str
    name: Label
    description: str | None = None
    source: str | None = None
    total: float = Field(gt=0)
    periods: list[Period] = Field(default_factory=list)
    unit_classes: list[UnitClass] | None = Field(None, min_length=1)
    indicators: list[Indicator] | None = Field(None, min_length=1)
    adjustments: Adjustments | None = None
    clamp: Clamp = Field(default_factory=Clamp)
    vetoes: list[Veto] = Field(default_factory=list)
    rounding: Rounding = Field(default_factory=Rounding)
    missing_values: Literal["error", "zero"] = "error"
    not_applicable: NotApplicable | None = None
    attributes: list[Attribute] = Field(default_factory=list)
    grading: Grading
    consequences: Consequences | None = None

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


# --------------------------------------------------------------------------- checks

MAX_DEPTH = 4


class _Problem(Exception):
    def __init__(self, loc: Loc, message: str, hint: str | None = None) -> None:
        self.loc, self.message, self.hint = loc, message, hint


def _near(word: str, choices: list[str]) -> str:
    close = difflib.get_close_matches(word, choices, n=1)
    return f"did you mean '{close[0]}'?" if close else f"known: {', '.join(choices[:12])}"


def _children_points(node: Indicator, parent_points: float) -> list[float]:
    kids = node.children or []
    return [k.points if k.points is not None else parent_points * (k.weight or 0) / 100 for k in kids]


def effective_points(scheme: Scheme) -> dict[tuple[str, str], float]:
    """Points of every node (``(class id, node id)`` → points), weights resolved against parents."""
    out: dict[tuple[str, str], float] = {}

    def visit(cls: str, nodes: list[Indicator], parent_points: float) -> None:
        for node in nodes:
            pts = node.points if node.points is not None else parent_points * (node.weight or 0) / 100
            out[(cls, node.id)] = pts
            if node.children:
                scale = node.scale if node.scale is not None else pts
                visit(cls, node.children, scale)

    for unit_class in scheme.classes:
        visit(unit_class.id, unit_class.indicators, scheme.total)
    return out


def format_sum(got: float, target: float) -> str:
    """``got`` for a message that says it is not ``target``: with as many digits as it takes not to read as it.

    ``f"{99.99999:g}"`` is ``100``, which turns "weights sum to 99.99999%, not 100%" into nonsense.

    Parameters
    ----------
    got
        The sum found.
    target
        The sum wanted.

    Returns
    -------
    str
        ``got`` in ``g`` format with 6 significant digits, or more where 6 would read as ``target``.
    """
    for digits in range(6, 18):
        text = f"{got:.{digits}g}"
        if float(text) != target:
            return text
    return repr(got)


def _check_sum(loc: Loc, what: str, nodes: list[Indicator], expected: float, unit: str) -> None:
    kinds = {"points" if n.points is not None else "weight" for n in nodes}
    if len(kinds) > 1:
        raise _Problem(loc, f"{what} mix points and weight", "use points for all siblings or weight for all")
    if kinds == {"weight"}:
        got = sum(n.weight or 0 for n in nodes)
        if not math.isclose(got, 100, abs_tol=TOLERANCE):
            raise _Problem(
                loc, f"{what} weights sum to {format_sum(got, 100)}%, not 100%", "make the weights add up to 100"
            )
    else:
        got = sum(n.points or 0 for n in nodes)
        if not math.isclose(got, expected, abs_tol=TOLERANCE):
            raise _Problem(
                loc,
                f"{what} points sum to {format_sum(got, expected)}, not {expected:g} {unit}",
                f"make the points add up to {expected:g}, or give the parent a 'scale'",
            )


def _check_tree(scheme: Scheme) -> None:
    periods = [p.id for p in scheme.periods]
    pts = effective_points(scheme)
    for c, unit_class in enumerate(scheme.classes):
        _check_sum(
            scheme.class_loc(c),
            f"class '{unit_class.id}' top-level indicators" if scheme.unit_classes else "top-level indicators",
            unit_class.indicators,
            scheme.total,
            "(the scheme total)",
        )
        seen: dict[str, Loc] = {}
        for top_i, top in enumerate(unit_class.indicators):
            for node, loc, depth in top.walk((*scheme.class_loc(c), top_i)):
                if node.id in seen:
                    raise _Problem(
                        (*loc, "id"),
                        f"indicator id '{node.id}' is used twice in class '{unit_class.id}'",
                        "give each indicator its own id",
                    )
                seen[node.id] = loc
                if depth > MAX_DEPTH:
                    raise _Problem(
                        loc,
                        f"indicator tree is deeper than {MAX_DEPTH} levels",
                        "merge levels; schemes use at most four",
                    )
                if node.children:
                    own = pts[(unit_class.id, node.id)]
                    expected = node.scale if node.scale is not None else own
                    _check_sum(
                        (*loc, "children"),
                        f"children of '{node.id}'",
                        node.children,
                        expected,
                        "(its scale)" if node.scale is not None else "(its points)",
                    )
                if node.periods is not None:
                    for pid in node.periods:
                        if pid not in periods:
                            raise _Problem(
                                (*loc, "periods", pid),
                                f"unknown period '{pid}'",
                                f"declare it under periods ({_near(pid, periods)})",
                            )
                    share_sum = sum(node.periods.values())
                    if node.period_shares == "exact" and not math.isclose(share_sum, 100, abs_tol=1e-9):
                        raise _Problem(
                            (*loc, "periods"),
                            f"period shares sum to {format_sum(share_sum, 100)}%, not 100%",
                            "make them add up to 100, or state period_shares: normalise (scale them to "
                            "100%) or literal (use them as written)",
                        )
                if (
                    node.method is not None
                    and node.method.method not in METHODS_WITH_DIRECTION
                    and node.direction != "higher"
                    and node.is_leaf
                ):
                    raise _Problem(
                        (*loc, "direction"),
                        f"method '{node.method.method}' has a fixed direction",
                        "drop direction; it applies to completion_ratio, quantity_decrement and base_add_subtract",
                    )
                _check_tables(node, loc, pts[(unit_class.id, node.id)])


def _check_band_rows(bands: list[Band], loc: Loc) -> None:
    mins = [b.min for b in bands]
    for i, b in enumerate(bands):
        if b.min is None and i != len(bands) - 1:
            raise _Problem(
                (*loc, i, "min"), "only the last band may omit min", "give every band but the lowest a lower bound"
            )
    numeric = [m for m in mins if m is not None]
    if any(a <= b for a, b in zip(numeric, numeric[1:])):
        raise _Problem(
            loc,
            "band lower bounds must strictly decrease from the first band to the last",
            "list bands from best to worst with falling min values",
        )
    for i, b in enumerate(bands):
        if isinstance(b.points, tuple) and b.points[0] > b.points[1]:
            raise _Problem((*loc, i, "points"), "a points range must be [low, high]", "swap the two values")


def _check_tables(node: Indicator, loc: Loc, points: float) -> None:
    tables: list[tuple[Loc, list[float], float]] = []
    m = node.method
    if isinstance(m, BandLookup):
        _check_band_rows(m.bands, (*loc, "method", "bands"))
        flat = [p for b in m.bands for p in (b.points if isinstance(b.points, tuple) else (b.points,))]
        tables.append(((*loc, "method", "bands"), flat, points))
    elif isinstance(m, CategoryLookup):
        tables.append(((*loc, "method", "map"), list(m.map.values()), points))
    elif isinstance(m, TierPoints):
        tables.append(((*loc, "method", "tiers"), [*m.tiers.values(), m.other], points))
    elif isinstance(m, BaseAddSubtract) and m.base > points + TOLERANCE:
        raise _Problem(
            (*loc, "method", "base"),
            f"base {m.base:g} exceeds the indicator's {points:g} points",
            "lower the base or raise the points",
        )
    elif isinstance(m, Rubric5pt) and m.flaws_zero_from <= m.flaws_two_up_to:
        raise _Problem(
            (*loc, "method"),
            "flaws_zero_from must exceed flaws_two_up_to",
            "篇十三 reads: up to 3 flaws → 2, more → 1, 5 or more → 0",
        )
    if node.convert is not None:
        _check_band_rows(node.convert.bands, (*loc, "convert", "bands"))
        flat = [p for b in node.convert.bands for p in (b.points if isinstance(b.points, tuple) else (b.points,))]
        tables.append(((*loc, "convert", "bands"), flat, points))
    for tloc, values, full in tables:
        if any(v < 0 for v in values):
            raise _Problem(tloc, "table points must not be negative", "use 0 for the lowest entry")
        if any(v > full + TOLERANCE for v in values):
            raise _Problem(
                tloc,
                f"table gives up to {max(values):g} points but the indicator is worth {full:g}",
                "table points are in the indicator's own points; fix the table or the points",
            )


def _reachable_step(scheme: Scheme) -> float | None:
    """Spacing of reachable totals in grading-basis units, if totals are rounded."""
    if scheme.rounding.total is None:
        return None
    step = 10.0**-scheme.rounding.total
    return step * 100 / scheme.total if scheme.grading.basis == "percent" else step


def band_gap_holds_total(lower: float, lower_incl: bool, upper: float, upper_incl: bool, step: float | None) -> bool:
    """Whether a total can fall in the gap between one band's max and the next band's min."""
    if lower > upper or (lower == upper and (lower_incl or upper_incl)):
        return False  # no gap at all
    if step is None:
        return True
    k = math.floor(lower / step + TOLERANCE) + 1
    candidates = [round(lower / step) * step, k * step]
    for v in candidates:
        above = v > lower + TOLERANCE or (lower_incl is False and math.isclose(v, lower))
        below = v < upper - TOLERANCE or (upper_incl is False and math.isclose(v, upper))
        if above and below:
            return True
    return False


def _check_grading(scheme: Scheme) -> None:
    g = scheme.grading
    loc: Loc = ("grading",)
    labels = [lab.zh for lab in g.grades]
    if len(set(labels)) != len(labels):
        raise _Problem(loc, "a grade is listed twice", "give each grade once")
    if g.bands is not None:
        bands = g.bands
        mins = [b.min for b in bands]
        for i, b in enumerate(bands[:-1]):
            if b.min is None:
                raise _Problem(
                    (*loc, "bands", i, "min"),
                    f"grade '{b.grade.zh}' needs a lower bound",
                    "only the lowest grade may omit min",
                )
        numeric = [m for m in mins if m is not None]
        for i in range(1, len(numeric)):
            if numeric[i] >= numeric[i - 1]:
                raise _Problem(
                    (*loc, "bands", i, "min"),
                    f"cut-offs out of order: '{bands[i].grade.zh}' min {numeric[i]:g} is not below "
                    f"'{bands[i - 1].grade.zh}' min {numeric[i - 1]:g}",
                    "list grades from best to worst with falling cut-offs",
                )
        step = _reachable_step(scheme)
        for i in range(1, len(bands)):
            b, upper = bands[i], bands[i - 1]
            if b.max is None:
                continue
            assert upper.min is not None
            if b.max > upper.min or (b.max == upper.min and b.max_inclusive and upper.min_inclusive):
                raise _Problem(
                    (*loc, "bands", i, "max"),
                    f"bands overlap: '{b.grade.zh}' reaches {b.max:g} but '{upper.grade.zh}' starts at {upper.min:g}",
                    "make the max exclusive or lower it so each total has one grade",
                )
            if band_gap_holds_total(b.max, b.max_inclusive, upper.min, upper.min_inclusive, step):
                raise _Problem(
                    (*loc, "bands", i, "max"),
                    f"gap between bands: a total above {b.max:g} and below {upper.min:g} has no grade",
                    "drop max (bands then run up to the next cut-off), or round totals "
                    "(rounding.total) so no total falls in the gap",
                )
        if bands[0].max is not None:
            raise _Problem((*loc, "bands", 0, "max"), "the top grade takes no max", "drop max from the first band")
        lowest = bands[-1]
        floor = scheme.clamp.min
        if lowest.min is not None and (floor is None or _to_basis(scheme, floor) < lowest.min - TOLERANCE):
            raise _Problem(
                (*loc, "bands", len(bands) - 1, "min"),
                f"totals below {lowest.min:g} would get no grade",
                "drop min from the lowest grade so it takes everything below the grade above",
            )
        quota_grades = set()
        for q_i, quota in enumerate(g.quotas):
            if quota.grade not in labels:
                raise _Problem(
                    (*loc, "quotas", q_i, "grade"), f"unknown grade '{quota.grade}'", _near(quota.grade, labels)
                )
            if quota.grade == labels[-1]:
                raise _Problem(
                    (*loc, "quotas", q_i, "grade"),
                    "the lowest grade cannot have a quota",
                    "overflow drops one grade, and there is none below the lowest",
                )
            if quota.grade in quota_grades:
                raise _Problem((*loc, "quotas", q_i), f"two quotas for grade '{quota.grade}'", "keep one")
            quota_grades.add(quota.grade)
        quota_sum = sum(q.max_share for q in g.quotas)
        if quota_sum > 1 + TOLERANCE:
            raise _Problem(
                (*loc, "quotas"),
                f"quota shares sum to {format_sum(quota_sum * 100, 100)}% of a group, over 100%",
                "each quota is the largest part of a group that may hold that one grade (0.2 = 20 %); "
                "make them add up to at most 1",
            )
    else:
        tiers = g.rank_tiers or []
        for i, tier in enumerate(tiers):
            last = i == len(tiers) - 1
            given = (tier.share is not None) + (tier.count is not None)
            if last and given:
                raise _Problem(
                    (*loc, "rank_tiers", i), "the last rank tier takes the rest", "drop share/count from the last tier"
                )
            if not last and given != 1:
                raise _Problem(
                    (*loc, "rank_tiers", i),
                    "give exactly one of share or count",
                    "e.g. share: 0.2 for 20% of the group, or count: 1",
                )
        tier_sum = sum(t.share or 0.0 for t in tiers)
        if tier_sum > 1 + TOLERANCE:
            raise _Problem(
                (*loc, "rank_tiers"),
                f"rank tier shares sum to {format_sum(tier_sum * 100, 100)}% of a group, over 100%",
                "each share is the part of the group placed in that tier (0.2 = 20 %); make them add up to "
                "at most 1 (the last tier takes the rest)",
            )
    if g.not_assessed is not None:
        kinds = {a.id: a.kind for a in scheme.attributes}
        name = g.not_assessed.attribute
        if kinds.get(name) != "text":
            raise _Problem(
                (*loc, "not_assessed", "attribute"),
                f"'{name}' is not a text attribute",
                f"declare it under attributes with kind: text ({_near(name, list(kinds))})",
            )
        if g.not_assessed.label.zh in labels:
            raise _Problem(
                (*loc, "not_assessed", "label"), "the not-assessed label repeats a grade", "give it its own name"
            )
    if g.group_by is not None and g.group_by != "class":
        attrs = [a.id for a in scheme.attributes]
        if g.group_by not in attrs:
            raise _Problem(
                (*loc, "group_by"),
                f"unknown group '{g.group_by}'",
                f"use 'class' or a declared attribute ({_near(g.group_by, attrs)})",
            )
    all_nodes = {node.id for _, node, _, _ in scheme.nodes()}
    for i, key in enumerate(g.ranking.break_by):
        if key not in all_nodes:
            raise _Problem(
                (*loc, "ranking", "break_by", i), f"unknown indicator '{key}'", _near(key, sorted(all_nodes))
            )


def _to_basis(scheme: Scheme, points: float) -> float:
    return points * 100 / scheme.total if scheme.grading.basis == "percent" else points


def _check_references(scheme: Scheme) -> None:
    namespaces: dict[str, Loc] = {}

    def claim(name: str, loc: Loc, what: str) -> None:
        if name in namespaces:
            raise _Problem(loc, f"{what} id '{name}' is already used", "data columns need distinct ids")
        namespaces[name] = loc

    for i, p in enumerate(scheme.periods):
        claim(f"period:{p.id}", ("periods", i, "id"), "period")
    for i, c in enumerate(scheme.unit_classes or []):
        claim(f"class:{c.id}", ("unit_classes", i, "id"), "class")
    leaf_ids = {node.id for _, node, _, _ in scheme.nodes() if node.is_leaf}
    section_ids = {node.id for _, node, _, _ in scheme.nodes() if not node.is_leaf}
    for name in leaf_ids | section_ids:
        namespaces[name] = ()
    reserved = {"unit", "name", "class", "indicator", "period", "value"}
    for i, item in enumerate(scheme.adjustments.items if scheme.adjustments else []):
        claim(item.id, ("adjustments", "items", i, "id"), "adjustment")
    for i, veto in enumerate(scheme.vetoes):
        claim(veto.id, ("vetoes", i, "id"), "veto")
        if veto.scope == "indicator" and veto.target not in leaf_ids:
            raise _Problem(
                ("vetoes", i, "target"),
                f"'{veto.target}' is not a leaf indicator",
                _near(veto.target or "", sorted(leaf_ids)),
            )
        if veto.scope == "section" and veto.target not in section_ids:
            raise _Problem(
                ("vetoes", i, "target"),
                f"'{veto.target}' is not a section (an indicator with children)",
                _near(veto.target or "", sorted(section_ids)),
            )
    for i, attr in enumerate(scheme.attributes):
        claim(attr.id, ("attributes", i, "id"), "attribute")
    for name, loc in namespaces.items():
        if name in reserved:
            raise _Problem(loc, f"'{name}' is a reserved data column name", "choose another id")
    if scheme.not_applicable is not None and scheme.not_applicable.indicators != "all":
        for i, ind in enumerate(scheme.not_applicable.indicators):
            if ind not in leaf_ids:
                raise _Problem(
                    ("not_applicable", "indicators", i),
                    f"'{ind}' is not a leaf indicator",
                    _near(ind, sorted(leaf_ids)),
                )
    cmin, cmax = scheme.clamp.min, scheme.clamp_max
    if cmin is not None and cmax is not None and cmin >= cmax:
        raise _Problem(("clamp",), f"clamp min {cmin:g} is not below max {cmax:g}", "swap or fix the bounds")


def _check_grade_source(scheme: Scheme) -> None:
    name = scheme.grading.from_indicator
    if name is None:
        return
    loc: Loc = ("grading", "from_indicator")
    grades = [g.zh for g in scheme.grading.grades]
    found = [node for _, node, _, _ in scheme.nodes() if node.id == name]
    if not found:
        raise _Problem(loc, f"unknown indicator '{name}'", _near(name, sorted({n.id for _, n, _, _ in scheme.nodes()})))
    for node in found:
        if not isinstance(node.method, CategoryLookup):
            raise _Problem(loc, f"'{name}' is not a lookup indicator", "grades come from a label: use method lookup")
        stray = [label for label in node.method.map if label not in grades]
        if stray:
            raise _Problem(loc, f"label '{stray[0]}' of '{name}' is not a grade", f"grades: {', '.join(grades)}")


def _check_consequences(scheme: Scheme) -> None:
    rules = scheme.consequences
    if rules is None:
        return
    grades = [g.zh for g in scheme.grading.grades]
    attrs = {a.id: a for a in scheme.attributes}
    loc0: Loc = ("consequences",)

    def grade(name: str, loc: Loc) -> None:
        if name not in grades:
            raise _Problem(loc, f"unknown grade '{name}'", _near(name, grades))

    def unit_class(name: str, loc: Loc) -> None:
        class_ids = [c.id for c in scheme.classes]
        if name not in class_ids:
            raise _Problem(loc, f"unknown class '{name}'", _near(name, class_ids))

    def attribute(name: str, loc: Loc, kind: str = "number") -> None:
        if name not in attrs:
            raise _Problem(
                loc, f"unknown attribute '{name}'", f"declare it under attributes ({_near(name, list(attrs))})"
            )
        if attrs[name].kind != kind:
            raise _Problem(loc, f"attribute '{name}' must be of kind {kind}", f"set kind: {kind} in its declaration")

    if rules.budget is not None:
        b = rules.budget
        bl: Loc = (*loc0, "budget")
        attribute(b.amount, (*bl, "amount"))
        for name in b.by_grade:
            grade(name, (*bl, "by_grade", name))
        for i, gate in enumerate(b.gates):
            attribute(gate.attribute, (*bl, "gates", i, "attribute"))
        if b.monitoring is not None:
            attribute(b.monitoring.spending_progress, (*bl, "monitoring", "spending_progress"))
            if b.monitoring.target_progress is not None:
                attribute(b.monitoring.target_progress, (*bl, "monitoring", "target_progress"))
        if b.reallocation is not None:
            for i, name in enumerate(b.reallocation.eligible_grades):
                grade(name, (*bl, "reallocation", "eligible_grades", i))
            for key in ("eligible_attribute", "priority_attribute"):
                if getattr(b.reallocation, key) is not None:
                    attribute(getattr(b.reallocation, key), (*bl, "reallocation", key))
            if (
                b.reallocation.rule == "priority"
                and not b.reallocation.priority
                and b.reallocation.priority_attribute is None
            ):
                raise _Problem(
                    (*bl, "reallocation", "priority"),
                    "rule: priority needs a priority list or a priority_attribute",
                    "list unit ids in the order they receive",
                )
        if b.ladder is not None:
            for i, name in enumerate(b.ladder.fail_grades):
                grade(name, (*bl, "ladder", "fail_grades", i))
        for key in ("monitoring", "ladder"):
            part = getattr(b, key)
            for i, name in enumerate((part.classes or []) if part is not None else []):
                unit_class(name, (*bl, key, "classes", i))
    if rules.lifecycle is not None:
        ll: Loc = (*loc0, "lifecycle")
        if rules.budget is None:
            raise _Problem(
                ll, "a lifecycle needs budget rules", "add consequences.budget (projects leave and enter by budget)"
            )
        if rules.lifecycle.remaining is not None:
            attribute(rules.lifecycle.remaining, (*ll, "remaining"))
        if rules.lifecycle.outside is not None:
            attribute(rules.lifecycle.outside.attribute, (*ll, "outside", "attribute"), "text")
    leaves = {node.id for _, node, _, _ in scheme.nodes() if node.method is not None}
    evolving: list[str] = []
    for i, rule in enumerate(rules.evolve):
        el: Loc = (*loc0, "evolve", i)
        attribute(rule.attribute, (*el, "attribute"))
        if rule.attribute in evolving:
            raise _Problem((*el, "attribute"), f"attribute '{rule.attribute}' is listed twice", "keep one entry")
        evolving.append(rule.attribute)
        if rule.follows is not None and rule.follows not in leaves:
            raise _Problem((*el, "follows"), f"unknown indicator '{rule.follows}'", _near(rule.follows, sorted(leaves)))
    if rules.pay is not None:
        pl: Loc = (*loc0, "pay")
        if rules.pay.bonus_months is not None:
            bm = rules.pay.bonus_months
            attribute(bm.salary, (*pl, "bonus_months", "salary"))
            attribute(bm.staff, (*pl, "bonus_months", "staff"))
            for name in bm.months:
                grade(name, (*pl, "bonus_months", "months", name))
        if rules.pay.pool is not None:
            pool = rules.pay.pool
            if isinstance(pool.amount, str):
                attribute(pool.amount, (*pl, "pool", "amount"))
            attribute(pool.base, (*pl, "pool", "base"))
            if pool.status is not None:
                attribute(pool.status, (*pl, "pool", "status"), "text")
            for name in pool.grade_weights:
                grade(name, (*pl, "pool", "grade_weights", name))
    seen: list[str] = []
    for i, flag in enumerate(rules.flags):
        fl: Loc = (*loc0, "flags", i)
        if flag.id in seen:
            raise _Problem((*fl, "id"), f"flag id '{flag.id}' is used twice", "give each flag its own id")
        for name in flag.when.grades or []:
            grade(name, (*fl, "when", "grades"))
        class_ids = [c.id for c in scheme.classes]
        for name in flag.when.classes or []:
            if name not in class_ids:
                raise _Problem((*fl, "when", "classes"), f"unknown class '{name}'", _near(name, class_ids))
        if flag.when.attribute is not None:
            attribute(flag.when.attribute, (*fl, "when", "attribute"))
        if flag.when.versus is not None:
            attribute(flag.when.versus, (*fl, "when", "versus"))
        if flag.when.indicator is not None:
            nodes = sorted({n.id for _, n, _, _ in scheme.nodes()})
            if flag.when.indicator not in nodes:
                name = flag.when.indicator
                raise _Problem((*fl, "when", "indicator"), f"unknown indicator '{name}'", _near(name, nodes))
        if flag.when.most is not None and flag.when.most not in seen:
            raise _Problem(
                (*fl, "when", "most"),
                f"'most' names '{flag.when.most}', not a flag defined above",
                "define the counted flag (e.g. last place) before this one",
            )
        seen.append(flag.id)


def check_scheme(scheme: Scheme) -> None:
    """Check what pydantic cannot: sums, bands, references. Raises ``_Problem``."""
    _check_tree(scheme)
    _check_references(scheme)
    _check_grading(scheme)
    _check_grade_source(scheme)
    _check_consequences(scheme)


# --------------------------------------------------------------------------- loading

_FIELD_NAMES = sorted(
    {name for model in Model.__subclasses__() for name in model.model_fields}
    | {name for model in BandTable.__subclasses__() for name in model.model_fields}
)


def _format_loc(loc: Loc) -> str:
    out = ""
    for part in loc:
        out += f"[{part}]" if isinstance(part, int) else (f".{part}" if out else str(part))
    return out or "(top level)"


def _clean_loc(loc: tuple[Any, ...]) -> Loc:
    """Drop pydantic's union-tag and validator entries so the path matches the file."""
    tags = {
        "function-after[_shape()]",
        "function-after[_target()]",
        "function-after[_one_kind()]",
        "function-after[_one_tree()]",
    }
    out: list[str | int] = []
    for part in loc:
        if isinstance(part, str) and (part in tags or part.startswith("function-")):
            continue
        if (
            out
            and out[-1] == "method"
            and isinstance(part, str)
            and part.replace("_", "").isalnum()
            and part not in _FIELD_NAMES
        ):
            continue  # discriminator tag such as 'completion_ratio'
        out.append(part)
    return tuple(out)


def _number(value: object) -> float:
    return float(value) if isinstance(value, (int, float)) and not isinstance(value, bool) else math.nan


def _models_in(annotation: Any) -> list[type[BaseModel]]:
    """The pydantic models an annotation holds (through unions, lists, dicts and Annotated)."""
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return [annotation]
    return [m for arg in typing.get_args(annotation) for m in _models_in(arg)]


def _file_keys(model: type[BaseModel]) -> dict[str, Any]:
    """A model's fields by the key a file writes for them: the alias where there is one (``list`` for ``list_``)."""
    return {info.alias or name: info for name, info in model.model_fields.items()}


def _keys_at(model: type[BaseModel], loc: Loc) -> list[str]:
    """The keys a file may use in the mapping at ``loc`` (list indices and dict keys pass through)."""
    candidates = [model]
    for part in loc:
        inner = [
            m
            for c in candidates
            if isinstance(part, str) and part in _file_keys(c)
            for m in _models_in(_file_keys(c)[part].annotation)
        ]
        candidates = inner or candidates
    return sorted({key for c in candidates for key in _file_keys(c)})


def _error_from_validation(
    exc: ValidationError,
    doc: YamlDocument | None,
    file: Path | None,
    model: type[BaseModel] | None = None,
    what: str = "scheme",
) -> SchemeError:
    lines = []
    first_loc: Loc = ()
    for err in exc.errors()[:8]:
        loc = _clean_loc(err["loc"])
        first_loc = first_loc or loc
        kind = err["type"]
        if kind == "extra_forbidden":
            key = str(loc[-1]) if loc else "?"
            keys = _keys_at(model or Scheme, loc[:-1])
            msg = f"unknown key '{key}' ({_near(key, keys)})"
            loc_show = loc
        elif kind == "union_tag_invalid":
            ctx = err.get("ctx", {})
            tag = str(ctx.get("tag", "?"))
            expected = [t.strip(" '") for t in str(ctx.get("expected_tags", "")).split(",")]
            msg = f"unknown scoring method '{tag}' ({_near(tag, expected)})"
            loc_show = loc
        elif kind == "string_pattern_mismatch":
            msg = "not a valid id: use letters, digits, '_' and '-' (or Chinese characters), no spaces or slashes"
            loc_show = loc
        elif kind == "less_than_equal" and loc and loc[-1] in ("share", "max_share") and _number(err.get("input")) > 1:
            share = _number(err.get("input"))
            msg = f"share {share:g} is above 1: shares are fractions of a group (did you mean {share / 100:g}?)"
            loc_show = loc
        else:
            msg = err["msg"].removeprefix("Value error, ")
            loc_show = loc
        line = doc.line_of(loc_show) if doc is not None else None
        where = _format_loc(loc_show) + (f" (line {line})" if line else "")
        lines.append(f"{where}: {msg}")
    more = len(exc.errors()) - 8
    if more > 0:
        lines.append(f"... and {more} more")
    return SchemeError(
        lines[0] if len(lines) == 1 else f"invalid {what}:\n  " + "\n  ".join(lines),
        file=file,
        hint="see `perfsim schema` for every field and its type"
        if model in (None, Scheme)
        else f"compare with a working {what} (the bundled ones are under scenarios/)",
    )


def scheme_from_data(data: Any, *, doc: YamlDocument | None = None, file: Path | None = None) -> Scheme:
    """Validate plain data (as parsed from YAML) into a :class:`Scheme`.

    Raises
    ------
    SchemeError
        With the file, the field path (and YAML line) and a fix.
    """
    if not isinstance(data, dict):
        raise SchemeError(
            "a scheme file must be a mapping of keys to values",
            file=file,
            hint="start with 'perfsim_scheme: 1' and the scheme's fields",
        )
    if "perfsim_scheme" not in data:
        raise SchemeError(
            "not a perfsim scheme: the key perfsim_scheme is missing",
            file=file,
            hint="add 'perfsim_scheme: 1' as the first line",
        )
    try:
        scheme = Scheme.model_validate(data)
    except ValidationError as exc:
        raise _error_from_validation(exc, doc, file) from None
    try:
        check_scheme(scheme)
    except _Problem as problem:
        line = doc.line_of(problem.loc) if doc is not None else None
        field = _format_loc(problem.loc) + (f" (line {line})" if line else "")
        raise SchemeError(problem.message, file=file, field=field, hint=problem.hint) from None
    return scheme


def read_yaml_model(path: str | Path, model: type[BaseModel], marker: str, what: str) -> Any:
    """Load a YAML file strictly and validate it into ``model``; the file must start with ``marker: 1``."""
    return read_yaml_model_doc(path, model, marker, what)[0]


def read_yaml_model_doc(path: str | Path, model: type[BaseModel], marker: str, what: str) -> tuple[Any, YamlDocument]:
    """As :func:`read_yaml_model`, also returning the parsed document (to find the line of a field).

    Raises
    ------
    SchemeError
        For a file that is not a ``what`` or does not validate, naming the field and its line.
    """
    doc = load_yaml(path, what=what)
    if not isinstance(doc.data, dict) or marker not in doc.data:
        raise SchemeError(
            f"not a perfsim {what}: the key {marker} is missing", file=path, hint=f"start the file with '{marker}: 1'"
        )
    try:
        return model.model_validate(doc.data), doc
    except ValidationError as exc:
        raise _error_from_validation(exc, doc, Path(path), model, what) from None


def load_scheme(path: str | Path) -> Scheme:
    """Load and validate a scheme file (YAML).

    Parameters
    ----------
    path
        The scheme file.

    Returns
    -------
    Scheme
        The validated scheme.

    Raises
    ------
    PerfsimError
        For any problem with the file, naming the field and what to do.
    """
    doc = load_yaml(path, what="scheme file")
    return scheme_from_data(doc.data, doc=doc, file=Path(path))
