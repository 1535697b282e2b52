"""Benchmark what-if analysis: weight Monte Carlo with budget consequences, Sobol, and another MCDA package.

Rows, measured in one run on the 篇四 scheme (with a 不合格 −10 % / 优秀 +5 % budget rule):

1. 10,000 tier-preserving weight draws × 1,000 departments through grading and the budget
   consequence, against the bare-numpy floor of the same arithmetic;
2. Sobol indices (Saltelli, N = 1,024, no second order) over 10 factor groups (8 weight tiers
   of townships and departments, and 2 cut-offs) on 500 units;
3. the same weight Monte Carlo through pymcdm's weighted sum model (WSM), looped over draws
   as its users do (scores only: no grading, no budget), for the ratio to another package.

Run: ``python benchmarks/bench_analysis.py`` (``--quick`` for 1,000 draws).
"""

from __future__ import annotations

import argparse
import time
from pathlib import Path

import numpy as np

import perfsim
from perfsim import analysis as a
from perfsim.consequences import apply_consequences
from perfsim.population import synthetic_units

try:
    from bench_engine import department_population, floor_evaluate
    from bench_simulate import scheme_with_budget_rule
except ImportError:
    import sys

    sys.path.insert(0, str(Path(__file__).resolve().parent))
    from bench_engine import department_population, floor_evaluate
    from bench_simulate import scheme_with_budget_rule


def timed(fn, repeat: int = 3) -> float:
    best = np.inf
    for _ in range(repeat):
        start = time.perf_counter()
        fn()
        best = min(best, time.perf_counter() - start)
    return best


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--quick", action="store_true")
    args = parser.parse_args()
    n_draws = 1000 if args.quick else 10_000
    compiled = scheme_with_budget_rule()
    frame = department_population(1000).assign(budget=1e6)
    data = perfsim.load_units(frame, compiled)
    department = [t for t in a.tiers(compiled) if t.class_id == "department"]

    def perfsim_mc() -> None:
        draws = a.sample_weights(compiled, n_draws, concentration=100, seed=1, only=department)
        apply_consequences(perfsim.evaluate(compiled, data, draws), parts=("budget",))

    def floor_mc() -> None:
        rng = np.random.default_rng(1)
        draws = {}
        for tier in department:
            block = rng.dirichlet(100 * np.array(tier.nominal) / tier.total, n_draws) * tier.total
            draws.update({p: block[:, j] for j, p in enumerate(tier.params)})
        total, grade = floor_evaluate(frame, draws, None, False)
        budget = np.full(total.shape, 1e8)
        factor = np.where(grade == 3, 0.9, np.where(grade == 0, 1.05, 1.0))
        np.floor(budget * factor + 0.5)

    # the same draws through pymcdm: decision matrix of leaf marks, weights = effective points per draw
    from pymcdm.methods import WSM

    leaves = [
        "key_tasks@H1",
        "key_tasks@Y",
        "annual_targets@H1",
        "annual_targets@Y",
        "conduct@H1",
        "conduct@Y",
        "tracking",
        "special_public",
        "audit",
        "public",
    ]
    matrix = frame[leaves].to_numpy(dtype=float) + 1e-9
    rng = np.random.default_rng(1)
    weight_draws = rng.dirichlet(100 * np.ones(len(leaves)) / len(leaves), n_draws)
    types = np.ones(len(leaves))
    wsm = WSM()

    pymcdm_draws = min(n_draws, 1000)  # timed on 1,000 draws and scaled: the loop is linear in draws

    def pymcdm_mc() -> None:
        for w in weight_draws[:pymcdm_draws]:  # one call per draw, as pymcdm users write it
            wsm(matrix, w, types)

    mixed = perfsim.load_units(
        synthetic_units(
            compiled,
            {"township": 100, "department": 400},
            3,
            attributes={
                "staff": np.full(500, 20),
                "salary": np.full(500, 4000.0),
                "satisfaction": np.full(500, 80.0),
                "budget": np.full(500, 1e6),
            },
        ),
        compiled,
    )
    factors = [*a.weight_factors(compiled), a.Factor("cutoff:优秀", 85, 95), a.Factor("cutoff:合格", 65, 75)]
    groups = {f.group or f.name for f in factors}

    def sobol() -> None:
        a.sobol(compiled, mixed, factors, 1024, outputs=a.gsa.standard_outputs(compiled))

    t_mc, t_floor, t_sobol = timed(perfsim_mc), timed(floor_mc), timed(sobol)
    t_pymcdm = timed(pymcdm_mc, 1) * n_draws / pymcdm_draws
    print(f"{'case':<62} {'seconds':>8} {'ratio':>8}  target")
    print(
        f"{f'weight MC: {n_draws:,} draws × 1,000 units → grade → budget':<62} {t_mc:>8.3f} "
        f"{t_mc / t_floor:>7.2f}×  ≤ 2 s; ratio to the numpy floor"
    )
    print(f"{'  bare-numpy floor of the same':<62} {t_floor:>8.3f} {1:>7.2f}×")
    print(
        f"{f'  pymcdm WSM looped over {n_draws:,} draws (scores only; timed on 1,000)':<62} {t_pymcdm:>8.3f} "
        f"{t_pymcdm / t_mc:>7.1f}×  perfsim ≥ 10× faster"
    )
    print(
        f"{f'Sobol N=1,024 × ({len(groups)} groups + 2) rows, 500 units, 2 outputs':<62} {t_sobol:>8.3f} {'':>8}  ≤ 1 s"
    )


if __name__ == "__main__":
    main()
