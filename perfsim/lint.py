"""Scheme linter: legal but suspicious settings (unreachable grades, gaps closed only by rounding, ...)."""

from __future__ import annotations

import math
from dataclasses import dataclass

from . import rules as r
from . import scheme as s


@dataclass(frozen=True)
class Finding:
    """A linter finding: ``level`` is ``warning``, or ``error`` for a departure from a template the scheme
    declares as one (``template.severity``); errors of the file itself stop loading and never get here."""

    level: str
    field: str
    message: str


def _max_total(scheme: s.Scheme, class_id: str | None = None) -> float:
    """Highest total a unit (of one class, or of the single tree) can reach: full points plus capped
    bonuses, then the clamp."""
    top = scheme.total if class_id is None else scheme.full_mark(class_id)
    pts = s.effective_points(scheme)
    for unit_class in scheme.classes:
        if class_id is not None and unit_class.id != class_id:
            continue
        for top_node in unit_class.indicators:
            for node, _, _ in top_node.walk(()):
                method = node.method
                if isinstance(method, s.CompletionRatio) and method.cap > 1:
                    top += pts[(unit_class.id, node.id)] * (method.cap - 1)
    if scheme.adjustments is not None:
        bonus = 0.0
        for item in scheme.adjustments.items:
            if item.kind == "bonus":
                bonus += item.cap if item.cap is not None else float("inf")
        if scheme.adjustments.bonus_cap is not None:
            bonus = min(bonus, scheme.adjustments.bonus_cap)
        top += bonus
    cmax = scheme.clamp_max if class_id is None else scheme.class_clamp_max(class_id)
    return min(top, cmax) if cmax is not None else top


def _lint_unreachable_bands(scheme: s.Scheme) -> list[Finding]:
    """Grades whose lower bound no unit (of some class, where classes have their own full marks) can reach."""
    g = scheme.grading
    out: list[Finding] = []
    apart = scheme.full_marks_differ
    tops = (
        {c: _max_total(scheme, c) * s.basis_factor(scheme, c) for c in scheme.full_marks}
        if apart
        else {"": _max_total(scheme) * (100 / scheme.total if g.basis == "percent" else 1.0)}
    )
    for i, band in enumerate(g.bands or []):
        if band.min is None:
            continue
        for class_id, top_basis in tops.items():
            if band.min > top_basis + 1e-9 or (band.min == top_basis and not band.min_inclusive):
                reach = (
                    f"the highest total a unit of class '{class_id}' can reach is {top_basis:g}: no unit of "
                    "that class can reach it"
                    if apart
                    else f"the highest reachable total is {top_basis:g}: no unit can reach it"
                )
                out.append(
                    Finding(
                        "warning", f"grading.bands[{i}].min", f"grade '{band.grade.zh}' needs {band.min:g} but {reach}"
                    )
                )
    out.extend(_lint_points_across_marks(scheme))
    if apart and isinstance(scheme.clamp.max, (int, float)):
        for class_id, mark in scheme.full_marks.items():
            if scheme.clamp.max < mark:
                out.append(
                    Finding(
                        "warning",
                        "clamp.max",
                        f"clamp.max {scheme.clamp.max:g} keeps class '{class_id}' below its full mark {mark:g} "
                        "(max: total clamps each class at its own full mark)",
                    )
                )
    return out


def _lint_points_across_marks(scheme: s.Scheme) -> list[Finding]:
    """Consequences that read totals in points across classes of different full marks (a town's 102 of 120
    outweighs a street's 100 of 100)."""
    rules = scheme.consequences
    if rules is None or not scheme.full_marks_differ:
        return []
    marks = ", ".join(f"{c} {m:g}" for c, m in scheme.full_marks.items())
    found = []
    if rules.pay is not None and rules.pay.pool is not None and rules.pay.pool.incentive_by == "score":
        found.append(("consequences.pay.pool.incentive_by", "the incentive part is shared by total points"))
    budget = rules.budget
    if budget is not None and budget.reallocation is not None and budget.reallocation.rule == "by_score":
        found.append(("consequences.budget.reallocation.rule", "the pool is reallocated by total points"))
    mon = budget.monitoring if budget is not None else None
    if mon is not None and mon.low_score_below is not None:
        watched = {scheme.full_mark(c) for c in (mon.classes or scheme.full_marks)}
        if len(watched) > 1:
            found.append(("consequences.budget.monitoring.low_score_below", "a low score is one number of points"))
    return [
        Finding(
            "warning",
            where,
            f"{what}, but the classes are scored out of different full marks ({marks}): where units of "
            "different classes meet, a total out of the larger full mark weighs more",
        )
        for where, what in found
    ]


def lint(scheme: s.Scheme) -> list[Finding]:
    """Warnings for a valid scheme that may not mean what its author intends.

    Parameters
    ----------
    scheme
        A scheme that loaded without errors.

    Returns
    -------
    list of Finding
    """
    out: list[Finding] = []
    g = scheme.grading
    out.extend(_lint_fraction_cutoffs(scheme))
    out.extend(_lint_empty_places(scheme))
    if g.bands is not None:
        out.extend(_lint_unreachable_bands(scheme))
        for i in range(1, len(g.bands)):
            band, upper = g.bands[i], g.bands[i - 1]
            if band.max is None or upper.min is None:
                continue
            if s.band_gap_holds_total(
                band.max, band.max_inclusive, upper.min, upper.min_inclusive, None
            ) and not s.gap_holds_a_total(scheme, band.max, band.max_inclusive, upper.min, upper.min_inclusive):
                out.append(
                    Finding(
                        "warning",
                        f"grading.bands[{i}].max",
                        f"the literal reading leaves a gap between {band.max:g} and {upper.min:g}; only the "
                        f"rounding of totals to {scheme.rounding.total} decimals keeps totals out of it "
                        "(e.g. 89.5 rounds to 90)",
                    )
                )
        for q_i, quota in enumerate(g.quotas):
            if quota.ties == "include_all" and (quota.max_share is not None or quota.max_count is not None):
                share = quota.max_share
                limit = f"{share:.0%} of a group" if share is not None else f"{quota.max_count} units"
                out.append(
                    Finding(
                        "warning",
                        f"grading.quotas[{q_i}].ties",
                        f"ties at the cut-off all keep '{quota.grade}', so more than {limit} can hold it",
                    )
                )
    out.extend(_lint_consequences(scheme))
    from .lint_template import lint_equal_splits, lint_template  # they build on Finding, defined here

    out.extend(lint_template(scheme))
    out.extend(lint_equal_splits(scheme))
    for _, node, loc, _ in scheme.nodes():
        if node.periods is not None and node.period_shares == "literal":
            total = sum(node.periods.values())
            if abs(total - 100) > 1e-9:
                out.append(
                    Finding(
                        "warning",
                        s.format_loc((*loc, "periods")),
                        f"period shares are read literally and add up to {s.format_sum(total, 100)}%: '{node.id}' "
                        f"can earn at most {s.format_sum(total, 100)}% of its points (the text is ambiguous; "
                        "period_shares: normalise reads them as a ratio)",
                    )
                )
        tables: list[tuple[s.BandTable, s.Loc]] = [(node.convert, (*loc, "convert"))] if node.convert else []
        if isinstance(node.method, s.BandLookup):
            tables.append((node.method, (*loc, "method", "bands")))
        for table, where in tables:
            values = [b.points[1] if isinstance(b.points, tuple) else b.points for b in table.bands]
            if any(a < b for a, b in zip(values, values[1:])):
                out.append(
                    Finding(
                        "warning",
                        s.format_loc(where),
                        "a better band credits fewer points than a worse one (non-monotone)",
                    )
                )
    return out


def _lint_fraction_cutoffs(scheme: s.Scheme) -> list[Finding]:
    """Cut-offs written as fractions (0.9) on a percent basis, where no total below 1% is meant."""
    g = scheme.grading
    if g.bands is None or g.basis != "percent":
        return []
    mins = [b.min for b in g.bands if b.min is not None]
    if not mins or max(mins) > 1 or max(mins) <= 0:
        return []
    return [
        Finding(
            "warning",
            f"grading.bands[{i}].min",
            f"cut-off {band.min:g} on a percent basis: did you mean {band.min * 100:g}?",
        )
        for i, band in enumerate(g.bands)
        if band.min is not None and 0 < band.min <= 1
    ]


def smallest_group_with_a_place(share: float, rounding: str) -> int:
    """The fewest units a group needs for ``share`` of it, rounded by ``rounding``, to be at least one place.

    Parameters
    ----------
    share
        A quota's ``max_share`` or a rank tier's ``share`` (0 to 1).
    rounding
        ``floor``, ``half_up`` or ``ceil``.

    Returns
    -------
    int
        1 for ``ceil``; ``ceil(1 / share)`` for ``floor``; ``ceil(0.5 / share)`` for ``half_up``.
    """
    need = {"floor": 1.0, "half_up": 0.5, "cumulative": 0.5}.get(rounding)
    if need is None:
        return 1
    return max(1, math.ceil(need / share - 1e-9))


def _lint_empty_places(scheme: s.Scheme) -> list[Finding]:
    """Shares that round to no place unless a group is large: a grade no unit can hold."""
    g = scheme.grading
    out = []
    if g.rank_tiers is not None:
        tiers = g.rank_tiers[:-1]
        smallest = min(
            1 if t.count is not None else smallest_group_with_a_place(t.share or 1.0, t.rounding) for t in tiers
        )
        if smallest > 2:
            out.append(
                Finding(
                    "warning",
                    "grading.rank_tiers",
                    f"every rank tier rounds to no place in a group of fewer than {smallest} units: there every "
                    f"unit gets '{g.rank_tiers[-1].grade.zh}' (use rounding: half_up or ceil, or a count)",
                )
            )
    for i, quota in enumerate(g.quotas):
        if quota.max_share is None:
            continue
        smallest = smallest_group_with_a_place(quota.max_share, quota.rounding)
        if smallest > 2:
            out.append(
                Finding(
                    "warning",
                    f"grading.quotas[{i}]",
                    f"the quota for '{quota.grade}' ({quota.max_share * 100:g}%, rounding {quota.rounding}) allows "
                    f"no unit the grade in a group of fewer than {smallest} units",
                )
            )
    return out


def _lint_consequences(scheme: s.Scheme) -> list[Finding]:
    """Grade → money mappings that pay a better grade less than a worse one (篇五 as written)."""
    rules = scheme.consequences
    if rules is None:
        return []
    grades = [g.zh for g in scheme.grading.grades]
    out = []
    if rules.budget is not None:
        percents = {g: c.as_percent() for g, c in rules.budget.by_grade.items()}
        for better_i, better in enumerate(grades):
            for worse in grades[better_i + 1 :]:
                pb = percents.get(better, 0.0)
                pw = percents.get(worse, 0.0)
                if pb is not None and pw is not None and pb < pw:
                    out.append(
                        Finding(
                            "warning",
                            f"consequences.budget.by_grade.{better}",
                            f"non-monotone: {better} changes next year's budget by {pb:+g}% but the worse grade "
                            f"{worse} by {pw:+g}% ({better} is cut while {worse} is not)"
                            if pb < 0 <= pw
                            else f"non-monotone: {better} gets {pb:+g}% but the worse grade {worse} gets {pw:+g}%",
                        )
                    )
    if rules.budget is not None:
        out.extend(_lint_envelope(rules.budget))
    out.extend(_lint_evolve(rules))
    if rules.pay is not None and rules.pay.bonus_months is not None:
        months = rules.pay.bonus_months.months
        for better_i, better in enumerate(grades):
            for worse in grades[better_i + 1 :]:
                if months.get(better, 0.0) < months.get(worse, 0.0):
                    out.append(
                        Finding(
                            "warning",
                            f"consequences.pay.bonus_months.months.{better}",
                            f"non-monotone: {better} earns fewer bonus months than {worse}",
                        )
                    )
    out.extend(_lint_grade_pay_and_rank_rewards(rules, grades))
    return out


def _lint_envelope(budget: r.BudgetRules) -> list[Finding]:
    """``envelope: {treasury: true}`` with a rule that raises budgets: the total can grow without bound."""
    if not budget.envelope.treasury:
        return []
    changes = list(budget.by_grade.values()) + [s.change for s in (budget.ladder.steps if budget.ladder else [])]
    raising = [c for c in changes if (c.percent or 0) > 0 or (c.absolute or 0) > 0]
    if not raising:
        return []
    return [
        Finding(
            "warning",
            "consequences.budget.envelope.treasury",
            "no budget envelope: grade-linked increases are paid by the treasury every year, so the total of "
            "budgets can grow without bound (state envelope.total and growth to keep increases inside a total)",
        )
    ]


def _lint_evolve(rules: r.Consequences) -> list[Finding]:
    """Attributes that flags or monitoring read but whose simulated path is not stated."""
    stated = {e.attribute for e in rules.evolve}
    read: dict[str, str] = {}
    for i, flag in enumerate(rules.flags):
        if flag.when.attribute is not None:
            read.setdefault(flag.when.attribute, f"consequences.flags[{i}].when.attribute")
        if flag.when.versus is not None:
            read.setdefault(flag.when.versus, f"consequences.flags[{i}].when.versus")
    mon = rules.budget.monitoring if rules.budget is not None else None
    if mon is not None:
        read.setdefault(mon.spending_progress, "consequences.budget.monitoring.spending_progress")
        if mon.target_progress is not None:
            read.setdefault(mon.target_progress, "consequences.budget.monitoring.target_progress")
    return [
        Finding(
            "warning",
            where,
            f"attribute '{name}' keeps its data value in every simulated year; say how it changes "
            f"(consequences.evolve: follows an indicator) or that it is fixed (fixed: true)",
        )
        for name, where in read.items()
        if name not in stated
    ]


def _lint_grade_pay_and_rank_rewards(rules: r.Consequences, grades: list[str]) -> list[Finding]:
    """Pay by grade that pays a better grade less; rank money that rewards the last or fines the first."""
    out = []
    by_grade = rules.pay.by_grade if rules.pay is not None else None
    if by_grade is not None:
        percent = by_grade.percent
        for better_i, better in enumerate(grades):
            for worse in grades[better_i + 1 :]:
                if percent.get(better, 0.0) < percent.get(worse, 0.0):
                    out.append(
                        Finding(
                            "warning",
                            f"consequences.pay.by_grade.percent.{better}",
                            f"non-monotone: {better} is paid {percent.get(better, 0.0):g}% of the base but the worse "
                            f"grade {worse} {percent[worse]:g}%",
                        )
                    )
    for i, rule in enumerate(rules.rank_rewards):
        for j, place in enumerate(rule.places + [p for t in rule.by_group_size for p in t.places]):
            if (place.top is not None and place.amount < 0) or (place.last is not None and place.amount > 0):
                end = "top" if place.top is not None else "last"
                what = "fines a top place" if place.top is not None else "rewards a last place"
                out.append(
                    Finding(
                        "warning",
                        f"consequences.rank_rewards[{i}]",
                        f"entry {j + 1} ({end}: {place.top if place.top is not None else place.last}) {what}: "
                        "amounts are positive for rewards and negative for fines",
                    )
                )
    return out
