"""Apply a scheme's consequence rules to an evaluation: budgets, pay and flags, for S draws at once.

One call covers one period (a year, or a month for monthly schemes). A :class:`State`
carries what later periods need: budgets, consecutive-period streaks, ladder steps and
window counts. Money is handled in int64 cents; two identities hold exactly per draw::

    pool           = released + cut_to_pool = received + returned
    Σ next budget  = Σ budget − Σ cut + Σ increase + Σ received

Budget steps, in order: gates (no budget) → in-year monitoring (suspend; unspent money to
the pool; stop) → grade rule or, for failing units, the correction ladder → reallocation of
the pool into next year's budgets of eligible units.

A performance-pay pool balances the same way, per pay group and draw::

    pool = base paid + departed paid from the pool + incentive paid + unpaid remainder
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pandas as pd
from numpy.typing import ArrayLike, NDArray

from . import rules as r
from .engine import Evaluation
from .errors import DataError, PerfsimError
from .money import (
    MAX_YUAN,
    Cents,
    allocate_capped,
    allocate_in_order,
    scale_cents,
    split_exact,
    to_cents,
    to_yuan,
)
from .numeric import round_half_up

Bool2 = NDArray[np.bool_]
Int1 = NDArray[np.int64]
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


@dataclass
class PayPoolAccount:
    """Where each pay group's performance-pay pool went, in cents.

    Per pay group and draw, exactly: ``pool = base + departed + incentive + unpaid``.
    """

    groups: list[str]
    """Pay group names (the evaluation's grading groups)."""
    pool: Int1
    """The pool of each group (G,)."""
    base: Int1
    """Base pay paid (G,)."""
    departed: Int1
    """Departed staff's allowances charged to the pool (G,); 0 where they are paid beside it."""
    beside: Int1
    """Departed staff's allowances paid beside the pool from other funds (G,); not part of the identity."""
    incentive: Int2
    """Incentive pay paid (S × G)."""
    unpaid: Int2
    """What the pool keeps (S × G): the part of the incentive share the base part leaves no room for,
    and the share of a group with no one to receive it."""

    @property
    def paid(self) -> Int2:
        """Paid out of the pool, per draw and group (S × G)."""
        return self.base + self.departed + self.incentive

    def table(self, draw: int = 0) -> pd.DataFrame:
        """One row per pay group (yuan) for one draw."""
        return pd.DataFrame(
            {
                "pool": to_yuan(self.pool),
                "base": to_yuan(self.base),
                "departed (from the pool)": to_yuan(self.departed),
                "incentive": to_yuan(self.incentive[draw]),
                "unpaid": to_yuan(self.unpaid[draw]),
                "departed (beside the pool)": to_yuan(self.beside),
            },
            index=pd.Index(self.groups, name="pay group"),
        )


@dataclass
class Outcome:
    """Consequences of one period. Money in cents (int64), S × U unless noted."""

    budget: Cents
    next_budget: Cents
    cut: Cents
    """Reduction of next year's budget (grade rule, ladder, gate, stop)."""
    cut_to_pool: Cents
    increase: Cents
    released: Cents
    """Unspent money of suspended units, into the pool."""
    received: Cents
    """From the pool into next year's budget."""
    returned: NDArray[np.int64]
    """Pool money no one could take, back to the treasury (S,)."""
    gated: Bool2
    excluded: Bool2
    """Gated units whose gate says ``exclude`` (left out of the budget request)."""
    suspended: Bool2
    ladder_step: Int2
    """0 = not on the ladder; k = k-th step."""
    pay: dict[str, NDArray[np.float64]]
    """Yuan per unit: ``bonus`` (bonus months), ``base``, ``incentive``, ``departed``."""
    flags: dict[str, Bool2]
    pay_pool: PayPoolAccount | None = None
    """The performance-pay pool's account per pay group, with its unpaid remainder (a pay pool only)."""

    def ledger(self) -> pd.DataFrame:
        """Where money went, per rule and draw (yuan): one row per draw, one column per movement.

        With a performance-pay pool, the ``pay pool:`` columns give the pool and where it went
        (base, departed allowances charged to it, incentive, unpaid remainder; they add up to the
        pool), and ``pay: departed paid beside the pool`` what departed staff got from other funds.
        """
        stopped = self.gated | (self.suspended & (self.next_budget - self.received == 0))
        by_rule = {
            "gate: not arranged": np.where(self.gated & ~self.excluded, self.cut, 0),
            "gate: left out of the request": np.where(self.excluded, self.cut, 0),
            "monitoring: stopped": np.where(~self.gated & stopped, self.cut, 0),
            "monitoring: unspent or adjusted to pool": self.released,
            "ladder: cut": np.where(~stopped & (self.ladder_step > 0), self.cut, 0),
            "grade rule: cut": np.where(~stopped & (self.ladder_step == 0), self.cut, 0),
            "grade rule: increase (treasury)": self.increase,
            "cuts sent to pool": self.cut_to_pool,
            "reallocation: received": self.received,
        }
        frame = pd.DataFrame({name: to_yuan(v.sum(axis=1)) for name, v in by_rule.items()})
        frame["reallocation: returned to treasury"] = to_yuan(self.returned)
        account = self.pay_pool
        if account is not None:  # pool = base + departed from the pool + incentive + unpaid, summed over groups
            draws = len(frame)
            frame["pay pool: pool"] = to_yuan(np.full(draws, account.pool.sum()))
            frame["pay pool: base paid"] = to_yuan(np.full(draws, account.base.sum()))
            frame["pay pool: departed paid from the pool"] = to_yuan(np.full(draws, account.departed.sum()))
            frame["pay pool: incentive paid"] = to_yuan(account.incentive.sum(axis=1))
            frame["pay pool: unpaid remainder"] = to_yuan(account.unpaid.sum(axis=1))
            frame["pay: departed paid beside the pool"] = to_yuan(np.full(draws, account.beside.sum()))
        frame.index.name = "draw"
        return frame

    @property
    def pool(self) -> NDArray[np.int64]:
        return self.released.sum(axis=1) + self.cut_to_pool.sum(axis=1)

    @property
    def moved(self) -> NDArray[np.int64]:
        """Money moved per draw: cuts, increases and reallocations (cents, S,)."""
        return self.cut.sum(axis=1) + self.increase.sum(axis=1) + self.received.sum(axis=1)


def _attribute(ev: Evaluation, name: str, field_path: str) -> NDArray[np.float64]:
    attrs = ev.data.attributes
    if name not in attrs:
        raise DataError(
            f"the data have no column '{name}', which {field_path} needs",
            file=ev.data.source,
            hint=f"add a '{name}' column to the unit data",
        )
    return np.asarray(attrs[name], dtype=np.float64)


def _unit_list(ev: Evaluation, mask: NDArray[np.bool_], shown: int = 5) -> str:
    """The first few unit ids where ``mask`` holds, for error messages."""
    where = np.flatnonzero(mask)
    ids = ", ".join(ev.data.units[i] for i in where[:shown])
    return ids + (f" and {where.size - shown:,} more" if where.size > shown else "")


def _money(ev: Evaluation, yuan: ArrayLike, what: str, field_path: str) -> Cents:
    """Per-unit yuan → cents, naming the units whose amount cannot be held as money."""
    try:
        return to_cents(yuan, what)
    except PerfsimError as err:
        values = np.atleast_2d(np.asarray(yuan, dtype=np.float64))
        bad = np.asarray((~(np.abs(values) <= MAX_YUAN)).any(axis=0), dtype=bool)
        raise DataError(
            f"{err.message}; units: {_unit_list(ev, bad)}",
            file=ev.data.source,
            field=f"consequences.{field_path}",
            hint=err.hint,
        ) from None


def _not_negative(ev: Evaluation, cents: Cents, what: str, field_path: str) -> None:
    if (cents < 0).any():
        raise DataError(
            f"{what} is negative for units {_unit_list(ev, cents < 0)}",
            file=ev.data.source,
            field=f"consequences.{field_path}",
            hint="pay and pool shares are amounts of money paid out: give 0 or more yuan",
        )


def _group_sum(cents: Cents, groups: NDArray[np.int64], n_groups: int) -> Int1:
    """Exact int64 sums per group (``np.bincount`` would sum in float64)."""
    out = np.zeros(n_groups, dtype=np.int64)
    np.add.at(out, groups, cents)
    return out


def _grade_mask(ev: Evaluation, grades: list[str]) -> Bool2:
    labels = [g.zh for g in ev.compiled.grades]
    table = np.array([label in grades for label in labels])
    return table[ev.grade]


def _change_tables(changes: list[r.BudgetChange | None]) -> tuple[NDArray[np.float64], Cents]:
    """Per-index multiplier and added cents, so one pass applies a rule table: max(b × f + a, 0)."""
    factor = np.ones(len(changes))
    add = np.zeros(len(changes), dtype=np.int64)
    for i, change in enumerate(changes):
        if change is None:
            continue
        if change.to_zero:
            factor[i] = 0.0
        elif change.absolute is not None:
            add[i] = to_cents(change.absolute)
        else:
            factor[i] = 1.0 + (change.percent or 0.0) / 100.0
    return factor, add


def _apply_tables(budget: Cents, index: NDArray, factor: NDArray[np.float64], add: Cents) -> Cents:
    """Apply per-index rules; ``factor`` is (n,) or (draws, n) where rates vary by draw."""
    per_unit = (
        factor[index]
        if factor.ndim == 1
        else np.take_along_axis(
            np.broadcast_to(factor, (index.shape[0], factor.shape[1])), index.astype(np.intp), axis=1
        )
    )
    out = scale_cents(budget, per_unit, "next year's budget")
    if add.any():
        out = np.maximum(out + add[index], 0)
    return out


def _budget(ev: Evaluation, rules: r.BudgetRules, state: State, shape: tuple[int, int]) -> dict[str, NDArray]:
    budget = (
        state.budget
        if state.budget is not None
        else _money(ev, _attribute(ev, rules.amount, "budget.amount"), f"budget '{rules.amount}'", "budget.amount")
    )
    budget = np.broadcast_to(budget, shape).copy()
    total = ev.total
    gated = np.zeros(shape, dtype=bool)
    excluded = np.zeros(shape, dtype=bool)
    for gate in rules.gates:
        failed = _attribute(ev, gate.attribute, f"budget.gates[{gate.id}]")[None, :] == 0
        gated |= failed
        if gate.effect == "exclude":
            excluded |= failed
    suspended = np.zeros(shape, dtype=bool)
    released = np.zeros(shape, dtype=np.int64)
    mon = rules.monitoring
    if mon is not None:
        spend = np.clip(_attribute(ev, mon.spending_progress, "budget.monitoring"), 0, 1)[None, :]
        if mon.target_progress is not None and mon.mismatch_above is not None:
            target = np.clip(_attribute(ev, mon.target_progress, "budget.monitoring"), 0, 1)[None, :]
            suspended |= np.abs(spend - target) > mon.mismatch_above
        if mon.low_score_below is not None:
            suspended |= total < mon.low_score_below
        suspended &= ~gated
        released = np.where(suspended, to_cents(to_yuan(budget) * (1.0 - spend)), 0)
        if mon.adjust_by_severity and mon.target_progress is not None:
            target = np.clip(_attribute(ev, mon.target_progress, "budget.monitoring"), 0, 1)[None, :]
            gap = np.abs(spend - target)
            percent = np.zeros(shape)
            for severity in sorted(mon.adjust_by_severity, key=lambda st: st.gap):
                percent = np.where(gap > severity.gap, severity.percent, percent)
            adjusted = ~suspended & ~gated & (percent < 0)
            released = np.where(adjusted, to_cents(to_yuan(budget) * (-percent / 100.0)), released)
    # next year's budget by grade, or by the ladder for failing units
    labels = [g.zh for g in ev.compiled.grades]
    if rules.by_grade:
        factor, add = _change_tables([rules.by_grade.get(g) for g in labels])
        rates = [f"rate:{g}" for g in labels if f"rate:{g}" in ev.compiled.parameters]
        if ev.draws.is_varied(rates):  # rates swept by draw
            factor = np.broadcast_to(factor, (ev.draws.draws, len(labels))).copy()
            for name in rates:
                factor[:, labels.index(name.removeprefix("rate:"))] = 1.0 + ev.draws.column(name)[:, 0] / 100.0
        nxt = _apply_tables(budget, ev.grade, factor, add)
    else:
        nxt = budget.copy()
    streak = np.zeros(shape, dtype=np.int64)
    step = np.zeros(shape, dtype=np.int64)
    if rules.ladder is not None:
        failing = _grade_mask(ev, rules.ladder.fail_grades)
        before = state.ladder_streak if state.ladder_streak is not None else np.zeros(shape, dtype=np.int64)
        streak = np.where(failing, before + 1, 0)
        step = np.minimum(streak, len(rules.ladder.steps))
        if step.any():
            tables = _change_tables([None, *(s.change for s in rules.ladder.steps)])
            nxt = np.where(step > 0, _apply_tables(budget, step, *tables), nxt)
    stopped = gated | (suspended if mon is not None and mon.stop else np.zeros(shape, dtype=bool))
    nxt = np.where(stopped, 0, nxt)
    delta = nxt - budget
    cut = np.maximum(-delta, 0)
    increase = np.maximum(delta, 0)
    cut_to_pool = np.where(~stopped, cut, 0) if rules.cuts_to == "pool" else np.zeros(shape, dtype=np.int64)
    pool = released.sum(axis=1) + cut_to_pool.sum(axis=1)
    received = np.zeros(shape, dtype=np.int64)
    realloc = rules.reallocation
    if realloc is not None and realloc.rule != "treasury":
        eligible = ~stopped & (cut == 0) & (released == 0)  # units paying into the pool do not draw from it
        if realloc.eligible_grades:
            eligible &= _grade_mask(ev, realloc.eligible_grades)
        if realloc.eligible_attribute is not None:
            eligible &= _attribute(ev, realloc.eligible_attribute, "reallocation.eligible_attribute")[None, :] != 0
        big = np.iinfo(np.int64).max // 4
        caps = to_cents(to_yuan(nxt) * realloc.cap_percent / 100.0) if realloc.cap_percent else np.full(shape, big)
        caps = np.where(eligible, caps, 0)
        if realloc.rule == "priority" and realloc.priority_attribute is not None:
            ranking = _attribute(ev, realloc.priority_attribute, "reallocation.priority_attribute")
            received = allocate_in_order(pool, np.argsort(-ranking, kind="stable"), caps)
        elif realloc.rule == "priority":
            units = ev.data.units
            order = []
            for i, unit in enumerate(realloc.priority):
                if unit not in units:
                    raise DataError(
                        f"reallocation priority names unit '{unit}', which is not in the data",
                        file=ev.data.source,
                        field=f"consequences.budget.reallocation.priority[{i}]",
                        hint="list unit ids that appear in the data",
                    )
                order.append(units.index(unit))
            received = allocate_in_order(pool, np.array(order, dtype=np.int64), caps)
        else:
            weights = to_yuan(nxt) if realloc.rule == "pro_rata" else np.broadcast_to(total, shape).astype(float)
            received = allocate_capped(pool, np.where(eligible, weights, 0.0), caps)
    returned = pool - received.sum(axis=1)
    return {
        "budget": budget,
        "next_budget": nxt + received,
        "cut": cut,
        "cut_to_pool": cut_to_pool,
        "increase": increase,
        "released": released,
        "received": received,
        "returned": returned,
        "gated": gated,
        "suspended": suspended,
        "ladder_step": step,
        "ladder_streak": streak,
    }


def _pay(
    ev: Evaluation, rules: r.PayRules, shape: tuple[int, int]
) -> tuple[dict[str, NDArray[np.float64]], PayPoolAccount | None]:
    out: dict[str, NDArray[np.float64]] = {}
    labels = [g.zh for g in ev.compiled.grades]
    if rules.bonus_months is not None:
        bm = rules.bonus_months
        months = np.zeros(len(labels))
        for grade, k in bm.months.items():
            months[labels.index(grade)] = k
        salary = _attribute(ev, bm.salary, "pay.bonus_months.salary")
        staff = _attribute(ev, bm.staff, "pay.bonus_months.staff")
        bonus = months[ev.grade] * (salary * staff)[None, :]
        out["bonus"] = to_yuan(_money(ev, bonus, "bonus (months × salary × staff)", "pay.bonus_months"))
    account = _pay_pool(ev, rules.pool, shape, labels, out) if rules.pool is not None else None
    return out, account


def _pay_pool(
    ev: Evaluation, pool_rules: r.PayPool, shape: tuple[int, int], labels: list[str], out: dict[str, NDArray]
) -> PayPoolAccount:
    """Pay a pool per pay group, to the cent and never beyond it; fills ``out`` and returns the account.

    Base pay and departed allowances are each person's entitlement in whole cents. The
    incentive part is the pool's incentive share rounded half-up, but never more than what
    the base part (and departed allowances charged to the pool) leave, so rounding each part
    on its own cannot pay out a cent the pool does not hold; what is not paid stays as the
    unpaid remainder.
    """
    n, n_groups, groups = len(ev.data), len(ev.group_names), ev.groups
    base_attr = _attribute(ev, pool_rules.base, "pay.pool.base")
    if pool_rules.coefficient is not None:
        base_attr = base_attr * _attribute(ev, pool_rules.coefficient, "pay.pool.coefficient")
    status = (
        np.asarray(ev.data.attributes.get(pool_rules.status, np.full(n, "")), dtype=str)
        if pool_rules.status
        else np.full(n, "")
    )
    departed = np.isin(status, list(pool_rules.departed))
    monthly = base_attr.copy()
    for st, fixed_amount in pool_rules.fixed.items():
        monthly = np.where(status == st, fixed_amount, monthly)
    share_of_average = np.zeros(n)
    for st, share in pool_rules.departed.items():
        share_of_average = np.where(status == st, share, share_of_average)
    # 退职: share of the same-post average performance pay = base ÷ base share × share (÷7×5 at 70 %)
    with np.errstate(invalid="ignore", divide="ignore"):
        departed_monthly = np.where(departed, share_of_average * base_attr / (pool_rules.base_percent / 100.0), 0.0)
    base = _money(ev, np.where(departed, 0.0, monthly) * pool_rules.months, "base pay", "pay.pool.base")
    allowance = _money(ev, departed_monthly * pool_rules.months, "departed allowance", "pay.pool.departed")
    _not_negative(ev, base, "base pay", "pay.pool.base")
    _not_negative(ev, allowance, "departed allowance", "pay.pool.departed")
    if isinstance(pool_rules.amount, str):
        shares = _money(ev, _attribute(ev, pool_rules.amount, "pay.pool.amount"), "pool share", "pay.pool.amount")
        _not_negative(ev, shares, f"pool share '{pool_rules.amount}'", "pay.pool.amount")
        pool = _group_sum(shares, groups, n_groups)
    else:
        pool = np.full(n_groups, to_cents(pool_rules.amount, "pay.pool.amount"), dtype=np.int64)
    base_g = _group_sum(base, groups, n_groups)
    allowance_g = _group_sum(allowance, groups, n_groups)
    from_pool = allowance_g if pool_rules.departed_from_pool else np.zeros(n_groups, dtype=np.int64)
    room = pool - base_g - from_pool
    if (room < 0).any():
        g = int(np.flatnonzero(room < 0)[0])
        charged = "base pay and departed allowances" if pool_rules.departed_from_pool else "base pay"
        raise DataError(
            f"the pay pool of group '{ev.group_names[g]}' is {to_yuan(pool[g]):,.2f} yuan, less than the "
            f"{charged} it must cover ({to_yuan(base_g[g] + from_pool[g]):,.2f} yuan)",
            file=ev.data.source,
            field="consequences.pay.pool.amount",
            hint="size the pool to cover the base part (each person's share in pay.pool.amount), "
            "or check the base amounts, fixed amounts and coefficients",
        )
    # the incentive share rounded half-up to the cent, capped by what the base part leaves:
    # rounding the base and incentive parts each on its own could otherwise pay a cent too many
    incentive_share = round_half_up(pool.astype(np.float64) * (pool_rules.incentive_percent / 100.0), 0)
    incentive_pool = np.minimum(incentive_share.astype(np.int64), room)
    if pool_rules.incentive_by == "score":
        weights = np.broadcast_to(ev.total, shape).astype(float)
    else:
        gw = np.zeros(len(labels))
        for grade, w in pool_rules.grade_weights.items():
            gw[labels.index(grade)] = w
        weights = np.broadcast_to(gw[ev.grade], shape)
    incentive = np.zeros(shape, dtype=np.int64)
    incentive_g = np.zeros((shape[0], n_groups), dtype=np.int64)
    for g in range(n_groups):  # loop over pay groups (schools), not units or draws
        takers = (groups == g) & ~departed
        if not takers.any():  # no one to receive: the incentive share stays unpaid
            continue
        by_result = weights[:, takers]
        idle = by_result.sum(axis=1) <= 0  # nobody scored above 0: share the pool equally, never drop it
        if idle.any():
            by_result = np.where(idle[:, None], 1.0, by_result)
        paid = split_exact(np.full(shape[0], incentive_pool[g], dtype=np.int64), by_result)
        incentive[:, takers] = paid
        incentive_g[:, g] = paid.sum(axis=1)
    out["base"] = to_yuan(np.broadcast_to(base, shape))
    out["departed"] = to_yuan(np.broadcast_to(allowance, shape))
    out["incentive"] = to_yuan(incentive)
    return PayPoolAccount(
        groups=list(ev.group_names),
        pool=pool,
        base=base_g,
        departed=from_pool,
        beside=allowance_g - from_pool,
        incentive=incentive_g,
        unpaid=(pool - base_g - from_pool)[None, :] - incentive_g,
    )


def _last_place(total: NDArray[np.float64], groups: NDArray[np.int64], n_groups: int) -> Bool2:
    group_min = np.full((total.shape[0], n_groups), np.inf)
    for g in range(n_groups):
        members = groups == g
        if members.any():
            group_min[:, g] = total[:, members].min(axis=1)
    return total == group_min[:, groups]


def _flags(ev: Evaluation, flags: list[r.Flag], state: State, shape: tuple[int, int]) -> dict[str, Bool2]:
    out: dict[str, Bool2] = {}
    n_groups = len(ev.group_names)
    total = np.broadcast_to(ev.total, shape)
    for flag in flags:
        when = flag.when
        if when.most is not None:
            assert when.window is not None
            counts = state.window_counts.get(flag.id, np.zeros(shape, dtype=np.int64)) + out[when.most]
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
                c = counts[:, members]
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
        cond = np.ones(shape, dtype=bool)
        if when.classes is not None:
            ids = [c.id for c in ev.compiled.classes]
            cond &= np.isin(ev.data.class_index, [ids.index(c) for c in when.classes])[None, :]
        if when.grades is not None:
            cond &= _grade_mask(ev, when.grades)
        if when.attribute is not None:
            value = _attribute(ev, when.attribute, f"flags[{flag.id}]")[None, :]
            if when.below is not None:
                cond &= value < when.below
            if when.at_least is not None:
                cond &= value >= when.at_least
        if when.rank == "first":
            cond &= _last_place(-total, ev.groups, n_groups)
        elif when.rank == "last":
            cond &= _last_place(total, ev.groups, n_groups)
        streak = np.where(cond, state.streaks.get(flag.id, np.zeros(shape, dtype=np.int64)) + 1, 0)
        state.streaks[flag.id] = streak
        out[flag.id] = streak >= when.consecutive
    return out


def apply_consequences(
    ev: Evaluation, state: State | None = None, *, parts: tuple[str, ...] = ("budget", "pay", "flags")
) -> tuple[Outcome, State]:
    """Apply the scheme's consequence rules to one period's evaluation.

    Parameters
    ----------
    ev
        The period's evaluation (any number of draws).
    state
        What earlier periods left (budgets, streaks); ``None`` for the first period, when
        budgets come from the data's budget attribute.
    parts
        Which rules to apply (analyses that only need money skip pay and flags).

    Returns
    -------
    (Outcome, State)
        This period's consequences and the state for the next period.
    """
    rules = ev.compiled.scheme.consequences or r.Consequences()
    shape = ev.total.shape
    before = state or State()
    after = State(
        streaks=dict(before.streaks),
        window_counts=dict(before.window_counts),
        period=before.period,
        window_totals=(before.window_totals if before.window_totals is not None else 0.0) + ev.total,
    )
    zeros = np.zeros(shape, dtype=np.int64)
    money: dict[str, NDArray] = {
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
            money.update(_budget(ev, rules.budget, before, shape))
            after.budget = money["next_budget"]
            after.ladder_streak = money.pop("ladder_streak")
        pay, pay_pool = _pay(ev, rules.pay, shape) if rules.pay is not None and "pay" in parts else ({}, None)
    flags = _flags(ev, rules.flags, after, shape) if "flags" in parts else {}
    if any(f.when.most for f in rules.flags) and any(
        (after.period + 1) % (f.when.window or 1) == 0 for f in rules.flags if f.when.most
    ):
        after.window_totals = None
    after.period = before.period + 1
    return Outcome(pay=pay, flags=flags, pay_pool=pay_pool, **money), after
