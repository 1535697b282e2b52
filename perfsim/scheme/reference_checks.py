"""Checks that names resolve: ids, veto targets, the grade source, consequences; and :func:`check_scheme`."""

from __future__ import annotations

from ..errors import near
from .base import Loc, Problem, collect, separately
from .class_totals import check_class_totals
from .consequence_checks import check_rank_and_grade_pay
from .grade_rule_checks import check_grade_rules
from .grading_checks import check_grading
from .methods import CategoryLookup
from .models import Scheme
from .roll_up import check_roll_up
from .tree_checks import check_tree


def _check_references(scheme: Scheme) -> None:
    namespaces: dict[str, Loc] = {}

    def claim(name: str, loc: Loc, what: str) -> None:
        with separately():
            if name in namespaces:
                raise Problem(loc, f"{what} id '{name}' is already used", "data columns need distinct ids")
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
        with separately():
            _check_veto_target(i, veto.scope, veto.target, leaf_ids, section_ids)
    for i, attr in enumerate(scheme.attributes):
        claim(attr.id, ("attributes", i, "id"), "attribute")
    for name, loc in namespaces.items():
        with separately():
            if name in reserved:
                raise Problem(loc, f"'{name}' is a reserved data column name", "choose another id")
    if scheme.not_applicable is not None and scheme.not_applicable.indicators != "all":
        for i, ind in enumerate(scheme.not_applicable.indicators):
            with separately():
                if ind not in leaf_ids:
                    raise Problem(
                        ("not_applicable", "indicators", i),
                        f"'{ind}' is not a leaf indicator",
                        near(ind, sorted(leaf_ids)),
                    )
    cmin, cmax = scheme.clamp.min, scheme.clamp_max
    if cmin is not None and cmax is not None and cmin >= cmax:
        raise Problem(("clamp",), f"clamp min {cmin:g} is not below max {cmax:g}", "swap or fix the bounds")


def _check_veto_target(i: int, scope: str, target: str | None, leaf_ids: set[str], section_ids: set[str]) -> None:
    if scope == "indicator" and target not in leaf_ids:
        raise Problem(
            ("vetoes", i, "target"),
            f"'{target}' is not a leaf indicator",
            near(target or "", sorted(leaf_ids)),
        )
    if scope == "section" and target not in section_ids:
        raise Problem(
            ("vetoes", i, "target"),
            f"'{target}' is not a section (an indicator with children)",
            near(target or "", sorted(section_ids)),
        )


def _check_grade_source(scheme: Scheme) -> None:
    name = scheme.grading.from_indicator
    if name is None:
        return
    loc: Loc = ("grading", "from_indicator")
    grades = [g.zh for g in scheme.grading.grades]
    found = [node for _, node, _, _ in scheme.nodes() if node.id == name]
    if not found:
        raise Problem(loc, f"unknown indicator '{name}'", near(name, sorted({n.id for _, n, _, _ in scheme.nodes()})))
    for node in found:
        if not isinstance(node.method, CategoryLookup):
            raise Problem(loc, f"'{name}' is not a lookup indicator", "grades come from a label: use method lookup")
        stray = [label for label in node.method.map if label not in grades]
        if stray:
            raise Problem(loc, f"label '{stray[0]}' of '{name}' is not a grade", f"grades: {', '.join(grades)}")


def _check_consequences(scheme: Scheme) -> None:
    rules = scheme.consequences
    if rules is None:
        return
    grades = [g.zh for g in scheme.grading.grades]
    attrs = {a.id: a for a in scheme.attributes}
    loc0: Loc = ("consequences",)

    # each name is checked on its own, so that every name that does not resolve is reported
    def grade(name: str, loc: Loc) -> None:
        with separately():
            if name not in grades:
                raise Problem(loc, f"unknown grade '{name}'", near(name, grades))

    def unit_class(name: str, loc: Loc) -> None:
        class_ids = [c.id for c in scheme.classes]
        with separately():
            if name not in class_ids:
                raise Problem(loc, f"unknown class '{name}'", near(name, class_ids))

    def attribute(name: str, loc: Loc, kind: str = "number") -> None:
        with separately():
            if name not in attrs:
                raise Problem(
                    loc, f"unknown attribute '{name}'", f"declare it under attributes ({near(name, list(attrs))})"
                )
            if attrs[name].kind != kind:
                raise Problem(loc, f"attribute '{name}' must be of kind {kind}", f"set kind: {kind} in its declaration")

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
            realloc = b.reallocation
            with separately():
                if realloc.rule == "priority" and not realloc.priority and realloc.priority_attribute is None:
                    raise Problem(
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
        with separately():
            if rules.budget is None:
                raise Problem(
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
        with separately():
            if rule.attribute in evolving:
                raise Problem((*el, "attribute"), f"attribute '{rule.attribute}' is listed twice", "keep one entry")
        evolving.append(rule.attribute)
        with separately():
            if rule.follows is not None and rule.follows not in leaves:
                name = rule.follows
                raise Problem((*el, "follows"), f"unknown indicator '{name}'", near(name, sorted(leaves)))
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
        with separately():
            if flag.id in seen:
                raise Problem((*fl, "id"), f"flag id '{flag.id}' is used twice", "give each flag its own id")
        for name in flag.when.grades or []:
            grade(name, (*fl, "when", "grades"))
        for name in flag.when.classes or []:
            unit_class(name, (*fl, "when", "classes"))
        if flag.when.attribute is not None:
            attribute(flag.when.attribute, (*fl, "when", "attribute"))
        if flag.when.versus is not None:
            attribute(flag.when.versus, (*fl, "when", "versus"))
        with separately():
            if flag.when.indicator is not None:
                nodes = sorted({n.id for _, n, _, _ in scheme.nodes()})
                if flag.when.indicator not in nodes:
                    name = flag.when.indicator
                    raise Problem((*fl, "when", "indicator"), f"unknown indicator '{name}'", near(name, nodes))
        with separately():
            if flag.when.most is not None and flag.when.most not in seen:
                raise Problem(
                    (*fl, "when", "most"),
                    f"'most' names '{flag.when.most}', not a flag defined above",
                    "define the counted flag (e.g. last place) before this one",
                )
        seen.append(flag.id)


CHECKS = [
    check_tree,
    _check_references,
    check_grading,
    check_class_totals,
    check_grade_rules,
    _check_grade_source,
    _check_consequences,
    check_rank_and_grade_pay,
    check_roll_up,
]
"""Every whole-scheme check, in the order run; each raises :class:`Problem` (independent parts separately)."""


def check_scheme(scheme: Scheme) -> list[Problem]:
    """Check what pydantic cannot: sums, bands, references.

    Parameters
    ----------
    scheme
        A scheme that passed validation.

    Returns
    -------
    list of Problem
        Every problem found, each with its place in the file, what is wrong and a fix; empty when
        the scheme is consistent.
    """
    return collect(CHECKS, scheme)
