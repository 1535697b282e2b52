"""Trace lines for pay by grade and for rewards and fines by rank, in one language or both.

:func:`perfsim.explain` calls these in its consequences step; each line names the rule and its
numbers (the base and the grade's percent; the unit's place, the group size, the amount and the
escalation step reached). Money is in 万元 through the formatter :mod:`perfsim.results` passes in.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Protocol

from .pay import grade_base, grade_percent
from .rule_inputs import Reader

if TYPE_CHECKING:
    from .engine import Evaluation
    from .rank_rewards import RankResult, RankRewards
    from .rules import GradePay

Money = Callable[[float, str], str]
"""Yuan → text in a language's money unit (``1.20 万元``, ``1.20 CNY 10k``)."""


class Say(Protocol):
    """The wording picker of :mod:`perfsim.results` (``say(both, zh, en)``)."""

    lang: str

    def __call__(self, both: str, zh: str, en: str) -> str: ...


def _num(x: float) -> str:
    return f"{x:.6g}"


def grade_pay_line(ev: Evaluation, rule: GradePay, u: int, d: int, paid: float, say: Say, money: Money) -> str:
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
    money
        The money formatter.

    Returns
    -------
    str
    """
    d = min(d, ev.grade.shape[0] - 1)
    index = int(ev.grade[d, u])
    grade = ev.compiled.grades[index]
    percent = _num(float(grade_percent(rule, [g.zh for g in ev.compiled.grades])[index]))
    base_cents = grade_base(Reader(ev), rule)
    base = float(base_cents[min(d, base_cents.shape[0] - 1), u]) / 100.0
    return say(
        f"pay by_grade: {base:,.2f} yuan × {percent}% (grade {grade.zh}) = {paid:,.2f} yuan",
        f"按等次兑现绩效工资：基数 {money(base, 'zh')} × {percent}%（{grade.zh}）= {money(paid, 'zh')}",
        f"pay by grade: base {money(base, 'en')} × {percent}% ({grade.english()}) = {money(paid, 'en')}",
    )


def rank_line(
    ev: Evaluation, rule: RankRewards, result: RankResult, u: int, d: int, say: Say, money: Money, where: str
) -> str:
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
    money
        The money formatter.
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
    group = ev.group_names[int(ev.groups[u])]
    zh_money = "不奖不罚" if yuan == 0 else f"{'奖励' if yuan > 0 else '处罚'} {money(abs(yuan), 'zh')}"
    en_money = (
        "neither reward nor fine" if yuan == 0 else f"{'reward' if yuan > 0 else 'fine'} {money(abs(yuan), 'en')}"
    )
    both = f"rank reward {rule.id} ({rule.name.both()}): place {place} of {size} in group {group}"
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
