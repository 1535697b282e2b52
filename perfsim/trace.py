"""The per-unit trace: how one unit's total, grade and rank came about, every number traced to its rule.

:func:`explain` walks the evaluation in order: indicators, sections, adjustments, clamp, rounding,
vetoes and the total here; bands to result in :mod:`perfsim.grade_trace`; budget, pay and flags in
:mod:`perfsim.consequence_trace`. The words come from :mod:`perfsim.trace_words` (language, numbers,
money) and :mod:`perfsim.scoring_words` (scoring methods).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from . import grade_trace as gt
from . import scheme as s
from . import scoring_words
from .compile import CompiledClass
from .consequence_trace import consequence_lines
from .engine import Evaluation
from .errors import PerfsimError
from .leaf_inputs import filled_by_mean, missing_cells
from .trace_words import PICK, Say, fmt, num, pct, pts, quoted
from .units_of_units import roll_up

LANGS = ("zh", "en", "both")
"""Languages of a trace: Chinese, English, or both side by side (the command line's default)."""

_INPUTS = {"value": s.Label(zh="值", en="value"), "count": s.Label(zh="计数", en="count")}
_INPUTS["standard"] = s.Label(zh="标准值", en="standard")


def veto_flags(ev: Evaluation, draw: int) -> np.ndarray:
    """Units × veto items as used in one draw."""
    flags = ev.veto_flags
    return flags if flags.ndim == 2 else flags[min(draw, flags.shape[0] - 1)]


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


def _tree_lines(trace: Trace, ev: Evaluation, cc: CompiledClass, ci: int, u: int, draw: int, say: Say) -> None:
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
            shown = ", ".join(f"{k}={v if isinstance(v, str) else fmt(v)}" for k, v in raw.items())
            period = f"@{col.period}" if col.period else ""
            trace.add(
                say.step("indicators"),
                f"{ind.id}{period} {ind.name.both()}: {shown} → "
                f"{scoring_words.describe(ind.method, ind.direction)} → {fmt(earned)} of full points{state}",
            )
            continue
        words = {inp: say.label(_INPUTS.get(inp, s.Label(zh=inp, en=inp))) for inp in raw}
        shown = say(
            "",
            "，".join(f"{words[i]}「{v}」" if isinstance(v, str) else f"{words[i]} {num(v)}" for i, v in raw.items()),
            ", ".join(f'{words[i]} "{v}"' if isinstance(v, str) else f"{words[i]} {num(v)}" for i, v in raw.items()),
        )
        p = _period(scheme, col.period) if col.period else None
        name = (
            say("", f"{ind.name.zh}（{p.zh}）", f"{ind.name.english(ind.id)} ({p.english()})")
            if p
            else say.label(ind.name, ind.id)
        )
        how = scoring_words.describe_in(ind.method, ind.direction, say)
        trace.add(
            say.step("indicators"),
            say(
                "",
                f"{name}：{shown} → {how} → 得满分的 {pct(earned)}{state}（数据列 {cell}）",
                f"{name}: {shown} → {how} → {pct(earned)} of full points{state} (data column {cell})",
            ),
        )
    flags = veto_flags(ev, draw)
    vetoes = ev.compiled.vetoes
    vetoed_leaves = {leaf: [vetoes[v] for v in vs if flags[u, v]] for leaf, vs in cc.leaf_vetoes.items()}
    for node in range(1, len(cc.ids)):
        ind = cc.indicators[node]
        assert ind is not None
        indent = "  " * (int(cc.depth[node]) - 1)
        got, full = score(node), float(cc.nominal_points[node])
        text = say(
            f"{indent}{ind.id} {ind.name.zh}: {fmt(got)} of {fmt(full)} points",
            f"{indent}{ind.name.zh}：{num(got)} 分（满分 {num(full)} 分",
            f"{indent}{ind.name.english(ind.id)}: {num(got)} of {pts(full)}",
        )
        if node in detail.before_conversion:
            before = detail.before_conversion[node]
            sub = float(before[min(draw, before.shape[0] - 1), pos]) * 100
            conv = cc.conversions[node]
            band = int(conv.band_index(np.array([round(sub, 9)]))[0])
            label = conv.labels[band] if band < len(conv.labels) else None
            if label is not None:
                band_zh, band_en = f"落入「{label.zh}」档", f'band "{label.english()}"'
            elif band < len(conv.labels):
                band_zh, band_en = f"落入第 {band + 1} 档", f"band {band + 1}"
            else:
                band_zh, band_en = "低于所有档次", "below every band"
            both_name = f"{label.both()}" if label else "below every band"
            text += say(
                f" (sub-score {fmt(sub)}% → band {both_name} → pick {conv.pick})",
                f"；得分率 {num(sub)}% {band_zh}，{PICK[conv.pick].zh}",
                f" (sub-score {num(sub)}% → {band_en} → {PICK[conv.pick].english()})",
            )
        if say.lang == "zh":
            text += "）"
        if vetoed_leaves.get(node):
            hit = vetoed_leaves[node]
            text += say(
                f" — zeroed by veto {', '.join(v.id for v in hit)}",
                f"——因一票否决{'、'.join(f'「{v.name.zh}」' for v in hit)}记 0 分",
                f" — zeroed by the veto {quoted(v.name.english(v.id) for v in hit)}",
            )
        if node in cc.section_vetoes:
            hit = [vetoes[v] for v in cc.section_vetoes[node] if flags[u, v]]
            if hit:
                text += say(
                    f" — section zeroed by veto {', '.join(v.id for v in hit)}",
                    f"——因一票否决{'、'.join(f'「{v.name.zh}」' for v in hit)}本分项记 0 分",
                    f" — section zeroed by the veto {quoted(v.name.english(v.id) for v in hit)}",
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
    say = Say(lang)
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
            f"weighted sum 加权合计: {fmt(weighted)} of {fmt(full)}"
            + (f" (rescaled to the points that apply; 不适用: {', '.join(na)})" if na else ""),
            f"加权合计：{num(weighted)} 分（满分 {num(full)} 分"
            + (f"；按适用指标的分值折算，不适用：{'、'.join(na_words)}" if na else "")
            + "）",
            f"weighted sum: {num(weighted)} of {num(full)}"
            + (f" (rescaled to the points that apply; not applicable: {', '.join(na_words)})" if na else ""),
        ),
    )
    if scheme.adjustments is not None:
        _adjustment_lines(trace, ev, u, at, say)
    lo, hi = scheme.clamp.min, scheme.class_clamp_max(cc.id)
    clamped = bool(np.asarray(ev.clamped)[min(draw, ev.clamped.shape[0] - 1), u])
    lo_text, hi_text = (fmt(lo) if lo is not None else "-∞"), (fmt(hi) if hi is not None else "∞")
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
    hits = [v for j, v in enumerate(compiled.vetoes) if veto_flags(ev, draw)[u, j]]
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
    percent = round(total * 100 / full, 9)
    trace.add(
        say.step("total"),
        say(
            f"total 总分 {fmt(total)} = {fmt(percent)}% of {fmt(full)}",
            f"总分 {num(total)} 分，为满分 {num(full)} 分的 {num(percent)}%",
            f"total {num(total)} points, {num(percent)}% of the full {num(full)}",
        ),
    )
    gt.grade_lines(trace, ev, u, draw, hits, say)
    parent = roll_up(ev)
    if parent is not None:
        words = scoring_words.parent_line(parent, u, draw)
        trace.add(say.step("result"), say(words.both(), words.zh, words.english()))
    if scheme.consequences is not None:
        consequence_lines(trace, ev, u, draw, say)
    return trace


def _adjustment_lines(trace: Trace, ev: Evaluation, u: int, at: Callable[[np.ndarray], float], say: Say) -> None:
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
            cap = f", item cap {fmt(item.cap)}" if item.cap is not None else ""
            per = f" × {fmt(item.per_event)} per event" if item.per_event else ""
            text = f"{item.id} {item.name.zh} ({item.kind}): {fmt(given)}{per} = {fmt(amount)}{cap} → {fmt(final)}"
        else:
            calc = say(
                "",
                f"{num(given)} 次 × 每次 {num(item.per_event)} 分 = {num(amount)} 分"
                if item.per_event
                else f"{num(amount)} 分",
                f"{num(given)} × {pts(item.per_event)} per event = {pts(amount)}" if item.per_event else pts(amount),
            )
            cap = (
                say("", f"，单项上限 {num(item.cap)} 分", f", item cap {num(item.cap)}") if item.cap is not None else ""
            )
            text = say(
                "",
                f"{item.name.zh}（{kind}）：{calc}{cap} → 计 {num(final)} 分",
                f"{item.name.english(item.id)} ({kind}): {calc}{cap} → {num(final)}",
            )
        trace.add(say.step("adjustments"), text)
    bonus = at(np.broadcast_to(ev.bonus, ev.total.shape))
    deduction = at(np.broadcast_to(ev.deduction, ev.total.shape))
    bonus_cap = "" if adj.bonus_cap is None else fmt(adj.bonus_cap)
    deduction_cap = "" if adj.deduction_cap is None else fmt(adj.deduction_cap)
    after = adj.apply == "after_clamp"
    trace.add(
        say.step("adjustments"),
        say(
            f"bonus 加分 {fmt(bonus)}{f' (total cap {bonus_cap})' if bonus_cap else ''}; deduction 扣分 "
            f"{fmt(deduction)}{f' (total cap {deduction_cap})' if deduction_cap else ''}; "
            f"applied {adj.apply.replace('_', ' ')}",
            f"加分合计 {num(bonus)} 分{f'（上限 {bonus_cap} 分）' if bonus_cap else ''}；扣分合计 "
            f"{num(deduction)} 分{f'（上限 {deduction_cap} 分）' if deduction_cap else ''}；"
            f"{'限幅后' if after else '限幅前'}计入",
            f"bonus points {num(bonus)}{f' (total cap {bonus_cap})' if bonus_cap else ''}; deductions "
            f"{num(deduction)}{f' (total cap {deduction_cap})' if deduction_cap else ''}; "
            f"applied {'after' if after else 'before'} the clamp",
        ),
    )
