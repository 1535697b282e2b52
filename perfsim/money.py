"""Money in whole cents (分): half-up conversion and exact allocation of a pool.

Budgets are held as int64 cents so that a reallocation conserves money exactly: the
pieces handed out plus what returns to the treasury equal the pool, to the cent.
"""

from __future__ import annotations

import numpy as np
from numpy.typing import ArrayLike, NDArray

from .errors import PerfsimError
from .numeric import HALF_TOLERANCE, round_half_up

Cents = NDArray[np.int64]

MAX_YUAN = 1e11
"""The largest amount of money, in yuan, perfsim accepts (100 billion yuan, 1000 亿元).

Why here: money is held as int64 cents, which overflow silently (wrap to large negative
numbers) beyond 9.2 × 10¹⁸ cents. 10¹¹ yuan is 10¹³ cents, so 10⁵ amounts at the limit
sum to 10¹⁸ cents, still under int64's range with a ninefold margin; and 10¹³ is below
2⁵³, so float64 holds every amount at the limit exactly to the cent. It is far above any
unit budget or pay pool a public-sector evaluation works with (a county's whole annual
budget is of the order of 10¹⁰ yuan), so an amount beyond it is a unit mistake (cents or
fen read as yuan) or corrupt data, never a real figure.
"""

MAX_CENTS = int(MAX_YUAN * 100)


def _check_amounts(cents: NDArray[np.float64], what: str) -> None:
    """Refuse non-finite amounts and amounts beyond ±``MAX_YUAN`` (``cents`` as floats)."""
    if cents.size == 0:
        return
    # two reductions, no temporary array: NaN makes both comparisons false, ±inf fails one
    low, high = cents.min(), cents.max()
    if low >= -MAX_CENTS and high <= MAX_CENTS:
        return
    flat = cents.ravel()
    bad = flat[~(np.abs(flat) <= MAX_CENTS)]  # error path only: find the offending amounts
    first = float(bad[0]) / 100.0
    shown = "not a finite number" if not np.isfinite(first) else f"{first:,.2f} yuan"
    more = f" (and {bad.size - 1:,} more)" if bad.size > 1 else ""
    raise PerfsimError(
        f"{what} is {shown}{more}, beyond the limit of ±{MAX_YUAN:,.0f} yuan on any amount of money",
        hint="check the unit of the money columns (yuan, not fen or 万元 mistyped as yuan) and that no cell "
        "is empty, NaN or infinite; give amounts of this size in 万元 or 亿元",
    )


def to_cents(yuan: ArrayLike, what: str = "an amount of money") -> Cents:
    """Yuan → whole cents, rounded half-up.

    Parameters
    ----------
    yuan
        Amounts in yuan, any shape.
    what
        What the amounts are, for the error message (e.g. ``"budget of unit U0001"``).

    Returns
    -------
    numpy.ndarray
        int64 cents, same shape.

    Raises
    ------
    PerfsimError
        If an amount is NaN, infinite or beyond ±:data:`MAX_YUAN` yuan, where int64 cents
        would overflow silently.
    """
    with np.errstate(over="ignore", invalid="ignore"):  # an overflow is refused by name just below
        cents = np.asarray(yuan, dtype=np.float64) * 100.0
    _check_amounts(cents, what)
    return round_half_up(cents, 0).astype(np.int64)


def scale_cents(cents: Cents, factor: NDArray[np.float64], what: str = "a scaled amount") -> Cents:
    """``cents × factor`` rounded half-up to whole cents (one pass; amounts are not negative).

    Parameters
    ----------
    cents
        Amounts in cents.
    factor
        Multipliers, broadcast against ``cents`` (e.g. 1.1 for +10 %).
    what
        What the result is, for the error message.

    Returns
    -------
    numpy.ndarray
        int64 cents.

    Raises
    ------
    PerfsimError
        If a result is beyond ±:data:`MAX_YUAN` yuan or not finite (e.g. a budget that a
        yearly increase compounds past the limit).
    """
    with np.errstate(over="ignore", invalid="ignore"):  # an overflow is refused by name just below
        scaled = cents * factor
    _check_amounts(scaled, what)
    scaled *= 1.0 + HALF_TOLERANCE
    scaled += 0.5
    return np.floor(scaled, out=scaled).astype(np.int64)


def to_yuan(cents: ArrayLike) -> NDArray[np.float64]:
    """Cents → yuan as floats (exact to the cent below 2⁵³ cents)."""
    return np.asarray(cents, dtype=np.float64) / 100.0


def split_exact(pool: Cents, weights: NDArray[np.float64]) -> Cents:
    """Share ``pool`` (S,) cents in proportion to ``weights`` (S × U), exactly (largest remainder).

    Rows whose weights are all zero receive nothing (the caller decides where that money goes).
    Otherwise each row's shares sum to its pool exactly, are never negative and are zero
    where the weight is zero.

    Parameters
    ----------
    pool
        Cents to share, one amount per row (S,).
    weights
        Non-negative weights (S × U); negative weights count as zero.

    Returns
    -------
    numpy.ndarray
        int64 cents (S × U).
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
    bonus[(ranks < short[:, None]) & (weights > 0)] = 1
    out = base + bonus
    # pools near 2**53 cents: float rounding of pool × weight / total can leave the floors a few
    # cents off in total, so largest remainder alone would hand out more (or less) than the pool;
    # settle the difference on each row's largest weight, whose share dwarfs it
    fix = np.where(total[:, 0] > 0, pool - out.sum(axis=1), 0)
    if fix.any():
        out[np.arange(out.shape[0]), weights.argmax(axis=1)] += fix
    return out


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
