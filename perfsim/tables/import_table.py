"""An indicator table (指标体系表) read into a scheme and a data template.

Reads what officials make: one sheet per class of unit (or one sheet), a heading row with
一级指标/二级指标/三级指标/四级指标, 分值 or 权重 (one column for the leaves, or one after each tier),
评分标准 and 指标值; tiers in merged cells or written once with blank cells below; blank rows; a
合计 row; points written ``10``, ``10分`` or ``10%`` (full-width digits too). Every cell it cannot
read is reported by sheet, row and column; rows it cannot use are left out and said so.

A table exported by :func:`perfsim.tables.export_table` also carries hidden columns (each
node's id and other fields) and a ``方案设置`` sheet (the rest of the scheme): the table then
reads back into the same scheme. A hand-made table gets ids from the indicator names, the
leaf's 评分标准 as its note, and a method: completion ratio against a numeric 指标值 (≤ for
lower-is-better), else a mark in points (``score`` on a scale of the leaf's points, as a
自评表's 得分 column); a scheme without settings gets the national project grades
(优 ≥ 90, 良 ≥ 80, 中 ≥ 60, 差; :mod:`perfsim.national` ``project_bands``), and a warning says so.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ..errors import PerfsimError
from ..inputs import read_workbook
from ..national import PROJECT_GRADES, PROJECT_MINS
from ..scheme import Scheme, scheme_from_data
from .layout import SETTINGS_SHEET, TOTAL_WORDS, clean, heading_kind

MAX_TABLE_BYTES = 16 * 1024 * 1024
"""An indicator table is a few hundred rows; 16 MiB is far beyond one."""
MAX_TABLE_EXPANDED = 256 * 1024 * 1024
"""An .xlsx file is a ZIP archive; refuse one that claims to expand beyond this ("zip bomb")."""
MAX_ROWS, MAX_COLS, HEADING_ROWS = 5_000, 200, 30
_NUMBER = re.compile(
    r"^(?P<op>[≥≤><]=?|不低于|不高于|不少于|不超过|不大于|不小于)?(?P<num>[-+]?\d+(?:\.\d+)?)(?P<unit>分|%|‰)?"
)
_LOWER_OPS = ("≤", "<", "<=", "不高于", "不超过", "不大于")
_ID_CHARS = re.compile(r"[^A-Za-z0-9_\-\u3400-\u9fff]")
PROJECT_BANDS = [
    {"grade": grade.model_dump(exclude_none=True), **({"min": low} if low is not None else {})}
    for grade, low in zip(PROJECT_GRADES, PROJECT_MINS)
]
"""The national project grades (财预〔2020〕10号), :data:`perfsim.national.TABLE` ``project_bands``."""


@dataclass
class ImportResult:
    """What :func:`import_table` read.

    Attributes
    ----------
    scheme
        The validated scheme.
    data
        The same scheme as plain data (what the YAML file holds).
    warnings
        One line per cell or row that could not be read or was read with a default, naming the
        sheet, row and column.
    """

    scheme: Scheme
    data: dict[str, Any]
    warnings: list[str] = field(default_factory=list)


@dataclass
class _Node:
    name: str
    row: int
    origin: tuple[int, int] | None
    parent: _Node | None
    points: float | None = None
    id: str | None = None
    extra: dict[str, Any] | None = None
    note: str | None = None
    target: tuple[float, bool] | None = None
    children: list[_Node] = field(default_factory=list)


class _Sheet:
    """A worksheet's cells with merged ranges filled from their top-left cell."""

    def __init__(self, ws: Any, formulas: Any = None) -> None:
        self.title = str(ws.title)
        self.rows = min(ws.max_row or 0, MAX_ROWS)
        self.cols = min(ws.max_column or 0, MAX_COLS)
        self.values = {
            (r, c): v
            for r, row in enumerate(ws.iter_rows(max_row=self.rows, max_col=self.cols, values_only=True), 1)
            for c, v in enumerate(row, 1)
            if v is not None
        }
        # a formula Excel never calculated (a table written by a program) has no value to read
        self.unsaved = (
            [
                (r, c, str(v))
                for r, row in enumerate(formulas.iter_rows(max_row=self.rows, max_col=self.cols, values_only=True), 1)
                for c, v in enumerate(row, 1)
                if isinstance(v, str) and v.startswith("=") and (r, c) not in self.values
            ]
            if formulas is not None
            else []
        )
        self.origin: dict[tuple[int, int], tuple[int, int]] = {}
        for rng in ws.merged_cells.ranges:
            for r in range(rng.min_row, min(rng.max_row, self.rows) + 1):
                for c in range(rng.min_col, min(rng.max_col, self.cols) + 1):
                    self.origin[(r, c)] = (rng.min_row, rng.min_col)

    def value(self, r: int, c: int) -> Any:
        return self.values.get(self.origin.get((r, c), (r, c)))

    def text(self, r: int, c: int) -> str:
        v = self.value(r, c)
        return "" if v is None else str(v).strip()

    def where(self, r: int, c: int) -> str:
        from openpyxl.utils import get_column_letter

        return f"sheet '{self.title}', row {r}, column {get_column_letter(c)}"


def _shown(formula: str, width: int = 30) -> str:
    return formula if len(formula) <= width else formula[: width - 1] + "…"


def _number(value: Any) -> tuple[float, str, str] | None:
    """A number written as ``10``, ``10分``, ``95%``, ``≥95%``: (value, operator, unit), else None."""
    if isinstance(value, bool):
        return None
    if isinstance(value, int | float):
        return float(value), "", ""
    m = _NUMBER.match(clean(value))
    if not m or m.end() != len(clean(value)):
        return None
    return float(m.group("num")), m.group("op") or "", m.group("unit") or ""


def _workbook(path: Path, formulas: bool = False) -> Any:
    return read_workbook(
        path,
        formulas=formulas,
        limit=MAX_TABLE_BYTES,
        expanded_limit=MAX_TABLE_EXPANDED,
        what="indicator table",
        hint="open it in Excel and save it as 'Excel Workbook (.xlsx)'",
        size_hint="an indicator table is small: keep only the table in the workbook",
    )


def _heading(sheet: _Sheet) -> tuple[int, dict[str, Any]] | None:
    """The heading row and its columns: tiers, points, criteria, target, hidden id and settings."""
    for r in range(1, min(sheet.rows, HEADING_ROWS) + 1):
        kinds = {c: heading_kind(sheet.text(r, c)) for c in range(1, sheet.cols + 1) if sheet.text(r, c)}
        tiers = {k: c for c, (kind, k) in kinds.items() if kind == "tier"}
        if not tiers:
            continue
        cols: dict[str, Any] = {"tiers": dict(sorted(tiers.items())), "points": {}, "id": {}, "extra": {}}
        for c, (kind, k) in kinds.items():
            if kind == "points":
                left = [t for t, tc in tiers.items() if tc < c]
                cols["points"][c] = max(left) if left else min(tiers)
            elif kind in ("id", "extra"):
                cols[kind][k] = c
            elif kind in ("criteria", "target"):
                cols.setdefault(kind, c)
        return r, cols
    return None


def _read_tree(sheet: _Sheet, problems: list[str]) -> tuple[list[_Node], str]:
    """The indicator tree of one sheet and its title line (the text above the heading)."""
    found = _heading(sheet)
    if found is None:
        problems.append(f"sheet '{sheet.title}': no heading row with 一级指标 (二级指标, 分值 …); the sheet is skipped")
        return [], ""
    head, cols = found
    title = next((sheet.text(r, c) for r in range(1, head) for c in range(1, sheet.cols + 1) if sheet.text(r, c)), "")
    tiers: dict[int, int] = cols["tiers"]
    if list(tiers) != list(range(1, len(tiers) + 1)):
        problems.append(f"sheet '{sheet.title}', row {head}: tiers {sorted(tiers)} skip a level; the sheet is skipped")
        return [], title
    per_tier = len(set(cols["points"].values())) > 1 or len(cols["points"]) > 1
    roots: list[_Node] = []
    path: list[_Node] = []
    for r in range(head + 1, sheet.rows + 1):
        names: list[tuple[str, tuple[int, int] | None]] = []
        for k, c in tiers.items():
            origin = sheet.origin.get((r, c))
            left_origin = sheet.origin.get((r, tiers[k - 1])) if k > 1 else None
            same_block = origin is not None and origin == left_origin  # merged across tiers: one node
            names.append(("" if same_block else sheet.text(r, c), origin))
        deepest = max((k for k, (text, _) in enumerate(names, 1) if text), default=0)
        if deepest == 0:
            rest = [c for c in range(1, sheet.cols + 1) if sheet.text(r, c) and c not in cols["extra"].values()]
            if rest:
                problems.append(f"{sheet.where(r, rest[0])}: a row with no indicator name; the row is skipped")
            continue
        if clean(names[0][0]) in TOTAL_WORDS:
            continue
        new_path: list[_Node] = []
        for k in range(1, deepest + 1):
            text, origin = names[k - 1]
            parent = new_path[-1] if new_path else None
            prev = path[k - 1] if len(path) >= k else None
            if not text:
                if prev is None or prev.parent is not parent:
                    problems.append(
                        f"{sheet.where(r, tiers[k])}: empty {k}级指标 with nothing above it; the row is skipped"
                    )
                    new_path = []
                    break
                new_path.append(prev)
                continue
            same = prev is not None and prev.parent is parent and prev.name == text and prev.origin == origin
            if k == deepest and origin is None:
                same = False  # every row names its own leaf, unless the leaf's cell is merged over rows
            if same and prev is not None:
                new_path.append(prev)
                continue
            node = _Node(text, r, origin, parent)
            (parent.children if parent else roots).append(node)
            new_path.append(node)
            _read_cells(sheet, r, k, node, cols, problems)
        if not new_path:
            continue
        path = new_path
        leaf = path[-1]
        if not per_tier and cols["points"] and leaf.row == r:
            (pc,) = cols["points"]
            leaf.points = _points(sheet, r, pc, problems)
        if leaf.row == r:
            if "criteria" in cols and sheet.text(r, cols["criteria"]):
                leaf.note = sheet.text(r, cols["criteria"])
            if "target" in cols and sheet.text(r, cols["target"]):
                read = _number(sheet.value(r, cols["target"]))
                if read is None:
                    problems.append(
                        f"{sheet.where(r, cols['target'])}: 指标值 '{sheet.text(r, cols['target'])}' is not a number;"
                        " the indicator is scored by a mark in points"
                    )
                else:
                    leaf.target = (read[0], read[1] in _LOWER_OPS)
    return roots, title


def _read_cells(sheet: _Sheet, r: int, k: int, node: _Node, cols: dict[str, Any], problems: list[str]) -> None:
    """A new node's own cells on its first row: its tier's points, hidden id and settings."""
    for pc, tier in cols["points"].items():
        if tier == k and len(cols["points"]) > 1:
            node.points = _points(sheet, r, pc, problems)
    if k in cols["id"] and sheet.text(r, cols["id"][k]):
        node.id = sheet.text(r, cols["id"][k])
    if k in cols["extra"] and sheet.text(r, cols["extra"][k]):
        try:
            extra = json.loads(sheet.text(r, cols["extra"][k]))
        except ValueError:
            extra = None
        if not isinstance(extra, dict):
            problems.append(f"{sheet.where(r, cols['extra'][k])}: hidden settings are not readable; left out")
        else:
            node.extra = extra


def _points(sheet: _Sheet, r: int, c: int, problems: list[str]) -> float | None:
    if sheet.origin.get((r, c), (r, c))[0] != r or not sheet.text(r, c):
        return None
    read = _number(sheet.value(r, c))
    if read is None or read[1] or read[0] < 0:
        problems.append(f"{sheet.where(r, c)}: 分值 '{sheet.text(r, c)}' is not a number of points (write 10 or 10分)")
        return None
    return read[0]


def _node_id(name: str, row: int, taken: set[str]) -> str:
    base = _ID_CHARS.sub("", name)[:60] or f"i{row}"
    out, n = base, 2
    while out in taken:
        out, n = f"{base}_{n}", n + 1
    taken.add(out)
    return out


def _to_data(nodes: list[_Node], sheet: _Sheet, taken: set[str], problems: list[str]) -> list[dict[str, Any]]:
    out: list[dict[str, Any]] = []
    for node in nodes:
        extra = dict(node.extra or {})
        name = extra.pop("name", None)
        if not (isinstance(name, dict) and name.get("zh") == node.name):
            name = {"zh": node.name}  # no English name in a Chinese table: English outputs say so
        item: dict[str, Any] = {"id": node.id or _node_id(node.name, node.row, taken), "name": name}
        taken.add(item["id"])
        kids = _to_data(node.children, sheet, taken, problems)
        if node.children and not kids:
            problems.append(
                f"sheet '{sheet.title}', row {node.row}: '{node.name}' has no readable indicators; left out"
            )
            continue
        points = node.points
        if points is None and kids and all("points" in k for k in kids):
            points = sum(k["points"] for k in kids)
        if points is None and "weight" not in extra:
            problems.append(f"sheet '{sheet.title}', row {node.row}: '{node.name}' has no 分值; left out")
            continue
        if points is not None and "weight" not in extra:
            item["points"] = points
        if kids:
            item["children"] = kids
            given = sum(k.get("points", 0) for k in kids)
            if node.points is not None and node.extra is None and abs(given - node.points) > 1e-9:
                item["scale"] = given
                problems.append(
                    f"sheet '{sheet.title}', row {node.row}: '{node.name}' has {node.points:g} points but its "
                    f"indicators add up to {given:g}; read as a {given:g}-point sub-assessment scaled to "
                    f"{node.points:g}"
                )
        elif node.extra is None:
            item["method"] = _method(node, points or 0)
            if node.target is not None and node.target[1]:
                item["direction"] = "lower"
        if node.note and node.extra is None:
            item["note"] = node.note
        item.update(extra)
        out.append(item)
    return out


def _method(node: _Node, points: float) -> dict[str, Any]:
    if node.target is not None and node.target[0] > 0:
        return {"method": "completion_ratio", "standard": node.target[0]}
    return {"method": "score", "scale": points if points > 0 else 100}


def import_table(path: str | Path) -> ImportResult:
    """Read an indicator table (``.xlsx``) into a scheme.

    Parameters
    ----------
    path
        The workbook: one sheet per class of unit, or one sheet.

    Returns
    -------
    ImportResult
        The validated scheme, its data and one warning per cell or row not read as written.

    Raises
    ------
    PerfsimError
        When nothing usable is found (every unreadable cell listed, by sheet, row and column),
        or the table reads as a scheme that does not hold together (points that do not add up).
    """
    path = Path(path)
    book = _workbook(path)
    with_formulas = _workbook(path, formulas=True)
    problems: list[str] = []
    settings: dict[str, Any] | None = None
    if SETTINGS_SHEET in book.sheetnames:
        lines = [
            str(row[0]) for row in book[SETTINGS_SHEET].iter_rows(min_row=2, max_col=1, values_only=True) if row[0]
        ]
        try:
            settings = json.loads("\n".join(lines))
        except ValueError:
            problems.append(f"sheet '{SETTINGS_SHEET}': not readable; grades and other settings take defaults")
    trees: dict[str, tuple[list[dict[str, Any]], str]] = {}
    for ws in book.worksheets:
        if ws.title == SETTINGS_SHEET:
            continue
        sheet = _Sheet(ws, with_formulas[ws.title])
        problems.extend(
            f"{sheet.where(r, c)}: a formula ({_shown(formula)}) with no value saved; perfsim reads the values "
            "Excel saves: open the table in Excel and save it, or type the value"
            for r, c, formula in sheet.unsaved
        )
        roots, title = _read_tree(sheet, problems)
        nodes = _to_data(roots, sheet, set(), problems)
        if nodes:
            trees[ws.title] = (nodes, title)
    if not trees:
        detail = "; ".join(problems[:20]) or "the workbook is empty"
        raise PerfsimError(
            f"no indicator could be read ({detail})",
            file=path,
            hint="give a heading row with 一级指标, 二级指标 … and 分值, and one indicator per row",
        )
    data = _assemble(path, settings, trees, problems)
    try:
        scheme = scheme_from_data(data)
    except PerfsimError as exc:
        raise PerfsimError(
            f"the table does not make a valid scheme: {exc.message}",
            file=path,
            field=exc.field,
            hint=exc.hint or "check the 分值 of that tier",
        ) from None
    return ImportResult(scheme, data, problems)


def _assemble(
    path: Path, settings: dict[str, Any] | None, trees: dict[str, tuple[list[dict[str, Any]], str]], problems: list[str]
) -> dict[str, Any]:
    if settings is not None:
        data = dict(settings)
        if "unit_classes" in data:
            classes = []
            for c in data["unit_classes"]:
                sheet = c.get("sheet")
                if sheet in trees:
                    classes.append({**{k: v for k, v in c.items() if k != "sheet"}, "indicators": trees[sheet][0]})
                else:
                    problems.append(f"sheet '{sheet}' of unit class '{c.get('id')}' is missing or unreadable")
            data["unit_classes"] = classes
        else:
            sheet = data.pop("indicators_sheet", None)
            data["indicators"] = trees[sheet][0] if sheet in trees else next(iter(trees.values()))[0]
        return data
    stem = _ID_CHARS.sub("", path.stem)[:60] or "table"
    first_title = next(iter(trees.values()))[1] or path.stem
    data = {"perfsim_scheme": 1, "id": stem, "version": "1", "name": {"zh": first_title}}
    totals = [sum(n.get("points", 0) for n in nodes) for nodes, _ in trees.values()]
    data["total"] = totals[0]
    if len(trees) == 1:
        data["indicators"] = next(iter(trees.values()))[0]
    else:
        taken: set[str] = set()
        data["unit_classes"] = [
            {"id": _node_id(title, 0, taken), "name": {"zh": title}, "indicators": nodes}
            for title, (nodes, _) in trees.items()
        ]
    data["grading"] = {"basis": "percent", "bands": PROJECT_BANDS}
    if len(set(totals)) > 1:  # sheets scored out of different full marks (街道 100, 乡镇 120): each its own
        for unit_class, total in zip(data["unit_classes"], totals):
            unit_class["total"] = total
        data["grading"]["group_by"] = "class"
        problems.append(
            "the sheets add up to different full marks ("
            + ", ".join(f"{title} {total:g}" for title, total in zip(trees, totals))
            + "): each class is scored out of its own, graded on its percent and ranked on its own (group_by: class)"
        )
    problems.append(
        "no 方案设置 sheet: grades are the national project grades 优 ≥ 90 %, 良 ≥ 80 %, 中 ≥ 60 %, 差 "
        "(财预〔2020〕10号); edit grading: in the scheme file to change them"
    )
    return data
