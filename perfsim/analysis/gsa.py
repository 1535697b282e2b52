"""Global sensitivity with SALib (Sobol, Morris) over grouped factors, on outcomes designers care about.

A factor is a scheme parameter (a weight, a cut-off, a cap, a quota, a period share) or a
shift added to a data column for every unit (``value:<column>``: a systematic measurement
error). Factors may be grouped (a tier's weights as one group); weights are rescaled within
their tier after sampling so that every tier keeps its sum. All sample rows are evaluated in
one vectorised call.
"""

from __future__ import annotations

import warnings
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd
from numpy.typing import NDArray

from ..compile import CompiledScheme
from ..data import UnitData
from ..engine import Evaluation, evaluate
from ..errors import ParameterError
from .metrics import budget_change, change_measures, lowest_share, main_measure, money
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
    """Share graded lowest; total budget cut (with budget rules); one unit's total (if named)."""
    out: dict[str, Output] = {f"share {compiled.grades[compiled.lowest].zh}": lowest_share}
    rules = compiled.scheme.consequences
    if rules is not None and rules.budget is not None:

        def budget_cut(ev: Evaluation) -> NDArray[np.float64]:
            change = budget_change(ev)
            assert change is not None
            return np.maximum(-change, 0).sum(axis=1)

        out["budget cut"] = budget_cut
    if unit is not None:
        assert data is not None
        position = data.unit_position(unit)
        out[f"total of {unit}"] = lambda ev: ev.total[:, position]
    return out


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
    compiled: CompiledScheme, data: UnitData, factors: Sequence[Factor], rows: NDArray[np.float64]
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
    return evaluate(compiled, data, params, values=values or None, ranks=True)


def _outputs(outputs: Mapping[str, Output] | None, compiled: CompiledScheme) -> Mapping[str, Output]:
    return outputs if outputs is not None else standard_outputs(compiled)


def sobol(
    compiled: CompiledScheme,
    data: UnitData,
    factors: Sequence[Factor],
    n: int = 1024,
    *,
    outputs: Mapping[str, Output] | None = None,
    seed: int = 0,
    confidence: float = 0.95,
) -> pd.DataFrame:
    """Sobol first-order and total indices (Saltelli sampling) per factor or group and output.

    Parameters
    ----------
    n
        Base sample size, a power of two, at least 64; the model runs n × (groups + 2) times.

    Returns
    -------
    pandas.DataFrame
        ``output, factor, S1, S1_conf, ST, ST_conf``.
    """
    from SALib.analyze import sobol as sobol_analyze
    from SALib.sample import sobol as sobol_sample

    if n < 64 or n & (n - 1):
        raise ParameterError(
            f"n = {n} is too small or not a power of two for Sobol indices",
            hint="use n = 1024 (or at least 64, a power of two)",
        )
    problem = _problem(factors)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        rows = sobol_sample.sample(problem, n, calc_second_order=False, seed=seed)
    ev = _evaluate_rows(compiled, data, factors, rows)
    frames = []
    for name, fn in _outputs(outputs, compiled).items():
        y = np.asarray(fn(ev), dtype=np.float64)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            res = sobol_analyze.analyze(
                problem, y, calc_second_order=False, conf_level=confidence, seed=seed, print_to_console=False
            )
        labels = list(dict.fromkeys(problem.get("groups", problem["names"])))
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


def morris(
    compiled: CompiledScheme,
    data: UnitData,
    factors: Sequence[Factor],
    trajectories: int = 50,
    *,
    outputs: Mapping[str, Output] | None = None,
    levels: int = 4,
    seed: int = 0,
) -> pd.DataFrame:
    """Morris elementary effects (screening): ``output, factor, mu_star, mu_star_conf, sigma``."""
    from SALib.analyze import morris as morris_analyze
    from SALib.sample import morris as morris_sample

    if trajectories < 4:
        raise ParameterError("Morris screening needs at least 4 trajectories", hint="use 20 to 100")
    problem = _problem(factors)
    rows = morris_sample.sample(problem, trajectories, num_levels=levels, seed=seed)
    ev = _evaluate_rows(compiled, data, factors, rows)
    frames = []
    for name, fn in _outputs(outputs, compiled).items():
        y = np.asarray(fn(ev), dtype=np.float64)
        res = morris_analyze.analyze(problem, rows, y, num_levels=levels, seed=seed, print_to_console=False)
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
