"""Checks of the grading: band order, gaps and overlaps, quotas, rank tiers and what they refer to."""

from __future__ import annotations

import math

from ..errors import near
from .base import TOLERANCE, Loc, Problem, format_sum, separately
from .class_totals import basis_factor
from .models import Scheme


def reachable_step(scheme: Scheme, class_id: str | None = None) -> float | None:
    """Spacing of reachable totals in grading-basis units, if totals are rounded (of one class's totals
    where classes have their own full marks; default the scheme total's)."""
    if scheme.rounding.total is None:
        return None
    step = 10.0**-scheme.rounding.total
    if class_id is not None:
        return step * basis_factor(scheme, class_id)
    return step * 100 / scheme.total if scheme.grading.basis == "percent" else step


def gap_holds_a_total(scheme: Scheme, lower: float, lower_incl: bool, upper: float, upper_incl: bool) -> bool:
    """Whether a total of any class can fall in the gap between two bands (each class's rounding step)."""
    return any(
        band_gap_holds_total(lower, lower_incl, upper, upper_incl, reachable_step(scheme, c)) for c in scheme.full_marks
    )


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


def check_grading(scheme: Scheme) -> None:
    """Check the grading: bands, quotas, rank tiers, the not-assessed rule, groups and tie-breaks.

    Independent parts are checked separately (see :func:`separately`), so each is reported.

    Raises
    ------
    Problem
        Outside :func:`collect`, the first problem found.
    """
    g = scheme.grading
    loc: Loc = ("grading",)
    labels = [lab.zh for lab in g.grades]
    with separately():
        if len(set(labels)) != len(labels):
            raise Problem(loc, "a grade is listed twice", "give each grade once")
    with separately():
        _check_bands(scheme, loc)
    with separately():
        _check_quotas(scheme, loc)
    with separately():
        _check_rank_tiers(scheme, loc)
    with separately():
        _check_others(scheme, loc, labels)


def _check_bands(scheme: Scheme, loc: Loc) -> None:
    g = scheme.grading
    if g.bands is not None:
        bands = g.bands
        mins = [b.min for b in bands]
        for i, b in enumerate(bands[:-1]):
            if b.min is None:
                raise Problem(
                    (*loc, "bands", i, "min"),
                    f"grade '{b.grade.zh}' needs a lower bound",
                    "only the lowest grade may omit min",
                )
        numeric = [m for m in mins if m is not None]
        for i in range(1, len(numeric)):
            if numeric[i] >= numeric[i - 1]:
                raise Problem(
                    (*loc, "bands", i, "min"),
                    f"cut-offs out of order: '{bands[i].grade.zh}' min {numeric[i]:g} is not below "
                    f"'{bands[i - 1].grade.zh}' min {numeric[i - 1]:g}",
                    "list grades from best to worst with falling cut-offs",
                )
        for i in range(1, len(bands)):
            b, upper = bands[i], bands[i - 1]
            if b.max is None:
                continue
            assert upper.min is not None
            if b.max > upper.min or (b.max == upper.min and b.max_inclusive and upper.min_inclusive):
                raise Problem(
                    (*loc, "bands", i, "max"),
                    f"bands overlap: '{b.grade.zh}' reaches {b.max:g} but '{upper.grade.zh}' starts at {upper.min:g}",
                    "make the max exclusive or lower it so each total has one grade",
                )
            if gap_holds_a_total(scheme, b.max, b.max_inclusive, upper.min, upper.min_inclusive):
                raise Problem(
                    (*loc, "bands", i, "max"),
                    f"gap between bands: a total above {b.max:g} and below {upper.min:g} has no grade",
                    "drop max (bands then run up to the next cut-off), or round totals "
                    "(rounding.total) so no total falls in the gap",
                )
        if bands[0].max is not None:
            _check_top_max(scheme, bands[0].max, (*loc, "bands", 0, "max"))
        lowest = bands[-1]
        floor = scheme.clamp.min
        if lowest.min is not None and (floor is None or _lowest_basis(scheme, floor) < lowest.min - TOLERANCE):
            raise Problem(
                (*loc, "bands", len(bands) - 1, "min"),
                f"totals below {lowest.min:g} would get no grade",
                "drop min from the lowest grade so it takes everything below the grade above",
            )


def _check_quotas(scheme: Scheme, loc: Loc) -> None:
    g = scheme.grading
    labels = [lab.zh for lab in g.grades]
    quota_grades = set()
    for q_i, quota in enumerate(g.quotas if g.graded else []):  # no grading: one problem, said elsewhere
        with separately():
            if quota.grade not in labels:
                raise Problem(
                    (*loc, "quotas", q_i, "grade"), f"unknown grade '{quota.grade}'", near(quota.grade, labels)
                )
            if quota.grade == labels[-1] and (quota.max_share is not None or quota.max_count is not None):
                raise Problem(
                    (*loc, "quotas", q_i, "grade"),
                    "the lowest grade cannot have a maximum",
                    "overflow drops one grade, and there is none below the lowest (min_count may stay)",
                )
            if quota.grade in quota_grades:
                raise Problem((*loc, "quotas", q_i), f"two quotas for grade '{quota.grade}'", "keep one")
            quota_grades.add(quota.grade)
    quota_sum = sum(q.max_share or 0.0 for q in g.quotas)
    if quota_sum > 1 + TOLERANCE:
        raise Problem(
            (*loc, "quotas"),
            f"quota shares sum to {format_sum(quota_sum * 100, 100)}% of a group, over 100%",
            "each quota is the largest part of a group that may hold that one grade (0.2 = 20 %); "
            "make them add up to at most 1",
        )


def _check_rank_tiers(scheme: Scheme, loc: Loc) -> None:
    g = scheme.grading
    if g.rank_tiers is not None:
        tiers = g.rank_tiers
        for i, tier in enumerate(tiers):
            last = i == len(tiers) - 1
            given = (tier.share is not None) + (tier.count is not None)
            with separately():
                if last and given:
                    raise Problem(
                        (*loc, "rank_tiers", i),
                        "the last rank tier takes the rest",
                        "drop share/count from the last tier",
                    )
                if not last and given != 1:
                    raise Problem(
                        (*loc, "rank_tiers", i),
                        "give exactly one of share or count",
                        "e.g. share: 0.2 for 20% of the group, or count: 1",
                    )
        tier_sum = sum(t.share or 0.0 for t in tiers)
        if tier_sum > 1 + TOLERANCE:
            raise Problem(
                (*loc, "rank_tiers"),
                f"rank tier shares sum to {format_sum(tier_sum * 100, 100)}% of a group, over 100%",
                "each share is the part of the group placed in that tier (0.2 = 20 %); make them add up to "
                "at most 1 (the last tier takes the rest)",
            )


def _check_others(scheme: Scheme, loc: Loc, labels: list[str]) -> None:
    g = scheme.grading
    with separately():
        _check_not_assessed(scheme, loc, labels)
    with separately():
        _check_group_by(scheme, loc)
    all_nodes = {node.id for _, node, _, _ in scheme.nodes()}
    for i, key in enumerate(g.ranking.break_by):
        with separately():
            if key not in all_nodes:
                raise Problem(
                    (*loc, "ranking", "break_by", i), f"unknown indicator '{key}'", near(key, sorted(all_nodes))
                )


def _check_not_assessed(scheme: Scheme, loc: Loc, labels: list[str]) -> None:
    g = scheme.grading
    if g.not_assessed is not None:
        kinds = {a.id: a.kind for a in scheme.attributes}
        name = g.not_assessed.attribute
        if kinds.get(name) != "text":
            raise Problem(
                (*loc, "not_assessed", "attribute"),
                f"'{name}' is not a text attribute",
                f"declare it under attributes with kind: text ({near(name, list(kinds))})",
            )
        if g.not_assessed.label.zh in labels:
            raise Problem(
                (*loc, "not_assessed", "label"), "the not-assessed label repeats a grade", "give it its own name"
            )


def _check_group_by(scheme: Scheme, loc: Loc) -> None:
    g = scheme.grading
    if g.group_by is not None and g.group_by != "class":
        attrs = [a.id for a in scheme.attributes]
        if g.group_by not in attrs:
            raise Problem(
                (*loc, "group_by"),
                f"unknown group '{g.group_by}'",
                f"use 'class' or a declared attribute ({near(g.group_by, attrs)})",
            )


def _check_top_max(scheme: Scheme, top_max: float, loc: Loc) -> None:
    """The top band may state a max only where it is the full points ("90-100"): above it no grade would hold."""
    tops = {c: scheme.class_clamp_max(c) for c in scheme.full_marks}
    full = 100.0 if scheme.grading.basis == "percent" else _full_in_basis(scheme)
    ceilings = [_to_basis(scheme, t, c) for c, t in tops.items() if t is not None]
    ceiling = max(ceilings) if len(ceilings) == len(tops) else None
    if ceiling is None or ceiling > top_max + TOLERANCE:
        reach = "totals are not clamped" if ceiling is None else f"totals reach {ceiling:g}"
        raise Problem(
            loc,
            f"the top grade's max {top_max:g} leaves totals above it without a grade ({reach})",
            f"drop max from the first band, or state it as the full points ({full:g}, "
            "as a form writes '90-100') with totals clamped to it",
        )


def _to_basis(scheme: Scheme, points: float, class_id: str) -> float:
    return points * basis_factor(scheme, class_id)


def _lowest_basis(scheme: Scheme, points: float) -> float:
    """The clamp's lower bound in the grading basis, the lowest over classes."""
    return min(_to_basis(scheme, points, c) for c in scheme.full_marks)


def _full_in_basis(scheme: Scheme) -> float:
    """The full points in a points basis: the scheme total, or the class ``points_of`` names."""
    g = scheme.grading
    return scheme.full_mark(g.points_of) if g.points_of is not None else scheme.total
