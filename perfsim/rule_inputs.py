"""What consequence rules read from an evaluation: attributes (per draw in simulations), grades, classes, money.

Every reader returns arrays with a leading draw axis (1 or S) so that a rule written once
serves a single evaluation and a simulated year whose attributes move by draw.
"""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np
from numpy.typing import ArrayLike, NDArray

from .engine import Evaluation
from .errors import DataError, PerfsimError
from .money import MAX_YUAN, Cents, to_cents
from .numeric import snap

Bool2 = NDArray[np.bool_]


class Reader:
    """An evaluation's attributes, with per-draw values replacing the data's where a simulation gives them."""

    def __init__(self, ev: Evaluation, attributes: Mapping[str, ArrayLike] | None = None) -> None:
        self.ev = ev
        self.overrides = dict(attributes or {})

    def attribute(self, name: str, field_path: str) -> NDArray[np.float64]:
        """A number attribute as (1 or S) × U floats; a clear error when the data lack it."""
        if name in self.overrides:
            return np.atleast_2d(np.asarray(self.overrides[name], dtype=np.float64))
        attrs = self.ev.data.attributes
        if name not in attrs:
            raise DataError(
                f"the data have no column '{name}', which {field_path} needs",
                file=self.ev.data.source,
                hint=f"add a '{name}' column to the unit data",
            )
        return np.asarray(attrs[name], dtype=np.float64)[None, :]

    def indicator_percent(self, node_id: str) -> NDArray[np.float64]:
        """A tree node's score as % of its points, (1 or S) × U; NaN for units whose class has no such node."""
        ev = self.ev
        out = np.full((ev.total.shape[0], len(ev.data)), np.nan)
        for cc, detail in zip(ev.compiled.classes, ev.details):
            if detail is None or node_id not in cc.ids:
                continue
            fraction = detail.fractions[cc.index(node_id)]
            out[:, detail.units] = np.broadcast_to(fraction, (out.shape[0], detail.units.size)) * 100.0
        return snap(out)

    def grades(self, grades: list[str]) -> Bool2:
        """Where a unit holds one of ``grades`` (zh labels), S × U."""
        labels = [g.zh for g in self.ev.compiled.grades]
        table = np.array([label in grades for label in labels])
        return table[self.ev.grade]  # type: ignore[no-any-return]

    def classes(self, classes: list[str] | None) -> NDArray[np.bool_]:
        """Units of these classes (U,); every unit when ``classes`` is None."""
        if classes is None:
            return np.ones(len(self.ev.data), dtype=bool)
        ids = [c.id for c in self.ev.compiled.classes]
        return np.isin(self.ev.data.class_index, [ids.index(c) for c in classes])

    def unit_list(self, mask: NDArray[np.bool_], shown: int = 5) -> str:
        """The first few unit ids where ``mask`` holds, for error messages."""
        where = np.flatnonzero(mask)
        ids = ", ".join(self.ev.data.units[i] for i in where[:shown])
        return ids + (f" and {where.size - shown:,} more" if where.size > shown else "")

    def money(self, yuan: ArrayLike, what: str, field_path: str) -> Cents:
        """Per-unit yuan → cents, naming the units whose amount cannot be held as money."""
        try:
            return to_cents(yuan, what)
        except PerfsimError as err:
            values = np.atleast_2d(np.asarray(yuan, dtype=np.float64))
            bad = np.asarray((~(np.abs(values) <= MAX_YUAN)).any(axis=0), dtype=bool)
            raise DataError(
                f"{err.message}; units: {self.unit_list(bad)}",
                file=self.ev.data.source,
                field=f"consequences.{field_path}",
                hint=err.hint,
            ) from None

    def not_negative(self, cents: Cents, what: str, field_path: str) -> None:
        """Refuse negative amounts paid out, naming the units."""
        if (cents < 0).any():
            raise DataError(
                f"{what} is negative for units {self.unit_list(cents < 0)}",
                file=self.ev.data.source,
                field=f"consequences.{field_path}",
                hint="pay and pool shares are amounts of money paid out: give 0 or more yuan",
            )
