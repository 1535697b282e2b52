"""Budget rules for one period: next year's budget of every unit present, in int64 cents, inside the envelope.

Steps, in order: gates (no budget) → in-year monitoring (unspent money withheld to the pool;
the unit suspended or stopped) → grade rule or, for failing units, the correction ladder →
reallocation of the pool → the envelope: each unit's claim (its budget after these rules, or an
entrant's first budget) gets its share of next year's total. Two identities hold exactly per draw::

    pool          = released + cut_to_pool = received + returned
    Σ next budget = Σ budget − Σ cut + Σ increase + Σ received + Σ entered + Σ scaled

and, under an envelope, Σ next budget = the envelope (whenever some unit has a claim).
A unit whose next budget a rule sets to zero (a gate, a stop, a cancelling ladder step or grade
rule) or whose last year this is (completion) *ends*: it is no longer present next year.
"""

from __future__ import annotations

import numpy as np
from numpy.typing import NDArray

from . import rules as r
from .errors import DataError
from .money import Cents, allocate_capped, allocate_in_order, scale_cents, split_exact, to_cents, to_yuan
from .numeric import round_half_up
from .rule_inputs import Reader

Bool2 = NDArray[np.bool_]


def _none(shape: tuple[int, ...]) -> Cents:
    """Zero cents everywhere, as a read-only view that holds no memory (10,000 draws × 1,000 units of
    int64 would hold 80 MB for an amount that most schemes never move)."""
    return np.broadcast_to(np.int64(0), shape)


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


def envelope_for(rules: r.BudgetRules, first: NDArray[np.int64], period: int) -> NDArray[np.int64] | None:
    """The envelope of period ``period + 1`` (cents per draw) from the first period's; None under ``treasury``."""
    env = rules.envelope
    if env.treasury:
        return None
    factor = (1.0 + env.growth / 100.0) ** period
    return round_half_up(first.astype(np.float64) * factor, 0).astype(np.int64)


def share_envelope(envelope: NDArray[np.int64], claims: Cents) -> Cents:
    """Next budgets that add up to ``envelope`` (S,): the difference from the claims spread pro rata, exactly.

    A claim of zero gets nothing; no budget goes below zero (a shortfall takes at most a claim's own
    size). Where every claim is zero the envelope has no one to hold it and stays unplaced.
    """
    gap = envelope - claims.sum(axis=1)
    if not gap.any():
        return claims
    share = split_exact(np.abs(gap), claims.astype(np.float64))
    return claims + np.sign(gap)[:, None] * share  # type: ignore[no-any-return]


def budget_rules(
    read: Reader,
    rules: r.BudgetRules,
    budget: Cents,
    ladder_before: NDArray[np.int64] | None,
    present: Bool2,
    completing: Bool2,
    entering: Cents,
    envelope: NDArray[np.int64] | None,
) -> dict[str, NDArray]:
    """Apply the budget rules of one period to this period's budgets (S × U cents).

    ``present`` marks units in the portfolio, ``completing`` those in their last year, ``entering``
    the first budgets of units entering next period; ``envelope`` is next period's total (None:
    no envelope).
    """
    ev = read.ev
    shape = budget.shape
    budget = budget if present.all() else np.where(present, budget, 0)
    total = ev.total
    gated = np.zeros(shape, dtype=bool)
    excluded = np.zeros(shape, dtype=bool)
    for gate in rules.gates:
        failed = (read.attribute(gate.attribute, f"budget.gates[{gate.id}]") == 0) & present
        gated |= failed
        if gate.effect == "exclude":
            excluded |= failed
    suspended = np.zeros(shape, dtype=bool)
    stopped = np.zeros(shape, dtype=bool)
    released = _none(shape)
    mon = rules.monitoring
    if mon is not None:
        watched = present & ~gated & read.classes(mon.classes)[None, :]
        spend = np.clip(read.attribute(mon.spending_progress, "budget.monitoring"), 0, 1)
        triggers = {"mismatch": np.zeros(shape, dtype=bool), "low_score": np.zeros(shape, dtype=bool)}
        gap = None
        if mon.target_progress is not None:
            target = np.clip(read.attribute(mon.target_progress, "budget.monitoring"), 0, 1)
            gap = np.abs(spend - target)
            if mon.mismatch_above is not None:
                triggers["mismatch"] = gap > mon.mismatch_above
        if mon.low_score_below is not None:
            triggers["low_score"] = total < mon.low_score_below
        for trigger, hit in triggers.items():
            hit = hit & watched
            if mon.action(trigger) == "stop":  # type: ignore[arg-type]
                stopped |= hit
            else:
                suspended |= hit
        suspended &= ~stopped
        hit = stopped | suspended
        released = np.where(hit, to_cents(to_yuan(budget) * (1.0 - spend)), 0)
        if mon.adjust_by_severity and gap is not None:
            percent = np.zeros(np.broadcast_shapes(gap.shape, shape))
            for severity in sorted(mon.adjust_by_severity, key=lambda st: st.gap):
                percent = np.where(gap > severity.gap, severity.percent, percent)
            adjusted = watched & ~hit & (percent < 0)
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
        grade = np.broadcast_to(ev.grade, shape)
        nxt = _apply_tables(budget, grade, factor, add)
    else:
        nxt = budget.copy()
    streak = step = _none(shape)
    if rules.ladder is not None:
        failing = read.grades(rules.ladder.fail_grades) & present & read.classes(rules.ladder.classes)[None, :]
        before = ladder_before if ladder_before is not None else np.zeros(shape, dtype=np.int64)
        streak = np.where(failing, before + 1, 0)
        step = np.minimum(streak, len(rules.ladder.steps))
        if step.any():
            tables = _change_tables([None, *(s.change for s in rules.ladder.steps)])
            nxt = np.where(step > 0, _apply_tables(budget, step, *tables), nxt)
    leaving = gated | stopped
    nxt = np.where(leaving | completing | ~present, 0, nxt)
    ended = present & (leaving | completing | ((nxt == 0) & (budget > 0)))
    # in place: at 10,000 draws × 1,000 units each int64 temporary is 80 MB
    increase = np.subtract(nxt, budget)
    cut = np.negative(increase)
    np.maximum(cut, 0, out=cut)
    np.maximum(increase, 0, out=increase)
    cut_to_pool = np.where(~leaving, cut, 0) if rules.cuts_to == "pool" else _none(shape)
    pool = released.sum(axis=1) + cut_to_pool.sum(axis=1)
    received = _none(shape)
    realloc = rules.reallocation
    if realloc is not None and realloc.rule != "treasury":
        # units paying into the pool, and units that end, do not draw from it
        eligible = present & ~ended & (cut == 0) & (released == 0)
        if realloc.eligible_grades:
            eligible &= read.grades(realloc.eligible_grades)
        if realloc.eligible_attribute is not None:
            eligible &= read.attribute(realloc.eligible_attribute, "reallocation.eligible_attribute") != 0
        big = np.iinfo(np.int64).max // 4
        caps = to_cents(to_yuan(nxt) * realloc.cap_percent / 100.0) if realloc.cap_percent else np.full(shape, big)
        caps = np.where(eligible, caps, 0)
        if realloc.rule == "priority" and realloc.priority_attribute is not None:
            ranking = read.attribute(realloc.priority_attribute, "reallocation.priority_attribute")[0]
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
    entered = np.where(present, 0, entering) if entering.any() else _none(shape)
    claim = nxt
    for added in (received, entered):
        if added.any():
            claim = claim + added
    final = claim if envelope is None else share_envelope(envelope, claim)
    return {
        "budget": budget,
        "next_budget": final,
        "claim": claim,
        "cut": cut,
        "cut_to_pool": cut_to_pool,
        "increase": increase,
        "released": released,
        "received": received,
        "returned": returned,
        "entered": entered,
        "scaled": final - claim if final is not claim else _none(shape),
        "gated": gated,
        "excluded": excluded,
        "suspended": suspended,
        "stopped": stopped,
        "ended": ended,
        "completed": completing & present,
        "ladder_step": step,
        "ladder_streak": streak,
        "envelope": envelope,
    }
