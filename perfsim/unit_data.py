"""Validated unit data, column by column: what :mod:`perfsim.data` produces and the engine reads.

Its own module so that :mod:`perfsim.compile` (which reads it) and :mod:`perfsim.data` (which
builds it from a compiled scheme) import it without importing each other.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray

from .errors import DataError, near


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
                f"no unit '{unit}' in the data",
                file=self.source,
                hint=near(unit, self.units, "check the spelling against the scheme"),
            ) from None
