"""Grading rules beyond bands and share quotas, vectorised over draws × units.

- **compound conditions** (:attr:`GradeBand.sections_min`, :attr:`GradeBand.indicators_min`): a grade
  needs its total *and* a share of every first-level section or named indicator minima; a unit that
  misses them takes the best lower grade whose conditions it meets;
- **降一档** (veto scope ``grade_down``): exactly one grade lower, whatever the score;
- **count limits** (:attr:`Quota.max_count`, :attr:`Quota.min_count`): at most n units of a group in a
  grade, at least m at a grade or below, with the quota's tie rule;
- **vetoed units last** in the ranking (``grading.vetoed_rank: last``);
- **top lists** (``grading.top_lists``): the best or worst k places of each group, every unit tied
  at place k included.

Loops run over grades, quotas or lists only, never over units or draws.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING

import numpy as np
from numpy.typing import NDArray

from . import scheme as s
from .grading import rank_within_groups
from .numeric import snap

if TYPE_CHECKING:
    from .compile import CompiledScheme
    from .engine import ClassDetail

Float2 = NDArray[np.float64]
Bool2 = NDArray[np.bool_]
Grade2 = NDArray[np.int8]


@dataclass
class GradeRules:
    """What the grading rules did in an evaluation (S × U arrays), for tables and traces."""

    total_band: Grade2 | None = None
    """Grade from the total alone, where compound band conditions may have lowered it (else None)."""
    pushed_down: Bool2 | None = None
    """Units moved down to a grade by a ``min_count`` (None without minima)."""
    vetoed_last: Bool2 | None = None
    """Units ranked after all others of their group (``vetoed_rank: last``), else None."""
    top_lists: dict[str, Bool2] = field(default_factory=dict)
    """List id → members (S × U)."""


def condition_nodes(scheme: s.Scheme) -> list[str]:
    """Ids of the tree nodes whose scores compound band conditions read (first-level sections, named minima)."""
    bands = scheme.grading.bands or []
    out: list[str] = []
    if any(b.sections_min is not None for b in bands):
        out.extend(top.id for c in scheme.classes for top in c.indicators)
    for band in bands:
        out.extend(band.indicators_min)
    return list(dict.fromkeys(out))


def band_conditions_met(
    compiled: CompiledScheme, details: list[ClassDetail | None], band: s.GradeBand, shape: tuple[int, int]
) -> Bool2:
    """Whether each unit meets a band's compound conditions (True where the band states none).

    Parameters
    ----------
    compiled
        The compiled scheme.
    details
        Per class, the section scores the engine kept (:func:`condition_nodes` are among them).
    band
        The grade band.
    shape
        (S, U) of the evaluation.

    Returns
    -------
    numpy.ndarray
        Boolean S × U.
    """
    ok = np.ones(shape, dtype=bool)
    for cc, detail in zip(compiled.classes, details):
        if detail is None:
            continue
        cols = detail.units
        if band.sections_min is not None:
            need = snap(band.sections_min * 100.0)
            for node in cc.children[0]:
                frac = detail.fractions[node]
                meets = snap(frac * 100.0) >= need
                if node in detail.applicable:  # a section wholly 不适用 has no share to miss
                    meets = meets | ~np.asarray(detail.applicable[node], dtype=bool)
                ok[:, cols] &= np.broadcast_to(meets, (shape[0], cols.size))
        for name, minimum in band.indicators_min.items():
            if name in cc.ids:
                score = detail.scores[cc.index(name)]
                ok[:, cols] &= np.broadcast_to(snap(score) >= snap(minimum), (shape[0], cols.size))
    return ok


def compound_grades(
    compiled: CompiledScheme, details: list[ClassDetail | None], band_grade: Grade2, shape: tuple[int, int]
) -> Grade2:
    """Lower each unit from its total's band to the best band whose compound conditions it meets.

    Bands are visited best first, so a unit that misses one band's conditions is then held to the
    next band's; the lowest band has no conditions and stops the descent.
    """
    grade = np.broadcast_to(band_grade, shape).copy()
    bands = compiled.scheme.grading.bands or []
    for i, band in enumerate(bands[:-1]):
        if band.sections_min is None and not band.indicators_min:
            continue
        missed = (grade == i) & ~band_conditions_met(compiled, details, band, shape)
        grade[missed] = i + 1
    return grade


def has_conditions(scheme: s.Scheme) -> bool:
    """Whether any band states a compound condition."""
    return any(b.sections_min is not None or b.indicators_min for b in scheme.grading.bands or [])


def veto_mask(
    compiled: CompiledScheme, veto_flags: NDArray[np.bool_], scopes: tuple[str, ...], shape: tuple[int, int]
) -> Bool2 | None:
    """Units with a triggered veto of one of ``scopes`` (S × U), or None when the scheme has none."""
    which = [v for v, veto in enumerate(compiled.vetoes) if veto.scope in scopes]
    if not which:
        return None
    return np.broadcast_to(veto_flags[..., which].any(axis=-1), shape)


def downgrade(grade: Grade2, mask: Bool2, lowest: int) -> None:
    """降一档: lower the masked units by exactly one grade, never below the lowest (in place)."""
    grade[mask] = np.minimum(grade[mask] + 1, lowest).astype(np.int8)


def _one_hot(groups: NDArray[np.int64], n_groups: int) -> NDArray[np.int64]:
    return (groups[:, None] == np.arange(n_groups)[None, :]).astype(np.int64)


def apply_min_counts(
    grade: Grade2,
    quotas: list[s.Quota],
    labels: list[str],
    keys: list[Float2],
    groups: NDArray[np.int64],
    n_groups: int,
    contest: Bool2,
) -> Bool2:
    """At least ``min_count`` units of each group at a grade or below: move the lowest-ranked units above down.

    Parameters
    ----------
    grade
        Grades (S × U), changed in place.
    quotas
        The scheme's quotas; those with ``min_count`` act, worst grade first.
    labels
        Grade names, best first.
    keys
        Ranking keys (S × U each, higher is better), out-of-contest units at -inf.
    groups
        Group index of each unit.
    n_groups
        Number of groups.
    contest
        Units that count and may be moved (S × U): not excluded, not vetoed out of the contest.

    Returns
    -------
    numpy.ndarray
        Boolean S × U mask of units moved down.
    """
    pushed = np.zeros(grade.shape, dtype=bool)
    hot = _one_hot(groups, n_groups)
    for quota in sorted(quotas, key=lambda q: -labels.index(q.grade)):
        if quota.min_count is None:
            continue
        gi = labels.index(quota.grade)
        have = ((grade >= gi) & contest).astype(np.int64) @ hot
        need = np.maximum(quota.min_count - have, 0)
        if not need.any():
            continue
        candidates = (grade < gi) & contest
        reversed_keys = [np.where(candidates, -np.broadcast_to(k, grade.shape), -np.inf) for k in keys]
        method = "competition" if quota.ties == "include_all" else "block_last"
        place = getattr(rank_within_groups(reversed_keys, groups, (method,)), method)
        moved = candidates & (place <= np.take_along_axis(need, np.broadcast_to(groups, grade.shape), axis=1))
        grade[moved] = gi
        pushed |= moved
    return pushed


def vetoed_last_keys(keys: list[Float2], vetoed: Bool2) -> list[Float2]:
    """Ranking keys that put vetoed units after every other unit (a leading 0/1 key)."""
    return [np.where(vetoed, 0.0, 1.0), *keys]


def top_list_members(
    lists: list[s.TopList], keys: list[Float2], groups: NDArray[np.int64], ranked: Bool2
) -> dict[str, Bool2]:
    """Members of each top (or bottom) list: place ``k`` or better in the group, every unit tied at ``k`` in.

    Parameters
    ----------
    lists
        ``grading.top_lists``.
    keys
        Ranking keys (S × U each, higher is better).
    groups
        Group index of each unit.
    ranked
        Units that take a place (S × U); the others are on no list.

    Returns
    -------
    dict
        List id → boolean S × U.
    """
    out: dict[str, Bool2] = {}
    shape = ranked.shape
    for top in lists:
        if top.end == "top":
            ordered = [np.where(ranked, np.broadcast_to(k, shape), -np.inf) for k in keys]
        else:
            ordered = [np.where(ranked, -np.broadcast_to(k, shape), -np.inf) for k in keys]
        place = rank_within_groups(ordered, groups, ("competition",)).competition
        assert place is not None
        out[top.id] = ranked & (place <= top.k)
    return out
