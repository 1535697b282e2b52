"""Streamed evaluation: any number of draws in chunks, reduced as they go, in one process or on Dask.

Three rules make a streamed result independent of how it was cut up:

- **Randomness belongs to draws, not to chunks.** Draw ``i`` comes from block ``i // BLOCK``, and
  block ``b`` has its own generator seeded with ``SeedSequence(seed, spawn_key=(b,))`` (the
  ``b``-th child that ``SeedSequence(seed).spawn`` gives). A chunk generates the blocks it
  overlaps and keeps its own draws, so draw ``i`` is the same for every chunk size, worker count
  and draw count.
- **Reductions are integers** (counts, histograms, money in cents) or are placed by draw index
  (one output value per row), so adding chunk results in any order gives the same bits.
- **Memory is bounded by a chunk**: a chunk of ``chunk_size`` draws × units is evaluated, reduced
  and dropped; only the reductions live across chunks.

:func:`map_chunks` runs a chunk function over draw ranges, in this process or on a Dask cluster
(``scheduler=``: an address, a ``distributed.Client`` or a ``LocalCluster``); the Monte Carlo
(:func:`perfsim.analysis.weight_monte_carlo`) and the global sensitivity functions
(:func:`perfsim.analysis.sobol`, :func:`~perfsim.analysis.morris`) use it, and so can a simulation.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from typing import Any, TypeVar

import numpy as np
from numpy.typing import NDArray

from .errors import ParameterError
from .limits import MAX_DRAWS, check_count

BLOCK = 1024
"""Draws per random block: the unit a draw's random numbers are tied to."""

CHUNK_CELLS = 2_000_000
"""Default draws × units evaluated at once: about 0.5 GB at the engine's ~250 bytes per cell."""

T = TypeVar("T")


def chunk_size_for(n_units: int, chunk_size: int | None = None) -> int:
    """Draws per chunk: ``chunk_size`` if given, else as many as keep a chunk to :data:`CHUNK_CELLS` cells.

    Parameters
    ----------
    n_units
        Units evaluated per draw.
    chunk_size
        Draws per chunk asked for, at least 1.
    """
    if chunk_size is not None:
        return check_count("chunk_size", chunk_size, MAX_DRAWS, "use e.g. chunk_size=2000")
    return max(1, CHUNK_CELLS // max(n_units, 1))


def ranges(n: int, chunk_size: int) -> list[tuple[int, int]]:
    """Half-open draw ranges ``[start, stop)`` of at most ``chunk_size`` draws covering ``0 … n − 1``."""
    return [(start, min(start + chunk_size, n)) for start in range(0, n, chunk_size)]


def block_seed(seed: int, block: int) -> int:
    """A 64-bit seed for random block ``block``, from the ``block``-th spawned child of ``SeedSequence(seed)``."""
    child = np.random.SeedSequence(seed, spawn_key=(block,))
    return int(child.generate_state(1, np.uint64)[0])


def draws_in(
    sample: Callable[[int, int], Mapping[str, NDArray[np.float64]]], seed: int, start: int, stop: int
) -> dict[str, NDArray[np.float64]]:
    """Draws ``start … stop − 1`` of the stream ``sample`` makes, the same whatever the range.

    Parameters
    ----------
    sample
        ``sample(n, seed)`` → parameter name → ``n`` draws, e.g. a closure over
        :func:`perfsim.analysis.sample_weights`; called once per block of :data:`BLOCK` draws.
    seed
        The stream's seed.
    start, stop
        The draws wanted.
    """
    first, last = start // BLOCK, (stop - 1) // BLOCK
    blocks = [sample(BLOCK, block_seed(seed, b)) for b in range(first, last + 1)]
    offset = start - first * BLOCK
    return {name: np.concatenate([b[name] for b in blocks])[offset : offset + stop - start] for name in blocks[0]}


def add_up(total: dict[str, NDArray[Any]] | None, part: Mapping[str, NDArray[Any]]) -> dict[str, NDArray[Any]]:
    """Add a chunk's reductions to the running ones (integers: the same in any order)."""
    if total is None:
        return {k: np.array(v, copy=True) for k, v in part.items()}
    for k, v in part.items():
        total[k] += v
    return total


@contextmanager
def client_for(scheduler: Any) -> Iterator[Any]:
    """A Dask client for ``scheduler`` (address, ``Client`` or ``LocalCluster``), closed after if made here."""
    if hasattr(scheduler, "submit") and hasattr(scheduler, "gather"):
        yield scheduler  # the caller's client: theirs to close
        return
    if isinstance(scheduler, str):
        from .batch import connect  # refuses a bad or unreachable address with a clear message

        client = connect(scheduler)
    elif hasattr(scheduler, "scheduler_address"):
        from distributed import Client

        client = Client(scheduler)
    else:
        raise ParameterError(
            f"scheduler must be a Dask address, a distributed Client or a LocalCluster, not {type(scheduler).__name__}",
            field="scheduler",
            hint="e.g. scheduler='tcp://127.0.0.1:8786', or leave it out to run in this process",
        )
    try:
        yield client
    finally:
        client.close()


def map_chunks(
    task: Callable[..., T],
    spans: list[tuple[int, int]],
    *shared: Any,
    scheduler: Any = None,
    on_result: Callable[[int], None] | None = None,
) -> Iterator[tuple[tuple[int, int], T]]:
    """Run ``task(*shared, start, stop)`` for every draw range, yielding ``(range, result)`` as each ends.

    Parameters
    ----------
    task
        A module-level function (so Dask workers can import it) returning a chunk's reductions.
    spans
        From :func:`ranges`.
    shared
        Arguments every chunk gets (a compiled scheme, unit data, options); on Dask they are sent
        to every worker once.
    scheduler
        None: run here, one chunk after another. Otherwise a Dask scheduler address, a
        ``distributed.Client`` or a ``LocalCluster``: the chunks run on its workers, in any order;
        a task lost with a worker is run again by Dask.
    on_result
        Called with the number of chunks done after each one (progress bars, tests).

    Yields
    ------
    tuple
        ``((start, stop), result)`` in completion order; results must be combined so that order
        does not matter (see :func:`add_up`).
    """
    if scheduler is None:
        for done, (start, stop) in enumerate(spans, 1):
            result = task(*shared, start, stop)
            if on_result is not None:
                on_result(done)
            yield (start, stop), result
        return
    from distributed import as_completed

    with client_for(scheduler) as client:
        sent = client.scatter(list(shared), broadcast=True, hash=False) if shared else []
        futures = [client.submit(task, *sent, start, stop, pure=False) for start, stop in spans]
        where = {f.key: span for f, span in zip(futures, spans)}
        for done, future in enumerate(as_completed(futures), 1):
            result = future.result()
            if on_result is not None:
                on_result(done)
            yield where[future.key], result
