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
    return move_in_tier(tier, parameter, v)


def move_in_tier(tier: Tier, parameter: str, values: NDArray[np.float64]) -> dict[str, NDArray[np.float64]]:
    """One weight of ``tier`` set to ``values``, its siblings scaled in proportion so the tier keeps its sum.

    Parameters
    ----------
    tier
        The tier ``parameter`` belongs to.
    parameter
        The weight moved.
    values
        Its new values, each in [0, tier total] (checked by the caller).

    Returns
    -------
    dict
        Parameter name → values for the moved weight and each sibling (siblings of nominal 0 share
        what is left equally).
    """
    own = tier.nominal[tier.params.index(parameter)]
    rest = tier.total - own
    out = {parameter: values}
    for name, nominal in zip(tier.params, tier.nominal):
        if name != parameter:
            out[name] = (
                nominal * (tier.total - values) / rest
                if rest > 0
                else np.full_like(values, (tier.total - values) / (len(tier.params) - 1))
            )
    return out


def fit_tier(tier: Tier, points: NDArray[np.float64]) -> NDArray[np.float64]:
    """Rows of non-negative weights (n × the tier's size) scaled to the tier's sum, the sum exact.

    Parameters
    ----------
    tier
        The tier the columns of ``points`` belong to, in its order.
    points
        Non-negative weights or shares, one row per draw or candidate.

    Returns
    -------
    numpy.ndarray
        The rows scaled to ``tier.total``; the last weight is the total minus the others (never below
        0), so a row's sum misses the tier's by at most the rounding of that one subtraction.
    """
    fitted = points * (tier.total / np.maximum(points.sum(axis=1, keepdims=True), 1e-300))
    fitted[:, -1] = np.maximum(tier.total - fitted[:, :-1].sum(axis=1), 0.0)
    return fitted


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
            draws = fit_tier(tier, rng.dirichlet(alpha, n))
        else:
            draws = fit_tier(tier, nominal * rng.uniform(1 - spread, 1 + spread, (n, len(nominal))))
        for j, name in enumerate(tier.params):
            out[name] = draws[:, j]
    return out
