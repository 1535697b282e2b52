"""A scheme as the printable indicator table (指标体系表) officials keep in Excel.

One sheet per unit class: a title, the tiers (一级/二级/三级/四级指标) each with its 分值 in merged
cells, the 评分标准 of every leaf (its note, else the scoring method in words) and its 指标值 when
it has a target; borders, widths, frozen headings, A4 landscape fitted to the page width with the
headings repeated on every page. Hidden columns and a ``方案设置`` sheet carry what the printed
table does not show, so that :func:`perfsim.tables.import_table` reads the table back into a
scheme that evaluates the same.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ..outputs import set_cell, sheet_title, write_workbook
from ..scheme import Indicator, Scheme, effective_points
from .layout import (
    CRITERIA_HEADING,
    EXTRA_HEADING,
    ID_HEADING,
    POINTS_HEADING,
    SETTINGS_NOTE,
    SETTINGS_SHEET,
    TARGET_HEADING,
    TIER_HEADINGS,
)

_TREE_KEYS = ("id", "name", "points", "children")
"""Node fields the visible table carries; every other field goes into the hidden settings column."""


@dataclass
class _Row:
    """One leaf's row: the path of nodes from the top tier to the leaf."""

    path: list[tuple[Indicator, dict[str, Any]]] = field(default_factory=list)


def _rows(
    nodes: list[Indicator], dumped: list[dict[str, Any]], above: list[tuple[Indicator, dict[str, Any]]]
) -> list[_Row]:
    rows: list[_Row] = []
    for node, raw in zip(nodes, dumped):
        path = [*above, (node, raw)]
        if node.children:
            rows += _rows(node.children, raw["children"], path)
        else:
            rows.append(_Row(path))
    return rows


def _zh(name: Any) -> str:
    return name if isinstance(name, str) else str(name.zh)


def _extra(raw: dict[str, Any]) -> dict[str, Any]:
    """A node's fields other than id, points and children; the name only when it has English too."""
    out = {k: v for k, v in raw.items() if k not in _TREE_KEYS}
    name = raw.get("name")
    if isinstance(name, dict) and name.get("en") is not None:
        out["name"] = name
    return out


def _criteria(node: Indicator) -> str:
    """What the 评分标准 cell says: the node's note, else its scoring method in words."""
    if node.note:
        return node.note
    if node.method is None:
        return ""
    from ..scoring_words import describe_in  # the one wording of methods, shared with explain
    from ..trace_words import Say

    return describe_in(node.method, node.direction, Say("zh"))


def _target(node: Indicator) -> float | None:
    m = node.method
    for name in ("standard", "target", "limit"):
        value = getattr(m, name, None)
        if isinstance(value, int | float) and not isinstance(value, bool):
            return float(value)
    return None


def _class_sheet(
    book: Any, title: str, heading: str, indicators: list[Indicator], dumped: list[dict], points: dict
) -> None:
    from openpyxl.styles import Alignment, Border, Font, PatternFill, Side
    from openpyxl.utils import get_column_letter

    ws = book.create_sheet(title)
    rows = _rows(indicators, dumped, [])
    depth = max(len(r.path) for r in rows)
    has_target = any(_target(r.path[-1][0]) is not None for r in rows)
    criteria_col = 2 * depth + 1
    target_col = criteria_col + 1 if has_target else None
    last_visible = target_col or criteria_col
    hidden = last_visible + 1  # perfsim编号k at hidden + 2(k-1), perfsim设置k beside it

    thin = Side(style="thin", color="000000")
    box = Border(left=thin, right=thin, top=thin, bottom=thin)
    middle = Alignment(horizontal="center", vertical="center", wrap_text=True)
    left = Alignment(horizontal="left", vertical="center", wrap_text=True)

    set_cell(ws, 1, 1, heading).font = Font(bold=True, size=14)
    ws.cell(1, 1).alignment = Alignment(horizontal="center", vertical="center")
    ws.merge_cells(start_row=1, start_column=1, end_row=1, end_column=last_visible)
    ws.row_dimensions[1].height = 30
    headings = {criteria_col: CRITERIA_HEADING}
    for k in range(depth):
        headings[2 * k + 1] = TIER_HEADINGS[k]
        headings[2 * k + 2] = POINTS_HEADING
        headings[hidden + 2 * k] = ID_HEADING.format(k + 1)
        headings[hidden + 2 * k + 1] = EXTRA_HEADING.format(k + 1)
    if target_col:
        headings[target_col] = TARGET_HEADING
    for col, text in headings.items():
        cell = set_cell(ws, 2, col, text)
        cell.font, cell.alignment, cell.border = Font(bold=True), middle, box
        if col <= last_visible:
            cell.fill = PatternFill("solid", fgColor="D9D9D9")

    first = 3
    for i, row in enumerate(rows):
        r = first + i
        for k, (node, raw) in enumerate(row.path):
            starts = i == 0 or len(rows[i - 1].path) <= k or rows[i - 1].path[k][0] is not node
            if not starts:
                continue
            span = 1
            while i + span < len(rows) and len(rows[i + span].path) > k and rows[i + span].path[k][0] is node:
                span += 1
            set_cell(ws, r, 2 * k + 1, _zh(node.name))
            set_cell(ws, r, 2 * k + 2, points[node.id])
            set_cell(ws, r, hidden + 2 * k, node.id)
            extra = _extra(raw)
            if extra:
                set_cell(ws, r, hidden + 2 * k + 1, json.dumps(extra, ensure_ascii=False, separators=(",", ":")))
            if span > 1:
                for col in (2 * k + 1, 2 * k + 2, hidden + 2 * k, hidden + 2 * k + 1):
                    ws.merge_cells(start_row=r, start_column=col, end_row=r + span - 1, end_column=col)
        leaf = row.path[-1][0]
        set_cell(ws, r, criteria_col, _criteria(leaf))
        if target_col:
            set_cell(ws, r, target_col, _target(leaf))
        for col in range(1, last_visible + 1):
            cell = ws.cell(r, col)
            cell.border = box
            cell.alignment = left if col == criteria_col else middle
    total_row = first + len(rows)
    set_cell(ws, total_row, 1, "合计")
    set_cell(ws, total_row, 2, sum(points[n.id] for n in indicators))
    for col in range(1, last_visible + 1):
        cell = ws.cell(total_row, col)
        cell.border, cell.alignment, cell.font = box, middle, Font(bold=True)

    for col in range(1, last_visible + 1):
        width = 7 if col <= 2 * depth and col % 2 == 0 else 16
        ws.column_dimensions[get_column_letter(col)].width = width
    ws.column_dimensions[get_column_letter(criteria_col)].width = 48
    if target_col:
        ws.column_dimensions[get_column_letter(target_col)].width = 10
    for col in range(hidden, hidden + 2 * depth):
        ws.column_dimensions[get_column_letter(col)].hidden = True
    ws.freeze_panes = "A3"
    ws.print_title_rows = "1:2"
    ws.print_area = f"A1:{get_column_letter(last_visible)}{total_row}"
    ws.page_setup.orientation = "landscape"
    ws.page_setup.paperSize = ws.PAPERSIZE_A4
    ws.page_setup.fitToWidth = 1
    ws.page_setup.fitToHeight = 0
    ws.sheet_properties.pageSetUpPr.fitToPage = True
    ws.print_options.horizontalCentered = True


def _settings(scheme: Scheme, titles: list[str]) -> dict[str, Any]:
    """The scheme without its indicator trees; each class names the sheet that holds its tree."""
    data = scheme.model_dump(mode="json", exclude_unset=True)
    if scheme.unit_classes is not None:
        data["unit_classes"] = [
            {**{k: v for k, v in c.items() if k != "indicators"}, "sheet": t}
            for c, t in zip(data["unit_classes"], titles)
        ]
    else:
        data.pop("indicators")
        data["indicators_sheet"] = titles[0]
    return data


def _settings_sheet(book: Any, settings: dict[str, Any]) -> None:
    from openpyxl.styles import Alignment, Font

    ws = book.create_sheet(SETTINGS_SHEET)
    set_cell(ws, 1, 1, SETTINGS_NOTE).font = Font(bold=True)
    lines = json.dumps(settings, ensure_ascii=False, indent=1).splitlines()
    for i, line in enumerate(lines, start=2):
        set_cell(ws, i, 1, line).alignment = Alignment(vertical="top")
    ws.column_dimensions["A"].width = 100
    ws.page_setup.paperSize = ws.PAPERSIZE_A4


def export_table(scheme: Scheme, path: str | Path, *, inputs: Iterable[str | Path] = ()) -> Path:
    """Write a scheme as a printable indicator table (``.xlsx``).

    Parameters
    ----------
    scheme
        A validated scheme.
    path
        The ``.xlsx`` file to write (atomically, through :mod:`perfsim.outputs`).
    inputs
        Files the command read, which the output may not replace.

    Returns
    -------
    Path
        The file written.

    Raises
    ------
    PerfsimError
        For an output path that cannot be written (checked before any work).
    """
    import openpyxl

    dumped = scheme.model_dump(mode="json", exclude_unset=True)
    points = effective_points(scheme)
    multi = scheme.unit_classes is not None

    def build() -> Any:
        book = openpyxl.Workbook()
        book.remove(book.active)
        titles: list[str] = []
        trees = dumped["unit_classes"] if multi else [{"indicators": dumped["indicators"]}]
        for unit_class, raw in zip(scheme.classes, trees):
            name = _zh(scheme.name)
            if multi:
                name = f"{name} — {_zh(unit_class.name)}"
            title = sheet_title(_zh(unit_class.name) if multi else _zh(scheme.name), [*titles, SETTINGS_SHEET])
            titles.append(title)
            by_id = {node_id: p for (cls, node_id), p in points.items() if cls == unit_class.id}
            _class_sheet(book, title, f"{name} 指标体系表", unit_class.indicators, raw["indicators"], by_id)
        _settings_sheet(book, _settings(scheme, titles))
        return book

    return write_workbook(path, build, inputs=inputs)
