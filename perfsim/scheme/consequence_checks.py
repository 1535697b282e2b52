"""Checks of the consequence rules added with issue 14: pay by grade and rewards and fines by rank."""

from __future__ import annotations

from ..errors import near
from .base import Loc, Problem
from .models import Scheme


def check_rank_and_grade_pay(scheme: Scheme) -> None:
    """Names in ``pay.by_grade`` and ``rank_rewards`` resolve: grades, attributes, classes, distinct ids.

    Raises
    ------
    Problem
        At the first name that does not resolve, with the field and a hint.
    """
    rules = scheme.consequences
    if rules is None:
        return
    grades = [g.zh for g in scheme.grading.grades]
    if scheme.grading.not_assessed is not None:
        grades.append(scheme.grading.not_assessed.label.zh)
    attrs = {a.id: a for a in scheme.attributes}
    by_grade = rules.pay.by_grade if rules.pay is not None else None
    if by_grade is not None:
        loc: Loc = ("consequences", "pay", "by_grade")
        if isinstance(by_grade.base, str):
            if by_grade.base not in attrs:
                raise Problem(
                    (*loc, "base"),
                    f"unknown attribute '{by_grade.base}'",
                    near(
                        by_grade.base,
                        list(attrs),
                        "declare it under attributes (kind: number), or give the base as an amount in yuan",
                    ),
                )
            if attrs[by_grade.base].kind != "number":
                raise Problem((*loc, "base"), f"attribute '{by_grade.base}' must be of kind number", "set kind: number")
        for name in by_grade.percent:
            if name not in grades:
                raise Problem((*loc, "percent", name), f"unknown grade '{name}'", near(name, grades))
    class_ids = [c.id for c in scheme.classes]
    seen: list[str] = []
    for i, rule in enumerate(rules.rank_rewards):
        loc = ("consequences", "rank_rewards", i)
        if rule.id in seen:
            raise Problem((*loc, "id"), f"rank reward id '{rule.id}' is used twice", "give each rule its own id")
        seen.append(rule.id)
        for j, name in enumerate(rule.classes or []):
            if name not in class_ids:
                raise Problem((*loc, "classes", j), f"unknown class '{name}'", near(name, class_ids))
