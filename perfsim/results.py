"""Tidy results and per-unit traces: every number traced to the rule that produced it."""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from . import scheme as s
from .compile import CompiledClass
from .engine import Evaluation
from .errors import PerfsimError

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
        band_grade, rank, vetoes, quota_dropped, clamped``.
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
            "percent": np.round(total * 100.0 / compiled.scheme.total, 9),
            "grade": [grades[g].zh for g in pick(ev.grade)],
            "grade_en": [grades[g].en for g in pick(ev.grade)],
            "band_grade": [grades[g].zh for g in pick(ev.band_grade)],
            "rank": pick(ev.rank) if ev.rank is not None else np.full(n, -1),
            "vetoes": [";".join(v.id for j, v in enumerate(compiled.vetoes) if flags[u, j]) for u in range(n)],
            "quota_dropped": pick(ev.quota_dropped),
            "clamped": pick(ev.clamped),
        }
    )
    return pd.DataFrame(out)


def _veto_flags(ev: Evaluation, draw: int) -> np.ndarray:
    """Units × veto items as used in one draw."""
    flags = ev.veto_flags
    return flags if flags.ndim == 2 else flags[min(draw, flags.shape[0] - 1)]


@dataclass
class Trace:
    """How one unit's total, grade and rank came about, step by step."""

    unit: str
    lines: list[tuple[str, str]] = field(default_factory=list)
    """(step, text) pairs in order of the evaluation."""

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


def _describe(method: s.Method, direction: str) -> str:
    params = method.model_dump(exclude={"method"})
    shown = ", ".join(f"{k}={v}" for k, v in params.items() if k not in ("bands", "map", "tiers"))
    extra = " (lower is better)" if direction == "lower" else ""
    return f"{method.method}({shown}){extra}" if shown else f"{method.method}{extra}"


def _tree_lines(trace: Trace, ev: Evaluation, cc: CompiledClass, ci: int, u: int, draw: int) -> None:
    detail = ev.details[ci]
    assert detail is not None
    pos = int(np.flatnonzero(detail.units == u)[0])
    data = ev.data

    def score(node: int) -> float:
        arr = detail.scores[node]
        return float(arr[min(draw, arr.shape[0] - 1), pos])

    for k, col in enumerate(cc.columns):
        ind = cc.indicators[col.leaf]
        assert ind is not None and ind.method is not None
        raw = {inp: data.values[name][u] for inp, name in col.data_columns.items()}
        cell = col.data_columns["value"]
        state = ""
        if data.not_applicable[cell][u]:
            state = " — 不适用 not applicable"
        elif data.missing[cell][u]:
            state = " — missing, scored 0 (missing_values: zero)"
        if isinstance(ind.method, s.CategoryLookup):
            raw["value"] = list(ind.method.map)[int(raw["value"])]  # type: ignore[assignment]
        shown = ", ".join(f"{k}={v if isinstance(v, str) else _fmt(v)}" for k, v in raw.items())
        period = f"@{col.period}" if col.period else ""
        frac = np.atleast_2d(detail.columns[k])
        earned = float(frac[min(draw, frac.shape[0] - 1), pos])
        trace.add(
            "1 indicators 指标得分",
            f"{ind.id}{period} {ind.name.zh} / {ind.name.en}: {shown} → "
            f"{_describe(ind.method, ind.direction)} → {_fmt(earned)} of full points{state}",
        )
    vetoed_leaves = {
        leaf: [ev.compiled.vetoes[v].id for v in vs if _veto_flags(ev, draw)[u, v]]
        for leaf, vs in cc.leaf_vetoes.items()
    }
    for node in range(1, len(cc.ids)):
        ind = cc.indicators[node]
        assert ind is not None
        indent = "  " * (int(cc.depth[node]) - 1)
        text = f"{indent}{ind.id} {ind.name.zh}: {_fmt(score(node))} of {_fmt(float(cc.nominal_points[node]))} points"
        if node in detail.before_conversion:
            before = detail.before_conversion[node]
            pct = float(before[min(draw, before.shape[0] - 1), pos]) * 100
            conv = cc.conversions[node]
            band = int(conv.band_index(np.array([round(pct, 9)]))[0])
            label = conv.labels[band] if band < len(conv.labels) else None
            name = f"{label.zh} {label.en}" if label else "below every band"
            text += f" (sub-score {_fmt(pct)}% → band {name} → pick {conv.pick})"
        if vetoed_leaves.get(node):
            text += f" — zeroed by veto {', '.join(map(str, vetoed_leaves[node]))}"
        if node in cc.section_vetoes:
            hit = [ev.compiled.vetoes[v].id for v in cc.section_vetoes[node] if _veto_flags(ev, draw)[u, v]]
            if hit:
                text += f" — section zeroed by veto {', '.join(hit)}"
        trace.add("2 sections 分项汇总", text)


def explain(evaluation: Evaluation, unit: str, draw: int = 0) -> Trace:
    """Trace how one unit's total, grade and rank were reached.

    Parameters
    ----------
    evaluation
        From :func:`perfsim.evaluate` with ``detail=True``.
    unit
        The unit id.
    draw
        Which parameter draw.

    Returns
    -------
    Trace
        Printable; ``.frame()`` gives the steps as a table.
    """
    ev, compiled, data = evaluation, evaluation.compiled, evaluation.data
    scheme = compiled.scheme
    u = data.unit_position(unit)
    ci = int(data.class_index[u])
    cc = compiled.classes[ci]
    if ev.details[ci] is None:
        raise PerfsimError("this evaluation kept no section scores", hint="evaluate with detail=True to explain")
    trace = Trace(unit)

    def at(arr: np.ndarray) -> float:
        return float(np.asarray(arr)[min(draw, arr.shape[0] - 1), u])

    trace.add(
        "0 unit 单位",
        f"{unit} {data.names[u]} — class {cc.id} ({cc.label.zh} / {cc.label.en}); scheme {scheme.id} v{scheme.version}",
    )
    _tree_lines(trace, ev, cc, ci, u, draw)
    weighted = at(ev.weighted)
    na = [name for name, mask in data.not_applicable.items() if mask[u]]
    note = f" (rescaled to the points that apply; 不适用: {', '.join(na)})" if na else ""
    trace.add("2 sections 分项汇总", f"weighted sum 加权合计: {_fmt(weighted)} of {_fmt(scheme.total)}{note}")
    if scheme.adjustments is not None:
        for j, item in enumerate(compiled.adjustment_items):
            given = data.adjustments[u, j]
            if given == 0:
                continue
            amount = given * (item.per_event or 1.0)
            cap = f", item cap {_fmt(item.cap)}" if item.cap is not None else ""
            per = f" × {_fmt(item.per_event)} per event" if item.per_event else ""
            trace.add(
                "3 adjustments 加减分",
                f"{item.id} {item.name.zh} ({item.kind}): {_fmt(given)}{per} = "
                f"{_fmt(amount)}{cap} → {_fmt(min(amount, item.cap) if item.cap is not None else amount)}",
            )
        adj = scheme.adjustments
        trace.add(
            "3 adjustments 加减分",
            f"bonus 加分 {_fmt(at(np.broadcast_to(ev.bonus, ev.total.shape)))}"
            f"{f' (total cap {_fmt(adj.bonus_cap)})' if adj.bonus_cap is not None else ''}; deduction 扣分 "
            f"{_fmt(at(np.broadcast_to(ev.deduction, ev.total.shape)))}"
            f"{f' (total cap {_fmt(adj.deduction_cap)})' if adj.deduction_cap is not None else ''}; "
            f"applied {adj.apply.replace('_', ' ')}",
        )
    lo, hi = scheme.clamp.min, scheme.clamp_max
    clamp_note = " — clamped" if bool(np.asarray(ev.clamped)[min(draw, ev.clamped.shape[0] - 1), u]) else ""
    trace.add(
        "4 clamp 限幅",
        f"range [{_fmt(lo) if lo is not None else '-∞'}, {_fmt(hi) if hi is not None else '∞'}]{clamp_note}",
    )
    rounding = scheme.rounding.total
    trace.add(
        "5 round 取舍",
        f"total rounded half-up to {rounding} decimals"
        if rounding is not None
        else "no rounding stated (binary noise below 1e-9 removed)",
    )
    total = at(ev.total)
    hits = [v for j, v in enumerate(compiled.vetoes) if _veto_flags(ev, draw)[u, j]]
    for veto in hits:
        effect = {
            "total": "total set to 0",
            "grade_lowest": f"grade forced to {compiled.grades[compiled.lowest].zh}",
            "indicator": f"indicator {veto.target} zeroed",
            "section": f"section {veto.target} zeroed",
        }
        trace.add("6 veto 一票否决", f"{veto.id} {veto.name.zh} / {veto.name.en}: {effect[veto.scope]}")
    pct = total * 100 / scheme.total
    trace.add("6 total 总分", f"total 总分 {_fmt(total)} = {_fmt(round(pct, 9))}% of {_fmt(scheme.total)}")
    g = scheme.grading
    band = int(np.asarray(ev.band_grade)[min(draw, ev.band_grade.shape[0] - 1), u])
    final = int(ev.grade[draw, u])
    if g.bands is not None:
        cut = ev.cutoffs[min(draw, ev.cutoffs.shape[0] - 1)]
        row = g.bands[band]
        unit_word = "%" if g.basis == "percent" else " points"
        scale = 100.0 / scheme.total if g.basis == "percent" else 1.0
        lower = (
            f"{'≥' if row.min_inclusive else '>'} {_fmt(cut[band] * scale)}{unit_word}"
            if band < len(cut)
            else "below every cut-off"
        )
        upper = (
            f", {'<' if g.bands[band - 1].min_inclusive else '≤'} {_fmt(cut[band - 1] * scale)}{unit_word}"
            if band > 0
            else ""
        )
        trace.add("7 bands 等次", f"{row.grade.zh} {row.grade.en}: {lower}{upper}")
    if compiled.not_assessed(data)[u]:
        rule = g.not_assessed
        assert rule is not None
        trace.add(
            "8 not assessed 不参加考核",
            f"{rule.attribute} = {data.attributes[rule.attribute][u]}: scored, "
            f"not graded or ranked ({rule.label.zh} / {rule.label.en})",
        )
    for veto in hits:
        if veto.scope == "grade_lowest":
            trace.add(
                "8 veto 一票否决",
                f"grade forced to {compiled.grades[compiled.lowest].zh} ({g.veto_timing.replace('_', ' ')})",
            )
    if bool(ev.quota_dropped[draw, u]):
        trace.add(
            "9 quota 比例控制",
            f"dropped by a quota to {compiled.grades[final].zh} (group "
            f"{ev.group_names[ev.groups[u]]}, {int(np.sum(ev.groups == ev.groups[u]))} units)",
        )
    elif g.quotas:
        trace.add("9 quota 比例控制", "within the quota")
    rank = ev.rank
    rank_text = (
        f"; rank {int(rank[draw, u])} in group {ev.group_names[ev.groups[u]]} ({g.ranking.ties})"
        if rank is not None
        else ""
    )
    trace.add("10 result 结果", f"grade 等次 {compiled.grades[final].zh} / {compiled.grades[final].en}{rank_text}")
    if scheme.consequences is not None:
        _consequence_lines(trace, ev, u, draw)
    return trace


def _consequence_lines(trace: Trace, ev: Evaluation, u: int, draw: int) -> None:
    """Money and flags for one unit (first period, no history): which rule moved what."""
    from .consequences import apply_consequences
    from .money import to_yuan

    outcome, _ = apply_consequences(ev)
    rules = ev.compiled.scheme.consequences
    assert rules is not None
    d = min(draw, outcome.budget.shape[0] - 1)
    step = "11 consequences 结果运用"
    if rules.budget is not None:
        budget, nxt = to_yuan(outcome.budget[d, u]), to_yuan(outcome.next_budget[d, u])
        why = []
        if outcome.gated[d, u]:
            why.append("gate failed → no budget" + (" (left out of the request)" if outcome.excluded[d, u] else ""))
        if outcome.suspended[d, u]:
            why.append(f"monitoring: suspended, {to_yuan(outcome.released[d, u]):,.2f} unspent to the pool")
        elif outcome.released[d, u]:
            why.append(f"mid-year adjustment: {to_yuan(outcome.released[d, u]):,.2f} to the pool")
        if outcome.ladder_step[d, u]:
            assert rules.budget.ladder is not None
            rung = rules.budget.ladder.steps[int(outcome.ladder_step[d, u]) - 1]
            why.append(f"ladder step {int(outcome.ladder_step[d, u])}: {rung.name.zh} {rung.name.en}")
        grade = ev.compiled.grades[int(ev.grade[draw, u])].zh
        change = rules.budget.by_grade.get(grade)
        if change is not None and not why:
            stance = f" ({change.stance.zh} {change.stance.en})" if change.stance else ""
            amount = (
                "to zero"
                if change.to_zero
                else (f"{change.percent:+g}%" if change.percent is not None else f"{change.absolute:+,.2f} yuan")
            )
            why.append(f"grade {grade}: {amount}{stance}")
        if outcome.received[d, u]:
            why.append(f"received {to_yuan(outcome.received[d, u]):,.2f} from the pool")
        trace.add(
            step,
            f"budget 预算 {budget:,.2f} → next year 下年 {nxt:,.2f}: {'; '.join(why) if why else 'no rule applies'}",
        )
    for name, amounts in outcome.pay.items():
        trace.add(step, f"pay {name}: {float(amounts[d, u]):,.2f} yuan")
    raised = [f for f in rules.flags if outcome.flags.get(f.id) is not None and outcome.flags[f.id][d, u]]
    for flag in raised:
        effect = f" — {flag.effect}" if flag.effect else ""
        trace.add(step, f"flag {flag.id}: {flag.name.zh} / {flag.name.en}{effect}")
    if rules.flags and not raised:
        trace.add(step, "no flag raised (rules needing several periods are traced in simulations)")
