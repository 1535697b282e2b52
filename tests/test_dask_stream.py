"""Streamed Monte Carlo and Sobol on a Dask LocalCluster (2 worker processes): the same result as one
process, also when a worker is killed mid-run and Dask runs its chunks again."""

from __future__ import annotations

import os
import signal
import time

import numpy as np
import pandas as pd
import pytest

import perfsim
from perfsim import analysis as a
from perfsim.population import synthetic_units

distributed = pytest.importorskip("distributed")


@pytest.fixture(scope="module")
def cluster():
    with (
        distributed.LocalCluster(
            n_workers=2, threads_per_worker=1, processes=True, dashboard_address=None, silence_logs=40
        ) as local,
        distributed.Client(local, timeout=60) as client,
    ):
        client.wait_for_workers(2, timeout=60)
        yield local, client


def test_monte_carlo_on_two_workers_equals_one_process(qitai, cluster):
    compiled, data = qitai
    local, client = cluster
    here = a.weight_monte_carlo(compiled, data, 2000, seed=9, chunk_size=150)
    for scheduler in (client, local, local.scheduler_address):  # a Client, a LocalCluster and an address
        there = a.weight_monte_carlo(compiled, data, 2000, seed=9, chunk_size=400, scheduler=scheduler)
        pd.testing.assert_frame_equal(here.grade_probabilities, there.grade_probabilities)
        pd.testing.assert_frame_equal(here.rank_intervals, there.rank_intervals)
    assert client.status == "running"  # the caller's client is left open


def test_sobol_on_two_workers_equals_one_process(qitai, cluster):
    compiled, data = qitai
    _, client = cluster
    factors = [*a.weight_factors(compiled), a.Factor("cutoff:优秀", 85, 95)]
    pd.testing.assert_frame_equal(
        a.sobol(compiled, data, factors, 128),
        a.sobol(compiled, data, factors, 128, chunk_size=100, scheduler=client),
    )


def test_killed_worker_is_retried_with_the_same_result(qitai, cluster):
    compiled, _ = qitai
    _, client = cluster
    # 400 units, so a chunk takes long enough that chunks are still queued when the first ends
    extra = {"staff": np.full(400, 20), "salary": np.full(400, 4000.0), "satisfaction": np.full(400, 80.0)}
    data = perfsim.load_units(
        synthetic_units(compiled, {"township": 100, "department": 300}, 3, attributes=extra), compiled
    )
    pids = client.run(os.getpid)  # worker address → process id
    killed: list[int] = []

    def kill_a_busy_worker(done: int) -> None:
        """After the first chunk: SIGKILL a worker that holds chunks not yet finished."""
        deadline = time.monotonic() + 20
        while not killed and time.monotonic() < deadline:
            busy = {w: len(tasks) for w, tasks in client.processing().items() if tasks and w in pids}
            if busy:
                worker = next(iter(busy))
                killed.append(busy[worker])
                os.kill(pids[worker], signal.SIGKILL)
            time.sleep(0.01)

    expected = a.weight_monte_carlo(compiled, data, 3000, seed=4, chunk_size=200)
    result = a.weight_monte_carlo(
        compiled, data, 3000, seed=4, chunk_size=200, scheduler=client, progress=kill_a_busy_worker
    )
    assert killed and killed[0] > 0  # a worker died holding unfinished chunks
    pd.testing.assert_frame_equal(expected.grade_probabilities, result.grade_probabilities)
    pd.testing.assert_frame_equal(expected.rank_intervals, result.rank_intervals)
    client.wait_for_workers(2, timeout=60)
    assert set(client.run(os.getpid).values()) != set(pids.values())  # the nanny started a new worker


def test_streamed_simulation_summary_on_two_workers_equals_the_whole_panels(cluster):
    """Issue 15: a simulation's summary streamed over ranges of draws on Dask is the whole panel's."""
    from perfsim.simulate import simulate
    from perfsim.simulate_stream import simulate_summary

    sc = perfsim.load_scenario("budget-lifecycle")
    _, client = cluster
    whole = simulate(sc.compiled, sc.data, years=5, draws=300, seed=11, workers=1).summary()
    there = simulate_summary(
        sc.compiled, sc.data, years=5, draws=300, seed=11, chunk_draws=100, workers=1, scheduler=client
    )
    pd.testing.assert_frame_equal(there, whole, check_exact=False, rtol=1e-12, atol=1e-9)
