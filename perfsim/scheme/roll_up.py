"""Units made of units: a parent's score (a town) from its members' totals (its villages)."""

from __future__ import annotations

from typing import Literal

from pydantic import Field

from ..errors import near
from ..models import Label, Model
from .base import Problem


class RollUp(Model):
    """Units made of units (a town scored as the mean of its villages' scores, 乡镇得分为所辖各村得分的平均值).

    Each unit names its parent in the text attribute ``attribute``. A parent's score is the ``mean`` of
    its members' totals (each already rounded by ``rounding.total``) or their ``weighted_sum`` with the
    number attribute ``weight`` (weights as shares, e.g. 0.4 and 0.6), rounded half-up to ``rounding``
    decimals, and parents are ranked among themselves (within the text attribute ``group_by`` of the
    parents, if given: groups ranked separately). Members keep their own grades and ranks.
    """

    name: Label = Field(description="What a parent is called (乡镇 / township), for traces and tables.")
    attribute: str = Field(description="The text attribute naming each unit's parent.")
    combine: Literal["mean", "weighted_sum"] = Field("mean", description="How members' totals make the parent's.")
    weight: str | None = Field(None, description="weighted_sum: the number attribute holding each member's weight.")
    rounding: int | None = Field(None, ge=0, le=6, description="Decimals of the parent's score, rounded half-up.")
    group_by: str | None = Field(
        None, description="A text attribute, the same for every member of a parent: parents are ranked within it."
    )


def check_roll_up(scheme: object) -> None:
    """Check that the roll-up names declared attributes of the right kinds.

    Raises
    ------
    Problem
        For an unknown attribute, one of the wrong kind, or a weight missing or given without weighted_sum.
    """
    rule = getattr(scheme, "roll_up", None)
    if rule is None:
        return
    kinds = {a.id: a.kind for a in getattr(scheme, "attributes", [])}
    here = ("roll_up",)
    for key, kind in (("attribute", "text"), ("group_by", "text"), ("weight", "number")):
        name = getattr(rule, key)
        if name is None:
            continue
        if name not in kinds:
            raise Problem(
                (*here, key), f"unknown attribute '{name}'", f"declare it under attributes ({near(name, list(kinds))})"
            )
        if kinds[name] != kind:
            raise Problem(
                (*here, key), f"attribute '{name}' must be of kind {kind}", f"set kind: {kind} in its declaration"
            )
    if (rule.combine == "weighted_sum") != (rule.weight is not None):
        raise Problem(
            (*here, "weight"),
            "weighted_sum needs a weight attribute, and only weighted_sum takes one",
            "give weight with combine: weighted_sum, or drop it for the mean",
        )
