"""Rewards and fines by rank, as monthly scoring notices of streets, towns and villages publish them.

A notice ranks the units of each group by their total every period and pays money by place:
the first three get 5,000 / 3,000 / 2,000 yuan, the last is fined 2,000 yuan, the places in
between get nothing (株洲网 2014-09-09, 《“三级考评”考出美丽社区》: 金山街道's monthly ranking of
its six communities). Some notices pay more places in larger groups, and escalate when a unit
is last several periods running (三封寺镇人居环境整治工作考核奖惩方案, 2019: bottom two once → a
warning talk, twice running → suspension). This module holds the scheme models of such a rule
and its vectorised computation for S draws at once; money is int64 cents (:mod:`perfsim.money`).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Annotated, Literal

import numpy as np
from numpy.typing import NDArray
from pydantic import Field, model_validator

from .grading import rank_within_groups
from .models import Label, Model
from .money import MAX_YUAN, Cents, to_cents

Int2 = NDArray[np.int64]
Bool2 = NDArray[np.bool_]

SignedYuan = Annotated[float, Field(ge=-MAX_YUAN, le=MAX_YUAN)]
Place = Annotated[int, Field(ge=1, le=100_000)]
Places = Place | tuple[Place, Place]
"""One place (``1``) or an inclusive run of places (``[1, 8]``: the first to the eighth)."""


def _span(places: Places) -> tuple[int, int]:
    return (places, places) if isinstance(places, int) else places


class RankPlace(Model):
    """Money for the units at one place or a run of places, counted from the top or from the last."""

    top: Places | None = None
    """Places counted from the first: ``1`` is first place, ``[1, 8]`` the first eight (前8名)."""
    last: Places | None = None
    """Places counted from the last: ``1`` is last place (末位, 倒数第一), ``[1, 5]`` the last five (后5名)."""
    amount: SignedYuan
    """Yuan for each unit at these places: positive a reward (奖励), negative a fine or deduction (罚款, 扣减)."""

    @model_validator(mode="after")
    def _one_end(self) -> RankPlace:
        if (self.top is None) == (self.last is None):
            raise ValueError("give top (places from the first) or last (places from the last), one of them")
        low, high = _span(self.top if self.top is not None else self.last)  # type: ignore[arg-type]
        if low > high:
            raise ValueError(f"a run of places goes from the lower to the higher number: [{high}, {low}]")
        return self


def _check_places(places: list[RankPlace]) -> None:
    for end in ("top", "last"):
        taken: dict[int, int] = {}
        for i, place in enumerate(places):
            value = getattr(place, end)
            if value is None:
                continue
            low, high = _span(value)
            for p in range(low, high + 1):
                if p in taken:
                    raise ValueError(f"{end} place {p} is given twice (entries {taken[p] + 1} and {i + 1})")
                taken[p] = i


class GroupSizePlaces(Model):
    """The places paid in a group of at least ``units`` units (a larger group pays more places)."""

    units: int = Field(ge=1)
    """The smallest number of ranked units in a group for which these places apply."""
    places: list[RankPlace] = Field(min_length=1)
    """Places and amounts for such a group, in place of the rule's own ``places``."""

    @model_validator(mode="after")
    def _distinct(self) -> GroupSizePlaces:
        _check_places(self.places)
        return self


class EscalationStep(Model):
    """What a unit gets when it has been among the last places this many periods running."""

    periods: int = Field(ge=1, le=600)
    """Periods running among the last places (this one included) from which the step applies."""
    name: Label
    """The step as the notice names it (提醒谈话, 黄牌警告, 停职处理, 扣发工作报酬)."""
    amount: SignedYuan | None = None
    """Yuan this period in place of the place's amount (e.g. a larger fine); empty keeps the place's amount."""


class Escalation(Model):
    """Escalation when a unit is among the last places several periods running (连续…次排名末位)."""

    last: Place = 1
    """How many places from the last count (1: last place only; 2: 倒数一、二名)."""
    steps: list[EscalationStep] = Field(min_length=1)
    """Steps in rising order of ``periods``; the highest step reached applies (it repeats while the run lasts)."""

    @model_validator(mode="after")
    def _rising(self) -> Escalation:
        periods = [step.periods for step in self.steps]
        if any(b <= a for a, b in zip(periods, periods[1:])):
            raise ValueError(f"steps' periods must rise, not {periods}")
        return self


class RankRewards(Model):
    """Rewards and fines by place in each group's ranking by total, every period.

    Units are ranked by total within their grading group among the units ranked that period
    (present, assessed and of ``classes``). Places not listed pay nothing (the zero band between
    the first and the last places). Tied units share their place as the notice says: ``shared``
    (并列: each tied unit gets the amount of the best place of the tie, the next place is
    skipped) or ``split`` (the tied units share the amounts of the places they occupy equally,
    to the cent). In a group too small for the places listed a unit takes the end of the
    ranking it is nearer to (in a group of three, the third is the last, not the third).
    """

    id: str = Field(pattern=r"^[A-Za-z0-9_\-]+$")
    """Identifier of the rule (ledger columns, the trace)."""
    name: Label
    """The rule as the notice names it (月度考评奖惩)."""
    places: list[RankPlace] = Field(default_factory=list)
    """Places and amounts (default table; ``by_group_size`` may replace it for larger groups)."""
    by_group_size: list[GroupSizePlaces] = Field(default_factory=list)
    """Other places and amounts for groups of at least so many ranked units; the largest that applies wins."""
    ties: Literal["shared", "split"] = "shared"
    """How tied units are paid: ``shared`` (each the amount of the tie's best place) or ``split`` (equal shares)."""
    classes: list[str] | None = None
    """Only units of these classes are ranked (e.g. the villages, not the town); default: every class."""
    escalation: Escalation | None = None
    """Escalation for units among the last places several periods running."""
    source: str | None = None
    """Where the rule is published."""

    @model_validator(mode="after")
    def _tables(self) -> RankRewards:
        _check_places(self.places)
        sizes = [table.units for table in self.by_group_size]
        if any(b <= a for a, b in zip(sizes, sizes[1:])):
            raise ValueError(f"by_group_size tables go in rising order of units, not {sizes}")
        if not self.places and not self.by_group_size and self.escalation is None:
            raise ValueError("give places (and amounts), by_group_size or an escalation")
        return self


@dataclass
class RankResult:
    """One rule's outcome for one period, S × U (0 where a unit is not ranked)."""

    amount: Cents
    """Cents paid to each unit: positive a reward, negative a fine."""
    place: Int2
    """Place from the first (ties share the best place of the tie)."""
    from_last: Int2
    """Place from the last (1 = last place; ties share it)."""
    size: Int2
    """Units ranked in the unit's group."""
    streak: Int2
    """Periods running among the escalation's last places (0 without an escalation)."""
    step: Int2
    """Escalation step reached (1-based; 0 = none)."""


def _table(places: list[RankPlace], end: str) -> Cents:
    """Cents by place counted from ``end``: index p holds place p's amount; index 0 and the last index hold 0."""
    spans = [(_span(getattr(p, end)), p.amount) for p in places if getattr(p, end) is not None]
    deepest = max((high for (_, high), _ in spans), default=0)
    out = np.zeros(deepest + 2, dtype=np.int64)
    for (low, high), amount in spans:
        out[low : high + 1] = to_cents(amount, "a rank reward")
    return out


def _through(table: Cents, low: Int2, high: Int2) -> Cents:
    """Σ ``table`` over places ``low`` to ``high`` (0 where ``high < low``); places beyond the table pay 0."""
    cumulative = np.cumsum(table)
    end = table.size - 1
    total = cumulative[np.clip(high, 0, end)] - cumulative[np.clip(low - 1, 0, end)]
    return np.where(high >= low, total, 0)  # type: ignore[no-any-return]


def _split(top: Cents, last: Cents, place: Int2, block: Int2, size: Int2, order: Int2) -> Cents:
    """Equal shares, to the cent, of the amounts of the positions a tie block occupies.

    Position i of n is paid from the top table when it is nearer the top (i ≤ (n + 1) / 2), else
    from the last table at place n − i + 1; the block covers positions ``place`` to
    ``place + block − 1``. The remainder cents go to the first units of the block in input order.
    """
    end = place + block - 1
    middle = (size + 1) // 2
    through = _through(top, place, np.minimum(end, middle))
    through = through + _through(last, size - end + 1, size - np.maximum(place, middle + 1) + 1)
    share, extra = np.divmod(through, np.maximum(block, 1))
    return share + (order < extra)  # type: ignore[no-any-return]


def rank_rewards(
    rule: RankRewards,
    total: NDArray[np.float64],
    groups: NDArray[np.int64],
    n_groups: int,
    ranked: Bool2,
    streak: Int2 | None,
) -> RankResult:
    """Apply a rank-reward rule to one period's totals.

    Parameters
    ----------
    rule
        The rule from the scheme.
    total
        Totals, S × U.
    groups
        Grading group of each unit (U,), ``n_groups`` groups.
    ranked
        Units taking part in the ranking this period, S × U.
    streak
        Each unit's run of periods among the last places before this one (S × U), or None.

    Returns
    -------
    RankResult
    """
    shape = total.shape
    best = rank_within_groups([np.where(ranked, total, -np.inf)], groups, ("competition", "ordinal", "block_last"))
    worst = rank_within_groups([np.where(ranked, -total, -np.inf)], groups, ("competition",))
    assert best.competition is not None and best.ordinal is not None and best.block_last is not None
    assert worst.competition is not None
    size_g = np.zeros((shape[0], n_groups), dtype=np.int64)
    for g in range(n_groups):  # a loop over groups, not units
        size_g[:, g] = ranked[:, groups == g].sum(axis=1)
    size = np.where(ranked, size_g[:, groups], 0)
    place = np.where(ranked, best.competition, 0)
    from_last = np.where(ranked, worst.competition, 0)
    block = best.block_last - best.competition + 1
    at_top = place <= from_last
    tables = [(0, rule.places), *((t.units, t.places) for t in rule.by_group_size)]
    amount = np.zeros(shape, dtype=np.int64)
    for units, places in tables:  # tables in rising order of group size: the largest that applies wins
        if units and not (size >= units).any():
            continue
        top, last = _table(places, "top"), _table(places, "last")
        if rule.ties == "shared":  # tied units take the best place of the tie from the end they are nearer
            paid = np.where(at_top, top[np.minimum(place, top.size - 1)], last[np.minimum(from_last, last.size - 1)])
        else:
            paid = _split(top, last, place, block, size, best.ordinal - best.competition)
        amount = np.where(size >= max(units, 1), paid, amount)
    amount = np.where(ranked, amount, 0)
    run = np.zeros(shape, dtype=np.int64)
    step = np.zeros(shape, dtype=np.int64)
    if rule.escalation is not None:
        esc = rule.escalation
        among_last = ranked & (from_last <= esc.last)
        run = np.where(among_last, (0 if streak is None else streak) + 1, 0)
        placed = amount
        for k, rung in enumerate(esc.steps, start=1):  # the highest step reached decides the amount
            reached = run >= rung.periods
            step = np.where(reached, k, step)
            stated = placed if rung.amount is None else to_cents(rung.amount, "an escalation amount")
            amount = np.where(reached, stated, amount)
    return RankResult(amount=amount, place=place, from_last=from_last, size=size, streak=run, step=step)
