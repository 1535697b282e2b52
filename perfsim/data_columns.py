"""Unit-data columns: parse the cells of one column of a unit-data table into numbers, flags or label codes.

Each parser reads one column (or the part columns of one input) for the units that need it and
refuses the first bad cell (not a number, an impossible negative, an unknown label, a flag that is
neither yes nor no, 不适用 where the scheme does not allow it) with a message naming the cell.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from numpy.typing import NDArray

from . import scheme as s
from .data_tables import _cell_text, _first, _Frame, _shown
from .money import MAX_YUAN
from .parts import Parts
from .scoring import LABEL_METHODS, NONNEGATIVE

NOT_APPLICABLE_TOKENS = frozenset({"不适用", "n/a", "N/A", "NA", "na"})
TRUE_TOKENS = frozenset({"1", "true", "True", "TRUE", "是", "yes", "Yes", "Y", "y"})
FALSE_TOKENS = frozenset({"0", "false", "False", "FALSE", "否", "no", "No", "N", "n", ""})


def _to_numbers(table: _Frame, column: str) -> tuple[NDArray[np.float64], NDArray[np.bool_], NDArray[np.object_]]:
    """Parse a column to floats; returns values, blank mask and the raw texts."""
    texts = table.frame[column].map(_cell_text).to_numpy(dtype=object)
    blank = texts == ""
    numbers = pd.to_numeric(pd.Series(np.where(blank, "0", texts)), errors="coerce").to_numpy(dtype=np.float64)
    return numbers, blank, texts


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
