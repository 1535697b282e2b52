"""Unit data: read CSV, XLSX, Parquet or a DataFrame, wide or long, and validate it against a scheme.

Wide data have one row per unit: ``unit`` (id), optional ``name`` and ``class``, then one
column per data column the scheme reads (``indicator``, ``indicator@period``,
``indicator.count``, adjustment, veto and attribute ids). Long data have one row per value:
``unit, indicator, [period,] value`` (plus optional ``name``/``class``), and are pivoted to
wide. Every problem names the file, the row (as the line number in the file) and the column.
"""

from __future__ import annotations

import csv
import difflib
import io
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd
from numpy.typing import NDArray

from .compile import CompiledScheme
from .errors import DataError
from .scoring import LABEL_METHODS, NONNEGATIVE
from .yamlsafe import read_text

MAX_DATA_BYTES = 256 * 1024 * 1024
NOT_APPLICABLE_TOKENS = frozenset({"不适用", "n/a", "N/A", "NA", "na"})
TRUE_TOKENS = frozenset({"1", "true", "True", "TRUE", "是", "yes", "Yes", "Y", "y"})
FALSE_TOKENS = frozenset({"0", "false", "False", "FALSE", "否", "no", "No", "N", "n", ""})
LONG_KEYS = ("unit", "indicator", "value")
UNIT_KEYS = ("unit", "name", "class")


@dataclass
class UnitData:
    """Validated unit data, column by column, aligned with a compiled scheme.

    Attributes
    ----------
    source
        Where the data came from (a file name, or ``<DataFrame>``).
    units, names
        Unit ids and display names, in input order.
    class_index
        Index of each unit's class in ``compiled.classes``.
    values
        Data column → float array over units (label columns hold label codes).
    missing, not_applicable
        Data column → boolean masks of empty cells (scored 0 under ``missing_values: zero``)
        and cells marked 不适用.
    adjustments
        Units × adjustment items, as given (points or event counts).
    vetoes
        Units × veto items, True where triggered.
    attributes
        Attribute id → array over units.
    """

    source: str
    units: list[str]
    names: list[str]
    class_index: NDArray[np.int64]
    values: dict[str, NDArray[np.float64]]
    missing: dict[str, NDArray[np.bool_]]
    not_applicable: dict[str, NDArray[np.bool_]]
    adjustments: NDArray[np.float64]
    vetoes: NDArray[np.bool_]
    attributes: dict[str, NDArray[np.generic]]

    def __len__(self) -> int:
        return len(self.units)

    def unit_position(self, unit: str) -> int:
        try:
            return self.units.index(unit)
        except ValueError:
            raise DataError(
                f"no unit '{unit}' in the data", file=self.source, hint=_near_hint(unit, self.units)
            ) from None


def _near_hint(word: str, choices: list[str]) -> str:
    close = difflib.get_close_matches(word, choices, n=1)
    return f"did you mean '{close[0]}'?" if close else "check the spelling against the scheme"


class _Frame:
    """A table of strings plus how to name its rows in messages."""

    def __init__(
        self, frame: pd.DataFrame, source: str, line_offset: int | None, row_units: list[str] | None = None
    ) -> None:
        self.frame = frame
        self.source = source
        self.line_offset = line_offset  # file line of data row 0, or None for DataFrame labels
        self.row_units = row_units  # long data pivoted: rows are named by unit

    def where(self, row: int, column: str) -> str:
        if self.row_units is not None:
            return f"unit '{self.row_units[row]}', column '{column}'"
        if self.line_offset is None:
            return f"row {self.frame.index[row]!r}, column '{column}'"
        return f"line {row + self.line_offset}, column '{column}'"

    def error(self, message: str, row: int | None, column: str, hint: str) -> DataError:
        field = self.where(row, column) if row is not None else f"column '{column}'"
        return DataError(message, file=self.source, field=field, hint=hint)


def _read(source: str | Path | pd.DataFrame, encoding: str) -> _Frame:
    if isinstance(source, pd.DataFrame):
        frame = source.copy()
        frame.columns = [str(c).strip() for c in frame.columns]
        return _Frame(frame.reset_index(drop=True).astype(object), "<DataFrame>", None)
    path = Path(source)
    suffix = path.suffix.lower()
    if suffix in (".csv", ".txt", ".tsv"):
        text = read_text(path, limit=MAX_DATA_BYTES, what="data file", encoding=encoding)
        _check_row_lengths(text, path, "\t" if suffix == ".tsv" else ",")
        try:
            frame = pd.read_csv(
                io.StringIO(text),
                dtype=str,
                keep_default_na=False,
                sep="\t" if suffix == ".tsv" else ",",
                skipinitialspace=True,
            )
        except (pd.errors.ParserError, pd.errors.EmptyDataError) as exc:
            raise DataError(
                f"cannot parse CSV: {str(exc).strip()}",
                file=path,
                hint="check separators and quotes; each row needs the header's number of fields",
            ) from None
    elif suffix in (".xlsx", ".xlsm"):
        _check_binary(path)
        try:
            frame = pd.read_excel(path, dtype=object, engine="openpyxl")
        except Exception as exc:  # openpyxl raises many types for a corrupt workbook
            raise DataError(
                f"cannot read Excel workbook: {exc}",
                file=path,
                hint="open and re-save it in Excel, or export it as CSV UTF-8",
            ) from None
    elif suffix == ".parquet":
        _check_binary(path)
        try:
            frame = pd.read_parquet(path)
        except Exception as exc:  # pyarrow raises many types for a corrupt file
            raise DataError(f"cannot read Parquet file: {exc}", file=path, hint="re-export the file") from None
    else:
        raise DataError(
            f"unsupported data file type '{suffix or '(none)'}'", file=path, hint="use .csv (UTF-8), .xlsx or .parquet"
        )
    frame.columns = [str(c).strip() for c in frame.columns]
    if frame.empty:
        raise DataError("data file has no rows", file=path, hint="add one row per unit below the header")
    return _Frame(frame.astype(object), str(path), 2)


def _check_row_lengths(text: str, path: Path, sep: str) -> None:
    """Refuse rows with fewer fields than the header (pandas would read the missing ones as empty)."""
    rows = csv.reader(io.StringIO(text), delimiter=sep)
    header = next(rows, [])
    for line, row in enumerate(rows, start=2):
        if row and len(row) != len(header):
            raise DataError(
                f"row has {len(row)} fields but the header has {len(header)}",
                file=path,
                field=f"line {line}",
                hint="every row needs one field per column; use an empty field for an empty cell",
            )


def _check_binary(path: Path) -> None:
    try:
        size = path.stat().st_size
    except OSError:
        raise DataError("data file not found", file=path, hint="check the path") from None
    if size == 0:
        raise DataError("data file is empty", file=path, hint="name another file")
    if size > MAX_DATA_BYTES:
        raise DataError(f"data file is {size / 2**20:.0f} MiB, above the limit", file=path, hint="split the data")


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
                bad = per_unit["unit"][clash].iloc[0]
                raise table.error(
                    f"unit '{bad}' has different values of '{col}'", None, col, f"give each unit one {col}"
                )
            wide.insert(0, col, per_unit.set_index("unit")[col].reindex(order).to_numpy())
    wide.insert(0, "unit", order)
    wide.columns = [str(c) for c in wide.columns]
    return _Frame(wide.reset_index(drop=True).astype(object), table.source, None, row_units=order)


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
        Naming the row and column: missing or unknown columns, duplicate units, values that
        are not numbers, NaN or infinite, impossible negatives, unknown labels or classes.
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
            hint = _near_hint(column, sorted(known))
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
                f"duplicate unit id '{unit}' (first on {table.where(seen[unit], 'unit')})",
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
                    f"unknown class '{text}'",
                    row,
                    "class",
                    f"use one of {', '.join(class_ids)} ({_near_hint(text, class_ids)})",
                )
    else:
        class_index = np.zeros(n, dtype=np.int64)

    na_allowed = scheme.not_applicable
    values: dict[str, NDArray[np.float64]] = {}
    missing: dict[str, NDArray[np.bool_]] = {}
    not_applicable: dict[str, NDArray[np.bool_]] = {}
    for ci, cc in enumerate(compiled.classes):
        members = class_index == ci
        for col in cc.columns:
            leaf = cc.indicators[col.leaf]
            assert leaf is not None and leaf.method is not None
            method = leaf.method.method
            for inp, name in col.data_columns.items():
                if name not in frame.columns:
                    if not members.any():
                        continue
                    hint = f"add a column '{name}'" + (f" (for class '{cc.id}')" if compiled.multi_class else "")
                    raise table.error(f"missing column '{name}' ({leaf.name.zh} {leaf.name.en})", None, name, hint)
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
        owners = [
            ci for ci, cc in enumerate(compiled.classes) if any(name in col.data_columns.values() for col in cc.columns)
        ]
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
            adjustments[:, j] = _parse_amounts(table, item.id, "adjustment")
    vetoes = np.zeros((n, len(compiled.vetoes)), dtype=bool)
    for j, veto in enumerate(compiled.vetoes):
        if veto.id in frame.columns:
            vetoes[:, j] = _parse_flags(table, veto.id)
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
            attributes[attr.id] = _parse_amounts(table, attr.id, "attribute", allow_negative=True)
        else:
            attributes[attr.id] = frame[attr.id].map(_cell_text).to_numpy(dtype=object)
    return UnitData(
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
    from . import scheme as s

    assert isinstance(leaf, s.Indicator) and leaf.method is not None
    texts = table.frame[column].map(_cell_text).to_numpy(dtype=object)
    na = np.isin(texts, list(NOT_APPLICABLE_TOKENS)) & members
    if na.any() and not allow_na:
        raise table.error(
            f"'{texts[_first(na)]}' (not applicable) is not allowed for this indicator",
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
            raise table.error(f"unknown label '{texts[row]}'", row, column, f"use one of {', '.join(labels)}")
        values[usable] = [codes[t] for t in texts[usable]]
        return values, blank, na
    numbers = pd.to_numeric(pd.Series(np.where(usable, texts, "0")), errors="coerce").to_numpy(np.float64)
    nan_text = usable & np.isin(np.char.lower(texts.astype(str)), ["nan", "inf", "-inf", "infinity", "+inf"])
    bad = usable & (np.isnan(numbers) | nan_text)
    if bad.any():
        row = _first(bad)
        raise table.error(f"'{texts[row]}' is not a number", row, column, "write a plain number such as 87.5")
    if (usable & ~np.isfinite(numbers)).any():
        row = _first(usable & ~np.isfinite(numbers))
        raise table.error(f"'{texts[row]}' is not a finite number", row, column, "write a plain number")
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
            raise table.error(f"'{texts[row]}' is not valid here", row, column, hint)
    values[usable] = numbers[usable]
    return values, blank, na


def _parse_amounts(table: _Frame, column: str, what: str, *, allow_negative: bool = False) -> NDArray[np.float64]:
    numbers, blank, texts = _to_numbers(table, column)
    bad = ~blank & ~np.isfinite(numbers)
    if bad.any():
        row = _first(bad)
        raise table.error(f"'{texts[row]}' is not a number", row, column, "write a plain number")
    if not allow_negative and (numbers < 0).any():
        row = _first(numbers < 0)
        raise table.error(
            f"negative {what} {numbers[row]:g}",
            row,
            column,
            "write bonus and deduction items as positive amounts; the scheme says which is which",
        )
    return np.where(blank, 0.0, numbers)


def _parse_flags(table: _Frame, column: str) -> NDArray[np.bool_]:
    texts = table.frame[column].map(_cell_text).to_numpy(dtype=object)
    out = np.zeros(len(texts), dtype=bool)
    for row, text in enumerate(texts):
        if text in TRUE_TOKENS:
            out[row] = True
        elif text in FALSE_TOKENS:
            continue
        else:
            try:
                count = float(text)
            except ValueError:
                count = float("nan")
            if not np.isfinite(count) or count < 0:
                raise table.error(
                    f"'{text}' is not a veto flag", row, column, "write 1 (triggered) or 0, or a count of events"
                )
            out[row] = count > 0
    return out
