"""Grading: band lookup, ranks within groups, forced-distribution quotas and rank tiers, vectorised.

All functions take arrays with a leading draw axis (S × U) and never loop over units or
draws; loops run over grades or keys only.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray

from .numeric import round_count

Float2 = NDArray[np.float64]
Int2 = NDArray[np.int64]


def band_grades(total: Float2, cutoffs: Float2, inclusive: list[bool]) -> NDArray[np.int8]:
    """Grade index (0 = best) from descending lower bounds.

    Parameters
    ----------
    total
        Totals, S × U, in the same units as ``cutoffs``.
    cutoffs
        Lower bounds, (S or 1) × B, best grade first; grade B is "below every bound". Or each unit's
        own, (S or 1) × U × B (classes with different full marks).
    inclusive
        Whether each bound is inclusive (含).

    Returns
    -------
    numpy.ndarray
        int8 grade indices, S × U.
    """
    if cutoffs.ndim == 2 and cutoffs.shape[0] == 1 and total.size <= 1 << 16 and len(set(inclusive)) <= 1:
        # one set of bounds and few totals (a slider): each grade is the count of bounds above the total (or
        # at it too, for exclusive bounds), found by one binary search instead of a pass per bound
        bounds = np.sort(cutoffs[0])
        at = bounds.searchsorted(total, side="right" if all(inclusive) else "left")
        return np.asarray(bounds.size - at, dtype=np.int8).reshape(np.broadcast_shapes(total.shape, (1, 1)))
    rows = total.shape[0] if total.ndim == 2 else 0
    if total.size > 1 << 20 and rows > 1 and cutoffs.shape[0] in (1, rows):
        # many draws: a block of draws at a time, so the comparisons' temporaries stay small
        out = np.empty(np.broadcast_shapes(total.shape, cutoffs.shape[:2] if cutoffs.ndim == 3 else (1, 1)), np.int8)
        step = max(1, (1 << 17) // max(total.shape[1], 1))
        for start in range(0, rows, step):
            part = slice(start, start + step)
            out[part] = band_grades(total[part], cutoffs if cutoffs.shape[0] == 1 else cutoffs[part], inclusive)
        return out
    per_unit = cutoffs.ndim == 3
    grade = np.zeros(
        np.broadcast_shapes(total.shape, cutoffs.shape[:2] if per_unit else (cutoffs.shape[0], 1)), dtype=np.int8
    )
    for b, inc in enumerate(inclusive):
        bound = cutoffs[..., b] if per_unit else cutoffs[:, b : b + 1]
        grade += (total < bound) if inc else (total <= bound)
    return grade


@dataclass
class Ranking:
    """Ranks of units within groups for each draw (1 = best)."""

    competition: Int2 | None = None
    """1, 1, 3: tied units share the best place of their block."""
    dense: Int2 | None = None
    """1, 1, 2."""
    ordinal: Int2 | None = None
    """1, 2, 3: ties broken by input order."""
    block_last: Int2 | None = None
    """The worst place a unit's tie block reaches (for 'exclude tied units' quota rules)."""


RANK_METHODS = ("competition", "dense", "ordinal", "block_last")


def rank_within_groups(
    keys: list[Float2], groups: NDArray[np.int64], methods: tuple[str, ...] = RANK_METHODS
) -> Ranking:
    """Rank units by ``keys`` (descending, first key first) within each group, per draw.

    Parameters
    ----------
    keys
        Sort keys, each S × U (or 1 × U); higher is better; later keys break ties of earlier ones.
    groups
        Group index of each unit, shape (U,).
    methods
        Which of the :class:`Ranking` tie methods to compute (the others stay None): each costs
        a pass over S × U, so callers ask only for the one they read.

    Returns
    -------
    Ranking
    """
    shape = np.broadcast_shapes(*(k.shape for k in keys))
    n_draws, n_units = shape
    full = [np.broadcast_to(k, shape) for k in keys]
    group_grid = np.broadcast_to(groups, shape)
    if groups.max(initial=0) == 0 and len(full) == 1:
        order = np.argsort(-full[0], axis=1, kind="stable")
    else:
        # np.lexsort: the last key is the primary one
        order = np.lexsort([*(-k for k in reversed(full)), group_grid], axis=-1)
    sorted_keys = [np.take_along_axis(k, order, axis=1) for k in full]
    sorted_groups = np.take_along_axis(group_grid, order, axis=1)
    new_group = np.ones(shape, dtype=bool)
    new_group[:, 1:] = sorted_groups[:, 1:] != sorted_groups[:, :-1]
    pos = np.broadcast_to(np.arange(n_units), shape)
    group_start = np.maximum.accumulate(np.where(new_group, pos, 0), axis=1)
    if methods != ("ordinal",):
        new_block = new_group.copy()
        for k in sorted_keys:
            new_block[:, 1:] |= k[:, 1:] != k[:, :-1]

    def unsort(sorted_values: Int2) -> Int2:
        out = np.empty(shape, dtype=np.int64)
        np.put_along_axis(out, order, sorted_values, axis=1)
        return out

    ranking = Ranking()
    if "competition" in methods:
        block_start = np.maximum.accumulate(np.where(new_block, pos, 0), axis=1)
        ranking.competition = unsort(block_start - group_start + 1)
    if "dense" in methods:
        blocks_so_far = np.cumsum(new_block, axis=1)
        ranking.dense = unsort(blocks_so_far - np.take_along_axis(blocks_so_far, group_start, axis=1) + 1)
    if "ordinal" in methods:
        ranking.ordinal = unsort(pos - group_start + 1)
    if "block_last" in methods:
        block_end_mark = np.ones(shape, dtype=bool)
        block_end_mark[:, :-1] = new_block[:, 1:]
        block_end = np.flip(
            np.minimum.accumulate(np.flip(np.where(block_end_mark, pos, n_units), axis=1), axis=1), axis=1
        )
        ranking.block_last = unsort(block_end - group_start + 1)
    return ranking


def slots(shares: Float2, group_sizes: NDArray[np.int64], rounding: str) -> Int2:
    """Whole number of units a share of each group allows: (S or 1) × G (group sizes G, or per draw S × G)."""
    return round_count(shares * np.atleast_2d(group_sizes), rounding)


def limit_grade(
    grade: NDArray[np.int8],
    grade_index: int,
    keys: list[Float2],
    groups: NDArray[np.int64],
    allowed: Int2,
    ties: str,
) -> NDArray[np.bool_]:
    """Keep at most ``allowed`` units per group in ``grade_index``; drop the rest one grade.

    Units are ranked by ``keys`` among those holding the grade. At the cut-off, tied units
    are all kept (``include_all``, the quota may be exceeded) or all dropped
    (``exclude_all``, the quota may be under-filled).

    Returns
    -------
    numpy.ndarray
        Boolean S × U mask of units dropped; ``grade`` is updated in place.
    """
    holders = grade == grade_index
    masked = [np.where(holders, k, -np.inf) for k in keys]
    method = "competition" if ties == "include_all" else "block_last"
    place = getattr(rank_within_groups(masked, groups, (method,)), method)
    limit = np.take_along_axis(
        np.broadcast_to(allowed, (grade.shape[0], allowed.shape[1])), np.broadcast_to(groups, grade.shape), axis=1
    )
    dropped = holders & (place > limit)
    grade[dropped] += 1
    return dropped
