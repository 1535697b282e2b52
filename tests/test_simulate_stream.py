"""A simulation's summary streamed over ranges of draws (issue 15): the same numbers as the whole panel,
in memory bounded by a range."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import perfsim
from perfsim import simulate_stream
from perfsim.errors import PerfsimError
from perfsim.simulate import BLOCK_DRAWS, simulate, simulate_draws


@pytest.fixture(scope="module")
def lifecycle():
    """Projects that suspend, stop, complete and enter, inside an envelope: every summary column moves."""
    return perfsim.load_scenario("budget-lifecycle")


@given(draws=st.integers(1, 260), chunk=st.integers(1, 250), seed=st.integers(0, 2**16))
@settings(max_examples=8, deadline=None)
def test_streamed_summary_equals_the_whole_panels(lifecycle, draws, chunk, seed):
    whole = simulate(lifecycle.compiled, lifecycle.data, years=4, draws=draws, seed=seed, workers=1).summary()
    streamed = simulate_stream.simulate_summary(
        lifecycle.compiled, lifecycle.data, years=4, draws=draws, seed=seed, chunk_draws=chunk, workers=1
    )
    pd.testing.assert_frame_equal(streamed, whole, check_exact=False, rtol=1e-12, atol=1e-9)
    assert streamed.attrs["counted"] == whole.attrs["counted"]


def test_a_range_of_blocks_holds_the_draws_the_whole_run_holds_there(lifecycle):
    """Whole blocks, or the run's last (partial) block: the same draws as the whole run holds there."""
    whole = simulate(lifecycle.compiled, lifecycle.data, years=3, draws=2 * BLOCK_DRAWS + 17, seed=5, workers=1)
    for start, stop in [(BLOCK_DRAWS, 2 * BLOCK_DRAWS), (BLOCK_DRAWS, 2 * BLOCK_DRAWS + 17)]:
        part = simulate_draws(lifecycle.compiled, lifecycle.data, 3, start, stop, 5, workers=1)
        window = slice(start, stop)
        np.testing.assert_array_equal(part.total, whole.total[:, window])
        np.testing.assert_array_equal(part.status, whole.status[:, window])
        assert part.budget is not None and whole.budget is not None
        np.testing.assert_array_equal(part.budget, whole.budget[:, window])
    with pytest.raises(PerfsimError, match="multiple of 100"):
        simulate_draws(lifecycle.compiled, lifecycle.data, 3, 50, 150, 5)


def test_only_one_range_of_draws_is_held_at_a_time(lifecycle, monkeypatch):
    """Memory is bounded by the range: no range asked of the engine is larger than chunk_draws (in blocks)."""
    asked: list[int] = []
    real = simulate_stream.simulate_draws

    def recording(compiled, population, years, start, stop, *rest):
        asked.append(stop - start)
        return real(compiled, population, years, start, stop, *rest)

    monkeypatch.setattr(simulate_stream, "simulate_draws", recording)
    simulate_stream.simulate_summary(
        lifecycle.compiled, lifecycle.data, years=2, draws=1050, seed=1, chunk_draws=250, workers=1
    )
    assert max(asked) == 300 and sum(asked) == 1050  # 250 rounded up to whole blocks of 100
