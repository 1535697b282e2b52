"""Benchmark the evaluation engine against a bare-numpy floor measured in the same run.

The floor is the same arithmetic as the 篇四 department scheme written directly: leaf
fractions, one matrix product per draw set for the weighted sum, the special-track band
conversion, capped deductions, clamp, half-up rounding, band lookup with
``searchsorted`` (or comparisons where cut-offs vary per draw) and, where ranks are
asked for, an ``argsort`` per draw. perfsim's generality (named parameters, any tree,
trace-ready structure) is what the ratio prices.

Run: ``python benchmarks/bench_engine.py`` (``--quick`` for a smaller run).
"""

from __future__ import annotations

import argparse
import statistics
import time
from collections.abc import Callable
from pathlib import Path

import numpy as np
import pandas as pd

import perfsim

ROOT = Path(__file__).resolve().parent.parent
SCHEME = ROOT / "scenarios" / "schemes" / "qitai-county.yaml"
CENTRAL = ["key_tasks", "annual_targets", "conduct"]
SPECIAL = ["tracking", "special_public", "audit"]


def department_population(n_units: int, seed: int = 1) -> pd.DataFrame:
    """Synthetic county departments for the 篇四 scheme."""
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


def weight_draws(compiled: perfsim.CompiledScheme, n_draws: int, seed: int = 2) -> dict[str, np.ndarray]:
    """Perturb every department weight by ±30 % (uniform), independently per draw."""
    rng = np.random.default_rng(seed)
    names = [n for n in compiled.parameters.names("points") if n.startswith("points:department/")]
    return {n: compiled.parameters[n].nominal * rng.uniform(0.7, 1.3, n_draws) for n in names}


def floor_evaluate(
    frame: pd.DataFrame, params: dict[str, np.ndarray], cutoffs: np.ndarray | None, rank: bool
) -> tuple[np.ndarray, np.ndarray]:
    """The 篇四 department scheme in bare numpy, draws × units."""
    p = {k.removeprefix("points:department/"): v for k, v in params.items()}
    share = np.array([30, 60]) / 90
    central_cols = np.stack([frame[f"{i}@{t}"].to_numpy() / 100 for i in CENTRAL for t in ("H1", "Y")], axis=1)
    special_cols = np.stack([frame[i].to_numpy() / 100 for i in SPECIAL], axis=1)
    public = frame["public"].to_numpy() / 100
    central_w = np.stack([p[i] * s for i in CENTRAL for s in share], axis=1)  # S × 6
    central_sum = sum(p[i] for i in CENTRAL)
    key_sum = p["centralised"] + p["special"]
    top_sum = p["key"] + p["public"]
    to_total = 100 / top_sum
    central_coef = central_w * (p["centralised"] / central_sum * p["key"] / key_sum * to_total)[:, None]
    total = central_coef @ central_cols.T + (p["public"] * to_total)[:, None] * public[None, :]
    special_w = np.stack([p[i] for i in SPECIAL], axis=1)
    special_pct = np.round((special_w / special_w.sum(axis=1, keepdims=True)) @ special_cols.T * 100, 9)
    credit = np.array([0.0, 5.5, 8.5, 10.0])[np.searchsorted([70.0, 80.0, 90.0], special_pct, side="right")] / 10
    total += (p["special"] * p["key"] / key_sum * to_total)[:, None] * credit
    deductions = np.minimum(frame["verification"].to_numpy(), 2) + np.minimum(frame["complaints"].to_numpy(), 2)
    total = np.clip(total - deductions[None, :], 0, 100)
    scaled = np.round(total * 100, 9)
    total = np.floor(scaled + 0.5) / 100
    if cutoffs is None:
        grade = 3 - np.searchsorted([70.0, 80.0, 90.0], total, side="right")
    else:
        grade = (total < cutoffs[:, 0:1]).astype(np.int8) + (total < cutoffs[:, 1:2]) + (total < cutoffs[:, 2:3])
    if rank:
        np.argsort(-total, axis=1, kind="stable")
    return total, grade


def timed(fn: Callable[[], object], repeat: int) -> float:
    best = []
    for _ in range(repeat):
        start = time.perf_counter()
        fn()
        best.append(time.perf_counter() - start)
    return min(best) if repeat <= 5 else statistics.median(best)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--quick", action="store_true", help="1,000 draws instead of 10,000")
    args = parser.parse_args()
    n_units, n_draws = 1000, 1000 if args.quick else 10_000
    compiled = perfsim.compile_scheme(perfsim.load_scheme(SCHEME))
    frame = department_population(n_units)
    data = perfsim.load_units(frame, compiled)
    params = weight_draws(compiled, n_draws)
    rng = np.random.default_rng(3)
    cut = np.stack([rng.uniform(85, 95, n_draws), rng.uniform(75, 85, n_draws), rng.uniform(65, 75, n_draws)], 1)
    with_cuts = {**params, "cutoff:优秀": cut[:, 0], "cutoff:良好": cut[:, 1], "cutoff:合格": cut[:, 2]}

    # the floor must compute what perfsim computes
    ev = perfsim.evaluate(compiled, data, params)
    total, grade = floor_evaluate(frame, params, None, False)
    assert np.allclose(ev.total, total, atol=1e-9) and np.array_equal(ev.grade, grade), "floor disagrees"

    one = {k: v[:1] for k, v in params.items()}
    rows = [
        (
            f"{n_draws:,} weight draws × {n_units:,} units → grade",
            lambda: perfsim.evaluate(compiled, data, params),
            lambda: floor_evaluate(frame, params, None, False),
            3,
            "≤ 2 s and ≤ 5× floor",
        ),
        (
            f"{n_draws:,} weight + cut-off draws → grade",
            lambda: perfsim.evaluate(compiled, data, with_cuts),
            lambda: floor_evaluate(frame, params, cut, False),
            3,
            "≤ 5× floor",
        ),
        (
            f"{n_draws:,} weight draws → grade and rank",
            lambda: perfsim.evaluate(compiled, data, params, ranks=True),
            lambda: floor_evaluate(frame, params, None, True),
            3,
            "≤ 5× floor",
        ),
        (
            f"slider: 1 draw × {n_units:,} units → grade",
            lambda: perfsim.evaluate(compiled, data, one),
            lambda: floor_evaluate(frame, one, None, False),
            50,
            "≤ 20 ms",
        ),
        (
            f"slider with trace detail: 1 draw × {n_units:,} units",
            lambda: perfsim.evaluate(compiled, data, one, detail=True),
            lambda: floor_evaluate(frame, one, None, False),
            50,
            "(information)",
        ),
    ]
    print(f"{'case':<48} {'perfsim':>10} {'numpy floor':>12} {'ratio':>7}  target")
    for name, ours, floor, repeat, target in rows:
        t_ours, t_floor = timed(ours, repeat), timed(floor, repeat)
        print(f"{name:<48} {t_ours * 1e3:>8.1f}ms {t_floor * 1e3:>10.1f}ms {t_ours / t_floor:>6.2f}×  {target}")


if __name__ == "__main__":
    main()
