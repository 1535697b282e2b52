"""Multi-year simulation: each year evaluate → grade → consequences → next year's budget, status and memory.

All draws of a block are simulated together on the vectorised engine; the only Python
loops run over years, blocks of draws and score columns. Randomness comes from one generator
per block (seeded by ``seed`` and the block's index), so the same seed gives the same panel
whether the blocks run in one process or several. Raw values come from each indicator's
scorer inverse (:mod:`perfsim.inverse`); units enter, pause and leave as the scheme's rules
and lifecycle say (:mod:`perfsim.lifecycle`), and every summary counts the units present.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field

import numpy as np
import pandas as pd
from numpy.typing import ArrayLike, NDArray

from . import scheme as s
from .allocator import retain_freed_memory
from .compile import CompiledScheme, compile_scheme
from .consequences import Portfolio, State, apply_consequences
from .data import UnitData
from .engine import evaluate
from .errors import ParameterError
from .inverse import Inverse, build_inverse
from .lifecycle import ACTIVE, STATUS, SUSPENDED, Slots, advance, slots_for
from .limits import check_periods, check_seed, check_simulation
from .money import to_yuan
from .population import BehaviourModel, Population
from .workers import worker_pool

BLOCK_DRAWS = 100
"""Draws simulated together: fixed so that results do not depend on the number of workers, and
small enough that a block's arrays stay in cache (100 draws × 1,000 units ran fastest here)."""


@dataclass
class Simulation:
    """A simulated panel: arrays of shape years × draws × units.

    Money is in cents (int64); ``budget`` is each year's budget, ``next_budget`` what the
    consequences set for the next year. ``status`` holds each unit's status code
    (:data:`perfsim.lifecycle.STATUS`); units not present in a year (stopped, completed or not
    yet entered) have total NaN, grade −1, no flag, no pay and no budget, and no summary counts them.
    """

    compiled: CompiledScheme
    data: UnitData
    total: NDArray[np.float64]
    grade: NDArray[np.int8]
    budget: NDArray[np.int64] | None
    next_budget: NDArray[np.int64] | None
    moved: NDArray[np.int64]
    """Money moved per year and draw (cuts + increases + reallocations), cents."""
    returned: NDArray[np.int64]
    pay: dict[str, NDArray[np.float64]]
    flags: dict[str, NDArray[np.bool_]]
    status: NDArray[np.int8] | None = None
    envelope: NDArray[np.int64] | None = None
    """The envelope of each year's next budgets per year and draw (cents); None without one."""
    rank_rewards: dict[str, NDArray[np.int64]] = field(default_factory=dict)
    """Each rank-reward rule's amounts per year, draw and unit (cents: a reward positive, a fine negative)."""

    @property
    def years(self) -> int:
        return self.total.shape[0]

    @property
    def draws(self) -> int:
        return self.total.shape[1]

    @property
    def present(self) -> NDArray[np.bool_]:
        """Units present each year (active or suspended), years × draws × units."""
        if self.status is None:
            return np.ones(self.total.shape, dtype=bool)
        return (self.status == ACTIVE) | (self.status == SUSPENDED)

    def _runs(self) -> list[NDArray[np.int64]]:
        """Each year's run of consecutive lowest-grade years (a unit that leaves ends its run)."""
        lowest = (self.grade == self.compiled.lowest) & self.present
        run = np.zeros(lowest.shape[1:], dtype=np.int64)
        runs = []
        for year in range(self.years):  # a loop over years; units and draws stay vectorised
            run = np.where(lowest[year], run + 1, 0)
            runs.append(run)
        return runs

    def stuck(self, years: int = 3) -> NDArray[np.bool_]:
        """Units in the lowest grade for at least ``years`` consecutive years they were present (draws × units)."""
        best = np.zeros(self.total.shape[1:], dtype=np.int64)
        for run in self._runs():
            best = np.maximum(best, run)
        return best >= years

    def gini(self) -> NDArray[np.float64]:
        """Gini coefficient of the budgets of units present, per year and draw (0 = equal, 1 = all in one unit)."""
        if self.budget is None:
            raise ParameterError("this scheme has no budget rules", hint="add consequences.budget")
        present = self.present
        x = np.sort(np.where(present, self.budget.astype(np.float64), -1.0), axis=2)  # the absent first
        n = present.sum(axis=2)
        rank = np.arange(1, x.shape[2] + 1) - (x.shape[2] - n)[..., None]  # 1..n over the units present
        x = np.maximum(x, 0.0)
        total = x.sum(axis=2)
        with np.errstate(invalid="ignore", divide="ignore"):
            gini = 2 * (x * rank).sum(axis=2) / (n * total) - (n + 1) / n
        return np.where((total > 0) & (n > 0), gini, 0.0)

    def summary(self) -> pd.DataFrame:
        """One row per year (means over draws), counting only the units present that year.

        Columns: units present, each grade's share of them, the share of them in the lowest
        grade for three or more consecutive years, budget total and Gini of their budgets, the
        envelope, money moved, each flag's share of them, and the units suspended, stopped,
        completed or not yet entered. ``frame.attrs["counted"]`` says what the shares count.
        """
        grades = self.compiled.grades
        present = self.present
        count = present.sum(axis=2)
        n = np.maximum(count, 1)
        out: dict[str, object] = {"year": np.arange(1, self.years + 1), "units present": count.mean(axis=1)}
        for g, label in enumerate(grades):
            out[f"share {label.zh}"] = (((self.grade == g) & present).sum(axis=2) / n).mean(axis=1)
        out["share stuck ≥3y"] = np.array(
            [(((run >= 3) & p).sum(axis=1) / c).mean() for run, p, c in zip(self._runs(), present, n)]
        )
        if self.budget is not None:
            out["budget total"] = to_yuan(self.budget.sum(axis=2)).mean(axis=1)
            out["budget gini"] = self.gini().mean(axis=1)
        if self.envelope is not None:
            out["envelope next year"] = to_yuan(self.envelope).mean(axis=1)
        out["money moved"] = to_yuan(self.moved).mean(axis=1)
        for name, flag in self.flags.items():
            out[f"flag {name}"] = ((flag & present).sum(axis=2) / n).mean(axis=1)
        if self.status is not None:
            for code, label in enumerate(STATUS):
                if code != ACTIVE:
                    out[f"units {label.english()}"] = (self.status == code).sum(axis=2).mean(axis=1)
        frame = pd.DataFrame(out)
        frame.attrs["counted"] = "units present that year (active or suspended); shares are of them"
        return frame

    def panel(self, draws: list[int] | None = None) -> pd.DataFrame:
        """Tidy rows unit × year × draw (all draws by default; pick a few for large runs).

        ``status`` names each unit's status that year; a unit not present has no grade (empty) and
        no total (NaN).
        """
        picked = list(range(self.draws)) if draws is None else draws
        y, d, u = np.meshgrid(np.arange(self.years), picked, np.arange(len(self.data)), indexing="ij")
        grade = self.grade[:, picked].ravel()
        names = np.array([g.zh for g in self.compiled.grades] + [""])
        frame = pd.DataFrame(
            {
                "year": y.ravel() + 1,
                "draw": d.ravel(),
                "unit": np.asarray(self.data.units)[u.ravel()],
                "total": self.total[:, picked].ravel(),
                "grade": names[np.where(grade < 0, len(names) - 1, grade)],
            }
        )
        if self.status is not None:
            frame["status"] = np.array([s.zh for s in STATUS])[self.status[:, picked].ravel()]
        if self.budget is not None and self.next_budget is not None:
            frame["budget"] = to_yuan(self.budget[:, picked].ravel())
            frame["next_budget"] = to_yuan(self.next_budget[:, picked].ravel())
        for name, values in self.pay.items():
            frame[f"pay {name}"] = values[:, picked].ravel()
        for name, flag in self.flags.items():
            frame[f"flag {name}"] = flag[:, picked].ravel()
        for name, amount in self.rank_rewards.items():
            frame[f"rank reward {name}"] = to_yuan(amount[:, picked].ravel())
        return frame


@dataclass(frozen=True)
class _Job:
    scheme: s.Scheme
    slots: Slots
    quality: dict[str, NDArray[np.float64]]
    params: dict[str, NDArray[np.float64]]
    model: BehaviourModel
    years: int
    seed: int
    block: int
    draws: int


def _output_spec(compiled: CompiledScheme) -> dict[str, tuple[type, bool]]:
    """Output arrays of a simulation: name → (dtype, has a unit axis)."""
    spec: dict[str, tuple[type, bool]] = {
        "total": (np.float64, True),
        "grade": (np.int8, True),
        "moved": (np.int64, False),
        "returned": (np.int64, False),
        "status": (np.int8, True),
    }
    rules = compiled.scheme.consequences
    if rules is None:
        return spec
    if rules.budget is not None:
        spec["budget"] = spec["next_budget"] = (np.int64, True)
        if not rules.budget.envelope.treasury:
            spec["envelope"] = (np.int64, False)
    if rules.pay is not None:
        if rules.pay.bonus_months is not None:
            spec["pay:bonus"] = (np.float64, True)
        if rules.pay.pool is not None:
            for name in ("base", "departed", "incentive"):
                spec[f"pay:{name}"] = (np.float64, True)
        if rules.pay.by_grade is not None:
            spec["pay:by_grade"] = (np.float64, True)
    for rule in rules.rank_rewards:
        spec[f"rank:{rule.id}"] = (np.int64, True)
    for flag in rules.flags:
        spec[f"flag:{flag.id}"] = (np.bool_, True)
    return spec


def _allocate(compiled: CompiledScheme, years: int, draws: int, units: int) -> dict[str, NDArray]:
    return {
        name: np.empty((years, draws, units) if per_unit else (years, draws), dtype=dtype)
        for name, (dtype, per_unit) in _output_spec(compiled).items()
    }


@dataclass(frozen=True)
class _Column:
    """A score column as the simulation draws it: data column names, rater, inverse."""

    name: str
    inputs: dict[str, str]
    rater: str
    self_rated: bool
    inverse: Inverse
    ratchet: bool
    standard: NDArray[np.float64] | None
    node: s.Indicator
    points: float
    units: NDArray[np.bool_] | None
    """The class's units where another class reads the same data column (its inverse may differ)."""


def _columns(compiled: CompiledScheme, data: UnitData, ratchet: bool) -> list[_Column]:
    present = set(data.class_index.tolist())
    out = []
    readers: dict[str, int] = {}
    for ci, cc in enumerate(compiled.classes):
        for col in cc.columns:
            if ci in present:
                readers[col.data_columns["value"]] = readers.get(col.data_columns["value"], 0) + 1
    for ci, cc in enumerate(compiled.classes):
        if ci not in present:
            continue
        for col in cc.columns:
            node = cc.indicators[col.leaf]
            assert node is not None and node.method is not None
            points = float(cc.nominal_points[col.leaf])
            shared = readers[col.data_columns["value"]] > 1
            out.append(
                _Column(
                    name=col.data_columns["value"],
                    inputs=col.data_columns,
                    rater=node.rater or "",
                    self_rated=node.rater == "self",
                    inverse=build_inverse(node, points),
                    ratchet=ratchet and isinstance(node.method, s.CompletionRatio),
                    standard=data.values.get(col.data_columns.get("standard", "")),
                    node=node,
                    points=points,
                    units=data.class_index == ci if shared else None,
                )
            )
    return out


def _redrawn(compiled: CompiledScheme, slots: Slots) -> dict[str, float]:
    """Event attributes drawn afresh each year: attribute → share of the data's units showing it."""
    rules = compiled.scheme.consequences
    return {
        rule.attribute: float(
            np.mean(np.asarray(slots.data.attributes[rule.attribute], dtype=np.float64)[: slots.initial] != 0)
        )
        for rule in (rules.evolve if rules is not None else [])
        if rule.redraw
    }


def _evolving(compiled: CompiledScheme) -> list[tuple[str, list[str], float, float]]:
    """Attributes that follow an indicator: (attribute, its data columns, range low, range high)."""
    rules = compiled.scheme.consequences
    out = []
    for rule in rules.evolve if rules is not None else []:
        if rule.follows is None or rule.range is None:
            continue
        names = [
            col.data_columns["value"]
            for cc in compiled.classes
            for col in cc.columns
            if cc.ids[col.leaf] == rule.follows
        ]
        out.append((rule.attribute, names, rule.range[0], rule.range[1]))
    return out


def _resample(job: _Job, rng: np.random.Generator, n: int) -> NDArray[np.int64] | None:
    """For each draw, the unit of the data whose quality each entrant takes (same class), or None."""
    slots = job.slots
    if not slots.entrants:
        return None
    classes = slots.data.class_index
    pick = np.broadcast_to(np.arange(len(slots.data)), (n, len(slots.data))).copy()
    for ci in np.unique(classes[slots.initial :]):  # a loop over classes
        members = np.flatnonzero(classes[: slots.initial] == ci)
        new = slots.initial + np.flatnonzero(classes[slots.initial :] == ci)
        pick[:, new] = members[rng.integers(0, members.size, (n, new.size))]
    return pick


def _run_block(
    job: _Job, compiled: CompiledScheme | None = None, out: dict[str, NDArray] | None = None
) -> dict[str, NDArray]:
    """Simulate one block of draws over all years, writing into ``out`` (views of the full arrays)."""
    retain_freed_memory()  # once per process: a worker process runs blocks too
    compiled = compiled or compile_scheme(job.scheme)
    slots, model = job.slots, job.model
    data = slots.data
    rng = np.random.Generator(np.random.PCG64(np.random.SeedSequence(job.seed, spawn_key=(job.block,))))
    n_units, n = len(data), job.draws
    out = out if out is not None else _allocate(compiled, job.years, n, n_units)
    columns = _columns(compiled, data, model.ratchet)
    raters = sorted({c.rater for c in columns})
    pick = _resample(job, rng, n)
    base_q = {c.name: job.quality[c.name] if pick is None else job.quality[c.name][pick] for c in columns}
    evolving = _evolving(compiled)
    redrawn = _redrawn(compiled, slots)
    base_attr = {}
    for attribute, _, _, _ in evolving:
        given = np.asarray(data.attributes[attribute], dtype=np.float64)
        base_attr[attribute] = given if pick is None else given[pick]
    rules = compiled.scheme.consequences
    budget_rules = rules.budget if rules is not None else None
    growth = budget_rules.envelope.growth if budget_rules is not None else 0.0
    targets: dict[str, NDArray[np.float64]] = {}
    state: State | None = None
    first_budget = np.zeros((n, n_units))
    capacity: NDArray[np.float64] = np.ones((1, n_units))
    veto_rates = data.vetoes[: slots.initial].mean(axis=0) if data.vetoes.size else np.zeros(0)
    status = slots.first_status(n)
    for year in range(job.years):
        present = status == ACTIVE
        shock = rng.standard_normal((n, n_units), dtype=np.float32) * np.float32(model.year_sd)
        noise = {
            r: rng.standard_normal((n, n_units), dtype=np.float32)
            * np.float32(model.rater_noise.get(r, model.default_noise))
            for r in raters
        }
        vetoes = None
        if model.veto_events == "resample" and veto_rates.any():  # no veto in the data: none to draw
            vetoes = rng.random((n, *data.vetoes.shape), dtype=np.float32) < veto_rates
        values: dict[str, ArrayLike] = {}
        quality: dict[str, NDArray[np.float64]] = {}
        for col in columns:
            bias = model.self_bias if col.self_rated else 0.0
            # (base + bias) × capacity + shock + noise, in place: the same arithmetic, fewer temporaries
            q = np.multiply(base_q[col.name] + bias, capacity, out=np.empty((n, n_units)))
            q += shock
            q += noise[col.rater]
            if col.units is not None and col.name in quality:
                q = np.where(col.units, q, quality[col.name])
            quality[col.name] = q
            u = rng.random((n, n_units), dtype=np.float32) if col.inverse.discrete else None
            inputs = col.inverse(q / 100.0, u, col.standard)
            if col.ratchet:
                # this year's target is last year's actual: rescale the actual against the standard
                reference = inputs.get("standard", col.inverse.completion[1] if col.inverse.completion else 100.0)
                target = targets.get(col.name, np.broadcast_to(reference, (1, n_units)))
                actual = inputs["value"]
                inputs["value"] = actual * reference / np.maximum(target, 1e-9)
                targets[col.name] = actual
            for inp, data_name in col.inputs.items():
                if col.units is not None and data_name in values:
                    values[data_name] = np.where(col.units, inputs[inp], values[data_name])
                else:
                    values[data_name] = inputs[inp]
        attributes = {name: (rng.random((n, n_units)) < rate).astype(np.float64) for name, rate in redrawn.items()}
        for attribute, names, low, high in evolving:
            moved = np.mean([quality[c] - base_q[c] for c in names], axis=0)
            attributes[attribute] = np.clip(base_attr[attribute] + moved / 100.0 * (high - low), low, high)
        everyone = bool(present.all())
        ev = evaluate(
            compiled,
            data,
            job.params,
            values=values,
            vetoes=vetoes,
            present=None if everyone else present,
            check_marks=False,  # marks come from the scorers' inverses, inside their scales by construction
        )
        portfolio = Portfolio(
            present=present,
            completing=present & (slots.last == year),
            entering=slots.entering(year + 1, growth) if slots.entrants else None,
            attributes=attributes,
        )
        outcome, state = apply_consequences(ev, state, portfolio=portfolio)
        recorded, status = advance(status, outcome.suspended, outcome.ended, outcome.completed, slots.entry, year)
        out["status"][year] = recorded
        out["total"][year] = ev.total if everyone else np.where(present, ev.total, np.nan)
        out["grade"][year] = ev.grade if everyone else np.where(present, ev.grade, -1)
        out["moved"][year] = outcome.moved
        out["returned"][year] = outcome.returned
        if "budget" in out:
            out["budget"][year] = outcome.budget
            out["next_budget"][year] = outcome.next_budget
            if "envelope" in out and outcome.envelope is not None:
                out["envelope"][year] = outcome.envelope
            if model.capacity_elasticity:
                if year == 0:
                    first_budget = outcome.budget.astype(np.float64)
                budget = np.maximum(outcome.next_budget.astype(np.float64), 0.0)
                first_budget = np.where(first_budget > 0, first_budget, budget)  # an entrant's first budget
                with np.errstate(invalid="ignore", divide="ignore"):
                    ratio = np.where(first_budget > 0, budget / first_budget, 1.0)
                capacity = np.power(ratio, model.capacity_elasticity)
        for name, pay in outcome.pay.items():
            out[f"pay:{name}"][year] = pay
        for name, flag in outcome.flags.items():
            out[f"flag:{name}"][year] = flag
        for name, result in outcome.rank_rewards.items():
            out[f"rank:{name}"][year] = result.amount
    return out


def simulate(
    compiled: CompiledScheme,
    population: Population | UnitData,
    *,
    years: int,
    draws: int = 1,
    seed: int = 0,
    params: Mapping[str, ArrayLike] | None = None,
    model: BehaviourModel | None = None,
    workers: int | None = None,
    executor: str = "thread",
) -> Simulation:
    """Run a scheme forward ``years`` periods for ``draws`` random draws.

    Parameters
    ----------
    compiled
        The scheme, with its consequence rules.
    population
        Units (real data, or synthetic from :func:`perfsim.population.synthetic_units`).
    years
        Periods to simulate (years; months for monthly schemes such as 篇十六).
    draws
        Independent random draws (each a possible history).
    seed
        Same seed, same panel, whatever ``workers`` is.
    params
        Scheme parameters, fixed over the years (one value each, not per draw).
    model
        Behaviour model; defaults are stated in :class:`~perfsim.population.BehaviourModel`.
    workers
        Workers sharing the draws (in blocks of 100 draws); default: one per core.
    executor
        ``thread`` (default: numpy releases the GIL, nothing is copied) or ``process``.

    Returns
    -------
    Simulation
    """
    return simulate_draws(compiled, population, years, 0, draws, seed, params, model, workers, executor)


def simulate_draws(
    compiled: CompiledScheme,
    population: Population | UnitData,
    years: int,
    start: int,
    stop: int,
    seed: int = 0,
    params: Mapping[str, ArrayLike] | None = None,
    model: BehaviourModel | None = None,
    workers: int | None = None,
    executor: str = "thread",
) -> Simulation:
    """Draws ``start … stop − 1`` of :func:`simulate`'s run with ``seed``, the same whatever the range.

    ``start`` is a multiple of :data:`BLOCK_DRAWS` and ``stop`` one too, or the last draw of the
    run: randomness belongs to blocks of draws, so a range of whole blocks holds the very draws a
    longer run holds there (:func:`simulate` is
    ``simulate_draws(…, 0, draws, …)``; :func:`perfsim.simulate_stream.simulate_summary` runs
    ranges one after another).
    """
    if start % BLOCK_DRAWS:
        raise ParameterError(f"a range of draws starts at a multiple of {BLOCK_DRAWS}, not {start}")
    draws = stop - start
    check_periods(years, draws)
    check_seed(seed, "seed")
    if model is not None and model.veto_events not in ("resample", "fixed"):
        raise ParameterError(f"unknown veto_events '{model.veto_events}'", hint="use resample or fixed")
    pop = population if isinstance(population, Population) else Population.from_data(compiled, population)
    slots = slots_for(compiled, pop.data, years)
    quality = {name: q[slots.template] for name, q in pop.quality.items()}
    for col in _columns(compiled, slots.data, False):  # each inverse checked against its scorer once
        col.inverse.verify(col.node, col.points, col.standard)
    fixed = {}
    for name, value in (params or {}).items():
        arr = np.asarray(value, dtype=np.float64)
        if arr.size != 1:
            raise ParameterError(
                f"simulation parameter '{name}' must be one value",
                field=name,
                hint="simulate one setting at a time; compare settings with several runs",
            )
        fixed[name] = arr.reshape(1)
    compiled.parameters.resolve(fixed)  # clear errors before any work
    jobs = [
        _Job(
            compiled.scheme,
            slots,
            quality,
            fixed,
            model or BehaviourModel(),
            years,
            seed,
            start // BLOCK_DRAWS + b,
            min(BLOCK_DRAWS, draws - first),
        )
        for b, first in enumerate(range(0, draws, BLOCK_DRAWS))
    ]
    if executor not in ("thread", "process"):
        raise ParameterError(f"unknown executor '{executor}'", hint="use thread or process")
    workers = workers or os.cpu_count() or 1
    per_cell = sum(np.dtype(dtype).itemsize for dtype, per_unit in _output_spec(compiled).values() if per_unit)
    check_simulation(years, draws, len(slots.data), per_cell)
    full = _allocate(compiled, years, draws, len(slots.data))
    starts = [b * BLOCK_DRAWS for b in range(len(jobs))]

    def run_into(index: int) -> None:
        sl = slice(starts[index], starts[index] + jobs[index].draws)
        _run_block(jobs[index], compiled, {name: arr[:, sl] for name, arr in full.items()})

    if workers > 1 and len(jobs) > 1 and executor == "process":
        with worker_pool(workers) as processes:
            for index, part in enumerate(processes.map(_run_block, jobs)):
                sl = slice(starts[index], starts[index] + jobs[index].draws)
                for name, arr in part.items():
                    full[name][:, sl] = arr
    elif workers > 1 and len(jobs) > 1:
        with ThreadPoolExecutor(max_workers=workers) as threads:
            list(threads.map(run_into, range(len(jobs))))
    else:
        for index in range(len(jobs)):
            run_into(index)
    return Simulation(
        compiled=compiled,
        data=slots.data,
        total=full["total"],
        grade=full["grade"],
        budget=full.get("budget"),
        next_budget=full.get("next_budget"),
        moved=full["moved"],
        returned=full["returned"],
        pay={k.removeprefix("pay:"): v for k, v in full.items() if k.startswith("pay:")},
        flags={k.removeprefix("flag:"): v for k, v in full.items() if k.startswith("flag:")},
        rank_rewards={k.removeprefix("rank:"): v for k, v in full.items() if k.startswith("rank:")},
        status=full["status"],
        envelope=full.get("envelope"),
    )
