"""Streamed Monte Carlo: chunked results equal the in-memory ones, for every chunk size.

The in-memory path is written here from numpy directly (one ``evaluate`` of all draws, then
``mean``, ``numpy.percentile(..., method="inverted_cdf")`` and sums of the budget change), so the
streamed reductions are checked against an independent computation, not against themselves.
"""

from __future__ import annotations

from functools import partial

import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import perfsim
from perfsim import analysis as a
from perfsim.analysis.montecarlo import _sample, rank_quantiles
from perfsim.consequences import apply_consequences
from perfsim.errors import ParameterError
from perfsim.grading import rank_within_groups
from perfsim.stream import BLOCK, block_seed, draws_in, ranges

from conftest import BANDS_90_80_70, leaf, make_scheme

SLOW = settings(max_examples=20, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])


def budget_scheme(ties: str = "competition") -> tuple[perfsim.CompiledScheme, perfsim.UnitData]:
    """Two tiers of weights, two groups, tied units and a budget rule (不合格 −10 %, 优秀 +5 %)."""
    scheme = make_scheme(
        [
            {
                "id": "work",
                "name": {"zh": "工作", "en": "work"},
                "points": 60,
                "children": [leaf("a", 30), leaf("b", 30)],
            },
            leaf("c", 40),
        ],
        attributes=[
            {"id": "budget", "name": {"zh": "预算", "en": "budget"}},
            {"id": "area", "name": {"zh": "片区", "en": "area"}, "kind": "text"},
        ],
        grading={"basis": "percent", "bands": BANDS_90_80_70, "group_by": "area", "ranking": {"ties": ties}},
        consequences={
            "budget": {
                "amount": "budget",
                "by_grade": {"不合格": {"percent": -10}, "优秀": {"percent": 5}},
                "envelope": {"treasury": True},
            }
        },
    )
    rng = np.random.default_rng(11)
    rows = []
    for i in range(24):
        a_, b_, c_ = np.round(rng.uniform(55, 100, 3), 0)
        if i % 6 == 5:  # an exact copy of the unit two before (same area): ties in every draw
            a_, b_, c_ = rows[-2]["a"], rows[-2]["b"], rows[-2]["c"]
        rows.append({"unit": f"u{i:02d}", "a": a_, "b": b_, "c": c_, "budget": 1000.0 + 37 * i, "area": "NS"[i % 2]})
    compiled = perfsim.compile_scheme(scheme)
    return compiled, perfsim.load_units(pd.DataFrame(rows), compiled)


def in_memory(compiled, data, n, seed, concentration):
    """Every draw evaluated at once and summarised with numpy."""
    draws = draws_in(partial(_sample, compiled, "dirichlet", concentration, 0.2), seed, 0, n)
    ev = perfsim.evaluate(compiled, data, draws, ranks=True)
    probs = np.stack([(ev.grade == g).mean(axis=0) for g in range(len(compiled.grades))], axis=1)
    quantiles = np.percentile(ev.rank, [5, 50, 95], axis=0, method="inverted_cdf").T
    outcome, _ = apply_consequences(ev, parts=("budget",))
    change = outcome.next_budget - outcome.budget
    return probs, quantiles, (change < 0).mean(axis=0), change.sum(axis=0) / n / 100


@pytest.fixture(scope="module")
def budgeted():
    return budget_scheme()


@SLOW
@given(n=st.integers(1, 400), chunk=st.integers(1, 450), seed=st.integers(0, 2**32))
def test_chunked_monte_carlo_equals_in_memory(budgeted, n, chunk, seed):
    compiled, data = budgeted
    mc = a.weight_monte_carlo(compiled, data, n, concentration=20, seed=seed, chunk_size=chunk)
    probs, quantiles, loss, change = in_memory(compiled, data, n, seed, 20)
    assert np.array_equal(mc.grade_probabilities.to_numpy(), probs)
    assert np.array_equal(mc.rank_intervals[["rank p5", "rank p50", "rank p95"]].to_numpy(), quantiles)
    assert mc.rank_accuracy == 0
    assert np.array_equal(mc.budget_loss.to_numpy(), loss)
    assert np.array_equal(mc.mean_budget_change.to_numpy(), change)


@pytest.mark.parametrize("ties", ["dense", "ordinal"])
def test_chunked_equals_in_memory_for_every_tie_method(ties):
    compiled, data = budget_scheme(ties)
    whole = a.weight_monte_carlo(compiled, data, 500, concentration=20, seed=5)
    assert whole.evaluation is not None  # one chunk: the evaluation is kept
    streamed = a.weight_monte_carlo(compiled, data, 500, concentration=20, seed=5, chunk_size=64)
    assert streamed.evaluation is None
    pd.testing.assert_frame_equal(whole.rank_intervals, streamed.rank_intervals)
    pd.testing.assert_frame_equal(whole.grade_probabilities, streamed.grade_probabilities)
    _, quantiles, _, _ = in_memory(compiled, data, 500, 5, 20)
    assert np.array_equal(streamed.rank_intervals[["rank p5", "rank p50", "rank p95"]].to_numpy(), quantiles)


def test_ties_share_a_rank_in_the_intervals(budgeted):
    """u03/u05 and u09/u11 are copies of each other in one group: under competition ranking they tie in
    every draw, so every quantile of their ranks agrees."""
    compiled, data = budgeted
    ranks = a.weight_monte_carlo(compiled, data, 300, seed=2, chunk_size=50).rank_intervals
    for first, second in [("u03", "u05"), ("u09", "u11")]:
        assert list(ranks.loc[first, ["rank p5", "rank p50", "rank p95"]]) == list(
            ranks.loc[second, ["rank p5", "rank p50", "rank p95"]]
        )


@settings(max_examples=60, deadline=None)
@given(
    ranks=st.lists(st.lists(st.integers(0, 12), min_size=3, max_size=3), min_size=1, max_size=200),
    width=st.integers(1, 5),
)
def test_rank_quantiles_from_histogram(ranks, width):
    """Exact quantiles equal numpy's inverted CDF; binned ones are the bin's worst place, within w − 1."""
    sample = np.array(ranks)  # draws × 3 units
    n = sample.shape[0]
    exact = np.percentile(sample, [5, 50, 95], axis=0, method="inverted_cdf").T
    histogram = np.stack([np.bincount(sample[:, u], minlength=13) for u in range(3)])
    assert np.array_equal(rank_quantiles(histogram, n, (5, 50, 95)), exact)
    bins = (sample + width - 1) // width
    binned_hist = np.stack([np.bincount(bins[:, u], minlength=13) for u in range(3)])
    binned = rank_quantiles(binned_hist, n, (5, 50, 95), width)
    assert np.all(binned >= exact) and np.all(binned - exact <= width - 1)


def test_binned_ranks_state_their_accuracy(budgeted, monkeypatch):
    compiled, data = budgeted
    exact = a.weight_monte_carlo(compiled, data, 200, seed=1)
    monkeypatch.setattr("perfsim.analysis.montecarlo.RANK_CELLS", 100)  # 24 units × 13 ranks > 100
    binned = a.weight_monte_carlo(compiled, data, 200, seed=1, chunk_size=33)
    assert binned.rank_accuracy == 3  # bins of ceil(24 × 13 / 100) = 4 places
    cols = ["rank p5", "rank p50", "rank p95"]
    gap = binned.rank_intervals[cols].to_numpy() - exact.rank_intervals[cols].to_numpy()
    assert gap.min() >= 0 and gap.max() <= 3


@settings(max_examples=40, deadline=None)
@given(n=st.integers(1, 3 * BLOCK), cuts=st.lists(st.integers(1, 3 * BLOCK), max_size=5), seed=st.integers(0, 99))
def test_draws_do_not_depend_on_the_chunks(n, cuts, seed):
    def sample(k, s):
        return {"x": np.random.default_rng(s).uniform(size=k)}

    whole = draws_in(sample, seed, 0, n)["x"]
    bounds = sorted({0, n, *(c for c in cuts if c < n)})
    parts = [draws_in(sample, seed, lo, hi)["x"] for lo, hi in zip(bounds, bounds[1:])]
    assert np.array_equal(np.concatenate(parts), whole)
    # the definition: draw i is element i % BLOCK of block i // BLOCK's generator
    i = n - 1
    own = np.random.default_rng(block_seed(seed, i // BLOCK)).uniform(size=BLOCK)[i % BLOCK]
    assert whole[i] == own


def test_block_seeds_are_spawned_children():
    children = np.random.SeedSequence(7).spawn(3)
    assert [block_seed(7, b) for b in range(3)] == [int(c.generate_state(1, np.uint64)[0]) for c in children]


def test_ranges_cover_the_draws_once():
    assert ranges(10, 4) == [(0, 4), (4, 8), (8, 10)]
    assert ranges(3, 10) == [(0, 3)]


def test_more_draws_extend_fewer(budgeted):
    """Draw i is the same whatever n: 100 draws are the first 100 of 1,000 (streams nest)."""
    compiled, data = budgeted
    sample = partial(_sample, compiled, "dirichlet", 100.0, 0.2)
    small, large = draws_in(sample, 3, 0, 100), draws_in(sample, 3, 0, 1000)
    assert all(np.array_equal(small[k], large[k][:100]) for k in small)


def test_bad_counts_are_refused(budgeted):
    compiled, data = budgeted
    with pytest.raises(perfsim.PerfsimError, match="n must be between"):
        a.weight_monte_carlo(compiled, data, 0)
    with pytest.raises(perfsim.PerfsimError, match="chunk_size must be between"):
        a.weight_monte_carlo(compiled, data, 10, chunk_size=0)
    with pytest.raises(ParameterError, match="scheduler must be"):
        a.weight_monte_carlo(compiled, data, 10, chunk_size=5, scheduler=3)


def test_evaluate_ranks_only_the_stated_tie_method(budgeted):
    compiled, data = budgeted
    ev = perfsim.evaluate(compiled, data, ranks=True)
    assert ev.ranking is not None and ev.ranking.competition is not None
    assert ev.ranking.dense is None and ev.ranking.ordinal is None and ev.ranking.block_last is None
    # …and that one agrees with pandas' "min" ranking within each group (ties included)
    frame = pd.DataFrame({"total": ev.total[0], "area": data.attributes["area"]})
    expected = frame.groupby("area")["total"].rank(method="min", ascending=False).astype(int)
    assert np.array_equal(ev.rank[0], expected.to_numpy())


def test_rank_methods_computed_alone_equal_computed_together():
    rng = np.random.default_rng(4)
    keys = [np.round(rng.uniform(0, 5, (7, 40))), rng.integers(0, 3, (7, 40)).astype(float)]
    groups = rng.integers(0, 3, 40)
    together = rank_within_groups(keys, groups)
    for method in ("competition", "dense", "ordinal", "block_last"):
        alone = rank_within_groups(keys, groups, (method,))
        assert np.array_equal(getattr(alone, method), getattr(together, method))


def interaction_factors() -> list[a.Factor]:
    return [
        a.Factor("cutoff:优秀", 85, 95, "high"),
        a.Factor("cutoff:良好", 75, 85, "high"),
        a.Factor("cutoff:合格", 65, 75, "low"),
        a.Factor("cap:verification", 1, 3, "cap"),
    ]


def product_model(ev: perfsim.Evaluation) -> np.ndarray:
    """Y = (Z₁ + Z₂)·Z₃ + 10·Z₄ on centred parameters: Z₁, Z₂ (group high) and Z₃ (group low) ~ U(−5, 5),
    Z₄ (group cap) ~ U(−1, 1). With Var Z = 25/3 and Var 10·Z₄ = 100/3: Var((Z₁ + Z₂)·Z₃) =
    E[(Z₁ + Z₂)²]·E[Z₃²] = (50/3)(25/3) = 1250/9, total 1550/9. So S1(high) = S1(low) = 0,
    S2(high, low) = 1250/1550 = 0.806, S1(cap) = ST(cap) = 300/1550 = 0.194, the other pairs 0."""
    col = ev.draws.column
    z = (col("cutoff:优秀") - 90) + (col("cutoff:良好") - 80)
    return np.ravel(z * (col("cutoff:合格") - 70) + 10 * (col("cap:verification") - 2))


def test_second_order_sobol_finds_a_known_interaction(qitai):
    compiled, data = qitai
    pairs = a.sobol_interactions(compiled, data, interaction_factors(), 1024, outputs={"y": product_model})
    s2 = {(row.factor, row.other): row.S2 for row in pairs.itertuples()}
    assert set(s2) == {("high", "low"), ("high", "cap"), ("low", "cap")}
    assert s2["high", "low"] == pytest.approx(1250 / 1550, abs=0.08)
    assert abs(s2["high", "cap"]) < 0.05 and abs(s2["low", "cap"]) < 0.05
    first = a.sobol(compiled, data, interaction_factors(), 1024, outputs={"y": product_model}).set_index("factor")
    assert first.loc["cap", "S1"] == pytest.approx(300 / 1550, abs=0.04)
    assert abs(first.loc["high", "S1"]) < 0.05 and abs(first.loc["low", "S1"]) < 0.05
    assert first.loc["high", "ST"] == pytest.approx(1250 / 1550, abs=0.08)


def test_second_order_needs_two_groups(qitai):
    compiled, data = qitai
    with pytest.raises(ParameterError, match="at least two"):
        a.sobol_interactions(compiled, data, [a.Factor("cutoff:优秀", 85, 95)], 64)


def test_chunked_sensitivity_equals_one_chunk(qitai):
    """Sobol, its second order and Morris give the same frames (indices and seeded bootstrap intervals)
    whether the sample rows run at once or 37 at a time."""
    compiled, data = qitai
    factors = [*a.weight_factors(compiled), a.Factor("cutoff:优秀", 85, 95)]
    pd.testing.assert_frame_equal(
        a.sobol(compiled, data, factors, 128), a.sobol(compiled, data, factors, 128, chunk_size=37)
    )
    pd.testing.assert_frame_equal(
        a.sobol_interactions(compiled, data, factors[-3:], 64),
        a.sobol_interactions(compiled, data, factors[-3:], 64, chunk_size=37),
    )
    pd.testing.assert_frame_equal(
        a.morris(compiled, data, factors, 8), a.morris(compiled, data, factors, 8, chunk_size=5)
    )


HEAVY = ("altair", "ipywidgets", "dask", "distributed", "papermill", "jinja2", "SALib", "voila", "matplotlib")


@pytest.mark.parametrize(
    ("statement", "absent"),
    [
        ("import perfsim", (*HEAVY, "pandas", "scipy")),
        ("import perfsim.analysis", HEAVY),
        ("import perfsim.stream", (*HEAVY, "pandas")),
    ],
)
def test_import_pulls_no_notebook_chart_or_dask_modules(statement, absent):
    """Chart, notebook and Dask modules load when used, not on import (in a fresh interpreter)."""
    import subprocess
    import sys

    code = f"{statement}; import sys; print(' '.join(sorted({{m.split('.')[0] for m in sys.modules}})))"
    loaded = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True, timeout=120)
    assert not set(loaded.stdout.split()) & set(absent)


def test_lazy_names_resolve_once():
    import perfsim as p

    assert p.evaluate is perfsim.engine.evaluate and "evaluate" in dir(p)
    with pytest.raises(AttributeError, match="no attribute 'nonesuch'"):
        p.nonesuch  # noqa: B018
