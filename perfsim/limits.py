"""Stated limits on sizes, checked before any work, so that a typo never ends in a MemoryError.

Each limit says why it is where it is. A request beyond one is refused with a message that
names the option, the limit and what to do instead.
"""

from __future__ import annotations

import math
import os

from .errors import PerfsimError

MAX_YEARS = 600
"""Fifty years of monthly periods: far past any planning horizon a scheme is written for."""

MAX_DRAWS = 1_000_000
"""Random draws of one simulation; beyond this the Monte Carlo error is far below anything a grade shows."""

MAX_SIMULATION_BYTES = 4 * 2**30
"""A simulation keeps every unit × year × draw result in memory: at most 4 GiB of them."""

MAX_VARIANTS = 1_000_000
"""Variants of one batch: each is recorded in the manifest, so a million is already a large file."""

MAX_PANEL_ROWS = 20_000_000
"""Rows of a simulation panel written to a file (about 2 GB in memory while it is written)."""

MAX_SEED = 2**63 - 1


def max_workers() -> int:
    """Worker processes on this machine: one per core (more only compete for the same cores)."""
    return os.cpu_count() or 1


def _refuse(what: str, value: int | float, limit: int | float, hint: str, low: int | float = 1) -> None:
    raise PerfsimError(f"{what} must be between {low:,} and {limit:,}, not {value:,}", hint=hint)


def check_count(what: str, value: int, limit: int, hint: str, low: int = 1) -> int:
    """``value`` within ``[low, limit]``, else a clear error naming ``what`` and the limit."""
    if not low <= value <= limit:
        _refuse(what, value, limit, hint, low)
    return value


def check_seed(seed: int, what: str = "--seed") -> int:
    """A random seed: a whole number from 0 to 2⁶³ − 1."""
    return check_count(what, seed, MAX_SEED, "use a whole number such as --seed 1", low=0)


def check_workers(workers: int, what: str = "--workers") -> int:
    """At least one worker and no more than the machine has cores."""
    return check_count(
        what,
        workers,
        max_workers(),
        f"this machine has {max_workers()} cores; more workers than cores only slow a run down",
    )


def check_periods(years: int, draws: int) -> None:
    """Years and draws of a simulation each from 1 to its limit, named as the options that set them.

    Parameters
    ----------
    years, draws
        As given to :func:`perfsim.simulate.simulate` (from ``--years`` and ``--draws``).

    Raises
    ------
    PerfsimError
        Naming ``--years`` or ``--draws``, the range and the value given.
    """
    check_count("years (--years)", years, MAX_YEARS, f"simulate from 1 to {MAX_YEARS} periods, e.g. --years 10")
    check_count(
        "draws (--draws)",
        draws,
        MAX_DRAWS,
        "a few hundred to a few thousand draws give stable shares, e.g. --draws 200",
    )


def check_simulation(years: int, draws: int, units: int, bytes_per_cell: int) -> None:
    """Years and draws within their limits, and the simulation's arrays within the memory limit."""
    check_periods(years, draws)
    need = years * draws * units * bytes_per_cell
    if need > MAX_SIMULATION_BYTES:
        fit = max(1, MAX_SIMULATION_BYTES // max(1, years * units * bytes_per_cell))
        raise PerfsimError(
            f"{years:,} years × {draws:,} draws × {units:,} units need {need / 2**30:,.1f} GiB, "
            f"above the {MAX_SIMULATION_BYTES / 2**30:.0f} GiB a simulation may hold",
            hint=f"use at most --draws {fit:,} for {years} years, or fewer years",
        )


def check_panel(rows: int, suffix: str) -> None:
    """A panel file's rows within what its format and this limit allow."""
    from .outputs import XLSX_MAX_ROWS

    limit = XLSX_MAX_ROWS if suffix == ".xlsx" else MAX_PANEL_ROWS
    if rows > limit:
        raise PerfsimError(
            f"the panel would have {rows:,} rows (years × draws × units), above the {limit:,} a {suffix} file may hold",
            hint="use fewer --draws, or write .parquet" if suffix == ".xlsx" else "use fewer --draws or years",
        )


def check_variants(count: int, what: str = "the sweep") -> int:
    """A batch's number of variants (computed from the sweep before any is made)."""
    if count < 1:
        raise PerfsimError(f"{what} lists no variants", hint="give at least one value for each parameter")
    if count > MAX_VARIANTS:
        raise PerfsimError(
            f"{what} makes {count:,} variants, above the limit of {MAX_VARIANTS:,}",
            hint="sample the space instead (vary: random: n: …), or split it into several sweeps",
        )
    return count


def grid_size(lengths: list[int]) -> int:
    """Variants of a full grid, computed without making them."""
    return math.prod(lengths) if lengths else 0
