"""Issue 14, deliverable 3: the Excel round trip (import-table, export-table) and the results workbook.

Acceptance: "import-table of an exported table reproduces the scheme (same evaluation on the same
data); import-table of a hand-made table with merged cells, blank rows and 分值 written as "10分"
works or reports each unreadable cell by sheet, row and column." The hand-made tables are built
here with openpyxl the way the national 项目支出绩效评价指标体系 (财预〔2020〕10号 附件) is laid out:
一级/二级/三级指标 in merged cells, 分值, 评分标准, 指标值, a 合计 row.
"""

from __future__ import annotations

import re
import shutil
from pathlib import Path

import numpy as np
import openpyxl
import pandas as pd
import pytest

import perfsim
from perfsim.cli import main
from perfsim.errors import PerfsimError
from perfsim.scenario import load_scenario
from perfsim.tables import export_table, import_table, write_results_workbook
from perfsim.tables.import_table import _number

from conftest import QITAI_DATA, QITAI_SCHEME, SCENARIOS, leaf, make_scheme

ROUND_TRIP = ["qitai-county", "compulsory-school-pay", "employee-rubric", "county-housing-projects", "wuxiang-county"]


@pytest.mark.parametrize("name", ROUND_TRIP)
def test_exported_table_reads_back_into_the_same_scheme_and_evaluation(name: str, tmp_path: Path) -> None:
    scenario = load_scenario(SCENARIOS / f"{name}.yaml")
    table = export_table(scenario.scheme, tmp_path / "table.xlsx")
    result = import_table(table)
    assert result.warnings == []
    assert result.scheme.model_dump() == scenario.scheme.model_dump()
    compiled = perfsim.compile_scheme(result.scheme)
    data = perfsim.load_units(scenario.path.parent / scenario.spec.data, compiled)
    before = perfsim.evaluate(scenario.compiled, scenario.data)
    after = perfsim.evaluate(compiled, data)
    assert np.array_equal(before.total, after.total)
    assert np.array_equal(before.grade, after.grade)
    assert np.array_equal(before.rank, after.rank)


def test_export_is_a_printable_table_with_tiers_in_merged_cells(tmp_path: Path) -> None:
    scheme = perfsim.load_scheme(QITAI_SCHEME)
    book = openpyxl.load_workbook(export_table(scheme, tmp_path / "t.xlsx"))
    assert book.sheetnames == ["县直部门", "乡镇", "方案设置"]
    ws = book["县直部门"]
    headings = [ws.cell(2, c).value for c in range(1, 9)]
    assert headings == ["一级指标", "分值", "二级指标", "分值", "三级指标", "分值", "评分标准", "perfsim编号1"]
    # 重点考核 (90 points) spans its six leaves: three centralised indicators and three special-track ones
    merged = {str(r) for r in ws.merged_cells.ranges}
    assert ws["A3"].value == "重点考核" and ws["B3"].value == 90
    assert "A3:A8" in merged and "B3:B8" in merged
    assert ws["C3"].value == "集中考核" and "C3:C5" in merged
    assert ws["A9"].value == "公众评议" and ws["B9"].value == 10
    assert ws["A10"].value == "合计" and ws["B10"].value == 100
    assert ws["G3"].value.startswith("直接评分")
    assert ws.freeze_panes == "A3"
    assert ws.page_setup.orientation == "landscape" and ws.page_setup.fitToWidth == 1
    assert ws.print_title_rows == "$1:$2"
    assert ws.column_dimensions["G"].width == 48
    hidden = [c for c, dim in ws.column_dimensions.items() if dim.hidden]
    assert hidden and all(ws[f"{c}2"].value.startswith("perfsim") for c in hidden)


def _hand_made(path: Path) -> Path:
    """A 项目支出 table as an official types it: merged tiers, a blank row, 分值 as "3分", a 合计 row."""
    book = openpyxl.Workbook()
    ws = book.active
    ws.title = "项目支出绩效评价"
    ws.append(["某县2024年项目支出绩效评价指标体系"])
    ws.merge_cells("A1:F1")
    ws.append(["一级指标", "二级指标", "三级指标", "分值", "评分标准", "年度指标值"])
    for row in [
        ["决策", "项目立项", "立项依据充分性", "3分", "依据充分得3分", None],
        [None, None, "立项程序规范性", "2分", "程序规范得2分", None],
        [None, "绩效目标", "绩效目标合理性", "5 分", None, None],
        [None, None, None, None, None, None],
        ["过程", "资金管理", "资金到位率", "10分", "到位率×分值", "100%"],
        [None, None, "预算执行率", "十分", None, "≥95%"],
        ["产出", "产出数量", "完成数量", 40, None, 120],
        ["效益", "满意度", "受益群众满意度", "４０分", None, None],
        ["合计", None, None, 100, None, None],
    ]:
        ws.append(row)
    for cells in ("A3:A5", "B3:B4", "A7:A8", "B7:B8"):
        ws.merge_cells(cells)
    book.save(path)
    return path


def test_hand_made_table_is_read_and_each_unreadable_cell_reported(tmp_path: Path) -> None:
    result = import_table(_hand_made(tmp_path / "hand.xlsx"))
    tree = result.data["indicators"]
    assert [(n["name"]["zh"], n["points"]) for n in tree] == [("决策", 10), ("过程", 10), ("产出", 40), ("效益", 40)]
    decision = tree[0]["children"]
    assert [c["id"] for c in decision] == ["项目立项", "绩效目标"]
    first = decision[0]["children"][0]
    assert first["points"] == 3 and first["note"] == "依据充分得3分"
    assert first["method"] == {"method": "score", "scale": 3}
    funds = tree[1]["children"][0]["children"]
    assert [leaf["id"] for leaf in funds] == ["资金到位率"]  # 预算执行率's 分值 "十分" cannot be read
    assert funds[0]["method"] == {"method": "completion_ratio", "standard": 100}
    assert tree[3]["children"][0]["children"][0]["points"] == 40  # full-width "４０分"
    assert result.warnings[0] == (
        "sheet '项目支出绩效评价', row 8, column D: 分值 '十分' is not a number of points (write 10 or 10分)"
    )
    assert "row 8: '预算执行率' has no 分值; left out" in result.warnings[1]
    assert "national project grades" in result.warnings[2]

    # a unit scored on it: 3 + 2 + 4 + 10 × 90/100 + 40 × 60/120 + 36 = 74 points, 中 (60 ≤ 74 < 80)
    compiled = perfsim.compile_scheme(result.scheme)
    row = {"unit": "P1", "name": "项目一", "立项依据充分性": 3, "立项程序规范性": 2, "绩效目标合理性": 4}
    row |= {"资金到位率": 90, "完成数量": 60, "受益群众满意度": 36}
    ev = perfsim.evaluate(compiled, perfsim.load_units(pd.DataFrame([row]), compiled))
    assert ev.total[0, 0] == pytest.approx(74)
    assert compiled.grades[int(ev.grade[0, 0])].zh == "中"


def test_imported_table_english_words_hold_no_chinese(tmp_path: Path) -> None:
    # review finding 3: names were written {"zh": name, "en": name}, so English outputs said "points for 产出"
    from perfsim.labels import parameter_words

    result = import_table(_hand_made(tmp_path / "hand.xlsx"))
    compiled = perfsim.compile_scheme(result.scheme)
    cjk = re.compile(r"[\u3400-\u9fff]")
    words = {name: parameter_words(compiled, name, "en").name for name in compiled.parameters.params}
    assert words and not [w for w in words.values() if cjk.search(w)], words
    assert words["cutoff:优"] == "cut-off for excellent"  # the national project grades, 财预〔2020〕10号
    assert parameter_words(compiled, "points:产出", "zh").name == "产出 分值"
    assert result.scheme.name.en is None and result.scheme.name.zh == "某县2024年项目支出绩效评价指标体系"


def test_tier_points_columns_and_a_row_merged_across_tiers(tmp_path: Path) -> None:
    """一级指标 | 分值 | 二级指标 | 分值: each 分值 column belongs to the tier on its left, and
    工作实绩's items give 100 for its 80 points; 公众评议 has no second tier (a first-level leaf)."""
    book = openpyxl.Workbook()
    ws = book.active
    ws.append(["一级指标", "分值", "二级指标", "分值", "评分细则"])
    ws.append(["工作实绩", "80分", "重点任务", "60", "按完成情况评分"])
    ws.append([None, None, "日常工作", "40", None])
    ws.append(["公众评议", 20, None, None, "满意度调查"])
    ws.merge_cells("A2:A3")
    ws.merge_cells("B2:B3")
    book.save(tmp_path / "t.xlsx")
    result = import_table(tmp_path / "t.xlsx")
    work, public = result.data["indicators"]
    assert work["points"] == 80 and work["scale"] == 100
    assert [c["points"] for c in work["children"]] == [60, 40]
    assert "'工作实绩' has 80 points but its indicators add up to 100" in result.warnings[0]
    assert public["points"] == 20 and "children" not in public and public["note"] == "满意度调查"

    # one 分值 column for the leaves; 公众评议 merged across both tier columns is one first-level leaf
    book = openpyxl.Workbook()
    ws = book.active
    ws.append(["一级指标", "二级指标", "分值"])
    ws.append(["工作实绩", "重点任务", 50])
    ws.append([None, "日常工作", 40])
    ws.append(["公众评议", None, 10])
    ws.merge_cells("A2:A3")
    ws.merge_cells("A4:B4")
    book.save(tmp_path / "u.xlsx")
    work, public = import_table(tmp_path / "u.xlsx").data["indicators"]
    assert work["points"] == 90 and [c["id"] for c in work["children"]] == ["重点任务", "日常工作"]
    assert public == {
        "id": "公众评议",
        "name": {"zh": "公众评议"},  # a Chinese table gives no English name
        "points": 10,
        "method": {"method": "score", "scale": 10},
    }


def test_a_table_with_nothing_usable_is_an_error_naming_every_cell(tmp_path: Path, capsys) -> None:
    book = openpyxl.Workbook()
    ws = book.active
    ws.title = "表1"
    ws.append(["一级指标", "二级指标", "分值"])
    ws.append(["产出", "数量", "十分"])
    ws.append(["效益", "满意度", "很高"])
    book.save(tmp_path / "bad.xlsx")
    with pytest.raises(PerfsimError) as caught:
        import_table(tmp_path / "bad.xlsx")
    message = str(caught.value)
    assert "sheet '表1', row 2, column C: 分值 '十分'" in message
    assert "sheet '表1', row 3, column C: 分值 '很高'" in message
    assert main(["import-table", str(tmp_path / "bad.xlsx"), "-o", str(tmp_path / "s.yaml")]) == 2
    assert "Traceback" not in capsys.readouterr().err
    assert not (tmp_path / "s.yaml").exists()


def test_points_are_read_as_officials_write_them() -> None:
    assert _number("10分") == (10.0, "", "分")
    assert _number("１０．５分") == (10.5, "", "分")
    assert _number(" 10 ") == (10.0, "", "")
    assert _number("≥95%") == (95.0, "≥", "%")
    assert _number("十分") is None and _number("10分以上") is None and _number(True) is None


def test_cli_import_table_writes_a_scheme_that_loads_and_a_data_template(tmp_path: Path, capsys) -> None:
    exported = tmp_path / "qitai.xlsx"
    assert main(["export-table", str(QITAI_SCHEME), "-o", str(exported)]) == 0
    assert main(["import-table", str(exported), "-o", str(tmp_path / "back.yaml")]) == 0
    back = perfsim.load_scheme(tmp_path / "back.yaml")
    assert back.model_dump() == perfsim.load_scheme(QITAI_SCHEME).model_dump()
    template = pd.read_csv(tmp_path / "back-data.csv", encoding="utf-8-sig")
    assert len(template) == 0
    assert set(template.columns) == set(pd.read_csv(QITAI_DATA, nrows=0).columns)
    # the output may not replace the table it reads
    assert main(["import-table", str(exported), "-o", str(exported)]) == 2
    assert "unknown output format" in capsys.readouterr().err


def test_results_workbook_has_a_sheet_per_class_formats_and_no_formulas(tmp_path: Path) -> None:
    data = pd.read_csv(QITAI_DATA, dtype=str, keep_default_na=False)
    data.loc[0, "name"] = '=HYPERLINK("http://x","点我")'
    data.to_csv(tmp_path / "d.csv", index=False)
    shutil.copy(QITAI_SCHEME, tmp_path / "s.yaml")
    out = tmp_path / "r.xlsx"
    assert main(["evaluate", str(tmp_path / "s.yaml"), str(tmp_path / "d.csv"), "-o", str(out)]) == 0
    book = openpyxl.load_workbook(out)
    assert book.sheetnames == ["等次汇总", "县直部门", "乡镇"]
    ws = book["乡镇"]
    headings = [c.value for c in ws[1]]
    assert headings[:3] == ["单位编号", "单位名称", "排名分组"] and "总分" in headings and "等次" in headings
    assert "grade_en" not in headings and "经济发展" in headings and "年度目标任务" not in headings
    assert ws.freeze_panes == "C2" and ws.auto_filter.ref.startswith("A1:")
    name = ws["B2"]
    assert name.data_type == "s" and name.quotePrefix and name.value == '=HYPERLINK("http://x","点我")'
    total = ws.cell(2, headings.index("总分") + 1)
    assert isinstance(total.value, float) and total.number_format == "0.00"
    assert ws.cell(2, headings.index("名次") + 1).number_format == "#,##0"
    summary = book["等次汇总"]
    counts = {summary.cell(r, 1).value: summary.cell(r, 4).value for r in range(3, 7)}
    assert sum(counts.values()) == len(data)


def test_results_workbook_drops_characters_excel_refuses(tmp_path: Path) -> None:
    scheme = perfsim.load_scheme(QITAI_SCHEME)
    compiled = perfsim.compile_scheme(scheme)
    frame = perfsim.results_frame(perfsim.evaluate(compiled, perfsim.load_units(QITAI_DATA, compiled), detail=True))
    frame.loc[0, "name"] = "@SUM(1)\x07\x1b乡镇"
    book = openpyxl.load_workbook(write_results_workbook(frame, compiled, tmp_path / "r.xlsx"))
    cell = book["乡镇"]["B2"]  # U001, the first township
    assert cell.value == "@SUM(1)乡镇" and cell.data_type == "s" and cell.quotePrefix


def test_results_workbook_refuses_to_replace_an_input(tmp_path: Path) -> None:
    scheme = perfsim.load_scheme(QITAI_SCHEME)
    compiled = perfsim.compile_scheme(scheme)
    frame = perfsim.results_frame(perfsim.evaluate(compiled, perfsim.load_units(QITAI_DATA, compiled), detail=True))
    target = tmp_path / "in.xlsx"
    export_table(scheme, target)
    import_table(target)  # read as an input now
    with pytest.raises(PerfsimError, match="replace an input"):
        write_results_workbook(frame, compiled, target)


def test_results_workbook_names_groups_vetoes_and_lists_in_chinese(tmp_path: Path) -> None:
    """A Chinese workbook shows names, not ids: ranking groups that are classes, the whole field ("(all)"),
    the vetoes that hit a unit, and top lists (list:<id>) in its headings."""
    compiled = load_scenario("qitai-county").compiled
    data = pd.read_csv(QITAI_DATA)
    vetoed = data.index[data["class"] == "department"][:2]
    data.loc[vetoed, ["veto_safety_accident", "veto_public_security"]] = 1
    frame = perfsim.results_frame(perfsim.evaluate(compiled, perfsim.load_units(data, compiled), ranks=True))
    book = openpyxl.load_workbook(write_results_workbook(frame, compiled, tmp_path / "r.xlsx"))
    ws = book["县直部门"]
    headings = [c.value for c in ws[1]]
    column = {h: [ws.cell(r, headings.index(h) + 1).value for r in range(2, ws.max_row + 1)] for h in headings}
    assert set(column["排名分组"]) == {"县直部门"}  # the class's name, not 'department'
    names = {v.id: v.name.zh for v in compiled.vetoes}
    expected = "；".join(names[i] for i in ("veto_public_security", "veto_safety_accident"))
    units = column["单位编号"]
    assert [column["一票否决"][units.index(data.loc[i, "unit"])] for i in vetoed] == [expected, expected]
    assert not [v for v in column["一票否决"] if v and re.search(r"[A-Za-z]", v)]

    listed = make_scheme([leaf("x", 100)], grading={"top_lists": [{"id": "first", "name": "第一名", "k": 1}]})
    one = perfsim.compile_scheme(listed)
    rows = pd.DataFrame({"unit": ["a", "b", "c"], "x": [96, 90, 96]})
    frame = perfsim.results_frame(perfsim.evaluate(one, perfsim.load_units(rows, one), ranks=True))
    ws = openpyxl.load_workbook(write_results_workbook(frame, one, tmp_path / "l.xlsx")).worksheets[-1]
    headings = [c.value for c in ws[1]]
    assert "第一名" in headings and not [h for h in headings if re.search(r"[A-Za-z]", str(h))], headings
    column = headings.index("排名分组") + 1
    assert {ws.cell(r, column).value for r in range(2, 5)} == {"全部"}
    listed_cells = [ws.cell(r, headings.index("第一名") + 1).value for r in range(2, 5)]
    assert listed_cells == ["是", None, "是"]  # both tied at place 1


def test_a_formula_with_no_saved_value_is_reported_by_its_cell(tmp_path: Path) -> None:
    """A table written by a program (not saved by Excel) holds formulas without values: each is named by
    sheet, row and column, never read silently as an empty cell."""
    book = openpyxl.Workbook()
    ws = book.active
    ws.title = "项目"
    ws.append(["一级指标", "二级指标", "分值", "评分标准"])
    ws.append(["产出", "数量", "=20+10", "完成率"])
    ws.append(["产出", "质量", 30, "合格率"])
    ws.append(["效益", '=CONCAT("社会","效益")', 40, "群众满意"])
    book.save(tmp_path / "t.xlsx")
    result = import_table(tmp_path / "t.xlsx")
    unsaved = [w for w in result.warnings if "a formula" in w]
    assert [w.split(":")[0] for w in unsaved] == ["sheet '项目', row 2, column C", "sheet '项目', row 4, column B"]
    assert "=20+10" in unsaved[0] and "save it" in unsaved[0]
