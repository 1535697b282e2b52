"""Altair chart builders for every analysis table: each returns a chart and never draws or saves.

Charts are plain Vega-Lite specifications, so they render offline: interactively in
JupyterLab (Altair's bundled renderer, no CDN) and as static SVG through vl-convert (see
:func:`to_svg`) for papermill runs and briefing notes.
"""

from __future__ import annotations

import json
import math
from collections.abc import Mapping, Sequence

import altair as alt
import pandas as pd

from .analysis.metrics import MEASURE_UNITS
from .labels import ParameterWords

GRADE_COLOURS = ["#1a9850", "#91cf60", "#fee08b", "#fc8d59", "#d73027", "#7f0000"]
"""The one grade palette, best grade first: every chart colours grades with it."""

END_COLOURS = ["#4c78a8", "#f58518"]
"""A lever's low end and high end in tornado charts."""

MEASURE_WORDS: dict[str, dict[str, str]] = {
    "units changing grade": {"zh": "等次变化的单位数", "en": "units changing grade"},
    "mean |rank shift|": {"zh": "平均名次变动（位）", "en": "mean rank shift (places)"},
    "net budget change": {"zh": "下年预算净变化（万元）", "en": "net change of next year's budgets (CNY 10k)"},
    "gross budget moved": {"zh": "各单位下年预算变动之和（万元）", "en": "budget moved, summed over units (CNY 10k)"},
    "net pay change": {"zh": "绩效工资净变化（万元）", "en": "net change of pay (CNY 10k)"},
    "gross pay moved": {"zh": "各单位绩效工资变动之和（万元）", "en": "pay moved, summed over units (CNY 10k)"},
    "budget total": {"zh": "预算总额（万元）", "en": "total budget (CNY 10k)"},
    "pay total": {"zh": "绩效工资总额（万元）", "en": "total pay (CNY 10k)"},
    "money moved": {"zh": "调整和调剂的资金（万元）", "en": "money moved: cuts, increases, reallocations (CNY 10k)"},
    "budget gini": {"zh": "预算集中度（基尼系数）", "en": "concentration of budgets (Gini)"},
    "units changing grade from last year": {
        "zh": "与上年相比等次变化的单位数",
        "en": "units whose grade changed since last year",
    },
    "share stuck ≥3y": {
        "zh": "连续三年以上最低等次的单位占比",
        "en": "share of units in the lowest grade 3+ years running",
    },
}
"""Chart words of the measures in :mod:`perfsim.analysis` tables (money in 万元 / CNY 10k)."""

_TEXT: dict[str, dict[str, str]] = {
    "zh": {
        "grade": "等次",
        "units": "单位数",
        "share": "单位占比",
        "share of grade": "{grade} 占比",
        "grade shares": "各等次占比",
        "cut-off": "分数线",
        "as written": "现行方案",
        "sweep": "{lever} 变动时的结果",
        "low end": "取区间低端",
        "high end": "取区间高端",
        "lever": "参数",
        "setting": "取值",
        "tornado": "各参数取区间两端时的影响",
        "tornado note": "黑线为现行方案；没有色条的参数在该指标上不起作用",
        "no levers": "未设参数",
        "probabilities": "权重不确定时，等次最不确定的 {n} 个单位",
        "probability": "概率",
        "ranks": "权重不确定时，名次区间最宽的 {n} 个单位（5%–95% 的抽样，黑点为现行名次）",
        "rank": "名次（1 为最好）",
        "shifts": "变化最大的 {n} 个单位（括号内为等次变化）",
        "places gained": "名次上升（位）",
        "grades gained": "等次上升（级）",
        "gain": "上升",
        "loss": "下降",
        "nobody moves": "没有单位的等次、名次或总分变化",
        "group": "排名范围",
        "no rank moves": "抽样中没有单位的名次变化",
        "cliff": "总分与分数线（距分数线 {eps} 分以内的单位以实色显示）",
        "tiers": "总分与名次档次（档次分界两侧相差 {eps} 分以内的单位以实色显示）",
        "total": "总分",
        "transitions": "等次变化：现行方案 → 改革方案",
        "baseline": "现行方案",
        "reform": "改革方案",
        "sobol": "全局敏感性：哪些参数最影响等次、名次和资金",
        "sobol note": "Sobol 指数：一阶为单独作用，总效应含与其他参数的交互；参数同时在各自区间内随机取值",
        "index": "指数",
        "first-order": "一阶",
        "total-effect": "总效应",
        "year": "年份",
        "shares over years": "各年等次分布（各次模拟的平均）",
        "over years": "逐年变化",
        "band note": "线为各次模拟的平均，色带为 5%–95% 区间",
    },
    "en": {
        "grade": "grade",
        "units": "units",
        "share": "share of units",
        "share of grade": "share graded {grade}",
        "grade shares": "share of units per grade",
        "cut-off": "cut-off",
        "as written": "as written",
        "sweep": "Outcomes as the {lever} moves",
        "low end": "at the low end",
        "high end": "at the high end",
        "lever": "lever",
        "setting": "set to",
        "tornado": "What each lever moves at the two ends of its range",
        "tornado note": "black rule: the scheme as written; a lever without a bar does not move that measure",
        "no levers": "no levers",
        "probabilities": "Grade probabilities of the {n} least certain units under weight uncertainty",
        "probability": "probability",
        "ranks": "Rank ranges of the {n} least certain units (5-95 % of draws; dot: rank as written)",
        "rank": "rank (1 = best)",
        "shifts": "The {n} units that move most (grade change in brackets)",
        "places gained": "places of rank gained",
        "grades gained": "grades gained",
        "gain": "up",
        "loss": "down",
        "nobody moves": "no unit changes grade, rank or total",
        "group": "ranked within",
        "no rank moves": "no unit's rank moves in any draw",
        "cliff": "Totals and cut-offs (units within {eps} points of a cut-off in full colour)",
        "tiers": "Totals and rank tiers (units within {eps} points across a tier boundary in full colour)",
        "total": "total",
        "transitions": "Grade transitions: as written → reform",
        "baseline": "as written",
        "reform": "reform",
        "sobol": "Global sensitivity: which levers move grades, ranks and money most",
        "sobol note": "Sobol indices: first-order = alone, total-effect = with interactions; all levers drawn at once",
        "index": "index",
        "first-order": "first-order",
        "total-effect": "total-effect",
        "year": "year",
        "shares over years": "Grade shares per year (mean over simulated histories)",
        "over years": "Year by year",
        "band note": "line: mean over simulated histories; band: 5-95 %",
    },
}


def _grade_scale(grades: list[str]) -> alt.Scale:
    return alt.Scale(domain=grades, range=GRADE_COLOURS[: len(grades)])


def _words(lang: str) -> dict[str, str]:
    if lang not in _TEXT:
        raise ValueError(f"lang must be 'zh' or 'en', not {lang!r}")
    return _TEXT[lang]


def _grade_names(grades: list[str], names: list[str] | None) -> dict[str, str]:
    """Grade id (the zh label used in tables) → the name to show."""
    return dict(zip(grades, names or grades))


def _unit_labels(units: pd.Series | pd.Index, names: Mapping[str, str] | None) -> list[str]:
    names = names or {}
    return [f"{u} {names[u]}" if names.get(u) else str(u) for u in units]


def measure_words(
    measure: str, lang: str = "zh", grade_names: Mapping[str, str] | None = None
) -> tuple[str, float, str]:
    """How a measure of :mod:`perfsim.analysis` reads on a chart: its words, a scale and an axis format.

    Money (yuan in the tables) is shown in 万元 / CNY 10k, shares as percentages.

    Returns
    -------
    (words, scale, format)
        Shown value = table value × scale; ``format`` is a d3 format for the axis.
    """
    words = _words(lang)
    if measure in MEASURE_WORDS:
        text = MEASURE_WORDS[measure][lang]
        money = MEASURE_UNITS.get(measure) == "yuan" or measure in ("budget total", "pay total", "money moved")
        if money:
            return text, 1e-4, ",.2f"
        if measure.startswith("share"):
            return text, 1.0, ".1~%"
        return text, 1.0, ("d" if MEASURE_UNITS.get(measure) == "units" else ",.3~f")
    if measure.startswith("share "):
        grade = measure.removeprefix("share ")
        shown = (grade_names or {}).get(grade, grade)
        return words["share of grade"].format(grade=shown), 1.0, ".1~%"
    return measure, 1.0, ",.3~f"


def _axis(fmt: str, values: Sequence[float] | pd.Series = ()) -> alt.Axis:
    """An axis in a measure's format; counts (``d``) tick at whole numbers only, over ``values``' range."""
    if fmt != "d":
        return alt.Axis(format=fmt)
    return _whole_axis(values)


def _whole_axis(values: Sequence[float] | pd.Series) -> alt.Axis:
    """Ticks at whole numbers: a short range lists every one (Vega would tick at halves)."""
    finite = [float(v) for v in values if pd.notna(v)]
    lo, hi = (math.floor(min(finite)), math.ceil(max(finite))) if finite else (0, 1)
    if hi - lo <= 12:
        return alt.Axis(format="d", values=list(range(lo, max(hi, lo + 1) + 1)))
    return alt.Axis(format="d")


def _lever_text(lever: ParameterWords | str | None, fallback: str) -> tuple[str, str, float]:
    """(name, axis title, scale) of a lever given as words, as text, or not at all."""
    if isinstance(lever, ParameterWords):
        unit = f" ({lever.unit})" if lever.unit else ""
        return lever.name, f"{lever.name}{unit}", lever.scale
    name = lever or fallback
    return name, name, 1.0


def _nominal_rule(value: float, label: str) -> alt.LayerChart:
    """A dashed rule at a lever's value as written, labelled inside the plot."""
    frame = pd.DataFrame({"value": [value], "label": [label]})
    base = alt.Chart(frame)
    rule = base.mark_rule(color="black", strokeDash=[4, 3]).encode(x=alt.X("value:Q"))
    text = base.mark_text(align="left", dx=4, baseline="top", fontSize=11).encode(
        x="value:Q", y=alt.value(4), text="label:N"
    )
    return rule + text


def grade_distribution(
    results: pd.DataFrame,
    grades: list[str],
    title: str = "Grade distribution 等次分布",
    *,
    names: list[str] | None = None,
) -> alt.Chart:
    """Bar chart of units per grade (from :func:`perfsim.results_frame`); ``names`` shows the grades in words."""
    shown = _grade_names(grades, names)
    counts = (
        results["grade"].value_counts().reindex(grades, fill_value=0).rename_axis("grade").reset_index(name="units")
    )
    counts["grade"] = counts["grade"].map(shown)
    order = [shown[g] for g in grades]
    return (
        alt.Chart(counts, title=title)
        .mark_bar()
        .encode(
            x=alt.X("grade:N", sort=order, title="grade 等次", axis=alt.Axis(labelAngle=0)),
            y=alt.Y("units:Q", title="units 单位数"),
            color=alt.Color("grade:N", scale=_grade_scale(order), legend=None),
            tooltip=["grade", "units"],
        )
    )


def grade_counts_chart(counts: pd.DataFrame, grades: list[str], *, title: str, axis: tuple[str, str]) -> alt.Chart:
    """Units per grade for one or two schemes side by side (briefing notes).

    ``counts`` has columns ``grade``, ``scheme`` (e.g. baseline / variant, in the note's language)
    and ``units``; ``axis`` is the (grade, units) axis titles. Grade labels stay horizontal.
    """
    schemes = list(dict.fromkeys(counts["scheme"]))
    bars = alt.Chart(counts, title=alt.TitleParams(title, anchor="start", fontSize=15), width=560, height=220)
    encoding: dict = {
        "x": alt.X("grade:N", sort=grades, title=axis[0], axis=alt.Axis(labelAngle=0, labelFontSize=13)),
        "y": alt.Y("units:Q", title=axis[1]),
        "color": alt.Color("grade:N", scale=_grade_scale(grades), legend=None),
        "tooltip": ["scheme", "grade", "units"],
    }
    if len(schemes) > 1:  # baseline pale, variant full colour, side by side
        encoding["xOffset"] = alt.XOffset("scheme:N", sort=schemes)
        encoding["opacity"] = alt.Opacity(
            "scheme:N", sort=schemes, scale=alt.Scale(domain=schemes, range=[0.35, 1.0]), legend=alt.Legend(title=None)
        )
    chart = bars.mark_bar().encode(**encoding)
    labels = bars.mark_text(dy=-6, fontSize=12).encode(
        x=encoding["x"], y="units:Q", text="units:Q", **({"xOffset": encoding["xOffset"]} if len(schemes) > 1 else {})
    )
    return chart + labels  # type: ignore[return-value]


def sweep_chart(
    sweep: pd.DataFrame,
    grades: list[str],
    *,
    lever: ParameterWords | str | None = None,
    nominal: float | None = None,
    names: list[str] | None = None,
    measures: Sequence[str] = (),
    lang: str = "zh",
) -> alt.TopLevelMixin:
    """Grade shares (and other measures) against one lever's value (from ``sweep`` or ``threshold_sweep``).

    Parameters
    ----------
    sweep
        The table: ``value`` (or ``cutoff``) and ``share <grade>`` columns, plus any ``measures``.
    grades
        Grade ids (the table's column suffixes), best first; empty: no grade-share panel (rank
        tiers fix the shares).
    lever
        The lever in words (:func:`perfsim.labels.parameter_words`): the title and the axis say
        which lever moves, in its unit (a quota's 0-1 share is shown in %).
    nominal
        The lever's value in the scheme as written, marked with a dashed rule.
    names
        Grade names to show (same order as ``grades``).
    measures
        Further columns drawn in panels of their own (e.g. ``units changing grade``).
    """
    words = _words(lang)
    x = "value" if "value" in sweep else "cutoff"
    fallback = str(sweep["parameter"].iloc[0]) if "parameter" in sweep else words["cut-off"]
    name, axis_title, scale = _lever_text(lever, fallback)
    xs = sweep[x].to_numpy(dtype=float) * scale
    x_enc = alt.X("x:Q", title=axis_title, scale=alt.Scale(zero=False))
    marker = []
    if nominal is not None:
        shown_value = lever.value(nominal) if isinstance(lever, ParameterWords) else f"{nominal:g}"
        marker = [_nominal_rule(nominal * scale, f"{words['as written']} {shown_value}")]
    panels: list[alt.LayerChart | alt.FacetChart] = []
    if grades:
        shown = _grade_names(grades, names)
        order = [shown[g] for g in grades]
        long = pd.DataFrame({"x": xs}).join(sweep[[f"share {g}" for g in grades]].reset_index(drop=True))
        long = long.melt(id_vars=["x"], var_name="grade", value_name="share")
        long["grade"] = long["grade"].str.removeprefix("share ").map(shown)
        lines = (
            alt.Chart(long, width=380, height=220, title=words["grade shares"])
            .mark_line(interpolate="step-after", point=alt.OverlayMarkDef(size=12))
            .encode(
                x=x_enc,
                y=alt.Y("share:Q", axis=alt.Axis(format="%"), title=words["share"], scale=alt.Scale(domain=[0, 1])),
                color=alt.Color("grade:N", scale=_grade_scale(order), sort=order, title=words["grade"]),
                tooltip=[alt.Tooltip("x:Q", title=name), "grade", alt.Tooltip("share:Q", format=".1%")],
            )
        )
        panels.append(alt.layer(lines, *marker))
    for measure in measures:
        text, factor, fmt = measure_words(measure, lang, _grade_names(grades, names))
        frame = pd.DataFrame({"x": xs, "y": sweep[measure].to_numpy(dtype=float) * factor})
        line = (
            alt.Chart(frame, width=260, height=220, title=text)
            .mark_line(interpolate="step-after", point=alt.OverlayMarkDef(size=12))
            .encode(
                x=x_enc,
                y=alt.Y("y:Q", title=text, axis=_axis(fmt, frame["y"])),
                tooltip=[alt.Tooltip("x:Q", title=name), alt.Tooltip("y:Q", title=text, format=fmt)],
            )
        )
        panels.append(alt.layer(line, *marker))
    title = alt.TitleParams(words["sweep"].format(lever=name), anchor="start", fontSize=14)
    if len(panels) == 1:
        return panels[0].properties(title=title)
    return alt.concat(*panels, columns=3, title=title).resolve_scale(y="independent")


def tornado_chart(
    tornado: pd.DataFrame,
    levers: Mapping[str, ParameterWords | str] | None = None,
    *,
    grade_names: Mapping[str, str] | None = None,
    lang: str = "zh",
) -> alt.TopLevelMixin:
    """What each lever moves at the low and the high end of its range, one panel per measure (from ``tornado``).

    Each lever has two bars from the scheme as written (the black rule) to the outcome with the
    lever at its low end and at its high end, coloured by end; a lever that moves nothing has no
    bar. Levers keep the tornado's order (largest swing on the scheme's main measure first).

    Parameters
    ----------
    tornado
        From :func:`perfsim.analysis.tornado` (``measure, parameter, low, high, at low, at high, nominal``).
    levers
        Parameter id → its words (:func:`perfsim.labels.parameter_words`) or a name; ids otherwise.
    grade_names
        Grade id → name, for grade-share measures.
    """
    words = _words(lang)
    levers = levers or {}
    low_end, high_end = words["low end"], words["high end"]

    def lever_name(p: str) -> str:
        w = levers.get(p, p)
        return w.name if isinstance(w, ParameterWords) else str(w)

    def setting(p: str, v: float) -> str:
        w = levers.get(p)
        return w.value(v) if isinstance(w, ParameterWords) else f"{v:g}"

    # each lever's label says the range it moves over: a swing means nothing without it
    first = tornado.drop_duplicates("parameter")
    label = {
        p: f"{lever_name(p)} ({setting(p, lo)} – {setting(p, hi)})"
        for p, lo, hi in zip(first["parameter"], first["low"], first["high"])
    }
    order = list(label.values())
    panels = []
    for measure, rows in tornado.groupby("measure", sort=False):
        text, factor, fmt = measure_words(str(measure), lang, grade_names)
        n = len(rows)
        frame = pd.DataFrame(
            {
                "lever": [label[p] for p in rows["parameter"]] * 2,
                "end": [low_end] * n + [high_end] * n,
                "setting": [setting(p, v) for p, v in zip(rows["parameter"], rows["low"])]
                + [setting(p, v) for p, v in zip(rows["parameter"], rows["high"])],
                "start": list(rows["nominal"] * factor) * 2,
                "value": list(rows["at low"] * factor) + list(rows["at high"] * factor),
            }
        )
        bars = (
            alt.Chart(frame, title=text, width=420)
            .mark_bar()
            .encode(
                y=alt.Y("lever:N", sort=order, title=None, axis=alt.Axis(labelLimit=360)),
                yOffset=alt.YOffset("end:N", sort=[low_end, high_end]),
                x=alt.X("value:Q", title=text, axis=_axis(fmt, [*frame["value"], *frame["start"]])),
                x2="start:Q",
                color=alt.Color(
                    "end:N",
                    scale=alt.Scale(domain=[low_end, high_end], range=END_COLOURS),
                    legend=alt.Legend(title=None, orient="top"),
                ),
                tooltip=[
                    alt.Tooltip("lever:N", title=words["lever"]),
                    alt.Tooltip("setting:N", title=words["setting"]),
                    alt.Tooltip("value:Q", title=text, format=fmt),
                ],
            )
        )
        rule = alt.Chart(pd.DataFrame({"nominal": [float(rows["nominal"].iloc[0]) * factor]})).mark_rule(color="black")
        panels.append(alt.layer(bars, rule.encode(x="nominal:Q")))
    title = alt.TitleParams(words["tornado"], subtitle=words["tornado note"], anchor="start", fontSize=14)
    if not panels:
        return alt.Chart(pd.DataFrame({"note": [words["no levers"]]}), title=title).mark_text().encode(text="note:N")
    return alt.vconcat(*panels, title=title).resolve_scale(x="independent")


def grade_probability_chart(
    probabilities: pd.DataFrame,
    grades: list[str],
    top: int = 40,
    *,
    names: list[str] | None = None,
    units: Mapping[str, str] | None = None,
    lang: str = "zh",
) -> alt.Chart:
    """Stacked bars of the grade probabilities of the ``top`` least certain units (from ``weight_monte_carlo``).

    Units with the same grade in every draw are left out. ``names`` shows the grades in words,
    ``units`` maps unit ids to unit names.
    """
    words = _words(lang)
    shown = _grade_names(grades, names)
    order = [shown[g] for g in grades]
    frame = probabilities[grades].copy()
    frame["certainty"] = frame[grades].max(axis=1)
    frame = frame[frame["certainty"] < 1]  # a unit with one grade in every draw is not in question
    frame = frame.sort_values("certainty", kind="stable").head(top).drop(columns="certainty")
    frame.index = _unit_labels(frame.index, units)
    long = frame.rename_axis("unit").reset_index().melt(id_vars="unit", var_name="grade", value_name="probability")
    long["grade"] = long["grade"].map(shown)
    long["position"] = long["grade"].map({g: i for i, g in enumerate(order)})  # best grade stacked first
    return (
        alt.Chart(long, title=words["probabilities"].format(n=len(frame)))
        .mark_bar()
        .encode(
            y=alt.Y("unit:N", sort=list(frame.index), title=None, axis=alt.Axis(labelLimit=260)),
            x=alt.X("probability:Q", stack="normalize", axis=alt.Axis(format="%"), title=words["probability"]),
            color=alt.Color("grade:N", scale=_grade_scale(order), sort=order, title=words["grade"]),
            order=alt.Order("position:Q"),
            tooltip=["unit", "grade", alt.Tooltip("probability:Q", format=".1%")],
        )
    )


def rank_interval_chart(
    intervals: pd.DataFrame, top: int = 25, *, units: Mapping[str, str] | None = None, lang: str = "zh"
) -> alt.TopLevelMixin:
    """The 5-95 % rank intervals of the ``top`` least certain units, in rank order (from ``weight_monte_carlo``).

    Least certain = widest interval; units whose rank never moves are left out. Each unit is
    labelled with its name (``units``: id → name); the dot is its rank under the scheme as
    written. Ranks count within groups: with several, units are sorted by group and coloured by it.
    """
    words = _words(lang)
    frame = intervals.reset_index()
    frame["width"] = frame["rank p95"] - frame["rank p5"]
    frame = frame[frame["width"] > 0]
    frame = frame.sort_values(["width", "nominal rank"], ascending=[False, True], kind="stable").head(top)
    grouped = "group" in frame and intervals["group"].nunique() > 1
    frame = frame.sort_values(["group", "nominal rank"] if grouped else ["nominal rank"], kind="stable")
    frame["label"] = _unit_labels(frame["unit"], units)
    title = words["ranks"].format(n=len(frame))
    if frame.empty:
        return (
            alt.Chart(pd.DataFrame({"note": [words["no rank moves"]]}), title=title).mark_text().encode(text="note:N")
        )
    base = alt.Chart(frame, title=title).encode(
        y=alt.Y("label:N", sort=list(frame["label"]), title=None, axis=alt.Axis(labelLimit=260))
    )
    tooltip = [c for c in ("unit", "group", "nominal rank", "rank p5", "rank p50", "rank p95") if c in frame]
    colour = alt.Color("group:N", title=words["group"]) if grouped else alt.value("#4c78a8")
    return base.mark_rule(strokeWidth=3).encode(
        x=alt.X(
            "rank p5:Q",
            title=words["rank"],
            scale=alt.Scale(zero=False),
            axis=_whole_axis([*frame["rank p5"], *frame["rank p95"], *frame["nominal rank"]]),
        ),
        x2="rank p95:Q",
        color=colour,
        tooltip=tooltip,
    ) + base.mark_point(color="black", filled=True).encode(x="nominal rank:Q", tooltip=tooltip)


def cliff_chart(
    results: pd.DataFrame,
    cutoffs: list[float],
    grades: list[str],
    eps: float = 1.0,
    *,
    near: Sequence[str] | None = None,
    names: list[str] | None = None,
    lang: str = "zh",
) -> alt.LayerChart:
    """Units' totals as ticks, one row per group, with the cut-offs (points) as rules; units near one in full colour.

    ``near`` lists the units to highlight (e.g. both sides of a rank-tier boundary); by default
    the units within ``eps`` points of a cut-off.
    """
    words = _words(lang)
    shown = _grade_names(grades, names)
    order = [shown[g] for g in grades if g in shown]
    columns = [c for c in ("unit", "name", "group", "total", "grade") if c in results]
    frame = results[columns].copy()
    if near is None:
        frame["near"] = frame["total"].apply(lambda t: any(abs(t - c) <= eps for c in cutoffs))
    else:
        frame["near"] = frame["unit"].isin(list(near))
    frame["grade"] = frame["grade"].map(lambda g: shown.get(g, g))
    title = words["cliff" if near is None else "tiers"].format(eps=f"{eps:g}")
    encoding: dict = {
        "x": alt.X("total:Q", scale=alt.Scale(zero=False), title=words["total"]),
        "color": alt.Color("grade:N", scale=_grade_scale(order), sort=order, title=words["grade"]),
        "opacity": alt.condition("datum.near", alt.value(1.0), alt.value(0.25)),
        "tooltip": [c for c in columns],
    }
    if "group" in frame and frame["group"].nunique() > 1:
        encoding["y"] = alt.Y("group:N", title=None)
    ticks = alt.Chart(frame, title=title, width=560).mark_tick(thickness=2, size=24).encode(**encoding)
    rules = (
        alt.Chart(pd.DataFrame({"cutoff": list(cutoffs)}))
        .mark_rule(strokeDash=[4, 3], color="black")
        .encode(x="cutoff:Q")
    )
    return ticks + rules


def transition_chart(transitions: pd.DataFrame, *, names: list[str] | None = None, lang: str = "zh") -> alt.LayerChart:
    """Heat map of units per (baseline grade, reform grade) (from ``compare``); grade labels horizontal."""
    words = _words(lang)
    grades = [str(g) for g in transitions.index]
    shown = _grade_names(grades, names)
    order = [shown[g] for g in grades]
    long = transitions.rename_axis(index="baseline", columns="reform").reset_index()
    long = long.melt(id_vars="baseline", var_name="reform", value_name="units")
    long["baseline"] = long["baseline"].map(shown)
    long["reform"] = long["reform"].map(shown)
    base = alt.Chart(long, title=words["transitions"], width=60 * len(grades), height=40 * len(grades)).encode(
        y=alt.Y("baseline:N", sort=order, title=words["baseline"], axis=alt.Axis(labelAngle=0)),
        x=alt.X("reform:N", sort=order, title=words["reform"], axis=alt.Axis(labelAngle=0, orient="top")),
    )
    return base.mark_rect().encode(
        color=alt.Color("units:Q", scale=alt.Scale(scheme="blues"), title=words["units"]),
        tooltip=["baseline", "reform", "units"],
    ) + base.mark_text(fontSize=13).encode(
        text="units:Q", color=alt.condition("datum.units > 0", alt.value("black"), alt.value("#bbbbbb"))
    )


def shift_chart(
    units_table: pd.DataFrame,
    grades: list[str],
    top: int = 20,
    *,
    names: list[str] | None = None,
    units: Mapping[str, str] | None = None,
    lang: str = "zh",
) -> alt.TopLevelMixin:
    """The ``top`` units that move most under a reform, as places of rank gained (from ``compare(...).units``).

    Units that change grade come first, then the largest rank shifts; a bar to the right is a gain.
    When no rank moves (a cut-off reform), the bars are the grades gained instead (``grades``:
    grade ids, best first; ``names``: the grades in words). Labels carry the unit's name and its
    grade change.
    """
    words = _words(lang)
    shown = _grade_names(grades, names)
    frame = units_table.copy()
    frame["moves"] = frame["baseline grade"] != frame["reform grade"]
    frame["places gained"] = -frame["rank shift"].fillna(0)
    by_rank = bool((frame["places gained"] != 0).any())
    if not by_rank:
        position = {g: i for i, g in enumerate(grades)}
        frame["places gained"] = [
            position[b] - position[r] for b, r in zip(frame["baseline grade"], frame["reform grade"])
        ]
    frame["size"] = frame["places gained"].abs()
    frame = frame[frame["moves"] | (frame["size"] > 0)]
    frame = frame.sort_values(["moves", "size"], ascending=[False, False], kind="stable").head(top)
    frame["label"] = [
        f"{lab} ({shown.get(b, b)} → {shown.get(r, r)})" if b != r else lab
        for lab, b, r in zip(_unit_labels(frame["unit"], units), frame["baseline grade"], frame["reform grade"])
    ]
    frame["direction"] = [words["gain"] if s > 0 else words["loss"] for s in frame["places gained"]]
    axis = words["places gained" if by_rank else "grades gained"]
    title = words["shifts"].format(n=len(frame))
    if frame.empty:
        return alt.Chart(pd.DataFrame({"note": [words["nobody moves"]]}), title=title).mark_text().encode(text="note:N")
    columns = ["label", "places gained", "direction", "baseline rank", "reform rank", "total change"]
    return (
        alt.Chart(frame[columns], title=title)
        .mark_bar()
        .encode(
            y=alt.Y("label:N", sort=list(frame["label"]), title=None, axis=alt.Axis(labelLimit=320)),
            x=alt.X("places gained:Q", title=axis, axis=_whole_axis(frame["places gained"])),
            color=alt.Color(
                "direction:N",
                scale=alt.Scale(domain=[words["gain"], words["loss"]], range=[GRADE_COLOURS[0], GRADE_COLOURS[4]]),
                title=None,
            ),
            tooltip=columns,
        )
    )


def sobol_chart(
    indices: pd.DataFrame,
    levers: Mapping[str, ParameterWords | str] | None = None,
    *,
    grade_names: Mapping[str, str] | None = None,
    lang: str = "zh",
) -> alt.TopLevelMixin:
    """First-order and total Sobol indices per lever (or group), one panel per output (from ``sobol``).

    Levers in order of their total effect on the first output; outputs that no lever moves (an
    index of 0 / 0) have no bars.
    """
    words = _words(lang)
    levers = levers or {}

    def lever_name(p: str) -> str:
        w = levers.get(p, p)
        return w.name if isinstance(w, ParameterWords) else str(w)

    long = indices.melt(id_vars=["output", "factor"], value_vars=["S1", "ST"], var_name="index", value_name="value")
    long["index"] = long["index"].map({"S1": words["first-order"], "ST": words["total-effect"]})
    long["lever"] = long["factor"].map(lever_name)
    main = indices[indices["output"] == indices["output"].iloc[0]] if len(indices) else indices
    order = [lever_name(f) for f in main.sort_values("ST", ascending=False, na_position="last")["factor"]]
    panels = []
    for output, rows in long.groupby("output", sort=False):
        text = measure_words(str(output), lang, grade_names)[0]
        rows = rows.dropna(subset=["value"])
        panels.append(
            alt.Chart(rows, title=text, width=360)
            .mark_bar()
            .encode(
                y=alt.Y("lever:N", sort=order, title=None, axis=alt.Axis(labelLimit=360)),
                x=alt.X("value:Q", title=words["index"], scale=alt.Scale(domain=[0, 1], clamp=True)),
                color=alt.Color("index:N", title=None, legend=alt.Legend(orient="top")),
                yOffset="index:N",
                tooltip=["lever", "index", alt.Tooltip("value:Q", format=".2f")],
            )
        )
    title = alt.TitleParams(words["sobol"], subtitle=words["sobol note"], anchor="start", fontSize=14)
    return alt.vconcat(*panels, title=title)


def grade_share_trajectory(
    summary: pd.DataFrame, grades: list[str], *, names: list[str] | None = None, lang: str = "zh"
) -> alt.Chart:
    """Each grade's share of units per simulated year (from ``Simulation.summary``), in the grade palette."""
    words = _words(lang)
    shown = _grade_names(grades, names)
    order = [shown[g] for g in grades]
    long = summary.melt(id_vars="year", value_vars=[f"share {g}" for g in grades], var_name="grade", value_name="share")
    long["grade"] = long["grade"].str.removeprefix("share ").map(shown)
    return (
        alt.Chart(long, title=words["shares over years"])
        .mark_line(point=True)
        .encode(
            x=alt.X("year:O", title=words["year"], axis=alt.Axis(labelAngle=0)),
            y=alt.Y("share:Q", axis=alt.Axis(format="%"), title=words["share"]),
            color=alt.Color("grade:N", scale=_grade_scale(order), sort=order, title=words["grade"]),
            tooltip=["year", "grade", alt.Tooltip("share:Q", format=".1%")],
        )
    )


def yearly_chart(yearly: pd.DataFrame, measures: str | Sequence[str], *, lang: str = "zh") -> alt.TopLevelMixin:
    """Measures per simulated year, one panel each (from :func:`perfsim.analysis.yearly_measures`).

    Each panel shows the mean over draws, and the 5-95 % band over draws where the table has
    ``<measure> p5`` / ``p95`` columns.
    """
    words = _words(lang)
    panels = []
    for measure in [measures] if isinstance(measures, str) else list(measures):
        text, factor, fmt = measure_words(measure, lang)
        frame = pd.DataFrame({"year": yearly["year"], "mean": yearly[measure] * factor})
        layers: list[alt.Chart] = []
        tooltip: list = ["year", alt.Tooltip("mean:Q", format=fmt)]
        if f"{measure} p5" in yearly:
            frame["p5"], frame["p95"] = yearly[f"{measure} p5"] * factor, yearly[f"{measure} p95"] * factor
            tooltip += [alt.Tooltip("p5:Q", format=fmt), alt.Tooltip("p95:Q", format=fmt)]
            layers.append(
                alt.Chart(frame).mark_area(opacity=0.25, color="#4c78a8").encode(x="year:O", y="p5:Q", y2="p95:Q")
            )
        line = (
            alt.Chart(frame)
            .mark_line(point=True, color="#4c78a8")
            .encode(
                x=alt.X("year:O", title=words["year"], axis=alt.Axis(labelAngle=0)),
                y=alt.Y("mean:Q", title=text, axis=alt.Axis(format=fmt), scale=alt.Scale(zero=False)),
                tooltip=tooltip,
            )
        )
        panels.append(alt.layer(*layers, line).properties(title=text, width=260, height=200))
    title = alt.TitleParams(words["over years"], subtitle=words["band note"], anchor="start", fontSize=14)
    return alt.hconcat(*panels, title=title)


def trajectory_chart(summary: pd.DataFrame, columns: list[str]) -> alt.Chart:
    """Lines of simulation summary columns over years (from ``Simulation.summary``)."""
    long = summary.melt(id_vars="year", value_vars=columns, var_name="measure", value_name="value")
    return (
        alt.Chart(long, title="Over the years")
        .mark_line(point=True)
        .encode(
            x=alt.X("year:O", axis=alt.Axis(labelAngle=0)),
            y=alt.Y("value:Q"),
            color="measure:N",
            tooltip=["year", "measure", "value"],
        )
    )


def interactive(chart: alt.TopLevelMixin) -> alt.JupyterChart:  # type: ignore[name-defined]
    """An interactive chart widget whose JavaScript is bundled (from vl-convert), so no CDN is needed."""
    alt.JupyterChart.enable_offline(offline=True)
    return alt.JupyterChart(chart)  # type: ignore[arg-type]


def show(chart: alt.TopLevelMixin, mode: str = "interactive", *, data: pd.DataFrame | None = None) -> None:
    """Display a chart in a notebook: an offline interactive widget (JupyterLab) or a static SVG.

    Parameters
    ----------
    chart
        Any chart of this module.
    mode
        ``interactive`` or ``svg`` (papermill runs, static exports).
    data
        The table the chart answers from. Under ``svg`` it travels in the output's metadata
        (``perfsim.data``, one record per row) so that a papermill run can be checked for what the
        chart shows, not only for having run.
    """
    from IPython.display import display

    if mode == "svg":
        metadata = (
            {} if data is None else {"perfsim": {"data": json.loads(data.to_json(orient="records", force_ascii=False))}}
        )
        display({"image/svg+xml": to_svg(chart)}, raw=True, metadata=metadata)
    elif mode == "interactive":
        display(interactive(chart))
    else:
        raise ValueError(f"chart_mode must be 'interactive' or 'svg', not {mode!r}")


def to_svg(chart: alt.TopLevelMixin) -> str:
    """Render a chart to a self-contained SVG string offline (vl-convert; no network, no browser)."""
    import vl_convert as vlc

    return vlc.vegalite_to_svg(chart.to_dict())
