"""Global sensitivity with SALib (Sobol, Morris) over grouped factors, on outcomes designers care about.

A factor is a scheme parameter (a weight, a cut-off, a cap, a quota, a period share) or a
shift added to a data column for every unit (``value:<column>``: a systematic measurement
error). Factors may be grouped (a tier's weights as one group); weights are rescaled within
their tier after sampling so that every tier keeps its sum. All sample rows are evaluated in
vectorised calls, a chunk of rows at a time (:mod:`perfsim.stream`), here or on a Dask cluster.
"""

from __future__ import annotations

import warnings
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd
from numpy.typing import NDArray

from ..compile import CompiledScheme
from ..data import UnitData
from ..engine import Evaluation, evaluate
from ..errors import ParameterError
from ..stream import chunk_size_for, map_chunks, ranges
from .metrics import budget_change, change_measures, lowest_share, main_measure, money, require_grading
from .thresholds import value_bounds
from .weights import tiers

Output = Callable[[Evaluation], NDArray[np.float64]]


@dataclass(frozen=True)
class Factor:
    """An uncertain input over ``[low, high]``; factors sharing a ``group`` move together in Sobol."""

    name: str
    low: float
    high: float
    group: str | None = None


def weight_factors(compiled: CompiledScheme, spread: float = 0.3) -> list[Factor]:
    """Every tier's weights as factors (nominal × [1 − spread, 1 + spread]), one group per tier."""
    out = []
    for tier in tiers(compiled):
        group = f"{tier.class_id}/{tier.parent}" if compiled.multi_class else tier.parent
        for name, nominal in zip(tier.params, tier.nominal):
            out.append(Factor(name, nominal * (1 - spread), nominal * (1 + spread), group))
    return out


def standard_outputs(
    compiled: CompiledScheme, unit: str | None = None, data: UnitData | None = None
) -> dict[str, Output]:
    """Share graded lowest; total budget cut (with budget rules); one unit's total (if named).

    None of them reads ranks, so the model runs without ranking (see :func:`rankless`).
    """
    require_grading(compiled, "global sensitivity with the standard outputs")
    out: dict[str, Output] = {f"share {compiled.grades[compiled.lowest].zh}": rankless(lambda ev: lowest_share(ev))}
    rules = compiled.scheme.consequences
    if rules is not None and rules.budget is not None:

        def budget_cut(ev: Evaluation) -> NDArray[np.float64]:
            change = budget_change(ev)
            assert change is not None
            return np.maximum(-change, 0).sum(axis=1)

        out["budget cut"] = rankless(budget_cut)
    if unit is not None:
        assert data is not None
        position = data.unit_position(unit)
        out[f"total of {unit}"] = rankless(lambda ev: ev.total[:, position])
    return out


def rankless(output: Output) -> Output:
    """Mark an output as reading no ranks: when every output is so marked, :func:`sobol` and
    :func:`morris` evaluate without ranking (a sort per row, often a third of the model's time)."""
    output.needs_ranks = False  # type: ignore[attr-defined]
    return output


def _needs_ranks(outputs: Mapping[str, Output]) -> bool:
    return any(getattr(fn, "needs_ranks", True) for fn in outputs.values())


def change_outputs(compiled: CompiledScheme, data: UnitData) -> dict[str, Output]:
    """Outputs that every scheme can move: units changing grade, mean |rank shift| and money against
    the scheme as written (see :func:`~perfsim.analysis.metrics.change_measures`), main measure first.

    Use them with :func:`sobol` or :func:`morris` to ask which levers move grades, ranks and money
    most; a rank-tier scheme's grade shares never move, these do.
    """
    baseline = evaluate(compiled, data, ranks=True)
    baseline_money = money(baseline)
    names = list(change_measures(baseline, baseline, baseline_money).columns)
    main = main_measure(compiled)
    names = [main, *(n for n in names if n != main)]
    last: list = [None, None]  # (evaluation, its table): every output reads the same table

    def measures(ev: Evaluation) -> pd.DataFrame:
        if last[0] is not ev:
            last[:] = [ev, change_measures(ev, baseline, baseline_money)]
        return last[1]  # type: ignore[no-any-return]

    def output(name: str) -> Output:
        return lambda ev: measures(ev)[name].to_numpy(dtype=np.float64)

    return {name: output(name) for name in names}


def _problem(factors: Sequence[Factor]) -> dict:
    if not factors:
        raise ParameterError("no factors given", hint="e.g. weight_factors(compiled)")
    names = [f.name for f in factors]
    if len(set(names)) != len(names):
        raise ParameterError("a factor is listed twice", hint="give each factor once")
    for f in factors:
        if not f.low < f.high:
            raise ParameterError(f"factor '{f.name}' needs low < high", field=f.name, hint="widen the range")
    problem = {"num_vars": len(factors), "names": names, "bounds": [[f.low, f.high] for f in factors]}
    if any(f.group for f in factors):
        problem["groups"] = [f.group or f.name for f in factors]
    return problem


def _evaluate_rows(
    compiled: CompiledScheme,
    data: UnitData,
    factors: Sequence[Factor],
    rows: NDArray[np.float64],
    ranks: bool = True,
) -> Evaluation:
    params: dict[str, NDArray[np.float64]] = {}
    values: dict[str, NDArray[np.float64]] = {}
    for j, f in enumerate(factors):
        if f.name.startswith("value:"):
            column = f.name.removeprefix("value:")
            if column not in data.values:
                raise ParameterError(
                    f"'{column}' is not an indicator data column",
                    field=f.name,
                    hint="use value:<column> with a column of the data",
                )
            # a systematic error cannot take a mark past its scale or a count below zero
            low, high, _ = value_bounds(compiled, column)
            values[column] = np.clip(data.values[column][None, :] + rows[:, j : j + 1], low, high)
        else:
            params[f.name] = rows[:, j]
    # rescale sampled weights within their tier so every tier keeps its sum
    for tier in tiers(compiled):
        moved = [p for p in tier.params if p in params]
        if not moved:
            continue
        columns = np.stack(
            [
                params[p] if p in params else np.full(rows.shape[0], nominal)
                for p, nominal in zip(tier.params, tier.nominal)
            ],
            axis=1,
        )
        columns *= tier.total / columns.sum(axis=1, keepdims=True)
        for j, p in enumerate(tier.params):
            params[p] = columns[:, j]
    compiled.parameters.resolve(params)
    # marks were clipped into every reading method's range above: nothing for evaluate to refuse
    return evaluate(compiled, data, params, values=values or None, ranks=ranks or None, check_marks=False)


def _outputs(outputs: Mapping[str, Output] | None, compiled: CompiledScheme) -> Mapping[str, Output]:
    return outputs if outputs is not None else standard_outputs(compiled)


def _chunk_outputs(
    compiled: CompiledScheme,
    data: UnitData,
    factors: Sequence[Factor],
    outputs: Mapping[str, Output],
    rows: NDArray[np.float64],
    start: int,
    stop: int,
) -> dict[str, NDArray[np.float64]]:
    """Every output for sample rows ``start … stop − 1``: one value per row, so chunks fit together in any order."""
    ev = _evaluate_rows(compiled, data, factors, rows[start:stop], _needs_ranks(outputs))
    return {
        name: np.broadcast_to(np.ravel(np.asarray(fn(ev), dtype=np.float64)), (stop - start,))
        for name, fn in outputs.items()
    }


def model_outputs(
    compiled: CompiledScheme,
    data: UnitData,
    factors: Sequence[Factor],
    rows: NDArray[np.float64],
    outputs: Mapping[str, Output],
    *,
    chunk_size: int | None = None,
    scheduler: Any = None,
) -> dict[str, NDArray[np.float64]]:
    """The outputs of every sample row, evaluated in chunks of rows (in this process or on Dask).

    Memory is bounded by a chunk of rows × units; what is kept is one float per row and output.
    Each row's outputs depend on that row alone, so they are the same for every chunk size.
    """
    size = chunk_size_for(len(data), chunk_size)
    out = {name: np.empty(rows.shape[0]) for name in outputs}
    for (start, stop), part in map_chunks(
        _chunk_outputs,
        ranges(rows.shape[0], size),
        compiled,
        data,
        list(factors),
        dict(outputs),
        rows,
        scheduler=scheduler,
    ):
        for name, values in part.items():
            out[name][start:stop] = values
    return out


def _sobol_sample(problem: dict, n: int, second_order: bool, seed: int) -> NDArray[np.float64]:
    from SALib.sample import sobol as sobol_sample

    if n < 64 or n & (n - 1):
        raise ParameterError(
            f"n = {n} is too small or not a power of two for Sobol indices",
            hint="use n = 1024 (or at least 64, a power of two)",
        )
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        rows: NDArray[np.float64] = sobol_sample.sample(problem, n, calc_second_order=second_order, seed=seed)
    return rows


def _sobol_indices(
    problem: dict, y: NDArray[np.float64], second_order: bool, confidence: float, seed: int
) -> dict[str, Any]:
    from SALib.analyze import sobol as sobol_analyze

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        result: dict[str, Any] = sobol_analyze.analyze(
            problem,
            y,
            calc_second_order=second_order,
            conf_level=confidence,
            seed=_bootstrap_seed(seed),
            print_to_console=False,
        )
    return result


def _bootstrap_seed(seed: int) -> int:
    """A nonzero seed for SALib's bootstrap: SALib tests ``if seed:``, so a seed of 0 would leave the
    confidence intervals unseeded (different on every run)."""
    return int(np.random.SeedSequence(seed).generate_state(1)[0]) or 1


def sobol(
    compiled: CompiledScheme,
    data: UnitData,
    factors: Sequence[Factor],
    n: int = 1024,
    *,
    outputs: Mapping[str, Output] | None = None,
    seed: int = 0,
    confidence: float = 0.95,
    chunk_size: int | None = None,
    scheduler: Any = None,
) -> pd.DataFrame:
    """Sobol first-order and total indices (Saltelli sampling) per factor or group and output.

    Parameters
    ----------
    n
        Base sample size, a power of two, at least 64; the model runs n × (groups + 2) times.
    chunk_size
        Sample rows evaluated at once (default: about 2,000,000 rows × units); memory is bounded by it.
    scheduler
        None to run here, or a Dask scheduler address, ``distributed.Client`` or ``LocalCluster``
        to spread the chunks over its workers; the indices are the same.

    Returns
    -------
    pandas.DataFrame
        ``output, factor, S1, S1_conf, ST, ST_conf``.
    """
    problem = _problem(factors)
    rows = _sobol_sample(problem, n, False, seed)
    ys = model_outputs(
        compiled, data, factors, rows, _outputs(outputs, compiled), chunk_size=chunk_size, scheduler=scheduler
    )
    labels = list(dict.fromkeys(problem.get("groups", problem["names"])))
    frames = []
    for name, y in ys.items():
        res = _sobol_indices(problem, y, False, confidence, seed)
        frames.append(
            pd.DataFrame(
                {
                    "output": name,
                    "factor": labels,
                    "S1": res["S1"],
                    "S1_conf": res["S1_conf"],
                    "ST": res["ST"],
                    "ST_conf": res["ST_conf"],
                }
            )
        )
    return pd.concat(frames, ignore_index=True)


def sobol_interactions(
    compiled: CompiledScheme,
    data: UnitData,
    factors: Sequence[Factor],
    n: int = 1024,
    *,
    outputs: Mapping[str, Output] | None = None,
    seed: int = 0,
    confidence: float = 0.95,
    chunk_size: int | None = None,
    scheduler: Any = None,
) -> pd.DataFrame:
    """Second-order Sobol indices: the share of an output's variance due to two factors (or groups) together.

    ``S2`` of a pair is what their joint effect adds beyond each one's first-order effect; a
    large value means the two levers must be read together (e.g. a weight that matters only
    when a cut-off is high). The model runs n × (2 × groups + 2) times (Saltelli's design with
    second order), in chunks as in :func:`sobol`.

    Returns
    -------
    pandas.DataFrame
        ``output, factor, other, S2, S2_conf``: one row per pair of factors (or groups).
    """
    problem = _problem(factors)
    labels = list(dict.fromkeys(problem.get("groups", problem["names"])))
    if len(labels) < 2:
        raise ParameterError("second-order indices need at least two factors or groups", hint="add a factor")
    rows = _sobol_sample(problem, n, True, seed)
    ys = model_outputs(
        compiled, data, factors, rows, _outputs(outputs, compiled), chunk_size=chunk_size, scheduler=scheduler
    )
    first, second = np.triu_indices(len(labels), k=1)
    frames = []
    for name, y in ys.items():
        res = _sobol_indices(problem, y, True, confidence, seed)
        frames.append(
            pd.DataFrame(
                {
                    "output": name,
                    "factor": [labels[i] for i in first],
                    "other": [labels[j] for j in second],
                    "S2": np.asarray(res["S2"])[first, second],
                    "S2_conf": np.asarray(res["S2_conf"])[first, second],
                }
            )
        )
    return pd.concat(frames, ignore_index=True)


def morris(
    compiled: CompiledScheme,
    data: UnitData,
    factors: Sequence[Factor],
    trajectories: int = 50,
    *,
    outputs: Mapping[str, Output] | None = None,
    levels: int = 4,
    seed: int = 0,
    chunk_size: int | None = None,
    scheduler: Any = None,
) -> pd.DataFrame:
    """Morris elementary effects (screening): ``output, factor, mu_star, mu_star_conf, sigma``.

    ``chunk_size`` and ``scheduler`` work as in :func:`sobol`.
    """
    from SALib.analyze import morris as morris_analyze
    from SALib.sample import morris as morris_sample

    if trajectories < 4:
        raise ParameterError("Morris screening needs at least 4 trajectories", hint="use 20 to 100")
    problem = _problem(factors)
    rows = morris_sample.sample(problem, trajectories, num_levels=levels, seed=seed)
    ys = model_outputs(
        compiled, data, factors, rows, _outputs(outputs, compiled), chunk_size=chunk_size, scheduler=scheduler
    )
    frames = []
    for name, y in ys.items():
        res = morris_analyze.analyze(
            problem, rows, y, num_levels=levels, seed=_bootstrap_seed(seed), print_to_console=False
        )
        frames.append(
            pd.DataFrame(
                {
                    "output": name,
                    "factor": list(res["names"]),
                    "mu_star": res["mu_star"],
                    "mu_star_conf": res["mu_star_conf"],
                    "sigma": res["sigma"],
                }
            )
        )
    return pd.concat(frames, ignore_index=True)
