"""The scoring-side rules of published forms in words, for traces (``explain``), in Chinese and English.

Each function returns a :class:`perfsim.models.Label`; the trace picks one language (or both).
"""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np

from . import scheme as s
from .models import Label
from .parts import Parts
from .units_of_units import RollUpResult


def _n(x: float) -> str:
    text = f"{x:.6g}"
    return f"{x:,.2f}" if "e" in text else text


def form_method(m: s.Stepwise | s.Linear | s.RankPoints | s.DeductionBlocks, lower: bool) -> Label:
    """A form method with its numbers (:mod:`perfsim.scheme.form_methods`)."""
    if isinstance(m, s.Stepwise):
        part_zh = "不足一档按一档计" if m.partial == "count" else "不足一档不扣"
        part_en = "a part step counts" if m.partial == "count" else "part steps not counted"
        way_zh, way_en = ("超出", "above") if lower else ("低于", "below")
        return Label(
            zh=f"阶梯扣分法（目标 {_n(m.target)}，每{way_zh} {_n(m.step)} 扣 {_n(m.per_step)} 分，{part_zh}，"
            f"最低 {_n(m.floor)} 分）",
            en=f"stepwise ({_n(m.per_step)} off per {_n(m.step)} {way_en} the target {_n(m.target)}, {part_en}, "
            f"not below {_n(m.floor)})",
        )
    if isinstance(m, s.Linear):
        return Label(
            zh=f"线性计分法（{_n(m.zero_at)} 得 0 分，{_n(m.full_at)} 得满分，其间按比例；最低 {_n(m.floor)} 分，"
            f"最高为满分的 {_n(m.cap * 100)}%）",
            en=f"linear ({_n(m.zero_at)} scores nothing, {_n(m.full_at)} full points, in proportion between; "
            f"at least {_n(m.floor)} points, at most {_n(m.cap * 100)}% of full points)",
        )
    if isinstance(m, s.RankPoints):
        first = 1
        zh, en = [], []
        for last, points in m.ranks.items():
            zh.append(f"第 {first}-{last} 名 {_n(points)} 分")
            en.append(f"places {first}-{last}: {_n(points)}")
            first = last + 1
        order_zh, order_en = ("越低越靠前", "lowest first") if lower else ("越高越靠前", "highest first")
        return Label(
            zh=f"按名次计分（本类单位中{order_zh}，同值并列；{'，'.join(zh)}，其后 {_n(m.other)} 分）",
            en=f"points by place among the class ({order_en}, ties share a place; {'; '.join(en)}; "
            f"later places {_n(m.other)})",
        )
    blocks_zh = "、".join(
        f"{b.name.zh if b.name else b.id}每次 {_n(b.per_event)} 分" + (f"（最多 {_n(b.cap)} 分）" if b.cap else "")
        for b in m.blocks
    )
    blocks_en = "; ".join(
        f"{b.name.english(b.id) if b.name else b.id} {_n(b.per_event)} per event"
        + (f" (at most {_n(b.cap)})" if b.cap else "")
        for b in m.blocks
    )
    return Label(
        zh=f"分项扣分（{blocks_zh}；合计从满分中扣除，{'扣完为止' if not m.floor else f'最低 {_n(m.floor)} 分'}）",
        en=f"deduction blocks ({blocks_en}; taken from full points, not below {_n(m.floor)})",
    )


def combined(parts: Parts, values: Mapping[str, float], given: Mapping[str, bool], result: float) -> Label:
    """How a value made of parts was combined: the parts given, the rule and the result."""
    shown = [(c.rsplit(".", 1)[-1] if "." in c else c, values[c]) for c in parts.columns if given[c]]
    rule = parts.words()
    result_text = _n(result) if np.isfinite(result) else "—"
    if not shown:
        return Label(zh=f"{rule.zh}：无一给出", en=f"{rule.english()}: none given")
    return Label(
        zh=f"{rule.zh}：{'、'.join(f'{k} {_n(v)}' for k, v in shown)} → {result_text}",
        en=f"{rule.english()}: {', '.join(f'{k} {_n(v)}' for k, v in shown)} → {result_text}",
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
        zh=f"所属{rule.name.zh}「{name}」：{how_zh} {_n(score)} 分{rounded_zh}；在 {among} 个{rule.name.zh}中"
        f"{group_zh}排名第 {rank}",
        en=f'{rule.name.english("parent unit")} "{name}": {how_en} = {_n(score)}{rounded_en}; '
        f"ranked {rank} of {among}{group_en}",
    )
