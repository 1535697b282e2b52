"""Pay rules for one period: bonus months and pay by grade, and a performance-pay pool split exactly to the cent.

A performance-pay pool balances per pay group and draw::

    pool = base paid + departed paid from the pool + incentive paid + unpaid remainder
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd
from numpy.typing import NDArray

from . import rules as r
from .errors import DataError
from .money import Cents, scale_cents, split_exact, to_cents, to_yuan
from .numeric import round_half_up
from .rule_inputs import Reader

Int1 = NDArray[np.int64]
Int2 = NDArray[np.int64]


def _group_sum(cents: Cents, groups: NDArray[np.int64], n_groups: int) -> Int1:
    """Exact int64 sums per group (``np.bincount`` would sum in float64)."""
    out = np.zeros(n_groups, dtype=np.int64)
    np.add.at(out, groups, cents)
    return out


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


def pay(
    read: Reader, rules: r.PayRules, shape: tuple[int, int]
) -> tuple[dict[str, NDArray[np.float64]], PayPoolAccount | None]:
    """Bonus months and the performance-pay pool for one period (yuan per unit, and the pool's account)."""
    ev = read.ev
    out: dict[str, NDArray[np.float64]] = {}
    labels = [g.zh for g in ev.compiled.grades]
    if rules.bonus_months is not None:
        bm = rules.bonus_months
        months = np.zeros(len(labels))
        for grade, k in bm.months.items():
            months[labels.index(grade)] = k
        salary = read.attribute(bm.salary, "pay.bonus_months.salary")
        staff = read.attribute(bm.staff, "pay.bonus_months.staff")
        bonus = months[ev.grade] * (salary * staff)
        out["bonus"] = to_yuan(read.money(bonus, "bonus (months × salary × staff)", "pay.bonus_months"))
    if rules.by_grade is not None:
        out["by_grade"] = to_yuan(grade_pay(read, rules.by_grade, labels))
    account = _pay_pool(read, rules.pool, shape, labels, out) if rules.pool is not None else None
    return out, account


def grade_percent(rule: r.GradePay, labels: list[str]) -> NDArray[np.float64]:
    """Percent of the base each grade pays, indexed by grade (0 where the rule lists none)."""
    percent = np.zeros(len(labels))
    for grade, value in rule.percent.items():
        percent[labels.index(grade)] = value
    return percent


def grade_base(read: Reader, rule: r.GradePay) -> Cents:
    """Each unit's base in cents, (1 or S) × U: its attribute, or the one amount the rule states."""
    field = "pay.by_grade.base"
    if isinstance(rule.base, str):
        base = read.money(read.attribute(rule.base, field), f"base '{rule.base}'", "pay.by_grade.base")
        read.not_negative(base, f"base '{rule.base}'", field)
        return base
    return np.full((1, len(read.ev.data)), to_cents(rule.base, field), dtype=np.int64)


def grade_pay(read: Reader, rule: r.GradePay, labels: list[str]) -> Cents:
    """Pay by grade: ``base × percent[grade] / 100`` per unit, half-up to the cent (S × U cents)."""
    factor = grade_percent(rule, labels)[read.ev.grade] / 100.0
    return scale_cents(grade_base(read, rule), factor, "pay by grade (base × percent)")


def _pay_pool(
    read: Reader, pool_rules: r.PayPool, shape: tuple[int, int], labels: list[str], out: dict[str, NDArray]
) -> PayPoolAccount:
    """Pay a pool per pay group, to the cent and never beyond it; fills ``out`` and returns the account.

    Base pay and departed allowances are each person's entitlement in whole cents. The
    incentive part is the pool's incentive share rounded half-up, but never more than what
    the base part (and departed allowances charged to the pool) leave, so rounding each part
    on its own cannot pay out a cent the pool does not hold; what is not paid stays as the
    unpaid remainder.
    """
    ev = read.ev
    n, n_groups, groups = len(ev.data), len(ev.group_names), ev.groups

    def attribute(name: str, field_path: str) -> NDArray[np.float64]:  # pay entitlements do not move by draw
        return read.attribute(name, field_path)[0]

    base_attr = attribute(pool_rules.base, "pay.pool.base")
    if pool_rules.coefficient is not None:
        base_attr = base_attr * attribute(pool_rules.coefficient, "pay.pool.coefficient")
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
    base = read.money(np.where(departed, 0.0, monthly) * pool_rules.months, "base pay", "pay.pool.base")
    allowance = read.money(departed_monthly * pool_rules.months, "departed allowance", "pay.pool.departed")
    read.not_negative(base, "base pay", "pay.pool.base")
    read.not_negative(allowance, "departed allowance", "pay.pool.departed")
    if isinstance(pool_rules.amount, str):
        shares = read.money(attribute(pool_rules.amount, "pay.pool.amount"), "pool share", "pay.pool.amount")
        read.not_negative(shares, f"pool share '{pool_rules.amount}'", "pay.pool.amount")
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
