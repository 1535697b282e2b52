"""Altair chart builders for every analysis table: each returns a chart and never draws or saves.

Charts are plain Vega-Lite specifications, so they render offline: interactively in
JupyterLab (Altair's bundled renderer, no CDN) and as static SVG through vl-convert (see
:func:`to_svg`) for papermill runs and briefing notes.
"""

from __future__ import annotations

import altair as alt
import pandas as pd

GRADE_COLOURS = ["#1a9850", "#91cf60", "#fee08b", "#fc8d59", "#d73027", "#7f0000"]


def _grade_scale(grades: list[str]) -> alt.Scale:
    return alt.Scale(domain=grades, range=GRADE_COLOURS[: len(grades)])


def grade_distribution(
    results: pd.DataFrame, grades: list[str], title: str = "Grade distribution 等次分布"
) -> alt.Chart:
    """Bar chart of units per grade (from :func:`perfsim.results_frame`)."""
    counts = (
        results["grade"].value_counts().reindex(grades, fill_value=0).rename_axis("grade").reset_index(name="units")
    )
    return (
        alt.Chart(counts, title=title)
        .mark_bar()
        .encode(
            x=alt.X("grade:N", sort=grades, title="grade 等次"),
            y=alt.Y("units:Q", title="units 单位数"),
            color=alt.Color("grade:N", scale=_grade_scale(grades), legend=None),
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


def sweep_chart(sweep: pd.DataFrame, grades: list[str]) -> alt.Chart:
    """Grade shares against the swept value (from :func:`perfsim.analysis.sweep` or ``threshold_sweep``)."""
    x = "value" if "value" in sweep else "cutoff"
    long = sweep.melt(id_vars=[x], value_vars=[f"share {g}" for g in grades], var_name="grade", value_name="share")
    long["grade"] = long["grade"].str.removeprefix("share ")
    title = sweep["parameter"].iloc[0] if "parameter" in sweep else "cut-off"
    return (
        alt.Chart(long, title=f"Grade shares against {title}")
        .mark_line(interpolate="step-after")
        .encode(
            x=alt.X(f"{x}:Q", title=title),
            y=alt.Y("share:Q", axis=alt.Axis(format="%"), title="share of units"),
            color=alt.Color("grade:N", scale=_grade_scale(grades), sort=grades),
            tooltip=[x, "grade", "share"],
        )
    )


def tornado_chart(tornado: pd.DataFrame, metric: str) -> alt.Chart:
    """Horizontal bars from the outcome at each lever's low end to its high end (from ``tornado``)."""
    return alt.Chart(tornado, title=f"Tornado: {metric}").mark_bar().encode(
        y=alt.Y("parameter:N", sort=list(tornado["parameter"]), title=None),
        x=alt.X("at low:Q", title=metric),
        x2="at high:Q",
        tooltip=["parameter", "low", "high", "at low", "at high"],
    ) + alt.Chart(tornado).mark_rule(color="black").encode(x="nominal:Q")


def grade_probability_chart(probabilities: pd.DataFrame, grades: list[str], top: int = 40) -> alt.Chart:
    """Stacked bars of each unit's grade probabilities (from ``weight_monte_carlo``), least certain first."""
    frame = probabilities.copy()
    frame["certainty"] = frame[grades].max(axis=1)
    frame = frame.sort_values("certainty").head(top).drop(columns="certainty")
    long = frame.reset_index().melt(id_vars="unit", var_name="grade", value_name="probability")
    return (
        alt.Chart(long, title="Grade probabilities under weight uncertainty")
        .mark_bar()
        .encode(
            y=alt.Y("unit:N", sort=list(frame.index), title=None),
            x=alt.X("probability:Q", stack="normalize", axis=alt.Axis(format="%")),
            color=alt.Color("grade:N", scale=_grade_scale(grades), sort=grades),
            tooltip=["unit", "grade", alt.Tooltip("probability:Q", format=".1%")],
        )
    )


def rank_interval_chart(intervals: pd.DataFrame) -> alt.Chart:
    """Each unit's 5-95 % rank interval and nominal rank (from ``weight_monte_carlo``)."""
    frame = intervals.reset_index().sort_values("nominal rank")
    base = alt.Chart(frame, title="Rank intervals (5-95 %)").encode(y=alt.Y("unit:N", sort=list(frame["unit"])))
    return base.mark_rule().encode(x=alt.X("rank p5:Q", title="rank"), x2="rank p95:Q") + base.mark_point(
        color="black"
    ).encode(x="nominal rank:Q", tooltip=["unit", "nominal rank", "rank p5", "rank p95"])


def cliff_chart(results: pd.DataFrame, cutoffs: list[float], grades: list[str], eps: float = 1.0) -> alt.Chart:
    """Units' totals as ticks with the cut-offs as rules; units within ``eps`` highlighted."""
    frame = results[["unit", "total", "grade"]].copy()
    frame["near"] = frame["total"].apply(lambda t: any(abs(t - c) <= eps for c in cutoffs))
    ticks = (
        alt.Chart(frame, title="Totals and cut-offs (cliff edges)")
        .mark_tick(thickness=2, size=30)
        .encode(
            x=alt.X("total:Q", scale=alt.Scale(zero=False)),
            color=alt.Color("grade:N", scale=_grade_scale(grades), sort=grades),
            opacity=alt.condition("datum.near", alt.value(1.0), alt.value(0.35)),
            tooltip=["unit", "total", "grade"],
        )
    )
    rules = (
        alt.Chart(pd.DataFrame({"cutoff": cutoffs})).mark_rule(strokeDash=[4, 3], color="black").encode(x="cutoff:Q")
    )
    return ticks + rules


def transition_chart(transitions: pd.DataFrame) -> alt.Chart:
    """Heat map of units per (baseline grade, reform grade) (from ``compare``)."""
    long = transitions.reset_index().melt(id_vars="baseline", var_name="reform", value_name="units")
    order = list(transitions.index)
    base = alt.Chart(long, title="Grade transitions: baseline → reform").encode(
        y=alt.Y("baseline:N", sort=order), x=alt.X("reform:N", sort=order)
    )
    return base.mark_rect().encode(
        color=alt.Color("units:Q", scale=alt.Scale(scheme="blues")), tooltip=["baseline", "reform", "units"]
    ) + base.mark_text().encode(text="units:Q")


def sobol_chart(indices: pd.DataFrame) -> alt.Chart:
    """First-order and total Sobol indices per factor group, one panel per output (from ``sobol``)."""
    long = indices.melt(id_vars=["output", "factor"], value_vars=["S1", "ST"], var_name="index", value_name="value")
    return (
        alt.Chart(long, title="Sobol indices")
        .mark_bar()
        .encode(
            y=alt.Y("factor:N", title=None),
            x=alt.X("value:Q", title="index"),
            color="index:N",
            yOffset="index:N",
            row=alt.Row("output:N", title=None),
            tooltip=["output", "factor", "index", "value"],
        )
    )


def trajectory_chart(summary: pd.DataFrame, columns: list[str]) -> alt.Chart:
    """Lines of simulation summary columns over years (from ``Simulation.summary``)."""
    long = summary.melt(id_vars="year", value_vars=columns, var_name="measure", value_name="value")
    return (
        alt.Chart(long, title="Over the years")
        .mark_line(point=True)
        .encode(x=alt.X("year:O"), y=alt.Y("value:Q"), color="measure:N", tooltip=["year", "measure", "value"])
    )


def interactive(chart: alt.TopLevelMixin) -> alt.JupyterChart:  # type: ignore[name-defined]
    """An interactive chart widget whose JavaScript is bundled (from vl-convert), so no CDN is needed."""
    alt.JupyterChart.enable_offline(offline=True)
    return alt.JupyterChart(chart)  # type: ignore[arg-type]


def show(chart: alt.TopLevelMixin, mode: str = "interactive") -> None:
    """Display a chart in a notebook: an offline interactive widget (JupyterLab) or a static SVG."""
    from IPython.display import SVG, display

    if mode == "svg":
        display(SVG(to_svg(chart)))
    elif mode == "interactive":
        display(interactive(chart))
    else:
        raise ValueError(f"chart_mode must be 'interactive' or 'svg', not {mode!r}")


def to_svg(chart: alt.TopLevelMixin) -> str:
    """Render a chart to a self-contained SVG string offline (vl-convert; no network, no browser)."""
    import vl_convert as vlc

    return vlc.vegalite_to_svg(chart.to_dict())
