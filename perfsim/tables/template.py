"""What ``perfsim import-table`` writes: the scheme as YAML and an empty data table to fill in."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import yaml

from ..compile import CompiledScheme
from .import_table import ImportResult


def scheme_yaml(result: ImportResult, table: str | Path) -> str:
    """The imported scheme as a YAML file, headed by where it came from and what was read with a default.

    Parameters
    ----------
    result
        What :func:`perfsim.tables.import_table` read.
    table
        The indicator table it was read from (named in the heading comment).

    Returns
    -------
    str
        YAML text that :func:`perfsim.load_scheme` reads back into ``result.scheme``.
    """
    lines = [f"# Read from {Path(table).name} by perfsim import-table."]
    if result.warnings:
        lines.append("# Read with defaults or left out (check these):")
        lines += [f"#   - {w}".replace("\n", " ") for w in result.warnings]
    body = yaml.safe_dump(result.data, allow_unicode=True, sort_keys=False, width=110)
    return "\n".join(lines) + "\n" + body


def data_template(compiled: CompiledScheme) -> pd.DataFrame:
    """An empty unit table with every column the scheme reads, in the order of the tree.

    Parameters
    ----------
    compiled
        The compiled scheme.

    Returns
    -------
    pandas.DataFrame
        No rows; columns ``unit``, ``name``, ``class`` (several classes only), each indicator's
        data columns (``x``, ``x@period``, ``x.standard`` …), adjustment and veto items, attributes.
    """
    columns = ["unit", "name"] + (["class"] if compiled.multi_class else [])
    for cc in compiled.classes:
        for col in cc.columns:
            reads = col.reads() if hasattr(col, "reads") else list(col.data_columns.values())
            columns += [c for c in reads if c not in columns]
    scheme = compiled.scheme
    for item_id in [i.id for i in compiled.adjustment_items] + [v.id for v in compiled.vetoes]:
        if item_id not in columns:
            columns.append(item_id)
    columns += [a.id for a in scheme.attributes if a.id not in columns]
    return pd.DataFrame(columns=columns)
