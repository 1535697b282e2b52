"""The consequences step of a trace: budget, pay, rank rewards and flags, in one language or both.

:func:`perfsim.explain` calls :func:`consequence_lines` last; each line names the rule and its
numbers (the grade's budget change; the base and the grade's percent; the unit's place, the group
size, the amount and the escalation step reached). Money is in 万元 (:func:`perfsim.trace_words.money`).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from . import scheme as s
from .consequences import apply_consequences
from .money import to_yuan
from .pay import grade_base, grade_percent
from .rule_inputs import Reader
from .trace_words import Say, fmt, group, money, num

if TYPE_CHECKING:
    from .engine import Evaluation
    from .rank_rewards import RankResult, RankRewards
    from .rules import BudgetChange, GradePay
    from .trace import Trace

_PAY = {
    "base": s.Label(zh="基础性绩效工资", en="base performance pay"),
    "incentive": s.Label(zh="奖励性绩效工资", en="incentive performance pay"),
    "departed": s.Label(zh="离岗人员补贴", en="allowance for staff who left their post"),
    "bonus": s.Label(zh="考核奖金（按月基础工资计发）", en="assessment bonus (months of basic salary)"),
    "by_grade": s.Label(zh="按等次兑现的绩效工资", en="pay by grade (percent of a base)"),
}


def grade_pay_line(ev: Evaluation, rule: GradePay, u: int, d: int, paid: float, say: Say) -> str:
    """Pay by grade in words: the base × the grade's percent = the amount paid.

    Parameters
    ----------
    ev
        The evaluation traced.
    rule
        ``consequences.pay.by_grade``.
    u, d
        The unit and the draw.
    paid
        What the unit was paid, yuan.
    say
        The wording picker.

    Returns
    -------
    str
    """
    d = min(d, ev.grade.shape[0] - 1)
    index = int(ev.grade[d, u])
    grade = ev.compiled.grades[index]
    percent = fmt(float(grade_percent(rule, [g.zh for g in ev.compiled.grades])[index]))
    base_cents = grade_base(Reader(ev), rule)
    base = float(base_cents[min(d, base_cents.shape[0] - 1), u]) / 100.0
    return say(
        f"pay by_grade: {base:,.2f} yuan × {percent}% (grade {grade.zh}) = {paid:,.2f} yuan",
        f"按等次兑现绩效工资：基数 {money(base, 'zh')} × {percent}%（{grade.zh}）= {money(paid, 'zh')}",
        f"pay by grade: base {money(base, 'en')} × {percent}% ({grade.english()}) = {money(paid, 'en')}",
    )


def rank_line(ev: Evaluation, rule: RankRewards, result: RankResult, u: int, d: int, say: Say, where: str) -> str:
    """A rank reward or fine in words: the unit's place in its group, the amount, the escalation step.

    Parameters
    ----------
    ev
        The evaluation traced.
    rule
        One of ``consequences.rank_rewards``.
    result
        The rule's outcome for the period.
    u, d
        The unit and the draw.
    say
        The wording picker.
    where
        Where the unit is ranked, in the trace's language (``在全体单位中``, ``among all units``).

    Returns
    -------
    str
    """
    d = min(d, result.amount.shape[0] - 1)
    place, size, from_last = int(result.place[d, u]), int(result.size[d, u]), int(result.from_last[d, u])
    if place == 0:
        return say(
            f"rank reward {rule.id} ({rule.name.both()}): not ranked",
            f"{rule.name.zh}：不参加排名",
            f"{rule.name.english(rule.id)}: not ranked",
        )
    yuan = float(result.amount[d, u]) / 100.0
    group_name = ev.group_names[int(ev.groups[u])]
    zh_money = "不奖不罚" if yuan == 0 else f"{'奖励' if yuan > 0 else '处罚'} {money(abs(yuan), 'zh')}"
    en_money = (
        "neither reward nor fine" if yuan == 0 else f"{'reward' if yuan > 0 else 'fine'} {money(abs(yuan), 'en')}"
    )
    both = f"rank reward {rule.id} ({rule.name.both()}): place {place} of {size} in group {group_name}"
    both += f" ({from_last} from the last) → {yuan:+,.2f} yuan"
    zh = f"{rule.name.zh}：{where}第 {place} 名（共 {size} 个，倒数第 {from_last} 名），{zh_money}"
    en = f"{rule.name.english(rule.id)}: place {place} of {size} {where} ({from_last} from the last), {en_money}"
    k = int(result.step[d, u])
    if k and rule.escalation is not None:
        rung, run, last = rule.escalation.steps[k - 1], int(result.streak[d, u]), rule.escalation.last
        zh_band = "排名末位" if last == 1 else f"排名倒数前 {last} 名"
        en_band = "in last place" if last == 1 else f"among the last {last} places"
        both += f"; {run} period(s) running {en_band}: step {k} {rung.name.both()}"
        zh += f"；连续 {run} 期{zh_band}：{rung.name.zh}"
        en += f"; {run} period{'s' if run > 1 else ''} running {en_band}: {rung.name.english()}"
    return say(both, zh, en)


def _budget_change(change: BudgetChange, lang: str) -> str:
    """A per-grade budget rule in words of one language."""
    zh = lang == "zh"
    if change.to_zero:
        return "预算调减至零" if zh else "budget cut to zero"
    if change.percent is not None:
        p = change.percent
        if p == 0:
            return "预算不变" if zh else "budget unchanged"
        if zh:
            return f"预算{'增加' if p > 0 else '调减'} {num(abs(p))}%"
        return f"budget {'+' if p > 0 else '-'}{num(abs(p))}%"
    amount = change.absolute or 0.0
    if amount == 0:
        return "预算不变" if zh else "budget unchanged"
    if zh:
        return f"预算{'增加' if amount > 0 else '调减'} {money(abs(amount), lang)}"
    return f"budget {'+' if amount > 0 else '-'}{money(abs(amount), lang)}"


def consequence_lines(trace: Trace, ev: Evaluation, u: int, draw: int, say: Say) -> None:
    """Money and flags for one unit (first period, no history): which rule moved what."""
    outcome, _ = apply_consequences(ev)
    rules = ev.compiled.scheme.consequences
    assert rules is not None
    d = min(draw, outcome.budget.shape[0] - 1)
    step = say.step("consequences")
    lang = say.lang

    def cash(cents: np.integer | int) -> str:
        yuan = float(to_yuan(cents))
        return f"{yuan:,.2f}" if lang == "both" else money(yuan, lang)

    outside = outcome.present is not None and not outcome.present[d, u]
    if rules.budget is not None:
        budget_rules = rules.budget
        why = []
        if outside:
            why.append(
                say(
                    "outside the scope of the rules (lifecycle.outside): no budget, pay or flag",
                    "不在本方案的适用范围内：不安排预算，不发放，不标记",
                    "outside the scope of the rules: no budget, pay or flag",
                )
            )
        elif outcome.gated[d, u]:
            excluded = bool(outcome.excluded[d, u])
            failed = [gate for gate in budget_rules.gates if float(ev.data.attributes[gate.attribute][u]) == 0]
            names_zh = "、".join(f"「{gate.name.zh}」" for gate in failed)
            names_en = "; ".join(gate.name.english(gate.id) for gate in failed)
            why.append(
                say(
                    "gate failed → no budget" + (" (left out of the request)" if excluded else ""),
                    f"未通过前置条件{names_zh}，不安排预算" + ("，不列入预算申报" if excluded else ""),
                    f"gate failed{f' ({names_en})' if names_en else ''} → no budget"
                    + (" (left out of the budget request)" if excluded else ""),
                )
            )
        if outcome.stopped is not None and outcome.stopped[d, u]:
            released = cash(outcome.released[d, u])
            why.append(
                say(
                    f"monitoring: stopped, {released} unspent to the pool; the project leaves",
                    f"双监控：停止执行，未支出的 {released} 收回统筹，项目退出",
                    f"monitoring: stopped, {released} unspent returned to the pool; the project leaves",
                )
            )
        elif outcome.suspended[d, u]:
            released = cash(outcome.released[d, u])
            why.append(
                say(
                    f"monitoring: suspended, {released} unspent to the pool; resumes once the trigger clears",
                    f"双监控：暂缓执行，未支出的 {released} 收回统筹，问题消除后恢复执行",
                    f"monitoring: suspended, {released} unspent withheld to the pool; resumes once the trigger clears",
                )
            )
        elif outcome.released[d, u]:
            released = cash(outcome.released[d, u])
            why.append(
                say(
                    f"mid-year adjustment: {released} to the pool",
                    f"年中调整：{released} 收回统筹",
                    f"mid-year adjustment: {released} returned to the pool",
                )
            )
        if outcome.ladder_step[d, u]:
            assert budget_rules.ladder is not None
            k = int(outcome.ladder_step[d, u])
            rung = budget_rules.ladder.steps[k - 1]
            why.append(
                say(
                    f"ladder step {k}: {rung.name.both()}",
                    f"整改阶梯第 {k} 步：{rung.name.zh}",
                    f"correction ladder step {k}: {rung.name.english()}",
                )
            )
        grade = ev.compiled.grades[int(ev.grade[draw, u])]
        change = budget_rules.by_grade.get(grade.zh)
        if change is not None and not why:
            if lang == "both":
                stance = f" ({change.stance.both()})" if change.stance else ""
                amount = (
                    "to zero"
                    if change.to_zero
                    else (f"{change.percent:+g}%" if change.percent is not None else f"{change.absolute:+,.2f} yuan")
                )
                why.append(f"grade {grade.zh}: {amount}{stance}")
            else:
                stance = say("", f"（{change.stance.zh}）", f" ({change.stance.english()})") if change.stance else ""
                why.append(
                    say(
                        "",
                        f"等次{grade.zh}：{_budget_change(change, lang)}{stance}",
                        f"grade {grade.english()}: {_budget_change(change, lang)}{stance}",
                    )
                )
        if outcome.received[d, u]:
            received = cash(outcome.received[d, u])
            why.append(
                say(
                    f"received {received} from the pool",
                    f"从统筹资金中调剂安排 {received}",
                    f"received {received} from the pool",
                )
            )
        if (
            outcome.envelope is not None
            and outcome.claim is not None
            and outcome.scaled is not None
            and outcome.scaled[d, u]
        ):
            claim, share = cash(outcome.claim[d, u]), cash(abs(int(outcome.scaled[d, u])))
            envelope = cash(outcome.envelope[d])
            more = outcome.scaled[d, u] >= 0
            why.append(
                say(
                    f"envelope {envelope}: rules give {claim}, {'+' if more else '-'}{share} as its pro-rata share",
                    f"预算总额 {envelope} 内按比例统筹：规则安排 {claim}，{'增加' if more else '调减'} {share}",
                    f"envelope {envelope}: the rules give {claim}, {'plus' if more else 'less'} {share} as its "
                    "pro-rata share of the difference",
                )
            )
        if outcome.ended is not None and outcome.ended[d, u] and not outcome.gated[d, u]:
            if outcome.completed is not None and outcome.completed[d, u]:
                why.append(say("last year: completed", "项目到期完成，下年退出", "last year: the project completes"))
            elif not (outcome.stopped is not None and outcome.stopped[d, u]):
                why.append(
                    say(
                        "budget zeroed: the project leaves",
                        "预算调减至零，项目退出",
                        "budget zeroed: the project leaves",
                    )
                )
        budget, nxt = cash(outcome.budget[d, u]), cash(outcome.next_budget[d, u])
        trace.add(
            step,
            say(
                f"budget 预算 {budget} → next year 下年 {nxt}: {'; '.join(why) if why else 'no rule applies'}",
                f"本年预算 {budget} → 下年预算 {nxt}：{'；'.join(why) if why else '无适用规则'}",
                f"budget {budget} → next year {nxt}: {'; '.join(why) if why else 'no rule applies'}",
            ),
        )
    for name, amounts in outcome.pay.items():
        paid = float(amounts[d, u])
        pay = _PAY.get(name, s.Label(zh=name, en=name))
        if name == "by_grade" and rules.pay is not None and rules.pay.by_grade is not None:
            trace.add(step, grade_pay_line(ev, rules.pay.by_grade, u, d, paid, say))
            continue
        trace.add(
            step,
            say(
                f"pay {name}: {paid:,.2f} yuan",
                f"{pay.zh}：{money(paid, 'zh')}",
                f"{pay.english()}: {money(paid, 'en')}",
            ),
        )
    for rule in rules.rank_rewards:
        result = outcome.rank_rewards[rule.id]
        trace.add(step, rank_line(ev, rule, result, u, d, say, group(ev, u, say)))
    raised = [f for f in rules.flags if outcome.flags.get(f.id) is not None and outcome.flags[f.id][d, u]]
    for flag in raised:
        effect = say.free_text(flag.effect)
        trace.add(
            step,
            say(
                f"flag {flag.id}: {flag.name.both()}{f' — {effect}' if effect else ''}",
                f"标志：{flag.name.zh}{f'——{effect}' if effect else ''}",
                f"flag: {flag.name.english(flag.id)}{f' — {effect}' if effect else ''}",
            ),
        )
    if rules.flags and not raised:
        trace.add(
            step,
            say(
                "no flag raised (rules needing several periods are traced in simulations)",
                "未触发标志（需连续多个周期的规则在模拟中追溯）",
                "no flag raised (rules needing several periods are traced in simulations)",
            ),
        )
