"""One inverse per scoring method: the raw inputs that earn a given fraction of an indicator's points.

Simulated years turn each unit's quality into the raw values its scorer reads through the
inverse of that scorer, so the simulation and the scoring cannot disagree:

- every method is described by *levels*: raw inputs and the fraction the method's own scorer
  gives them, in ascending order of fraction; between two neighbouring levels the scorer is
  either linear in the raw value (the inverse interpolates, exactly) or jumps (counts, labels,
  rubric levels, pass/fail, fixed band points);
- across a jump the inverse takes the upper level with the probability that keeps the expected
  fraction equal to the target (a unit at 85 % on a pass/fail item passes 85 % of the time), and
  a target that is a level gives that level;
- completion ratios are inverted by their formula (the standard may differ per unit).

The levels are built by calling the scorer on the raw values where it changes, and
:meth:`Inverse.verify` checks each inverse against its scorer before a simulation uses it.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray

from . import scheme as s
from .scoring import BandArrays, make_scorer

Array = NDArray[np.float64]

SNAP = 1e-9
"""A target this close to a level (as a share of the gap to the next) is that level: fractions read
back from data carry float noise, and must give the data's own raw value, not a coin toss."""


@dataclass(frozen=True)
class Inverse:
    """Raw inputs for a target fraction of an indicator's points.

    Attributes
    ----------
    fractions
        Fractions of the levels, ascending (L,).
    raw
        Input name → raw value of each level (L,).
    linear
        Whether the scorer is linear between level i and i + 1 (L − 1,); else it jumps.
    standard
        For completion ratios: ``"higher"`` or ``"lower"`` (the levels are then unused and the
        formula against each unit's standard is exact).
    """

    fractions: Array
    raw: dict[str, Array]
    linear: NDArray[np.bool_]
    completion: tuple[str, float, float] | None = None
    """(direction, fixed standard or NaN for per-unit, cap) for completion ratios."""
    pieces: tuple[tuple[float, float, dict[str, float], dict[str, float]], ...] = ()
    """Linear pieces of the scorer that other levels fall inside, as (low fraction, high fraction, raw
    at low, raw at high): in a band table that is not monotone an interpolating band can span the
    fractions of other bands, and a target inside it is reached on it exactly, not by a jump."""

    @property
    def discrete(self) -> bool:
        """Whether some target falls between two levels the scorer jumps across (needs a uniform draw)."""
        return self.completion is None and not bool(self.linear.all())

    def __call__(
        self,
        target: NDArray[np.floating],
        u: NDArray[np.floating] | None = None,
        standard: NDArray[np.floating] | None = None,
    ) -> dict[str, Array]:
        """Raw inputs earning ``target`` (a fraction, any shape) of the points.

        ``u`` (uniform on [0, 1), same shape) picks a side across a jump so that the expected
        fraction is the target; without it the nearer level is taken. ``standard`` gives per-unit
        standards of a completion ratio (default 100).
        """
        f = np.asarray(target, dtype=np.float64)
        if self.completion is not None:
            direction, fixed, cap = self.completion
            std = np.broadcast_to(standard if standard is not None else 100.0, f.shape) if np.isnan(fixed) else fixed
            value = std / np.clip(f, 1e-6, cap) if direction == "lower" else std * np.clip(f, 0.0, cap)
            out = {"value": np.asarray(value, dtype=np.float64)}
            if np.isnan(fixed):
                out["standard"] = np.asarray(std, dtype=np.float64)
            return out
        levels = self.fractions
        if levels.size == 1:
            return {name: np.broadcast_to(v[0], f.shape).astype(np.float64) for name, v in self.raw.items()}
        if levels.size == 2 and self.linear[0]:  # one linear piece (a mark, a shortfall): affine, exact
            t = np.clip((f - levels[0]) / (levels[1] - levels[0]), 0.0, 1.0)
            return {name: _between(v[0], v[1], t) for name, v in self.raw.items()}
        if self.linear.all():
            return {name: np.interp(f, levels, v) for name, v in self.raw.items()}
        f = np.clip(f, levels[0], levels[-1])
        i = np.clip(np.searchsorted(levels, f, side="right") - 1, 0, levels.size - 2)
        low, high = levels[i], levels[i + 1]
        t = (f - low) / (high - low)
        t = np.where(t < SNAP, 0.0, np.where(t > 1.0 - SNAP, 1.0, t))
        jump = ~self.linear[i] & (t > 0.0) & (t < 1.0)
        if jump.any():
            up = (u < t) if u is not None else (t >= 0.5)
            t = np.where(jump, np.where(up, 1.0, 0.0), t)
        out = {name: _between(v[i], v[i + 1], t) for name, v in self.raw.items()}
        for low_f, high_f, low_raw, high_raw in self.pieces:
            inside = jump & (f >= low_f) & (f <= high_f)
            if inside.any():
                share = (f - low_f) / (high_f - low_f)
                for name in out:
                    out[name] = np.where(inside, _between(low_raw[name], high_raw[name], share), out[name])
                jump = jump & ~inside
        return out

    def verify(self, node: s.Indicator, nominal_points: float, standard: Array | None = None) -> None:
        """Check the inverse against the method's scorer; an AssertionError here is a bug in perfsim."""
        scorer = make_scorer(node, nominal_points)
        top = self.completion[2] if self.completion is not None else float(self.fractions[-1])
        bottom = 1e-3 if self.completion is not None else float(self.fractions[0])
        grid = np.linspace(bottom, top, 257)
        std = None if standard is None else np.broadcast_to(np.atleast_1d(standard)[:1], grid.shape)
        if self.completion is not None or not self.discrete:
            got = scorer(self(grid, standard=std))
            assert np.allclose(got, grid, rtol=0, atol=1e-9), f"inverse of {node.id} disagrees with its scorer"
            return
        levels = scorer(self(self.fractions))
        assert np.allclose(levels, self.fractions, rtol=0, atol=1e-12), f"levels of {node.id} are not its scorer's"
        mid = (self.fractions[:-1] + self.fractions[1:]) / 2
        got = scorer(self(mid, u=np.full(mid.shape, 0.5)))
        inside = (got >= self.fractions[:-1] - 1e-12) & (got <= self.fractions[1:] + 1e-12)
        assert inside.all(), f"inverse of {node.id} leaves its neighbouring levels"
        for low_f, high_f, _, _ in self.pieces:
            grid = np.linspace(low_f, high_f, 33)
            got = scorer(self(grid, u=np.full(grid.shape, 0.5)))
            assert np.allclose(got, grid, rtol=0, atol=1e-9), f"inverse of {node.id} leaves a linear piece"


def _between(low: float | Array, high: float | Array, t: Array) -> Array:
    """``low`` at t = 0 and ``high`` at t = 1 exactly: ``low + t (high − low)`` can miss ``high`` by an
    ulp, which falls outside a band whose bound is inclusive."""
    return (1.0 - t) * low + t * high


def _levels(
    scorer_points: list[dict[str, float]], fractions: Array, linear_pairs: set[tuple[int, int]] | None = None
) -> tuple[Array, dict[str, Array], NDArray[np.bool_]]:
    """Sort candidate raw inputs by fraction, keep the first of equal fractions, mark linear gaps."""
    order = np.argsort(fractions, kind="stable")
    keep: list[int] = []
    for k in order:
        if not keep or fractions[k] > fractions[keep[-1]] + 1e-15:
            keep.append(int(k))
    names = list(scorer_points[0])
    raw = {n: np.array([scorer_points[k][n] for k in keep], dtype=np.float64) for n in names}
    pairs = linear_pairs or set()
    linear = np.array([(a, b) in pairs for a, b in zip(keep, keep[1:])], dtype=bool)
    return fractions[keep], raw, linear


def _pieces(
    candidates: list[dict[str, float]], fractions: Array, linear_pairs: set[tuple[int, int]]
) -> tuple[tuple[float, float, dict[str, float], dict[str, float]], ...]:
    """Every linear pair of candidates as a piece, low fraction first (a pair that ended up as two
    neighbouring levels is never consulted: no target between them is on a jump)."""
    pieces = []
    for a, b in sorted(linear_pairs):
        if fractions[a] != fractions[b]:
            low, high = (a, b) if fractions[a] < fractions[b] else (b, a)
            pieces.append((float(fractions[low]), float(fractions[high]), candidates[low], candidates[high]))
    return tuple(pieces)


def _from_candidates(
    node: s.Indicator,
    points: float,
    candidates: list[dict[str, float]],
    linear_pairs: set[tuple[int, int]] | None = None,
) -> Inverse:
    """Levels from the scorer evaluated on candidate raw inputs."""
    scorer = make_scorer(node, points)
    names = list(candidates[0])
    columns = {n: np.array([c[n] for c in candidates], dtype=np.float64) for n in names}
    fractions = np.asarray(scorer(columns), dtype=np.float64)
    levels, raw, linear = _levels(candidates, fractions, linear_pairs)
    return Inverse(levels, raw, linear, pieces=_pieces(candidates, fractions, linear_pairs or set()))


def _band_candidates(m: s.BandLookup, points: float) -> tuple[list[dict[str, float]], set[tuple[int, int]]]:
    """A raw value inside each band (and below all of them); both ends of a band when it interpolates."""
    table = BandArrays(m, points)
    finite = [up - lo for lo, up in zip(table.lowers, table.uppers) if np.isfinite(lo) and np.isfinite(up) and up > lo]
    width = float(np.mean(finite)) if finite else 1.0
    inclusive = [*table.inclusive, True]
    out: list[dict[str, float]] = []
    pairs: set[tuple[int, int]] = set()
    for lo, up, closed in zip(table.lowers, table.uppers, inclusive):
        if np.isfinite(lo) and np.isfinite(up):
            if m.pick == "interpolate" and up > lo:
                nudge = (up - lo) * 1e-9  # stay inside the band where a bound belongs to the next one
                pairs.add((len(out), len(out) + 1))
                out += [{"value": float(lo if closed else lo + nudge)}, {"value": float(up - nudge)}]
                continue
            out.append({"value": float((lo + up) / 2)})
        elif np.isfinite(lo):
            out.append({"value": float(lo + width)})
        elif np.isfinite(up):
            out.append({"value": float(up - width)})
        else:
            out.append({"value": 0.0})
    return out, pairs


def build_inverse(node: s.Indicator, nominal_points: float) -> Inverse:
    """The inverse of a leaf indicator's scoring method.

    Parameters
    ----------
    node
        A leaf indicator (its method and direction).
    nominal_points
        Its points as written (tables in points are divided by them, as the scorer does).

    Returns
    -------
    Inverse
    """
    m = node.method
    full = nominal_points if nominal_points > 0 else 1.0
    sign = -1.0 if node.direction == "lower" else 1.0
    if isinstance(m, s.CompletionRatio):
        fixed = float("nan") if m.standard == "per_unit" else float(m.standard)
        return Inverse(np.zeros(1), {}, np.zeros(0, dtype=bool), (node.direction, fixed, m.cap))
    if isinstance(m, s.DirectScore):
        return _from_candidates(node, full, [{"value": 0.0}, {"value": m.scale}], {(0, 1)})
    if isinstance(m, s.QuantityDecrement):
        bottom = m.target - sign * full / m.decrement
        return _from_candidates(node, full, [{"value": bottom}, {"value": m.target}], {(0, 1)})
    if isinstance(m, s.BaseAddSubtract):
        # knots where the piecewise-linear score changes slope, along the direction it rises
        diffs = {0.0}
        if m.subtract_per_unit > 0:
            diffs |= {-m.base / m.subtract_per_unit, min(0.0, -(m.base - full) / m.subtract_per_unit)}
        if m.add_per_unit > 0:
            diffs.add(max(0.0, (full - m.base) / m.add_per_unit))
        ordered = sorted(diffs)
        candidates = [{"value": m.target + sign * d} for d in ordered]
        return _from_candidates(node, full, candidates, {(k, k + 1) for k in range(len(ordered) - 1)})
    if isinstance(m, s.VetoScoring):
        return _from_candidates(node, full, [{"value": 1.0}, {"value": 0.0}])
    if isinstance(m, s.Cumulative):
        top = int(np.ceil(full / m.per_event - 1e-9))
        return _from_candidates(node, full, [{"value": float(k)} for k in range(top + 1)])
    if isinstance(m, s.DirectDeduction):
        top = int(np.ceil(max(full - m.floor, 0.0) / m.per_violation - 1e-9))
        return _from_candidates(node, full, [{"value": float(k)} for k in range(top + 1)])
    if isinstance(m, s.BandLookup):
        candidates, pairs = _band_candidates(m, full)
        return _from_candidates(node, full, candidates, pairs)
    if isinstance(m, s.CategoryLookup):
        return _from_candidates(node, full, [{"value": float(k)} for k in range(len(m.map))])
    if isinstance(m, s.TierPoints):
        tiers = sorted(m.tiers)
        other = next(k for k in range(0, max(tiers) + 2) if k not in m.tiers)
        return _from_candidates(node, full, [{"value": float(k)} for k in [*tiers, other]])
    if isinstance(m, s.Rubric5pt):
        most = max(m.flaws_zero_from, m.flaws_two_up_to + 1, m.errors_one_up_to + 1)
        # best level first, then fewest mistakes: the canonical raw inputs of each fraction
        candidates = [
            {"value": float(level), "count": float(count)} for level in (5, 4, 3, 2, 1) for count in range(most + 1)
        ]
        return _from_candidates(node, full, candidates)
    if isinstance(m, s.TimeLimit):
        return _from_candidates(node, full, [{"value": 1.2 * m.limit}, {"value": 0.8 * m.limit}])
    raise AssertionError(f"no inverse for {m!r}")  # pragma: no cover - the model admits no other leaf method
