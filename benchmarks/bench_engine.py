"""Benchmark the evaluation engine against a bare-numpy floor that does the same work.

The floor is the 篇四 department scheme written directly in numpy: leaf fractions, one matrix
product per draw set for the weighted sum, the special-track band conversion, capped deductions,
clamp, half-up rounding, band lookup (``searchsorted``, or comparisons where cut-offs vary per
draw) and, where ranks are asked for, competition ranks with ties (1, 1, 3), as the scheme states.
Its inputs are numpy arrays taken out of the data frame before any timing, so no pandas runs in
a timed region. Every floor's output (totals, grades and ranks) is asserted equal to perfsim's
before anything is timed. Where perfsim limits BLAS to one thread (evaluations of 65,536 draws ×
units or more, :mod:`perfsim.blas`), the floor runs with one BLAS thread too: on these thin matrix
products a second OpenBLAS thread only spins (it would slow the floor down, flattering perfsim).

Each row runs in fresh processes, perfsim and floor alternating (``--runs``, default 3; the medians
are shown), and reports:

- **steady**: median wall time of 5 calls after the first (1-draw rows: of 500, where a call takes
  about a tenth of a millisecond and a shared machine's interruptions would otherwise move the median);
- **first**: the first call in the process (lazy imports, first use of memory included). On the
  shared benchmark VM the kernel's first handing-out of ~200 MB to a process costs anywhere from
  0.015 s to 0.3 s of system time (a bare numpy script that fills three such arrays shows it too),
  so a single process's first call is noisy: read the median over ``--runs``;
- **peak**: the process's peak resident memory (``resource.getrusage(...).ru_maxrss``, so the
  interpreter, numpy and the inputs are counted too), and what the calls added to it.

Then a verdict against the target of issue 15 (or the earlier ones). The machine may be shared:
run it several times and read medians.

Run: ``python benchmarks/bench_engine.py`` (``--quick`` for 1,000 draws).
"""

from __future__ import annotations

import argparse
import json
import resource
import statistics
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

ROOT = Path(__file__).resolve().parent.parent
SCHEME = ROOT / "scenarios" / "schemes" / "qitai-county.yaml"
CENTRAL = ["key_tasks", "annual_targets", "conduct"]
SPECIAL = ["tracking", "special_public", "audit"]


def department_population(n_units: int, seed: int = 1) -> pd.DataFrame:
    """Synthetic county departments for the 篇四 scheme."""
    import perfsim

    rng = np.random.default_rng(seed)
    latent = rng.normal(84, 6, n_units)
    frame = pd.DataFrame({"unit": [f"D{i:04d}" for i in range(n_units)], "class": "department"})
    for ind in CENTRAL:
        for period in ("H1", "Y"):
            frame[f"{ind}@{period}"] = np.clip(np.round(latent + rng.normal(0, 5, n_units), 1), 0, 100)
    for ind in [*SPECIAL, "public"]:
        frame[ind] = np.clip(np.round(latent + rng.normal(0, 6, n_units), 1), 0, 100)
    frame["verification"] = rng.choice([0, 0, 0.5, 1, 2.5], n_units)
    frame["complaints"] = rng.choice([0, 0, 0, 1, 3], n_units)
    frame["staff"] = rng.integers(8, 60, n_units)
    frame["salary"] = np.round(rng.normal(4200, 500, n_units), -1)
    frame["satisfaction"] = np.clip(np.round(latent - 8 + rng.normal(0, 8, n_units), 1), 0, 100)
    for veto in perfsim.load_scheme(SCHEME).vetoes:  # the data must give every veto; the floor has none
        frame[veto.id] = 0
    return frame


def weight_draws(compiled: Any, n_draws: int, seed: int = 2) -> dict[str, np.ndarray]:
    """Perturb every department weight by ±30 % (uniform), independently per draw."""
    rng = np.random.default_rng(seed)
    names = [n for n in compiled.parameters.names("points") if n.startswith("points:department/")]
    return {n: compiled.parameters[n].nominal * rng.uniform(0.7, 1.3, n_draws) for n in names}


def floor_arrays(frame: pd.DataFrame) -> dict[str, np.ndarray]:
    """The data the floor reads, as numpy arrays (taken out of pandas before any timing)."""
    return {
        "central": np.stack([frame[f"{i}@{t}"].to_numpy() / 100 for i in CENTRAL for t in ("H1", "Y")], axis=1),
        "special": np.stack([frame[i].to_numpy() / 100 for i in SPECIAL], axis=1),
        "public": frame["public"].to_numpy() / 100,
        "verification": frame["verification"].to_numpy(dtype=float),
        "complaints": frame["complaints"].to_numpy(dtype=float),
    }


def competition_ranks(total: np.ndarray) -> np.ndarray:
    """Ranks 1, 1, 3 (ties share the best place of their block), per draw, in bare numpy."""
    order = np.argsort(-total, axis=1, kind="stable")
    ordered = np.take_along_axis(total, order, axis=1)
    pos = np.broadcast_to(np.arange(total.shape[1]), total.shape)
    new_block = np.ones(total.shape, dtype=bool)
    new_block[:, 1:] = ordered[:, 1:] != ordered[:, :-1]
    place = np.maximum.accumulate(np.where(new_block, pos, 0), axis=1) + 1
    ranks = np.empty(total.shape, dtype=np.int64)
    np.put_along_axis(ranks, order, place, axis=1)
    return ranks


def floor_model(
    arrays: dict[str, np.ndarray],
    params: dict[str, np.ndarray],
    cutoffs: np.ndarray | None = None,
    rank: bool = False,
    caps: tuple[np.ndarray, np.ndarray] | None = None,
    public: np.ndarray | None = None,
) -> tuple[np.ndarray, np.ndarray, np.ndarray | None]:
    """The 篇四 department scheme in bare numpy, draws × units: (total, grade, ranks or None).

    ``caps`` gives the verification and complaints caps per draw (default 2 and 2) and ``public``
    replacement public-satisfaction fractions (draws × units), for the Sobol floor.
    """
    p = {k.removeprefix("points:department/"): v for k, v in params.items()}
    share = np.array([30, 60]) / 90
    central_w = np.stack([p[i] * s for i in CENTRAL for s in share], axis=1)  # S × 6
    central_sum = sum(p[i] for i in CENTRAL)
    key_sum = p["centralised"] + p["special"]
    top_sum = p["key"] + p["public"]
    to_total = 100 / top_sum
    central_coef = central_w * (p["centralised"] / central_sum * p["key"] / key_sum * to_total)[:, None]
    pub = arrays["public"][None, :] if public is None else public
    total = central_coef @ arrays["central"].T + (p["public"] * to_total)[:, None] * pub
    special_w = np.stack([p[i] for i in SPECIAL], axis=1)
    special_pct = np.round((special_w / special_w.sum(axis=1, keepdims=True)) @ arrays["special"].T * 100, 9)
    credit = np.array([0.0, 5.5, 8.5, 10.0])[np.searchsorted([70.0, 80.0, 90.0], special_pct, side="right")] / 10
    total += (p["special"] * p["key"] / key_sum * to_total)[:, None] * credit
    if caps is None:
        deductions = np.minimum(arrays["verification"], 2) + np.minimum(arrays["complaints"], 2)
        total = np.clip(total - deductions[None, :], 0, 100)
    else:
        deductions = np.minimum(arrays["verification"][None, :], caps[0][:, None]) + np.minimum(
            arrays["complaints"][None, :], caps[1][:, None]
        )
        total = np.clip(total - deductions, 0, 100)
    scaled = np.round(total * 100, 9)
    total = np.floor(scaled + 0.5) / 100
    if cutoffs is None:
        grade = 3 - np.searchsorted([70.0, 80.0, 90.0], total, side="right")
    else:
        grade = (total < cutoffs[:, 0:1]).astype(np.int8) + (total < cutoffs[:, 1:2]) + (total < cutoffs[:, 2:3])
    return total, grade, competition_ranks(total) if rank else None


def floor_evaluate(
    frame: pd.DataFrame | dict[str, np.ndarray], params: dict[str, np.ndarray], cutoffs: np.ndarray | None, rank: bool
) -> tuple[np.ndarray, np.ndarray]:
    """(total, grade) of :func:`floor_model`, for scripts written against the earlier floor (a frame is
    converted first: pass :func:`floor_arrays` to keep pandas out of a timed region)."""
    arrays = floor_arrays(frame) if isinstance(frame, pd.DataFrame) else frame
    total, grade, _ = floor_model(arrays, params, cutoffs, rank)
    return total, grade


# --- measuring one side of one row in a fresh process -------------------------------------------


def measure(fn: Callable[[], object], repeat: int) -> dict[str, float]:
    """First call, median steady call (wall and user CPU) and peak memory of this process."""
    r0 = resource.getrusage(resource.RUSAGE_SELF)
    before, start = r0.ru_maxrss, time.perf_counter()
    fn()
    first = time.perf_counter() - start
    if repeat == 0:  # one call only (a long run): it is the steady figure too
        user = resource.getrusage(resource.RUSAGE_SELF).ru_utime - r0.ru_utime
        peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
        return {
            "first": first,
            "steady": first,
            "user": user,
            "peak_mb": peak / 1024,
            "added_mb": (peak - before) / 1024,
        }
    walls, users = [], []
    for _ in range(repeat):
        r0, t0 = resource.getrusage(resource.RUSAGE_SELF), time.perf_counter()
        fn()
        walls.append(time.perf_counter() - t0)
        users.append(resource.getrusage(resource.RUSAGE_SELF).ru_utime - r0.ru_utime)
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return {
        "first": first,
        "steady": statistics.median(walls),
        "user": statistics.median(users),
        "peak_mb": peak / 1024,
        "added_mb": (peak - before) / 1024,
    }


def in_child(script: str, row: str, side: str, extra: list[str]) -> dict[str, float]:
    """Run one side of one row in a fresh interpreter (so first call and peak memory are its own)."""
    out = subprocess.run(
        [sys.executable, script, "--child", row, side, *extra], capture_output=True, text=True, check=False
    )
    if out.returncode != 0:
        raise SystemExit(f"{row}/{side} failed:\n{out.stderr}")
    return json.loads(out.stdout.strip().splitlines()[-1])  # type: ignore[no-any-return]


def paired(script: str, row: str, extra: list[str], runs: int) -> tuple[dict[str, float], dict[str, float]]:
    """Both sides of a row, alternating perfsim and floor processes ``runs`` times; medians of each figure
    (the machine may be shared, so the two sides see the same load on average)."""
    sides: dict[str, list[dict[str, float]]] = {"perfsim": [], "floor": []}
    for _ in range(runs):
        for side, results in sides.items():
            results.append(in_child(script, row, side, extra))
    ours, floor = ({k: statistics.median(r[k] for r in results) for k in results[0]} for results in sides.values())
    return ours, floor


def verdict(ok: bool) -> str:
    return "MET" if ok else "NOT MET"


def print_row(name: str, ours: dict[str, float], floor: dict[str, float], target: str, ok: bool) -> None:
    print(
        f"{name:<44} {ours['steady'] * 1e3:>9.1f} {ours['first'] * 1e3:>9.1f} {ours['peak_mb']:>5.0f}"
        f"/{ours['added_mb']:<5.0f} {floor['steady'] * 1e3:>9.1f} {floor['first'] * 1e3:>9.1f} "
        f"{floor['peak_mb']:>5.0f}/{floor['added_mb']:<5.0f} "
        f"{ours['steady'] / floor['steady']:>6.2f}×  {target}: {verdict(ok)}"
    )


def header() -> None:
    print(
        f"{'case':<44} {'steady':>9} {'first':>9} {'peak/added':>11} {'floor':>9} {'floor 1st':>9} "
        f"{'peak/added':>11} {'ratio':>6}  target\n{'':<44} {'ms':>9} {'ms':>9} {'MB':>11} {'ms':>9} {'ms':>9} "
        f"{'MB':>11}"
    )


# --- the rows -----------------------------------------------------------------------------------


def setup(n_draws: int) -> dict[str, Any]:
    import perfsim

    compiled = perfsim.compile_scheme(perfsim.load_scheme(SCHEME))
    frame = department_population(1000)
    data = perfsim.load_units(frame, compiled)
    params = weight_draws(compiled, n_draws)
    rng = np.random.default_rng(3)
    cut = np.stack([rng.uniform(85, 95, n_draws), rng.uniform(75, 85, n_draws), rng.uniform(65, 75, n_draws)], 1)
    with_cuts = {**params, "cutoff:优秀": cut[:, 0], "cutoff:良好": cut[:, 1], "cutoff:合格": cut[:, 2]}
    one = {k: v[:1] for k, v in params.items()}
    return {
        "perfsim": perfsim,
        "compiled": compiled,
        "data": data,
        "arrays": floor_arrays(frame),
        "params": params,
        "cut": cut,
        "with_cuts": with_cuts,
        "one": one,
    }


def one_blas_thread(fn: Callable[..., Any], *args: Any, **kwargs: Any) -> Any:
    """``fn(*args, **kwargs)`` with BLAS on one thread, as perfsim runs large evaluations (see the docstring)."""
    from threadpoolctl import threadpool_limits

    with threadpool_limits(1, "blas"):
        return fn(*args, **kwargs)


def rows(s: dict[str, Any]) -> dict[str, tuple[Callable[[], Any], Callable[[], Any], int]]:
    """Row → (perfsim call, floor call, steady repeats)."""
    ps, c, d, arr = s["perfsim"], s["compiled"], s["data"], s["arrays"]
    return {
        "grade": (lambda: ps.evaluate(c, d, s["params"]), lambda: one_blas_thread(floor_model, arr, s["params"]), 5),
        "cutoffs": (
            lambda: ps.evaluate(c, d, s["with_cuts"]),
            lambda: one_blas_thread(floor_model, arr, s["params"], s["cut"]),
            5,
        ),
        "rank": (
            lambda: ps.evaluate(c, d, s["params"], ranks=True),
            lambda: one_blas_thread(floor_model, arr, s["params"], rank=True),
            5,
        ),
        "slider": (lambda: ps.evaluate(c, d, s["one"]), lambda: floor_model(arr, s["one"]), 500),
        "detail": (lambda: ps.evaluate(c, d, s["one"], detail=True), lambda: floor_model(arr, s["one"]), 50),
    }


def check_equal(s: dict[str, Any]) -> None:
    """Every floor computes what perfsim computes: totals, grades and competition ranks (with ties)."""
    ps, c, d, arr = s["perfsim"], s["compiled"], s["data"], s["arrays"]
    for params, cut in [(s["params"], None), (s["with_cuts"], s["cut"]), (s["one"], None)]:
        ev = ps.evaluate(c, d, params, ranks=True)
        total, grade, ranks = floor_model(arr, s["params"] if cut is not None else params, cut, rank=True)
        assert np.allclose(ev.total, total, atol=1e-9), "floor totals disagree"
        assert np.array_equal(ev.grade, grade), "floor grades disagree"
        assert c.scheme.grading.ranking.ties == "competition"
        assert np.array_equal(ev.rank, ranks), "floor ranks disagree"
    ties = (np.diff(np.sort(ev.total, axis=1), axis=1) == 0).any()
    assert ties, "the data should hold tied totals, so the rank check covers ties"


def child(row: str, side: str, n_draws: int) -> None:
    s = setup(n_draws)
    if row == "check":
        check_equal(s)
        print(json.dumps({}))
        return
    ours, floor, repeat = rows(s)[row]
    print(json.dumps(measure(ours if side == "perfsim" else floor, repeat)))


TARGETS: dict[str, tuple[str, Callable[[dict[str, float], dict[str, float]], bool]]] = {
    "grade": ("≤ 2 s and ≤ 5× floor", lambda o, f: o["steady"] <= 2 and o["steady"] <= 5 * f["steady"]),
    "cutoffs": ("≤ 5× floor", lambda o, f: o["steady"] <= 5 * f["steady"]),
    "rank": ("≤ 5× floor", lambda o, f: o["steady"] <= 5 * f["steady"]),
    "slider": ("≤ 3× array floor (issue 15)", lambda o, f: o["steady"] <= 3 * f["steady"]),
    "detail": ("≤ 20 ms", lambda o, f: o["steady"] <= 0.020),
}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--quick", action="store_true", help="1,000 draws instead of 10,000")
    parser.add_argument("--runs", type=int, default=3, help="processes per side and row (medians; default 3)")
    parser.add_argument("--child", nargs=2, metavar=("ROW", "SIDE"), help=argparse.SUPPRESS)
    parser.add_argument("--draws", type=int, default=None, help=argparse.SUPPRESS)
    args = parser.parse_args()
    n_draws = args.draws or (1000 if args.quick else 10_000)
    if args.child:
        child(*args.child, n_draws)
        return
    # in a child process: Linux hands a parent's peak memory (ru_maxrss) down to the processes it starts
    in_child(__file__, "check", "-", ["--draws", str(min(n_draws, 2000))])
    print(f"floors checked equal to perfsim (totals, grades, competition ranks with ties); {n_draws:,} draws\n")
    names = {
        "grade": f"{n_draws:,} weight draws × 1,000 units → grade",
        "cutoffs": f"{n_draws:,} weight + cut-off draws → grade",
        "rank": f"{n_draws:,} weight draws → grade and rank",
        "slider": "slider: 1 draw × 1,000 units → grade",
        "detail": "slider with trace detail: 1 draw × 1,000",
    }
    header()
    first_ratio = None
    for row, name in names.items():
        ours, floor = paired(__file__, row, ["--draws", str(n_draws)], args.runs)
        target, ok = TARGETS[row]
        print_row(name, ours, floor, target, ok(ours, floor))
        if row == "grade":
            first_ratio = ours["first"] / ours["steady"]
    assert first_ratio is not None
    print(
        f"\nfirst evaluate in a process / steady, {n_draws:,} × 1,000: {first_ratio:.2f}× "
        f"(target ≤ 1.5×): {verdict(first_ratio <= 1.5)}"
    )
    times = []
    for _ in range(5):
        start = time.perf_counter()
        subprocess.run([sys.executable, "-c", "import perfsim"], check=True)
        times.append(time.perf_counter() - start)
    bare = []
    for _ in range(5):
        start = time.perf_counter()
        subprocess.run([sys.executable, "-c", "pass"], check=True)
        bare.append(time.perf_counter() - start)
    print(
        f"python -c 'import perfsim': {statistics.median(times):.3f} s warm (median of 5; a bare interpreter "
        f"{statistics.median(bare):.3f} s); target ≤ 0.3 s: {verdict(statistics.median(times) <= 0.3)}"
    )
    print(
        "peak = the process's peak RSS (resource.getrusage ru_maxrss: interpreter, libraries and inputs "
        "included); added = what the timed calls added to the peak reached after setting up"
    )


if __name__ == "__main__":
    main()
