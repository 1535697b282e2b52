"""Benchmark the multi-year simulation: 20 years × 1,000 units × 1,000 draws of the 篇四 scheme.

The scheme is the bundled Qitai county scheme, departments only, with a budget rule added
(不合格 → −10 %, 优秀 → +5 %) so that budgets feed back into performance
(capacity elasticity 0.1). Reported against two references measured in the same run:
20 single-year evaluations of the same size (1,000 draws × 1,000 units, values per draw),
and the bare-numpy floor: the same random numbers and the same per-year arithmetic written
directly.

Run: ``python benchmarks/bench_simulate.py`` (``--quick`` for 200 draws).
"""

from __future__ import annotations

import argparse
import time
from pathlib import Path

import numpy as np
import yaml

import perfsim
from perfsim.simulate import simulate

ROOT = Path(__file__).resolve().parent.parent
SCHEME = ROOT / "scenarios" / "schemes" / "qitai-county.yaml"

try:
    from bench_engine import department_population
except ImportError:  # run from the repository root
    import sys

    sys.path.insert(0, str(Path(__file__).resolve().parent))
    from bench_engine import department_population


def scheme_with_budget_rule() -> perfsim.CompiledScheme:
    data = yaml.safe_load(SCHEME.read_text(encoding="utf-8"))
    data["attributes"].append({"id": "budget", "name": {"zh": "部门预算", "en": "department budget"}})
    data["consequences"]["budget"] = {
        "amount": "budget",
        "by_grade": {"不合格": {"percent": -10}, "优秀": {"percent": 5}},
    }
    return perfsim.compile_scheme(perfsim.scheme_from_data(data))


def floor_years(frame, years: int, draws: int, seed: int, block: int = 100) -> None:
    """The same work in bare numpy, in blocks of draws: random numbers, scores, grades, budgets."""
    cols = {
        c: frame[c].to_numpy(dtype=float)
        for c in frame.columns
        if "@" in c or c in ("tracking", "special_public", "audit", "public")
    }
    deductions = np.minimum(frame["verification"].to_numpy(), 2) + np.minimum(frame["complaints"].to_numpy(), 2)
    rater = {c: 0 if "@" in c else {"tracking": 1, "audit": 2}.get(c, 3) for c in cols}
    n = len(frame)
    for start in range(0, draws, block):
        rng = np.random.default_rng([seed, start])
        size = min(block, draws - start)
        budget = np.full((size, n), 1e8)  # cents
        first = budget.copy()
        capacity = np.ones((size, n))
        for _ in range(years):
            shock = rng.standard_normal((size, n), dtype=np.float32) * 3
            noise = [rng.standard_normal((size, n), dtype=np.float32) * 3 for _ in range(4)]
            rng.random((size, n), dtype=np.float32)
            frac = {c: np.clip(v * capacity + shock + noise[rater[c]], 0, 100) / 100 for c, v in cols.items()}
            central = sum(
                w * (frac[f"{i}@H1"] / 3 + frac[f"{i}@Y"] * 2 / 3)
                for i, w in (("key_tasks", 30), ("annual_targets", 30), ("conduct", 20))
            )
            special_pct = (0.8 * frac["tracking"] + 0.1 * frac["special_public"] + 0.1 * frac["audit"]) * 100
            credit = np.array([0.0, 5.5, 8.5, 10.0])[np.searchsorted([70.0, 80.0, 90.0], special_pct, side="right")]
            total = np.clip(central + credit + 10 * frac["public"] - deductions, 0, 100)
            total = np.floor(total * 100 * (1 + 1e-14) + 0.5) / 100
            grade = 3 - np.searchsorted([70.0, 80.0, 90.0], total, side="right")
            budget = np.floor(budget * np.where(grade == 3, 0.9, np.where(grade == 0, 1.05, 1.0)) + 0.5)
            capacity = (budget / first) ** 0.1


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--quick", action="store_true")
    args = parser.parse_args()
    years, n_units, draws = 20, 1000, 200 if args.quick else 1000
    compiled = scheme_with_budget_rule()
    frame = department_population(n_units).assign(budget=1e6)
    data = perfsim.load_units(frame, compiled)

    def run(workers: int, executor: str = "thread") -> float:
        start = time.perf_counter()
        simulate(compiled, data, years=years, draws=draws, seed=1, workers=workers, executor=executor)
        return time.perf_counter() - start

    rng = np.random.default_rng(0)
    noisy = {c: np.clip(data.values[c] + rng.normal(0, 3, (draws, n_units)), 0, 100) for c in data.values}
    start = time.perf_counter()
    for _ in range(years):
        perfsim.evaluate(compiled, data, values=noisy)
    single_years = time.perf_counter() - start
    start = time.perf_counter()
    floor_years(frame, years, draws, 1)
    floor = time.perf_counter() - start
    one, two, two_processes = run(1), run(2), run(2, "process")
    print(f"{years} years × {n_units:,} units × {draws:,} draws, 篇四 departments with budget feedback")
    print(f"{'case':<44} {'seconds':>8} {'÷ 20 evaluations':>17} {'÷ numpy floor':>14}  target")
    for name, secs, target in (
        ("perfsim.simulate, 1 worker", one, "≤ 5 s"),
        ("perfsim.simulate, 2 threads", two, "≤ 5 s"),
        ("perfsim.simulate, 2 processes", two_processes, "≤ 5 s"),
        ("20 single-year evaluations (values per draw)", single_years, ""),
        ("bare-numpy floor of the simulation", floor, ""),
    ):
        print(f"{name:<44} {secs:>8.2f} {secs / single_years:>16.2f}× {secs / floor:>13.2f}×  {target}")


if __name__ == "__main__":
    main()
