"""Benchmark design backwards (perfsim.analysis.reach) against the targets of issue 16.

Rows, on the 篇四 (Qitai county) scheme:

1. **cut-offs for 3 grade targets on 1,000 units** (synthetic departments of ``bench_engine``):
   ``优秀<=15%``, ``良好>=40%``, ``不合格>=10%`` with ``cutoff:*`` (the exact search). Target ≤ 0.5 s.
   Its rate is the number of ordered cut-off settings the search decides between (the product
   of each cut-off's distinct effects, ordered triples only) per second; the floor's is bare
   numpy grading cut-off triples against the 1,000 totals (comparisons and counts, in batches).
2. **weights for 2 targets** on the same 1,000 departments: the four department weight tiers
   (``weights:department/…``, every tier's sum kept), targets read off a tier-preserving weight
   draw (so some setting meets them): CMA-ES through the engine. Target ≤ 10 s. Its rate is
   settings evaluated per second (the search's own overhead included); the floor's is
   ``bench_engine.floor_model``, the scheme in bare numpy, on batches of the same size.
3. the same weight search on the bundled scenario (75 units, both classes, 8 tiers), for scale;
   no floor (the numpy floor is written for departments only).

Before timing, each floor is checked equal to perfsim: the floor's grades under the solution equal
:func:`perfsim.evaluate`'s. Times are medians of 3 runs in this process (the first run is reported
apart: it pays for imports). The machine may be shared: run it more than once.

Run: ``python benchmarks/bench_reach.py``.
"""

from __future__ import annotations

import statistics
import sys
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))
from bench_engine import SCHEME, department_population, floor_arrays, floor_model, verdict  # noqa: E402

import perfsim  # noqa: E402
from perfsim.analysis import reach  # noqa: E402
from perfsim.analysis.weights import sample_weights, tiers  # noqa: E402

ROOT = Path(__file__).resolve().parent.parent
DEPARTMENT_TIERS = ["weights:department/(total)", "weights:department/key", "weights:department/centralised"]
DEPARTMENT_TIERS.append("weights:department/special")


def timed(fn, repeat: int = 3) -> tuple[float, float, object]:
    start = time.perf_counter()
    out = fn()
    first = time.perf_counter() - start
    walls = []
    for _ in range(repeat):
        start = time.perf_counter()
        out = fn()
        walls.append(time.perf_counter() - start)
    return first, statistics.median(walls), out


def floor_grade_rate(total: np.ndarray, n: int = 200_000, batch: int = 2_000) -> float:
    """Cut-off triples graded per second in bare numpy: three comparisons per unit and three counts."""
    rng = np.random.default_rng(0)
    cut = np.sort(rng.uniform(60, 100, (n, 3)), axis=1)[:, ::-1]
    start = time.perf_counter()
    for s in range(0, n, batch):
        c = cut[s : s + batch]
        grade = (total[None, :] < c[:, 0:1]).astype(np.int8) + (total < c[:, 1:2]) + (total < c[:, 2:3])
        np.stack([(grade == g).sum(axis=1) for g in range(4)], axis=1)
    return n / (time.perf_counter() - start)


def row_cutoffs(compiled, data, arrays) -> None:
    targets = ["优秀<=15%", "良好>=40%", "不合格>=10%"]
    first, steady, got = timed(lambda: reach(compiled, data, targets, ["cutoff:*"]))
    assert got.feasible and got.method == "exact"
    names = ["cutoff:优秀", "cutoff:良好", "cutoff:合格"]
    nominal = {k: np.array([compiled.parameters[k].nominal]) for k in compiled.parameters.names("points")}
    total, _, _ = floor_model(arrays, {k: v for k, v in nominal.items() if "department/" in k})
    cut = np.array([[got.values[n] for n in names]])
    grade = (total < cut[:, 0:1]).astype(np.int8) + (total < cut[:, 1:2]) + (total < cut[:, 2:3])
    ev = perfsim.evaluate(compiled, data, {k: [v] for k, v in got.values.items()})
    assert np.array_equal(grade, ev.grade), "the floor grades the solution as perfsim does"
    # the distinct effects of each cut-off: one per distinct total, +1; the search decides between ordered triples
    k = np.unique(ev.total[0]).size + 1
    settings = k * (k - 1) * (k - 2) / 6
    rate, floor = settings / steady, floor_grade_rate(total[0])
    print(f"1. cut-offs, 3 grade targets, 1,000 units: {steady * 1e3:.1f} ms (first {first * 1e3:.1f} ms)")
    print(f"   {settings:,.0f} ordered settings decided: {rate:,.0f}/s; numpy floor grading triples: {floor:,.0f}/s")
    print(f"   brute force at the floor's rate would take {settings / floor:,.0f} s ({rate / floor:,.0f}× longer)")
    print(f"   target ≤ 0.5 s: {verdict(steady <= 0.5)}")


def row_weights(compiled, data, arrays) -> None:
    only = [t for t in tiers(compiled) if t.class_id == "department"]
    witness = sample_weights(compiled, 1, concentration=30, seed=5, only=only)
    ev = perfsim.evaluate(compiled, data, witness)
    targets = [f"优秀<={int((ev.grade[0] == 0).sum())}", f"不合格>={int((ev.grade[0] == 3).sum())}"]
    first, steady, got = timed(lambda: reach(compiled, data, targets, DEPARTMENT_TIERS))
    assert got.feasible
    params = {k: np.array([v]) for k, v in got.values.items()}
    _, grade, _ = floor_model(arrays, params)
    again = perfsim.evaluate(compiled, data, params)
    assert np.array_equal(grade, again.grade), "the floor grades the solution as perfsim does"
    ours = got.evaluations / got.seconds
    batch = {k: np.repeat(v, 32) for k, v in params.items()}
    start, n = time.perf_counter(), 0
    while time.perf_counter() - start < 1.0:
        floor_model(arrays, batch)
        n += 32
    floor = n / (time.perf_counter() - start)
    print(f"2. weights (4 department tiers), targets {', '.join(targets)}, 1,000 units:")
    print(f"   {steady:.2f} s (first {first:.2f} s), {got.evaluations:,} settings, distance {got.distance:.3f}")
    print(f"   {ours:,.0f} settings/s; numpy floor (batches of 32, the population size): {floor:,.0f}/s")
    print(f"   ratio {floor / ours:.1f}× slower than the floor (CMA-ES bookkeeping and polishing included)")
    print(f"   target ≤ 10 s: {verdict(steady <= 10)}")


def row_bundled() -> None:
    from perfsim.scenario import load_scenario

    sc = load_scenario(ROOT / "scenarios" / "qitai-county.yaml")
    witness = sample_weights(sc.compiled, 1, concentration=30, seed=5)
    ev = perfsim.evaluate(sc.compiled, sc.data, witness)
    targets = [f"优秀<={int((ev.grade[0] == 0).sum())}", f"不合格>={int((ev.grade[0] == 3).sum())}"]
    first, steady, got = timed(lambda: reach(sc.compiled, sc.data, targets, ["weights:*"]))
    print(f"3. weights (8 tiers), targets {', '.join(targets)}, bundled 75 units: {steady:.2f} s (first {first:.2f} s)")
    print(f"   feasible {got.feasible}, {got.evaluations:,} settings, {got.evaluations / got.seconds:,.0f}/s")
    print(f"   target ≤ 10 s: {verdict(steady <= 10)}")


def main() -> None:
    compiled = perfsim.compile_scheme(perfsim.load_scheme(SCHEME))
    frame = department_population(1000)
    data = perfsim.load_units(frame, compiled)
    arrays = floor_arrays(frame)
    row_cutoffs(compiled, data, arrays)
    row_weights(compiled, data, arrays)
    row_bundled()


if __name__ == "__main__":
    main()
