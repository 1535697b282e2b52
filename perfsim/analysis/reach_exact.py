"""Exact search when only cut-offs move and every target is a grade share or count.

Grades then depend on the cut-offs only through the sorted totals: a cut-off anywhere between two
neighbouring totals grades every unit alike. So each cut-off has at most U + 1 distinct effects,
and a grade's count in any group is N(c_g) − N(c_{g−1}) (N(c): units at or above c), a function
of two neighbouring cut-offs. A dynamic programme over the cut-offs, best grade first, finds the
setting that first misses the targets least and then moves least: O(B·K²) for B cut-offs and K
distinct effects per cut-off, all of it whole-array numpy.
"""

from __future__ import annotations

import itertools

import numpy as np
from numpy.typing import NDArray

from ..compile import CompiledScheme
from ..data import UnitData
from ..engine import evaluate
from ..errors import ParameterError
from ..grade_rules import has_conditions
from ..numeric import snap
from ..scheme import basis_factor
from .reach_levers import Levers
from .reach_measure import Measurer

BIG = 1e9
"""Weight of a target's miss against the distance: any miss outweighs any move."""


def applies(compiled: CompiledScheme, levers: Levers, measurer: Measurer) -> bool:
    """Whether the exact search fits: bands without quotas, cut-off levers, grade targets of this year.

    The search counts grades from the totals alone, so compound band conditions (a share of every
    section, named indicator minima) and 降一档 vetoes, which grade on more than the total, leave it out.
    """
    g = compiled.scheme.grading
    if g.bands is None or g.quotas or g.from_indicator is not None:
        return False
    if has_conditions(compiled.scheme) or any(v.scope == "grade_down" for v in compiled.vetoes):
        return False
    if any(b.min is None for b in g.bands[:-1]) or g.bands[-1].min is not None:
        return False
    if compiled.lowest != len(g.bands) - 1:
        return False
    if any(b.kind != "scalar" or not b.params[0].startswith("cutoff:") for b in levers.blocks):
        return False
    return all(t.kind in ("share", "count") and t.year is None for t in measurer.targets)


def _just_above(t: NDArray[np.float64], decimals: int) -> list[NDArray[np.float64]]:
    """Round numbers just above each value, at 0 to ``decimals`` decimal places."""
    return [np.floor(t * 10.0**d + 1e-9) / 10.0**d + 10.0**-d for d in range(decimals + 1)]


def _just_below(t: NDArray[np.float64], decimals: int) -> list[NDArray[np.float64]]:
    return [np.ceil(t * 10.0**d - 1e-9) / 10.0**d - 10.0**-d for d in range(decimals + 1)]


def solve(
    compiled: CompiledScheme, data: UnitData, levers: Levers, measurer: Measurer, drop: int | None = None
) -> tuple[dict[str, float], int]:
    """The cut-offs that miss the targets least, then move least; ``drop`` leaves one target out.

    Returns
    -------
    tuple
        Cut-off name → value for the levers, and the number of distinct settings considered.
    """
    scheme = compiled.scheme
    g = scheme.grading
    assert g.bands is not None
    ev = evaluate(compiled, data)
    total = ev.total[0]
    to_points = scheme.total / 100.0 if g.basis == "percent" else 1.0
    if scheme.full_marks_differ:  # classes out of different full marks: search in the basis itself (% of each)
        factor = np.array([basis_factor(scheme, cc.id) for cc in compiled.classes])[data.class_index]
        total, to_points = snap(total * factor), 1.0
    excluded = compiled.not_assessed(data)
    lowest_veto = [v for v, veto in enumerate(compiled.vetoes) if veto.scope == "grade_lowest"]
    vetoed = data.vetoes[:, lowest_veto].any(axis=1) if lowest_veto else np.zeros(len(data), dtype=bool)
    banded = ~excluded & ~vetoed
    names = [f"cutoff:{b.grade.zh}" for b in g.bands[:-1]]
    inclusive = [b.min_inclusive for b in g.bands[:-1]]
    # totals are multiples of 10^-d when rounded to d decimals: cut-offs at d decimals reach every effect
    exact_basis = (g.basis == "points" or scheme.total == 100) and not scheme.full_marks_differ
    decimals = scheme.rounding.total if scheme.rounding.total is not None and exact_basis else 4
    lever = {b.params[0]: b for b in levers.blocks}
    keep = [i for i in range(len(measurer.targets)) if i != drop]
    targets = [measurer.targets[i] for i in keep]
    scopes = [measurer.scopes[i] for i in keep]
    scales = [measurer.scales[i] for i in keep]
    sorted_all = np.sort(total[banded])
    sorted_scope = [np.sort(total[banded & s]) for s in scopes]
    in_band = np.array([(banded & s).sum() for s in scopes])
    in_veto = np.array([(vetoed & ~excluded & s).sum() for s in scopes])
    denominators = np.array([max(s.sum(), 1) for s in scopes])

    def at_or_above(sorted_totals: NDArray[np.float64], points: NDArray[np.float64], inc: bool) -> NDArray[np.int64]:
        side = "left" if inc else "right"
        return sorted_totals.size - np.searchsorted(sorted_totals, points, side=side)  # type: ignore[call-overload]

    values: list[NDArray[np.float64]] = []
    dists: list[NDArray[np.float64]] = []
    counts: list[NDArray[np.int64]] = []
    keys: list[NDArray[np.int64]] = []
    pools: list[tuple[NDArray[np.float64], NDArray[np.int64], NDArray[np.float64]]] = []
    for name, inc in zip(names, inclusive):
        p = compiled.parameters[name]
        if name in lever:
            lo, hi = lever[name].lower, lever[name].upper
            basis = np.unique(total[banded]) / to_points
            cands = np.concatenate(
                [basis, *_just_above(basis, decimals), *_just_below(basis, decimals), [p.nominal, lo, hi]]
            )
            cands = np.unique(cands[(cands >= lo) & (cands <= hi)])
        else:
            cands = np.array([p.nominal])
        points = snap(snap(cands) * to_points)  # as the engine turns a cut-off into points
        key = at_or_above(sorted_all, points, inc)
        scale = abs(p.nominal) if p.nominal != 0 else (hi - lo if name in lever else 1.0)
        dist = levers.weights.get(name, 1.0) * np.abs(cands - p.nominal) / scale
        order = np.lexsort((dist, key))  # per distinct effect, the candidate that moves least
        first = np.ones(order.size, dtype=bool)
        first[1:] = key[order][1:] != key[order][:-1]
        chosen = order[first]
        pools.append((cands, key, dist))
        keys.append(key[chosen])
        values.append(cands[chosen])
        dists.append(dist[chosen])
        counts.append(np.array([at_or_above(s, points[chosen], inc) for s in sorted_scope]).reshape(len(scopes), -1))

    def miss(grade: int, count: NDArray[np.int64] | NDArray[np.float64]) -> NDArray[np.float64]:
        """Σ gaps of the targets on ``grade`` given counts per target (targets × ...)."""
        out = np.zeros(count.shape[1:])
        for i, t in enumerate(targets):
            if t.grade != grade:
                continue
            value = count[i] / denominators[i] if t.kind == "share" else count[i]
            out = out + t.gap(value, scales[i])
        return out

    cost = dists[0] + BIG * miss(0, counts[0])
    back: list[NDArray[np.int64]] = []
    for k in range(1, len(names)):
        between = counts[k][:, None, :] - counts[k - 1][:, :, None]
        matrix = cost[:, None] + BIG * miss(k, between)
        # bands stay ordered: a worse grade's cut-off lower, or in the same gap between totals (spread apart below)
        lower = (keys[k - 1][:, None] < keys[k][None, :]) & (values[k - 1][:, None] > values[k][None, :])
        matrix = np.where(lower | (keys[k - 1][:, None] == keys[k][None, :]), matrix, np.inf)
        back.append(np.argmin(matrix, axis=0))
        cost = dists[k] + matrix[back[-1], np.arange(values[k].size)]
    bottom = in_band[:, None] - counts[-1] + in_veto[:, None]
    cost = cost + BIG * miss(len(names), bottom)
    if not np.isfinite(cost).any():
        raise ParameterError(
            "the cut-off ranges leave no setting with each grade's cut-off above the next one's",
            field="--lever",
            hint="widen the ranges so that the cut-offs can stay in order",
        )
    j = int(np.argmin(cost))
    picked = [j]
    for k in range(len(names) - 1, 0, -1):
        j = int(back[k - 1][j])
        picked.append(j)
    picked.reverse()
    chosen_values = _spread_apart(
        [float(values[k][picked[k]]) for k in range(len(names))],
        [int(keys[k][picked[k]]) for k in range(len(names))],
        pools,
    )
    solution = {n: chosen_values[k] for k, n in enumerate(names) if n in lever}
    return solution, int(sum(v.size for v in values))


def _spread_apart(
    chosen: list[float],
    keys: list[int],
    pools: list[tuple[NDArray[np.float64], NDArray[np.int64], NDArray[np.float64]]],
) -> list[float]:
    """Neighbouring cut-offs in the same gap between totals get distinct values there, best grade highest.

    They grade alike wherever they sit in the gap; of the gap's candidate values, the strictly
    descending choice that moves least is taken (a few candidates per gap: an exhaustive look).
    """
    out = list(chosen)
    k = 0
    while k < len(out):
        end = k
        while end + 1 < len(out) and keys[end + 1] == keys[k]:
            end += 1
        if end > k:
            options = []
            for i in range(k, end + 1):
                cands, key, dist = pools[i]
                inside = key == keys[k]
                options.append(list(zip(cands[inside], dist[inside])))
            best: tuple[float, tuple[float, ...]] | None = None
            for combo in itertools.product(*options):
                vals = [v for v, _ in combo]
                if all(a > b for a, b in zip(vals, vals[1:])):
                    cost = sum(d for _, d in combo)
                    if best is None or cost < best[0]:
                        best = (cost, tuple(float(v) for v in vals))
            if best is not None:
                out[k : end + 1] = list(best[1])
        k = end + 1
    return out
