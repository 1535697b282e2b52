"""The output layer (issue 10): formula-safe tables, safe names, never over an input, escaped HTML."""

from __future__ import annotations

import csv
from pathlib import Path

import openpyxl
import pandas as pd
import pytest
from hypothesis import given
from hypothesis import strategies as st

from perfsim.cli import main
from perfsim.outputs import inside, render_html, safe_name, write_table

from conftest import ROOT

VALID = ROOT / "tests" / "corpus" / "valid"
HOSTILE_CELLS = ['=HYPERLINK("http://x.test","click")', "@SUM(A1:A9)", "-2+3", "普通名称"]
"""Unit names of the four corpus units: three formulas a spreadsheet would run, one plain name."""


@pytest.fixture
def hostile_data(tmp_path: Path) -> Path:
    """The valid corpus data with unit names a spreadsheet would run as formulas, plus a control character."""
    frame = pd.read_csv(VALID / "units.csv", dtype=str, keep_default_na=False)
    frame["name"] = HOSTILE_CELLS[: len(frame)]
    path = tmp_path / "units.csv"
    frame.to_csv(path, index=False)
    return path


def test_xlsx_results_hold_no_formula_and_keep_the_text(tmp_path, hostile_data):
    out = tmp_path / "results.xlsx"
    assert main(["evaluate", str(VALID / "scheme.yaml"), str(hostile_data), "-o", str(out)]) == 0
    book = openpyxl.load_workbook(out)
    cells = [c for sheet in book.worksheets for row in sheet.iter_rows() for c in row]
    assert not [c.coordinate for c in cells if c.data_type == "f"], "a text cell became a formula"
    texts = {c.value for c in cells if isinstance(c.value, str)}
    for value in HOSTILE_CELLS[:3]:  # shown exactly as typed, as text
        assert value in texts
    assert all(sheet.freeze_panes is not None for sheet in book.worksheets[1:])  # the results sheets


def test_csv_results_neutralise_formula_cells(tmp_path, hostile_data):
    out = tmp_path / "results.csv"
    assert main(["evaluate", str(VALID / "scheme.yaml"), str(hostile_data), "-o", str(out)]) == 0
    with out.open(encoding="utf-8-sig", newline="") as f:
        rows = list(csv.reader(f))
    for cell in (c for row in rows for c in row):
        assert not cell.startswith(("=", "+", "@", "\t")), cell
        assert not (cell.startswith("-") and not _is_number(cell)), cell
    names = {row[rows[0].index("name")] for row in rows[1:]}
    assert '\'=HYPERLINK("http://x.test","click")' in names and "'-2+3" in names


def _is_number(text: str) -> bool:
    try:
        float(text)
    except ValueError:
        return False
    return True


@pytest.mark.parametrize("suffix", [".csv", ".xlsx"])
def test_every_formula_start_is_neutralised(tmp_path, suffix):
    starts = ["=1+1", "+1+1", "-1+1", "@A1", "\t=1", "\r=1", "=cmd|' /C calc'!A0"]
    frame = pd.DataFrame({"unit": [*starts, "bell\x07name"], "=header": range(len(starts) + 1)})
    path = write_table(frame, tmp_path / f"t{suffix}")
    if suffix == ".xlsx":
        cells = [c for row in openpyxl.load_workbook(path).active.iter_rows() for c in row]
        assert all(c.data_type != "f" for c in cells)
        assert "bellname" in {c.value for c in cells}  # a control character Excel refuses is dropped, not a crash
    else:
        with path.open(encoding="utf-8-sig", newline="") as f:
            cells_text = [c for row in csv.reader(f) for c in row]
        assert all(not c.startswith(("=", "+", "-", "@", "\t", "\r")) for c in cells_text if not c.isdigit())


def test_numbers_stay_numbers(tmp_path):
    frame = pd.DataFrame({"unit": ["-1", "U2"], "total": [-3.5, 90.0]})
    write_table(frame, tmp_path / "t.csv")
    back = pd.read_csv(tmp_path / "t.csv", encoding="utf-8-sig")
    assert back["total"].tolist() == [-3.5, 90.0]  # negative numbers are numbers, not formulas
    assert back["unit"].tolist() == ["'-1", "U2"]  # text that looks like one is marked as text


@pytest.mark.parametrize("which", ["scheme", "data"])
def test_output_over_an_input_is_refused_and_the_input_kept(tmp_path, capsys, which):
    scheme, data = tmp_path / "scheme.yaml", tmp_path / "units.csv"
    scheme.write_bytes((VALID / "scheme.yaml").read_bytes())
    data.write_bytes((VALID / "units.csv").read_bytes())
    target = tmp_path / "units.csv" if which == "data" else tmp_path / "scheme.csv"
    if which == "scheme":  # the scheme is YAML, so name it by a hard link with a table suffix
        target.hardlink_to(scheme)
    before = target.read_bytes()
    assert main(["evaluate", str(scheme), str(data), "-o", str(target)]) == 2
    err = capsys.readouterr().err
    assert "would replace an input file" in err and "fix:" in err
    assert target.read_bytes() == before


def test_scenario_id_cannot_lead_a_note_out_of_its_folder(tmp_path):
    folder = tmp_path / "out"
    for name in ("../x", "/etc/passwd", "..", "a/../../b", "\x00nul", "  "):
        target = inside(folder, name + ".zh.html")
        assert target.parent == folder
        assert target.resolve().is_relative_to(folder.resolve())


@given(st.text(max_size=300))
def test_safe_name_is_one_harmless_path_component(text):
    name = safe_name(text)
    assert name and "/" not in name and "\x00" not in name
    assert name not in (".", "..") and not name.startswith(".")
    assert ".." not in name and len(name) <= 120


def test_safe_name_keeps_chinese_readable():
    assert safe_name("qitai-county__cutoff-优秀=85.zh") == "qitai-county__cutoff-优秀=85.zh"


def test_html_is_escaped_by_the_template():
    frame = pd.DataFrame({"<th onclick=x>": ["<script>alert(1)</script>"], "n": [1234.5]})
    html = render_html("table.html.j2", frame=frame, formats={})
    assert "<script>" not in html and "<th onclick" not in html
    assert "&lt;script&gt;" in html and "1,234.50" in html


def test_evaluate_into_a_missing_folder_writes_nothing(tmp_path, capsys):
    out = tmp_path / "no" / "such" / "r.csv"
    assert main(["evaluate", str(VALID / "scheme.yaml"), str(VALID / "units.csv"), "-o", str(out)]) == 2
    assert "does not exist" in capsys.readouterr().err
    assert not (tmp_path / "no").exists()
