"""Checks of the indicator tree: effective points, sums of children, depth, ids, periods and method tables."""

from __future__ import annotations

import math

from ..errors import near
from .base import TOLERANCE, Loc, Problem, format_sum, separately
from .form_methods import check_form_method
from .methods import METHODS_WITH_DIRECTION, Band, BandLookup, BaseAddSubtract, CategoryLookup, Rubric5pt, TierPoints
from .models import Indicator, Scheme

MAX_DEPTH = 4


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
        visit(unit_class.id, unit_class.indicators, scheme.full_mark(unit_class.id))
    return out


def _check_sum(
    loc: Loc,
    what: str,
    nodes: list[Indicator],
    expected: float,
    parent: Indicator | None,
    top: str = "the scheme total",
) -> None:
    kinds = {"points" if n.points is not None else "weight" for n in nodes}
    if len(kinds) > 1:
        raise Problem(loc, f"{what} mix points and weight", "use points for all siblings or weight for all")
    if kinds == {"weight"}:
        got = sum(n.weight or 0 for n in nodes)
        if not math.isclose(got, 100, abs_tol=TOLERANCE):
            raise Problem(
                loc, f"{what} weights sum to {format_sum(got, 100)}%, not 100%", "make the weights add up to 100"
            )
        return
    got = sum(n.points or 0 for n in nodes)
    if math.isclose(got, expected, abs_tol=TOLERANCE):
        return
    if parent is None:
        raise Problem(
            loc,
            f"{what} points sum to {format_sum(got, expected)}, not {expected:g} ({top})",
            f"make the points add up to {expected:g}, the total the scheme is scored out of"
            if top == "the scheme total" and not what.startswith("class")
            else f"make the points add up to {expected:g}, or, if the form scores this class out of "
            f"{format_sum(got, expected)}, give the class its own full mark (total: {format_sum(got, expected)})",
        )
    if parent.scale is not None:
        raise Problem(
            loc,
            f"{what} points sum to {format_sum(got, expected)}, not {expected:g} (the scale of '{parent.id}')",
            f"make the points add up to {expected:g}, or correct the scale of '{parent.id}'",
        )
    # a scale is the right fix only when the form itself scores the sub-items on their own scale
    raise Problem(
        loc,
        f"{what} points sum to {format_sum(got, expected)}, not {expected:g} (the points of '{parent.id}')",
        f"make the points add up to {expected:g}; only if the form scores these sub-items out of "
        f"{format_sum(got, expected)} and rescales them, state scale: {format_sum(got, expected)} on '{parent.id}'",
    )


def check_tree(scheme: Scheme) -> None:
    """Check every class's tree: sums, unique ids, depth, periods, directions and method tables.

    Each node is checked on its own, so every node's problem is reported (see :func:`separately`).

    Raises
    ------
    Problem
        Outside :func:`collect`, the first problem found.
    """
    periods = [p.id for p in scheme.periods]
    pts = effective_points(scheme)
    for c, unit_class in enumerate(scheme.classes):
        with separately():
            _check_sum(
                scheme.class_loc(c),
                f"class '{unit_class.id}' top-level indicators" if scheme.unit_classes else "top-level indicators",
                unit_class.indicators,
                scheme.full_mark(unit_class.id),
                None,
                f"the full mark of class '{unit_class.id}'" if unit_class.total is not None else "the scheme total",
            )
        seen: dict[str, Loc] = {}
        for top_i, top in enumerate(unit_class.indicators):
            for node, loc, depth in top.walk((*scheme.class_loc(c), top_i)):
                with separately():
                    if node.id in seen:
                        raise Problem(
                            (*loc, "id"),
                            f"indicator id '{node.id}' is used twice in class '{unit_class.id}'",
                            "give each indicator its own id",
                        )
                    seen[node.id] = loc
                with separately():
                    if depth > MAX_DEPTH:
                        raise Problem(
                            loc,
                            f"indicator tree is deeper than {MAX_DEPTH} levels",
                            "merge levels; schemes use at most four",
                        )
                with separately():
                    if node.children:
                        own = pts[(unit_class.id, node.id)]
                        expected = node.scale if node.scale is not None else own
                        _check_sum((*loc, "children"), f"children of '{node.id}'", node.children, expected, node)
                with separately():
                    _check_periods(node, loc, periods)
                with separately():
                    if (
                        node.method is not None
                        and node.method.method not in METHODS_WITH_DIRECTION
                        and node.direction != "higher"
                        and node.is_leaf
                    ):
                        raise Problem(
                            (*loc, "direction"),
                            f"method '{node.method.method}' has a fixed direction",
                            f"drop direction; it applies to {', '.join(METHODS_WITH_DIRECTION)}",
                        )
                with separately():
                    _check_tables(node, loc, pts[(unit_class.id, node.id)])


def _check_periods(node: Indicator, loc: Loc, periods: list[str]) -> None:
    if node.periods is None:
        return
    for pid in node.periods:
        if pid not in periods:
            raise Problem(
                (*loc, "periods", pid),
                f"unknown period '{pid}'",
                f"declare it under periods ({near(pid, periods)})",
            )
    share_sum = sum(node.periods.values())
    if node.period_shares == "exact" and not math.isclose(share_sum, 100, abs_tol=1e-9):
        raise Problem(
            (*loc, "periods"),
            f"period shares sum to {format_sum(share_sum, 100)}%, not 100%",
            "make them add up to 100, or state period_shares: normalise (scale them to "
            "100%) or literal (use them as written)",
        )


def _check_band_rows(bands: list[Band], loc: Loc) -> None:
    mins = [b.min for b in bands]
    for i, b in enumerate(bands):
        if b.min is None and i != len(bands) - 1:
            raise Problem(
                (*loc, i, "min"), "only the last band may omit min", "give every band but the lowest a lower bound"
            )
    numeric = [m for m in mins if m is not None]
    if any(a <= b for a, b in zip(numeric, numeric[1:])):
        raise Problem(
            loc,
            "band lower bounds must strictly decrease from the first band to the last",
            "list bands from best to worst with falling min values",
        )
    for i, b in enumerate(bands):
        if isinstance(b.points, tuple) and b.points[0] > b.points[1]:
            raise Problem((*loc, i, "points"), "a points range must be [low, high]", "swap the two values")


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
        raise Problem(
            (*loc, "method", "base"),
            f"base {m.base:g} exceeds the indicator's {points:g} points",
            "lower the base or raise the points",
        )
    elif isinstance(m, Rubric5pt) and m.flaws_zero_from <= m.flaws_two_up_to:
        raise Problem(
            (*loc, "method"),
            "flaws_zero_from must exceed flaws_two_up_to",
            "篇十三 reads: up to 3 flaws → 2, more → 1, 5 or more → 0",
        )
    check_form_method(m, loc, points)
    if node.convert is not None:
        _check_band_rows(node.convert.bands, (*loc, "convert", "bands"))
        flat = [p for b in node.convert.bands for p in (b.points if isinstance(b.points, tuple) else (b.points,))]
        tables.append(((*loc, "convert", "bands"), flat, points))
    for tloc, values, full in tables:
        if any(v < 0 for v in values):
            raise Problem(tloc, "table points must not be negative", "use 0 for the lowest entry")
        if any(v > full + TOLERANCE for v in values):
            raise Problem(
                tloc,
                f"table gives up to {max(values):g} points but the indicator is worth {full:g}",
                "table points are in the indicator's own points; fix the table or the points",
            )
