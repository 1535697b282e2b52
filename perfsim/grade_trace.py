"""The grading steps of a trace (bands to result) and the lines for the rules of :mod:`perfsim.grade_rules`.

:func:`perfsim.explain` calls :func:`grade_lines` for a unit's band, not-assessed rule, veto on the grade,
quota, final grade and rank; it words compound band conditions, 降一档, count limits, vetoed units ranked
last, top lists and schemes without grading with the functions here, each line naming the rule and its numbers.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from . import scheme as s
from .trace_words import Say, fmt, group, num

if TYPE_CHECKING:
    from .engine import Evaluation
    from .trace import Trace

_TIES = {
    "competition": s.Label(zh="同分并列，其后名次顺延", en="ties share a rank, the next rank is skipped"),
    "dense": s.Label(zh="同分并列，其后名次连续", en="ties share a rank, no rank is skipped"),
    "ordinal": s.Label(zh="同分依次排名", en="ties broken in order"),
}


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
                    missed_zh.append(f"{section.zh} {fmt(frac * 100)}%")
                    missed_en.append(f"{section.english()} {fmt(frac * 100)}%")
            need_zh = f"各一级指标得分率不低于 {fmt(band.sections_min * 100)}%"
            need_en = f"every first-level section at least {fmt(band.sections_min * 100)}% of its points"
        else:
            need_zh = need_en = ""
        for name, minimum in band.indicators_min.items():
            if name in cc.ids:
                node = cc.index(name)
                score = _at(detail.scores[node], draw, col)
                if round(score, 9) < round(minimum, 9):
                    label = cc.labels[node]
                    missed_zh.append(f"{label.zh} {fmt(score)} 分（须 ≥ {fmt(minimum)} 分）")
                    missed_en.append(f"{label.english()} {fmt(score)} (needs ≥ {fmt(minimum)})")
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


def _attribute_name(scheme: s.Scheme, attribute: str) -> s.Label:
    return next((a.name for a in scheme.attributes if a.id == attribute), s.Label(zh=attribute, en=attribute))


def _grade_source(ev: Evaluation, u: int) -> s.Indicator | None:
    """The lookup indicator that gives this unit's grade (``grading.from_indicator``), if its cell has a label."""
    name = ev.compiled.scheme.grading.from_indicator
    if name is None:
        return None
    cc = ev.compiled.classes[int(ev.data.class_index[u])]
    if name not in cc.ids:
        return None
    column = next(c.data_columns["value"] for c in cc.columns if c.leaf == cc.index(name))
    if ev.data.missing[column][u] or ev.data.not_applicable[column][u]:
        return None
    return cc.indicators[cc.index(name)]


def grade_lines(trace: Trace, ev: Evaluation, u: int, draw: int, hits: list[s.Veto], say: Say) -> None:
    """Band, not-assessed rule, veto on the grade, quota and the final grade and rank."""
    compiled, data, scheme = ev.compiled, ev.data, ev.compiled.scheme
    grades = compiled.grades
    g = scheme.grading
    if not g.graded:
        place = int(ev.rank[draw, u]) if ev.rank is not None else None
        trace.add(say.step("result"), ungraded_text(say, _rank_text(ev, u, draw, say)))
        for line in top_list_lines(ev, u, draw, say, place):
            trace.add(say.step("result"), line)
        return
    band = total_band(ev, u, draw)
    final = int(ev.grade[draw, u])
    source = _grade_source(ev, u)
    if source is not None:
        node = source
        label = grades[band]
        trace.add(
            say.step("bands"),
            say(
                f"{label.both()}: the grade of {node.name.both()} ({node.id}); the total only shares pay",
                f"{label.zh}：即{node.name.zh}的等次，总分只用于分配",
                f"{label.english()}: the grade given by {node.name.english(node.id)}; the total only shares pay",
            ),
        )
    elif g.bands is not None:
        cut = ev.cutoffs_of(u, draw)  # in the unit's own points (its class's full mark)
        row = g.bands[band]
        percent = g.basis == "percent"
        unit_word = "%" if percent else say(" points", " 分", " points")
        scale = 100.0 / compiled.classes[int(data.class_index[u])].full_mark if percent else 1.0
        show = fmt if say.lang == "both" else num
        if band < len(cut):
            lower = f"{'≥' if row.min_inclusive else '>'} {show(cut[band] * scale)}{unit_word}"
        else:
            lower = say("below every cut-off", "低于所有分数线", "below every cut-off")
        upper = ""
        if band > 0:
            upper = say(", ", "，", ", ")
            upper += f"{'<' if g.bands[band - 1].min_inclusive else '≤'} {show(cut[band - 1] * scale)}{unit_word}"
        trace.add(
            say.step("bands"),
            say(
                f"{row.grade.both()}: {lower}{upper}",
                f"{row.grade.zh}：{lower}{upper}",
                f"{row.grade.english()}: {lower}{upper}",
            ),
        )
        own = compiled.classes[int(data.class_index[u])]
        if g.points_of is not None and g.points_of != own.id:  # cut-offs written in another class's points
            ref = scheme.full_mark(g.points_of)
            trace.add(
                say.step("bands"),
                say(
                    f"cut-offs in points of {g.points_of} (out of {fmt(ref)}), scaled to {fmt(own.full_mark)}",
                    f"分数线按{g.points_of}满分 {num(ref)} 分写出，按本类满分 {num(own.full_mark)} 分等比例折算",
                    f"cut-offs are written in points of {g.points_of} (out of {num(ref)}), scaled to this "
                    f"class's full {num(own.full_mark)}",
                ),
            )
        for line in condition_lines(ev, u, draw, say):
            trace.add(say.step("bands"), line)
    if compiled.not_assessed(data)[u]:
        rule = g.not_assessed
        assert rule is not None
        value = data.attributes[rule.attribute][u]
        attr = _attribute_name(scheme, rule.attribute)
        trace.add(
            say.step("not_assessed"),
            say(
                f"{rule.attribute} = {value}: scored, not graded or ranked ({rule.label.both()})",
                f"{attr.zh}为「{value}」：计分，但不评定等次、不参加排名（{rule.label.zh}）",
                f'{attr.english()} is "{value}": scored, not graded or ranked ({rule.label.english()})',
            ),
        )
    lowest = grades[compiled.lowest]
    before_quota = g.veto_timing == "before_quota"
    for veto in hits:
        if veto.scope == "grade_lowest":
            trace.add(
                say.step("veto_grade"),
                say(
                    f"grade forced to {lowest.zh} ({g.veto_timing.replace('_', ' ')})",
                    f"等次定为{lowest.zh}（在比例控制{'之前' if before_quota else '之后'}）",
                    f"grade forced to {lowest.english()} ({'before' if before_quota else 'after'} the quota)",
                ),
            )
    for line in downgrade_lines(ev, u, draw, hits, say):
        trace.add(say.step("veto_grade"), line)
    group_name = ev.group_names[ev.groups[u]]
    group_size = int(np.sum(ev.groups == ev.groups[u]))
    if bool(ev.quota_dropped[draw, u]):
        trace.add(
            say.step("quota"),
            say(
                f"dropped by a quota to {grades[final].zh} (group {group_name}, {group_size} units)",
                f"超出比例限制，降为{grades[final].zh}（{group(ev, u, say)}，共 {group_size} 个单位）",
                f"dropped by a quota to {grades[final].english()} ({group(ev, u, say)}, {group_size} units)",
            ),
        )
    elif g.quotas and not (ev.rules.pushed_down is not None and bool(ev.rules.pushed_down[draw, u])):
        trace.add(say.step("quota"), say("within the quota", "未超出比例限制", "within the quota"))
    for line in count_lines(ev, u, draw, say, group(ev, u, say)):
        trace.add(say.step("quota"), line)
    rank_text = _rank_text(ev, u, draw, say)
    trace.add(
        say.step("result"),
        say(
            f"grade 等次 {grades[final].both()}{rank_text}",
            f"等次：{grades[final].zh}{rank_text}",
            f"grade: {grades[final].english()}{rank_text}",
        ),
    )
    for line in vetoed_rank_line(ev, u, draw, say):
        trace.add(say.step("result"), line)
    place = int(ev.rank[draw, u]) if ev.rank is not None else None
    for line in top_list_lines(ev, u, draw, say, place):
        trace.add(say.step("result"), line)


def _rank_text(ev: Evaluation, u: int, draw: int, say: Say) -> str:
    """The rank part of the result line (empty when ranks were not computed)."""
    rank = ev.rank
    if rank is None:
        return ""
    g = ev.compiled.scheme.grading
    place = int(rank[draw, u])
    ties = _TIES[g.ranking.ties]
    if say.lang == "both":
        return f"; rank {place} in group {ev.group_names[ev.groups[u]]} ({g.ranking.ties})"
    if place <= 0:
        return say("", "；不参加排名", "; not ranked")
    return say(
        "",
        f"；{group(ev, u, say)}排名第 {place}（{ties.zh}）",
        f"; rank {place} {group(ev, u, say)} ({ties.english()})",
    )
