"""Unit data: read CSV, XLSX, Parquet or a DataFrame, wide or long, and validate it against a scheme.

Wide data have one row per unit: ``unit`` (id), optional ``name`` and ``class``, then one
column per data column the scheme reads (``indicator``, ``indicator@period``,
``indicator.count``, adjustment, veto and attribute ids). Long data have one row per value:
``unit, indicator, [period,] value`` (plus optional ``name``/``class``), and are pivoted to
wide.

Files are read through :mod:`perfsim.inputs` (regular files only, size-limited while reading)
and parsed from those bytes: CSV with the csv module, so that every record keeps its physical
lines in the file (blank lines, quoted line breaks and CR-only line endings do not shift
them); XLSX (first worksheet) and Parquet from memory. Every problem names the file, the
place (``line 7``, ``sheet '考核表', row 7 … (cell D7)``, ``row 7`` of a Parquet file) and the
column, and says what to do.
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

from . import scheme as s
from .compile import CompiledScheme
from .errors import CONTROL, DataError, near
from .inputs import WORKBOOK_DAMAGED, check_file, read_bytes, read_text, read_workbook
from .money import MAX_YUAN
from .numeric import round_count
from .parts import Parts
from .scoring import LABEL_METHODS, NONNEGATIVE
from .unit_data import UnitData

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
NOT_APPLICABLE_TOKENS = frozenset({"不适用", "n/a", "N/A", "NA", "na"})
TRUE_TOKENS = frozenset({"1", "true", "True", "TRUE", "是", "yes", "Yes", "Y", "y"})
FALSE_TOKENS = frozenset({"0", "false", "False", "FALSE", "否", "no", "No", "N", "n", ""})
LONG_KEYS = ("unit", "indicator", "value")
UNIT_KEYS = ("unit", "name", "class")


_SPELLING = "check the spelling against the scheme"
"""The hint for an unknown column or class that is close to no known one."""


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


def load_units(
    source: str | Path | pd.DataFrame,
    compiled: CompiledScheme,
    *,
    encoding: str = "utf-8",
) -> UnitData:
    """Read unit data and validate it against a compiled scheme.

    Parameters
    ----------
    source
        A ``.csv`` (UTF-8 unless ``encoding`` says otherwise), ``.xlsx`` or ``.parquet`` file,
        or a pandas DataFrame; wide or long.
    compiled
        The compiled scheme the data are for.
    encoding
        Text encoding of a CSV file, e.g. ``gb18030`` for files saved by older Excel.

    Returns
    -------
    UnitData

    Raises
    ------
    DataError
        Naming the line (or sheet row) and column: a file that is missing, special, too large
        or undecodable; a file separated by semicolons or tabs; columns without a header,
        repeated, missing or unknown (a scheme's veto items need a column each); rows of the
        wrong length or of separators only; duplicate units; control characters; values that
        are not numbers, NaN or infinite, impossible negatives, unknown labels or classes;
        money that is negative or beyond :data:`perfsim.money.MAX_YUAN`; progress shares
        outside 0-1; flags other than 0/1 (0.5 is not a veto); rank tiers that give no place
        in a group of the data.
    """
    table = _read(source, encoding)
    frame = table.frame
    if "unit" not in frame.columns:
        raise table.error("no 'unit' column", None, "unit", "name the column of unit ids 'unit'")
    if "indicator" in frame.columns and "value" in frame.columns:
        table = _long_to_wide(table)
        frame = table.frame
    if len(set(frame.columns)) != len(frame.columns):
        dup = next(c for c in frame.columns if list(frame.columns).count(c) > 1)
        raise table.error(f"column '{dup}' appears twice", None, dup, "keep one column per name")
    scheme = compiled.scheme
    known = set(compiled.data_columns) | set(UNIT_KEYS)
    for column in frame.columns:
        if column not in known:
            hint = near(column, sorted(known), _SPELLING)
            raise table.error(
                f"unknown column '{column}': the scheme has no such indicator, item or attribute", None, column, hint
            )
    units = [_cell_text(v) for v in frame["unit"]]
    for row, unit in enumerate(units):
        if not unit:
            raise table.error("empty unit id", row, "unit", "give every row a unit id")
    seen: dict[str, int] = {}
    for row, unit in enumerate(units):
        if unit in seen:
            raise table.error(
                f"duplicate unit id '{_shown(unit)}' (first on {table.where(seen[unit], 'unit')})",
                row,
                "unit",
                "give each unit one row",
            )
        seen[unit] = row
    n = len(units)
    names = [_cell_text(v) or u for v, u in zip(frame["name"], units)] if "name" in frame.columns else units
    class_ids = [c.id for c in compiled.classes]
    if compiled.multi_class:
        if "class" not in frame.columns:
            raise table.error(
                "no 'class' column",
                None,
                "class",
                f"this scheme has unit classes ({', '.join(class_ids)}); add a class column",
            )
        by_label = {c.label.zh: i for i, c in enumerate(compiled.classes)}
        class_index = np.empty(n, dtype=np.int64)
        for row, value in enumerate(frame["class"]):
            text = _cell_text(value)
            if text in class_ids:
                class_index[row] = class_ids.index(text)
            elif text in by_label:
                class_index[row] = by_label[text]
            else:
                raise table.error(
                    f"unknown class '{_shown(text)}'",
                    row,
                    "class",
                    f"use one of {', '.join(class_ids)} ({near(text, class_ids, _SPELLING)})",
                )
    else:
        class_index = np.zeros(n, dtype=np.int64)

    na_allowed = scheme.not_applicable
    values: dict[str, NDArray[np.float64]] = {}
    missing: dict[str, NDArray[np.bool_]] = {}
    not_applicable: dict[str, NDArray[np.bool_]] = {}
    stored = (values, missing, not_applicable)
    for ci, cc in enumerate(compiled.classes):
        members = class_index == ci
        for col in cc.columns:
            leaf = cc.indicators[col.leaf]
            assert leaf is not None and leaf.method is not None
            method = leaf.method.method
            for inp, name in col.data_columns.items():
                if inp in col.parts and members.any():
                    parsed, miss, na = _parse_parts(
                        table, col.parts[inp], name, members, leaf, na_allowed, scheme.missing_values, stored
                    )
                    values.setdefault(name, np.zeros(n))[members] = parsed[members]
                    missing.setdefault(name, np.zeros(n, dtype=bool))[members] = miss[members]
                    not_applicable.setdefault(name, np.zeros(n, dtype=bool))[members] = na[members]
                    continue
                if inp in col.parts:
                    continue
                if name not in frame.columns:
                    if not members.any():
                        continue
                    hint = f"add a column '{name}'" + (f" (for class '{cc.id}')" if compiled.multi_class else "")
                    raise table.error(f"missing column '{name}' ({leaf.name.both()})", None, name, hint)
                allow_na = (
                    na_allowed is not None
                    and inp == "value"
                    and (na_allowed.indicators == "all" or leaf.id in na_allowed.indicators)
                )
                parsed, miss, na = _parse_indicator_column(
                    table, name, members, method, leaf, allow_na, scheme.missing_values
                )
                values.setdefault(name, np.zeros(n))[members] = parsed[members]
                missing.setdefault(name, np.zeros(n, dtype=bool))[members] = miss[members]
                not_applicable.setdefault(name, np.zeros(n, dtype=bool))[members] = na[members]
    # cells of indicators that another class owns must be empty
    for name in values:
        if name not in frame.columns:
            continue  # a value combined from parts (raters, sub-items, deduction blocks)
        owners = [ci for ci, cc in enumerate(compiled.classes) if any(name in col.reads() for col in cc.columns)]
        stray = ~np.isin(class_index, owners)
        if stray.any():
            texts = frame[name].map(_cell_text).to_numpy()
            bad = np.flatnonzero(stray & (texts != ""))
            if bad.size:
                row = int(bad[0])
                raise table.error(
                    f"unit '{units[row]}' is of class '{class_ids[class_index[row]]}', which has no indicator '{name}'",
                    row,
                    name,
                    "leave the cell empty or fix the class",
                )

    items = compiled.adjustment_items
    adjustments = np.zeros((n, len(items)))
    for j, item in enumerate(items):
        if item.id in frame.columns:
            adjustments[:, j] = _parse_amounts(
                table,
                item.id,
                "adjustment",
                negative_hint="write bonus and deduction items as positive amounts; the scheme says which is which",
            )
    vetoes = np.zeros((n, len(compiled.vetoes)), dtype=bool)
    for j, veto in enumerate(compiled.vetoes):
        if veto.id not in frame.columns:
            # read as "no veto" this would pass a unit that the plan fails outright
            raise table.error(
                f"missing column '{veto.id}' for the veto item {veto.name.both()}",
                None,
                veto.id,
                f"add a column '{veto.id}' with 1 where the veto is triggered and 0 where it is not",
            )
        vetoes[:, j] = _parse_flags(table, veto.id, "veto flag", "write 1 (triggered) or 0 (not triggered)")
    roles = attribute_roles(scheme)
    attributes: dict[str, NDArray[np.generic]] = {}
    for attr in scheme.attributes:
        if attr.id not in frame.columns:
            needed = scheme.grading.group_by == attr.id or (
                scheme.grading.not_assessed is not None and scheme.grading.not_assessed.attribute == attr.id
            )
            if needed:
                raise table.error(
                    f"missing column '{attr.id}'",
                    None,
                    attr.id,
                    "grading needs it (group_by or not_assessed); add the column",
                )
            continue
        if attr.kind == "number":
            attributes[attr.id] = _parse_attribute(table, attr.id, roles.get(attr.id))
        else:
            attributes[attr.id] = frame[attr.id].map(_cell_text).to_numpy(dtype=object)
    data = UnitData(
        source=table.source,
        units=units,
        names=names,
        class_index=class_index,
        values=values,
        missing=missing,
        not_applicable=not_applicable,
        adjustments=adjustments,
        vetoes=vetoes,
        attributes=attributes,
    )
    _check_rank_tier_places(compiled, data, table)
    return data


def _to_numbers(table: _Frame, column: str) -> tuple[NDArray[np.float64], NDArray[np.bool_], NDArray[np.object_]]:
    """Parse a column to floats; returns values, blank mask and the raw texts."""
    texts = table.frame[column].map(_cell_text).to_numpy(dtype=object)
    blank = texts == ""
    numbers = pd.to_numeric(pd.Series(np.where(blank, "0", texts)), errors="coerce").to_numpy(dtype=np.float64)
    return numbers, blank, texts


def _first(mask: NDArray[np.bool_]) -> int:
    return int(np.flatnonzero(mask)[0])


def _parse_indicator_column(
    table: _Frame,
    column: str,
    members: NDArray[np.bool_],
    method: str,
    leaf: object,
    allow_na: bool,
    missing_policy: str,
) -> tuple[NDArray[np.float64], NDArray[np.bool_], NDArray[np.bool_]]:

    assert isinstance(leaf, s.Indicator) and leaf.method is not None
    texts = table.frame[column].map(_cell_text).to_numpy(dtype=object)
    na = np.isin(texts, list(NOT_APPLICABLE_TOKENS)) & members
    if na.any() and not allow_na:
        raise table.error(
            f"'{_shown(texts[_first(na)])}' (not applicable) is not allowed for this indicator",
            _first(na),
            column,
            "give a value, or list the indicator under not_applicable in the scheme",
        )
    blank = (texts == "") & members
    if blank.any() and missing_policy == "error":
        raise table.error(
            "missing value",
            _first(blank),
            column,
            "fill the cell, mark it 不适用 where the scheme allows, or set missing_values: zero",
        )
    usable = members & ~blank & ~na
    values = np.zeros(len(texts))
    if method in LABEL_METHODS:
        assert isinstance(leaf.method, s.CategoryLookup)
        labels = list(leaf.method.map)
        codes = {label: float(i) for i, label in enumerate(labels)}
        bad = usable & ~np.isin(texts, labels)
        if bad.any():
            row = _first(bad)
            raise table.error(f"unknown label '{_shown(texts[row])}'", row, column, f"use one of {', '.join(labels)}")
        values[usable] = [codes[t] for t in texts[usable]]
        return values, blank, na
    numbers = pd.to_numeric(pd.Series(np.where(usable, texts, "0")), errors="coerce").to_numpy(np.float64)
    nan_text = usable & np.isin(np.char.lower(texts.astype(str)), ["nan", "inf", "-inf", "infinity", "+inf"])
    bad = usable & (np.isnan(numbers) | nan_text)
    if bad.any():
        row = _first(bad)
        raise table.error(f"'{_shown(texts[row])}' is not a number", row, column, "write a plain number such as 87.5")
    if (usable & ~np.isfinite(numbers)).any():
        row = _first(usable & ~np.isfinite(numbers))
        raise table.error(f"'{_shown(texts[row])}' is not a finite number", row, column, "write a plain number")
    if method in NONNEGATIVE and (usable & (numbers < 0)).any():
        row = _first(usable & (numbers < 0))
        raise table.error(
            f"negative value {numbers[row]:g} is impossible here ({method})",
            row,
            column,
            "counts, amounts and marks are zero or more",
        )
    m = leaf.method
    if isinstance(m, s.DirectScore) and (usable & (numbers > m.scale)).any():
        row = _first(usable & (numbers > m.scale))
        raise table.error(
            f"score {numbers[row]:g} is above the scale of {m.scale:g}", row, column, f"marks run from 0 to {m.scale:g}"
        )
    if column.endswith(".standard") and (usable & (numbers <= 0)).any():
        row = _first(usable & (numbers <= 0))
        raise table.error(
            f"standard value {numbers[row]:g} must be positive",
            row,
            column,
            "give each unit's assigned target (标准值) as a positive number",
        )
    if isinstance(m, s.Rubric5pt):
        if column.endswith(".count"):
            bad = usable & (numbers != np.floor(numbers))
            hint = "a count is a whole number"
        else:
            bad = usable & ~np.isin(numbers, [1, 2, 3, 4, 5])
            hint = "the rubric level is 1, 2, 3, 4 or 5"
        if bad.any():
            row = _first(bad)
            raise table.error(f"'{_shown(texts[row])}' is not valid here", row, column, hint)
    values[usable] = numbers[usable]
    return values, blank, na


def _parse_parts(
    table: _Frame,
    parts: Parts,
    name: str,
    members: NDArray[np.bool_],
    leaf: s.Indicator,
    na_allowed: s.NotApplicable | None,
    missing_policy: str,
    stored: tuple[dict[str, NDArray[np.float64]], dict[str, NDArray[np.bool_]], dict[str, NDArray[np.bool_]]],
) -> tuple[NDArray[np.float64], NDArray[np.bool_], NDArray[np.bool_]]:
    """Read the columns of an input made of parts and combine them (:mod:`perfsim.parts`).

    An empty part is a rater who gave no mark or a sub-item or deduction the unit does not have; the
    input is missing (under ``missing_values``) only where every part is empty. 不适用 marks the whole
    input: written in every given part, or in none.
    """
    assert leaf.method is not None
    allow_na = (
        na_allowed is not None
        and not name.endswith(".standard")
        and (na_allowed.indicators == "all" or leaf.id in na_allowed.indicators)
    )
    n = len(members)
    values, missing, not_applicable = stored
    for column in parts.columns:
        if column not in table.frame.columns:
            raise table.error(
                f"missing column '{column}' ({leaf.name.both()})",
                None,
                column,
                f"add a column '{column}' (one per part: {parts.columns[0]} … {parts.columns[-1]}); "
                "leave a cell empty where the part is not given",
            )
        method = "deduction_blocks" if parts.rule == "deductions" else leaf.method.method
        parsed, blank, na = _parse_indicator_column(table, column, members, method, leaf, allow_na, "zero")
        values.setdefault(column, np.zeros(n))[members] = parsed[members]
        missing.setdefault(column, np.zeros(n, dtype=bool))[members] = blank[members]
        not_applicable.setdefault(column, np.zeros(n, dtype=bool))[members] = na[members]
    blank = np.stack([missing[c] for c in parts.columns], axis=-1) & members[:, None]
    na = np.stack([not_applicable[c] for c in parts.columns], axis=-1) & members[:, None]
    mixed = na.any(axis=1) & (~na & ~blank).any(axis=1)
    if mixed.any():
        row = int(np.flatnonzero(mixed)[0])
        raise table.error(
            "不适用 in some parts of this indicator and a value in others",
            row,
            parts.columns[int(np.flatnonzero(na[row])[0])],
            f"mark every given part of '{name}' 不适用, or give values only",
        )
    given = ~blank & ~na
    combined = parts.combine(np.stack([values[c] for c in parts.columns], axis=-1), given)
    none_given = ~given.any(axis=1) & ~na.any(axis=1) & members
    if none_given.any() and missing_policy == "error":
        raise table.error(
            f"no value in any of the columns of '{name}'",
            int(np.flatnonzero(none_given)[0]),
            parts.columns[0],
            "give at least one, or set missing_values: zero or mean",
        )
    return np.where(given.any(axis=1), combined, 0.0), none_given, na.any(axis=1) & members


def attribute_roles(scheme: s.Scheme) -> dict[str, tuple[str, str]]:
    """What the scheme's consequences read each number attribute as, and where the scheme says so.

    Roles: ``money`` (yuan, zero or more, at most :data:`perfsim.money.MAX_YUAN`), ``count`` and ``factor``
    (zero or more), ``share`` (a progress share from 0 to 1) and ``flag`` (exactly 0 or 1).
    Attributes with no role (group keys, flag thresholds) are read as any finite number.

    Parameters
    ----------
    scheme
        A validated scheme.

    Returns
    -------
    dict
        Attribute id → ``(role, field path in the scheme file)``; the first use wins.
    """
    roles: dict[str, tuple[str, str]] = {}
    rules = scheme.consequences
    if rules is None:
        return roles

    def add(name: str | None, role: str, field: str) -> None:
        if name is not None:
            roles.setdefault(name, (role, field))

    if rules.budget is not None:
        b = rules.budget
        add(b.amount, "money", "consequences.budget.amount")
        for i, gate in enumerate(b.gates):
            add(gate.attribute, "flag", f"consequences.budget.gates[{i}].attribute")
        if b.monitoring is not None:
            add(b.monitoring.spending_progress, "share", "consequences.budget.monitoring.spending_progress")
            add(b.monitoring.target_progress, "share", "consequences.budget.monitoring.target_progress")
        if b.reallocation is not None:
            add(b.reallocation.eligible_attribute, "flag", "consequences.budget.reallocation.eligible_attribute")
    if rules.pay is not None:
        if rules.pay.bonus_months is not None:
            add(rules.pay.bonus_months.salary, "money", "consequences.pay.bonus_months.salary")
            add(rules.pay.bonus_months.staff, "count", "consequences.pay.bonus_months.staff")
        pool = rules.pay.pool
        if pool is not None:
            if isinstance(pool.amount, str):
                add(pool.amount, "money", "consequences.pay.pool.amount")
            add(pool.base, "money", "consequences.pay.pool.base")
            add(pool.coefficient, "factor", "consequences.pay.pool.coefficient")
    return roles


def _number_hint(texts: NDArray[np.object_], row: int) -> str:
    text = str(texts[row])
    if text.endswith("%"):
        return f"write the share as a plain number ({text[:-1]}% → {_percent_to_share(text[:-1])})"
    return "write a plain number, without thousands separators, units or currency signs"


def _percent_to_share(text: str) -> str:
    try:
        return f"{float(text) / 100:g}"
    except ValueError:
        return "a number from 0 to 1"


def _parse_amounts(
    table: _Frame,
    column: str,
    what: str,
    *,
    negative_hint: str | None,
    maximum: float | None = MAX_YUAN,
    unit: str = "",
    blank_hint: str | None = None,
) -> NDArray[np.float64]:
    """A column of numbers: blank → 0 (unless ``blank_hint`` makes it an error), negatives refused
    when ``negative_hint`` is given, magnitudes above ``maximum`` refused."""
    numbers, blank, texts = _to_numbers(table, column)
    bad = ~blank & ~np.isfinite(numbers)
    if bad.any():
        row = _first(bad)
        raise table.error(f"'{_shown(texts[row])}' is not a number", row, column, _number_hint(texts, row))
    if blank_hint is not None and blank.any():
        raise table.error(f"missing {what}", _first(blank), column, blank_hint)
    if negative_hint is not None and (numbers < 0).any():
        row = _first(numbers < 0)
        raise table.error(f"negative {what} {numbers[row]:g}{unit}", row, column, negative_hint)
    if maximum is not None and (np.abs(numbers) > maximum).any():
        row = _first(np.abs(numbers) > maximum)
        raise table.error(
            f"{what} {numbers[row]:g}{unit} is not plausible: the limit is {maximum:,.0f}{unit}",
            row,
            column,
            "check the unit and look for stray digits",
        )
    return np.where(blank, 0.0, numbers)


def _parse_attribute(table: _Frame, column: str, role: tuple[str, str] | None) -> NDArray[np.float64]:
    if role is None:
        return _parse_amounts(table, column, "attribute", negative_hint=None, maximum=None)
    kind, field = role
    reads = f"the scheme reads '{column}' ({field})"
    if kind == "flag":
        flags = _parse_flags(
            table, column, "0/1 flag", f"{reads} as a yes/no flag: write 1 or 0", blank_hint=f"{reads} as a yes/no flag"
        )
        return flags.astype(np.float64)
    if kind == "money":
        return _parse_amounts(
            table,
            column,
            "amount",
            negative_hint=f"{reads} as money: amounts are zero or more",
            unit=" yuan",
            blank_hint=f"{reads} as money: write the amount in yuan (0 if there is none)",
        )
    if kind == "share":
        values = _parse_amounts(
            table,
            column,
            "progress share",
            negative_hint=f"{reads} as a share from 0 to 1",
            blank_hint=f"{reads} as a share from 0 to 1: fill the cell",
        )
        above = values > 1
        if above.any():
            row = _first(above)
            v = values[row]
            hint = f"{reads} as a share from 0 to 1" + (f": write {v / 100:g} for {v:g} %" if v <= 100 else "")
            raise table.error(f"progress share {v:g} is above 1 (100 %)", row, column, hint)
        return values
    return _parse_amounts(  # count, factor
        table, column, "value", negative_hint=f"{reads} as a {kind}: it is zero or more", maximum=MAX_YUAN
    )


def _parse_flags(
    table: _Frame, column: str, what: str, hint: str, *, blank_hint: str | None = None
) -> NDArray[np.bool_]:
    """Yes/no cells: 1/0, true/false, 是/否, yes/no, Y/N; blank is no unless ``blank_hint`` makes it an error.

    Anything else (0.5, 2, "maybe") is refused: a flag that is neither yes nor no is a mistake.
    """
    texts = table.frame[column].map(_cell_text).to_numpy(dtype=object)
    out = np.zeros(len(texts), dtype=bool)
    for row, text in enumerate(texts):
        if text in TRUE_TOKENS:
            out[row] = True
            continue
        if not text:
            if blank_hint is not None:
                raise table.error(f"missing {what}", row, column, blank_hint)
            continue
        if text in FALSE_TOKENS:
            continue
        try:
            number = float(text)
        except ValueError:
            number = float("nan")
        if number == 1.0:
            out[row] = True
        elif number != 0.0:
            raise table.error(
                f"'{_shown(text)}' is not a {what}", row, column, f"{hint}; 是/否 and true/false also work"
            )
    return out


def _check_rank_tier_places(compiled: CompiledScheme, data: UnitData, table: _Frame) -> None:
    """Refuse data whose groups are so small that every rank tier rounds to no place."""
    grading = compiled.scheme.grading
    tiers = grading.rank_tiers
    if not tiers:
        return
    excluded = compiled.not_assessed(data)
    column: str | None
    if grading.group_by is None:
        keys, names, column = np.zeros(len(data), dtype=np.int64), ["(all)"], None
    elif grading.group_by == "class":
        keys, names, column = data.class_index, [c.id for c in compiled.classes], "class"
    else:
        codes, keys = np.unique(np.asarray(data.attributes[grading.group_by]).astype(str), return_inverse=True)
        names, column = [str(c) for c in codes], grading.group_by
    sizes = np.bincount(keys[~excluded], minlength=len(names))
    for group, size in enumerate(sizes):
        if size == 0:
            continue
        places = sum(
            t.count if t.count is not None else int(round_count(np.array([(t.share or 0.0) * size]), t.rounding)[0])
            for t in tiers[:-1]
        )
        if places:
            continue
        first = int(np.flatnonzero((keys == group) & ~excluded)[0])
        who = f"the data ({size} units)" if column is None else f"group '{names[group]}' ({size} units)"
        raise DataError(
            f"every rank tier rounds to no place in {who}: every unit would get '{tiers[-1].grade.zh}'",
            file=data.source,
            field=table.where(first, column) if column is not None else f"all {size} units",
            hint="the scheme's grading.rank_tiers shares are too small for groups this size: use rounding: "
            "half_up or ceil, give the top tier a count, or grade larger groups",
        )


def _count_cells(cells: int, more: int, path: Path, what: str, where: str) -> int:
    """Cells read so far plus ``more``; refused past :data:`MAX_CELLS` (CSV and XLSX alike)."""
    cells += more
    if cells > MAX_CELLS:
        raise DataError(f"{what} has more than {MAX_CELLS:,} cells", file=path, field=where, hint="split the data")
    return cells
