"""Unit lifecycle over simulated years: who is present, suspended, stopped, completed or yet to enter.

A simulation keeps one unit axis for all years: the data's units plus a slot for each project
that a scheme's ``lifecycle.entrants`` lets in later. Each year every unit has a status
(:data:`STATUS`); only units *present* (active or suspended) are graded, flagged, paid, funded
and counted. A unit leaves for good when a budget rule ends it (a gate, a monitoring stop, a
ladder step or grade rule that zeroes its budget) or when its stated duration runs out.
"""

from __future__ import annotations

from dataclasses import dataclass, replace

import numpy as np
from numpy.typing import NDArray

from . import rules as r
from .compile import CompiledScheme
from .data import UnitData
from .models import Label
from .money import to_cents
from .numeric import round_half_up

ACTIVE, SUSPENDED, STOPPED, COMPLETED, WAITING, OUTSIDE = 0, 1, 2, 3, 4, 5
STATUS = (
    Label(zh="在评", en="active"),
    Label(zh="暂缓", en="suspended"),
    Label(zh="已停止", en="stopped"),
    Label(zh="已完成", en="completed"),
    Label(zh="未进入", en="not yet entered"),
    Label(zh="不在范围", en="out of scope"),
)
"""Status labels by code: present units are active or suspended (暂缓: money withheld this year)."""

OPEN = np.iinfo(np.int32).max
"""Last year of a unit without a stated end."""


@dataclass(frozen=True)
class Slots:
    """The unit axis of a simulation: the data's units and the entrants' slots.

    Attributes
    ----------
    data
        Unit data over all slots (entrants copy a unit of the data, gates passed).
    initial
        Number of units in the data (the first ``initial`` slots).
    entry
        Year index (0-based) each unit enters; 0 for the data's units.
    last
        Year index of each unit's last year (:data:`OPEN` when open-ended).
    template
        Unit of the data each slot copies (itself for the data's units).
    entry_budget
        First budget of an entrant at year-1 prices, in cents (0 for the data's units).
    """

    data: UnitData
    initial: int
    entry: NDArray[np.int64]
    last: NDArray[np.int64]
    template: NDArray[np.int64]
    entry_budget: NDArray[np.int64]
    outside: NDArray[np.bool_]
    """Units outside the rules' scope (``lifecycle.outside``): never present."""

    @property
    def entrants(self) -> bool:
        return len(self.data) > self.initial

    def first_status(self, draws: int) -> NDArray[np.int8]:
        """Status at the start of the first year (draws × units)."""
        row = np.where(self.outside, OUTSIDE, np.where(self.entry > 0, WAITING, ACTIVE)).astype(np.int8)
        return np.broadcast_to(row, (draws, row.size)).copy()

    def entering(self, year: int, growth: float) -> NDArray[np.int64]:
        """First budgets (cents) of the units that enter in ``year`` (0-based), grown with the envelope."""
        factor = (1.0 + growth / 100.0) ** year
        grown = round_half_up(self.entry_budget.astype(np.float64) * factor, 0).astype(np.int64)
        return np.where(self.entry == year, grown, 0)  # type: ignore[no-any-return]


def _remaining(data: UnitData, lifecycle: r.Lifecycle | None) -> NDArray[np.int64]:
    """Last year index of each unit of the data from ``lifecycle.remaining`` (years left, this one included)."""
    n = len(data)
    if lifecycle is None or lifecycle.remaining is None:
        return np.full(n, OPEN, dtype=np.int64)
    years = np.nan_to_num(np.asarray(data.attributes[lifecycle.remaining], dtype=np.float64), nan=0.0)
    return np.where(years >= 1, np.floor(years) - 1, OPEN).astype(np.int64)


def outside(compiled: CompiledScheme, data: UnitData) -> NDArray[np.bool_]:
    """Units outside the scope of the scheme's rules (``lifecycle.outside``)."""
    rules = compiled.scheme.consequences
    rule = rules.lifecycle.outside if rules is not None and rules.lifecycle is not None else None
    if rule is None:
        return np.zeros(len(data), dtype=bool)
    return np.isin(np.asarray(data.attributes[rule.attribute]).astype(str), rule.values)


def slots_for(compiled: CompiledScheme, data: UnitData, years: int) -> Slots:
    """The simulation's unit axis for ``years`` years: the data's units and, if the scheme lets projects
    enter, ``round(per_year × units)`` slots for each year after the first."""
    rules = compiled.scheme.consequences
    lifecycle = rules.lifecycle if rules is not None else None
    n = len(data)
    last = _remaining(data, lifecycle)
    out_of_scope = outside(compiled, data)
    base = Slots(data, n, np.zeros(n, dtype=np.int64), last, np.arange(n), np.zeros(n, dtype=np.int64), out_of_scope)
    if lifecycle is None or lifecycle.entrants is None or years < 2 or rules is None or rules.budget is None:
        return base
    entrants = lifecycle.entrants
    per_year = int(round_half_up(np.array(entrants.per_year * n), 0))
    if per_year == 0:
        return base
    gates = [g.attribute for g in rules.budget.gates]
    passing = ~out_of_scope
    for name in gates:
        passing &= np.asarray(data.attributes[name], dtype=np.float64) != 0
    pool = np.flatnonzero(passing) if passing.any() else np.arange(n)
    k = per_year * (years - 1)
    template = pool[np.arange(k) % pool.size]
    entry = np.repeat(np.arange(1, years), per_year)
    duration = entrants.duration
    last_new = entry + duration - 1 if duration is not None else np.full(k, OPEN)
    amounts = np.asarray(data.attributes[rules.budget.amount], dtype=np.float64)
    if entrants.budget == "median":
        first = float(np.median(amounts))
    elif entrants.budget == "mean":
        first = float(amounts.mean())
    else:
        first = float(entrants.budget)
    ids = [f"NEW-Y{int(y) + 1:02d}-{j % per_year + 1:02d}" for j, y in enumerate(entry)]
    attributes = {}
    for name, values in data.attributes.items():
        copied = np.asarray(values)[template]
        if name in gates:
            copied = np.ones(k, dtype=copied.dtype)  # an entrant has passed its ex-ante assessment
        if lifecycle.remaining is not None and name == lifecycle.remaining:
            copied = np.full(k, duration or 0, dtype=copied.dtype)
        attributes[name] = np.concatenate([np.asarray(values), copied])
    extended = replace(
        data,
        units=[*data.units, *ids],
        names=[*data.names, *ids],
        class_index=np.concatenate([data.class_index, data.class_index[template]]),
        values={c: np.concatenate([v, v[template]]) for c, v in data.values.items()},
        missing={c: np.concatenate([v, v[template]]) for c, v in data.missing.items()},
        not_applicable={c: np.concatenate([v, v[template]]) for c, v in data.not_applicable.items()},
        adjustments=np.concatenate([data.adjustments, data.adjustments[template]]),
        vetoes=np.concatenate([data.vetoes, data.vetoes[template]]),
        attributes=attributes,
    )
    return Slots(
        extended,
        n,
        np.concatenate([base.entry, entry]),
        np.concatenate([last, last_new]),
        np.concatenate([base.template, template]),
        np.concatenate([base.entry_budget, np.full(k, int(to_cents(first)))]),
        np.concatenate([out_of_scope, np.zeros(k, dtype=bool)]),
    )


def advance(
    status: NDArray[np.int8],
    suspended: NDArray[np.bool_],
    ended: NDArray[np.bool_] | None,
    completed: NDArray[np.bool_] | None,
    entry: NDArray[np.int64],
    year: int,
) -> tuple[NDArray[np.int8], NDArray[np.int8]]:
    """This year's recorded status, and next year's status at its start.

    ``status`` is the status at the start of ``year``; monitoring's ``suspended`` marks 暂缓 in the
    year; units that ``ended`` leave (completed, or stopped by a rule); units whose ``entry`` is
    next year become active.
    """
    recorded = np.where((status == ACTIVE) & suspended, SUSPENDED, status).astype(np.int8)
    nxt = status.copy()
    if ended is not None:
        left = ended & (status == ACTIVE)
        done = completed if completed is not None else np.zeros_like(left)
        nxt = np.where(left, np.where(done, COMPLETED, STOPPED), nxt).astype(np.int8)
    nxt[:, entry == year + 1] = ACTIVE
    return recorded, nxt
