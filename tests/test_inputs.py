"""The input layer (issue 10, hostile and careless input): every file perfsim reads goes through
``perfsim.inputs``, and every refusal is one message with the file, the line or field and a fix.

The cases: special files (FIFO, ``/dev/zero``, folder, socket, missing, dangling link), size
limits applied while reading, text decoding, physical line numbers (blank lines, ``,,,,`` rows,
quoted line breaks, CR-only line endings), separators and headers, XLSX sheets and cells,
money, progress shares and flags, rank tiers and quotas, sums and linter warnings.

Data cases start from ``tests/corpus/inputs/`` (a scheme with budget, monitoring, gate and pay
consequences, and its valid units) and change one thing, written into ``tmp_path``. Every
refusal runs ``perfsim.cli.main`` and checks exit code 2, ``perfsim: error:``, the file name,
the line or field, ``fix:``, no traceback and nothing on stdout.
"""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import tempfile
import traceback
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import openpyxl
import pandas as pd
import pytest

import perfsim
from perfsim import inputs
from perfsim.cli import main
from perfsim.money import MAX_YUAN
from perfsim.scheme import format_sum

from conftest import ROOT

BASE = Path(__file__).resolve().parent / "corpus" / "inputs"
SCHEME = BASE / "scheme.yaml"
UNITS = BASE / "units.csv"
HEADER, *ROWS = UNITS.read_text(encoding="utf-8").splitlines()


# --------------------------------------------------------------------------- harness


@pytest.fixture(autouse=True)
def deadline() -> Iterator[None]:
    """A read that blocks (a FIFO opened without O_NONBLOCK) fails the test instead of hanging the run."""

    def hung(signum: int, frame: object) -> None:
        raise TimeoutError("perfsim hung on an input")

    old = signal.signal(signal.SIGALRM, hung)
    signal.alarm(60)
    try:
        yield
    finally:
        signal.alarm(0)
        signal.signal(signal.SIGALRM, old)


def run(argv: list[str], capsys: pytest.CaptureFixture[str]) -> tuple[int | None, str, str]:
    escaped = ""
    try:
        code: int | None = main([str(a) for a in argv])
    except SystemExit as exc:
        code = exc.code if isinstance(exc.code, int) else None
    except BaseException:  # noqa: BLE001 - any escape is a bug to report
        code = None
        escaped = traceback.format_exc()
    captured = capsys.readouterr()
    return code, captured.out, captured.err + escaped


def refused(argv: list[object], capsys: pytest.CaptureFixture[str], names: str, *pieces: str) -> str:
    """Run the CLI and check a clean refusal that names ``names`` and contains every piece."""
    code, out, err = run([str(a) for a in argv], capsys)
    assert "Traceback" not in err, err
    assert code == 2, f"exit code {code}; stderr: {err!r}"
    assert err.startswith("perfsim: error:"), err
    assert names in err, f"{names!r} not named in {err!r}"
    for piece in pieces:
        assert piece in err, f"{piece!r} not in {err!r}"
    assert "fix:" in err, err
    assert out == "", out
    return err


def evaluate(scheme: Path, data: Path, tmp_path: Path) -> list[object]:
    out = tmp_path / "out"
    out.mkdir(exist_ok=True)
    return ["evaluate", scheme, data, "-o", out / "results.csv"]


def write(tmp_path: Path, name: str, text: str | bytes) -> Path:
    path = tmp_path / name
    if isinstance(text, bytes):
        path.write_bytes(text)
    else:
        path.write_text(text, encoding="utf-8", newline="")
    return path


def units(tmp_path: Path, name: str = "units.csv", **cells: str) -> Path:
    """The base units with cells changed: ``units(tmp_path, U2__budget="-5")``; ``drop="col"`` drops a column."""
    frame = pd.read_csv(UNITS, dtype=str, keep_default_na=False)
    drop = cells.pop("drop", None)
    for key, value in cells.items():
        unit, column = key.split("__")
        frame.loc[frame["unit"] == unit, column] = value
    if drop:
        frame = frame.drop(columns=drop)
    path = tmp_path / name
    frame.to_csv(path, index=False)
    return path


def data_refused(tmp_path: Path, capsys: pytest.CaptureFixture[str], data: Path, *pieces: str) -> str:
    return refused(evaluate(SCHEME, data, tmp_path), capsys, data.name, *pieces)


def test_base_is_accepted(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """The control: the unchanged base evaluates and simulates, so each case fails for its one change."""
    assert run(evaluate(SCHEME, UNITS, tmp_path), capsys)[0] == 0
    assert run(["simulate", SCHEME, UNITS, "--years", "2", "--draws", "2"], capsys)[0] == 0


# --------------------------------------------------------------------------- special files


@pytest.mark.parametrize("role", ["scheme", "data"])
def test_fifo_is_refused_without_hanging(role: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    fifo = tmp_path / ("pipe.yaml" if role == "scheme" else "pipe.csv")
    os.mkfifo(fifo)
    argv = evaluate(fifo, UNITS, tmp_path) if role == "scheme" else evaluate(SCHEME, fifo, tmp_path)
    refused(argv, capsys, "pipe.", "FIFO", "not a regular file")


def test_fifo_end_to_end_in_a_subprocess(tmp_path: Path) -> None:
    fifo = tmp_path / "units.csv"
    os.mkfifo(fifo)
    env = {**os.environ, "PYTHONIOENCODING": "utf-8", "PYTHONPATH": str(ROOT)}
    proc = subprocess.run(
        [sys.executable, "-m", "perfsim.cli", "evaluate", str(SCHEME), str(fifo)],
        capture_output=True,
        text=True,
        encoding="utf-8",
        env=env,
        stdin=subprocess.DEVNULL,
        timeout=60,
    )
    assert proc.returncode == 2, proc.stderr
    assert proc.stderr.startswith("perfsim: error:") and "FIFO" in proc.stderr and "fix:" in proc.stderr


@pytest.mark.skipif(not Path("/dev/zero").exists(), reason="needs /dev/zero")
@pytest.mark.parametrize("name", ["zero.csv", "zero.xlsx", "zero.parquet", "zero.yaml"])
def test_link_to_dev_zero_is_refused(name: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    link = tmp_path / name
    link.symlink_to("/dev/zero")
    argv = evaluate(link, UNITS, tmp_path) if name.endswith(".yaml") else evaluate(SCHEME, link, tmp_path)
    refused(argv, capsys, name, "device", "/dev/zero", "not a regular file")


@pytest.mark.parametrize("role", ["scheme", "data", "scenario"])
def test_folder_is_refused(role: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    folder = tmp_path / ("things.csv" if role == "data" else "things.yaml")
    folder.mkdir()
    (folder / "scheme.yaml").write_text("perfsim_scheme: 1\n", encoding="utf-8")
    argv = {
        "scheme": evaluate(folder, UNITS, tmp_path),
        "data": evaluate(SCHEME, folder, tmp_path),
        "scenario": ["evaluate", folder],
    }[role]
    refused(argv, capsys, "things.", "is a folder, not a regular file", "scheme.yaml")


def test_socket_is_refused(capsys: pytest.CaptureFixture[str]) -> None:
    with tempfile.TemporaryDirectory(prefix="ps") as short:  # socket paths must be short
        path = Path(short) / "s.csv"
        server = socket.socket(socket.AF_UNIX)
        try:
            server.bind(str(path))
            refused(evaluate(SCHEME, path, Path(short)), capsys, "s.csv", "socket", "not a regular file")
        finally:
            server.close()


def test_missing_data_file_says_does_not_exist_and_suggests(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    (tmp_path / "units.csv").write_text(UNITS.read_text(encoding="utf-8"), encoding="utf-8")
    refused(evaluate(SCHEME, tmp_path / "unit.csv", tmp_path), capsys, "unit.csv", "does not exist", "units.csv")


@pytest.mark.parametrize(
    "argv",
    [
        ["evaluate", "{T}/no-such.yaml"],  # once "a scheme file needs a data file"
        ["evaluate", "{T}/no-such.yaml", str(UNITS)],
        ["explain", "{T}/no-such.yaml", "U1"],
        ["brief", "{T}/no-such.yaml", "-o", "{T}/out"],  # once "is not a scenario file"
        ["lint", "{T}/no-such.yaml"],
        ["evaluate", "{T}/no-such.csv"],
    ],
    ids=["evaluate", "evaluate-with-data", "explain", "brief", "lint", "csv-as-source"],
)
def test_missing_source_says_does_not_exist(argv: list[str], tmp_path: Path, capsys) -> None:
    err = refused([a.replace("{T}", str(tmp_path)) for a in argv], capsys, "no-such.", "does not exist")
    assert "needs a data file" not in err and "not a scenario file" not in err


def test_missing_folder_on_the_way(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    refused(evaluate(SCHEME, tmp_path / "gone" / "units.csv", tmp_path), capsys, "units.csv", "does not exist", "gone")


def test_dangling_link(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    link = tmp_path / "units.csv"
    link.symlink_to(tmp_path / "moved" / "units.csv")
    refused(evaluate(SCHEME, link, tmp_path), capsys, "units.csv", "does not exist", "moved")


def test_oversize_data_file(tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch) -> None:
    monkeypatch.setattr(perfsim.data_tables, "MAX_DATA_BYTES", 100)
    refused(evaluate(SCHEME, UNITS, tmp_path), capsys, "units.csv", "above the 100 bytes limit")


@pytest.mark.skipif(not Path("/proc/self/status").exists(), reason="needs /proc")
def test_limit_holds_while_reading_a_file_with_a_false_size(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch
) -> None:
    """/proc files say they are empty; the limit must stop the read, not the reported size."""
    assert os.stat("/proc/self/status").st_size == 0
    link = tmp_path / "status.csv"
    link.symlink_to("/proc/self/status")
    monkeypatch.setattr(perfsim.data_tables, "MAX_DATA_BYTES", 64)
    refused(evaluate(SCHEME, link, tmp_path), capsys, "status.csv", "larger than the 64 bytes limit")
    assert len(inputs.read_bytes(link, limit=1 << 20, what="data file")) > 64


def test_empty_data_file(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    data_refused(tmp_path, capsys, write(tmp_path, "units.csv", b""), "data file is empty")


def test_read_head_reads_only_the_head(tmp_path: Path) -> None:
    path = write(tmp_path, "big.yaml", "perfsim_scenario: 1\n" + "#" * 100_000)
    assert inputs.read_head(path, size=10, what="file") == b"perfsim_sc"


@pytest.mark.parametrize(
    ("n", "text"), [(0, "0 bytes"), (100, "100 bytes"), (2 * 2**20, "2 MiB"), (3 * 2**19, "1.5 MiB")]
)
def test_format_size(n: int, text: str) -> None:
    assert inputs.format_size(n) == text


# --------------------------------------------------------------------------- text


def test_cr_only_line_endings_keep_line_numbers(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    lines = [HEADER, *ROWS]
    lines[2] = lines[2].replace(",80,", ",eighty,")
    data = write(tmp_path, "mac.csv", "\r".join(lines) + "\r")
    data_refused(tmp_path, capsys, data, "line 3, column 'service'", "'eighty' is not a number")


def test_gb18030_file_gets_an_encoding_hint(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    data = write(tmp_path, "gbk.csv", UNITS.read_text(encoding="utf-8").encode("gb18030"))
    data_refused(tmp_path, capsys, data, "not valid utf-8", "line 2", "--encoding gb18030")
    assert run([*evaluate(SCHEME, data, tmp_path), "--encoding", "gb18030"], capsys)[0] == 0


def test_utf16_file_gets_a_hint(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    data = write(tmp_path, "unicode.csv", UNITS.read_text(encoding="utf-8").encode("utf-16"))
    data_refused(tmp_path, capsys, data, "UTF-16", "line 1")


def test_workbook_named_csv(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    xlsx = tmp_path / "real.xlsx"
    pd.read_csv(UNITS).to_excel(xlsx, index=False)
    data = write(tmp_path, "book.csv", xlsx.read_bytes())
    data_refused(tmp_path, capsys, data, "name it .xlsx")


def test_unknown_encoding_names_the_option(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    refused([*evaluate(SCHEME, UNITS, tmp_path), "--encoding", "klingon"], capsys, "--encoding", "'klingon'")


def test_nul_byte_names_the_line(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    text = UNITS.read_text(encoding="utf-8").replace("丙乡", "丙\x00乡")
    data_refused(tmp_path, capsys, write(tmp_path, "nul.csv", text), "NUL", "line 4")


def test_control_characters_are_refused_and_not_echoed(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    data = units(tmp_path, U2__name="乙乡\x1b[2J")
    err = data_refused(tmp_path, capsys, data, "line 3, column 'name'", "control character U+001B", "\\u001b[2J")
    assert "\x1b" not in err


def test_bidi_override_in_a_unit_id(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    data = units(tmp_path, U3__unit="U3\u202e")
    data_refused(tmp_path, capsys, data, "line 4, column 'unit'", "U+202E")


# --------------------------------------------------------------------------- physical line numbers


def test_blank_lines_keep_line_numbers(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    text = "\n".join([HEADER, "", ROWS[0], "", "", ROWS[1], ROWS[2].replace(",72,", ",,"), ROWS[3]]) + "\n"
    data_refused(tmp_path, capsys, write(tmp_path, "blank.csv", text), "line 7, column 'service'", "missing value")


def test_quoted_line_breaks_keep_line_numbers(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    first = ROWS[0].replace("甲乡", '"甲乡\n\n（原甲镇）"')
    text = "\n".join([HEADER, first, ROWS[1], ROWS[2].replace(",65,", ",sixty-five,"), ROWS[3]]) + "\n"
    data_refused(tmp_path, capsys, write(tmp_path, "quoted.csv", text), "line 6, column 'conduct'")


def test_a_record_over_several_lines_names_them(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    first = ROWS[0].replace("甲乡", '"甲乡\n（原甲镇）"').replace(",92,", ",9 2,")
    text = "\n".join([HEADER, first, *ROWS[1:]]) + "\n"
    data_refused(tmp_path, capsys, write(tmp_path, "span.csv", text), "lines 2-3, column 'service'")


def test_separator_only_row_between_rows(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    empty = "," * HEADER.count(",")
    text = "\n".join([HEADER, "", empty, *ROWS]) + "\n"
    data_refused(tmp_path, capsys, write(tmp_path, "commas.csv", text), "line 3", "only separators")


def test_separator_only_rows_at_the_end_are_ignored(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """Excel writes trailing empty rows as ',,,,'; they hold nothing."""
    empty = "," * HEADER.count(",")
    data = write(tmp_path, "trailing.csv", "\n".join([HEADER, *ROWS, empty, empty, ""]) + "\n")
    assert run(evaluate(SCHEME, data, tmp_path), capsys)[0] == 0


def test_unclosed_quote(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    text = "\n".join([HEADER, ROWS[0], ROWS[1].replace("乙乡", '"乙乡'), *ROWS[2:]]) + "\n"
    data_refused(tmp_path, capsys, write(tmp_path, "quote.csv", text), "line 3", "never closed")


def test_duplicate_unit_names_both_lines(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    text = "\n".join([HEADER, ROWS[0], "", ROWS[1], ROWS[1]]) + "\n"
    data_refused(tmp_path, capsys, write(tmp_path, "dup.csv", text), "line 5, column 'unit'", "first on line 4")


def test_ragged_row_with_an_unquoted_thousands_separator(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    text = "\n".join([HEADER, ROWS[0], ROWS[1].replace("800000", "800,000"), *ROWS[2:]]) + "\n"
    data_refused(tmp_path, capsys, write(tmp_path, "ragged.csv", text), "line 3", "14 fields", "double quotes")


def test_one_endless_line(tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch) -> None:
    monkeypatch.setattr(perfsim.data_tables, "MAX_LINE_CHARS", 1000)
    data = write(tmp_path, "long.csv", HEADER + "\n" + "x," * 1000 + "\n")
    data_refused(tmp_path, capsys, data, "line 2", "longer than")


# --------------------------------------------------------------------------- separators and headers


@pytest.mark.parametrize(
    ("sep", "said"), [(";", "semicolons"), ("\t", "tabs"), ("，", "full-width commas"), ("|", "vertical bars")]
)
def test_wrong_separator_is_named(sep: str, said: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    text = "\n".join(line.replace(",", sep) for line in [HEADER, *ROWS]) + "\n"
    data_refused(tmp_path, capsys, write(tmp_path, "sep.csv", text), "line 1", said)


def test_semicolons_with_decimal_commas(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    rows = [r.replace(",", ";").replace("0.5", "0,5") for r in ROWS]
    data = write(tmp_path, "euro.csv", "\n".join([HEADER.replace(",", ";"), *rows]) + "\n")
    data_refused(tmp_path, capsys, data, "semicolons", "CSV UTF-8")


def test_tsv_with_commas(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    data = write(tmp_path, "units.tsv", UNITS.read_text(encoding="utf-8"))
    data_refused(tmp_path, capsys, data, "line 1", "commas", ".csv")


def test_column_without_header_never_says_unnamed(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    frame = pd.read_csv(UNITS)
    frame.to_csv(tmp_path / "indexed.csv")  # pandas writes its index as a first column with no header
    err = data_refused(tmp_path, capsys, tmp_path / "indexed.csv", "column 1 has no header", "line 1")
    assert "Unnamed" not in err


def test_header_cell_of_spaces(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    text = "\n".join([HEADER.replace("service", "   "), *ROWS]) + "\n"
    err = data_refused(tmp_path, capsys, write(tmp_path, "blank-header.csv", text), "column 4 has no header", "line 2")
    assert "Unnamed" not in err


def test_empty_columns_without_header_are_dropped(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    text = "\n".join(line + ",," for line in [HEADER, *ROWS]) + "\n"
    assert run(evaluate(SCHEME, write(tmp_path, "trailing-commas.csv", text), tmp_path), capsys)[0] == 0


def test_repeated_header(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    text = "\n".join(line + "," + line.split(",")[2] for line in [HEADER.replace(",tasks,", ",tasks,"), *ROWS])
    err = data_refused(tmp_path, capsys, write(tmp_path, "twice.csv", text + "\n"), "'tasks' appears twice", "line 1")
    assert "tasks.1" not in err


def test_dataframe_with_unnamed_index_column() -> None:
    compiled = perfsim.compile_scheme(perfsim.load_scheme(SCHEME))
    frame = pd.read_csv(UNITS).reset_index().rename(columns={"index": "Unnamed: 0"})
    with pytest.raises(perfsim.DataError, match="column 1 has no header"):
        perfsim.load_units(frame, compiled)


# --------------------------------------------------------------------------- XLSX and Parquet


def workbook(path: Path, sheets: dict[str, list[list[object]]]) -> Path:
    book = openpyxl.Workbook()
    book.remove(book.active)
    for title, rows in sheets.items():
        sheet = book.create_sheet(title)
        for r, row in enumerate(rows, start=1):
            for c, value in enumerate(row, start=1):
                if value is not None:
                    sheet.cell(row=r, column=c, value=value)
    book.save(path)
    return path


def unit_rows() -> list[list[object]]:
    frame = pd.read_csv(UNITS)
    return [list(frame.columns), *frame.astype(object).to_numpy().tolist()]


def test_xlsx_error_names_sheet_row_and_cell(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    rows = unit_rows()
    rows.insert(2, [None] * len(rows[0]))  # a blank row: U2 moves to sheet row 4
    rows[3][3] = "eighty"
    data = workbook(tmp_path / "book.xlsx", {"考核表": rows})
    data_refused(tmp_path, capsys, data, "sheet '考核表', row 4, column 'service' (cell D4)", "'eighty'")


def test_xlsx_with_data_in_the_second_sheet(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    data = workbook(tmp_path / "book.xlsx", {"说明": [], "数据": unit_rows()})
    data_refused(tmp_path, capsys, data, "no rows in sheet '说明'", "first of the workbook's 2 sheets")


def test_xlsx_header_only(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    data = workbook(tmp_path / "head.xlsx", {"Sheet1": unit_rows()[:1]})
    data_refused(tmp_path, capsys, data, "no rows in sheet 'Sheet1'")


def test_xlsx_value_beyond_the_header(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    rows = unit_rows()
    rows[2] = [*rows[2], None, "stray note"]
    data = workbook(tmp_path / "stray.xlsx", {"Sheet1": rows})
    data_refused(tmp_path, capsys, data, "column 15 has no header", "sheet 'Sheet1', row 3")


def test_xlsx_is_read_from_its_bytes_and_matches_csv(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    compiled = perfsim.compile_scheme(perfsim.load_scheme(SCHEME))
    book = workbook(tmp_path / "book.xlsx", {"Sheet1": unit_rows()})
    a = perfsim.evaluate(compiled, perfsim.load_units(book, compiled)).total
    b = perfsim.evaluate(compiled, perfsim.load_units(UNITS, compiled)).total
    assert np.array_equal(a, b)


def test_old_xls_named_xlsx(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    data = write(tmp_path, "old.xlsx", b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x00" * 512)
    data_refused(tmp_path, capsys, data, ".xls")


def test_a_zip_that_is_no_workbook_is_refused_in_our_words(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    # review finding 6: the data reader passed openpyxl's own text on ("There is no item named
    # '[Content_Types].xml' in the archive"); both workbook readers now go through inputs.read_workbook
    import zipfile

    from perfsim.tables import import_table

    data = tmp_path / "units.xlsx"
    with zipfile.ZipFile(data, "w") as archive:
        archive.writestr("readme.txt", "not a workbook")
    err = data_refused(tmp_path, capsys, data, "cannot read Excel workbook: it is damaged", "re-save it in Excel")
    assert "Content_Types" not in err and "archive" not in err
    with pytest.raises(perfsim.PerfsimError) as caught:
        import_table(data)
    assert caught.value.message == "cannot read Excel workbook: it is damaged"
    table = write(tmp_path, "old.xlsx", b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x00" * 512)
    with pytest.raises(perfsim.PerfsimError, match=r"old Excel 97-2003 workbook \(\.xls\), not an \.xlsx"):
        import_table(table)


def test_zip_bomb_xlsx(tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch) -> None:
    monkeypatch.setattr(perfsim.data_tables, "MAX_XLSX_EXPANDED", 1000)
    data = workbook(tmp_path / "bomb.xlsx", {"Sheet1": unit_rows()})
    data_refused(tmp_path, capsys, data, "expands to", "limit")


def test_parquet_rows_are_numbered(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    frame = pd.read_csv(UNITS, dtype=str)
    frame.loc[2, "budget"] = "-1"
    frame.to_parquet(tmp_path / "units.parquet", index=False)
    data_refused(tmp_path, capsys, tmp_path / "units.parquet", "row 3, column 'budget'", "negative amount")


def test_corrupt_parquet(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    data_refused(tmp_path, capsys, write(tmp_path, "bad.parquet", b"PAR1 not really"), "cannot read Parquet file")


def test_long_data_names_the_line_of_a_value(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    wide = pd.read_csv(UNITS, dtype=str)
    long = wide.melt(id_vars=["unit", "name"], var_name="indicator", value_name="value")
    long.loc[(long["unit"] == "U3") & (long["indicator"] == "service"), "value"] = "n/a?"
    long.to_csv(tmp_path / "long.csv", index=False)
    line = int(np.flatnonzero((long["unit"] == "U3") & (long["indicator"] == "service"))[0]) + 2
    data_refused(tmp_path, capsys, tmp_path / "long.csv", f"line {line} (unit 'U3', 'service')")


# --------------------------------------------------------------------------- money, shares and flags


@pytest.mark.parametrize(
    ("cell", "value", "pieces"),
    [
        ("U2__budget", "-800000", ("line 3, column 'budget'", "negative amount -800000 yuan", "zero or more")),
        ("U3__budget", "1e12", ("line 4, column 'budget'", "not plausible", "1e+12 yuan", "100,000,000,000 yuan")),
        ("U4__budget", "90000000000000000", ("line 5, column 'budget'", "not plausible")),
        ("U2__budget", "", ("line 3, column 'budget'", "missing amount", "0 if there is none")),
        ("U2__budget", "1,200,000", ("line 3, column 'budget'", "not a number", "thousands separators")),
        ("U1__salary", "-4280", ("line 2, column 'salary'", "negative amount")),
        ("U1__salary", "1e300", ("line 2, column 'salary'", "not plausible")),
        ("U3__staff", "-2", ("line 4, column 'staff'", "negative value -2")),
        ("U2__spend", "85", ("line 3, column 'spend'", "above 1 (100 %)", "write 0.85 for 85 %")),
        ("U2__spend", "7.5", ("line 3, column 'spend'", "above 1 (100 %)")),
        ("U2__spend", "85%", ("line 3, column 'spend'", "not a number", "85% → 0.85")),
        ("U4__progress", "-0.1", ("line 5, column 'progress'", "negative progress share")),
        ("U1__spend", "", ("line 2, column 'spend'", "missing progress share")),
        ("U2__ex_ante", "0.5", ("line 3, column 'ex_ante'", "'0.5' is not a 0/1 flag", "gates")),
        ("U2__ex_ante", "", ("line 3, column 'ex_ante'", "missing 0/1 flag")),
        ("U2__complaints", "1e300", ("line 3, column 'complaints'", "not plausible")),
        ("U3__veto_safety", "0.5", ("line 4, column 'veto_safety'", "'0.5' is not a veto flag", "write 1")),
        ("U3__veto_safety", "2", ("line 4, column 'veto_safety'", "'2' is not a veto flag")),
        ("U3__veto_safety", "maybe", ("line 4, column 'veto_safety'", "not a veto flag")),
    ],
    ids=lambda v: v if isinstance(v, str) else None,
)
def test_garbage_in_money_share_and_flag_columns(
    cell: str, value: str, pieces: tuple[str, ...], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    data_refused(tmp_path, capsys, units(tmp_path, **{cell: value}), *pieces)


def test_money_at_the_limit_is_accepted(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert run(evaluate(SCHEME, units(tmp_path, U1__budget=f"{MAX_YUAN:.0f}"), tmp_path), capsys)[0] == 0


@pytest.mark.parametrize("value", ["1", "1.0", "是", "true", "TRUE", "Y"])
def test_veto_flag_spellings_are_accepted(value: str, tmp_path: Path) -> None:
    compiled = perfsim.compile_scheme(perfsim.load_scheme(SCHEME))
    data = perfsim.load_units(units(tmp_path, U1__veto_safety=value), compiled)
    assert data.vetoes[:, 0].tolist() == [True, False, False, True]


def test_missing_veto_column(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    data = units(tmp_path, drop="veto_safety")
    data_refused(tmp_path, capsys, data, "missing column 'veto_safety'", "line 1", "with 1 where the veto is triggered")


# --------------------------------------------------------------------------- scheme sums, rank tiers, quotas


def scheme_with(tmp_path: Path, old: str, new: str, name: str = "scheme.yaml") -> Path:
    text = SCHEME.read_text(encoding="utf-8")
    assert old in text
    return write(tmp_path, name, text.replace(old, new))


RANK_TIERS = """grading:
  basis: percent
  rank_tiers:
    - {grade: {zh: 优秀, en: excellent}, share: SHARE1}
    - {grade: {zh: 良好, en: good}, share: SHARE2}
    - {grade: {zh: 合格, en: pass}}
consequences:"""
BANDS = SCHEME.read_text(encoding="utf-8").split("grading:")[1].split("consequences:")[0]


def rank_scheme(tmp_path: Path, share1: str, share2: str) -> Path:
    text = SCHEME.read_text(encoding="utf-8").replace(f"grading:{BANDS}consequences:", RANK_TIERS)
    text = text.replace("SHARE1", share1).replace("SHARE2", share2)
    text = text.replace("优秀: {percent: 10}\n      不合格: {percent: -10}", "优秀: {percent: 10}")
    text = text.replace("months: {优秀: 1, 良好: 0.5}", "months: {优秀: 1}")
    return write(tmp_path, "ranked.yaml", text)


def test_rank_tiers_with_no_place_for_the_data(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    scheme = rank_scheme(tmp_path, "0.1", "0.2")  # floor(0.4) = floor(0.8) = 0 places among 4 units
    refused(evaluate(scheme, UNITS, tmp_path), capsys, "units.csv", "every rank tier rounds to no place", "4 units")
    code, out, err = run(["lint", scheme], capsys)
    assert code == 0 and "fewer than 5 units" in out, out + err


def test_rank_tiers_with_places_are_accepted(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert run(evaluate(rank_scheme(tmp_path, "0.25", "0.5"), UNITS, tmp_path), capsys)[0] == 0


def test_rank_tier_shares_over_100_percent(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    scheme = rank_scheme(tmp_path, "0.6", "0.5")
    refused(["lint", scheme], capsys, "ranked.yaml", "grading.rank_tiers", "sum to 110% of a group, over 100%")


def test_rank_tier_share_written_as_percent(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    scheme = rank_scheme(tmp_path, "20", "0.5")
    refused(["lint", scheme], capsys, "ranked.yaml", "share", "did you mean 0.2?")


def test_quota_shares_over_100_percent(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    quotas = (
        "    - {grade: {zh: 不合格, en: fail}}\n  quotas:\n"
        "    - {grade: 优秀, max_share: 0.6}\n    - {grade: 良好, max_share: 0.5}\n"
    )
    scheme = scheme_with(tmp_path, "    - {grade: {zh: 不合格, en: fail}}\n", quotas)
    refused(["lint", scheme], capsys, "scheme.yaml", "grading.quotas", "quota shares sum to 110%")


def test_quota_with_no_place_in_small_groups_is_flagged(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    quotas = "    - {grade: {zh: 不合格, en: fail}}\n  quotas:\n    - {grade: 优秀, max_share: 0.15}\n"
    scheme = scheme_with(tmp_path, "    - {grade: {zh: 不合格, en: fail}}\n", quotas)
    code, out, _ = run(["lint", scheme], capsys)
    assert code == 0 and "grading.quotas[0]" in out and "fewer than 7 units" in out


@pytest.mark.parametrize(
    ("points", "shown"), [("39.99999", "99.99999"), ("40.000001", "100.000001"), ("39.999999", "99.999999")]
)
def test_sum_message_shows_the_real_sum(points: str, shown: str, tmp_path: Path, capsys) -> None:
    scheme = scheme_with(tmp_path, "points: 40,", f"points: {points},")
    err = refused(["lint", scheme], capsys, "scheme.yaml", f"points sum to {shown}, not 100", "indicators")
    assert "sum to 100, not 100" not in err


def test_weights_sum_message_shows_the_real_sum(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    text = SCHEME.read_text(encoding="utf-8")
    for old, new in (("points: 40", "weight: 33.33333"), ("points: 30", "weight: 33.33333")):
        text = text.replace(old, new)
    scheme = write(tmp_path, "weights.yaml", text)
    refused(["lint", scheme], capsys, "weights.yaml", "weights sum to 99.99999%, not 100%")


@pytest.mark.parametrize(("got", "target", "text"), [(99.0, 100.0, "99"), (99.9999999, 100, "99.9999999")])
def test_format_sum(got: float, target: float, text: str) -> None:
    assert format_sum(got, target) == text


def test_fraction_cutoffs_on_a_percent_basis_are_flagged(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    text = SCHEME.read_text(encoding="utf-8").replace("min: 90}", "min: 0.9}").replace("min: 80}", "min: 0.8}")
    scheme = write(tmp_path, "fractions.yaml", text.replace("min: 70}", "min: 0.7}"))
    code, out, _ = run(["lint", scheme], capsys)
    assert code == 0
    assert "grading.bands[0].min: warning: cut-off 0.9 on a percent basis: did you mean 90?" in out
    for k, cut in enumerate((0.9, 0.8, 0.7)):  # one warning per fraction cut-off
        assert f"grading.bands[{k}].min: warning: cut-off {cut} on a percent basis" in out


# --------------------------------------------------------------------------- scenarios


def scenario(tmp_path: Path, scheme: str = str(SCHEME), data: str = str(UNITS), id: str = "inputs") -> Path:
    text = (
        f"perfsim_scenario: 1\nid: '{id}'\nname: {{zh: 输入层, en: input layer}}\ndescription: a test scenario\n"
        f"source: tests\nscheme: {scheme}\ndata: {data}\n"
    )
    return write(tmp_path, "scenario.yaml", text)


def test_scenario_naming_a_missing_scheme(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = scenario(tmp_path, scheme="schemes/none.yaml")
    refused(["evaluate", path], capsys, "scenario.yaml", "none.yaml", "does not exist", "'scheme:' on line 6")


def test_scenario_naming_a_folder_as_data(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    (tmp_path / "data").mkdir()
    path = scenario(tmp_path, data="data")
    refused(["evaluate", path], capsys, "scenario.yaml", "is a folder", "'data:' on line 7")


def test_scenario_data_error_names_the_scenario(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = scenario(tmp_path, data=str(units(tmp_path, U2__budget="-1")))
    refused(["evaluate", path], capsys, "units.csv", "line 3, column 'budget'", "scenario.yaml")


@pytest.mark.parametrize("bad", ["../escape", "a/b", "", "x" * 65])
def test_scenario_id_is_a_plain_name(bad: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    refused(["evaluate", scenario(tmp_path, id=bad)], capsys, "scenario.yaml", "id (line 2)")
