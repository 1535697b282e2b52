"""Checks of the grading rules of issue 14: compound conditions, count limits, 降一档, top lists, no grading."""

from __future__ import annotations

from ..errors import near
from .base import Loc, Problem, separately
from .models import Scheme


def check_grade_rules(scheme: Scheme) -> None:
    """Check compound band conditions, count limits, grade vetoes, top lists and a scheme without grading.

    Raises
    ------
    Problem
        Outside :func:`~perfsim.scheme.base.collect`, the first problem found.
    """
    g = scheme.grading
    loc: Loc = ("grading",)
    if not g.graded:
        _check_ungraded(scheme)
    nodes = sorted({node.id for _, node, _, _ in scheme.nodes()})
    for i, band in enumerate(g.bands or []):
        last = i == len(g.bands or []) - 1
        if last and (band.sections_min is not None or band.indicators_min):
            with separately():
                raise Problem(
                    (*loc, "bands", i),
                    f"the lowest grade '{band.grade.zh}' takes every unit the grades above do not: "
                    "it has no conditions",
                    "drop sections_min and indicators_min from the lowest band",
                )
        for name in band.indicators_min:
            with separately():
                if name not in nodes:
                    raise Problem(
                        (*loc, "bands", i, "indicators_min", name), f"unknown indicator '{name}'", near(name, nodes)
                    )
    labels = [lab.zh for lab in g.grades]
    for q_i, quota in enumerate(g.quotas):
        with separately():
            if quota.min_count is not None and labels and quota.grade == labels[0]:
                raise Problem(
                    (*loc, "quotas", q_i, "min_count"),
                    "every unit is at the top grade or below: a minimum there always holds",
                    "put min_count on the grade it is about (the lowest, or the grade below which counts)",
                )
    seen: list[str] = []
    for i, top in enumerate(g.top_lists):
        with separately():
            if top.id in seen:
                raise Problem((*loc, "top_lists", i, "id"), f"list id '{top.id}' is used twice", "give each its own id")
            seen.append(top.id)


def _check_ungraded(scheme: Scheme) -> None:
    """A scheme without bands or rank tiers has no grade for quotas, grade vetoes or a grade source to act on."""
    g = scheme.grading
    hint = "add grading.bands or grading.rank_tiers, or drop this setting (the scheme only totals and ranks)"
    found: list[tuple[Loc, str]] = []
    if g.quotas:
        found.append((("grading", "quotas"), "quotas need grades, and this scheme has no grading"))
    if g.not_assessed is not None:
        found.append((("grading", "not_assessed"), "not_assessed needs grades, and this scheme has no grading"))
    if g.from_indicator is not None:
        found.append((("grading", "from_indicator"), "this scheme has no grading to take from an indicator"))
    for i, veto in enumerate(scheme.vetoes):
        if veto.scope in ("grade_lowest", "grade_down"):
            message = f"a veto with scope '{veto.scope}' acts on the grade, and this scheme has no grading"
            found.append((("vetoes", i, "scope"), message))
    for loc, message in found:
        with separately():
            raise Problem(loc, message, hint)
