"""Money in whole cents (分): half-up conversion and exact allocation of a pool.

Budgets are held as int64 cents so that a reallocation conserves money exactly: the
pieces handed out plus what returns to the treasury equal the pool, to the cent.
"""

from __future__ import annotations

import numpy as np
from numpy.typing import ArrayLike, NDArray

from .numeric import HALF_TOLERANCE, round_half_up

Cents = NDArray[np.int64]


def to_cents(yuan: ArrayLike) -> Cents:
    """Yuan → whole cents, rounded half-up."""
    return round_half_up(np.asarray(yuan, dtype=np.float64) * 100.0, 0).astype(np.int64)


def scale_cents(cents: Cents, factor: NDArray[np.float64]) -> Cents:
    """``cents × factor`` rounded half-up to whole cents (one pass; amounts are not negative)."""
    scaled = cents * factor
    scaled *= 1.0 + HALF_TOLERANCE
    scaled += 0.5
    return np.floor(scaled, out=scaled).astype(np.int64)


def to_yuan(cents: ArrayLike) -> NDArray[np.float64]:
    return np.asarray(cents, dtype=np.float64) / 100.0


def split_exact(pool: Cents, weights: NDArray[np.float64]) -> Cents:
    """Share ``pool`` (S,) cents in proportion to ``weights`` (S × U), exactly (largest remainder).

    Rows whose weights are all zero receive nothing (the caller decides where that money goes).
    """
    weights = np.maximum(weights, 0.0)
    total = weights.sum(axis=1, keepdims=True)
    with np.errstate(invalid="ignore", divide="ignore"):
        ideal = np.where(total > 0, pool[:, None] * (weights / total), 0.0)
    base = np.floor(ideal).astype(np.int64)
    short = np.where(total[:, 0] > 0, pool - base.sum(axis=1), 0)
    remainder = ideal - base
    order = np.argsort(-remainder, axis=1, kind="stable")
    bonus = np.zeros_like(base)
    ranks = np.empty_like(order)
    np.put_along_axis(ranks, order, np.broadcast_to(np.arange(weights.shape[1]), order.shape), axis=1)
    bonus[ranks < short[:, None]] = 1
    return base + bonus


def allocate_capped(pool: Cents, weights: NDArray[np.float64], caps: Cents) -> Cents:
    """Share ``pool`` in proportion to ``weights`` with a cap per recipient (water-filling), exactly.

    Returns cents per recipient; ``pool - result.sum(axis=1)`` is what no recipient could take.
    """
    given = np.zeros(weights.shape, dtype=np.int64)
    left = pool.copy()
    open_ = (weights > 0) & (caps > 0)
    for _ in range(weights.shape[1] + 1):  # each round fills at least one recipient or ends
        if not (open_.any(axis=1) & (left > 0)).any():
            break
        share = split_exact(left, np.where(open_, weights, 0.0))
        room = caps - given
        take = np.minimum(share, room)
        given += take
        left = left - take.sum(axis=1)
        newly_full = open_ & (take >= room)
        if not newly_full.any():
            break
        open_ &= ~newly_full
    return given


def allocate_in_order(pool: Cents, order: NDArray[np.int64], caps: Cents) -> Cents:
    """Fill recipients in priority ``order`` (indices into units), each up to its cap."""
    caps_in_order = caps[:, order]
    before = np.cumsum(caps_in_order, axis=1) - caps_in_order
    take = np.clip(pool[:, None] - before, 0, caps_in_order)
    out = np.zeros(caps.shape, dtype=np.int64)
    out[:, order] = take
    return out
