"""Tiers of sibling weights: moving one weight keeps its tier's sum; samplers that keep every tier exact."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from numpy.typing import ArrayLike, NDArray

from ..compile import CompiledScheme
from ..errors import ParameterError


@dataclass(frozen=True)
class Tier:
    """Sibling indicators whose points must keep their sum (a parent's children, or the top level)."""

    class_id: str
    parent: str
    """The parent indicator's id, or ``(total)`` for the top level."""
    params: tuple[str, ...]
    nominal: tuple[float, ...]

    @property
    def total(self) -> float:
        return float(sum(self.nominal))


def tiers(compiled: CompiledScheme) -> list[Tier]:
    """Every group of two or more sibling weights in the scheme, top level first."""
    out = []
    for cc in compiled.classes:
        for node in range(len(cc.ids)):
            kids = cc.children[node]
            if len(kids) < 2:
                continue
            out.append(
                Tier(
                    cc.id,
                    cc.ids[node],
                    tuple(cc.points_params[k] for k in kids),
                    tuple(float(cc.nominal_points[k]) for k in kids),
                )
            )
    return out


def tier_of(compiled: CompiledScheme, parameter: str) -> Tier | None:
    return next((t for t in tiers(compiled) if parameter in t.params), None)


def renormalised(compiled: CompiledScheme, parameter: str, values: ArrayLike) -> dict[str, NDArray[np.float64]]:
    """Set one weight to ``values`` and scale its siblings so the tier keeps its sum.

    Returns
    -------
    dict
        Parameter name → values for the moved weight and each sibling.

    Raises
    ------
    ParameterError
        When a value is negative or exceeds the tier's sum (the siblings would go negative).
    """
    if parameter not in compiled.parameters:
        compiled.parameters.resolve({parameter: 0.0})  # raises the clear unknown-parameter error
    v = np.atleast_1d(np.asarray(values, dtype=np.float64))
    tier = tier_of(compiled, parameter)
    if tier is None:
        return {parameter: v}
    if v.min() < 0 or v.max() > tier.total + 1e-9:
        raise ParameterError(
            f"'{parameter}' must lie in [0, {tier.total:g}]: its tier under '{tier.parent}' sums to {tier.total:g}",
            field=parameter,
            hint="narrow the range",
        )
    own = tier.nominal[tier.params.index(parameter)]
    rest = tier.total - own
    out = {parameter: v}
    for name, nominal in zip(tier.params, tier.nominal):
        if name != parameter:
            out[name] = (
                nominal * (tier.total - v) / rest
                if rest > 0
                else np.full_like(v, (tier.total - v) / (len(tier.params) - 1))
            )
    return out


def sample_weights(
    compiled: CompiledScheme,
    n: int,
    *,
    method: str = "dirichlet",
    concentration: float = 100.0,
    spread: float = 0.2,
    seed: int = 0,
    only: list[Tier] | None = None,
) -> dict[str, NDArray[np.float64]]:
    """Draw ``n`` weight sets that respect the scheme's structure: every tier keeps its sum exactly.

    Parameters
    ----------
    method
        ``dirichlet``: each tier's shares ~ Dirichlet(concentration × nominal shares), so their
        mean is the nominal weights; ``uniform``: each weight uniform in nominal × [1 − spread,
        1 + spread], then the tier rescaled to its sum.
    concentration
        Dirichlet concentration (larger = closer to nominal); the standard deviation of a share p
        is about sqrt(p (1 − p) / (concentration + 1)).
    only
        Tiers to vary (default: all).
    """
    if n < 1:
        raise ParameterError("n must be at least 1", hint="e.g. n=1000")
    if method not in ("dirichlet", "uniform"):
        raise ParameterError(f"unknown method '{method}'", hint="use dirichlet or uniform")
    rng = np.random.default_rng(seed)
    out: dict[str, NDArray[np.float64]] = {}
    for tier in only if only is not None else tiers(compiled):
        nominal = np.array(tier.nominal)
        if tier.total <= 0:
            continue
        if method == "dirichlet":
            alpha = np.maximum(concentration * nominal / tier.total, 1e-9)
            draws = rng.dirichlet(alpha, n) * tier.total
        else:
            draws = nominal * rng.uniform(1 - spread, 1 + spread, (n, len(nominal)))
            draws *= tier.total / draws.sum(axis=1, keepdims=True)
        draws[:, -1] = tier.total - draws[:, :-1].sum(axis=1)  # the sum exact in floating point
        draws[:, -1] = np.maximum(draws[:, -1], 0.0)
        for j, name in enumerate(tier.params):
            out[name] = draws[:, j]
    return out
