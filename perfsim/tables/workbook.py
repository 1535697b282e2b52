"""Evaluation results as a formatted workbook: what ``perfsim evaluate -o results.xlsx`` writes.

A 等次汇总 sheet (units per grade and class; none for a scheme without grading), then one sheet per
unit class with only the columns that class has: headings in Chinese (indicator names for section and indicator
scores), frozen heading row and unit columns, number formats (two decimals for scores, whole
numbers for ranks, thousands separators for money), widths fitted to the text, an autofilter,
and A4 landscape printing with the headings repeated. Every cell goes through
:func:`perfsim.outputs.set_cell`: no text runs as a formula, characters Excel refuses are dropped.
"""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path
from typing import Any

import pandas as pd

from ..compile import CompiledScheme
from ..errors import PerfsimError
from ..outputs import XLSX_MAX_ROWS, set_cell, sheet_title, write_workbook

HEADINGS = {
    "unit": "单位编号",
    "name": "单位名称",
    "class": "类别",
    "group": "排名分组",
    "weighted": "加权得分",
    "bonus": "加分",
    "deduction": "扣分",
    "total": "总分",
    "percent": "得分率（%）",
    "grade": "等次",
    "band_grade": "按分数段的等次",
    "rank": "名次",
    "vetoes": "一票否决",
    "quota_dropped": "因比例限制降等",
    "clamped": "总分受上下限约束",
}
"""Chinese headings of the result columns every scheme has."""
_DROPPED = ("grade_en",)
"""English twins of Chinese columns: a Chinese workbook does not mix languages."""
_MONEY_WORDS = ("yuan", "amount", "budget", "pay", "bonus_months_pay")


def _heading(column: str, labels: dict[str, str]) -> str:
    if column in HEADINGS:
        return HEADINGS[column]
    if column in labels:  # a top list (list:<id>)
        return labels[column]
    if column.startswith("score:"):
        node, _, period = column[len("score:") :].partition("@")
        name = labels.get(node, node)
        return f"{name}（{period}）" if period else name
    return column


def _number_format(column: str, series: pd.Series) -> str | None:
    if pd.api.types.is_bool_dtype(series) or not pd.api.types.is_numeric_dtype(series):
        return None
    if column == "rank" or pd.api.types.is_integer_dtype(series):
        return "#,##0"
    if any(word in column for word in _MONEY_WORDS) and column not in ("bonus",):
        return "#,##0.00"
    return "0.00"


def _width(texts: Iterable[str]) -> float:
    """Column width in Excel's character units; a Chinese character takes two."""
    longest = max((sum(2 if ord(ch) > 0x2E80 else 1 for ch in t) for t in texts), default=4)
    return float(min(max(longest + 2, 6), 50))


def _class_sheet(book: Any, title: str, frame: pd.DataFrame, labels: dict[str, str]) -> None:
    from openpyxl.styles import Alignment, Border, Font, PatternFill, Side
    from openpyxl.utils import get_column_letter

    ws = book.create_sheet(title)
    thin = Side(style="thin", color="808080")
    for j, column in enumerate(frame.columns, start=1):
        cell = set_cell(ws, 1, j, _heading(str(column), labels))
        cell.font = Font(bold=True)
        cell.fill = PatternFill("solid", fgColor="D9D9D9")
        cell.alignment = Alignment(horizontal="center", vertical="center", wrap_text=True)
        cell.border = Border(bottom=thin)
    formats = {j: _number_format(str(c), frame[c]) for j, c in enumerate(frame.columns, start=1)}
    for i, row in enumerate(frame.itertuples(index=False), start=2):
        for j, value in enumerate(row, start=1):
            if isinstance(value, bool):
                value = "是" if value else ""
            cell = set_cell(ws, i, j, value)
            if formats[j] is not None:
                cell.number_format = formats[j]
    for j, column in enumerate(frame.columns, start=1):
        texts = [_heading(str(column), labels)] + [
            f"{v:,.2f}" if isinstance(v, float) else str(v) for v in frame[column].head(200)
        ]
        ws.column_dimensions[get_column_letter(j)].width = _width(texts)
    last = get_column_letter(max(len(frame.columns), 1))
    ws.freeze_panes = "C2" if len(frame.columns) > 2 else "A2"
    ws.auto_filter.ref = f"A1:{last}{len(frame) + 1}"
    ws.print_title_rows = "1:1"
    ws.page_setup.orientation = "landscape"
    ws.page_setup.paperSize = ws.PAPERSIZE_A4
    ws.page_setup.fitToWidth = 1
    ws.page_setup.fitToHeight = 0
    ws.sheet_properties.pageSetUpPr.fitToPage = True


def _summary_sheet(book: Any, compiled: CompiledScheme, frame: pd.DataFrame, classes: list[tuple[str, str]]) -> None:
    from openpyxl.styles import Alignment, Font
    from openpyxl.utils import get_column_letter

    ws = book.create_sheet("等次汇总")
    set_cell(ws, 1, 1, f"{compiled.scheme.name.zh}：各等次单位数").font = Font(bold=True, size=13)
    header = ["等次", *(name for _, name in classes), "合计"]
    for j, text in enumerate(header, start=1):
        cell = set_cell(ws, 2, j, text)
        cell.font, cell.alignment = Font(bold=True), Alignment(horizontal="center")
    grades = [g.zh for g in compiled.grades]
    graded = frame["grade"].fillna("")
    extra = [g for g in pd.unique(graded) if g not in grades]
    for i, grade in enumerate([*grades, *extra], start=3):
        set_cell(ws, i, 1, grade if grade else "（无等次）")
        counts = [int(((frame["class"] == cid) & (graded == grade)).sum()) for cid, _ in classes]
        for j, n in enumerate([*counts, sum(counts)], start=2):
            set_cell(ws, i, j, n).number_format = "#,##0"
    ws.column_dimensions["A"].width = 16
    for j in range(2, len(header) + 1):
        ws.column_dimensions[get_column_letter(j)].width = 14


def _names_in_chinese(frame: pd.DataFrame, compiled: CompiledScheme) -> pd.DataFrame:
    """Ids in cells (a ranking group that is a class, the vetoes that hit) as the scheme's Chinese names."""
    out = frame.copy()
    if "group" in out.columns:
        groups = {cc.id: cc.label.zh for cc in compiled.classes} | {"(all)": "全部"}
        out["group"] = out["group"].map(lambda g: groups.get(g, g))
    if "vetoes" in out.columns:
        vetoes = {v.id: v.name.zh for v in compiled.vetoes}
        out["vetoes"] = out["vetoes"].map(
            lambda ids: "；".join(vetoes.get(i, i) for i in str(ids).split(";") if i) if isinstance(ids, str) else ids
        )
    return out


def write_results_workbook(
    frame: pd.DataFrame, compiled: CompiledScheme, path: str | Path, *, inputs: Iterable[str | Path] = ()
) -> Path:
    """Write evaluation results (:func:`perfsim.results_frame`) as a formatted ``.xlsx`` workbook.

    Parameters
    ----------
    frame
        One row per unit, as :func:`perfsim.results_frame` returns it.
    compiled
        The compiled scheme the results come from (class and indicator names, grades).
    path
        The ``.xlsx`` file; written atomically through :mod:`perfsim.outputs`.
    inputs
        Files the command read, which the output may not replace.

    Returns
    -------
    Path
        The file written.

    Raises
    ------
    PerfsimError
        For a class with more units than an Excel sheet holds, or an output that cannot be written.
    """
    import openpyxl

    if len(frame) > XLSX_MAX_ROWS:
        raise PerfsimError(
            f"{len(frame):,} rows do not fit an Excel sheet ({XLSX_MAX_ROWS:,} at most)",
            file=path,
            hint="write .csv or .parquet instead",
        )
    classes = [(cc.id, cc.label.zh) for cc in compiled.classes]
    if "class" not in frame.columns:
        frame = frame.assign(**{"class": classes[0][0]})
    frame = _names_in_chinese(frame, compiled)

    def build() -> Any:
        book = openpyxl.Workbook()
        book.remove(book.active)
        titles: list[str] = []
        if compiled.scheme.grading.graded:  # a self-evaluation form only totals and ranks: no summary
            _summary_sheet(book, compiled, frame, classes)
            titles.append("等次汇总")
        for cc, (cid, name) in zip(compiled.classes, classes):
            part = frame[frame["class"] == cid]
            keep = [
                c
                for c in part.columns
                if c not in _DROPPED
                and c != "class"  # the sheet is the class
                and not (str(c).startswith("score:") and part[c].isna().all())
            ]
            labels = {node: label.zh for node, label in zip(cc.ids, cc.labels)}
            labels |= {f"list:{t.id}": t.name.zh for t in compiled.scheme.grading.top_lists}
            title = sheet_title(name if len(classes) > 1 else compiled.scheme.name.zh, titles)
            titles.append(title)
            _class_sheet(book, title, part[keep].reset_index(drop=True), labels)
        return book

    return write_workbook(path, build, inputs=inputs)
