"""Scheme linter: legal but suspicious settings (unreachable grades, gaps closed only by rounding, ...)."""

from __future__ import annotations

from dataclasses import dataclass

from . import scheme as s


@dataclass(frozen=True)
class Finding:
    """A linter finding: ``level`` is ``warning`` (errors stop loading and never get here)."""

    level: str
    field: str
    message: str


def _max_total(scheme: s.Scheme) -> float:
    """Highest total any unit can reach: full points plus capped bonuses, then the clamp."""
    top = scheme.total
    pts = s.effective_points(scheme)
    for unit_class in scheme.classes:
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
    cmax = scheme.clamp_max
    return min(top, cmax) if cmax is not None else top


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
    if g.bands is not None:
        top = _max_total(scheme)
        top_basis = top * 100 / scheme.total if g.basis == "percent" else top
        for i, band in enumerate(g.bands):
            if band.min is not None and (
                band.min > top_basis + 1e-9 or (band.min == top_basis and not band.min_inclusive)
            ):
                out.append(
                    Finding(
                        "warning",
                        f"grading.bands[{i}].min",
                        f"grade '{band.grade.zh}' needs {band.min:g} but the highest reachable total "
                        f"is {top_basis:g}: no unit can reach it",
                    )
                )
        step = s._reachable_step(scheme)
        for i in range(1, len(g.bands)):
            band, upper = g.bands[i], g.bands[i - 1]
            if band.max is None or upper.min is None:
                continue
            if s.band_gap_holds_total(
                band.max, band.max_inclusive, upper.min, upper.min_inclusive, None
            ) and not s.band_gap_holds_total(band.max, band.max_inclusive, upper.min, upper.min_inclusive, step):
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
            if quota.ties == "include_all":
                out.append(
                    Finding(
                        "warning",
                        f"grading.quotas[{q_i}].ties",
                        f"ties at the cut-off all keep '{quota.grade}', so more than "
                        f"{quota.max_share:.0%} of a group can hold it",
                    )
                )
    out.extend(_lint_consequences(scheme))
    for _, node, loc, _ in scheme.nodes():
        if node.periods is not None and node.period_shares == "literal":
            total = sum(node.periods.values())
            if abs(total - 100) > 1e-9:
                out.append(
                    Finding(
                        "warning",
                        s._format_loc((*loc, "periods")),
                        f"period shares are read literally and add up to {total:g}%: '{node.id}' "
                        f"can earn at most {total:g}% of its points (the text is ambiguous; "
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
                        s._format_loc(where),
                        "a better band credits fewer points than a worse one (non-monotone)",
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
    return out
