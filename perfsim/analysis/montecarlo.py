"""Monte Carlo weight uncertainty: grade probabilities, rank intervals and budget-loss risk per unit.

Any number of draws runs in chunks (:mod:`perfsim.stream`), each reduced to integers before the
next: grade counts, a histogram of each unit's rank and, with budget rules, budget changes in
cents. Memory is bounded by a chunk, and the result is the same for every chunk size and on a
Dask cluster (``scheduler=``), since draw ``i``'s weights do not depend on how draws are cut up.

Rank quantiles are exact: a unit's rank is an integer from 0 (not ranked) to the size of its
group, so a histogram over those integers is the whole sample, sorted, and each quantile is read
from it with the inverted-CDF rule (``numpy.percentile(..., method="inverted_cdf")``): the
smallest rank that at least that share of draws reaches. Only where units × ranks exceed
:data:`RANK_CELLS` are ranks counted in bins of ``w`` places; the quantile is then the bin's
worst place, at most ``w − 1`` places from the exact one (``MonteCarlo.rank_accuracy``).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from functools import partial
from typing import Any

import numpy as np
import pandas as pd
from numpy.typing import NDArray

from ..compile import CompiledScheme
from ..consequences import apply_consequences
from ..data import UnitData
from ..engine import Evaluation, evaluate
from ..limits import MAX_DRAWS, check_count
from ..stream import add_up, chunk_size_for, draws_in, map_chunks, ranges
from .metrics import has_budget, require_grading
from .weights import sample_weights

RANK_CELLS = 16_000_000
"""Units × rank bins a rank histogram may hold (128 MB of counts); beyond it ranks are binned."""

QUANTILES = (5, 50, 95)


@dataclass
class MonteCarlo:
    """Results of :func:`weight_monte_carlo`."""

    evaluation: Evaluation | None
    """All draws' evaluation when they ran in one chunk in this process; None when streamed."""
    grade_probabilities: pd.DataFrame
    """unit × grade: share of draws in which the unit gets each grade."""
    rank_intervals: pd.DataFrame
    """unit: nominal rank and the 5 %, 50 % and 95 % rank over draws (ranks count within ``group``;
    0 = not ranked), each the inverted-CDF quantile of the draws' ranks."""
    budget_loss: pd.Series | None
    """unit: probability that next year's budget is below this year's (with budget rules)."""
    mean_budget_change: pd.Series | None = None
    """unit: mean change of next year's budget against this year's, in yuan (with budget rules)."""
    n_draws: int = 0
    rank_accuracy: int = 0
    """Places a rank quantile may be off by: 0 (exact) unless ranks were binned."""


def _reduce(
    compiled: CompiledScheme,
    data: UnitData,
    sample: Callable[[int, int], dict[str, NDArray[np.float64]]],
    seed: int,
    width: int,
    n_bins: int,
    start: int,
    stop: int,
) -> dict[str, NDArray[np.int64]]:
    """One chunk's integer reductions: grade counts, rank histogram and budget changes (cents)."""
    ev = evaluate(compiled, data, draws_in(sample, seed, start, stop), ranks=True)
    return _reductions(ev, width, n_bins, stop - start)


def _reductions(ev: Evaluation, width: int, n_bins: int, n: int) -> dict[str, NDArray[np.int64]]:
    """Counts over ``n`` draws; an evaluation with one draw stands for all of them (nothing was drawn)."""
    n_units = ev.total.shape[1]
    assert ev.rank is not None
    out = {"grades": np.stack([(ev.grade == g).sum(axis=0) for g in range(len(ev.compiled.grades))], axis=1)}
    # bin b holds ranks (b − 1)·w + 1 … b·w, and bin 0 rank 0 (not ranked)
    binned = ev.rank + (width - 1) if width > 1 else ev.rank
    index = binned // width if width > 1 else binned
    index = index + np.arange(n_units, dtype=np.int64) * n_bins
    out["ranks"] = np.bincount(index.ravel(), minlength=n_units * n_bins).reshape(n_units, n_bins)
    if has_budget(ev):
        outcome, _ = apply_consequences(ev, parts=("budget",))
        change = outcome.next_budget - outcome.budget
        out["cut"] = (change < 0).sum(axis=0)
        out["change"] = change.sum(axis=0)
    if ev.n_draws != n:
        out = {k: v * n for k, v in out.items()}
    return out


def rank_quantiles(histogram: NDArray[np.int64], n: int, percents: tuple[int, ...], width: int = 1) -> NDArray:
    """Inverted-CDF quantiles of each row's ranks from their histogram (units × bins), as ranks.

    The ``p`` % quantile is the smallest rank that at least ``ceil(n · p / 100)`` draws reach,
    exactly what ``numpy.percentile(ranks, p, axis=0, method="inverted_cdf")`` returns on the
    draws themselves; with bins of ``width`` places, the worst place of the bin that holds it.
    """
    cumulative = np.cumsum(histogram, axis=1)
    out = []
    for p in percents:
        k = max(int(np.ceil(n * (p / 100))), 1)  # the same float arithmetic as numpy's inverted CDF
        out.append((cumulative < k).sum(axis=1) * width)
    return np.stack(out, axis=1)


def _rank_width(n_units: int, top_rank: int) -> int:
    return max(1, -(-n_units * (top_rank + 1) // RANK_CELLS))


def weight_monte_carlo(
    compiled: CompiledScheme,
    data: UnitData,
    n: int = 1000,
    *,
    method: str = "dirichlet",
    concentration: float = 100.0,
    spread: float = 0.2,
    seed: int = 0,
    chunk_size: int | None = None,
    scheduler: Any = None,
    progress: Callable[[int], None] | None = None,
) -> MonteCarlo:
    """Sample weights within each tier (sums kept exact), evaluate the draws in chunks, summarise per unit.

    Parameters
    ----------
    compiled, data
        The scheme and its units.
    n
        Draws, up to 1,000,000.
    method, concentration, spread
        See :func:`~perfsim.analysis.weights.sample_weights`.
    seed
        Seed of the draws: draw ``i`` is the same for every ``n``, chunk size and scheduler.
    chunk_size
        Draws evaluated at once (default: about 2,000,000 draws × units); memory is bounded by it.
    scheduler
        None to run here, or a Dask scheduler address, ``distributed.Client`` or ``LocalCluster``
        to spread the chunks over its workers (same result).
    progress
        Called with the number of chunks done after each chunk that runs streamed.

    Returns
    -------
    MonteCarlo
    """
    check_count("n", n, MAX_DRAWS, "use e.g. n=1000")
    require_grading(compiled, "a weight Monte Carlo")
    sample_weights(compiled, 1, method=method, concentration=concentration, spread=spread)  # options checked here
    sample = partial(_sample, compiled, method, concentration, spread)
    nominal = evaluate(compiled, data, ranks=True)
    assert nominal.rank is not None
    n_units = len(data)
    top_rank = int(np.bincount(nominal.groups).max(initial=0))
    width = _rank_width(n_units, top_rank)
    n_bins = -(-top_rank // width) + 1
    size = chunk_size_for(n_units, chunk_size)
    spans = ranges(n, size)
    evaluation = None
    if len(spans) == 1 and scheduler is None:  # one chunk here: keep its evaluation for the caller
        evaluation = evaluate(compiled, data, draws_in(sample, seed, 0, n), ranks=True)
        total = _reductions(evaluation, width, n_bins, n)
    else:
        total = None
        for _, part in map_chunks(
            _reduce, spans, compiled, data, sample, seed, width, n_bins, scheduler=scheduler, on_result=progress
        ):
            total = add_up(total, part)
    assert total is not None
    index = pd.Index(data.units, name="unit")
    probs = pd.DataFrame(total["grades"] / n, index=index, columns=[g.zh for g in compiled.grades])
    quantiles = np.minimum(rank_quantiles(total["ranks"], n, QUANTILES, width), top_rank)
    ranks = pd.DataFrame(
        {
            "nominal rank": nominal.rank[0],
            **{f"rank p{p}": quantiles[:, j] for j, p in enumerate(QUANTILES)},
            "group": np.asarray(nominal.group_names, dtype=object)[nominal.groups],
        },
        index=index,
    )
    loss = change = None
    if "cut" in total:
        loss = pd.Series(total["cut"] / n, index=index, name="P(budget cut)")
        change = pd.Series(total["change"] / n / 100.0, index=index, name="mean budget change")
    return MonteCarlo(evaluation, probs, ranks, loss, change, n, width - 1)


def _sample(
    compiled: CompiledScheme, method: str, concentration: float, spread: float, n: int, seed: int
) -> dict[str, NDArray[np.float64]]:
    return sample_weights(compiled, n, method=method, concentration=concentration, spread=spread, seed=seed)
