"""Unit-data tables: read a file or DataFrame into a checked table of text cells that knows each record's place.

Files are read through :mod:`perfsim.inputs` (regular files only, size-limited while reading)
and parsed from those bytes: CSV with the csv module, so that every record keeps its physical
lines in the file (blank lines, quoted line breaks and CR-only line endings do not shift
them); XLSX (first worksheet) and Parquet from memory. Long data (one row per value:
``unit, indicator, [period,] value``) are pivoted to wide, each value keeping its place. Every
problem names the file, the place (``line 7``, ``sheet '考核表', row 7 … (cell D7)``, ``row 7`` of a
Parquet file) and the column, and says what to do.
"""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Callable, Iterator
from pathlib import Path

import numpy as np
import pandas as pd
from numpy.typing import NDArray

from .errors import CONTROL, DataError
from .inputs import WORKBOOK_DAMAGED, check_file, read_bytes, read_text, read_workbook

MAX_DATA_BYTES = 256 * 1024 * 1024
"""The largest data file read (CSV, XLSX or Parquet)."""
MAX_COLUMNS = 16_384
"""Excel's column limit; a wider header is not a table of units."""
MAX_CELLS = 20_000_000
"""Cells in one table (rows × columns), so that a small file of many empty fields cannot exhaust memory."""
MAX_LINE_CHARS = 4 * 2**20
"""The longest line of a CSV file, checked before the CSV parser splits it into fields."""
MAX_XLSX_EXPANDED = 2**30
"""An .xlsx file is a ZIP archive; refuse one that claims to expand beyond 1 GiB (a "zip bomb")."""
_PANDAS_UNNAMED = re.compile(r"Unnamed: \d+(?:_level_\d+)?")
_CONTROL = CONTROL
"""Control characters (tab and line feed excepted) and bidirectional overrides: in a cell they
garble terminals and reports, or make a unit id look like another."""
LONG_KEYS = ("unit", "indicator", "value")


class _Frame:
    """A table of cells plus how to name its rows and columns in messages.

    ``rows`` gives each record's place in the file (``line 7``, ``lines 7-8`` for a record
    with a quoted line break, ``sheet 'Sheet1', row 7``, ``row 7`` for Parquet); ``None``
    names rows by the DataFrame index. ``header`` is the header's place, if in a file.
    XLSX tables also carry column letters and sheet row numbers (data and header) for cell references. Long
    data pivoted to wide name rows by unit and keep each value's place in ``cells``.
    """

    def __init__(
        self,
        frame: pd.DataFrame,
        source: str,
        *,
        rows: list[str] | None = None,
        header: str | None = None,
        letters: dict[str, str] | None = None,
        sheet_rows: list[int] | None = None,
        header_row: int | None = None,
        row_units: list[str] | None = None,
        cells: dict[tuple[str, str], str] | None = None,
    ) -> None:
        self.frame = frame
        self.source = source
        self.rows = rows
        self.header = header
        self.letters = letters
        self.sheet_rows = sheet_rows
        self.header_row = header_row
        self.row_units = row_units
        self.cells = cells

    def where(self, row: int, column: str) -> str:
        if self.row_units is not None:
            unit = self.row_units[row]
            at = self.cells.get((unit, column)) if self.cells else None
            return f"{at} (unit '{unit}', '{column}')" if at else f"unit '{unit}', column '{column}'"
        if self.rows is None:
            return f"row {self.frame.index[row]!r}, column '{column}'"
        text = f"{self.rows[row]}, column '{column}'"
        if self.letters and self.sheet_rows and column in self.letters:
            text += f" (cell {self.letters[column]}{self.sheet_rows[row]})"
        return text

    def column_where(self, column: str) -> str:
        text = f"{self.header} (header), column '{column}'" if self.header else f"column '{column}'"
        if self.letters and column in self.letters and self.header_row is not None:
            text += f" (cell {self.letters[column]}{self.header_row})"
        return text

    def error(self, message: str, row: int | None, column: str, hint: str) -> DataError:
        field = self.where(row, column) if row is not None else self.column_where(column)
        return DataError(message, file=self.source, field=field, hint=hint)


def _read(source: str | Path | pd.DataFrame, encoding: str) -> _Frame:
    table = _read_table(source, encoding)
    _check_text(table)
    return table


def _shown(text: str, width: int = 40) -> str:
    """A cell's text for a message: shortened, with control characters written as escapes."""
    short = text if len(text) <= width else text[: width - 1] + "…"
    return _CONTROL.sub(lambda m: f"\\u{ord(m.group()):04x}", short.replace("\n", "\\n"))


def _check_text(table: _Frame) -> None:
    """Refuse control characters in the header and in any text cell, naming the cell."""
    frame = table.frame
    for i, name in enumerate(frame.columns):
        if _CONTROL.search(name):
            raise DataError(
                f"control character in the header: '{_shown(name)}'",
                file=table.source,
                field=f"{table.header} (header), column {i + 1}" if table.header else f"column {i + 1}",
                hint="remove it; column names are plain text",
            )
    for name in frame.columns:
        column = frame[name]
        values = column.to_numpy(dtype=object)
        try:
            joined = "\n".join(values)
        except TypeError:  # numbers and other cells besides text: only text can hold control characters
            joined = "\n".join(v for v in values if isinstance(v, str))
        if not _CONTROL.search(joined):
            continue
        bad = column.map(lambda v: isinstance(v, str) and _CONTROL.search(v) is not None).to_numpy(dtype=bool)
        if bad.any():
            row = _first(bad)
            char = _CONTROL.search(column.iloc[row])
            assert char is not None
            raise table.error(
                f"control character U+{ord(char.group()):04X} in '{_shown(column.iloc[row])}'",
                row,
                name,
                "remove it; cells hold plain text (control characters garble terminals and reports)",
            )


def _read_table(source: str | Path | pd.DataFrame, encoding: str) -> _Frame:
    if isinstance(source, pd.DataFrame):
        names = [str(c).strip() for c in source.columns]
        frame = source.reset_index(drop=True).astype(object)
        return _Frame(_clean_columns(frame, names, "<DataFrame>", _index_row, None), "<DataFrame>")
    path = Path(source)
    suffix = path.suffix.lower()
    if suffix in (".csv", ".txt", ".tsv"):
        return _read_csv(path, encoding, "\t" if suffix == ".tsv" else ",")
    if suffix in (".xlsx", ".xlsm"):
        return _read_xlsx(path)
    if suffix == ".parquet":
        return _read_parquet(path)
    check_file(path, what="data file")  # a missing file says so before its type is questioned
    raise DataError(
        f"unsupported data file type '{suffix or '(none)'}'", file=path, hint="use .csv (UTF-8), .xlsx or .parquet"
    )


def _index_row(row: int) -> str:
    return f"row {row}"


def _lines(text: str, path: Path) -> Iterator[str]:
    """The text's lines with their line breaks, refusing absurdly long ones before the CSV parser splits them."""
    start, number, size = 0, 0, len(text)
    while start < size:
        end = text.find("\n", start)
        end = size if end < 0 else end + 1
        number += 1
        if end - start > MAX_LINE_CHARS:
            raise DataError(
                f"line is longer than {MAX_LINE_CHARS:,} characters",
                file=path,
                field=f"line {number}",
                hint="a row of unit data is a short line; check that this is the right file",
            )
        yield text[start:end]
        start = end


def _span(start: int, end: int) -> str:
    return f"line {start}" if start == end else f"lines {start}-{end}"


def _read_csv(path: Path, encoding: str, sep: str) -> _Frame:
    """Parse CSV with the csv module, keeping each record's physical lines.

    Blank lines and empty rows (``,,,,``) are skipped; quoted fields may hold line breaks.
    """
    text = read_text(path, limit=MAX_DATA_BYTES, what="data file", encoding=encoding, encoding_option="--encoding")
    reader = csv.reader(_lines(text, path), delimiter=sep, skipinitialspace=True, strict=True)
    header: list[str] | None = None
    header_line = 0
    records: list[list[str]] = []
    spans: list[str] = []
    cells = 0
    last = 0
    empty_row: int | None = None  # a row of separators only, refused if any row with values follows it
    try:
        for row in reader:
            start, last = last + 1, reader.line_num
            if not any(cell.strip() for cell in row):
                if len(row) > 1 and empty_row is None:
                    empty_row = start
                continue
            if empty_row is not None:
                raise DataError(
                    f"row holds only separators ({sep!r}) and no values",
                    file=path,
                    field=f"line {empty_row}",
                    hint="delete the empty row (empty rows are allowed only at the end of the file), or fill it in",
                )
            if header is None:
                header, header_line = [cell.strip() for cell in row], start
                _check_separator(header, path, sep, start)
                if len(header) > MAX_COLUMNS:
                    raise DataError(
                        f"the header has {len(header):,} columns, more than {MAX_COLUMNS:,}",
                        file=path,
                        field=f"line {start}",
                        hint="check that this is the right file",
                    )
                continue
            if len(row) != len(header):
                raise DataError(
                    f"row has {len(row)} fields but the header has {len(header)}",
                    file=path,
                    field=_span(start, last),
                    hint="every row needs one field per column; use an empty field for an empty cell"
                    if len(row) < len(header)
                    else 'a value holding a comma goes in double quotes ("1,234.5"), and every column needs a header',
                )
            cells = _count_cells(cells, len(row), path, "the table", f"line {start}")
            records.append(row)
            spans.append(_span(start, last))
    except csv.Error as exc:
        start = last + 1
        if "unexpected end of data" in str(exc):
            raise DataError(
                f"a quoted field opened on line {start} is never closed",
                file=path,
                field=f"line {start}",
                hint='close the double quote; a quote inside a quoted field is written twice ("")',
            ) from None
        if "field larger than field limit" in str(exc):
            raise DataError(
                f"a field is longer than {csv.field_size_limit():,} characters",
                file=path,
                field=_span(start, reader.line_num),
                hint="a cell holds a short value; look for a double quote that is never closed",
            ) from None
        raise DataError(
            f"cannot parse CSV: {exc}",
            file=path,
            field=_span(start, reader.line_num),
            hint="a field with commas, quotes or line breaks goes in double quotes, "
            'and a quote inside one is doubled ("")',
        ) from None
    if header is None:
        raise DataError("data file holds only empty rows", file=path, hint="write a header and one row per unit")
    if not records:
        raise DataError("data file has no rows", file=path, hint="add one row per unit below the header")
    frame = pd.DataFrame(records, dtype=object)
    head = f"line {header_line}"
    return _Frame(_clean_columns(frame, header, str(path), spans.__getitem__, head), str(path), rows=spans, header=head)


_SEPARATORS = {
    ",": [
        (";", "semicolons", "save it as comma-separated CSV (in Excel: 'CSV UTF-8 (Comma delimited)')"),
        ("\t", "tabs", "name the file .tsv, or save it as comma-separated CSV"),
        ("，", "full-width commas (，)", "replace the full-width commas by ASCII commas (,)"),
        ("|", "vertical bars (|)", "save it as comma-separated CSV"),
    ],
    "\t": [(",", "commas", "name the file .csv (a .tsv file is read as tab-separated)")],
}


def _check_separator(header: list[str], path: Path, sep: str, line: int) -> None:
    """A header read as one column that holds another separator: the file uses that separator."""
    if len(header) != 1:
        return
    for char, name, fix in _SEPARATORS[sep]:
        if char in header[0]:
            raise DataError(
                f"the header reads as one column '{_shown(header[0])}': the file looks separated by {name}, "
                f"not {'tabs' if sep == chr(9) else 'commas'}",
                file=path,
                field=f"line {line}",
                hint=fix,
            )


def _clean_columns(
    frame: pd.DataFrame, names: list[str], source: str, where_row: Callable[[int], str], header: str | None
) -> pd.DataFrame:
    """Name the frame's columns; drop empty unnamed ones, refuse unnamed ones with values and repeated names."""
    where_head = f"{header} (header)" if header else "the header"
    unnamed = [i for i, name in enumerate(names) if not name or _PANDAS_UNNAMED.fullmatch(name)]
    for i in unnamed:
        texts = frame.iloc[:, i].map(_cell_text).to_numpy(dtype=object)
        filled = np.flatnonzero(texts != "")
        if filled.size:
            row = int(filled[0])
            raise DataError(
                f"column {i + 1} has no header but holds values (first '{_shown(texts[row])}' on {where_row(row)})",
                file=source,
                field=f"{where_head}, column {i + 1}",
                hint="write the column's name in the header, or delete the column",
            )
    keep = [i for i in range(len(names)) if i not in set(unnamed)]
    first: dict[str, int] = {}
    for i in keep:
        if names[i] in first:
            raise DataError(
                f"column '{names[i]}' appears twice (columns {first[names[i]] + 1} and {i + 1})",
                file=source,
                field=f"{where_head}, column {i + 1}",
                hint="keep one column per name",
            )
        first[names[i]] = i
    out = frame.iloc[:, keep]
    out.columns = [names[i] for i in keep]
    return out.reset_index(drop=True).astype(object)


_RESAVE = "open and re-save it in Excel as 'Excel Workbook (.xlsx)', or export it as CSV UTF-8"


def _read_xlsx(path: Path) -> _Frame:
    """Read the first worksheet of a workbook, from its bytes, keeping sheet row numbers."""
    from openpyxl.utils import get_column_letter

    book = read_workbook(
        path,
        limit=MAX_DATA_BYTES,
        expanded_limit=MAX_XLSX_EXPANDED,
        what="data file",
        hint=_RESAVE,
        size_hint="split the data, or export it as CSV UTF-8",
        read_only=True,
        error=DataError,
    )
    header: list[str] | None = None
    header_row = 0
    records: list[list[object]] = []
    numbers: list[int] = []
    try:
        if not book.worksheets:
            raise DataError("Excel workbook has no worksheet", file=path, hint="put the unit data in the first sheet")
        sheet = book.worksheets[0]
        title = sheet.title
        n_sheets = len(book.worksheets)
        # a read-only sheet trusts the size its file states, which some writers get wrong
        sheet.reset_dimensions()  # type: ignore[union-attr]
        cells = 0
        for number, values in enumerate(sheet.iter_rows(values_only=True), start=1):
            cells = _count_cells(cells, len(values), path, f"sheet '{title}'", f"sheet '{title}', row {number}")
            row = ["" if v is None else v for v in values]
            if not any(_cell_text(v) for v in row):
                continue
            if header is None:
                header, header_row = [_cell_text(v) for v in row], number
                continue
            records.append(row)
            numbers.append(number)
    except DataError:
        raise
    except Exception:  # a workbook can fail while its rows are read, too
        raise DataError(WORKBOOK_DAMAGED, file=path, hint=_RESAVE) from None
    finally:
        book.close()
    others = f"; perfsim reads the first of the workbook's {n_sheets} sheets" if n_sheets > 1 else ""
    if header is None or not records:
        raise DataError(
            f"data file has no rows in sheet '{title}'{others}",
            file=path,
            field=f"sheet '{title}'",
            hint="put the header and one row per unit in the first sheet"
            + (", or move the sheet first" if others else ""),
        )
    width = max(len(header), *(len(r) for r in records))
    header += [""] * (width - len(header))
    frame = pd.DataFrame([r + [""] * (width - len(r)) for r in records], dtype=object)
    rows = [f"sheet '{title}', row {n}" for n in numbers]
    head = f"sheet '{title}', row {header_row}"
    frame = _clean_columns(frame, header, str(path), rows.__getitem__, head)
    letters = {name: get_column_letter(header.index(name) + 1) for name in frame.columns}
    return _Frame(frame, str(path), rows=rows, header=head, letters=letters, sheet_rows=numbers, header_row=header_row)


def _read_parquet(path: Path) -> _Frame:
    import pyarrow.parquet as pq

    raw = read_bytes(path, limit=MAX_DATA_BYTES, what="data file")
    try:
        parquet = pq.ParquetFile(io.BytesIO(raw))
        meta = parquet.metadata
        if meta.num_rows * max(meta.num_columns, 1) > MAX_CELLS:
            raise DataError(
                f"the table has {meta.num_rows:,} rows × {meta.num_columns:,} columns, more than {MAX_CELLS:,} cells",
                file=path,
                hint="split the data",
            )
        frame = parquet.read().to_pandas()
    except DataError:
        raise
    except Exception as exc:  # pyarrow raises many types for a corrupt file
        raise DataError(f"cannot read Parquet file: {exc}", file=path, hint="re-export the file") from None
    if frame.empty:
        raise DataError("data file has no rows", file=path, hint="write one row per unit")
    frame = frame.reset_index(drop=True).astype(object)
    rows = [f"row {i + 1}" for i in range(len(frame))]
    names = [str(c).strip() for c in frame.columns]
    return _Frame(_clean_columns(frame, names, str(path), rows.__getitem__, None), str(path), rows=rows)


def _cell_text(value: object) -> str:
    if value is None or (isinstance(value, float) and np.isnan(value)):
        return ""
    return str(value).strip()


def _long_to_wide(table: _Frame) -> _Frame:
    frame = table.frame
    extra = [c for c in frame.columns if c not in (*LONG_KEYS, "period", "name", "class")]
    if extra:
        raise table.error(
            f"unknown column '{extra[0]}' in long data",
            None,
            extra[0],
            "long data have columns unit, indicator, period (optional), value, name, class",
        )
    period = frame["period"].map(_cell_text) if "period" in frame.columns else pd.Series("", index=frame.index)
    key = frame["indicator"].map(_cell_text) + period.map(lambda p: f"@{p}" if p else "")
    unit = frame["unit"].map(_cell_text)
    for name, texts in (("unit", unit), ("indicator", frame["indicator"].map(_cell_text))):
        blank = (texts == "").to_numpy()
        if blank.any():
            raise table.error(f"empty {name}", _first(blank), name, f"give every row its {name}")
    dup = pd.DataFrame({"unit": unit, "key": key}).duplicated(keep="first")
    if dup.any():
        row = int(np.flatnonzero(dup.to_numpy())[0])
        raise table.error(
            f"unit '{unit.iloc[row]}' has a second value for '{key.iloc[row]}'",
            row,
            "value",
            "give each unit, indicator and period one row",
        )
    wide = pd.DataFrame({"unit": unit, "key": key, "value": frame["value"]}).pivot(
        index="unit", columns="key", values="value"
    )
    order = list(dict.fromkeys(unit))
    wide = wide.reindex(order)
    for col in ("name", "class"):
        if col in frame.columns:
            per_unit = pd.DataFrame({"unit": unit, col: frame[col].map(_cell_text)}).drop_duplicates()
            clash = per_unit["unit"].duplicated()
            if clash.any():
                row = int(per_unit.index[clash.to_numpy()][0])
                raise table.error(
                    f"unit '{unit.iloc[row]}' has different values of '{col}'", row, col, f"give each unit one {col}"
                )
            wide.insert(0, col, per_unit.set_index("unit")[col].reindex(order).to_numpy())
    wide.insert(0, "unit", order)
    wide.columns = [str(c) for c in wide.columns]
    cells = {}
    if table.rows is not None:
        for row, (u, k) in enumerate(zip(unit, key)):
            cells[(u, k)] = table.rows[row]
    return _Frame(wide.reset_index(drop=True).astype(object), table.source, row_units=order, cells=cells)


def _first(mask: NDArray[np.bool_]) -> int:
    return int(np.flatnonzero(mask)[0])


def _count_cells(cells: int, more: int, path: Path, what: str, where: str) -> int:
    """Cells read so far plus ``more``; refused past :data:`MAX_CELLS` (CSV and XLSX alike)."""
    cells += more
    if cells > MAX_CELLS:
        raise DataError(f"{what} has more than {MAX_CELLS:,} cells", file=path, field=where, hint="split the data")
    return cells
