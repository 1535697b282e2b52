"""Units made of units: parents (towns) scored from their members' totals (villages), and ranked.

A scheme's ``roll_up`` names the attribute giving each unit's parent. The members' totals, already
rounded by ``rounding.total``, combine into the parent's score — their mean, or their sum weighted
by a number attribute — rounded again at the parent's level, and parents are ranked (competition
ranks, 并列) among themselves or within groups of parents. Members keep their own grades and ranks,
so a scheme ranks at both levels. One matrix product per evaluation: no loop over units or draws.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd
from numpy.typing import NDArray

from . import scheme as s
from .engine import Evaluation
from .errors import DataError
from .grading import rank_within_groups
from .numeric import round_half_up, snap


@dataclass
class RollUpResult:
    """Parents' scores and ranks for every draw.

    Attributes
    ----------
    rule
        The scheme's roll-up rule.
    parents
        Parent names, sorted.
    parent_of
        Each unit's parent, an index into ``parents`` (U,).
    members
        Members per parent (P,).
    score
        Parents' scores, S × P.
    rank
        Parents' competition ranks within their group, S × P (1 = best).
    groups
        Each parent's group name (all ``"(all)"`` without ``group_by``).
    """

    rule: s.RollUp
    parents: list[str]
    parent_of: NDArray[np.int64]
    members: NDArray[np.int64]
    score: NDArray[np.float64]
    rank: NDArray[np.int64]
    groups: list[str]

    def frame(self, draw: int = 0) -> pd.DataFrame:
        """One row per parent: its name, group, members, score and rank in one draw."""
        d = min(draw, self.score.shape[0] - 1)
        return pd.DataFrame(
            {
                "parent": self.parents,
                "group": self.groups,
                "members": self.members,
                "score": self.score[d],
                "rank": self.rank[d],
            }
        )


def _text_attribute(ev: Evaluation, name: str, what: str) -> NDArray[np.str_]:
    if name not in ev.data.attributes:
        raise DataError(
            f"missing column '{name}' ({what} of the roll-up)",
            file=ev.data.source,
            field=name,
            hint=f"add a column '{name}' naming each unit's parent",
        )
    values = np.asarray(ev.data.attributes[name]).astype(str)
    empty = values == ""
    if empty.any():
        unit = ev.data.units[int(np.flatnonzero(empty)[0])]
        raise DataError(
            f"unit '{unit}' has no {what}", file=ev.data.source, field=name, hint="give every unit its parent"
        )
    return values


def _check_one_full_mark(
    ev: Evaluation,
    names: NDArray[np.str_],
    parent_of: NDArray[np.int64],
    group_index: NDArray[np.int64],
    group_names: list[str],
) -> None:
    """Refuse parents that combine, or are ranked against, totals out of different full marks (classes
    with their own ``total``): a mean of 100-point and 120-point totals means nothing, nor does their rank."""
    assert ev.full is not None
    rule = ev.compiled.scheme.roll_up
    grouped = rule is not None and rule.group_by is not None
    lowest = np.full(names.size, np.inf)
    highest = np.full(names.size, -np.inf)
    np.minimum.at(lowest, parent_of, ev.full)
    np.maximum.at(highest, parent_of, ev.full)
    mixed = np.flatnonzero(lowest != highest)
    if mixed.size:
        raise DataError(
            f"members of '{names[int(mixed[0])]}' are scored out of different full marks "
            f"({lowest[mixed[0]]:g} and {highest[mixed[0]]:g}); their totals cannot be combined",
            file=ev.data.source,
            field=rule.attribute if rule is not None else None,
            hint="give a parent members of classes with one full mark",
        )
    for g in np.unique(group_index):
        marks = np.unique(lowest[group_index == g])
        if marks.size > 1:
            raise DataError(
                f"parents of different full marks ({', '.join(f'{m:g}' for m in marks)}) would be ranked together"
                + (f" in group '{group_names[int(np.flatnonzero(group_index == g)[0])]}'" if grouped else ""),
                file=ev.data.source,
                field="roll_up.group_by",
                hint="state roll_up.group_by: a text attribute that puts parents of each full mark in their own group",
            )


def roll_up(ev: Evaluation) -> RollUpResult | None:
    """Score and rank the parents of a scheme with ``roll_up`` (None for a scheme without one).

    Parameters
    ----------
    ev
        An evaluation of the members (any number of draws).

    Returns
    -------
    RollUpResult or None

    Raises
    ------
    DataError
        For a missing or empty parent column, a missing weight, or members of one parent in two groups.
    """
    rule = ev.compiled.scheme.roll_up
    if rule is None:
        return None
    names, parent_of = np.unique(_text_attribute(ev, rule.attribute, "parent"), return_inverse=True)
    membership = np.zeros((parent_of.size, names.size))
    membership[np.arange(parent_of.size), parent_of] = 1.0
    members = membership.sum(axis=0).astype(np.int64)
    total = np.asarray(ev.total, dtype=np.float64)
    if rule.combine == "weighted_sum":
        assert rule.weight is not None
        if rule.weight not in ev.data.attributes:
            raise DataError(
                f"missing column '{rule.weight}' (weights of the roll-up)",
                file=ev.data.source,
                field=rule.weight,
                hint="give each member's weight",
            )
        weight = np.asarray(ev.data.attributes[rule.weight], dtype=np.float64)
        score = (total * weight) @ membership
    else:
        score = (total @ membership) / members
    score = round_half_up(score, rule.rounding) if rule.rounding is not None else snap(score)
    if rule.group_by is None:
        group_index = np.zeros(names.size, dtype=np.int64)
        group_names = ["(all)"] * names.size
    else:
        unit_groups = _text_attribute(ev, rule.group_by, "group")
        codes, unit_group_index = np.unique(unit_groups, return_inverse=True)
        per_parent = np.zeros((names.size, codes.size))
        per_parent[parent_of, unit_group_index] = 1.0
        if (per_parent.sum(axis=1) > 1).any():
            bad = names[int(np.flatnonzero(per_parent.sum(axis=1) > 1)[0])]
            raise DataError(
                f"members of '{bad}' are in more than one {rule.group_by}",
                file=ev.data.source,
                field=rule.group_by,
                hint="a parent's members must share its group",
            )
        group_index = per_parent.argmax(axis=1).astype(np.int64)
        group_names = [str(codes[g]) for g in group_index]
    if ev.compiled.scheme.full_marks_differ and ev.full is not None:
        _check_one_full_mark(ev, names, parent_of, group_index, group_names)
    ranking = rank_within_groups([score], group_index, ("competition",))
    assert ranking.competition is not None
    return RollUpResult(
        rule=rule,
        parents=[str(n) for n in names],
        parent_of=parent_of.astype(np.int64),
        members=members,
        score=score,
        rank=ranking.competition,
        groups=group_names,
    )
