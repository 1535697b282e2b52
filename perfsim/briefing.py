"""Briefing notes (简报): what a director reads, in one language, on one printable page.

:func:`note` computes the note's content from a scenario (optionally a variant of it, or
against a baseline scenario) as plain data in the note's language; :func:`note_html` renders
it through the autoescaped ``note.html.j2`` template. The first screen answers three
questions in order: what changed, what it costs (net, in 万元, budgets and pay), who moves.
:mod:`perfsim.publish` runs the briefing notebook that displays it and exports HTML and PDF.
"""

from __future__ import annotations

import time
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from . import __version__
from .analysis.compare import Comparison, compare
from .analysis.metrics import money
from .analysis.montecarlo import weight_monte_carlo
from .analysis.thresholds import near_cutoffs
from .charts import grade_counts_chart, to_svg
from .compile import CompiledScheme, compile_scheme
from .engine import Evaluation, evaluate
from .labels import check_lang, cjk_characters, english_words, grade_names, parameter_words, percent, pick, signed, wan
from .labels import money as money_text
from .models import Label
from .note_words import TEXT
from .outputs import markup, render_html
from .results import explain
from .scenario import Scenario
from .variant import scheme_with

LEAD_ROWS = 8
TABLE_ROWS = 25


@dataclass
class Table:
    """A table as the template shows it: headers and rows of text, numeric columns right-aligned."""

    headers: list[str]
    rows: list[list[str]]
    numeric: list[bool]
    more: int = 0

    @staticmethod
    def of(frame: pd.DataFrame, numeric: list[str] | None = None, limit: int | None = None) -> Table:
        shown = frame if limit is None else frame.head(limit)
        num = set(numeric or [])
        return Table(
            [str(c) for c in shown.columns],
            [["" if v is None else str(v) for v in row] for row in shown.itertuples(index=False)],
            [c in num for c in shown.columns],
            more=len(frame) - len(shown),
        )


@dataclass
class Note:
    """Everything a briefing note says, in its language; money in yuan where it is a number."""

    lang: str
    words: dict[str, str]
    title: str
    meta: str
    changes: list[str]
    change_intro: str
    cost_lines: list[dict[str, Any]]
    cost_table: Table | None
    moves_table: Table
    moves_line: str
    groups_table: Table | None
    lead_extra: tuple[str, Table | None, str] | None
    chart_svg: str
    changed_units: Table | None
    sensitivity: list[tuple[str, Table | None, str]]
    defaults: Table | None
    levers: Table | None
    trace: str
    notices: list[str] = field(default_factory=list)
    solution: Any = None


# ---------------------------------------------------------------- one language per note


class _Texts:
    """Picks a text in the note's language; a text that exists only in the other is left out, once noted."""

    def __init__(self, lang: str) -> None:
        self.lang = lang
        self.missing = False

    def __call__(self, value: Label | str | None) -> str:
        if value is None:
            return ""
        if isinstance(value, Label):
            return pick(value, self.lang)
        foreign = english_words(value) if self.lang == "zh" else cjk_characters(value)
        if foreign:
            self.missing = True
            return ""
        return value


# ---------------------------------------------------------------- the note's parts


def _change_lines(compiled: CompiledScheme, params: Mapping[str, float], lang: str) -> list[str]:
    lines = []
    for name, value in params.items():
        words = parameter_words(compiled, name, lang)
        lines.append(words.change(compiled.parameters[name].nominal, float(value)))
    return lines


def scheme_differences(baseline: CompiledScheme, reform: CompiledScheme, lang: str) -> list[str]:
    """What differs between two schemes, in words: parameters with old → new, and rules added or changed."""
    lines = []
    for p in reform.parameters:
        if p.name in baseline.parameters and not np.isclose(baseline.parameters[p.name].nominal, p.nominal):
            lines.append(parameter_words(reform, p.name, lang).change(baseline.parameters[p.name].nominal, p.nominal))
    only_new = [p.name for p in reform.parameters if p.name not in baseline.parameters]
    only_old = [p.name for p in baseline.parameters if p.name not in reform.parameters]
    for name in only_new:
        words = parameter_words(reform, name, lang)
        new = words.value(reform.parameters[name].nominal)
        lines.append(f"新增：{words.name} {new}" if lang == "zh" else f"added: {words.name} {new}")
    for name in only_old:
        words = parameter_words(baseline, name, lang)
        lines.append(f"取消：{words.name}" if lang == "zh" else f"removed: {words.name}")
    b_rules, r_rules = baseline.scheme.consequences, reform.scheme.consequences
    for part, zh, en in (("budget", "预算规则", "budget rules"), ("pay", "绩效工资规则", "pay rules")):
        b = getattr(b_rules, part, None) if b_rules else None
        r = getattr(r_rules, part, None) if r_rules else None
        b_dump = b.model_dump(exclude={"by_grade"}) if b is not None and part == "budget" else b
        r_dump = r.model_dump(exclude={"by_grade"}) if r is not None and part == "budget" else r
        if b_dump != r_dump:
            lines.append(f"{zh}不同" if lang == "zh" else f"{en} differ")
    b_flags = [f.id for f in b_rules.flags] if b_rules else []
    r_flags = [f.id for f in r_rules.flags] if r_rules else []
    if b_flags != r_flags:
        lines.append("标志规则不同" if lang == "zh" else "flag rules differ")
    return lines


def _fen(yuan: float) -> int:
    return int(round(yuan * 100))


def _cost_line(label: str, yuan: float, base: float | None, base_label: str, lang: str) -> dict[str, Any]:
    pct = percent(yuan / base, signed_=True) if base else ""
    # Chinese puts the base first (占绩效工资总额 +20.2%), English after (+20.2% of all performance pay)
    share = (f"{base_label} {pct}" if lang == "zh" else f"{pct} {base_label}") if base else ""
    return {"label": label, "value": money_text(yuan, lang, signed=True), "fen": _fen(yuan), "share": share}


def _groups(ev: Evaluation, lang: str) -> tuple[np.ndarray, list[str]] | None:
    """Units' groups for winners and losers: classes, else the scheme's ``group_by`` attribute."""
    compiled = ev.compiled
    if compiled.multi_class:
        return ev.data.class_index, [pick(c.label, lang) for c in compiled.classes]
    by = compiled.scheme.grading.group_by
    if by is not None and by != "class":
        return ev.groups, list(ev.group_names)
    return None


def _grade_counts(ev: Evaluation, n_grades: int) -> np.ndarray:
    return np.bincount(ev.grade[0].astype(np.int64), minlength=n_grades)


def _rank_int(x: float) -> str:
    return "" if not np.isfinite(x) else f"{int(round(x))}"


def _near_table(ev: Evaluation, t: dict[str, str], grades: list[str], names: dict[str, str]) -> Table | None:
    near = near_cutoffs(ev, 1.0)
    if not len(near):
        return None
    zh_to = {g.zh: grades[i] for i, g in enumerate(ev.compiled.grades)}
    frame = pd.DataFrame(
        {
            t["unit"]: near["unit"],
            t["name"]: [names.get(u, "") for u in near["unit"]],
            t["total"]: [f"{x:,.2f}" for x in near["total"]],
            t["cutoff"]: [f"{zh_to.get(g, g)} {c:g}" for g, c in zip(near["cutoff grade"], near["cutoff"])],
            t["distance"]: [f"{d:+.2f}".replace("-", "−") for d in near["distance"]],
        }
    )
    return Table.of(frame, [t["total"], t["distance"]], limit=TABLE_ROWS)


def _boundary_table(ev: Evaluation, t: dict[str, str], grades: list[str], names: dict[str, str]) -> Table | None:
    """Rank-tier schemes: the last unit of each tier and the first of the next, with the points between them."""
    total, grade = ev.total[0], ev.grade[0].astype(np.int64)
    rows = []
    for g in np.unique(ev.groups):
        members = np.flatnonzero(ev.groups == g)
        order = members[np.argsort(-total[members], kind="stable")]
        for a, b in zip(order[:-1], order[1:]):
            if grade[a] != grade[b] and grade[a] < len(grades) and grade[b] < len(grades):
                gap = total[a] - total[b]
                for u, other in ((a, b), (b, a)):
                    rows.append((gap, ev.data.units[u], grades[grade[u]], total[u], grades[grade[other]]))
    if not rows:
        return None
    rows.sort(key=lambda r: r[0])
    frame = pd.DataFrame(
        {
            t["unit"]: [r[1] for r in rows],
            t["name"]: [names.get(r[1], "") for r in rows],
            t["grade"]: [r[2] for r in rows],
            t["total"]: [f"{r[3]:,.2f}" for r in rows],
            t["gap"]: [f"{r[0]:.2f}" for r in rows],
        }
    )
    return Table.of(frame, [t["total"], t["gap"]], limit=TABLE_ROWS)


def _margins(
    ev: Evaluation, t: dict[str, str], grades: list[str], names: dict[str, str]
) -> tuple[str, Table | None, str]:
    if ev.compiled.scheme.grading.rank_tiers is not None:
        return (t["boundary"], _boundary_table(ev, t, grades, names), t["none_boundary"])
    return (t["near"], _near_table(ev, t, grades, names), t["none_near"])


def _unstable(
    compiled: CompiledScheme, data: Any, t: dict[str, str], grades: list[str], names: dict[str, str]
) -> Table | None:
    mc = weight_monte_carlo(compiled, data, 100, seed=0)
    probs = mc.grade_probabilities.to_numpy()
    likely, certainty = probs.argmax(axis=1), probs.max(axis=1)
    keep = np.flatnonzero(certainty < 0.9)
    if not len(keep):
        return None
    keep = keep[np.argsort(certainty[keep], kind="stable")]
    ranks = mc.rank_intervals
    units = [data.units[i] for i in keep]
    frame = pd.DataFrame(
        {
            t["unit"]: units,
            t["name"]: [names.get(u, "") for u in units],
            t["likely"]: [grades[g] for g in likely[keep]],
            t["probability"]: [percent(c, decimals=0) for c in certainty[keep]],
            t["rank_range"]: [
                f"{_rank_int(ranks['rank p5'].iloc[i])}–{_rank_int(ranks['rank p95'].iloc[i])}" for i in keep
            ],
        }
    )
    return Table.of(frame, [t["probability"]], limit=15)


def _cost_alone(ev: Evaluation, lang: str, t: dict[str, str], grades: list[str]) -> tuple[list[dict], Table | None]:
    m = money(ev)
    lines = []
    g = ev.grade[0].astype(np.int64)
    table: dict[str, Any] = {}
    change = m.budget_change
    if change is not None:
        assert m.budget is not None
        lines.append(
            _cost_line(t["budget_alone"], float(change[0].sum()), float(m.budget[0].sum()), t["of_budget"], lang)
        )
        table[t["budget_by_grade"]] = np.bincount(g, weights=change[0], minlength=len(grades))
    pay = m.pay_total
    if pay is not None:
        line = _cost_line(t["pay_alone"], float(pay[0].sum()), None, "", lang)
        line["value"] = money_text(float(pay[0].sum()), lang)
        lines.append(line)
        table[t["pay_by_grade"]] = np.bincount(g, weights=pay[0], minlength=len(grades))
    if not table:
        return lines, None
    counts = _grade_counts(ev, len(grades))
    frame = pd.DataFrame(
        {
            t["grade"]: grades,
            t["units"]: counts[: len(grades)],
            t["share"]: [percent(c / max(len(ev.data), 1), decimals=0) for c in counts[: len(grades)]],
            **{k: [wan(x, signed=k == t["budget_by_grade"]) for x in v[: len(grades)]] for k, v in table.items()},
        }
    )
    return lines, Table.of(frame, [c for c in frame.columns if c != t["grade"]])


def cost_against(
    comparison: Comparison, ev: Evaluation, lang: str, t: dict[str, str], grades: list[str]
) -> tuple[list[dict], Table | None]:
    """The cost lines of a change (net budget and pay in 万元 with their shares, gross money moved) and the
    breakdown by grade: the same figures in briefing notes, the batch index and the explorer.

    ``comparison`` is :func:`perfsim.analysis.compare` of the baseline and ``ev``; ``t`` the note's words
    (:data:`perfsim.note_words.TEXT` ``[lang]``); ``grades`` the grade names in ``lang``. Each line is a dict
    with ``label``, ``value`` (text), ``fen`` (the exact amount) and ``share`` (text).
    """
    s = comparison.summary
    lines = []
    if "net budget change" in s:
        lines.append(
            _cost_line(t["net_budget"], s["net budget change"], s["baseline next budgets"], t["of_budget"], lang)
        )
    if "net pay change" in s:
        lines.append(_cost_line(t["net_pay"], s["net pay change"], s["baseline pay"], t["of_pay"], lang))
    if "gross budget moved" in s:
        gross = {
            "label": t["gross"],
            "value": money_text(s["gross budget moved"], lang),
            "fen": _fen(s["gross budget moved"]),
            "share": "",
        }
        lines.append(gross | {"gross": True})
        if s.get("reallocated"):
            lines.append(
                {
                    "label": t["reallocated"],
                    "value": money_text(s["reallocated"], lang),
                    "fen": _fen(s["reallocated"]),
                    "share": "",
                    "gross": True,
                }
            )
    units = comparison.units
    cols: dict[str, Any] = {}
    g = ev.grade[0].astype(np.int64)
    if "budget difference" in units:
        cols[t["budget_diff"]] = np.bincount(g, weights=units["budget difference"].to_numpy(), minlength=len(grades))
    if "pay difference" in units:
        cols[t["pay_diff"]] = np.bincount(g, weights=units["pay difference"].to_numpy(), minlength=len(grades))
    cols = {k: v for k, v in cols.items() if np.any(np.round(v, 2) != 0)}
    if not cols:
        return lines, None
    counts = _grade_counts(ev, len(grades))
    frame = pd.DataFrame(
        {
            t["grade"]: grades,
            t["units"]: counts[: len(grades)],
            **{k: [wan(x, signed=True) for x in v[: len(grades)]] for k, v in cols.items()},
        }
    )
    return lines, Table.of(frame, [c for c in frame.columns if c != t["grade"]])


def _moves(
    base_ev: Evaluation, ev: Evaluation, comparison: Comparison, t: dict[str, str], grades: list[str], lang: str
) -> tuple[Table, str, Table | None]:
    n = len(grades)
    b, r = _grade_counts(base_ev, n)[:n], _grade_counts(ev, n)[:n]
    frame = pd.DataFrame(
        {
            t["grade"]: grades,
            t["baseline"]: b,
            t["variant"]: r,
            t["change"]: [signed(x) for x in r - b],
        }
    )
    s = comparison.summary
    line = t["up_down"].format(int(s["up"]), int(s["down"]), int(s["units"] - s["up"] - s["down"]))
    groups = _groups(ev, lang)
    group_table = None
    if groups is not None:
        index, labels = groups
        units = comparison.units
        b_grade = np.array([grades.index(x) if x in grades else -1 for x in _local(units["baseline grade"], ev, lang)])
        r_grade = np.array([grades.index(x) if x in grades else -1 for x in _local(units["reform grade"], ev, lang)])
        order = np.array([ev.data.units.index(u) for u in units["unit"]])
        gi = np.asarray(index)[order]
        cols: dict[str, Any] = {
            t["group"]: labels,
            t["units"]: np.bincount(gi, minlength=len(labels)),
            t["up"]: np.bincount(gi, weights=(r_grade < b_grade), minlength=len(labels)).astype(int),
            t["down"]: np.bincount(gi, weights=(r_grade > b_grade), minlength=len(labels)).astype(int),
        }
        for key, column in (("budget_diff", "budget difference"), ("pay_diff", "pay difference")):
            if column in units:
                sums = np.bincount(gi, weights=units[column].to_numpy(), minlength=len(labels))
                if np.any(np.round(sums, 2) != 0):
                    cols[t[key]] = [wan(x, signed=True) for x in sums]
        group_table = Table.of(pd.DataFrame(cols), [c for c in cols if c != t["group"]])
    return Table.of(frame, [t["baseline"], t["variant"], t["change"]]), line, group_table


def _local(zh_grades: pd.Series, ev: Evaluation, lang: str) -> list[str]:
    """compare() names grades in Chinese (its ids); the note shows them in its language."""
    to = {g.zh: pick(g, lang) for g in ev.compiled.grades}
    return [to.get(x, x) for x in zh_grades]


def _changed_units(
    comparison: Comparison, ev: Evaluation, t: dict[str, str], names: dict[str, str], lang: str
) -> Table | None:
    changed = comparison.changed
    if not len(changed):
        return None
    changed = changed.assign(_order=changed["reform total"] - changed["baseline total"]).sort_values(
        "_order", ascending=False
    )
    frame = pd.DataFrame(
        {
            t["unit"]: changed["unit"],
            t["name"]: [names.get(u, "") for u in changed["unit"]],
            t["total"]: [f"{a:,.2f} → {b:,.2f}" for a, b in zip(changed["baseline total"], changed["reform total"])],
            t["grade"]: [
                f"{a} → {b}"
                for a, b in zip(_local(changed["baseline grade"], ev, lang), _local(changed["reform grade"], ev, lang))
            ],
        }
    )
    if changed["baseline rank"].notna().all():
        frame[t["rank"]] = [
            f"{_rank_int(a)} → {_rank_int(b)}" for a, b in zip(changed["baseline rank"], changed["reform rank"])
        ]
    for key, column in (("budget_diff", "budget difference"), ("pay_diff", "pay difference")):
        if column in changed and np.any(np.round(changed[column].to_numpy(), 2) != 0):
            frame[t[key]] = [wan(x, signed=True) for x in changed[column]]
    numeric = [c for c in frame.columns if c not in (t["unit"], t["name"], t["grade"])]
    return Table.of(frame, numeric, limit=TABLE_ROWS)


def _distribution(ev: Evaluation, t: dict[str, str], grades: list[str]) -> Table:
    counts = _grade_counts(ev, len(grades))[: len(grades)]
    frame = pd.DataFrame(
        {
            t["grade"]: grades,
            t["units"]: counts,
            t["share"]: [percent(c / max(len(ev.data), 1), decimals=0) for c in counts],
        }
    )
    return Table.of(frame, [t["units"], t["share"]])


def _trace(ev: Evaluation, unit: str, lang: str) -> str:
    return str(explain(ev, unit, lang=lang))


def _lever_row(compiled: CompiledScheme, lever: Any, lang: str) -> tuple[str, str, str]:
    words = parameter_words(compiled, lever.parameter, lang)
    nominal = compiled.parameters[lever.parameter].nominal
    return words.name, words.value(nominal), f"{words.value(lever.low)} – {words.value(lever.high)}"


def note(
    scenario: Scenario,
    params: Mapping[str, float] | None = None,
    baseline: Scenario | None = None,
    lang: str = "zh",
) -> Note:
    """Compute a briefing note's content.

    Parameters
    ----------
    scenario
        The scheme to brief on.
    params
        A variant of it (parameter overrides); the baseline is then the scenario as written.
    baseline
        Another scenario on the same units to compare with (instead of ``params``'s baseline).
    lang
        ``zh`` or ``en``: every word of the note is in this language.

    Returns
    -------
    Note
        Texts in ``lang``, tables of formatted text, money as figures in yuan and fen.
    """
    check_lang(lang)
    t = TEXT[lang]
    texts = _Texts(lang)
    params = {k: float(v) for k, v in (params or {}).items()}
    compiled, data = scenario.compiled, scenario.data
    compiled.parameters.resolve(params)  # a clear error for a bad parameter before any work
    ev = evaluate(compiled, data, params, detail=True, ranks=True)
    grades = grade_names(compiled, lang)
    names = dict(zip(data.units, data.names))
    spec = scenario.spec
    base_ev = None
    if baseline is None and not params:
        baseline = before_solving(scenario)
    if baseline is not None:
        base_ev = evaluate(baseline.compiled, baseline.data, ranks=True)
    elif params:
        base_ev = evaluate(compiled, data, ranks=True)
    source = texts(spec.source)
    sep = "：" if lang == "zh" else ": "
    meta = " · ".join(
        x
        for x in (
            f"{t['source']}{sep}{source}" if source else "",
            f"perfsim {__version__}",
            f"{t['generated']} {time.strftime('%Y-%m-%d')}",
        )
        if x
    )
    comparison = compare(base_ev, ev) if base_ev is not None else None
    if baseline is not None:
        change_intro = t["vs"].format(pick(baseline.spec.name, lang))
        changes = scheme_differences(baseline.compiled, compiled, lang) or [t["same_scheme"]]
    elif params:
        change_intro, changes = "", _change_lines(compiled, params, lang)
    else:
        description = texts(spec.description)
        change_intro, changes = (description or t["as_written"]), []
    if comparison is not None and base_ev is not None:
        cost_lines, cost_table = cost_against(comparison, ev, lang, t, grades)
        moves_table, moves_line, groups_table = _moves(base_ev, ev, comparison, t, grades, lang)
        lead_extra = None
        changed_units = _changed_units(comparison, ev, t, names, lang)
        counts = [
            *(
                {"grade": g, "scheme": t["baseline"], "units": int(n)}
                for g, n in zip(grades, _grade_counts(base_ev, len(grades)))
            ),
            *(
                {"grade": g, "scheme": t["variant"], "units": int(n)}
                for g, n in zip(grades, _grade_counts(ev, len(grades)))
            ),
        ]
    else:
        cost_lines, cost_table = _cost_alone(ev, lang, t, grades)
        moves_table, moves_line, groups_table = _distribution(ev, t, grades), "", None
        title, table, empty = _margins(ev, t, grades, names)
        lead_extra = (
            title,
            Table.of(pd.DataFrame(table.rows, columns=table.headers), limit=LEAD_ROWS) if table else None,
            empty,
        )
        if table is not None and lead_extra[1] is not None:
            lead_extra[1].numeric = table.numeric
            lead_extra[1].more = (
                len(table.rows) + table.more - LEAD_ROWS if len(table.rows) + table.more > LEAD_ROWS else 0
            )
        changed_units = None
        counts = [
            {"grade": g, "scheme": t["variant"], "units": int(n)}
            for g, n in zip(grades, _grade_counts(ev, len(grades)))
        ]
    chart = grade_counts_chart(
        pd.DataFrame(counts), grades, title=t["distribution"], axis=(t["chart_axis_grade"], t["chart_axis_units"])
    )
    variant_compiled = compile_scheme(scheme_with(compiled.scheme, params)) if params else compiled
    sensitivity = [_margins(ev, t, grades, names)] if comparison is not None else []
    sensitivity.append((t["unstable"], _unstable(variant_compiled, data, t, grades, names), t["none_unstable"]))
    defaults = [(texts(d.item), texts(d.choice), texts(d.reason)) for d in spec.defaults]
    defaults = [row for row in defaults if all(row)]
    levers = [_lever_row(compiled, lv, lang) for lv in spec.analysis.levers if lv.parameter in compiled.parameters]
    focus = spec.analysis.focus_unit
    unit = focus if focus in data.units else data.units[int(np.argmin(np.abs(ev.total[0] - np.median(ev.total[0]))))]
    return Note(
        lang=lang,
        words=t,
        title=f"{t['title']}：{pick(spec.name, lang)}" if lang == "zh" else f"{t['title']}: {pick(spec.name, lang)}",
        meta=meta,
        changes=changes,
        change_intro=change_intro,
        cost_lines=cost_lines,
        cost_table=cost_table,
        moves_table=moves_table,
        moves_line=moves_line,
        groups_table=groups_table,
        lead_extra=lead_extra,
        chart_svg=to_svg(chart),
        changed_units=changed_units,
        sensitivity=sensitivity,
        defaults=Table.of(pd.DataFrame(defaults, columns=[t["item"], t["choice"], t["reason"]])) if defaults else None,
        levers=Table.of(pd.DataFrame(levers, columns=[t["lever"], t["nominal"], t["range"]])) if levers else None,
        trace=_trace(ev, unit, lang),
        notices=[t["only_other"]] if texts.missing else [],
        solution=solved_section(scenario, params, lang),
    )


def before_solving(scenario: Scenario) -> Scenario | None:
    """A scenario solved by ``perfsim reach`` as it was before: its scheme with the moved parameters
    back at their values before solving (the note then says what solving changed, what it costs and
    who moves). None for any other scenario.
    """
    from .analysis.reach_save import moves_recorded

    before = moves_recorded(scenario.spec.defaults)
    if not before:
        return None
    scheme = scheme_with(scenario.scheme, before)
    name = Label(zh="求解前的方案", en="the scheme before solving")
    spec = scenario.spec.model_copy(update={"name": name})
    return Scenario(scenario.path, spec, scheme, compile_scheme(scheme), scenario.data)


def solved_section(scenario: Scenario, params: Mapping[str, float], lang: str) -> dict[str, Any] | None:
    """The "targets this scheme was designed to reach" section of a scenario solved by ``perfsim reach``.

    Each target recorded in the scenario is measured again under the note's own setting (the
    scenario, with ``params`` when the note is about a variant of it); the moves are the entries
    ``perfsim reach`` wrote (their ``source`` marked ``moved:``).

    Returns
    -------
    dict or None
        ``verdict`` (a sentence), ``targets`` (a :class:`Table`) and ``moved`` (lines), or None when
        the scenario was not solved.
    """
    from .analysis.reach_measure import Measurer
    from .analysis.reach_save import MOVED_SOURCE, TARGET_SOURCE
    from .analysis.reach_targets import parse_target

    sources = [d.source or "" for d in scenario.spec.defaults]
    texts = [s.removeprefix(TARGET_SOURCE) for s in sources if s.startswith(TARGET_SOURCE)]
    if not texts:
        return None
    t = TEXT[lang]
    compiled, data = scenario.compiled, scenario.data
    targets = [parse_target(text, compiled, data) for text in texts]
    values = Measurer(compiled, data, targets).values({k: np.array([v]) for k, v in params.items()}, 1)[0]
    met = [bool(x.met(np.array(v))) for x, v in zip(targets, values)]
    rows = [
        [x.words(compiled, lang), x.show(float(v), compiled, lang), t["solved_yes"] if ok else t["solved_no"]]
        for x, v, ok in zip(targets, values, met)
    ]
    table = Table.of(pd.DataFrame(rows, columns=[t["solved_target"], t["solved_value"], t["solved_status"]]))
    missed = [x.words(compiled, lang) for x, ok in zip(targets, met) if not ok]
    sep = "；" if lang == "zh" else "; "
    verdict = t["solved_met"] if not missed else t["solved_unmet"].format(sep.join(missed))
    moved = [
        f"{pick(d.item, lang)} {pick(d.choice, lang)}"
        for d, source in zip(scenario.spec.defaults, sources)
        if source.startswith(MOVED_SOURCE)
    ]
    return {"verdict": verdict, "targets": table, "moved": moved}


def note_html(note_: Note) -> str:
    """The note's body as HTML (``note.html.j2``, every text escaped; the chart is perfsim's own SVG)."""
    return render_html("note.html.j2", note=note_, chart=markup(note_.chart_svg))
