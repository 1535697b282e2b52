"""The scoring-side rules of published forms in words, for traces (``explain``), in Chinese and English.

Most functions return a :class:`perfsim.models.Label`; the trace picks one language (or both).
:func:`describe_in` words a scoring method in the trace's language (the 评分标准 cell of an exported
table says the same), :func:`describe` in the bilingual trace's terse form.
"""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np

from . import scheme as s
from .models import Label
from .parts import Parts
from .trace_words import PICK, Say, num, pct, pts
from .units_of_units import RollUpResult

_TIME_UNITS = [
    s.Label(zh="秒", en="seconds"),
    s.Label(zh="分钟", en="minutes"),
    s.Label(zh="小时", en="hours"),
    s.Label(zh="天", en="days"),
    s.Label(zh="工作日", en="working days"),
]


def form_method(m: s.Stepwise | s.Linear | s.RankPoints | s.DeductionBlocks, lower: bool) -> Label:
    """A form method with its numbers (:mod:`perfsim.scheme.form_methods`)."""
    if isinstance(m, s.Stepwise):
        part_zh = "不足一档按一档计" if m.partial == "count" else "不足一档不扣"
        part_en = "a part step counts" if m.partial == "count" else "part steps not counted"
        way_zh, way_en = ("超出", "above") if lower else ("低于", "below")
        return Label(
            zh=f"阶梯扣分法（目标 {num(m.target)}，每{way_zh} {num(m.step)} 扣 {num(m.per_step)} 分，{part_zh}，"
            f"最低 {num(m.floor)} 分）",
            en=f"stepwise ({num(m.per_step)} off per {num(m.step)} {way_en} the target {num(m.target)}, {part_en}, "
            f"not below {num(m.floor)})",
        )
    if isinstance(m, s.Linear):
        return Label(
            zh=f"线性计分法（{num(m.zero_at)} 得 0 分，{num(m.full_at)} 得满分，其间按比例；最低 {num(m.floor)} 分，"
            f"最高为满分的 {num(m.cap * 100)}%）",
            en=f"linear ({num(m.zero_at)} scores nothing, {num(m.full_at)} full points, in proportion between; "
            f"at least {num(m.floor)} points, at most {num(m.cap * 100)}% of full points)",
        )
    if isinstance(m, s.RankPoints):
        first = 1
        zh, en = [], []
        for last, points in m.ranks.items():
            zh.append(f"第 {first}-{last} 名 {num(points)} 分")
            en.append(f"places {first}-{last}: {num(points)}")
            first = last + 1
        order_zh, order_en = ("越低越靠前", "lowest first") if lower else ("越高越靠前", "highest first")
        return Label(
            zh=f"按名次计分（本类单位中{order_zh}，同值并列；{'，'.join(zh)}，其后 {num(m.other)} 分）",
            en=f"points by place among the class ({order_en}, ties share a place; {'; '.join(en)}; "
            f"later places {num(m.other)})",
        )
    blocks_zh = "、".join(
        f"{b.name.zh if b.name else b.id}每次 {num(b.per_event)} 分" + (f"（最多 {num(b.cap)} 分）" if b.cap else "")
        for b in m.blocks
    )
    blocks_en = "; ".join(
        f"{b.name.english(b.id) if b.name else b.id} {num(b.per_event)} per event"
        + (f" (at most {num(b.cap)})" if b.cap else "")
        for b in m.blocks
    )
    return Label(
        zh=f"分项扣分（{blocks_zh}；合计从满分中扣除，{'扣完为止' if not m.floor else f'最低 {num(m.floor)} 分'}）",
        en=f"deduction blocks ({blocks_en}; taken from full points, not below {num(m.floor)})",
    )


def combined(parts: Parts, values: Mapping[str, float], given: Mapping[str, bool], result: float) -> Label:
    """How a value made of parts was combined: the parts given, the rule and the result."""
    shown = [(c.rsplit(".", 1)[-1] if "." in c else c, values[c]) for c in parts.columns if given[c]]
    rule = parts.words()
    result_text = num(result) if np.isfinite(result) else "—"
    if not shown:
        return Label(zh=f"{rule.zh}：无一给出", en=f"{rule.english()}: none given")
    return Label(
        zh=f"{rule.zh}：{'、'.join(f'{k} {num(v)}' for k, v in shown)} → {result_text}",
        en=f"{rule.english()}: {', '.join(f'{k} {num(v)}' for k, v in shown)} → {result_text}",
    )


def filled(empty: bool, others: int) -> Label:
    """The note on an empty or 不适用 cell scored the mean of the other units."""
    what_zh, what_en = ("数据缺失", "missing") if empty else ("不适用", "not applicable")
    return Label(
        zh=f"，{what_zh}，按本类其他 {others} 个单位该项的平均得分计",
        en=f" — {what_en}, scored the mean of the other {others} units of its class",
    )


def parent_line(result: RollUpResult, unit: int, draw: int) -> Label:
    """The unit's parent (a village's town): its score from its members and its rank among parents."""
    rule = result.rule
    p = int(result.parent_of[unit])
    d = min(draw, result.score.shape[0] - 1)
    name, members = result.parents[p], int(result.members[p])
    score, rank = float(result.score[d, p]), int(result.rank[d, p])
    among = int((np.array(result.groups) == result.groups[p]).sum())
    how_zh = f"{members} 个单位得分的平均值" if rule.combine == "mean" else f"{members} 个单位得分的加权和"
    how_en = (
        f"mean of {members} members' totals" if rule.combine == "mean" else f"weighted sum of {members} members' totals"
    )
    rounded_zh = f"，保留 {rule.rounding} 位小数" if rule.rounding is not None else ""
    rounded_en = f", rounded to {rule.rounding} decimals" if rule.rounding is not None else ""
    group_zh = f"（{result.groups[p]}组）" if rule.group_by is not None else ""
    group_en = f" (group {result.groups[p]})" if rule.group_by is not None else ""
    return Label(
        zh=f"所属{rule.name.zh}「{name}」：{how_zh} {num(score)} 分{rounded_zh}；在 {among} 个{rule.name.zh}中"
        f"{group_zh}排名第 {rank}",
        en=f'{rule.name.english("parent unit")} "{name}": {how_en} = {num(score)}{rounded_en}; '
        f"ranked {rank} of {among}{group_en}",
    )


def describe(method: s.Method, direction: str) -> str:
    """A scoring method as the bilingual trace shows it: its name and parameters (``completion_ratio(cap=1.2)``)."""
    params = method.model_dump(exclude={"method"})
    shown = ", ".join(f"{k}={v}" for k, v in params.items() if k not in ("bands", "map", "tiers", "blocks"))
    extra = " (lower is better)" if direction == "lower" else ""
    return f"{method.method}({shown}){extra}" if shown else f"{method.method}{extra}"


def _time_unit(unit: str, lang: str) -> str:
    for known in _TIME_UNITS:
        if unit in (known.zh, known.english()):
            return known.zh if lang == "zh" else known.english()
    return unit


def describe_in(method: s.Method, direction: str, say: Say) -> str:
    """A scoring method in words of one language, with its parameters."""
    m, n = method, num
    lower = direction == "lower" and m.method in s.METHODS_WITH_DIRECTION
    if isinstance(m, s.DirectScore):
        return say("", f"直接评分（得分率 = 值 ÷ 满分刻度 {n(m.scale)}）", f"direct score (value ÷ scale {n(m.scale)})")
    if isinstance(m, s.CompletionRatio):
        std_zh = "标准值" if m.standard == "per_unit" else f"标准值 {n(m.standard)}"
        std_en = "standard" if m.standard == "per_unit" else f"standard {n(m.standard)}"
        if lower:
            return say(
                "",
                f"完成比例法，越低越好（得分率 = {std_zh} ÷ 值，上限 {pct(m.cap)}）",
                f"completion ratio, lower is better ({std_en} ÷ value, capped at {pct(m.cap)})",
            )
        return say(
            "",
            f"完成比例法（得分率 = 值 ÷ {std_zh}，上限 {pct(m.cap)}）",
            f"completion ratio (value ÷ {std_en}, capped at {pct(m.cap)})",
        )
    if isinstance(m, s.QuantityDecrement):
        if lower:
            return say(
                "",
                f"数量递减法，越低越好（目标 {n(m.target)}，每超出 1 扣 {n(m.decrement)} 分）",
                f"quantity decrement, lower is better (target {n(m.target)}, {pts(m.decrement)} off per unit over)",
            )
        return say(
            "",
            f"数量递减法（目标 {n(m.target)}，每差 1 扣 {n(m.decrement)} 分）",
            f"quantity decrement (target {n(m.target)}, {pts(m.decrement)} off per unit short)",
        )
    if isinstance(m, s.VetoScoring):
        return say(
            "", "否决计分法（未发生得满分，发生即得 0 分）", "veto scoring (full points with no event, zero with any)"
        )
    if isinstance(m, s.BaseAddSubtract):
        up, down = ("低", "高") if lower else ("高", "低")
        above, below = ("below", "above") if lower else ("above", "below")
        return say(
            "",
            f"基础加减法{'，越低越好' if lower else ''}（达到目标 {n(m.target)} 得基础分 {n(m.base)} 分，"
            f"每{up} 1 加 {n(m.add_per_unit)} 分，每{down} 1 减 {n(m.subtract_per_unit)} 分）",
            f"base add/subtract{', lower is better' if lower else ''} (base {pts(m.base)} at target "
            f"{n(m.target)}, +{n(m.add_per_unit)} per unit {above}, -{n(m.subtract_per_unit)} per unit {below})",
        )
    if isinstance(m, s.Cumulative):
        return say(
            "",
            f"累积计分法（每项 {n(m.per_event)} 分，累计不超过满分）",
            f"cumulative ({pts(m.per_event)} per event, up to full points)",
        )
    if isinstance(m, s.DirectDeduction):
        floor_zh = f"最低 {n(m.floor)} 分" if m.floor else "扣完为止"
        return say(
            "",
            f"直接扣分法（每项扣 {n(m.per_violation)} 分，{floor_zh}）",
            f"direct deduction ({pts(m.per_violation)} off per violation, not below {n(m.floor)})",
        )
    if isinstance(m, s.BandLookup):
        return say("", f"分档计分法（{PICK[m.pick].zh}）", f"band table ({PICK[m.pick].english()})")
    if isinstance(m, s.CategoryLookup):
        return say("", "按类别查表计分", "points by category")
    if isinstance(m, s.TierPoints):
        return say(
            "",
            f"按名次档计分（其他名次档得 {n(m.other)} 分）",
            f"points by rank tier (other tiers {pts(m.other)})",
        )
    if isinstance(m, s.Rubric5pt):
        a, b, c = m.flaws_two_up_to, m.flaws_zero_from, m.errors_one_up_to
        return say(
            "",
            f"五级评分法（3～5 级按级计分；2 级瑕疵不超过 {a} 处得 2 分、达到 {b} 处得 0 分、其余得 1 分；"
            f"1 级差错不超过 {c} 处得 1 分、否则得 0 分）",
            f"5-point rubric (levels 3 to 5 score their level; level 2: up to {a} flaws 2, {b} or more 0, "
            f"else 1; level 1: up to {c} errors 1, else 0)",
        )
    if isinstance(m, (s.Stepwise, s.Linear, s.RankPoints, s.DeductionBlocks)):
        words = form_method(m, lower)
        return say("", words.zh, words.english())
    if isinstance(m, s.TimeLimit):
        return say(
            "",
            f"时限计分（用时不超过 {n(m.limit)} {_time_unit(m.unit, 'zh')}得满分，超时得 0 分）",
            f"time limit (full points within {n(m.limit)} {_time_unit(m.unit, 'en')}, else zero)",
        )
    return m.method  # pragma: no cover - composite indicators have children, not a scored column
