"""Unit data: read a table (:mod:`perfsim.data_tables`) and validate it against a compiled scheme into `UnitData`.

Wide data have one row per unit: ``unit`` (id), optional ``name`` and ``class``, then one
column per data column the scheme reads (``indicator``, ``indicator@period``,
``indicator.count``, adjustment, veto and attribute ids). Long data have one row per value:
``unit, indicator, [period,] value`` (plus optional ``name``/``class``), and are pivoted to
wide. The cells of each column are parsed by :mod:`perfsim.data_columns`.

Every problem names the file, the place (``line 7``, ``sheet '考核表', row 7 … (cell D7)``,
``row 7`` of a Parquet file) and the column, and says what to do.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
from numpy.typing import NDArray

from . import scheme as s
from .compile import CompiledScheme

# names that moved to data_columns/data_tables stay importable from here; the code reads (and tests patch) them there
from .data_columns import FALSE_TOKENS as FALSE_TOKENS
from .data_columns import NOT_APPLICABLE_TOKENS as NOT_APPLICABLE_TOKENS
from .data_columns import TRUE_TOKENS as TRUE_TOKENS
from .data_columns import _parse_amounts, _parse_attribute, _parse_flags, _parse_indicator_column, _parse_parts
from .data_tables import LONG_KEYS as LONG_KEYS
from .data_tables import MAX_CELLS as MAX_CELLS
from .data_tables import MAX_COLUMNS as MAX_COLUMNS
from .data_tables import MAX_DATA_BYTES as MAX_DATA_BYTES
from .data_tables import MAX_LINE_CHARS as MAX_LINE_CHARS
from .data_tables import MAX_XLSX_EXPANDED as MAX_XLSX_EXPANDED
from .data_tables import _cell_text, _Frame, _long_to_wide, _read, _shown
from .errors import DataError, near
from .numeric import round_count
from .unit_data import UnitData

UNIT_KEYS = ("unit", "name", "class")


_SPELLING = "check the spelling against the scheme"
"""The hint for an unknown column or class that is close to no known one."""


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
