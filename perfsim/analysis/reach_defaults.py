"""Questions worth asking of any scheme, for notebook 07 and the explorer's "reach a target" panel.

A band scheme is asked for a smaller share of its best grade and a larger share of its lowest one
through its cut-offs; a rank-tier scheme (whose tiers fix the grade shares), or one whose grade
comes from an indicator, for steadier ranks through its weights. Each suggestion is a plain text a designer can edit.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ..compile import CompiledScheme
from ..data import UnitData
from ..engine import evaluate
from .metrics import require_grading
from .reach_targets import parse_target
from .weights import tiers


@dataclass(frozen=True)
class Suggestions:
    """Texts for :func:`~.reach.reach`, :func:`~.pareto.pareto` and :func:`~.discovery.discover`."""

    targets: list[str]
    levers: list[str]
    objectives: list[str]
    pareto_levers: list[str]
    bad: str
    discovery_levers: list[str]


def suggestions(compiled: CompiledScheme, data: UnitData) -> Suggestions:
    """Targets, levers and outcomes that fit ``compiled``'s kind of grading, read off its data."""
    require_grading(compiled, "reach")
    ev = evaluate(compiled, data)
    graded = ~compiled.not_assessed(data)
    best, low = compiled.grades[0].zh, compiled.grades[compiled.lowest].zh
    share = {g: float((ev.grade[0][graded] == i).mean()) for i, g in ((0, best), (compiled.lowest, low))}
    has_tiers = bool(tiers(compiled))
    weights = ["weights:*"] if has_tiers else []
    if compiled.parameters.names("cutoff") and compiled.scheme.grading.from_indicator is None:
        top = int(np.floor(max(share[best] - 0.05, 0.0) * 100))
        bottom = int(np.ceil(min(share[low] + 0.03, 1.0) * 100))
        targets = [f"{best}<={top}%", f"{low}>={bottom}%"]
        bad = f"{low}>{int(np.ceil(min(share[low] + 0.05, 0.95) * 100))}%"
        return Suggestions(
            targets,
            ["cutoff:*"],
            [f"min:{best}", "min:instability"] if has_tiers else [f"min:{best}", f"max:{low}"],
            weights or ["cutoff:*"],
            bad,
            ["cutoff:*", *(["rate:*"] if compiled.parameters.names("rate") else [])],
        )
    from .reach_measure import Measurer

    now = Measurer(compiled, data, [parse_target("instability<=0", compiled, data)], instability_draws=20)
    unstable = float(now.values({}, 1)[0, 0])
    return Suggestions(
        [f"instability<={0.8 * unstable:.2f}"],
        weights,
        ["min:instability", "min:distance"],
        weights,
        f"instability>{1.2 * unstable:.2f}",
        weights,
    )
