"""Benchmark what-if analysis against bare-numpy floors that do the same work, with verdicts (issue 15).

The scheme is the bundled 篇四 Qitai scheme with a budget rule added (不合格 −10 %, 优秀 +5 %, money
back to the treasury), on synthetic departments with a budget of 1,000,000 yuan each. Rows:

1. **weight MC → budget**: 10,000 tier-preserving weight draws (Dirichlet) × 1,000 departments →
   grade → next year's budgets, in memory. The floor draws the same weights from the same
   generator, computes the same totals and grades (:func:`bench_engine.floor_model`) and the same
   budgets in cents; they are asserted equal before timing. Target: ≤ 2× the floor in user CPU,
   peak memory ≤ 1 GB. Of perfsim's peak, the evaluation itself holds about 330 MB (interpreter,
   libraries and inputs included: it runs in chunks of draws, :data:`perfsim.engine.STAGE_CELLS`);
   the rest is ``apply_consequences``: next budgets, cuts and increases (amounts no rule moved are
   zero views that hold no memory).
2. **Sobol**: N = 1,024, no second order, 10 factor groups (4 department weight tiers, 3 cut-offs,
   2 deduction caps, a systematic shift of the public-evaluation marks) on 500 departments, outputs
   "share 不合格" and "budget cut". The floor runs the bare model on the same SALib sample (the
   same tier rescaling, cut-offs, caps, shift and budget rule) and the same SALib analysis; its
   outputs are asserted equal. Target: ≤ 2× the floor. (This row once read 2.2× in fresh
   processes and 1.0× in one: the engine's thin matrix products ran on every OpenBLAS thread, which
   mostly spun, and a fresh process paid for starting them; perfsim now uses one BLAS thread for
   them, :mod:`perfsim.blas`, and so do the floors.)
3. **streamed MC**: 1,000,000 weight draws × 1,000 departments → grade probabilities, rank
   5/50/95 % quantiles and budget money, in chunks (``weight_monte_carlo``). Targets: peak ≤ 1.5 GB;
   time ≤ 1.3 × (100 × the 10,000-draw time); the 10,000-draw result equals the in-memory path
   (every draw evaluated at once, then numpy's mean and inverted-CDF percentile), checked first.
4. (information) the weight MC through pymcdm's WSM looped over draws, scores only.

Each side runs in fresh processes (rows 1-2: perfsim and floor alternating ``--runs`` times, medians
shown), reporting steady (median of repeated calls), first call and the
process's peak resident memory (``resource.getrusage(...).ru_maxrss``: interpreter, libraries and
inputs included). Floors run with one BLAS thread, as perfsim's large evaluations do. The machine
may be shared: run several times and read medians.

Run: ``python benchmarks/bench_analysis.py`` (``--quick``: 1,000 draws in row 1 and 100,000 in row 3).
"""

from __future__ import annotations

import argparse
import json
import sys
import time
import warnings
from functools import partial
from pathlib import Path
from typing import Any

import numpy as np
import yaml

sys.path.insert(0, str(Path(__file__).resolve().parent))
from bench_engine import (  # noqa: E402
    SCHEME,
    department_population,
    floor_arrays,
    floor_model,
    in_child,
    measure,
    one_blas_thread,
    paired,
    verdict,
)

BUDGET_YUAN = 1e6


def scheme_with_budget_rule() -> Any:
    import perfsim

    data = yaml.safe_load(SCHEME.read_text(encoding="utf-8"))
    data["attributes"] += [{"id": "budget", "name": {"zh": "部门预算", "en": "department budget"}}]
    data["consequences"] = {
        "budget": {
            "amount": "budget",
            "by_grade": {"不合格": {"percent": -10}, "优秀": {"percent": 5}},
            "envelope": {"treasury": True},
        }
    }
    return perfsim.compile_scheme(perfsim.scheme_from_data(data))


def setup(n_units: int) -> dict[str, Any]:
    import perfsim
    from perfsim import analysis as a

    compiled = scheme_with_budget_rule()
    frame = department_population(n_units).assign(budget=BUDGET_YUAN)
    return {
        "perfsim": perfsim,
        "a": a,
        "compiled": compiled,
        "data": perfsim.load_units(frame, compiled),
        "arrays": floor_arrays(frame),
        "frame": frame,
        "tiers": [t for t in a.tiers(compiled) if t.class_id == "department"],
    }


# --- row 1: weight MC → budget ------------------------------------------------------------------


def floor_budget(grade: np.ndarray) -> np.ndarray:
    """Next budgets in cents: −10 % for 不合格 (3), +5 % for 优秀 (0), rounded half-up as perfsim does."""
    from perfsim.numeric import HALF_TOLERANCE

    factor = np.where(grade == 3, 0.9, np.where(grade == 0, 1.05, 1.0))
    scaled = round(BUDGET_YUAN * 100) * factor
    scaled *= 1.0 + HALF_TOLERANCE
    return np.floor(scaled + 0.5).astype(np.int64)


def floor_weights(tiers: list[Any], n: int, seed: int) -> dict[str, np.ndarray]:
    """The tier-preserving Dirichlet draws of ``sample_weights``, written directly."""
    rng = np.random.default_rng(seed)
    out = {}
    for tier in tiers:
        nominal = np.array(tier.nominal)
        block = rng.dirichlet(np.maximum(100 * nominal / tier.total, 1e-9), n) * tier.total
        block[:, -1] = np.maximum(tier.total - block[:, :-1].sum(axis=1), 0.0)
        out.update({p: block[:, j] for j, p in enumerate(tier.params)})
    return out


def mc_calls(s: dict[str, Any], n: int) -> tuple[Any, Any]:
    ps, a, c, d = s["perfsim"], s["a"], s["compiled"], s["data"]
    from perfsim.consequences import apply_consequences

    def ours() -> np.ndarray:
        draws = a.sample_weights(c, n, concentration=100, seed=1, only=s["tiers"])
        outcome, _ = apply_consequences(ps.evaluate(c, d, draws), parts=("budget",))
        return outcome.next_budget  # type: ignore[no-any-return]

    def floor() -> np.ndarray:
        _, grade, _ = one_blas_thread(floor_model, s["arrays"], floor_weights(s["tiers"], n, 1))
        return floor_budget(grade)

    return ours, floor


# --- row 2: Sobol -------------------------------------------------------------------------------


def sobol_factors(s: dict[str, Any]) -> list[Any]:
    a = s["a"]
    weights = [f for f in a.weight_factors(s["compiled"]) if f.group and f.group.startswith("department")]
    return [
        *weights,
        a.Factor("cutoff:优秀", 85, 95),
        a.Factor("cutoff:良好", 75, 85),
        a.Factor("cutoff:合格", 65, 75),
        a.Factor("cap:verification", 1, 3),
        a.Factor("cap:complaints", 1, 3),
        a.Factor("value:public", -5, 5),
    ]


def floor_sobol_model(s: dict[str, Any], factors: list[Any], rows: np.ndarray) -> dict[str, np.ndarray]:
    """The bare model on SALib's rows: tier rescaling, cut-offs, caps, shifted marks, grade, budget."""
    column = {f.name: rows[:, j] for j, f in enumerate(factors)}
    params = {}
    for tier in s["tiers"]:
        block = np.stack([column[p] for p in tier.params], axis=1)
        block *= tier.total / block.sum(axis=1, keepdims=True)
        params.update({p: block[:, j] for j, p in enumerate(tier.params)})
    cut = np.stack([column["cutoff:优秀"], column["cutoff:良好"], column["cutoff:合格"]], axis=1)
    public = np.clip(s["frame"]["public"].to_numpy()[None, :] + column["value:public"][:, None], 0, 100) / 100
    caps = (column["cap:verification"], column["cap:complaints"])
    _, grade, _ = floor_model(s["arrays"], params, cut, caps=caps, public=public)
    change = floor_budget(grade) - round(BUDGET_YUAN * 100)
    return {"share 不合格": (grade == 3).mean(axis=1), "budget cut": np.maximum(-change, 0).sum(axis=1) / 100}


def sobol_calls(s: dict[str, Any]) -> tuple[Any, Any]:
    from SALib.analyze import sobol as analyze
    from SALib.sample import sobol as sample

    from perfsim.analysis.gsa import _bootstrap_seed, _problem, standard_outputs

    a, c, d = s["a"], s["compiled"], s["data"]
    factors = sobol_factors(s)
    outputs = standard_outputs(c)

    def ours() -> Any:
        return a.sobol(c, d, factors, 1024, outputs=outputs)

    def floor() -> Any:
        problem = _problem(factors)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            rows = sample.sample(problem, 1024, calc_second_order=False, seed=0)
            ys = one_blas_thread(floor_sobol_model, s, factors, rows)
            return {
                k: analyze.analyze(problem, y, calc_second_order=False, seed=_bootstrap_seed(0)) for k, y in ys.items()
            }

    return ours, floor


# --- row 3: streamed MC -------------------------------------------------------------------------


def stream_call(s: dict[str, Any], n: int) -> Any:
    a, c, d = s["a"], s["compiled"], s["data"]
    return lambda: a.weight_monte_carlo(c, d, n, seed=1)


def check_stream_equal(s: dict[str, Any], n: int) -> None:
    """The streamed result on ``n`` draws equals every draw evaluated at once and reduced with numpy."""
    from perfsim.analysis.montecarlo import _sample
    from perfsim.consequences import apply_consequences
    from perfsim.stream import draws_in

    ps, c, d = s["perfsim"], s["compiled"], s["data"]
    mc = stream_call(s, n)()
    assert mc.evaluation is None, "the check must run streamed (more than one chunk)"
    ev = ps.evaluate(c, d, draws_in(partial(_sample, c, "dirichlet", 100.0, 0.2), 1, 0, n), ranks=True)
    probs = np.stack([(ev.grade == g).mean(axis=0) for g in range(len(c.grades))], axis=1)
    assert np.array_equal(mc.grade_probabilities.to_numpy(), probs), "grade probabilities differ"
    quantiles = np.percentile(ev.rank, [5, 50, 95], axis=0, method="inverted_cdf").T
    assert np.array_equal(mc.rank_intervals[["rank p5", "rank p50", "rank p95"]].to_numpy(), quantiles)
    outcome, _ = apply_consequences(ev, parts=("budget",))
    change = outcome.next_budget - outcome.budget
    assert np.array_equal(mc.budget_loss.to_numpy(), (change < 0).mean(axis=0)), "budget loss differs"
    assert np.array_equal(mc.mean_budget_change.to_numpy(), change.sum(axis=0) / n / 100), "money differs"


def check_all() -> None:
    s = setup(1000)
    ours, floor = mc_calls(s, 2000)
    assert np.array_equal(ours(), floor()), "weight MC floor: next budgets differ"
    check_stream_equal(s, 10_000)
    small = setup(500)
    from SALib.sample import sobol as sample

    from perfsim.analysis.gsa import _evaluate_rows, _problem, standard_outputs

    factors = sobol_factors(small)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        rows = sample.sample(_problem(factors), 64, calc_second_order=False, seed=0)
    ev = _evaluate_rows(small["compiled"], small["data"], factors, rows)
    expected = floor_sobol_model(small, factors, rows)
    for name, fn in standard_outputs(small["compiled"]).items():
        assert np.allclose(fn(ev), expected[name], rtol=0, atol=1e-6), f"Sobol floor: {name} differs"
    print(json.dumps({}))


# --- driving ------------------------------------------------------------------------------------


def child(row: str, side: str, n: int) -> None:
    if row == "check":
        check_all()
    elif row == "mc":
        s = setup(1000)
        ours, floor = mc_calls(s, n)
        print(json.dumps(measure(ours if side == "perfsim" else floor, 3)))
    elif row == "sobol":
        s = setup(500)
        ours, floor = sobol_calls(s)
        print(json.dumps(measure(ours if side == "perfsim" else floor, 3)))
    elif row == "stream":
        s = setup(1000)
        print(json.dumps(measure(stream_call(s, n), 2 if n <= 10_000 else 0)))
    elif row == "pymcdm":
        from pymcdm.methods import WSM

        s = setup(1000)
        leaves = [f"{i}@{t}" for i in ("key_tasks", "annual_targets", "conduct") for t in ("H1", "Y")]
        matrix = s["frame"][[*leaves, "tracking", "special_public", "audit", "public"]].to_numpy(float) + 1e-9
        weights = np.random.default_rng(1).dirichlet(np.full(matrix.shape[1], 10.0), 1000)
        wsm, types = WSM(), np.ones(matrix.shape[1])
        print(json.dumps(measure(lambda: [wsm(matrix, w, types) for w in weights], 1)))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--quick", action="store_true")
    parser.add_argument("--runs", type=int, default=3, help="processes per side, rows 1-2 (medians; default 3)")
    parser.add_argument("--child", nargs=2, metavar=("ROW", "SIDE"), help=argparse.SUPPRESS)
    parser.add_argument("--draws", type=int, default=None, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        child(*args.child, args.draws)
        return
    n_mc = 1000 if args.quick else 10_000
    n_stream = 100_000 if args.quick else 1_000_000

    # every floor computes what perfsim computes, checked before any timing, in a child process: Linux
    # hands a parent's peak memory (ru_maxrss) down to the processes it starts
    in_child(__file__, "check", "-", [])
    print(
        "floors checked equal to perfsim: next budgets (2,000 draws), Sobol outputs (64 × 12 rows), and the "
        "streamed 10,000-draw Monte Carlo against the in-memory path\n"
    )

    def show(name: str, o: dict[str, float], f: dict[str, float] | None, key: str, target: str, ok: bool) -> None:
        ratio = f"{o[key] / f[key]:>6.2f}×" if f else f"{'':>7}"
        floor_text = f"{f[key]:>8.3f} {f['first']:>8.3f} {f['peak_mb']:>6.0f}" if f else f"{'':>8} {'':>8} {'':>6}"
        print(
            f"{name:<52} {o[key]:>8.3f} {o['first']:>8.3f} {o['peak_mb']:>6.0f} {floor_text} {ratio}  "
            f"{target}: {verdict(ok)}"
        )

    print(
        f"{'case':<52} {'steady':>8} {'first':>8} {'peak':>6} {'floor':>8} {'1st':>8} {'peak':>6} {'ratio':>7}\n"
        f"{'':<52} {'s':>8} {'s':>8} {'MB':>6} {'s':>8} {'s':>8} {'MB':>6}"
    )
    o, f = paired(__file__, "mc", ["--draws", str(n_mc)], args.runs)
    ok = o["user"] <= 2 * f["user"] and o["peak_mb"] <= 1024
    show(f"weight MC {n_mc:,} × 1,000 → grade → budget (user CPU)", o, f, "user", "≤ 2× floor, peak ≤ 1 GB", ok)
    o, f = paired(__file__, "sobol", [], args.runs)
    show(
        "Sobol N=1,024, 10 groups, 500 units, 2 outputs",
        o,
        f,
        "steady",
        "≤ 2× bare-model floor",
        o["steady"] <= 2 * f["steady"],
    )
    ten = in_child(__file__, "stream", "perfsim", ["--draws", "10000"])
    show("streamed MC 10,000 × 1,000 (grades, rank quantiles, money)", ten, None, "steady", "(reference)", True)
    start = time.perf_counter()
    big = in_child(__file__, "stream", "perfsim", ["--draws", str(n_stream)])
    limit = 1.3 * (n_stream / 10_000) * ten["steady"]
    ok = big["first"] <= limit and big["peak_mb"] <= 1536
    show(
        f"streamed MC {n_stream:,} × 1,000 (one run; time = first)",
        big,
        None,
        "first",
        f"≤ {limit:.1f} s (1.3 × {n_stream // 10_000} × 10k), peak ≤ 1.5 GB",
        ok,
    )
    print(f"  ({time.perf_counter() - start:.0f} s for the process, setup included)")
    p = in_child(__file__, "pymcdm", "perfsim", [])
    per_draw = in_child(__file__, "mc", "perfsim", ["--draws", "1000"])["steady"] / 1000
    print(
        f"(information) pymcdm WSM looped over 1,000 draws, scores only: {p['first']:.3f} s, "
        f"{p['first'] / 1000 / per_draw:.0f}× perfsim's time per draw through grade and budget"
    )
    print("peak = the process's peak RSS (resource.getrusage ru_maxrss; interpreter, libraries and inputs included)")


if __name__ == "__main__":
    main()
