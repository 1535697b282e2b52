"""What evaluate keeps between calls (perfsim.plan), evaluates in chunks and limits never change a result.

The oracle throughout is an evaluation on fresh copies of the scheme and data (no plan kept yet) or in
one pass; the properties must hold to the bit, since the engine computes every number by the same
operations whatever it kept.
"""

from __future__ import annotations

import copy
import threading

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import perfsim
from perfsim import engine
from perfsim.blas import one_blas_thread
from perfsim.errors import ParameterError
from perfsim.grading import band_grades

from conftest import label, leaf, make_scheme

FIELDS = ("weighted", "bonus", "deduction", "total", "band_grade", "grade", "quota_dropped", "clamped", "cutoffs")


def rich_scheme() -> perfsim.Scheme:
    """Sections, a 不适用 item, indicator, section and grade vetoes, a capped bonus, period shares, rounding."""
    return make_scheme(
        [
            {
                "id": "s1",
                "name": label("s1"),
                "points": 60,
                "periods": {"H1": 40, "Y": 60},
                "children": [leaf("a", 30), leaf("b", 30)],
            },
            {"id": "s2", "name": label("s2"), "points": 40, "children": [leaf("c", 20), leaf("d", 20)]},
        ],
        periods=[{"id": "H1", "name": label("半年")}, {"id": "Y", "name": label("全年")}],
        not_applicable={"indicators": ["d"]},
        vetoes=[
            {"id": "va", "name": label("va"), "scope": "indicator", "target": "a"},
            {"id": "vs", "name": label("vs"), "scope": "section", "target": "s2"},
            {"id": "vg", "name": label("vg"), "scope": "grade_lowest"},
        ],
        adjustments={"items": [{"id": "plus", "name": label("加分"), "kind": "bonus", "cap": 3}]},
        rounding={"total": 2},
        grading={
            "basis": "percent",
            "bands": [
                {"grade": label("优秀"), "min": 90},
                {"grade": label("良好"), "min": 80},
                {"grade": label("合格"), "min": 70},
                {"grade": label("不合格")},
            ],
            "quotas": [{"grade": "优秀", "max_share": 0.2}],
        },
    )


@pytest.fixture(scope="module")
def rich() -> tuple[perfsim.CompiledScheme, perfsim.UnitData]:
    rng = np.random.default_rng(4)
    n = 40
    frame = pd.DataFrame({"unit": [f"u{i}" for i in range(n)]})
    for col in ("a@H1", "a@Y", "b@H1", "b@Y", "c"):
        frame[col] = np.round(rng.uniform(50, 100, n), 1)
    frame["d"] = np.where(rng.random(n) < 0.3, "不适用", np.round(rng.uniform(50, 100, n), 1).astype(str))
    frame["plus"] = rng.choice([0, 1, 2, 5], n)
    for veto in ("va", "vs", "vg"):
        frame[veto] = (rng.random(n) < 0.1).astype(int)
    compiled = perfsim.compile_scheme(rich_scheme())
    return compiled, perfsim.load_units(frame, compiled)


def call(compiled: perfsim.CompiledScheme, data: perfsim.UnitData, kind: str, seed: int) -> dict:
    """Keyword arguments of one kind of evaluate call, drawn from ``seed``."""
    rng = np.random.default_rng(seed)
    s = 6
    points = {n: compiled.parameters[n].nominal * rng.uniform(0.7, 1.3, s) for n in compiled.parameters.names("points")}
    n_units = len(data)
    if kind == "nominal":
        return {}
    if kind == "points":
        return {"params": points}
    if kind == "shares_caps_cutoffs":
        return {
            "params": {
                "share:s1@H1": rng.uniform(20, 60, s),
                "cap:plus": rng.uniform(0, 4, s),
                "cutoff:优秀": rng.uniform(85, 95, s),
                "quota:优秀": rng.uniform(0.1, 0.3, s),
            }
        }
    if kind == "values":
        return {"params": points, "values": {"c": rng.uniform(0, 100, (s, n_units))}}
    if kind == "one_row":  # values and vetoes given as a single row for every draw
        return {
            "params": points,
            "values": {"c": rng.uniform(0, 100, (1, n_units))},
            "vetoes": rng.random((1, n_units, 3)) < 0.2,
        }
    if kind == "vetoes":
        return {"params": points, "vetoes": rng.random((s, n_units, 3)) < 0.2}
    if kind == "detail":
        return {"params": {k: v[:1] for k, v in points.items()}, "detail": True}
    assert kind == "present"
    return {"present": rng.random(n_units) < 0.8, "ranks": True}


def same(a: perfsim.Evaluation, b: perfsim.Evaluation) -> None:
    for name in FIELDS:
        x, y = np.asarray(getattr(a, name)), np.asarray(getattr(b, name))
        shape = np.broadcast_shapes(x.shape, y.shape)
        assert np.array_equal(np.broadcast_to(x, shape), np.broadcast_to(y, shape)), name
    assert (a.rank is None) == (b.rank is None)
    if a.rank is not None:
        assert np.array_equal(a.rank, b.rank)
    for da, db in zip(a.details, b.details):
        assert (da is None) == (db is None)
        if da is not None:
            assert da.scores.keys() == db.scores.keys()
            for node in da.scores:
                assert np.array_equal(da.scores[node], db.scores[node])
            for ca, cb in zip(da.columns, db.columns):
                assert np.array_equal(ca, cb)


KINDS = ["nominal", "points", "shares_caps_cutoffs", "values", "vetoes", "one_row", "detail", "present"]


@settings(max_examples=25, deadline=None)
@given(calls=st.lists(st.tuples(st.sampled_from(KINDS), st.integers(0, 2**16)), min_size=2, max_size=6))
def test_results_do_not_depend_on_earlier_calls(rich, calls):
    """Whatever was evaluated before on the same scheme and data, a call gives what it gives on fresh copies."""
    compiled, data = rich
    for kind, seed in calls:
        kept = perfsim.evaluate(compiled, data, **call(compiled, data, kind, seed))
        fresh_compiled, fresh_data = copy.deepcopy(compiled), copy.deepcopy(data)
        fresh = perfsim.evaluate(fresh_compiled, fresh_data, **call(fresh_compiled, fresh_data, kind, seed))
        same(kept, fresh)


@pytest.mark.parametrize("kind", ["points", "shares_caps_cutoffs", "values", "vetoes", "one_row", "nominal"])
@pytest.mark.parametrize("cells", [80, 130, 500])
def test_chunked_scores_equal_one_pass(rich, monkeypatch, kind, cells):
    """Steps 1-6 in chunks of draws (uneven ones too) give what one pass gives, to the bit."""
    compiled, data = rich
    kwargs = call(compiled, data, kind, 7)
    monkeypatch.setattr(engine, "STAGE_CELLS", 10**9)
    one_pass = perfsim.evaluate(compiled, data, **kwargs, ranks=True)
    monkeypatch.setattr(engine, "STAGE_CELLS", cells)  # 40 units: chunks of 2, 3 or 12 draws of 6
    monkeypatch.setattr(engine, "BLAS_CELLS", 1)
    same(perfsim.evaluate(compiled, data, **kwargs, ranks=True), one_pass)


def test_kept_scores_cannot_be_written_into(rich):
    """A detail's column scores are kept between calls: writing into one fails instead of changing later results."""
    compiled, data = rich
    ev = perfsim.evaluate(compiled, data, detail=True)
    detail = ev.details[0]
    assert detail is not None
    with pytest.raises(ValueError, match="read-only"):
        detail.columns[0][0] = 99.0
    assert np.array_equal(perfsim.evaluate(compiled, data, detail=True).total, ev.total)


def test_one_blas_thread_restores_the_callers_setting():
    """One thread while any evaluation holds the limit (two at once here), the caller's setting after the last."""
    from threadpoolctl import threadpool_info

    def blas_threads() -> list[int]:
        """Threads of the BLAS numpy multiplies with (scipy may bring its own, which evaluate never calls)."""
        return [
            lib["num_threads"] for lib in threadpool_info() if lib["user_api"] == "blas" and "numpy" in lib["filepath"]
        ]

    before = blas_threads()
    if not before:
        pytest.skip("numpy's BLAS is not one threadpoolctl finds by its path here")
    inside = threading.Barrier(3)
    release = [threading.Event(), threading.Event()]

    def work(i: int) -> None:
        with one_blas_thread():
            inside.wait()
            release[i].wait(10)

    threads = [threading.Thread(target=work, args=(i,)) for i in (0, 1)]
    for t in threads:
        t.start()
    inside.wait()  # both hold the limit
    during = blas_threads()
    release[0].set()
    threads[0].join()  # one has left, the other still holds it
    between = blas_threads()
    release[1].set()
    threads[1].join()
    assert during == [1] * len(before)
    assert between == [1] * len(before)
    assert blas_threads() == before


@pytest.mark.parametrize(
    ("overrides", "bad"),
    [
        ({"points:a": [30.0, 31.0], "points:b": [-5.0, 30.0]}, "points:b"),
        ({"points:a": [30.0, np.nan]}, "points:a"),
        ({"points:a": [30.0, 31.0], "points:b": [1.0, 2.0, 3.0]}, "points:b"),
        ({"points:a": [[30.0]]}, "points:a"),
        ({"points:a": 30.0, "points:zz": 1.0}, "points:zz"),
        ({"points:a": []}, "points:a"),
        ({"quota:优秀": [0.5, 1.5]}, "quota:优秀"),
    ],
)
def test_parameter_check_names_the_first_bad_override(rich, overrides, bad):
    compiled, _ = rich
    with pytest.raises(ParameterError) as caught:
        compiled.parameters.resolve(overrides)
    assert caught.value.field == bad


def test_parameter_check_keeps_valid_draws(rich):
    compiled, _ = rich
    given = {"points:a": [30, 25.5, 31], "cutoff:优秀": 90, "quota:优秀": np.array([0.1, 0.2, 0.3])}
    draws = compiled.parameters.resolve(given)
    assert draws.draws == 3
    for name, value in given.items():
        assert np.array_equal(draws.overrides[name], np.asarray(value, dtype=float).reshape(-1))


@settings(max_examples=200, deadline=None)
@given(
    bounds=st.lists(st.floats(0, 100, allow_nan=False), min_size=0, max_size=5),
    inclusive=st.booleans(),
    totals=st.lists(st.floats(-10, 110, allow_nan=False), min_size=1, max_size=30),
    rows=st.integers(1, 3),
)
def test_band_grades_count_the_bounds_above(bounds, inclusive, totals, rows):
    """A grade is the number of lower bounds a total falls short of (含: strictly below; else at or below)."""
    total = np.tile(np.array(totals), (rows, 1))
    cutoffs = np.array([sorted(bounds, reverse=True)]).reshape(1, len(bounds))
    got = band_grades(total, cutoffs, [inclusive] * len(bounds))
    expected = np.array([[sum((t < b) if inclusive else (t <= b) for b in bounds) for t in row] for row in total])
    assert got.dtype == np.int8
    assert np.array_equal(got, expected.reshape(total.shape))


@settings(max_examples=200, deadline=None)
@given(
    mins=st.lists(st.floats(0, 100, allow_nan=False), min_size=1, max_size=4, unique=True),
    inclusive=st.lists(st.booleans(), min_size=4, max_size=4),
    open_last=st.booleans(),
    values=st.lists(st.floats(-10, 110, allow_nan=False), min_size=1, max_size=20),
)
def test_band_table_index_counts_the_bounds_above(mins, inclusive, open_last, values):
    """A band conversion finds each value's band: the number of band minima above it (or at it, 不含)."""
    from perfsim import scheme as s
    from perfsim.scoring import BandArrays

    mins = sorted(mins, reverse=True)
    rows = [s.Band(min=m, min_inclusive=inc, points=10 - i) for i, (m, inc) in enumerate(zip(mins, inclusive))]
    if open_last:
        rows.append(s.Band(points=0))
    table = BandArrays(s.BandTable(bands=rows), 10.0)
    value = np.array(values)
    expected = [sum((v < b.min) if b.min_inclusive else (v <= b.min) for b in rows if b.min is not None) for v in value]
    assert np.array_equal(table.band_index(value), expected)
