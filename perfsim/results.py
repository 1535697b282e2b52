"""Tidy results and per-unit traces: every number traced to the rule that produced it."""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from . import consequence_trace as ct
from . import grade_trace as gt
from . import scheme as s
from . import scoring_words
from .compile import CompiledClass
from .engine import Evaluation
from .errors import PerfsimError
from .leaf_inputs import filled_by_mean, missing_cells
from .models import CJK
from .rules import BudgetChange
from .units_of_units import roll_up

NODE_PREFIX = "score:"


def results_frame(evaluation: Evaluation, draw: int = 0) -> pd.DataFrame:
    """One row per unit: section and indicator scores, adjustments, total, grade, rank, flags.

    Parameters
    ----------
    evaluation
        From :func:`perfsim.evaluate`; section scores appear when it ran with ``detail=True``.
    draw
        Which parameter draw to tabulate.

    Returns
    -------
    pandas.DataFrame
        Columns ``unit, name, class, group``, ``score:<indicator>`` per indicator and section
        (in tree order), ``weighted, bonus, deduction, total, percent, grade, grade_en,
        band_grade, rank, vetoes, quota_dropped, clamped``, then ``list:<id>`` per top list; a scheme
        without grading has no ``grade, grade_en, band_grade, quota_dropped``.
    """
    ev, data, compiled = evaluation, evaluation.data, evaluation.compiled
    if not 0 <= draw < ev.n_draws:
        raise PerfsimError(
            f"draw {draw} does not exist; the evaluation has {ev.n_draws}",
            hint=f"use a draw from 0 to {ev.n_draws - 1}",
        )
    n = len(data)
    out: dict[str, object] = {
        "unit": data.units,
        "name": data.names,
        "class": [compiled.classes[c].id for c in data.class_index],
        "group": [ev.group_names[g] for g in ev.groups],
    }
    node_cols: dict[str, np.ndarray] = {}
    for cc, detail in zip(compiled.classes, ev.details):
        if detail is None:
            continue
        for node in range(1, len(cc.ids)):
            if node not in detail.scores:
                continue
            col = node_cols.setdefault(NODE_PREFIX + cc.ids[node], np.full(n, np.nan))
            row = min(draw, detail.scores[node].shape[0] - 1)
            col[detail.units] = detail.scores[node][row]
    out.update(node_cols)

    def pick(arr: np.ndarray) -> np.ndarray:
        return np.asarray(arr)[min(draw, arr.shape[0] - 1)]

    grades = compiled.grades
    total = pick(ev.total)
    flags = _veto_flags(ev, draw)
    out.update(
        {
            "weighted": pick(ev.weighted),
            "bonus": pick(np.broadcast_to(ev.bonus, (ev.bonus.shape[0], n))),
            "deduction": pick(np.broadcast_to(ev.deduction, (ev.deduction.shape[0], n))),
            "total": total,
            "percent": np.round(total * 100.0 / (ev.full if ev.full is not None else compiled.scheme.total), 9),
            "grade": [grades[g].zh for g in pick(ev.grade)] if grades else None,
            "grade_en": [grades[g].english() for g in pick(ev.grade)] if grades else None,
            "band_grade": [grades[g].zh for g in pick(ev.band_grade)] if grades else None,
            "rank": pick(ev.rank) if ev.rank is not None else np.full(n, -1),
            "vetoes": [";".join(v.id for j, v in enumerate(compiled.vetoes) if flags[u, j]) for u in range(n)],
            "quota_dropped": pick(ev.quota_dropped),
            "clamped": pick(ev.clamped),
        }
    )
    for list_id, members in ev.rules.top_lists.items():
        out[f"list:{list_id}"] = pick(members)
    if not compiled.scheme.grading.graded:  # a form that only totals and ranks
        for key in ("grade", "grade_en", "band_grade", "quota_dropped"):
            del out[key]
    return pd.DataFrame(out)


def _veto_flags(ev: Evaluation, draw: int) -> np.ndarray:
    """Units × veto items as used in one draw."""
    flags = ev.veto_flags
    return flags if flags.ndim == 2 else flags[min(draw, flags.shape[0] - 1)]


LANGS = ("zh", "en", "both")
"""Languages of a trace: Chinese, English, or both side by side (the command line's default)."""

MONEY_UNIT = {"zh": "万元", "en": "CNY 10k"}
"""Money in a one-language trace is in 万元 (ten thousand yuan), the unit of Chinese budget documents;
the English trace shows the same figures labelled "CNY 10k", so the two notes carry identical numbers."""

_STEPS = {
    "unit": ("0 unit 单位", "0 单位", "0 unit"),
    "indicators": ("1 indicators 指标得分", "1 指标得分", "1 indicator scores"),
    "sections": ("2 sections 分项汇总", "2 分项汇总", "2 sections"),
    "adjustments": ("3 adjustments 加减分", "3 加减分", "3 bonus points and deductions"),
    "clamp": ("4 clamp 限幅", "4 限幅", "4 clamp"),
    "round": ("5 round 取舍", "5 四舍五入", "5 rounding"),
    "veto": ("6 veto 一票否决", "6 一票否决", "6 veto"),
    "total": ("6 total 总分", "6 总分", "6 total"),
    "bands": ("7 bands 等次", "7 等次", "7 grade bands"),
    "not_assessed": ("8 not assessed 不参加考核", "8 不参加考核", "8 not assessed"),
    "veto_grade": ("8 veto 一票否决", "8 一票否决", "8 veto"),
    "quota": ("9 quota 比例控制", "9 比例控制", "9 quota"),
    "result": ("10 result 结果", "10 结果", "10 result"),
    "consequences": ("11 consequences 结果运用", "11 结果运用", "11 consequences"),
}
"""Step headings as (both, zh, en)."""

_INPUTS = {"value": s.Label(zh="值", en="value"), "count": s.Label(zh="计数", en="count")}
_INPUTS["standard"] = s.Label(zh="标准值", en="standard")

_PICK = {
    "low": s.Label(zh="档内取下限", en="low end of the band's points"),
    "mid": s.Label(zh="档内取中值", en="middle of the band's points"),
    "high": s.Label(zh="档内取上限", en="top of the band's points"),
    "interpolate": s.Label(zh="档内按插值计", en="interpolated within the band"),
}

_TIES = {
    "competition": s.Label(zh="同分并列，其后名次顺延", en="ties share a rank, the next rank is skipped"),
    "dense": s.Label(zh="同分并列，其后名次连续", en="ties share a rank, no rank is skipped"),
    "ordinal": s.Label(zh="同分依次排名", en="ties broken in order"),
}

_PAY = {
    "base": s.Label(zh="基础性绩效工资", en="base performance pay"),
    "incentive": s.Label(zh="奖励性绩效工资", en="incentive performance pay"),
    "departed": s.Label(zh="离岗人员补贴", en="allowance for staff who left their post"),
    "bonus": s.Label(zh="考核奖金（按月基础工资计发）", en="assessment bonus (months of basic salary)"),
    "by_grade": s.Label(zh="按等次兑现的绩效工资", en="pay by grade (percent of a base)"),
}

_TIME_UNITS = [
    s.Label(zh="秒", en="seconds"),
    s.Label(zh="分钟", en="minutes"),
    s.Label(zh="小时", en="hours"),
    s.Label(zh="天", en="days"),
    s.Label(zh="工作日", en="working days"),
]

_ASCII_WORD = re.compile(r"[A-Za-z]{2,}")


class _Say:
    """Picks one language's wording; ``both`` keeps the bilingual text the command line prints."""

    def __init__(self, lang: str) -> None:
        self.lang = lang

    def __call__(self, both: str, zh: str, en: str) -> str:
        return both if self.lang == "both" else zh if self.lang == "zh" else en

    def label(self, label: s.Label, fallback: str | None = None) -> str:
        """The label in this language; in English, ``fallback`` (an id) where no English name is given."""
        return label.english(fallback) if self.lang == "en" else label.zh

    def step(self, key: str) -> str:
        return self(*_STEPS[key])

    def free_text(self, text: str | None) -> str | None:
        """Free text of the scheme (a flag's effect) in a one-language trace only if written in that language."""
        if text is None or self.lang == "both":
            return text
        foreign = _ASCII_WORD.search(text) if self.lang == "zh" else CJK.search(text)
        return None if foreign else text


@dataclass
class Trace:
    """How one unit's total, grade and rank came about, step by step."""

    unit: str
    lines: list[tuple[str, str]] = field(default_factory=list)
    """(step, text) pairs in order of the evaluation."""
    lang: str = "both"
    """The language of the text: ``zh``, ``en`` or ``both`` (see :func:`explain`)."""

    def add(self, step: str, text: str) -> None:
        self.lines.append((step, text))

    def frame(self) -> pd.DataFrame:
        return pd.DataFrame(self.lines, columns=["step", "detail"])

    def __str__(self) -> str:
        out, last = [], None
        for step, text in self.lines:
            if step != last:
                out.append(f"\n[{step}]")
                last = step
            out.append(f"  {text}")
        return "\n".join(out).lstrip("\n")


def _fmt(x: float) -> str:
    return f"{x:.6g}" if np.isfinite(x) else str(x)


def _num(x: float) -> str:
    """A score as people read it: six significant digits, no exponent, a dash for an empty cell."""
    if np.isnan(x):
        return "—"
    if not np.isfinite(x):
        return "∞" if x > 0 else "-∞"
    text = f"{x:.6g}"
    return f"{x:,.2f}" if "e" in text else text


def _pct(share: float) -> str:
    return f"{_num(round(share * 100, 9))}%"


def _wan(yuan: float) -> str:
    """Yuan → 万元 with thousands separators: two decimals, more (up to six) only where the fen need them."""
    fen = int(round(yuan * 100))  # amounts are whole fen, so this is exact
    whole, rest = divmod(abs(fen), 1_000_000)
    decimals = f"{rest:06d}".rstrip("0").ljust(2, "0")
    return f"{'-' if fen < 0 else ''}{whole:,}.{decimals}"


def _pts(x: float) -> str:
    return f"{_num(x)} point" if x == 1 else f"{_num(x)} points"


def _quoted(names: Iterable[str]) -> str:
    return ", ".join(f'"{name}"' for name in names)


def _money(yuan: float, lang: str) -> str:
    return f"{_wan(yuan)} {MONEY_UNIT[lang]}"


def _describe(method: s.Method, direction: str) -> str:
    params = method.model_dump(exclude={"method"})
    shown = ", ".join(f"{k}={v}" for k, v in params.items() if k not in ("bands", "map", "tiers", "blocks"))
    extra = " (lower is better)" if direction == "lower" else ""
    return f"{method.method}({shown}){extra}" if shown else f"{method.method}{extra}"


def _time_unit(unit: str, lang: str) -> str:
    for known in _TIME_UNITS:
        if unit in (known.zh, known.english()):
            return known.zh if lang == "zh" else known.english()
    return unit


def _describe_in(method: s.Method, direction: str, say: _Say) -> str:
    """A scoring method in words of one language, with its parameters."""
    m, n = method, _num
    lower = direction == "lower" and m.method in s.METHODS_WITH_DIRECTION
    if isinstance(m, s.DirectScore):
        return say("", f"直接评分（得分率 = 值 ÷ 满分刻度 {n(m.scale)}）", f"direct score (value ÷ scale {n(m.scale)})")
    if isinstance(m, s.CompletionRatio):
        std_zh = "标准值" if m.standard == "per_unit" else f"标准值 {n(m.standard)}"
        std_en = "standard" if m.standard == "per_unit" else f"standard {n(m.standard)}"
        if lower:
            return say(
                "",
                f"完成比例法，越低越好（得分率 = {std_zh} ÷ 值，上限 {_pct(m.cap)}）",
                f"completion ratio, lower is better ({std_en} ÷ value, capped at {_pct(m.cap)})",
            )
        return say(
            "",
            f"完成比例法（得分率 = 值 ÷ {std_zh}，上限 {_pct(m.cap)}）",
            f"completion ratio (value ÷ {std_en}, capped at {_pct(m.cap)})",
        )
    if isinstance(m, s.QuantityDecrement):
        if lower:
            return say(
                "",
                f"数量递减法，越低越好（目标 {n(m.target)}，每超出 1 扣 {n(m.decrement)} 分）",
                f"quantity decrement, lower is better (target {n(m.target)}, {_pts(m.decrement)} off per unit over)",
            )
        return say(
            "",
            f"数量递减法（目标 {n(m.target)}，每差 1 扣 {n(m.decrement)} 分）",
            f"quantity decrement (target {n(m.target)}, {_pts(m.decrement)} off per unit short)",
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
            f"base add/subtract{', lower is better' if lower else ''} (base {_pts(m.base)} at target "
            f"{n(m.target)}, +{n(m.add_per_unit)} per unit {above}, -{n(m.subtract_per_unit)} per unit {below})",
        )
    if isinstance(m, s.Cumulative):
        return say(
            "",
            f"累积计分法（每项 {n(m.per_event)} 分，累计不超过满分）",
            f"cumulative ({_pts(m.per_event)} per event, up to full points)",
        )
    if isinstance(m, s.DirectDeduction):
        floor_zh = f"最低 {n(m.floor)} 分" if m.floor else "扣完为止"
        return say(
            "",
            f"直接扣分法（每项扣 {n(m.per_violation)} 分，{floor_zh}）",
            f"direct deduction ({_pts(m.per_violation)} off per violation, not below {n(m.floor)})",
        )
    if isinstance(m, s.BandLookup):
        return say("", f"分档计分法（{_PICK[m.pick].zh}）", f"band table ({_PICK[m.pick].english()})")
    if isinstance(m, s.CategoryLookup):
        return say("", "按类别查表计分", "points by category")
    if isinstance(m, s.TierPoints):
        return say(
            "",
            f"按名次档计分（其他名次档得 {n(m.other)} 分）",
            f"points by rank tier (other tiers {_pts(m.other)})",
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
        words = scoring_words.form_method(m, lower)
        return say("", words.zh, words.english())
    if isinstance(m, s.TimeLimit):
        return say(
            "",
            f"时限计分（用时不超过 {n(m.limit)} {_time_unit(m.unit, 'zh')}得满分，超时得 0 分）",
            f"time limit (full points within {n(m.limit)} {_time_unit(m.unit, 'en')}, else zero)",
        )
    return m.method  # pragma: no cover - composite indicators have children, not a scored column


def _period(scheme: s.Scheme, period: str) -> s.Label:
    return next((p.name for p in scheme.periods if p.id == period), s.Label(zh=period, en=period))


def _node_label(cc: CompiledClass, node_id: str | None) -> s.Label:
    if node_id in cc.ids:
        return cc.labels[cc.ids.index(node_id)]
    return s.Label(zh=str(node_id), en=str(node_id))


def _column_names(cc: CompiledClass, scheme: s.Scheme) -> dict[str, s.Label]:
    """Data column → the indicator it scores (with its period), for naming 不适用 cells."""
    out: dict[str, s.Label] = {}
    for col in cc.columns:
        name = cc.labels[col.leaf]
        if col.period:
            p = _period(scheme, col.period)
            name = s.Label(zh=f"{name.zh}（{p.zh}）", en=f"{name.english()} ({p.english()})")
        out[col.data_columns["value"]] = name
    return out


def _attribute_name(scheme: s.Scheme, attribute: str) -> s.Label:
    return next((a.name for a in scheme.attributes if a.id == attribute), s.Label(zh=attribute, en=attribute))


def _group(ev: Evaluation, u: int, say: _Say) -> str:
    """Where a unit is ranked: ``在县直部门中`` / ``among county departments``."""
    g = ev.compiled.scheme.grading
    name = ev.group_names[ev.groups[u]]
    if g.group_by is None:
        return say("", "在全体单位中", "among all units")
    if g.group_by == "class":
        label = ev.compiled.classes[int(ev.groups[u])].label
        return say("", f"在{label.zh}中", f"among {label.english()}")
    return say("", f"在「{name}」组中", f"in group {name}")


def _tree_lines(trace: Trace, ev: Evaluation, cc: CompiledClass, ci: int, u: int, draw: int, say: _Say) -> None:
    detail = ev.details[ci]
    assert detail is not None
    pos = int(np.flatnonzero(detail.units == u)[0])
    data, scheme = ev.data, ev.compiled.scheme

    def score(node: int) -> float:
        arr = detail.scores[node]
        return float(arr[min(draw, arr.shape[0] - 1), pos])

    for k, col in enumerate(cc.columns):
        ind = cc.indicators[col.leaf]
        assert ind is not None and ind.method is not None
        raw = {inp: data.values[name][u] for inp, name in col.data_columns.items()}
        cell = col.data_columns["value"]
        state = ""
        mean_filled = bool(filled_by_mean(scheme, col, data, detail.units)[pos])
        if mean_filled:
            others = int((~(missing_cells(col, data, detail.units) | data.not_applicable[cell][detail.units])).sum())
            note = scoring_words.filled(bool(data.missing[cell][u]), others)
            state = say(note.english(), note.zh, note.english())
        elif data.not_applicable[cell][u]:
            state = say(" — 不适用 not applicable", "，不适用", " — not applicable")
        elif data.missing[cell][u]:
            state = say(" — missing, scored 0 (missing_values: zero)", "，数据缺失，按 0 计分", " — missing, scored 0")
        for inp, combo in col.parts.items():
            marks = {c: float(data.values[c][u]) for c in combo.columns}
            given = {c: not (data.missing[c][u] or data.not_applicable[c][u]) for c in combo.columns}
            line = scoring_words.combined(combo, marks, given, float(data.values[col.data_columns[inp]][u]))
            trace.add(say.step("indicators"), say(f"{line.both()}", line.zh, line.english()))
        if isinstance(ind.method, s.CategoryLookup):
            raw["value"] = list(ind.method.map)[int(raw["value"])]  # type: ignore[assignment]
        frac = np.atleast_2d(detail.columns[k])
        earned = float(frac[min(draw, frac.shape[0] - 1), pos])
        if say.lang == "both":
            shown = ", ".join(f"{k}={v if isinstance(v, str) else _fmt(v)}" for k, v in raw.items())
            period = f"@{col.period}" if col.period else ""
            trace.add(
                say.step("indicators"),
                f"{ind.id}{period} {ind.name.both()}: {shown} → "
                f"{_describe(ind.method, ind.direction)} → {_fmt(earned)} of full points{state}",
            )
            continue
        words = {inp: say.label(_INPUTS.get(inp, s.Label(zh=inp, en=inp))) for inp in raw}
        shown = say(
            "",
            "，".join(f"{words[i]}「{v}」" if isinstance(v, str) else f"{words[i]} {_num(v)}" for i, v in raw.items()),
            ", ".join(f'{words[i]} "{v}"' if isinstance(v, str) else f"{words[i]} {_num(v)}" for i, v in raw.items()),
        )
        p = _period(scheme, col.period) if col.period else None
        name = (
            say("", f"{ind.name.zh}（{p.zh}）", f"{ind.name.english(ind.id)} ({p.english()})")
            if p
            else say.label(ind.name, ind.id)
        )
        how = _describe_in(ind.method, ind.direction, say)
        trace.add(
            say.step("indicators"),
            say(
                "",
                f"{name}：{shown} → {how} → 得满分的 {_pct(earned)}{state}（数据列 {cell}）",
                f"{name}: {shown} → {how} → {_pct(earned)} of full points{state} (data column {cell})",
            ),
        )
    flags = _veto_flags(ev, draw)
    vetoes = ev.compiled.vetoes
    vetoed_leaves = {leaf: [vetoes[v] for v in vs if flags[u, v]] for leaf, vs in cc.leaf_vetoes.items()}
    for node in range(1, len(cc.ids)):
        ind = cc.indicators[node]
        assert ind is not None
        indent = "  " * (int(cc.depth[node]) - 1)
        got, full = score(node), float(cc.nominal_points[node])
        text = say(
            f"{indent}{ind.id} {ind.name.zh}: {_fmt(got)} of {_fmt(full)} points",
            f"{indent}{ind.name.zh}：{_num(got)} 分（满分 {_num(full)} 分",
            f"{indent}{ind.name.english(ind.id)}: {_num(got)} of {_pts(full)}",
        )
        if node in detail.before_conversion:
            before = detail.before_conversion[node]
            pct = float(before[min(draw, before.shape[0] - 1), pos]) * 100
            conv = cc.conversions[node]
            band = int(conv.band_index(np.array([round(pct, 9)]))[0])
            label = conv.labels[band] if band < len(conv.labels) else None
            if label is not None:
                band_zh, band_en = f"落入「{label.zh}」档", f'band "{label.english()}"'
            elif band < len(conv.labels):
                band_zh, band_en = f"落入第 {band + 1} 档", f"band {band + 1}"
            else:
                band_zh, band_en = "低于所有档次", "below every band"
            both_name = f"{label.both()}" if label else "below every band"
            text += say(
                f" (sub-score {_fmt(pct)}% → band {both_name} → pick {conv.pick})",
                f"；得分率 {_num(pct)}% {band_zh}，{_PICK[conv.pick].zh}",
                f" (sub-score {_num(pct)}% → {band_en} → {_PICK[conv.pick].english()})",
            )
        if say.lang == "zh":
            text += "）"
        if vetoed_leaves.get(node):
            hit = vetoed_leaves[node]
            text += say(
                f" — zeroed by veto {', '.join(v.id for v in hit)}",
                f"——因一票否决{'、'.join(f'「{v.name.zh}」' for v in hit)}记 0 分",
                f" — zeroed by the veto {_quoted(v.name.english(v.id) for v in hit)}",
            )
        if node in cc.section_vetoes:
            hit = [vetoes[v] for v in cc.section_vetoes[node] if flags[u, v]]
            if hit:
                text += say(
                    f" — section zeroed by veto {', '.join(v.id for v in hit)}",
                    f"——因一票否决{'、'.join(f'「{v.name.zh}」' for v in hit)}本分项记 0 分",
                    f" — section zeroed by the veto {_quoted(v.name.english(v.id) for v in hit)}",
                )
        trace.add(say.step("sections"), text)


def explain(evaluation: Evaluation, unit: str, draw: int = 0, *, lang: str = "both") -> Trace:
    """Trace how one unit's total, grade and rank were reached.

    Parameters
    ----------
    evaluation
        From :func:`perfsim.evaluate` with ``detail=True``.
    unit
        The unit id.
    draw
        Which parameter draw.
    lang
        ``"zh"`` for a Chinese trace (the appendix of a Chinese briefing note), ``"en"`` for an
        English one, ``"both"`` (the default, what the command line prints) for the bilingual text.
        A one-language trace names indicators, grades, classes and rules in that language only;
        ids and names that are data (unit ids and names, data columns, group and category values)
        appear as written. Money is in 万元 (ten thousand yuan) with thousands separators and two
        decimals, more where the fen need them: ``287.70 万元`` in Chinese, ``287.70 CNY 10k`` in
        English, so both notes show the same figures. Shares of full points are shown in %.

    Returns
    -------
    Trace
        Printable; ``.frame()`` gives the steps as a table.

    Raises
    ------
    PerfsimError
        For an unknown language, or an evaluation run without ``detail=True``.
    """
    if lang not in LANGS:
        raise PerfsimError(f"unknown language '{lang}'", hint="use zh, en or both")
    ev, compiled, data = evaluation, evaluation.compiled, evaluation.data
    scheme = compiled.scheme
    u = data.unit_position(unit)
    ci = int(data.class_index[u])
    cc = compiled.classes[ci]
    if ev.details[ci] is None:
        raise PerfsimError("this evaluation kept no section scores", hint="evaluate with detail=True to explain")
    trace = Trace(unit, lang=lang)
    say = _Say(lang)
    grades = compiled.grades

    def at(arr: np.ndarray) -> float:
        return float(np.asarray(arr)[min(draw, arr.shape[0] - 1), u])

    trace.add(
        say.step("unit"),
        say(
            f"{unit} {data.names[u]} — class {cc.id} ({cc.label.both()}); scheme {scheme.id} v{scheme.version}",
            f"{unit} {data.names[u]}（类别：{cc.label.zh}）；考核方案《{scheme.name.zh}》，版本 {scheme.version}",
            f"{unit} {data.names[u]} (class: {cc.label.english(cc.id)}); "
            f'scheme "{scheme.name.english(scheme.id)}", version {scheme.version}',
        ),
    )
    _tree_lines(trace, ev, cc, ci, u, draw, say)
    full = cc.full_mark  # the unit's class's full mark (满分), the scheme total unless the class states its own
    weighted = at(ev.weighted)
    na = [name for name, mask in data.not_applicable.items() if mask[u]]
    na_names = _column_names(cc, scheme)
    na_words = [say.label(na_names.get(name, s.Label(zh=name, en=name)), name) for name in na]
    trace.add(
        say.step("sections"),
        say(
            f"weighted sum 加权合计: {_fmt(weighted)} of {_fmt(full)}"
            + (f" (rescaled to the points that apply; 不适用: {', '.join(na)})" if na else ""),
            f"加权合计：{_num(weighted)} 分（满分 {_num(full)} 分"
            + (f"；按适用指标的分值折算，不适用：{'、'.join(na_words)}" if na else "")
            + "）",
            f"weighted sum: {_num(weighted)} of {_num(full)}"
            + (f" (rescaled to the points that apply; not applicable: {', '.join(na_words)})" if na else ""),
        ),
    )
    if scheme.adjustments is not None:
        _adjustment_lines(trace, ev, u, at, say)
    lo, hi = scheme.clamp.min, scheme.class_clamp_max(cc.id)
    clamped = bool(np.asarray(ev.clamped)[min(draw, ev.clamped.shape[0] - 1), u])
    lo_text, hi_text = (_fmt(lo) if lo is not None else "-∞"), (_fmt(hi) if hi is not None else "∞")
    trace.add(
        say.step("clamp"),
        say(
            f"range [{lo_text}, {hi_text}]{' — clamped' if clamped else ''}",
            f"总分限定在 [{lo_text}, {hi_text}] 分之内{'，已限幅' if clamped else ''}",
            f"total kept within [{lo_text}, {hi_text}]{' — clamped' if clamped else ''}",
        ),
    )
    rounding = scheme.rounding.total
    truncated = scheme.rounding.mode == "truncate"
    trace.add(
        say.step("round"),
        say(
            f"total truncated to {rounding} decimals (截位)",
            f"总分保留 {rounding} 位小数，其后舍去（不四舍五入）",
            f"total truncated to {rounding} decimals (digits beyond dropped, not rounded)",
        )
        if rounding is not None and truncated
        else say(
            f"total rounded half-up to {rounding} decimals",
            f"总分四舍五入，保留 {rounding} 位小数",
            f"total rounded half-up to {rounding} decimals",
        )
        if rounding is not None
        else say(
            "no rounding stated (binary noise below 1e-9 removed)",
            "方案未规定小数位数（仅消除 10⁻⁹ 以下的二进制误差）",
            "no rounding stated (binary noise below 1e-9 removed)",
        ),
    )
    total = at(ev.total)
    hits = [v for j, v in enumerate(compiled.vetoes) if _veto_flags(ev, draw)[u, j]]
    lowest = grades[compiled.lowest] if compiled.grades else s.Label(zh="—", en="—")
    for veto in hits:
        target = _node_label(cc, veto.target)
        effect = {
            "total": say("total set to 0", "总分记为 0", "total set to 0"),
            "grade_lowest": say(
                f"grade forced to {lowest.zh}", f"等次定为{lowest.zh}", f"grade forced to {lowest.english()}"
            ),
            "grade_down": say("grade lowered by one (降一档)", "等次降一档", "grade lowered by one"),
            "indicator": say(
                f"indicator {veto.target} zeroed",
                f"指标「{target.zh}」记 0 分",
                f'indicator "{target.english()}" zeroed',
            ),
            "section": say(
                f"section {veto.target} zeroed", f"分项「{target.zh}」记 0 分", f'section "{target.english()}" zeroed'
            ),
        }
        trace.add(
            say.step("veto"),
            say(
                f"{veto.id} {veto.name.both()}: {effect[veto.scope]}",
                f"{veto.name.zh}：{effect[veto.scope]}",
                f"{veto.name.english(veto.id)}: {effect[veto.scope]}",
            ),
        )
    pct = round(total * 100 / full, 9)
    trace.add(
        say.step("total"),
        say(
            f"total 总分 {_fmt(total)} = {_fmt(pct)}% of {_fmt(full)}",
            f"总分 {_num(total)} 分，为满分 {_num(full)} 分的 {_num(pct)}%",
            f"total {_num(total)} points, {_num(pct)}% of the full {_num(full)}",
        ),
    )
    _grade_lines(trace, ev, u, draw, hits, say)
    parent = roll_up(ev)
    if parent is not None:
        words = scoring_words.parent_line(parent, u, draw)
        trace.add(say.step("result"), say(words.both(), words.zh, words.english()))
    if scheme.consequences is not None:
        _consequence_lines(trace, ev, u, draw, say)
    return trace


def _adjustment_lines(trace: Trace, ev: Evaluation, u: int, at: Callable[[np.ndarray], float], say: _Say) -> None:
    """Each bonus or deduction item given to the unit, then the capped sums."""
    compiled, data = ev.compiled, ev.data
    adj = compiled.scheme.adjustments
    assert adj is not None
    for j, item in enumerate(compiled.adjustment_items):
        given = data.adjustments[u, j]
        if given == 0:
            continue
        amount = given * (item.per_event or 1.0)
        final = min(amount, item.cap) if item.cap is not None else amount
        kind = say("", "加分项" if item.kind == "bonus" else "扣分项", f"{item.kind} item")
        if say.lang == "both":
            cap = f", item cap {_fmt(item.cap)}" if item.cap is not None else ""
            per = f" × {_fmt(item.per_event)} per event" if item.per_event else ""
            text = f"{item.id} {item.name.zh} ({item.kind}): {_fmt(given)}{per} = {_fmt(amount)}{cap} → {_fmt(final)}"
        else:
            calc = say(
                "",
                f"{_num(given)} 次 × 每次 {_num(item.per_event)} 分 = {_num(amount)} 分"
                if item.per_event
                else f"{_num(amount)} 分",
                f"{_num(given)} × {_pts(item.per_event)} per event = {_pts(amount)}"
                if item.per_event
                else _pts(amount),
            )
            cap = (
                say("", f"，单项上限 {_num(item.cap)} 分", f", item cap {_num(item.cap)}")
                if item.cap is not None
                else ""
            )
            text = say(
                "",
                f"{item.name.zh}（{kind}）：{calc}{cap} → 计 {_num(final)} 分",
                f"{item.name.english(item.id)} ({kind}): {calc}{cap} → {_num(final)}",
            )
        trace.add(say.step("adjustments"), text)
    bonus = at(np.broadcast_to(ev.bonus, ev.total.shape))
    deduction = at(np.broadcast_to(ev.deduction, ev.total.shape))
    bonus_cap = "" if adj.bonus_cap is None else _fmt(adj.bonus_cap)
    deduction_cap = "" if adj.deduction_cap is None else _fmt(adj.deduction_cap)
    after = adj.apply == "after_clamp"
    trace.add(
        say.step("adjustments"),
        say(
            f"bonus 加分 {_fmt(bonus)}{f' (total cap {bonus_cap})' if bonus_cap else ''}; deduction 扣分 "
            f"{_fmt(deduction)}{f' (total cap {deduction_cap})' if deduction_cap else ''}; "
            f"applied {adj.apply.replace('_', ' ')}",
            f"加分合计 {_num(bonus)} 分{f'（上限 {bonus_cap} 分）' if bonus_cap else ''}；扣分合计 "
            f"{_num(deduction)} 分{f'（上限 {deduction_cap} 分）' if deduction_cap else ''}；"
            f"{'限幅后' if after else '限幅前'}计入",
            f"bonus points {_num(bonus)}{f' (total cap {bonus_cap})' if bonus_cap else ''}; deductions "
            f"{_num(deduction)}{f' (total cap {deduction_cap})' if deduction_cap else ''}; "
            f"applied {'after' if after else 'before'} the clamp",
        ),
    )


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


def _grade_lines(trace: Trace, ev: Evaluation, u: int, draw: int, hits: list[s.Veto], say: _Say) -> None:
    """Band, not-assessed rule, veto on the grade, quota and the final grade and rank."""
    compiled, data, scheme = ev.compiled, ev.data, ev.compiled.scheme
    grades = compiled.grades
    g = scheme.grading
    if not g.graded:
        place = int(ev.rank[draw, u]) if ev.rank is not None else None
        trace.add(say.step("result"), gt.ungraded_text(say, _rank_text(ev, u, draw, say)))
        for line in gt.top_list_lines(ev, u, draw, say, place):
            trace.add(say.step("result"), line)
        return
    band = gt.total_band(ev, u, draw)
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
        show = _fmt if say.lang == "both" else _num
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
                    f"cut-offs in points of {g.points_of} (out of {_fmt(ref)}), scaled to {_fmt(own.full_mark)}",
                    f"分数线按{g.points_of}满分 {_num(ref)} 分写出，按本类满分 {_num(own.full_mark)} 分等比例折算",
                    f"cut-offs are written in points of {g.points_of} (out of {_num(ref)}), scaled to this "
                    f"class's full {_num(own.full_mark)}",
                ),
            )
        for line in gt.condition_lines(ev, u, draw, say):
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
    for line in gt.downgrade_lines(ev, u, draw, hits, say):
        trace.add(say.step("veto_grade"), line)
    group_name = ev.group_names[ev.groups[u]]
    group_size = int(np.sum(ev.groups == ev.groups[u]))
    if bool(ev.quota_dropped[draw, u]):
        trace.add(
            say.step("quota"),
            say(
                f"dropped by a quota to {grades[final].zh} (group {group_name}, {group_size} units)",
                f"超出比例限制，降为{grades[final].zh}（{_group(ev, u, say)}，共 {group_size} 个单位）",
                f"dropped by a quota to {grades[final].english()} ({_group(ev, u, say)}, {group_size} units)",
            ),
        )
    elif g.quotas and not (ev.rules.pushed_down is not None and bool(ev.rules.pushed_down[draw, u])):
        trace.add(say.step("quota"), say("within the quota", "未超出比例限制", "within the quota"))
    for line in gt.count_lines(ev, u, draw, say, _group(ev, u, say)):
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
    for line in gt.vetoed_rank_line(ev, u, draw, say):
        trace.add(say.step("result"), line)
    place = int(ev.rank[draw, u]) if ev.rank is not None else None
    for line in gt.top_list_lines(ev, u, draw, say, place):
        trace.add(say.step("result"), line)


def _rank_text(ev: Evaluation, u: int, draw: int, say: _Say) -> str:
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
        f"；{_group(ev, u, say)}排名第 {place}（{ties.zh}）",
        f"; rank {place} {_group(ev, u, say)} ({ties.english()})",
    )


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
            return f"预算{'增加' if p > 0 else '调减'} {_num(abs(p))}%"
        return f"budget {'+' if p > 0 else '-'}{_num(abs(p))}%"
    amount = change.absolute or 0.0
    if amount == 0:
        return "预算不变" if zh else "budget unchanged"
    if zh:
        return f"预算{'增加' if amount > 0 else '调减'} {_money(abs(amount), lang)}"
    return f"budget {'+' if amount > 0 else '-'}{_money(abs(amount), lang)}"


def _consequence_lines(trace: Trace, ev: Evaluation, u: int, draw: int, say: _Say) -> None:
    """Money and flags for one unit (first period, no history): which rule moved what."""
    from .consequences import apply_consequences
    from .money import to_yuan

    outcome, _ = apply_consequences(ev)
    rules = ev.compiled.scheme.consequences
    assert rules is not None
    d = min(draw, outcome.budget.shape[0] - 1)
    step = say.step("consequences")
    lang = say.lang

    def money(cents: np.integer | int) -> str:
        yuan = float(to_yuan(cents))
        return f"{yuan:,.2f}" if lang == "both" else _money(yuan, lang)

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
            released = money(outcome.released[d, u])
            why.append(
                say(
                    f"monitoring: stopped, {released} unspent to the pool; the project leaves",
                    f"双监控：停止执行，未支出的 {released} 收回统筹，项目退出",
                    f"monitoring: stopped, {released} unspent returned to the pool; the project leaves",
                )
            )
        elif outcome.suspended[d, u]:
            released = money(outcome.released[d, u])
            why.append(
                say(
                    f"monitoring: suspended, {released} unspent to the pool; resumes once the trigger clears",
                    f"双监控：暂缓执行，未支出的 {released} 收回统筹，问题消除后恢复执行",
                    f"monitoring: suspended, {released} unspent withheld to the pool; resumes once the trigger clears",
                )
            )
        elif outcome.released[d, u]:
            released = money(outcome.released[d, u])
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
            received = money(outcome.received[d, u])
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
            claim, share = money(outcome.claim[d, u]), money(abs(int(outcome.scaled[d, u])))
            envelope = money(outcome.envelope[d])
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
        budget, nxt = money(outcome.budget[d, u]), money(outcome.next_budget[d, u])
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
            trace.add(step, ct.grade_pay_line(ev, rules.pay.by_grade, u, d, paid, say, _money))
            continue
        trace.add(
            step,
            say(
                f"pay {name}: {paid:,.2f} yuan",
                f"{pay.zh}：{_money(paid, 'zh')}",
                f"{pay.english()}: {_money(paid, 'en')}",
            ),
        )
    for rule in rules.rank_rewards:
        result = outcome.rank_rewards[rule.id]
        trace.add(step, ct.rank_line(ev, rule, result, u, d, say, _money, _group(ev, u, say)))
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
