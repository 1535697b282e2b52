"""Trace lines for the grading rules of :mod:`perfsim.grade_rules`, in one language or both.

:func:`perfsim.explain` calls these for compound band conditions, 降一档, count limits, vetoed units
ranked last, top lists and schemes without grading; each line names the rule and its numbers.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Protocol

import numpy as np

from . import scheme as s

if TYPE_CHECKING:
    from .engine import Evaluation


class Say(Protocol):
    """The wording picker of :mod:`perfsim.results` (``say(both, zh, en)``)."""

    lang: str

    def __call__(self, both: str, zh: str, en: str) -> str: ...

    def step(self, key: str) -> str: ...


def _num(x: float) -> str:
    return f"{x:.6g}"


def _at(arr: np.ndarray, draw: int, u: int) -> float:
    return float(np.asarray(arr)[min(draw, arr.shape[0] - 1), u])


def total_band(ev: Evaluation, u: int, draw: int) -> int:
    """The band a unit's total falls in, before compound conditions."""
    source = ev.rules.total_band if ev.rules.total_band is not None else ev.band_grade
    return int(_at(source, draw, u))


def condition_lines(ev: Evaluation, u: int, draw: int, say: Say) -> list[str]:
    """Why compound band conditions lowered a unit: each band it missed and the numbers it missed by."""
    if ev.rules.total_band is None:
        return []
    start, end = total_band(ev, u, draw), int(_at(ev.band_grade, draw, u))
    bands = ev.compiled.scheme.grading.bands or []
    ci = int(ev.data.class_index[u])
    cc, detail = ev.compiled.classes[ci], ev.details[ci]
    if detail is None or start == end:
        return []
    col = int(np.flatnonzero(detail.units == u)[0])
    lines = []
    for i in range(start, end):
        band, below = bands[i], bands[i + 1].grade
        missed_zh, missed_en = [], []
        if band.sections_min is not None:
            for node in cc.children[0]:
                frac = _at(detail.fractions[node], draw, col)
                applies = node not in detail.applicable or bool(_at(detail.applicable[node], draw, col))
                if applies and round(frac * 100, 9) < round(band.sections_min * 100, 9):
                    section = cc.labels[node]
                    missed_zh.append(f"{section.zh} {_num(frac * 100)}%")
                    missed_en.append(f"{section.english()} {_num(frac * 100)}%")
            need_zh = f"各一级指标得分率不低于 {_num(band.sections_min * 100)}%"
            need_en = f"every first-level section at least {_num(band.sections_min * 100)}% of its points"
        else:
            need_zh = need_en = ""
        for name, minimum in band.indicators_min.items():
            if name in cc.ids:
                node = cc.index(name)
                score = _at(detail.scores[node], draw, col)
                if round(score, 9) < round(minimum, 9):
                    label = cc.labels[node]
                    missed_zh.append(f"{label.zh} {_num(score)} 分（须 ≥ {_num(minimum)} 分）")
                    missed_en.append(f"{label.english()} {_num(score)} (needs ≥ {_num(minimum)})")
        need_zh = need_zh or "指定指标达到最低分"
        need_en = need_en or "named indicator minima"
        lines.append(
            say(
                f"{band.grade.both()} also needs {need_en}; missed: {', '.join(missed_en)} → {below.both()}",
                f"{band.grade.zh}还须{need_zh}；未达到：{'、'.join(missed_zh)} → {below.zh}",
                f"{band.grade.english()} also needs {need_en}; missed: {', '.join(missed_en)} → {below.english()}",
            )
        )
    return lines


def downgrade_lines(ev: Evaluation, u: int, draw: int, hits: list[s.Veto], say: Say) -> list[str]:
    """降一档: the item that lowered the grade by exactly one."""
    g = ev.compiled.scheme.grading
    when = {
        "before_quota": ("before the quota", "在比例控制之前"),
        "after_quota": ("after the quota", "在比例控制之后"),
    }
    en, zh = when[g.veto_timing] if g.bands is not None else ("after the rank tiers", "在按名次定等之后")
    return [
        say(
            f"{veto.id} {veto.name.both()}: grade lowered by one (降一档, {en})",
            f"{veto.name.zh}：等次降一档（{zh}）",
            f"{veto.name.english(veto.id)}: grade lowered by one ({en})",
        )
        for veto in hits
        if veto.scope == "grade_down"
    ]


def count_lines(ev: Evaluation, u: int, draw: int, say: Say, group_text: str) -> list[str]:
    """Count limits: a unit moved down by a minimum, or dropped by a maximum in units."""
    g = ev.compiled.scheme.grading
    grades = ev.compiled.grades
    final = grades[int(ev.grade[draw, u])]
    out = []
    pushed = ev.rules.pushed_down
    if pushed is not None and bool(_at(pushed, draw, u)):
        minimum = next(q for q in g.quotas if q.grade == final.zh and q.min_count is not None)
        out.append(
            say(
                f"at least {minimum.min_count} units of the group at {final.both()} or below: "
                f"moved down to it among the lowest ranked",
                f"{group_text}{final.zh}及以下不少于 {minimum.min_count} 个：按名次靠后降为{final.zh}",
                f"at least {minimum.min_count} units {group_text} at {final.english()} or below: moved down to it "
                "as one of the lowest ranked",
            )
        )
    if bool(ev.quota_dropped[draw, u]):
        above = grades[int(ev.grade[draw, u]) - 1] if int(ev.grade[draw, u]) > 0 else None
        quota = next((q for q in g.quotas if above is not None and q.grade == above.zh), None)
        if quota is not None and quota.max_count is not None and above is not None:
            out.append(
                say(
                    f"at most {quota.max_count} units of the group may hold {above.both()}",
                    f"{group_text}{above.zh}不超过 {quota.max_count} 个",
                    f"at most {quota.max_count} units {group_text} may hold {above.english()}",
                )
            )
    return out


def vetoed_rank_line(ev: Evaluation, u: int, draw: int, say: Say) -> list[str]:
    """``vetoed_rank: last``: a vetoed unit ranks after every unit not vetoed."""
    last = ev.rules.vetoed_last
    if last is None or not bool(_at(last, draw, u)):
        return []
    return [
        say(
            "vetoed: ranked after every unit not vetoed (vetoed_rank: last)",
            "被一票否决：排在未被否决的单位之后",
            "vetoed: ranked after every unit not vetoed",
        )
    ]


def top_list_lines(ev: Evaluation, u: int, draw: int, say: Say, place: int | None) -> list[str]:
    """Membership of each top (or bottom) list, worded as the notice names ties (并列 / 不分先后)."""
    out = []
    for top in ev.compiled.scheme.grading.top_lists:
        if not bool(_at(ev.rules.top_lists[top.id], draw, u)):
            continue
        end_en = "best" if top.end == "top" else "worst"
        if top.ties == "unordered" or place is None:
            zh = f"列入「{top.name.zh}」（排名不分先后）"
            en = f'on the list "{top.name.english(top.id)}" (the {end_en} {top.k} places, in no order)'
        else:
            zh = f"列入「{top.name.zh}」（第 {place} 名，同分并列）"
            en = f'on the list "{top.name.english(top.id)}" (the {end_en} {top.k} places; place {place}, ties share it)'
        out.append(say(f"{top.id}: {en} / {zh}", zh, en))
    return out


def ungraded_text(say: Say, rank_text: str) -> str:
    """The result line of a scheme without grading: totals and ranks only."""
    return say(
        f"this scheme has no grading (totals and ranks only){rank_text}",
        f"本方案不评定等次（只计总分和排名）{rank_text}",
        f"this scheme has no grading (totals and ranks only){rank_text}",
    )
