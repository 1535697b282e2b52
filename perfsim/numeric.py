"""Decimal rounding as Chinese documents use it (四舍五入, half away from zero) on float arrays."""

from __future__ import annotations

import numpy as np
from numpy.typing import ArrayLike, NDArray

SNAP_DECIMALS = 9
"""Totals and cut-offs are compared after snapping to 9 decimals, so that binary noise such
as ``0.9 * 100 == 90.00000000000001`` never moves a unit across a band boundary."""


HALF_TOLERANCE = 1e-14
"""Relative distance below a half that still counts as the half (binary noise of x * 10**d)."""


def snap(x: ArrayLike) -> NDArray[np.float64]:
    """Remove binary floating-point noise below ``10**-9``."""
    return np.asarray(np.round(np.asarray(x, dtype=np.float64), SNAP_DECIMALS), dtype=np.float64)


def round_half_up(x: ArrayLike, decimals: int) -> NDArray[np.float64]:
    """Round to ``decimals`` places, halves away from zero, reading each float as the decimal it shows.

    ``round_half_up(2.675, 2) == 2.68`` although the binary double is 2.67499999...;
    numpy's own ``round`` gives 2.67 (binary noise) and ``round(0.125, 2)`` gives 0.12
    (banker's rounding). Neither is what a published scheme means.

    Parameters
    ----------
    x
        Values, any shape.
    decimals
        Decimal places, 0 to 6.

    Returns
    -------
    numpy.ndarray
        Rounded values, same shape.
    """
    scale = 10.0**decimals
    scaled = np.array(x, dtype=np.float64)
    scaled *= scale
    # a float within a few ulps of a half is that half (2564.52935 * 1e4 = 25645293.499999996):
    # floor(|s| * (1 + tol) + 0.5) rounds those up, and only those
    rounded = np.abs(scaled, out=np.empty_like(scaled))
    rounded *= 1.0 + HALF_TOLERANCE
    rounded += 0.5
    np.floor(rounded, out=rounded)
    np.copysign(rounded, scaled, out=rounded)
    rounded /= scale
    return rounded


def truncate(x: ArrayLike, decimals: int) -> NDArray[np.float64]:
    """Drop the digits beyond ``decimals`` places (截位, toward zero), reading each float as the decimal it shows.

    ``truncate(89.996, 2) == 89.99`` and ``truncate(0.29, 2) == 0.29`` although 0.29 * 100 is
    28.999999999999996 in binary: values are snapped to 9 decimals first and a float within a few
    ulps of the next step counts as that step.

    Parameters
    ----------
    x
        Values, any shape.
    decimals
        Decimal places, 0 to 6.

    Returns
    -------
    numpy.ndarray
        Truncated values, same shape.
    """
    scale = 10.0**decimals
    scaled = snap(x) * scale
    out = np.floor(np.abs(scaled) * (1.0 + HALF_TOLERANCE))
    return np.copysign(out, scaled) / scale


def round_to(x: ArrayLike, decimals: int, mode: str = "half_up") -> NDArray[np.float64]:
    """Round to ``decimals`` places as a scheme's ``rounding.mode`` says: ``half_up`` or ``truncate``.

    Parameters
    ----------
    x
        Values, any shape.
    decimals
        Decimal places, 0 to 6.
    mode
        ``half_up`` (四舍五入, :func:`round_half_up`) or ``truncate`` (:func:`truncate`).

    Returns
    -------
    numpy.ndarray
        Rounded values, same shape.
    """
    return truncate(x, decimals) if mode == "truncate" else round_half_up(x, decimals)


def round_count(x: ArrayLike, rule: str) -> NDArray[np.int64]:
    """Turn a fractional head count (a quota such as 20% of 12 = 2.4) into whole units."""
    value = snap(x)
    if rule == "floor":
        out = np.floor(value)
    elif rule == "ceil":
        out = np.ceil(value)
    elif rule in ("half_up", "cumulative"):  # cumulative: half-up where a rank tier ends (see the engine)
        out = np.floor(value + 0.5)
    else:  # pragma: no cover - guarded by the scheme model
        raise ValueError(rule)
    return out.astype(np.int64)
