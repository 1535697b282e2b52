"""Invariants checked with hypothesis: monotonicity, batch = singles, rounding, ranks, quotas."""

from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal

import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import perfsim
from perfsim.grading import limit_grade, rank_within_groups
from perfsim.numeric import round_half_up

from conftest import BANDS_90_80_70, QITAI_DATA, leaf, make_scheme

SETTINGS = settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])


@given(st.decimals(min_value=-99999, max_value=99999, places=6, allow_nan=False), st.integers(0, 4))
@settings(max_examples=400, deadline=None)
def test_round_half_up_matches_decimal_arithmetic(value, decimals):
    expected = float(value.quantize(Decimal(10) ** -decimals, rounding=ROUND_HALF_UP))
    assert round_half_up(float(value), decimals) == expected


SCORE_COLUMNS = ["key_tasks@H1", "key_tasks@Y", "conduct@Y", "tracking", "special_public", "audit", "public"]


@given(unit=st.integers(0, 74), column=st.sampled_from(SCORE_COLUMNS), raise_by=st.floats(0.01, 100))
@SETTINGS
def test_raising_an_indicator_never_lowers_total_or_grade(qitai, unit, column, raise_by):
    compiled, base_data = qitai
    base = perfsim.evaluate(compiled, base_data)
    frame = pd.read_csv(QITAI_DATA)
    frame.loc[unit, column] = min(100.0, frame.loc[unit, column] + raise_by)
    after = perfsim.evaluate(compiled, perfsim.load_units(frame, compiled))
    assert after.total[0, unit] >= base.total[0, unit]
    assert after.grade[0, unit] <= base.grade[0, unit]  # grade index 0 is the best
    others = np.arange(75) != unit
    assert np.array_equal(after.total[0, others], base.total[0, others])


@given(
    totals=st.lists(st.floats(0, 100, allow_nan=False), min_size=2, max_size=40),
    cuts=st.lists(st.floats(1, 99), min_size=3, max_size=3, unique=True),
)
@SETTINGS
def test_grade_is_monotone_in_total(totals, cuts):
    hi, mid, lo = sorted(cuts, reverse=True)
    scheme = make_scheme([leaf("a", 100)])
    compiled = perfsim.compile_scheme(scheme)
    data = perfsim.load_units(pd.DataFrame({"unit": [f"u{i}" for i in range(len(totals))], "a": totals}), compiled)
    ev = perfsim.evaluate(compiled, data, {"cutoff:优秀": hi, "cutoff:良好": mid, "cutoff:合格": lo})
    order = np.argsort(ev.total[0], kind="stable")
    assert np.all(np.diff(ev.grade[0][order].astype(int)) <= 0)


@given(st.integers(0, 2**32 - 1), st.integers(2, 12))
@SETTINGS
def test_draws_at_once_equal_single_evaluations(qitai, seed, n_draws):
    compiled, data = qitai
    rng = np.random.default_rng(seed)
    params = {
        name: rng.uniform(0.5, 1.5, n_draws) * compiled.parameters[name].nominal
        for name in compiled.parameters.names("points")
    }
    params["cutoff:优秀"] = rng.uniform(85, 95, n_draws)
    params["share:department/centralised@H1"] = rng.uniform(10, 50, n_draws)
    params["cap:verification"] = rng.uniform(0, 3, n_draws)
    batch = perfsim.evaluate(compiled, data, params)
    for s in range(n_draws):
        single = perfsim.evaluate(compiled, data, {k: v[s] for k, v in params.items()})
        assert np.array_equal(batch.total[s], single.total[0])
        assert np.array_equal(batch.grade[s], single.grade[0])


def test_detail_and_fast_paths_agree(qitai):
    compiled, data = qitai
    rng = np.random.default_rng(7)
    params = {
        name: rng.uniform(0.5, 1.5, 20) * compiled.parameters[name].nominal
        for name in compiled.parameters.names("points")
    }
    fast = perfsim.evaluate(compiled, data, params)
    slow = perfsim.evaluate(compiled, data, params, detail=True)
    assert np.array_equal(fast.total, slow.total)
    assert np.array_equal(fast.grade, slow.grade)


@given(st.lists(st.tuples(st.integers(0, 2), st.integers(0, 6)), min_size=1, max_size=30))
@SETTINGS
def test_ranks_match_pandas(rows):
    groups = np.array([g for g, _ in rows])
    values = np.array([[float(v) for _, v in rows]])
    ranking = rank_within_groups([values], groups)
    frame = pd.DataFrame({"g": groups, "v": values[0]})
    by = frame.groupby("g")["v"]
    assert np.array_equal(ranking.competition[0], by.rank(method="min", ascending=False).to_numpy())
    assert np.array_equal(ranking.dense[0], by.rank(method="dense", ascending=False).to_numpy())
    assert np.array_equal(ranking.block_last[0], by.rank(method="max", ascending=False).to_numpy())
    assert np.array_equal(ranking.ordinal[0], by.rank(method="first", ascending=False).to_numpy())


def brute_force_quota(totals, band, allowed, ties):
    """Keep the best ``allowed`` holders of grade 0, ties all in or all out; others drop to grade 1."""
    holders = [i for i in range(len(totals)) if band[i] == 0]
    out = list(band)
    for i in holders:
        better = sum(totals[j] > totals[i] for j in holders)
        tied = sum(totals[j] == totals[i] for j in holders)
        place = better + 1 if ties == "include_all" else better + tied
        if place > allowed:
            out[i] = 1
    return out


@given(
    st.lists(st.integers(60, 100), min_size=1, max_size=25),
    st.integers(0, 8),
    st.sampled_from(["include_all", "exclude_all"]),
)
@SETTINGS
def test_quota_matches_brute_force(totals, allowed, ties):
    band = [0 if t >= 90 else 1 for t in totals]
    grade = np.array([band], dtype=np.int8)
    limit_grade(
        grade, 0, [np.array([totals], dtype=float)], np.zeros(len(totals), dtype=np.int64), np.array([[allowed]]), ties
    )
    assert list(grade[0]) == brute_force_quota(totals, band, allowed, ties)


@pytest.mark.parametrize("rounding", ["floor", "half_up", "ceil"])
def test_quota_never_exceeds_share_when_ties_excluded(rounding):
    rng = np.random.default_rng(3)
    scheme = make_scheme(
        [leaf("a", 100)],
        grading={"bands": BANDS_90_80_70, "quotas": [{"grade": "优秀", "max_share": 0.15, "rounding": rounding}]},
    )
    compiled = perfsim.compile_scheme(scheme)
    values = np.round(rng.uniform(85, 100, 200))
    data = perfsim.load_units(pd.DataFrame({"unit": [f"u{i}" for i in range(200)], "a": values}), compiled)
    ev = perfsim.evaluate(compiled, data, {"quota:优秀": rng.uniform(0.05, 0.5, 50)})
    shares = ev.draws.overrides["quota:优秀"]
    limit = {"floor": np.floor, "half_up": lambda x: np.floor(x + 0.5), "ceil": np.ceil}[rounding](shares * 200)
    assert np.all((ev.grade == 0).sum(axis=1) <= limit)
