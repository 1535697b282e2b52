"""A simulation's yearly summary for any number of draws: ranges of draws simulated, summarised and dropped.

:func:`~perfsim.simulate.simulate` keeps the whole panel (years × draws × units), which bounds its
draws by memory. Every column of :meth:`Simulation.summary` is a mean over draws of something each
draw has on its own (a share of the units present, a budget total, a Gini, a run of 差 years), so
the summary of many draws is the draw-weighted mean of the summaries of their ranges. Ranges are
whole blocks of :data:`~perfsim.simulate.BLOCK_DRAWS` draws, whose randomness does not depend on
the range (:func:`~perfsim.simulate.simulate_draws`), so the streamed summary is the summary of the
same draws ``simulate`` would make, up to the order of float additions (relative 1e-12).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import numpy as np
import pandas as pd
from numpy.typing import ArrayLike, NDArray

from .compile import CompiledScheme
from .data import UnitData
from .limits import MAX_DRAWS, check_count, check_periods
from .population import BehaviourModel, Population
from .simulate import BLOCK_DRAWS, simulate_draws
from .stream import CHUNK_CELLS, map_chunks, ranges


def _chunk_summary(
    compiled: CompiledScheme,
    population: Population,
    years: int,
    seed: int,
    params: Mapping[str, ArrayLike] | None,
    model: BehaviourModel | None,
    workers: int | None,
    start: int,
    stop: int,
) -> tuple[list[str], NDArray[np.float64], str]:
    """One range's summary columns, each multiplied by its number of draws (module level: Dask imports it)."""
    frame = simulate_draws(compiled, population, years, start, stop, seed, params, model, workers).summary()
    numbers = frame.drop(columns="year")
    return list(numbers.columns), numbers.to_numpy(np.float64) * (stop - start), frame.attrs["counted"]


def simulate_summary(
    compiled: CompiledScheme,
    population: Population | UnitData,
    *,
    years: int,
    draws: int,
    seed: int = 0,
    params: Mapping[str, ArrayLike] | None = None,
    model: BehaviourModel | None = None,
    chunk_draws: int | None = None,
    workers: int | None = None,
    scheduler: Any = None,
) -> pd.DataFrame:
    """The yearly summary of ``simulate(...)`` for any number of draws, in memory bounded by a range.

    Parameters
    ----------
    compiled, population, years, seed, params, model
        As for :func:`perfsim.simulate.simulate`.
    draws
        Simulated histories, up to :data:`perfsim.limits.MAX_DRAWS`; only one range's panel is held.
    chunk_draws
        Draws simulated at once, rounded up to whole blocks of 100; default: about
        :data:`perfsim.stream.CHUNK_CELLS` years × draws × units.
    workers
        Threads sharing a range's blocks (default one per core).
    scheduler
        None: ranges run here one after another. A Dask address, ``distributed.Client`` or
        ``LocalCluster``: ranges run on its workers (a range lost with a worker is run again).

    Returns
    -------
    pandas.DataFrame
        The columns of :meth:`perfsim.simulate.Simulation.summary`, one row per year; equal to
        ``simulate(..., draws=draws, seed=seed).summary()`` up to float rounding.
    """
    check_periods(years, draws)
    pop = population if isinstance(population, Population) else Population.from_data(compiled, population)
    if chunk_draws is None:
        chunk_draws = CHUNK_CELLS // max(1, years * len(pop.data))
    else:
        check_count("chunk_draws", chunk_draws, MAX_DRAWS, "e.g. chunk_draws=1000")
    chunk = -(-max(chunk_draws, 1) // BLOCK_DRAWS) * BLOCK_DRAWS
    shared = (compiled, pop, years, seed, params, model, workers)
    parts = dict(map_chunks(_chunk_summary, ranges(draws, chunk), *shared, scheduler=scheduler))
    in_order = [parts[span] for span in sorted(parts)]  # added in draw order: the same bits on Dask
    columns, _, counted = in_order[0]
    frame = pd.DataFrame(np.sum([part for _, part, _ in in_order], axis=0) / draws, columns=columns)
    frame.insert(0, "year", np.arange(1, years + 1))
    frame.attrs["counted"] = counted
    return frame
