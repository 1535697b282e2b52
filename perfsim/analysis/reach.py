"""Design backwards: the smallest change of stated levers that reaches stated targets.

:func:`reach` takes targets (``优秀<=20%``, ``budget<=0``, … see :mod:`.reach_targets`) and levers
(``cutoff:*``, ``weights:*``, …) and returns a :class:`Reach`: the setting, each target's value
under it (re-measured with :func:`perfsim.evaluate`), whether every target is met, and, when
none is, which targets bind and the closest values the levers reach.

Distance from the scheme as written is Σ weight × |new − old| / |old| over the moved parameters
(relative change per parameter, weights 1 unless given). Two searches:

- **exact** (:mod:`.reach_exact`), when only cut-offs move and the targets are grade shares or
  counts of this year: a dynamic programme over the distinct effects of each cut-off;
- **CMA-ES** (the ``cma`` package) otherwise. Grade shares are piecewise constant in weights,
  rates, quotas and caps, so gradients are useless and the objective is flat almost everywhere;
  CMA-ES uses only the ranking of candidates, needs no gradient, adapts its step to the scale of
  each lever and proposes a whole population per generation, which the engine evaluates in one
  call through its draw axis. (pymoo's single-objective algorithms and Optuna's samplers also fit;
  CMA-ES is the one a numpy-only, BSD-licensed package provides with an ask-and-tell loop.) The
  objective is "miss first, then distance": any miss of a target outweighs any move. The best
  setting found is then pulled back towards the scheme as written (a line search and resetting
  whole levers), keeping every target it meets.
"""

from __future__ import annotations

import time
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd
from numpy.typing import NDArray

from ..compile import CompiledScheme
from ..data import UnitData
from ..errors import ParameterError
from ..labels import check_lang, parameter_words
from ..scheme import Scheme
from . import reach_exact
from .reach_levers import Levers, parse_levers
from .reach_measure import Measurer
from .reach_targets import Target, parse_targets

BIG = reach_exact.BIG

_WORDS = {
    "zh": {
        "met": "全部目标可以达到",
        "unmet": "无法同时达到全部目标",
        "binding": "冲突的目标（去掉其中任一项，其余目标即可达到）：{}",
        "binding_all": "没有哪一项目标单独造成冲突：需要放宽不止一项",
        "closest": "以下为最接近的设置及其达到的数值",
        "targets": "目标",
        "moved": "调整",
        "none_moved": "无需调整：现行方案已达到全部目标",
        "none_closest": "无调整：在调整范围内，现行设置最接近目标",
        "method": "方法：{}，评估 {:,} 个设置，用时 {:.2f} 秒，相对变动合计 {:.3f}",
        "exact": "精确搜索（分数线）",
        "cma": "CMA-ES 演化策略",
        "yes": "达到",
        "no": "未达到",
        "as_written": "现行",
    },
    "en": {
        "met": "every target can be reached",
        "unmet": "the targets cannot all be reached",
        "binding": "conflicting targets (drop any one of them and the others can be reached): {}",
        "binding_all": "no single target causes the conflict: more than one must be relaxed",
        "closest": "the closest setting and the values it reaches follow",
        "targets": "targets",
        "moved": "what moved",
        "none_moved": "nothing moves: the scheme as written meets every target",
        "none_closest": "nothing moves: within the levers' ranges, the setting as written comes closest",
        "method": "method: {}, {:,} settings evaluated in {:.2f} s, total relative change {:.3f}",
        "exact": "exact search (cut-offs)",
        "cma": "CMA-ES evolution strategy",
        "yes": "met",
        "no": "missed",
        "as_written": "as written",
    },
}


@dataclass
class Reach:
    """The answer of :func:`reach`.

    ``values`` holds every parameter the levers set (moved or not); ``table`` one row per target
    with ``target``, ``as written``, ``achieved``, ``met`` and ``miss`` (share-like units);
    ``binding`` the targets that conflict when ``feasible`` is False.
    """

    compiled: CompiledScheme
    targets: list[Target]
    levers: Levers
    feasible: bool
    values: dict[str, float]
    table: pd.DataFrame
    binding: list[str]
    distance: float
    method: str
    evaluations: int
    seconds: float

    @property
    def changes(self) -> dict[str, float]:
        """Parameters whose value differs from the scheme as written."""
        space = self.compiled.parameters
        return {k: v for k, v in self.values.items() if not np.isclose(v, space[k].nominal, rtol=0, atol=1e-9)}

    def moved(self, lang: str = "zh") -> pd.DataFrame:
        """One row per moved parameter: ``parameter``, ``name`` (in words), ``before``, ``after``, ``change``."""
        rows = []
        for name, value in self.changes.items():
            words = parameter_words(self.compiled, name, lang)
            before = self.compiled.parameters[name].nominal
            rows.append(
                {
                    "parameter": name,
                    "name": words.name,
                    "before": before,
                    "after": value,
                    "change": words.change(before, value),
                }
            )
        return pd.DataFrame(rows, columns=["parameter", "name", "before", "after", "change"])

    def scheme(self) -> Scheme:
        """The scheme with the solution written into its fields (:func:`perfsim.variant.scheme_with`)."""
        from ..variant import scheme_with

        return scheme_with(self.compiled.scheme, self.changes)

    def text(self, lang: str = "zh") -> str:
        """Targets, values reached, what moved, and the conflict when there is one, in one language."""
        w = _WORDS[check_lang(lang)]
        lines = [w["met"] if self.feasible else w["unmet"]]
        if not self.feasible:
            lines.append(w["binding"].format("；".join(self.binding) if lang == "zh" else "; ".join(self.binding)))
            lines.append(w["closest"])
        colon = "：" if lang == "zh" else ": "
        lines.append(f"{w['targets']}{colon.strip()}")
        for t, row in zip(self.targets, self.table.itertuples(index=False)):
            mark = w["yes"] if row.met else w["no"]
            before = t.show(float(row[1]), self.compiled, lang)
            now = t.show(float(row[2]), self.compiled, lang)
            mark = f"（{mark}）" if lang == "zh" else f" ({mark})"
            lines.append(f"  {t.words(self.compiled, lang)}{colon}{before} → {now}{mark}")
        moved = self.moved(lang)
        lines.append(f"{w['moved']}{colon.strip()}")
        if moved.empty:
            lines.append(f"  {w['none_moved'] if self.feasible else w['none_closest']}")
        lines.extend(f"  {c}" for c in moved["change"])
        lines.append(w["method"].format(w[self.method], self.evaluations, self.seconds, self.distance))
        return "\n".join(lines)


def _table(measurer: Measurer, targets: list[Target], nominal: NDArray, achieved: NDArray) -> pd.DataFrame:
    gaps = measurer.gaps(achieved[None, :])[0]
    return pd.DataFrame(
        {
            "target": [t.text for t in targets],
            "as written": nominal,
            "achieved": achieved,
            "met": gaps == 0,
            "miss": gaps,
        }
    )


def _pick(misses: NDArray[np.float64], dist: NDArray[np.float64]) -> int:
    return int(np.lexsort((dist, misses))[0])


class _Search:
    """The CMA-ES search over the encoded levers, with the best candidate kept by (miss, distance)."""

    def __init__(self, levers: Levers, measurer: Measurer, keep: list[int], seed: int) -> None:
        self.levers, self.measurer, self.keep, self.seed = levers, measurer, keep, seed
        self.best_x = levers.nominal()
        self.best = (np.inf, np.inf)

    def score(self, x: NDArray[np.float64]) -> tuple[NDArray[np.float64], NDArray[np.float64]]:
        values = self.levers.decode(x)
        misses = self.measurer.gaps(self.measurer.values(values, x.shape[0]))[:, self.keep].sum(axis=1)
        misses = misses + self.levers.disorder(values)
        dist = self.levers.distance(values)
        i = _pick(misses, dist)
        if (misses[i], dist[i]) < self.best:
            self.best, self.best_x = (float(misses[i]), float(dist[i])), x[i].copy()
        return misses, dist

    def run(self, max_evaluations: int, popsize: int) -> None:
        x0 = self.levers.nominal()
        self.score(x0[None, :])
        if self.best[0] == 0:
            return  # the scheme as written already meets every target
        if x0.size == 1:  # one lever: a fine grid is the exact search
            self.score(np.linspace(0, 1, min(max_evaluations, 2001))[:, None])
            self.polish()
            return
        spent = self.measurer.evaluations
        for sigma in (0.08, 0.25):  # near the scheme first; wider only if nothing near meets the targets
            left = max_evaluations - (self.measurer.evaluations - spent)
            if left <= popsize or (sigma > 0.08 and self.best[0] == 0):
                break
            self._cma(x0, sigma, left, popsize)
        self.polish()

    def _cma(self, x0: NDArray[np.float64], sigma: float, budget: int, popsize: int) -> None:
        import cma

        options = {"bounds": [0, 1], "seed": self.seed + 1, "popsize": popsize, "verbose": -9, "maxfevals": budget}
        es = cma.CMAEvolutionStrategy(x0, sigma, options)
        stalled, last = 0, self.best
        while not es.stop():
            x = np.clip(np.asarray(es.ask()), 0, 1)
            misses, dist = self.score(x)
            es.tell(list(x), list(BIG * misses + dist))
            stalled = stalled + 1 if self.best == last else 0
            last = self.best
            if self.best[0] == 0 and stalled >= 30:
                break

    def polish(self) -> None:
        """Pull the best setting back towards the scheme as written, lever by lever, while it misses no more."""
        x0 = self.levers.nominal()
        alpha = np.linspace(0, 1, 17)[:, None]
        for _ in range(6):
            before = self.best
            self.score(x0 + np.linspace(0, 1, 65)[:, None] * (self.best_x - x0))
            trials, j = [], 0
            for b in self.levers.blocks:
                x = np.repeat(self.best_x[None, :], alpha.shape[0], axis=0)
                x[:, j : j + b.size] = x0[j : j + b.size] + alpha * (self.best_x[j : j + b.size] - x0[j : j + b.size])
                trials.append(x)
                j += b.size
            self.score(np.concatenate(trials))
            if self.best == before:
                break


def _at_precision(
    compiled: CompiledScheme, lv: Levers, measurer: Measurer, values: dict[str, float]
) -> dict[str, float]:
    """The solution at the scheme's precision, tier sums kept, when it meets the targets as well.

    A search returns values such as 84.99731: a saved scheme would write them as they are and a
    note would show a weight as moving "90 → 90". Rounded to the decimals the scheme writes
    (:func:`perfsim.variant.parameter_decimals`), with the tier's largest weight taking what
    rounding leaves of the tier's sum, what is shown is what is saved; the rounded setting is kept
    only if it misses the targets by no more than the raw one.
    """
    from ..variant import parameter_decimals

    rounded = {name: round(value, parameter_decimals(compiled, name)) for name, value in values.items()}
    for block in lv.blocks:
        if block.tier is None:
            continue
        params = [p for p in block.tier.params if p in rounded]
        digits = parameter_decimals(compiled, params[0])
        left = round(block.tier.total - sum(rounded[p] for p in params), digits)
        if left and len(params) == len(block.tier.params):
            largest = max(params, key=lambda p: rounded[p])
            rounded[largest] = round(rounded[largest] + left, digits)
    if rounded == values or any(v < compiled.parameters[k].lower for k, v in rounded.items()):
        return values
    both = {k: np.array([values[k], rounded[k]]) for k in values}
    gaps = measurer.gaps(measurer.values(both, 2)).sum(axis=1)
    return rounded if gaps[1] <= gaps[0] else values


def _without_needless_moves(
    compiled: CompiledScheme, lv: Levers, measurer: Measurer, values: dict[str, float]
) -> dict[str, float]:
    """Put back, one at a time, moves the targets do not need (a search leaves small ones behind).

    Each pass tries every moved parameter back at its written value (a weight's difference taken
    by the sibling that moved most, so the tier keeps its sum), in one engine call, and keeps the
    smallest such move whose removal misses the targets by no more than before.
    """
    space = compiled.parameters
    tier_of = {p: b.tier for b in lv.blocks if b.tier is not None for p in b.tier.params}
    current = dict(values)
    while True:
        moved = [k for k, v in current.items() if v != space[k].nominal]
        trials: list[tuple[str, dict[str, float]]] = []
        for name in moved:
            trial = dict(current)
            trial[name] = space[name].nominal
            tier = tier_of.get(name)
            if tier is not None:
                others = [p for p in tier.params if p != name and p in current and current[p] != space[p].nominal]
                if not others:
                    continue
                taker = max(others, key=lambda p: abs(current[p] - space[p].nominal))
                trial[taker] = round(current[taker] + current[name] - space[name].nominal, 9)
                if trial[taker] < space[taker].lower:
                    continue
            trials.append((name, trial))
        if not trials:
            return current
        batch = {k: np.array([current[k], *(t[k] for _, t in trials)]) for k in current}
        gaps = measurer.gaps(measurer.values(batch, len(trials) + 1)).sum(axis=1)
        fine = [i for i in range(len(trials)) if gaps[i + 1] <= gaps[0]]
        if not fine:
            return current
        best = min(fine, key=lambda i: abs(current[trials[i][0]] - space[trials[i][0]].nominal))
        current = trials[best][1]


def reach(
    compiled: CompiledScheme,
    data: UnitData,
    targets: Sequence[str | Target],
    levers: Sequence[str] | Levers,
    *,
    lever_weights: dict[str, float] | None = None,
    seed: int = 0,
    max_evaluations: int = 6000,
    popsize: int | None = None,
    instability_draws: int = 50,
    concentration: float = 100.0,
    years_draws: int = 20,
) -> Reach:
    """Find the lever setting closest to the scheme as written that meets every target.

    Parameters
    ----------
    compiled, data
        The scheme and its units.
    targets
        Texts such as ``优秀<=20%``, ``不合格>=5%``, ``优秀@department<=3``, ``差@year5<=10%``,
        ``budget<=0`` (万元), ``instability<=2`` (places), or parsed :class:`Target` objects.
    levers
        Texts such as ``cutoff:*``, ``cutoff:优秀=85..95``, ``weights:*``, ``weights:PARENT``,
        ``points:ID``, ``rate:*``, ``quota:*``, ``cap:*`` (see :data:`~.reach_levers.LEVER_HINT`).
    lever_weights
        Parameter name → weight of its relative change in the distance (default 1 each).
    seed
        Seed of CMA-ES, of the weight draws of an instability target and of simulations.
    max_evaluations
        Settings CMA-ES may evaluate (the exact search needs no limit).
    popsize
        Candidates per CMA-ES generation, evaluated in one engine call (default max(32, 4 + 3 ln d)).
    instability_draws, concentration
        Weight draws per candidate, and their Dirichlet concentration, for an instability target.
    years_draws
        Simulated histories per candidate for a multi-year target.

    Returns
    -------
    Reach
        Never a silent best effort: ``feasible`` says whether every target is met, ``binding``
        which targets conflict otherwise, and ``table`` what each target reaches.

    Raises
    ------
    ParameterError
        For a target or lever that cannot be read or does not fit the scheme.
    """
    start = time.perf_counter()
    parsed = parse_targets(list(targets), compiled, data)
    lv = levers if isinstance(levers, Levers) else parse_levers(list(levers), compiled, lever_weights)
    measurer = Measurer(
        compiled,
        data,
        parsed,
        instability_draws=instability_draws,
        concentration=concentration,
        years_draws=years_draws,
        seed=seed,
    )
    pop = popsize or max(32, int(4 + 3 * np.log(max(lv.size, 1))))
    if any(t.year is not None for t in parsed):  # each candidate is a simulation of its own
        max_evaluations = min(max_evaluations, 201)
        pop = min(pop, 16)
    exact = reach_exact.applies(compiled, lv, measurer)

    def solve(drop: int | None) -> tuple[dict[str, float], int]:
        keep = [i for i in range(len(parsed)) if i != drop]
        if exact:
            cut, considered = reach_exact.solve(compiled, data, lv, measurer, drop)
            values = {k: float(v[0]) for k, v in lv.decode(lv.nominal()[None, :]).items()} | cut
            return values, considered
        search = _Search(lv, measurer, keep, seed)
        search.run(max_evaluations, pop)
        return {k: float(v[0]) for k, v in lv.decode(search.best_x[None, :]).items()}, 0

    values, considered = solve(None)
    values = _at_precision(compiled, lv, measurer, values)
    if not exact:
        values = _without_needless_moves(compiled, lv, measurer, values)
    nominal_values = measurer.values({}, 1)[0]
    achieved = measurer.values({k: np.array([v]) for k, v in values.items()}, 1)[0]
    table = _table(measurer, parsed, nominal_values, achieved)
    feasible = bool(table["met"].all())
    if not np.isfinite(achieved).all():
        raise ParameterError("a target could not be measured for the solution", hint="report this as a bug")
    binding: list[str] = []
    if not feasible:
        if len(parsed) == 1:
            binding = [parsed[0].text]
        for i in range(len(parsed)) if len(parsed) > 1 else []:
            other, _ = solve(i)
            got = measurer.values({k: np.array([v]) for k, v in other.items()}, 1)
            if measurer.gaps(got)[0, [j for j in range(len(parsed)) if j != i]].sum() == 0:
                binding.append(parsed[i].text)
    distance = float(lv.distance({k: np.array([v]) for k, v in values.items()})[0])
    return Reach(
        compiled=compiled,
        targets=parsed,
        levers=lv,
        feasible=feasible,
        values=values,
        table=table,
        binding=binding,
        distance=distance,
        method="exact" if exact else "cma",
        evaluations=considered if exact else measurer.evaluations,
        seconds=time.perf_counter() - start,
    )
