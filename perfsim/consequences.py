"""Apply a scheme's consequence rules to an evaluation: budgets, pay and flags, for S draws at once.

One call covers one period (a year, or a month for monthly schemes). A :class:`State`
carries what later periods need: budgets, the envelope, consecutive-period streaks, ladder
steps and window counts. In a simulation a :class:`Portfolio` says which units are present
(units that left or have not yet entered have no budget, grade, flag or pay) and gives the
attributes that move by draw. Budget rules are in :mod:`perfsim.budget` (money in int64 cents,
identities exact to the fen), pay rules in :mod:`perfsim.pay`.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

import numpy as np
import pandas as pd
from numpy.typing import ArrayLike, NDArray

from . import rules as r
from .budget import budget_rules, envelope_for
from .engine import Evaluation
from .lifecycle import outside
from .money import Cents, to_cents, to_yuan
from .pay import PayPoolAccount, pay
from .rank_rewards import RankResult, RankRewards, rank_rewards
from .rule_inputs import Reader

__all__ = ["Outcome", "PayPoolAccount", "Portfolio", "State", "apply_consequences"]

Bool2 = NDArray[np.bool_]
Int2 = NDArray[np.int64]


@dataclass
class State:
    """What a period hands to the next: budgets and memories, each S × U."""

    budget: Cents | None = None
    streaks: dict[str, Int2] = field(default_factory=dict)
    ladder_streak: Int2 | None = None
    window_counts: dict[str, Int2] = field(default_factory=dict)
    window_totals: NDArray[np.float64] | None = None
    period: int = 0
    first_envelope: NDArray[np.int64] | None = None
    """The first period's envelope (cents per draw): later envelopes grow from it."""
    rank_streaks: dict[str, Int2] = field(default_factory=dict)
    """Rank-reward rule id → each unit's run of periods among the escalation's last places."""


@dataclass
class Portfolio:
    """Which units a period holds, and what the simulation's lifecycle adds (all optional).

    Attributes
    ----------
    present
        Units in the portfolio this period, S × U (default: all).
    completing
        Units in their last period (they complete and leave), S × U.
    entering
        First budgets (cents) of units entering next period, S × U; zero elsewhere.
    attributes
        Attribute id → values this period (U or S × U), replacing the data's.
    """

    present: ArrayLike | None = None
    completing: ArrayLike | None = None
    entering: ArrayLike | None = None
    attributes: Mapping[str, ArrayLike] = field(default_factory=dict)


@dataclass
class Outcome:
    """Consequences of one period. Money in cents (int64), S × U unless noted."""

    budget: Cents
    next_budget: Cents
    cut: Cents
    """Reduction of next year's budget (grade rule, ladder, gate, stop, completion)."""
    cut_to_pool: Cents
    increase: Cents
    released: Cents
    """Unspent money of units monitoring acted on (suspended or stopped), or adjusted by severity, into the pool."""
    received: Cents
    """From the pool into next year's budget."""
    returned: NDArray[np.int64]
    """Pool money no one could take (S,): back to the treasury, or left to the envelope's sharing."""
    gated: Bool2
    excluded: Bool2
    """Gated units whose gate says ``exclude`` (left out of the budget request)."""
    suspended: Bool2
    """暂缓: monitoring withheld this year's unspent money; the unit stays."""
    ladder_step: Int2
    """0 = not on the ladder; k = k-th step."""
    pay: dict[str, NDArray[np.float64]]
    """Yuan per unit: ``bonus`` (bonus months), ``base``, ``incentive``, ``departed``."""
    flags: dict[str, Bool2]
    pay_pool: PayPoolAccount | None = None
    """The performance-pay pool's account per pay group, with its unpaid remainder (a pay pool only)."""
    stopped: Bool2 | None = None
    """停止执行: monitoring stopped the unit (no budget next year; it leaves)."""
    ended: Bool2 | None = None
    """Units that leave after this period (a rule zeroed their budget, or they completed)."""
    completed: Bool2 | None = None
    claim: Cents | None = None
    """What the rules give each unit for next year before the envelope is shared."""
    entered: Cents | None = None
    """First budgets of units entering next year."""
    scaled: Cents | None = None
    """Next budget − claim: each unit's share of the difference between the envelope and the claims."""
    envelope: NDArray[np.int64] | None = None
    """Next year's envelope per draw (S,), or None without one (``treasury: true`` or no budget rules)."""
    present: Bool2 | None = None
    rank_rewards: dict[str, RankResult] = field(default_factory=dict)
    """Rank-reward rule id → places, amounts (cents, reward > 0, fine < 0) and escalation steps."""

    def ledger(self) -> pd.DataFrame:
        """Where money went, per rule and draw (yuan): one row per draw, one column per movement.

        ``Σ next budget = Σ budget − cuts + increases + received + entrants + envelope share``;
        under an envelope, the next budgets add up to it. With a performance-pay pool, the
        ``pay pool:`` columns give the pool and where it went (base, departed allowances charged to
        it, incentive, unpaid remainder; they add up to the pool), and ``pay: departed paid beside the
        pool`` what departed staff got from other funds.
        """
        zero = np.zeros_like(self.gated)
        stopped = self.stopped if self.stopped is not None else zero
        completed = self.completed if self.completed is not None else zero
        leaving = self.gated | stopped | completed
        inside = self.envelope is not None
        by_rule = {
            "gate: not arranged": np.where(self.gated & ~self.excluded, self.cut, 0),
            "gate: left out of the request": np.where(self.excluded, self.cut, 0),
            "monitoring: stopped": np.where(~self.gated & stopped, self.cut, 0),
            "lifecycle: completed": np.where(~self.gated & ~stopped & completed, self.cut, 0),
            "monitoring: unspent or adjusted to pool": self.released,
            "ladder: cut": np.where(~leaving & (self.ladder_step > 0), self.cut, 0),
            "grade rule: cut": np.where(~leaving & (self.ladder_step == 0), self.cut, 0),
            "grade rule: increase" + (" (inside the envelope)" if inside else " (treasury)"): self.increase,
            "cuts sent to pool": self.cut_to_pool,
            "reallocation: received": self.received,
        }
        frame = pd.DataFrame({name: to_yuan(v.sum(axis=1)) for name, v in by_rule.items()})
        taken = "reallocation: left to the envelope" if inside else "reallocation: returned to treasury"
        frame[taken] = to_yuan(self.returned)
        if self.entered is not None:
            frame["lifecycle: entrants' first budgets"] = to_yuan(self.entered.sum(axis=1))
        if inside:
            assert self.envelope is not None and self.scaled is not None
            frame["envelope: shared pro rata"] = to_yuan(self.scaled.sum(axis=1))
            frame["envelope: next year"] = to_yuan(self.envelope)
            frame["envelope: unplaced (no claim)"] = to_yuan(self.envelope - self.next_budget.sum(axis=1))
        account = self.pay_pool
        if account is not None:  # pool = base + departed from the pool + incentive + unpaid, summed over groups
            draws = len(frame)
            frame["pay pool: pool"] = to_yuan(np.full(draws, account.pool.sum()))
            frame["pay pool: base paid"] = to_yuan(np.full(draws, account.base.sum()))
            frame["pay pool: departed paid from the pool"] = to_yuan(np.full(draws, account.departed.sum()))
            frame["pay pool: incentive paid"] = to_yuan(account.incentive.sum(axis=1))
            frame["pay pool: unpaid remainder"] = to_yuan(account.unpaid.sum(axis=1))
            frame["pay: departed paid beside the pool"] = to_yuan(np.full(draws, account.beside.sum()))
        for rule_id, result in self.rank_rewards.items():
            frame[f"rank rewards {rule_id}: rewards paid"] = to_yuan(np.maximum(result.amount, 0).sum(axis=1))
            frame[f"rank rewards {rule_id}: fines charged"] = to_yuan(np.maximum(-result.amount, 0).sum(axis=1))
        frame.index.name = "draw"
        return frame

    @property
    def pool(self) -> NDArray[np.int64]:
        return self.released.sum(axis=1) + self.cut_to_pool.sum(axis=1)

    @property
    def moved(self) -> NDArray[np.int64]:
        """Money moved per draw: cuts, increases and reallocations (cents, S,)."""
        return self.cut.sum(axis=1) + self.increase.sum(axis=1) + self.received.sum(axis=1)


def _last_place(total: NDArray[np.float64], groups: NDArray[np.int64], n_groups: int) -> Bool2:
    group_min = np.full((total.shape[0], n_groups), np.inf)
    for g in range(n_groups):
        members = groups == g
        if members.any():
            group_min[:, g] = total[:, members].min(axis=1)
    return total == group_min[:, groups]


def _flags(read: Reader, flags: list[r.Flag], state: State, present: Bool2) -> dict[str, Bool2]:
    """Flags of one period; units not present raise none and their streaks start again."""
    ev = read.ev
    shape = present.shape
    out: dict[str, Bool2] = {}
    n_groups = len(ev.group_names)
    total = np.broadcast_to(ev.total, shape)
    for flag in flags:
        when = flag.when
        if when.most is not None:
            assert when.window is not None
            counts = state.window_counts.get(flag.id, np.zeros(shape, dtype=np.int64)) + (out[when.most] & present)
            state.window_counts[flag.id] = counts
            if (state.period + 1) % when.window != 0:
                out[flag.id] = np.zeros(shape, dtype=bool)
                continue
            assert state.window_totals is not None
            best = np.zeros(shape, dtype=bool)
            for g in range(n_groups):
                members = ev.groups == g
                if not members.any():
                    continue
                c = np.where(present[:, members], counts[:, members], 0)
                top = (c == c.max(axis=1, keepdims=True)) & (c > 0)
                tied = top.sum(axis=1, keepdims=True) > 1
                if when.ties == "none":
                    top &= ~tied
                elif when.ties == "lowest_total":
                    totals = np.where(top, state.window_totals[:, members], np.inf)
                    top &= ~tied | (totals == totals.min(axis=1, keepdims=True))
                best[:, members] = top
            out[flag.id] = best
            state.window_counts[flag.id] = np.zeros(shape, dtype=np.int64)
            continue
        cond = present & read.classes(when.classes)[None, :]
        if when.grades is not None:
            cond &= read.grades(when.grades)
        if when.attribute is not None or when.indicator is not None:
            value = (
                read.attribute(when.attribute, f"flags[{flag.id}]")
                if when.attribute is not None
                else read.indicator_percent(when.indicator)  # type: ignore[arg-type]
            )
            if when.below is not None:
                cond &= value < when.below
            if when.at_least is not None:
                cond &= value >= when.at_least
            if when.versus is not None and when.gap_above is not None:
                cond &= np.abs(value - read.attribute(when.versus, f"flags[{flag.id}]")) > when.gap_above
        if when.rank == "first":
            cond &= _last_place(np.where(present, -total, np.inf), ev.groups, n_groups)
        elif when.rank == "last":
            cond &= _last_place(np.where(present, total, np.inf), ev.groups, n_groups)
        streak = np.where(cond, state.streaks.get(flag.id, np.zeros(shape, dtype=np.int64)) + 1, 0)
        state.streaks[flag.id] = streak
        out[flag.id] = streak >= when.consecutive
    return out


def _rank_rewards(read: Reader, rules: list[RankRewards], state: State, present: Bool2) -> dict[str, RankResult]:
    """Rewards and fines by rank of one period; units not present, not assessed or of other classes take no place."""
    ev = read.ev
    assessed = present & ~np.asarray(ev.compiled.not_assessed(ev.data), dtype=bool)
    total = np.broadcast_to(ev.total, present.shape)
    out = {}
    for rule in rules:
        ranked = assessed & read.classes(rule.classes)[None, :]
        result = rank_rewards(rule, total, ev.groups, len(ev.group_names), ranked, state.rank_streaks.get(rule.id))
        if rule.escalation is not None:
            state.rank_streaks[rule.id] = result.streak
        out[rule.id] = result
    return out


def _mask(value: ArrayLike | None, shape: tuple[int, int], default: bool) -> Bool2:
    if value is None:
        return np.full(shape, default)
    return np.broadcast_to(np.asarray(value, dtype=bool), shape)


def apply_consequences(
    ev: Evaluation,
    state: State | None = None,
    *,
    parts: tuple[str, ...] = ("budget", "pay", "flags"),
    portfolio: Portfolio | None = None,
) -> tuple[Outcome, State]:
    """Apply the scheme's consequence rules to one period's evaluation.

    Parameters
    ----------
    ev
        The period's evaluation (any number of draws).
    state
        What earlier periods left (budgets, streaks, the envelope); ``None`` for the first period,
        when budgets come from the data's budget attribute.
    parts
        Which rules to apply (analyses that only need money skip pay and flags); rank rewards and
        fines go with ``pay``.
    portfolio
        Which units are present, which complete or enter, and attributes that move by draw
        (simulations); by default every unit is present with the data's attributes.

    Returns
    -------
    (Outcome, State)
        This period's consequences and the state for the next period.
    """
    rules = ev.compiled.scheme.consequences or r.Consequences()
    shape = ev.total.shape
    portfolio = portfolio or Portfolio()
    read = Reader(ev, portfolio.attributes)
    if portfolio.present is None and rules.lifecycle is not None and rules.lifecycle.outside is not None:
        present = np.broadcast_to(~outside(ev.compiled, ev.data), shape)
    else:
        present = _mask(portfolio.present, shape, True)
    before = state or State()
    after = State(
        streaks=dict(before.streaks),
        window_counts=dict(before.window_counts),
        period=before.period,
        window_totals=ev.total if before.window_totals is None else before.window_totals + ev.total,
        first_envelope=before.first_envelope,
        rank_streaks=dict(before.rank_streaks),
    )
    zeros = np.zeros(shape, dtype=np.int64)
    money: dict[str, NDArray | None] = {
        "budget": zeros,
        "next_budget": zeros,
        "cut": zeros,
        "cut_to_pool": zeros,
        "increase": zeros,
        "released": zeros,
        "received": zeros,
        "returned": np.zeros(shape[0], dtype=np.int64),
        "gated": zeros.astype(bool),
        "excluded": zeros.astype(bool),
        "suspended": zeros.astype(bool),
        "ladder_step": zeros,
    }
    # every amount goes through the money layer (to_cents, scale_cents), which refuses one that
    # overflowed to ±inf or NaN by name: numpy's RuntimeWarning ahead of that message is noise
    with np.errstate(over="ignore", invalid="ignore"):
        if rules.budget is not None and "budget" in parts:
            b = rules.budget
            if before.budget is not None:
                budget = np.broadcast_to(before.budget, shape)
            else:
                data = read.attribute(b.amount, "budget.amount")
                budget = np.broadcast_to(read.money(data, f"budget '{b.amount}'", "budget.amount"), shape)
            if after.first_envelope is None and not b.envelope.treasury:
                stated = b.envelope.total
                first = np.where(present, budget, 0).sum(axis=1) if stated is None else to_cents(stated)
                after.first_envelope = np.broadcast_to(np.asarray(first, dtype=np.int64), (shape[0],)).copy()
            envelope = (
                envelope_for(b, after.first_envelope, before.period + 1) if after.first_envelope is not None else None
            )
            entering = np.zeros(shape, dtype=np.int64) if portfolio.entering is None else portfolio.entering
            result = budget_rules(
                read,
                b,
                budget,
                before.ladder_streak,
                present,
                _mask(portfolio.completing, shape, False),
                np.broadcast_to(np.asarray(entering, dtype=np.int64), shape),
                envelope,
            )
            after.budget = result["next_budget"]
            after.ladder_streak = result.pop("ladder_streak")
            money.update(result)
        paid, pay_pool = pay(read, rules.pay, shape) if rules.pay is not None and "pay" in parts else ({}, None)
    if not present.all():
        paid = {name: np.where(present, amounts, 0.0) for name, amounts in paid.items()}
    flags = _flags(read, rules.flags, after, present) if "flags" in parts else {}
    ranked = _rank_rewards(read, rules.rank_rewards, after, present) if "pay" in parts else {}
    if any(f.when.most for f in rules.flags) and any(
        (after.period + 1) % (f.when.window or 1) == 0 for f in rules.flags if f.when.most
    ):
        after.window_totals = None
    after.period = before.period + 1
    outcome = Outcome(pay=paid, flags=flags, pay_pool=pay_pool, present=present, rank_rewards=ranked, **money)  # type: ignore[arg-type]
    return outcome, after
