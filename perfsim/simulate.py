"""Multi-year simulation: each year evaluate → grade → consequences → next year's budget and memory.

All draws of a block are simulated together on the vectorised engine; the only Python
loops run over years and over blocks of draws. Randomness comes from one generator per
block (seeded by ``seed`` and the block's index), so the same seed gives the same panel
whether the blocks run in one process or several.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from concurrent.futures import ProcessPoolExecutor, ThreadPoolExecutor
from dataclasses import dataclass

import numpy as np
import pandas as pd
from numpy.typing import ArrayLike, NDArray

from . import scheme as s
from .compile import CompiledScheme, compile_scheme
from .consequences import State, apply_consequences
from .data import UnitData
from .engine import evaluate
from .errors import ParameterError
from .limits import check_periods, check_seed, check_simulation
from .money import to_yuan
from .population import BehaviourModel, Population, value_from_quality

BLOCK_DRAWS = 100
"""Draws simulated together: fixed so that results do not depend on the number of workers, and
small enough that a block's arrays stay in cache (100 draws × 1,000 units ran fastest here)."""


@dataclass
class Simulation:
    """A simulated panel: arrays of shape years × draws × units.

    Money is in cents (int64); ``budget`` is each year's budget, ``next_budget`` what the
    consequences set for the next year.
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

    @property
    def years(self) -> int:
        return self.total.shape[0]

    @property
    def draws(self) -> int:
        return self.total.shape[1]

    def stuck(self, years: int = 3) -> NDArray[np.bool_]:
        """Units in the lowest grade for at least ``years`` consecutive years (draws × units)."""
        lowest = self.grade == self.compiled.lowest
        run = np.zeros(lowest.shape[1:], dtype=np.int64)
        best = np.zeros_like(run)
        for year in range(self.years):  # a loop over years; units and draws stay vectorised
            run = np.where(lowest[year], run + 1, 0)
            best = np.maximum(best, run)
        return best >= years

    def gini(self) -> NDArray[np.float64]:
        """Gini coefficient of budgets per year and draw (0 = equal, 1 = all in one unit)."""
        if self.budget is None:
            raise ParameterError("this scheme has no budget rules", hint="add consequences.budget")
        x = np.sort(self.budget.astype(np.float64), axis=2)
        n = x.shape[2]
        index = np.arange(1, n + 1)
        total = x.sum(axis=2)
        with np.errstate(invalid="ignore", divide="ignore"):
            return np.where(total > 0, (2 * (x * index).sum(axis=2) / (n * total)) - (n + 1) / n, 0.0)

    def summary(self) -> pd.DataFrame:
        """One row per year: grade shares, lowest-grade share, budget total and Gini, money moved (means)."""
        grades = self.compiled.grades
        out: dict[str, object] = {"year": np.arange(1, self.years + 1)}
        for g, label in enumerate(grades):
            out[f"share {label.zh}"] = (self.grade == g).mean(axis=(1, 2))
        lowest = self.grade == self.compiled.lowest
        run = np.zeros(lowest.shape[1:], dtype=np.int64)
        stuck = []
        for year in range(self.years):
            run = np.where(lowest[year], run + 1, 0)
            stuck.append((run >= 3).mean())
        out["share stuck ≥3y"] = np.array(stuck)
        if self.budget is not None:
            out["budget total"] = to_yuan(self.budget.sum(axis=2)).mean(axis=1)
            out["budget gini"] = self.gini().mean(axis=1)
        out["money moved"] = to_yuan(self.moved).mean(axis=1)
        for name, flag in self.flags.items():
            out[f"flag {name}"] = flag.mean(axis=(1, 2))
        return pd.DataFrame(out)

    def panel(self, draws: list[int] | None = None) -> pd.DataFrame:
        """Tidy rows unit × year × draw (all draws by default; pick a few for large runs)."""
        picked = list(range(self.draws)) if draws is None else draws
        y, d, u = np.meshgrid(np.arange(self.years), picked, np.arange(len(self.data)), indexing="ij")
        frame = pd.DataFrame(
            {
                "year": y.ravel() + 1,
                "draw": d.ravel(),
                "unit": np.asarray(self.data.units)[u.ravel()],
                "total": self.total[:, picked].ravel(),
                "grade": np.array([g.zh for g in self.compiled.grades])[self.grade[:, picked].ravel()],
            }
        )
        if self.budget is not None and self.next_budget is not None:
            frame["budget"] = to_yuan(self.budget[:, picked].ravel())
            frame["next_budget"] = to_yuan(self.next_budget[:, picked].ravel())
        for name, values in self.pay.items():
            frame[f"pay {name}"] = values[:, picked].ravel()
        for name, flag in self.flags.items():
            frame[f"flag {name}"] = flag[:, picked].ravel()
        return frame


@dataclass(frozen=True)
class _Job:
    scheme: s.Scheme
    data: UnitData
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
    }
    rules = compiled.scheme.consequences
    if rules is None:
        return spec
    if rules.budget is not None:
        spec["budget"] = spec["next_budget"] = (np.int64, True)
    if rules.pay is not None:
        if rules.pay.bonus_months is not None:
            spec["pay:bonus"] = (np.float64, True)
        if rules.pay.pool is not None:
            for name in ("base", "departed", "incentive"):
                spec[f"pay:{name}"] = (np.float64, True)
    for flag in rules.flags:
        spec[f"flag:{flag.id}"] = (np.bool_, True)
    return spec


def _allocate(compiled: CompiledScheme, years: int, draws: int, units: int) -> dict[str, NDArray]:
    return {
        name: np.empty((years, draws, units) if per_unit else (years, draws), dtype=dtype)
        for name, (dtype, per_unit) in _output_spec(compiled).items()
    }


def _run_block(
    job: _Job, compiled: CompiledScheme | None = None, out: dict[str, NDArray] | None = None
) -> dict[str, NDArray]:
    """Simulate one block of draws over all years, writing into ``out`` (views of the full arrays)."""
    compiled = compiled or compile_scheme(job.scheme)
    data, model = job.data, job.model
    rng = np.random.Generator(np.random.PCG64(np.random.SeedSequence(job.seed, spawn_key=(job.block,))))
    n_units, n = len(data), job.draws
    out = out if out is not None else _allocate(compiled, job.years, n, n_units)
    present = set(data.class_index.tolist())
    columns = [(cc, col) for ci, cc in enumerate(compiled.classes) if ci in present for col in cc.columns]
    raters = sorted({(cc.indicators[col.leaf].rater or "") for cc, col in columns})  # type: ignore[union-attr]
    base_q = {col.data_columns["value"]: job.quality[col.data_columns["value"]] for _, col in columns}
    targets: dict[str, NDArray[np.float64]] = {}
    state: State | None = None
    first_budget: NDArray[np.float64] | None = None
    capacity = np.ones((1, n_units))
    veto_rates = data.vetoes.mean(axis=0) if data.vetoes.size else np.zeros(0)
    for year in range(job.years):
        shock = rng.standard_normal((n, n_units), dtype=np.float32) * np.float32(model.year_sd)
        noise = {
            r: rng.standard_normal((n, n_units), dtype=np.float32)
            * np.float32(model.rater_noise.get(r, model.default_noise))
            for r in raters
        }
        uniform = rng.random((n, n_units), dtype=np.float32)
        vetoes = None
        if model.veto_events == "resample" and veto_rates.any():  # no veto in the data: none to draw
            vetoes = rng.random((n, *data.vetoes.shape), dtype=np.float32) < veto_rates
        values: dict[str, ArrayLike] = {}
        for cc, col in columns:
            node = cc.indicators[col.leaf]
            assert node is not None and node.method is not None
            name = col.data_columns["value"]
            bias = model.self_bias if node.rater == "self" else 0.0
            q = (base_q[name] + bias) * capacity + shock + noise[node.rater or ""]
            standard = data.values.get(col.data_columns.get("standard", ""))
            inputs = value_from_quality(node, float(cc.nominal_points[col.leaf]), q, uniform, standard)
            if model.ratchet and isinstance(node.method, s.CompletionRatio):
                # this year's target is last year's actual: rescale the actual against the standard
                reference = inputs.get("standard", node.method.standard)
                target = targets.get(name, np.broadcast_to(reference, (1, n_units)))
                actual = inputs["value"]
                inputs["value"] = actual * reference / np.maximum(target, 1e-9)
                targets[name] = actual
            for inp, data_name in col.data_columns.items():
                values[data_name] = inputs[inp]
        ev = evaluate(compiled, data, job.params, values=values, vetoes=vetoes)
        outcome, state = apply_consequences(ev, state)
        out["total"][year] = ev.total
        out["grade"][year] = ev.grade
        out["moved"][year] = outcome.moved
        out["returned"][year] = outcome.returned
        if "budget" in out:
            out["budget"][year] = outcome.budget
            out["next_budget"][year] = outcome.next_budget
            if first_budget is None:
                first_budget = np.maximum(outcome.budget.astype(np.float64), 1.0)
            if model.capacity_elasticity:
                budget = np.maximum(outcome.next_budget.astype(np.float64), 0.0)
                capacity = np.power(budget / first_budget, model.capacity_elasticity)
        for name, pay in outcome.pay.items():
            out[f"pay:{name}"][year] = pay
        for name, flag in outcome.flags.items():
            out[f"flag:{name}"][year] = flag
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
    check_periods(years, draws)
    check_seed(seed, "seed")
    if model is not None and model.veto_events not in ("resample", "fixed"):
        raise ParameterError(f"unknown veto_events '{model.veto_events}'", hint="use resample or fixed")
    pop = population if isinstance(population, Population) else Population.from_data(compiled, population)
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
            pop.data,
            pop.quality,
            fixed,
            model or BehaviourModel(),
            years,
            seed,
            b,
            min(BLOCK_DRAWS, draws - start),
        )
        for b, start in enumerate(range(0, draws, BLOCK_DRAWS))
    ]
    if executor not in ("thread", "process"):
        raise ParameterError(f"unknown executor '{executor}'", hint="use thread or process")
    workers = workers or os.cpu_count() or 1
    per_cell = sum(np.dtype(dtype).itemsize for dtype, per_unit in _output_spec(compiled).values() if per_unit)
    check_simulation(years, draws, len(pop.data), per_cell)
    full = _allocate(compiled, years, draws, len(pop.data))
    starts = [b * BLOCK_DRAWS for b in range(len(jobs))]

    def run_into(index: int) -> None:
        sl = slice(starts[index], starts[index] + jobs[index].draws)
        _run_block(jobs[index], compiled, {name: arr[:, sl] for name, arr in full.items()})

    if workers > 1 and len(jobs) > 1 and executor == "process":
        with ProcessPoolExecutor(max_workers=workers) as processes:
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
        data=pop.data,
        total=full["total"],
        grade=full["grade"],
        budget=full.get("budget"),
        next_budget=full.get("next_budget"),
        moved=full["moved"],
        returned=full["returned"],
        pay={k.removeprefix("pay:"): v for k, v in full.items() if k.startswith("pay:")},
        flags={k.removeprefix("flag:"): v for k, v in full.items() if k.startswith("flag:")},
    )
