"""Measure every target for a batch of candidate settings: one engine call for the batch.

Candidates travel through the engine's draw axis (P candidates = P draws). Rank instability adds
one more call of P × M draws (M weight draws around each candidate's own weights); a multi-year
target runs :func:`perfsim.simulate.simulate` once per candidate, because a simulation takes one
setting at a time.
"""

from __future__ import annotations

import numpy as np
from numpy.typing import NDArray
from scipy.special import gammaincinv

from ..compile import CompiledScheme
from ..data import UnitData
from ..engine import evaluate, group_index
from .metrics import money
from .reach_targets import Target
from .weights import fit_tier, tiers

Values = dict[str, NDArray[np.float64]]


class Measurer:
    """Targets' values for candidate settings, and how far each candidate misses them.

    Parameters
    ----------
    compiled, data
        The scheme and its units.
    targets
        Parsed targets.
    instability_draws
        Weight draws per candidate for an instability target (common random numbers: the same
        uniform draws for every candidate, so a candidate's value does not depend on its batch).
    concentration
        Dirichlet concentration of those draws (as :func:`~perfsim.analysis.weights.sample_weights`).
    years_draws
        Simulated histories per candidate for a multi-year target.
    seed
        Seed of the weight draws and simulations.
    """

    def __init__(
        self,
        compiled: CompiledScheme,
        data: UnitData,
        targets: list[Target],
        *,
        instability_draws: int = 50,
        concentration: float = 100.0,
        years_draws: int = 20,
        seed: int = 0,
    ) -> None:
        self.compiled, self.data, self.targets = compiled, data, targets
        self.instability_draws, self.concentration = instability_draws, concentration
        self.years_draws, self.seed = years_draws, seed
        self.evaluations = 0
        self.scopes = [self._scope(t, data) for t in targets]
        self.base_budget = self.base_pay = 0.0
        if any(t.kind in ("budget", "pay") for t in targets):  # money only when a target asks about it
            base = money(evaluate(compiled, data))
            self.base_budget = float(base.next_budget[0].sum()) if base.next_budget is not None else 0.0
            self.base_pay = float(base.pay_total[0].sum()) if base.pay_total is not None else 0.0
        self.scales = [self._scale(t, s) for t, s in zip(targets, self.scopes)]
        if any(t.kind == "instability" for t in targets):
            rng = np.random.default_rng(seed)
            self.uniforms = {
                t.parent + t.class_id: rng.uniform(size=(instability_draws, len(t.params))) for t in tiers(compiled)
            }

    def _scope(self, t: Target, data: UnitData) -> NDArray[np.bool_]:
        """Units a target counts: graded units, of its group or class if it names one."""
        assessed = ~self.compiled.not_assessed(data)
        groups, names = group_index(self.compiled, data)
        if t.group is None:
            return assessed
        if self.compiled.scheme.grading.group_by and t.group in names:
            return assessed & (groups == names.index(t.group))
        return assessed & (data.class_index == self.compiled.class_index(t.group))

    def _scale(self, t: Target, scope: NDArray[np.bool_]) -> float:
        if t.kind == "count":
            return float(max(scope.sum(), 1))
        if t.kind == "budget":
            return max(abs(self.base_budget), 1.0)
        if t.kind == "pay":
            return max(abs(self.base_pay), 1.0)
        if t.kind == "instability":
            return float(max(len(self.data), 1))
        return 1.0

    def values(self, params: Values, n: int) -> NDArray[np.float64]:
        """Each target's value for ``n`` candidates: shape (n, targets)."""
        out = np.full((n, len(self.targets)), np.nan)
        now = [i for i, t in enumerate(self.targets) if t.year is None and t.kind != "instability"]
        if now:
            ev = evaluate(self.compiled, self.data, params)
            self.evaluations += n
            grade = np.broadcast_to(ev.grade, (n, len(self.data)))
            cash = money(ev) if any(self.targets[i].kind in ("budget", "pay") for i in now) else None
            for i in now:
                t, scope = self.targets[i], self.scopes[i]
                if t.kind in ("share", "count"):
                    hits = ((grade == t.grade) & scope).sum(axis=1)
                    out[:, i] = hits / max(scope.sum(), 1) if t.kind == "share" else hits
                elif t.kind == "budget" and cash is not None and cash.next_budget is not None:
                    out[:, i] = np.broadcast_to(cash.next_budget.sum(axis=1) - self.base_budget, n)
                elif t.kind == "pay" and cash is not None and cash.pay_total is not None:
                    out[:, i] = np.broadcast_to(cash.pay_total.sum(axis=1) - self.base_pay, n)
        for i, t in enumerate(self.targets):
            if t.kind == "instability":
                out[:, i] = self._instability(params, n)
            elif t.year is not None:
                out[:, i] = self._year_share(t, self.scopes[i], params, n)
        return out

    def gaps(self, values: NDArray[np.float64]) -> NDArray[np.float64]:
        """How far each candidate misses each target, in share-like units: shape (n, targets)."""
        return np.stack([t.gap(values[:, i], s) for i, (t, s) in enumerate(zip(self.targets, self.scales))], axis=1)

    def _instability(self, params: Values, n: int) -> NDArray[np.float64]:
        """Mean |rank shift| of each candidate under Dirichlet weight draws around its own weights."""
        m = self.instability_draws
        base = evaluate(self.compiled, self.data, params, ranks=True)
        assert base.rank is not None
        rank0 = np.broadcast_to(base.rank, (n, len(self.data)))
        repeated = {k: np.repeat(np.broadcast_to(v, n), m) for k, v in params.items()}
        for tier in tiers(self.compiled):
            own = np.stack(
                [
                    np.broadcast_to(params[p], n) if p in params else np.full(n, v)
                    for p, v in zip(tier.params, tier.nominal)
                ],
                axis=1,
            )
            shares = own / max(tier.total, 1e-300)
            alpha = np.maximum(self.concentration * np.repeat(shares, m, axis=0), 1e-9)  # (n·m, k)
            u = np.tile(self.uniforms[tier.parent + tier.class_id], (n, 1))
            gamma = gammaincinv(alpha, u)  # Dirichlet through gamma variates, same uniforms for every candidate
            draws = fit_tier(tier, gamma)
            for k, p in enumerate(tier.params):
                repeated[p] = draws[:, k]
        ev = evaluate(self.compiled, self.data, repeated, ranks=True)
        self.evaluations += n * (m + 1)
        assert ev.rank is not None
        ranked = rank0 > 0
        shift = np.abs(ev.rank.reshape(n, m, -1) - rank0[:, None, :]) * ranked[:, None, :]
        return shift.sum(axis=2).mean(axis=1) / np.maximum(ranked.sum(axis=1), 1)

    def _year_share(self, t: Target, scope: NDArray[np.bool_], params: Values, n: int) -> NDArray[np.float64]:
        from ..simulate import simulate

        out = np.empty(n)
        for p in range(n):  # a simulation takes one setting; its draws are vectorised inside
            one = {k: float(np.broadcast_to(v, n)[p]) for k, v in params.items()}
            sim = simulate(
                self.compiled, self.data, years=t.year or 1, draws=self.years_draws, seed=self.seed, params=one
            )
            grade = sim.grade[-1]
            present = grade >= 0
            scope_now = scope if sim.data is self.data else self._scope(t, sim.data)
            inside = present & scope_now
            out[p] = ((grade == t.grade) & inside).sum() / max(inside.sum(), 1)
            self.evaluations += self.years_draws * (t.year or 1)
        return out
