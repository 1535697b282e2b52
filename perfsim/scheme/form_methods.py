"""Scoring methods seen on published forms and monthly scoring notices.

Stepwise deductions (每降5%扣1分), straight lines with a floor and a cap, points by a unit's
rank among its peers (前5名得满分，6-10名减0.5分 …) and blocks of deductions taken from an
indicator's points until none are left (扣完为止). They join the ``Method`` union of
:mod:`.methods`.
"""

from __future__ import annotations

from typing import Literal

from pydantic import Field

from ..models import Label, Model
from .base import TOLERANCE, Id, Loc, Problem


class Stepwise(Model):
    """Stepwise deduction (每降5%扣1分): full points at ``target`` or better, ``per_step`` points off for
    every ``step`` short of it, not below ``floor`` points.

    ``direction: lower`` counts steps above the target instead (每超出5%扣1分).
    """

    method: Literal["stepwise"]
    """Names the scoring method (the value of ``method:`` that selects this entry)."""
    target: float = Field(description="The value that earns full points (e.g. 100 for a rate of 100 %).")
    step: float = Field(gt=0, description="The size of one step of shortfall (5 for 每降5%).")
    per_step: float = Field(gt=0, description="Points taken off for each step (1 for 扣1分).")
    partial: Literal["ignore", "count"] = Field(
        "ignore",
        description="A part step: ``ignore`` takes points only for whole steps (每降满5%); "
        "``count`` takes them for a part step too (不足5%按5%计).",
    )
    floor: float = Field(0.0, ge=0, description="The fewest points the indicator falls to (0: 扣完为止).")


class Linear(Model):
    """Linear scoring with a floor and a cap: no points at ``zero_at``, full points at ``full_at`` and a
    straight line between (完成率60%以下不得分，60%至100%按比例计分), never below ``floor`` points
    nor above ``cap`` × full points.

    A ``full_at`` below ``zero_at`` makes lower values better (a cost or an error rate).
    """

    method: Literal["linear"]
    """Names the scoring method (the value of ``method:`` that selects this entry)."""
    zero_at: float = Field(0.0, description="The value that earns no points; the line starts here.")
    full_at: float = Field(description="The value that earns full points.")
    floor: float = Field(0.0, ge=0, description="The fewest points earned, in the indicator's points.")
    cap: float = Field(
        1.0,
        ge=1.0,
        description="The most earned, as a share of full points: 1 (超过不加分) or more to credit over-completion.",
    )


class RankPoints(Model):
    """Points by the unit's place among the units of its class on this indicator's value
    (前5名得满分，6-10名减0.5分 …).

    ``ranks`` maps the last place of each range to its points (``{5: 2, 10: 1.5}``: places 1-5 get 2,
    6-10 get 1.5); later places get ``other``. Tied units share the better place (并列: 1, 1, 3).
    Units with an empty or 不适用 cell take no place. ``direction: lower`` ranks the lowest value first.
    """

    method: Literal["rank_points"]
    """Names the scoring method (the value of ``method:`` that selects this entry)."""
    ranks: dict[int, float] = Field(
        min_length=1, description="Last place of each range → the points it earns, best range first."
    )
    other: float = Field(0.0, ge=0, description="Points for places after the last range.")


class DeductionBlock(Model):
    """One kind of deduction inside a ``deduction_blocks`` indicator: a count of events in the data
    column ``<indicator>.<id>``, ``per_event`` points each, at most ``cap`` points in all."""

    id: Id = Field(description="The block's id; its data column is ``<indicator>.<id>``.")
    name: Label | None = Field(None, description="The block's name, for traces.")
    per_event: float = Field(gt=0, description="Points taken off for each event.")
    cap: float | None = Field(None, ge=0, description="The most this block takes off (每项最多扣N分).")


class DeductionBlocks(Model):
    """Blocks of deductions taken from the indicator's points until none are left (扣完为止): each block
    counts events (data column ``<indicator>.<block id>``, empty = none) at its points per event, up to
    its cap; the indicator keeps its points minus the sum, not below ``floor``."""

    method: Literal["deduction_blocks"]
    """Names the scoring method (the value of ``method:`` that selects this entry)."""
    blocks: list[DeductionBlock] = Field(min_length=1, description="The kinds of deduction, each with its own column.")
    floor: float = Field(0.0, ge=0, description="The fewest points the indicator falls to (0: 扣完为止).")


def check_form_method(method: object, loc: Loc, points: float) -> None:
    """Check a form method's numbers against the indicator's points (``loc`` is the indicator's place).

    Raises
    ------
    Problem
        A floor above the points, a line of zero length, rank places that do not rise, a table
        entry above the points, or two deduction blocks with one id.
    """
    here: Loc = (*loc, "method")
    floor = getattr(method, "floor", None)
    if isinstance(method, (Stepwise, Linear, DeductionBlocks)) and floor is not None and floor > points + TOLERANCE:
        raise Problem(
            (*here, "floor"),
            f"floor {floor:g} is above the indicator's {points:g} points",
            "the floor is the fewest points the indicator can fall to: lower it",
        )
    if isinstance(method, Linear) and method.full_at == method.zero_at:
        raise Problem(
            (*here, "full_at"),
            f"full_at equals zero_at ({method.full_at:g}): the line has no length",
            "give the value that earns full points and the value that earns none",
        )
    if isinstance(method, RankPoints):
        places = list(method.ranks)
        if any(p < 1 for p in places) or places != sorted(set(places)):
            raise Problem(
                (*here, "ranks"),
                "rank places must be 1 or more and rise from the first range to the last",
                "write the last place of each range in order, e.g. {5: 2, 10: 1.5, 15: 1}",
            )
        table = [*method.ranks.values(), method.other]
        if max(table) > points + TOLERANCE:
            raise Problem(
                (*here, "ranks"),
                f"ranks give up to {max(table):g} points but the indicator is worth {points:g}",
                "rank points are in the indicator's own points; fix the table or the points",
            )
        if any(v < 0 for v in table):
            raise Problem((*here, "ranks"), "rank points must not be negative", "use 0 for the lowest places")
    if isinstance(method, DeductionBlocks):
        ids = [b.id for b in method.blocks]
        twice = sorted({i for i in ids if ids.count(i) > 1})
        if twice:
            raise Problem((*here, "blocks"), f"block id '{twice[0]}' is used twice", "give each block its own id")
        reserved = sorted({"standard", "count"} & set(ids) | {i for i in ids if i[:1] in "rs" and i[1:].isdigit()})
        if reserved:
            raise Problem(
                (*here, "blocks"),
                f"block id '{reserved[0]}' reads like another data column of the indicator",
                "choose another id (not standard, count, r1…, s1…)",
            )
