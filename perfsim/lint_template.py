"""Lint checks of a scheme against its declared template and floors, and of equal splits that rounding breaks.

- ``template.weights``: each first-level indicator's points, in % of the total, as the published
  form prescribes (财预〔2020〕10号 self-evaluation: 产出 50, 效益 30, 满意度 10, 预算执行率 10);
- ``template.floors``: first-level indicators whose points together reach a share of the total
  (产出、效益指标权重不低于60%);
- a block whose points, split equally among its children and rounded to the places a table shows
  (``rounding.indicator``, else 2), no longer add up to the block (10 points over 3 items: 3.33 × 3
  = 9.99), so a unit with full marks on every item cannot reach the block's points.
"""

from __future__ import annotations

import math

from . import scheme as s
from .lint import Finding

SHOWN_DECIMALS = 2
"""Places a printed indicator table shows when the scheme rounds no indicator score."""


def _first_level(scheme: s.Scheme, unit_class: s.UnitClass, name: str) -> s.Indicator | None:
    return next((n for n in unit_class.indicators if name in (n.id, n.name.zh)), None)


def lint_template(scheme: s.Scheme) -> list[Finding]:
    """Departures from ``scheme.template``: first-level weights and floors, at the severity the scheme states.

    Parameters
    ----------
    scheme
        A scheme that loaded without errors.

    Returns
    -------
    list of Finding
        ``error`` or ``warning`` findings, one per departure and class.
    """
    template = scheme.template
    if template is None:
        return []
    pts = s.effective_points(scheme)
    source = f" ({template.source})" if template.source else ""
    out: list[Finding] = []
    for unit_class in scheme.classes:
        where = f" in class '{unit_class.id}'" if scheme.unit_classes is not None else ""

        def percent(node: s.Indicator, unit_class: s.UnitClass = unit_class) -> float:
            return pts[(unit_class.id, node.id)] * 100.0 / scheme.full_mark(unit_class.id)

        for name, wanted in template.weights.items():
            node = _first_level(scheme, unit_class, name)
            if node is None:
                message = f"the template names a first-level indicator '{name}' that the scheme lacks{where}{source}"
            elif not math.isclose(percent(node), wanted, abs_tol=1e-9):
                message = (
                    f"first-level indicator '{name}' has {percent(node):g}% of the total{where}; "
                    f"the template prescribes {wanted:g}%{source}"
                )
            else:
                continue
            out.append(Finding(template.severity, f"template.weights.{name}", message))
        for i, floor in enumerate(template.floors):
            nodes = [_first_level(scheme, unit_class, name) for name in floor.indicators]
            missing = [name for name, node in zip(floor.indicators, nodes) if node is None]
            got = sum(percent(node) for node in nodes if node is not None)
            if not missing and got >= floor.min_percent - 1e-9:
                continue
            names = "+".join(floor.indicators)
            message = (
                f"the floor names first-level indicators the scheme lacks{where}: {', '.join(missing)}{source}"
                if missing
                else f"{names} together have {got:g}% of the total{where}, below the floor of "
                f"{floor.min_percent:g}%{source}"
            )
            out.append(Finding(floor.severity or template.severity, f"template.floors[{i}]", message))
    return out


def lint_equal_splits(scheme: s.Scheme) -> list[Finding]:
    """Blocks split equally among their children whose rounded shares no longer add up to the block.

    Parameters
    ----------
    scheme
        A scheme that loaded without errors.

    Returns
    -------
    list of Finding
        One warning per such block.
    """
    places = scheme.rounding.indicator if scheme.rounding.indicator is not None else SHOWN_DECIMALS
    step = 10.0**-places
    pts = s.effective_points(scheme)
    out: list[Finding] = []
    for c, unit_class in enumerate(scheme.classes):
        blocks: list[tuple[str, s.Loc, list[s.Indicator]]] = [("(total)", scheme.class_loc(c), unit_class.indicators)]
        blocks += [
            (node.id, (*loc, "children"), node.children or [])
            for cls, node, loc, _ in scheme.nodes()
            if cls.id == unit_class.id and node.children
        ]
        for block_id, loc, kids in blocks:
            shares = [pts[(unit_class.id, k.id)] for k in kids]
            if len(kids) < 2 or not all(math.isclose(x, shares[0], rel_tol=1e-12) for x in shares):
                continue
            shown = math.floor(shares[0] / step + 0.5 + 1e-9) * step
            block = sum(shares)
            if math.isclose(shown * len(kids), block, abs_tol=step / 10):
                continue
            effect = (
                f"; rounded to {places} places, full marks on every item earn {shown * len(kids):.{places}f}"
                if scheme.rounding.indicator is not None
                else ""
            )
            out.append(
                Finding(
                    "warning",
                    s.format_loc(loc),
                    f"'{block_id}' splits {block:g} points equally over {len(kids)} items: {shares[0]:.6g} each, "
                    f"shown with {places} decimals as {shown:.{places}f}, which add up to "
                    f"{shown * len(kids):.{places}f}, not {block:g}{effect} (give the items unequal points that "
                    f"add up, e.g. one of {block - shown * (len(kids) - 1):.{places}f} and the rest "
                    f"{shown:.{places}f})",
                )
            )
    return out
